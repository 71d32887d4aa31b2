//! The portal's pages and its SPID endpoints, over one session cookie.

use std::collections::HashMap;
use std::sync::Mutex;

use abilita_anpr::AnprClient;
use abilita_core::{CodiceFiscale, PartitaIva};
use abilita_io::IoClient;
use abilita_pagopa::gpd::GpdClient;
use abilita_spid::Identity;
use abilita_spid::web::{Outcome, Refusal, SpidEndpoints, WebRequest};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use minijinja::{Environment, context};
use serde::Serialize;
use time::OffsetDateTime;

use crate::views;

/// How many sessions the portal keeps; the oldest go first.
const MAX_SESSIONS: usize = 10_000;
/// The session cookie.
const SESSION: &str = "casa-sid";

/// The citizen of a session, as the pages show them.
#[derive(Debug, Clone, Serialize)]
struct Citizen {
    name: String,
    codice_fiscale: String,
}

struct Session {
    citizen: Citizen,
    identity: Identity,
}

/// The simulators the portal can act on itself: a PSP to pay with, and the
/// messages IO holds. `None` against real platforms.
pub(crate) struct Simulated {
    pub(crate) gpd: abilita_mock::gpd::GpdSimulator,
    pub(crate) io: abilita_mock::io::IoSimulator,
}

/// An IdP of the chooser.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ChooserIdp {
    pub(crate) entity_id: String,
    pub(crate) name: String,
    /// Listed under "Entra con CIE" rather than "Entra con SPID".
    pub(crate) cie: bool,
}

pub(crate) struct Portal {
    pub(crate) spid: SpidEndpoints,
    pub(crate) idps: Vec<ChooserIdp>,
    pub(crate) gpd: GpdClient,
    pub(crate) io: IoClient,
    pub(crate) anpr: AnprClient,
    pub(crate) creditor: PartitaIva,
    pub(crate) simulated: Option<Simulated>,
    sessions: Mutex<(HashMap<String, Session>, Vec<String>)>,
    templates: Environment<'static>,
}

fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, text) in [
        (
            "base.html",
            include_str!("../../../templates/casa-digitale/base.html"),
        ),
        (
            "home.html",
            include_str!("../../../templates/casa-digitale/home.html"),
        ),
        (
            "accedi.html",
            include_str!("../../../templates/casa-digitale/accedi.html"),
        ),
        (
            "profilo.html",
            include_str!("../../../templates/casa-digitale/profilo.html"),
        ),
        (
            "pagamenti.html",
            include_str!("../../../templates/casa-digitale/pagamenti.html"),
        ),
        (
            "avviso.html",
            include_str!("../../../templates/casa-digitale/avviso.html"),
        ),
        (
            "messaggi.html",
            include_str!("../../../templates/casa-digitale/messaggi.html"),
        ),
        (
            "errore.html",
            include_str!("../../../templates/casa-digitale/errore.html"),
        ),
    ] {
        // The templates are part of the program: a broken one is a bug found
        // by the first test that renders it.
        if let Err(error) = env.add_template(name, text) {
            tracing::error!(%error, name, "a template does not parse");
        }
    }
    env
}

const CSS: &str = include_str!("../../../static/casa-digitale.css");

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

impl Portal {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        spid: SpidEndpoints,
        idps: Vec<ChooserIdp>,
        gpd: GpdClient,
        io: IoClient,
        anpr: AnprClient,
        creditor: PartitaIva,
        simulated: Option<Simulated>,
    ) -> Self {
        Self {
            spid,
            idps,
            gpd,
            io,
            anpr,
            creditor,
            simulated,
            sessions: Mutex::new((HashMap::new(), Vec::new())),
            templates: templates(),
        }
    }

    fn page(&self, status: StatusCode, name: &str, context: minijinja::Value) -> Response {
        match self
            .templates
            .get_template(name)
            .and_then(|t| t.render(context))
        {
            Ok(html) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(error) => {
                tracing::error!(%error, name, "a page could not be rendered");
                (StatusCode::INTERNAL_SERVER_ERROR, "Errore interno.").into_response()
            }
        }
    }

    fn error(
        &self,
        status: StatusCode,
        citizen: Option<&Citizen>,
        title: &str,
        message: &str,
    ) -> Response {
        self.page(status, "errore.html", context! { citizen, title, message })
    }

    fn citizen(&self, headers: &HeaderMap) -> Option<Citizen> {
        let sid = cookie(headers, SESSION)?;
        let sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sessions.0.get(sid).map(|s| s.citizen.clone())
    }

    fn open_session(&self, identity: Identity) -> String {
        let attribute = |name: &str| identity.attributes.get(name).unwrap_or_default().to_owned();
        let citizen = Citizen {
            name: format!("{} {}", attribute("name"), attribute("familyName")),
            codice_fiscale: identity
                .attributes
                .codice_fiscale()
                .map(|cf| cf.as_str().to_owned())
                .unwrap_or_default(),
        };
        let sid = uuid::Uuid::new_v4().simple().to_string();
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (map, order) = &mut *sessions;
        map.insert(sid.clone(), Session { citizen, identity });
        order.push(sid.clone());
        if order.len() > MAX_SESSIONS {
            let oldest = order.remove(0);
            map.remove(&oldest);
        }
        sid
    }

    fn close_session(&self, headers: &HeaderMap) -> Option<Identity> {
        let sid = cookie(headers, SESSION)?;
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (map, order) = &mut *sessions;
        order.retain(|s| s != sid);
        map.remove(sid).map(|s| s.identity)
    }

    /// Every request.
    pub(crate) async fn serve(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let path = uri.path();
        if let Some(spid_path) = path.strip_prefix("/spid") {
            return self.spid(&method, spid_path, &uri, &headers, &body).await;
        }
        let citizen = self.citizen(&headers);
        let query = uri.query().unwrap_or_default();
        match (method.as_str(), path, citizen) {
            ("GET", "/static/casa-digitale.css", _) => {
                ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
            }
            ("GET", "/", citizen) => self.page(StatusCode::OK, "home.html", context! { citizen }),
            ("GET", "/accedi", citizen) => {
                let cie = query.contains("cie=1");
                self.page(
                    StatusCode::OK,
                    "accedi.html",
                    context! { citizen, idps => self.idps, cie },
                )
            }
            ("GET", "/esci", _) => match self.close_session(&headers) {
                Some(identity) => {
                    let mut response = self
                        .spid
                        .logout(&identity, OffsetDateTime::now_utc())
                        .into_response();
                    forget_session(&mut response);
                    response
                }
                None => redirect("/"),
            },
            (_, "/profilo" | "/pagamenti" | "/messaggi" | "/pagamenti/paga", None) => {
                redirect("/accedi")
            }
            (_, p, None) if p.starts_with("/pagamenti/avviso/") => redirect("/accedi"),
            ("GET", "/profilo", Some(citizen)) => {
                let anpr = match citizen.codice_fiscale.parse::<CodiceFiscale>() {
                    Ok(cf) => views::anpr(&self.anpr, &cf).await,
                    Err(_) => views::AnprView::default(),
                };
                self.page(
                    StatusCode::OK,
                    "profilo.html",
                    context! { citizen, anpr, section => "profilo" },
                )
            }
            ("GET", "/pagamenti", Some(citizen)) => {
                let gpd = match citizen.codice_fiscale.parse::<CodiceFiscale>() {
                    Ok(cf) => views::gpd(&self.gpd, &self.creditor, &cf).await,
                    Err(_) => views::GpdView::default(),
                };
                let can_pay = self.simulated.is_some();
                self.page(
                    StatusCode::OK,
                    "pagamenti.html",
                    context! { citizen, gpd, can_pay, section => "pagamenti" },
                )
            }
            ("GET", p, Some(citizen)) if p.starts_with("/pagamenti/avviso/") => {
                self.notice(&citizen, p.trim_start_matches("/pagamenti/avviso/"))
                    .await
            }
            ("POST", "/pagamenti/paga", Some(citizen)) => self.pay(&citizen, &body).await,
            ("GET", "/messaggi", Some(citizen)) => {
                let sent: Vec<String> = self
                    .simulated
                    .as_ref()
                    .map(|s| {
                        s.io.sent_messages(Some(&citizen.codice_fiscale), None)
                            .into_iter()
                            .map(|sent| sent.subject)
                            .collect()
                    })
                    .unwrap_or_default();
                let io = match citizen.codice_fiscale.parse::<CodiceFiscale>() {
                    Ok(cf) => views::io(&self.io, &cf, sent).await,
                    Err(_) => views::IoView::default(),
                };
                self.page(
                    StatusCode::OK,
                    "messaggi.html",
                    context! { citizen, io, section => "messaggi" },
                )
            }
            (_, _, citizen) => self.error(
                StatusCode::NOT_FOUND,
                citizen.as_ref(),
                "Pagina non trovata",
                "La pagina che cerchi non esiste.",
            ),
        }
    }

    /// The citizen's own notice, printable.
    async fn notice(&self, citizen: &Citizen, nav: &str) -> Response {
        let Ok(cf) = citizen.codice_fiscale.parse::<CodiceFiscale>() else {
            return redirect("/accedi");
        };
        let view = views::gpd(&self.gpd, &self.creditor, &cf).await;
        let option = view
            .positions
            .iter()
            .flat_map(|p| &p.options)
            .find(|o| o.nav == nav);
        match option {
            Some(option) => self.page(
                StatusCode::OK,
                "avviso.html",
                context! {
                    creditor => self.creditor.as_str(), debtor => format!("{} ({})", citizen.name, citizen.codice_fiscale),
                    description => option.description, amount => option.amount, due => option.due,
                    notice => option.notice, qr => option.qr,
                },
            ),
            None => self.error(StatusCode::NOT_FOUND, Some(citizen), "Avviso non trovato", "Questo avviso non è tra i tuoi."),
        }
    }

    /// The simulated PSP: pays one of the citizen's own options.
    async fn pay(&self, citizen: &Citizen, body: &[u8]) -> Response {
        let Some(simulated) = &self.simulated else {
            return self.error(
                StatusCode::NOT_FOUND,
                Some(citizen),
                "Pagamento non disponibile",
                "Paga con l'app IO o presso un prestatore aderente a pagoPA.",
            );
        };
        let nav = form_field(body, "nav").unwrap_or_default();
        let Ok(cf) = citizen.codice_fiscale.parse::<CodiceFiscale>() else {
            return redirect("/accedi");
        };
        let view = views::gpd(&self.gpd, &self.creditor, &cf).await;
        if !view
            .positions
            .iter()
            .flat_map(|p| &p.options)
            .any(|o| o.nav == nav && o.payable)
        {
            return self.error(
                StatusCode::BAD_REQUEST,
                Some(citizen),
                "Pagamento non possibile",
                "Questo avviso non è tra i tuoi avvisi da pagare.",
            );
        }
        match simulated
            .gpd
            .pay_option(self.creditor.as_str(), &nav, "Banca di Prova")
        {
            Ok(_) => redirect("/pagamenti"),
            Err(reason) => self.error(
                StatusCode::CONFLICT,
                Some(citizen),
                "Pagamento non riuscito",
                &reason,
            ),
        }
    }

    /// `/spid/…`: abilita-spid's endpoints; the portal opens and closes its
    /// sessions, and renders refusals in its own pages.
    async fn spid(
        &self,
        method: &Method,
        path: &str,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response {
        let cookies = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("; ");
        let request = WebRequest {
            method: method.as_str(),
            path,
            query: uri.query().unwrap_or_default(),
            cookies: &cookies,
            body,
        };
        match self.spid.handle(request, OffsetDateTime::now_utc()).await {
            Outcome::LoggedIn(login) => {
                let sid = self.open_session(login.identity);
                let mut response = redirect("/");
                if let Ok(value) =
                    format!("{SESSION}={sid}; Path=/; HttpOnly; SameSite=Lax").parse()
                {
                    response.headers_mut().insert(header::SET_COOKIE, value);
                }
                response
            }
            Outcome::LoggedOut(request, response) => {
                let mut sessions = self
                    .sessions
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let (map, order) = &mut *sessions;
                map.retain(|_, s| {
                    !(s.identity.idp == request.idp_entity_id
                        && s.identity.name_id == request.name_id)
                });
                order.retain(|sid| map.contains_key(sid));
                response.into_response()
            }
            Outcome::Refused(Refusal::Login(error), _) => {
                let message = match &error {
                    abilita_spid::LoginError::Response(abilita_spid::ResponseError::Anomaly(
                        anomaly,
                    )) => anomaly.message(),
                    _ => "L'accesso non è riuscito. Riprova dall'inizio.",
                };
                tracing::info!(%error, "a SPID login was refused");
                self.error(StatusCode::FORBIDDEN, None, "Accesso non riuscito", message)
            }
            Outcome::LogoutConfirmed(..) => self.error(
                StatusCode::OK,
                None,
                "Sei uscito",
                "Sei uscito dalla Casa digitale e dal tuo gestore di identità.",
            ),
            Outcome::Respond(response) | Outcome::Refused(_, response) => response.into_response(),
            _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

/// Expires the session cookie on `response`.
fn forget_session(response: &mut Response) {
    if let Ok(value) = format!("{SESSION}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax").parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
