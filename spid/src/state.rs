//! What a login remembers: the pending login (the request sent and where to
//! go afterwards), which travels sealed in the browser's cookie
//! ([`crate::cookie`]), and the message ids already accepted (the replay
//! cache), the one piece of login state the server keeps.
//!
//! The replay cache is a dyn-safe async trait so that a deployment with
//! several instances can plug a shared store (a database, Redis); the
//! in-memory default is bounded in size and time. When full it refuses
//! rather than evicts: evicting a remembered id would reopen it to replay.
//! Only messages an IdP signed reach it, so an anonymous caller cannot fill
//! it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use abilita_core::{InvalidInput, lock};
use async_trait::async_trait;
use time::OffsetDateTime;

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
            let rule = "must be at most 2048 bytes";
            let found = path.len();
            return Err(InvalidInput::new(
                "return_path",
                abilita_core::Length { rule, found },
            ));
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
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`): sealed by `ServiceProvider::login_cookie` for requests the app sent"
)]
pub struct PendingLogin {
    /// The AuthnRequest, as the Response is checked against it.
    pub request: PendingRequest,
    /// Where the citizen goes once logged in.
    pub return_path: ReturnPath,
}

/// The replay cache failed (a shared store's connection, or a full
/// in-memory one).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The in-memory store holds its maximum of live entries.
    #[error("the {0} is full")]
    Full(&'static str),
    /// A shared store's own failure.
    #[error("the replay cache failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Message ids already accepted: assertions, the AuthnRequests they
/// answered, IdPs' LogoutRequests. The ids come from different messages,
/// so [`ServiceProvider`](crate::ServiceProvider) prefixes each with its
/// kind (`assertion:`, `authn-request:`, `logout-request:`,
/// `logout-response-to:`).
#[async_trait]
pub trait ReplayCache: Send + Sync {
    /// Records `id` until `until`; `false` when it was already recorded
    /// and still live (a replay). Must be atomic: two calls with the same
    /// id at once give one `true`.
    async fn first_use(
        &self,
        id: &str,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}

/// Ids with an expiry, purged in expiry order, at most `capacity` live.
#[derive(Debug)]
struct Expiring {
    entries: HashMap<String, OffsetDateTime>,
    by_expiry: BTreeSet<(OffsetDateTime, String)>,
    capacity: usize,
}

impl Expiring {
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

    /// Records `key` unless it is live; `Ok(false)` when it is.
    fn first_use(
        &mut self,
        key: &str,
        expires: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.purge(now);
        if self.entries.contains_key(key) {
            return Ok(false);
        }
        if self.entries.len() >= self.capacity {
            return Err(StoreError::Full("replay cache"));
        }
        self.entries.insert(key.to_owned(), expires);
        self.by_expiry.insert((expires, key.to_owned()));
        Ok(true)
    }
}

/// The in-memory [`ReplayCache`]: one process only.
///
/// Each id is kept exactly until the message could no longer be accepted
/// (its validity plus the clock tolerance): after that validation refuses
/// it anyway, and forgetting it sooner would reopen it to replay. So the
/// bound is in size only.
#[derive(Debug)]
pub struct MemoryReplayCache {
    inner: Mutex<Expiring>,
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
    /// 100,000 ids: SPID messages live minutes, so this is far above the
    /// logins a municipality sees in their lifetime.
    fn default() -> Self {
        Self::new(100_000)
    }
}

#[async_trait]
impl ReplayCache for MemoryReplayCache {
    async fn first_use(
        &self,
        id: &str,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        lock(&self.inner).first_use(id, until, now)
    }
}
