//! Reconciliation's laws: the report depends on the data, not on the order
//! or the pieces it arrives in; each reported and each paid transfer is in
//! exactly one list.

use abilita_core::EuroCents;
use abilita_pagopa::fdr::{FlowRef, PayStatus, ReportedPayment};
use abilita_pagopa::reconcile::{PaidTransfer, Reconciler, Report};
use proptest::prelude::*;
use time::macros::{date, datetime};
use time::{Date, Duration};

const TODAY: Date = date!(2026 - 12 - 01);

/// A small world, so that matches, mismatches, duplicates and revisions
/// all happen: (flow 0–2, revision 1–2, IUV 0–7, IUR 0–1, transfer 1–2,
/// cents 1–3, revoked one time in eight).
type Line = (u8, u64, u8, u8, u8, u64, bool);

fn line() -> impl Strategy<Value = Line> {
    (
        0..3u8,
        1..3u64,
        0..8u8,
        0..2u8,
        1..3u8,
        1..4u64,
        prop::bool::weighted(0.125),
    )
}

/// (IUV 0–7, IUR 0–1, transfer 1–2, cents 1–3, days before today 0–5).
fn paid() -> impl Strategy<Value = (u8, u8, u8, u64, i64)> {
    (0..8u8, 0..2u8, 1..3u8, 1..4u64, 0..6i64)
}

fn flow(f: u8, revision: u64) -> FlowRef {
    FlowRef {
        psp_id: format!("psp-{}", f % 2),
        fdr: format!("flow-{f}"),
        revision,
    }
}

/// Each line is the payment at its position (its index) in its flow.
fn reported(lines: &[Line]) -> Vec<(FlowRef, ReportedPayment)> {
    lines
        .iter()
        .enumerate()
        .map(|(i, &(f, revision, iuv, iur, transfer, cents, revoked))| {
            let payment = ReportedPayment::new(
                i as u64 + 1,
                &format!("iuv-{iuv}"),
                &format!("iur-{iur}"),
                transfer,
                EuroCents::new(cents),
                if revoked {
                    PayStatus::Revoked
                } else {
                    PayStatus::Executed
                },
                datetime!(2026-11-28 10:00 UTC),
            )
            .unwrap();
            (flow(f, revision), payment)
        })
        .collect()
}

fn paid_transfers(lines: &[(u8, u8, u8, u64, i64)]) -> Vec<PaidTransfer> {
    lines
        .iter()
        .map(|&(iuv, iur, transfer, cents, days)| {
            PaidTransfer::new(
                &format!("iuv-{iuv}"),
                &format!("iur-{iur}"),
                transfer,
                EuroCents::new(cents),
                TODAY - Duration::days(days),
            )
            .unwrap()
        })
        .collect()
}

/// Everything added in one call each.
fn at_once(reported: &[(FlowRef, ReportedPayment)], paid: &[PaidTransfer]) -> Report {
    let mut reconciler = Reconciler::new();
    let mut by_flow: Vec<(FlowRef, Vec<ReportedPayment>)> = Vec::new();
    for (flow, payment) in reported {
        match by_flow.iter_mut().find(|(f, _)| f == flow) {
            Some((_, list)) => list.push(payment.clone()),
            None => by_flow.push((flow.clone(), vec![payment.clone()])),
        }
    }
    for (flow, payments) in by_flow {
        reconciler.add_flow(&flow, payments);
    }
    reconciler.add_paid(paid.iter().cloned());
    reconciler.report(TODAY)
}

/// The same data shuffled by `seed` and added in pieces of `piece` items,
/// reported and paid interleaved, some reported lines added twice (a page
/// read again).
fn in_pieces(
    reported: &[(FlowRef, ReportedPayment)],
    paid: &[PaidTransfer],
    seed: u64,
    piece: usize,
) -> Report {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut reported = reported.to_vec();
    let mut paid = paid.to_vec();
    rng.shuffle(&mut reported);
    rng.shuffle(&mut paid);
    let again: Vec<_> = reported
        .iter()
        .filter(|_| rng.u8(..4) == 0)
        .cloned()
        .collect();
    reported.extend(again);
    let mut reconciler = Reconciler::new();
    let mut reported = reported.chunks(piece);
    let mut paid = paid.chunks(piece);
    loop {
        let (r, p) = (reported.next(), paid.next());
        if r.is_none() && p.is_none() {
            break;
        }
        for (flow, payment) in r.unwrap_or_default() {
            reconciler.add_flow(flow, [payment.clone()]);
        }
        reconciler.add_paid(p.unwrap_or_default().iter().cloned());
    }
    reconciler.report(TODAY)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_shuffle_or_split_gives_the_same_report(
        lines in prop::collection::vec(line(), 0..40),
        paid_lines in prop::collection::vec(paid(), 0..40),
        seed in any::<u64>(),
        piece in 1..7usize,
    ) {
        let reported = reported(&lines);
        let paid = paid_transfers(&paid_lines);
        let whole = at_once(&reported, &paid);
        prop_assert_eq!(&in_pieces(&reported, &paid, seed, piece), &whole);
        prop_assert_eq!(whole.to_csv(), in_pieces(&reported, &paid, seed ^ 1, piece).to_csv());
    }

    #[test]
    fn every_transfer_lands_in_exactly_one_list(
        lines in prop::collection::vec(line(), 0..40),
        paid_lines in prop::collection::vec(paid(), 0..40),
    ) {
        let reported = reported(&lines);
        let paid = paid_transfers(&paid_lines);
        let report = at_once(&reported, &paid);
        // Reported side: the latest revision of each flow counts.
        let latest = |flow: &FlowRef| {
            reported.iter().filter(|(f, _)| f.fdr == flow.fdr).map(|(f, _)| f.revision).max()
                == Some(flow.revision)
        };
        let counted = reported.iter().filter(|(f, _)| latest(f)).count();
        prop_assert_eq!(
            report.reconciled.len() + report.mismatched.len() + report.unknown.len()
                + report.revoked.len() + report.duplicates.len(),
            counted
        );
        // Paid side: each distinct transfer once, matched or not.
        let mut keys: Vec<_> = paid.iter().map(|p| (&p.iuv, &p.iur, p.transfer)).collect();
        keys.sort();
        keys.dedup();
        prop_assert_eq!(
            report.reconciled.len() + report.mismatched.len()
                + report.unreported.len() + report.awaiting.len(),
            keys.len()
        );
        for m in &report.reconciled {
            prop_assert_eq!(m.reported.payment.amount, m.paid.amount);
        }
        for m in &report.mismatched {
            prop_assert_ne!(m.reported.payment.amount, m.paid.amount);
        }
        for late in &report.unreported {
            prop_assert!(TODAY - late.paid_on > Duration::days(2));
        }
    }
}
