//! The `station` example on SQLite, killed (SIGKILL) in the middle of a
//! run of payments and started again on the same database: the Nodo
//! simulator's retries bring the receipts the crash interrupted, and every
//! paid notice ends with exactly one receipt, every unpaid one with none.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use abilita_mock::nodo::{NodoError, NodoSimulator, StationIds, Twist};
use abilita_pagopa::{NoticeNumber, SegregationCode};

const PAYMENTS: u64 = 200;

fn notice(n: u64) -> NoticeNumber {
    NoticeNumber::from_iuv_base(&SegregationCode::new("02").unwrap(), n).unwrap()
}

/// The example serving `database` on `port`, once it says `ready`.
fn serve(database: &str, port: u16) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_station"))
        .args([
            "--database-url",
            database,
            "--payments",
            &PAYMENTS.to_string(),
        ])
        .args(["--serve", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .any(|line| line.unwrap() == "ready");
    assert!(ready, "the station started");
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_on_sqlite_killed_mid_run_loses_and_doubles_no_receipt() {
    let dir = std::env::temp_dir().join(format!("abilita-station-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    crash_mid_run(&format!("sqlite://{}/station.db?mode=rwc", dir.display())).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same on a real PostgreSQL server, whose URL (an empty database)
/// `scripts/postgres-tests.sh` gives in `ABILITA_TEST_POSTGRES_URL`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/postgres-tests.sh runs it"]
async fn a_station_on_postgresql_killed_mid_run_loses_and_doubles_no_receipt() {
    let url = std::env::var("ABILITA_TEST_POSTGRES_URL").expect("ABILITA_TEST_POSTGRES_URL");
    crash_mid_run(&url).await;
}

/// Pays notices at the example serving `database`, kills it a third of
/// the way through, starts it again, and reads what it stored.
async fn crash_mid_run(database: &str) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut station = serve(database, port);
    let nodo = Arc::new(
        NodoSimulator::new(
            format!("http://127.0.0.1:{port}/pa").parse().unwrap(),
            StationIds::new("77777777777", "77777777777_01"),
        )
        .with_receipt_retries(400, Duration::from_millis(10)),
    );
    let done = Arc::new(AtomicU32::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 1..=PAYMENTS {
        let (nodo, done) = (nodo.clone(), done.clone());
        let twist = [Twist::None, Twist::ReceiptTwice, Twist::LostReceiptAnswer]
            [usize::try_from(n % 3).unwrap()];
        tasks.spawn(async move {
            // A PSP comes along every 3 ms.
            tokio::time::sleep(Duration::from_millis(n * 3)).await;
            let paid = nodo.pay("77777777777", notice(n).as_str(), twist).await;
            done.fetch_add(1, Ordering::SeqCst);
            (n, paid)
        });
    }
    while done.load(Ordering::SeqCst) < u32::try_from(PAYMENTS / 3).unwrap() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    station.kill().unwrap();
    station.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut station = serve(database, port);

    let mut paid = HashMap::new();
    let mut refused = 0;
    let mut resent = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            (n, Ok(receipt)) => {
                // Beyond the twist's own sends: sent again across the crash.
                let planned = if n % 3 == 0 { 1 } else { 2 };
                if receipt.receipt_attempts > planned {
                    resent += 1;
                }
                paid.insert(notice(n).as_str().to_owned(), receipt.receipt_id);
            }
            // The PSP could not verify or activate while the station was
            // down: nothing was paid.
            (
                _,
                Err(NodoError::Unreachable { operation } | NodoError::BadAnswer { operation, .. }),
            ) if operation != "paSendRTV2" => {
                refused += 1;
            }
            (n, Err(other)) => panic!("notice {n}: {other}"),
        }
    }
    station.kill().unwrap();
    station.wait().unwrap();
    // Payments met the station down at each step: some could not start,
    // and receipts of others were sent again until it was back.
    assert!(refused > 0, "some payments found the station down");
    assert!(resent > 0, "some receipts were sent again across the crash");

    let listing = Command::new(env!("CARGO_BIN_EXE_station"))
        .args(["--database-url", database, "--list"])
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    let mut stored: HashMap<String, Vec<String>> = HashMap::new();
    for line in listing.lines().filter(|l| l.contains(" receipt ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert!(!line.contains("not paying"), "{line}");
        stored
            .entry(words[0].to_owned())
            .or_default()
            .push(words[2].to_owned());
    }
    for (notice, receipt_id) in &paid {
        assert_eq!(
            stored.get(notice),
            Some(&vec![receipt_id.clone()]),
            "{notice}"
        );
    }
    assert_eq!(stored.len(), paid.len(), "no unpaid notice has a receipt");
    assert!(
        listing.contains(&format!("\n{} notices paid", paid.len())),
        "{listing}"
    );
}
