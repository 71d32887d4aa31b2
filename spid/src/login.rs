//! A login's two halves: [`ServiceProvider::start_login`] (the request, an
//! opaque RelayState, and the pending login sealed in a cookie for the
//! browser) and [`ServiceProvider::finish_login`] (the cookie required back
//! and matched with the RelayState, the Response validated against the
//! request it holds, the request and the assertion each used once).
//!
//! The RelayState is a random token, never the return URL itself: the
//! return path travels sealed in the cookie ([`ReturnPath`]). Why a cookie
//! and not a server-side store, and what an attacker can do to it, is in
//! [`crate::cookie`].

use std::time::Duration;

use time::OffsetDateTime;

use crate::authn::{AuthnOptions, fresh_id};
use crate::config::ServiceProvider;
use crate::cookie::{CookieError, Purpose, StateCookie};
use crate::dsig::TrustedKey;
use crate::instants::Window;
use crate::response::{Expectations, Identity, ResponseError};
use crate::state::{PendingLogin, ReplayCache, ReturnPath, StoreError};

/// The IdP a login goes to.
#[derive(Debug, Clone, Copy)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct IdpTarget<'a> {
    /// Its entity id (the Response's Issuer).
    pub entity_id: &'a str,
    /// Its HTTP-Redirect SingleSignOnService location.
    pub sso_url: &'a str,
}

/// A login started: send the browser to `redirect_url` with `cookie` set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginStart {
    /// The IdP's SSO URL with the signed AuthnRequest (HTTP-Redirect).
    pub redirect_url: String,
    /// The pending login, sealed: `Set-Cookie` it on the same response.
    pub cookie: StateCookie,
}

/// What the citizen's browser posts to the ACS, and the cookie it sends.
#[derive(Debug, Clone, Copy)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`): what an adapter read from the request"
)]
pub struct AcsForm<'a> {
    /// The `SAMLResponse` field (base64).
    pub saml_response: &'a str,
    /// The `RelayState` field.
    pub relay_state: &'a str,
    /// The value of the login cookie
    /// ([`ServiceProvider::login_cookie_name`]), if the browser sent it.
    pub login_cookie: Option<&'a str>,
}

/// A completed login.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Login {
    /// Who logged in.
    pub identity: Identity,
    /// Where to send them.
    pub return_path: ReturnPath,
}

/// Why a login could not be completed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The browser sent no login cookie: the Response was posted from a
    /// browser that did not start this login (login CSRF, a captured
    /// Response), or cookies are blocked.
    #[error("no login was started in this browser")]
    NoPendingLogin,
    /// The login cookie was not accepted.
    #[error("the browser's login state was refused")]
    PendingLogin(#[from] CookieError),
    /// The browser's pending login is not the one the RelayState names: a
    /// Response for another login (or another tab's) was posted.
    #[error("the RelayState is not the one of this browser's login")]
    RelayStateMismatch,
    /// The Response was refused.
    #[error("the Response was refused")]
    Response(#[from] ResponseError),
    /// The request was already answered by a successful login.
    #[error("the login request was already answered")]
    ReplayedRequest,
    /// The assertion was already accepted once.
    #[error("the assertion was already used")]
    ReplayedAssertion,
    /// The replay cache failed.
    #[error("the replay cache failed")]
    Store(#[from] StoreError),
}

impl ServiceProvider {
    /// Starts a login at `idp`: the HTTP-Redirect URL to send the citizen
    /// to, and the cookie that binds the login to their browser.
    ///
    /// A level below the SP's [`min_level`](Self::min_level) is raised to
    /// it: the floor binds every login, whatever the caller asked.
    #[must_use]
    pub fn start_login(
        &self,
        idp: IdpTarget<'_>,
        options: &AuthnOptions,
        return_path: ReturnPath,
        now: OffsetDateTime,
    ) -> LoginStart {
        let options = AuthnOptions {
            level: options.level.max(self.min_level),
            ..options.clone()
        };
        let request = self.authn_request(idp.sso_url, &options, now);
        let relay_state = fresh_id();
        let login = PendingLogin {
            request: request.pending(idp.entity_id),
            return_path,
        };
        LoginStart {
            redirect_url: self.redirect_url(&request, &relay_state),
            cookie: self.login_cookie(&login, &relay_state, now),
        }
    }

    /// The login cookie for a request the app sent itself (by HTTP-POST,
    /// say: [`post_form`](Self::post_form)) under `relay_state`: set it on
    /// the response that carries the request.
    #[must_use]
    pub fn login_cookie(
        &self,
        login: &PendingLogin,
        relay_state: &str,
        now: OffsetDateTime,
    ) -> StateCookie {
        self.sealer().seal_login(login, relay_state, now)
    }

    /// The name of the login cookie (it depends on whether the SP is
    /// served over TLS: see [`crate::cookie`]).
    #[must_use]
    pub fn login_cookie_name(&self) -> &'static str {
        self.sealer().name(Purpose::Login)
    }

    /// Completes a login from the ACS form and the browser's login cookie.
    ///
    /// `idp_keys` gives the signing keys of the IdP the login went to. The
    /// request's ID and the assertion's ID are recorded in `replay` on
    /// success, so neither the cookie nor the Response completes a second
    /// login.
    ///
    /// # Errors
    /// A [`LoginError`]; show [`crate::UserAnomaly::message`] for
    /// [`ResponseError::Anomaly`].
    pub async fn finish_login(
        &self,
        form: AcsForm<'_>,
        replay: &dyn ReplayCache,
        idp_keys: &(dyn Fn(&str) -> Vec<TrustedKey> + Sync),
        now: OffsetDateTime,
        clock_skew: Duration,
    ) -> Result<Login, LoginError> {
        let cookie = form.login_cookie.ok_or(LoginError::NoPendingLogin)?;
        let (login, relay_state) = self.sealer().open_login(cookie, now)?;
        if relay_state != form.relay_state {
            return Err(LoginError::RelayStateMismatch);
        }
        let keys = idp_keys(&login.request.idp_entity_id);
        let expect = Expectations {
            request: &login.request,
            idp_keys: &keys,
            now,
            clock_skew,
        };
        let identity = self.validate_response(form.saml_response, &expect)?;
        let window = Window::new(now, clock_skew);
        // The cookie opens until its expiry, which is at most this far
        // from the request's instant.
        let request_until = window.accepted_until(crate::cookie::expiry(login.request.issued_at));
        let request_key = format!("authn-request:{}", login.request.id);
        if !replay.first_use(&request_key, request_until, now).await? {
            return Err(LoginError::ReplayedRequest);
        }
        let assertion_key = format!("assertion:{}", identity.assertion_id);
        let assertion_until = window.accepted_until(identity.valid_until);
        if !replay
            .first_use(&assertion_key, assertion_until, now)
            .await?
        {
            return Err(LoginError::ReplayedAssertion);
        }
        Ok(Login {
            identity,
            return_path: login.return_path,
        })
    }
}
