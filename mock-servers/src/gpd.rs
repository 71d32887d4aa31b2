//! A GPD (*Gestione Posizioni Debitorie*) simulator, written from pagoPA's
//! OpenAPI files and GPD's documented rules, not from `abilita-pagopa`'s
//! models: it reads requests as plain JSON, so a bug shared with the client
//! cannot hide.
//!
//! Served paths (the production paths under the simulator's host):
//!
//! | path | what |
//! |---|---|
//! | `/gpd/debt-positions-service/v1/organizations/{cf}/debtpositions[...]` | v1 create, list, get, update, delete, publish, invalidate |
//! | `/gpd/payments-receipts-service/v1/payments/{cf}/receipts[/{iuv}]` | receipts |
//! | `POST /__control/gpd/organizations/{cf}/paymentoptions/{nav}/pay` | a citizen pays an option |
//!
//! Behaviour, from SANP 3.12 and `pagopa-debt-position` (see
//! `shared/research/pagopa.md` §1):
//! - states `DRAFT`, `PUBLISHED`, `VALID`, `PARTIALLY_PAID`, `PAID`,
//!   `INVALID`, `EXPIRED`; `PUBLISHED → VALID` once the validity date is
//!   reached and `VALID → EXPIRED` after the last due date when
//!   `switchToExpired` is set. GPD runs these as batch jobs; the simulator
//!   applies them whenever a position is read, on its injectable clock;
//! - the request rules (≤ 5 transfers summing to the option amount, IBAN or
//!   stamp, dates, lengths, metadata) answered with ProblemJson 400, 409 for
//!   uniqueness and state, 404, 422;
//! - per subscription key: the creditors it may act for and the segregation
//!   codes of the IUVs it may touch (403 otherwise); 401 with the gateway's
//!   body for an unknown key;
//! - [`Faults`]: 5xx share, 429 bursts, latency, lost responses.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use abilita_core::Clock;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::Faults;
use crate::faults::{Fault, LOST_RESPONSE_DELAY};

/// The path prefix of the debt-positions API.
pub const DEBT_POSITIONS_PATH: &str = "/gpd/debt-positions-service/v1";
/// The path prefix of the receipts API.
pub const RECEIPTS_PATH: &str = "/gpd/payments-receipts-service/v1";
const CONTROL_PATH: &str = "/__control/gpd";
const KEY_HEADER: &str = "ocp-apim-subscription-key";

/// The GPD simulator. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct GpdSimulator {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    faults: Arc<Faults>,
}

#[derive(Debug, Default)]
struct State {
    grants: HashMap<String, Grant>,
    /// Positions by creditor, then IUPD.
    positions: HashMap<String, BTreeMap<String, Position>>,
    /// Receipts by creditor, then IUV.
    receipts: HashMap<String, BTreeMap<String, Receipt>>,
    /// The IUPD holding each IUV, by creditor: GPD's uniqueness index.
    iuvs: HashMap<String, HashMap<String, String>>,
}

impl State {
    /// Whether an IUV of `body` belongs to a position other than `iupd`.
    fn iuv_taken(&self, cf: &str, iupd: &str, body: &Map<String, Value>) -> bool {
        let Some(index) = self.iuvs.get(cf) else {
            return false;
        };
        option_iuvs(body).any(|iuv| index.get(iuv).is_some_and(|owner| owner != iupd))
    }

    /// Points the index at `iupd`'s current IUVs (none when `body` is `None`).
    fn reindex(&mut self, cf: &str, iupd: &str, body: Option<&Map<String, Value>>) {
        let index = self.iuvs.entry(cf.to_owned()).or_default();
        index.retain(|_, owner| owner != iupd);
        for iuv in body.into_iter().flat_map(option_iuvs) {
            index.insert(iuv.to_owned(), iupd.to_owned());
        }
    }
}

#[derive(Debug, Clone)]
struct Grant {
    creditors: Vec<String>,
    segregation_codes: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
struct Position {
    body: Map<String, Value>,
    status: &'static str,
    inserted: OffsetDateTime,
    published: Option<OffsetDateTime>,
    paid: Option<OffsetDateTime>,
    /// Per option (by IUV): paid at, receipt id.
    option_payments: HashMap<String, (OffsetDateTime, String)>,
}

#[derive(Debug, Clone)]
struct Receipt {
    iuv: String,
    debtor: String,
    paid_at: OffsetDateTime,
    xml: String,
}

/// A ProblemJson answer, kept small until it becomes a response.
#[derive(Debug)]
struct Problem {
    status: u16,
    title: &'static str,
    detail: String,
}

impl From<Problem> for ResponseTemplate {
    fn from(p: Problem) -> Self {
        ResponseTemplate::new(p.status)
            .set_body_json(json!({ "title": p.title, "status": p.status, "detail": p.detail }))
    }
}

fn problem(status: u16, title: &'static str, detail: impl Into<String>) -> Problem {
    Problem {
        status,
        title,
        detail: detail.into(),
    }
}

fn bad_request(detail: impl Into<String>) -> Problem {
    problem(400, "Error in the debt position request data", detail)
}

const NOT_FOUND: &str = "Not found the debt position";
const UNIQUENESS: &str = "The debt position violated constraints of uniqueness";
const WRONG_STATE: &str = "Existing related payment found or not in the right state";

impl GpdSimulator {
    /// A simulator on `clock`, with default faults (none) and no keys.
    #[must_use]
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Arc::default(),
            clock,
            faults: Arc::new(Faults::default()),
        }
    }

    /// Lets subscription `key` act for `creditors`, on IUVs of
    /// `segregation_codes` only (`None`: any).
    pub fn grant(&self, key: &str, creditors: &[&str], segregation_codes: Option<&[&str]>) {
        let grant = Grant {
            creditors: creditors.iter().map(|c| (*c).to_owned()).collect(),
            segregation_codes: segregation_codes
                .map(|codes| codes.iter().map(|c| (*c).to_owned()).collect()),
        };
        self.with(|s| s.grants.insert(key.to_owned(), grant));
    }

    /// The faults to inject.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// How many positions `creditor` holds (whatever their state).
    #[must_use]
    pub fn position_count(&self, creditor: &str) -> usize {
        self.with(|s| s.positions.get(creditor).map_or(0, BTreeMap::len))
    }

    /// Serves the simulator on `server`, beside anything else mounted there.
    pub async fn mount(&self, server: &MockServer) {
        Mock::given(path_regex(r"^/(gpd|__control/gpd)/"))
            .respond_with(self.clone())
            .named("GPD simulator")
            .mount(server)
            .await;
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn handle(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let now = self.clock.now();
        if let Some(rest) = path.strip_prefix(CONTROL_PATH) {
            return self.control(request.method.as_str(), rest, request, now);
        }
        let Some(key) = request
            .headers
            .get(KEY_HEADER)
            .and_then(|v| v.to_str().ok())
        else {
            return unauthorized("missing");
        };
        let Some(grant) = self.with(|s| s.grants.get(key).cloned()) else {
            return unauthorized("invalid");
        };
        let method = request.method.as_str();
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        // ["gpd", service, "v1", "organizations"|"payments", cf, ...]
        let (Some(&service), Some(&cf)) = (segments.get(1), segments.get(4)) else {
            return problem(404, "Not Found", "unknown path").into();
        };
        if !grant.creditors.iter().any(|c| c == cf) {
            return problem(
                403,
                "Forbidden",
                "the subscription key may not act for this creditor",
            )
            .into();
        }
        let tail = segments.get(5..).unwrap_or_default();
        match (service, method, tail) {
            ("debt-positions-service", "POST", ["debtpositions"]) => {
                self.create(cf, request, &query, &grant, now)
            }
            ("debt-positions-service", "GET", ["debtpositions"]) => self.list(cf, &query, now),
            ("debt-positions-service", "GET", ["debtpositions", iupd]) => self.read(cf, iupd, now),
            ("debt-positions-service", "PUT", ["debtpositions", iupd]) => {
                self.update(cf, iupd, request, &query, &grant, now)
            }
            ("debt-positions-service", "DELETE", ["debtpositions", iupd]) => {
                self.delete(cf, iupd, now)
            }
            ("debt-positions-service", "POST", ["debtpositions", iupd, "publish"]) => {
                self.publish(cf, iupd, now)
            }
            ("debt-positions-service", "POST", ["debtpositions", iupd, "invalidate"]) => {
                self.invalidate(cf, iupd, now)
            }
            ("payments-receipts-service", "GET", ["receipts"]) => self.list_receipts(cf, &query),
            ("payments-receipts-service", "GET", ["receipts", iuv]) => self.receipt(cf, iuv),
            _ => problem(404, "Not Found", "unknown path").into(),
        }
    }

    fn create(
        &self,
        cf: &str,
        request: &Request,
        query: &HashMap<String, String>,
        grant: &Grant,
        now: OffsetDateTime,
    ) -> ResponseTemplate {
        let body = match parse_position(&request.body, now, true) {
            Ok(body) => body,
            Err(problem) => return problem.into(),
        };
        if let Err(response) = check_segregation(&body, grant) {
            return response.into();
        }
        let publish = query.get("toPublish").is_some_and(|v| v == "true");
        let iupd = body
            .get("iupd")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        self.with(|s| {
            if s.positions.get(cf).is_some_and(|p| p.contains_key(&iupd)) {
                return problem(409, UNIQUENESS, format!("iupd {iupd} already exists")).into();
            }
            if s.iuv_taken(cf, &iupd, &body) {
                return problem(409, UNIQUENESS, "an IUV is already in use").into();
            }
            s.reindex(cf, &iupd, Some(&body));
            let mut position = Position {
                body,
                status: "DRAFT",
                inserted: now,
                published: None,
                paid: None,
                option_payments: HashMap::new(),
            };
            if publish {
                publish_now(&mut position, now);
            }
            let response = ResponseTemplate::new(201).set_body_json(render(cf, &position));
            s.positions
                .entry(cf.to_owned())
                .or_default()
                .insert(iupd, position);
            response
        })
    }

    fn update(
        &self,
        cf: &str,
        iupd: &str,
        request: &Request,
        query: &HashMap<String, String>,
        grant: &Grant,
        now: OffsetDateTime,
    ) -> ResponseTemplate {
        let body = match parse_position(&request.body, now, false) {
            Ok(body) => body,
            Err(problem) => return problem.into(),
        };
        if let Err(response) = check_segregation(&body, grant) {
            return response.into();
        }
        if body.get("iupd").and_then(Value::as_str) != Some(iupd) {
            return bad_request("the body's iupd differs from the path's").into();
        }
        let publish = query.get("toPublish").is_some_and(|v| v == "true");
        self.with(|s| {
            if s.iuv_taken(cf, iupd, &body) {
                return problem(409, UNIQUENESS, "an IUV is already in use").into();
            }
            let Some(position) = s.positions.get_mut(cf).and_then(|p| p.get_mut(iupd)) else {
                return problem(404, NOT_FOUND, format!("iupd {iupd}")).into();
            };
            advance(position, now);
            if !matches!(position.status, "DRAFT" | "PUBLISHED" | "VALID" | "EXPIRED") {
                return problem(
                    409,
                    WRONG_STATE,
                    format!("the position is {}", position.status),
                )
                .into();
            }
            s.reindex(cf, iupd, Some(&body));
            let Some(position) = s.positions.get_mut(cf).and_then(|p| p.get_mut(iupd)) else {
                return problem(404, NOT_FOUND, format!("iupd {iupd}")).into();
            };
            position.body = body;
            position.status = "DRAFT";
            position.published = None;
            if publish {
                publish_now(position, now);
            }
            ResponseTemplate::new(200).set_body_json(render(cf, position))
        })
    }

    fn read(&self, cf: &str, iupd: &str, now: OffsetDateTime) -> ResponseTemplate {
        self.with(
            |s| match s.positions.get_mut(cf).and_then(|p| p.get_mut(iupd)) {
                Some(position) => {
                    advance(position, now);
                    ResponseTemplate::new(200).set_body_json(render(cf, position))
                }
                None => problem(404, NOT_FOUND, format!("iupd {iupd}")).into(),
            },
        )
    }

    fn delete(&self, cf: &str, iupd: &str, now: OffsetDateTime) -> ResponseTemplate {
        self.with(|s| {
            let Some(positions) = s.positions.get_mut(cf) else {
                return problem(404, NOT_FOUND, format!("iupd {iupd}")).into();
            };
            let Some(position) = positions.get_mut(iupd) else {
                return problem(404, NOT_FOUND, format!("iupd {iupd}")).into();
            };
            advance(position, now);
            if matches!(position.status, "PARTIALLY_PAID" | "PAID" | "REPORTED") {
                return problem(
                    409,
                    WRONG_STATE,
                    format!("the position is {}", position.status),
                )
                .into();
            }
            positions.remove(iupd);
            s.reindex(cf, iupd, None);
            ResponseTemplate::new(200).set_body_json("OK")
        })
    }

    fn publish(&self, cf: &str, iupd: &str, now: OffsetDateTime) -> ResponseTemplate {
        self.transition(cf, iupd, now, |position| {
            if position.status != "DRAFT" {
                return Err(problem(
                    409,
                    WRONG_STATE,
                    format!("the position is {}, not DRAFT", position.status),
                ));
            }
            let validity = date(&position.body, "validityDate");
            if validity.is_some_and(|v| v <= now) {
                return Err(problem(
                    409,
                    "Publish request occurred after the validity date began",
                    "validity date passed",
                ));
            }
            if options(&position.body).any(|o| date(o, "dueDate").is_some_and(|d| d <= now)) {
                return Err(problem(
                    409,
                    "Publish request occurred after the due date",
                    "due date passed",
                ));
            }
            publish_now(position, now);
            Ok(())
        })
    }

    fn invalidate(&self, cf: &str, iupd: &str, now: OffsetDateTime) -> ResponseTemplate {
        self.transition(cf, iupd, now, |position| {
            if !matches!(position.status, "PUBLISHED" | "VALID") {
                return Err(problem(
                    409,
                    WRONG_STATE,
                    format!("the position is {}, not invalidable", position.status),
                ));
            }
            position.status = "INVALID";
            Ok(())
        })
    }

    fn transition(
        &self,
        cf: &str,
        iupd: &str,
        now: OffsetDateTime,
        change: impl FnOnce(&mut Position) -> Result<(), Problem>,
    ) -> ResponseTemplate {
        self.with(|s| {
            let Some(position) = s.positions.get_mut(cf).and_then(|p| p.get_mut(iupd)) else {
                return problem(404, NOT_FOUND, format!("iupd {iupd}")).into();
            };
            advance(position, now);
            match change(position) {
                Ok(()) => ResponseTemplate::new(200).set_body_json(render(cf, position)),
                Err(problem) => problem.into(),
            }
        })
    }

    fn list(
        &self,
        cf: &str,
        query: &HashMap<String, String>,
        now: OffsetDateTime,
    ) -> ResponseTemplate {
        let number =
            |name: &str, default: u64| query.get(name).map_or(Some(default), |v| v.parse().ok());
        let (Some(page), Some(limit)) = (number("page", 0), number("limit", 10)) else {
            return bad_request("page and limit must be numbers").into();
        };
        if limit == 0 || limit > 50 {
            return bad_request("limit must be 1 to 50").into();
        }
        let day = |name: &str| {
            query.get(name).map(|v| {
                time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
            })
        };
        let (from, to) = match (day("due_date_from"), day("due_date_to")) {
            (Some(Err(_)), _) | (_, Some(Err(_))) => {
                return bad_request("dates are yyyy-MM-dd").into();
            }
            (from, to) => (from.and_then(Result::ok), to.and_then(Result::ok)),
        };
        let window = match (from, to) {
            (Some(f), Some(t)) => Some((f, t)),
            (Some(f), None) => Some((f, f + time::Duration::days(30))),
            (None, Some(t)) => Some((t - time::Duration::days(30), t)),
            (None, None) => None,
        };
        if let Some((f, t)) = window
            && (t < f || t - f > time::Duration::days(30))
        {
            return problem(
                400,
                "The debt positions cannot be recovered",
                "the date window exceeds 30 days",
            )
            .into();
        }
        let status = query.get("status").cloned();
        self.with(|s| {
            let mut matching = Vec::new();
            if let Some(positions) = s.positions.get_mut(cf) {
                for position in positions.values_mut() {
                    advance(position, now);
                    let due_in_window = window.is_none_or(|(f, t)| {
                        options(&position.body).any(|o| date(o, "dueDate").is_some_and(|d| (f..=t).contains(&d.date())))
                    });
                    if due_in_window && status.as_deref().is_none_or(|st| st == position.status) {
                        matching.push(render(cf, position));
                    }
                }
            }
            let total = matching.len() as u64;
            let items: Vec<Value> = matching.into_iter().skip((page * limit) as usize).take(limit as usize).collect();
            ResponseTemplate::new(200).set_body_json(json!({
                "payment_position_list": items,
                "page_info": { "page": page, "limit": limit, "items_found": total, "total_pages": total.div_ceil(limit) },
            }))
        })
    }

    fn list_receipts(&self, cf: &str, query: &HashMap<String, String>) -> ResponseTemplate {
        let page: usize = query
            .get("pageNum")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let size: usize = query
            .get("pageSize")
            .and_then(|v| v.parse().ok())
            .unwrap_or(20);
        if size == 0 || size > 100 {
            return bad_request("pageSize must be 1 to 100").into();
        }
        let debtor = query.get("debtor");
        self.with(|s| {
            let all: Vec<&Receipt> = s
                .receipts
                .get(cf)
                .map(|r| r.values().filter(|r| debtor.is_none_or(|d| *d == r.debtor)).collect())
                .unwrap_or_default();
            let results: Vec<Value> = all
                .iter()
                .skip(page * size)
                .take(size)
                .map(|r| json!({ "organizationFiscalCode": cf, "iuv": r.iuv, "debtor": r.debtor, "paymentDateTime": format_time(r.paid_at) }))
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({
                "currentPageNumber": page,
                "length": results.len(),
                "totalPages": all.len().div_ceil(size),
                "results": results,
            }))
        })
    }

    fn receipt(&self, cf: &str, iuv: &str) -> ResponseTemplate {
        self.with(|s| match s.receipts.get(cf).and_then(|r| r.get(iuv)) {
            Some(receipt) => {
                ResponseTemplate::new(200).set_body_raw(receipt.xml.clone(), "application/xml")
            }
            None => problem(
                404,
                "Not found the receipt",
                format!("no receipt for IUV {iuv}"),
            )
            .into(),
        })
    }

    /// `POST /__control/gpd/organizations/{cf}/paymentoptions/{nav}/pay`
    fn control(
        &self,
        method: &str,
        rest: &str,
        request: &Request,
        now: OffsetDateTime,
    ) -> ResponseTemplate {
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let ("POST", ["organizations", cf, "paymentoptions", nav, "pay"]) =
            (method, segments.as_slice())
        else {
            return problem(404, "Not Found", "unknown control path").into();
        };
        let psp = serde_json::from_slice::<Value>(&request.body)
            .ok()
            .and_then(|b| {
                b.get("pspCompany")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "Simulated PSP".to_owned());
        self.pay(cf, nav, &psp, now)
    }

    fn pay(&self, cf: &str, nav: &str, psp: &str, now: OffsetDateTime) -> ResponseTemplate {
        self.with(|s| {
            let State {
                positions,
                receipts,
                ..
            } = s;
            let Some((position, option)) = positions.get_mut(cf).and_then(|all| {
                all.values_mut().find_map(|p| {
                    let option = options(&p.body).find(|o| option_nav(o) == nav).cloned()?;
                    Some((p, option))
                })
            }) else {
                return problem(404, "Not found the payment option", format!("nav {nav}")).into();
            };
            advance(position, now);
            let iuv = option
                .get("iuv")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if !matches!(position.status, "VALID" | "PARTIALLY_PAID")
                || position.option_payments.contains_key(&iuv)
            {
                return problem(
                    422,
                    "Not in payable state",
                    format!("the position is {}", position.status),
                )
                .into();
            }
            let receipt_id = format!("{:032x}", fastrand::u128(..));
            position
                .option_payments
                .insert(iuv.clone(), (now, receipt_id.clone()));
            let partial = option
                .get("isPartialPayment")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let installments = options(&position.body)
                .filter(|o| o.get("isPartialPayment").and_then(Value::as_bool) == Some(true))
                .count();
            let paid_installments = options(&position.body)
                .filter(|o| o.get("isPartialPayment").and_then(Value::as_bool) == Some(true))
                .filter(|o| {
                    o.get("iuv")
                        .and_then(Value::as_str)
                        .is_some_and(|i| position.option_payments.contains_key(i))
                })
                .count();
            position.status = if !partial || paid_installments == installments {
                "PAID"
            } else {
                "PARTIALLY_PAID"
            };
            if position.status == "PAID" {
                position.paid = Some(now);
            }
            let debtor = position
                .body
                .get("fiscalCode")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let amount = option.get("amount").and_then(Value::as_u64).unwrap_or(0);
            let xml = receipt_xml(cf, &iuv, nav, &receipt_id, &debtor, amount, psp, now);
            receipts.entry(cf.to_owned()).or_default().insert(
                iuv.clone(),
                Receipt {
                    iuv,
                    debtor,
                    paid_at: now,
                    xml,
                },
            );
            ResponseTemplate::new(200)
                .set_body_json(json!({ "receiptId": receipt_id, "status": position.status }))
        })
    }
}

impl Respond for GpdSimulator {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let is_control = request.url.path().starts_with(CONTROL_PATH);
        let fault = if is_control { None } else { self.faults.draw() };
        let response = match fault {
            Some(Fault::Throttle) => ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds." })),
            Some(Fault::ServerError) => problem(503, "Service Unavailable", "simulated failure").into(),
            Some(Fault::LoseResponse) => return self.handle(request).set_delay(LOST_RESPONSE_DELAY),
            None => self.handle(request),
        };
        self.faults.delay(response)
    }
}

fn unauthorized(which: &str) -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_json(json!({
        "statusCode": 401,
        "message": format!("Access denied due to {which} subscription key. Make sure to include subscription key when making requests to an API."),
    }))
}

fn options(body: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    body.get("paymentOption")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

fn option_iuvs(body: &Map<String, Value>) -> impl Iterator<Item = &str> {
    options(body).filter_map(|o| o.get("iuv").and_then(Value::as_str))
}

/// GPD's default notice number is `3` + IUV.
fn option_nav(option: &Map<String, Value>) -> String {
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

fn date(object: &Map<String, Value>, field: &str) -> Option<OffsetDateTime> {
    object
        .get(field)
        .and_then(Value::as_str)
        .and_then(parse_time)
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
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

fn format_time(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn publish_now(position: &mut Position, now: OffsetDateTime) {
    position.published = Some(now);
    position.status = "PUBLISHED";
    advance(position, now);
}

/// The time-driven moves GPD makes in batch jobs.
fn advance(position: &mut Position, now: OffsetDateTime) {
    if position.status == "PUBLISHED"
        && date(&position.body, "validityDate").is_none_or(|v| v <= now)
    {
        position.status = "VALID";
    }
    let switch = position
        .body
        .get("switchToExpired")
        .and_then(Value::as_bool)
        == Some(true);
    let last_due = options(&position.body)
        .filter_map(|o| date(o, "dueDate"))
        .max();
    if position.status == "VALID" && switch && last_due.is_some_and(|d| d < now) {
        position.status = "EXPIRED";
    }
}

fn check_segregation(body: &Map<String, Value>, grant: &Grant) -> Result<(), Problem> {
    let Some(codes) = &grant.segregation_codes else {
        return Ok(());
    };
    for nav in options(body).map(option_nav) {
        let code = nav.get(1..3).unwrap_or_default();
        if !nav.starts_with('3') || !codes.iter().any(|c| c == code) {
            return Err(problem(
                403,
                "The payment position is forbidden",
                "caller does not have proper authorization to access or modify the IUVs",
            ));
        }
    }
    Ok(())
}

/// GPD's request rules, on the JSON as received.
fn parse_position(
    bytes: &[u8],
    now: OffsetDateTime,
    creating: bool,
) -> Result<Map<String, Value>, Problem> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(bad_request("the body is not a JSON object"));
    };
    let text = |object: &Map<String, Value>,
                field: &str,
                required: bool,
                at: &str|
     -> Result<(), Problem> {
        match object.get(field) {
            None | Some(Value::Null) if !required => Ok(()),
            Some(Value::String(s)) if s.chars().count() <= 140 && !(required && s.is_empty()) => {
                Ok(())
            }
            _ => Err(bad_request(format!(
                "{at}{field} is required text of at most 140 characters"
            ))),
        }
    };
    for field in ["iupd", "fiscalCode", "fullName", "companyName"] {
        text(&body, field, true, "")?;
    }
    text(&body, "officeName", false, "")?;
    if !matches!(body.get("type").and_then(Value::as_str), Some("F" | "G")) {
        return Err(bad_request("type must be F or G"));
    }
    if !body.get("switchToExpired").is_some_and(Value::is_boolean) {
        return Err(bad_request("switchToExpired is required"));
    }
    let validity = match body.get("validityDate") {
        None | Some(Value::Null) => None,
        Some(_) => Some(
            date(&body, "validityDate")
                .ok_or_else(|| bad_request("validityDate is not a date-time"))?,
        ),
    };
    if creating && validity.is_some_and(|v| v <= now) {
        return Err(bad_request("validityDate must be in the future"));
    }
    let Some(list) = body
        .get("paymentOption")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
    else {
        return Err(bad_request("paymentOption is required"));
    };
    for (i, option) in list.iter().enumerate() {
        let at = format!("paymentOption[{i}].");
        let Some(option) = option.as_object() else {
            return Err(bad_request(format!("{at} is not an object")));
        };
        if option
            .get("iuv")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(bad_request(format!("{at}iuv is required")));
        }
        text(option, "description", true, &at)?;
        let amount = option
            .get("amount")
            .and_then(Value::as_u64)
            .filter(|a| *a >= 1);
        let Some(amount) = amount else {
            return Err(bad_request(format!("{at}amount must be at least 1")));
        };
        if !option
            .get("isPartialPayment")
            .is_some_and(Value::is_boolean)
        {
            return Err(bad_request(format!("{at}isPartialPayment is required")));
        }
        let due = date(option, "dueDate")
            .ok_or_else(|| bad_request(format!("{at}dueDate is required")))?;
        if validity.is_some_and(|v| due <= v) || (creating && due <= now) {
            return Err(bad_request(format!(
                "{at}dueDate must follow the validity date and now"
            )));
        }
        if date(option, "retentionDate").is_some_and(|r| r < due) {
            return Err(bad_request(format!(
                "{at}retentionDate must not precede dueDate"
            )));
        }
        metadata(option, "paymentOptionMetadata", &at)?;
        let transfers = option
            .get("transfer")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if transfers.is_empty() || transfers.len() > 5 {
            return Err(bad_request(format!(
                "{at}transfer must hold 1 to 5 transfers"
            )));
        }
        let mut sum: u64 = 0;
        let mut ids = Vec::new();
        for (j, transfer) in transfers.iter().enumerate() {
            let at = format!("{at}transfer[{j}].");
            let Some(transfer) = transfer.as_object() else {
                return Err(bad_request(format!("{at} is not an object")));
            };
            let id = transfer
                .get("idTransfer")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !matches!(id, "1" | "2" | "3" | "4" | "5") || ids.contains(&id) {
                return Err(bad_request(format!(
                    "{at}idTransfer must be a unique \"1\" to \"5\""
                )));
            }
            ids.push(id);
            let Some(part) = transfer
                .get("amount")
                .and_then(Value::as_u64)
                .filter(|a| *a >= 1)
            else {
                return Err(bad_request(format!("{at}amount must be at least 1")));
            };
            sum = sum.saturating_add(part);
            text(transfer, "remittanceInformation", true, &at)?;
            if transfer
                .get("category")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(bad_request(format!("{at}category is required")));
            }
            let account = |f: &str| transfer.get(f).and_then(Value::as_str);
            let iban_ok = |v: &str| {
                !v.is_empty() && v.len() <= 35 && v.bytes().all(|b| b.is_ascii_alphanumeric())
            };
            match (account("iban"), transfer.get("stamp")) {
                (Some(iban), None)
                    if iban_ok(iban) && account("postalIban").is_none_or(iban_ok) => {}
                (None, Some(Value::Object(stamp))) if account("postalIban").is_none() => {
                    check_stamp(stamp, &at)?
                }
                _ => {
                    return Err(bad_request(format!(
                        "{at}needs a valid iban or a stamp, not both"
                    )));
                }
            }
            metadata(transfer, "transferMetadata", &at)?;
        }
        if sum != amount {
            return Err(bad_request(format!(
                "{at}amount must equal the sum of its transfers"
            )));
        }
    }
    Ok(body)
}

fn check_stamp(stamp: &Map<String, Value>, at: &str) -> Result<(), Problem> {
    let field = |f: &str| stamp.get(f).and_then(Value::as_str).unwrap_or_default();
    let hash = field("hashDocument");
    let province = field("provincialResidence");
    if hash.is_empty()
        || hash.len() > 72
        || field("stampType").len() != 2
        || province.len() != 2
        || !province.bytes().all(|b| b.is_ascii_uppercase())
    {
        return Err(bad_request(format!("{at}stamp is not valid")));
    }
    Ok(())
}

fn metadata(object: &Map<String, Value>, field: &str, at: &str) -> Result<(), Problem> {
    let pairs = object
        .get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if pairs.len() > 10 {
        return Err(bad_request(format!("{at}{field} holds more than 10 pairs")));
    }
    let mut keys = Vec::new();
    for pair in pairs {
        let key = pair.get("key").and_then(Value::as_str).unwrap_or_default();
        let value = pair
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if key == "NOTIFICATION_FEE" {
            return Err(problem(
                409,
                "The payment option contains reserved metadata",
                "NOTIFICATION_FEE is reserved",
            ));
        }
        if keys.contains(&key) {
            return Err(problem(
                409,
                UNIQUENESS,
                format!("{at}{field} repeats the key {key}"),
            ));
        }
        if key.chars().count() > 140 || value.chars().count() > 140 {
            return Err(bad_request(format!(
                "{at}{field} pairs are at most 140 characters"
            )));
        }
        keys.push(key);
    }
    Ok(())
}

/// The position as GPD answers it: the request's fields plus the
/// read-only ones.
fn render(cf: &str, position: &Position) -> Value {
    let mut out = position.body.clone();
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
                    option.insert("idReceipt".into(), json!(receipt));
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
    }
    Value::Object(out)
}

/// A `paSendRTV2`-shaped receipt body, as GPD's receipts API returns.
#[allow(clippy::too_many_arguments)]
fn receipt_xml(
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
