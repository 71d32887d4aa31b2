//! Reading GPD's JSON, as received: helpers shared by the rules and views.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

pub(super) fn options(body: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    body.get("paymentOption")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// The options, to change them in place.
pub(super) fn options_mut(
    body: &mut Map<String, Value>,
) -> impl Iterator<Item = &mut Map<String, Value>> {
    body.get_mut("paymentOption")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// An option's transfers, to change them in place.
pub(super) fn transfers_mut(
    option: &mut Map<String, Value>,
) -> impl Iterator<Item = &mut Map<String, Value>> {
    option
        .get_mut("transfer")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

pub(super) fn option_iuvs(body: &Map<String, Value>) -> impl Iterator<Item = &str> {
    options(body).filter_map(|o| o.get("iuv").and_then(Value::as_str))
}

/// GPD's default notice number is `3` + IUV.
pub(super) fn option_nav(option: &Map<String, Value>) -> String {
    match option.get("nav").and_then(Value::as_str) {
        Some(nav) => nav.to_owned(),
        None => format!(
            "3{}",
            option
                .get("iuv")
                .and_then(Value::as_str)
                .unwrap_or_default()
        ),
    }
}

pub(super) fn date(object: &Map<String, Value>, field: &str) -> Option<OffsetDateTime> {
    object
        .get(field)
        .and_then(Value::as_str)
        .and_then(parse_time)
}

pub(super) fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        let naive = time::macros::format_description!(
            version = 2,
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        PrimitiveDateTime::parse(text, naive)
            .ok()
            .map(PrimitiveDateTime::assume_utc)
    })
}

pub(super) fn format_time(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// The installment plan an option belongs to: v3 positions carry it
/// (`_plan`); in v1, all installments (`isPartialPayment`) form one plan and
/// each single payment is a plan of its own.
pub(super) fn plan_of(option: &Map<String, Value>) -> String {
    if let Some(plan) = option.get("_plan").and_then(Value::as_u64) {
        return format!("plan-{plan}");
    }
    match option.get("isPartialPayment").and_then(Value::as_bool) {
        Some(true) => "installments".to_owned(),
        _ => format!(
            "single-{}",
            option
                .get("iuv")
                .and_then(Value::as_str)
                .unwrap_or_default()
        ),
    }
}

/// The IUV of an option.
pub(super) fn iuv_of(option: &Map<String, Value>) -> &str {
    option
        .get("iuv")
        .and_then(Value::as_str)
        .unwrap_or_default()
}
