//! The institution's rate limit shared by several processes, on Redis
//! (feature `redis`).
//!
//! IO counts at most N requests in any window of the institution's period,
//! over all its services and keys. Each process asks Redis for a permit
//! before each attempt: a Lua script keeps the admission times of the last
//! period in a sorted set (a sliding log: at most N members, so memory is
//! bounded) and answers either "go" or how long until the oldest leaves the
//! window. Time is Redis's own (`TIME`), so the processes' clocks do not
//! matter. The connection is abilita-core's (`redis_connection`), as for
//! abilita-spid's shared login state.

use std::hash::{BuildHasher, Hasher};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::ConnectionManager;

/// The key prefix of the sliding logs.
const PREFIX: &str = "abilita:io:rate:";

/// Admits the request (0) or says how many microseconds to wait.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(period / 1000) + 1)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + period - now)
";

/// Redis failed or was not reachable: no permit was given.
#[derive(Debug, thiserror::Error)]
#[error("the shared rate limit's Redis failed")]
pub struct SharedLimitError(#[source] redis::RedisError);

/// A sliding-log rate limit in Redis.
pub(crate) struct RedisRateLimit {
    connection: ConnectionManager,
    key: String,
    requests: u32,
    period_us: u64,
    /// Makes this process's log entries unique among all processes.
    nonce: u64,
    counter: AtomicU64,
    script: redis::Script,
}

impl std::fmt::Debug for RedisRateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimit")
            .field("key", &self.key)
            .field("requests", &self.requests)
            .field("period_us", &self.period_us)
            .finish_non_exhaustive()
    }
}

impl RedisRateLimit {
    pub(crate) async fn connect(
        url: &str,
        institution: &str,
        requests: NonZeroU32,
        period: Duration,
    ) -> Result<Self, SharedLimitError> {
        let connection = abilita_core::redis_connection::connect(url)
            .await
            .map_err(SharedLimitError)?;
        Ok(Self {
            connection,
            key: format!("{PREFIX}{institution}"),
            requests: requests.get(),
            period_us: u64::try_from(period.as_micros()).unwrap_or(u64::MAX),
            nonce: std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish(),
            counter: AtomicU64::new(0),
            script: redis::Script::new(ACQUIRE),
        })
    }

    /// Waits until Redis gives a permit.
    pub(crate) async fn acquire(&self) -> Result<(), SharedLimitError> {
        loop {
            let member = format!(
                "{:016x}-{}",
                self.nonce,
                self.counter.fetch_add(1, Ordering::Relaxed)
            );
            let wait_us: u64 = self
                .script
                .key(&self.key)
                .arg(self.requests)
                .arg(self.period_us)
                .arg(member)
                .invoke_async(&mut self.connection.clone())
                .await
                .map_err(SharedLimitError)?;
            if wait_us == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_micros(wait_us.min(self.period_us))).await;
        }
    }
}
