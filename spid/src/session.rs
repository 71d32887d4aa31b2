//! The citizen's session after a login: where it lives, how long it lasts,
//! and how an IdP's logout closes it.
//!
//! [`Sessions`] is the one entry point, framework-neutral (the `axum`
//! feature's [`crate::router`] uses it, an app with its own routes calls it
//! the same way). It keeps a session in one of two places:
//!
//! - **In the browser's cookie** ([`Sessions::sealed_cookie`], the default):
//!   the [`Session`] sealed with the SP's [`StateKey`](crate::cookie::StateKey)
//!   (AES-256-GCM, its expiry inside the sealed text). No server state, so
//!   several instances need only the same key. The limit: an IdP's logout
//!   closes the session only in the browser that brings the IdP's
//!   LogoutRequest (its cookie is cleared in the answer); a copy of the
//!   cookie taken earlier stays valid until it expires. Keep the lifetime
//!   short, or use a store.
//! - **In a [`SessionStore`]** ([`Sessions::store`]): the cookie carries only
//!   a random [`SessionId`], so an IdP's logout closes every session of that
//!   citizen at that IdP wherever it is ([`Sessions::close_subject`]). The
//!   crate has a bounded in-memory store ([`MemorySessionStore`], one
//!   instance) and, with the `redis` feature, a shared one
//!   ([`crate::redis::RedisStore`]).
//!
//! Either way the cookie is `HttpOnly`, `SameSite=Lax` (no other site can
//! send a form in the citizen's name), and on `https://` `Secure` with the
//! `__Host-` prefix. A session lasts [`DEFAULT_SESSION_TTL`] unless the app
//! sets another ([`Sessions::with_ttl`]); it is never extended, so a stolen
//! cookie has a bounded life.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abilita_core::lock;
use async_trait::async_trait;
use base64::Engine as _;
use time::OffsetDateTime;

use crate::config::ServiceProvider;
use crate::cookie::{Purpose, cookie_value};
use crate::response::Identity;
use crate::state::StoreError;

/// How long a session lasts unless [`Sessions::with_ttl`] says otherwise:
/// one hour, about what Italian public portals give.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(3600);

/// The largest sealed cookie [`Sessions::sealed_cookie`] sets: browsers keep
/// 4096 bytes a cookie, name and attributes included.
const MAX_COOKIE_VALUE: usize = 3800;

/// A citizen's session: who, and for how long.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Session {
    /// The citizen, as the IdP asserted them.
    pub identity: Identity,
    /// When the login completed.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// When the session ends, whatever happens in between.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl Session {
    /// A session for `identity` opened at `opened_at`, lasting `ttl`.
    #[must_use]
    pub fn new(identity: Identity, opened_at: OffsetDateTime, ttl: Duration) -> Self {
        let ttl = time::Duration::try_from(ttl).unwrap_or(time::Duration::ZERO);
        Self {
            identity,
            opened_at,
            expires_at: opened_at.saturating_add(ttl),
        }
    }
}

/// A session's id in a [`SessionStore`]: 32 random bytes, base64url. Its
/// `Debug` prints nothing of it (it opens the session).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// A fresh random id.
    ///
    /// # Errors
    /// [`SessionError::NoRandom`] when the system has no random source.
    pub fn generate() -> Result<Self, SessionError> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| SessionError::NoRandom)?;
        Ok(Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// The id a browser's cookie holds, when it has the shape of one (43
    /// base64url characters): anything else is not looked up.
    #[must_use]
    pub fn from_cookie(value: &str) -> Option<Self> {
        let shaped = value.len() == 43
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        shaped.then(|| Self(value.to_owned()))
    }

    /// The id, as the cookie and the store hold it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId([redacted])")
    }
}

/// Why a session could not be opened, read or closed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The session store failed.
    #[error("the session store failed")]
    Store(#[from] StoreError),
    /// The sealed session is larger than a browser keeps in a cookie (an
    /// IdP released many long attributes): use a [`SessionStore`].
    #[error(
        "the session is {bytes} bytes sealed, more than the {MAX_COOKIE_VALUE} a cookie can carry; keep sessions in a SessionStore"
    )]
    TooLargeForCookie {
        /// The sealed size.
        bytes: usize,
    },
    /// The system has no random source for the session id.
    #[error("the system has no random source")]
    NoRandom,
}

/// Where sessions live when not in the cookie: by id, and by the IdP and
/// NameID that opened them, for the IdP's logout.
///
/// Implementations must expire sessions at [`Session::expires_at`] on
/// their own (a store that cannot must not return an expired one).
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Keeps `session` under `id` until its `expires_at`.
    async fn insert(&self, id: &SessionId, session: &Session) -> Result<(), StoreError>;

    /// The live session `id`, if any.
    async fn get(&self, id: &SessionId, now: OffsetDateTime)
    -> Result<Option<Session>, StoreError>;

    /// Forgets the session `id` (nothing happens when there is none).
    async fn remove(&self, id: &SessionId) -> Result<(), StoreError>;

    /// Forgets every session that `idp` opened for `name_id`; how many.
    async fn remove_subject(&self, idp: &str, name_id: &str) -> Result<usize, StoreError>;
}

/// Where a [`Sessions`] keeps them.
#[derive(Clone)]
enum Place {
    Cookie,
    Store(Arc<dyn SessionStore>),
}

/// The citizen's sessions: opened at login, read on each request, closed at
/// logout. Cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    place: Place,
    ttl: Duration,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = match self.place {
            Place::Cookie => "sealed cookie",
            Place::Store(_) => "store",
        };
        f.debug_struct("Sessions")
            .field("place", &place)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl Default for Sessions {
    fn default() -> Self {
        Self::sealed_cookie()
    }
}

impl Sessions {
    /// Sessions sealed in the browser's cookie (see the module's docs for
    /// what that gives up).
    #[must_use]
    pub fn sealed_cookie() -> Self {
        Self {
            place: Place::Cookie,
            ttl: DEFAULT_SESSION_TTL,
        }
    }

    /// Sessions in `store`, the cookie holding only their id.
    #[must_use]
    pub fn store(store: Arc<dyn SessionStore>) -> Self {
        Self {
            place: Place::Store(store),
            ttl: DEFAULT_SESSION_TTL,
        }
    }

    /// Another lifetime.
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The name of the session cookie of `sp`.
    #[must_use]
    pub fn cookie_name(sp: &ServiceProvider) -> &'static str {
        sp.sealer().name(Purpose::Session)
    }

    /// Opens a session for `identity`; the `Set-Cookie` value to send with
    /// the answer to the login.
    ///
    /// # Errors
    /// The store failed, or the sealed session does not fit a cookie.
    pub async fn open(
        &self,
        sp: &ServiceProvider,
        identity: Identity,
        now: OffsetDateTime,
    ) -> Result<String, SessionError> {
        let session = Session::new(identity, now, self.ttl);
        let ttl = time::Duration::try_from(self.ttl).unwrap_or(time::Duration::ZERO);
        let sealer = sp.sealer();
        match &self.place {
            Place::Cookie => {
                // A Session always serialises: every field is a string, a
                // map of strings or an instant in range.
                let bytes = serde_json::to_vec(&session).unwrap_or_default();
                let cookie = sealer.seal_session(&bytes, session.expires_at, now);
                let size = cookie.value().len();
                if size > MAX_COOKIE_VALUE {
                    return Err(SessionError::TooLargeForCookie { bytes: size });
                }
                Ok(cookie.set_cookie())
            }
            Place::Store(store) => {
                let id = SessionId::generate()?;
                store.insert(&id, &session).await?;
                let cookie = sealer.plain_cookie(Purpose::Session, id.as_str(), ttl);
                Ok(cookie.set_cookie())
            }
        }
    }

    /// The live session the request's `Cookie` header names, if any. A
    /// cookie that was not sealed here, has expired or names no session is
    /// no session, not an error.
    ///
    /// # Errors
    /// The store failed.
    pub async fn current(
        &self,
        sp: &ServiceProvider,
        cookie_header: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, SessionError> {
        let Some(value) = cookie_value(cookie_header, Self::cookie_name(sp)) else {
            return Ok(None);
        };
        match &self.place {
            Place::Cookie => Ok(sp
                .sealer()
                .open_session(value, now)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Session>(&bytes).ok())
                .filter(|session| session.expires_at > now)),
            Place::Store(store) => match SessionId::from_cookie(value) {
                Some(id) => Ok(store
                    .get(&id, now)
                    .await?
                    .filter(|session| session.expires_at > now)),
                None => Ok(None),
            },
        }
    }

    /// Closes the session the request's `Cookie` header names; the
    /// `Set-Cookie` value that clears the cookie.
    ///
    /// # Errors
    /// The store failed (the cookie is then left as it is, so that the
    /// citizen can try again).
    pub async fn close(
        &self,
        sp: &ServiceProvider,
        cookie_header: &str,
    ) -> Result<String, SessionError> {
        if let Place::Store(store) = &self.place {
            let value = cookie_value(cookie_header, Self::cookie_name(sp));
            if let Some(id) = value.and_then(SessionId::from_cookie) {
                store.remove(&id).await?;
            }
        }
        Ok(self.clear_cookie(sp))
    }

    /// Closes every session `idp` opened for `name_id` (an IdP's logout);
    /// how many were in the store. With sealed cookies there is nothing to
    /// close on the server: `0`, and the answer to the IdP clears the cookie
    /// of the browser that brought the request ([`clear_cookie`](Self::clear_cookie)).
    ///
    /// # Errors
    /// The store failed.
    pub async fn close_subject(&self, idp: &str, name_id: &str) -> Result<usize, SessionError> {
        match &self.place {
            Place::Cookie => Ok(0),
            Place::Store(store) => Ok(store.remove_subject(idp, name_id).await?),
        }
    }

    /// The `Set-Cookie` value that clears the session cookie.
    #[must_use]
    pub fn clear_cookie(&self, sp: &ServiceProvider) -> String {
        crate::cookie::clear_cookie(Purpose::Session, sp.sealer().secure)
    }
}

/// The subject key of a session: the IdP and the NameID, which only
/// together name a citizen's login (NameIDs are the IdP's own).
pub(crate) fn subject_key(idp: &str, name_id: &str) -> String {
    // Length-prefixed: entity ids hold colons.
    format!("{}:{idp}:{name_id}", idp.len())
}

/// The default capacity of a [`MemorySessionStore`].
pub const DEFAULT_SESSION_CAPACITY: usize = 100_000;

/// Sessions in this process's memory: one instance only, lost on restart.
///
/// Bounded: only a citizen whose login an IdP signed can open a session, but
/// a store must still not grow without limit; when full it refuses new
/// sessions ([`StoreError::Full`]) rather than end others'.
#[derive(Debug)]
pub struct MemorySessionStore {
    inner: Mutex<Memory>,
}

#[derive(Debug)]
struct Memory {
    sessions: HashMap<SessionId, Session>,
    by_subject: HashMap<String, HashSet<SessionId>>,
    by_expiry: BTreeSet<(OffsetDateTime, String)>,
    capacity: usize,
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_SESSION_CAPACITY)
    }
}

impl MemorySessionStore {
    /// A store of at most `capacity` live sessions.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Memory {
                sessions: HashMap::new(),
                by_subject: HashMap::new(),
                by_expiry: BTreeSet::new(),
                capacity,
            }),
        }
    }

    /// How many sessions it holds (expired ones included until purged).
    #[must_use]
    pub fn len(&self) -> usize {
        lock(&self.inner).sessions.len()
    }

    /// Whether it holds none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Memory {
    fn forget(&mut self, id: &SessionId) {
        if let Some(session) = self.sessions.remove(id) {
            let identity = &session.identity;
            let key = subject_key(&identity.idp, &identity.name_id);
            if let Some(ids) = self.by_subject.get_mut(&key) {
                ids.remove(id);
                if ids.is_empty() {
                    self.by_subject.remove(&key);
                }
            }
            self.by_expiry
                .remove(&(session.expires_at, id.as_str().to_owned()));
        }
    }

    fn purge(&mut self, now: OffsetDateTime) {
        while let Some((expires, _)) = self.by_expiry.first() {
            if *expires > now {
                break;
            }
            if let Some((_, id)) = self.by_expiry.pop_first() {
                self.forget(&SessionId(id));
            }
        }
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn insert(&self, id: &SessionId, session: &Session) -> Result<(), StoreError> {
        let mut memory = lock(&self.inner);
        memory.purge(session.opened_at);
        if memory.sessions.len() >= memory.capacity {
            return Err(StoreError::Full("session store"));
        }
        memory.forget(id);
        let identity = &session.identity;
        memory
            .by_subject
            .entry(subject_key(&identity.idp, &identity.name_id))
            .or_default()
            .insert(id.clone());
        memory
            .by_expiry
            .insert((session.expires_at, id.as_str().to_owned()));
        memory.sessions.insert(id.clone(), session.clone());
        Ok(())
    }

    async fn get(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        let mut memory = lock(&self.inner);
        memory.purge(now);
        Ok(memory.sessions.get(id).cloned())
    }

    async fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        lock(&self.inner).forget(id);
        Ok(())
    }

    async fn remove_subject(&self, idp: &str, name_id: &str) -> Result<usize, StoreError> {
        let mut memory = lock(&self.inner);
        let ids = memory
            .by_subject
            .remove(&subject_key(idp, name_id))
            .unwrap_or_default();
        for id in &ids {
            memory.forget(id);
        }
        Ok(ids.len())
    }
}
