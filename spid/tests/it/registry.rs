//! The IdP registry: AgID's signed aggregate against the pinned
//! certificate, single signed IdP metadata, unsigned test metadata only by
//! the method that says so, and a download through the core transport.

use abilita_core::{BaseUrl, PrivateKeyPem, Transport};
use abilita_spid::SigningKey;
use abilita_spid::dsig::{DsigError, TrustedKey, sign_template, signature_template};
use abilita_spid::registry::{AGGREGATE_PATH, IdpRegistry, RegistryError};
use time::macros::datetime;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AGGREGATE: &str = include_str!("../data/spid-entities-idps.2022-05-30.xml");
const NOW: time::OffsetDateTime = datetime!(2026-11-26 09:00 UTC);

fn agid() -> Vec<TrustedKey> {
    vec![
        TrustedKey::from_certificate_pem(include_str!("../data/agid-registry-signer-2019.pem"))
            .unwrap(),
    ]
}

#[test]
fn the_aggregate_gives_every_idp_for_the_chooser_and_its_signing_keys() {
    let mut registry = IdpRegistry::new();
    let report = registry.add_aggregate(AGGREGATE, &agid(), NOW).unwrap();
    assert_eq!((report.added, report.skipped.len()), (9, 0));
    assert_eq!(registry.idps().count(), 9);

    let poste = registry.get("https://posteid.poste.it").unwrap();
    assert_eq!(poste.display_name, "Poste Italiane SpA");
    assert_eq!(poste.keys.len(), 2);
    assert!(
        poste
            .sso_redirect
            .as_deref()
            .unwrap()
            .starts_with("https://")
    );
    assert!(poste.sso_post.is_some() && poste.slo_redirect.is_some());
    assert_eq!(poste.logo_url, None, "the 2022 aggregate carries no logos");
    // Display names are trimmed and their inner runs of blanks collapsed.
    assert_eq!(
        registry
            .get("https://spid.register.it")
            .unwrap()
            .display_name,
        "Register.it S.p.A."
    );
    assert_eq!(
        registry.get("https://spid.intesa.it").unwrap().display_name,
        "Intesa S.p.A."
    );
    // Sielte's second KeyDescriptor is for encryption: not a signing key.
    let sielte = registry.get("https://identity.sieltecloud.it").unwrap();
    assert_eq!(sielte.keys.len(), 1);
    assert_eq!(
        registry.keys_of("https://identity.sieltecloud.it"),
        sielte.keys
    );
    assert!(registry.keys_of("https://idp.unknown.example").is_empty());
}

#[test]
fn an_aggregate_not_signed_by_agid_adds_nothing() {
    let mut registry = IdpRegistry::new();
    let someone =
        vec![TrustedKey::from_certificate_pem(include_str!("../data/idp-public.cert")).unwrap()];
    assert!(matches!(
        registry.add_aggregate(AGGREGATE, &someone, NOW),
        Err(RegistryError::Signature(DsigError::BadSignature))
    ));
    let moved = AGGREGATE.replacen(
        "Location=\"https://posteid.poste.it",
        "Location=\"https://posteid.attacker.example",
        1,
    );
    assert_ne!(moved, AGGREGATE);
    assert!(matches!(
        registry.add_aggregate(&moved, &agid(), NOW),
        Err(RegistryError::Signature(_))
    ));
    assert_eq!(registry.idps().count(), 0);
}

/// The test IdP's metadata with the ID `id` and an empty enveloped
/// RSA-SHA256 signature template, to be signed.
pub(crate) fn test_idp_template(id: &str) -> String {
    let key = sp_key();
    let unsigned = include_str!("../data/test-idp-metadata.xml");
    let open_end = unsigned.find("><ns0:IDPSSODescriptor").unwrap();
    format!(
        "{} ID=\"{id}\">{}{}",
        &unsigned[..open_end],
        signature_template(id, &key),
        &unsigned[open_end + 1..]
    )
}

/// The test IdP's metadata, signed here by a key the operator pins for it.
fn signed_test_idp() -> String {
    let template = test_idp_template("_test-idp");
    sign_template(&template, &sp_key(), include_str!("../data/sp.cert")).unwrap()
}

fn sp_key() -> SigningKey {
    SigningKey::from_pem(&PrivateKeyPem::new(include_str!("../data/sp.key"))).unwrap()
}

#[test]
fn single_idp_metadata_is_taken_only_with_a_valid_signature() {
    let signed = signed_test_idp();
    let pinned = vec![TrustedKey::from_certificate_pem(include_str!("../data/sp.cert")).unwrap()];
    let mut registry = IdpRegistry::new();

    let by_agid = registry.add_signed_idp(&signed, &agid(), NOW);
    assert!(
        matches!(
            by_agid,
            Err(RegistryError::Signature(DsigError::BadSignature))
        ),
        "{by_agid:?}"
    );
    let moved = signed.replacen(
        "https://localhost:8443/samlsso",
        "https://attacker.example/sso",
        1,
    );
    let tampered = registry.add_signed_idp(&moved, &pinned, NOW);
    assert!(
        matches!(
            tampered,
            Err(RegistryError::Signature(DsigError::DigestMismatch))
        ),
        "{tampered:?}"
    );
    let unsigned =
        registry.add_signed_idp(include_str!("../data/test-idp-metadata.xml"), &pinned, NOW);
    assert!(
        matches!(
            unsigned,
            Err(RegistryError::Signature(DsigError::NotSigned))
        ),
        "{unsigned:?}"
    );
    assert_eq!(registry.idps().count(), 0);

    let idp = registry.add_signed_idp(&signed, &pinned, NOW).unwrap();
    assert_eq!(idp.entity_id, "https://localhost:8443");
    assert_eq!(registry.idps().count(), 1);
}

#[test]
fn unsigned_test_idps_come_in_only_by_the_insecure_door() {
    let metadata = include_str!("../data/test-idp-metadata.xml");
    let mut registry = IdpRegistry::new();
    let idp = registry.add_unsigned_idp_insecure(metadata, NOW).unwrap();
    assert_eq!(idp.entity_id, "https://localhost:8443");
    assert_eq!(
        idp.display_name, "Exempel AB",
        "its OrganizationDisplayName"
    );
    assert_eq!(
        idp.sso_redirect.as_deref(),
        Some("https://localhost:8443/samlsso")
    );
    assert_eq!(idp.keys.len(), 1);

    let expired = metadata.replacen(
        "entityID=\"https://localhost:8443\"",
        "entityID=\"https://localhost:8443\" validUntil=\"2026-11-26T08:59:59Z\"",
        1,
    );
    assert!(matches!(
        IdpRegistry::new().add_unsigned_idp_insecure(&expired, NOW),
        Err(RegistryError::Expired(_))
    ));
    let keyless = metadata.replace("use=\"signing\"", "use=\"encryption\"");
    assert!(matches!(
        IdpRegistry::new().add_unsigned_idp_insecure(&keyless, NOW),
        Err(RegistryError::Shape(_))
    ));
    assert!(matches!(
        IdpRegistry::new().add_unsigned_idp_insecure("<!DOCTYPE x []><x/>", NOW),
        Err(RegistryError::Xml(_))
    ));
}

#[tokio::test]
async fn the_aggregate_is_downloaded_through_the_core_transport() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(AGGREGATE_PATH))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(AGGREGATE_PATH))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(AGGREGATE, "application/samlmetadata+xml"),
        )
        .mount(&server)
        .await;
    let transport = Transport::builder(BaseUrl::parse(&server.uri()).unwrap())
        .build()
        .unwrap();
    let mut registry = IdpRegistry::new();
    let report = registry.fetch_aggregate(&transport, &agid()).await.unwrap();
    assert_eq!(report.added, 9, "after one retried 503");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}
