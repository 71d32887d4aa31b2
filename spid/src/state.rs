//! What an SP remembers between the redirect to the IdP and the Response:
//! the pending logins (each answered at most once) and the assertion ids
//! already accepted (the replay cache).
//!
//! Both are dyn-safe async traits so that a deployment with several
//! instances can plug a shared store (a database, Redis); the in-memory
//! defaults are bounded in size and time. When full, they refuse rather than
//! evict: evicting a pending login would let a flood of `/login` calls cancel
//! citizens' logins silently, and evicting a remembered assertion would
//! reopen it to replay.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use abilita_core::InvalidInput;
use async_trait::async_trait;
use time::OffsetDateTime;

use crate::logout::PendingLogout;
use crate::response::PendingRequest;

/// A local path to send the citizen back to after login.
///
/// Only a path of this site is accepted (`/…`, not `//host`, no scheme, no
/// backslash, no control character), so the RelayState can never become an
/// open redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnPath(String);

impl ReturnPath {
    /// Checks `path`.
    ///
    /// # Errors
    /// [`InvalidInput`] on `return_path` when it is not a local path.
    pub fn new(path: &str) -> Result<Self, InvalidInput> {
        let refuse = |why: &'static str| InvalidInput::new("return_path", why);
        if !path.starts_with('/') {
            return Err(refuse("must start with /"));
        }
        if path.starts_with("//") || path.contains('\\') {
            return Err(refuse("must not name another host"));
        }
        if path.chars().any(char::is_control) {
            return Err(refuse("must not hold control characters"));
        }
        if path.len() > 2048 {
            return Err(refuse("must be at most 2048 bytes"));
        }
        Ok(Self(path.to_owned()))
    }

    /// The path.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ReturnPath {
    /// The site's root.
    fn default() -> Self {
        Self("/".to_owned())
    }
}

/// A login in progress: the request sent and where to go afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogin {
    /// The AuthnRequest, as the Response is checked against it.
    pub request: PendingRequest,
    /// Where the citizen goes once logged in.
    pub return_path: ReturnPath,
}

/// A store failed (a shared store's connection, or a full in-memory one).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The in-memory store holds its maximum of live entries.
    #[error("the {0} is full")]
    Full(&'static str),
    /// A shared store's own failure.
    #[error("the login state store failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Pending logins, keyed by the opaque RelayState sent with the request.
#[async_trait]
pub trait PendingStore: Send + Sync {
    /// Keeps `login` under `relay_state` until the store's time to live.
    async fn put(
        &self,
        relay_state: &str,
        login: PendingLogin,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Removes and returns the login under `relay_state`, if still live:
    /// a login is answered at most once.
    async fn take(
        &self,
        relay_state: &str,
        now: OffsetDateTime,
    ) -> Result<Option<PendingLogin>, StoreError>;
}

/// Assertion ids already accepted.
#[async_trait]
pub trait ReplayCache: Send + Sync {
    /// Records `assertion_id` until `until`; `false` when it was already
    /// recorded and still live (a replay).
    async fn first_use(
        &self,
        assertion_id: &str,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}

/// Entries with an expiry, purged in expiry order, at most `capacity` live.
#[derive(Debug)]
struct Expiring<V> {
    entries: HashMap<String, (OffsetDateTime, V)>,
    by_expiry: BTreeSet<(OffsetDateTime, String)>,
    capacity: usize,
}

impl<V> Expiring<V> {
    fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            by_expiry: BTreeSet::new(),
            capacity,
        }
    }

    fn purge(&mut self, now: OffsetDateTime) {
        while let Some(first) = self.by_expiry.first() {
            if first.0 > now {
                break;
            }
            if let Some((_, key)) = self.by_expiry.pop_first() {
                self.entries.remove(&key);
            }
        }
    }

    fn live(&mut self, key: &str, now: OffsetDateTime) -> bool {
        self.purge(now);
        self.entries.contains_key(key)
    }

    fn insert(
        &mut self,
        key: &str,
        value: V,
        expires: OffsetDateTime,
        now: OffsetDateTime,
        what: &'static str,
    ) -> Result<(), StoreError> {
        self.purge(now);
        if let Some((old, _)) = self.entries.remove(key) {
            self.by_expiry.remove(&(old, key.to_owned()));
        }
        if self.entries.len() >= self.capacity {
            return Err(StoreError::Full(what));
        }
        self.entries.insert(key.to_owned(), (expires, value));
        self.by_expiry.insert((expires, key.to_owned()));
        Ok(())
    }

    fn remove(&mut self, key: &str, now: OffsetDateTime) -> Option<V> {
        self.purge(now);
        let (expires, value) = self.entries.remove(key)?;
        self.by_expiry.remove(&(expires, key.to_owned()));
        Some(value)
    }
}

/// Locks, recovering from a poisoned lock: every mutation above leaves the
/// maps consistent before anything that could panic.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn after(now: OffsetDateTime, ttl: Duration) -> OffsetDateTime {
    time::Duration::try_from(ttl)
        .ok()
        .and_then(|ttl| now.checked_add(ttl))
        .unwrap_or(now)
}

/// The in-memory [`PendingStore`]: one process only.
#[derive(Debug)]
pub struct MemoryPendingStore {
    ttl: Duration,
    inner: Mutex<Expiring<PendingLogin>>,
}

impl MemoryPendingStore {
    /// At most `capacity` logins, each live for `ttl`.
    #[must_use]
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Expiring::new(capacity)),
        }
    }
}

impl Default for MemoryPendingStore {
    /// 10,000 logins of at most 10 minutes: an IdP's own login page times
    /// out sooner, and a few hundred bytes each keep it under 10 MB.
    fn default() -> Self {
        Self::new(10_000, Duration::from_secs(600))
    }
}

#[async_trait]
impl PendingStore for MemoryPendingStore {
    async fn put(
        &self,
        relay_state: &str,
        login: PendingLogin,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let expires = after(now, self.ttl);
        lock(&self.inner).insert(relay_state, login, expires, now, "pending-login store")
    }

    async fn take(
        &self,
        relay_state: &str,
        now: OffsetDateTime,
    ) -> Result<Option<PendingLogin>, StoreError> {
        Ok(lock(&self.inner).remove(relay_state, now))
    }
}

/// The in-memory [`ReplayCache`]: one process only.
///
/// Each id is kept exactly until the assertion's validity ends: after that
/// the validation refuses the assertion anyway, and forgetting it sooner
/// would reopen it to replay. So the bound is in size only.
#[derive(Debug)]
pub struct MemoryReplayCache {
    inner: Mutex<Expiring<()>>,
}

impl MemoryReplayCache {
    /// At most `capacity` live assertion ids.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Expiring::new(capacity)),
        }
    }
}

impl Default for MemoryReplayCache {
    /// 100,000 ids: SPID assertions live minutes, so this is far above the
    /// logins a municipality sees in their lifetime.
    fn default() -> Self {
        Self::new(100_000)
    }
}

#[async_trait]
impl ReplayCache for MemoryReplayCache {
    async fn first_use(
        &self,
        assertion_id: &str,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut inner = lock(&self.inner);
        if inner.live(assertion_id, now) {
            return Ok(false);
        }
        inner.insert(assertion_id, (), until, now, "assertion replay cache")?;
        Ok(true)
    }
}

/// SP-initiated logouts in progress, by RelayState: in memory, as a lost
/// one only costs the citizen a logout page without the IdP's confirmation
/// (the SP session is closed before the IdP is asked).
#[derive(Debug)]
pub(crate) struct PendingLogouts {
    ttl: Duration,
    inner: Mutex<Expiring<PendingLogout>>,
}

impl PendingLogouts {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Expiring::new(capacity)),
        }
    }

    pub(crate) fn put(
        &self,
        relay_state: &str,
        logout: PendingLogout,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let expires = after(now, self.ttl);
        lock(&self.inner).insert(relay_state, logout, expires, now, "pending-logout store")
    }

    pub(crate) fn take(&self, relay_state: &str, now: OffsetDateTime) -> Option<PendingLogout> {
        lock(&self.inner).remove(relay_state, now)
    }
}
