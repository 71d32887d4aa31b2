//! The delivery report: every row's fate, and the state IO gives each sent
//! message.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use tokio::task::JoinSet;

use super::BulkError;
use super::journal::{Journal, Outcome, RowState};
use crate::client::{IoClient, MessageId};
use crate::model::Recipient;

/// How to poll the sent messages' states.
#[derive(Debug, Clone)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct PollOptions {
    /// Polls per message before its state is reported as it stands.
    pub max_polls: u32,
    /// The wait between polls of one message.
    pub interval: Duration,
}

impl Default for PollOptions {
    /// 10 polls, 30 s apart: IO usually settles a message within seconds.
    fn default() -> Self {
        Self {
            max_polls: 10,
            interval: Duration::from_secs(30),
        }
    }
}

/// Counts of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportSummary {
    /// Rows in the journal.
    pub rows: u64,
    /// Sent messages by the state IO reported (`PROCESSED`, `REJECTED`, …).
    pub by_status: HashMap<String, u64>,
    /// Rows not sent.
    pub failed: u64,
    /// Rows whose delivery is unknown.
    pub unknown: u64,
    /// Rows left for a later run.
    pub pending: u64,
}

pub(super) async fn write(
    client: &IoClient,
    concurrency: usize,
    journal_path: &Path,
    out: impl std::io::Write,
    poll: &PollOptions,
) -> Result<ReportSummary, BulkError> {
    let (_, states) = Journal::open(journal_path, false)?;
    let mut rows: Vec<(u64, RowState)> = states.into_iter().collect();
    rows.sort_unstable_by_key(|(row, _)| *row);
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record(["row", "outcome", "message_id", "status", "reason"])
        .map_err(csv_error)?;
    let mut summary = ReportSummary {
        rows: rows.len() as u64,
        ..ReportSummary::default()
    };
    let mut statuses = poll_all(client, concurrency.max(1), &rows, poll).await;
    for (row, state) in &rows {
        let row_text = row.to_string();
        let record: [&str; 5] = match state {
            RowState::Done(Outcome::Sent { message_id, .. }) => {
                let status = statuses
                    .remove(row)
                    .unwrap_or_else(|| "UNREADABLE".to_owned());
                *summary.by_status.entry(status.clone()).or_default() += 1;
                writer
                    .write_record([row_text.as_str(), "sent", message_id, &status, ""])
                    .map_err(csv_error)?;
                continue;
            }
            RowState::Done(Outcome::Failed { reason }) => {
                summary.failed += 1;
                [&row_text, "failed", "", "", reason]
            }
            RowState::Done(Outcome::Unknown { reason }) => {
                summary.unknown += 1;
                [&row_text, "unknown", "", "", reason]
            }
            RowState::Interrupted { .. } => {
                summary.unknown += 1;
                [
                    &row_text,
                    "unknown",
                    "",
                    "",
                    "the run stopped while sending",
                ]
            }
            RowState::Deferred => {
                summary.pending += 1;
                [
                    &row_text,
                    "pending",
                    "",
                    "",
                    "IO failed or throttled: run the bulk send again",
                ]
            }
        };
        writer.write_record(record).map_err(csv_error)?;
    }
    writer.flush().map_err(BulkError::Report)?;
    Ok(summary)
}

fn csv_error(error: csv::Error) -> BulkError {
    BulkError::Report(std::io::Error::other(error))
}

/// The last known state of every sent message, `concurrency` polls at a time.
async fn poll_all(
    client: &IoClient,
    concurrency: usize,
    rows: &[(u64, RowState)],
    poll: &PollOptions,
) -> HashMap<u64, String> {
    let mut statuses = HashMap::new();
    let mut in_flight = JoinSet::new();
    let sent = rows.iter().filter_map(|(row, state)| match state {
        RowState::Done(Outcome::Sent {
            fiscal_code,
            message_id,
        }) => Some((*row, fiscal_code.clone(), message_id.clone())),
        _ => None,
    });
    for (row, fiscal_code, message_id) in sent {
        while in_flight.len() >= concurrency {
            if let Some(Ok((row, status))) = in_flight.join_next().await {
                statuses.insert(row, status);
            }
        }
        let (client, poll) = (client.clone(), poll.clone());
        in_flight.spawn(async move {
            (
                row,
                poll_one(&client, &fiscal_code, &message_id, &poll).await,
            )
        });
    }
    while let Some(joined) = in_flight.join_next().await {
        if let Ok((row, status)) = joined {
            statuses.insert(row, status);
        }
    }
    statuses
}

async fn poll_one(
    client: &IoClient,
    fiscal_code: &str,
    message_id: &str,
    poll: &PollOptions,
) -> String {
    // The journal holds the code exactly as sent, sandbox code included.
    let recipient = match Recipient::parse(fiscal_code) {
        Ok(recipient) => recipient,
        Err(_) if fiscal_code == crate::model::IO_SANDBOX_FISCAL_CODE => Recipient::io_sandbox(),
        Err(_) => return "UNREADABLE".to_owned(),
    };
    let Ok(id) = MessageId::new(message_id) else {
        return "UNREADABLE".to_owned();
    };
    let mut last = "UNREADABLE".to_owned();
    for attempt in 0..poll.max_polls.max(1) {
        if attempt > 0 {
            client.clock().sleep(poll.interval).await;
        }
        match client.message(&recipient, &id).await {
            Ok(state) => {
                last = serde_json::to_value(state.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                if state.status.is_final() {
                    break;
                }
            }
            Err(error) => last = format!("UNREADABLE: {error}"),
        }
    }
    last
}
