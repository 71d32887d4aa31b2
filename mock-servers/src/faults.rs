//! Fault injection shared by the simulators: the failures a client must
//! survive, on demand and reproducibly.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::kit::Reply;

fn count(value: &Value) -> Option<u32> {
    value.as_u64().and_then(|n| u32::try_from(n).ok())
}

fn bad_faults(detail: &str) -> Reply {
    Reply::new(400).json(&json!({ "detail": detail }))
}

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

    /// `POST /__control/{simulator}/faults`: any of `server_error_share`
    /// (0.0 to 1.0), `latency_ms`, `throttle_next`, `lose_next`, applied at
    /// once; a field absent leaves its setting as it is.
    pub(crate) fn configure(&self, body: &[u8]) -> Reply {
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return bad_faults("the body is not a JSON object");
        };
        let share = fields.get("server_error_share").map(Value::as_f64);
        let latency = fields.get("latency_ms").map(Value::as_u64);
        let throttle = fields.get("throttle_next").map(count);
        let lose = fields.get("lose_next").map(count);
        if let Some(unknown) = fields.keys().find(|k| {
            ![
                "server_error_share",
                "latency_ms",
                "throttle_next",
                "lose_next",
            ]
            .contains(&k.as_str())
        }) {
            return bad_faults(&format!("unknown setting {unknown}"));
        }
        if share == Some(None) || share.flatten().is_some_and(|s| !(0.0..=1.0).contains(&s)) {
            return bad_faults("server_error_share must be a number from 0.0 to 1.0");
        }
        if latency == Some(None) || throttle == Some(None) || lose == Some(None) {
            return bad_faults("latency_ms, throttle_next and lose_next must be whole numbers");
        }
        if let Some(share) = share.flatten() {
            self.set_server_error_share(share);
        }
        if let Some(ms) = latency.flatten() {
            self.set_latency(Duration::from_millis(ms));
        }
        if let Some(n) = throttle.flatten() {
            self.throttle_next(n);
        }
        if let Some(n) = lose.flatten() {
            self.lose_next_responses(n);
        }
        Reply::new(204)
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

    pub(crate) fn delay(&self, reply: Reply) -> Reply {
        let latency = self.with(|s| s.latency);
        reply.delayed(latency)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Settings) -> T) -> T {
        f(&mut crate::lock(&self.state))
    }
}
