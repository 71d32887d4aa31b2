//! Bulk sending against the simulator with faults and a forced interruption.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use abilita_io::bulk::{BulkOptions, BulkSender, PollOptions, Progress};
use abilita_mock::io::CitizenState;

use super::{fiscal_code, harness};

const ROWS: u32 = 10_000;

/// A fresh folder for this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("abilita-io-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every 1000th row has a subject too short; every 50th citizen is not on IO.
fn write_csv(path: &PathBuf) -> Vec<String> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        file,
        "fiscal_code,subject,markdown,amount,notice_number,due_date"
    )
    .unwrap();
    let mut codes = Vec::new();
    for row in 1..=ROWS {
        let code = fiscal_code(row).as_str().to_owned();
        let subject = if row % 1000 == 0 {
            "Corto".to_owned()
        } else {
            format!("Avviso TARI n. {row:05}")
        };
        writeln!(
            file,
            "{code},{subject},\"È disponibile l'avviso di pagamento della TARI 2026, rata unica, numero {row:05}. Puoi pagarlo in app.\",120.00,30100202600{row:07},2026-12-31"
        )
        .unwrap();
        codes.push(code);
    }
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_rows_with_faults_and_an_interruption_are_each_settled_once() {
    let h = harness().await;
    h.io.set_rate_limit(None);
    h.io.set_default_citizen(CitizenState::Allowed);
    let dir = scratch("bulk");
    let (csv_path, journal, report_path) = (
        dir.join("rows.csv"),
        dir.join("journal.jsonl"),
        dir.join("report.csv"),
    );
    let codes = write_csv(&csv_path);
    for (row, code) in codes.iter().enumerate() {
        if (row + 1) % 50 == 0 {
            h.io.set_citizen(code, CitizenState::NotRegistered, &[]);
        }
    }
    h.io.faults().set_server_error_share(0.05);
    h.io.faults().throttle_next(40);
    // Retries are the client's (its transport's policy), not the bulk
    // sender's: six attempts a call here.
    let client = h.client_with("key-1", None, |b| {
        b.request_timeout(Duration::from_millis(500))
            .retry_policy(abilita_core::RetryPolicy::default().max_attempts(6))
    });
    let options = BulkOptions {
        concurrency: 16,
        ..BulkOptions::default()
    };
    let sender = BulkSender::new(client, options);

    // First run, stopped by force once half the rows are sent.
    let sent = Arc::new(AtomicU64::new(0));
    let first = {
        let (sender, csv_path, journal, sent) = (
            sender.clone(),
            csv_path.clone(),
            journal.clone(),
            sent.clone(),
        );
        tokio::spawn(async move {
            let csv = std::fs::File::open(&csv_path).unwrap();
            sender
                .send_csv(csv, &journal, |p: &Progress| {
                    sent.store(p.sent, Ordering::SeqCst)
                })
                .await
        })
    };
    while sent.load(Ordering::SeqCst) < u64::from(ROWS) / 2 && !first.is_finished() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.abort();
    assert!(
        first.await.unwrap_err().is_cancelled(),
        "the first run was interrupted half-way"
    );
    // Rows whose message was in flight when the run stopped. Aborting the
    // run aborts its row tasks at their next await, but one that is being
    // polled on the other worker thread may still write its outcome: read
    // the journal once it has stopped changing, as the resume will.
    let mut journaled = std::fs::read_to_string(&journal).unwrap();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let again = std::fs::read_to_string(&journal).unwrap();
        if again == journaled {
            break;
        }
        journaled = again;
    }
    let mut open_rows = std::collections::HashSet::new();
    for line in journaled.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let row = event["row"].as_u64().unwrap();
        if event["event"] == "started" {
            open_rows.insert(row);
        } else {
            open_rows.remove(&row);
        }
    }

    // Resume, with some answers lost after IO stored the message, and more 429s.
    h.io.faults().lose_next_responses(3);
    h.io.faults().throttle_next(40);
    let mut runs = Vec::new();
    loop {
        let progress = sender
            .send_csv(std::fs::File::open(&csv_path).unwrap(), &journal, |_| {})
            .await
            .unwrap();
        runs.push(progress);
        if progress.deferred == 0 || runs.len() == 3 {
            break;
        }
    }
    h.io.faults().set_server_error_share(0.0);
    let poll = PollOptions {
        max_polls: 3,
        interval: Duration::from_secs(30),
    };
    let summary = sender
        .report(
            &journal,
            std::fs::File::create(&report_path).unwrap(),
            &poll,
        )
        .await
        .unwrap();

    // Every row has one fate in the report.
    let mut report = csv::Reader::from_path(&report_path).unwrap();
    let mut fate: HashMap<u32, (String, String)> = HashMap::new();
    for record in report.records() {
        let record = record.unwrap();
        let row: u32 = record[0].parse().unwrap();
        assert!(
            fate.insert(row, (record[1].to_owned(), record[3].to_owned()))
                .is_none(),
            "row {row} twice"
        );
    }
    assert_eq!(fate.len(), ROWS as usize, "no row missing");
    assert_eq!(summary.pending, 0, "runs: {runs:?}");

    // The simulator agrees: each sent row stored once, each failed row never,
    // each unknown row at most once.
    let mut stored: HashMap<u32, u32> = HashMap::new();
    for sent in h.io.sent_messages(None, None) {
        let row: u32 = sent
            .subject
            .trim_start_matches("Avviso TARI n. ")
            .parse()
            .unwrap();
        *stored.entry(row).or_default() += 1;
    }
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for (row, (outcome, status)) in &fate {
        let times = stored.get(row).copied().unwrap_or(0);
        match outcome.as_str() {
            "sent" => {
                assert_eq!(times, 1, "row {row} sent {times} times");
                assert!(
                    matches!(status.as_str(), "PROCESSED" | "ACCEPTED"),
                    "row {row}: {status}"
                );
            }
            "failed" => assert_eq!(times, 0, "failed row {row} was stored"),
            "unknown" => assert!(times <= 1, "unknown row {row} stored {times} times"),
            other => panic!("row {row}: {other}"),
        }
        *counts.entry(outcome.as_str()).or_default() += 1;
    }
    assert!(stored.values().all(|&n| n == 1), "no message stored twice");
    assert_eq!(
        counts["failed"], 200,
        "10 invalid rows and 200 unregistered citizens, the 10 invalid among them"
    );
    for row in &open_rows {
        assert_eq!(
            fate[&u32::try_from(*row).unwrap()].0,
            "unknown",
            "row {row} was in flight at the interruption"
        );
    }
    println!(
        "bulk: {counts:?}; in flight at the interruption: {}; runs after it: {runs:?}; report: {summary:?}",
        open_rows.len()
    );
}

#[tokio::test]
async fn a_changed_csv_is_refused_on_resume() {
    let h = harness().await;
    h.io.set_default_citizen(CitizenState::Allowed);
    let dir = scratch("changed");
    let journal = dir.join("journal.jsonl");
    let line = |subject: &str| {
        format!(
            "fiscal_code,subject,markdown\n{},{subject},{}\n",
            fiscal_code(1),
            "x".repeat(90)
        )
    };
    // A journal that says row 1 was in flight with another content.
    std::fs::write(
        &journal,
        "{\"event\":\"started\",\"row\":1,\"fingerprint\":42}\n",
    )
    .unwrap();
    let sender = BulkSender::new(h.client("key-1", None), BulkOptions::default());
    let error = sender
        .send_csv(line("Avviso numero uno").as_bytes(), &journal, |_| {})
        .await
        .unwrap_err();
    assert!(error.to_string().contains("row 1 differs"), "{error}");
}

#[tokio::test]
async fn a_torn_last_journal_line_is_dropped_and_an_interrupted_row_is_unknown() {
    let h = harness().await;
    h.io.set_default_citizen(CitizenState::Allowed);
    let dir = scratch("torn");
    let journal = dir.join("journal.jsonl");
    let csv = format!(
        "fiscal_code,subject,markdown\n{},Avviso numero uno,{}\n{},Avviso numero due,{}\n",
        fiscal_code(1),
        "x".repeat(90),
        fiscal_code(2),
        "y".repeat(90)
    );
    let sender = BulkSender::new(h.client("key-1", None), BulkOptions::default());
    // Find row 1's fingerprint by running it once, then fake a crash mid-send.
    sender
        .send_csv(csv.as_bytes(), &journal, |_| {})
        .await
        .unwrap();
    let lines = std::fs::read_to_string(&journal).unwrap();
    let started = lines
        .lines()
        .find(|l| l.contains("\"started\"") && l.contains("\"row\":1,"))
        .unwrap()
        .to_owned();
    std::fs::write(&journal, format!("{started}\n{{\"event\":\"sen")).unwrap();

    let progress = sender
        .send_csv(csv.as_bytes(), &journal, |_| {})
        .await
        .unwrap();
    assert_eq!((progress.unknown, progress.sent), (1, 1), "{progress:?}");
    let report = std::fs::read_to_string(&journal).unwrap();
    assert!(
        report
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "the torn line was cut: {report}"
    );
}
