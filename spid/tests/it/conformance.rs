//! spid-sp-test's 111 Responses, validated, each against its expected
//! verdict (`responses/index.json`); and the citizen's anomalies typed.

use abilita_spid::dsig::TrustedKey;
use abilita_spid::{Expectations, ResponseError, SpidLevel, UserAnomaly};
use time::macros::datetime;

use crate::fixture_sp::{FIXTURES_NOW, pending, sp};

pub(crate) fn validate(xml: &str) -> Result<abilita_spid::Identity, ResponseError> {
    let keys = [TrustedKey::from_certificate_pem(include_str!("../data/idp-public.cert")).unwrap()];
    let request = pending();
    let expect = Expectations {
        request: &request,
        idp_keys: &keys,
        now: FIXTURES_NOW,
        clock_skew: abilita_spid::DEFAULT_CLOCK_SKEW,
    };
    sp().validate_response_xml(xml, &expect)
}

#[test]
fn every_spid_sp_test_response_gets_its_expected_verdict() {
    let index: serde_json::Value =
        serde_json::from_str(include_str!("../data/responses/index.json")).unwrap();
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/responses");
    let mut wrong = Vec::new();
    for case in index.as_array().unwrap() {
        let (file, expected) = (
            case["file"].as_str().unwrap(),
            case["expected"].as_str().unwrap(),
        );
        let xml = std::fs::read_to_string(folder.join(file)).unwrap();
        let verdict = validate(&xml);
        let ok = match expected {
            "accept" => verdict.is_ok(),
            "reject" => verdict.is_err(),
            _ => true,
        };
        if !ok {
            wrong.push(format!(
                "{} ({}): expected {expected}, got {:?}",
                case["id"],
                case["name"],
                verdict.map(|i| i.assertion_id)
            ));
        }
    }
    assert_eq!(index.as_array().unwrap().len(), 111);
    assert!(
        wrong.is_empty(),
        "{} wrong verdicts:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_identity_is_read_from_the_verified_assertion() {
    let identity = validate(include_str!("../data/responses/case-001.xml")).unwrap();
    assert_eq!(identity.idp, "https://localhost:8443");
    assert_eq!(identity.level, SpidLevel::L2);
    assert_eq!(
        identity.attributes.codice_fiscale().map(|cf| cf.as_str()),
        Some("GDASDV00A01H501J")
    );
    assert_eq!(identity.attributes.get("name"), Some("SpidValidator"));
    assert_eq!(identity.attributes.get("familyName"), Some("AgID"));
    assert!(!identity.name_id.is_empty() && !identity.name_qualifier.is_empty());
    assert_eq!(identity.valid_until, datetime!(2026-11-26 08:09:52 UTC));
}

#[test]
fn user_anomalies_are_typed_with_their_message() {
    let index: serde_json::Value =
        serde_json::from_str(include_str!("../data/responses/index.json")).unwrap();
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/responses");
    let mut seen = Vec::new();
    for case in index.as_array().unwrap() {
        let xml = std::fs::read_to_string(folder.join(case["file"].as_str().unwrap())).unwrap();
        if let Err(ResponseError::Anomaly(anomaly)) = validate(&xml) {
            assert!(!anomaly.message().is_empty());
            seen.push(anomaly);
        }
    }
    for expected in [
        UserAnomaly::RepeatedFailures,
        UserAnomaly::LevelNotAvailable,
        UserAnomaly::Timeout,
        UserAnomaly::ConsentDenied,
        UserAnomaly::IdentityBlocked,
        UserAnomaly::Cancelled,
    ] {
        assert!(
            seen.contains(&expected),
            "{expected:?} among spid-sp-test's anomaly cases: {seen:?}"
        );
    }
}

/// No spid-sp-test case carries nr30, so one of
/// its unsigned anomaly Responses is re-coded: the status is read before any
/// signature, as error Responses come unsigned.
#[test]
fn wrong_identity_type_is_typed_and_unknown_codes_stay_idp_errors() {
    let nr19 = include_str!("../data/responses/case-104.xml");
    assert!(nr19.contains("ErrorCode nr19"));
    let nr30 = nr19.replace("ErrorCode nr19", "ErrorCode nr30");
    assert!(matches!(
        validate(&nr30),
        Err(ResponseError::Anomaly(UserAnomaly::WrongIdentityType))
    ));
    let nr24 = nr19.replace("ErrorCode nr19", "ErrorCode nr24");
    match validate(&nr24) {
        Err(ResponseError::IdpError { message, .. }) => {
            assert_eq!(message.as_deref(), Some("ErrorCode nr24"));
        }
        other => panic!("nr24 is not a citizen's anomaly: {other:?}"),
    }
}
