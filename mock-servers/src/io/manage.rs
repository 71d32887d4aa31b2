//! `/manage/services`: the service lifecycle (draft → submitted → approved
//! or rejected), publication, keys and logo.

use base64::Engine as _;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use wiremock::{Request, ResponseTemplate};

use super::{IoSimulator, SANDBOX_FISCAL_CODE, Service, problem};

fn not_found() -> ResponseTemplate {
    problem(
        404,
        "Not Found",
        "The service you requested was not found in the system.",
    )
}

fn conflict(detail: &str) -> ResponseTemplate {
    problem(409, "Conflict", detail)
}

/// A 400 for a bad service payload, boxed for `Result`s.
fn bad_payload(status: u16, title: &str, detail: &str) -> Box<ResponseTemplate> {
    Box::new(problem(status, title, detail))
}

/// The required fields of `CmsServicePayload`, and the sandbox code added.
fn payload(body: &[u8]) -> Result<Map<String, Value>, Box<ResponseTemplate>> {
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

fn view(id: &str, service: &Service) -> Value {
    let mut out = service.body.clone();
    out.insert("id".into(), json!(id));
    out.insert("status".into(), json!({ "value": service.lifecycle }));
    Value::Object(out)
}

impl IoSimulator {
    pub(super) fn manage(
        &self,
        institution: &str,
        method: &str,
        segments: &[&str],
        request: &Request,
        now: OffsetDateTime,
    ) -> ResponseTemplate {
        match (method, segments) {
            ("POST", ["services"]) => self.create_service(institution, &request.body, now),
            ("GET", ["services"]) => self.list_services(institution, request),
            (_, ["services", id, rest @ ..]) => self.with(|s| {
                let owned = s.services.get(*id).is_some_and(|svc| {
                    svc.institution == institution && svc.lifecycle != "deleted"
                });
                if !owned {
                    return not_found();
                }
                let fresh = (Self::fresh_id(s, now), Self::fresh_id(s, now));
                let Some(service) = s.services.get_mut(*id) else {
                    return not_found();
                };
                service_action(id, service, method, rest, &request.body, fresh)
            }),
            _ => super::gateway(404, "Resource not found"),
        }
    }

    fn create_service(
        &self,
        institution: &str,
        body: &[u8],
        now: OffsetDateTime,
    ) -> ResponseTemplate {
        let body = match payload(body) {
            Ok(body) => body,
            Err(response) => return *response,
        };
        self.with(|s| {
            let id = Self::fresh_id(s, now);
            let keys = (Self::fresh_id(s, now), Self::fresh_id(s, now));
            let service = Service {
                institution: institution.to_owned(),
                body,
                lifecycle: "draft",
                auto_publish: false,
                publication: None,
                keys,
                payee_allowed: false,
            };
            let response = ResponseTemplate::new(201).set_body_json(view(&id, &service));
            s.services.insert(id, service);
            response
        })
    }

    fn list_services(&self, institution: &str, request: &Request) -> ResponseTemplate {
        let query: std::collections::HashMap<String, String> =
            request.url.query_pairs().into_owned().collect();
        let limit: usize = query
            .get("limit")
            .and_then(|v| v.parse().ok())
            .unwrap_or(20);
        let offset: usize = query
            .get("offset")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if !(1..=100).contains(&limit) {
            return problem(400, "Bad request", "limit must be 1 to 100");
        }
        self.with(|s| {
            let mut mine: Vec<(&String, &Service)> =
                s.services.iter().filter(|(_, svc)| svc.institution == institution && svc.lifecycle != "deleted").collect();
            mine.sort_by_key(|(id, _)| (*id).clone());
            let count = mine.len();
            let value: Vec<Value> = mine.into_iter().skip(offset).take(limit).map(|(id, svc)| view(id, svc)).collect();
            ResponseTemplate::new(200).set_body_json(json!({ "value": value, "pagination": { "offset": offset, "limit": limit, "count": count } }))
        })
    }
}

fn keys_body(service: &Service) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({ "primary_key": service.keys.0, "secondary_key": service.keys.1 }))
}

fn service_action(
    id: &str,
    service: &mut Service,
    method: &str,
    rest: &[&str],
    body: &[u8],
    fresh: (String, String),
) -> ResponseTemplate {
    match (method, rest) {
        ("GET", []) => ResponseTemplate::new(200).set_body_json(view(id, service)),
        ("PUT", []) => {
            if service.lifecycle == "submitted" {
                return conflict("Service status is incompatible with update action");
            }
            match payload(body) {
                Ok(body) => {
                    service.body = body;
                    service.lifecycle = "draft";
                    ResponseTemplate::new(200).set_body_json(view(id, service))
                }
                Err(response) => *response,
            }
        }
        ("DELETE", []) => {
            service.lifecycle = "deleted";
            ResponseTemplate::new(204)
        }
        ("PUT", ["review"]) => {
            let auto_publish = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|b| b.get("auto_publish")?.as_bool());
            let Some(auto_publish) = auto_publish else {
                return problem(400, "Bad request", "auto_publish is required");
            };
            if service.lifecycle != "draft" {
                return conflict("only a draft can be submitted for review");
            }
            service.lifecycle = "submitted";
            service.auto_publish = auto_publish;
            ResponseTemplate::new(204)
        }
        ("POST", ["release"]) => {
            if service.lifecycle != "approved" {
                return conflict("only an approved service can be published");
            }
            service.publication = Some("published");
            ResponseTemplate::new(204)
        }
        ("GET", ["release"]) => match service.publication {
            Some(status) => ResponseTemplate::new(200).set_body_json(
                json!({ "id": id, "status": status, "name": service.body.get("name") }),
            ),
            None => not_found(),
        },
        ("DELETE", ["release"]) => match service.publication {
            Some(_) => {
                service.publication = Some("unpublished");
                ResponseTemplate::new(204)
            }
            None => not_found(),
        },
        ("GET", ["keys"]) => keys_body(service),
        ("PUT", ["keys", which @ ("primary" | "secondary")]) => {
            if *which == "primary" {
                service.keys.0 = fresh.0;
            } else {
                service.keys.1 = fresh.1;
            }
            keys_body(service)
        }
        ("PUT", ["logo"]) => {
            let logo = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|b| b.get("logo")?.as_str().map(str::to_owned));
            let png = logo.and_then(|l| base64::engine::general_purpose::STANDARD.decode(l).ok());
            match png {
                Some(png) if png.starts_with(b"\x89PNG\r\n\x1a\n") => ResponseTemplate::new(204),
                _ => problem(400, "Bad request", "the logo is not a base64 PNG"),
            }
        }
        _ => super::gateway(404, "Resource not found"),
    }
}
