//! The integration tests of abilita-core, one binary (one per crate, as the
//! repository's `ARCHITECTURE.md` says).

// Helpers outside `#[test]` functions unwrap and index too: a failing test is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod identifiers;
mod keys;
mod properties;
mod transport;
