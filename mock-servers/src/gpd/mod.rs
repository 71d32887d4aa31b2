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
//! | `/gpd/debt-positions-service/v3/organizations/{cf}/debtpositions[...]` | v3 (installment plans) create, list, get, update, delete, publish |
//! | `/gpd/payments-receipts-service/v1/payments/{cf}/receipts[/{iuv}]` | receipts |
//! | `POST /__control/gpd/organizations/{cf}/paymentoptions/{nav}/pay` | a citizen pays an option |
//!
//! Behaviour, from pagoPA's SANP 3.12 (*Specifiche attuative del Nodo dei
//! Pagamenti*) and the GPD service itself (the public repository
//! `pagopa/pagopa-debt-position`: its OpenAPI files and validation code):
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
use std::sync::{Arc, Mutex};

use abilita_core::Clock;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use wiremock::MockServer;

use crate::Faults;
use crate::kit::{Call, Handler, Params, Platform, Reply, Route, apim, problem_body};

mod json;
mod render;
mod rules;
mod v3;

use json::{date, format_time, iuv_of, option_iuvs, option_nav, options, plan_of};
use render::{receipt_xml, render_v1, render_v3};
use rules::{check_position, check_segregation, parse_position};

/// The API version a request came through, which decides the body's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V3,
}

impl Version {
    /// The request body, checked and in the store's (v1) shape.
    fn parse(
        self,
        bytes: &[u8],
        now: OffsetDateTime,
        creating: bool,
    ) -> Result<Map<String, Value>, Problem> {
        match self {
            Self::V1 => parse_position(bytes, now, creating),
            Self::V3 => check_position(v3::flatten(bytes)?, now, creating),
        }
    }

    /// The position as this version shows it; v1 cannot show several
    /// installment plans (GPD's `MULTI_INSTALLMENT_NOT_SUPPORTED_IN_V1`).
    fn view(self, cf: &str, position: &Position) -> Result<Value, Problem> {
        match self {
            Self::V1 if v3::multi_installment_plans(&position.body) > 1 => Err(problem(
                422,
                "MULTI_INSTALLMENT_NOT_SUPPORTED_IN_V1",
                "the position holds several installment plans: use v3",
            )),
            Self::V1 => Ok(render_v1(cf, position)),
            Self::V3 => Ok(render_v3(cf, position)),
        }
    }

    /// An answer carrying the position as this version shows it.
    fn answer(self, status: u16, cf: &str, position: &Position) -> Reply {
        match self.view(cf, position) {
            Ok(view) => Reply::new(status).json(&view),
            Err(problem) => problem.into(),
        }
    }
}

/// The path of the debt-positions service, under which `/v1` and `/v3` live.
pub const DEBT_POSITIONS_PATH: &str = "/gpd/debt-positions-service";
/// The path prefix of the receipts API.
pub const RECEIPTS_PATH: &str = "/gpd/payments-receipts-service/v1";

/// How many debt positions the simulator holds by default, over all
/// creditors. GPD keeps positions until deleted; the simulator refuses a
/// creation beyond the limit (507, naming it) rather than forget one a test
/// may still read, so a long run's memory stays bounded.
pub const DEFAULT_MAX_POSITIONS: usize = 100_000;

/// The GPD simulator. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct GpdSimulator {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    faults: Arc<Faults>,
}

#[derive(Debug)]
struct State {
    grants: HashMap<String, Grant>,
    /// Positions by creditor, then IUPD.
    positions: HashMap<String, BTreeMap<String, Position>>,
    /// Receipts by creditor, then IUV.
    receipts: HashMap<String, BTreeMap<String, Receipt>>,
    /// The IUPD holding each IUV, by creditor: GPD's uniqueness index.
    iuvs: HashMap<String, HashMap<String, String>>,
    max_positions: usize,
}

impl Default for State {
    fn default() -> Self {
        Self {
            grants: HashMap::new(),
            positions: HashMap::new(),
            receipts: HashMap::new(),
            iuvs: HashMap::new(),
            max_positions: DEFAULT_MAX_POSITIONS,
        }
    }
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
pub(crate) struct Grant {
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

impl From<Problem> for Reply {
    fn from(p: Problem) -> Self {
        Reply::new(p.status).json(&problem_body(p.status, p.title, &p.detail))
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

    /// How many positions the simulator holds at most ([`DEFAULT_MAX_POSITIONS`]).
    pub fn set_max_positions(&self, max: usize) {
        self.with(|s| s.max_positions = max);
    }

    /// How many positions `creditor` holds (whatever their state).
    #[must_use]
    pub fn position_count(&self, creditor: &str) -> usize {
        self.with(|s| s.positions.get(creditor).map_or(0, BTreeMap::len))
    }

    /// Serves the simulator on `server`, beside anything else mounted there.
    pub async fn mount(&self, server: &MockServer) {
        crate::kit::mount::mount(self, server, "GPD simulator").await;
    }

    /// The routes served, as `(method, path pattern)`.
    pub fn routes() -> impl Iterator<Item = (&'static str, String)> {
        crate::kit::route::table::<Self>()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut crate::lock(&self.state))
    }

    fn create(
        &self,
        api: Version,
        cf: &str,
        call: &Call<'_>,
        query: &HashMap<String, String>,
        grant: &Grant,
        now: OffsetDateTime,
    ) -> Reply {
        let body = match api.parse(call.body(), now, true) {
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
            let held: usize = s.positions.values().map(BTreeMap::len).sum();
            if held >= s.max_positions {
                return problem(
                    507,
                    "Insufficient Storage",
                    format!(
                        "the simulator holds {held} debt positions, its limit: delete some or POST /__control/gpd/reset"
                    ),
                )
                .into();
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
            let response = api.answer(201, cf, &position);
            s.positions
                .entry(cf.to_owned())
                .or_default()
                .insert(iupd, position);
            response
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        api: Version,
        cf: &str,
        iupd: &str,
        call: &Call<'_>,
        query: &HashMap<String, String>,
        grant: &Grant,
        now: OffsetDateTime,
    ) -> Reply {
        let body = match api.parse(call.body(), now, false) {
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
            api.answer(200, cf, position)
        })
    }

    fn read(&self, api: Version, cf: &str, iupd: &str, now: OffsetDateTime) -> Reply {
        self.with(
            |s| match s.positions.get_mut(cf).and_then(|p| p.get_mut(iupd)) {
                Some(position) => {
                    advance(position, now);
                    api.answer(200, cf, position)
                }
                None => problem(404, NOT_FOUND, format!("iupd {iupd}")).into(),
            },
        )
    }

    fn delete(&self, cf: &str, iupd: &str, now: OffsetDateTime) -> Reply {
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
            Reply::new(200).json(&json!("OK"))
        })
    }

    fn publish(&self, api: Version, cf: &str, iupd: &str, now: OffsetDateTime) -> Reply {
        self.transition(api, cf, iupd, now, |position| {
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

    fn invalidate(&self, cf: &str, iupd: &str, now: OffsetDateTime) -> Reply {
        self.transition(Version::V1, cf, iupd, now, |position| {
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
        api: Version,
        cf: &str,
        iupd: &str,
        now: OffsetDateTime,
        change: impl FnOnce(&mut Position) -> Result<(), Problem>,
    ) -> Reply {
        self.with(|s| {
            let Some(position) = s.positions.get_mut(cf).and_then(|p| p.get_mut(iupd)) else {
                return problem(404, NOT_FOUND, format!("iupd {iupd}")).into();
            };
            advance(position, now);
            match change(position) {
                Ok(()) => api.answer(200, cf, position),
                Err(problem) => problem.into(),
            }
        })
    }

    fn list(
        &self,
        api: Version,
        cf: &str,
        query: &HashMap<String, String>,
        now: OffsetDateTime,
    ) -> Reply {
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
                        matching.push(match api {
                            Version::V1 => render_v1(cf, position),
                            Version::V3 => render_v3(cf, position),
                        });
                    }
                }
            }
            let total = matching.len() as u64;
            let items: Vec<Value> = matching.into_iter().skip((page * limit) as usize).take(limit as usize).collect();
            Reply::new(200).json(&json!({
                "payment_position_list": items,
                "page_info": { "page": page, "limit": limit, "items_found": total, "total_pages": total.div_ceil(limit) },
            }))
        })
    }

    fn list_receipts(&self, cf: &str, query: &HashMap<String, String>) -> Reply {
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
            Reply::new(200).json(&json!({
                "currentPageNumber": page,
                "length": results.len(),
                "totalPages": all.len().div_ceil(size),
                "results": results,
            }))
        })
    }

    fn receipt(&self, cf: &str, iuv: &str) -> Reply {
        self.with(|s| match s.receipts.get(cf).and_then(|r| r.get(iuv)) {
            Some(receipt) => Reply::new(200).raw(receipt.xml.clone(), "application/xml"),
            None => problem(
                404,
                "Not found the receipt",
                format!("no receipt for IUV {iuv}"),
            )
            .into(),
        })
    }

    /// `POST /__control/gpd/organizations/{cf}/paymentoptions/{nav}/pay`:
    /// a citizen pays, through a PSP named by `pspCompany` in the body.
    fn control_pay(&self, call: &Call<'_>, params: &Params<'_>) -> Reply {
        let psp = serde_json::from_slice::<Value>(call.body())
            .ok()
            .and_then(|b| {
                b.get("pspCompany")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "Simulated PSP".to_owned());
        self.pay(params.get("cf"), params.get("nav"), &psp, self.clock.now())
    }

    /// A citizen pays the option with notice number `nav` of `creditor`
    /// through `psp`, as `POST /__control/gpd/…/pay` does: the receipt id.
    ///
    /// # Errors
    /// GPD's refusal (no such option, not payable), as its detail.
    pub fn pay_option(&self, creditor: &str, nav: &str, psp: &str) -> Result<String, String> {
        let reply = self.pay(creditor, nav, psp, self.clock.now());
        let body: Value = serde_json::from_slice(reply.body()).unwrap_or_default();
        match (
            reply.status(),
            body.get("receiptId").and_then(Value::as_str),
        ) {
            (200, Some(receipt)) => Ok(receipt.to_owned()),
            _ => Err(body
                .get("detail")
                .and_then(Value::as_str)
                .unwrap_or("not payable")
                .to_owned()),
        }
    }

    /// Forgets every position and receipt; keys stay.
    pub fn reset(&self) {
        self.with(|s| {
            s.positions.clear();
            s.receipts.clear();
            s.iuvs.clear();
        });
    }

    fn pay(&self, cf: &str, nav: &str, psp: &str, now: OffsetDateTime) -> Reply {
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
            let iuv = iuv_of(&option).to_owned();
            let plan = plan_of(&option);
            // Once one plan is being paid, the others cannot be (SANP).
            let other_plan_paid = options(&position.body)
                .any(|o| position.option_payments.contains_key(iuv_of(o)) && plan_of(o) != plan);
            if !matches!(position.status, "VALID" | "PARTIALLY_PAID")
                || position.option_payments.contains_key(&iuv)
                || other_plan_paid
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
            let plan_complete = options(&position.body)
                .filter(|o| plan_of(o) == plan)
                .all(|o| position.option_payments.contains_key(iuv_of(o)));
            position.status = if plan_complete {
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
            Reply::new(200).json(&json!({ "receiptId": receipt_id, "status": position.status }))
        })
    }
}

/// The production paths of GPD's two services, then the control API.
/// `{version}` is `v1` or `v3` (installment plans); v3 has no invalidate.
static ROUTES: &[Route<GpdSimulator>] = &[
    Route {
        method: "POST",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/debtpositions",
        handler: Handler::Api(|s, g, c, p| {
            Ok(s.create(version(p)?, p.get("cf"), c, &c.query(), g, s.clock.now()))
        }),
    },
    Route {
        method: "GET",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/debtpositions",
        handler: Handler::Api(|s, _, c, p| {
            Ok(s.list(version(p)?, p.get("cf"), &c.query(), s.clock.now()))
        }),
    },
    Route {
        method: "GET",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/debtpositions/{iupd}",
        handler: Handler::Api(|s, _, _, p| {
            Ok(s.read(version(p)?, p.get("cf"), p.get("iupd"), s.clock.now()))
        }),
    },
    Route {
        method: "PUT",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/debtpositions/{iupd}",
        handler: Handler::Api(|s, g, c, p| {
            let (cf, iupd) = (p.get("cf"), p.get("iupd"));
            Ok(s.update(version(p)?, cf, iupd, c, &c.query(), g, s.clock.now()))
        }),
    },
    Route {
        method: "DELETE",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/debtpositions/{iupd}",
        handler: Handler::Api(|s, _, _, p| {
            version(p)?;
            Ok(s.delete(p.get("cf"), p.get("iupd"), s.clock.now()))
        }),
    },
    Route {
        method: "POST",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/debtpositions/{iupd}/publish",
        handler: Handler::Api(|s, _, _, p| {
            Ok(s.publish(version(p)?, p.get("cf"), p.get("iupd"), s.clock.now()))
        }),
    },
    Route {
        method: "POST",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/debtpositions/{iupd}/invalidate",
        handler: Handler::Api(|s, _, _, p| match version(p)? {
            Version::V1 => Ok(s.invalidate(p.get("cf"), p.get("iupd"), s.clock.now())),
            Version::V3 => Err(apim::not_found()),
        }),
    },
    Route {
        method: "GET",
        path: "/gpd/payments-receipts-service/v1/payments/{cf}/receipts",
        handler: Handler::Api(|s, _, c, p| Ok(s.list_receipts(p.get("cf"), &c.query()))),
    },
    Route {
        method: "GET",
        path: "/gpd/payments-receipts-service/v1/payments/{cf}/receipts/{iuv}",
        handler: Handler::Api(|s, _, _, p| Ok(s.receipt(p.get("cf"), p.get("iuv")))),
    },
    Route {
        method: "POST",
        path: "/__control/gpd/organizations/{cf}/paymentoptions/{nav}/pay",
        handler: Handler::Control(|s, c, p| Ok(s.control_pay(c, p))),
    },
    Route {
        method: "POST",
        path: "/__control/gpd/reset",
        handler: Handler::Control(|s, _, _| {
            s.reset();
            Ok(Reply::new(204))
        }),
    },
];

/// The API version of the path: APIM's 404 for any other.
fn version(params: &Params<'_>) -> Result<Version, Reply> {
    match params.get("version") {
        "v1" => Ok(Version::V1),
        "v3" => Ok(Version::V3),
        _ => Err(apim::not_found()),
    }
}

impl Platform for GpdSimulator {
    type Caller = Grant;

    const CONTROL: &'static str = "/__control/gpd";

    fn routes() -> &'static [Route<Self>] {
        ROUTES
    }

    fn faults(&self) -> &Faults {
        &self.faults
    }

    /// APIM's key check, then the creditors the key may act for.
    fn admit(&self, call: &Call<'_>, params: &Params<'_>) -> Result<Grant, Reply> {
        let key = apim::subscription_key(call)?;
        let grant = self
            .with(|s| s.grants.get(key).cloned())
            .ok_or_else(apim::invalid_key)?;
        if !grant.creditors.iter().any(|c| c == params.get("cf")) {
            return Err(problem(
                403,
                "Forbidden",
                "the subscription key may not act for this creditor",
            )
            .into());
        }
        Ok(grant)
    }

    fn not_found(&self) -> Reply {
        apim::not_found()
    }

    fn throttled(&self) -> Reply {
        apim::throttled(1, "retry-after")
    }

    fn unavailable(&self) -> Reply {
        problem(503, "Service Unavailable", "simulated failure").into()
    }
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
