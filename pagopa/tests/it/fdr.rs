//! Reporting flows and reconciliation against abilita-mock's GPD and FdR
//! simulators, served together as pagoPA serves them: positions paid on
//! GPD, reported by a PSP in a flow, read with the creditor's cursor, and
//! matched to GPD's paid options.

use std::sync::Arc;

use abilita_core::testing::ManualClock;
use abilita_core::{ApiKey, BaseUrl, Clock, Error, EuroCents, Iban, PartitaIva, Transport};
use abilita_mock::fdr::{FDR_PATH, FdrSimulator, FlowPayment, PayStatus as SimStatus};
use abilita_mock::gpd::{DEBT_POSITIONS_PATH, GpdSimulator, RECEIPTS_PATH};
use abilita_pagopa::fdr::{Cursor, FdrClient, FdrError, FlowFilter, FlowRef, PayStatus};
use abilita_pagopa::gpd::{
    DebtPosition, Debtor, GpdClient, ListFilter, PaymentOption, PositionStatus, Publish, Transfer,
    TransferDestination,
};
use abilita_pagopa::reconcile::{CSV_HEADER, PaidTransfer, Reconciler, Report};
use abilita_pagopa::{CreditorCode, NoticeNumber, SegregationCode};
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime};
use wiremock::MockServer;

const KEY: &str = "key-of-the-municipality";
const CREDITOR: &str = "77777777777";
const PSP: &str = "88888888888";
const START: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);

struct Platform {
    server: MockServer,
    clock: ManualClock,
    gpd_simulator: GpdSimulator,
    fdr_simulator: FdrSimulator,
    gpd: GpdClient,
    fdr: FdrClient,
    creditor: PartitaIva,
}

async fn platform() -> Platform {
    let server = MockServer::start().await;
    let clock = ManualClock::new(START);
    let gpd_simulator = GpdSimulator::new(Arc::new(clock.clone()));
    gpd_simulator.grant(KEY, &[CREDITOR], None);
    gpd_simulator.mount(&server).await;
    let fdr_simulator = FdrSimulator::new(Arc::new(clock.clone()));
    fdr_simulator.grant(KEY, &[CREDITOR]);
    fdr_simulator.mount(&server).await;
    let transport = |path: &str, platform: &'static str| {
        Transport::builder(BaseUrl::parse(&format!("{}{path}", server.uri())).unwrap())
            .platform(platform)
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap()
    };
    let gpd = GpdClient::from_transports(
        transport(DEBT_POSITIONS_PATH, abilita_pagopa::gpd::PLATFORM),
        transport(RECEIPTS_PATH, abilita_pagopa::gpd::PLATFORM),
        ApiKey::new(KEY),
    );
    let fdr = FdrClient::from_transport(
        transport(FDR_PATH, abilita_pagopa::fdr::PLATFORM),
        ApiKey::new(KEY),
    );
    Platform {
        server,
        clock,
        gpd_simulator,
        fdr_simulator,
        gpd,
        fdr,
        creditor: PartitaIva::from_official_test_value(CREDITOR).unwrap(),
    }
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

/// A published position of 120 € in two transfers (90 € and 30 €).
async fn issue(p: &Platform, n: u64) {
    let position = DebtPosition::new(
        format!("77777777777-tari-{n}").parse().unwrap(),
        Debtor::new(&"STTSGT90A01H501J".parse().unwrap(), "Soggetto Settimo"),
        "Comune di Prova",
        PaymentOption {
            transfers: vec![transfer(1, 9_000), transfer(2, 3_000)],
            ..PaymentOption::to_account(
                nav(n).iuv(),
                EuroCents::new(12_000),
                "TARI 2026",
                START + Duration::days(60),
                Iban::new("IT60X0542811101000000123456").unwrap(),
                "9/0101100IM/".parse().unwrap(),
            )
        },
    );
    p.gpd
        .create(&p.creditor, &position, Publish::Now)
        .await
        .unwrap();
}

fn pay(p: &Platform, n: u64) {
    p.gpd_simulator
        .pay_option(CREDITOR, nav(n).as_str(), "Banca Prova")
        .unwrap();
}

/// The creditor's side: every transfer GPD shows paid through pagoPA.
async fn paid_on_gpd(p: &Platform) -> Vec<PaidTransfer> {
    let code = CreditorCode::new(CREDITOR).unwrap();
    let filter = ListFilter {
        status: Some(PositionStatus::Paid),
        ..ListFilter::default()
    };
    let page = p.gpd.list(&p.creditor, &filter, 0, 50).await.unwrap();
    page.payment_position_list
        .iter()
        .flat_map(|position| &position.payment_options)
        .flat_map(|option| PaidTransfer::from_gpd_option(option, &code))
        .collect()
}

/// What a daily job does: reads every flow the cursor has not, adds it to
/// `reconciler`, marks it read. The flows read.
async fn read_new_flows(
    p: &Platform,
    cursor: &mut Cursor,
    reconciler: &mut Reconciler,
) -> Vec<FlowRef> {
    let mut read = Vec::new();
    for flow in p.fdr.unread(&p.creditor, cursor).await.unwrap() {
        let payments = p
            .fdr
            .all_payments(&p.creditor, &flow.flow_ref())
            .await
            .unwrap();
        reconciler.add_flow(&flow.flow_ref(), payments);
        cursor.mark_read(&flow);
        read.push(flow.flow_ref());
    }
    read
}

async fn report_of(
    p: &Platform,
    flows: &[(FlowRef, Vec<abilita_pagopa::fdr::ReportedPayment>)],
    today: Date,
) -> Report {
    let mut reconciler = Reconciler::new();
    for (flow, payments) in flows {
        reconciler.add_flow(flow, payments.clone());
    }
    reconciler.add_paid(paid_on_gpd(p).await);
    reconciler.report(today)
}

#[tokio::test]
async fn a_day_of_payments_reconciles_to_the_cent_then_a_revision_a_duplicate_and_a_late_psp_show()
{
    let p = platform().await;
    for n in 1..=6 {
        issue(&p, n).await;
    }
    let day = START.date();
    for n in 1..=5 {
        pay(&p, n);
    }

    // D+2: the PSP reports the day.
    p.clock.advance(Duration::days(2));
    let first = FdrSimulator::flow_id(p.clock.now().date(), PSP, 1);
    assert_eq!(
        p.fdr_simulator
            .report_gpd_payments(&p.gpd_simulator, CREDITOR, PSP, &first, day)
            .unwrap(),
        1
    );
    let mut cursor = Cursor::new();
    let mut reconciler = Reconciler::new();
    let read = read_new_flows(&p, &mut cursor, &mut reconciler).await;
    assert_eq!(read.len(), 1);
    let header = p.fdr.flow(&p.creditor, &read[0]).await.unwrap();
    assert_eq!(header.tot_payments, 10);
    assert_eq!(header.sum_payments, EuroCents::new(5 * 12_000));
    assert_eq!(header.receiver.organization_id, CREDITOR);
    reconciler.add_paid(paid_on_gpd(&p).await);
    let report = reconciler.report(p.clock.now().date());
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(
        report.reconciled.len(),
        10,
        "five payments of two transfers"
    );

    // The PSP revises the flow: one transfer's amount changes.
    let mut revised = p.fdr_simulator.latest_payments(PSP, &first).unwrap();
    let changed = revised
        .iter_mut()
        .find(|x| x.iuv == nav(2).iuv().as_str() && x.transfer == 1)
        .unwrap();
    changed.cents -= 100;
    assert_eq!(
        p.fdr_simulator
            .publish(CREDITOR, PSP, &first, revised)
            .unwrap(),
        2
    );
    // A second PSP flow reports a payment the first already did.
    let second = FdrSimulator::flow_id(p.clock.now().date(), PSP, 2);
    let again = p
        .fdr_simulator
        .latest_payments(PSP, &first)
        .unwrap()
        .into_iter()
        .find(|x| x.iuv == nav(3).iuv().as_str())
        .unwrap();
    p.fdr_simulator
        .publish(CREDITOR, PSP, &second, vec![again])
        .unwrap();
    // A sixth notice is paid today and no PSP reports it.
    pay(&p, 6);

    let mut next = Reconciler::new();
    let read = read_new_flows(&p, &mut cursor, &mut next).await;
    assert_eq!(
        read.iter()
            .map(|f| (f.fdr.as_str(), f.revision))
            .collect::<Vec<_>>(),
        vec![(first.as_str(), 2), (second.as_str(), 1)],
        "the revision and the new flow, nothing read before"
    );

    // The whole picture: both revisions of the first flow (the later one
    // counts) and the second flow.
    let mut flows = Vec::new();
    for flow in [
        FlowRef {
            psp_id: PSP.into(),
            fdr: first.clone(),
            revision: 1,
        },
        FlowRef {
            psp_id: PSP.into(),
            fdr: first.clone(),
            revision: 2,
        },
        FlowRef {
            psp_id: PSP.into(),
            fdr: second.clone(),
            revision: 1,
        },
    ] {
        let payments = p.fdr.all_payments(&p.creditor, &flow).await.unwrap();
        flows.push((flow, payments));
    }
    let today = p.clock.now().date();
    let report = report_of(&p, &flows, today).await;
    assert_eq!(report.reconciled.len(), 9);
    assert_eq!(report.mismatched.len(), 1);
    let mismatch = &report.mismatched[0];
    assert_eq!(mismatch.reported.payment.iuv, nav(2).iuv().as_str());
    assert_eq!(mismatch.reported.payment.amount, EuroCents::new(8_900));
    assert_eq!(mismatch.paid.amount, EuroCents::new(9_000));
    assert_eq!(mismatch.reported.flow.revision, 2);
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(
        report.duplicates[0].flow.fdr, second,
        "the first flow's report counts"
    );
    assert_eq!(report.awaiting.len(), 2, "paid today: not late yet");
    assert!(report.unreported.is_empty() && report.unknown.is_empty());

    // Three days on, the sixth payment's PSP is late.
    let later = report_of(&p, &flows, today + Duration::days(3)).await;
    assert_eq!(later.unreported.len(), 2);
    assert!(later.awaiting.is_empty());
    assert!(
        later
            .unreported
            .iter()
            .all(|t| t.iuv == nav(6).iuv().as_str())
    );

    let csv = later.to_csv();
    let mut lines = csv.split("\r\n");
    assert_eq!(lines.next(), Some(CSV_HEADER));
    let mismatch_line = csv
        .lines()
        .find(|l| l.starts_with("amount_mismatch,"))
        .unwrap();
    assert!(
        mismatch_line.contains(&format!(",{},", nav(2).iuv()))
            && mismatch_line.contains(",89.00,90.00,"),
        "{mismatch_line}"
    );
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("unreported,")).count(),
        2
    );
    assert_eq!(csv.lines().count(), 1 + 9 + 1 + 1 + 2);
}

#[tokio::test]
async fn the_cursor_reads_each_revision_once_across_runs_and_survives_json() {
    let p = platform().await;
    let payment = |n: u64| FlowPayment {
        iuv: nav(n).iuv().to_string(),
        iur: format!("receipt-{n}"),
        transfer: 1,
        cents: 1_000,
        status: SimStatus::Executed,
        paid_at: START,
    };
    p.fdr_simulator
        .publish(CREDITOR, PSP, "flow-a", vec![payment(1)])
        .unwrap();
    let mut cursor = Cursor::new();
    let unread = p.fdr.unread(&p.creditor, &cursor).await.unwrap();
    assert_eq!(unread.len(), 1);
    cursor.mark_read(&unread[0]);

    let saved = serde_json::to_string(&cursor).unwrap();
    let mut cursor: Cursor = serde_json::from_str(&saved).unwrap();
    p.clock.advance(Duration::minutes(5));
    assert!(
        p.fdr.unread(&p.creditor, &cursor).await.unwrap().is_empty(),
        "nothing new"
    );

    p.fdr_simulator
        .publish(CREDITOR, PSP, "flow-a", vec![payment(1), payment(2)])
        .unwrap();
    p.fdr_simulator
        .publish(CREDITOR, PSP, "flow-b", vec![payment(3)])
        .unwrap();
    let unread = p.fdr.unread(&p.creditor, &cursor).await.unwrap();
    assert_eq!(
        unread
            .iter()
            .map(|f| (f.fdr.as_str(), f.revision))
            .collect::<Vec<_>>(),
        vec![("flow-a", 2), ("flow-b", 1)]
    );
    for flow in &unread {
        cursor.mark_read(flow);
    }
    assert!(p.fdr.unread(&p.creditor, &cursor).await.unwrap().is_empty());

    // A month on, FdR lists none of them and the cursor forgets them.
    p.clock.advance(Duration::days(31));
    cursor.prune(p.clock.now());
    assert!(cursor.is_empty());
    assert!(p.fdr.unread(&p.creditor, &cursor).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_large_flow_is_read_page_after_page() {
    let p = platform().await;
    let payments: Vec<FlowPayment> = (1..=2_500u64)
        .map(|n| FlowPayment {
            iuv: format!("{n:017}"),
            iur: format!("receipt-{n}"),
            transfer: 1,
            cents: n,
            status: if n % 100 == 0 {
                SimStatus::Revoked
            } else {
                SimStatus::Executed
            },
            paid_at: START,
        })
        .collect();
    p.fdr_simulator
        .publish(CREDITOR, PSP, "big-flow", payments)
        .unwrap();
    let flow = FlowRef {
        psp_id: PSP.into(),
        fdr: "big-flow".into(),
        revision: 1,
    };
    let read = p.fdr.all_payments(&p.creditor, &flow).await.unwrap();
    assert_eq!(read.len(), 2_500);
    assert!(
        read.iter()
            .enumerate()
            .all(|(i, x)| x.index == i as u64 + 1 && u64::from(x.amount) == x.index)
    );
    assert_eq!(
        read.iter()
            .filter(|x| x.status == PayStatus::Revoked)
            .count(),
        25
    );
    let page = p.fdr.payments(&p.creditor, &flow, 3, 1_000).await.unwrap();
    assert_eq!(
        (page.number, page.total_pages, page.items.len()),
        (3, 3, 500)
    );
}

#[tokio::test]
async fn fdr_errors_are_typed_with_the_platforms_code_and_bad_input_never_leaves() {
    let p = platform().await;
    let missing = FlowRef {
        psp_id: PSP.into(),
        fdr: "no-such-flow".into(),
        revision: 1,
    };
    match p.fdr.flow(&p.creditor, &missing).await {
        Err(Error::Service {
            error: FdrError::NotFound { code, detail },
            ..
        }) => {
            assert_eq!(code, "FDR-3001");
            assert!(detail.contains("no-such-flow"), "{detail}");
        }
        other => panic!("expected FdR's 404, got {other:?}"),
    }
    let before = p.server.received_requests().await.unwrap().len();
    for bad in [
        p.fdr
            .flows(&p.creditor, &FlowFilter::default(), 0, 10)
            .await
            .map(|_| ()),
        p.fdr
            .flows(&p.creditor, &FlowFilter::default(), 1, 1_001)
            .await
            .map(|_| ()),
        p.fdr
            .flows(
                &p.creditor,
                &FlowFilter {
                    psp_id: Some("x".repeat(36)),
                    ..FlowFilter::default()
                },
                1,
                10,
            )
            .await
            .map(|_| ()),
        p.fdr
            .flow(
                &p.creditor,
                &FlowRef {
                    revision: 0,
                    ..missing.clone()
                },
            )
            .await
            .map(|_| ()),
    ] {
        assert!(matches!(bad, Err(Error::InvalidInput(_))), "{bad:?}");
    }
    assert_eq!(
        p.server.received_requests().await.unwrap().len(),
        before,
        "refused locally"
    );

    let stranger = FdrClient::from_transport(
        Transport::builder(BaseUrl::parse(&format!("{}{FDR_PATH}", p.server.uri())).unwrap())
            .platform(abilita_pagopa::fdr::PLATFORM)
            .build()
            .unwrap(),
        ApiKey::new("someone-else"),
    );
    let refused = stranger
        .flows(&p.creditor, &FlowFilter::default(), 1, 10)
        .await;
    assert!(
        matches!(
            refused,
            Err(Error::Service {
                error: FdrError::Unauthorized,
                ..
            })
        ),
        "{refused:?}"
    );
    let message = refused.unwrap_err().to_string();
    assert!(
        message.contains("FdR") && message.contains("list reporting flows"),
        "{message}"
    );
}

#[tokio::test]
async fn a_server_that_never_names_a_last_page_cannot_keep_the_client_reading() {
    let server = MockServer::start().await;
    let page = |data: serde_json::Value| {
        wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "metadata": { "pageSize": 1000, "pageNumber": 1, "totPage": 4_000_000_000u64 },
            "count": 1,
            "data": data,
        }))
    };
    wiremock::Mock::given(wiremock::matchers::path_regex("/fdrs$"))
        .respond_with(page(serde_json::json!([])))
        .mount(&server)
        .await;
    wiremock::Mock::given(wiremock::matchers::path_regex("/payments$"))
        .respond_with(page(serde_json::json!([{
            "index": 1, "iuv": "01000000000000101", "iur": "r", "idTransfer": 1,
            "pay": 1.5, "payStatus": "EXECUTED", "payDate": "2026-11-29T10:00:00Z"
        }])))
        .mount(&server)
        .await;
    let fdr = FdrClient::from_transport(
        Transport::builder(BaseUrl::parse(&server.uri()).unwrap())
            .build()
            .unwrap(),
        ApiKey::new(KEY),
    );
    let creditor = PartitaIva::from_official_test_value(CREDITOR).unwrap();
    let flows = fdr
        .all_flows(&creditor, &FlowFilter::default())
        .await
        .unwrap();
    assert!(flows.is_empty());
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "an empty page is the last"
    );

    let flow = FlowRef {
        psp_id: PSP.into(),
        fdr: "endless".into(),
        revision: 1,
    };
    let endless = fdr.all_payments(&creditor, &flow).await;
    assert!(
        matches!(&endless, Err(Error::InvalidInput(e)) if e.field() == "page"),
        "{endless:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1 + abilita_pagopa::fdr::MAX_PAGES as usize
    );
}
