//! What GPD would refuse, refused before any I/O.
//!
//! The rules are GPD's (`openapi_external_v1.json` plus the validation rules
//! in the code of `pagopa/pagopa-debt-position`): 1 to 5 transfers per option with ids 1–5 summing exactly to the
//! option's amount; due date after the validity date (and, on create, both in
//! the future); retention after due; text lengths; up to 10 unique metadata
//! keys, `NOTIFICATION_FEE` reserved; stamp fields; IUV unique within the
//! position and matching the notice number. The IBAN-or-stamp rule holds by
//! construction ([`TransferDestination`](super::TransferDestination)).

use std::collections::HashSet;

use abilita_core::{EuroCents, InvalidInput};
use time::OffsetDateTime;

use super::model::{DebtPosition, Debtor, Metadata, PaymentOption, Stamp, Transfer};
use crate::{Iuv, NoticeNumber};

/// The longest text GPD stores in name, description and remittance fields.
pub const MAX_TEXT: usize = 140;
/// Transfers per payment option.
pub const MAX_TRANSFERS: usize = 5;
/// Metadata pairs per option or transfer.
pub const MAX_METADATA: usize = 10;
/// The largest amount GPD takes: its amounts are `format: int64`.
pub const MAX_AMOUNT: EuroCents = EuroCents::new(i64::MAX.unsigned_abs());
/// The metadata key GPD reserves for SEND notification costs.
pub const RESERVED_METADATA_KEY: &str = "NOTIFICATION_FEE";

/// Why a debt position was refused locally (the core's one shape);
/// `InvalidInput::field` gives the JSON path
/// (`paymentOption[0].transfer[1].amount`).
pub use abilita_core::Rule;

/// Whether the position is being created (dates must lie ahead) or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Create,
    Update,
}

pub(crate) fn position(
    position: &DebtPosition,
    now: OffsetDateTime,
    operation: Operation,
) -> Result<(), InvalidInput> {
    header(&position.company_name, position.office_name.as_deref())?;
    debtor("", &position.debtor)?;
    if position.payment_options.is_empty() {
        return Err(InvalidInput::new(
            "paymentOption",
            Rule("at least one payment option is required"),
        ));
    }
    validity("validityDate", position.validity_date, now, operation)?;
    let mut iuvs = HashSet::new();
    for (i, option) in position.payment_options.iter().enumerate() {
        let at = format!("paymentOption[{i}]");
        unique_iuv(&mut iuvs, &at, &option.iuv)?;
        payable(
            &at,
            &Payable::from(option),
            position.validity_date,
            now,
            operation,
        )?;
    }
    Ok(())
}

/// The creditor's names.
pub(crate) fn header(company_name: &str, office_name: Option<&str>) -> Result<(), InvalidInput> {
    text("companyName", company_name)?;
    office_name.map_or(Ok(()), |office| text("officeName", office))
}

/// A date-time GPD can take: RFC 3339 in UTC has four-digit years, so
/// `9999-12-31T23:59:59-12:00` (year 10000 in UTC) cannot be sent.
fn on_the_wire(field: &str, date: OffsetDateTime) -> Result<(), InvalidInput> {
    if abilita_core::rfc3339_utc(date).is_some() {
        Ok(())
    } else {
        Err(InvalidInput::new(
            field.to_owned(),
            Rule("must fall between the years 0 and 9999 in UTC"),
        ))
    }
}

/// On create, a validity date must lie ahead.
pub(crate) fn validity(
    field: &str,
    date: Option<OffsetDateTime>,
    now: OffsetDateTime,
    operation: Operation,
) -> Result<(), InvalidInput> {
    if let Some(date) = date {
        on_the_wire(field, date)?;
    }
    if operation == Operation::Create && date.is_some_and(|v| v <= now) {
        return Err(InvalidInput::new(
            field.to_owned(),
            Rule("must be in the future when creating"),
        ));
    }
    Ok(())
}

/// IUVs are unique within a position (and GPD checks the creditor's others).
pub(crate) fn unique_iuv<'a>(
    seen: &mut HashSet<&'a str>,
    at: &str,
    iuv: &'a Iuv,
) -> Result<(), InvalidInput> {
    if seen.insert(iuv.as_str()) {
        Ok(())
    } else {
        Err(InvalidInput::new(
            format!("{at}.iuv"),
            Rule("IUVs must be unique"),
        ))
    }
}

/// The debtor's required fields and country; `at` prefixes the JSON path.
pub(crate) fn debtor(at: &str, debtor: &Debtor) -> Result<(), InvalidInput> {
    if debtor.fiscal_code.is_empty() || debtor.full_name.is_empty() {
        return Err(InvalidInput::new(
            format!("{at}fiscalCode"),
            Rule("the debtor's fiscal code and name are required"),
        ));
    }
    if let Some(country) = &debtor.country
        && (country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(InvalidInput::new(
            format!("{at}country"),
            Rule("two upper-case letters"),
        ));
    }
    Ok(())
}

/// What v1 payment options and v3 installments share: one payable amount
/// with its notice number, due date and transfers.
pub(crate) struct Payable<'a> {
    pub(crate) nav: Option<&'a NoticeNumber>,
    pub(crate) iuv: &'a Iuv,
    pub(crate) amount: EuroCents,
    pub(crate) description: &'a str,
    pub(crate) due_date: OffsetDateTime,
    pub(crate) retention_date: Option<OffsetDateTime>,
    pub(crate) transfers: &'a [Transfer],
    pub(crate) metadata: &'a [Metadata],
    /// The JSON name of its metadata list.
    pub(crate) metadata_field: &'static str,
}

impl<'a> From<&'a PaymentOption> for Payable<'a> {
    fn from(option: &'a PaymentOption) -> Self {
        Self {
            nav: option.nav.as_ref(),
            iuv: &option.iuv,
            amount: option.amount,
            description: &option.description,
            due_date: option.due_date,
            retention_date: option.retention_date,
            transfers: &option.transfers,
            metadata: &option.metadata,
            metadata_field: "paymentOptionMetadata",
        }
    }
}

pub(crate) fn payable(
    at: &str,
    option: &Payable<'_>,
    validity: Option<OffsetDateTime>,
    now: OffsetDateTime,
    operation: Operation,
) -> Result<(), InvalidInput> {
    let fail = |field: &str, rule: &'static str| {
        Err(InvalidInput::new(format!("{at}.{field}"), Rule(rule)))
    };
    text(&format!("{at}.description"), option.description)?;
    on_the_wire(&format!("{at}.dueDate"), option.due_date)?;
    if let Some(retention) = option.retention_date {
        on_the_wire(&format!("{at}.retentionDate"), retention)?;
    }
    if option.amount == EuroCents::ZERO {
        return fail("amount", "must be at least 1 cent");
    }
    if option.amount > MAX_AMOUNT {
        return fail("amount", "must fit GPD's int64");
    }
    if let Some(nav) = option.nav
        && nav.iuv() != *option.iuv
    {
        return fail("nav", "the notice number must carry the option's IUV");
    }
    if validity.is_some_and(|v| option.due_date <= v) {
        return fail("dueDate", "must be after the validity date");
    }
    if operation == Operation::Create && option.due_date <= now {
        return fail("dueDate", "must be in the future when creating");
    }
    if option.retention_date.is_some_and(|r| r < option.due_date) {
        return fail("retentionDate", "must not be before the due date");
    }
    if option.transfers.is_empty() || option.transfers.len() > MAX_TRANSFERS {
        return fail("transfer", "1 to 5 transfers");
    }
    metadata(&format!("{at}.{}", option.metadata_field), option.metadata)?;
    let mut ids = HashSet::new();
    let mut sum = EuroCents::ZERO;
    for (j, transfer) in option.transfers.iter().enumerate() {
        let at = format!("{at}.transfer[{j}]");
        if !ids.insert(transfer.id) {
            return Err(InvalidInput::new(
                format!("{at}.idTransfer"),
                Rule("transfer ids must be unique"),
            ));
        }
        self::transfer(&at, transfer)?;
        sum = sum
            .checked_add(transfer.amount)
            .ok_or_else(|| InvalidInput::new(format!("{at}.amount"), Rule("the sum overflows")))?;
    }
    if sum != option.amount {
        return fail("amount", "must equal the sum of the transfers");
    }
    Ok(())
}

fn transfer(at: &str, transfer: &Transfer) -> Result<(), InvalidInput> {
    let fail = |field: &str, rule: &'static str| {
        Err(InvalidInput::new(format!("{at}.{field}"), Rule(rule)))
    };
    if !(1..=5).contains(&transfer.id) {
        return fail("idTransfer", "must be 1 to 5");
    }
    if transfer.amount == EuroCents::ZERO {
        return fail("amount", "must be at least 1 cent");
    }
    if transfer.amount > MAX_AMOUNT {
        return fail("amount", "must fit GPD's int64");
    }
    text(
        &format!("{at}.remittanceInformation"),
        &transfer.remittance_information,
    )?;
    if let super::TransferDestination::Stamp { stamp } = &transfer.destination {
        self::stamp(&format!("{at}.stamp"), stamp)?;
    }
    metadata(&format!("{at}.transferMetadata"), &transfer.metadata)
}

fn stamp(at: &str, stamp: &Stamp) -> Result<(), InvalidInput> {
    let fail = |field: &str, rule: &'static str| {
        Err(InvalidInput::new(format!("{at}.{field}"), Rule(rule)))
    };
    let base64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=');
    if stamp.hash_document.is_empty()
        || stamp.hash_document.len() > 72
        || !stamp.hash_document.bytes().all(base64)
    {
        return fail("hashDocument", "1 to 72 base64 characters");
    }
    // Two characters both as JSON Schema counts them (code points) and as
    // GPD's Java validation does (UTF-16 units); "é" is two bytes but one
    // character.
    if stamp.stamp_type.chars().count() != 2 || utf16_len(&stamp.stamp_type) != 2 {
        return fail("stampType", "two characters");
    }
    if stamp.provincial_residence.len() != 2
        || !stamp
            .provincial_residence
            .bytes()
            .all(|b| b.is_ascii_uppercase())
    {
        return fail("provincialResidence", "two upper-case letters");
    }
    Ok(())
}

fn metadata(at: &str, pairs: &[Metadata]) -> Result<(), InvalidInput> {
    let fail = |rule: &'static str| Err(InvalidInput::new(at.to_owned(), Rule(rule)));
    if pairs.len() > MAX_METADATA {
        return fail("at most 10 pairs");
    }
    let mut keys = HashSet::new();
    for pair in pairs {
        if pair.key == RESERVED_METADATA_KEY {
            return fail("NOTIFICATION_FEE is a reserved key");
        }
        if !keys.insert(pair.key.as_str()) {
            return fail("keys must be unique");
        }
        if utf16_len(&pair.key) > MAX_TEXT || utf16_len(&pair.value) > MAX_TEXT {
            return fail("keys and values are at most 140 UTF-16 code units");
        }
    }
    Ok(())
}

/// A text's length as GPD counts it: GPD is a Java service, and its
/// `@Size(max = 140)` counts UTF-16 code units, so a character outside the
/// Basic Multilingual Plane (an emoji) counts twice.
fn utf16_len(value: &str) -> usize {
    value.encode_utf16().count()
}

pub(crate) fn text(field: &str, value: &str) -> Result<(), InvalidInput> {
    let found = utf16_len(value);
    if found > MAX_TEXT {
        let rule = "at most 140 UTF-16 code units (an emoji counts 2)";
        return Err(InvalidInput::new(
            field.to_owned(),
            abilita_core::Length { rule, found },
        ));
    }
    Ok(())
}
