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
//! | `POST /profiles`, `GET /profiles/{fiscal_code}` | is a citizen reachable |
//! | `POST /messages`, `POST /messages/{fiscal_code}` | send (201 + ULID + `Location`) |
//! | `GET /messages/{fiscal_code}/{id}` | state: `ACCEPTED`, then `PROCESSED` or `REJECTED` |
//! | `GET /subscriptions-feed/{date}` | who subscribed to or left the service on a day (hashed) |
//! | `POST`, `PUT /activations/` | a special service's activation for a citizen |
//! | `PUT /organizations/{organization_fiscal_code}/logo` | the institution's logo |
//! | `/messages-sending/remote-contents/configurations[/{id}]` | remote-content configurations |
//! | `/manage/services[...]` | create, list, get, update, delete, review, release, keys, logo, history, topics |
//!
//! and the control API under `/__control/io`: `POST /citizens` (one or a
//! list of `{fiscal_code, state, blocked_services?}`), `GET
//! /messages[?fiscal_code=…][&service_id=…]` (the stored messages in full,
//! [`SentMessage`]; [`IoSimulator::sent_messages`] from Rust), `POST
//! /services/{id}/approve`.
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

mod activations;
mod feed;
mod manage;
mod messages;
mod remote_content;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abilita_core::Clock;
use serde_json::{Value, json};
use time::OffsetDateTime;
use wiremock::MockServer;

use crate::Faults;
use crate::kit::{Call, Handler, Params, Platform, Reply, Route, apim, problem_body};

/// The path prefix of IO's API.
pub const IO_PATH: &str = "/api/v1";
/// IO's sandbox recipient.
pub const SANDBOX_FISCAL_CODE: &str = "AAAAAA00A00A000A";
/// How many messages the simulator keeps by default; beyond, the oldest
/// are forgotten (their `GET` answers 404), so a long run's memory stays
/// bounded. IO itself keeps messages for years; no test reads that far back.
pub const DEFAULT_MAX_MESSAGES: usize = 100_000;

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
    /// Whether it may send remote-content messages (`third_party_data`,
    /// IO's `ApiThirdPartyMessageWrite` group).
    pub third_party_allowed: bool,
    /// A SPECIAL service (SEND, CGN): it delivers only to citizens whose
    /// activation is `ACTIVE` (or `PENDING` for 24 hours), and it alone may
    /// call `/activations/`.
    pub special: bool,
    /// Whether it may read the subscriptions feed (IO's
    /// `ApiSubscriptionsFeedRead` group, granted case by case).
    pub subscriptions_feed_allowed: bool,
    /// Whether its keys may upload the organisation's logo (IO's
    /// `ApiServiceWrite` group).
    pub service_write_allowed: bool,
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
            third_party_allowed: false,
            special: false,
            subscriptions_feed_allowed: false,
            service_write_allowed: false,
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
    third_party_allowed: bool,
    special: bool,
    feed_allowed: bool,
    service_write_allowed: bool,
    /// When the service last changed (`last_update`), and how many
    /// changes it has had (`version`).
    updated: OffsetDateTime,
    version: u64,
    /// Its changes, oldest first, at most [`MAX_HISTORY`].
    history: VecDeque<manage::HistoryEntry>,
}

/// How many changes of a service its history keeps; the oldest go first.
pub const MAX_HISTORY: usize = 100;

/// How many activations, and how many remote-content configurations, the
/// simulator holds: IO has no call that deletes either, so one more is
/// refused (507) rather than let a long run grow without bound.
pub const MAX_HELD: usize = 10_000;

/// IO's answer had the simulator no room for one more `what`.
fn full(what: &str) -> Reply {
    problem(
        507,
        "Insufficient Storage",
        format!(
            "the simulator holds {MAX_HELD} {what}, its limit: POST /__control/io/reset or restart it"
        ),
    )
}

impl Service {
    /// Records a change at `now` of its lifecycle or its publication.
    fn touch(&mut self, now: OffsetDateTime, kind: manage::Change) {
        self.updated = now;
        self.version = self.version.saturating_add(1);
        self.record(kind);
    }

    /// Adds the service as it is now to its history.
    fn record(&mut self, kind: manage::Change) {
        let entry = manage::HistoryEntry::of(self, kind);
        self.history.push_back(entry);
        while self.history.len() > MAX_HISTORY {
            self.history.pop_front();
        }
    }

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
    /// Which of the service's keys sent it.
    key: KeySlot,
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
    /// Message ids, oldest first: the order they are forgotten in.
    message_order: VecDeque<String>,
    windows: HashMap<String, VecDeque<OffsetDateTime>>,
    next_id: u64,
    max_messages: usize,
    /// Special services' activations, by (service, citizen).
    activations: HashMap<(String, String), activations::Activation>,
    /// Subscription events, oldest first, at most `max_messages`.
    feed: VecDeque<feed::Event>,
    /// Remote-content configurations, by id.
    remote_contents: HashMap<String, remote_content::Configuration>,
}

/// A message as the simulator received it ([`IoSimulator::sent_messages`],
/// `GET /__control/io/messages`): who sent it with which key, to whom, and
/// everything it carried.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct SentMessage {
    /// Its id (a ULID).
    pub id: String,
    /// The sending service.
    pub service_id: String,
    /// Which of the service's keys sent it.
    pub key: KeySlot,
    /// The recipient.
    pub fiscal_code: String,
    /// When it was accepted (RFC 3339).
    pub created_at: String,
    /// `content.subject`.
    pub subject: String,
    /// `content.markdown`.
    pub markdown: String,
    /// `content.due_date`, as sent.
    pub due_date: Option<String>,
    /// `content.payment_data`, as sent.
    pub payment_data: Option<Value>,
    /// `feature_level_type` (`STANDARD` when not sent, as IO defaults it).
    pub feature_level_type: String,
    /// Where it ends: `PROCESSED`, or `REJECTED` for a citizen who cannot
    /// receive it.
    pub outcome: &'static str,
    /// The whole request body, as sent.
    pub body: Value,
}

impl SentMessage {
    fn of(id: &str, message: &Message) -> Self {
        let text = |pointer: &str| {
            message
                .body
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Self {
            id: id.to_owned(),
            service_id: message.service.clone(),
            key: message.key,
            fiscal_code: message.fiscal_code.clone(),
            created_at: format_time(message.created_at),
            subject: text("/content/subject").unwrap_or_default(),
            markdown: text("/content/markdown").unwrap_or_default(),
            due_date: text("/content/due_date"),
            payment_data: message.body.pointer("/content/payment_data").cloned(),
            feature_level_type: text("/feature_level_type")
                .unwrap_or_else(|| "STANDARD".to_owned()),
            outcome: message.final_status,
            body: message.body.clone(),
        }
    }
}

impl State {
    /// Stores a message, forgetting the oldest beyond the limit.
    fn remember(&mut self, id: String, message: Message) {
        self.messages.insert(id.clone(), message);
        self.message_order.push_back(id);
        while self.message_order.len() > self.max_messages {
            if let Some(oldest) = self.message_order.pop_front() {
                self.messages.remove(&oldest);
            }
        }
    }
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

/// Which of a service's two keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(clippy::exhaustive_enums, reason = "IO gives a service two keys")]
pub enum KeySlot {
    /// The primary key.
    Primary,
    /// The secondary key.
    Secondary,
}

/// Who a key belongs to.
#[derive(Debug, Clone)]
enum Caller {
    Service(String, KeySlot),
    Manage(String),
}

impl Caller {
    /// The institution the key belongs to (a service's, or the manage key's).
    fn institution(&self, state: &State) -> String {
        match self {
            Self::Service(id, _) => state
                .services
                .get(id)
                .map(|s| s.institution.clone())
                .unwrap_or_default(),
            Self::Manage(institution) => institution.clone(),
        }
    }
}

pub(super) fn problem(status: u16, title: &str, detail: impl Into<String>) -> Reply {
    let mut body = problem_body(status, title, &detail.into());
    if let Some(map) = body.as_object_mut() {
        map.insert("type".into(), json!("about:blank"));
    }
    Reply::new(status)
        .header("content-type", "application/problem+json")
        .json(&body)
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
                message_order: VecDeque::new(),
                windows: HashMap::new(),
                next_id: 0,
                max_messages: DEFAULT_MAX_MESSAGES,
                activations: HashMap::new(),
                feed: VecDeque::new(),
                remote_contents: HashMap::new(),
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

    /// How many messages to keep ([`DEFAULT_MAX_MESSAGES`]); the oldest go first.
    pub fn set_max_messages(&self, max: usize) {
        self.with(|s| s.max_messages = max.max(1));
    }

    /// How messages settle.
    pub fn set_lifecycle(&self, lifecycle: Lifecycle) {
        self.with_settings(|s| s.lifecycle = lifecycle);
    }

    /// The state of citizens not seeded.
    pub fn set_default_citizen(&self, state: CitizenState) {
        self.with(|s| s.default_citizen = state);
    }

    /// Seeds a citizen, or changes one: a profile created or deleted, a
    /// service blocked or unblocked is an event of today's subscriptions
    /// feed (on the simulator's clock).
    pub fn set_citizen(&self, fiscal_code: &str, state: CitizenState, blocked_services: &[&str]) {
        let citizen = Citizen {
            state,
            blocked_services: blocked_services.iter().map(|s| (*s).to_owned()).collect(),
        };
        let today = self.clock.now().date();
        self.with(|s| {
            let before = s.citizens.get(fiscal_code).cloned();
            feed::record(s, today, fiscal_code, before.as_ref(), &citizen);
            s.citizens.insert(fiscal_code.to_owned(), citizen);
        });
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
        let mut service = Service {
            institution: setup.institution.clone(),
            body,
            lifecycle: if setup.sandbox { "draft" } else { "approved" },
            auto_publish: false,
            publication: (!setup.sandbox).then_some("published"),
            keys: (setup.primary_key.clone(), setup.secondary_key.clone()),
            payee_allowed: setup.payee_allowed,
            third_party_allowed: setup.third_party_allowed,
            special: setup.special,
            feed_allowed: setup.subscriptions_feed_allowed,
            service_write_allowed: setup.service_write_allowed,
            updated: self.clock.now(),
            version: 0,
            history: VecDeque::new(),
        };
        service.record(manage::Change::Lifecycle);
        if service.publication.is_some() {
            service.record(manage::Change::Publication);
        }
        self.with(|s| s.services.insert(setup.id.clone(), service));
    }

    /// Lets `key` manage the services of `institution`.
    pub fn add_manage_key(&self, institution: &str, key: &str) {
        self.with(|s| s.manage_keys.insert(key.to_owned(), institution.to_owned()));
    }

    /// Every stored message a citizen or a service was sent (`None`: any),
    /// oldest first, in full: what a test asserts its app sent.
    #[must_use]
    pub fn sent_messages(
        &self,
        fiscal_code: Option<&str>,
        service_id: Option<&str>,
    ) -> Vec<SentMessage> {
        self.with(|s| {
            s.message_order
                .iter()
                .filter_map(|id| s.messages.get(id).map(|m| SentMessage::of(id, m)))
                .filter(|m| fiscal_code.is_none_or(|cf| m.fiscal_code == cf))
                .filter(|m| service_id.is_none_or(|id| m.service_id == id))
                .collect()
        })
    }

    /// Serves the simulator on `server`, beside anything else mounted there.
    pub async fn mount(&self, server: &MockServer) {
        crate::kit::mount::mount(self, server, "IO simulator").await;
    }

    /// The routes served, as `(method, path pattern)`.
    pub fn routes() -> impl Iterator<Item = (&'static str, String)> {
        crate::kit::route::table::<Self>()
    }

    /// Forgets every message, activation, remote-content configuration and
    /// rate-limit window; services, keys and citizens (with the feed their
    /// changes made) stay.
    pub fn reset(&self) {
        self.with(|s| {
            s.messages.clear();
            s.message_order.clear();
            s.windows.clear();
            s.activations.clear();
            s.remote_contents.clear();
        });
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

    /// `POST /__control/io/citizens`
    fn control_citizens(&self, call: &Call<'_>) -> Reply {
        match self.seed_citizens(&String::from_utf8_lossy(call.body())) {
            Ok(count) => Reply::new(200).json(&json!({ "seeded": count })),
            Err(detail) => problem(400, "Bad citizens", detail),
        }
    }

    /// `GET /__control/io/messages[?fiscal_code=…][&service_id=…]`
    fn control_messages(&self, call: &Call<'_>) -> Reply {
        let query = call.query();
        let filter = |name: &str| query.get(name).map(String::as_str);
        let sent = self.sent_messages(filter("fiscal_code"), filter("service_id"));
        Reply::new(200).json(&serde_json::to_value(sent).unwrap_or_default())
    }

    /// Approves a submitted service as PagoPA's review would (published
    /// at once if it was submitted with `auto_publish`).
    ///
    /// # Errors
    /// When there is no such service, or it is not submitted.
    pub fn approve(&self, id: &str) -> Result<(), ApprovalError> {
        let now = self.clock.now();
        self.with(|s| match s.services.get_mut(id) {
            Some(service) if service.lifecycle == "submitted" => {
                service.lifecycle = "approved";
                service.touch(now, manage::Change::Lifecycle);
                if service.auto_publish {
                    service.publication = Some("published");
                    service.record(manage::Change::Publication);
                }
                Ok(())
            }
            Some(_) => Err(ApprovalError::NotSubmitted),
            None => Err(ApprovalError::NoSuchService),
        })
    }

    /// `POST /__control/io/services/{id}/approve`
    fn control_approve(&self, id: &str) -> Reply {
        match self.approve(id) {
            Ok(()) => Reply::new(204),
            Err(e @ ApprovalError::NoSuchService) => problem(404, "Not found", e.to_string()),
            Err(e @ ApprovalError::NotSubmitted) => problem(409, "Conflict", e.to_string()),
        }
    }
}

/// Why [`IoSimulator::approve`] did not approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApprovalError {
    /// No service has that id.
    NoSuchService,
    /// The service is not waiting for review.
    NotSubmitted,
}

impl std::fmt::Display for ApprovalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NoSuchService => "no such service",
            Self::NotSubmitted => "only a submitted service can be approved",
        })
    }
}

impl std::error::Error for ApprovalError {}

/// A caller APIM let through, and the calls its institution has left.
pub(crate) struct Admitted {
    caller: Caller,
    remaining: Option<usize>,
}

impl Admitted {
    /// The service calling, or IO's 403 for the manage key.
    fn service(&self) -> Result<&str, Reply> {
        self.sender().map(|(id, _)| id)
    }

    /// The service and which of its keys, or IO's 403 for a manage key.
    fn sender(&self) -> Result<(&str, KeySlot), Reply> {
        match &self.caller {
            Caller::Service(id, slot) => Ok((id, *slot)),
            Caller::Manage(_) => Err(forbidden()),
        }
    }

    /// The institution the key belongs to, whichever kind it is.
    fn owner(&self, state: &State) -> String {
        self.caller.institution(state)
    }

    /// The institution managing its services, or IO's 403 for a service key.
    fn institution(&self) -> Result<&str, Reply> {
        match &self.caller {
            Caller::Manage(institution) => Ok(institution),
            Caller::Service(..) => Err(forbidden()),
        }
    }
}

fn forbidden() -> Reply {
    problem(
        403,
        "You are not allowed here",
        "You do not have enough permission to complete the operation you requested",
    )
}

/// IO's API under `/api/v1`, then the control API.
static ROUTES: &[Route<IoSimulator>] = &[
    Route {
        method: "POST",
        path: "/api/v1/profiles",
        handler: Handler::Api(|s, a: &Admitted, c, _| Ok(s.profile(a.service()?, c.json_body()))),
    },
    Route {
        method: "GET",
        path: "/api/v1/profiles/{fiscal_code}",
        handler: Handler::Api(|s, a: &Admitted, _, p| {
            Ok(s.profile_of(a.service()?, p.get("fiscal_code")))
        }),
    },
    Route {
        method: "GET",
        path: "/api/v1/subscriptions-feed/{date}",
        handler: Handler::Api(|s, a: &Admitted, _, p| {
            Ok(s.subscriptions_feed(a.service()?, p.get("date"), s.clock.now()))
        }),
    },
    Route {
        method: "POST",
        path: "/api/v1/activations/",
        handler: Handler::Api(|s, a: &Admitted, c, _| {
            Ok(s.read_activation(a.service()?, c.json_body()))
        }),
    },
    Route {
        method: "PUT",
        path: "/api/v1/activations/",
        handler: Handler::Api(|s, a: &Admitted, c, _| {
            Ok(s.upsert_activation(a.service()?, c.json_body(), s.clock.now()))
        }),
    },
    Route {
        method: "PUT",
        path: "/api/v1/organizations/{organization_fiscal_code}/logo",
        handler: Handler::Api(|s, a: &Admitted, c, p| {
            let service = a.service()?;
            if !s.with(|s| {
                s.services
                    .get(service)
                    .is_some_and(|svc| svc.service_write_allowed)
            }) {
                return Ok(forbidden());
            }
            Ok(manage::organization_logo(
                p.get("organization_fiscal_code"),
                c.json_body(),
            ))
        }),
    },
    Route {
        method: "POST",
        path: "/api/v1/messages-sending/remote-contents/configurations",
        handler: Handler::Api(|s, a: &Admitted, c, _| {
            Ok(s.create_remote_content(a, c.json_body(), s.clock.now()))
        }),
    },
    Route {
        method: "GET",
        path: "/api/v1/messages-sending/remote-contents/configurations",
        handler: Handler::Api(|s, a: &Admitted, _, _| Ok(s.list_remote_contents(a))),
    },
    Route {
        method: "GET",
        path: "/api/v1/messages-sending/remote-contents/configurations/{configuration_id}",
        handler: Handler::Api(|s, a: &Admitted, _, p| {
            Ok(s.read_remote_content(a, p.get("configuration_id")))
        }),
    },
    Route {
        method: "PUT",
        path: "/api/v1/messages-sending/remote-contents/configurations/{configuration_id}",
        handler: Handler::Api(|s, a: &Admitted, c, p| {
            Ok(s.update_remote_content(a, p.get("configuration_id"), c.json_body()))
        }),
    },
    Route {
        method: "POST",
        path: "/api/v1/messages",
        handler: Handler::Api(|s, a: &Admitted, c, _| {
            Ok(s.submit(a.sender()?, c.json_body(), s.clock.now()))
        }),
    },
    Route {
        method: "POST",
        path: "/api/v1/messages/{fiscal_code}",
        handler: Handler::Api(|s, a: &Admitted, c, p| {
            Ok(s.submit_to(
                a.sender()?,
                p.get("fiscal_code"),
                c.json_body(),
                s.clock.now(),
            ))
        }),
    },
    Route {
        method: "GET",
        path: "/api/v1/messages/{fiscal_code}/{id}",
        handler: Handler::Api(|s, a: &Admitted, _, p| {
            Ok(s.read(
                a.service()?,
                p.get("fiscal_code"),
                p.get("id"),
                s.clock.now(),
            ))
        }),
    },
    Route {
        method: "POST",
        path: "/api/v1/manage/services",
        handler: Handler::Api(|s, a: &Admitted, c, _| {
            Ok(s.create_service(a.institution()?, c.json_body(), s.clock.now()))
        }),
    },
    Route {
        method: "GET",
        path: "/api/v1/manage/services",
        handler: Handler::Api(|s, a: &Admitted, c, _| Ok(s.list_services(a.institution()?, c))),
    },
    // Before `{id}`, which would take `topics` for a service id. Any key of
    // the product reads the topics (the spec gives this operation the
    // service key's security).
    Route {
        method: "GET",
        path: "/api/v1/manage/services/topics",
        handler: Handler::Api(|_, _, _, _| Ok(manage::topics())),
    },
    Route {
        method: "GET",
        path: "/api/v1/manage/services/{id}",
        handler: Handler::Api(|s, a: &Admitted, c, p| s.on_service(a, c, p, manage::get)),
    },
    Route {
        method: "GET",
        path: "/api/v1/manage/services/{id}/history",
        handler: Handler::Api(|s, a: &Admitted, c, p| s.on_service(a, c, p, manage::history)),
    },
    Route {
        method: "PUT",
        path: "/api/v1/manage/services/{id}",
        handler: Handler::Api(|s, a: &Admitted, c, p| s.on_service(a, c, p, manage::update)),
    },
    Route {
        method: "DELETE",
        path: "/api/v1/manage/services/{id}",
        handler: Handler::Api(|s, a: &Admitted, c, p| s.on_service(a, c, p, manage::delete)),
    },
    Route {
        method: "PUT",
        path: "/api/v1/manage/services/{id}/review",
        handler: Handler::Api(|s, a: &Admitted, c, p| s.on_service(a, c, p, manage::review)),
    },
    Route {
        method: "POST",
        path: "/api/v1/manage/services/{id}/release",
        handler: Handler::Api(|s, a: &Admitted, c, p| s.on_service(a, c, p, manage::release)),
    },
    Route {
        method: "GET",
        path: "/api/v1/manage/services/{id}/release",
        handler: Handler::Api(|s, a: &Admitted, c, p| s.on_service(a, c, p, manage::get_release)),
    },
    Route {
        method: "DELETE",
        path: "/api/v1/manage/services/{id}/release",
        handler: Handler::Api(|s, a: &Admitted, c, p| s.on_service(a, c, p, manage::unpublish)),
    },
    Route {
        method: "GET",
        path: "/api/v1/manage/services/{id}/keys",
        handler: Handler::Api(|s, a: &Admitted, c, p| s.on_service(a, c, p, manage::keys)),
    },
    Route {
        method: "PUT",
        path: "/api/v1/manage/services/{id}/keys/{which}",
        handler: Handler::Api(|s, a: &Admitted, c, p| {
            s.on_service(a, c, p, manage::regenerate_key)
        }),
    },
    Route {
        method: "PUT",
        path: "/api/v1/manage/services/{id}/logo",
        handler: Handler::Api(|s, a: &Admitted, c, p| s.on_service(a, c, p, manage::logo)),
    },
    Route {
        method: "POST",
        path: "/__control/io/citizens",
        handler: Handler::Control(|s, c, _| Ok(s.control_citizens(c))),
    },
    Route {
        method: "GET",
        path: "/__control/io/messages",
        handler: Handler::Control(|s, c, _| Ok(s.control_messages(c))),
    },
    Route {
        method: "POST",
        path: "/__control/io/services/{id}/approve",
        handler: Handler::Control(|s, _, p| Ok(s.control_approve(p.get("id")))),
    },
    Route {
        method: "POST",
        path: "/__control/io/reset",
        handler: Handler::Control(|s, _, _| {
            s.reset();
            Ok(Reply::new(204))
        }),
    },
];

impl Platform for IoSimulator {
    type Caller = Admitted;

    const CONTROL: &'static str = "/__control/io";

    fn routes() -> &'static [Route<Self>] {
        ROUTES
    }

    fn faults(&self) -> &Faults {
        &self.faults
    }

    /// APIM's key check, then the institution's rate limit.
    fn admit(&self, call: &Call<'_>, _: &Params<'_>) -> Result<Admitted, Reply> {
        let key = apim::subscription_key(call)?;
        let key = key.as_ref();
        let caller = self
            .with(|s| {
                if let Some(institution) = s.manage_keys.get(key) {
                    return Some(Caller::Manage(institution.clone()));
                }
                s.services.iter().find_map(|(id, svc)| {
                    let slot = if svc.keys.0 == key {
                        KeySlot::Primary
                    } else if svc.keys.1 == key {
                        KeySlot::Secondary
                    } else {
                        return None;
                    };
                    Some(Caller::Service(id.clone(), slot))
                })
            })
            .ok_or_else(apim::invalid_key)?;
        match self.count_call(&caller, self.clock.now()) {
            (Some(wait), _) => Err(apim::throttled(
                wait.unsigned_abs(),
                "x-rate-limit-retry-after",
            )
            .header("x-rate-limit-remaining", "0")),
            (None, remaining) => Ok(Admitted { caller, remaining }),
        }
    }

    fn finish(&self, admitted: &Admitted, _call: &Call<'_>, reply: Reply) -> Reply {
        match admitted.remaining {
            Some(remaining) => reply.header("x-rate-limit-remaining", remaining.to_string()),
            None => reply,
        }
    }

    fn not_found(&self) -> Reply {
        apim::not_found()
    }

    fn throttled(&self) -> Reply {
        apim::throttled(1, "x-rate-limit-retry-after")
    }

    fn unavailable(&self) -> Reply {
        problem(503, "Service Unavailable", "simulated failure")
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

/// Crockford's base 32, the alphabet of ULIDs.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Whether `text` is a ULID as ts-commons' `Ulid` reads it: 26 characters
/// of Crockford's base 32, the first at most `7`.
pub(super) fn is_ulid(text: &str) -> bool {
    text.len() == 26
        && text.bytes().all(|b| CROCKFORD.contains(&b))
        && text.as_bytes().first().is_some_and(|b| *b <= b'7')
}

/// A ULID: 48-bit milliseconds then 80 bits, in Crockford's base 32. The
/// random part is a counter, so ids are unique and ordered within a run.
fn ulid(now: OffsetDateTime, counter: u64) -> String {
    const ALPHABET: &[u8; 32] = CROCKFORD;
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
