//! A SPID Service Provider to try abilita-spid with, and to run AgID's
//! conformance tool against (`scripts/spid-conformance.sh`).
//!
//! ```text
//! cargo run -p abilita-examples --bin spid-sp -- \
//!     --listen 127.0.0.1:8000 --idp-metadata idp.xml --profile public --level 2
//! ```
//!
//! Serves `/metadata`, `/login?idp=ENTITYID`, `/acs`, `/logout` and `/slo`.
//! On login it opens a session (an `sid` cookie, in memory) and shows the
//! citizen's NameID verbatim and attributes, fiscal number included, as
//! HTML, or as JSON when asked with `Accept: application/json`. An IdP's
//! logout closes the sessions that IdP opened for that NameID, never
//! another IdP's. The IdP metadata files
//! are trusted as they are, unsigned included, because the flag says so:
//! this program is for test IdPs, never for production.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use abilita_core::PrivateKeyPem;
use abilita_spid::registry::IdpRegistry;
use abilita_spid::web::{Outcome, SpidEndpoints, WebRequest};
use abilita_spid::{
    AggregatedParty, Aggregation, Aggregator, AggregatorActivity, AttributeSet, Billing,
    CieContact, Contact, Identity, Login, Organization, ServiceProvider, SpidAttribute, SpidLevel,
};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

const USAGE: &str = "usage: spid-sp [--listen ADDR:PORT] [--base-url URL] --idp-metadata PATH... \
[--profile public|private|cie-public|cie-private|ag-public-full|ag-public-lite|ag-private-full|ag-private-lite|op-public-full|op-public-lite] \
[--level 1|2|3] [--sp-key PATH] [--sp-cert PATH]";

struct Options {
    listen: SocketAddr,
    base_url: Option<String>,
    idp_metadata: Vec<String>,
    private: bool,
    /// Serve the CIE federation's metadata ("Entra con CIE").
    cie: bool,
    /// An SP run by an aggregator, with this activity (Avviso 19).
    aggregation: Option<AggregatorActivity>,
    level: SpidLevel,
    sp_key: String,
    sp_cert: String,
}

fn options() -> Result<Options, String> {
    let test_data = concat!(env!("CARGO_MANIFEST_DIR"), "/../spid/tests/data");
    let mut options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
        base_url: None,
        idp_metadata: Vec::new(),
        private: false,
        cie: false,
        aggregation: None,
        level: SpidLevel::L2,
        sp_key: format!("{test_data}/sp.key"),
        sp_cert: format!("{test_data}/sp.cert"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                options.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?
            }
            "--base-url" => options.base_url = Some(value()?.trim_end_matches('/').to_owned()),
            "--idp-metadata" => options.idp_metadata.push(value()?),
            "--profile" => {
                let profile = value()?;
                (options.private, options.cie) = match profile.as_str() {
                    "public" => (false, false),
                    "private" => (true, false),
                    "cie-public" => (false, true),
                    "cie-private" => (true, true),
                    _ => (false, false),
                };
                options.aggregation = match profile.as_str() {
                    "public" | "private" | "cie-public" | "cie-private" => None,
                    "ag-public-full" => Some(AggregatorActivity::PublicFull),
                    "ag-public-lite" => Some(AggregatorActivity::PublicLite),
                    "ag-private-full" => Some(AggregatorActivity::PrivateFull),
                    "ag-private-lite" => Some(AggregatorActivity::PrivateLite),
                    "op-public-full" => Some(AggregatorActivity::PublicOperatorFull),
                    "op-public-lite" => Some(AggregatorActivity::PublicOperatorLite),
                    other => return Err(format!("--profile: not {other}\n{USAGE}")),
                };
            }
            "--level" => {
                options.level = match value()?.as_str() {
                    "1" => SpidLevel::L1,
                    "2" => SpidLevel::L2,
                    "3" => SpidLevel::L3,
                    other => return Err(format!("--level: 1, 2 or 3, not {other}")),
                }
            }
            "--sp-key" => options.sp_key = value()?,
            "--sp-cert" => options.sp_cert = value()?,
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    if options.idp_metadata.is_empty() {
        return Err(format!("at least one --idp-metadata\n{USAGE}"));
    }
    Ok(options)
}

/// The SP's seat for the CIE federation; a private SP's NACE2 code (CIE
/// wants it with the VAT number and the fiscal code).
fn cie_contact(private: bool) -> CieContact {
    CieContact {
        municipality: "H501".into(),
        province: Some("RM".into()),
        nace2_code: private.then(|| "84.11.10".into()),
    }
}

/// An aggregated SP's parties: an aggregator (a public operator is the
/// municipality itself, so its name is the organisation's) and the
/// municipality or company it serves.
fn aggregation(activity: AggregatorActivity) -> Contact {
    let operator = matches!(
        activity,
        AggregatorActivity::PublicOperatorFull | AggregatorActivity::PublicOperatorLite
    );
    let aggregator = Aggregator {
        company: if operator {
            "Comune di Esempio".into()
        } else {
            "Aggregatore di Esempio S.p.A.".into()
        },
        ipa_code: operator.then(|| "c_h501".into()),
        vat_number: Some("IT12345678901".into()),
        fiscal_code: Some("12345678901".into()),
        email: "spid@aggregatore.esempio.it".into(),
        phone: Some("+390612345678".into()),
    };
    let aggregated = match activity {
        AggregatorActivity::PublicOperatorFull => None,
        _ if activity.is_private() => Some(AggregatedParty::Private {
            vat_number: Some("IT02468135791".into()),
            fiscal_code: None,
            email: "info@esempio.it".into(),
        }),
        _ => Some(AggregatedParty::Public {
            ipa_code: "c_h501".into(),
            email: "protocollo@comune.esempio.it".into(),
        }),
    };
    let billing = activity.is_private().then(|| match contact(true, false) {
        Contact::Private { billing, .. } => *billing,
        _ => unreachable!("the private contact has billing data"),
    });
    Contact::Aggregated(Box::new(Aggregation {
        activity,
        aggregator,
        aggregated,
        billing,
    }))
}

fn contact(private: bool, cie: bool) -> Contact {
    if !private {
        return Contact::Public {
            ipa_code: "c_h501".into(),
            email: "protocollo@comune.esempio.it".into(),
            phone: None,
        };
    }
    Contact::Private {
        vat_number: Some("IT12345678901".into()),
        fiscal_code: cie.then(|| "12345678901".into()),
        email: "spid@esempio.it".into(),
        phone: None,
        billing: Box::new(Billing {
            vat_number: "12345678901".into(),
            company: "Esempio S.r.l.".into(),
            street: "Via Roma".into(),
            number: "1".into(),
            postcode: "00100".into(),
            municipality: "Roma".into(),
            province: "RM".into(),
            email: "fatture@esempio.it".into(),
        }),
    }
}

fn endpoints(options: &Options) -> Result<SpidEndpoints, String> {
    let base_url = options
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", options.listen));
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    // An aggregated SP's entity id names the activity and the aggregated.
    let entity_id = match options.aggregation {
        Some(AggregatorActivity::PublicOperatorFull) => format!("{base_url}/pub-op-full"),
        Some(activity) => format!("{base_url}/{}/c_h501", activity.code()),
        None => format!("{base_url}/metadata"),
    };
    let sp = ServiceProvider::new(
        &entity_id,
        &base_url,
        Organization {
            name: "Comune di Esempio".into(),
            display_name: "Comune di Esempio".into(),
            url: "https://www.comune.esempio.it".into(),
        },
        options
            .aggregation
            .map_or_else(|| contact(options.private, options.cie), aggregation),
        vec![AttributeSet {
            service_name: "Servizi online del Comune".into(),
            attributes: vec![
                SpidAttribute::FiscalNumber,
                SpidAttribute::Name,
                SpidAttribute::FamilyName,
                SpidAttribute::Email,
            ],
        }],
        &PrivateKeyPem::new(read(&options.sp_key)?),
        &read(&options.sp_cert)?,
        options.level,
    )
    .map_err(|e| format!("SP configuration: {e}"))?;
    let mut idps = IdpRegistry::new();
    for path in &options.idp_metadata {
        let idp = idps
            .add_unsigned_idp_insecure(&read(path)?, OffsetDateTime::now_utc())
            .map_err(|e| format!("{path}: {e}"))?;
        eprintln!("trusting the test IdP {} ({path})", idp.entity_id);
    }
    let endpoints = SpidEndpoints::new(sp, idps).map_err(|e| format!("SP metadata: {e}"))?;
    if options.cie {
        return endpoints
            .with_cie_metadata(&cie_contact(options.private))
            .map_err(|e| format!("CIE metadata: {}", abilita_core::ErrorChain(&e)));
    }
    Ok(endpoints)
}

/// The example's state: the endpoints and the sessions they opened.
struct App {
    endpoints: SpidEndpoints,
    /// Session cookie value to the identity it was opened for.
    sessions: Mutex<HashMap<String, Identity>>,
}

impl App {
    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Identity>> {
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix("sid="))
        .map(str::to_owned)
}

async fn serve(
    app: Arc<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = OffsetDateTime::now_utc();
    if uri.path() == "/logout" {
        let identity = session_id(&headers).and_then(|sid| app.sessions().remove(&sid));
        return match identity {
            Some(identity) => app.endpoints.logout(&identity, now).into_response(),
            None => (StatusCode::OK, "Nessuna sessione aperta.").into_response(),
        };
    }
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ");
    let request = WebRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or_default(),
        cookies: &cookies,
        body: &body,
    };
    match app.endpoints.handle(request, now).await {
        Outcome::Respond(response) | Outcome::LogoutConfirmed(_, response) => {
            response.into_response()
        }
        Outcome::LoggedOut(request, response) => {
            // Only the sessions this IdP opened for this NameID.
            app.sessions().retain(|_, identity| {
                identity.idp != request.idp_entity_id || identity.name_id != request.name_id
            });
            response.into_response()
        }
        // The default page; an app would render its own from the reason.
        Outcome::Refused(_reason, response) => response.into_response(),
        Outcome::LoggedIn(login) => {
            let json = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("application/json"));
            let mut response = welcome(&login, json);
            let sid = uuid::Uuid::new_v4().simple().to_string();
            if let Ok(cookie) = format!("sid={sid}; Path=/; HttpOnly; SameSite=Lax").parse() {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            app.sessions().insert(sid, login.identity);
            response
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The citizen's attributes: a real app would open its session here.
fn welcome(login: &Login, json: bool) -> Response {
    let identity = &login.identity;
    if json {
        let body = serde_json::json!({
            "idp": identity.idp,
            "level": format!("{:?}", identity.level),
            "name_id": identity.name_id,
            "fiscal_number": identity.attributes.codice_fiscale().map(|cf| cf.as_str()),
            "attributes": identity.attributes.all,
            "return_path": login.return_path.as_str(),
        });
        return (
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    let rows: String = identity
        .attributes
        .all
        .iter()
        .map(|(name, value)| format!("<tr><th>{}</th><td>{}</td></tr>", html(name), html(value)))
        .collect();
    let body = format!(
        "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>Benvenuto</title></head>\
         <body><h1>Accesso effettuato</h1><p>Identity provider: {} ({:?})</p>\
         <p>NameID: <code id=\"name-id\">{}</code></p><table>{rows}</table></body></html>",
        html(&identity.idp),
        identity.level,
        html(&identity.name_id)
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    let app = match endpoints(&options) {
        Ok(endpoints) => Arc::new(App {
            endpoints,
            sessions: Mutex::new(HashMap::new()),
        }),
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let router = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            serve(app.clone(), method, uri, headers, body)
        },
    );
    let listener = match tokio::net::TcpListener::bind(options.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("{}: {error}", options.listen);
            return std::process::ExitCode::FAILURE;
        }
    };
    eprintln!("spid-sp listening on http://{}", options.listen);
    match axum::serve(listener, router).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}
