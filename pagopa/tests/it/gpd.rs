//! The GPD client against abilita-mock's GPD simulator.

use std::sync::Arc;
use std::time::Duration;

use abilita_core::testing::ManualClock;
use abilita_core::{ApiKey, BaseUrl, Error, ErrorClass, EuroCents, Iban, PartitaIva, Transport};
use abilita_mock::gpd::{DEBT_POSITIONS_PATH, GpdSimulator, RECEIPTS_PATH};
use abilita_pagopa::gpd::{
    DebtPosition, Debtor, Direction, GpdClient, GpdError, ListFilter, OptionStatus, OrderBy,
    PaymentOption, PositionStatus, Publish, ReceiptsFilter, Stamp, Transfer, TransferDestination,
};
use abilita_pagopa::{CreditorCode, Iupd, NoticeNumber, SegregationCode};
use time::OffsetDateTime;
use time::macros::datetime;
use wiremock::MockServer;

const KEY: &str = "key-of-the-municipality";
const START: OffsetDateTime = datetime!(2026-11-26 09:00 UTC);

struct Harness {
    server: MockServer,
    clock: ManualClock,
    simulator: GpdSimulator,
    client: GpdClient,
    creditor: PartitaIva,
}

async fn harness() -> Harness {
    harness_with(|builder| builder).await
}

async fn harness_with(
    configure: impl Fn(abilita_core::TransportBuilder) -> abilita_core::TransportBuilder,
) -> Harness {
    let server = MockServer::start().await;
    let clock = ManualClock::new(START);
    let simulator = GpdSimulator::new(Arc::new(clock.clone()));
    simulator.grant(KEY, &["77777777777"], Some(&["01"]));
    simulator.mount(&server).await;
    let client = client_for(&server, &clock, KEY, &configure);
    Harness {
        server,
        clock,
        simulator,
        client,
        creditor: PartitaIva::from_official_test_value("77777777777").unwrap(),
    }
}

fn client_for(
    server: &MockServer,
    clock: &ManualClock,
    key: &str,
    configure: &dyn Fn(abilita_core::TransportBuilder) -> abilita_core::TransportBuilder,
) -> GpdClient {
    let transport = |path: &str| {
        configure(
            Transport::builder(BaseUrl::parse(&format!("{}{path}", server.uri())).unwrap())
                .platform(abilita_pagopa::gpd::PLATFORM)
                .clock(Arc::new(clock.clone())),
        )
        .build()
        .unwrap()
    };
    GpdClient::from_transports(
        transport(DEBT_POSITIONS_PATH),
        transport(RECEIPTS_PATH),
        ApiKey::new(key),
    )
}

fn nav(n: u64) -> NoticeNumber {
    NoticeNumber::from_iuv_base(&SegregationCode::new("01").unwrap(), n).unwrap()
}

fn transfer(id: u8, cents: u64) -> Transfer {
    Transfer {
        id,
        amount: EuroCents::new(cents),
        organization_fiscal_code: None,
        remittance_information: "TARI 2026".into(),
        category: "9/0101100IM/".parse().unwrap(),
        destination: TransferDestination::Account {
            iban: Iban::new("IT60X0542811101000000123456").unwrap(),
            postal_iban: None,
        },
        metadata: vec![],
    }
}

fn position(iupd: &str, n: u64, due: OffsetDateTime) -> DebtPosition {
    DebtPosition {
        iupd: iupd.parse().unwrap(),
        debtor: Debtor::new(&"STTSGT90A01H501J".parse().unwrap(), "Soggetto Settimo"),
        company_name: "Comune di Prova".into(),
        office_name: None,
        validity_date: None,
        switch_to_expired: false,
        pay_stand_in: true,
        payment_options: vec![PaymentOption {
            nav: None,
            iuv: nav(n).iuv(),
            amount: EuroCents::new(12_000),
            description: "TARI 2026".into(),
            is_partial_payment: false,
            due_date: due,
            retention_date: None,
            transfers: vec![transfer(1, 9_000), transfer(2, 3_000)],
            metadata: vec![],
        }],
    }
}

fn due_in(days: i64) -> OffsetDateTime {
    START + time::Duration::days(days)
}

/// A citizen pays, through the simulator's control endpoint.
async fn pay(server: &MockServer, nav: &NoticeNumber) {
    let url = format!(
        "{}/__control/gpd/organizations/77777777777/paymentoptions/{nav}/pay",
        server.uri()
    );
    let response = reqwest::Client::new()
        .post(url)
        .body(r#"{"pspCompany":"Banca Prova"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

fn service_error<T: std::fmt::Debug>(result: Result<T, Error<GpdError>>) -> GpdError {
    match result {
        Err(Error::Service { error, .. }) => error,
        other => panic!("expected a GPD error, got {other:?}"),
    }
}

#[tokio::test]
async fn create_publish_pay_and_read_the_receipt() {
    let h = harness().await;
    let iupd: Iupd = "77777777777-tari-1".parse().unwrap();

    let created = h
        .client
        .create(
            &h.creditor,
            &position(iupd.as_str(), 1, due_in(30)),
            Publish::Later,
        )
        .await
        .unwrap();
    assert_eq!(created.status, PositionStatus::Draft);
    let published = h.client.publish(&h.creditor, &iupd).await.unwrap();
    assert_eq!(
        published.status,
        PositionStatus::Valid,
        "no validity date: payable at once"
    );
    let option = &published.payment_options[0];
    assert_eq!(
        option.nav.as_deref(),
        Some(nav(1).as_str()),
        "GPD's default notice number is 3 + IUV"
    );
    assert_eq!(option.status, OptionStatus::Unpaid);

    pay(&h.server, &nav(1)).await;

    let paid = h.client.get(&h.creditor, &iupd).await.unwrap();
    assert_eq!(paid.status, PositionStatus::Paid);
    assert_eq!(paid.payment_options[0].status, OptionStatus::Paid);
    assert!(paid.payment_options[0].id_receipt.is_some());
    let receipts = h
        .client
        .receipts(&h.creditor, &ReceiptsFilter::default(), 0, 20)
        .await
        .unwrap();
    assert_eq!(receipts.results.len(), 1);
    assert_eq!(receipts.results[0]["iuv"], nav(1).iuv().as_str());
    let xml = h.client.receipt(&h.creditor, &nav(1).iuv()).await.unwrap();
    assert!(
        xml.contains("<paymentAmount>120.00</paymentAmount>"),
        "{xml}"
    );
    assert!(xml.contains(&format!("<noticeNumber>{}</noticeNumber>", nav(1))));

    let error = service_error(h.client.delete(&h.creditor, &iupd).await);
    assert!(
        matches!(error, GpdError::InvalidState { .. }),
        "a paid position cannot be deleted: {error:?}"
    );
}

#[tokio::test]
async fn create_then_invalidate_is_final() {
    let h = harness().await;
    let iupd: Iupd = "77777777777-fine-7".parse().unwrap();
    h.client
        .create(
            &h.creditor,
            &position(iupd.as_str(), 7, due_in(10)),
            Publish::Now,
        )
        .await
        .unwrap();

    let invalid = h.client.invalidate(&h.creditor, &iupd).await.unwrap();
    assert_eq!(invalid.status, PositionStatus::Invalid);
    let again = service_error(h.client.invalidate(&h.creditor, &iupd).await);
    assert!(matches!(again, GpdError::InvalidState { .. }), "{again:?}");
    let update = service_error(
        h.client
            .update(
                &h.creditor,
                &position(iupd.as_str(), 7, due_in(10)),
                Publish::Now,
            )
            .await,
    );
    assert!(
        matches!(update, GpdError::InvalidState { .. }),
        "{update:?}"
    );
}

#[tokio::test]
async fn the_clock_moves_positions_to_valid_and_expired() {
    let h = harness().await;
    let mut later = position("77777777777-later", 2, due_in(20));
    later.validity_date = Some(due_in(5));
    let mut expiring = position("77777777777-expiring", 3, due_in(2));
    expiring.switch_to_expired = true;

    let published = h
        .client
        .create(&h.creditor, &later, Publish::Now)
        .await
        .unwrap();
    assert_eq!(published.status, PositionStatus::Published);
    h.client
        .create(&h.creditor, &expiring, Publish::Now)
        .await
        .unwrap();

    h.clock.advance(time::Duration::days(6));
    assert_eq!(
        h.client.get(&h.creditor, &later.iupd).await.unwrap().status,
        PositionStatus::Valid
    );
    assert_eq!(
        h.client
            .get(&h.creditor, &expiring.iupd)
            .await
            .unwrap()
            .status,
        PositionStatus::Expired
    );

    // An expired position can be updated with a new due date and becomes payable again.
    let mut renewed = expiring.clone();
    renewed.payment_options[0].due_date = h.clock_now() + time::Duration::days(10);
    let renewed = h
        .client
        .update(&h.creditor, &renewed, Publish::Now)
        .await
        .unwrap();
    assert_eq!(renewed.status, PositionStatus::Valid);
}

impl Harness {
    fn clock_now(&self) -> OffsetDateTime {
        abilita_core::Clock::now(&self.clock)
    }
}

#[tokio::test]
async fn a_retried_create_after_a_lost_response_yields_one_position() {
    let h = harness_with(|b| b.request_timeout(Duration::from_millis(300))).await;
    h.simulator.faults().lose_next_responses(1);
    let position = position("77777777777-lost", 4, due_in(30));

    let created = h
        .client
        .create(&h.creditor, &position, Publish::Now)
        .await
        .unwrap();

    assert_eq!(created.iupd, "77777777777-lost");
    assert_eq!(created.status, PositionStatus::Valid);
    assert_eq!(h.simulator.position_count("77777777777"), 1);
}

#[tokio::test]
async fn a_repeated_iupd_with_other_content_is_a_conflict_and_a_reused_iuv_a_duplicate() {
    let h = harness().await;
    h.client
        .create(
            &h.creditor,
            &position("77777777777-a", 5, due_in(30)),
            Publish::Now,
        )
        .await
        .unwrap();
    // Same content again: recognised as already done.
    h.client
        .create(
            &h.creditor,
            &position("77777777777-a", 5, due_in(30)),
            Publish::Now,
        )
        .await
        .unwrap();

    let mut different = position("77777777777-a", 5, due_in(30));
    different.payment_options[0].amount = EuroCents::new(13_000);
    different.payment_options[0].transfers[0].amount = EuroCents::new(10_000);
    assert_eq!(
        service_error(h.client.create(&h.creditor, &different, Publish::Now).await),
        GpdError::ConflictingContent
    );

    let reused_iuv = service_error(
        h.client
            .create(
                &h.creditor,
                &position("77777777777-b", 5, due_in(30)),
                Publish::Now,
            )
            .await,
    );
    assert!(
        matches!(reused_iuv, GpdError::Duplicate { .. }),
        "{reused_iuv:?}"
    );
    // The message says who answered what to which call, GPD's words included.
    let error = h
        .client
        .create(
            &h.creditor,
            &position("77777777777-b", 5, due_in(30)),
            Publish::Now,
        )
        .await
        .unwrap_err();
    let GpdError::Duplicate { detail } = &reused_iuv else {
        unreachable!()
    };
    assert!(!detail.is_empty());
    assert_eq!(
        error.to_string(),
        format!(
            "GPD create debt position: HTTP 409 Conflict: \
             an IUPD, IUV or notice number is already in use: {detail}"
        )
    );
    assert_eq!(h.simulator.position_count("77777777777"), 1);
}

#[tokio::test]
async fn every_error_class_is_typed() {
    let h = harness().await;
    let missing: Iupd = "77777777777-none".parse().unwrap();
    assert!(matches!(
        service_error(h.client.get(&h.creditor, &missing).await),
        GpdError::NotFound { .. }
    ));

    let stranger = client_for(&h.server, &h.clock, "wrong-key", &|b| b);
    assert_eq!(
        service_error(stranger.get(&h.creditor, &missing).await),
        GpdError::Unauthorized
    );

    let other_creditor = PartitaIva::from_official_test_value("88888888888").unwrap();
    assert!(matches!(
        service_error(h.client.get(&other_creditor, &missing).await),
        GpdError::Forbidden { .. }
    ));

    // A segregation code the key was not granted.
    let mut foreign = position("77777777777-foreign", 1, due_in(30));
    foreign.payment_options[0].iuv = NoticeNumber::from_iuv_base(&"02".parse().unwrap(), 1)
        .unwrap()
        .iuv();
    assert!(matches!(
        service_error(h.client.create(&h.creditor, &foreign, Publish::Now).await),
        GpdError::Forbidden { .. }
    ));

    // The simulator's clock is ahead of the client's: GPD refuses the due date.
    let skewed = client_for(
        &h.server,
        &ManualClock::new(START - time::Duration::days(60)),
        KEY,
        &|b| b,
    );
    let stale = position("77777777777-stale", 9, START - time::Duration::days(30));
    let error = service_error(skewed.create(&h.creditor, &stale, Publish::Now).await);
    assert!(
        matches!(&error, GpdError::Validation { detail } if detail.contains("dueDate")),
        "{error:?}"
    );

    h.simulator.faults().throttle_next(10);
    let throttled = h.client.get(&h.creditor, &missing).await.unwrap_err();
    assert_eq!(throttled.service_error(), Some(&GpdError::Throttled));
    assert_eq!(throttled.class(), ErrorClass::Throttling);
    h.simulator.faults().throttle_next(0);

    h.simulator.faults().set_server_error_share(1.0);
    let failed = h.client.get(&h.creditor, &missing).await.unwrap_err();
    assert!(
        matches!(failed.service_error(), Some(GpdError::Server { .. })),
        "{failed:?}"
    );
    assert!(h.clock.sleeps().len() >= 2, "5xx on a GET is retried");
}

#[tokio::test]
async fn local_rules_refuse_before_any_request() {
    let h = harness().await;
    let mut wrong_sum = position("77777777777-sum", 1, due_in(30));
    wrong_sum.payment_options[0].transfers[1].amount = EuroCents::new(2_999);
    let error = h
        .client
        .create(&h.creditor, &wrong_sum, Publish::Now)
        .await
        .unwrap_err();
    let Error::InvalidInput(invalid) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(invalid.field(), "paymentOption[0].amount");

    let mut six = position("77777777777-six", 1, due_in(30));
    six.payment_options[0].transfers = (1..=6).map(|id| transfer(id, 2_000)).collect();
    assert!(matches!(
        h.client.create(&h.creditor, &six, Publish::Now).await,
        Err(Error::InvalidInput(_))
    ));

    let mut past = position("77777777777-past", 1, due_in(-1));
    past.payment_options[0].due_date = START - time::Duration::hours(1);
    assert!(matches!(
        h.client.create(&h.creditor, &past, Publish::Now).await,
        Err(Error::InvalidInput(_))
    ));

    let mut reserved = position("77777777777-meta", 1, due_in(30));
    reserved.payment_options[0].metadata = vec![abilita_pagopa::gpd::Metadata {
        key: "NOTIFICATION_FEE".into(),
        value: "1".into(),
    }];
    assert!(matches!(
        h.client.create(&h.creditor, &reserved, Publish::Now).await,
        Err(Error::InvalidInput(_))
    ));

    let mut bad_stamp = position("77777777777-stamp", 1, due_in(30));
    bad_stamp.payment_options[0].transfers[0].destination = TransferDestination::Stamp {
        stamp: Stamp {
            hash_document: "not base64!".into(),
            stamp_type: "01".into(),
            provincial_residence: "RM".into(),
        },
    };
    assert!(matches!(
        h.client.create(&h.creditor, &bad_stamp, Publish::Now).await,
        Err(Error::InvalidInput(_))
    ));

    // Year 10000 in UTC: refused by name, in create and update, never a panic.
    let mut far = position("77777777777-far", 1, due_in(30));
    far.payment_options[0].due_date = time::macros::datetime!(9999-12-31 23:59:59 -12:00);
    for result in [
        h.client
            .create(&h.creditor, &far, Publish::Now)
            .await
            .map(|_| ()),
        h.client
            .update(&h.creditor, &far, Publish::Later)
            .await
            .map(|_| ()),
    ] {
        let Err(Error::InvalidInput(invalid)) = result else {
            panic!("{result:?}")
        };
        assert_eq!(invalid.field(), "paymentOption[0].dueDate");
    }
    assert_eq!(h.simulator.position_count("77777777777"), 0);
}

#[tokio::test]
async fn values_the_wire_cannot_carry_are_refused_before_any_request() {
    let h = harness().await;
    // GPD counts text in UTF-16 code units: 70 emoji are 140 characters
    // but 140 units, 71 are too many.
    let mut emoji = position("77777777777-emoji", 1, due_in(30));
    emoji.payment_options[0].description = "🧾".repeat(71);
    let Err(Error::InvalidInput(invalid)) =
        h.client.create(&h.creditor, &emoji, Publish::Now).await
    else {
        panic!("71 emoji were sent")
    };
    assert_eq!(invalid.field(), "paymentOption[0].description");
    let reason = abilita_core::ErrorChain(&invalid).to_string();
    assert!(reason.contains("found 142"), "{reason}");
    emoji.payment_options[0].description = "🧾".repeat(70);
    h.client
        .create(&h.creditor, &emoji, Publish::Now)
        .await
        .unwrap();

    let mut huge = position("77777777777-huge", 2, due_in(30));
    let beyond = EuroCents::new(u64::try_from(i64::MAX).unwrap() + 1);
    huge.payment_options[0].amount = beyond;
    huge.payment_options[0].transfers = vec![Transfer {
        amount: beyond,
        ..transfer(1, 1)
    }];
    let Err(Error::InvalidInput(invalid)) = h.client.create(&h.creditor, &huge, Publish::Now).await
    else {
        panic!("an amount beyond int64 was sent")
    };
    assert_eq!(invalid.field(), "paymentOption[0].amount");

    // "é" is two bytes but one character: the spec's stampType is two.
    let mut stamp = position("77777777777-stamp-type", 3, due_in(30));
    stamp.payment_options[0].transfers[0].destination = TransferDestination::Stamp {
        stamp: Stamp {
            hash_document: "aGFzaA==".into(),
            stamp_type: "é".into(),
            provincial_residence: "RM".into(),
        },
    };
    let Err(Error::InvalidInput(invalid)) =
        h.client.create(&h.creditor, &stamp, Publish::Now).await
    else {
        panic!("a one-character stamp type was sent")
    };
    assert_eq!(
        invalid.field(),
        "paymentOption[0].transfer[0].stamp.stampType"
    );

    let sent = h.server.received_requests().await.unwrap().len();
    let day = START.date();
    let refused: Vec<(&str, ListFilter)> = vec![
        (
            "status",
            ListFilter {
                status: Some(PositionStatus::Unknown),
                ..ListFilter::default()
            },
        ),
        (
            "payment_date_from",
            ListFilter {
                due_date_from: Some(day),
                payment_date_from: Some(day),
                ..ListFilter::default()
            },
        ),
        (
            "payment_date_to",
            ListFilter {
                payment_date_from: Some(day),
                payment_date_to: Some(day + time::Duration::days(31)),
                ..ListFilter::default()
            },
        ),
        (
            "due_date_from",
            ListFilter {
                due_date_from: Some(
                    time::Date::from_calendar_date(-1, time::Month::January, 1).unwrap(),
                ),
                ..ListFilter::default()
            },
        ),
    ];
    for (field, filter) in refused {
        let Err(Error::InvalidInput(invalid)) = h.client.list(&h.creditor, &filter, 0, 10).await
        else {
            panic!("{filter:?} was sent")
        };
        assert_eq!(invalid.field(), field);
    }
    let Err(Error::InvalidInput(invalid)) = h
        .client
        .list(&h.creditor, &ListFilter::default(), u32::MAX, 10)
        .await
    else {
        panic!("a page beyond int32 was sent")
    };
    assert_eq!(invalid.field(), "page");
    let Err(Error::InvalidInput(invalid)) = h
        .client
        .receipts(&h.creditor, &ReceiptsFilter::default(), 1 << 31, 10)
        .await
    else {
        panic!("a page beyond int32 was sent")
    };
    assert_eq!(invalid.field(), "pageNum");
    let Err(Error::InvalidInput(invalid)) = h
        .client
        .mark_paid(
            &h.creditor,
            &nav(1),
            time::macros::datetime!(9999-12-31 23:59:59 -12:00),
        )
        .await
    else {
        panic!("year 10000 was sent")
    };
    assert_eq!(invalid.field(), "paymentDate");
    let iban = Iban::new("IT60X0542811101000000123456").unwrap();
    assert!(matches!(
        h.client.move_iban(&h.creditor, &iban, &iban, 1001).await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(h.server.received_requests().await.unwrap().len(), sent);
}

#[tokio::test]
async fn payments_outside_pagopa_iban_moves_and_payment_date_lists() {
    let h = harness().await;
    let info = h.client.info().await.unwrap();
    assert_eq!(info.name, "pagopa-debt-position");

    let first = position("77777777777-counter", 1, due_in(30));
    let second = position("77777777777-online", 2, due_in(30));
    for p in [&first, &second] {
        h.client.create(&h.creditor, p, Publish::Now).await.unwrap();
    }
    let old = Iban::new("IT60X0542811101000000123456").unwrap();
    let new = Iban::new("IT21X0306909606000000123456").unwrap();
    assert_eq!(
        h.client
            .move_iban(&h.creditor, &old, &new, 3)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        h.client
            .move_iban(&h.creditor, &old, &new, 1000)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        h.client
            .move_iban(&h.creditor, &old, &new, 1000)
            .await
            .unwrap(),
        0
    );
    let moved = h.client.get(&h.creditor, &second.iupd).await.unwrap();
    assert!(
        moved.payment_options[0]
            .transfers
            .iter()
            .all(|t| t.iban.as_deref() == Some(new.as_str()))
    );

    h.clock.advance(time::Duration::days(2));
    let paid_at = START + time::Duration::days(1);
    let paid = h
        .client
        .mark_paid(&h.creditor, &nav(1), paid_at)
        .await
        .unwrap();
    assert_eq!(paid.status, OptionStatus::Paid);
    assert_eq!(paid.payment_date, Some(paid_at));
    assert_eq!(paid.id_receipt, None);
    let again = service_error(h.client.mark_paid(&h.creditor, &nav(1), paid_at).await);
    assert!(matches!(again, GpdError::InvalidState { .. }), "{again:?}");
    let unknown = service_error(h.client.mark_paid(&h.creditor, &nav(9), paid_at).await);
    assert!(matches!(unknown, GpdError::NotFound { .. }), "{unknown:?}");

    let paid_that_day = ListFilter {
        payment_date_from: Some(paid_at.date()),
        payment_date_to: Some(paid_at.date()),
        order: Some((OrderBy::Iupd, Direction::Ascending)),
        ..ListFilter::default()
    };
    let page = h
        .client
        .list(&h.creditor, &paid_that_day, 0, 10)
        .await
        .unwrap();
    let iupds: Vec<_> = page
        .payment_position_list
        .iter()
        .map(|p| p.iupd.as_str())
        .collect();
    assert_eq!(iupds, ["77777777777-counter"]);
    let newest_first = ListFilter {
        order: Some((OrderBy::Iupd, Direction::Descending)),
        ..ListFilter::default()
    };
    let page = h
        .client
        .list(&h.creditor, &newest_first, 0, 10)
        .await
        .unwrap();
    let iupds: Vec<_> = page
        .payment_position_list
        .iter()
        .map(|p| p.iupd.as_str())
        .collect();
    assert_eq!(iupds, ["77777777777-online", "77777777777-counter"]);
}

#[tokio::test]
async fn the_builder_serves_a_creditor_whose_fiscal_code_is_no_partita_iva() {
    let h = harness().await;
    // Public bodies' fiscal codes are 11 digits but often not partite IVA.
    let code: CreditorCode = "80012345678".parse().unwrap();
    assert!(CreditorCode::new_strict(code.as_str()).is_err());
    h.simulator
        .grant(KEY, &["77777777777", code.as_str()], Some(&["01"]));
    let iban = Iban::new("IT60X0542811101000000123456").unwrap();
    let category: abilita_pagopa::TaxonomyCode = "9/0101100IM/".parse().unwrap();
    let citizen: abilita_core::CodiceFiscale = "STTSGT90A01H501J".parse().unwrap();
    let position = DebtPosition::new(
        "80012345678-tari".parse().unwrap(),
        Debtor::new(&citizen, "Soggetto Settimo"),
        "Comune di Prova",
        PaymentOption::to_account(
            nav(21).iuv(),
            EuroCents::new(6_000),
            "TARI, rata 1",
            due_in(30),
            iban.clone(),
            category.clone(),
        )
        .installment(),
    )
    .with_option(
        PaymentOption::to_account(
            nav(22).iuv(),
            EuroCents::new(6_000),
            "TARI, rata 2",
            due_in(60),
            iban.clone(),
            category,
        )
        .installment(),
    )
    .office("Ufficio Tributi");
    let created = h
        .client
        .create(&code, &position, Publish::Now)
        .await
        .unwrap();
    assert_eq!(created.status, PositionStatus::Valid);
    assert_eq!(created.creditor(), Some(Ok(code.clone())));
    assert_eq!(created.debtor(), Some(Ok(citizen)));
    let first = &created.payment_options[0];
    assert_eq!(first.notice_number().unwrap(), nav(21));
    assert_eq!(first.typed_iuv().unwrap(), nav(21).iuv());
    assert_eq!(first.transfers[0].account(), Some(Ok(iban)));
    assert_eq!(first.is_partial_payment, Some(true));
    assert_eq!(created.payment_options.len(), 2);
    let read = h.client.get(&code, &position.iupd).await.unwrap();
    assert_eq!(read.company_name.as_deref(), Some("Comune di Prova"));
}

#[tokio::test]
async fn a_stamp_transfer_is_accepted_by_the_simulator() {
    let h = harness().await;
    let mut stamped = position("77777777777-bollo", 11, due_in(30));
    stamped.payment_options[0].transfers[1].destination = TransferDestination::Stamp {
        stamp: Stamp {
            hash_document: "wHpFSLCGZjIvNSXxqtGbxg7275t446DRTk5ZrsdUQ6E=".into(),
            stamp_type: "01".into(),
            provincial_residence: "RM".into(),
        },
    };
    let created = h
        .client
        .create(&h.creditor, &stamped, Publish::Now)
        .await
        .unwrap();
    assert_eq!(
        created.payment_options[0].transfers[1]
            .stamp
            .as_ref()
            .unwrap()
            .provincial_residence,
        "RM"
    );
}

#[tokio::test]
async fn listing_splits_long_ranges_into_windows_and_pages() {
    let h = harness().await;
    for n in 0..120u64 {
        let due = due_in(1 + i64::try_from(n).unwrap() / 2); // two a day over 60 days
        h.client
            .create(
                &h.creditor,
                &position(&format!("77777777777-{n}"), 100 + n, due),
                Publish::Now,
            )
            .await
            .unwrap();
    }
    let from = START.date();
    let all = h
        .client
        .list_due_between(&h.creditor, from, from + time::Duration::days(90), None)
        .await
        .unwrap();
    assert_eq!(all.len(), 120);
    let mut iupds: Vec<_> = all.iter().map(|p| p.iupd.clone()).collect();
    iupds.sort();
    iupds.dedup();
    assert_eq!(
        iupds.len(),
        120,
        "no position twice across windows or pages"
    );

    let too_wide = ListFilter {
        due_date_from: Some(from),
        due_date_to: Some(from + time::Duration::days(31)),
        ..ListFilter::default()
    };
    assert!(matches!(
        h.client.list(&h.creditor, &too_wide, 0, 50).await,
        Err(Error::InvalidInput(_))
    ));
    let page = h
        .client
        .list(
            &h.creditor,
            &ListFilter {
                status: Some(PositionStatus::Valid),
                ..ListFilter::default()
            },
            1,
            50,
        )
        .await;
    let page = page.unwrap();
    assert_eq!(
        (
            page.page_info.page,
            page.page_info.items_found,
            page.payment_position_list.len()
        ),
        (1, 120, 50)
    );
}

#[tokio::test]
async fn a_draft_can_be_updated_and_deleted() {
    let h = harness().await;
    let mut draft = position("77777777777-draft", 12, due_in(30));
    h.client
        .create(&h.creditor, &draft, Publish::Later)
        .await
        .unwrap();
    draft.company_name = "Comune di Prova – Tributi".into();
    let updated = h
        .client
        .update(&h.creditor, &draft, Publish::Later)
        .await
        .unwrap();
    assert_eq!(
        updated.company_name.as_deref(),
        Some("Comune di Prova – Tributi")
    );
    assert_eq!(updated.status, PositionStatus::Draft);
    h.client.delete(&h.creditor, &draft.iupd).await.unwrap();
    assert_eq!(h.simulator.position_count("77777777777"), 0);
}

mod v3 {
    use super::*;
    use abilita_pagopa::gpd::{
        DebtPositionV3, Installment, InstallmentPlan, InstallmentStatus, PositionStatusV3, Publish,
    };

    fn installment(n: u64, days: i64) -> Installment {
        Installment {
            nav: None,
            iuv: nav(n).iuv(),
            amount: EuroCents::new(4_000),
            description: format!("rata {n}"),
            due_date: due_in(days),
            transfers: vec![transfer(1, 4_000)],
            metadata: vec![],
        }
    }

    fn plan(installments: Vec<Installment>) -> InstallmentPlan {
        InstallmentPlan {
            description: Some("TARI 2026".into()),
            validity_date: None,
            retention_date: None,
            switch_to_expired: false,
            debtor: Debtor::new(&"STTSGT90A01H501J".parse().unwrap(), "Soggetto Settimo"),
            installments,
        }
    }

    /// A single payment of 120 €, or three installments of 40 €.
    fn single_or_three(iupd: &str) -> DebtPositionV3 {
        let mut single = installment(200, 30);
        single.amount = EuroCents::new(12_000);
        single.transfers = vec![transfer(1, 9_000), transfer(2, 3_000)];
        DebtPositionV3 {
            iupd: iupd.parse().unwrap(),
            company_name: "Comune di Prova".into(),
            office_name: None,
            pay_stand_in: true,
            payment_options: vec![
                plan(vec![single]),
                plan(vec![
                    installment(201, 30),
                    installment(202, 60),
                    installment(203, 90),
                ]),
            ],
        }
    }

    #[tokio::test]
    async fn installment_plans_are_created_paid_and_exclusive() {
        let h = harness().await;
        let position = single_or_three("77777777777-v3");
        let created = h
            .client
            .create_v3(&h.creditor, &position, Publish::Now)
            .await
            .unwrap();
        assert_eq!(created.status, PositionStatusV3::Valid);
        assert_eq!(created.payment_options.len(), 2);
        assert_eq!(created.payment_options[1].installments.len(), 3);
        // Resending the same create is recognised as done.
        h.client
            .create_v3(&h.creditor, &position, Publish::Now)
            .await
            .unwrap();

        pay(&h.server, &nav(201)).await;
        let partial = h.client.get_v3(&h.creditor, &position.iupd).await.unwrap();
        assert_eq!(partial.status, PositionStatusV3::PartiallyPaid);
        assert_eq!(
            partial.payment_options[0].installments[0].status,
            InstallmentStatus::Unpayable,
            "the single payment is no longer an option"
        );
        assert_eq!(
            partial.payment_options[1].installments[0].status,
            InstallmentStatus::Paid
        );

        let url = format!(
            "{}/__control/gpd/organizations/77777777777/paymentoptions/{}/pay",
            h.server.uri(),
            nav(200)
        );
        assert_eq!(
            reqwest::Client::new()
                .post(url)
                .send()
                .await
                .unwrap()
                .status(),
            422
        );

        pay(&h.server, &nav(202)).await;
        pay(&h.server, &nav(203)).await;
        assert_eq!(
            h.client
                .get_v3(&h.creditor, &position.iupd)
                .await
                .unwrap()
                .status,
            PositionStatusV3::Paid
        );
    }

    #[tokio::test]
    async fn several_installment_plans_cannot_be_read_through_v1() {
        let h = harness().await;
        let position = DebtPositionV3 {
            payment_options: vec![
                plan(vec![installment(300, 30), installment(301, 60)]),
                plan(vec![installment(302, 30), installment(303, 45)]),
            ],
            ..single_or_three("77777777777-two-plans")
        };
        h.client
            .create_v3(&h.creditor, &position, Publish::Later)
            .await
            .unwrap();
        let published = h
            .client
            .publish_v3(&h.creditor, &position.iupd)
            .await
            .unwrap();
        assert_eq!(published.status, PositionStatusV3::Valid);
        let error = service_error(h.client.get(&h.creditor, &position.iupd).await);
        assert!(
            matches!(&error, GpdError::NeedsV3 { detail } if detail.contains("v3")),
            "{error:?}"
        );
        assert!(error.to_string().contains("only v3 handles"), "{error}");
        let page = h
            .client
            .list_v3(&h.creditor, &ListFilter::default(), 0, 10)
            .await
            .unwrap();
        assert_eq!(page.payment_position_list.len(), 1);
        // v3's own states filter the v3 list.
        let valid = ListFilter {
            status: Some(PositionStatusV3::Valid),
            ..ListFilter::default()
        };
        let unpayable = ListFilter {
            status: Some(PositionStatusV3::Unpayable),
            ..ListFilter::default()
        };
        assert_eq!(
            h.client
                .list_v3(&h.creditor, &valid, 0, 10)
                .await
                .unwrap()
                .payment_position_list
                .len(),
            1
        );
        assert!(
            h.client
                .list_v3(&h.creditor, &unpayable, 0, 10)
                .await
                .unwrap()
                .payment_position_list
                .is_empty()
        );
        // v1 cannot delete it; v3 can.
        let error = service_error(h.client.delete(&h.creditor, &position.iupd).await);
        assert!(matches!(error, GpdError::NeedsV3 { .. }), "{error:?}");
        h.client
            .delete_v3(&h.creditor, &position.iupd)
            .await
            .unwrap();
        assert_eq!(h.simulator.position_count("77777777777"), 0);
    }

    #[tokio::test]
    async fn v3_rules_are_checked_locally_with_the_json_path() {
        let h = harness().await;
        let mut position = single_or_three("77777777777-bad-v3");
        position.payment_options[1].installments[2].amount = EuroCents::new(4_001);
        let error = h
            .client
            .create_v3(&h.creditor, &position, Publish::Now)
            .await
            .unwrap_err();
        let Error::InvalidInput(invalid) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(invalid.field(), "paymentOption[1].installments[2].amount");

        let mut repeated = single_or_three("77777777777-dup-iuv");
        repeated.payment_options[1].installments[0].iuv = nav(200).iuv();
        let error = h
            .client
            .create_v3(&h.creditor, &repeated, Publish::Now)
            .await
            .unwrap_err();
        let Error::InvalidInput(invalid) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(invalid.field(), "paymentOption[1].installments[0].iuv");
        assert_eq!(h.simulator.position_count("77777777777"), 0);

        let mut updated = single_or_three("77777777777-upd");
        h.client
            .create_v3(&h.creditor, &updated, Publish::Later)
            .await
            .unwrap();
        updated.payment_options.truncate(1);
        let after = h
            .client
            .update_v3(&h.creditor, &updated, Publish::Now)
            .await
            .unwrap();
        assert_eq!(
            (after.status, after.payment_options.len()),
            (PositionStatusV3::Valid, 1)
        );
    }
}
