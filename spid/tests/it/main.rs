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
mod certificate;
mod conformance;
mod fixtures;
mod hardening;
mod keys;
mod login;
mod logout;
mod metadata;
mod redis;
mod registry;
mod robustness;
mod router;
mod settings;
mod web;
mod xmlsec;
mod xsd;

use abilita_spid::testing::{fixture_sp, resign};

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

/// The first ` ID="…"` attribute of `xml`: the root's, in a SAML message.
fn first_id(xml: &str) -> &str {
    xml.split(" ID=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
}

/// An HTTP-Redirect URL taken apart.
struct Redirected {
    /// The octets its signature covers, as sent: `…&SigAlg=…`.
    signed: String,
    /// Its parameters, decoded.
    params: std::collections::HashMap<String, String>,
    /// The message (`SAMLRequest` or `SAMLResponse`), inflated.
    xml: String,
}

impl Redirected {
    fn parse(url: &str) -> Self {
        use std::io::Read as _;
        let query = url.split_once('?').unwrap().1;
        let signed = query
            .split_once("&Signature=")
            .map_or(query, |(signed, _)| signed);
        let params: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
        let message = params
            .get("SAMLRequest")
            .or_else(|| params.get("SAMLResponse"))
            .unwrap();
        let deflated = base64::engine::general_purpose::STANDARD
            .decode(message)
            .unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(deflated.as_slice())
            .read_to_string(&mut xml)
            .unwrap();
        Self {
            signed: signed.to_owned(),
            params,
            xml,
        }
    }

    /// The `Signature` parameter, decoded.
    fn signature(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.params["Signature"])
            .unwrap()
    }
}
