//! The one way abilita's crates reach a Redis they share state through
//! (feature `redis`): abilita-spid's login state, abilita-io's rate limit.
//!
//! The client is `redis` (redis-rs, the most used Rust client, kept by the
//! Redis organisation) through its `ConnectionManager`, which reconnects by
//! itself after Redis restarts; each command waits at most
//! [`COMMAND_TIMEOUT`], so a Redis that stops answering fails the call
//! instead of holding it.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long one Redis command may take, connecting included.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// Connects to `url` (`redis://host:6379/0`, with `user:password@` when
/// Redis wants them).
///
/// # Errors
/// The URL is not one, or Redis cannot be reached now: a deployment learns
/// at start-up, not at its first request.
pub async fn connect(url: &str) -> Result<ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(COMMAND_TIMEOUT))
        .set_response_timeout(Some(COMMAND_TIMEOUT))
        .set_number_of_retries(2);
    ConnectionManager::new_with_config(client, config).await
}
