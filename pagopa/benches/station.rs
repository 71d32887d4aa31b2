//! The station's cost, two ways.
//!
//! 1. Per message: `Station::handle` on a verify, an activation (V2) and a
//!    receipt (V2, acknowledged again each time, so the store does not
//!    grow) against parsing the same bytes with `roxmltree` alone, the
//!    floor any reader pays. Target: the station within 3x of that floor.
//! 2. Throughput: whole payments (verify, activate, receipt over HTTP)
//!    from abilita-mock's Nodo simulator into the station served by axum
//!    on loopback, 16 at a time.
//!
//! Run with `cargo bench -p abilita-pagopa --bench station`. The figures
//! are printed, never asserted.

// A benchmark reports to stdout and may stop at the first broken assumption.
#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use abilita_core::{EuroCents, Iban};
use abilita_mock::nodo::{NodoSimulator, StationIds, Twist};
use abilita_pagopa::gpd::{DebtPosition, Debtor, PaymentOption};
use abilita_pagopa::station::{
    Holding, MemoryDebts, SoapRequest, Standing, Station, StationConfig,
};
use abilita_pagopa::{CreditorCode, NoticeNumber, SegregationCode};
use time::OffsetDateTime;
use time::macros::datetime;

const EC: &str = "77777777777";
const STATION: &str = "77777777777_01";
const ITERATIONS: u32 = 4_000;
const ROUNDS: u32 = 25;
const PAYMENTS: u64 = 2_000;
const CONCURRENCY: usize = 16;
const NOW: OffsetDateTime = datetime!(2026-06-01 10:00 UTC);

fn nav(n: u64) -> NoticeNumber {
    NoticeNumber::from_iuv_base(&SegregationCode::new("02").unwrap(), n).unwrap()
}

fn position(n: u64) -> DebtPosition {
    DebtPosition::new(
        format!("IUPD-{n}").parse().unwrap(),
        Debtor::new(&"RSSMRA80A01H501U".parse().unwrap(), "Mario Rossi"),
        "Comune di Prova",
        PaymentOption::to_account(
            nav(n).iuv(),
            EuroCents::new(12_000),
            "TARI 2026",
            datetime!(2026-07-31 00:00 UTC),
            Iban::new("IT60X0542811101000000123456").unwrap(),
            "9/0101100IM/".parse().unwrap(),
        ),
    )
}

fn station(debts: Arc<MemoryDebts>) -> Station {
    let creditor: CreditorCode = EC.parse().unwrap();
    Station::new(
        StationConfig::new(EC, STATION, vec![creditor]).unwrap(),
        debts,
    )
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:paf="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

fn messages(notice: &NoticeNumber) -> [(&'static str, String); 3] {
    let ids =
        format!("<idPA>{EC}</idPA><idBrokerPA>{EC}</idBrokerPA><idStation>{STATION}</idStation>");
    let qr = format!(
        "<qrCode><fiscalCode>{EC}</fiscalCode><noticeNumber>{}</noticeNumber></qrCode>",
        notice.as_str()
    );
    let subject = "<uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType><entityUniqueIdentifierValue>RSSMRA80A01H501U</entityUniqueIdentifierValue></uniqueIdentifier><fullName>Mario Rossi</fullName>";
    let receipt = format!(
        "<paf:paSendRTV2Request>{ids}<receipt><receiptId>c0ffee00c0ffee00c0ffee00c0ffee00</receiptId><noticeNumber>{}</noticeNumber><fiscalCode>{EC}</fiscalCode><outcome>OK</outcome><creditorReferenceId>{}</creditorReferenceId><paymentAmount>120.00</paymentAmount><description>TARI 2026</description><companyName>Comune di Prova</companyName><debtor>{subject}</debtor><transferList><transfer><idTransfer>1</idTransfer><transferAmount>120.00</transferAmount><fiscalCodePA>{EC}</fiscalCodePA><IBAN>IT60X0542811101000000123456</IBAN><remittanceInformation>TARI 2026</remittanceInformation><transferCategory>9/0101100IM/</transferCategory></transfer></transferList><idPSP>60000000001</idPSP><PSPCompanyName>PSP</PSPCompanyName><idChannel>60000000001_01</idChannel><channelDescription>app</channelDescription><paymentMethod>creditCard</paymentMethod><fee>1.00</fee><paymentDateTime>2026-06-01T12:00:00</paymentDateTime><applicationDate>2026-06-01</applicationDate><transferDate>2026-06-02</transferDate></receipt></paf:paSendRTV2Request>",
        notice.as_str(),
        notice.iuv().as_str()
    );
    [
        (
            "paVerifyPaymentNotice",
            envelope(&format!(
                "<paf:paVerifyPaymentNoticeReq>{ids}{qr}</paf:paVerifyPaymentNoticeReq>"
            )),
        ),
        (
            "paGetPaymentV2",
            envelope(&format!(
                "<paf:paGetPaymentV2Request>{ids}{qr}<amount>120.00</amount></paf:paGetPaymentV2Request>"
            )),
        ),
        ("paSendRTV2", envelope(&receipt)),
    ]
}

fn per_message() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let debts = Arc::new(MemoryDebts::new());
    debts.insert(
        &EC.parse().unwrap(),
        Holding::new(position(1), Standing::Issued),
    );
    let station = station(debts);
    println!("per message ({ITERATIONS} each, best of {ROUNDS} rounds):");
    // `cargo bench … -- NAME` keeps the messages whose action contains NAME.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for (action, body) in messages(&nav(1)) {
        if !only.is_empty() && !only.iter().any(|o| action.contains(o.as_str())) {
            continue;
        }
        // The receipt is stored once here; the timed sends acknowledge it again.
        let first = runtime.block_on(station.handle(
            SoapRequest::new(body.as_bytes()).soap_action(Some(action)),
            NOW,
        ));
        assert!(
            first.body().contains("<outcome>OK</outcome>"),
            "{}",
            first.body()
        );
        let (mut floor, mut hardened, mut ours) = (Duration::MAX, Duration::MAX, Duration::MAX);
        for _ in 0..ROUNDS {
            let started = Instant::now();
            for _ in 0..ITERATIONS {
                let document = roxmltree::Document::parse(std::hint::black_box(&body)).unwrap();
                std::hint::black_box(document.root_element());
            }
            floor = floor.min(started.elapsed());
            let started = Instant::now();
            for _ in 0..ITERATIONS {
                let document = abilita_core::xml::parse(std::hint::black_box(&body)).unwrap();
                std::hint::black_box(document.root_element());
            }
            hardened = hardened.min(started.elapsed());
            let started = Instant::now();
            for _ in 0..ITERATIONS {
                let request = SoapRequest::new(std::hint::black_box(body.as_bytes()))
                    .soap_action(Some(action));
                std::hint::black_box(runtime.block_on(station.handle(request, NOW)));
            }
            ours = ours.min(started.elapsed());
        }
        let each = |d: Duration| d.as_nanos() / u128::from(ITERATIONS);
        println!(
            "  {action:<22} {:>5} bytes  roxmltree {:>6} ns  hardened parse {:>6} ns  station {:>6} ns  ratio {:.2}x (target <= 3x)",
            body.len(),
            each(floor),
            each(hardened),
            each(ours),
            ours.as_secs_f64() / floor.as_secs_f64()
        );
    }
}

fn throughput() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use axum::routing::post;
        let debts = Arc::new(MemoryDebts::new());
        for n in 0..PAYMENTS {
            debts.insert(&EC.parse().unwrap(), Holding::new(position(10_000 + n), Standing::Issued));
        }
        let app = axum::Router::new()
            .route("/pa", post(abilita_pagopa::station::axum_handler))
            .with_state(Arc::new(station(debts)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/pa", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let nodo = Arc::new(NodoSimulator::new(url.parse().unwrap(), StationIds::new(EC, STATION)));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..PAYMENTS {
            if tasks.len() >= CONCURRENCY {
                tasks.join_next().await.unwrap().unwrap();
            }
            let nodo = nodo.clone();
            tasks.spawn(async move {
                nodo.pay(EC, nav(10_000 + n).as_str(), Twist::None).await.unwrap();
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        let elapsed = started.elapsed();
        println!(
            "throughput: {PAYMENTS} payments (verify + activate + receipt over HTTP, {CONCURRENCY} at a time) in {:.2} s: {:.0} payments/s, {:.0} SOAP calls/s",
            elapsed.as_secs_f64(),
            PAYMENTS as f64 / elapsed.as_secs_f64(),
            3.0 * PAYMENTS as f64 / elapsed.as_secs_f64()
        );
    });
}

fn main() {
    per_message();
    if std::env::args().skip(1).all(|a| a.starts_with('-')) {
        throughput();
    }
}
