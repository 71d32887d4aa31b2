//! Every simulator at once, on free loopback ports, with the settings that
//! point every abilita client at them: the one way a test or a pipeline
//! wires GPD, FdR, Checkout, the print service, App IO, PDND + ANPR and the SPID test IdP.
//!
//! The settings are the clients' documented names (`ABILITA_GPD_URL`,
//! `ABILITA_IO_API_KEY`, `ABILITA_ANPR_PURPOSE_C030`, …): a Rust test hands
//! them to each client's `from_settings`, a pipeline in another language
//! exports them (`abilita-mock --env-file`). This crate does not depend on
//! the clients; the names are the interface, and the examples' tests build
//! every client from them.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let simulators = abilita_mock::Simulators::start().await?;
//! let settings = simulators.settings();
//! assert!(settings["ABILITA_GPD_URL"].starts_with("http://127.0.0.1:"));
//! // abilita_pagopa::gpd::GpdClient::from_settings(&abilita_core::Settings::from_map(settings))
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use abilita_core::{Clock, SystemClock};

use crate::anpr::{
    ANPR_PREFIX_PATH, ASSERTION_AUDIENCE, AnprSimulator, MODI_AUDIENCE_PATH, TOKEN_PATH,
};
use crate::checkout::{CHECKOUT_PATH, CheckoutSimulator};
use crate::fdr::{FDR_PATH, FdrSimulator};
use crate::gpd::{DEBT_POSITIONS_PATH, GpdSimulator, RECEIPTS_PATH};
use crate::io::{IO_PATH, IoSimulator};
use crate::print::{PRINT_PATH, PrintSimulator};
use crate::server::{
    DEFAULT_CREDITOR, DEFAULT_KEY, DEFAULT_MANAGE_KEY, Running, start_anpr, start_checkout,
    start_fdr, start_gpd, start_io, start_print, start_spid_idp,
};
use crate::spid::{Profile, SpidIdp};

/// The PDND client registered on the simulated PDND: its id and `kid`.
pub const SIMULATED_CLIENT_ID: &str = "0d1c5b0a-8d59-4c3b-9a6c-2f0b1e5d7a11";
/// See [`SIMULATED_CLIENT_ID`].
pub const SIMULATED_CLIENT_KID: &str = "abilitamocksimulatedclientkid00000000000001";
const SIMULATED_CLIENT_KEY: &str = include_str!("../data/simulated-pdnd-client.key");
const SIMULATED_CLIENT_PUBLIC: &str = include_str!("../data/simulated-pdnd-client.pub");

/// The purpose id approved for e-service `code` (`C030`): a fixed UUID per
/// service, so that settings are stable across runs.
#[must_use]
pub fn simulated_purpose(code: &str) -> String {
    let number: String = code.chars().filter(char::is_ascii_digit).collect();
    format!("00000000-0000-4000-8000-000000000{number:0>3}")
}

/// GPD, FdR (fed by GPD's payments), Checkout (paying on GPD), the print
/// service, App IO, PDND + ANPR and a SPID test IdP, running on free loopback ports, with
/// pagoPA's test creditor `77777777777`, an approved IO service of it with
/// keys, and a PDND client approved for every ANPR e-service. Each stops
/// when this is dropped.
#[derive(Debug)]
#[non_exhaustive]
pub struct Simulators {
    /// The GPD simulator and its server.
    pub gpd: Running<GpdSimulator>,
    /// The FdR simulator (its flows report the GPD simulator's payments)
    /// and its server.
    pub fdr: Running<FdrSimulator>,
    /// The Checkout simulator (its pay button pays on the GPD simulator)
    /// and its server.
    pub checkout: Running<CheckoutSimulator>,
    /// The print service simulator and its server.
    pub print: Running<PrintSimulator>,
    /// The App IO simulator and its server.
    pub io: Running<IoSimulator>,
    /// The PDND + ANPR simulator and its server.
    pub anpr: Running<AnprSimulator>,
    /// A SPID test IdP (a fresh key; ANPR's test subjects as users) and its
    /// server: trust an SP with `spid.simulator.trust_sp_metadata(…)`.
    pub spid: Running<SpidIdp>,
}

impl Simulators {
    /// Starts every simulator on the system clock.
    ///
    /// # Errors
    /// When a loopback port cannot be bound.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with_clock(Arc::new(SystemClock)).await
    }

    /// Starts every simulator on `clock` (a test's manual clock).
    ///
    /// # Errors
    /// When a loopback port cannot be bound.
    pub async fn start_with_clock(clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        let gpd = start_gpd(any_port, clock.clone(), DEFAULT_KEY, &[DEFAULT_CREDITOR]).await?;
        let fdr = start_fdr(
            any_port,
            clock.clone(),
            DEFAULT_KEY,
            &[DEFAULT_CREDITOR],
            Some(gpd.simulator.clone()),
        )
        .await?;
        let checkout = start_checkout(any_port, DEFAULT_KEY, Some(gpd.simulator.clone())).await?;
        let print = start_print(any_port, clock.clone(), DEFAULT_KEY).await?;
        let io = start_io(
            any_port,
            clock.clone(),
            DEFAULT_KEY,
            DEFAULT_MANAGE_KEY,
            DEFAULT_CREDITOR,
        )
        .await?;
        let anpr = start_anpr(any_port, clock.clone()).await?;
        register_simulated_client(&anpr.simulator)?;
        let idp = SpidIdp::generate(Profile::Spid, clock).map_err(std::io::Error::other)?;
        let spid = start_spid_idp(any_port, idp).await?;
        Ok(Self {
            gpd,
            fdr,
            checkout,
            print,
            io,
            anpr,
            spid,
        })
    }

    /// The settings that point every abilita client at these simulators.
    #[must_use]
    pub fn settings(&self) -> HashMap<String, String> {
        let mut settings = settings_for(
            &self.gpd.server.uri(),
            &self.io.server.uri(),
            &self.anpr.server.uri(),
            DEFAULT_KEY,
            DEFAULT_MANAGE_KEY,
        );
        settings.extend(fdr_settings(&self.fdr.server.uri(), DEFAULT_KEY));
        settings.extend(checkout_settings(&self.checkout.server.uri(), DEFAULT_KEY));
        settings.extend(print_settings(&self.print.server.uri(), DEFAULT_KEY));
        settings
    }
}

/// Registers the simulated PDND client ([`SIMULATED_CLIENT_ID`]) on `anpr`,
/// approved for every e-service with [`simulated_purpose`]s.
///
/// # Errors
/// Never with the bundled key; a refusal comes as an I/O error.
pub fn register_simulated_client(anpr: &AnprSimulator) -> std::io::Result<()> {
    anpr.register_client(
        SIMULATED_CLIENT_ID,
        SIMULATED_CLIENT_KID,
        SIMULATED_CLIENT_PUBLIC,
    )
    .map_err(std::io::Error::other)?;
    for service in crate::anpr::front::Service::ALL {
        let code = service.code();
        anpr.approve_purpose(SIMULATED_CLIENT_KID, &simulated_purpose(code), code)
            .map_err(std::io::Error::other)?;
    }
    Ok(())
}

/// The settings for simulators at the base URIs `gpd`, `io` and `anpr`
/// (`http://127.0.0.1:PORT`), where `key` is GPD's and the IO service's key,
/// `manage_key` the IO institution's, and the simulated PDND client is
/// registered ([`register_simulated_client`]).
#[must_use]
pub fn settings_for(
    gpd: &str,
    io: &str,
    anpr: &str,
    key: &str,
    manage_key: &str,
) -> HashMap<String, String> {
    let mut settings: HashMap<String, String> = [
        ("ABILITA_GPD_URL", format!("{gpd}{DEBT_POSITIONS_PATH}")),
        ("ABILITA_GPD_RECEIPTS_URL", format!("{gpd}{RECEIPTS_PATH}")),
        ("ABILITA_GPD_API_KEY", key.to_owned()),
        ("ABILITA_IO_URL", format!("{io}{IO_PATH}")),
        ("ABILITA_IO_API_KEY", key.to_owned()),
        ("ABILITA_IO_API_KEY_SECONDARY", format!("{key}-secondary")),
        ("ABILITA_IO_MANAGE_KEY", manage_key.to_owned()),
        ("ABILITA_ANPR_ENVIRONMENT", "custom".to_owned()),
        ("ABILITA_PDND_TOKEN_URL", format!("{anpr}{TOKEN_PATH}")),
        (
            "ABILITA_PDND_ASSERTION_AUDIENCE",
            ASSERTION_AUDIENCE.to_owned(),
        ),
        ("ABILITA_ANPR_URL", format!("{anpr}{ANPR_PREFIX_PATH}")),
        (
            "ABILITA_ANPR_MODI_AUDIENCE",
            format!("{anpr}{MODI_AUDIENCE_PATH}"),
        ),
        ("ABILITA_PDND_CLIENT_ID", SIMULATED_CLIENT_ID.to_owned()),
        ("ABILITA_PDND_KEY_ID", SIMULATED_CLIENT_KID.to_owned()),
        ("ABILITA_PDND_PRIVATE_KEY", SIMULATED_CLIENT_KEY.to_owned()),
        ("ABILITA_ANPR_AUDIT_USER_ID", "operatore.1".to_owned()),
        (
            "ABILITA_ANPR_AUDIT_USER_LOCATION",
            "Ufficio Anagrafe".to_owned(),
        ),
        ("ABILITA_ANPR_AUDIT_LOA", "SpidL2".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    for code in crate::anpr::front::Service::ALL.map(crate::anpr::front::Service::code) {
        settings.insert(
            format!("ABILITA_ANPR_PURPOSE_{code}"),
            simulated_purpose(code),
        );
    }
    settings
}

/// The settings for an FdR simulator at the base URI `fdr`, where `key`
/// may read the creditor's flows (`ABILITA_FDR_URL`,
/// `ABILITA_FDR_API_KEY`).
#[must_use]
pub fn fdr_settings(fdr: &str, key: &str) -> HashMap<String, String> {
    HashMap::from([
        ("ABILITA_FDR_URL".to_owned(), format!("{fdr}{FDR_PATH}")),
        ("ABILITA_FDR_API_KEY".to_owned(), key.to_owned()),
    ])
}

/// The settings for a Checkout simulator at the base URI `checkout`, where
/// `key` may create carts (`ABILITA_CHECKOUT_URL`,
/// `ABILITA_CHECKOUT_API_KEY`).
#[must_use]
pub fn checkout_settings(checkout: &str, key: &str) -> HashMap<String, String> {
    HashMap::from([
        (
            "ABILITA_CHECKOUT_URL".to_owned(),
            format!("{checkout}{CHECKOUT_PATH}"),
        ),
        ("ABILITA_CHECKOUT_API_KEY".to_owned(), key.to_owned()),
    ])
}

/// The settings for a print service simulator at the base URI `print`,
/// where `key` may print (`ABILITA_PRINT_URL`, `ABILITA_PRINT_API_KEY`).
#[must_use]
pub fn print_settings(print: &str, key: &str) -> HashMap<String, String> {
    HashMap::from([
        (
            "ABILITA_PRINT_URL".to_owned(),
            format!("{print}{PRINT_PATH}"),
        ),
        ("ABILITA_PRINT_API_KEY".to_owned(), key.to_owned()),
    ])
}

/// The simulated PDND client's private key (PEM), for a pipeline's env file:
/// it protects nothing.
#[must_use]
pub fn simulated_client_key() -> &'static str {
    SIMULATED_CLIENT_KEY
}
