//! Login state shared by several SP instances, on Redis (feature `redis`):
//! the replay cache ([`ReplayCache`]) and the sessions ([`SessionStore`]).
//!
//! With the pending login in the browser's sealed cookie, these two are all
//! the server-side state a SPID login has; give every instance the same
//! [`RedisStore`] prefix, the same Redis and the same
//! [`StateKey`](crate::cookie::StateKey), and a login started on one
//! instance finishes on any other, a replay is refused on all of them, and
//! an IdP's logout reaching one closes the sessions made on all.
//!
//! The connection is abilita-core's (`redis_connection`): redis-rs's
//! `ConnectionManager`, which reconnects by itself after Redis restarts;
//! each command waits at most [`COMMAND_TIMEOUT`].
//!
//! # When Redis is away, or restarts
//! - While Redis cannot be reached, every call fails with
//!   [`StoreError::Backend`]: logins are refused (`LoginError::Store`, a
//!   503 page), pages behind a login answer 503. Nothing is accepted
//!   without its check; nothing panics.
//! - A Redis restarted **without persistence** has forgotten everything:
//!   citizens are logged out (their cookies name no session), and the
//!   replay records are gone. A Response replayed after that is still
//!   refused unless it comes from the very browser that started its login
//!   (the sealed login cookie binds it) and within the few minutes of its
//!   validity. Run Redis with `appendonly yes` to keep both across
//!   restarts.
//!
//! # Keys
//! Under the prefix (default `abilita-spid:`): `replay:{kind}:{id}` (until
//! the message could no longer be accepted), `session:{id}` (the session's
//! JSON, until it expires) and `subject:{len}:{idp}:{name_id}` (the ids of
//! that citizen's sessions, until the last one expires). Every key
//! expires by itself.

use ::redis::aio::ConnectionManager;
use async_trait::async_trait;
use time::OffsetDateTime;

use crate::session::{Session, SessionId, SessionStore, subject_key};
use crate::state::{ReplayCache, StoreError};

pub use abilita_core::redis_connection::COMMAND_TIMEOUT;

/// The key prefix unless [`RedisStore::with_prefix`] says otherwise.
pub const DEFAULT_PREFIX: &str = "abilita-spid:";

/// The replay cache and the session store on one Redis. Cheap to clone
/// (the connection is shared).
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn backend(error: ::redis::RedisError) -> StoreError {
    StoreError::Backend(Box::new(error))
}

/// Milliseconds from `now` to `until`, at least 1 (Redis refuses an expiry
/// of 0).
fn millis_until(until: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let nanos = until
        .unix_timestamp_nanos()
        .saturating_sub(now.unix_timestamp_nanos());
    let millis = nanos.checked_div(1_000_000).unwrap_or(0);
    i64::try_from(millis).unwrap_or(i64::MAX).max(1)
}

/// Adds a session and its id to the citizen's set, whose expiry is pushed
/// to the session's if later.
const INSERT_SESSION: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
local ttl = redis.call('PTTL', KEYS[2])
if ttl < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1
";

/// Deletes every session of a citizen's set, then the set; how many
/// sessions were live.
const REMOVE_SUBJECT: &str = r"
local ids = redis.call('SMEMBERS', KEYS[1])
local removed = 0
for _, id in ipairs(ids) do
  removed = removed + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
return removed
";

impl RedisStore {
    /// Connects to `url` (`redis://host:6379/0`, with `user:password@`
    /// when Redis wants them), with [`DEFAULT_PREFIX`].
    ///
    /// # Errors
    /// The URL is not one, or Redis cannot be reached now: a deployment
    /// learns at start-up, not at the first login.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let connection = abilita_core::redis_connection::connect(url)
            .await
            .map_err(backend)?;
        Ok(Self {
            connection,
            prefix: DEFAULT_PREFIX.to_owned(),
        })
    }

    /// Another key prefix: one per SP when several share a Redis.
    #[must_use]
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }
}

#[async_trait]
impl ReplayCache for RedisStore {
    async fn first_use(
        &self,
        id: &str,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        // SET NX is the atomic "record unless present".
        let set: Option<String> = ::redis::cmd("SET")
            .arg(self.key("replay", id))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(millis_until(until, now))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend)?;
        Ok(set.is_some())
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn insert(&self, id: &SessionId, session: &Session) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(session).map_err(|error| StoreError::Backend(Box::new(error)))?;
        let identity = &session.identity;
        let _: i64 = ::redis::Script::new(INSERT_SESSION)
            .key(self.key("session", id.as_str()))
            .key(self.key("subject", &subject_key(&identity.idp, &identity.name_id)))
            .arg(json)
            .arg(millis_until(session.expires_at, session.opened_at))
            .arg(id.as_str())
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn get(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        let json: Option<String> = ::redis::cmd("GET")
            .arg(self.key("session", id.as_str()))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend)?;
        let Some(json) = json else {
            return Ok(None);
        };
        let session: Session =
            serde_json::from_str(&json).map_err(|error| StoreError::Backend(Box::new(error)))?;
        Ok((session.expires_at > now).then_some(session))
    }

    async fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        // The id stays in its citizen's set until the set expires: deleting
        // a missing session there is harmless.
        let _: i64 = ::redis::cmd("DEL")
            .arg(self.key("session", id.as_str()))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn remove_subject(&self, idp: &str, name_id: &str) -> Result<usize, StoreError> {
        let removed: i64 = ::redis::Script::new(REMOVE_SUBJECT)
            .key(self.key("subject", &subject_key(idp, name_id)))
            .arg(self.key("session", ""))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(backend)?;
        Ok(usize::try_from(removed).unwrap_or(0))
    }
}
