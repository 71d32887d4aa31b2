//! The login and logout state the browser carries: sealed cookies.
//!
//! Between the redirect to the IdP and the Response, the SP must remember
//! which request it sent, for whom, and where to go afterwards. It keeps
//! none of it: the pending login is sealed (AES-256-GCM, a server-side
//! [`StateKey`], an expiry inside the sealed text) into a cookie set on the
//! browser that starts the login, and the ACS requires that cookie back.
//!
//! # What this gives, and against whom
//! - **Login CSRF and stolen Responses.** A Response (with its RelayState)
//!   posted from another browser carries no cookie, or one sealed for
//!   another login: it is refused ([`crate::LoginError::NoPendingLogin`],
//!   [`crate::LoginError::RelayStateMismatch`]). A captured Response works
//!   nowhere but in the browser that asked for it.
//! - **Floods.** `/login` stores nothing on the server, so no number of
//!   anonymous calls can fill memory or lock citizens out; what a flood
//!   gets is cookies, one per call, each useless without a Response the IdP
//!   signed for it.
//! - **Several instances** need no shared memory for logins, only the same
//!   [`StateKey`] (and a shared replay cache, [`crate::state::ReplayCache`]).
//! - **Tampering and forgery.** Without the key a cookie can be neither read
//!   (the return path stays private) nor changed nor made; one sealed for
//!   another SP, or for logout, does not open as a login.
//! - **Reuse.** A cookie could be posted again with another Response until
//!   it expires; the request ID it holds is recorded in the replay cache at
//!   the first successful login, so it completes one login at most.
//!
//! What it does not do: a browser holds one pending login at a time (a
//! second `/login` in another tab replaces the first, whose Response is
//! then refused as a mismatch); and anyone who can read the browser's
//! cookies (malware, a shared unlocked computer) can finish the login it
//! started, as with any session cookie.
//!
//! # The cookies
//! On an `https://` SP: `__Host-abilita-spid-login` (and `…-logout` for a
//! SP-initiated logout), `Path=/; Secure; HttpOnly; SameSite=None` — `None`
//! because the IdP posts the Response cross-site, `__Host-` so that no
//! sibling domain can plant one. On a loopback `http://` SP (local tests
//! only; [`ServiceProvider::new`](crate::ServiceProvider::new) refuses any
//! other `http://`) the same cookies lose the prefix and `Secure`, which
//! browsers refuse without TLS, and take `SameSite=Lax`: the test IdP must
//! then be on the same loopback host name. Apps that wire their own routes
//! send [`StateCookie::set_cookie`] with the redirect and pass the cookie's
//! value back ([`cookie_value`]).

use std::fmt;
use std::time::Duration;

use abilita_core::InvalidInput;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use time::OffsetDateTime;

use crate::authn::Comparison;
use crate::config::SpidLevel;
use crate::logout::PendingLogout;
use crate::response::PendingRequest;
use crate::state::{PendingLogin, ReturnPath};

/// How long a login or a logout may take at the IdP: an IdP's own login
/// page times out sooner.
pub const STATE_TTL: Duration = Duration::from_secs(600);

/// The key that seals the state cookies: 32 bytes, shared by every instance
/// of one SP, kept secret like a session-signing key. Its `Debug` prints
/// nothing of it.
pub struct StateKey(LessSafeKey);

impl StateKey {
    /// A fresh random key: right for one instance; several instances behind
    /// one address need the same key ([`from_base64`](Self::from_base64)).
    ///
    /// # Errors
    /// When the system has no random source.
    pub fn generate() -> Result<Self, InvalidInput> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| InvalidInput::new("state_key", "the system has no random source"))?;
        Self::from_bytes(&bytes)
    }

    /// A fresh random key as standard base64, for
    /// [`from_base64`](Self::from_base64) on every instance (what
    /// `openssl rand -base64 32` prints).
    ///
    /// # Errors
    /// When the system has no random source.
    pub fn generate_base64() -> Result<String, InvalidInput> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| InvalidInput::new("state_key", "the system has no random source"))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// A key from its 32 bytes.
    ///
    /// # Errors
    /// Any other length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, InvalidInput> {
        let refuse = || InvalidInput::new("state_key", "exactly 32 bytes (AES-256-GCM)");
        if bytes.len() != 32 {
            return Err(refuse());
        }
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| refuse())?;
        Ok(Self(LessSafeKey::new(key)))
    }

    /// A key from the standard base64 of its 32 bytes (an environment
    /// variable: `openssl rand -base64 32`).
    ///
    /// # Errors
    /// Not base64, or not 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, InvalidInput> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| InvalidInput::new("state_key", "the base64 of 32 bytes"))?;
        Self::from_bytes(&bytes)
    }
}

impl fmt::Debug for StateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StateKey([redacted])")
    }
}

/// What a state cookie holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Login,
    Logout,
    /// A citizen's session ([`crate::session`]), when it lives in the
    /// cookie itself.
    Session,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Login => b"abilita-spid login v1",
            Self::Logout => b"abilita-spid logout v1",
            Self::Session => b"abilita-spid session v1",
        }
    }

    fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Self::Login, true) => "__Host-abilita-spid-login",
            (Self::Login, false) => "abilita-spid-login",
            (Self::Logout, true) => "__Host-abilita-spid-logout",
            (Self::Logout, false) => "abilita-spid-logout",
            (Self::Session, true) => "__Host-abilita-spid-session",
            (Self::Session, false) => "abilita-spid-session",
        }
    }

    /// `None` for the login and logout state, which the IdP's cross-site
    /// POST must carry back; `Lax` for the session, so that no other site
    /// can send a request (a logout form, say) in the citizen's name.
    fn same_site(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Self::Login | Self::Logout, true) => "None",
            _ => "Lax",
        }
    }
}

/// A state cookie to set on the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateCookie {
    purpose: Purpose,
    name: &'static str,
    value: String,
    secure: bool,
    max_age: u64,
}

impl StateCookie {
    /// Its name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its value (the sealed state, base64url).
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The `Set-Cookie` header value that sets it.
    #[must_use]
    pub fn set_cookie(&self) -> String {
        attributes(self.purpose, &self.value, self.max_age, self.secure)
    }

    /// The `Set-Cookie` header value that removes it.
    #[must_use]
    pub fn clear(&self) -> String {
        clear_cookie(self.purpose, self.secure)
    }
}

/// The `Set-Cookie` header value that removes the cookie of `purpose`.
pub(crate) fn clear_cookie(purpose: Purpose, secure: bool) -> String {
    attributes(purpose, "", 0, secure)
}

fn attributes(purpose: Purpose, value: &str, max_age: u64, secure: bool) -> String {
    let name = purpose.name(secure);
    let same_site = purpose.same_site(secure);
    let secure = if secure { "Secure; " } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; {secure}SameSite={same_site}")
}

/// The value of the cookie `name` in a `Cookie` request header (`a=1; b=2`).
#[must_use]
pub fn cookie_value<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(n, value)| (n == name).then_some(value))
}

/// Why a state cookie was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CookieError {
    /// It does not open with this SP's key for this purpose: forged,
    /// altered, sealed by another SP or under a key since replaced.
    #[error("the state cookie is not one this SP sealed")]
    NotSealedHere,
    /// Sealed here, but more than [`STATE_TTL`] ago.
    #[error("the state cookie expired")]
    Expired,
}

/// Seals and opens state cookies for one SP (its entity id is bound into
/// every seal).
pub(crate) struct Sealer<'a> {
    pub(crate) key: &'a StateKey,
    pub(crate) entity_id: &'a str,
    pub(crate) secure: bool,
}

impl Sealer<'_> {
    fn aad(&self, purpose: Purpose) -> Vec<u8> {
        let mut aad = purpose.label().to_vec();
        aad.push(0);
        aad.extend_from_slice(self.entity_id.as_bytes());
        aad
    }

    /// `plain` leads with its expiry ([`Writer::put_instant`]), which
    /// also sets the cookie's `Max-Age`.
    fn seal(&self, purpose: Purpose, plain: Vec<u8>, max_age: u64) -> StateCookie {
        let mut nonce = [0u8; NONCE_LEN];
        // Without a random source the nonce would repeat: the cookie is then
        // left empty, and the login fails at the ACS instead of weakening
        // the seal.
        let value = aws_lc_rs::rand::fill(&mut nonce)
            .ok()
            .and_then(|()| {
                let mut in_out = plain;
                let aad = Aad::from(self.aad(purpose));
                let sealed = Nonce::assume_unique_for_key(nonce);
                self.key
                    .0
                    .seal_in_place_append_tag(sealed, aad, &mut in_out)
                    .ok()?;
                let mut wire = nonce.to_vec();
                wire.append(&mut in_out);
                Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(wire))
            })
            .unwrap_or_default();
        StateCookie {
            purpose,
            name: purpose.name(self.secure),
            value,
            secure: self.secure,
            max_age,
        }
    }

    /// The plain fields, after the expiry that leads them.
    fn open(
        &self,
        purpose: Purpose,
        value: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, CookieError> {
        // A login's state is a few hundred bytes, a session a few KB at most
        // (browsers keep 4 KB a cookie); anything larger was not sealed here
        // and is not worth decoding.
        if value.len() > 8 * 1024 {
            return Err(CookieError::NotSealedHere);
        }
        let wire = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(value)
            .map_err(|_| CookieError::NotSealedHere)?;
        let (nonce, sealed) = wire
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(CookieError::NotSealedHere)?;
        let mut in_out = sealed.to_vec();
        let plain = self
            .key
            .0
            .open_in_place(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(self.aad(purpose)),
                &mut in_out,
            )
            .map_err(|_| CookieError::NotSealedHere)?;
        let mut fields = Reader(plain);
        let expires = fields.instant().ok_or(CookieError::NotSealedHere)?;
        if expires <= now {
            return Err(CookieError::Expired);
        }
        Ok(fields.rest().to_vec())
    }

    /// The cookie that carries `login`, with the RelayState sent to the IdP.
    pub(crate) fn seal_login(
        &self,
        login: &PendingLogin,
        relay_state: &str,
        now: OffsetDateTime,
    ) -> StateCookie {
        let request = &login.request;
        let mut fields = Writer::default();
        fields.put_instant(expiry(now));
        fields.put(relay_state.as_bytes());
        fields.put(request.id.as_bytes());
        fields.put(request.idp_entity_id.as_bytes());
        fields.put_instant(request.issued_at);
        fields.put(&[
            level_byte(request.level),
            comparison_byte(request.comparison),
        ]);
        fields.put(login.return_path.as_str().as_bytes());
        self.seal(Purpose::Login, fields.0, STATE_TTL.as_secs())
    }

    /// The pending login and its RelayState.
    pub(crate) fn open_login(
        &self,
        value: &str,
        now: OffsetDateTime,
    ) -> Result<(PendingLogin, String), CookieError> {
        let plain = self.open(Purpose::Login, value, now)?;
        let mut fields = Reader(&plain);
        let read = |fields: &mut Reader<'_>| -> Option<(PendingLogin, String)> {
            let relay_state = fields.text()?;
            let id = fields.text()?;
            let idp_entity_id = fields.text()?;
            let issued_at = fields.instant()?;
            let &[level, comparison] = fields.take()? else {
                return None;
            };
            let request = PendingRequest {
                id,
                idp_entity_id,
                issued_at,
                level: level_of(level)?,
                comparison: comparison_of(comparison)?,
            };
            let return_path = ReturnPath::new(&fields.text()?).ok()?;
            Some((
                PendingLogin {
                    request,
                    return_path,
                },
                relay_state,
            ))
        };
        read(&mut fields).ok_or(CookieError::NotSealedHere)
    }

    /// The cookie that carries an SP-initiated logout.
    pub(crate) fn seal_logout(
        &self,
        logout: &PendingLogout,
        relay_state: &str,
        now: OffsetDateTime,
    ) -> StateCookie {
        let mut fields = Writer::default();
        fields.put_instant(expiry(now));
        fields.put(relay_state.as_bytes());
        fields.put(logout.id.as_bytes());
        fields.put(logout.idp_entity_id.as_bytes());
        fields.put_instant(logout.issued_at);
        self.seal(Purpose::Logout, fields.0, STATE_TTL.as_secs())
    }

    /// The pending logout and its RelayState.
    pub(crate) fn open_logout(
        &self,
        value: &str,
        now: OffsetDateTime,
    ) -> Result<(PendingLogout, String), CookieError> {
        let plain = self.open(Purpose::Logout, value, now)?;
        let mut fields = Reader(&plain);
        let read = |fields: &mut Reader<'_>| -> Option<(PendingLogout, String)> {
            let relay_state = fields.text()?;
            let logout = PendingLogout {
                id: fields.text()?,
                idp_entity_id: fields.text()?,
                issued_at: fields.instant()?,
            };
            Some((logout, relay_state))
        };
        read(&mut fields).ok_or(CookieError::NotSealedHere)
    }

    /// The cookie that carries a session's bytes until `expires`.
    pub(crate) fn seal_session(
        &self,
        session: &[u8],
        expires: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StateCookie {
        let mut fields = Writer::default();
        fields.put_instant(expires);
        fields.0.extend_from_slice(session);
        let seconds = expires
            .unix_timestamp()
            .saturating_sub(now.unix_timestamp());
        let max_age = u64::try_from(seconds).unwrap_or(0);
        self.seal(Purpose::Session, fields.0, max_age)
    }

    /// A cookie of `purpose` holding `value` as it is (a session id, which
    /// opens nothing without the store), for `ttl`.
    pub(crate) fn plain_cookie(
        &self,
        purpose: Purpose,
        value: &str,
        ttl: time::Duration,
    ) -> StateCookie {
        StateCookie {
            purpose,
            name: purpose.name(self.secure),
            value: value.to_owned(),
            secure: self.secure,
            max_age: u64::try_from(ttl.whole_seconds()).unwrap_or(0),
        }
    }

    /// A session's bytes, while it has not expired.
    pub(crate) fn open_session(
        &self,
        value: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, CookieError> {
        self.open(Purpose::Session, value, now)
    }

    /// The name of the cookie for `purpose`.
    pub(crate) fn name(&self, purpose: Purpose) -> &'static str {
        purpose.name(self.secure)
    }
}

pub(crate) fn expiry(now: OffsetDateTime) -> OffsetDateTime {
    time::Duration::try_from(STATE_TTL).map_or(now, |ttl| now.saturating_add(ttl))
}

fn level_byte(level: SpidLevel) -> u8 {
    match level {
        SpidLevel::L1 => 1,
        SpidLevel::L2 => 2,
        SpidLevel::L3 => 3,
    }
}

fn level_of(byte: u8) -> Option<SpidLevel> {
    [SpidLevel::L1, SpidLevel::L2, SpidLevel::L3]
        .into_iter()
        .find(|level| level_byte(*level) == byte)
}

fn comparison_byte(comparison: Comparison) -> u8 {
    match comparison {
        Comparison::Exact => 0,
        Comparison::Minimum => 1,
        Comparison::Better => 2,
        Comparison::Maximum => 3,
    }
}

fn comparison_of(byte: u8) -> Option<Comparison> {
    [
        Comparison::Exact,
        Comparison::Minimum,
        Comparison::Better,
        Comparison::Maximum,
    ]
    .into_iter()
    .find(|comparison| comparison_byte(*comparison) == byte)
}

/// Writes length-prefixed fields (two bytes, big-endian): the sealed
/// text's shape.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn put(&mut self, bytes: &[u8]) {
        // Every field is bounded far below 64 KB (a ReturnPath at 2 KB, ids
        // and entity ids from our own requests and registry); a longer one
        // is cut, and then fails to open as text rather than shift fields.
        let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0
            .extend_from_slice(bytes.get(..usize::from(len)).unwrap_or(bytes));
    }

    fn put_instant(&mut self, at: OffsetDateTime) {
        self.put(&at.unix_timestamp_nanos().to_be_bytes());
    }
}

/// Reads a [`Writer`]'s fields back; `None` past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        let (field, rest) = rest.split_at_checked(len)?;
        self.0 = rest;
        Some(field)
    }

    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.take()?.to_vec()).ok()
    }

    fn instant(&mut self) -> Option<OffsetDateTime> {
        let nanos = i128::from_be_bytes(self.take()?.try_into().ok()?);
        OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
    }

    fn rest(&self) -> &'a [u8] {
        self.0
    }
}
