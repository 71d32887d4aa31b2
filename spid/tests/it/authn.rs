use abilita_spid::dsig::{TrustedKey, verify_element};
use abilita_spid::xml::parse;
use abilita_spid::{AuthnOptions, Comparison, SpidLevel};
use time::macros::datetime;

use crate::fixture_sp::sp;
use crate::{Redirected, posted_xml};

fn sp_key() -> TrustedKey {
    TrustedKey::from_certificate_pem(include_str!("../data/sp.cert")).unwrap()
}

/// Element and attribute names in document order.
fn shape(xml: &str) -> Vec<String> {
    let document = roxmltree::Document::parse(xml).unwrap();
    document
        .descendants()
        .filter(|n| n.is_element())
        .map(|n| {
            let mut attributes: Vec<&str> = n.attributes().map(|a| a.name()).collect();
            attributes.sort_unstable();
            format!("{}{attributes:?}", n.tag_name().name())
        })
        .collect()
}

const L2: AuthnOptions = AuthnOptions {
    level: SpidLevel::L2,
    comparison: Comparison::Minimum,
    attribute_set: 0,
};

#[test]
fn the_request_has_the_shape_that_passes_spid_sp_test() {
    let request = sp().authn_request(
        "https://localhost:8443/samlsso",
        &L2,
        datetime!(2026-11-26 08:04:49.709 UTC),
    );
    assert_eq!(
        shape(request.xml()),
        shape(include_str!("../data/authn-request.xml"))
    );
    assert!(
        request
            .xml()
            .contains("IssueInstant=\"2026-11-26T08:04:49.709Z\"")
    );
    assert!(request.id().starts_with('_') && request.id().len() == 33);
    let l1 = sp().authn_request(
        "https://idp.example/sso",
        &AuthnOptions {
            level: SpidLevel::L1,
            ..L2
        },
        datetime!(2026-11-26 08:00 UTC),
    );
    assert!(
        !l1.xml().contains("ForceAuthn"),
        "ForceAuthn only for SpidL2 and SpidL3"
    );
    assert!(l1.xml().contains("https://www.spid.gov.it/SpidL1"));
    assert_ne!(l1.id(), request.id());
}

#[test]
fn the_redirect_signs_the_exact_query_octets() {
    let sp = sp();
    let request = sp.authn_request(
        "https://idp.example/sso",
        &L2,
        datetime!(2026-11-26 08:00 UTC),
    );
    let redirected = Redirected::parse(&sp.redirect_url(&request, "a1b2c3"));
    let (signed, method) = (&redirected.signed, &redirected.params["SigAlg"]);
    assert_eq!(method, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    assert_eq!(redirected.params["RelayState"], "a1b2c3");
    let signature = redirected.signature();
    sp_key()
        .verify_detached(method, signed.as_bytes(), &signature)
        .unwrap();
    assert!(
        sp_key()
            .verify_detached(
                method,
                signed.replace("a1b2c3", "zzz").as_bytes(),
                &signature
            )
            .is_err()
    );
    assert!(!signed.contains("Signature="));
    assert_eq!(
        redirected.xml,
        request.xml(),
        "raw DEFLATE of the unsigned request"
    );
}

#[test]
fn the_post_form_carries_an_xml_signed_request() {
    let sp = sp();
    let request = sp.authn_request(
        "https://idp.example/sso",
        &L2,
        datetime!(2026-11-26 08:00 UTC),
    );
    let page = sp.post_form(&request, "a1b2c3").unwrap();
    assert!(
        page.contains("action=\"https://idp.example/sso\"")
            && page.contains("onload=\"document.forms[0].submit()\"")
    );
    let xml = posted_xml(&page, "SAMLRequest");
    let document = parse(&xml).unwrap();
    verify_element(&document, &xml, document.root_element(), &[sp_key()]).unwrap();
    let children: Vec<&str> = document
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    assert_eq!(
        children,
        [
            "Issuer",
            "Signature",
            "NameIDPolicy",
            "RequestedAuthnContext"
        ],
        "the signature right after Issuer"
    );
}

#[test]
fn an_ec_p256_sp_signs_both_bindings_with_ecdsa_sha256() {
    let sp = crate::metadata::ec_sp();
    let key = TrustedKey::from_certificate_pem(include_str!("../data/ec-p256.cert")).unwrap();
    let request = sp.authn_request(
        "https://idp.example/sso",
        &L2,
        datetime!(2026-11-26 08:00 UTC),
    );
    let redirected = Redirected::parse(&sp.redirect_url(&request, "a1b2c3"));
    let method = &redirected.params["SigAlg"];
    assert_eq!(
        method,
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    );
    key.verify_detached(
        method,
        redirected.signed.as_bytes(),
        &redirected.signature(),
    )
    .unwrap();

    let xml = posted_xml(&sp.post_form(&request, "a1b2c3").unwrap(), "SAMLRequest");
    let document = parse(&xml).unwrap();
    verify_element(&document, &xml, document.root_element(), &[key]).unwrap();
}
