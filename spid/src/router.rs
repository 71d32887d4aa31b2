//! SPID login for an axum app (feature `axum`): the SP's routes, the
//! citizen's session, and an extractor for handlers.
//!
//! ```no_run
//! use abilita_spid::router::{Citizen, SpidAuth};
//! use abilita_spid::session::Sessions;
//! use abilita_spid::web::SpidEndpoints;
//! use axum::Router;
//! use axum::extract::FromRef;
//! use axum::routing::get;
//!
//! #[derive(Clone)]
//! struct AppState {
//!     spid: SpidAuth,
//! }
//!
//! impl FromRef<AppState> for SpidAuth {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.spid.clone()
//!     }
//! }
//!
//! /// Only for a logged-in citizen: the others are sent to the chooser.
//! async fn area_personale(Citizen(session): Citizen) -> String {
//!     let identity = &session.identity;
//!     format!("Benvenuto, {}", identity.attributes.get("name").unwrap_or("cittadino"))
//! }
//!
//! fn app(endpoints: SpidEndpoints) -> Router {
//!     let spid = SpidAuth::builder(endpoints)
//!         .sessions(Sessions::sealed_cookie())
//!         .build();
//!     Router::new()
//!         .route("/area-personale", get(area_personale))
//!         .merge(spid.routes())
//!         .with_state(AppState { spid })
//! }
//! ```
//!
//! # The routes
//! They live under the path of the SP's base URL (a base URL of
//! `https://comune.example.it/spid` gives `/spid/metadata`, `/spid/login`,
//! …), so the metadata and the routes always agree; the app chooses the
//! prefix by choosing the base URL, and merges [`SpidAuth::routes`].
//!
//! - `GET /metadata` (and `/metadata/cie`), `GET /login?idp=…`, `POST /acs`, `GET|POST /slo`: the
//!   [`SpidEndpoints`], with the session opened at login (then a `303` to
//!   the page the login was started from) and closed by an IdP's logout.
//! - `GET /login` without `idp`: the chooser ([`Pages::chooser`]), AgID's
//!   IdP list in random order.
//! - `POST /logout`: closes the session and logs out at the IdP; after the
//!   IdP's answer the citizen lands on the `after_logout` page. `POST` only,
//!   and the session cookie is `SameSite=Lax`: no other site can log a
//!   citizen out.
//! - `GET /logos/{file}`: the IdPs' logos ([`crate::chooser::logo_svg`]).
//!
//! Refusals keep their status codes (AgID's validator checks them) whatever
//! page [`Pages::refused`] draws, and are logged by [`SpidEndpoints`].

use std::sync::Arc;

use abilita_core::{Clock, SystemClock};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::chooser::{Chooser, HELP_LINKS, SPID_ICON_FILE, logo_svg};
use crate::session::{Session, SessionError, Sessions};
use crate::state::ReturnPath;
use crate::web::{Outcome, Refusal, SpidEndpoints, WebRequest, WebResponse};
use crate::xml::write::escape;

/// The app's own pages for what the routes show. Every method has a
/// default, so an app overrides only what it wants to look like its own.
pub trait Pages: Send + Sync + 'static {
    /// The IdP chooser, `GET /login` without an IdP. The default is a plain
    /// page with AgID's list (logos, random order, the help links).
    fn chooser(&self, chooser: &Chooser, logos_path: &str) -> Response {
        default_chooser(chooser, logos_path)
    }

    /// A login or logout message refused, with its typed reason; `default`
    /// is the crate's page with the right status (keep the status: AgID's
    /// validator checks it, and for a citizen's anomaly the message must
    /// be AgID's own, which `default` carries).
    fn refused(&self, refusal: &Refusal, default: WebResponse) -> Response {
        let _ = refusal;
        default.into_response()
    }

    /// The session store failed: the default is a 503 page.
    fn unavailable(&self, error: &SessionError) -> Response {
        let _ = error;
        html_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Servizio momentaneamente non disponibile: riprovare tra qualche minuto.",
        )
    }
}

/// The crate's own pages.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct DefaultPages;

impl Pages for DefaultPages {}

/// The SP's routes, its sessions and pages; cheap to clone, shared by the
/// routes and the [`Citizen`] extractor (through `FromRef`).
#[derive(Clone)]
pub struct SpidAuth(Arc<Inner>);

struct Inner {
    endpoints: SpidEndpoints,
    sessions: Sessions,
    pages: Box<dyn Pages>,
    after_logout: ReturnPath,
    prefix: String,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SpidAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpidAuth")
            .field("endpoints", &self.0.endpoints)
            .field("sessions", &self.0.sessions)
            .field("prefix", &self.0.prefix)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SpidAuth`].
pub struct SpidAuthBuilder {
    endpoints: SpidEndpoints,
    sessions: Sessions,
    pages: Box<dyn Pages>,
    after_logout: ReturnPath,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SpidAuthBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpidAuthBuilder")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl SpidAuthBuilder {
    /// Where sessions live (the default: [`Sessions::sealed_cookie`]).
    #[must_use]
    pub fn sessions(mut self, sessions: Sessions) -> Self {
        self.sessions = sessions;
        self
    }

    /// The app's pages (the default: [`DefaultPages`]).
    #[must_use]
    pub fn pages(mut self, pages: impl Pages) -> Self {
        self.pages = Box::new(pages);
        self
    }

    /// Where a citizen lands after logging out (the default: `/`).
    #[must_use]
    pub fn after_logout(mut self, path: ReturnPath) -> Self {
        self.after_logout = path;
        self
    }

    /// Another clock (the default: the system's), for tests that replay
    /// messages signed at a fixed instant.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The [`SpidAuth`].
    #[must_use]
    pub fn build(self) -> SpidAuth {
        let prefix = self.endpoints.service_provider().base_path().to_owned();
        SpidAuth(Arc::new(Inner {
            endpoints: self.endpoints,
            sessions: self.sessions,
            pages: self.pages,
            after_logout: self.after_logout,
            prefix,
            clock: self.clock,
        }))
    }
}

impl SpidAuth {
    /// A builder over `endpoints`.
    #[must_use]
    pub fn builder(endpoints: SpidEndpoints) -> SpidAuthBuilder {
        SpidAuthBuilder {
            endpoints,
            sessions: Sessions::default(),
            pages: Box::new(DefaultPages),
            after_logout: ReturnPath::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The SP's routes, under the path of its base URL, for the app to
    /// merge into its router.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let p = &self.0.prefix;
        Router::new()
            .route(&format!("{p}/metadata"), get(endpoint))
            .route(&format!("{p}/metadata/cie"), get(endpoint))
            .route(&format!("{p}/login"), get(login))
            .route(&format!("{p}/acs"), post(endpoint))
            .route(&format!("{p}/slo"), get(endpoint).post(endpoint))
            .route(&format!("{p}/logout"), post(logout))
            .route(&format!("{p}/logos/{{file}}"), get(logo))
            .with_state(self.clone())
    }

    /// The endpoints served.
    #[must_use]
    pub fn endpoints(&self) -> &SpidEndpoints {
        &self.0.endpoints
    }

    /// The sessions.
    #[must_use]
    pub fn sessions(&self) -> &Sessions {
        &self.0.sessions
    }

    /// The path of the chooser, with where to return after the login
    /// (`/spid/login?return=%2Fpratiche`): the "Entra con SPID" link.
    #[must_use]
    pub fn login_url(&self, return_path: &ReturnPath) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return", return_path.as_str())
            .finish();
        format!("{}/login?{query}", self.0.prefix)
    }

    /// The path the logout form posts to.
    #[must_use]
    pub fn logout_path(&self) -> String {
        format!("{}/logout", self.0.prefix)
    }

    /// The citizen's live session, from the request's headers.
    ///
    /// # Errors
    /// The session store failed.
    pub async fn session(&self, headers: &HeaderMap) -> Result<Option<Session>, SessionError> {
        let sp = self.0.endpoints.service_provider();
        let cookies = cookie_header(headers);
        self.0
            .sessions
            .current(sp, &cookies, self.0.clock.now())
            .await
    }
}

/// The logged-in citizen's session, for handlers that need one: without it
/// a `GET` is sent to the chooser (and back here after the login), any
/// other method gets `401`. `Option<Citizen>` gives `None` instead.
#[derive(Debug, Clone)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a newtype extractor, destructured in handler signatures"
)]
pub struct Citizen(pub Session);

/// Why [`Citizen`] was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum CitizenRejection {
    /// No live session: for a `GET`, the chooser's URL to redirect to.
    LoginRequired {
        /// The chooser with the request's path to return to, for a `GET`.
        chooser: Option<String>,
    },
    /// The session store failed.
    Unavailable(SessionError),
}

impl IntoResponse for CitizenRejection {
    fn into_response(self) -> Response {
        match self {
            Self::LoginRequired {
                chooser: Some(chooser),
            } => see_other(&chooser, Vec::new()),
            Self::LoginRequired { chooser: None } => {
                html_page(StatusCode::UNAUTHORIZED, "Accesso richiesto.")
            }
            Self::Unavailable(error) => DefaultPages.unavailable(&error),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Citizen
where
    SpidAuth: FromRef<S>,
{
    type Rejection = CitizenRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = SpidAuth::from_ref(state);
        match auth.session(&parts.headers).await {
            Ok(Some(session)) => Ok(Self(session)),
            Ok(None) => {
                let chooser = (parts.method == Method::GET).then(|| {
                    let here = parts.uri.path_and_query().map_or("/", |path| path.as_str());
                    auth.login_url(&ReturnPath::new(here).unwrap_or_default())
                });
                Err(CitizenRejection::LoginRequired { chooser })
            }
            Err(error) => Err(CitizenRejection::Unavailable(error)),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Citizen
where
    SpidAuth: FromRef<S>,
{
    type Rejection = CitizenRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match SpidAuth::from_ref(state).session(&parts.headers).await {
            Ok(session) => Ok(session.map(Self)),
            Err(error) => Err(CitizenRejection::Unavailable(error)),
        }
    }
}

/// Every `Cookie` header, joined as one.
fn cookie_header(headers: &HeaderMap) -> String {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `GET /login`: the chooser without an IdP, the redirect to it with one.
async fn login(State(auth): State<SpidAuth>, headers: HeaderMap, uri: Uri) -> Response {
    let query = uri.query().unwrap_or_default();
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find_map(|(n, value)| (n == name).then_some(value.as_str()))
    };
    if field("idp").is_some() {
        return endpoint(State(auth), Method::GET, headers, uri, Bytes::new()).await;
    }
    let return_path = field("return")
        .and_then(|path| ReturnPath::new(path).ok())
        .unwrap_or_default();
    let inner = &auth.0;
    let chooser = Chooser::new(
        &inner.endpoints.idps(),
        &format!("{}/login", inner.prefix),
        return_path,
    );
    inner
        .pages
        .chooser(&chooser, &format!("{}/logos", inner.prefix))
}

/// The [`SpidEndpoints`], with the session opened and closed around them.
async fn endpoint(
    State(auth): State<SpidAuth>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let inner = &auth.0;
    let sp = inner.endpoints.service_provider();
    let cookies = cookie_header(&headers);
    let path = uri
        .path()
        .strip_prefix(inner.prefix.as_str())
        .unwrap_or_default();
    let request = WebRequest {
        method: method.as_str(),
        path,
        query: uri.query().unwrap_or_default(),
        cookies: &cookies,
        body: &body,
    };
    let now = inner.clock.now();
    match inner.endpoints.handle(request, now).await {
        Outcome::LoggedIn(login) => {
            // A new session, never the one the browser brought (no fixation);
            // that one, if stored, is closed.
            if let Err(error) = inner.sessions.close(sp, &cookies).await {
                tracing::warn!(error = %abilita_core::ErrorChain(&error), "a previous SPID session could not be closed");
            }
            open_session(inner, login, now).await
        }
        Outcome::LoggedOut(request, mut answer) => {
            if let Err(error) = inner
                .sessions
                .close_subject(&request.idp_entity_id, &request.name_id)
                .await
            {
                // The IdP is told the logout failed only by silence: its
                // sessions are its own; ours stay until they expire.
                tracing::error!(error = %abilita_core::ErrorChain(&error), "an IdP's logout could not close its sessions");
                return inner.pages.unavailable(&error);
            }
            answer.set_cookies.push(inner.sessions.clear_cookie(sp));
            answer.into_response()
        }
        Outcome::LogoutConfirmed(_, answer) => {
            see_other(inner.after_logout.as_str(), answer.set_cookies)
        }
        Outcome::Refused(refusal, default) => inner.pages.refused(&refusal, default),
        Outcome::Respond(response) => response.into_response(),
    }
}

/// Opens the session of `login` and sends the citizen back where the login
/// started.
async fn open_session(inner: &Inner, login: crate::Login, now: time::OffsetDateTime) -> Response {
    let sp = inner.endpoints.service_provider();
    match inner.sessions.open(sp, login.identity, now).await {
        Ok(set_cookie) => see_other(login.return_path.as_str(), vec![set_cookie]),
        Err(error) => {
            tracing::error!(error = %abilita_core::ErrorChain(&error), "a SPID session could not be opened");
            inner.pages.unavailable(&error)
        }
    }
}

/// `POST /logout`: the session closed here, then the logout at the IdP.
async fn logout(State(auth): State<SpidAuth>, headers: HeaderMap) -> Response {
    let inner = &auth.0;
    let sp = inner.endpoints.service_provider();
    let cookies = cookie_header(&headers);
    let now = inner.clock.now();
    // No session cookie came (another site's form: the cookie is
    // SameSite=Lax): nothing to close, and nothing to clear, so that no
    // other site can log a citizen out.
    if crate::cookie::cookie_value(&cookies, Sessions::cookie_name(sp)).is_none() {
        return see_other(inner.after_logout.as_str(), Vec::new());
    }
    let session = match inner.sessions.current(sp, &cookies, now).await {
        Ok(session) => session,
        Err(error) => return inner.pages.unavailable(&error),
    };
    let cleared = match inner.sessions.close(sp, &cookies).await {
        Ok(cleared) => cleared,
        Err(error) => return inner.pages.unavailable(&error),
    };
    match session {
        Some(session) => {
            let mut answer = inner.endpoints.logout(&session.identity, now);
            answer.set_cookies.push(cleared);
            if answer.location.is_some() {
                answer.into_response()
            } else {
                // The IdP has no logout service: done here.
                see_other(inner.after_logout.as_str(), answer.set_cookies)
            }
        }
        None => see_other(inner.after_logout.as_str(), vec![cleared]),
    }
}

/// `GET /logos/{file}`: AgID's logos, cacheable for a day.
async fn logo(Path(file): Path<String>) -> Response {
    match logo_svg(&file) {
        Some(svg) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            svg,
        )
            .into_response(),
        None => html_page(StatusCode::NOT_FOUND, "Pagina non trovata."),
    }
}

/// `303 See Other` to `location`, setting `set_cookies`.
fn see_other(location: &str, set_cookies: Vec<String>) -> Response {
    WebResponse {
        status: 303,
        content_type: "text/plain; charset=utf-8",
        location: Some(location.to_owned()),
        set_cookies,
        body: String::new(),
    }
    .into_response()
}

fn html_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>SPID</title></head>\
         <body><main><p>{}</p></main></body></html>",
        escape(message)
    );
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// A plain chooser: AgID's button's list, without script or style of its
/// own (an app that wants AgID's look overrides [`Pages::chooser`] with the
/// button's CSS).
fn default_chooser(chooser: &Chooser, logos_path: &str) -> Response {
    let mut items = String::new();
    for entry in &chooser.entries {
        let name = escape(&entry.name);
        let logo = entry.logo_file.map_or_else(String::new, |file| {
            format!(
                "<img src=\"{}/{file}\" alt=\"\" height=\"30\">",
                escape(logos_path)
            )
        });
        items.push_str(&format!(
            "<li class=\"spid-idp-button-link\" data-idp=\"{}\"><a href=\"{}\">{logo}<span>{name}</span></a></li>",
            escape(&entry.entity_id),
            escape(&entry.login_url),
        ));
    }
    for (label, url) in HELP_LINKS {
        items.push_str(&format!("<li><a href=\"{url}\">{label}</a></li>"));
    }
    let body = format!(
        "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>Entra con SPID</title></head>\
         <body><main><h1><img src=\"{logos}/{SPID_ICON_FILE}\" alt=\"\" height=\"30\"> Entra con SPID</h1>\
         <p>Scegli il tuo gestore di identità digitale.</p>\
         <ul class=\"spid-idp-button-menu\">{items}</ul></main></body></html>",
        logos = escape(logos_path),
    );
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
