use abilita_core::{Error, PartitaIva};
use abilita_io::IoError;
use abilita_io::manage::{
    ChangeKind, HistoryOrder, KeyType, LifecycleState, Organization, PublicationState, Scope,
    ServiceMetadata, ServicePayload,
};
use abilita_io::model::Recipient;

use super::{INSTITUTION, harness, manage_client, service_error};

fn payload(name: &str) -> ServicePayload {
    let organization =
        Organization::new("Comune di Prova", PartitaIva::new(INSTITUTION).unwrap()).unwrap();
    let metadata = ServiceMetadata::new(Scope::Local, 3)
        .privacy_url("https://comune.example.it/privacy")
        .unwrap()
        .email("tributi@comune.example.it")
        .unwrap();
    ServicePayload::new(
        name,
        "Avvisi e scadenze dei tributi comunali",
        organization,
        metadata,
    )
    .unwrap()
    .authorized_recipients(vec![Recipient::parse("sttsgt90a01h501j").unwrap()])
}

#[tokio::test]
async fn a_service_goes_from_draft_to_published_and_back() {
    let h = harness().await;
    let manage = manage_client(&h, "manage-key");
    let created = manage.create(&payload("Tributi")).await.unwrap();
    assert_eq!(created.status.value, LifecycleState::Draft);
    assert!(
        created
            .authorized_recipients
            .iter()
            .any(|r| r == "AAAAAA00A00A000A"),
        "IO adds its test code"
    );

    let page = manage.list(10, 0).await.unwrap();
    assert_eq!(
        page.pagination.count, 3,
        "the two seeded services and the new one"
    );
    assert_eq!(manage.get(&created.id).await.unwrap().name, "Tributi");
    let updated = manage
        .update(&created.id, &payload("Tributi e tasse"))
        .await
        .unwrap();
    assert_eq!(updated.name, "Tributi e tasse");

    manage.submit_review(&created.id, false).await.unwrap();
    assert!(matches!(
        service_error(manage.update(&created.id, &payload("x")).await),
        IoError::Conflict { .. }
    ));
    assert!(matches!(
        service_error(manage.publish(&created.id).await),
        IoError::Conflict { .. }
    ));
    let approve = format!(
        "{}/__control/io/services/{}/approve",
        h.server.uri(),
        created.id
    );
    assert_eq!(
        reqwest::Client::new()
            .post(approve)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        manage.get(&created.id).await.unwrap().status.value,
        LifecycleState::Approved
    );

    manage.publish(&created.id).await.unwrap();
    assert_eq!(
        manage.publication(&created.id).await.unwrap().status,
        PublicationState::Published
    );
    manage.unpublish(&created.id).await.unwrap();
    assert_eq!(
        manage.publication(&created.id).await.unwrap().status,
        PublicationState::Unpublished
    );

    manage.delete(&created.id).await.unwrap();
    assert!(matches!(
        service_error(manage.get(&created.id).await),
        IoError::NotFound { .. }
    ));
}

#[tokio::test]
async fn regenerating_a_key_retires_the_old_one() {
    let h = harness().await;
    let manage = manage_client(&h, "manage-key");
    let created = manage.create(&payload("Anagrafe")).await.unwrap();
    let keys = manage.keys(&created.id).await.unwrap();
    let old = keys.primary.expose_secret().to_owned();
    assert!(
        h.no_retry_client(&old)
            .profile(&Recipient::io_sandbox())
            .await
            .is_ok()
    );

    let renewed = manage
        .regenerate_key(&created.id, KeyType::Primary)
        .await
        .unwrap();
    assert_ne!(renewed.primary.expose_secret(), old);
    assert_eq!(
        renewed.secondary.expose_secret(),
        keys.secondary.expose_secret()
    );
    assert_eq!(
        service_error(
            h.no_retry_client(&old)
                .profile(&Recipient::io_sandbox())
                .await
        ),
        IoError::Unauthorized
    );
    assert!(
        h.no_retry_client(renewed.primary.expose_secret())
            .profile(&Recipient::io_sandbox())
            .await
            .is_ok()
    );
    assert!(
        !format!("{renewed:?}").contains(renewed.primary.expose_secret()),
        "keys print redacted"
    );
}

#[tokio::test]
async fn logos_must_be_pngs_and_keys_must_be_the_institutions() {
    let h = harness().await;
    let manage = manage_client(&h, "manage-key");
    let created = manage.create(&payload("Scuola")).await.unwrap();
    let png = tiny_png();
    manage.upload_logo(&created.id, &png).await.unwrap();
    assert!(matches!(
        manage.upload_logo(&created.id, b"GIF89a").await,
        Err(Error::InvalidInput(_))
    ));

    let service_key = super::manage_with_service_key(&h);
    assert!(matches!(
        service_error(service_key.list(10, 0).await),
        IoError::Forbidden { .. }
    ));
}

/// A 1×1 PNG, written here byte by byte.
fn tiny_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[
        0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e,
        0x9b, 0x55,
    ]);
    png
}

#[tokio::test]
async fn ids_and_limits_no_operation_takes_are_refused_before_any_request() {
    let h = harness().await;
    let manage = manage_client(&h, "manage-key");
    let sent = h.server.received_requests().await.unwrap().len();
    for limit in [0, 101] {
        let Err(Error::InvalidInput(invalid)) = manage.list(limit, 0).await else {
            panic!("limit {limit} was sent")
        };
        assert_eq!(invalid.field(), "limit");
    }
    for id in ["", "  "] {
        assert!(matches!(manage.get(id).await, Err(Error::InvalidInput(_))));
        assert!(matches!(
            manage.delete(id).await,
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(manage.keys(id).await, Err(Error::InvalidInput(_))));
    }
    assert_eq!(h.server.received_requests().await.unwrap().len(), sent);
    assert!(manage.list(100, 0).await.is_ok());

    assert!(abilita_io::MessageId::new("01HZX3M5N6P7Q8R9S0T1V2W3X4").is_ok());
    for id in ["", "01HZX/../profiles", "01HZX 3"] {
        assert!(abilita_io::MessageId::new(id).is_err(), "{id:?}");
    }
}

#[test]
fn a_service_io_would_refuse_cannot_be_built() {
    let cf = || PartitaIva::new(INSTITUTION).unwrap();
    let organization = || Organization::new("Comune di Prova", cf()).unwrap();
    let metadata = || ServiceMetadata::new(Scope::Local, 3);
    let build = || ServicePayload::new("Tributi", "Avvisi", organization(), metadata()).unwrap();
    let refusals: Vec<(&str, Result<(), abilita_core::InvalidInput>)> = vec![
        (
            "name",
            ServicePayload::new("", "Avvisi", organization(), metadata()).map(drop),
        ),
        (
            "description",
            ServicePayload::new("Tributi", "", organization(), metadata()).map(drop),
        ),
        ("organization.name", Organization::new("", cf()).map(drop)),
        (
            "organization.department_name",
            organization().department("").map(drop),
        ),
        (
            "authorized_cidrs[0]",
            build().authorized_cidrs(["2001:db8::/32"]).map(drop),
        ),
        (
            "authorized_cidrs[1]",
            build()
                .authorized_cidrs(["10.0.0.0/8", "10.0.0.0/33"])
                .map(drop),
        ),
        (
            "authorized_cidrs[0]",
            build().authorized_cidrs(["300.1.1.1"]).map(drop),
        ),
        (
            "max_allowed_payment_amount",
            build()
                .max_allowed_payment_amount(abilita_core::EuroCents::new(10_000_000_000))
                .map(drop),
        ),
        ("metadata.privacy_url", metadata().privacy_url("").map(drop)),
        ("metadata.pec", metadata().pec("").map(drop)),
    ];
    for (field, refused) in refusals {
        let Err(invalid) = refused else {
            panic!("{field} was accepted")
        };
        assert_eq!(invalid.field(), field);
    }
}

#[tokio::test]
async fn a_service_at_the_schemas_limits_is_created() {
    let h = harness().await;
    let manage = manage_client(&h, "manage-key");
    let fine = payload("Tributi")
        .authorized_cidrs(["10.0.0.0/8", "203.0.113.7"])
        .unwrap()
        .max_allowed_payment_amount(abilita_core::EuroCents::new(9_999_999_999))
        .unwrap()
        .secure_channel();
    let created = manage.create(&fine).await.unwrap();
    assert!(
        created
            .authorized_recipients
            .iter()
            .any(|r| r == "STTSGT90A01H501J"),
        "sent upper-case"
    );
}

#[tokio::test]
async fn topics_are_listed_and_named_in_services_and_the_history_pages_through_every_change() {
    let h = harness().await;
    let manage = manage_client(&h, "manage-key");
    let topics = manage.topics().await.unwrap();
    let welfare = topics.iter().find(|t| t.id == 3).unwrap();
    assert_eq!(welfare.name, "Benessere sociale");

    let created = manage.create(&payload("Tributi")).await.unwrap();
    assert_eq!(created.metadata.topic.as_ref(), Some(welfare));
    let id = &created.id;
    manage
        .update(id, &payload("Tributi comunali"))
        .await
        .unwrap();
    manage.submit_review(id, true).await.unwrap();
    h.io.approve(id).unwrap();

    // draft (create), draft (update), submitted, approved, published.
    let newest = manage
        .history(id, HistoryOrder::NewestFirst, 2, None)
        .await
        .unwrap();
    let states: Vec<_> = newest
        .items
        .iter()
        .map(|i| i.status.value.as_str())
        .collect();
    assert_eq!(states, ["published", "approved"]);
    assert_eq!(newest.items[0].status.kind, Some(ChangeKind::Publication));
    let mut all = newest.items.clone();
    let mut token = newest.continuation;
    while let Some(next) = token {
        let page = manage
            .history(id, HistoryOrder::NewestFirst, 2, Some(&next))
            .await
            .unwrap();
        all.extend(page.items);
        token = page.continuation;
    }
    let states: Vec<_> = all.iter().map(|i| i.status.value.as_str()).collect();
    assert_eq!(
        states,
        ["published", "approved", "submitted", "draft", "draft"]
    );
    assert_eq!(all.last().unwrap().name, "Tributi");
    let oldest = manage
        .history(id, HistoryOrder::OldestFirst, 100, None)
        .await
        .unwrap();
    assert_eq!(oldest.items.len(), 5);
    assert_eq!(oldest.continuation, None);
    assert_eq!(oldest.items[0].status.value, "draft");
    assert!(matches!(
        manage
            .history(id, HistoryOrder::OldestFirst, 101, None)
            .await,
        Err(Error::InvalidInput(_))
    ));
}
