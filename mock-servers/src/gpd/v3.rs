//! GPD v3 (payment options holding installment plans), mapped onto the
//! simulator's one store.
//!
//! A v3 position is stored as GPD stores it: every installment becomes a
//! payment option, marked with the plan (v3 payment option) it belongs to,
//! that plan's debtor and dates. The position-level debtor, validity date and
//! `switchToExpired` come from the plans (first debtor, earliest validity,
//! any switch), which is all v1 can show. The request rules are then the v1
//! ones, on that flattened form.

use serde_json::{Map, Value, json};

use super::json::plan_of;
use super::{Problem, bad_request};

/// The internal (v1-shaped) body of a v3 request.
pub(super) fn flatten(bytes: &[u8]) -> Result<Map<String, Value>, Problem> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(bad_request("the body is not a JSON object"));
    };
    let plans = body
        .get("paymentOption")
        .and_then(Value::as_array)
        .filter(|p| (1..=100).contains(&p.len()))
        .ok_or_else(|| bad_request("paymentOption must hold 1 to 100 options"))?;
    let mut flat = Map::new();
    for field in ["iupd", "companyName", "officeName", "payStandIn"] {
        if let Some(value) = body.get(field) {
            flat.insert(field.to_owned(), value.clone());
        }
    }
    let mut options = Vec::new();
    let mut switch = false;
    for (index, plan) in plans.iter().enumerate() {
        let at = format!("paymentOption[{index}].");
        let plan = plan
            .as_object()
            .ok_or_else(|| bad_request(format!("{at} is not an object")))?;
        let debtor = plan
            .get("debtor")
            .and_then(Value::as_object)
            .ok_or_else(|| bad_request(format!("{at}debtor is required")))?;
        let installments = plan
            .get("installments")
            .and_then(Value::as_array)
            .filter(|i| (1..=100).contains(&i.len()))
            .ok_or_else(|| {
                bad_request(format!("{at}installments must hold 1 to 100 installments"))
            })?;
        let Some(switch_here) = plan.get("switchToExpired").and_then(Value::as_bool) else {
            return Err(bad_request(format!("{at}switchToExpired is required")));
        };
        switch |= switch_here;
        if index == 0 {
            for (field, value) in debtor {
                flat.insert(field.clone(), value.clone());
            }
        }
        let validity = plan.get("validityDate").cloned().unwrap_or(Value::Null);
        if !validity.is_null()
            && flat
                .get("validityDate")
                .is_none_or(|v| v.as_str() > validity.as_str())
        {
            flat.insert("validityDate".into(), validity.clone());
        }
        for installment in installments {
            let mut option = installment
                .as_object()
                .cloned()
                .ok_or_else(|| bad_request(format!("{at}installments holds a non-object")))?;
            if let Some(metadata) = option.remove("installmentMetadata") {
                option.insert("paymentOptionMetadata".into(), metadata);
            }
            option.insert("isPartialPayment".into(), json!(installments.len() > 1));
            if let Some(retention) = plan.get("retentionDate") {
                option.insert("retentionDate".into(), retention.clone());
            }
            option.insert("_plan".into(), json!(index));
            option.insert("_debtor".into(), Value::Object(debtor.clone()));
            option.insert("_validityDate".into(), validity.clone());
            option.insert("_switchToExpired".into(), json!(switch_here));
            options.push(Value::Object(option));
        }
    }
    flat.insert("switchToExpired".into(), json!(switch));
    flat.insert("paymentOption".into(), Value::Array(options));
    Ok(flat)
}

/// How many installment plans of several installments the position holds;
/// more than one cannot be shown through v1.
pub(super) fn multi_installment_plans(body: &Map<String, Value>) -> usize {
    let mut plans: Vec<String> = super::json::options(body)
        .filter(|o| o.get("isPartialPayment").and_then(Value::as_bool) == Some(true))
        .map(plan_of)
        .collect();
    plans.sort();
    plans.dedup();
    plans.len()
}
