//! The integration tests of abilita-io, one binary: the client, service
//! management and bulk sending against abilita-mock's IO simulator.

// Helpers outside `#[test]` functions unwrap and index too: a failing test is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// The bulk test prints its counts, which go into the issue note.
#![allow(clippy::print_stdout)]

mod bulk;
mod citizens;
mod client;
mod conformance;
mod manage;
mod model;
mod redis;
mod remote_content;

use std::sync::Arc;
use std::time::Duration;

use abilita_core::testing::ManualClock;
use abilita_core::{ApiKey, CodiceFiscale, RetryPolicy};
use abilita_io::{IoClient, ServiceKeys, transport_builder};
use abilita_mock::io::{IO_PATH, IoSimulator, ServiceSetup};
use time::macros::datetime;
use wiremock::MockServer;

pub(crate) struct Harness {
    pub(crate) server: MockServer,
    pub(crate) clock: ManualClock,
    pub(crate) io: IoSimulator,
}

pub(crate) const INSTITUTION: &str = "99999000013";

pub(crate) async fn harness() -> Harness {
    let server = MockServer::start().await;
    let clock = ManualClock::new(datetime!(2026-11-26 09:00 UTC));
    let io = IoSimulator::new(Arc::new(clock.clone()));
    io.add_service(&service("svc-tributi", "key-1", "key-2", false));
    io.add_service(&service("svc-sandbox", "sandbox-1", "sandbox-2", true));
    io.add_manage_key(INSTITUTION, "manage-key");
    io.mount(&server).await;
    Harness { server, clock, io }
}

pub(crate) fn service(id: &str, primary: &str, secondary: &str, sandbox: bool) -> ServiceSetup {
    let mut setup = ServiceSetup::new(id, INSTITUTION, primary);
    secondary.clone_into(&mut setup.secondary_key);
    setup.sandbox = sandbox;
    setup
}

impl Harness {
    pub(crate) fn client(&self, primary: &str, secondary: Option<&str>) -> IoClient {
        self.client_with(primary, secondary, |b| b)
    }

    pub(crate) fn client_with(
        &self,
        primary: &str,
        secondary: Option<&str>,
        configure: impl FnOnce(abilita_core::TransportBuilder) -> abilita_core::TransportBuilder,
    ) -> IoClient {
        let builder = transport_builder(&format!("{}{IO_PATH}", self.server.uri()))
            .unwrap()
            .clock(Arc::new(self.clock.clone()));
        let transport = configure(builder).build().unwrap();
        IoClient::from_transport(
            transport,
            ServiceKeys::new(ApiKey::new(primary), secondary.map(ApiKey::new)),
            None,
        )
    }

    pub(crate) fn no_retry_client(&self, primary: &str) -> IoClient {
        self.client_with(primary, None, |b| b.retry_policy(RetryPolicy::never()))
    }
}

/// A valid codice fiscale for `n`: the check letter found by trying them.
pub(crate) fn fiscal_code(n: u32) -> CodiceFiscale {
    let months = b"ABCDEHLMPRST";
    let body = format!(
        "RSS{}{:02}{}{:02}H{:03}",
        ["MRA", "LGU", "GNN", "FNC"][(n % 4) as usize],
        n % 100,
        char::from(months[(n / 100 % 12) as usize]),
        n / 1200 % 28 + 1,
        n % 1000
    );
    ('A'..='Z')
        .find_map(|c| CodiceFiscale::new(&format!("{body}{c}")).ok())
        .unwrap()
}

pub(crate) const SECOND: Duration = Duration::from_secs(1);

/// A manage client with `key`, which does not retry.
pub(crate) fn manage_client(h: &Harness, key: &str) -> abilita_io::ManageClient {
    let transport = transport_builder(&format!("{}{IO_PATH}", h.server.uri()))
        .unwrap()
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    abilita_io::ManageClient::new(transport, ApiKey::new(key), None)
}

/// IO's refusal in `result`, or a panic naming what came instead.
pub(crate) fn service_error<T: std::fmt::Debug>(
    result: Result<T, abilita_core::Error<abilita_io::IoError>>,
) -> abilita_io::IoError {
    match result {
        Err(abilita_core::Error::Service { error, .. }) => error,
        other => panic!("expected an IO error, got {other:?}"),
    }
}

/// A manage client holding a *service* key, which `/manage` refuses.
pub(crate) fn manage_with_service_key(h: &Harness) -> abilita_io::ManageClient {
    manage_client(h, "key-1")
}
