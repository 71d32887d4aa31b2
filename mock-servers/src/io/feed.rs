//! `GET /subscriptions-feed/{date}`: the hashed codes of citizens who
//! subscribed to or left the calling service on a day, as
//! io-functions-services' `GetSubscriptionsFeed` computes it from four
//! kinds of event: a profile created or deleted, the service allowed or
//! blocked.

use std::collections::BTreeSet;

use serde_json::json;
use time::{Date, OffsetDateTime};

use super::{Citizen, CitizenState, IoSimulator, State, forbidden, problem};
use crate::kit::Reply;

/// One change of a citizen, on a day (UTC).
#[derive(Debug, Clone)]
pub(super) struct Event {
    day: Date,
    /// `LOWERCASE(HEX(SHA256(UPPERCASE(fiscal code))))`.
    hash: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    ProfileCreated,
    ProfileDeleted,
    /// The citizen allowed (`true`) or blocked (`false`) a service.
    Service(String, bool),
}

/// The feed's hash of a fiscal code.
fn hash(fiscal_code: &str) -> String {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        fiscal_code.to_uppercase().as_bytes(),
    );
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Records what changed between `before` and `after` for `fiscal_code` on
/// `day`; the oldest events go beyond the simulator's message limit.
pub(super) fn record(
    state: &mut State,
    day: Date,
    fiscal_code: &str,
    before: Option<&Citizen>,
    after: &Citizen,
) {
    let registered =
        |c: Option<&Citizen>| c.is_some_and(|c| c.state != CitizenState::NotRegistered);
    let mut kinds = Vec::new();
    match (registered(before), registered(Some(after))) {
        (false, true) => kinds.push(Kind::ProfileCreated),
        (true, false) => kinds.push(Kind::ProfileDeleted),
        _ => {}
    }
    let blocked_before: &[String] = before.map_or(&[], |c| &c.blocked_services);
    for service in &after.blocked_services {
        if !blocked_before.contains(service) {
            kinds.push(Kind::Service(service.clone(), false));
        }
    }
    for service in blocked_before {
        if !after.blocked_services.contains(service) {
            kinds.push(Kind::Service(service.clone(), true));
        }
    }
    let hash = hash(fiscal_code);
    for kind in kinds {
        state.feed.push_back(Event {
            day,
            hash: hash.clone(),
            kind,
        });
    }
    while state.feed.len() > state.max_messages {
        state.feed.pop_front();
    }
}

/// IO's `ShortDateString`: `\d\d\d\d-\d\d-\d\d` naming a real day.
fn parse_day(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    (text.len() == 10)
        .then(|| Date::parse(text, &format).ok())
        .flatten()
}

impl IoSimulator {
    pub(super) fn subscriptions_feed(
        &self,
        service: &str,
        date: &str,
        now: OffsetDateTime,
    ) -> Reply {
        self.with(|s| {
            if !s.services.get(service).is_some_and(|svc| svc.feed_allowed) {
                return forbidden();
            }
            let Some(day) = parse_day(date) else {
                return problem(
                    400,
                    "Invalid ShortDateString",
                    format!("value [\"{date}\"] at [root] is not a valid [ShortDateString]"),
                );
            };
            // A day's data is ready when the next day starts (UTC).
            let Some(available) = day.next_day().map(|d| d.midnight().assume_utc()) else {
                return problem(404, "Data not available yet", "no day follows this one");
            };
            if now < available {
                let format = time::macros::format_description!(
                    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
                );
                let at = available.format(&format).unwrap_or_default();
                return problem(
                    404,
                    "Data not available yet",
                    format!("Subscription data for {date} will be available from {at}"),
                );
            }
            let (subscriptions, unsubscriptions) = day_feed(s, day, service);
            Reply::new(200).json(&json!({
                "dateUTC": date,
                "subscriptions": subscriptions,
                "unsubscriptions": unsubscriptions,
            }))
        })
    }
}

/// The day's subscriptions and unsubscriptions for `service`, combined as
/// `GetSubscriptionsFeed` does: a new profile counts unless it blocked the
/// service the same day; a service allowed counts unless the profile was
/// created or deleted that day; and the other way round for leaving.
fn day_feed(state: &State, day: Date, service: &str) -> (Vec<String>, Vec<String>) {
    let set = |wanted: &dyn Fn(&Kind) -> bool| -> BTreeSet<&str> {
        state
            .feed
            .iter()
            .filter(|e| e.day == day && wanted(&e.kind))
            .map(|e| e.hash.as_str())
            .collect()
    };
    let created = set(&|k| *k == Kind::ProfileCreated);
    let deleted = set(&|k| *k == Kind::ProfileDeleted);
    let allowed = set(&|k| matches!(k, Kind::Service(s, true) if s == service));
    let blocked = set(&|k| matches!(k, Kind::Service(s, false) if s == service));
    let new_profile = |h: &&str| created.contains(h) || deleted.contains(h);
    let subscriptions = created
        .iter()
        .filter(|h| !blocked.contains(*h))
        .chain(allowed.iter().filter(|h| !new_profile(h)))
        .map(|h| (*h).to_owned())
        .collect();
    let unsubscriptions = deleted
        .iter()
        .filter(|h| !allowed.contains(*h))
        .chain(blocked.iter().filter(|h| !new_profile(h)))
        .map(|h| (*h).to_owned())
        .collect();
    (subscriptions, unsubscriptions)
}
