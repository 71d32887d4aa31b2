//! Creating debt positions on the GPD simulator: `GpdClient::create` against
//! a bare `reqwest` loop posting the same JSON bodies, with the same bounded
//! concurrency, in interleaved rounds of the same run.
//!
//! Run with `cargo bench -p abilita-pagopa --bench gpd_create`.
//! Target: the client at >= 0.8x the bare loop's throughput. The
//! bare loop posts pre-serialised bodies and only reads the answer's bytes;
//! the client validates, serialises and decodes the typed answer, so the
//! ratio prices all of that. The figures are printed, never asserted.

// A benchmark reports to stdout and may stop at the first broken assumption.
#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use abilita_core::{ApiKey, BaseUrl, EuroCents, Iban, PartitaIva, SystemClock, Transport};
use abilita_mock::gpd::{DEBT_POSITIONS_PATH, GpdSimulator, RECEIPTS_PATH};
use abilita_pagopa::gpd::{
    DebtPosition, Debtor, GpdClient, PaymentOption, Publish, Transfer, TransferDestination,
};
use abilita_pagopa::{NoticeNumber, SegregationCode};

const POSITIONS: u64 = 10_000;
const ROUNDS: u64 = 10;
const CONCURRENCY: u64 = 16;
const KEY: &str = "bench-key";

fn position(n: u64, due: time::OffsetDateTime) -> DebtPosition {
    let nav = NoticeNumber::from_iuv_base(&SegregationCode::new("01").unwrap(), n).unwrap();
    let amount = EuroCents::new(12_000);
    DebtPosition {
        iupd: format!("77777777777-bench-{n}").parse().unwrap(),
        debtor: Debtor::new(&"STTSGT90A01H501J".parse().unwrap(), "Soggetto Settimo"),
        company_name: "Comune di Prova".into(),
        office_name: None,
        validity_date: None,
        switch_to_expired: false,
        pay_stand_in: true,
        payment_options: vec![PaymentOption {
            nav: None,
            iuv: nav.iuv(),
            amount,
            description: "TARI 2026".into(),
            is_partial_payment: false,
            due_date: due,
            retention_date: None,
            transfers: vec![Transfer {
                id: 1,
                amount,
                organization_fiscal_code: None,
                remittance_information: "TARI 2026".into(),
                category: "9/0101100IM/".parse().unwrap(),
                destination: TransferDestination::Account {
                    iban: Iban::new("IT60X0542811101000000123456").unwrap(),
                    postal_iban: None,
                },
                metadata: vec![],
            }],
            metadata: vec![],
        }],
    }
}

/// Runs `count` jobs numbered from `first` on `CONCURRENCY` workers; returns the wall time.
async fn run<F, Fut>(first: u64, count: u64, job: F) -> Duration
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicU64::new(first));
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (next, job) = (next.clone(), job.clone());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= first + count {
                        break;
                    }
                    job(n).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker");
    }
    started.elapsed()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let server = wiremock::MockServer::builder().disable_request_recording().start().await;
        let simulator = GpdSimulator::new(Arc::new(SystemClock));
        simulator.grant(KEY, &["77777777777"], None);
        simulator.mount(&server).await;
        let base = |path: &str| Transport::builder(BaseUrl::parse(&format!("{}{path}", server.uri())).unwrap()).build().unwrap();
        let client = Arc::new(GpdClient::from_transports(base(DEBT_POSITIONS_PATH), base(RECEIPTS_PATH), ApiKey::new(KEY)));
        let creditor = Arc::new(PartitaIva::from_official_test_value("77777777777").unwrap());
        let due = time::OffsetDateTime::now_utc() + time::Duration::days(30);
        let bare = reqwest::Client::new();
        let url = format!("{}{DEBT_POSITIONS_PATH}/v1/organizations/77777777777/debtpositions?toPublish=true", server.uri());
        // The bare loop's bodies, serialised before timing; numbered apart from the client's.
        let bodies: Arc<Vec<Vec<u8>>> =
            Arc::new((0..POSITIONS).map(|n| serde_json::to_vec(&position(POSITIONS + n, due)).unwrap()).collect());

        let per_round = POSITIONS / ROUNDS;
        let (mut through_client, mut through_bare) = (Duration::ZERO, Duration::ZERO);
        for round in 0..ROUNDS {
            let first = round * per_round;
            let (client, creditor) = (client.clone(), creditor.clone());
            let client_job = move |n| {
                let (client, creditor) = (client.clone(), creditor.clone());
                async move {
                    client.create(&*creditor, &position(n, due), Publish::Now).await.expect("created");
                }
            };
            let (bare, url, bodies) = (bare.clone(), url.clone(), bodies.clone());
            let bare_job = move |n: u64| {
                let (bare, url, bodies) = (bare.clone(), url.clone(), bodies.clone());
                async move {
                    let response = bare
                        .post(&url)
                        .header("ocp-apim-subscription-key", KEY)
                        .header("content-type", "application/json")
                        .body(bodies[usize::try_from(n).unwrap()].clone())
                        .send()
                        .await
                        .expect("sent");
                    assert_eq!(response.status(), 201);
                    std::hint::black_box(response.bytes().await.expect("a body").len());
                }
            };
            // Alternate which goes first, so neither always meets the smaller store.
            if round % 2 == 0 {
                through_client += run(first, per_round, client_job).await;
                through_bare += run(first, per_round, bare_job).await;
            } else {
                through_bare += run(first, per_round, bare_job).await;
                through_client += run(first, per_round, client_job).await;
            }
        }
        assert_eq!(simulator.position_count("77777777777"), usize::try_from(2 * POSITIONS).unwrap());
        let rate = |d: Duration| POSITIONS as f64 / d.as_secs_f64();
        println!(
            "gpd_create: {POSITIONS} positions each way, concurrency {CONCURRENCY}, {ROUNDS} interleaved rounds:\n  \
             bare reqwest   {:8.0} positions/s\n  \
             GpdClient      {:8.0} positions/s\n  \
             ratio {:.3} (target >= 0.8)",
            rate(through_bare),
            rate(through_client),
            rate(through_client) / rate(through_bare),
        );
    });
}
