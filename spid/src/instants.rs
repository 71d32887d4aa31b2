//! The instants a SAML message carries, and the window they are checked
//! against.
//!
//! Every instant read from a message is attacker-supplied until its
//! signature is verified, and some are read before (the Response's
//! `IssueInstant`, an IdP's `LogoutRequest`). `time`'s `+` and `-` panic on
//! overflow, so a message value is never added to: the clock tolerance goes
//! on the trusted side (our clock, our request's instant), computed once
//! with saturating arithmetic, and message instants are only compared with
//! it. The crate denies `clippy::arithmetic_side_effects`, so a later
//! change cannot bring an unchecked `+` back.

use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::response::{ResponseError, rule};

/// An `xs:dateTime` from a SAML message. SAML core §1.3.3: "All SAML time
/// values ... MUST be expressed in UTC form, with no time zone component"
/// (`Z`); `+00:00` is the same instant and accepted, any other offset is
/// refused. RFC 3339 as `time` reads it: a leap second (`23:59:60Z`) is
/// read as the last instant of its minute.
pub(crate) fn instant(
    value: Option<&str>,
    missing: &'static str,
) -> Result<OffsetDateTime, ResponseError> {
    value
        .and_then(|v| OffsetDateTime::parse(v, &Rfc3339).ok())
        .filter(|at| at.offset() == UtcOffset::UTC)
        .ok_or(rule(missing))
}

/// The trusted instants that message instants are compared with, with the
/// clock tolerance applied once, on this side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    skew: time::Duration,
    /// Now, plus the tolerance: nothing may be issued after it.
    pub(crate) latest: OffsetDateTime,
    /// Now, less the tolerance: a validity that ends before it has ended.
    pub(crate) earliest: OffsetDateTime,
}

impl Window {
    pub(crate) fn new(now: OffsetDateTime, clock_skew: Duration) -> Self {
        let skew = time::Duration::try_from(clock_skew).unwrap_or(time::Duration::ZERO);
        Self {
            skew,
            latest: now.saturating_add(skew),
            earliest: now.saturating_sub(skew),
        }
    }

    /// `at` (one of ours), less the tolerance: the earliest instant the
    /// other party's clock may call "at or after `at`".
    pub(crate) fn before(&self, at: OffsetDateTime) -> OffsetDateTime {
        at.saturating_sub(self.skew)
    }

    /// Until when something valid until `until` can still be accepted:
    /// how long it is kept against replay.
    pub(crate) fn accepted_until(&self, until: OffsetDateTime) -> OffsetDateTime {
        until.saturating_add(self.skew)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn max() -> OffsetDateTime {
        OffsetDateTime::new_utc(time::Date::MAX, time::Time::MAX)
    }

    #[test]
    fn extreme_and_odd_instants_parse_or_refuse_without_panic() {
        for (text, accepted) in [
            ("0001-01-01T00:00:00Z", true),
            ("9999-12-31T23:59:59Z", true),
            ("9999-12-31T23:59:59.999999999999Z", true),
            ("2026-06-30T23:59:60Z", true),
            ("2026-11-26T08:04:52.123456789012Z", true),
            ("2026-11-26T08:04:52+00:00", true),
            ("2026-11-26T08:04:52+01:00", false),
            ("9999-12-31T23:59:59-23:59", false),
            ("0001-01-01T00:00:00+23:59", false),
            ("2026-02-30T00:00:00Z", false),
            ("", false),
        ] {
            assert_eq!(
                instant(Some(text), "x").is_ok(),
                accepted,
                "{text:?} accepted: {accepted}"
            );
        }
    }

    #[test]
    fn the_window_saturates_on_the_trusted_side() {
        let far = datetime!(9999-12-31 23:59:59 UTC);
        let window = Window::new(far, Duration::from_secs(3600));
        assert_eq!(window.latest, max());
        assert!(window.earliest < far);

        let near = datetime!(0001-01-01 00:00:00 UTC);
        let ages = Window::new(near, Duration::from_secs(40_000 * 366 * 86_400));
        let min = OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT);
        assert_eq!(ages.before(near), min);
        assert_eq!(ages.accepted_until(far), max());
        // A tolerance too large for `time` is no tolerance, never a panic.
        assert_eq!(Window::new(near, Duration::MAX).earliest, near);
    }
}
