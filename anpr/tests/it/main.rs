//! The integration tests of abilita-anpr, one binary: every e-service
//! helper and error class against abilita-mock's PDND + ANPR simulator, the
//! simulator's strictness, and the tokens checked by an independent verifier.

// Helpers outside `#[test]` functions unwrap and index too: a failing test is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod addresses;
mod independent;
mod retries;
mod services;
mod strictness;
mod verification;

use std::sync::Arc;

use abilita_anpr::{AnprClient, AnprConfig, AuditIdentity, EService, Endpoints, Query};
use abilita_core::testing::ManualClock;
use abilita_core::{BaseUrl, PrivateKeyPem, RetryPolicy, Transport};
use abilita_mock::anpr::{
    ANPR_PREFIX_PATH, ASSERTION_AUDIENCE, AnprSimulator, MODI_AUDIENCE_PATH, TOKEN_PATH,
};
use time::OffsetDateTime;
use time::macros::{date, datetime};
use wiremock::MockServer;

pub(crate) const CLIENT_ID: &str = "8e9f24ca-78f5-4c69-9e4f-0efbeac7bb2b";
pub(crate) const KID: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub(crate) const CLIENT_KEY: &str = include_str!("../data/client.key");
pub(crate) const CLIENT_PUB: &str = include_str!("../data/client.pub");
pub(crate) const NOW: OffsetDateTime = datetime!(2026-11-26 09:00 UTC);

/// One purpose per service: `00000000-0000-4000-8000-0000000000NN`.
pub(crate) fn purpose(service: EService) -> String {
    format!("00000000-0000-4000-8000-0000000000{}", &service.code()[2..])
}

/// The test client's configuration, for `endpoints`.
pub(crate) fn config_at(endpoints: Endpoints) -> AnprConfig {
    let mut config = AnprConfig::new(
        endpoints,
        CLIENT_ID,
        KID,
        PrivateKeyPem::new(CLIENT_KEY),
        AuditIdentity::new("operatore.42", "Ufficio Anagrafe", "SpidL2").unwrap(),
    )
    .unwrap();
    for service in EService::ALL {
        config = config.purpose(service, &purpose(service)).unwrap();
    }
    config
}

pub(crate) struct Harness {
    pub(crate) server: MockServer,
    pub(crate) simulator: AnprSimulator,
    pub(crate) client_clock: ManualClock,
    pub(crate) simulator_clock: ManualClock,
}

pub(crate) async fn harness() -> Harness {
    harness_with_skew(time::Duration::ZERO).await
}

/// A simulator whose clock stands `behind` the client's.
pub(crate) async fn harness_with_skew(behind: time::Duration) -> Harness {
    let server = MockServer::start().await;
    let simulator_clock = ManualClock::new(NOW - behind);
    let simulator = AnprSimulator::new(Arc::new(simulator_clock.clone()));
    simulator
        .register_client(CLIENT_ID, KID, CLIENT_PUB)
        .unwrap();
    for service in EService::ALL {
        simulator
            .approve_purpose(KID, &purpose(service), service.code())
            .unwrap();
    }
    simulator.mount(&server).await;
    Harness {
        server,
        simulator,
        client_clock: ManualClock::new(NOW),
        simulator_clock,
    }
}

impl Harness {
    pub(crate) fn endpoints(&self) -> Endpoints {
        let uri = self.server.uri();
        Endpoints {
            token_url: format!("{uri}{TOKEN_PATH}"),
            assertion_audience: ASSERTION_AUDIENCE.into(),
            anpr_prefix: format!("{uri}{ANPR_PREFIX_PATH}"),
            modi_audience_prefix: format!("{uri}{MODI_AUDIENCE_PATH}"),
        }
    }

    pub(crate) fn config(&self) -> AnprConfig {
        config_at(self.endpoints())
    }

    pub(crate) fn transport(&self, url: &str, policy: RetryPolicy) -> Transport {
        Transport::builder(BaseUrl::parse(url).unwrap())
            .clock(Arc::new(self.client_clock.clone()))
            .retry_policy(policy)
            .build()
            .unwrap()
    }

    pub(crate) fn client_with(&self, config: AnprConfig) -> AnprClient {
        let endpoints = self.endpoints();
        AnprClient::with_transports(
            config,
            self.transport(&endpoints.token_url, RetryPolicy::never()),
            self.transport(&endpoints.anpr_prefix, abilita_anpr::default_retry_policy()),
        )
        .unwrap()
    }

    pub(crate) fn client(&self) -> AnprClient {
        self.client_with(self.config())
    }
}

pub(crate) fn query() -> Query {
    Query::new("PROT.2026.12345", date!(2026 - 11 - 26))
}
