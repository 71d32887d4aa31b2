//! `POST /profiles`, `POST /messages`, `GET /messages/{fiscal_code}/{id}`.

use crate::kit::Reply;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{
    CitizenState, IoSimulator, KeySlot, Message, SANDBOX_FISCAL_CODE, State, format_time,
    is_io_fiscal_code, problem,
};

fn invalid(path: &str, detail: &str) -> Reply {
    problem(
        400,
        "Invalid message structure",
        format!("value at [root.{path}] is not a valid [{detail}]"),
    )
}

/// The same refusal, boxed for `Result`s.
fn reject(path: &str, detail: &str) -> Box<Reply> {
    Box::new(invalid(path, detail))
}

/// The UTF-16 length, as IO's io-ts checks count.
fn js_length(text: &str) -> usize {
    text.encode_utf16().count()
}

impl IoSimulator {
    /// `POST /profiles`: the citizen in the body.
    pub(super) fn profile(&self, service: &str, body: &[u8]) -> Reply {
        let code = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|b| b.get("fiscal_code")?.as_str().map(str::to_owned));
        match code {
            Some(code) => self.profile_of(service, &code),
            None => invalid("fiscal_code", "FiscalCode"),
        }
    }

    /// `GET /profiles/{fiscal_code}`, and the answer of `POST /profiles`:
    /// `sender_allowed` by the same rules as delivery.
    pub(super) fn profile_of(&self, service: &str, code: &str) -> Reply {
        if !is_io_fiscal_code(code) {
            return invalid("fiscal_code", "FiscalCode");
        }
        let now = self.clock.now();
        self.with(|s| {
            let Some(svc) = s.services.get(service) else { return crate::kit::apim::invalid_key() };
            if svc.in_sandbox() && !svc.authorized(code) {
                return problem(403, "Recipient forbidden", "You are not allowed to issue requests for the recipient.");
            }
            match citizen_state(s, code) {
                (CitizenState::NotRegistered | CitizenState::InboxOff, _) => problem(404, "Profile not found", "The profile you requested was not found in the system."),
                (CitizenState::Allowed, _) => Reply::new(200)
                    .json(&json!({ "sender_allowed": delivers(s, service, code, now), "preferred_languages": ["it_IT"] })),
            }
        })
    }

    /// `POST /messages/{fiscal_code}`: the recipient in the path, and not
    /// in the body too.
    pub(super) fn submit_to(
        &self,
        sender: (&str, KeySlot),
        fiscal_code: &str,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Reply {
        let Ok(Value::Object(mut message)) = serde_json::from_slice::<Value>(body) else {
            return invalid("", "NewMessage");
        };
        if message.contains_key("fiscal_code") {
            return problem(
                400,
                "Bad parameters",
                "The fiscal_code must be specified in the path or in the payload but not in both",
            );
        }
        message.insert("fiscal_code".into(), json!(fiscal_code));
        self.submit(sender, Value::Object(message).to_string().as_bytes(), now)
    }

    pub(super) fn submit(
        &self,
        (service, key): (&str, KeySlot),
        body: &[u8],
        now: OffsetDateTime,
    ) -> Reply {
        let Ok(message @ Value::Object(_)) = serde_json::from_slice::<Value>(body) else {
            return invalid("", "NewMessage");
        };
        let Some(code) = message
            .get("fiscal_code")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return problem(
                400,
                "Bad parameters",
                "The fiscal_code must be specified in the path or in the payload",
            );
        };
        if let Err(response) = check_message(&message, &code) {
            return *response;
        }
        self.with(|s| {
            let Some(svc) = s.services.get(service) else { return crate::kit::apim::invalid_key() };
            if message.pointer("/content/payment_data/payee").is_some() && !svc.payee_allowed {
                return problem(403, "You are not allowed here", "You do not have enough permissions to send a payment message with payee");
            }
            // The content kinds an ordinary service's key lacks the group for.
            if message.pointer("/content/eu_covid_cert").is_some() {
                return problem(403, "You are not allowed here", "You do not have enough permissions to send an EU Covid Certificate message");
            }
            if message.pointer("/content/third_party_data").is_some() && !svc.third_party_allowed {
                return problem(403, "You are not allowed here", "You do not have enough permissions to send a third party message");
            }
            let advanced = message.get("feature_level_type").and_then(Value::as_str) == Some("ADVANCED");
            if !advanced
                && message.pointer("/content/third_party_data/has_attachments").and_then(Value::as_bool) == Some(true)
            {
                return problem(403, "Attachments call forbidden", "You are not allowed to send messages with attachments with STANDARD messages, please use ADVANCED");
            }
            if advanced {
                return problem(403, "You are not allowed here", "You do not have enough permissions to send a Premium message");
            }
            if message.pointer("/content/third_party_data").is_some()
                && let Err(refused) = s.remote_content_of(&svc.institution, &message)
            {
                return refused;
            }
            if svc.in_sandbox() && !svc.authorized(&code) {
                return problem(403, "Recipient forbidden", "You are not allowed to issue requests for the recipient.");
            }
            if let Some(amount) = message.pointer("/content/payment_data/amount").and_then(Value::as_u64)
                && amount > svc.max_amount()
            {
                let max = svc.max_amount();
                return problem(400, "Error while sending payment metadata", format!("The requested amount ({amount} cents) exceeds the maximum allowed for this service ({max} cents)"));
            }
            let final_status = if delivers(s, service, &code, now) { "PROCESSED" } else { "REJECTED" };
            let id = Self::fresh_id(s, now);
            let stored = Message { service: service.to_owned(), key, fiscal_code: code.clone(), created_at: now, body: message, final_status, polls: 0 };
            s.remember(id.clone(), stored);
            Reply::new(201)
                .header("location", format!("/api/v1/messages/{code}/{id}").as_str())
                .json(&json!({ "id": id }))
        })
    }

    pub(super) fn read(
        &self,
        service: &str,
        fiscal_code: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Reply {
        let lifecycle = self.with_settings(|s| s.lifecycle);
        self.with(|s| {
            let Some(message) = s.messages.get_mut(id).filter(|m| m.fiscal_code == fiscal_code) else {
                return problem(404, "Message not found", "The message you requested was not found in the system.");
            };
            if message.service != service {
                return problem(403, "You are not allowed here", "You are not allowed to read this message, you can only read messages that you have sent");
            }
            message.polls += 1;
            let elapsed = now - message.created_at;
            let settled = message.polls > lifecycle.polls_before_final || elapsed >= lifecycle.delay;
            let status = if settled { message.final_status } else { "ACCEPTED" };
            let mut stored = json!({
                "id": id,
                "fiscal_code": message.fiscal_code,
                "created_at": format_time(message.created_at),
                "sender_service_id": message.service,
                "feature_level_type": message.body.get("feature_level_type").cloned().unwrap_or(json!("STANDARD")),
            });
            if status == "PROCESSED"
                && let (Some(target), Some(content)) = (stored.as_object_mut(), message.body.get("content"))
            {
                let mut content = content.clone();
                // IO names the payee (`PaymentDataWithRequiredPayee`): the
                // sending service's organisation, unless the message did.
                if let Some(payment) = content.get_mut("payment_data").and_then(Value::as_object_mut)
                    && !payment.contains_key("payee")
                {
                    let organisation = s
                        .services
                        .get(&message.service)
                        .and_then(|svc| svc.body.get("organization")?.get("fiscal_code").cloned())
                        .unwrap_or(Value::Null);
                    payment.insert("payee".into(), json!({ "fiscal_code": organisation }));
                }
                target.insert("content".into(), content);
            }
            Reply::new(200).json(&json!({ "message": stored, "status": status }))
        })
    }
}

/// The fields of IO's published file that the newest message service
/// (io-messages) dropped or left unchecked: `prescription_data`,
/// `legal_data` and `default_addresses`. The simulator holds them to the
/// published schema, so that what it stores and shows back is valid there.
fn check_older_fields(message: &Value) -> Result<(), Box<Reply>> {
    let text = |v: Option<&Value>, min: usize, max: usize| {
        v.and_then(Value::as_str)
            .is_some_and(|t| (min..=max).contains(&js_length(t)))
    };
    let optional =
        |v: Option<&Value>, valid: &dyn Fn(Option<&Value>) -> bool| v.is_none() || valid(v);
    if let Some(prescription) = message.pointer("/content/prescription_data") {
        let valid = prescription.is_object()
            && text(prescription.get("nre"), 15, 15)
            && optional(prescription.get("iup"), &|v| text(v, 1, 16))
            && optional(prescription.get("prescriber_fiscal_code"), &|v| {
                v.and_then(Value::as_str).is_some_and(is_io_fiscal_code)
            });
        if !valid {
            return Err(reject("content.prescription_data", "PrescriptionData"));
        }
    }
    if let Some(legal) = message.pointer("/content/legal_data") {
        let valid = legal.is_object()
            && text(legal.get("sender_mail_from"), 1, usize::MAX)
            && legal.get("has_attachment").is_some_and(Value::is_boolean)
            && text(legal.get("message_unique_id"), 1, usize::MAX)
            && optional(legal.get("original_message_url"), &|v| {
                text(v, 1, usize::MAX)
            })
            && optional(legal.get("pec_server_service_id"), &|v| {
                text(v, 1, usize::MAX)
            });
        if !valid {
            return Err(reject("content.legal_data", "LegalData"));
        }
    }
    if let Some(addresses) = message.get("default_addresses") {
        // ts-commons' EmailString: one `@` between non-empty parts.
        let email_ok = |v: Option<&Value>| {
            v.and_then(Value::as_str).is_some_and(|e| {
                e.split_once('@').is_some_and(|(user, domain)| {
                    !user.is_empty() && domain.contains('.') && !domain.contains('@')
                })
            })
        };
        if !addresses.is_object() || !optional(addresses.get("email"), &email_ok) {
            return Err(reject("default_addresses", "DefaultAddresses"));
        }
    }
    Ok(())
}

/// Whether IO delivers `service`'s messages to `code` now: a registered
/// citizen with the inbox on who does not block it, and for a SPECIAL
/// service an activation that allows it.
fn delivers(state: &State, service: &str, code: &str, now: OffsetDateTime) -> bool {
    let special = state.services.get(service).is_some_and(|svc| svc.special);
    match citizen_state(state, code) {
        (CitizenState::Allowed, blocked) => {
            !blocked.iter().any(|b| b == service)
                && (!special || super::activations::allows(state, service, code, now))
        }
        _ => false,
    }
}

/// The citizen's state and the services they block.
fn citizen_state(state: &State, code: &str) -> (CitizenState, Vec<String>) {
    if code == SANDBOX_FISCAL_CODE {
        return (CitizenState::Allowed, Vec::new());
    }
    state
        .citizens
        .get(code)
        .map_or((state.default_citizen, Vec::new()), |c| {
            (c.state, c.blocked_services.clone())
        })
}

/// IO's `NewMessage` decoding, in the order the server checks.
fn check_message(message: &Value, code: &str) -> Result<(), Box<Reply>> {
    if !is_io_fiscal_code(code) {
        return Err(reject("fiscal_code", "FiscalCode"));
    }
    let text_within = |pointer: &str, min: usize, max: usize| {
        message
            .pointer(pointer)
            .and_then(Value::as_str)
            .is_some_and(|t| (min..=max).contains(&js_length(t)))
    };
    if !text_within("/content/subject", 10, 120) {
        return Err(reject(
            "content.subject",
            "string of length >= 10 and < 121",
        ));
    }
    if !text_within("/content/markdown", 80, 10_000) {
        return Err(reject(
            "content.markdown",
            "string of length >= 80 and < 10001",
        ));
    }
    if let Some(ttl) = message.get("time_to_live")
        && !ttl.as_u64().is_some_and(|t| (3600..=604_800).contains(&t))
    {
        return Err(reject("time_to_live", "integer >= 3600 and <= 604800"));
    }
    if let Some(level) = message.get("feature_level_type")
        && !matches!(level.as_str(), Some("STANDARD" | "ADVANCED"))
    {
        return Err(reject("feature_level_type", "FeatureLevelType"));
    }
    if let Some(secure) = message.pointer("/content/require_secure_channels")
        && !secure.is_boolean()
    {
        return Err(reject("content.require_secure_channels", "boolean"));
    }
    if let Some(third_party) = message.pointer("/content/third_party_data") {
        let id_ok = third_party
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| !id.is_empty());
        if !id_ok {
            return Err(reject("content.third_party_data.id", "NonEmptyString"));
        }
        if let Some(configuration) = third_party.get("configuration_id")
            && !configuration.as_str().is_some_and(super::is_ulid)
        {
            return Err(reject("content.third_party_data.configuration_id", "Ulid"));
        }
        for flag in ["has_attachments", "has_remote_content"] {
            if third_party.get(flag).is_some_and(|v| !v.is_boolean()) {
                return Err(reject(
                    &format!("content.third_party_data.{flag}"),
                    "boolean",
                ));
            }
        }
    }
    check_older_fields(message)?;
    if let Some(due) = message.pointer("/content/due_date")
        && !due.as_str().is_some_and(|d| {
            time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).is_ok()
        })
    {
        return Err(reject("content.due_date", "Timestamp"));
    }
    if let Some(payment) = message.pointer("/content/payment_data") {
        if !payment
            .get("amount")
            .and_then(Value::as_u64)
            .is_some_and(|a| (1..=9_999_999_999).contains(&a))
        {
            return Err(reject(
                "content.payment_data.amount",
                "integer >= 1 and <= 9999999999",
            ));
        }
        let notice = payment
            .get("notice_number")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let notice_ok = notice.len() == 18
            && notice.starts_with(['0', '1', '2', '3'])
            && notice.bytes().all(|b| b.is_ascii_digit());
        if !notice_ok {
            return Err(reject(
                "content.payment_data.notice_number",
                "PaymentNoticeNumber",
            ));
        }
        if let Some(payee) = payment.get("payee") {
            let ok = payee
                .get("fiscal_code")
                .and_then(Value::as_str)
                .is_some_and(|c| c.len() == 11 && c.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                return Err(reject(
                    "content.payment_data.payee.fiscal_code",
                    "OrganizationFiscalCode",
                ));
            }
        }
    }
    Ok(())
}
