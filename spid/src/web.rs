//! The SP's endpoints, framework-neutral: a [`WebRequest`] in, an
//! [`Outcome`] out. Adapters only copy bytes: with the `axum` feature a
//! [`WebResponse`] is an `axum` response; any other server takes a few
//! lines (see `examples/src/bin/spid-sp.rs`).
//!
//! - `GET /metadata`: the signed metadata, signed once when the endpoints
//!   are made and served from memory; `GET /metadata/cie` the CIE
//!   federation's, when [`SpidEndpoints::with_cie_metadata`] asked for it.
//! - `GET /login?idp=ENTITYID[&level=1|2|3][&return=/path]`: 302 to the
//!   IdP (HTTP-Redirect), with the login cookie set ([`crate::cookie`]); a
//!   level below the SP's floor is raised to it.
//! - `POST /acs`: the login completed ([`Outcome::LoggedIn`], the app makes
//!   its session), or [`Outcome::Refused`] with the typed reason and a
//!   **403** courtesy page, AgID's message for the citizen's anomalies (the
//!   SPID validator judges the status code); the app may send its own page.
//! - `GET` or `POST /slo`: an IdP-initiated LogoutRequest, answered with a
//!   signed LogoutResponse ([`Outcome::LoggedOut`], the app closes the
//!   sessions it names first); or the IdP's LogoutResponse to
//!   [`SpidEndpoints::logout`], the SP-initiated logout.
//!
//! Every refusal is logged at `warn` with its whole cause chain; no log line
//! carries a citizen's data.

use std::time::Duration;

use abilita_core::ErrorChain;
use time::OffsetDateTime;

use crate::authn::AuthnOptions;
use crate::config::{ServiceProvider, SpidLevel};
use crate::cookie::cookie_value;
use crate::dsig::SignError;
use crate::login::{AcsForm, IdpTarget, Login, LoginError};
use crate::logout::{IdpLogoutRequest, LogoutError, LogoutReply, LogoutStatus};
use crate::registry::{IdpRegistry, SharedRegistry};
use crate::response::Identity;
use crate::response::{DEFAULT_CLOCK_SKEW, ResponseError};
use crate::state::{MemoryReplayCache, ReplayCache, ReturnPath};
use crate::xml::write::escape;

/// An HTTP request, as far as the SP's endpoints read it.
#[derive(Debug, Clone, Copy)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`): what an adapter read from the request"
)]
pub struct WebRequest<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The path, relative to the SP's base URL (`/acs`).
    pub path: &'a str,
    /// The raw query string, without `?` (still percent-encoded).
    pub query: &'a str,
    /// The `Cookie` header (`""` when there is none; several headers
    /// joined with `; `).
    pub cookies: &'a str,
    /// The body (`application/x-www-form-urlencoded` for `POST`).
    pub body: &'a [u8],
}

/// An HTTP response to send as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "apps and adapters build their own pages as WebResponses"
)]
pub struct WebResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The `Location`, for a redirect.
    pub location: Option<String>,
    /// `Set-Cookie` header values, one header each.
    pub set_cookies: Vec<String>,
    /// The body.
    pub body: String,
}

/// What an endpoint produced.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Send this.
    Respond(WebResponse),
    /// A citizen logged in: make the session, then send them to
    /// [`Login::return_path`].
    LoggedIn(Login),
    /// An IdP closed a citizen's session: close the SP sessions it names
    /// (by IdP *and* NameID, see [`IdpLogoutRequest`]), then send this
    /// (the signed LogoutResponse).
    LoggedOut(IdpLogoutRequest, WebResponse),
    /// The IdP confirmed the logout [`SpidEndpoints::logout`] started: a
    /// default page to send (or the app's own, with its `Set-Cookie`
    /// values, which clear the logout state).
    LogoutConfirmed(LogoutStatus, WebResponse),
    /// A login or logout message was refused: the typed reason for the app
    /// (to render its own page, to count), and a default page to send.
    Refused(Refusal, WebResponse),
}

/// Why an endpoint refused a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// `/acs`: the login was not completed.
    #[error("a SPID login was refused")]
    Login(#[source] LoginError),
    /// `/slo`: an IdP's LogoutRequest was refused.
    #[error("an IdP's LogoutRequest was refused")]
    LogoutRequest(#[source] ResponseError),
    /// `/slo`: the IdP's answer to an SP-initiated logout was refused.
    #[error("an SP-initiated logout was not confirmed")]
    Logout(#[source] LogoutError),
}

/// The SP's endpoints with their state.
pub struct SpidEndpoints {
    sp: ServiceProvider,
    idps: SharedRegistry,
    replay: Box<dyn ReplayCache>,
    metadata: String,
    cie_metadata: Option<String>,
    level: SpidLevel,
    clock_skew: Duration,
}

impl std::fmt::Debug for SpidEndpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpidEndpoints")
            .field("entity_id", &self.sp.entity_id())
            .field("idps", &self.idps.snapshot().idps().count())
            .finish_non_exhaustive()
    }
}

impl SpidEndpoints {
    /// The endpoints of `sp` for the IdPs of `idps` (an [`IdpRegistry`], or
    /// a [`SharedRegistry`] a refresh task keeps current), with the
    /// in-memory replay cache (one instance). The metadata is signed here,
    /// once, so a key that cannot sign fails at start-up rather than on
    /// `/metadata`.
    ///
    /// # Errors
    /// When the metadata cannot be signed.
    pub fn new(sp: ServiceProvider, idps: impl Into<SharedRegistry>) -> Result<Self, SignError> {
        let idps = idps.into();
        let metadata = sp.metadata()?;
        Ok(Self {
            level: sp.min_level(),
            sp,
            idps,
            replay: Box::new(MemoryReplayCache::default()),
            metadata,
            cie_metadata: None,
            clock_skew: DEFAULT_CLOCK_SKEW,
        })
    }

    /// Also serves the SP's CIE metadata ([`ServiceProvider::cie_metadata`])
    /// at `/metadata/cie`, for the Ministry of the Interior: one SP, its
    /// SPID metadata for AgID and its CIE metadata for the CIE federation,
    /// the CIE IdP in its registry beside the SPID ones ("Entra con CIE").
    ///
    /// # Errors
    /// When the SP cannot be described for CIE (the field names why).
    pub fn with_cie_metadata(
        mut self,
        cie: &crate::CieContact,
    ) -> Result<Self, abilita_core::InvalidInput> {
        self.cie_metadata = Some(self.sp.cie_metadata(cie)?);
        Ok(self)
    }

    /// A shared replay cache, for several instances behind one address
    /// (they also need one [`StateKey`](crate::cookie::StateKey)).
    #[must_use]
    pub fn with_replay_cache(mut self, replay: Box<dyn ReplayCache>) -> Self {
        self.replay = replay;
        self
    }

    /// Another tolerance for the IdPs' clocks.
    #[must_use]
    pub fn with_clock_skew(mut self, clock_skew: Duration) -> Self {
        self.clock_skew = clock_skew;
        self
    }

    /// The IdPs trusted now.
    #[must_use]
    pub fn idps(&self) -> std::sync::Arc<IdpRegistry> {
        self.idps.snapshot()
    }

    /// The Service Provider served.
    #[must_use]
    pub fn service_provider(&self) -> &ServiceProvider {
        &self.sp
    }

    /// Serves one request at `now`.
    pub async fn handle(&self, request: WebRequest<'_>, now: OffsetDateTime) -> Outcome {
        match (request.method, request.path) {
            ("GET", "/metadata") => Outcome::Respond(metadata_response(&self.metadata)),
            ("GET", "/metadata/cie") => Outcome::Respond(match &self.cie_metadata {
                Some(metadata) => metadata_response(metadata),
                None => page(404, "Pagina non trovata."),
            }),
            ("GET", "/login") => Outcome::Respond(self.login(request.query, now)),
            ("POST", "/acs") => self.acs(request.body, request.cookies, now).await,
            ("GET", "/slo") => self.slo(request.query, true, request.cookies, now).await,
            ("POST", "/slo") => {
                let body = String::from_utf8_lossy(request.body);
                self.slo(&body, false, request.cookies, now).await
            }
            (_, "/metadata" | "/metadata/cie" | "/login" | "/acs" | "/slo") => {
                Outcome::Respond(page(405, "Metodo non consentito."))
            }
            _ => Outcome::Respond(page(404, "Pagina non trovata.")),
        }
    }

    fn login(&self, query: &str, now: OffsetDateTime) -> WebResponse {
        let fields = form(query.as_bytes());
        let idps = self.idps.snapshot();
        let Some(idp) = field(&fields, "idp").and_then(|id| idps.get(id)) else {
            return page(400, "Identity provider sconosciuto.");
        };
        let level = match field(&fields, "level") {
            None => self.level,
            Some("1") => SpidLevel::L1,
            Some("2") => SpidLevel::L2,
            Some("3") => SpidLevel::L3,
            Some(_) => return page(400, "Livello SPID non valido."),
        };
        let return_path = field(&fields, "return")
            .and_then(|path| ReturnPath::new(path).ok())
            .unwrap_or_default();
        let options = AuthnOptions {
            level,
            comparison: crate::Comparison::Minimum,
            attribute_set: 0,
        };
        // Every SPID IdP offers HTTP-Redirect for SSO (the registry's).
        let Some(sso_url) = idp.sso_redirect.as_deref() else {
            return page(502, "L'identity provider non ha un servizio di accesso.");
        };
        let target = IdpTarget {
            entity_id: &idp.entity_id,
            sso_url,
        };
        let start = self.sp.start_login(target, &options, return_path, now);
        redirect_response(start.redirect_url, vec![start.cookie.set_cookie()])
    }

    async fn acs(&self, body: &[u8], cookies: &str, now: OffsetDateTime) -> Outcome {
        let fields = form(body);
        let Some(saml_response) = field(&fields, "SAMLResponse") else {
            return Outcome::Respond(page(400, "Richiesta non valida."));
        };
        let form = AcsForm {
            saml_response,
            relay_state: field(&fields, "RelayState").unwrap_or_default(),
            login_cookie: cookie_value(cookies, self.sp.login_cookie_name()),
        };
        let idps = self.idps.snapshot();
        let keys = |entity_id: &str| idps.keys_of(entity_id);
        let finished = self
            .sp
            .finish_login(form, self.replay.as_ref(), &keys, now, self.clock_skew)
            .await;
        match finished {
            Ok(login) => Outcome::LoggedIn(login),
            Err(error) => {
                // AgID's message for the citizen's anomalies; otherwise the
                // reason is for the operator and the citizen gets no oracle.
                let (status, message) = match &error {
                    LoginError::Response(ResponseError::Anomaly(anomaly)) => {
                        (403, anomaly.message())
                    }
                    // Nothing was wrong with the login: the replay cache
                    // could not say whether it was new.
                    LoginError::Store(_) => (503, "Servizio momentaneamente non disponibile."),
                    _ => (403, "Accesso non riuscito: riprovare."),
                };
                refused(Refusal::Login(error), page(status, message))
            }
        }
    }

    /// SP-initiated logout of the session `identity` opened: call it from
    /// the app's logout page once its own session is closed; the answer
    /// sends the citizen to the IdP (302) with the logout cookie set, and
    /// the IdP's LogoutResponse comes back to `/slo`.
    #[must_use]
    pub fn logout(&self, identity: &Identity, now: OffsetDateTime) -> WebResponse {
        let idps = self.idps.snapshot();
        let Some(slo_url) = idps
            .get(&identity.idp)
            .and_then(|idp| idp.slo_redirect.as_deref())
        else {
            return page(200, "Uscita completata su questo servizio.");
        };
        let start = self.sp.start_logout(slo_url, identity, now);
        redirect_response(start.redirect_url, vec![start.cookie.set_cookie()])
    }

    /// The IdP's LogoutResponse to [`logout`](Self::logout).
    async fn logout_response(
        &self,
        fields_text: &str,
        fields: &[(String, String)],
        redirect: bool,
        cookies: &str,
        now: OffsetDateTime,
    ) -> Outcome {
        let reply = if redirect {
            LogoutReply::Redirect {
                raw_query: fields_text,
            }
        } else {
            LogoutReply::Post {
                saml_response: field(fields, "SAMLResponse").unwrap_or_default(),
            }
        };
        let idps = self.idps.snapshot();
        let keys = |entity_id: &str| idps.keys_of(entity_id);
        let cookie_name = self.sp.logout_cookie_name();
        let finished = self
            .sp
            .finish_logout(
                reply,
                field(fields, "RelayState"),
                cookie_value(cookies, cookie_name),
                self.replay.as_ref(),
                &keys,
                now,
                self.clock_skew,
            )
            .await;
        let mut answer = match &finished {
            Ok(LogoutStatus::Success) => page(200, "Uscita completata."),
            Ok(LogoutStatus::Partial) => page(
                200,
                "Uscita completata su questo servizio; altri servizi potrebbero essere ancora aperti.",
            ),
            Err(_) => page(403, "Risposta di uscita non valida."),
        };
        answer.set_cookies.push(crate::cookie::clear_cookie(
            crate::cookie::Purpose::Logout,
            self.sp.sealer().secure,
        ));
        match finished {
            Ok(status) => Outcome::LogoutConfirmed(status, answer),
            Err(error) => refused(Refusal::Logout(error), answer),
        }
    }

    /// `fields_text` is the raw query (`redirect`) or the form body; the
    /// Redirect signatures are checked over its raw octets.
    async fn slo(
        &self,
        fields_text: &str,
        redirect: bool,
        cookies: &str,
        now: OffsetDateTime,
    ) -> Outcome {
        let fields = form(fields_text.as_bytes());
        if field(&fields, "SAMLResponse").is_some() {
            return self
                .logout_response(fields_text, &fields, redirect, cookies, now)
                .await;
        }
        let idps = self.idps.snapshot();
        let keys = |entity_id: &str| idps.keys_of(entity_id);
        let validated = if redirect {
            self.sp
                .validate_logout_request_redirect(fields_text, &keys, now, self.clock_skew)
        } else {
            match field(&fields, "SAMLRequest") {
                Some(message) => {
                    self.sp
                        .validate_logout_request_post(message, &keys, now, self.clock_skew)
                }
                None => return Outcome::Respond(page(400, "Richiesta non valida.")),
            }
        };
        let refuse = |error| {
            refused(
                Refusal::LogoutRequest(error),
                page(403, "Richiesta di uscita non valida."),
            )
        };
        let request = match validated {
            Ok(request) => request,
            Err(error) => return refuse(error),
        };
        match self
            .replay
            .first_use(&request.replay_key(), request.accepted_until, now)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                return refuse(ResponseError::Rule(
                    "the LogoutRequest was already received",
                ));
            }
            Err(error) => {
                tracing::error!(error = %ErrorChain(&error), "the replay cache failed");
                return Outcome::Respond(page(503, "Servizio momentaneamente non disponibile."));
            }
        }
        let Some(idp) = idps.get(&request.idp_entity_id) else {
            return refuse(ResponseError::Rule("the LogoutRequest's IdP is unknown"));
        };
        let relay_state = field(&fields, "RelayState").unwrap_or_default();
        let answer = match (&idp.slo_redirect, &idp.slo_post) {
            (Some(url), _) => {
                let response = self.sp.logout_response_to(&request, url, now);
                redirect_response(
                    self.sp.logout_response_redirect_url(&response, relay_state),
                    Vec::new(),
                )
            }
            (None, Some(url)) => {
                let response = self.sp.logout_response_to(&request, url, now);
                match self.sp.logout_response_post_form(&response, relay_state) {
                    Ok(body) => WebResponse {
                        status: 200,
                        content_type: "text/html; charset=utf-8",
                        location: None,
                        set_cookies: Vec::new(),
                        body,
                    },
                    Err(error) => {
                        tracing::error!(error = %ErrorChain(&error), "a LogoutResponse could not be signed");
                        page(500, "Uscita non completata.")
                    }
                }
            }
            (None, None) => page(200, "Uscita completata."),
        };
        Outcome::LoggedOut(request, answer)
    }
}

fn metadata_response(metadata: &str) -> WebResponse {
    WebResponse {
        status: 200,
        content_type: "application/samlmetadata+xml",
        location: None,
        set_cookies: Vec::new(),
        body: metadata.to_owned(),
    }
}

/// Logs the refusal with its whole cause chain, and hands it to the app.
fn refused(refusal: Refusal, response: WebResponse) -> Outcome {
    tracing::warn!(error = %ErrorChain(&refusal), "a SPID message was refused");
    Outcome::Refused(refusal, response)
}

fn redirect_response(location: String, set_cookies: Vec<String>) -> WebResponse {
    WebResponse {
        status: 302,
        content_type: "text/plain; charset=utf-8",
        location: Some(location),
        set_cookies,
        body: String::new(),
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for WebResponse {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{StatusCode, header};
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [(header::CONTENT_TYPE, self.content_type)],
            self.body,
        )
            .into_response();
        if let Some(location) = self
            .location
            .and_then(|l| axum::http::HeaderValue::from_str(&l).ok())
        {
            response.headers_mut().insert(header::LOCATION, location);
        }
        for cookie in self.set_cookies {
            if let Ok(value) = axum::http::HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
    }
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find_map(|(n, value)| (n == name).then_some(value.as_str()))
}

/// A small Italian page with `message`.
fn page(status: u16, message: &str) -> WebResponse {
    WebResponse {
        status,
        content_type: "text/html; charset=utf-8",
        location: None,
        set_cookies: Vec::new(),
        body: format!(
            "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>SPID</title></head>\
             <body><main><p>{}</p></main></body></html>",
            escape(message)
        ),
    }
}
