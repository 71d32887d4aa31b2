//! GPD's date-times on the wire.
//!
//! Requests carry RFC 3339 in UTC (`2026-12-31T23:59:59Z`). GPD is a Java
//! service storing `LocalDateTime`s, and its answers may come without an
//! offset (`2026-12-31T23:59:59.123`): those are read as UTC, the zone GPD's
//! own examples use. The spec says only `format: date-time`.

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Serialises as RFC 3339 in UTC.
pub(crate) fn serialize<S: Serializer>(
    value: &OffsetDateTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    // Checked: a value the validators let through by mistake is an error
    // here, never a panic.
    let text = abilita_core::rfc3339_utc(*value)
        .ok_or_else(|| serde::ser::Error::custom("a date-time beyond RFC 3339's years in UTC"))?;
    serializer.serialize_str(&text)
}

/// Reads RFC 3339, or a date-time without offset as UTC.
pub(crate) fn parse(text: &str) -> Option<OffsetDateTime> {
    if let Ok(value) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(value);
    }
    let naive = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(text, naive)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// The same, for optional fields.
pub(crate) mod option {
    use super::{Deserialize, Deserializer, OffsetDateTime, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        match Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)? {
            Some(text) => super::parse(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("expected an ISO 8601 date-time")),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use time::macros::datetime;

    #[test]
    fn reads_offsets_and_naive_utc() {
        assert_eq!(
            parse("2026-12-31T23:59:59Z"),
            Some(datetime!(2026-12-31 23:59:59 UTC))
        );
        assert_eq!(
            parse("2026-12-31T23:59:59+01:00"),
            Some(datetime!(2026-12-31 22:59:59 UTC))
        );
        assert_eq!(
            parse("2026-12-31T23:59:59.5"),
            Some(datetime!(2026-12-31 23:59:59.5 UTC))
        );
        assert_eq!(
            parse("2026-12-31T23:59:59"),
            Some(datetime!(2026-12-31 23:59:59 UTC))
        );
        assert_eq!(parse("31/12/2026"), None);
    }
}
