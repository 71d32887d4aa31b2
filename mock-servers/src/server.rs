//! Serving the simulators on fixed loopback ports, for the `abilita-mock`
//! program and for tests that want a real socket.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use abilita_core::Clock;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::anpr::AnprSimulator;
use crate::gpd::GpdSimulator;
use crate::io::{IoSimulator, ServiceSetup};

/// The subscription key the program grants by default, for every creditor
/// it is told about and every segregation code.
pub const DEFAULT_KEY: &str = "abilita-test-key";

/// The creditor the program serves by default: pagoPA's official test
/// creditor.
pub const DEFAULT_CREDITOR: &str = "77777777777";

/// The service the program defines on its IO simulator.
pub const DEFAULT_IO_SERVICE: &str = "abilita-test-service";

/// The institution's manage key the program grants by default.
pub const DEFAULT_MANAGE_KEY: &str = "abilita-test-manage-key";

/// A running simulator on its own server.
#[derive(Debug)]
#[non_exhaustive]
pub struct Running<S> {
    /// The server; it stops when dropped.
    pub server: MockServer,
    /// The simulator, for control from Rust.
    pub simulator: S,
}

/// A server on `address` (port 0: any free port) that answers `GET
/// /health` with `{"status":"UP"}` and records no requests (a long-running
/// simulator must not keep every request it served).
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(address: SocketAddr) -> std::io::Result<MockServer> {
    let listener = TcpListener::bind(address)?;
    let server = MockServer::builder()
        .listener(listener)
        .disable_request_recording()
        .start()
        .await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "status": "UP" })),
        )
        .named("health")
        .mount(&server)
        .await;
    Ok(server)
}

/// Starts a GPD simulator where `key` may act for `creditors`.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_gpd(
    address: SocketAddr,
    clock: Arc<dyn Clock>,
    key: &str,
    creditors: &[&str],
) -> std::io::Result<Running<GpdSimulator>> {
    let server = serve(address).await?;
    let simulator = GpdSimulator::new(clock);
    simulator.grant(key, creditors, None);
    simulator.mount(&server).await;
    Ok(Running { server, simulator })
}

/// Starts an IO simulator with one approved service of `institution`
/// ([`DEFAULT_IO_SERVICE`], keys `key` and `key` + `-secondary`) and the
/// institution's `manage_key`.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_io(
    address: SocketAddr,
    clock: Arc<dyn Clock>,
    key: &str,
    manage_key: &str,
    institution: &str,
) -> std::io::Result<Running<IoSimulator>> {
    let server = serve(address).await?;
    let simulator = IoSimulator::new(clock);
    simulator.add_service(&ServiceSetup::new(DEFAULT_IO_SERVICE, institution, key));
    simulator.add_manage_key(institution, manage_key);
    simulator.mount(&server).await;
    Ok(Running { server, simulator })
}

/// Starts a PDND + ANPR simulator; clients register through
/// `POST /__control/anpr/clients` (or [`AnprSimulator::register_client`]).
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_anpr(
    address: SocketAddr,
    clock: Arc<dyn Clock>,
) -> std::io::Result<Running<AnprSimulator>> {
    let server = serve(address).await?;
    let simulator = AnprSimulator::new(clock);
    simulator.mount(&server).await;
    Ok(Running { server, simulator })
}
