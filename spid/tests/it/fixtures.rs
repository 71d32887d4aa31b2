use abilita_spid::dsig::{
    DsigError, TrustedKey, verified_assertion, verify_document, verify_element,
};
use abilita_spid::xml::parse;

pub(crate) fn idp_key() -> TrustedKey {
    TrustedKey::from_certificate_pem(include_str!("../data/idp-public.cert")).unwrap()
}

pub(crate) fn verdict(xml: &str) -> Result<String, DsigError> {
    let document = parse(xml).map_err(|_| DsigError::Malformed("unparseable"))?;
    verified_assertion(&document, xml, &[idp_key()])
        .map(|assertion| assertion.attribute("ID").unwrap_or_default().to_owned())
}

#[test]
fn spid_sp_test_responses_get_the_expected_signature_verdicts() {
    // Accepted: a correct Response (1, 109) and one with milliseconds (110).
    for (case, xml) in [
        ("001", include_str!("../data/responses/case-001.xml")),
        ("109", include_str!("../data/responses/case-109.xml")),
        ("110", include_str!("../data/responses/case-110.xml")),
    ] {
        assert!(verdict(xml).is_ok(), "case {case}: {:?}", verdict(xml));
    }
    // Refused, each for its own reason.
    assert_eq!(
        verdict(include_str!("../data/responses/case-002.xml")),
        Err(DsigError::NotSigned),
        "case 2: not signed"
    );
    assert_eq!(
        verdict(include_str!("../data/responses/case-003.xml")),
        Err(DsigError::NotSigned),
        "case 3: the Assertion is not signed"
    );
    assert_eq!(
        verdict(include_str!("../data/responses/case-004.xml")),
        Err(DsigError::BadSignature),
        "case 4: another key"
    );
    assert_eq!(
        verdict(include_str!("../data/responses/case-005.xml")),
        Err(DsigError::BadSignature),
        "case 5: another key, its cert in KeyInfo"
    );
    assert_eq!(
        verdict(include_str!("../data/responses/case-100.xml")),
        Err(DsigError::BadSignature),
        "case 100: Assertion by another key"
    );
    assert!(
        verdict(include_str!("../data/responses/case-xslt.xml")).is_err(),
        "XSLT transform"
    );
    assert!(
        verdict(include_str!("../data/responses/case-xsw1.xml")).is_err(),
        "namespace-less wrapping"
    );
}

#[test]
fn the_key_in_key_info_is_never_trusted() {
    // Case 5 carries the wrong signer's certificate in KeyInfo: trusting it
    // would accept the forgery. Only the metadata key counts.
    let other =
        TrustedKey::from_certificate_pem(include_str!("../data/negative-tests-signer.cert"))
            .unwrap();
    let xml = include_str!("../data/responses/case-005.xml");
    let document = parse(xml).unwrap();
    assert_eq!(
        verified_assertion(&document, xml, &[idp_key()]).unwrap_err(),
        DsigError::BadSignature
    );
    // The same document does verify with the other key: the refusal above is the key's, not a parsing accident.
    assert!(verified_assertion(&document, xml, &[other]).is_ok());
}

#[test]
fn agids_registry_aggregate_verifies_with_the_pinned_certificate() {
    let xml = include_str!("../data/spid-entities-idps.2022-05-30.xml");
    let document = parse(xml).unwrap();
    let agid =
        TrustedKey::from_certificate_pem(include_str!("../data/agid-registry-signer-2019.pem"))
            .unwrap();
    verify_document(&document, xml, std::slice::from_ref(&agid)).unwrap();
    assert_eq!(
        verify_document(&document, xml, &[idp_key()]),
        Err(DsigError::BadSignature)
    );
    // `URI=""` is for metadata: a SAML message must name its element's ID
    // (SAML core 5.4.2).
    assert_eq!(
        verify_element(&document, xml, document.root_element(), &[agid]),
        Err(DsigError::WrongReference)
    );
}
