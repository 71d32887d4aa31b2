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
    let report = registry.load_aggregate(AGGREGATE, &agid(), NOW).unwrap();
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
        registry.load_aggregate(AGGREGATE, &someone, NOW),
        Err(RegistryError::Signature(DsigError::BadSignature))
    ));
    let moved = AGGREGATE.replacen(
        "Location=\"https://posteid.poste.it",
        "Location=\"https://posteid.attacker.example",
        1,
    );
    assert_ne!(moved, AGGREGATE);
    assert!(matches!(
        registry.load_aggregate(&moved, &agid(), NOW),
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

/// The certificate body (base64 DER) of a PEM file.
pub(crate) fn certificate_body(pem: &str) -> String {
    pem.lines()
        .filter(|line| !line.starts_with("-----"))
        .collect()
}

/// The test IdP's entity under `entity_id`, trusting the certificates
/// `bodies` (base64 DER).
pub(crate) fn entity(entity_id: &str, bodies: &[&str]) -> String {
    let unsigned = include_str!("../data/test-idp-metadata.xml");
    let start = unsigned.find("<ns0:KeyDescriptor").unwrap();
    let end = unsigned.rfind("</ns0:KeyDescriptor>").unwrap() + "</ns0:KeyDescriptor>".len();
    let keys: String = bodies
        .iter()
        .map(|body| {
            format!(
                "<ns0:KeyDescriptor use=\"signing\"><ns1:KeyInfo><ns1:X509Data><ns1:X509Certificate>{body}\
                 </ns1:X509Certificate></ns1:X509Data></ns1:KeyInfo></ns0:KeyDescriptor>"
            )
        })
        .collect();
    format!("{}{keys}{}", &unsigned[..start], &unsigned[end..])
        .replacen("<?xml version=\"1.0\"?>", "", 1)
        .replace(
            "entityID=\"https://localhost:8443\"",
            &format!("entityID=\"{entity_id}\""),
        )
}

/// An aggregate of `entities`, published at `published` (as the MDRPI
/// extension says, when given), signed by the SP key standing in for AgID.
fn aggregate(published: Option<&str>, entities: &[String]) -> String {
    let extensions = published
        .map(|at| {
            format!(
                "<md:Extensions><mdrpi:PublicationInfo xmlns:mdrpi=\"urn:oasis:names:tc:SAML:metadata:rpi\" \
                 creationInstant=\"{at}\" publisher=\"https://registry.spid.gov.it\"/></md:Extensions>"
            )
        })
        .unwrap_or_default();
    let template = format!(
        "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" ID=\"_aggregate\" \
         Name=\"https://idps.spid.gov.it\">{}{extensions}{}</md:EntitiesDescriptor>",
        signature_template("_aggregate", &sp_key()),
        entities.concat()
    );
    sign_template(&template, &sp_key(), include_str!("../data/sp.cert")).unwrap()
}

fn stand_in_agid() -> Vec<TrustedKey> {
    vec![TrustedKey::from_certificate_pem(include_str!("../data/sp.cert")).unwrap()]
}

#[test]
fn a_refresh_replaces_the_previous_aggregate_and_keeps_single_idps() {
    let idp_cert = certificate_body(include_str!("../data/idp-public.cert"));
    let sp_cert = certificate_body(include_str!("../data/sp.cert"));
    let mut registry = IdpRegistry::new();
    registry
        .add_unsigned_idp_insecure(include_str!("../data/test-idp-metadata.xml"), NOW)
        .unwrap();
    let first = aggregate(
        None,
        &[
            entity("https://leaving.example", &[&idp_cert]),
            entity("https://rotating.example", &[&idp_cert]),
        ],
    );
    let report = registry
        .load_aggregate(&first, &stand_in_agid(), NOW)
        .unwrap();
    assert_eq!((report.added, report.removed.len()), (2, 0));
    assert_eq!(registry.idps().count(), 3);

    // The next list: one IdP left, the other rotated its key.
    let second = aggregate(None, &[entity("https://rotating.example", &[&sp_cert])]);
    let report = registry
        .load_aggregate(&second, &stand_in_agid(), NOW)
        .unwrap();
    assert_eq!(report.removed, vec!["https://leaving.example".to_owned()]);
    assert!(registry.get("https://leaving.example").is_none());
    assert!(registry.keys_of("https://leaving.example").is_empty());
    assert_eq!(
        registry.keys_of("https://rotating.example"),
        stand_in_agid(),
        "only the new key"
    );
    assert!(
        registry.get("https://localhost:8443").is_some(),
        "the IdP added by itself stays"
    );
}

#[test]
fn an_older_aggregate_does_not_replace_a_newer_one() {
    let idp_cert = certificate_body(include_str!("../data/idp-public.cert"));
    let entities = [entity("https://idp.example", &[&idp_cert])];
    let mut registry = IdpRegistry::new();
    let newer = aggregate(Some("2026-11-20T00:00:00Z"), &entities);
    registry
        .load_aggregate(&newer, &stand_in_agid(), NOW)
        .unwrap();

    let older = aggregate(Some("2026-11-10T00:00:00Z"), &[]);
    let refused = registry.load_aggregate(&older, &stand_in_agid(), NOW);
    assert!(
        matches!(refused, Err(RegistryError::Older { .. })),
        "{refused:?}"
    );
    assert!(
        registry.get("https://idp.example").is_some(),
        "nothing changed"
    );

    let next = aggregate(Some("2026-11-25T00:00:00Z"), &[]);
    registry
        .load_aggregate(&next, &stand_in_agid(), NOW)
        .unwrap();
    assert_eq!(registry.idps().count(), 0);
    // A list without a date cannot be ordered: it is taken.
    registry
        .load_aggregate(&aggregate(None, &entities), &stand_in_agid(), NOW)
        .unwrap();
    assert_eq!(registry.idps().count(), 1);
}

#[test]
fn an_unusable_certificate_drops_that_certificate_not_the_idp() {
    let idp_cert = certificate_body(include_str!("../data/idp-public.cert"));
    let short = certificate_body(include_str!("../data/rsa-1024.cert"));
    let mut registry = IdpRegistry::new();
    let list = aggregate(
        None,
        &[
            entity("https://half.example", &[&short, &idp_cert]),
            entity(
                "https://none.example",
                &[&short, "bm90IGEgY2VydGlmaWNhdGU="],
            ),
        ],
    );
    let report = registry
        .load_aggregate(&list, &stand_in_agid(), NOW)
        .unwrap();
    assert_eq!(registry.keys_of("https://half.example").len(), 1);
    assert_eq!(report.dropped_certificates.len(), 1);
    assert_eq!(report.dropped_certificates[0].0, "https://half.example");
    assert_eq!(
        report.skipped.len(),
        1,
        "no usable key: {:?}",
        report.skipped
    );
    assert!(matches!(
        report.skipped[0],
        (ref id, RegistryError::Certificate(_)) if id == "https://none.example"
    ));
}

#[test]
fn the_shipped_agid_certificate_verifies_the_published_aggregate() {
    use abilita_spid::registry::{AGID_REGISTRY_CERTIFICATE_PEM, agid_keys};
    assert_eq!(
        AGID_REGISTRY_CERTIFICATE_PEM,
        include_str!("../data/agid-registry-signer-2019.pem")
    );
    let mut registry = IdpRegistry::new();
    let report = registry
        .load_aggregate(AGGREGATE, &agid_keys(), NOW)
        .unwrap();
    assert_eq!(report.added, 9);
}

#[tokio::test]
async fn a_shared_registry_refreshes_and_keeps_the_last_good_list_on_failure() {
    use abilita_spid::registry::SharedRegistry;
    use abilita_spid::web::SpidEndpoints;
    let idp_cert = certificate_body(include_str!("../data/idp-public.cert"));
    let server = MockServer::start().await;
    let serve = |body: String| {
        Mock::given(method("GET"))
            .and(path(AGGREGATE_PATH))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(body, "application/samlmetadata+xml"),
            )
            .up_to_n_times(1)
    };
    serve(aggregate(
        None,
        &[
            entity("https://one.example", &[&idp_cert]),
            entity("https://two.example", &[&idp_cert]),
        ],
    ))
    .mount(&server)
    .await;
    let transport = Transport::builder(BaseUrl::parse(&server.uri()).unwrap())
        .build()
        .unwrap();
    let shared = SharedRegistry::default();
    let endpoints = SpidEndpoints::new(crate::fixture_sp::sp(), shared.clone()).unwrap();
    assert_eq!(endpoints.idps().idps().count(), 0);

    shared.refresh(&transport, &stand_in_agid()).await.unwrap();
    assert_eq!(
        endpoints.idps().idps().count(),
        2,
        "the endpoints see the refresh"
    );
    let before = endpoints.idps();

    // A list signed by another key, then no list at all: refused, and the
    // last good one stays.
    let forged = aggregate(None, &[entity("https://forged.example", &[&idp_cert])])
        .replace("https://forged.example", "https://evil.example");
    serve(forged).mount(&server).await;
    assert!(shared.refresh(&transport, &stand_in_agid()).await.is_err());
    assert!(
        shared.refresh(&transport, &stand_in_agid()).await.is_err(),
        "404"
    );
    assert_eq!(*endpoints.idps(), *before);

    // The next good list replaces it whole.
    serve(aggregate(
        None,
        &[entity("https://two.example", &[&idp_cert])],
    ))
    .mount(&server)
    .await;
    let report = shared.refresh(&transport, &stand_in_agid()).await.unwrap();
    assert_eq!(report.removed, vec!["https://one.example".to_owned()]);
    assert_eq!(endpoints.idps().idps().count(), 1);
    assert_eq!(
        before.idps().count(),
        2,
        "a snapshot taken before does not change"
    );
}

#[tokio::test]
async fn the_refresh_task_retries_on_its_interval_and_never_drops_the_good_list() {
    use abilita_core::testing::ManualClock;
    use abilita_spid::registry::SharedRegistry;
    use std::time::Duration;
    let idp_cert = certificate_body(include_str!("../data/idp-public.cert"));
    let server = MockServer::start().await;
    // One good list, then the registry is down.
    Mock::given(method("GET"))
        .and(path(AGGREGATE_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            aggregate(None, &[entity("https://one.example", &[&idp_cert])]),
            "application/samlmetadata+xml",
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let clock = std::sync::Arc::new(ManualClock::new(NOW));
    let transport = Transport::builder(BaseUrl::parse(&server.uri()).unwrap())
        .clock(clock.clone())
        .build()
        .unwrap();
    let shared = SharedRegistry::default();
    let task = tokio::spawn(shared.clone().refresh_every(
        transport,
        stand_in_agid(),
        Duration::from_secs(86_400),
    ));
    while server.received_requests().await.unwrap().len() < 4 {
        tokio::task::yield_now().await;
    }
    task.abort();
    assert_eq!(
        shared.snapshot().idps().count(),
        1,
        "kept through the failures"
    );
    let daily = clock
        .sleeps()
        .into_iter()
        .filter(|d| *d == Duration::from_secs(86_400))
        .count();
    assert!(daily >= 4, "one day between attempts: {:?}", clock.sleeps());
}
