//! GPD v1 debt positions: what the creditor sends and what GPD answers.
//!
//! Field names and constraints follow `openapi_external_v1.json` of
//! `pagopa/pagopa-debt-position` and the validation rules of that service's
//! code (listed in [`validate`](super::validate)). The request types hold validated identifiers; response types keep
//! notice numbers and IUVs as text, because positions created outside this
//! SDK may carry legacy values with wrong check digits, and reading them must
//! not fail.

use abilita_core::{
    CodiceFiscale, CodiceFiscaleKind, EuroCents, Iban, IdentifierError, PartitaIva,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{CreditorCode, Iupd, Iuv, NoticeNumber, TaxonomyCode};

/// A debt position to create or replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct DebtPosition {
    /// The creditor's own id of the position.
    pub iupd: Iupd,
    /// Who owes.
    #[serde(flatten)]
    pub debtor: Debtor,
    /// The creditor's name, shown to the payer (≤ 140 characters).
    pub company_name: String,
    /// The creditor's office (≤ 140 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_name: Option<String>,
    /// From when the position is payable; `None` with publication makes it
    /// payable at once.
    #[serde(
        with = "super::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub validity_date: Option<OffsetDateTime>,
    /// Whether GPD makes the position `EXPIRED` after its last due date.
    pub switch_to_expired: bool,
    /// Whether it may be paid in pagoPA's Stand-In mode (GPD default: true).
    pub pay_stand_in: bool,
    /// The ways to pay it: one single payment and/or installments.
    #[serde(rename = "paymentOption")]
    pub payment_options: Vec<PaymentOption>,
}

/// The debtor of a position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct Debtor {
    /// Natural (`F`) or legal (`G`) person.
    #[serde(rename = "type")]
    pub kind: DebtorKind,
    /// Codice fiscale or partita IVA (or `ANONIMO`).
    pub fiscal_code: String,
    /// Name and surname, or company name.
    pub full_name: String,
    /// Street.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_name: Option<String>,
    /// Civic number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub civic_number: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Province (two letters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Country, ISO 3166 two upper-case letters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// E-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Debtor {
    /// A debtor by codice fiscale: a person (16 characters, `F`) or a legal
    /// entity (11 digits, `G`), the kind read from the code.
    #[must_use]
    pub fn new(fiscal_code: &CodiceFiscale, full_name: impl Into<String>) -> Self {
        let kind = match fiscal_code.kind() {
            CodiceFiscaleKind::Person => DebtorKind::Natural,
            CodiceFiscaleKind::LegalEntity => DebtorKind::Legal,
        };
        Self::with_id(kind, fiscal_code.as_str(), full_name)
    }

    /// A debtor identified otherwise: `ANONIMO` (the SOAP documentation's
    /// anonymous debtor) or a foreign identifier, as GPD takes any text.
    #[must_use]
    pub fn with_id(kind: DebtorKind, id: impl Into<String>, full_name: impl Into<String>) -> Self {
        Self {
            kind,
            fiscal_code: id.into(),
            full_name: full_name.into(),
            street_name: None,
            civic_number: None,
            postal_code: None,
            city: None,
            province: None,
            region: None,
            country: None,
            email: None,
            phone: None,
        }
    }
}

impl DebtPosition {
    /// A position with one payment option and GPD's defaults: no office
    /// name, no validity date (payable once published), not moving to
    /// `EXPIRED` after the due date, payable in stand-in. Add installments
    /// with [`with_option`](Self::with_option).
    #[must_use]
    pub fn new(
        iupd: Iupd,
        debtor: Debtor,
        company_name: impl Into<String>,
        option: PaymentOption,
    ) -> Self {
        Self {
            iupd,
            debtor,
            company_name: company_name.into(),
            office_name: None,
            validity_date: None,
            switch_to_expired: false,
            pay_stand_in: true,
            payment_options: vec![option],
        }
    }

    /// One more payment option (an installment, or an alternative single
    /// payment).
    #[must_use]
    pub fn with_option(mut self, option: PaymentOption) -> Self {
        self.payment_options.push(option);
        self
    }

    /// Payable only from `at` (a `PUBLISHED` position turns `VALID` then).
    #[must_use]
    pub fn valid_from(mut self, at: OffsetDateTime) -> Self {
        self.validity_date = Some(at);
        self
    }

    /// The office of the creditor that raised the debt.
    #[must_use]
    pub fn office(mut self, name: impl Into<String>) -> Self {
        self.office_name = Some(name.into());
        self
    }

    /// Moves to `EXPIRED` (no longer payable) after its last due date.
    #[must_use]
    pub fn expiring(mut self) -> Self {
        self.switch_to_expired = true;
        self
    }
}

impl PaymentOption {
    /// A single payment of `amount`, due at `due_date`, all of it to the
    /// creditor's own `iban` under taxonomy `category`: one transfer (id 1)
    /// whose remittance information is the description.
    #[must_use]
    pub fn to_account(
        iuv: Iuv,
        amount: EuroCents,
        description: impl Into<String>,
        due_date: OffsetDateTime,
        iban: Iban,
        category: TaxonomyCode,
    ) -> Self {
        let description = description.into();
        Self {
            nav: None,
            iuv,
            amount,
            description: description.clone(),
            is_partial_payment: false,
            due_date,
            retention_date: None,
            transfers: vec![Transfer {
                id: 1,
                amount,
                organization_fiscal_code: None,
                remittance_information: description,
                category,
                destination: TransferDestination::Account {
                    iban,
                    postal_iban: None,
                },
                metadata: Vec::new(),
            }],
            metadata: Vec::new(),
        }
    }

    /// The same option as an installment of a plan (`isPartialPayment`).
    #[must_use]
    pub fn installment(mut self) -> Self {
        self.is_partial_payment = true;
        self
    }
}

/// Natural or legal person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[allow(clippy::exhaustive_enums, reason = "closed by GPD's schema: F or G")]
pub enum DebtorKind {
    /// A natural person (`F`, *fisica*).
    #[serde(rename = "F")]
    Natural,
    /// A legal person (`G`, *giuridica*).
    #[serde(rename = "G")]
    Legal,
}

/// One way to pay a position: the whole amount, or one installment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct PaymentOption {
    /// The notice number; GPD derives `3` + IUV when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nav: Option<NoticeNumber>,
    /// The IUV, unique within the creditor.
    pub iuv: Iuv,
    /// The amount: exactly the sum of the transfers.
    pub amount: EuroCents,
    /// What is paid (≤ 140 characters).
    pub description: String,
    /// `true` for an installment, `false` for the single payment.
    pub is_partial_payment: bool,
    /// When it falls due.
    #[serde(serialize_with = "super::datetime::serialize")]
    pub due_date: OffsetDateTime,
    /// Until when it is kept (≥ due date).
    #[serde(
        with = "super::datetime::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub retention_date: Option<OffsetDateTime>,
    /// Where the money goes: 1 to 5 transfers.
    #[serde(rename = "transfer")]
    pub transfers: Vec<Transfer>,
    /// Up to 10 key/value pairs.
    #[serde(
        rename = "paymentOptionMetadata",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub metadata: Vec<Metadata>,
}

/// A share of a payment option credited to one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct Transfer {
    /// 1 to 5, unique within the option.
    #[serde(rename = "idTransfer", serialize_with = "id_as_text")]
    pub id: u8,
    /// The share.
    pub amount: EuroCents,
    /// The beneficiary creditor, when not the position's own (multi-beneficiary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_fiscal_code: Option<PartitaIva>,
    /// The remittance text (*causale*, ≤ 140 characters).
    pub remittance_information: String,
    /// The service's taxonomy code.
    pub category: TaxonomyCode,
    /// Where it is credited: an account, or a digital revenue stamp.
    #[serde(flatten)]
    pub destination: TransferDestination,
    /// Up to 10 key/value pairs.
    #[serde(rename = "transferMetadata", skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<Metadata>,
}

/// An account or a digital revenue stamp, never both (GPD rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[allow(
    clippy::exhaustive_enums,
    reason = "closed by GPD's schema: an account or a digital stamp"
)]
pub enum TransferDestination {
    /// A bank account, with an optional postal account beside it.
    #[serde(rename_all = "camelCase")]
    Account {
        /// The IBAN registered in pagoPA's back office.
        iban: Iban,
        /// A postal IBAN, for payments at the post office.
        #[serde(skip_serializing_if = "Option::is_none")]
        postal_iban: Option<Iban>,
    },
    /// A digital revenue stamp (*marca da bollo digitale*).
    Stamp {
        /// The stamp.
        stamp: Stamp,
    },
}

/// A digital revenue stamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct Stamp {
    /// Base64 SHA-256 of the stamped document (≤ 72 characters).
    pub hash_document: String,
    /// The stamp type, two characters (`01`).
    pub stamp_type: String,
    /// The debtor's province, two upper-case letters.
    pub provincial_residence: String,
}

/// A key/value pair attached to an option or a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct Metadata {
    /// ≤ 140 characters; `NOTIFICATION_FEE` is reserved.
    pub key: String,
    /// ≤ 140 characters.
    pub value: String,
}

/// The state of a debt position (SANP "Stati della posizione debitoria V1").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum PositionStatus {
    /// Created, not published.
    Draft,
    /// Published, not yet payable (validity date ahead).
    Published,
    /// Payable.
    Valid,
    /// Cancelled by the creditor (final).
    Invalid,
    /// Past its last due date with `switch_to_expired`.
    Expired,
    /// Some installments paid.
    PartiallyPaid,
    /// Paid.
    Paid,
    /// Paid and reported in a reporting flow.
    Reported,
    /// A state this SDK does not know yet.
    #[serde(other)]
    Unknown,
}

/// The state of a payment option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OptionStatus {
    /// Not paid.
    #[serde(rename = "PO_UNPAID")]
    Unpaid,
    /// Paid.
    #[serde(rename = "PO_PAID")]
    Paid,
    /// Some transfers reported.
    #[serde(rename = "PO_PARTIALLY_REPORTED")]
    PartiallyReported,
    /// Reported.
    #[serde(rename = "PO_REPORTED")]
    Reported,
    /// A state this SDK does not know yet.
    #[serde(other)]
    Unknown,
}

/// A debt position as GPD returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DebtPositionResponse {
    /// The creditor's id of the position.
    pub iupd: String,
    /// The creditor's fiscal code.
    #[serde(default)]
    pub organization_fiscal_code: Option<String>,
    /// The state.
    pub status: PositionStatus,
    /// The creditor's name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// The debtor's code, when GPD returns it.
    #[serde(default)]
    pub fiscal_code: Option<String>,
    /// When it was published.
    #[serde(default, with = "super::datetime::option")]
    pub publish_date: Option<OffsetDateTime>,
    /// From when it is payable.
    #[serde(default, with = "super::datetime::option")]
    pub validity_date: Option<OffsetDateTime>,
    /// When it was paid.
    #[serde(default, with = "super::datetime::option")]
    pub payment_date: Option<OffsetDateTime>,
    /// Its payment options.
    #[serde(default, rename = "paymentOption")]
    pub payment_options: Vec<PaymentOptionResponse>,
}

/// A payment option as GPD returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PaymentOptionResponse {
    /// The notice number, as stored.
    #[serde(default)]
    pub nav: Option<String>,
    /// The IUV, as stored.
    pub iuv: String,
    /// The amount (without the notification fee).
    pub amount: EuroCents,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// Installment or single payment.
    #[serde(default)]
    pub is_partial_payment: Option<bool>,
    /// The due date.
    #[serde(default, with = "super::datetime::option")]
    pub due_date: Option<OffsetDateTime>,
    /// When it was paid.
    #[serde(default, with = "super::datetime::option")]
    pub payment_date: Option<OffsetDateTime>,
    /// The receipt id (payment token) once paid.
    #[serde(default)]
    pub id_receipt: Option<String>,
    /// The PSP that collected it.
    #[serde(default)]
    pub psp_company: Option<String>,
    /// SEND notification costs added by the platform.
    #[serde(default)]
    pub notification_fee: Option<EuroCents>,
    /// The state.
    #[serde(default = "unknown_option_status")]
    pub status: OptionStatus,
    /// Its transfers.
    #[serde(default, rename = "transfer")]
    pub transfers: Vec<TransferResponse>,
}

impl DebtPositionResponse {
    /// The creditor's code, typed (none when GPD left it out).
    ///
    /// # Errors
    /// When the stored text is not 11 digits.
    pub fn creditor(&self) -> Option<Result<CreditorCode, IdentifierError>> {
        self.organization_fiscal_code
            .as_deref()
            .map(CreditorCode::new)
    }

    /// The debtor's codice fiscale, typed (none when GPD left it out).
    ///
    /// # Errors
    /// When the stored text is no codice fiscale (`ANONIMO`, a foreign id).
    pub fn debtor(&self) -> Option<Result<CodiceFiscale, IdentifierError>> {
        self.fiscal_code.as_deref().map(CodiceFiscale::new)
    }
}

impl PaymentOptionResponse {
    /// The notice number, typed: GPD's `nav`, or `3` + IUV (its default)
    /// when the answer has none.
    ///
    /// # Errors
    /// For a legacy value with wrong check digits, which the text keeps.
    pub fn notice_number(&self) -> Result<NoticeNumber, IdentifierError> {
        match &self.nav {
            Some(nav) => NoticeNumber::new(nav),
            None => NoticeNumber::new(&format!("3{}", self.iuv)),
        }
    }

    /// The IUV, typed.
    ///
    /// # Errors
    /// For a legacy value, which the text keeps.
    pub fn typed_iuv(&self) -> Result<Iuv, IdentifierError> {
        Iuv::new(&self.iuv)
    }
}

impl TransferResponse {
    /// The IBAN, typed (none for a stamp).
    ///
    /// # Errors
    /// When the stored text is no valid IBAN.
    pub fn account(&self) -> Option<Result<Iban, IdentifierError>> {
        self.iban.as_deref().map(Iban::new)
    }
}

/// GPD's `idTransfer` is the text `"1"`…`"5"`.
fn id_as_text<S: serde::Serializer>(id: &u8, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

fn unknown_option_status() -> OptionStatus {
    OptionStatus::Unknown
}

/// A transfer as GPD returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TransferResponse {
    /// 1 to 5.
    pub id_transfer: String,
    /// The share.
    pub amount: EuroCents,
    /// The beneficiary creditor.
    #[serde(default)]
    pub organization_fiscal_code: Option<String>,
    /// The remittance text.
    #[serde(default)]
    pub remittance_information: Option<String>,
    /// The taxonomy code.
    #[serde(default)]
    pub category: Option<String>,
    /// The IBAN.
    #[serde(default)]
    pub iban: Option<String>,
    /// The postal IBAN.
    #[serde(default)]
    pub postal_iban: Option<String>,
    /// The stamp.
    #[serde(default)]
    pub stamp: Option<Stamp>,
}

/// One page of a list of positions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PositionsPage {
    /// The positions.
    pub payment_position_list: Vec<DebtPositionResponse>,
    /// Where this page stands.
    pub page_info: PageInfo,
}

/// Paging of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PageInfo {
    /// This page, from 0.
    pub page: u32,
    /// Page size.
    pub limit: u32,
    /// Items in all pages.
    pub items_found: u32,
    /// Number of pages.
    pub total_pages: u32,
}

/// One page of receipts (`/payments/{cf}/receipts`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReceiptsPage {
    /// This page, from 0.
    pub current_page_number: u32,
    /// Receipts on this page.
    pub length: u32,
    /// Number of pages.
    pub total_pages: u32,
    /// The receipts' summaries, as GPD sends them (the spec leaves them
    /// untyped).
    pub results: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl DebtPosition {
    /// Whether GPD's stored position holds what this request would create:
    /// the test that makes a repeated create safe (a 409 on the same content
    /// is the earlier attempt's success).
    #[must_use]
    pub fn is_stored_as(&self, stored: &DebtPositionResponse) -> bool {
        let wanted = self.payment_options.iter().map(|o| {
            payable_key(
                o.iuv.as_str(),
                o.amount,
                Some(o.due_date),
                o.transfers.iter().map(|t| (t.id.to_string(), t.amount)),
            )
        });
        let stored_keys = stored.payment_options.iter().map(|o| {
            payable_key(
                &o.iuv,
                o.amount,
                o.due_date,
                o.transfers
                    .iter()
                    .map(|t| (t.id_transfer.clone(), t.amount)),
            )
        });
        stored.iupd == self.iupd.as_str() && same_payables(wanted, stored_keys)
    }
}

/// What must match between a request and a stored position for a repeated
/// create to count as the same: IUV, amount, due date to the second, and
/// each transfer's id and amount.
pub(crate) type PayableKey = (String, EuroCents, Option<i64>, Vec<(String, EuroCents)>);

pub(crate) fn payable_key(
    iuv: &str,
    amount: EuroCents,
    due: Option<OffsetDateTime>,
    transfers: impl Iterator<Item = (String, EuroCents)>,
) -> PayableKey {
    let mut transfers: Vec<_> = transfers.collect();
    transfers.sort();
    (
        iuv.to_owned(),
        amount,
        due.map(OffsetDateTime::unix_timestamp),
        transfers,
    )
}

pub(crate) fn same_payables(
    a: impl Iterator<Item = PayableKey>,
    b: impl Iterator<Item = PayableKey>,
) -> bool {
    let (mut a, mut b): (Vec<_>, Vec<_>) = (a.collect(), b.collect());
    a.sort();
    b.sort();
    a == b
}
