//! The integration tests of abilita-spid, one binary: XML signatures made
//! by an independent implementation (spid-sp-test's xmlsec-based signer,
//! AgID's registry signer) verified here, and attacks refused.

// Helpers outside `#[test]` functions unwrap and index too: a failing test is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod attacks;
mod authn;
mod conformance;
mod fixture_sp;
mod fixtures;
mod login;
mod logout;
mod metadata;
mod registry;
mod robustness;
mod web;
mod xmlsec;
