//! Fixtures and harnesses for tests of SPID code, this crate's and an
//! app's (feature `test-util`): the SP and request that spid-sp-test's
//! Response fixtures answer, a re-signer that stands in for an IdP, and a
//! `redis-server` for the tests of shared state.
//! Never for production: the keys are public test keys.

// Test support states its assumptions by panicking.
#![allow(
    clippy::panic,
    clippy::arithmetic_side_effects,
    reason = "test support, never reached by production code"
)]

pub mod fixture_sp;
/// The `redis-server` of a test, shared with the other crates' tests.
pub use abilita_core::testing::redis_server;
pub mod resign;
