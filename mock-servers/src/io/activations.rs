//! `POST` and `PUT /activations/`: whether a citizen activated a SPECIAL
//! service (SEND, CGN). Only a special service may call them; IO answers
//! any other with its 403 (`authorizedForSpecialServicesTask`).

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::{IoSimulator, State, forbidden, is_io_fiscal_code, problem};
use crate::kit::Reply;

/// How long a `PENDING` activation lets a special service deliver (IO's
/// default grace period).
const PENDING_GRACE: Duration = Duration::hours(24);

/// A citizen's activation of a special service.
#[derive(Debug, Clone)]
pub(super) struct Activation {
    status: String,
    version: u64,
    updated: OffsetDateTime,
}

/// Whether `service` may deliver to `code` now: an `ACTIVE` activation, or
/// a `PENDING` one within the grace period.
pub(super) fn allows(state: &State, service: &str, code: &str, now: OffsetDateTime) -> bool {
    state
        .activations
        .get(&(service.to_owned(), code.to_owned()))
        .is_some_and(|a| match a.status.as_str() {
            "ACTIVE" => true,
            "PENDING" => now - a.updated < PENDING_GRACE,
            _ => false,
        })
}

fn view(service: &str, code: &str, activation: &Activation) -> Reply {
    Reply::new(200).json(&json!({
        "service_id": service,
        "fiscal_code": code,
        "status": activation.status,
        "version": activation.version,
    }))
}

/// IO's 400 for a body that is not a `payload`.
fn invalid(payload: &str) -> Reply {
    problem(
        400,
        &format!("Invalid {payload}"),
        format!("value at [root] is not a valid [{payload}]"),
    )
}

/// The body's `fiscal_code`, or IO's 400.
fn fiscal_code<'b>(body: &'b Value, payload: &str) -> Result<&'b str, Reply> {
    body.get("fiscal_code")
        .and_then(Value::as_str)
        .filter(|c| is_io_fiscal_code(c))
        .ok_or_else(|| invalid(payload))
}

impl IoSimulator {
    /// `POST /activations/`
    pub(super) fn read_activation(&self, service: &str, body: &[u8]) -> Reply {
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        self.with(|s| {
            if !s.services.get(service).is_some_and(|svc| svc.special) {
                return forbidden();
            }
            let code = match fiscal_code(&body, "FiscalCodePayload") {
                Ok(code) => code,
                Err(refused) => return refused,
            };
            match s.activations.get(&(service.to_owned(), code.to_owned())) {
                Some(activation) => view(service, code, activation),
                None => problem(404, "Not Found", "Activation not found for the user"),
            }
        })
    }

    /// `PUT /activations/`: creates the activation or changes its status
    /// (a new version).
    pub(super) fn upsert_activation(
        &self,
        service: &str,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Reply {
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        self.with(|s| {
            if !s.services.get(service).is_some_and(|svc| svc.special) {
                return forbidden();
            }
            let status = body
                .get("status")
                .and_then(Value::as_str)
                .filter(|s| matches!(*s, "ACTIVE" | "INACTIVE" | "PENDING"));
            let (code, status) = match (fiscal_code(&body, "ActivationPayload"), status) {
                (Ok(code), Some(status)) => (code, status),
                (Err(refused), _) => return refused,
                (Ok(_), None) => return invalid("ActivationPayload"),
            };
            let key = (service.to_owned(), code.to_owned());
            if !s.activations.contains_key(&key) && s.activations.len() >= super::MAX_HELD {
                return super::full("activations");
            }
            let version = s
                .activations
                .get(&key)
                .map_or(0, |a| a.version.saturating_add(1));
            let activation = Activation {
                status: status.to_owned(),
                version,
                updated: now,
            };
            let reply = view(service, code, &activation);
            s.activations.insert(key, activation);
            reply
        })
    }
}
