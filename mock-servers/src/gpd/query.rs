//! The query parameters of GPD's two list operations, checked as GPD checks
//! them.
//!
//! GPD is a Spring service: a value outside a parameter's enum or integer
//! type fails Spring's type conversion (400 `BAD REQUEST`, "Invalid value X
//! for property P"); bounds and GPD's own rules are its validation errors.
//! Sources: the OpenAPI files (`openapi_external_v1.json`,
//! `openapi_external_v3.json`, the receipts service's `openapi.json`) and
//! the public repositories `pagopa/pagopa-debt-position` (`ExclusiveParamGroup`
//! on the list: due dates and payment dates are mutually exclusive; a window
//! over 30 days is `DEBT_POSITION_NOT_RECOVERABLE`) and
//! `pagopa/pagopa-gpd-payments` (receipt filters).

use std::collections::HashMap;

use time::{Date, Duration, OffsetDateTime, Time};

use super::json::parse_time;
use super::{Problem, Version, bad_request, problem};

/// The longest window a list may ask for (GPD's `max_days_interval`).
const MAX_WINDOW_DAYS: i64 = 30;

/// An inclusive span of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    pub(super) from: OffsetDateTime,
    pub(super) to: OffsetDateTime,
}

impl Window {
    pub(super) fn contains(self, at: OffsetDateTime) -> bool {
        (self.from..=self.to).contains(&at)
    }
}

/// What the positions list is ordered by (`orderby`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OrderBy {
    InsertedDate,
    Iupd,
    Status,
    CompanyName,
}

/// The checked query of `GET …/debtpositions`.
#[derive(Debug)]
pub(super) struct ListQuery {
    pub(super) page: u32,
    pub(super) limit: u32,
    pub(super) due: Option<Window>,
    pub(super) paid: Option<Window>,
    /// The status as the version names it.
    pub(super) status: Option<String>,
    pub(super) order_by: OrderBy,
    pub(super) descending: bool,
}

impl ListQuery {
    pub(super) fn parse(api: Version, query: &HashMap<String, String>) -> Result<Self, Problem> {
        let due_names = ["due_date_from", "due_date_to"];
        let paid_names = [
            "payment_date_from",
            "payment_date_to",
            "payment_date_time_from",
            "payment_date_time_to",
        ];
        let present = |names: &[&str]| names.iter().any(|n| query.contains_key(*n));
        if present(&due_names) && present(&paid_names) {
            return Err(problem(
                400,
                "Exclusive Parameters",
                format!(
                    "Parameters {} and {} are mutual exclusive",
                    due_names.join(", "),
                    paid_names.join(", ")
                ),
            ));
        }
        let statuses: &[&str] = match api {
            Version::V1 => &[
                "DRAFT",
                "PUBLISHED",
                "VALID",
                "INVALID",
                "EXPIRED",
                "PARTIALLY_PAID",
                "PAID",
                "REPORTED",
            ],
            Version::V3 => &[
                "DRAFT",
                "PUBLISHED",
                "VALID",
                "UNPAYABLE",
                "PARTIALLY_PAID",
                "PAID",
            ],
        };
        let order_by = match one_of(
            query,
            "orderby",
            &["INSERTED_DATE", "IUPD", "STATUS", "COMPANY_NAME"],
        )? {
            None | Some("INSERTED_DATE") => OrderBy::InsertedDate,
            Some("IUPD") => OrderBy::Iupd,
            Some("STATUS") => OrderBy::Status,
            Some(_) => OrderBy::CompanyName,
        };
        let descending = one_of(query, "ordering", &["ASC", "DESC"])? != Some("ASC");
        let limit = int32(query, "limit")?.unwrap_or(10);
        if !(1..=50).contains(&limit) {
            return Err(bad_request("limit must be 1 to 50"));
        }
        let page = int32(query, "page")?.unwrap_or(0);
        let paid = match day_window(query, "payment_date_from", "payment_date_to")? {
            Some(days) => Some(days),
            None => time_window(query, "payment_date_time_from", "payment_date_time_to")?,
        };
        Ok(Self {
            page: u32::try_from(page).map_err(|_| bad_request("page must be 0 or more"))?,
            limit: limit.unsigned_abs(),
            due: day_window(query, "due_date_from", "due_date_to")?,
            paid,
            status: one_of(query, "status", statuses)?.map(str::to_owned),
            order_by,
            descending,
        })
    }
}

/// The checked query of `GET /payments/{cf}/receipts`.
#[derive(Debug)]
pub(super) struct ReceiptQuery {
    pub(super) page: usize,
    pub(super) size: usize,
    pub(super) debtor: Option<String>,
    /// The start of the IUV (`service`).
    pub(super) iuv_prefix: Option<String>,
    /// The start of the debtor or of the IUV (`debtorOrIuv`).
    pub(super) debtor_or_iuv: Option<String>,
    /// Payment times, inclusive; an end left out is open.
    pub(super) from: Option<OffsetDateTime>,
    pub(super) to: Option<OffsetDateTime>,
}

impl ReceiptQuery {
    pub(super) fn parse(query: &HashMap<String, String>) -> Result<Self, Problem> {
        let page = int32(query, "pageNum")?.unwrap_or(0);
        let size = int32(query, "pageSize")?.unwrap_or(20);
        if page < 0 {
            return Err(bad_request("pageNum must be 0 or more"));
        }
        if !(1..=100).contains(&size) {
            return Err(bad_request("pageSize must be 1 to 100"));
        }
        let invalid_range = || {
            problem(
                400,
                "Invalid date range",
                "The requested date range is invalid or exceeds the maximum configured number of months",
            )
        };
        // `yyyy-MM-dd` (the whole day) or `yyyy-MM-dd'T'HH:mm:ss`.
        let bound = |name: &str, end_of_day: bool| -> Result<Option<OffsetDateTime>, Problem> {
            let Some(text) = query.get(name) else {
                return Ok(None);
            };
            if let Ok(day) = Date::parse(text, DAY) {
                let time = if end_of_day {
                    Time::MAX
                } else {
                    Time::MIDNIGHT
                };
                return Ok(Some(day.with_time(time).assume_utc()));
            }
            let second =
                time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
            time::PrimitiveDateTime::parse(text, second)
                .map(|at| Some(at.assume_utc()))
                .map_err(|_| invalid_range())
        };
        let (from, to) = (bound("from", false)?, bound("to", true)?);
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(invalid_range());
        }
        let text = |name: &str| query.get(name).filter(|v| !v.is_empty()).cloned();
        Ok(Self {
            page: page.unsigned_abs() as usize,
            size: size.unsigned_abs() as usize,
            debtor: text("debtor"),
            iuv_prefix: text("service"),
            debtor_or_iuv: text("debtorOrIuv"),
            from,
            to,
        })
    }
}

const DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Spring's answer to a value its type conversion refuses.
fn invalid_value(name: &str, value: &str) -> Problem {
    problem(
        400,
        "BAD REQUEST",
        format!("Invalid value {value} for property {name}"),
    )
}

/// An `int32` parameter, if present.
fn int32(query: &HashMap<String, String>, name: &str) -> Result<Option<i32>, Problem> {
    query
        .get(name)
        .map(|v| v.parse().map_err(|_| invalid_value(name, v)))
        .transpose()
}

/// A parameter whose schema is an enum.
fn one_of<'q>(
    query: &'q HashMap<String, String>,
    name: &str,
    allowed: &[&str],
) -> Result<Option<&'q str>, Problem> {
    match query.get(name) {
        Some(value) if allowed.contains(&value.as_str()) => Ok(Some(value)),
        Some(value) => Err(invalid_value(name, value)),
        None => Ok(None),
    }
}

/// A window of whole days (`yyyy-MM-dd`): a missing end is 30 days from the
/// other one, and more than 30 days is refused.
fn day_window(
    query: &HashMap<String, String>,
    from: &str,
    to: &str,
) -> Result<Option<Window>, Problem> {
    let day = |name: &str| {
        query
            .get(name)
            .map(|v| Date::parse(v, DAY).map_err(|_| invalid_value(name, v)))
            .transpose()
    };
    let Some((first, last)) = fill(day(from)?, day(to)?, Date::checked_add, Date::checked_sub)
    else {
        return Ok(None);
    };
    let days = (last - first).whole_days();
    if !(0..=MAX_WINDOW_DAYS).contains(&days) {
        return Err(not_recoverable(from, to, days));
    }
    Ok(Some(Window {
        from: first.midnight().assume_utc(),
        to: last.with_time(Time::MAX).assume_utc(),
    }))
}

/// The same over date-times (`yyyy-MM-ddTHH:mm:ss`, read as UTC).
fn time_window(
    query: &HashMap<String, String>,
    from: &str,
    to: &str,
) -> Result<Option<Window>, Problem> {
    let at = |name: &str| {
        query
            .get(name)
            .map(|v| parse_time(v).ok_or_else(|| invalid_value(name, v)))
            .transpose()
    };
    let Some((first, last)) = fill(
        at(from)?,
        at(to)?,
        OffsetDateTime::checked_add,
        OffsetDateTime::checked_sub,
    ) else {
        return Ok(None);
    };
    let days = (last - first).whole_days();
    if last < first || days > MAX_WINDOW_DAYS {
        return Err(not_recoverable(from, to, days));
    }
    Ok(Some(Window {
        from: first,
        to: last,
    }))
}

/// Both ends of a window, the missing one 30 days from the other; `None`
/// for no window. When 30 days from the given end would leave the
/// calendar (year 9999), the missing end is the given one: a window of one
/// day or instant, never an overflow.
fn fill<T: Copy>(
    from: Option<T>,
    to: Option<T>,
    add: fn(T, Duration) -> Option<T>,
    sub: fn(T, Duration) -> Option<T>,
) -> Option<(T, T)> {
    let span = Duration::days(MAX_WINDOW_DAYS);
    match (from, to) {
        (Some(f), Some(t)) => Some((f, t)),
        (Some(f), None) => Some((f, add(f, span).unwrap_or(f))),
        (None, Some(t)) => Some((sub(t, span).unwrap_or(t), t)),
        (None, None) => None,
    }
}

fn not_recoverable(from: &str, to: &str, days: i64) -> Problem {
    problem(
        400,
        "The debt positions cannot be recovered",
        format!(
            "Debt positions cannot be recovered. Verify that {to} >= {from} and that the interval between the two dates not exceed the maximum number of days allowed [days_between_from_to= {days}, max_days_interval= {MAX_WINDOW_DAYS}]"
        ),
    )
}
