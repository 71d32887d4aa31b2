//! GPD v3: payment options that hold installment plans.
//!
//! In v3 a position offers one or more *payment options* (say, a single
//! payment, and three installments); each option has its own debtor and
//! dates and holds 1 to 100 installments; paying any installment of one
//! option makes the others unpayable. Shapes follow
//! `openapi_external_v3.json`; the rules per installment are v1's.

use abilita_core::{EuroCents, InvalidInput};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::model::{Debtor, Metadata, Transfer, TransferResponse};
use super::validate::{self, Operation, Payable, Rule};
use crate::{Iupd, Iuv, NoticeNumber};

/// The most payment options, and installments per option, v3 accepts.
pub const MAX_V3_ITEMS: usize = 100;

/// A v3 debt position to create or replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct DebtPositionV3 {
    /// The creditor's own id of the position.
    pub iupd: Iupd,
    /// The creditor's name (≤ 140 characters).
    pub company_name: String,
    /// The creditor's office (≤ 140 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_name: Option<String>,
    /// Whether it may be paid in pagoPA's Stand-In mode.
    pub pay_stand_in: bool,
    /// The alternative ways to pay (1 to 100).
    #[serde(rename = "paymentOption")]
    pub payment_options: Vec<InstallmentPlan>,
}

/// One way to pay a v3 position: a single installment, or a plan of several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct InstallmentPlan {
    /// What this option is (≤ 140 characters; GPD does not return it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// From when it is payable.
    #[serde(
        with = "super::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub validity_date: Option<OffsetDateTime>,
    /// Until when it is kept.
    #[serde(
        with = "super::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub retention_date: Option<OffsetDateTime>,
    /// Whether its installments expire after their due dates.
    pub switch_to_expired: bool,
    /// Who owes.
    pub debtor: Debtor,
    /// The installments (1 to 100).
    pub installments: Vec<Installment>,
}

/// One installment of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct Installment {
    /// The notice number; GPD derives `3` + IUV when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nav: Option<NoticeNumber>,
    /// The IUV, unique within the creditor.
    pub iuv: Iuv,
    /// The amount: exactly the sum of the transfers.
    pub amount: EuroCents,
    /// What is paid (≤ 140 characters).
    pub description: String,
    /// When it falls due.
    #[serde(serialize_with = "super::datetime::serialize")]
    pub due_date: OffsetDateTime,
    /// Where the money goes: 1 to 5 transfers.
    #[serde(rename = "transfer")]
    pub transfers: Vec<Transfer>,
    /// Up to 10 key/value pairs.
    #[serde(rename = "installmentMetadata", skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<Metadata>,
}

/// The state of a v3 position (v1's `EXPIRED` and `INVALID` show as
/// `UNPAYABLE`, `REPORTED` as `PAID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum PositionStatusV3 {
    /// Created, not published.
    Draft,
    /// Published, not yet payable.
    Published,
    /// Payable.
    Valid,
    /// Expired or cancelled.
    Unpayable,
    /// Some installments paid.
    PartiallyPaid,
    /// Paid.
    Paid,
    /// A state this SDK does not know yet.
    #[serde(other)]
    Unknown,
}

/// The state of an installment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum InstallmentStatus {
    /// Not paid.
    Unpaid,
    /// Paid.
    Paid,
    /// Some transfers reported.
    PartiallyReported,
    /// Reported.
    Reported,
    /// Cannot be paid (another option was chosen, or the position cancelled).
    Unpayable,
    /// Past its due date.
    Expired,
    /// A state this SDK does not know yet.
    #[serde(other)]
    Unknown,
}

/// A v3 position as GPD returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DebtPositionV3Response {
    /// The creditor's id of the position.
    pub iupd: String,
    /// The creditor's fiscal code.
    #[serde(default)]
    pub organization_fiscal_code: Option<String>,
    /// The state.
    pub status: PositionStatusV3,
    /// The creditor's name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// When it was paid.
    #[serde(default, with = "super::datetime::option")]
    pub payment_date: Option<OffsetDateTime>,
    /// Its payment options.
    #[serde(default, rename = "paymentOption")]
    pub payment_options: Vec<InstallmentPlanResponse>,
}

/// A payment option of a v3 position as GPD returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InstallmentPlanResponse {
    /// From when it is payable.
    #[serde(default, with = "super::datetime::option")]
    pub validity_date: Option<OffsetDateTime>,
    /// Whether its installments expire.
    #[serde(default)]
    pub switch_to_expired: Option<bool>,
    /// The installments.
    #[serde(default)]
    pub installments: Vec<InstallmentResponse>,
}

/// An installment as GPD returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InstallmentResponse {
    /// The notice number, as stored.
    #[serde(default)]
    pub nav: Option<String>,
    /// The IUV, as stored.
    pub iuv: String,
    /// The amount.
    pub amount: EuroCents,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// The due date.
    #[serde(default, with = "super::datetime::option")]
    pub due_date: Option<OffsetDateTime>,
    /// The state.
    #[serde(default = "unknown_installment_status")]
    pub status: InstallmentStatus,
    /// When it was paid.
    #[serde(default, with = "super::datetime::option")]
    pub payment_date: Option<OffsetDateTime>,
    /// The receipt id once paid.
    #[serde(default)]
    pub id_receipt: Option<String>,
    /// Its transfers.
    #[serde(default, rename = "transfer")]
    pub transfers: Vec<TransferResponse>,
}

fn unknown_installment_status() -> InstallmentStatus {
    InstallmentStatus::Unknown
}

/// One page of a v3 list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PositionsPageV3 {
    /// The positions.
    pub payment_position_list: Vec<DebtPositionV3Response>,
    /// Where this page stands.
    pub page_info: super::PageInfo,
}

impl DebtPositionV3 {
    /// Whether GPD's stored position holds what this request would create
    /// (see [`super::DebtPosition::is_stored_as`]).
    #[must_use]
    pub fn is_stored_as(&self, stored: &DebtPositionV3Response) -> bool {
        let wanted = self
            .payment_options
            .iter()
            .flat_map(|p| &p.installments)
            .map(|i| {
                super::model::payable_key(
                    i.iuv.as_str(),
                    i.amount,
                    Some(i.due_date),
                    i.transfers.iter().map(|t| (t.id.to_string(), t.amount)),
                )
            });
        let stored_keys = stored
            .payment_options
            .iter()
            .flat_map(|p| &p.installments)
            .map(|i| {
                super::model::payable_key(
                    &i.iuv,
                    i.amount,
                    i.due_date,
                    i.transfers
                        .iter()
                        .map(|t| (t.id_transfer.clone(), t.amount)),
                )
            });
        stored.iupd == self.iupd.as_str() && super::model::same_payables(wanted, stored_keys)
    }
}

/// GPD's rules for a v3 position, before any I/O.
pub(crate) fn validate(
    position: &DebtPositionV3,
    now: OffsetDateTime,
    operation: Operation,
) -> Result<(), InvalidInput> {
    validate::header(&position.company_name, position.office_name.as_deref())?;
    if position.payment_options.is_empty() || position.payment_options.len() > MAX_V3_ITEMS {
        return Err(InvalidInput::new(
            "paymentOption",
            Rule("1 to 100 payment options"),
        ));
    }
    let mut iuvs = std::collections::HashSet::new();
    for (i, plan) in position.payment_options.iter().enumerate() {
        let at = format!("paymentOption[{i}]");
        validate::debtor(&format!("{at}.debtor."), &plan.debtor)?;
        validate::validity(
            &format!("{at}.validityDate"),
            plan.validity_date,
            now,
            operation,
        )?;
        if let Some(description) = &plan.description {
            validate::text(&format!("{at}.description"), description)?;
        }
        if plan.installments.is_empty() || plan.installments.len() > MAX_V3_ITEMS {
            return Err(InvalidInput::new(
                format!("{at}.installments"),
                Rule("1 to 100 installments"),
            ));
        }
        for (j, installment) in plan.installments.iter().enumerate() {
            let at = format!("{at}.installments[{j}]");
            validate::unique_iuv(&mut iuvs, &at, &installment.iuv)?;
            let payable = Payable {
                nav: installment.nav.as_ref(),
                iuv: &installment.iuv,
                amount: installment.amount,
                description: &installment.description,
                due_date: installment.due_date,
                retention_date: plan.retention_date,
                transfers: &installment.transfers,
                metadata: &installment.metadata,
                metadata_field: "installmentMetadata",
            };
            validate::payable(&at, &payable, plan.validity_date, now, operation)?;
        }
    }
    Ok(())
}
