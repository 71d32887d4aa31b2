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

use base64::Engine as _;

mod attacks;
mod authn;
mod conformance;
mod fixture_sp;
mod fixtures;
mod keys;
mod login;
mod logout;
mod metadata;
mod registry;
mod robustness;
mod web;
mod xmlsec;
mod xsd;

/// The XML an auto-submitting form (`page`) posts as `field`
/// (`SAMLRequest` or `SAMLResponse`).
fn posted_xml(page: &str, field: &str) -> String {
    let marker = format!("name=\"{field}\" value=\"");
    let value = page.split(&marker).nth(1).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.split('"').next().unwrap())
        .unwrap();
    String::from_utf8(bytes).unwrap()
}
