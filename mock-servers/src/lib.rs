//! Offline simulators of Italy's enabling platforms, for tests and CI.
//!
//! Each simulator follows the platform's official specs on its own: it reads
//! requests as plain JSON and never reuses the client crates' models, so a
//! bug shared with a client cannot hide. Two ways to use them:
//!
//! - **in-process**, from Rust tests: mount a simulator on a
//!   [`wiremock::MockServer`] and point a client at the server's URI;
//! - **as a program**, for pipelines in any language: `cargo run -p
//!   abilita-mock` serves every simulator on fixed loopback ports, prints the
//!   base URLs, and answers `GET /health` on each. [`Simulators::start`]
//!   serves them the same way from Rust.
//!
//! ```no_run
//! use std::sync::Arc;
//! use abilita_core::SystemClock;
//! use abilita_mock::gpd::{DEBT_POSITIONS_PATH, GpdSimulator};
//!
//! # async fn run() {
//! let server = wiremock::MockServer::start().await;
//! let gpd = GpdSimulator::new(Arc::new(SystemClock));
//! gpd.grant("test-key", &["77777777777"], None);
//! gpd.mount(&server).await;
//! let base_url = format!("{}{DEBT_POSITIONS_PATH}", server.uri());
//! # }
//! ```
//!
//! Simulators: [`gpd`] (pagoPA's debt positions and receipts), [`io`] (App
//! IO), [`anpr`] (PDND and ANPR), [`spid`] (a SPID and CIE test Identity
//! Provider), [`nodo`] (pagoPA's Nodo, calling a creditor's station).
//! [`Simulators::start`] starts them all on
//! free loopback ports and hands out the settings that point every abilita
//! client at them.
//!
//! Both ways run the same code: each simulator's route table decides what
//! it serves, and the program's `hyper` server ([`server`]) keeps nothing of
//! a request once answered, so its memory stays flat under load (the
//! README has the figures). wiremock itself keeps every request a mock
//! matched: fine for a test, which is why the program does not use it.
//!
//! State that requests create is bounded: GPD holds at most
//! [`gpd::DEFAULT_MAX_POSITIONS`] positions (creation beyond answers 507),
//! IO the latest [`io::DEFAULT_MAX_MESSAGES`] messages, PDND + ANPR only the
//! tokens still alive and today's call counts; `POST
//! /__control/{gpd,io,anpr}/reset` forgets it. Every simulator takes
//! `POST /__control/{gpd,io,anpr}/faults` (`server_error_share`,
//! `latency_ms`, `throttle_next`, `lose_next`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod anpr;
pub mod checkout;
mod faults;
pub mod fdr;
pub mod gpd;
pub mod io;
mod kit;
pub mod nodo;
pub mod print;
pub mod server;
mod simulators;
pub mod spid;

pub use simulators::{
    SIMULATED_CLIENT_ID, SIMULATED_CLIENT_KID, Simulators, checkout_settings, fdr_settings,
    print_settings, register_simulated_client, settings_for, simulated_client_key,
    simulated_purpose,
};

use abilita_core::lock;

pub use faults::{Faults, LOST_RESPONSE_DELAY};
