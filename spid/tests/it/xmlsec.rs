//! Differential tests against xmlsec1, the reference XML-DSig
//! implementation: what abilita-spid signs verifies with xmlsec1, and what
//! xmlsec1 signs verifies here. (The spid-sp-test fixtures already prove
//! the second direction for Responses; these add fresh documents.)
//!
//! They need the `xmlsec1` program, which `scripts/spid-conformance.sh`
//! installs and then runs these with `cargo test -- --ignored xmlsec`.

use std::path::PathBuf;
use std::process::Command;

use abilita_spid::dsig::{TrustedKey, verify_element};
use abilita_spid::xml::parse;
use abilita_spid::{AuthnOptions, Comparison, SpidLevel};

use crate::conformance::validate;
use crate::fixture_sp::{FIXTURES_NOW, sp};
use crate::posted_xml;
use crate::registry::test_idp_template;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `xml` in a file of its own, for xmlsec1.
fn file(name: &str, xml: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("abilita-xmlsec-{}-{name}", std::process::id()));
    std::fs::write(&path, xml).unwrap();
    path
}

fn xmlsec1(args: &[&str]) -> std::process::Output {
    Command::new("xmlsec1")
        .args(args)
        .output()
        .expect("xmlsec1 is installed")
}

/// Whether xmlsec1 verifies `xml` with the test SP's RSA certificate.
fn xmlsec1_verifies(xml: &str, id_attribute: &str, name: &str) -> bool {
    xmlsec1_verifies_with(xml, id_attribute, name, "sp.cert")
}

fn xmlsec1_verifies_with(xml: &str, id_attribute: &str, name: &str, certificate: &str) -> bool {
    let path = file(name, xml);
    let output = xmlsec1(&[
        "--verify",
        "--pubkey-cert-pem",
        &data(certificate),
        "--id-attr:ID",
        id_attribute,
        path.to_str().unwrap(),
    ]);
    std::fs::remove_file(&path).ok();
    output.status.success()
}

#[test]
#[ignore = "needs xmlsec1: scripts/spid-conformance.sh runs it"]
fn xmlsec1_verifies_what_abilita_signs() {
    let sp = sp();
    let metadata = sp.metadata().unwrap();
    assert!(xmlsec1_verifies(
        &metadata,
        "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
        "metadata.xml"
    ));
    let tampered = metadata.replacen("Comune di Esempio", "Comune di Altrove", 1);
    assert!(!xmlsec1_verifies(
        &tampered,
        "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
        "tampered.xml"
    ));

    let options = AuthnOptions {
        level: SpidLevel::L2,
        comparison: Comparison::Minimum,
        attribute_set: 0,
    };
    let request = sp.authn_request("https://localhost:8443/samlsso", &options, FIXTURES_NOW);
    let form = sp.post_form(&request, "rs").unwrap();
    let xml = posted_xml(&form, "SAMLRequest");
    assert!(xmlsec1_verifies(
        &xml,
        "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest",
        "authn.xml"
    ));

    let identity = validate(include_str!("../data/responses/case-001.xml")).unwrap();
    let logout = sp.logout_request("https://localhost:8443/slo", &identity, FIXTURES_NOW);
    let form = sp.logout_post_form(&logout, "rs").unwrap();
    let xml = posted_xml(&form, "SAMLRequest");
    assert!(xmlsec1_verifies(
        &xml,
        "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
        "logout.xml"
    ));

    // ECDSA-SHA256 (r || s) by an EC P-256 SP.
    let metadata = crate::metadata::ec_sp().metadata().unwrap();
    assert!(xmlsec1_verifies_with(
        &metadata,
        "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
        "ec-metadata.xml",
        "ec-p256.cert"
    ));
}

#[test]
#[ignore = "needs xmlsec1: scripts/spid-conformance.sh runs it"]
fn abilita_verifies_what_xmlsec1_signs() {
    // The test IdP's metadata with an empty enveloped signature, filled by xmlsec1.
    // xmlsec1 fills the X509Certificate from the key file's certificate.
    let template = test_idp_template("_by-xmlsec1").replace("<ds:X509Certificate/>", "");
    let path = file("to-sign.xml", &template);
    let key_and_cert = format!("{},{}", data("sp.key"), data("sp.cert"));
    let output = xmlsec1(&[
        "--sign",
        "--privkey-pem",
        &key_and_cert,
        "--id-attr:ID",
        "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
        path.to_str().unwrap(),
    ]);
    std::fs::remove_file(&path).ok();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let signed = String::from_utf8(output.stdout).unwrap();

    let keys = [TrustedKey::from_certificate_pem(include_str!("../data/sp.cert")).unwrap()];
    let document = parse(&signed).unwrap();
    verify_element(&document, &signed, document.root_element(), &keys).unwrap();
    let tampered = signed.replacen(
        "https://localhost:8443/samlsso",
        "https://evil.example/sso",
        1,
    );
    let document = parse(&tampered).unwrap();
    assert!(verify_element(&document, &tampered, document.root_element(), &keys).is_err());
}
