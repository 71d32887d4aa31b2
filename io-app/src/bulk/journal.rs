//! The append-only journal that makes bulk sending resumable.
//!
//! One JSON line per event. Before a message is posted, a `started` line is
//! written (and flushed to the operating system, or synced to disk with
//! [`BulkOptions::fsync`](super::BulkOptions::fsync)); after, the outcome.
//! After a crash or Ctrl-C, a row with `started` and no outcome may or may
//! not have reached IO: it is reported as unknown, never resent silently.
//! The journal holds codici fiscali: keep it where the municipality keeps
//! its other personal data.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Event {
    /// About to post the row's message.
    Started { row: u64, fingerprint: u64 },
    /// IO accepted the message.
    Sent {
        row: u64,
        fiscal_code: String,
        message_id: String,
    },
    /// Not sent, for good: invalid row, not registered, refused.
    Failed { row: u64, reason: String },
    /// Not sent, but a later run may try again (IO failed or throttled).
    Deferred { row: u64, reason: String },
    /// Posted, outcome unknown (timeout, lost answer, interrupted run).
    Unknown { row: u64, reason: String },
}

/// What the journal says of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowState {
    /// Posted, no outcome recorded: the run stopped mid-send.
    Interrupted { fingerprint: u64 },
    /// A final outcome.
    Done(Outcome),
    /// Worth another try.
    Deferred,
}

/// A row's final outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Accepted by IO.
    Sent {
        /// The recipient.
        fiscal_code: String,
        /// IO's id of the message.
        message_id: String,
    },
    /// Not sent.
    Failed {
        /// Why.
        reason: String,
    },
    /// May or may not have been delivered.
    Unknown {
        /// Why it is unknown.
        reason: String,
    },
}

/// Why the journal could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Reading or writing the file failed.
    #[error("the journal could not be read or written")]
    Io(#[from] std::io::Error),
    /// A line is not a journal event (another file, or a corrupt one).
    #[error("line {line} of the journal is not a journal event")]
    Corrupt {
        /// 1-based line.
        line: usize,
    },
}

pub(crate) struct Journal {
    file: File,
    fsync: bool,
}

impl Journal {
    /// Opens (or creates) the journal and replays it into each row's state.
    ///
    /// A crash can cut the last line short; that event did not happen (a
    /// `started` line is complete before its message is posted), so the
    /// partial line is cut off. Any other unreadable line is corruption.
    pub(crate) fn open(
        path: &Path,
        fsync: bool,
    ) -> Result<(Self, HashMap<u64, RowState>), JournalError> {
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        let mut rows = HashMap::new();
        let mut reader = BufReader::new(&file);
        let (mut line, mut complete_len, mut number) = (Vec::new(), 0u64, 0);
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line)?;
            if read == 0 || line.last() != Some(&b'\n') {
                break;
            }
            number += 1;
            let event = serde_json::from_slice::<Event>(&line)
                .map_err(|_| JournalError::Corrupt { line: number })?;
            apply(&mut rows, event);
            complete_len += read as u64;
        }
        drop(reader);
        if file.metadata()?.len() != complete_len {
            file.set_len(complete_len)?;
        }
        Ok((Self { file, fsync }, rows))
    }

    /// Appends an event; `Started` is synced when asked, since it guards the send.
    pub(crate) fn record(&mut self, event: &Event) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        if self.fsync && matches!(event, Event::Started { .. }) {
            self.file.sync_data()?;
        }
        Ok(())
    }
}

fn apply(rows: &mut HashMap<u64, RowState>, event: Event) {
    let (row, state) = match event {
        Event::Started { row, fingerprint } => (row, RowState::Interrupted { fingerprint }),
        Event::Sent {
            row,
            fiscal_code,
            message_id,
        } => (
            row,
            RowState::Done(Outcome::Sent {
                fiscal_code,
                message_id,
            }),
        ),
        Event::Failed { row, reason } => (row, RowState::Done(Outcome::Failed { reason })),
        Event::Deferred { row, .. } => (row, RowState::Deferred),
        Event::Unknown { row, reason } => (row, RowState::Done(Outcome::Unknown { reason })),
    };
    rows.insert(row, state);
}
