//! The simulators against the official OpenAPI files, by schemathesis: a
//! property-based API tester that generates requests from the files (valid
//! ones and invalid ones) and checks every answer against them. It is an
//! implementation of the OpenAPI standard independent of ours, so a defect
//! shared by a simulator and a client crate cannot hide from it.
//!
//! The files and the allowlist of documented spec defects are in
//! `tests/openapi/` (GPD's three files, FdR's organization file,
//! Checkout's carts file, the print service's external file, IO's services
//! file). These tests are
//! ignored by a plain `cargo test`:
//! `scripts/openapi-conformance.sh` installs schemathesis and runs them.
//!
//! `ABILITA_SCHEMATHESIS_EXAMPLES` sets the examples per operation (50);
//! `ABILITA_SCHEMATHESIS_SEED` a seed (`random` for a new one each run).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use abilita_core::testing::ManualClock;
use abilita_mock::checkout::CHECKOUT_PATH;
use abilita_mock::fdr::{FDR_PATH, FlowPayment, PayStatus};
use abilita_mock::gpd::{DEBT_POSITIONS_PATH, RECEIPTS_PATH};
use abilita_mock::io::{CitizenState, IO_PATH};
use abilita_mock::print::PRINT_PATH;
use abilita_mock::server::{start_checkout, start_fdr, start_gpd, start_io, start_print};
use serde_json::json;
use time::macros::datetime;

/// The seed of a run unless `ABILITA_SCHEMATHESIS_SEED` says otherwise: a
/// fixed one, so that CI is repeatable.
const SEED: &str = "20261201";

fn folder(platform: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/openapi")
        .join(platform)
}

/// Runs schemathesis over the operations of `spec` that `filters` keep
/// against `base`, with every check and the platform's allowlist: its whole
/// report when anything failed.
async fn schemathesis(
    platform: &str,
    spec: &str,
    base: String,
    headers: &[&str],
    filters: &[&str],
) -> Result<(), String> {
    let folder = folder(platform);
    let examples =
        std::env::var("ABILITA_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "50".to_owned());
    let seed = std::env::var("ABILITA_SCHEMATHESIS_SEED").unwrap_or_else(|_| SEED.to_owned());
    // Its reports and caches go to a folder of its own, not the repository.
    let scratch = std::env::temp_dir().join(format!("abilita-schemathesis-{platform}"));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let mut command = Command::new("schemathesis");
    // A platform's string formats, when its file names some it does not define.
    if folder.join("hooks.py").exists() {
        command
            .env("PYTHONPATH", &folder)
            .env("SCHEMATHESIS_HOOKS", "hooks");
    }
    command
        .current_dir(&scratch)
        .arg("--config-file")
        .arg(folder.join("schemathesis.toml"))
        .arg("--no-color")
        .arg("run")
        .arg(folder.join(spec))
        // Every check runs: schemathesis's default, which the allowlist in
        // the configuration narrows per operation (a `--checks` here would
        // override it).
        .args(["--url", &base, "--workers", "1"])
        .args(["--max-examples", &examples]);
    if seed != "random" {
        command.args(["--seed", &seed]);
    }
    for header in headers {
        command.args(["-H", header]);
    }
    command.args(filters);
    // The simulator serves on this runtime: wait off it.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| {
            format!("schemathesis did not start ({e}): run scripts/openapi-conformance.sh")
        })?;
    let report = String::from_utf8_lossy(&output.stdout);
    eprintln!("{spec}: {}", report.lines().last().unwrap_or_default());
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{spec}:\n{report}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis (scripts/openapi-conformance.sh)"]
async fn gpd_answers_as_its_openapi_files_say() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let running = start_gpd("127.0.0.1:0".parse().unwrap(), clock, "k", &["77777777777"])
        .await
        .unwrap();
    let base = running.server.uri();
    let key = "Ocp-Apim-Subscription-Key: k";
    let mut failures = Vec::new();
    for (spec, url) in [
        (
            "debt-positions-v1.json",
            format!("{base}{DEBT_POSITIONS_PATH}/v1"),
        ),
        (
            "debt-positions-v3.json",
            format!("{base}{DEBT_POSITIONS_PATH}/v3"),
        ),
        ("receipts.json", format!("{base}{RECEIPTS_PATH}")),
    ] {
        seed_gpd(&running, &base).await;
        if let Err(report) = schemathesis("gpd", spec, url, &[key], &[]).await {
            failures.push(report);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A fresh simulator holding what `tests/openapi/gpd/schemathesis.toml`
/// names: a payable position (`abilita-openapi-1`) and a paid one whose
/// receipt the receipts service holds.
async fn seed_gpd(
    running: &abilita_mock::server::Running<abilita_mock::gpd::GpdSimulator>,
    base: &str,
) {
    running.simulator.reset();
    let http = reqwest::Client::new();
    // GPD reads a due date without offset as UTC (its own examples send
    // them so); the answer must still be RFC 3339, as the spec says.
    for (iupd, iuv, due) in [
        (
            "abilita-openapi-1",
            "01000000000000101",
            "2026-12-31T23:59:59",
        ),
        (
            "abilita-openapi-2",
            "01000000000000202",
            "2026-12-31T23:59:59Z",
        ),
    ] {
        let position = json!({
            "iupd": iupd, "type": "F", "fiscalCode": "STTSGT90A01H501J", "fullName": "Soggetto Settimo",
            "companyName": "Comune di Prova", "switchToExpired": false,
            "paymentOption": [{"iuv": iuv, "amount": 100, "description": "TARI", "isPartialPayment": false,
                "dueDate": due, "transfer": [{"idTransfer": "1", "amount": 100,
                "remittanceInformation": "TARI", "category": "9/0101100IM/", "iban": "IT60X0542811101000000123456"}]}]
        });
        let created = http
            .post(format!("{base}{DEBT_POSITIONS_PATH}/v1/organizations/77777777777/debtpositions?toPublish=true"))
            .header("Ocp-Apim-Subscription-Key", "k")
            .json(&position)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
    }
    running
        .simulator
        .pay_option("77777777777", "301000000000000202", "PSP")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis (scripts/openapi-conformance.sh)"]
async fn fdr_answers_as_its_openapi_file_says() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let running = start_fdr(
        "127.0.0.1:0".parse().unwrap(),
        clock,
        "k",
        &["77777777777"],
        None,
    )
    .await
    .unwrap();
    // The flow `tests/openapi/fdr/schemathesis.toml` names.
    let payments = (1..=3u8)
        .map(|n| FlowPayment {
            iuv: format!("0100000000000010{n}"),
            iur: format!("receipt-{n}"),
            transfer: 1,
            cents: 1_050 * u64::from(n),
            status: PayStatus::Executed,
            paid_at: datetime!(2026-11-29 10:00 UTC),
        })
        .collect();
    running
        .simulator
        .publish(
            "77777777777",
            "88888888888",
            "2026-12-0188888888888-0001",
            payments,
        )
        .unwrap();
    let base = format!("{}{FDR_PATH}", running.server.uri());
    let key = "Ocp-Apim-Subscription-Key: k";
    if let Err(report) = schemathesis("fdr", "fdr-organization.json", base, &[key], &[]).await {
        panic!("{report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis (scripts/openapi-conformance.sh)"]
async fn checkout_answers_as_its_openapi_file_says() {
    let running = start_checkout("127.0.0.1:0".parse().unwrap(), "k", None)
        .await
        .unwrap();
    let base = format!("{}{CHECKOUT_PATH}", running.server.uri());
    let key = "Ocp-Apim-Subscription-Key: k";
    if let Err(report) = schemathesis("checkout", "checkout-v2.json", base, &[key], &[]).await {
        panic!("{report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis (scripts/openapi-conformance.sh)"]
async fn print_answers_as_its_openapi_file_says() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let running = start_print("127.0.0.1:0".parse().unwrap(), clock, "k")
        .await
        .unwrap();
    // The folder `tests/openapi/print/schemathesis.toml` names.
    running
        .simulator
        .add_processed_folder("abilita-openapi-folder", 2);
    let base = format!("{}{PRINT_PATH}", running.server.uri());
    let key = "Ocp-Apim-Subscription-Key: k";
    if let Err(report) = schemathesis("print", "print-external.json", base, &[key], &[]).await {
        panic!("{report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis (scripts/openapi-conformance.sh)"]
async fn io_answers_as_its_openapi_file_says() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let running = start_io(
        "127.0.0.1:0".parse().unwrap(),
        clock,
        "k",
        "m",
        "77777777777",
    )
    .await
    .unwrap();
    // The gateway's limit would answer 429 to a run's burst of requests.
    running.simulator.set_rate_limit(None);
    running.simulator.set_default_citizen(CitizenState::Allowed);
    let base = format!("{}{IO_PATH}", running.server.uri());
    let mut failures = Vec::new();
    for (key, paths) in [
        ("k", "--exclude-path-regex=^/manage/"),
        ("m", "--include-path-regex=^/manage/"),
    ] {
        let header = format!("Ocp-Apim-Subscription-Key: {key}");
        if let Err(report) =
            schemathesis("io", "services.yaml", base.clone(), &[&header], &[paths]).await
        {
            failures.push(report);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
