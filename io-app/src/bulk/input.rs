//! The CSV a municipality prepares: one message per row.
//!
//! Columns, by header name (others are ignored): `fiscal_code`, `subject`,
//! `markdown` (required); `amount` (decimal euros, `120.50`), `notice_number`
//! (18 digits) and `due_date` (`2026-12-31` for the end of that day in UTC,
//! or RFC 3339), all optional, `amount` and `notice_number` together.

use abilita_core::EuroCents;
use csv::StringRecord;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::{Markdown, MessageContent, NewMessage, PaymentData, Recipient, Subject};

/// The column positions of a CSV's header.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    fiscal_code: usize,
    subject: usize,
    markdown: usize,
    amount: Option<usize>,
    notice_number: Option<usize>,
    due_date: Option<usize>,
}

impl Columns {
    pub(crate) fn from_header(header: &StringRecord) -> Result<Self, String> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let required =
            |name: &str| find(name).ok_or_else(|| format!("the CSV has no `{name}` column"));
        Ok(Self {
            fiscal_code: required("fiscal_code")?,
            subject: required("subject")?,
            markdown: required("markdown")?,
            amount: find("amount"),
            notice_number: find("notice_number"),
            due_date: find("due_date"),
        })
    }

    /// The message of a row, or why the row cannot be sent.
    pub(crate) fn message(&self, record: &StringRecord) -> Result<NewMessage, String> {
        let field = |at: usize| record.get(at).unwrap_or_default().trim();
        let optional = |at: Option<usize>| at.map(field).filter(|v| !v.is_empty());
        let recipient = Recipient::parse(field(self.fiscal_code)).map_err(|e| e.to_string())?;
        let subject = Subject::new(field(self.subject)).map_err(|e| e.to_string())?;
        let markdown = Markdown::new(record.get(self.markdown).unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let mut content = MessageContent::new(subject, markdown);
        content.payment_data = match (optional(self.amount), optional(self.notice_number)) {
            (Some(amount), Some(notice)) => {
                let amount = EuroCents::from_decimal_str(amount).map_err(|e| e.to_string())?;
                Some(PaymentData::new(amount, notice).map_err(|e| e.to_string())?)
            }
            (None, None) => None,
            _ => return Err("amount and notice_number go together".to_owned()),
        };
        content.due_date = optional(self.due_date).map(parse_due_date).transpose()?;
        Ok(NewMessage {
            fiscal_code: recipient,
            content,
            feature_level_type: None,
        })
    }
}

fn parse_due_date(text: &str) -> Result<OffsetDateTime, String> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    let day = time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| format!("due_date {text:?} is neither YYYY-MM-DD nor RFC 3339"))?;
    Ok(day
        .with_hms(23, 59, 59)
        .map_err(|e| e.to_string())?
        .assume_utc())
}

/// FNV-1a over a row's fields: it tells whether a resumed run reads the same
/// CSV (not a security measure).
pub(crate) fn fingerprint(record: &StringRecord) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for field in record {
        for byte in field.bytes().chain([0x1f]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
