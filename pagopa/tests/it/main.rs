//! The integration tests of abilita-pagopa, one binary: identifiers and
//! notices against published values, and the GPD client against the
//! independent GPD simulator of abilita-mock, and every request it can
//! send checked against GPD's OpenAPI files.

// Helpers outside `#[test]` functions unwrap and index too: a failing test is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod checkout;
mod conformance;
mod fdr;
mod gpd;
mod identifiers;
mod notice;
mod notice_pdf;
mod print;
mod reconcile;
mod station;
