//! GPD's request rules, applied to the JSON as received (never to a client's
//! model): required fields, lengths, amounts and transfers, dates, metadata,
//! and the segregation codes a key may touch.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::json::{date, option_nav, options};
use super::{Grant, Problem, UNIQUENESS, bad_request, problem};

pub(super) fn check_segregation(body: &Map<String, Value>, grant: &Grant) -> Result<(), Problem> {
    let Some(codes) = &grant.segregation_codes else {
        return Ok(());
    };
    for nav in options(body).map(option_nav) {
        let code = nav.get(1..3).unwrap_or_default();
        if !nav.starts_with('3') || !codes.iter().any(|c| c == code) {
            return Err(problem(
                403,
                "The payment position is forbidden",
                "caller does not have proper authorization to access or modify the IUVs",
            ));
        }
    }
    Ok(())
}

/// GPD's request rules, on the JSON as received.
pub(super) fn parse_position(
    bytes: &[u8],
    now: OffsetDateTime,
    creating: bool,
) -> Result<Map<String, Value>, Problem> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(bad_request("the body is not a JSON object"));
    };
    check_position(body, now, creating)
}

/// GPD's rules on a (v1-shaped) position.
pub(super) fn check_position(
    body: Map<String, Value>,
    now: OffsetDateTime,
    creating: bool,
) -> Result<Map<String, Value>, Problem> {
    let text = |object: &Map<String, Value>,
                field: &str,
                required: bool,
                at: &str|
     -> Result<(), Problem> {
        match object.get(field) {
            None | Some(Value::Null) if !required => Ok(()),
            Some(Value::String(s)) if s.chars().count() <= 140 && !(required && s.is_empty()) => {
                Ok(())
            }
            _ => Err(bad_request(format!(
                "{at}{field} is required text of at most 140 characters"
            ))),
        }
    };
    for field in ["iupd", "fiscalCode", "fullName", "companyName"] {
        text(&body, field, true, "")?;
    }
    text(&body, "officeName", false, "")?;
    if !matches!(body.get("type").and_then(Value::as_str), Some("F" | "G")) {
        return Err(bad_request("type must be F or G"));
    }
    if !body.get("switchToExpired").is_some_and(Value::is_boolean) {
        return Err(bad_request("switchToExpired is required"));
    }
    let validity = match body.get("validityDate") {
        None | Some(Value::Null) => None,
        Some(_) => Some(
            date(&body, "validityDate")
                .ok_or_else(|| bad_request("validityDate is not a date-time"))?,
        ),
    };
    if creating && validity.is_some_and(|v| v <= now) {
        return Err(bad_request("validityDate must be in the future"));
    }
    let Some(list) = body
        .get("paymentOption")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
    else {
        return Err(bad_request("paymentOption is required"));
    };
    for (i, option) in list.iter().enumerate() {
        let at = format!("paymentOption[{i}].");
        let Some(option) = option.as_object() else {
            return Err(bad_request(format!("{at} is not an object")));
        };
        if option
            .get("iuv")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(bad_request(format!("{at}iuv is required")));
        }
        text(option, "description", true, &at)?;
        let amount = option
            .get("amount")
            .and_then(Value::as_u64)
            .filter(|a| *a >= 1);
        let Some(amount) = amount else {
            return Err(bad_request(format!("{at}amount must be at least 1")));
        };
        if !option
            .get("isPartialPayment")
            .is_some_and(Value::is_boolean)
        {
            return Err(bad_request(format!("{at}isPartialPayment is required")));
        }
        let due = date(option, "dueDate")
            .ok_or_else(|| bad_request(format!("{at}dueDate is required")))?;
        if validity.is_some_and(|v| due <= v) || (creating && due <= now) {
            return Err(bad_request(format!(
                "{at}dueDate must follow the validity date and now"
            )));
        }
        if date(option, "retentionDate").is_some_and(|r| r < due) {
            return Err(bad_request(format!(
                "{at}retentionDate must not precede dueDate"
            )));
        }
        metadata(option, "paymentOptionMetadata", &at)?;
        let transfers = option
            .get("transfer")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if transfers.is_empty() || transfers.len() > 5 {
            return Err(bad_request(format!(
                "{at}transfer must hold 1 to 5 transfers"
            )));
        }
        let mut sum: u64 = 0;
        let mut ids = Vec::new();
        for (j, transfer) in transfers.iter().enumerate() {
            let at = format!("{at}transfer[{j}].");
            let Some(transfer) = transfer.as_object() else {
                return Err(bad_request(format!("{at} is not an object")));
            };
            let id = transfer
                .get("idTransfer")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !matches!(id, "1" | "2" | "3" | "4" | "5") || ids.contains(&id) {
                return Err(bad_request(format!(
                    "{at}idTransfer must be a unique \"1\" to \"5\""
                )));
            }
            ids.push(id);
            let Some(part) = transfer
                .get("amount")
                .and_then(Value::as_u64)
                .filter(|a| *a >= 1)
            else {
                return Err(bad_request(format!("{at}amount must be at least 1")));
            };
            sum = sum.saturating_add(part);
            text(transfer, "remittanceInformation", true, &at)?;
            if transfer
                .get("category")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(bad_request(format!("{at}category is required")));
            }
            let account = |f: &str| transfer.get(f).and_then(Value::as_str);
            let iban_ok = |v: &str| {
                !v.is_empty() && v.len() <= 35 && v.bytes().all(|b| b.is_ascii_alphanumeric())
            };
            match (account("iban"), transfer.get("stamp")) {
                (Some(iban), None)
                    if iban_ok(iban) && account("postalIban").is_none_or(iban_ok) => {}
                (None, Some(Value::Object(stamp))) if account("postalIban").is_none() => {
                    check_stamp(stamp, &at)?
                }
                _ => {
                    return Err(bad_request(format!(
                        "{at}needs a valid iban or a stamp, not both"
                    )));
                }
            }
            metadata(transfer, "transferMetadata", &at)?;
        }
        if sum != amount {
            return Err(bad_request(format!(
                "{at}amount must equal the sum of its transfers"
            )));
        }
    }
    Ok(body)
}

pub(super) fn check_stamp(stamp: &Map<String, Value>, at: &str) -> Result<(), Problem> {
    let field = |f: &str| stamp.get(f).and_then(Value::as_str).unwrap_or_default();
    let hash = field("hashDocument");
    let province = field("provincialResidence");
    if hash.is_empty()
        || hash.len() > 72
        || field("stampType").len() != 2
        || province.len() != 2
        || !province.bytes().all(|b| b.is_ascii_uppercase())
    {
        return Err(bad_request(format!("{at}stamp is not valid")));
    }
    Ok(())
}

pub(super) fn metadata(object: &Map<String, Value>, field: &str, at: &str) -> Result<(), Problem> {
    let pairs = object
        .get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if pairs.len() > 10 {
        return Err(bad_request(format!("{at}{field} holds more than 10 pairs")));
    }
    let mut keys = Vec::new();
    for pair in pairs {
        let key = pair.get("key").and_then(Value::as_str).unwrap_or_default();
        let value = pair
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if key == "NOTIFICATION_FEE" {
            return Err(problem(
                409,
                "The payment option contains reserved metadata",
                "NOTIFICATION_FEE is reserved",
            ));
        }
        if keys.contains(&key) {
            return Err(problem(
                409,
                UNIQUENESS,
                format!("{at}{field} repeats the key {key}"),
            ));
        }
        if key.chars().count() > 140 || value.chars().count() > 140 {
            return Err(bad_request(format!(
                "{at}{field} pairs are at most 140 characters"
            )));
        }
        keys.push(key);
    }
    Ok(())
}
