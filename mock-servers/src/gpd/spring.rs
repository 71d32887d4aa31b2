//! What GPD's web framework (Spring) answers around the handlers: the
//! request id, the body's media type, the health endpoint.

use serde_json::json;

use crate::kit::{Call, Reply};

/// A random id in UUID form, as GPD makes one.
pub(super) fn request_id() -> String {
    let hex = format!("{:032x}", fastrand::u128(..));
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Spring's check of a request body's media type: JSON only. A request
/// with neither a body nor a `Content-Type` goes on to "body missing".
pub(super) fn json_body(call: &Call<'_>) -> Result<(), Reply> {
    if call.is_json() || (call.header("content-type").is_none() && call.body().is_empty()) {
        return Ok(());
    }
    let declared = call
        .header("content-type")
        .unwrap_or("application/octet-stream");
    let body = json!({
        "type": "about:blank",
        "title": "Unsupported Media Type",
        "status": 415,
        "detail": format!("Content-Type '{declared}' is not supported."),
        "instance": call.path(),
    });
    Err(Reply::new(415)
        .raw(body.to_string(), "application/problem+json")
        .header("accept", "application/json, application/*+json"))
}

/// `GET /info`: the service's health and version (`AppInfo`).
pub(super) fn info(name: &str) -> Reply {
    Reply::new(200).json(&json!({
        "name": name,
        "version": env!("CARGO_PKG_VERSION"),
        "environment": "abilita-mock",
    }))
}
