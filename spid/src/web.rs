//! The SP's endpoints, framework-neutral: a [`WebRequest`] in, an
//! [`Outcome`] out. Adapters only copy bytes: with the `axum` feature a
//! [`WebResponse`] is an `axum` response; any other server takes a few
//! lines (see `examples/src/bin/spid-sp.rs`).
//!
//! - `GET /metadata`: the signed metadata.
//! - `GET /login?idp=ENTITYID[&level=1|2|3][&return=/path]`: 302 to the
//!   IdP (HTTP-Redirect).
//! - `POST /acs`: the login completed ([`Outcome::LoggedIn`], the app makes
//!   its session), or **403** with a courtesy page for any refusal,
//!   including the citizen's anomalies with AgID's message (the SPID
//!   validator judges the status code).
//! - `GET` or `POST /slo`: an IdP-initiated LogoutRequest, answered with a
//!   signed LogoutResponse ([`Outcome::LoggedOut`], the app closes the
//!   session first); or the IdP's LogoutResponse to
//!   [`SpidEndpoints::logout`], the SP-initiated logout.

use std::time::Duration;

use time::OffsetDateTime;

use crate::authn::AuthnOptions;
use crate::authn::fresh_id;
use crate::config::{ServiceProvider, SpidLevel};
use crate::login::{AcsForm, IdpTarget, Login, LoginError};
use crate::logout::{IdpLogoutRequest, LogoutStatus};
use crate::registry::IdpRegistry;
use crate::response::Identity;
use crate::response::{DEFAULT_CLOCK_SKEW, ResponseError};
use crate::state::{
    MemoryPendingStore, MemoryReplayCache, PendingLogouts, PendingStore, ReplayCache, ReturnPath,
};
use crate::xml::write::escape;

/// An HTTP request, as far as the SP's endpoints read it.
#[derive(Debug, Clone, Copy)]
pub struct WebRequest<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The path, relative to the SP's base URL (`/acs`).
    pub path: &'a str,
    /// The raw query string, without `?` (still percent-encoded).
    pub query: &'a str,
    /// The body (`application/x-www-form-urlencoded` for `POST`).
    pub body: &'a [u8],
}

/// An HTTP response to send as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The `Location`, for a redirect.
    pub location: Option<String>,
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
    /// An IdP closed a citizen's session: close the SP's, then send this
    /// (the signed LogoutResponse).
    LoggedOut(IdpLogoutRequest, WebResponse),
}

/// The SP's endpoints with their state.
pub struct SpidEndpoints {
    sp: ServiceProvider,
    idps: IdpRegistry,
    pending: Box<dyn PendingStore>,
    replay: Box<dyn ReplayCache>,
    logouts: PendingLogouts,
    level: SpidLevel,
    clock_skew: Duration,
}

impl std::fmt::Debug for SpidEndpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpidEndpoints")
            .field("entity_id", &self.sp.entity_id())
            .field("idps", &self.idps.idps().count())
            .finish_non_exhaustive()
    }
}

impl SpidEndpoints {
    /// The endpoints of `sp` for the IdPs of `idps`, with the in-memory
    /// stores (one instance) and the SP's default level.
    #[must_use]
    pub fn new(sp: ServiceProvider, idps: IdpRegistry) -> Self {
        let level = sp.default_level();
        Self {
            sp,
            idps,
            pending: Box::new(MemoryPendingStore::default()),
            replay: Box::new(MemoryReplayCache::default()),
            logouts: PendingLogouts::new(10_000, Duration::from_secs(600)),
            level,
            clock_skew: DEFAULT_CLOCK_SKEW,
        }
    }

    /// Shared stores, for several instances behind one address.
    #[must_use]
    pub fn with_stores(
        mut self,
        pending: Box<dyn PendingStore>,
        replay: Box<dyn ReplayCache>,
    ) -> Self {
        self.pending = pending;
        self.replay = replay;
        self
    }

    /// Another tolerance for the IdPs' clocks.
    #[must_use]
    pub fn with_clock_skew(mut self, clock_skew: Duration) -> Self {
        self.clock_skew = clock_skew;
        self
    }

    /// Serves one request at `now`.
    pub async fn handle(&self, request: WebRequest<'_>, now: OffsetDateTime) -> Outcome {
        match (request.method, request.path) {
            ("GET", "/metadata") => Outcome::Respond(self.metadata()),
            ("GET", "/login") => Outcome::Respond(self.login(request.query, now).await),
            ("POST", "/acs") => self.acs(request.body, now).await,
            ("GET", "/slo") => self.slo(request.query, true, now),
            ("POST", "/slo") => self.slo(&String::from_utf8_lossy(request.body), false, now),
            (_, "/metadata" | "/login" | "/acs" | "/slo") => {
                Outcome::Respond(page(405, "Metodo non consentito."))
            }
            _ => Outcome::Respond(page(404, "Pagina non trovata.")),
        }
    }

    fn metadata(&self) -> WebResponse {
        match self.sp.metadata() {
            Ok(xml) => WebResponse {
                status: 200,
                content_type: "application/samlmetadata+xml",
                location: None,
                body: xml,
            },
            Err(error) => {
                tracing::error!(%error, "the SP metadata could not be signed");
                page(500, "Metadati non disponibili.")
            }
        }
    }

    async fn login(&self, query: &str, now: OffsetDateTime) -> WebResponse {
        let fields = form(query.as_bytes());
        let Some(idp) = field(&fields, "idp").and_then(|id| self.idps.get(id)) else {
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
        match self
            .sp
            .start_login(self.pending.as_ref(), target, &options, return_path, now)
            .await
        {
            Ok(url) => WebResponse {
                status: 302,
                content_type: "text/plain; charset=utf-8",
                location: Some(url),
                body: String::new(),
            },
            Err(error) => {
                tracing::error!(%error, "a login could not be started");
                page(503, "Servizio momentaneamente non disponibile.")
            }
        }
    }

    async fn acs(&self, body: &[u8], now: OffsetDateTime) -> Outcome {
        let fields = form(body);
        let (Some(saml_response), Some(relay_state)) =
            (field(&fields, "SAMLResponse"), field(&fields, "RelayState"))
        else {
            return Outcome::Respond(page(400, "Richiesta non valida."));
        };
        let form = AcsForm {
            saml_response,
            relay_state,
        };
        let keys = |entity_id: &str| self.idps.keys_of(entity_id);
        let finished = self
            .sp
            .finish_login(
                form,
                self.pending.as_ref(),
                self.replay.as_ref(),
                &keys,
                now,
                self.clock_skew,
            )
            .await;
        match finished {
            Ok(login) => Outcome::LoggedIn(login),
            Err(LoginError::Response(ResponseError::Anomaly(anomaly))) => {
                Outcome::Respond(page(403, anomaly.message()))
            }
            Err(error) => {
                // The reason is for the operator; the citizen gets no oracle.
                tracing::warn!(%error, "a SPID Response was refused");
                Outcome::Respond(page(403, "Accesso non riuscito: riprovare."))
            }
        }
    }

    /// SP-initiated logout of the session `identity` opened: call it from
    /// the app's logout page once its own session is closed; the answer
    /// sends the citizen to the IdP (302), whose LogoutResponse comes back
    /// to `/slo`.
    pub fn logout(&self, identity: &Identity, now: OffsetDateTime) -> WebResponse {
        let Some(slo_url) = self
            .idps
            .get(&identity.idp)
            .and_then(|idp| idp.slo_redirect.as_deref())
        else {
            return page(200, "Uscita completata su questo servizio.");
        };
        let request = self.sp.logout_request(slo_url, identity, now);
        let relay_state = fresh_id();
        if let Err(error) = self.logouts.put(&relay_state, request.pending(), now) {
            tracing::error!(%error, "a logout could not be started");
            return page(200, "Uscita completata su questo servizio.");
        }
        WebResponse {
            status: 302,
            content_type: "text/plain; charset=utf-8",
            location: Some(self.sp.logout_redirect_url(&request, &relay_state)),
            body: String::new(),
        }
    }

    /// The IdP's LogoutResponse to [`logout`](Self::logout).
    fn logout_response(
        &self,
        fields_text: &str,
        fields: &[(String, String)],
        redirect: bool,
        now: OffsetDateTime,
    ) -> WebResponse {
        let Some(pending) = field(fields, "RelayState").and_then(|rs| self.logouts.take(rs, now))
        else {
            return page(400, "Nessuna uscita in corso.");
        };
        let keys = self.idps.keys_of(&pending.idp_entity_id);
        let checked = if redirect {
            self.sp.validate_logout_response_redirect(
                fields_text,
                &pending,
                &keys,
                now,
                self.clock_skew,
            )
        } else {
            let message = field(fields, "SAMLResponse").unwrap_or_default();
            self.sp
                .validate_logout_response_post(message, &pending, &keys, now, self.clock_skew)
        };
        match checked {
            Ok(LogoutStatus::Success) => page(200, "Uscita completata."),
            Ok(LogoutStatus::Partial) => page(
                200,
                "Uscita completata su questo servizio; altri servizi potrebbero essere ancora aperti.",
            ),
            Err(error) => {
                tracing::warn!(%error, "a LogoutResponse was refused");
                page(403, "Risposta di uscita non valida.")
            }
        }
    }

    /// `fields_text` is the raw query (`redirect`) or the form body; the
    /// Redirect signatures are checked over its raw octets.
    fn slo(&self, fields_text: &str, redirect: bool, now: OffsetDateTime) -> Outcome {
        let fields = form(fields_text.as_bytes());
        if field(&fields, "SAMLResponse").is_some() {
            return Outcome::Respond(self.logout_response(fields_text, &fields, redirect, now));
        }
        let keys = |entity_id: &str| self.idps.keys_of(entity_id);
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
        let request = match validated {
            Ok(request) => request,
            Err(error) => {
                tracing::warn!(%error, "a LogoutRequest was refused");
                return Outcome::Respond(page(403, "Richiesta di uscita non valida."));
            }
        };
        let Some(idp) = self.idps.get(&request.idp_entity_id) else {
            return Outcome::Respond(page(403, "Richiesta di uscita non valida."));
        };
        let relay_state = field(&fields, "RelayState").unwrap_or_default();
        let answer = match (&idp.slo_redirect, &idp.slo_post) {
            (Some(url), _) => {
                let response = self.sp.logout_response_to(&request, url, now);
                WebResponse {
                    status: 302,
                    content_type: "text/plain; charset=utf-8",
                    location: Some(self.sp.logout_response_redirect_url(&response, relay_state)),
                    body: String::new(),
                }
            }
            (None, Some(url)) => {
                let response = self.sp.logout_response_to(&request, url, now);
                match self.sp.logout_response_post_form(&response, relay_state) {
                    Ok(body) => WebResponse {
                        status: 200,
                        content_type: "text/html; charset=utf-8",
                        location: None,
                        body,
                    },
                    Err(error) => {
                        tracing::error!(%error, "a LogoutResponse could not be signed");
                        page(500, "Uscita non completata.")
                    }
                }
            }
            (None, None) => page(200, "Uscita completata."),
        };
        Outcome::LoggedOut(request, answer)
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
        body: format!(
            "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>SPID</title></head>\
             <body><main><p>{}</p></main></body></html>",
            escape(message)
        ),
    }
}
