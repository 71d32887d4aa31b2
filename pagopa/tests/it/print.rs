//! The print service client against abilita-mock's print simulator.

use std::sync::Arc;

use abilita_core::testing::ManualClock;
use abilita_core::{ApiKey, BaseUrl, Error, EuroCents, Transport};
use abilita_mock::print::{PRINT_PATH, PrintSimulator};
use abilita_pagopa::print::{
    FolderState, NoticeData, PrintClient, PrintDebtor, PrintError, PrintInstalment,
};
use abilita_pagopa::{CreditorCode, NoticeNumber, SegregationCode};
use time::Duration;
use time::macros::{date, datetime};
use wiremock::MockServer;

const KEY: &str = "key-of-the-municipality";

async fn service() -> (MockServer, ManualClock, PrintClient) {
    let server = MockServer::start().await;
    let clock = ManualClock::new(datetime!(2026-11-23 09:00 UTC));
    let simulator = PrintSimulator::new(Arc::new(clock.clone()));
    simulator.grant(KEY);
    simulator.mount(&server).await;
    let client = client(&server, &clock, KEY);
    (server, clock, client)
}

fn client(server: &MockServer, clock: &ManualClock, key: &str) -> PrintClient {
    PrintClient::from_transport(
        Transport::builder(BaseUrl::parse(&format!("{}{PRINT_PATH}", server.uri())).unwrap())
            .platform(abilita_pagopa::print::PLATFORM)
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap(),
        ApiKey::new(key),
    )
}

fn nav(n: u64) -> NoticeNumber {
    NoticeNumber::from_iuv_base(&SegregationCode::new("01").unwrap(), n).unwrap()
}

fn debtor() -> PrintDebtor {
    PrintDebtor::new("Soggetto Settimo", "Via Roma", "1", "00100", "Roma", "RM")
        .unwrap()
        .tax_code("STTSGT90A01H501J")
        .unwrap()
}

fn creditor() -> CreditorCode {
    CreditorCode::new("77777777777").unwrap()
}

fn single(n: u64) -> NoticeData {
    NoticeData::single(
        "TARI 2026",
        nav(n),
        EuroCents::new(12_000),
        creditor(),
        debtor(),
    )
    .unwrap()
    .due_date(date!(2026 - 12 - 31))
}

#[tokio::test]
async fn one_notice_is_rendered_as_a_pdf_from_a_listed_template() {
    let (_server, _clock, print) = service().await;
    let templates = print.templates().await.unwrap();
    assert!(templates.len() >= 2, "{templates:?}");
    let pdf = print.generate(&templates[0].id, &single(1)).await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains(nav(1).as_str()) && text.contains("120,00"),
        "the notice's data"
    );

    let instalments = NoticeData::instalments(
        "TARI 2026 in due rate",
        Some((nav(2), EuroCents::new(12_000))),
        vec![
            PrintInstalment::new(nav(3), EuroCents::new(6_000), Some(date!(2026 - 06 - 30)))
                .unwrap(),
            PrintInstalment::new(nav(4), EuroCents::new(6_000), Some(date!(2026 - 12 - 31)))
                .unwrap(),
        ],
        creditor(),
        debtor(),
    )
    .unwrap();
    let pdf = print
        .generate("TemplateInstalments", &instalments)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&pdf).contains(nav(4).as_str()));

    match print.generate("NoSuchTemplate", &single(1)).await {
        Err(Error::Service {
            error: PrintError::BadRequest { detail },
            ..
        }) => {
            assert!(detail.contains("NoSuchTemplate"), "{detail}");
        }
        other => panic!("expected the service's 400, got {other:?}"),
    }
}

#[tokio::test]
async fn a_folder_is_made_in_the_background_once_per_idempotency_key_then_deleted() {
    let (_server, clock, print) = service().await;
    let notices: Vec<NoticeData> = (1..=3).map(single).collect();
    let batch: Vec<(&str, &NoticeData)> = notices
        .iter()
        .map(|n| ("TemplateSingleInstalment", n))
        .collect();
    let folder = print
        .generate_massive(&batch, "tari-2026-batch-1")
        .await
        .unwrap();
    assert_eq!(
        print
            .generate_massive(&batch, "tari-2026-batch-1")
            .await
            .unwrap(),
        folder,
        "the same key, the same folder"
    );
    assert_eq!(
        print.folder_status(&folder).await.unwrap().status,
        FolderState::Inserted
    );
    clock.advance(Duration::milliseconds(1_500));
    let status = print.folder_status(&folder).await.unwrap();
    assert_eq!(status.status, FolderState::Processing);
    assert!(!status.status.is_final());
    clock.advance(Duration::seconds(1));
    let status = print.folder_status(&folder).await.unwrap();
    assert_eq!(status.status, FolderState::Processed);
    assert_eq!(status.processed_notices.len(), 3);
    assert!(status.notices_in_error.is_empty());
    let zip = print.folder_url(&folder).await.unwrap();
    assert!(zip.as_str().ends_with(".zip"), "{zip}");
    let one = print
        .file_url(&folder, &status.processed_notices[0])
        .await
        .unwrap();
    assert!(one.as_str().ends_with(".pdf"), "{one}");

    print.delete_folder(&folder).await.unwrap();
    assert!(matches!(
        print.folder_status(&folder).await,
        Err(Error::Service {
            error: PrintError::NotFound { .. },
            ..
        })
    ));
}

#[tokio::test]
async fn what_the_service_would_refuse_never_leaves_and_a_stranger_is_refused() {
    let (server, clock, print) = service().await;
    assert!(PrintDebtor::new(&"x".repeat(71), "Via Roma", "1", "00100", "Roma", "RM").is_err());
    assert!(debtor().tax_code(&"X".repeat(17)).is_err());
    assert!(
        NoticeData::single(
            &"x".repeat(91),
            nav(1),
            EuroCents::new(1),
            creditor(),
            debtor()
        )
        .is_err()
    );
    assert!(NoticeData::single("TARI", nav(1), EuroCents::new(0), creditor(), debtor()).is_err());
    assert!(PrintInstalment::new(nav(1), EuroCents::new(100_000_000_000), None).is_err());
    let rata = |n| PrintInstalment::new(nav(n), EuroCents::new(100), None).unwrap();
    assert!(
        NoticeData::instalments("TARI", None, vec![rata(1)], creditor(), debtor()).is_err(),
        "one instalment"
    );
    assert!(
        NoticeData::instalments("TARI", None, vec![rata(1), rata(1)], creditor(), debtor())
            .is_err(),
        "a notice number twice"
    );
    let before = server.received_requests().await.unwrap().len();
    assert!(matches!(
        print.generate_massive(&[], "k").await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        print.folder_status("").await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        print.generate("a b", &single(1)).await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        before,
        "refused locally"
    );

    let stranger = client(&server, &clock, "someone-else");
    let refused = stranger.templates().await;
    assert!(
        matches!(
            refused,
            Err(Error::Service {
                error: PrintError::Unauthorized,
                ..
            })
        ),
        "{refused:?}"
    );
}
