//! Reconciliation: each transfer the PSPs reported (FdR) matched to the
//! receipt the creditor holds for it, by IUV, IUR and transfer, amounts to
//! the cent.
//!
//! The creditor's side is a set of [`PaidTransfer`]s, built from the
//! station's receipts ([`PaidTransfer::from_receipt`]) or GPD's paid
//! payment options ([`PaidTransfer::from_gpd_option`]); the PSPs' side is
//! the flows read with [`crate::fdr::FdrClient`]. A [`Reconciler`] takes
//! both in any order and any number of pieces (pages, days, revisions) and
//! gives the same [`Report`] for the same data:
//!
//! - only the latest revision of each PSP's flow counts;
//! - a transfer reported by two flows (or twice in one) is reconciled once,
//!   against the first flow in (PSP, flow id, index) order; the other
//!   reports are [`Report::duplicates`];
//! - a transfer paid and not reported is [`Report::unreported`] once the
//!   PSP is late (a flow is due at D+2 for a payment of day D), and
//!   [`Report::awaiting`] before.
//!
//! ```
//! use abilita_core::EuroCents;
//! use abilita_pagopa::fdr::FlowRef;
//! use abilita_pagopa::reconcile::{PaidTransfer, Reconciler};
//! use time::macros::date;
//!
//! let mut reconciler = Reconciler::new();
//! reconciler.add_paid([PaidTransfer::new("01000000000000101", "receipt-1", 1, EuroCents::new(12_000), date!(2026-11-27))?]);
//! let flow = FlowRef { psp_id: "88888888888".into(), fdr: "2026-11-2888888888888-0001".into(), revision: 1 };
//! reconciler.add_flow(&flow, []);
//! let report = reconciler.report(date!(2026-12-01));
//! assert_eq!(report.unreported.len(), 1);
//! # Ok::<(), abilita_core::InvalidInput>(())
//! ```
//!
//! Sorting, not hashing, does the matching: both sides are sorted by key
//! and merged, so the work is `n log n` and the memory the data itself
//! (`cargo bench -p abilita-pagopa --bench reconcile`: a million of each).

mod csv;

pub use csv::CSV_HEADER;

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use abilita_core::{EuroCents, InvalidInput, Rule};
use time::{Date, Duration};

use crate::CreditorCode;
use crate::fdr::{FlowRef, ReportedPayment};
use crate::gpd::PaymentOptionResponse;
use crate::station::{Receipt, ReceiptTransfer};

/// The days after the payment day by which a PSP reports it (D+2).
pub const REPORTING_DAYS: i64 = 2;

/// A transfer the creditor was paid, as its receipt says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PaidTransfer {
    /// The IUV paid.
    pub iuv: String,
    /// The receipt's id (`receiptId`), which FdR reports as the IUR.
    pub iur: String,
    /// The transfer of the payment (1 to 5).
    pub transfer: u8,
    /// The amount credited to the creditor.
    pub amount: EuroCents,
    /// The payment's day (D).
    pub paid_on: Date,
}

impl PaidTransfer {
    /// A paid transfer from the creditor's own records.
    ///
    /// # Errors
    /// An empty IUV or IUR, or a transfer outside 1 to 5, naming the rule.
    pub fn new(
        iuv: &str,
        iur: &str,
        transfer: u8,
        amount: EuroCents,
        paid_on: Date,
    ) -> Result<Self, InvalidInput> {
        if iuv.is_empty() {
            return Err(InvalidInput::new("iuv", Rule("must not be empty")));
        }
        if iur.is_empty() {
            return Err(InvalidInput::new("iur", Rule("must not be empty")));
        }
        if !(1..=5).contains(&transfer) {
            return Err(InvalidInput::new("transfer", Rule("from 1 to 5")));
        }
        Ok(Self {
            iuv: iuv.to_owned(),
            iur: iur.to_owned(),
            transfer,
            amount,
            paid_on,
        })
    }

    /// The transfers of a receipt the station recorded that credit
    /// `creditor` (a receipt can pay several bodies). The payment's day is
    /// the receipt's `paymentDateTime` as written (the Nodo writes Italian
    /// time), else `received_on`.
    #[must_use]
    pub fn from_receipt(
        receipt: &Receipt,
        creditor: &CreditorCode,
        received_on: Date,
    ) -> Vec<Self> {
        let paid_on = receipt.paid_at.map_or(received_on, |(at, _)| at.date());
        receipt
            .transfers
            .iter()
            .filter(|t: &&ReceiptTransfer| t.creditor == *creditor)
            .map(|t| Self {
                iuv: receipt.creditor_reference.clone(),
                iur: receipt.receipt_id.clone(),
                transfer: t.id,
                amount: t.amount,
                paid_on,
            })
            .collect()
    }

    /// The transfers of a payment option GPD shows paid through pagoPA (with
    /// a receipt id and a payment date) that credit `creditor`: the
    /// option's own transfers, or those naming `creditor`. Options unpaid,
    /// or paid outside pagoPA, give none.
    #[must_use]
    pub fn from_gpd_option(option: &PaymentOptionResponse, creditor: &CreditorCode) -> Vec<Self> {
        let (Some(iur), Some(paid_at)) = (&option.id_receipt, option.payment_date) else {
            return Vec::new();
        };
        option
            .transfers
            .iter()
            .filter(|t| {
                t.organization_fiscal_code
                    .as_deref()
                    .is_none_or(|code| code == creditor.as_str())
            })
            .filter_map(|t| {
                let transfer = t
                    .id_transfer
                    .parse()
                    .ok()
                    .filter(|id| (1..=5).contains(id))?;
                Some(Self {
                    iuv: option.iuv.clone(),
                    iur: iur.clone(),
                    transfer,
                    amount: t.amount,
                    paid_on: paid_at.date(),
                })
            })
            .collect()
    }

    fn key(&self) -> (&str, &str, u8) {
        (&self.iuv, &self.iur, self.transfer)
    }
}

/// A transfer as one flow reported it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Reported {
    /// The flow (and revision) that reported it.
    pub flow: Arc<FlowRef>,
    /// What it reported.
    pub payment: ReportedPayment,
}

impl Reported {
    fn key(&self) -> (&str, &str, u8) {
        (&self.payment.iuv, &self.payment.iur, self.payment.transfer)
    }

    /// The report's order: by transfer, then (PSP, flow, index).
    fn order(&self, other: &Self) -> Ordering {
        self.key()
            .cmp(&other.key())
            .then_with(|| self.flow.psp_id.cmp(&other.flow.psp_id))
            .then_with(|| self.flow.fdr.cmp(&other.flow.fdr))
            .then_with(|| self.payment.index.cmp(&other.payment.index))
    }
}

/// A reported transfer and the receipt's transfer it matched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Matched {
    /// What the PSP reported.
    pub reported: Reported,
    /// What the creditor was paid.
    pub paid: PaidTransfer,
}

/// The outcome of a reconciliation: every reported and every paid transfer
/// is in exactly one list, each list in (IUV, IUR, transfer) order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Report {
    /// Reported and paid, to the cent.
    pub reconciled: Vec<Matched>,
    /// Reported and paid, with different amounts.
    pub mismatched: Vec<Matched>,
    /// Reported as collected, with no receipt.
    pub unknown: Vec<Reported>,
    /// Reported as revoked (`REVOKED`): money taken back.
    pub revoked: Vec<Reported>,
    /// Reported again after another report of the same transfer.
    pub duplicates: Vec<Reported>,
    /// Paid, not reported, and past D+2.
    pub unreported: Vec<PaidTransfer>,
    /// Paid, not reported yet, still within D+2.
    pub awaiting: Vec<PaidTransfer>,
}

impl Report {
    /// Whether everything reported was paid and everything paid and due
    /// was reported, to the cent.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.mismatched.is_empty()
            && self.unknown.is_empty()
            && self.duplicates.is_empty()
            && self.unreported.is_empty()
    }
}

/// The latest revision added of one PSP's flow, and its payments by index.
type Revision = (Arc<FlowRef>, HashMap<u64, ReportedPayment>);

/// Collects both sides, then [`Reconciler::report`]s. Adding the same data
/// in another order or split differently gives the same report. A job
/// that keeps the flows it has read in one reconciler reports on a clone of
/// it, and keeps adding to the original.
#[derive(Debug, Default, Clone)]
pub struct Reconciler {
    /// Per (PSP, flow): the latest revision added and its payments by index.
    flows: HashMap<(String, String), Revision>,
    paid: Vec<PaidTransfer>,
}

impl Reconciler {
    /// A reconciler holding nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds payments (all of a flow, or a page) reported by `flow`. A later
    /// revision of the same PSP's flow replaces what an earlier one
    /// reported; an earlier revision than one already added is ignored;
    /// a payment index added twice for one revision is kept once.
    pub fn add_flow(
        &mut self,
        flow: &FlowRef,
        payments: impl IntoIterator<Item = ReportedPayment>,
    ) {
        let key = (flow.psp_id.clone(), flow.fdr.clone());
        let entry = self
            .flows
            .entry(key)
            .or_insert_with(|| (Arc::new(flow.clone()), HashMap::new()));
        match flow.revision.cmp(&entry.0.revision) {
            Ordering::Less => return,
            Ordering::Greater => *entry = (Arc::new(flow.clone()), HashMap::new()),
            Ordering::Equal => {}
        }
        for payment in payments {
            entry.1.entry(payment.index).or_insert(payment);
        }
    }

    /// Adds transfers the creditor was paid. The same transfer added twice
    /// is kept once.
    pub fn add_paid(&mut self, paid: impl IntoIterator<Item = PaidTransfer>) {
        self.paid.extend(paid);
    }

    /// Matches both sides as of `today` (which decides what is late).
    #[must_use]
    pub fn report(self, today: Date) -> Report {
        let mut report = Report::default();
        let mut collected = Vec::new();
        for (flow, payments) in self.flows.into_values() {
            for payment in payments.into_values() {
                let entry = Reported {
                    flow: Arc::clone(&flow),
                    payment,
                };
                if entry.payment.status.collected() {
                    collected.push(entry);
                } else {
                    report.revoked.push(entry);
                }
            }
        }
        report.revoked.sort_unstable_by(Reported::order);
        collected.sort_unstable_by(Reported::order);
        // After sorting, a transfer's reports are adjacent: the first
        // counts, the others repeat it.
        let repeats: Vec<bool> = std::iter::once(false)
            .chain(
                collected
                    .windows(2)
                    .map(|pair| matches!(pair, [a, b] if a.key() == b.key())),
            )
            .collect();
        let mut paid = self.paid;
        paid.sort_unstable_by(|a, b| {
            a.key()
                .cmp(&b.key())
                .then_with(|| a.amount.cmp(&b.amount))
                .then_with(|| a.paid_on.cmp(&b.paid_on))
        });
        paid.dedup_by(|later, first| later.key() == first.key());

        let mut paid = paid.into_iter().peekable();
        for (entry, repeat) in collected.into_iter().zip(repeats) {
            if repeat {
                report.duplicates.push(entry);
                continue;
            }
            let key = entry.key();
            // Paid transfers before this key were never reported.
            while let Some(earlier) = paid.next_if(|p| p.key() < key) {
                report.file_unreported(earlier, today);
            }
            match paid.next_if(|p| p.key() == key) {
                Some(matched) if matched.amount == entry.payment.amount => {
                    report.reconciled.push(Matched {
                        reported: entry,
                        paid: matched,
                    });
                }
                Some(matched) => report.mismatched.push(Matched {
                    reported: entry,
                    paid: matched,
                }),
                None => report.unknown.push(entry),
            }
        }
        for rest in paid {
            report.file_unreported(rest, today);
        }
        report
    }
}

impl Report {
    /// Files a paid transfer no flow reported: late past D+2.
    fn file_unreported(&mut self, paid: PaidTransfer, today: Date) {
        let due = paid.paid_on.checked_add(Duration::days(REPORTING_DAYS));
        if due.is_some_and(|due| today > due) {
            self.unreported.push(paid);
        } else {
            self.awaiting.push(paid);
        }
    }
}
