//! Bulk sending to App IO from a CSV, with a progress bar, resumable.
//!
//! ```text
//! cargo run -p abilita-examples --bin io-bulk -- [ROWS.csv] [--journal FILE] [--report FILE] [--demo-rows N]
//! ```
//!
//! Without a CSV it writes a demo one (`target/abilita-io-bulk/demo.csv`).
//! Without `IO_BASE_URL` and `IO_PRIMARY_KEY` in the environment it sends to
//! an embedded IO simulator (every 25th demo citizen is not on IO). Press
//! Ctrl-C at any time and run the same command again: rows already settled
//! are skipped, none is sent twice, and a message in flight at the
//! interruption is reported as unknown. The delivery report is a CSV.
//!
//! The embedded simulator lives as long as the program, so a resumed run
//! meets a fresh one (and the report cannot find earlier messages). To try
//! interruptions against a simulator that outlives the runs, start
//! `cargo run -p abilita-mock -- --io-default-citizen allowed` and set
//! `IO_BASE_URL=http://127.0.0.1:18082/api/v1 IO_PRIMARY_KEY=abilita-test-key`.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use abilita_core::{ApiKey, CodiceFiscale, SystemClock};
use abilita_io::bulk::{BulkOptions, BulkSender, PollOptions, Progress};
use abilita_io::{InstitutionRateLimit, IoClient, ServiceKeys, transport_builder};
use abilita_mock::io::{CitizenState, IO_PATH, IoSimulator, ServiceSetup};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

struct Args {
    csv: Option<PathBuf>,
    journal: PathBuf,
    report: PathBuf,
    demo_rows: u32,
}

fn args() -> Result<Args> {
    let folder = PathBuf::from("target/abilita-io-bulk");
    let mut args = Args {
        csv: None,
        journal: folder.join("journal.jsonl"),
        report: folder.join("report.csv"),
        demo_rows: 1_000,
    };
    let mut raw = std::env::args().skip(1);
    while let Some(arg) = raw.next() {
        let mut value = || raw.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--journal" => args.journal = value()?.into(),
            "--report" => args.report = value()?.into(),
            "--demo-rows" => args.demo_rows = value()?.parse()?,
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}").into()),
            path => args.csv = Some(path.into()),
        }
    }
    Ok(args)
}

/// A valid demo codice fiscale for `n`.
fn demo_code(n: u32) -> String {
    let months = b"ABCDEHLMPRST";
    let month = char::from(months.get((n / 100 % 12) as usize).copied().unwrap_or(b'A'));
    let body = format!(
        "RSSMRA{:02}{month}{:02}H{:03}",
        n % 100,
        n / 1200 % 28 + 1,
        n % 1000
    );
    ('A'..='Z')
        .find_map(|c| CodiceFiscale::new(&format!("{body}{c}")).ok())
        .map_or(body, |cf| cf.as_str().to_owned())
}

fn write_demo(path: &PathBuf, rows: u32) -> Result<Vec<String>> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        file,
        "fiscal_code,subject,markdown,amount,notice_number,due_date"
    )?;
    let mut codes = Vec::new();
    for row in 1..=rows {
        let code = demo_code(row);
        writeln!(
            file,
            "{code},TARI 2026: avviso {row:05},\"È disponibile l'avviso di pagamento della TARI 2026 (n. {row:05}). Puoi pagarlo direttamente in app.\",120.00,30100202600{row:07},2026-12-31"
        )?;
        codes.push(code);
    }
    Ok(codes)
}

fn bar(progress: &Progress, total: u32) {
    let settled = progress.already_done
        + progress.sent
        + progress.failed
        + progress.deferred
        + progress.unknown;
    let width = 30;
    let filled = if total == 0 {
        width
    } else {
        (settled * width / u64::from(total)).min(width)
    };
    let filled = usize::try_from(filled).unwrap_or(0);
    eprint!(
        "\r[{}{}] {settled}/{total}  sent {}  failed {}  unknown {}  deferred {}  skipped {}   ",
        "#".repeat(filled),
        ".".repeat(30 - filled),
        progress.sent,
        progress.failed,
        progress.unknown,
        progress.deferred,
        progress.already_done
    );
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = args()?;
    if let Some(parent) = args.journal.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let (csv, demo_codes) = match &args.csv {
        Some(csv) => (csv.clone(), Vec::new()),
        None => {
            let demo = PathBuf::from("target/abilita-io-bulk/demo.csv");
            std::fs::create_dir_all("target/abilita-io-bulk")?;
            let codes = if demo.exists() {
                Vec::new()
            } else {
                write_demo(&demo, args.demo_rows)?
            };
            (demo, codes)
        }
    };
    let total = u32::try_from(csv::Reader::from_path(&csv)?.records().count())?;

    // A real IO when configured, else the embedded simulator.
    let (_server, base, key) = match (
        std::env::var("IO_BASE_URL"),
        std::env::var("IO_PRIMARY_KEY"),
    ) {
        (Ok(base), Ok(key)) => (None, base, key),
        _ => {
            let server = wiremock::MockServer::builder()
                .disable_request_recording()
                .start()
                .await;
            let simulator = IoSimulator::new(Arc::new(SystemClock));
            simulator.add_service(&ServiceSetup::new("tributi", "99999000013", "demo-key"));
            simulator.set_default_citizen(CitizenState::Allowed);
            for code in demo_codes.iter().step_by(25) {
                simulator.set_citizen(code, CitizenState::NotRegistered, &[]);
            }
            simulator.mount(&server).await;
            let base = format!("{}{IO_PATH}", server.uri());
            eprintln!("sending to the embedded IO simulator at {base}");
            (Some(server), base, "demo-key".to_owned())
        }
    };
    let transport = transport_builder(&base)?.build()?;
    let client = IoClient::from_transport(
        transport,
        ServiceKeys::new(ApiKey::new(key), None),
        Some(InstitutionRateLimit::io_default()),
    );
    let sender = BulkSender::new(client, BulkOptions::default());

    let run = sender.send_csv(std::fs::File::open(&csv)?, &args.journal, |p| bar(p, total));
    let progress = tokio::select! {
        progress = run => progress?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\ninterrupted: run the same command again to resume (journal {})", args.journal.display());
            return Ok(());
        }
    };
    eprintln!("\n{progress:?}");
    let poll = PollOptions {
        max_polls: 5,
        interval: std::time::Duration::from_secs(1),
    };
    let summary = sender
        .report(&args.journal, std::fs::File::create(&args.report)?, &poll)
        .await?;
    eprintln!(
        "delivery report written to {}: {summary:?}",
        args.report.display()
    );
    Ok(())
}
