//! The layer around the signature core, as an attacker and as a real IdP
//! try it: the SP's floor at the ACS, instants at the edge of the
//! calendar, strict SAML where it costs nothing, and the attributes real
//! IdPs send. Changed Responses are signed again by a stand-in IdP key
//! (`resign`), so that each change reaches the rule it is aimed at.

use abilita_spid::dsig::{DsigError, TrustedKey};
use abilita_spid::xml::XmlError;
use abilita_spid::{
    Comparison, Expectations, Identity, PendingRequest, ResponseError, ServiceProvider, SigningKey,
    SpidLevel,
};

use crate::conformance::validate;
use crate::fixture_sp::{FIXTURES_NOW, pending, sp, sp_at};
use crate::resign::{resign, strip_signatures};

const CASE_001: &str = include_str!("../data/responses/case-001.xml");
/// Case 94: a correct Response asserting SpidL1.
const CASE_094: &str = include_str!("../data/responses/case-094.xml");

fn stand_in_key() -> SigningKey {
    SigningKey::from_pem(&abilita_core::PrivateKeyPem::new(include_str!(
        "../data/sp.key"
    )))
    .unwrap()
}

fn stand_in_keys() -> Vec<TrustedKey> {
    vec![TrustedKey::from_certificate_pem(include_str!("../data/sp.cert")).unwrap()]
}

/// `xml` (a fixture Response) with `change` made, signed again.
pub(crate) fn changed(xml: &str, change: impl Fn(String) -> String) -> String {
    let unsigned = change(strip_signatures(xml));
    resign(&unsigned, &stand_in_key(), include_str!("../data/sp.cert")).unwrap()
}

fn check(
    sp: &ServiceProvider,
    xml: &str,
    request: &PendingRequest,
) -> Result<Identity, ResponseError> {
    let keys = stand_in_keys();
    let expect = Expectations {
        request,
        idp_keys: &keys,
        now: FIXTURES_NOW,
        clock_skew: abilita_spid::DEFAULT_CLOCK_SKEW,
    };
    sp.validate_response_xml(xml, &expect)
}

/// `xml` through the whole ACS path (cookie, validation, replay cache)
/// of the fixtures' SP, with the stand-in IdP key.
pub(crate) async fn finish_with_stand_in(
    xml: &str,
) -> Result<abilita_spid::Login, abilita_spid::LoginError> {
    let sp = sp();
    let cookie = crate::login::fixture_cookie(&sp, "relay");
    let saml_response = crate::login::encoded(xml);
    let form = abilita_spid::AcsForm {
        saml_response: &saml_response,
        relay_state: "relay",
        login_cookie: Some(&cookie),
    };
    let replay = abilita_spid::state::MemoryReplayCache::default();
    let keys = |_: &str| stand_in_keys();
    sp.finish_login(
        form,
        &replay,
        &keys,
        FIXTURES_NOW,
        abilita_spid::DEFAULT_CLOCK_SKEW,
    )
    .await
}

fn rule_of(verdict: Result<Identity, ResponseError>) -> String {
    match verdict {
        Err(ResponseError::Rule(rule)) => rule.to_owned(),
        other => format!("not a rule: {other:?}"),
    }
}

#[test]
fn the_sps_floor_binds_the_acs_whatever_the_request_said() {
    let l1 = changed(CASE_094, |x| x);
    // A request that asked for SpidL1 (made elsewhere, or before the floor
    // was raised), or for "at most L2": an L2 SP still refuses SpidL1.
    for comparison in [Comparison::Minimum, Comparison::Maximum] {
        let asked_l1 = PendingRequest {
            level: SpidLevel::L1,
            comparison,
            ..pending()
        };
        assert_eq!(
            rule_of(check(&sp(), &l1, &asked_l1)),
            "the level is below the SP's minimum",
            "{comparison:?}"
        );
        let identity = check(&sp_at(SpidLevel::L1), &l1, &asked_l1).unwrap();
        assert_eq!(identity.level, SpidLevel::L1, "an L1 SP takes it");
    }
}

/// Each place a Response carries an instant, and the values at the edges
/// of what `xs:dateTime` and `time` can hold.
pub(crate) const INSTANT_FIELDS: [(&str, &str); 6] = [
    ("<samlp:Response", "IssueInstant"),
    ("<saml:Assertion", "IssueInstant"),
    ("<saml:SubjectConfirmationData", "NotOnOrAfter"),
    ("<saml:Conditions", "NotBefore"),
    ("<saml:Conditions", "NotOnOrAfter"),
    ("<saml:AuthnStatement", "AuthnInstant"),
];

/// Where an instant lies, for what the rules make of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    /// Year 1.
    LongAgo,
    /// Within the clock tolerance of the fixtures' now.
    Now,
    /// After now and its tolerance.
    Later,
    /// A valid `xs:dateTime` not in UTC: SAML core 1.3.3 refuses it.
    NotUtc,
    /// Not an instant `time` can hold.
    Unreadable,
}

pub(crate) const EXTREME_INSTANTS: [(&str, When); 9] = [
    ("0001-01-01T00:00:00Z", When::LongAgo),
    ("9999-12-31T23:59:59Z", When::Later),
    ("9999-12-31T23:59:59.999999999999Z", When::Later),
    ("2026-11-26T08:05:30.123456789012Z", When::Now),
    ("2026-12-31T23:59:60Z", When::Later),
    ("9999-12-31T23:59:59-23:59", When::NotUtc),
    ("0001-01-01T00:00:00+23:59", When::NotUtc),
    ("2026-11-26T09:05:30+01:00", When::NotUtc),
    ("+10000-01-01T00:00:00Z", When::Unreadable),
];

/// `xml` with the attribute `name` of the first element opening with `tag`
/// set to `value`.
pub(crate) fn with_attribute(xml: &str, tag: &str, name: &str, value: &str) -> String {
    let start = xml.find(tag).unwrap();
    let at = start + xml[start..].find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    let end = at + xml[at..].find('"').unwrap();
    format!("{}{value}{}", &xml[..at], &xml[end..])
}

#[test]
fn extreme_instants_get_a_verdict_and_never_a_panic() {
    // Unsigned, and read before any signature check: the first place the
    // unchecked `at + skew` panicked.
    let unsigned = with_attribute(
        &strip_signatures(CASE_001),
        "<samlp:Response",
        "IssueInstant",
        "9999-12-31T23:59:59Z",
    );
    assert_eq!(
        rule_of(validate(&unsigned)),
        "Response IssueInstant out of range"
    );

    let request = pending();
    for (tag, name) in INSTANT_FIELDS {
        for (value, when) in EXTREME_INSTANTS {
            let xml = changed(CASE_001, |x| with_attribute(&x, tag, name, value));
            let verdict = check(&sp(), &xml, &request);
            let accepted = match (name, when) {
                // Not read: SPID rules nothing on it.
                ("AuthnInstant", _) => true,
                ("IssueInstant", when) => when == When::Now,
                ("NotOnOrAfter", when) => matches!(when, When::Now | When::Later),
                ("NotBefore", when) => matches!(when, When::Now | When::LongAgo),
                _ => unreachable!(),
            };
            assert_eq!(
                verdict.is_ok(),
                accepted,
                "{tag} {name}={value}: {verdict:?}"
            );
        }
    }
}

#[test]
fn instants_in_logout_requests_never_panic() {
    use base64::Engine as _;
    let sp = sp();
    let keys = |_: &str| stand_in_keys();
    for (value, when) in EXTREME_INSTANTS {
        let base = crate::logout::idp_logout_request(FIXTURES_NOW, "http://127.0.0.1:8000/slo");
        let issued = with_attribute(&base, "<samlp:LogoutRequest", "IssueInstant", value);
        let until = base.replacen(
            " Destination=",
            &format!(" NotOnOrAfter=\"{value}\" Destination="),
            1,
        );
        for (xml, accepted) in [
            (issued, when == When::Now),
            (until, matches!(when, When::Now | When::Later)),
        ] {
            let posted =
                base64::engine::general_purpose::STANDARD.encode(crate::logout::signed(&xml));
            let verdict = sp.validate_logout_request_post(
                &posted,
                &keys,
                FIXTURES_NOW,
                abilita_spid::DEFAULT_CLOCK_SKEW,
            );
            assert_eq!(verdict.is_ok(), accepted, "{value}: {verdict:?}");
        }
    }
}

#[test]
fn strict_saml_where_it_costs_nothing() {
    // An encoding the parser does not read: another reader would see other text.
    let declared = |declaration: &str| CASE_001.replacen("<?xml version=\"1.0\"?>", declaration, 1);
    let latin1 = declared("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>");
    assert!(matches!(
        validate(&latin1),
        Err(ResponseError::Xml(XmlError::NotUtf8))
    ));
    let utf8 = declared("<?xml version='1.0' encoding='utf-8'?>");
    assert!(validate(&utf8).is_ok(), "{:?}", validate(&utf8));

    // A processing instruction, outside every signed element.
    let with_pi = declared("<?xml version=\"1.0\"?><?spid before?>");
    assert_eq!(
        rule_of(validate(&with_pi)),
        "a SAML message must not hold processing instructions"
    );
    let inside = changed(CASE_001, |x| {
        x.replacen("<saml:Subject>", "<saml:Subject><?spid inside?>", 1)
    });
    assert_eq!(
        rule_of(check(&sp(), &inside, &pending())),
        "a SAML message must not hold processing instructions"
    );

    // A signature over the whole document (`URI=""`) is metadata's, never a message's.
    let whole = CASE_001.replacen(
        &format!("Reference URI=\"#{}\"", crate::first_id(CASE_001)),
        "Reference URI=\"\"",
        1,
    );
    assert_ne!(whole, CASE_001);
    assert!(
        matches!(
            validate(&whole),
            Err(ResponseError::Signature(DsigError::WrongReference))
        ),
        "{:?}",
        validate(&whole)
    );

    // A SubjectConfirmationData not valid yet.
    let later = changed(CASE_001, |x| {
        x.replacen(
            "<saml:SubjectConfirmationData ",
            "<saml:SubjectConfirmationData NotBefore=\"2026-11-26T08:10:00Z\" ",
            1,
        )
    });
    assert_eq!(
        rule_of(check(&sp(), &later, &pending())),
        "SubjectConfirmationData not yet valid"
    );
    let now = changed(CASE_001, |x| {
        x.replacen(
            "<saml:SubjectConfirmationData ",
            "<saml:SubjectConfirmationData NotBefore=\"2026-11-26T08:05:00Z\" ",
            1,
        )
    });
    assert!(check(&sp(), &now, &pending()).is_ok());
}

/// `xml` with the value of the attribute `name` replaced by `value` (the
/// whole `<saml:AttributeValue …>…</saml:AttributeValue>`).
fn with_attribute_value(xml: &str, name: &str, value: &str) -> String {
    let start = xml.find(&format!("Name=\"{name}\"")).unwrap();
    let open = start + xml[start..].find("<saml:AttributeValue").unwrap();
    let close =
        open + xml[open..].find("</saml:AttributeValue>").unwrap() + "</saml:AttributeValue>".len();
    format!("{}{value}{}", &xml[..open], &xml[close..])
}

#[test]
fn attributes_the_citizen_lacks_are_absent_not_a_refusal() {
    let empty = changed(CASE_001, |x| {
        with_attribute_value(&x, "email", "<saml:AttributeValue/>")
    });
    let nil = changed(CASE_001, |x| {
        with_attribute_value(
            &x,
            "familyName",
            "<saml:AttributeValue xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:nil=\"true\"/>",
        )
    });
    for (xml, absent, kept) in [
        (&empty, "email", "familyName"),
        (&nil, "familyName", "email"),
    ] {
        let attributes = check(&sp(), xml, &pending()).unwrap().attributes;
        assert_eq!(attributes.get("name"), Some("SpidValidator"));
        assert_eq!(attributes.get(absent), None, "{absent}");
        assert!(attributes.get(kept).is_some(), "{kept}");
    }
    // No AttributeValue at all is still spid-sp-test's case 99: refused.
    let none = changed(CASE_001, |x| with_attribute_value(&x, "email", ""));
    assert_eq!(
        rule_of(check(&sp(), &none, &pending())),
        "Attribute without an AttributeValue"
    );
}

#[test]
fn a_value_that_does_not_parse_is_kept_raw_and_the_app_decides() {
    let xml = changed(CASE_001, |x| {
        let x = x.replacen("TINIT-GDASDV00A01H501J", "TINIT-GDASDV00A01H501K", 1);
        x.replacen(
            "<saml:Attribute Name=\"name\"",
            "<saml:Attribute Name=\"dateOfBirth\"><saml:AttributeValue>0000-00-00</saml:AttributeValue></saml:Attribute>\
             <saml:Attribute Name=\"name\"",
            1,
        )
    });
    let attributes = check(&sp(), &xml, &pending()).unwrap().attributes;
    assert_eq!(
        attributes.get("fiscalNumber"),
        Some("TINIT-GDASDV00A01H501K")
    );
    assert!(attributes.codice_fiscale().is_none());
    let wrong = attributes.fiscal_number.clone().unwrap().unwrap_err();
    assert_eq!(
        (wrong.name, wrong.raw.as_str()),
        ("fiscalNumber", "TINIT-GDASDV00A01H501K")
    );
    let date = attributes.date_of_birth.clone().unwrap().unwrap_err();
    assert_eq!(date.raw, "0000-00-00");
}
