//! The creditor's debts, as the station asks about them: the trait an app
//! implements over its own database, and an in-memory one for tests.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::OffsetDateTime;

use super::receipt::Receipt;
use crate::gpd::{DebtPosition, PaymentOption};
use crate::{CreditorCode, Iuv, NoticeNumber};

/// A debt position as the creditor holds it: what it is, where it stands,
/// and which of its options are paid. The station decides from it whether
/// a notice may be paid (see [`Station`](super::Station) for the table).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Holding {
    /// The position, in GPD's model (company name, debtor, options,
    /// transfers, validity date, whether it expires).
    pub position: DebtPosition,
    /// Where the creditor's process has it.
    pub standing: Standing,
    /// The IUVs of the options a receipt has paid.
    pub paid: Vec<Iuv>,
}

impl Holding {
    /// A position in `standing` with nothing paid.
    #[must_use]
    pub fn new(position: DebtPosition, standing: Standing) -> Self {
        Self {
            position,
            standing,
            paid: Vec::new(),
        }
    }

    /// The option a notice number names: by its `nav`, or by IUV when the
    /// option has none (GPD derives `3` + IUV).
    #[must_use]
    pub fn option(&self, notice: &NoticeNumber) -> Option<&PaymentOption> {
        let iuv = notice.iuv();
        self.position.payment_options.iter().find(|option| {
            option
                .nav
                .as_ref()
                .map_or(option.iuv == iuv, |nav| nav == notice)
        })
    }

    /// Whether the option with `iuv` is paid.
    #[must_use]
    pub fn is_paid(&self, iuv: &Iuv) -> bool {
        self.paid.contains(iuv)
    }
}

/// Where the creditor's own process has a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Standing {
    /// Being prepared: not yet issued to the debtor (`PAA_PAGAMENTO_SCONOSCIUTO`).
    Draft,
    /// Issued: payable from its validity date.
    Issued,
    /// Being collected through another channel right now, such as a POS at
    /// the counter (`PAA_PAGAMENTO_IN_CORSO`).
    InProgress,
    /// Cancelled by the creditor (`PAA_PAGAMENTO_ANNULLATO`).
    Cancelled,
}

/// An activation (`paGetPayment`): a PSP is about to take the payment.
/// Only one is open per notice; a new one replaces the one before (the
/// Nodo voids the earlier attempt).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Activation {
    /// The creditor.
    pub creditor: CreditorCode,
    /// The notice being paid.
    pub notice: NoticeNumber,
    /// When the station answered it.
    pub at: OffsetDateTime,
    /// `paymentNote`: Checkout's cart id for payments started on the
    /// creditor's site.
    pub payment_note: Option<String>,
}

/// A request for a spontaneous payment (`paDemandPaymentNotice`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Demand {
    /// `idPA`.
    pub creditor: CreditorCode,
    /// `idServizio`: the service in pagoPA's catalogue (5 characters).
    pub service: String,
    /// `idSoggettoServizio`: the creditor's entry for it (5 characters).
    pub service_subject: String,
    /// `datiSpecificiServizioRequest`, decoded from base64: XML following
    /// the service's catalogue schema. Parse it with
    /// [`abilita_core::xml::parse`].
    pub data: Vec<u8>,
}

/// What recording a receipt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Recorded {
    /// Stored, and the option is now paid.
    Paid,
    /// This very receipt (`receiptId`) was stored before: acknowledged
    /// again, stored once.
    Repeated,
    /// The option was paid by another receipt: `PAA_RECEIPT_DUPLICATA`.
    /// Keep this one too, for the refund the PSP will have to make.
    OtherReceiptHeld,
    /// No position of this creditor has the notice. Keep the receipt (once)
    /// all the same: a broadcast station receives the receipts of payments
    /// other stations created.
    Unknown,
}

/// The creditor's store failed; the station answers `PAA_SYSTEM_ERROR`
/// and the Nodo retries.
#[derive(Debug, thiserror::Error)]
#[error("the creditor's debt store failed")]
pub struct DebtsError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl DebtsError {
    /// The store's own error.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(source.into())
    }
}

/// The creditor's debts, over its own database.
///
/// Each method is one transaction. [`record_receipt`](Self::record_receipt)
/// must make the receipt durable, and the option paid, before it returns:
/// the station acknowledges the receipt to the Nodo only then, and the
/// Nodo stops retrying once acknowledged.
#[async_trait]
pub trait Debts: Send + Sync {
    /// The position holding `notice` of `creditor`, or `None`. Shared, so
    /// that a store keeping its positions in memory hands them out without
    /// copying.
    async fn holding(
        &self,
        creditor: &CreditorCode,
        notice: &NoticeNumber,
    ) -> Result<Option<Arc<Holding>>, DebtsError>;

    /// Records an activation, replacing any open one for the same notice.
    async fn activated(&self, activation: &Activation) -> Result<(), DebtsError>;

    /// Stores `receipt` and marks its option paid, in one transaction,
    /// unless this receipt (same `receiptId`) or another one already paid
    /// the option: see [`Recorded`].
    async fn record_receipt(&self, receipt: &Receipt) -> Result<Recorded, DebtsError>;

    /// Creates a position for a spontaneous payment and names the notice to
    /// pay, or `None` when the creditor does not offer the service (the
    /// default: `PAA_SEMANTICA`).
    async fn demand(&self, demand: &Demand) -> Result<Option<(NoticeNumber, Holding)>, DebtsError> {
        let _ = demand;
        Ok(None)
    }
}

/// Debts in memory, for tests and examples: positions put in with
/// [`insert`](Self::insert), every receipt kept.
#[derive(Debug, Default)]
pub struct MemoryDebts {
    state: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    /// Each position under every option's IUV.
    holdings: HashMap<(CreditorCode, Iuv), Arc<Holding>>,
    /// Each option's paying receipt id.
    paid_by: HashMap<(CreditorCode, Iuv), String>,
    receipts: Vec<Receipt>,
    /// (creditor, IUV, receipt id) of every receipt in `receipts`.
    kept: HashSet<(CreditorCode, Iuv, String)>,
    activations: HashMap<(CreditorCode, NoticeNumber), Activation>,
}

impl MemoryDebts {
    /// No debts.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `holding` of `creditor`, found by any of its
    /// options' notice numbers.
    pub fn insert(&self, creditor: &CreditorCode, holding: Holding) {
        abilita_core::lock(&self.state).put(creditor, Arc::new(holding));
    }

    /// Every receipt received, each once, in order: paying ones, those
    /// refused as duplicates and those for unknown notices.
    #[must_use]
    pub fn receipts(&self) -> Vec<Receipt> {
        abilita_core::lock(&self.state).receipts.clone()
    }

    /// The open activation of `notice`.
    #[must_use]
    pub fn activation(&self, creditor: &CreditorCode, notice: &NoticeNumber) -> Option<Activation> {
        abilita_core::lock(&self.state)
            .activations
            .get(&(creditor.clone(), notice.clone()))
            .cloned()
    }
}

impl Memory {
    /// `holding` under each of its options' IUVs.
    fn put(&mut self, creditor: &CreditorCode, holding: Arc<Holding>) {
        for option in &holding.position.payment_options {
            self.holdings
                .insert((creditor.clone(), option.iuv.clone()), holding.clone());
        }
    }
}

#[async_trait]
impl Debts for MemoryDebts {
    async fn holding(
        &self,
        creditor: &CreditorCode,
        notice: &NoticeNumber,
    ) -> Result<Option<Arc<Holding>>, DebtsError> {
        let memory = abilita_core::lock(&self.state);
        Ok(memory
            .holdings
            .get(&(creditor.clone(), notice.iuv()))
            .cloned())
    }

    async fn activated(&self, activation: &Activation) -> Result<(), DebtsError> {
        abilita_core::lock(&self.state).activations.insert(
            (activation.creditor.clone(), activation.notice.clone()),
            activation.clone(),
        );
        Ok(())
    }

    async fn record_receipt(&self, receipt: &Receipt) -> Result<Recorded, DebtsError> {
        let mut memory = abilita_core::lock(&self.state);
        let key = (receipt.creditor.clone(), receipt.notice.iuv());
        // Each receipt is kept once, whatever it turns out to be.
        let id = (key.0.clone(), key.1.clone(), receipt.receipt_id.clone());
        if memory.kept.insert(id) {
            memory.receipts.push(receipt.clone());
        }
        if let Some(paying) = memory.paid_by.get(&key) {
            return Ok(if *paying == receipt.receipt_id {
                Recorded::Repeated
            } else {
                Recorded::OtherReceiptHeld
            });
        }
        let Some(held) = memory.holdings.get(&key) else {
            return Ok(Recorded::Unknown);
        };
        let mut paid = Holding::clone(held);
        paid.paid.push(key.1.clone());
        memory.put(&key.0, Arc::new(paid));
        memory
            .paid_by
            .insert(key.clone(), receipt.receipt_id.clone());
        memory
            .activations
            .remove(&(receipt.creditor.clone(), receipt.notice.clone()));
        Ok(Recorded::Paid)
    }
}
