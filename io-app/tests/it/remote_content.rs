//! Remote-content configurations: created, listed, read, replaced, and
//! named by the messages of the institution that owns them.

use abilita_core::{ApiKey, Error};
use abilita_io::IoError;
use abilita_io::model::{
    FeatureLevel, Markdown, MessageContent, NewMessage, Precondition, Recipient, Subject,
    ThirdPartyData,
};
use abilita_io::remote_content::{Environment, RemoteContentSetup};
use abilita_mock::io::ServiceSetup;

use super::{harness, manage_client};

fn setup(name: &str) -> RemoteContentSetup {
    let production = Environment::new(
        "https://tributi.comune.example.it/io",
        "X-Api-Key",
        ApiKey::new("chiave-di-prova"),
    )
    .unwrap();
    let test = Environment::new(
        "https://collaudo.comune.example.it/io",
        "X-Api-Key",
        ApiKey::new("chiave-di-collaudo"),
    )
    .unwrap()
    .for_testers(vec![Recipient::io_sandbox()]);
    RemoteContentSetup::new(name, "Avvisi con allegati dei tributi", Precondition::Never)
        .unwrap()
        .production(production)
        .test(test)
}

fn remote_message(configuration: &str) -> NewMessage {
    let mut content = MessageContent::new(
        Subject::new("Avviso TARI 2026 con allegato").unwrap(),
        Markdown::new(
            "Il documento dell'avviso è allegato al messaggio: lo apra dall'app IO per leggerlo.",
        )
        .unwrap(),
    );
    content.third_party_data = Some(ThirdPartyData::new("tari-2026-1", configuration).unwrap());
    NewMessage {
        fiscal_code: Recipient::io_sandbox(),
        content,
        feature_level_type: Some(FeatureLevel::Standard),
    }
}

#[tokio::test]
async fn a_configuration_is_created_read_listed_replaced_and_used_by_its_owner_only() {
    let h = harness().await;
    let mut remote = ServiceSetup::new("svc-remote", super::INSTITUTION, "remote-1");
    remote.third_party_allowed = true;
    h.io.add_service(&remote);
    h.io.add_manage_key("12345678901", "other-manage-key");
    let manage = manage_client(&h, "manage-key");

    let created = manage
        .create_remote_content(&setup("Tributi"))
        .await
        .unwrap();
    assert_eq!(created.name, "Tributi");
    assert_eq!(created.precondition, Precondition::Never);
    let production = created.production.as_ref().unwrap();
    assert_eq!(production.base_url, "https://tributi.comune.example.it/io");
    assert_eq!(production.key.expose_secret(), "chiave-di-prova");
    assert_eq!(
        created.test.as_ref().unwrap().test_users,
        ["AAAAAA00A00A000A"]
    );

    let read = manage.remote_content(&created.id).await.unwrap();
    assert_eq!(read.id, created.id);
    manage
        .update_remote_content(&created.id, &setup("Tributi e sanzioni"))
        .await
        .unwrap();
    let listed = manage.remote_contents().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "Tributi e sanzioni");

    // The institution's service sends with it; another institution can
    // neither read it nor see it.
    let sender = h.no_retry_client("remote-1");
    sender.submit(&remote_message(&created.id)).await.unwrap();
    let other = manage_client(&h, "other-manage-key");
    assert!(other.remote_contents().await.unwrap().is_empty());
    assert!(matches!(
        other.remote_content(&created.id).await,
        Err(Error::Service {
            error: IoError::Forbidden { .. },
            ..
        })
    ));
    // A configuration id that is no ULID never leaves the client.
    assert!(matches!(
        manage.remote_content("not-a-ulid").await,
        Err(Error::InvalidInput(_))
    ));
    assert!(
        Environment::new(
            "http://tributi.comune.example.it",
            "X-Api-Key",
            ApiKey::new("k")
        )
        .is_err()
    );
    assert!(RemoteContentSetup::new(" ", "descrizione", Precondition::Always).is_err());
}
