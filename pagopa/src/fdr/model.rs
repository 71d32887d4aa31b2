//! The FdR organization API's answers, typed.
//!
//! Amounts arrive as JSON numbers of euros (`"pay": 100.95`); they are read
//! into [`EuroCents`] exactly or refused, never rounded. Times are RFC 3339
//! instants.

use std::fmt;

use abilita_core::{EuroCents, InvalidInput, Rule};
use serde::{Deserialize, Deserializer};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// A flow as the list of published flows shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FlowSummary {
    /// The flow's id (`2026-11-2988888888888-0001`: settlement date, PSP,
    /// a code unique in the year).
    pub fdr: String,
    /// The PSP that sent it.
    pub psp_id: String,
    /// Its revision, from 1.
    pub revision: u64,
    /// When this revision was published.
    #[serde(deserialize_with = "instant")]
    pub published: OffsetDateTime,
    /// The flow's date (`fdrDate`).
    #[serde(deserialize_with = "instant")]
    pub flow_date: OffsetDateTime,
}

impl FlowSummary {
    /// The address of this revision, to read its header and payments.
    #[must_use]
    pub fn flow_ref(&self) -> FlowRef {
        FlowRef {
            psp_id: self.psp_id.clone(),
            fdr: self.fdr.clone(),
            revision: self.revision,
        }
    }
}

/// One revision of one PSP's flow: what the header and payments calls
/// read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(
    clippy::exhaustive_structs,
    reason = "the API's three path parameters; built by callers with a literal"
)]
pub struct FlowRef {
    /// The PSP that sent it.
    pub psp_id: String,
    /// The flow's id.
    pub fdr: String,
    /// The revision, from 1.
    pub revision: u64,
}

impl fmt::Display for FlowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} rev. {} of PSP {}",
            self.fdr, self.revision, self.psp_id
        )
    }
}

/// A flow's state (the organization API shows published flows only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum FlowStatus {
    /// Created by the PSP, no payments yet.
    Created,
    /// Payments being added.
    Inserted,
    /// Published: final for this revision.
    Published,
    /// A state this SDK does not know.
    #[serde(other)]
    Unknown,
}

/// A flow's header: who pays whom, the settlement transfer and the totals.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Flow {
    /// The flow's state.
    pub status: FlowStatus,
    /// The revision.
    pub revision: u64,
    /// The flow's id.
    pub fdr: String,
    /// The flow's date.
    #[serde(deserialize_with = "instant")]
    pub fdr_date: OffsetDateTime,
    /// The settlement transfer's id (the SCT's reference): the bank
    /// statement shows it, with the causale
    /// `/PUR/LGPE-RIVERSAMENTO/URI/<fdr>`.
    pub regulation: String,
    /// The settlement's date.
    #[serde(deserialize_with = "local_date")]
    pub regulation_date: Date,
    /// The BIC of the bank that pays out, when sent.
    #[serde(default)]
    pub bic_code_pouring_bank: Option<String>,
    /// The PSP side.
    pub sender: Sender,
    /// The creditor side.
    pub receiver: Receiver,
    /// When the revision was published.
    #[serde(default, deserialize_with = "optional_instant")]
    pub published: Option<OffsetDateTime>,
    /// How many payments the PSP declared.
    pub tot_payments: u64,
    /// Their sum, as the PSP declared it.
    #[serde(deserialize_with = "euros")]
    pub sum_payments: EuroCents,
    /// How many payments the platform counted.
    #[serde(default)]
    pub computed_tot_payments: Option<u64>,
    /// Their sum, as the platform computed it.
    #[serde(default, deserialize_with = "optional_euros")]
    pub computed_sum_payments: Option<EuroCents>,
}

/// The PSP that sent a flow.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Sender {
    /// How `id` identifies it: `LEGAL_PERSON`, `ABI_CODE`, `BIC_CODE`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The sender's id (a BIC, an ABI code or a fiscal code).
    pub id: String,
    /// The PSP's pagoPA id.
    pub psp_id: String,
    /// The PSP's name.
    pub psp_name: String,
    /// The PSP's broker.
    pub psp_broker_id: String,
    /// The channel.
    pub channel_id: String,
}

/// The creditor a flow is for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Receiver {
    /// The receiver's id.
    pub id: String,
    /// The creditor's fiscal code.
    pub organization_id: String,
    /// The creditor's name.
    pub organization_name: String,
}

/// How a reported payment ended (`payStatus`, the SOAP flows'
/// `codiceEsitoSingoloPagamento` in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum PayStatus {
    /// Paid (0).
    Executed,
    /// A payment revoked: the money is taken back (3).
    Revoked,
    /// Paid while the Nodo ran in Stand-In (4).
    StandIn,
    /// Paid in Stand-In without an RPT (8).
    StandInNoRpt,
    /// Paid without an RPT (9).
    NoRpt,
    /// A status this SDK does not know.
    #[serde(other)]
    Unknown,
}

impl PayStatus {
    /// The API's name of the status.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Executed => "EXECUTED",
            Self::Revoked => "REVOKED",
            Self::StandIn => "STAND_IN",
            Self::StandInNoRpt => "STAND_IN_NO_RPT",
            Self::NoRpt => "NO_RPT",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// Whether money was collected: everything but a revocation. A status
    /// this SDK does not know counts as collected, so that reconciliation
    /// matches it (and its report shows the status) rather than file it as
    /// money taken back.
    #[must_use]
    pub fn collected(self) -> bool {
        self != Self::Revoked
    }
}

/// One transfer a flow reports: money collected for one transfer of one
/// payment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReportedPayment {
    /// Its index in the flow, from 1.
    pub index: u64,
    /// The IUV paid.
    pub iuv: String,
    /// The collection's id (IUR): for payments through the Nodo, the
    /// receipt's `receiptId`.
    pub iur: String,
    /// The transfer of the payment (1 to 5).
    #[serde(rename = "idTransfer", deserialize_with = "transfer_id")]
    pub transfer: u8,
    /// The amount credited for this transfer.
    #[serde(rename = "pay", deserialize_with = "euros")]
    pub amount: EuroCents,
    /// How it ended.
    #[serde(rename = "payStatus")]
    pub status: PayStatus,
    /// When it was paid.
    #[serde(rename = "payDate", deserialize_with = "instant")]
    pub paid_at: OffsetDateTime,
}

impl ReportedPayment {
    /// A reported transfer from another source (the legacy SOAP flows, a
    /// bank's file), to reconcile like those FdR serves.
    ///
    /// # Errors
    /// An index of 0, an empty IUV or IUR (or one over 35 characters), or
    /// a transfer outside 1 to 5, naming the rule.
    pub fn new(
        index: u64,
        iuv: &str,
        iur: &str,
        transfer: u8,
        amount: EuroCents,
        status: PayStatus,
        paid_at: OffsetDateTime,
    ) -> Result<Self, InvalidInput> {
        if index == 0 {
            return Err(InvalidInput::new("index", Rule("indexes start at 1")));
        }
        for (field, id) in [("iuv", iuv), ("iur", iur)] {
            if id.is_empty() || id.chars().count() > 35 {
                return Err(InvalidInput::new(field, Rule("1 to 35 characters")));
            }
        }
        if !(1..=5).contains(&transfer) {
            return Err(InvalidInput::new("idTransfer", Rule("from 1 to 5")));
        }
        Ok(Self {
            index,
            iuv: iuv.to_owned(),
            iur: iur.to_owned(),
            transfer,
            amount,
            status,
            paid_at,
        })
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T> {
    /// This page, from 1.
    pub number: u32,
    /// The number of pages.
    pub total_pages: u32,
    /// What the page holds.
    pub items: Vec<T>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Page<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Metadata {
            page_number: u32,
            tot_page: u32,
        }
        #[derive(Deserialize)]
        struct Wire<T> {
            metadata: Metadata,
            #[serde(default = "Vec::new")]
            data: Vec<T>,
        }
        let wire = Wire::<T>::deserialize(deserializer)?;
        Ok(Self {
            number: wire.metadata.page_number,
            total_pages: wire.metadata.tot_page,
            items: wire.data,
        })
    }
}

fn instant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
    let text = String::deserialize(deserializer)?;
    OffsetDateTime::parse(&text, &Rfc3339)
        .map_err(|e| serde::de::Error::custom(format!("{text:?} is no RFC 3339 instant: {e}")))
}

fn optional_instant<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "instant")] OffsetDateTime);
    Ok(Option::<Wrap>::deserialize(deserializer)?.map(|w| w.0))
}

fn local_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    let text = String::deserialize(deserializer)?;
    Date::parse(
        &text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| serde::de::Error::custom(format!("{text:?} is no date: {e}")))
}

fn transfer_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
    let id = u64::deserialize(deserializer)?;
    match u8::try_from(id) {
        Ok(id @ 1..=5) => Ok(id),
        _ => Err(serde::de::Error::custom(format!(
            "idTransfer {id} is not 1 to 5"
        ))),
    }
}

/// A JSON number of euros in cents, exactly: `100.95` is 10095 cents,
/// `0.001` and `-1` are refused. The number is read back in its shortest
/// decimal form, which for amounts of up to 15 significant digits (all
/// pagoPA can carry) is the form the platform wrote.
fn euros<'de, D: Deserializer<'de>>(deserializer: D) -> Result<EuroCents, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    let text = number.to_string();
    let cents = match number.as_u64() {
        Some(euros) => euros.checked_mul(100).map(EuroCents::new),
        None => EuroCents::from_decimal_str(&text).ok(),
    };
    cents.ok_or_else(|| {
        serde::de::Error::custom(format!(
            "{text} is no amount in euros with at most two decimals"
        ))
    })
}

fn optional_euros<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<EuroCents>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "euros")] EuroCents);
    Ok(Option::<Wrap>::deserialize(deserializer)?.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(pay: &str) -> Result<ReportedPayment, serde_json::Error> {
        serde_json::from_str(&format!(
            r#"{{"index":1,"iuv":"01000000000000101","iur":"abc","idTransfer":1,"pay":{pay},"payStatus":"EXECUTED","payDate":"2026-11-29T10:00:00.0000000+00:00"}}"#
        ))
    }

    #[test]
    fn amounts_are_read_exactly_or_refused() {
        for (pay, cents) in [
            ("100.95", 10_095),
            ("0.01", 1),
            ("12", 1_200),
            ("12.5", 1_250),
            ("999999999.99", 99_999_999_999),
        ] {
            assert_eq!(
                payment(pay).map(|p| u64::from(p.amount)).ok(),
                Some(cents),
                "{pay}"
            );
        }
        for pay in ["0.001", "-1", "1e30", "12.345"] {
            assert!(payment(pay).is_err(), "{pay}");
        }
    }

    #[test]
    fn an_out_of_range_transfer_id_is_refused() {
        let bad = r#"{"index":1,"iuv":"1","iur":"a","idTransfer":6,"pay":1,"payStatus":"EXECUTED","payDate":"2026-11-29T10:00:00Z"}"#;
        let error = serde_json::from_str::<ReportedPayment>(bad).map(|_| ());
        assert!(
            error.is_err_and(|e| e.to_string().contains("idTransfer 6")),
            "idTransfer 6 must be refused by name"
        );
    }
}
