//! The answers GPD gives: a position with its read-only fields, and receipts.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::Position;
use super::json::{format_time, option_nav};

/// The position as GPD answers it: the request's fields plus the
/// read-only ones.
pub(super) fn render(cf: &str, position: &Position) -> Value {
    let mut out = position.body.clone();
    normalise_time(&mut out, "validityDate");
    out.insert("organizationFiscalCode".into(), json!(cf));
    out.insert("status".into(), json!(position.status));
    out.insert("insertedDate".into(), json!(format_time(position.inserted)));
    if let Some(published) = position.published {
        out.insert("publishDate".into(), json!(format_time(published)));
    }
    if let Some(paid) = position.paid {
        out.insert("paymentDate".into(), json!(format_time(paid)));
    }
    if let Some(Value::Array(list)) = out.get_mut("paymentOption") {
        for option in list.iter_mut().filter_map(Value::as_object_mut) {
            decorate_option(cf, position, option);
        }
    }
    Value::Object(out)
}

/// An option's read-only fields: notice number, creditor, payment state.
fn decorate_option(cf: &str, position: &Position, option: &mut Map<String, Value>) {
    normalise_time(option, "dueDate");
    normalise_time(option, "retentionDate");
    let nav = option_nav(option);
    let iuv = option
        .get("iuv")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    option.insert("nav".into(), json!(nav));
    option.insert("organizationFiscalCode".into(), json!(cf));
    match position.option_payments.get(&iuv) {
        Some((at, receipt)) => {
            option.insert("status".into(), json!("PO_PAID"));
            option.insert("paymentDate".into(), json!(format_time(*at)));
            if let Some(receipt) = receipt {
                option.insert("idReceipt".into(), json!(receipt));
            }
        }
        None => {
            option.insert("status".into(), json!("PO_UNPAID"));
        }
    }
    if let Some(Value::Array(transfers)) = option.get_mut("transfer") {
        for transfer in transfers.iter_mut().filter_map(Value::as_object_mut) {
            transfer.insert("status".into(), json!("T_UNREPORTED"));
        }
    }
}

/// A date-time of the request as the spec's `format: date-time` (RFC 3339)
/// requires it: a request may send `2026-12-31T23:59:59` without an offset,
/// which GPD reads as UTC; the answer always carries the offset.
fn normalise_time(object: &mut Map<String, Value>, field: &str) {
    if let Some(at) = super::json::date(object, field) {
        object.insert(field.to_owned(), json!(format_time(at)));
    }
}

/// One option as GPD answers it alone (`PaymentsModelResponse`).
pub(super) fn render_option(cf: &str, position: &Position, option: &Map<String, Value>) -> Value {
    let mut option = option.clone();
    decorate_option(cf, position, &mut option);
    let mut view = Value::Object(option);
    strip_private(&mut view);
    view
}

/// A `paSendRTV2`-shaped receipt body, as GPD's receipts API returns.
#[allow(clippy::too_many_arguments)]
pub(super) fn receipt_xml(
    cf: &str,
    iuv: &str,
    nav: &str,
    receipt_id: &str,
    debtor: &str,
    cents: u64,
    psp: &str,
    at: OffsetDateTime,
) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<receipt><receiptId>{receipt_id}</receiptId><noticeNumber>{nav}</noticeNumber>\
         <fiscalCode>{cf}</fiscalCode><outcome>OK</outcome><creditorReferenceId>{iuv}</creditorReferenceId>\
         <paymentAmount>{}.{:02}</paymentAmount><pspCompanyName>{}</pspCompanyName>\
         <debtor><entityUniqueIdentifierValue>{}</entityUniqueIdentifierValue></debtor>\
         <paymentDateTime>{}</paymentDateTime></receipt>",
        cents / 100,
        cents % 100,
        escape(psp),
        escape(debtor),
        format_time(at),
    )
}

/// The v1 view without the simulator's own `_` fields.
pub(super) fn render_v1(cf: &str, position: &Position) -> Value {
    let mut view = render(cf, position);
    strip_private(&mut view);
    view
}

fn strip_private(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !k.starts_with('_'));
            map.values_mut().for_each(strip_private);
        }
        Value::Array(list) => list.iter_mut().for_each(strip_private),
        _ => {}
    }
}

/// The v3 view: installments grouped back into their plans, and v3's
/// coarser states (`EXPIRED`/`INVALID` → `UNPAYABLE`, `REPORTED` → `PAID`).
pub(super) fn render_v3(cf: &str, position: &Position) -> Value {
    let Value::Object(mut full) = render(cf, position) else {
        return Value::Null;
    };
    let flat = match full.remove("paymentOption") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let paid_plan = flat
        .iter()
        .filter_map(Value::as_object)
        .find(|o| o.get("status").and_then(Value::as_str) == Some("PO_PAID"))
        .map(super::json::plan_of);
    let mut plans: Vec<(String, Map<String, Value>)> = Vec::new();
    for option in flat.into_iter().filter_map(|o| match o {
        Value::Object(o) => Some(o),
        _ => None,
    }) {
        let plan = super::json::plan_of(&option);
        let status = match (
            option.get("status").and_then(Value::as_str),
            position.status,
        ) {
            (Some("PO_PAID"), _) => "PAID",
            (_, "EXPIRED") => "EXPIRED",
            (_, "INVALID") => "UNPAYABLE",
            _ if paid_plan.as_ref().is_some_and(|p| *p != plan) => "UNPAYABLE",
            _ => "UNPAID",
        };
        let mut installment = Map::new();
        for field in [
            "nav",
            "iuv",
            "organizationFiscalCode",
            "amount",
            "description",
            "dueDate",
            "paymentDate",
            "idReceipt",
            "transfer",
        ] {
            if let Some(value) = option.get(field) {
                installment.insert(field.to_owned(), value.clone());
            }
        }
        if let Some(metadata) = option.get("paymentOptionMetadata") {
            installment.insert("installmentMetadata".into(), metadata.clone());
        }
        installment.insert("status".into(), json!(status));
        let index = match plans.iter().position(|(p, _)| *p == plan) {
            Some(index) => index,
            None => {
                let debtor = option.get("_debtor").cloned().unwrap_or_else(|| {
                    let fields = [
                        "type",
                        "fiscalCode",
                        "fullName",
                        "streetName",
                        "civicNumber",
                        "postalCode",
                        "city",
                        "province",
                        "region",
                        "country",
                        "email",
                        "phone",
                    ];
                    Value::Object(
                        fields
                            .iter()
                            .filter_map(|f| Some(((*f).to_owned(), full.get(*f)?.clone())))
                            .collect(),
                    )
                });
                let mut header = Map::new();
                header.insert("debtor".into(), debtor);
                header.insert(
                    "switchToExpired".into(),
                    option
                        .get("_switchToExpired")
                        .or_else(|| full.get("switchToExpired"))
                        .cloned()
                        .unwrap_or(json!(false)),
                );
                let validity = option
                    .get("_validityDate")
                    .filter(|v| !v.is_null())
                    .or_else(|| full.get("validityDate"))
                    .cloned();
                if let Some(validity) = validity {
                    header.insert("validityDate".into(), validity);
                }
                if let Some(retention) = option.get("retentionDate") {
                    header.insert("retentionDate".into(), retention.clone());
                }
                header.insert("installments".into(), json!([]));
                plans.push((plan, header));
                plans.len() - 1
            }
        };
        if let Some((_, Some(Value::Array(list)))) = plans
            .get_mut(index)
            .map(|(p, h)| (p, h.get_mut("installments")))
        {
            list.push(Value::Object(installment));
        }
    }
    let status = v3_status(position.status);
    let mut view = Map::new();
    for field in [
        "iupd",
        "organizationFiscalCode",
        "companyName",
        "officeName",
        "insertedDate",
        "publishDate",
        "paymentDate",
    ] {
        if let Some(value) = full.get(field) {
            view.insert(field.to_owned(), value.clone());
        }
    }
    view.insert("status".into(), json!(status));
    view.insert(
        "paymentOption".into(),
        Value::Array(plans.into_iter().map(|(_, h)| Value::Object(h)).collect()),
    );
    let mut view = Value::Object(view);
    strip_private(&mut view);
    view
}

/// A position's state as v3 names it (`DebtPositionStatusV3.convert`).
pub(super) fn v3_status(status: &'static str) -> &'static str {
    match status {
        "EXPIRED" | "INVALID" => "UNPAYABLE",
        "REPORTED" => "PAID",
        other => other,
    }
}
