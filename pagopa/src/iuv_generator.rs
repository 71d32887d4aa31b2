//! Fresh notice numbers from a sequence the caller owns.
//!
//! An IUV must never be issued twice by the same creditor. Only the caller
//! knows what is unique across its processes (a database sequence, a row
//! counter per year), so the generator takes its numbers from an
//! [`IuvSequence`] and turns each into an aux-3 notice number with the
//! creditor's segregation code and the mod-93 check digits.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use abilita_core::IdentifierError;

use crate::{NoticeNumber, SegregationCode};

/// A source of numbers that are never handed out twice, such as a database
/// sequence (`SELECT nextval('iuv_seq')`).
pub trait IuvSequence: Send + Sync {
    /// The next number, at most 13 digits.
    fn next_value(&self) -> impl Future<Output = Result<u64, SequenceError>> + Send;
}

/// The sequence could not give a number.
#[derive(Debug, thiserror::Error)]
#[error("the IUV sequence failed")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a newtype built by value: a sequence store wraps its own error"
)]
pub struct SequenceError(#[source] pub Box<dyn std::error::Error + Send + Sync + 'static>);

/// Why no notice number was generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The sequence failed.
    #[error(transparent)]
    Sequence(#[from] SequenceError),
    /// The sequence passed 13 digits: no IUV base is left.
    #[error("the IUV sequence is exhausted")]
    Exhausted(#[source] IdentifierError),
}

/// An in-process sequence, for tests and for a single process that persists
/// its position itself. Two processes must not share a start.
#[derive(Debug)]
pub struct AtomicSequence(AtomicU64);

impl AtomicSequence {
    /// A sequence whose first value is `start`.
    #[must_use]
    pub fn starting_at(start: u64) -> Self {
        Self(AtomicU64::new(start))
    }
}

impl IuvSequence for AtomicSequence {
    async fn next_value(&self) -> Result<u64, SequenceError> {
        Ok(self.0.fetch_add(1, Ordering::Relaxed))
    }
}

/// Generates aux-3 notice numbers for one segregation code.
///
/// ```
/// use abilita_pagopa::{AtomicSequence, IuvGenerator};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let generator = IuvGenerator::new("02".parse().unwrap(), AtomicSequence::starting_at(1_000_000_194));
/// let nav = generator.next_notice_number().await.unwrap();
/// assert_eq!(nav.as_str(), "302000100000019414");
/// # });
/// ```
#[derive(Debug)]
pub struct IuvGenerator<S> {
    segregation: SegregationCode,
    sequence: S,
}

impl<S: IuvSequence> IuvGenerator<S> {
    /// A generator for `segregation` drawing from `sequence`.
    pub fn new(segregation: SegregationCode, sequence: S) -> Self {
        Self {
            segregation,
            sequence,
        }
    }

    /// The next notice number.
    ///
    /// # Errors
    /// The sequence's failure, or [`GenerateError::Exhausted`] past
    /// [`MAX_IUV_BASE`](crate::MAX_IUV_BASE).
    pub async fn next_notice_number(&self) -> Result<NoticeNumber, GenerateError> {
        let value = self.sequence.next_value().await?;
        NoticeNumber::from_iuv_base(&self.segregation, value).map_err(GenerateError::Exhausted)
    }
}
