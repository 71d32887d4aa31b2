//! An FdR (*Flussi di Rendicontazione*) simulator: the API creditors read
//! the PSPs' reporting flows from ("FdR organization", served at
//! [`FDR_PATH`]), and a PSP side to publish them, written from pagoPA's
//! `fdr_organization.json` and the FdR service's documented behaviour, not
//! from `abilita-pagopa`'s models.
//!
//! | path | what |
//! |---|---|
//! | `GET /fdr-org/service/v1/organizations/{org}/fdrs` | the latest revision of each published flow, paged |
//! | `GET …/fdrs/{fdr}/revisions/{revision}/psps/{psp}` | one revision's header |
//! | `GET …/fdrs/{fdr}/revisions/{revision}/psps/{psp}/payments` | its payments, paged |
//! | `POST /__control/fdr/organizations/{org}/flows` | a PSP publishes a flow (a new revision when its id exists) |
//! | `POST /__control/fdr/organizations/{org}/flows/from-gpd` | a PSP reports a day of the GPD simulator's payments ([`FdrSimulator::fed_by`]) |
//! | `POST /__control/fdr/reset` | forgets every flow |
//!
//! Behaviour, from the FdR service (the public repository
//! `pagopa/pagopa-fdr`: its OpenAPI files and its flow service):
//! - the list shows only the latest revision of each flow; `publishedGt` is
//!   an exclusive lower bound on publication, `flowDate` an inclusive one on
//!   the flow's date, both defaulting to the start of the previous month;
//!   flows published more than 30 days ago are no longer listed;
//! - `page` from 1, `size` from 1 (default 1000; at most 1000 for the
//!   list of flows, as its schema says); a bad one, or a time
//!   that is not RFC 3339, is 400 `FDR-1000`/`FDR-1002`; an unknown flow or
//!   revision is 404 `FDR-3001`; errors in FdR's shape `{httpStatusCode,
//!   httpStatusDescription, appErrorCode, errors[{path, message}]}`;
//! - a subscription key acts for the creditors it was granted (APIM's 401
//!   and 403 otherwise); [`Faults`] as every simulator.
//!
//! Faults a PSP makes are made by calling [`FdrSimulator::publish`] at the
//! right time: a *late* flow is one published after D+2, a *revised*
//! amount a second publication of the same flow id (revision 2), a
//! *duplicate* the same payment in two flows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use abilita_core::Clock;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime};
use wiremock::MockServer;

use crate::Faults;
use crate::gpd::GpdSimulator;
use crate::kit::{Call, Handler, Params, Platform, Reply, Route, apim};

/// The path of the FdR organization API.
pub const FDR_PATH: &str = "/fdr-org/service/v1";

/// How many flow revisions the simulator holds; a publication beyond is
/// refused, so a long run's memory stays bounded.
pub const MAX_REVISIONS: usize = 10_000;

/// How many payments the simulator holds over all revisions (one flow may
/// hold them all: far beyond any real day of a municipality's); a
/// publication beyond is refused.
pub const MAX_PAYMENTS: usize = 2_000_000;

/// How far back FdR lists flows.
const LOOK_BACK: Duration = Duration::days(30);

/// How a reported payment ended (`payStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayStatus {
    /// `EXECUTED`.
    Executed,
    /// `REVOKED`.
    Revoked,
    /// `STAND_IN`.
    StandIn,
    /// `STAND_IN_NO_RPT`.
    StandInNoRpt,
    /// `NO_RPT`.
    NoRpt,
}

impl PayStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Executed => "EXECUTED",
            Self::Revoked => "REVOKED",
            Self::StandIn => "STAND_IN",
            Self::StandInNoRpt => "STAND_IN_NO_RPT",
            Self::NoRpt => "NO_RPT",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "EXECUTED" => Self::Executed,
            "REVOKED" => Self::Revoked,
            "STAND_IN" => Self::StandIn,
            "STAND_IN_NO_RPT" => Self::StandInNoRpt,
            "NO_RPT" => Self::NoRpt,
            _ => return None,
        })
    }
}

/// One transfer a simulated PSP reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs, reason = "built by tests with a literal")]
pub struct FlowPayment {
    /// The IUV paid.
    pub iuv: String,
    /// The IUR (the receipt's id).
    pub iur: String,
    /// The transfer (1 to 5).
    pub transfer: u8,
    /// The amount in cents.
    pub cents: u64,
    /// How it ended.
    pub status: PayStatus,
    /// When it was paid.
    pub paid_at: OffsetDateTime,
}

/// One published revision of one PSP's flow.
#[derive(Debug, Clone)]
struct Revision {
    organization: String,
    psp: String,
    fdr: String,
    revision: u64,
    published: OffsetDateTime,
    regulation_date: Date,
    latest: bool,
    payments: Arc<Vec<FlowPayment>>,
}

#[derive(Debug, Default)]
struct State {
    /// Subscription key → the creditors it may read.
    grants: HashMap<String, Vec<String>>,
    revisions: Vec<Revision>,
}

/// The FdR simulator. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct FdrSimulator {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    faults: Arc<Faults>,
    /// Where `from-gpd` reads the day's payments.
    gpd: Option<GpdSimulator>,
}

impl FdrSimulator {
    /// A simulator on `clock`, with no keys and no flows.
    #[must_use]
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Arc::default(),
            clock,
            faults: Arc::new(Faults::default()),
            gpd: None,
        }
    }

    /// A simulator whose control API can report what `gpd` collected
    /// (`POST /__control/fdr/organizations/{org}/flows/from-gpd`).
    #[must_use]
    pub fn fed_by(clock: Arc<dyn Clock>, gpd: GpdSimulator) -> Self {
        Self {
            gpd: Some(gpd),
            ..Self::new(clock)
        }
    }

    /// Lets subscription `key` read the flows of `organizations`.
    pub fn grant(&self, key: &str, organizations: &[&str]) {
        let organizations = organizations.iter().map(|o| (*o).to_owned()).collect();
        self.with(|s| s.grants.insert(key.to_owned(), organizations));
    }

    /// The faults to inject.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Serves the simulator on `server`, beside anything else mounted there.
    pub async fn mount(&self, server: &MockServer) {
        crate::kit::mount::mount(self, server, "FdR simulator").await;
    }

    /// The routes served, as `(method, path pattern)`.
    pub fn routes() -> impl Iterator<Item = (&'static str, String)> {
        crate::kit::route::table::<Self>()
    }

    /// A flow id as SANP writes them: the settlement date, the PSP, then a
    /// code unique in the year (`2026-11-2988888888888-0001`).
    #[must_use]
    pub fn flow_id(regulation_date: Date, psp: &str, number: u32) -> String {
        format!("{regulation_date}{psp}-{number:04}")
    }

    /// PSP `psp` publishes flow `fdr` for `organization` now (on the
    /// simulator's clock): revision 1, or the next one when the flow was
    /// published before. The flow's settlement date is today.
    ///
    /// # Errors
    /// An id over 35 characters, a transfer outside 1 to 5, or the
    /// simulator full ([`MAX_REVISIONS`], [`MAX_PAYMENTS`]), as a sentence.
    pub fn publish(
        &self,
        organization: &str,
        psp: &str,
        fdr: &str,
        payments: Vec<FlowPayment>,
    ) -> Result<u64, String> {
        for (name, id) in [("organization", organization), ("psp", psp), ("fdr", fdr)] {
            if id.is_empty() || id.chars().count() > 35 {
                return Err(format!("{name} must be 1 to 35 characters"));
            }
        }
        if let Some(p) = payments.iter().find(|p| !(1..=5).contains(&p.transfer)) {
            return Err(format!("idTransfer {} is not 1 to 5", p.transfer));
        }
        let now = self.clock.now();
        self.with(|s| {
            if s.revisions.len() >= MAX_REVISIONS {
                return Err(format!(
                    "the simulator holds {MAX_REVISIONS} revisions, its limit: reset it"
                ));
            }
            let held: usize = s.revisions.iter().map(|r| r.payments.len()).sum();
            if held.saturating_add(payments.len()) > MAX_PAYMENTS {
                return Err(format!(
                    "the simulator holds {held} payments; {MAX_PAYMENTS} at most: reset it"
                ));
            }
            let mut revision = 1;
            for earlier in s
                .revisions
                .iter_mut()
                .filter(|r| r.psp == psp && r.fdr == fdr)
            {
                if earlier.organization != organization {
                    // FDR-3012: a revision cannot change the creditor.
                    return Err(format!("flow {fdr} is for {}", earlier.organization));
                }
                earlier.latest = false;
                revision = revision.max(earlier.revision + 1);
            }
            s.revisions.push(Revision {
                organization: organization.to_owned(),
                psp: psp.to_owned(),
                fdr: fdr.to_owned(),
                revision,
                published: now,
                regulation_date: now.date(),
                latest: true,
                payments: Arc::new(payments),
            });
            Ok(revision)
        })
    }

    /// PSP `psp` reports in flow `fdr` what GPD's simulator collected for
    /// `organization` on `day` (every option paid through pagoPA that day,
    /// each transfer to the organization once): the flow's revision.
    ///
    /// # Errors
    /// As [`FdrSimulator::publish`].
    pub fn report_gpd_payments(
        &self,
        gpd: &GpdSimulator,
        organization: &str,
        psp: &str,
        fdr: &str,
        day: Date,
    ) -> Result<u64, String> {
        let payments = gpd
            .paid_transfers(organization, day)
            .into_iter()
            .map(|p| FlowPayment {
                iuv: p.iuv,
                iur: p.receipt_id,
                transfer: p.transfer,
                cents: p.cents,
                status: PayStatus::Executed,
                paid_at: p.paid_at,
            })
            .collect();
        self.publish(organization, psp, fdr, payments)
    }

    /// The payments of the latest revision of `fdr` by `psp`, to publish a
    /// changed copy as the next revision.
    #[must_use]
    pub fn latest_payments(&self, psp: &str, fdr: &str) -> Option<Vec<FlowPayment>> {
        self.with(|s| {
            s.revisions
                .iter()
                .find(|r| r.latest && r.psp == psp && r.fdr == fdr)
                .map(|r| r.payments.as_ref().clone())
        })
    }

    /// Forgets every flow; keys stay.
    pub fn reset(&self) {
        self.with(|s| s.revisions.clear());
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut crate::lock(&self.state))
    }

    /// `GET …/fdrs`: the latest revisions the filters keep, paged.
    fn list(&self, organization: &str, call: &Call<'_>) -> Reply {
        let query = call.query();
        let now = self.clock.now();
        let default_from = start_of_previous_month(now);
        let (page, size) = match (
            number(&query, "page", 1, 1, i64::MAX),
            number(&query, "size", 1000, 1, 1000),
        ) {
            (Ok(page), Ok(size)) => (page, size),
            (Err(reply), _) | (_, Err(reply)) => return reply,
        };
        let (published_gt, flow_date) = match (
            instant(&query, "publishedGt", default_from),
            instant(&query, "flowDate", default_from),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(reply), _) | (_, Err(reply)) => return reply,
        };
        let psp = query.get("pspId");
        if psp.is_some_and(|p| p.is_empty() || p.chars().count() > 35) {
            return error(400, "FDR-1000", "pspId", "pspId must be 1 to 35 characters");
        }
        let oldest = now.saturating_sub(LOOK_BACK);
        let listed: Vec<Value> = self.with(|s| {
            let mut kept: Vec<&Revision> = s
                .revisions
                .iter()
                .filter(|r| {
                    r.latest
                        && r.organization == organization
                        && psp.is_none_or(|p| *p == r.psp)
                        && r.published > published_gt
                        && r.published >= flow_date
                        && r.published >= oldest
                })
                .collect();
            kept.sort_by_key(|r| r.published);
            kept.into_iter()
                .map(|r| {
                    json!({
                        "fdr": r.fdr,
                        "pspId": r.psp,
                        "revision": r.revision,
                        "published": time_text(r.published),
                        "flowDate": time_text(r.published),
                    })
                })
                .collect()
        });
        paged(listed, page, size)
    }

    /// The revision a flow path names, or FdR's 404.
    fn find(&self, organization: &str, params: &Params<'_>) -> Result<Revision, Reply> {
        let (fdr, psp) = (params.get("fdr"), params.get("psp"));
        let revision: u64 = params.get("revision").parse().map_err(|_| {
            error(
                400,
                "FDR-1000",
                "revision",
                "revision must be an integer from 1",
            )
        })?;
        self.with(|s| {
            s.revisions
                .iter()
                .find(|r| {
                    r.organization == organization
                        && r.psp == psp
                        && r.fdr == fdr
                        && r.revision == revision
                })
                .cloned()
        })
        .ok_or_else(|| {
            error(
                404,
                "FDR-3001",
                "",
                &format!("Reporting flow [{fdr}] revision [{revision}] of PSP [{psp}] not found"),
            )
        })
    }

    /// `GET …/psps/{psp}`: a revision's header.
    fn header(&self, r: &Revision) -> Reply {
        let count = r.payments.len();
        let sum: u64 = r.payments.iter().map(|p| p.cents).sum();
        Reply::new(200).json(&json!({
            "status": "PUBLISHED",
            "revision": r.revision,
            "created": time_text(r.published),
            "updated": time_text(r.published),
            "fdr": r.fdr,
            "fdrDate": time_text(r.published),
            "regulation": format!("SEPA - Bonifico {}", r.fdr),
            "regulationDate": r.regulation_date.to_string(),
            "bicCodePouringBank": "UNCRITMMXXX",
            "sender": {
                "type": "LEGAL_PERSON",
                "id": "SELBIT2B",
                "pspId": r.psp,
                "pspName": "Simulated PSP",
                "pspBrokerId": r.psp,
                "channelId": format!("{}_01", r.psp),
            },
            "receiver": {
                "id": "APPBIT2B",
                "organizationId": r.organization,
                "organizationName": "Simulated creditor",
            },
            "published": time_text(r.published),
            "computedTotPayments": count,
            "computedSumPayments": euros(sum),
            "totPayments": count,
            "sumPayments": euros(sum),
        }))
    }

    /// `GET …/payments`: a revision's payments, paged.
    fn payments(r: &Revision, call: &Call<'_>) -> Reply {
        let query = call.query();
        // Unlike the list of flows, the spec sets no largest page here.
        let (page, size) = match (
            number(&query, "page", 1, 1, i64::MAX),
            number(&query, "size", 1000, 1, i64::MAX),
        ) {
            (Ok(page), Ok(size)) => (page, size),
            (Err(reply), _) | (_, Err(reply)) => return reply,
        };
        let start = page.saturating_sub(1).saturating_mul(size);
        let items: Vec<Value> = r
            .payments
            .iter()
            .enumerate()
            .skip(usize::try_from(start).unwrap_or(usize::MAX))
            .take(usize::try_from(size).unwrap_or(usize::MAX))
            .map(|(i, p)| {
                json!({
                    "index": i + 1,
                    "iuv": p.iuv,
                    "iur": p.iur,
                    "idTransfer": p.transfer,
                    "pay": euros(p.cents),
                    "payStatus": p.status.as_str(),
                    "payDate": time_text(p.paid_at),
                })
            })
            .collect();
        page_reply(items, r.payments.len(), page, size)
    }

    /// `POST /__control/fdr/organizations/{org}/flows`: `{"pspId", "fdr",
    /// "payments": [{"iuv", "iur", "idTransfer", "amountCents",
    /// "payStatus", "payDate"}]}`; answers `{"revision"}`.
    fn control_publish(&self, organization: &str, body: &[u8]) -> Reply {
        let refuse = |why: String| Reply::new(400).json(&json!({ "error": why }));
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return refuse("the body is not JSON".into());
        };
        let field = |v: &Value, name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
        let (Some(psp), Some(fdr)) = (field(&body, "pspId"), field(&body, "fdr")) else {
            return refuse("pspId and fdr are required".into());
        };
        let mut payments = Vec::new();
        for (i, p) in body
            .get("payments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let status = field(p, "payStatus").unwrap_or_else(|| "EXECUTED".into());
            let paid_at = field(p, "payDate")
                .and_then(|t| OffsetDateTime::parse(&t, &Rfc3339).ok())
                .unwrap_or_else(|| self.clock.now());
            let payment = (|| {
                Some(FlowPayment {
                    iuv: field(p, "iuv")?,
                    iur: field(p, "iur")?,
                    transfer: u8::try_from(p.get("idTransfer")?.as_u64()?).ok()?,
                    cents: p.get("amountCents")?.as_u64()?,
                    status: PayStatus::parse(&status)?,
                    paid_at,
                })
            })();
            match payment {
                Some(payment) => payments.push(payment),
                None => {
                    return refuse(format!(
                        "payments[{i}] needs iuv, iur, idTransfer, amountCents and a known payStatus"
                    ));
                }
            }
        }
        match self.publish(organization, &psp, &fdr, payments) {
            Ok(revision) => Reply::new(201).json(&json!({ "revision": revision })),
            Err(why) => refuse(why),
        }
    }
}

impl FdrSimulator {
    /// `POST /__control/fdr/organizations/{org}/flows/from-gpd`: `{"pspId",
    /// "fdr", "day": "YYYY-MM-DD"}`; answers `{"revision"}`.
    fn control_from_gpd(&self, organization: &str, body: &[u8]) -> Reply {
        let refuse = |status: u16, why: &str| Reply::new(status).json(&json!({ "error": why }));
        let Some(gpd) = &self.gpd else {
            return refuse(409, "this FdR simulator is not fed by a GPD simulator");
        };
        let body: Value = serde_json::from_slice(body).unwrap_or_default();
        let text = |name: &str| body.get(name).and_then(Value::as_str);
        let day = text("day").and_then(|d| {
            Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
        });
        let (Some(psp), Some(fdr), Some(day)) = (text("pspId"), text("fdr"), day) else {
            return refuse(400, "pspId, fdr and day (YYYY-MM-DD) are required");
        };
        match self.report_gpd_payments(gpd, organization, psp, fdr, day) {
            Ok(revision) => Reply::new(201).json(&json!({ "revision": revision })),
            Err(why) => refuse(400, &why),
        }
    }
}

/// FdR's error body.
fn error(status: u16, code: &str, path: &str, message: &str) -> Reply {
    let description = match status {
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Internal Server Error",
    };
    let detail = if path.is_empty() {
        json!({ "message": message })
    } else {
        json!({ "path": path, "message": message })
    };
    Reply::new(status).json(&json!({
        "errorId": format!("{:032x}", fastrand::u128(..)),
        "httpStatusCode": status,
        "httpStatusDescription": description,
        "appErrorCode": code,
        "errors": [detail],
    }))
}

/// An integer query parameter within `min..=max` (`default` when absent).
fn number(
    query: &HashMap<String, String>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, Reply> {
    let Some(text) = query.get(name) else {
        return Ok(default);
    };
    text.parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            error(
                400,
                "FDR-1000",
                name,
                &format!("{name} must be an integer from {min} to {max}"),
            )
        })
}

/// An RFC 3339 query parameter (`default` when absent).
fn instant(
    query: &HashMap<String, String>,
    name: &str,
    default: OffsetDateTime,
) -> Result<OffsetDateTime, Reply> {
    let Some(text) = query.get(name) else {
        return Ok(default);
    };
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        error(
            400,
            "FDR-1002",
            name,
            &format!("{name} must be an RFC 3339 date-time"),
        )
    })
}

fn start_of_previous_month(now: OffsetDateTime) -> OffsetDateTime {
    let first = now.date().replace_day(1).unwrap_or(now.date());
    let previous = first
        .previous_day()
        .unwrap_or(first)
        .replace_day(1)
        .unwrap_or(first);
    previous.midnight().assume_utc()
}

fn time_text(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// Cents as FdR's JSON number of euros.
#[allow(
    clippy::cast_precision_loss,
    reason = "amounts below 2^53 cents: the quotient is the double nearest the decimal"
)]
fn euros(cents: u64) -> f64 {
    cents as f64 / 100.0
}

fn paged(all: Vec<Value>, page: i64, size: i64) -> Reply {
    let total = all.len();
    let start = usize::try_from(page.saturating_sub(1).saturating_mul(size)).unwrap_or(usize::MAX);
    let items = all
        .into_iter()
        .skip(start)
        .take(usize::try_from(size).unwrap_or(usize::MAX))
        .collect();
    page_reply(items, total, page, size)
}

fn page_reply(items: Vec<Value>, total: usize, page: i64, size: i64) -> Reply {
    let size_u = usize::try_from(size).unwrap_or(1).max(1);
    Reply::new(200).json(&json!({
        "metadata": {
            "pageSize": size,
            "pageNumber": page,
            "totPage": total.div_ceil(size_u),
        },
        "count": total,
        "data": items,
    }))
}

impl Platform for FdrSimulator {
    type Caller = ();

    const CONTROL: &'static str = "/__control/fdr";

    fn routes() -> &'static [Route<Self>] {
        ROUTES
    }

    fn faults(&self) -> &Faults {
        &self.faults
    }

    /// APIM's key check, then the creditors the key may read.
    fn admit(&self, call: &Call<'_>, params: &Params<'_>) -> Result<(), Reply> {
        let key = apim::subscription_key(call)?;
        let organizations = self
            .with(|s| s.grants.get(key.as_ref()).cloned())
            .ok_or_else(apim::invalid_key)?;
        let organization = params.get("org");
        if organizations.iter().any(|o| o == organization) {
            Ok(())
        } else {
            Err(apim::gateway(
                403,
                "the subscription key may not read this creditor's flows",
            ))
        }
    }

    fn not_found(&self) -> Reply {
        apim::not_found()
    }

    fn throttled(&self) -> Reply {
        apim::throttled(1, "retry-after")
    }

    fn unavailable(&self) -> Reply {
        error(500, "FDR-0500", "", "simulated failure")
    }
}

static ROUTES: &[Route<FdrSimulator>] = &[
    Route {
        method: "GET",
        path: "/fdr-org/service/v1/organizations/{org}/fdrs",
        handler: Handler::Api(|s, (), c, p| Ok(s.list(p.get("org"), c))),
    },
    Route {
        method: "GET",
        path: "/fdr-org/service/v1/organizations/{org}/fdrs/{fdr}/revisions/{revision}/psps/{psp}",
        handler: Handler::Api(|s, (), _, p| Ok(s.header(&s.find(p.get("org"), p)?))),
    },
    Route {
        method: "GET",
        path: "/fdr-org/service/v1/organizations/{org}/fdrs/{fdr}/revisions/{revision}/psps/{psp}/payments",
        handler: Handler::Api(|s, (), c, p| {
            Ok(FdrSimulator::payments(&s.find(p.get("org"), p)?, c))
        }),
    },
    Route {
        method: "POST",
        path: "/__control/fdr/organizations/{org}/flows",
        handler: Handler::Control(|s, c, p| Ok(s.control_publish(p.get("org"), c.body()))),
    },
    Route {
        method: "POST",
        path: "/__control/fdr/reset",
        handler: Handler::Control(|s, _, _| {
            s.reset();
            Ok(Reply::new(204))
        }),
    },
    Route {
        method: "POST",
        path: "/__control/fdr/organizations/{org}/flows/from-gpd",
        handler: Handler::Control(|s, c, p| Ok(s.control_from_gpd(p.get("org"), c.body()))),
    },
];
