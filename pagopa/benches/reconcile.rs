//! Reconciliation of a million reported transfers against a million paid
//! ones: time and peak memory of `abilita_pagopa::reconcile`, against a
//! naive baseline (string keys in hash maps, records cloned) on the same
//! data.
//!
//! Each run is a child process of its own (this binary, re-run with
//! `--run NAME`), so that one run's freed memory cannot lower the other's
//! peak: it builds the data, reads its resident memory, resets the kernel's
//! high-water mark (`/proc/self/clear_refs`), reconciles, and reports the
//! time and the peak above the data. Both runs must file the transfers
//! alike.
//!
//! Run with `cargo bench -p abilita-pagopa --bench reconcile`. The figures
//! are printed, never asserted. Linux only (it reads `/proc`).

// A benchmark reports to stdout and may stop at the first broken assumption.
#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::time::Instant;

use abilita_core::EuroCents;
use abilita_pagopa::fdr::{FlowRef, PayStatus, ReportedPayment};
use abilita_pagopa::reconcile::{PaidTransfer, REPORTING_DAYS, Reconciler};
use time::macros::{date, datetime};
use time::{Date, Duration};

/// Transfers on each side.
const TRANSFERS: u64 = 1_000_000;
/// Flows they are reported in.
const FLOWS: u64 = 100;
const TODAY: Date = date!(2026 - 12 - 01);

struct Data {
    flows: Vec<(FlowRef, Vec<ReportedPayment>)>,
    paid: Vec<PaidTransfer>,
}

/// Payments of two transfers each; one in a hundred reported with another
/// amount, one in two hundred not reported, one in two hundred reported
/// and unknown, one in five hundred reported twice.
fn data() -> Data {
    let mut rng = fastrand::Rng::with_seed(2026);
    let mut paid = Vec::with_capacity(TRANSFERS as usize);
    let mut reported = Vec::with_capacity(TRANSFERS as usize);
    for n in 0..TRANSFERS {
        let payment = n / 2;
        let iuv = format!("{payment:017}");
        let iur = format!(
            "{:032x}",
            u128::from(payment).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        );
        let transfer = u8::try_from(n % 2 + 1).unwrap();
        let cents = 1_000 + n % 9_000;
        let paid_on = TODAY - Duration::days(i64::try_from(n % 10).unwrap() + 1);
        let roll = rng.u32(..1_000);
        if roll >= 5 {
            paid.push(
                PaidTransfer::new(&iuv, &iur, transfer, EuroCents::new(cents), paid_on).unwrap(),
            );
        }
        if (5..10).contains(&roll) {
            continue; // paid, never reported
        }
        let amount = if roll >= 990 { cents + 1 } else { cents };
        let line = (iuv, iur, transfer, amount);
        if roll >= 998 {
            reported.push(line.clone());
        }
        reported.push(line);
    }
    rng.shuffle(&mut reported);
    let per_flow = reported.len().div_ceil(FLOWS as usize);
    let flows = reported
        .chunks(per_flow)
        .enumerate()
        .map(|(f, lines)| {
            let flow = FlowRef {
                psp_id: format!("{:011}", 60_000_000_000 + f as u64 % 7),
                fdr: format!("2026-11-30{:011}-{f:04}", 60_000_000_000 + f as u64 % 7),
                revision: 1,
            };
            let payments = lines
                .iter()
                .enumerate()
                .map(|(i, (iuv, iur, transfer, cents))| {
                    ReportedPayment::new(
                        i as u64 + 1,
                        iuv,
                        iur,
                        *transfer,
                        EuroCents::new(*cents),
                        PayStatus::Executed,
                        datetime!(2026-11-29 10:00 UTC),
                    )
                    .unwrap()
                })
                .collect();
            (flow, payments)
        })
        .collect();
    Data { flows, paid }
}

/// How many transfers each outcome got, in one order for both runs.
type Counts = [usize; 7];

fn with_abilita(data: Data) -> Counts {
    let mut reconciler = Reconciler::new();
    for (flow, payments) in data.flows {
        reconciler.add_flow(&flow, payments);
    }
    reconciler.add_paid(data.paid);
    let report = reconciler.report(TODAY);
    [
        report.reconciled.len(),
        report.mismatched.len(),
        report.unknown.len(),
        report.revoked.len(),
        report.duplicates.len(),
        report.unreported.len(),
        report.awaiting.len(),
    ]
}

/// What a first implementation does: a string key per transfer, a hash map
/// of cloned records, a set of keys seen.
fn naive(data: Data) -> Counts {
    let key = |iuv: &str, iur: &str, transfer: u8| format!("{iuv}|{iur}|{transfer}");
    let mut paid: HashMap<String, PaidTransfer> = HashMap::new();
    for p in &data.paid {
        paid.entry(key(&p.iuv, &p.iur, p.transfer))
            .or_insert_with(|| p.clone());
    }
    let mut flows = data.flows.clone();
    flows.sort_by(|a, b| (&a.0.psp_id, &a.0.fdr).cmp(&(&b.0.psp_id, &b.0.fdr)));
    let mut seen = HashSet::new();
    let mut counts = [0; 7];
    let mut matched = Vec::new();
    for (flow, payments) in &flows {
        for payment in payments {
            let k = key(&payment.iuv, &payment.iur, payment.transfer);
            if payment.status == PayStatus::Revoked {
                counts[3] += 1;
            } else if !seen.insert(k.clone()) {
                counts[4] += 1;
            } else if let Some(p) = paid.remove(&k) {
                let same = p.amount == payment.amount;
                counts[usize::from(!same)] += 1;
                matched.push((flow.clone(), payment.clone(), p));
            } else {
                counts[2] += 1;
            }
        }
    }
    for p in paid.values() {
        let late = p
            .paid_on
            .checked_add(Duration::days(REPORTING_DAYS))
            .is_some_and(|due| TODAY > due);
        counts[if late { 5 } else { 6 }] += 1;
    }
    counts
}

fn kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// One run in this process: its counts, seconds and peak MiB above the data.
fn run(name: &str) {
    let data = data();
    let base = kib("VmRSS:");
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting the peak (Linux 4.0+)");
    let started = Instant::now();
    let counts = match name {
        "abilita" => with_abilita(data),
        "naive" => naive(data),
        other => panic!("no run {other}"),
    };
    let seconds = started.elapsed().as_secs_f64();
    let peak = kib("VmHWM:").saturating_sub(base);
    println!("{counts:?} {seconds:.3} {}", peak / 1024);
}

fn main() {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--run" {
            run(&args.next().unwrap());
            return;
        }
    }
    println!("reconcile: {TRANSFERS} reported transfers in {FLOWS} flows against {TRANSFERS} paid");
    let mut outcomes = Vec::new();
    for name in ["abilita", "naive"] {
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--run", name])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = String::from_utf8(output.stdout).unwrap();
        let (counts, figures) = line.trim().rsplit_once("] ").unwrap();
        let (seconds, mib) = figures.split_once(' ').unwrap();
        println!("  {name:8} {seconds:>7} s  peak {mib:>5} MiB above the data  outcomes {counts}]");
        outcomes.push(counts.to_owned());
    }
    assert_eq!(
        outcomes[0], outcomes[1],
        "both runs file the transfers alike"
    );
}
