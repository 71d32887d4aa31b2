//! What a creditor has read of the reporting flows, kept by the creditor.
//!
//! PSPs publish revisions of a flow until D+4 and the platform records
//! nothing of what a creditor downloaded, so a daily job must remember it
//! itself: a [`Cursor`] holds, for each PSP's flow, the revision read, and
//! how far publication times have been seen. It serializes with serde (to
//! JSON, a database column) so the job can persist it between runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::FlowSummary;

/// How far back FdR lists flows.
pub const LOOK_BACK: Duration = Duration::days(30);

/// How far before the last publication seen a new listing starts. A flow
/// published in the same instant as the last one read, or written with a
/// slightly earlier time by another node, is still listed; the marks keep
/// it from being read twice.
pub const OVERLAP: Duration = Duration::hours(1);

/// What has been read: per PSP and flow, the revision; and the latest
/// publication time seen.
///
/// ```
/// # use abilita_pagopa::fdr::Cursor;
/// let cursor = Cursor::default();
/// let saved = serde_json::to_string(&cursor)?;
/// let restored: Cursor = serde_json::from_str(&saved)?;
/// assert_eq!(cursor, restored);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The latest publication time among the flows read.
    #[serde(default, with = "optional_rfc3339")]
    seen_up_to: Option<OffsetDateTime>,
    /// PSP, then flow id: the revision read and when it was published.
    #[serde(default)]
    read: BTreeMap<String, BTreeMap<String, Mark>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Mark {
    revision: u64,
    #[serde(with = "rfc3339")]
    published: OffsetDateTime,
}

impl Cursor {
    /// A cursor that has read nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `flow` is new, or a later revision than the one read.
    #[must_use]
    pub fn is_unread(&self, flow: &FlowSummary) -> bool {
        self.read
            .get(&flow.psp_id)
            .and_then(|flows| flows.get(&flow.fdr))
            .is_none_or(|mark| flow.revision > mark.revision)
    }

    /// Records that `flow` (this revision) has been read. Call it once the
    /// flow's payments are stored, then persist the cursor: a crash in
    /// between reads the flow again, never skips it.
    pub fn mark_read(&mut self, flow: &FlowSummary) {
        let mark = self
            .read
            .entry(flow.psp_id.clone())
            .or_default()
            .entry(flow.fdr.clone())
            .or_insert(Mark {
                revision: flow.revision,
                published: flow.published,
            });
        if flow.revision >= mark.revision {
            mark.revision = flow.revision;
            mark.published = flow.published;
        }
        if self.seen_up_to.is_none_or(|seen| flow.published > seen) {
            self.seen_up_to = Some(flow.published);
        }
    }

    /// The lower bound (exclusive) of publication times to list at `now`:
    /// the latest seen less [`OVERLAP`], never before FdR's [`LOOK_BACK`]
    /// (the start of the look-back for a cursor that has read nothing).
    ///
    /// A job that has not run for longer than the look-back cannot list
    /// what was published in between: FdR no longer serves it.
    #[must_use]
    pub fn published_after(&self, now: OffsetDateTime) -> OffsetDateTime {
        let oldest = now.saturating_sub(LOOK_BACK);
        self.seen_up_to
            .map_or(oldest, |seen| seen.saturating_sub(OVERLAP).max(oldest))
    }

    /// Forgets the marks of flows published before what a listing at `now`
    /// can show, so the cursor stays small however long the job runs. A
    /// forgotten flow cannot be listed again, so nothing is read twice.
    pub fn prune(&mut self, now: OffsetDateTime) {
        let after = self.published_after(now);
        for flows in self.read.values_mut() {
            flows.retain(|_, mark| mark.published > after);
        }
        self.read.retain(|_, flows| !flows.is_empty());
    }

    /// How many flows the cursor remembers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.read.values().map(BTreeMap::len).sum()
    }

    /// Whether it remembers none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.read.is_empty()
    }
}

mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub(super) fn serialize<S: Serializer>(
        at: &OffsetDateTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let text = abilita_core::rfc3339_utc(*at)
            .ok_or_else(|| serde::ser::Error::custom("a time beyond the year 9999"))?;
        serializer.serialize_str(&text)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        OffsetDateTime::parse(&text, &Rfc3339).map_err(serde::de::Error::custom)
    }
}

mod optional_rfc3339 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use time::OffsetDateTime;

    #[derive(Serialize, Deserialize)]
    struct Wrap(#[serde(with = "super::rfc3339")] OffsetDateTime);

    #[allow(
        clippy::ref_option,
        reason = "serde's `with` passes the field by reference"
    )]
    pub(super) fn serialize<S: Serializer>(
        at: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        at.map(Wrap).serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        Ok(Option::<Wrap>::deserialize(deserializer)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn flow(fdr: &str, revision: u64, published: OffsetDateTime) -> FlowSummary {
        FlowSummary {
            fdr: fdr.to_owned(),
            psp_id: "88888888888".to_owned(),
            revision,
            published,
            flow_date: published,
        }
    }

    #[test]
    fn a_later_revision_is_unread_an_earlier_one_is_not() {
        let at = datetime!(2026-11-30 10:00 UTC);
        let mut cursor = Cursor::new();
        assert!(cursor.is_unread(&flow("f", 1, at)));
        cursor.mark_read(&flow("f", 2, at));
        assert!(!cursor.is_unread(&flow("f", 1, at)));
        assert!(!cursor.is_unread(&flow("f", 2, at)));
        assert!(cursor.is_unread(&flow("f", 3, at)));
        // Marking an older revision after a newer one keeps the newer.
        cursor.mark_read(&flow("f", 1, at));
        assert!(!cursor.is_unread(&flow("f", 2, at)));
    }

    #[test]
    fn the_listing_starts_an_overlap_before_the_last_seen_within_the_look_back() {
        let now = datetime!(2026-12-01 06:00 UTC);
        let mut cursor = Cursor::new();
        assert_eq!(cursor.published_after(now), now - LOOK_BACK);
        cursor.mark_read(&flow("f", 1, datetime!(2026-11-30 10:00 UTC)));
        assert_eq!(cursor.published_after(now), datetime!(2026-11-30 09:00 UTC));
        let much_later = datetime!(2027-03-01 06:00 UTC);
        assert_eq!(cursor.published_after(much_later), much_later - LOOK_BACK);
    }

    #[test]
    fn pruning_forgets_only_what_cannot_be_listed_again() {
        let mut cursor = Cursor::new();
        cursor.mark_read(&flow("old", 1, datetime!(2026-10-01 10:00 UTC)));
        cursor.mark_read(&flow("new", 1, datetime!(2026-11-30 10:00 UTC)));
        cursor.prune(datetime!(2026-12-01 06:00 UTC));
        assert_eq!(cursor.len(), 1);
        assert!(!cursor.is_unread(&flow("new", 1, datetime!(2026-11-30 10:00 UTC))));
    }

    #[test]
    fn a_cursor_survives_json() {
        let mut cursor = Cursor::new();
        cursor.mark_read(&flow("f", 2, datetime!(2026-11-30 10:00:00.5 UTC)));
        let json = serde_json::to_string(&cursor).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Cursor>(&json).ok(), Some(cursor));
    }
}
