//! Fault injection shared by the simulators: the failures a client must
//! survive, on demand and reproducibly.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use wiremock::ResponseTemplate;

/// Faults a simulator injects before (or, for lost responses, after) it
/// handles a request. All settings can change while the simulator runs.
#[derive(Debug)]
pub struct Faults {
    state: Mutex<Settings>,
    throttle_burst: AtomicU32,
    lose_next: AtomicU32,
}

#[derive(Debug)]
struct Settings {
    server_error_share: f64,
    latency: Duration,
    rng: fastrand::Rng,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer 429 without handling the request.
    Throttle,
    /// Answer 503 without handling the request.
    ServerError,
    /// Handle the request, then answer so late that the client gives up.
    LoseResponse,
}

/// How long a "lost" response is held back: longer than any sane client
/// timeout, short enough that test servers shut down promptly.
pub const LOST_RESPONSE_DELAY: Duration = Duration::from_secs(30);

impl Default for Faults {
    fn default() -> Self {
        Self::seeded(0x5eed)
    }
}

impl Faults {
    /// No faults; `seed` fixes the random draws of [`Faults::set_server_error_share`].
    #[must_use]
    pub fn seeded(seed: u64) -> Self {
        Self {
            state: Mutex::new(Settings {
                server_error_share: 0.0,
                latency: Duration::ZERO,
                rng: fastrand::Rng::with_seed(seed),
            }),
            throttle_burst: AtomicU32::new(0),
            lose_next: AtomicU32::new(0),
        }
    }

    /// The share (0.0 to 1.0) of requests answered 503 without being handled.
    pub fn set_server_error_share(&self, share: f64) {
        self.with(|s| s.server_error_share = share.clamp(0.0, 1.0));
    }

    /// Extra latency on every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.with(|s| s.latency = latency);
    }

    /// Answers the next `count` requests with 429.
    pub fn throttle_next(&self, count: u32) {
        self.throttle_burst.store(count, Ordering::SeqCst);
    }

    /// Handles the next `count` requests but holds their answers back for
    /// [`LOST_RESPONSE_DELAY`], as if the network lost them.
    pub fn lose_next_responses(&self, count: u32) {
        self.lose_next.store(count, Ordering::SeqCst);
    }

    pub(crate) fn draw(&self) -> Option<Fault> {
        let take = |counter: &AtomicU32| {
            counter
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        };
        if take(&self.throttle_burst) {
            return Some(Fault::Throttle);
        }
        if take(&self.lose_next) {
            return Some(Fault::LoseResponse);
        }
        self.with(|s| {
            (s.server_error_share > 0.0 && s.rng.f64() < s.server_error_share)
                .then_some(Fault::ServerError)
        })
    }

    pub(crate) fn delay(&self, response: ResponseTemplate) -> ResponseTemplate {
        let latency = self.with(|s| s.latency);
        if latency.is_zero() {
            response
        } else {
            response.set_delay(latency)
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Settings) -> T) -> T {
        f(&mut crate::lock(&self.state))
    }
}
