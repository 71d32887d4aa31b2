//! Serving the simulators on fixed loopback ports, for the `abilita-mock`
//! program and for tests that want a real socket.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use abilita_core::Clock;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::gpd::GpdSimulator;

/// The subscription key the program grants by default, for every creditor
/// it is told about and every segregation code.
pub const DEFAULT_KEY: &str = "abilita-test-key";

/// The creditor the program serves by default: pagoPA's official test
/// creditor.
pub const DEFAULT_CREDITOR: &str = "77777777777";

/// A running GPD simulator on its own server.
#[derive(Debug)]
pub struct RunningGpd {
    /// The server; it stops when dropped.
    pub server: MockServer,
    /// The simulator, for control from Rust.
    pub simulator: GpdSimulator,
}

/// Starts a GPD simulator on `address` (port 0: any free port), with `GET
/// /health` answering `{"status":"UP"}`.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_gpd(
    address: SocketAddr,
    clock: Arc<dyn Clock>,
    key: &str,
    creditors: &[&str],
) -> std::io::Result<RunningGpd> {
    let listener = TcpListener::bind(address)?;
    // A long-running simulator must not keep every request it ever served.
    let server = MockServer::builder()
        .listener(listener)
        .disable_request_recording()
        .start()
        .await;
    mount_health(&server).await;
    let simulator = GpdSimulator::new(clock);
    simulator.grant(key, creditors, None);
    simulator.mount(&server).await;
    Ok(RunningGpd { server, simulator })
}

async fn mount_health(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "status": "UP" })),
        )
        .named("health")
        .mount(server)
        .await;
}
