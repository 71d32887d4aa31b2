//! A login's two halves around the stores: [`ServiceProvider::start_login`]
//! (request, opaque RelayState, pending entry) and
//! [`ServiceProvider::finish_login`] (pending entry taken once, Response
//! validated against it, assertion id checked against replay).
//!
//! The RelayState is a random token, never the return URL itself: the
//! return path lives server-side in the pending entry ([`ReturnPath`]).

use std::time::Duration;

use time::OffsetDateTime;

use crate::authn::{AuthnOptions, fresh_id};
use crate::config::ServiceProvider;
use crate::dsig::TrustedKey;
use crate::response::{Expectations, Identity, ResponseError};
use crate::state::{PendingLogin, PendingStore, ReplayCache, ReturnPath, StoreError};

/// The IdP a login goes to.
#[derive(Debug, Clone, Copy)]
pub struct IdpTarget<'a> {
    /// Its entity id (the Response's Issuer).
    pub entity_id: &'a str,
    /// Its HTTP-Redirect SingleSignOnService location.
    pub sso_url: &'a str,
}

/// What the citizen's browser posts to the ACS.
#[derive(Debug, Clone, Copy)]
pub struct AcsForm<'a> {
    /// The `SAMLResponse` field (base64).
    pub saml_response: &'a str,
    /// The `RelayState` field.
    pub relay_state: &'a str,
}

/// A completed login.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// No live pending login under the RelayState: expired, already
    /// answered, or never issued here.
    #[error("no pending login for this RelayState")]
    UnknownRelayState,
    /// The Response was refused.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// The assertion was already accepted once.
    #[error("the assertion was already used")]
    ReplayedAssertion,
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceProvider {
    /// Starts a login at `idp`: returns the HTTP-Redirect URL to send the
    /// citizen to, after keeping the pending login under a fresh RelayState.
    ///
    /// # Errors
    /// The store's.
    pub async fn start_login(
        &self,
        pending: &dyn PendingStore,
        idp: IdpTarget<'_>,
        options: &AuthnOptions,
        return_path: ReturnPath,
        now: OffsetDateTime,
    ) -> Result<String, StoreError> {
        let request = self.authn_request(idp.sso_url, options, now);
        let relay_state = fresh_id();
        let login = PendingLogin {
            request: request.pending(idp.entity_id),
            return_path,
        };
        pending.put(&relay_state, login, now).await?;
        Ok(self.redirect_url(&request, &relay_state))
    }

    /// Completes a login from the ACS form. The pending login is consumed
    /// whatever the outcome, so a Response can be tried only once.
    ///
    /// `idp_keys` gives the signing keys of the IdP the login went to.
    ///
    /// # Errors
    /// A [`LoginError`]; show [`crate::UserAnomaly::message`] for
    /// [`ResponseError::Anomaly`].
    pub async fn finish_login(
        &self,
        form: AcsForm<'_>,
        pending: &dyn PendingStore,
        replay: &dyn ReplayCache,
        idp_keys: &(dyn Fn(&str) -> Vec<TrustedKey> + Sync),
        now: OffsetDateTime,
        clock_skew: Duration,
    ) -> Result<Login, LoginError> {
        let login = pending
            .take(form.relay_state, now)
            .await?
            .ok_or(LoginError::UnknownRelayState)?;
        let keys = idp_keys(&login.request.idp_entity_id);
        let expect = Expectations {
            request: &login.request,
            idp_keys: &keys,
            now,
            clock_skew,
        };
        let identity = self.validate_response(form.saml_response, &expect)?;
        if !replay
            .first_use(&identity.assertion_id, identity.valid_until, now)
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
