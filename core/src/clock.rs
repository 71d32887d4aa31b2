//! Injectable time: the current instant and the ability to wait.
//!
//! The transport's backoff waits and time budget, and the SAML and JWT time
//! checks of the platform crates, all read time through [`Clock`]. Production
//! code uses [`SystemClock`]; tests use `testing::ManualClock` (feature
//! `test-util`), whose `sleep` returns at once, moves its time forward and
//! records the wait, so a test of a 30-second backoff runs in microseconds.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use time::OffsetDateTime;

/// A boxed, sendable future, as returned by [`Clock::sleep`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A source of time. Object-safe, so it is shared as `Arc<dyn Clock>`.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> OffsetDateTime;

    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The real clock, sleeping on the tokio timer.
#[derive(Debug, Clone, Copy, Default)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a unit struct: the system clock has no state"
)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}
