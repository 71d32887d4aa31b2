//! An App IO simulator, written from IO's OpenAPI files and the behaviour
//! of its services (the public repositories `pagopa/io-functions-services`,
//! `pagopa/io-services-cms` and `pagopa/io-infra`, whose API-gateway policy
//! sets the rate limit), not from `abilita-io`'s models: requests are read
//! as plain JSON.
//!
//! Served under `/api/v1`:
//!
//! | path | what |
//! |---|---|
//! | `POST /profiles` | is a citizen reachable |
//! | `POST /messages` | send (201 + ULID + `Location`) |
//! | `GET /messages/{fiscal_code}/{id}` | state: `ACCEPTED`, then `PROCESSED` or `REJECTED` |
//! | `/manage/services[...]` | create, list, get, update, delete, review, release, keys, logo |
//!
//! and the control API under `/__control/io`: `POST /citizens` (one or a
//! list of `{fiscal_code, state, blocked_services?}`), `GET /messages` (all
//! stored messages), `POST /services/{id}/approve`.
//!
//! Behaviour:
//! - keys: a service's primary and secondary key for messages and profiles,
//!   the institution's manage key for `/manage`; anything else gets the
//!   gateway's 401 body;
//! - sandbox: until approved, a service reaches only its authorized
//!   recipients, which always include `AAAAAA00A00A000A` (403 "Recipient
//!   forbidden" otherwise), as IO's pattern, not the check character, is
//!   what IO verifies;
//! - IO's validation, status codes and ProblemJson titles;
//! - messages turn `PROCESSED` (or `REJECTED` for a citizen not registered,
//!   with the inbox off, or blocking the service) after a number of polls
//!   or a delay, on the injectable clock;
//! - a rate limit per institution (150 per 5 s by default) with 429,
//!   `x-rate-limit-retry-after`, and `x-rate-limit-remaining` on every
//!   answer;
//! - [`Faults`]: 5xx share, latency, responses lost after
//!   the message was stored.

mod manage;
mod messages;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abilita_core::Clock;
use serde_json::{Value, json};
use time::OffsetDateTime;
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::Faults;
use crate::faults::{Fault, LOST_RESPONSE_DELAY};

/// The path prefix of IO's API.
pub const IO_PATH: &str = "/api/v1";
const CONTROL_PATH: &str = "/__control/io";
const KEY_HEADER: &str = "ocp-apim-subscription-key";
/// IO's sandbox recipient.
pub const SANDBOX_FISCAL_CODE: &str = "AAAAAA00A00A000A";

/// Whether a citizen can receive messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CitizenState {
    /// Registered, inbox on.
    Allowed,
    /// No IO profile.
    NotRegistered,
    /// Registered, inbox off.
    InboxOff,
}

#[derive(Debug, Clone)]
struct Citizen {
    state: CitizenState,
    blocked_services: Vec<String>,
}

/// How a simulated message settles.
#[derive(Debug, Clone, Copy)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct Lifecycle {
    /// Polls answered `ACCEPTED` before the final state.
    pub polls_before_final: u32,
    /// Time after which the final state is shown whatever the polls.
    pub delay: Duration,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            polls_before_final: 1,
            delay: Duration::from_secs(60),
        }
    }
}

/// A service to start the simulator with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServiceSetup {
    /// Its id.
    pub id: String,
    /// The institution's fiscal code (its rate limit is shared).
    pub institution: String,
    /// Primary key.
    pub primary_key: String,
    /// Secondary key.
    pub secondary_key: String,
    /// In sandbox (not yet approved).
    pub sandbox: bool,
    /// The largest notice, in cents.
    pub max_allowed_payment_amount: u64,
    /// Whether it may name another payee.
    pub payee_allowed: bool,
}

impl ServiceSetup {
    /// An approved (not sandbox) service `id` of `institution`, with
    /// `primary_key` and `primary_key` + `-secondary` as keys, notices up
    /// to € 10,000 and no other payee; change the fields for other set-ups.
    #[must_use]
    pub fn new(id: &str, institution: &str, primary_key: &str) -> Self {
        Self {
            id: id.to_owned(),
            institution: institution.to_owned(),
            primary_key: primary_key.to_owned(),
            secondary_key: format!("{primary_key}-secondary"),
            sandbox: false,
            max_allowed_payment_amount: 1_000_000,
            payee_allowed: false,
        }
    }
}

#[derive(Debug, Clone)]
struct Service {
    institution: String,
    body: serde_json::Map<String, Value>,
    lifecycle: &'static str,
    auto_publish: bool,
    publication: Option<&'static str>,
    keys: (String, String),
    payee_allowed: bool,
}

impl Service {
    fn in_sandbox(&self) -> bool {
        self.lifecycle != "approved"
    }

    fn authorized(&self, fiscal_code: &str) -> bool {
        fiscal_code == SANDBOX_FISCAL_CODE
            || self
                .body
                .get("authorized_recipients")
                .and_then(Value::as_array)
                .is_some_and(|list| list.iter().any(|v| v == fiscal_code))
    }

    fn max_amount(&self) -> u64 {
        self.body
            .get("max_allowed_payment_amount")
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone)]
struct Message {
    service: String,
    fiscal_code: String,
    created_at: OffsetDateTime,
    body: Value,
    final_status: &'static str,
    polls: u32,
}

#[derive(Debug)]
struct State {
    services: HashMap<String, Service>,
    manage_keys: HashMap<String, String>,
    citizens: HashMap<String, Citizen>,
    default_citizen: CitizenState,
    messages: HashMap<String, Message>,
    windows: HashMap<String, VecDeque<OffsetDateTime>>,
    next_id: u64,
}

/// The IO simulator. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct IoSimulator {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    faults: Arc<Faults>,
    settings: Arc<Mutex<Settings>>,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    lifecycle: Lifecycle,
    rate_limit: Option<(usize, Duration)>,
}

/// Who a key belongs to.
#[derive(Debug, Clone)]
enum Caller {
    Service(String),
    Manage(String),
}

impl Caller {
    fn institution(&self, state: &State) -> String {
        match self {
            Self::Service(id) => state
                .services
                .get(id)
                .map(|s| s.institution.clone())
                .unwrap_or_default(),
            Self::Manage(institution) => institution.clone(),
        }
    }
}

pub(super) fn problem(status: u16, title: &str, detail: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/problem+json")
        .set_body_json(json!({ "title": title, "status": status, "detail": detail.into(), "type": "about:blank" }))
}

fn gateway(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "statusCode": status, "message": message }))
}

impl IoSimulator {
    /// A simulator on `clock` with no services; citizens not seeded are
    /// not registered.
    #[must_use]
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                services: HashMap::new(),
                manage_keys: HashMap::new(),
                citizens: HashMap::new(),
                default_citizen: CitizenState::NotRegistered,
                messages: HashMap::new(),
                windows: HashMap::new(),
                next_id: 0,
            })),
            clock,
            faults: Arc::new(Faults::default()),
            settings: Arc::new(Mutex::new(Settings {
                lifecycle: Lifecycle::default(),
                rate_limit: Some((150, Duration::from_secs(5))),
            })),
        }
    }

    /// The faults to inject.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The rate limit per institution (`None`: off).
    pub fn set_rate_limit(&self, limit: Option<(usize, Duration)>) {
        self.with_settings(|s| s.rate_limit = limit);
    }

    /// How messages settle.
    pub fn set_lifecycle(&self, lifecycle: Lifecycle) {
        self.with_settings(|s| s.lifecycle = lifecycle);
    }

    /// The state of citizens not seeded.
    pub fn set_default_citizen(&self, state: CitizenState) {
        self.with(|s| s.default_citizen = state);
    }

    /// Seeds a citizen.
    pub fn set_citizen(&self, fiscal_code: &str, state: CitizenState, blocked_services: &[&str]) {
        let citizen = Citizen {
            state,
            blocked_services: blocked_services.iter().map(|s| (*s).to_owned()).collect(),
        };
        self.with(|s| s.citizens.insert(fiscal_code.to_owned(), citizen));
    }

    /// Seeds citizens from JSON: `[{"fiscal_code", "state":
    /// "allowed"|"not_registered"|"inbox_off", "blocked_services": [..]}]`.
    ///
    /// # Errors
    /// A description of the first bad entry.
    pub fn seed_citizens(&self, json: &str) -> Result<usize, String> {
        let list: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let list = match list {
            Value::Array(list) => list,
            single @ Value::Object(_) => vec![single],
            _ => return Err("expected a JSON list of citizens".to_owned()),
        };
        for (i, entry) in list.iter().enumerate() {
            let (code, state) = parse_citizen(entry)
                .ok_or_else(|| format!("citizen {i} needs fiscal_code and state"))?;
            let blocked: Vec<&str> = entry
                .get("blocked_services")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            self.set_citizen(code, state, &blocked);
        }
        Ok(list.len())
    }

    /// Adds a service and, with it, its institution's manage key if new.
    pub fn add_service(&self, setup: &ServiceSetup) {
        let mut body = serde_json::Map::new();
        body.insert("id".into(), json!(setup.id));
        body.insert("name".into(), json!(format!("Servizio {}", setup.id)));
        body.insert("description".into(), json!("Servizio simulato"));
        body.insert(
            "organization".into(),
            json!({ "name": "Comune simulato", "fiscal_code": setup.institution }),
        );
        body.insert("authorized_recipients".into(), json!([SANDBOX_FISCAL_CODE]));
        body.insert(
            "max_allowed_payment_amount".into(),
            json!(setup.max_allowed_payment_amount),
        );
        body.insert(
            "metadata".into(),
            json!({ "scope": "LOCAL", "topic_id": 1 }),
        );
        let service = Service {
            institution: setup.institution.clone(),
            body,
            lifecycle: if setup.sandbox { "draft" } else { "approved" },
            auto_publish: false,
            publication: (!setup.sandbox).then_some("published"),
            keys: (setup.primary_key.clone(), setup.secondary_key.clone()),
            payee_allowed: setup.payee_allowed,
        };
        self.with(|s| s.services.insert(setup.id.clone(), service));
    }

    /// Lets `key` manage the services of `institution`.
    pub fn add_manage_key(&self, institution: &str, key: &str) {
        self.with(|s| s.manage_keys.insert(key.to_owned(), institution.to_owned()));
    }

    /// Every stored message as `(fiscal_code, subject)`, for tests that count
    /// deliveries.
    #[must_use]
    pub fn messages(&self) -> Vec<(String, String)> {
        self.with(|s| {
            s.messages
                .values()
                .map(|m| {
                    (
                        m.fiscal_code.clone(),
                        m.body
                            .pointer("/content/subject")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect()
        })
    }

    /// Serves the simulator on `server`, beside anything else mounted there.
    pub async fn mount(&self, server: &MockServer) {
        Mock::given(path_regex(r"^/(api/v1|__control/io)/"))
            .respond_with(self.clone())
            .named("IO simulator")
            .mount(server)
            .await;
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut crate::lock(&self.state))
    }

    fn with_settings<T>(&self, f: impl FnOnce(&mut Settings) -> T) -> T {
        f(&mut crate::lock(&self.settings))
    }

    fn fresh_id(state: &mut State, now: OffsetDateTime) -> String {
        state.next_id += 1;
        ulid(now, state.next_id)
    }

    fn handle(&self, request: &Request) -> ResponseTemplate {
        let now = self.clock.now();
        let path = request.url.path().to_owned();
        if let Some(rest) = path.strip_prefix(CONTROL_PATH) {
            return self.control(request.method.as_str(), rest, request, now);
        }
        let Some(key) = request
            .headers
            .get(KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
        else {
            return gateway(
                401,
                "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.",
            );
        };
        let caller = self.with(|s| {
            if let Some(institution) = s.manage_keys.get(&key) {
                return Some(Caller::Manage(institution.clone()));
            }
            s.services
                .iter()
                .find(|(_, svc)| svc.keys.0 == key || svc.keys.1 == key)
                .map(|(id, _)| Caller::Service(id.clone()))
        });
        let Some(caller) = caller else {
            return gateway(
                401,
                "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.",
            );
        };
        let (limited, remaining) = self.count_call(&caller, now);
        let response = match limited {
            Some(wait) => gateway(
                429,
                &format!("Rate limit is exceeded. Try again in {wait} seconds."),
            )
            .insert_header("x-rate-limit-retry-after", wait.to_string().as_str()),
            None => self.route(&caller, request, &path, now),
        };
        match remaining {
            Some(remaining) => {
                response.insert_header("x-rate-limit-remaining", remaining.to_string().as_str())
            }
            None => response,
        }
    }

    /// Counts a call in its institution's window: the wait in seconds when
    /// over the limit, and the calls left.
    fn count_call(&self, caller: &Caller, now: OffsetDateTime) -> (Option<i64>, Option<usize>) {
        let Some((limit, period)) = self.with_settings(|s| s.rate_limit) else {
            return (None, None);
        };
        self.with(|s| {
            let institution = caller.institution(s);
            let window = s.windows.entry(institution).or_default();
            while window.front().is_some_and(|t| now - *t >= period) {
                window.pop_front();
            }
            if window.len() >= limit {
                // Whole seconds until the oldest call leaves the window, rounded up.
                let wait = window.front().map_or(1, |oldest| {
                    let left = period - (now - *oldest);
                    (left.whole_seconds() + i64::from(left.subsec_nanoseconds() > 0)).max(1)
                });
                return (Some(wait), Some(0));
            }
            window.push_back(now);
            (None, Some(limit - window.len()))
        })
    }

    fn route(
        &self,
        caller: &Caller,
        request: &Request,
        path: &str,
        now: OffsetDateTime,
    ) -> ResponseTemplate {
        let Some(rest) = path.strip_prefix(IO_PATH) else {
            return gateway(404, "Resource not found");
        };
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let method = request.method.as_str();
        match (caller, segments.first().copied()) {
            (Caller::Manage(institution), Some("manage")) => self.manage(
                institution,
                method,
                segments.get(1..).unwrap_or_default(),
                request,
                now,
            ),
            (Caller::Service(service), Some("profiles" | "messages")) => {
                self.citizen_api(service, method, &segments, request, now)
            }
            (Caller::Manage(_), _) | (Caller::Service(_), Some("manage")) => problem(
                403,
                "You are not allowed here",
                "You do not have enough permission to complete the operation you requested",
            ),
            _ => gateway(404, "Resource not found"),
        }
    }

    fn control(
        &self,
        method: &str,
        rest: &str,
        request: &Request,
        now: OffsetDateTime,
    ) -> ResponseTemplate {
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        match (method, segments.as_slice()) {
            ("POST", ["citizens"]) => match self
                .seed_citizens(&String::from_utf8_lossy(&request.body))
            {
                Ok(count) => ResponseTemplate::new(200).set_body_json(json!({ "seeded": count })),
                Err(detail) => problem(400, "Bad citizens", detail),
            },
            ("GET", ["messages"]) => {
                let list: Vec<Value> = self.with(|s| {
                    s.messages
                        .iter()
                        .map(|(id, m)| json!({ "id": id, "fiscal_code": m.fiscal_code, "service": m.service, "created_at": format_time(m.created_at), "content": m.body.get("content") }))
                        .collect()
                });
                ResponseTemplate::new(200).set_body_json(list)
            }
            ("POST", ["services", id, "approve"]) => self.with(|s| match s.services.get_mut(*id) {
                Some(service) if service.lifecycle == "submitted" => {
                    service.lifecycle = "approved";
                    if service.auto_publish {
                        service.publication = Some("published");
                    }
                    ResponseTemplate::new(204)
                }
                Some(_) => problem(409, "Conflict", "only a submitted service can be approved"),
                None => problem(404, "Not found", "no such service"),
            }),
            _ => {
                let _ = now;
                problem(404, "Not found", "unknown control path")
            }
        }
    }
}

impl Respond for IoSimulator {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let is_control = request.url.path().starts_with(CONTROL_PATH);
        let response = match if is_control { None } else { self.faults.draw() } {
            Some(Fault::Throttle) => {
                gateway(429, "Rate limit is exceeded. Try again in 1 seconds.")
                    .insert_header("x-rate-limit-retry-after", "1")
            }
            Some(Fault::ServerError) => problem(503, "Service Unavailable", "simulated failure"),
            Some(Fault::LoseResponse) => {
                return self.handle(request).set_delay(LOST_RESPONSE_DELAY);
            }
            None => self.handle(request),
        };
        self.faults.delay(response)
    }
}

fn parse_citizen(entry: &Value) -> Option<(&str, CitizenState)> {
    let code = entry.get("fiscal_code")?.as_str()?;
    let state = match entry.get("state")?.as_str()? {
        "allowed" => CitizenState::Allowed,
        "not_registered" => CitizenState::NotRegistered,
        "inbox_off" => CitizenState::InboxOff,
        _ => return None,
    };
    Some((code, state))
}

pub(super) fn format_time(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A ULID: 48-bit milliseconds then 80 bits, in Crockford's base 32. The
/// random part is a counter, so ids are unique and ordered within a run.
fn ulid(now: OffsetDateTime, counter: u64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let millis =
        u128::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0) & ((1 << 48) - 1);
    let value = (millis << 80) | u128::from(counter);
    (0..26)
        .rev()
        .map(|i| {
            char::from(
                ALPHABET
                    .get(((value >> (i * 5)) & 31) as usize)
                    .copied()
                    .unwrap_or(b'0'),
            )
        })
        .collect()
}

/// IO's `FiscalCode` pattern: no check-character validation.
pub(super) fn is_io_fiscal_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    let omocodia = |b: u8| b.is_ascii_digit() || b"LMNPQRSTUV".contains(&b);
    bytes.len() == 16
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            0..=5 | 11 | 15 => b.is_ascii_uppercase(),
            8 => b"ABCDEHLMPRST".contains(&b),
            _ => omocodia(b),
        })
}
