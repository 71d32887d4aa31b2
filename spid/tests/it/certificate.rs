//! The SP certificate: AgID's profile, the generator, and the check at
//! start-up. (AgID's own validator, spid-compliant-certificates, checks a
//! generated certificate in `scripts/spid-conformance.sh`.)

use abilita_core::PrivateKeyPem;
use abilita_spid::certificate::{
    CertificateError, KeySize, Sector, Subject, check_key_and_validity, check_profile, generate,
};
use abilita_spid::{Contact, ServiceProvider, SigningKey, SpidLevel};
use time::OffsetDateTime;

use crate::fixture_sp::{attributes, organization};
use crate::metadata::{certificate_for, private_contact, public_contact};

const ENTITY_ID: &str = "https://comune.esempio.it/spid";

fn new_sp(
    entity_id: &str,
    contact: Contact,
    key: &PrivateKeyPem,
    certificate: &str,
) -> Result<ServiceProvider, abilita_core::InvalidInput> {
    ServiceProvider::new(
        entity_id,
        "https://comune.esempio.it/spid",
        organization(),
        contact,
        attributes(),
        key,
        certificate,
        SpidLevel::L2,
    )
}

/// The certificate error behind a refused configuration.
fn cause(error: &abilita_core::InvalidInput) -> CertificateError {
    assert_eq!(error.field(), "certificate");
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<CertificateError>())
        .cloned()
        .unwrap_or_else(|| panic!("not a certificate error: {error:?}"))
}

#[test]
fn a_generated_certificate_follows_agids_profile_and_starts_an_sp() {
    let now = OffsetDateTime::now_utc();
    for contact in [public_contact(), private_contact()] {
        let subject = Subject::for_sp(ENTITY_ID, &organization(), &contact, "Roma");
        let generated = generate(&subject, KeySize::Rsa2048, 365, now).unwrap();
        assert!(
            generated
                .certificate_pem
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        check_profile(
            &generated.certificate_pem,
            ENTITY_ID,
            &organization(),
            &contact,
        )
        .unwrap();
        let key = SigningKey::from_pem(&generated.key).unwrap();
        check_key_and_validity(&generated.certificate_pem, &key, now).unwrap();
        let sp = new_sp(
            ENTITY_ID,
            contact,
            &generated.key,
            &generated.certificate_pem,
        )
        .unwrap();
        assert!(sp.metadata().is_ok());
    }
}

#[test]
fn a_certificate_for_another_sp_is_refused_naming_the_rule() {
    let now = OffsetDateTime::now_utc();
    let subject = Subject::for_sp(ENTITY_ID, &organization(), &public_contact(), "Roma");
    let generated = generate(&subject, KeySize::Rsa2048, 365, now).unwrap();
    let pem = &generated.certificate_pem;

    let other_entity = new_sp(
        "https://altro.esempio.it/spid",
        public_contact(),
        &generated.key,
        pem,
    );
    match cause(&other_entity.unwrap_err()) {
        CertificateError::Profile { rule, found } => {
            assert!(rule.contains("uri"), "{rule}");
            assert_eq!(found, ENTITY_ID);
        }
        other => panic!("{other:?}"),
    }
    let other_ipa = Contact::Public {
        ipa_code: "c_f205".into(),
        email: "protocollo@comune.esempio.it".into(),
        phone: None,
    };
    match cause(&new_sp(ENTITY_ID, other_ipa, &generated.key, pem).unwrap_err()) {
        CertificateError::Profile { rule, found } => {
            assert!(rule.contains("organizationIdentifier"), "{rule}");
            assert_eq!(found, "PA:IT-c_h501");
        }
        other => panic!("{other:?}"),
    }
    // A public SP's certificate for a private SP: the identifier's shape
    // differs first.
    let private = new_sp(ENTITY_ID, private_contact(), &generated.key, pem);
    assert!(matches!(
        cause(&private.unwrap_err()),
        CertificateError::Profile { .. }
    ));
    // Another key.
    let other_key = PrivateKeyPem::new(include_str!("../../../core/tests/data/rsa-2048.key"));
    assert_eq!(
        cause(&new_sp(ENTITY_ID, public_contact(), &other_key, pem).unwrap_err()),
        CertificateError::KeyMismatch
    );
}

#[test]
fn an_expired_or_not_yet_valid_certificate_stops_the_sp_at_start() {
    let now = OffsetDateTime::now_utc();
    let subject = Subject::for_sp(ENTITY_ID, &organization(), &public_contact(), "Roma");
    let old = generate(
        &subject,
        KeySize::Rsa2048,
        1,
        now - time::Duration::days(10),
    )
    .unwrap();
    let refused = new_sp(ENTITY_ID, public_contact(), &old.key, &old.certificate_pem);
    assert!(matches!(
        cause(&refused.unwrap_err()),
        CertificateError::NotValidNow { .. }
    ));
    let future = generate(
        &subject,
        KeySize::Rsa2048,
        30,
        now + time::Duration::days(1),
    )
    .unwrap();
    let refused = new_sp(
        ENTITY_ID,
        public_contact(),
        &future.key,
        &future.certificate_pem,
    );
    let error = refused.unwrap_err();
    assert!(matches!(
        cause(&error),
        CertificateError::NotValidNow { .. }
    ));
    assert!(
        abilita_core::ErrorChain(&error)
            .to_string()
            .contains("valid from")
    );
}

#[test]
fn certificates_outside_the_profile_are_refused_for_an_https_sp_only() {
    let key = PrivateKeyPem::new(include_str!("../data/sp.key"));
    // The old test certificate: a CA, no uri, no policies.
    let plain = include_str!("../data/sp.cert");
    match cause(&new_sp(ENTITY_ID, public_contact(), &key, plain).unwrap_err()) {
        CertificateError::Profile { rule, .. } => assert!(rule.contains("uri"), "{rule}"),
        other => panic!("{other:?}"),
    }
    // The same certificate on a loopback SP (a developer's): accepted.
    ServiceProvider::new(
        "http://127.0.0.1:8000/metadata",
        "http://127.0.0.1:8000",
        organization(),
        public_contact(),
        attributes(),
        &key,
        plain,
        SpidLevel::L2,
    )
    .unwrap();
    // An EC key: the SPID rules want RSA for an SP.
    let ec = check_profile(
        include_str!("../data/ec-p256.cert"),
        ENTITY_ID,
        &organization(),
        &public_contact(),
    );
    match ec.unwrap_err() {
        CertificateError::Profile { rule, .. } => assert!(rule.contains("RSA"), "{rule}"),
        other => panic!("{other:?}"),
    }
    // And what openssl made in the profile passes (the fixtures').
    check_profile(
        certificate_for(&public_contact()),
        ENTITY_ID,
        &organization(),
        &public_contact(),
    )
    .unwrap();
}

#[test]
fn the_generator_refuses_a_subject_outside_the_profile() {
    let now = OffsetDateTime::now_utc();
    let mut subject = Subject::for_sp(ENTITY_ID, &organization(), &private_contact(), "Roma");
    assert_eq!(subject.organization_identifier, "VATIT-12345678901");
    assert_eq!(subject.sector, Sector::Private);
    subject.organization_identifier = "VATIT-123".into();
    assert!(matches!(
        generate(&subject, KeySize::Rsa2048, 365, now),
        Err(CertificateError::Subject(_))
    ));
    subject.organization_identifier = "VATIT-12345678901".into();
    subject.locality = " ".into();
    assert!(matches!(
        generate(&subject, KeySize::Rsa2048, 365, now),
        Err(CertificateError::Subject(_))
    ));
}
