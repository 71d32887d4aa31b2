//! Test helpers for abilita and for the tests of applications that use it
//! (feature `test-util`).

#[allow(
    clippy::panic,
    reason = "test support states its assumptions by panicking"
)]
pub mod redis_server;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

use crate::clock::{BoxFuture, Clock};

/// A clock that only moves when told to, or when something sleeps on it.
///
/// `sleep` returns at once, advances the clock by the requested duration and
/// records it, so tests can assert on backoff waits without waiting.
///
/// ```
/// use abilita_core::{Clock, testing::ManualClock};
/// use std::time::Duration;
///
/// # tokio_test_block_on(async {
/// let clock = ManualClock::new(time::macros::datetime!(2026-11-26 09:00 UTC));
/// clock.sleep(Duration::from_secs(2)).await;
/// assert_eq!(clock.sleeps(), vec![Duration::from_secs(2)]);
/// assert_eq!(clock.now(), time::macros::datetime!(2026-11-26 09:00:02 UTC));
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    now: OffsetDateTime,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock standing at `start`.
    #[must_use]
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                now: start,
                sleeps: Vec::new(),
            })),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: time::Duration) {
        self.with(|s| s.now += by);
    }

    /// Every wait requested so far, in order.
    #[must_use]
    pub fn sleeps(&self) -> Vec<Duration> {
        self.with(|s| s.sleeps.clone())
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A panic in another test thread must not hide this test's result.
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.with(|s| s.now)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.with(|s| {
            s.sleeps.push(duration);
            s.now += duration;
        });
        Box::pin(std::future::ready(()))
    }
}
