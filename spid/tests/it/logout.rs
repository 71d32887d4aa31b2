//! SP-initiated Single Logout: the signed LogoutRequest by both bindings,
//! and the IdP's LogoutResponse validated by both. The test SP key stands
//! in for the IdP's, as spid-sp-test's IdP key is not in the repository.

use std::io::Write as _;
use std::time::Duration;

use abilita_core::PrivateKeyPem;
use abilita_spid::dsig::{
    DsigError, TrustedKey, sign_template, signature_template, verify_element,
};
use abilita_spid::xml::{XmlError, parse};
use abilita_spid::{Identity, LogoutStatus, PendingLogout, ResponseError, SigningKey};
use base64::Engine as _;
use time::OffsetDateTime;

use crate::conformance::validate;
use crate::fixture_sp::{FIXTURES_NOW, sp};
use crate::{Redirected, posted_xml};

const SLO: &str = "https://localhost:8443/samlsso";
const SKEW: Duration = Duration::from_secs(60);
pub(crate) const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn stand_in_idp_key() -> SigningKey {
    SigningKey::from_pem(&PrivateKeyPem::new(include_str!("../data/sp.key"))).unwrap()
}

fn stand_in_idp_keys() -> Vec<TrustedKey> {
    vec![TrustedKey::from_certificate_pem(include_str!("../data/sp.cert")).unwrap()]
}

/// The citizen of spid-sp-test's case 1, logged in.
pub(crate) fn identity() -> Identity {
    validate(include_str!("../data/responses/case-001.xml")).unwrap()
}

pub(crate) fn logout_response(
    pending: &PendingLogout,
    status: &str,
    issued: OffsetDateTime,
) -> String {
    let instant = issued
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let inner = if status == REQUESTER {
        "<samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:PartialLogout\"/>"
    } else {
        ""
    };
    format!(
        "<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
         ID=\"_lr1\" Version=\"2.0\" IssueInstant=\"{instant}\" InResponseTo=\"{}\" Destination=\"http://127.0.0.1:8000/slo\">\
         <saml:Issuer Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">https://localhost:8443</saml:Issuer>\
         <samlp:Status><samlp:StatusCode Value=\"{status}\">{inner}</samlp:StatusCode></samlp:Status></samlp:LogoutResponse>",
        pending.id
    )
}

pub(crate) fn signed(xml: &str) -> String {
    let key = stand_in_idp_key();
    let template = xml.replacen(
        "</saml:Issuer>",
        &format!("</saml:Issuer>{}", signature_template("_lr1", &key)),
        1,
    );
    sign_template(&template, &key, include_str!("../data/sp.cert")).unwrap()
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A message (`field`) by HTTP-Redirect, signed over the query octets.
pub(crate) fn redirect_query(field: &str, xml: &[u8], relay_state: &str) -> String {
    let mut deflater =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflater.write_all(xml).unwrap();
    let signed = format!(
        "{field}={}&RelayState={}&SigAlg={}",
        encode(&b64().encode(deflater.finish().unwrap())),
        encode(relay_state),
        encode("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    );
    let signature = b64().encode(stand_in_idp_key().sign(signed.as_bytes()));
    format!("{signed}&Signature={}", encode(&signature))
}

#[test]
fn the_logout_request_names_the_session_and_is_signed_in_both_bindings() {
    let (sp, identity) = (sp(), identity());
    let request = sp.logout_request(SLO, &identity, FIXTURES_NOW);
    let document = parse(request.xml()).unwrap();
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "LogoutRequest");
    assert_eq!(root.attribute("Destination"), Some(SLO));
    let name_id = root.children().find(|c| c.has_tag_name("NameID")).unwrap();
    assert_eq!(name_id.text(), Some(identity.name_id.as_str()));
    assert_eq!(
        name_id.attribute("NameQualifier"),
        Some(identity.name_qualifier.as_str())
    );
    assert_eq!(request.pending().idp_entity_id, "https://localhost:8443");
    let sp_keys = stand_in_idp_keys();

    let redirected = Redirected::parse(&sp.logout_redirect_url(&request, "rs"));
    sp_keys[0]
        .verify_detached(
            &redirected.params["SigAlg"],
            redirected.signed.as_bytes(),
            &redirected.signature(),
        )
        .unwrap();
    assert_eq!(redirected.xml, request.xml());

    let form = sp.logout_post_form(&request, "rs").unwrap();
    let xml = posted_xml(&form, "SAMLRequest");
    let document = parse(&xml).unwrap();
    verify_element(&document, &xml, document.root_element(), &sp_keys).unwrap();
}

#[test]
fn a_posted_logout_response_is_checked_like_a_login_response() {
    let sp = sp();
    let pending = sp.logout_request(SLO, &identity(), FIXTURES_NOW).pending();
    let keys = stand_in_idp_keys();
    let check = |xml: &str| {
        sp.validate_logout_response_post(&b64().encode(xml), &pending, &keys, FIXTURES_NOW, SKEW)
    };
    let success = logout_response(&pending, SUCCESS, FIXTURES_NOW);
    assert_eq!(check(&signed(&success)).unwrap(), LogoutStatus::Success);
    let partial = logout_response(&pending, REQUESTER, FIXTURES_NOW);
    assert_eq!(check(&signed(&partial)).unwrap(), LogoutStatus::Partial);

    let unsigned = check(&success);
    assert!(
        matches!(
            unsigned,
            Err(ResponseError::Signature(DsigError::NotSigned))
        ),
        "{unsigned:?}"
    );
    let other_request = success.replace(&pending.id, "_another");
    assert!(matches!(
        check(&signed(&other_request)),
        Err(ResponseError::Rule(_))
    ));
    let stale = logout_response(&pending, SUCCESS, FIXTURES_NOW - time::Duration::minutes(5));
    assert!(matches!(
        check(&signed(&stale)),
        Err(ResponseError::Rule(_))
    ));
    let by_idp_key = sp.validate_logout_response_post(
        &b64().encode(signed(&success)),
        &pending,
        &[TrustedKey::from_certificate_pem(include_str!("../data/idp-public.cert")).unwrap()],
        FIXTURES_NOW,
        SKEW,
    );
    assert!(matches!(
        by_idp_key,
        Err(ResponseError::Signature(DsigError::BadSignature))
    ));
}

#[test]
fn a_redirected_logout_response_is_checked_over_the_query_octets() {
    let sp = sp();
    let pending = sp.logout_request(SLO, &identity(), FIXTURES_NOW).pending();
    let keys = stand_in_idp_keys();
    let check = |query: &str| {
        sp.validate_logout_response_redirect(query, &pending, &keys, FIXTURES_NOW, SKEW)
    };
    let success = logout_response(&pending, SUCCESS, FIXTURES_NOW);
    let query = redirect_query("SAMLResponse", success.as_bytes(), "rs 1");
    assert_eq!(check(&query).unwrap(), LogoutStatus::Success);

    let changed = query.replacen("RelayState=rs+1", "RelayState=rs+2", 1);
    assert_ne!(changed, query);
    assert!(matches!(
        check(&changed),
        Err(ResponseError::Signature(DsigError::BadSignature))
    ));
    let repeated = format!("{query}&SAMLResponse=AAAA");
    assert!(matches!(check(&repeated), Err(ResponseError::Rule(_))));
    let other_request = redirect_query(
        "SAMLResponse",
        success.replace(&pending.id, "_another").as_bytes(),
        "rs",
    );
    assert!(matches!(check(&other_request), Err(ResponseError::Rule(_))));
    // A validly signed DEFLATE bomb stops at the parser's size limit.
    let bomb = redirect_query("SAMLResponse", &vec![b' '; 1024 * 1024], "rs");
    assert!(matches!(
        check(&bomb),
        Err(ResponseError::Xml(XmlError::TooLarge))
    ));
}

/// An IdP-initiated LogoutRequest, as the stand-in IdP would send it.
pub(crate) fn idp_logout_request(issued: OffsetDateTime, destination: &str) -> String {
    let instant = issued
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    format!(
        "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
         ID=\"_lr1\" Version=\"2.0\" IssueInstant=\"{instant}\" Destination=\"{destination}\">\
         <saml:Issuer Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">https://localhost:8443</saml:Issuer>\
         <saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\" NameQualifier=\"https://localhost:8443\">_nameid-1</saml:NameID>\
         <samlp:SessionIndex>_session-1</samlp:SessionIndex><samlp:SessionIndex>_session-2</samlp:SessionIndex>\
         </samlp:LogoutRequest>"
    )
}

/// The stand-in IdP's LogoutRequest, as the SP accepts it.
pub(crate) fn idp_logout_request_validated() -> abilita_spid::IdpLogoutRequest {
    let request = signed(&idp_logout_request(
        FIXTURES_NOW,
        "http://127.0.0.1:8000/slo",
    ));
    sp().validate_logout_request_post(&b64().encode(request), &keys_of, FIXTURES_NOW, SKEW)
        .unwrap()
}

fn keys_of(entity_id: &str) -> Vec<TrustedKey> {
    if entity_id == "https://localhost:8443" {
        stand_in_idp_keys()
    } else {
        Vec::new()
    }
}

#[test]
fn an_idp_initiated_logout_is_verified_with_the_keys_of_its_issuer_and_answered() {
    let sp = sp();
    let slo = "http://127.0.0.1:8000/slo";
    let request = idp_logout_request(FIXTURES_NOW, slo);
    let posted = |xml: &str, keys: &dyn Fn(&str) -> Vec<TrustedKey>| {
        sp.validate_logout_request_post(&b64().encode(xml), keys, FIXTURES_NOW, SKEW)
    };

    let logout = posted(&signed(&request), &keys_of).unwrap();
    assert_eq!(logout.id, "_lr1");
    assert_eq!(logout.idp_entity_id, "https://localhost:8443");
    assert_eq!(logout.name_id, "_nameid-1");
    assert_eq!(logout.session_indexes, ["_session-1", "_session-2"]);

    let unknown_idp = posted(&signed(&request), &|_| Vec::new());
    assert!(
        matches!(unknown_idp, Err(ResponseError::Signature(_))),
        "{unknown_idp:?}"
    );
    let unsigned = posted(&request, &keys_of);
    assert!(
        matches!(
            unsigned,
            Err(ResponseError::Signature(DsigError::NotSigned))
        ),
        "{unsigned:?}"
    );
    let stale = idp_logout_request(FIXTURES_NOW - time::Duration::minutes(10), slo);
    assert!(matches!(
        posted(&signed(&stale), &keys_of),
        Err(ResponseError::Rule(_))
    ));
    let elsewhere = idp_logout_request(FIXTURES_NOW, "https://other-sp.example/slo");
    assert!(matches!(
        posted(&signed(&elsewhere), &keys_of),
        Err(ResponseError::Rule(_))
    ));

    let by_redirect =
        |query: &str| sp.validate_logout_request_redirect(query, &keys_of, FIXTURES_NOW, SKEW);
    let query = redirect_query("SAMLRequest", request.as_bytes(), "rs");
    assert_eq!(by_redirect(&query).unwrap(), logout);
    // Signed as a response, offered as a request: the octets differ.
    let renamed = redirect_query("SAMLResponse", request.as_bytes(), "rs").replacen(
        "SAMLResponse=",
        "SAMLRequest=",
        1,
    );
    assert!(matches!(
        by_redirect(&renamed),
        Err(ResponseError::Signature(DsigError::BadSignature))
    ));

    let answer = sp.logout_response_to(&logout, SLO, FIXTURES_NOW);
    let document = parse(answer.xml()).unwrap();
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "LogoutResponse");
    assert_eq!(root.attribute("InResponseTo"), Some("_lr1"));
    assert_eq!(root.attribute("Destination"), Some(SLO));
    assert!(answer.xml().contains(SUCCESS));
    let form = sp.logout_response_post_form(&answer, "rs").unwrap();
    let xml = posted_xml(&form, "SAMLResponse");
    let document = parse(&xml).unwrap();
    verify_element(
        &document,
        &xml,
        document.root_element(),
        &stand_in_idp_keys(),
    )
    .unwrap();
    assert!(
        sp.logout_response_redirect_url(&answer, "rs")
            .contains("&Signature=")
    );
}
