//! Date-times as the platforms' JSON carries them: RFC 3339 in UTC.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// `at` in UTC as RFC 3339 (`2026-12-31T23:59:59Z`), or `None` when UTC
/// cannot write it: RFC 3339 has four-digit years, so
/// `9999-12-31T23:59:59-12:00` (year 10000 in UTC) has no form. Callers
/// refuse such a value with a typed error before any I/O, rather than
/// fail (or, with an unchecked conversion, panic) while writing a body.
///
/// ```
/// use time::macros::datetime;
/// assert_eq!(
///     abilita_core::rfc3339_utc(datetime!(2026-12-31 23:59:59 +01:00)).as_deref(),
///     Some("2026-12-31T22:59:59Z")
/// );
/// assert_eq!(abilita_core::rfc3339_utc(datetime!(9999-12-31 23:59:59 -12:00)), None);
/// ```
#[must_use]
pub fn rfc3339_utc(at: OffsetDateTime) -> Option<String> {
    let utc = at.checked_to_offset(UtcOffset::UTC)?;
    if !(0..=9999).contains(&utc.year()) {
        return None;
    }
    utc.format(&Rfc3339).ok()
}
