//! `/manage/services`: the service lifecycle (draft → submitted → approved
//! or rejected), publication, keys, logo, history and topics; and the
//! organisation's logo, which IO validates the same way.

use super::{Admitted, IoSimulator, SANDBOX_FISCAL_CODE, Service, problem};
use crate::kit::{Call, Outcome, Params, Reply};
use base64::Engine as _;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

/// IO's service topics (`metadata.topic_id`), as PagoPA's developer
/// portal lists them ("La scheda servizio: Argomento", pagopa/devportal-docs).
const TOPICS: &[(u32, &str)] = &[
    (0, "Altro"),
    (1, "Ambiente e animali"),
    (2, "Attività produttive e commercio"),
    (3, "Benessere sociale"),
    (4, "Casa e utenze"),
    (5, "Cultura, tempo libero e sport"),
    (6, "Educazione e formazione"),
    (7, "Giustizia e legge"),
    (8, "Lavori edilizi, catasto e urbanistica"),
    (9, "Mobilità e trasporti"),
    (10, "Redditi, patrimoni e fisco"),
    (11, "Servizi anagrafici e civici"),
    (12, "Servizi elettorali"),
    (13, "Sicurezza e Protezione Civile"),
    (14, "Suolo, spazi e beni pubblici"),
    (15, "Viaggi e turismo"),
    (16, "Vita lavorativa"),
    (17, "Salute"),
];

/// `GET /manage/services/topics`
pub(super) fn topics() -> Reply {
    let topics: Vec<Value> = TOPICS
        .iter()
        .map(|(id, name)| json!({ "id": id, "name": name }))
        .collect();
    Reply::new(200).json(&json!({ "topics": topics }))
}

/// What a history entry records the change of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    /// The review state (`draft`, `submitted`, ...).
    Lifecycle,
    /// The publication (`published`, `unpublished`).
    Publication,
}

/// The service as it was after one change.
#[derive(Debug, Clone)]
pub(super) struct HistoryEntry {
    kind: Change,
    status: &'static str,
    version: u64,
    at: OffsetDateTime,
    body: Map<String, Value>,
}

impl HistoryEntry {
    pub(super) fn of(service: &Service, kind: Change) -> Self {
        let status = match kind {
            Change::Lifecycle => service.lifecycle,
            Change::Publication => service.publication.unwrap_or("unpublished"),
        };
        Self {
            kind,
            status,
            version: service.version,
            at: service.updated,
            body: service.body.clone(),
        }
    }

    /// `ServiceHistoryItem`.
    fn view(&self, id: &str) -> Value {
        let kind = match self.kind {
            Change::Lifecycle => "lifecycle",
            Change::Publication => "publication",
        };
        let mut out = data_view(&self.body);
        out.insert("id".into(), json!(id));
        out.insert(
            "status".into(),
            json!({ "kind": kind, "value": self.status }),
        );
        out.insert("version".into(), json!(self.version));
        out.insert("last_update".into(), json!(super::format_time(self.at)));
        Value::Object(out)
    }
}

fn not_found() -> Reply {
    problem(
        404,
        "Not Found",
        "The service you requested was not found in the system.",
    )
}

fn conflict(detail: &str) -> Reply {
    problem(409, "Conflict", detail)
}

/// A 400 for a bad service payload, boxed for `Result`s.
fn bad_payload(status: u16, title: &str, detail: &str) -> Box<Reply> {
    Box::new(problem(status, title, detail))
}

/// The required fields of `CmsServicePayload`, and the sandbox code added.
fn payload(body: &[u8]) -> Result<Map<String, Value>, Box<Reply>> {
    let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(body) else {
        return Err(bad_payload(
            400,
            "Bad request",
            "the body is not a JSON object",
        ));
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let organization_ok = body.get("organization").is_some_and(|o| {
        text(o.get("name"))
            && o.get("fiscal_code")
                .and_then(Value::as_str)
                .is_some_and(|c| c.len() == 11 && c.bytes().all(|b| b.is_ascii_digit()))
    });
    let metadata_ok = body.get("metadata").is_some_and(|m| {
        matches!(
            m.get("scope").and_then(Value::as_str),
            Some("LOCAL" | "NATIONAL")
        ) && m.get("topic_id").is_some_and(Value::is_number)
    });
    if !text(body.get("name")) || !text(body.get("description")) || !organization_ok || !metadata_ok
    {
        return Err(bad_payload(
            400,
            "Bad request",
            "name, description, organization {name, fiscal_code} and metadata {scope, topic_id} are required",
        ));
    }
    if let Some(field) = mistyped_field(&body) {
        return Err(bad_payload(
            400,
            "Bad request",
            &format!("value at [root.{field}] is not valid for the service payload"),
        ));
    }
    let recipients = body
        .entry("authorized_recipients")
        .or_insert_with(|| json!([]));
    if let Value::Array(list) = recipients
        && !list.iter().any(|v| v == SANDBOX_FISCAL_CODE)
    {
        list.push(json!(SANDBOX_FISCAL_CODE));
    }
    Ok(body)
}

/// The first optional field of a service payload that breaks the
/// `ServicePayload` schema: texts that must be non-empty strings, a
/// boolean, fiscal codes, IPv4 CIDRs, an amount of 0 to 9,999,999,999.
fn mistyped_field(body: &Map<String, Value>) -> Option<String> {
    let text = |v: &Value| v.as_str().is_some_and(|s| !s.is_empty());
    if body
        .get("organization")
        .and_then(|o| o.get("department_name"))
        .is_some_and(|v| !text(v))
    {
        return Some("organization.department_name".into());
    }
    if body
        .get("require_secure_channel")
        .is_some_and(|v| !v.is_boolean())
    {
        return Some("require_secure_channel".into());
    }
    let list_of = |name: &str, valid: &dyn Fn(&str) -> bool| {
        body.get(name).is_some_and(|v| {
            !v.as_array()
                .is_some_and(|items| items.iter().all(|i| i.as_str().is_some_and(valid)))
        })
    };
    if list_of("authorized_recipients", &super::is_io_fiscal_code) {
        return Some("authorized_recipients".into());
    }
    if list_of("authorized_cidrs", &is_ipv4_cidr) {
        return Some("authorized_cidrs".into());
    }
    if body
        .get("max_allowed_payment_amount")
        .is_some_and(|v| v.as_u64().is_none_or(|a| a > 9_999_999_999))
    {
        return Some("max_allowed_payment_amount".into());
    }
    let metadata = body.get("metadata")?;
    [
        "web_url",
        "app_ios",
        "app_android",
        "tos_url",
        "privacy_url",
        "address",
        "phone",
        "email",
        "pec",
        "cta",
        "token_name",
        "support_url",
    ]
    .into_iter()
    .find(|name| metadata.get(*name).is_some_and(|v| !text(v)))
    .map(|name| format!("metadata.{name}"))
}

/// IO's `Cidr`: `^([0-9]{1,3}[.]){3}[0-9]{1,3}(/([0-9]|[1-2][0-9]|3[0-2]))?$`.
fn is_ipv4_cidr(text: &str) -> bool {
    let (address, prefix) = text
        .split_once('/')
        .map_or((text, None), |(a, p)| (a, Some(p)));
    let octets: Vec<&str> = address.split('.').collect();
    octets.len() == 4
        && octets
            .iter()
            .all(|o| (1..=3).contains(&o.len()) && o.bytes().all(|b| b.is_ascii_digit()))
        && prefix.is_none_or(|p| {
            !p.is_empty()
                && p.len() <= 2
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u8>().is_ok_and(|n| n <= 32)
        })
}

/// The stored payload as IO shows it: `metadata.topic_id` becomes
/// `metadata.topic {id, name}` (left out for an id IO does not list).
fn data_view(body: &Map<String, Value>) -> Map<String, Value> {
    let mut out = body.clone();
    if let Some(metadata) = out.get_mut("metadata").and_then(Value::as_object_mut)
        && let Some(id) = metadata.remove("topic_id")
        && let Some((id, name)) = TOPICS
            .iter()
            .find(|(t, _)| id.as_f64() == Some(f64::from(*t)))
    {
        metadata.insert("topic".into(), json!({ "id": id, "name": name }));
    }
    out
}

/// The service as `ServiceLifecycle`: the payload with its id, state,
/// `version` and `last_update`.
fn view(id: &str, service: &Service) -> Value {
    let mut out = data_view(&service.body);
    out.insert("id".into(), json!(id));
    out.insert("status".into(), json!({ "value": service.lifecycle }));
    out.insert("version".into(), json!(service.version));
    out.insert(
        "last_update".into(),
        json!(super::format_time(service.updated)),
    );
    Value::Object(out)
}

impl IoSimulator {
    /// Runs `action` on the service `{id}` of the calling institution (IO's
    /// 404 for another institution's or a deleted one).
    pub(super) fn on_service(
        &self,
        admitted: &Admitted,
        call: &Call<'_>,
        params: &Params<'_>,
        action: ServiceAction,
    ) -> Outcome {
        let institution = admitted.institution()?;
        let id = params.get("id");
        let now = self.clock.now();
        let query = call.query();
        Ok(self.with(|s| {
            let owned = s
                .services
                .get(id)
                .is_some_and(|svc| svc.institution == institution && svc.lifecycle != "deleted");
            if !owned {
                return not_found();
            }
            let fresh = Self::fresh_id(s, now);
            let Some(service) = s.services.get_mut(id) else {
                return not_found();
            };
            action(
                &mut Target {
                    id,
                    service,
                    params,
                    query: &query,
                    fresh,
                    now,
                },
                call.json_body(),
            )
        }))
    }

    pub(super) fn create_service(
        &self,
        institution: &str,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Reply {
        let body = match payload(body) {
            Ok(body) => body,
            Err(response) => return *response,
        };
        self.with(|s| {
            let id = Self::fresh_id(s, now);
            let keys = (Self::fresh_id(s, now), Self::fresh_id(s, now));
            let mut service = Service {
                institution: institution.to_owned(),
                body,
                lifecycle: "draft",
                auto_publish: false,
                publication: None,
                keys,
                payee_allowed: false,
                third_party_allowed: false,
                special: false,
                feed_allowed: false,
                service_write_allowed: false,
                updated: now,
                version: 0,
                history: std::collections::VecDeque::new(),
            };
            service.record(Change::Lifecycle);
            let response = Reply::new(201).json(&view(&id, &service));
            s.services.insert(id, service);
            response
        })
    }

    pub(super) fn list_services(&self, institution: &str, call: &Call<'_>) -> Reply {
        let query = call.query();
        // Whole numbers only: `limit=1.5` and `offset=-1` are refused. IO
        // reads them as JavaScript numbers, so an offset past any count is
        // still a valid one (an empty page): it saturates here.
        let number = |name: &str, default: usize| match query.get(name) {
            None => Some(default),
            Some(value) if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                Some(value.parse::<usize>().unwrap_or(usize::MAX))
            }
            Some(_) => None,
        };
        let (Some(limit), Some(offset)) = (number("limit", 20), number("offset", 0)) else {
            return problem(400, "Bad request", "limit and offset must be whole numbers");
        };
        if !(1..=100).contains(&limit) {
            return problem(400, "Bad request", "limit must be 1 to 100");
        }
        self.with(|s| {
            let mut mine: Vec<(&String, &Service)> =
                s.services.iter().filter(|(_, svc)| svc.institution == institution && svc.lifecycle != "deleted").collect();
            mine.sort_by_key(|(id, _)| (*id).clone());
            let count = mine.len();
            let value: Vec<Value> = mine.into_iter().skip(offset).take(limit).map(|(id, svc)| view(id, svc)).collect();
            Reply::new(200).json(&json!({ "value": value, "pagination": { "offset": offset, "limit": limit, "count": count } }))
        })
    }
}

/// What a service route acts on.
pub(super) struct Target<'t, 'a> {
    id: &'t str,
    service: &'t mut Service,
    params: &'t Params<'a>,
    /// The call's query parameters.
    query: &'t std::collections::HashMap<String, String>,
    /// A fresh id, for a regenerated key.
    fresh: String,
    /// The time of the call.
    now: OffsetDateTime,
}

/// A route's work on one service: the target, the request body.
pub(super) type ServiceAction = fn(&mut Target<'_, '_>, &[u8]) -> Reply;

fn keys_body(service: &Service) -> Reply {
    Reply::new(200).json(&json!({ "primary_key": service.keys.0, "secondary_key": service.keys.1 }))
}

/// `GET /manage/services/{id}`
pub(super) fn get(t: &mut Target<'_, '_>, _: &[u8]) -> Reply {
    Reply::new(200).json(&view(t.id, t.service))
}

/// `PUT /manage/services/{id}`: back to draft with the new payload.
pub(super) fn update(t: &mut Target<'_, '_>, body: &[u8]) -> Reply {
    if t.service.lifecycle == "submitted" {
        return conflict("Service status is incompatible with update action");
    }
    match payload(body) {
        Ok(body) => {
            t.service.body = body;
            t.service.lifecycle = "draft";
            t.service.touch(t.now, Change::Lifecycle);
            Reply::new(200).json(&view(t.id, t.service))
        }
        Err(response) => *response,
    }
}

/// `DELETE /manage/services/{id}`
pub(super) fn delete(t: &mut Target<'_, '_>, _: &[u8]) -> Reply {
    t.service.lifecycle = "deleted";
    t.service.touch(t.now, Change::Lifecycle);
    Reply::new(204)
}

/// `PUT /manage/services/{id}/review`
pub(super) fn review(t: &mut Target<'_, '_>, body: &[u8]) -> Reply {
    let auto_publish = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|b| b.get("auto_publish")?.as_bool());
    let Some(auto_publish) = auto_publish else {
        return problem(400, "Bad request", "auto_publish is required");
    };
    if t.service.lifecycle != "draft" {
        return conflict("only a draft can be submitted for review");
    }
    t.service.lifecycle = "submitted";
    t.service.auto_publish = auto_publish;
    t.service.touch(t.now, Change::Lifecycle);
    Reply::new(204)
}

/// `POST /manage/services/{id}/release`
pub(super) fn release(t: &mut Target<'_, '_>, _: &[u8]) -> Reply {
    if t.service.lifecycle != "approved" {
        return conflict("only an approved service can be published");
    }
    t.service.publication = Some("published");
    t.service.touch(t.now, Change::Publication);
    Reply::new(204)
}

/// `GET /manage/services/{id}/release`
pub(super) fn get_release(t: &mut Target<'_, '_>, _: &[u8]) -> Reply {
    match t.service.publication {
        // `ServicePublication`: the service as published, with the
        // publication's state in place of the lifecycle's.
        Some(status) => {
            let mut published = view(t.id, t.service);
            if let Some(fields) = published.as_object_mut() {
                fields.insert("status".into(), json!(status));
            }
            Reply::new(200).json(&published)
        }
        None => not_found(),
    }
}

/// `DELETE /manage/services/{id}/release`
pub(super) fn unpublish(t: &mut Target<'_, '_>, _: &[u8]) -> Reply {
    match t.service.publication {
        Some(_) => {
            t.service.publication = Some("unpublished");
            t.service.touch(t.now, Change::Publication);
            Reply::new(204)
        }
        None => not_found(),
    }
}

/// `GET /manage/services/{id}/keys`
pub(super) fn keys(t: &mut Target<'_, '_>, _: &[u8]) -> Reply {
    keys_body(t.service)
}

/// `PUT /manage/services/{id}/keys/{primary|secondary}`
pub(super) fn regenerate_key(t: &mut Target<'_, '_>, _: &[u8]) -> Reply {
    let fresh = std::mem::take(&mut t.fresh);
    match t.params.get("which") {
        "primary" => t.service.keys.0 = fresh,
        "secondary" => t.service.keys.1 = fresh,
        _ => return crate::kit::apim::not_found(),
    }
    keys_body(t.service)
}

/// The body's `logo` when it is a base64 PNG.
fn is_png_logo(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|b| b.get("logo")?.as_str().map(str::to_owned))
        .and_then(|l| base64::engine::general_purpose::STANDARD.decode(l).ok())
        .is_some_and(|png| png.starts_with(b"\x89PNG\r\n\x1a\n"))
}

/// `PUT /manage/services/{id}/logo`: a base64 PNG, 204.
pub(super) fn logo(_: &mut Target<'_, '_>, body: &[u8]) -> Reply {
    if is_png_logo(body) {
        Reply::new(204)
    } else {
        problem(400, "Bad request", "the logo is not a base64 PNG")
    }
}

/// `PUT /organizations/{organization_fiscal_code}/logo`: a base64 PNG for
/// an 11-digit organisation code (ts-commons' `OrganizationFiscalCode`),
/// 202 as IO answers once its admin function has the image.
pub(super) fn organization_logo(organization: &str, body: &[u8]) -> Reply {
    if organization.len() != 11 || !organization.bytes().all(|b| b.is_ascii_digit()) {
        return problem(
            400,
            "Invalid OrganizationFiscalCode",
            format!("value [\"{organization}\"] at [root] is not a valid [OrganizationFiscalCode]"),
        );
    }
    if is_png_logo(body) {
        Reply::new(202)
    } else {
        problem(400, "Invalid Logo", "the logo is not a base64 PNG")
    }
}

/// `GET /manage/services/{id}/history?order=&limit=&continuationToken=`:
/// newest first unless `order=ASC`, `limit` 1 to 100 (10), and a token
/// (the position of the next entry) while more remain.
pub(super) fn history(t: &mut Target<'_, '_>, _: &[u8]) -> Reply {
    let query = t.query;
    let ascending = match query.get("order").map(String::as_str) {
        None | Some("DESC") => false,
        Some("ASC") => true,
        Some(_) => return problem(400, "Bad request", "order must be ASC or DESC"),
    };
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 10,
        Some(Ok(limit)) if (1..=100).contains(&limit) => limit,
        Some(_) => {
            return problem(
                400,
                "Bad request",
                "limit must be a whole number from 1 to 100",
            );
        }
    };
    let start = match query.get("continuationToken").map(|c| c.parse::<usize>()) {
        None => 0,
        Some(Ok(start)) if start <= t.service.history.len() => start,
        Some(_) => {
            return problem(
                400,
                "Bad request",
                "continuationToken is not one this service gave",
            );
        }
    };
    let entries: Box<dyn Iterator<Item = &HistoryEntry>> = if ascending {
        Box::new(t.service.history.iter())
    } else {
        Box::new(t.service.history.iter().rev())
    };
    let items: Vec<Value> = entries
        .skip(start)
        .take(limit)
        .map(|e| e.view(t.id))
        .collect();
    let next = start + items.len();
    let mut page = Map::new();
    page.insert("items".into(), Value::Array(items));
    if next < t.service.history.len() {
        page.insert("continuationToken".into(), json!(next.to_string()));
    }
    Reply::new(200).json(&Value::Object(page))
}
