//! When and how long to wait before trying a request again.
//!
//! Written here rather than taken from `backon` or `reqwest-retry` because the
//! decision needs three things those crates do not combine: the core's
//! [`ErrorClass`](crate::ErrorClass), whether the request is safe to repeat
//! (see [`ApiRequest::retry_safe`](crate::ApiRequest::retry_safe)), and the
//! platforms' own hint headers, all measured on the injected
//! [`Clock`](crate::Clock). The arithmetic itself is a few lines.

use std::time::Duration;

use http::{HeaderMap, HeaderName};
use time::OffsetDateTime;

/// The retry rules of a transport: exponential backoff with full jitter, a
/// cap on attempts and a total time budget.
///
/// Wait before attempt *n + 1* = a random duration in
/// `1 ms..=min(max_delay, base_delay × 2^(n-1))` ("full jitter", which spreads
/// clients that failed together), unless the server named a wait
/// (`Retry-After`, or a hint header the platform crate registered), which is
/// then used as given. The loop stops when the attempts are used up, or when
/// the next wait would end past the budget, counted from the first attempt.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) budget: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms base, 10 s cap, 60 s budget.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            budget: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is attempted once.
    #[must_use]
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The number of attempts in all, first included (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff's upper bound; it doubles at each attempt.
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The cap of a backoff wait.
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The total time, from the first attempt, after which no wait starts.
    #[must_use]
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// The full-jitter backoff before the attempt after `attempt` (1-based):
    /// at least 1 ms unless the policy's delays are zero, so a backoff
    /// always yields (a draw of 0 would retry at once, as `RetryNow` does).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        if ceiling_ms == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(fastrand::u64(1..=ceiling_ms))
    }
}

/// The server's requested wait, from the first of `names` present and
/// readable: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), the latter
/// measured against `now` (a date in the past means "now").
pub(crate) fn server_hint(
    headers: &HeaderMap,
    names: &[HeaderName],
    now: OffsetDateTime,
) -> Option<Duration> {
    names
        .iter()
        .filter_map(|name| headers.get(name)?.to_str().ok())
        .find_map(|value| parse_hint(value.trim(), now))
}

fn parse_hint(value: &str, now: OffsetDateTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = OffsetDateTime::from(httpdate::parse_http_date(value).ok()?);
    Some(Duration::try_from(at - now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-26 09:00:00 UTC);

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn hint_reads_seconds_and_http_dates() {
        let names = [HeaderName::from_static("retry-after")];
        let hint = |v| server_hint(&headers(&[("retry-after", v)]), &names, NOW);
        assert_eq!(hint("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            hint("Thu, 26 Nov 2026 09:00:30 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(hint("Thu, 26 Nov 2026 08:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(hint("soon"), None);
        assert_eq!(hint("-3"), None);
    }

    #[test]
    fn hint_headers_are_read_in_order_and_unreadable_ones_skipped() {
        let names = [
            HeaderName::from_static("x-rate-limit-retry-after"),
            HeaderName::from_static("retry-after"),
        ];
        let both = headers(&[("x-rate-limit-retry-after", "7"), ("retry-after", "1")]);
        assert_eq!(
            server_hint(&both, &names, NOW),
            Some(Duration::from_secs(7))
        );
        let bad_first = headers(&[("x-rate-limit-retry-after", "x"), ("retry-after", "1")]);
        assert_eq!(
            server_hint(&bad_first, &names, NOW),
            Some(Duration::from_secs(1))
        );
        assert_eq!(server_hint(&HeaderMap::new(), &names, NOW), None);
    }

    #[test]
    fn backoff_is_full_jitter_under_a_doubling_cap() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(350));
        for _ in 0..200 {
            assert!(
                policy.backoff(1) >= Duration::from_millis(1),
                "a backoff yields"
            );
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(2) <= Duration::from_millis(200));
            assert!(policy.backoff(3) <= Duration::from_millis(350));
            assert!(policy.backoff(40) <= Duration::from_millis(350));
        }
        // Jitter really spreads the waits (200 draws all equal would be a bug).
        let draws: std::collections::HashSet<_> = (0..200).map(|_| policy.backoff(3)).collect();
        assert!(draws.len() > 10);
        let immediate = RetryPolicy::default().base_delay(Duration::ZERO);
        assert_eq!(immediate.backoff(1), Duration::ZERO);
    }
}
