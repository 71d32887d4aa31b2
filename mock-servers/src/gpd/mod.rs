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
//! | `PATCH /gpd/debt-positions-service/v1/organizations/{cf}/debtpositions/transfers` | move unpaid transfers to a new IBAN |
//! | `POST /gpd/debt-positions-service/v1/organizations/{cf}/paymentoptions/paids/{nav}` | an option paid outside pagoPA |
//! | `/gpd/debt-positions-service/v3/organizations/{cf}/debtpositions[...]` | v3 (installment plans) create, list, get, update, delete, publish |
//! | `/gpd/payments-receipts-service/v1/payments/{cf}/receipts[/{iuv}]` | receipts |
//! | `GET /gpd/debt-positions-service/v1/info`, `GET /gpd/payments-receipts-service/v1/info` | health and version |
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
//! - the list's parameters as Spring reads them (enums, `int32`, the due
//!   and payment date windows mutually exclusive, 30 days at most) and its
//!   orderings; the receipts' paging, date and prefix filters;
//! - `X-Request-Id` echoed (or made) on every answer GPD itself gives, and
//!   a body that is not JSON answered 415 as Spring does;
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
mod query;
mod render;
mod rules;
mod spring;
mod v3;

use json::{date, format_time, iuv_of, option_iuvs, option_nav, options, plan_of};
use query::{ListQuery, OrderBy, ReceiptQuery};
use render::{receipt_xml, render_v1, render_v3, v3_status};
use rules::{check_position, check_segregation, parse_position};
use spring::{info, json_body, request_id};

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

/// A transfer paid through pagoPA, as the simulator holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaidTransfer {
    /// The option's IUV.
    pub iuv: String,
    /// The receipt's id (the payment token), which flows report as the IUR.
    pub receipt_id: String,
    /// The transfer's id (1 to 5).
    pub transfer: u8,
    /// Its amount in cents.
    pub cents: u64,
    /// When the option was paid.
    pub paid_at: OffsetDateTime,
}

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
    /// Per option (by IUV): paid at, and the receipt's id when paid
    /// through pagoPA (none when the creditor marked it paid).
    option_payments: HashMap<String, (OffsetDateTime, Option<String>)>,
}

impl Position {
    /// When the position was last paid, if any option is.
    fn payment_date(&self) -> Option<OffsetDateTime> {
        self.option_payments.values().map(|(at, _)| *at).max()
    }

    /// Whether the list's filters keep this position.
    fn listed_by(&self, api: Version, query: &ListQuery) -> bool {
        let status = match api {
            Version::V1 => self.status,
            Version::V3 => v3_status(self.status),
        };
        query
            .status
            .as_deref()
            .is_none_or(|wanted| wanted == status)
            && query.due.is_none_or(|window| {
                options(&self.body).any(|o| date(o, "dueDate").is_some_and(|d| window.contains(d)))
            })
            && query
                .paid
                .is_none_or(|window| self.payment_date().is_some_and(|d| window.contains(d)))
    }
}

#[derive(Debug, Clone)]
struct Receipt {
    iuv: String,
    debtor: String,
    paid_at: OffsetDateTime,
    xml: String,
}

impl Receipt {
    /// Whether the receipts list's filters keep this receipt.
    fn listed_by(&self, query: &ReceiptQuery) -> bool {
        let starts = |text: &str, prefix: &Option<String>| {
            prefix.as_deref().is_none_or(|p| text.starts_with(p))
        };
        query.debtor.as_deref().is_none_or(|d| d == self.debtor)
            && starts(&self.iuv, &query.iuv_prefix)
            && query
                .debtor_or_iuv
                .as_deref()
                .is_none_or(|p| self.iuv.starts_with(p) || self.debtor.starts_with(p))
            && query.from.is_none_or(|from| self.paid_at >= from)
            && query.to.is_none_or(|to| self.paid_at <= to)
    }
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

    fn delete(&self, api: Version, cf: &str, iupd: &str, now: OffsetDateTime) -> Reply {
        self.with(|s| {
            let Some(positions) = s.positions.get_mut(cf) else {
                return problem(404, NOT_FOUND, format!("iupd {iupd}")).into();
            };
            let Some(position) = positions.get_mut(iupd) else {
                return problem(404, NOT_FOUND, format!("iupd {iupd}")).into();
            };
            advance(position, now);
            if let Err(problem) = api.view(cf, position) {
                return problem.into();
            }
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
        let query = match ListQuery::parse(api, query) {
            Ok(query) => query,
            Err(problem) => return problem.into(),
        };
        self.with(|s| {
            let mut matching: Vec<(&String, &Position)> = Vec::new();
            if let Some(positions) = s.positions.get_mut(cf) {
                positions.values_mut().for_each(|p| advance(p, now));
                matching.extend(positions.iter().filter(|(_, p)| p.listed_by(api, &query)));
            }
            matching.sort_by(|(a_iupd, a), (b_iupd, b)| {
                let order = match query.order_by {
                    OrderBy::InsertedDate => a.inserted.cmp(&b.inserted),
                    OrderBy::Iupd => std::cmp::Ordering::Equal,
                    OrderBy::Status => a.status.cmp(b.status),
                    OrderBy::CompanyName => text(&a.body, "companyName").cmp(text(&b.body, "companyName")),
                }
                .then_with(|| a_iupd.cmp(b_iupd));
                if query.descending { order.reverse() } else { order }
            });
            let (page, limit) = (u64::from(query.page), u64::from(query.limit));
            let total = matching.len() as u64;
            let skip = usize::try_from(page.saturating_mul(limit)).unwrap_or(usize::MAX);
            let items: Vec<Value> = matching
                .into_iter()
                .skip(skip)
                .take(query.limit as usize)
                .map(|(_, position)| match api {
                    Version::V1 => render_v1(cf, position),
                    Version::V3 => render_v3(cf, position),
                })
                .collect();
            Reply::new(200).json(&json!({
                "payment_position_list": items,
                "page_info": { "page": page, "limit": limit, "items_found": total, "total_pages": total.div_ceil(limit) },
            }))
        })
    }

    fn list_receipts(&self, cf: &str, query: &HashMap<String, String>) -> Reply {
        let query = match ReceiptQuery::parse(query) {
            Ok(query) => query,
            Err(problem) => return problem.into(),
        };
        self.with(|s| {
            let all: Vec<&Receipt> = s
                .receipts
                .get(cf)
                .map(|r| r.values().filter(|r| r.listed_by(&query)).collect())
                .unwrap_or_default();
            let total_pages = all.len().div_ceil(query.size);
            // The receipts service refuses a page past the last one.
            if !all.is_empty() && query.page >= total_pages {
                return problem(
                    400,
                    "Not enough elements",
                    "The page number is too big for the filtered elements",
                )
                .into();
            }
            let results: Vec<Value> = all
                .iter()
                .skip(query.page.saturating_mul(query.size))
                .take(query.size)
                .map(|r| json!({ "organizationFiscalCode": cf, "iuv": r.iuv, "debtor": r.debtor, "paymentDateTime": format_time(r.paid_at) }))
                .collect();
            Reply::new(200).json(&json!({
                "currentPageNumber": query.page,
                "length": results.len(),
                "totalPages": total_pages,
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

    /// The transfers to `creditor` of the options paid through pagoPA on
    /// `day` (UTC), as a PSP would report them in its flow: what feeds the
    /// FdR simulator ([`crate::fdr::FdrSimulator::report_gpd_payments`]).
    /// Options marked paid by the creditor have no receipt and are left out,
    /// as are transfers to other bodies.
    #[must_use]
    pub fn paid_transfers(&self, creditor: &str, day: time::Date) -> Vec<PaidTransfer> {
        self.with(|s| {
            let Some(positions) = s.positions.get(creditor) else {
                return Vec::new();
            };
            let mut paid = Vec::new();
            for position in positions.values() {
                for option in options(&position.body) {
                    let iuv = iuv_of(option);
                    let Some((at, Some(receipt))) = position.option_payments.get(iuv) else {
                        continue;
                    };
                    if at.date() != day {
                        continue;
                    }
                    let transfers = option.get("transfer").and_then(Value::as_array);
                    for transfer in transfers.into_iter().flatten().filter_map(Value::as_object) {
                        let to = text(transfer, "organizationFiscalCode");
                        let id = text(transfer, "idTransfer").parse::<u8>().ok();
                        let cents = transfer.get("amount").and_then(Value::as_u64);
                        if let (true, Some(id), Some(cents)) =
                            (to.is_empty() || to == creditor, id, cents)
                        {
                            paid.push(PaidTransfer {
                                iuv: iuv.to_owned(),
                                receipt_id: receipt.clone(),
                                transfer: id,
                                cents,
                                paid_at: *at,
                            });
                        }
                    }
                }
            }
            paid.sort_by(|a, b| (&a.iuv, a.transfer).cmp(&(&b.iuv, b.transfer)));
            paid
        })
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
        let receipt_id = format!("{:032x}", fastrand::u128(..));
        self.with(|s| {
            let (position, option) =
                match settle(&mut s.positions, cf, nav, now, now, Some(&receipt_id)) {
                    Ok(settled) => settled,
                    Err(problem) => return problem.into(),
                };
            let iuv = iuv_of(&option).to_owned();
            let debtor = text(&position.body, "fiscalCode").to_owned();
            let status = position.status;
            let amount = option.get("amount").and_then(Value::as_u64).unwrap_or(0);
            let xml = receipt_xml(cf, &iuv, nav, &receipt_id, &debtor, amount, psp, now);
            s.receipts.entry(cf.to_owned()).or_default().insert(
                iuv.clone(),
                Receipt {
                    iuv,
                    debtor,
                    paid_at: now,
                    xml,
                },
            );
            Reply::new(200).json(&json!({ "receiptId": receipt_id, "status": status }))
        })
    }

    /// `POST …/paymentoptions/paids/{nav}`: the creditor records a payment
    /// made outside pagoPA (at a counter, by bank transfer), so the notice
    /// can no longer be paid. No receipt is made.
    fn mark_paid(&self, cf: &str, nav: &str, call: &Call<'_>, now: OffsetDateTime) -> Reply {
        let body: Value = match serde_json::from_slice(call.body()) {
            Ok(Value::Object(body)) => Value::Object(body),
            _ => return bad_request("the body must be an object {paymentDate}").into(),
        };
        let at = match body.get("paymentDate") {
            None | Some(Value::Null) => now,
            Some(Value::String(text)) => match json::parse_time(text) {
                Some(at) => at,
                None => return bad_request(format!("{text} is not a valid date format")).into(),
            },
            Some(_) => return bad_request("paymentDate must be a date-time").into(),
        };
        self.with(|s| match settle(&mut s.positions, cf, nav, at, now, None) {
            Ok((position, option)) => {
                let view = render::render_option(cf, position, &option);
                Reply::new(200).json(&view)
            }
            Err(problem) => problem.into(),
        })
    }

    /// `PATCH …/debtpositions/transfers?oldIban=…&limit=…`: every transfer
    /// to `oldIban` of an unpaid option of an updatable position moves to
    /// the body's `newIban`, at most `limit` of them.
    fn move_iban(
        &self,
        cf: &str,
        call: &Call<'_>,
        query: &HashMap<String, String>,
        now: OffsetDateTime,
    ) -> Reply {
        let Some(old) = query.get("oldIban") else {
            return problem(
                400,
                "BAD REQUEST",
                "Required request parameter 'oldIban' for method parameter type String is not present",
            )
            .into();
        };
        let limit = match query.get("limit").map(|v| v.parse::<i32>()) {
            None => 1000,
            Some(Ok(limit @ 1..=1000)) => limit.unsigned_abs() as usize,
            Some(_) => return bad_request("limit must be 1 to 1000").into(),
        };
        let new = match serde_json::from_slice::<Value>(call.body()) {
            Ok(body) => match body.get("newIban").and_then(Value::as_str) {
                Some(iban) => iban.to_owned(),
                None => return bad_request("newIban: must not be null").into(),
            },
            Err(_) => return bad_request("the body must be an object {newIban}").into(),
        };
        self.with(|s| {
            let mut moved = 0;
            for position in s
                .positions
                .get_mut(cf)
                .into_iter()
                .flat_map(BTreeMap::values_mut)
            {
                advance(position, now);
                if !matches!(
                    position.status,
                    "DRAFT" | "PUBLISHED" | "VALID" | "PARTIALLY_PAID"
                ) {
                    continue;
                }
                let Position {
                    body,
                    option_payments,
                    ..
                } = position;
                for option in json::options_mut(body) {
                    if option_payments.contains_key(iuv_of(option)) {
                        continue;
                    }
                    for transfer in json::transfers_mut(option) {
                        if moved < limit
                            && transfer.get("iban").and_then(Value::as_str) == Some(old)
                        {
                            transfer.insert("iban".into(), json!(new));
                            moved += 1;
                        }
                    }
                }
            }
            Reply::new(200).json(&json!({
                "description": format!("{moved} transfers moved from IBAN {old} to {new}"),
                "updatedTransfers": moved,
            }))
        })
    }
}

/// Pays the option with notice number `nav` of creditor `cf` at `at`:
/// GPD's checks (the position payable, the option unpaid, no other plan of
/// the position paid), then the option and the position's new state.
fn settle<'s>(
    positions: &'s mut HashMap<String, BTreeMap<String, Position>>,
    cf: &str,
    nav: &str,
    at: OffsetDateTime,
    now: OffsetDateTime,
    receipt_id: Option<&str>,
) -> Result<(&'s mut Position, Map<String, Value>), Problem> {
    let Some((position, option)) = positions.get_mut(cf).and_then(|all| {
        all.values_mut().find_map(|p| {
            let option = options(&p.body).find(|o| option_nav(o) == nav).cloned()?;
            Some((p, option))
        })
    }) else {
        return Err(problem(
            404,
            "Not found the payment option",
            format!("Not found a payment option for Organization Fiscal Code {cf} and nav {nav}"),
        ));
    };
    advance(position, now);
    let iuv = iuv_of(&option).to_owned();
    if position.option_payments.contains_key(&iuv) {
        return Err(problem(
            409,
            "Existing related payment found",
            format!(
                "A payment transaction has already been carried out for the Organization Fiscal Code {cf} and IUV {iuv}"
            ),
        ));
    }
    let plan = plan_of(&option);
    // Once one plan is being paid, the others cannot be (SANP).
    let other_plan_paid = options(&position.body)
        .any(|o| position.option_payments.contains_key(iuv_of(o)) && plan_of(o) != plan);
    if !matches!(position.status, "VALID" | "PARTIALLY_PAID") || other_plan_paid {
        return Err(problem(
            422,
            "Not in payable state",
            format!(
                "The payment option with Organization Fiscal Code {cf} and IUV {iuv} is not in payable state (the position is {})",
                position.status
            ),
        ));
    }
    position
        .option_payments
        .insert(iuv, (at, receipt_id.map(str::to_owned)));
    let plan_complete = options(&position.body)
        .filter(|o| plan_of(o) == plan)
        .all(|o| position.option_payments.contains_key(iuv_of(o)));
    position.status = if plan_complete {
        "PAID"
    } else {
        "PARTIALLY_PAID"
    };
    if plan_complete {
        position.paid = Some(at);
    }
    Ok((position, option))
}

/// The production paths of GPD's two services, then the control API.
/// `{version}` is `v1` or `v3` (installment plans); v3 has no invalidate.
static ROUTES: &[Route<GpdSimulator>] = &[
    Route {
        method: "POST",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/debtpositions",
        handler: Handler::Api(|s, g, c, p| {
            let api = version(p)?;
            json_body(c)?;
            Ok(s.create(api, p.get("cf"), c, &c.query(), g, s.clock.now()))
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
            let (api, cf, iupd) = (version(p)?, p.get("cf"), p.get("iupd"));
            json_body(c)?;
            Ok(s.update(api, cf, iupd, c, &c.query(), g, s.clock.now()))
        }),
    },
    Route {
        method: "DELETE",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/debtpositions/{iupd}",
        handler: Handler::Api(|s, _, _, p| {
            Ok(s.delete(version(p)?, p.get("cf"), p.get("iupd"), s.clock.now()))
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
        method: "PATCH",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/debtpositions/transfers",
        handler: Handler::Api(|s, _, c, p| match version(p)? {
            Version::V1 => {
                json_body(c)?;
                Ok(s.move_iban(p.get("cf"), c, &c.query(), s.clock.now()))
            }
            Version::V3 => Err(apim::not_found()),
        }),
    },
    Route {
        method: "POST",
        path: "/gpd/debt-positions-service/{version}/organizations/{cf}/paymentoptions/paids/{nav}",
        handler: Handler::Api(|s, _, c, p| match version(p)? {
            Version::V1 => {
                json_body(c)?;
                Ok(s.mark_paid(p.get("cf"), p.get("nav"), c, s.clock.now()))
            }
            Version::V3 => Err(apim::not_found()),
        }),
    },
    Route {
        method: "GET",
        path: "/gpd/debt-positions-service/{version}/info",
        handler: Handler::Api(|_, _, _, p| match version(p)? {
            Version::V1 => Ok(info("pagopa-debt-position")),
            Version::V3 => Err(apim::not_found()),
        }),
    },
    Route {
        method: "GET",
        path: "/gpd/payments-receipts-service/v1/info",
        handler: Handler::Api(|_, _, _, _| Ok(info("pagopa-gpd-payments"))),
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
        let key = key.as_ref();
        let grant = self
            .with(|s| s.grants.get(key).cloned())
            .ok_or_else(apim::invalid_key)?;
        let creditor = params.get("cf");
        if !creditor.is_empty() && !grant.creditors.iter().any(|c| c == creditor) {
            return Err(problem(
                403,
                "Forbidden",
                "the subscription key may not act for this creditor",
            )
            .into());
        }
        Ok(grant)
    }

    /// GPD's request filter: the caller's `X-Request-Id` comes back, or
    /// one is made.
    fn finish(&self, _grant: &Grant, call: &Call<'_>, reply: Reply) -> Reply {
        let id = call
            .header("x-request-id")
            .filter(|id| !id.is_empty())
            .map_or_else(request_id, str::to_owned);
        reply.header("x-request-id", id)
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

/// A string field of a JSON object, empty when absent.
fn text<'a>(object: &'a Map<String, Value>, field: &str) -> &'a str {
    object
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
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
