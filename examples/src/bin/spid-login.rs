//! SPID and CIE login in an axum app, with abilita-spid's routes, sessions
//! and chooser: what a municipal portal needs, in one file. Offline: a SPID
//! and a CIE test IdP (abilita-mock) run beside it.
//!
//! ```text
//! # one instance, sessions sealed in the cookie
//! cargo run -p abilita-examples --bin spid-login
//! # two instances behind a round-robin front, sharing sessions and
//! # replay records on Redis (a login started on one finishes on the other)
//! cargo run -p abilita-examples --bin spid-login -- --redis redis://127.0.0.1:6379/ --instances 2
//! ```
//!
//! It prints the portal's URL and the test users (password `password`).
//! `/` shows who is logged in and which instance answered; `/area-personale`
//! needs a login (a stranger is sent to the chooser and back); the SP lives
//! under `/spid` (`/spid/metadata` for AgID, `/spid/metadata/cie` for the
//! CIE federation, `/spid/login`, `/spid/acs`, `/spid/slo`, `POST
//! /spid/logout`). The SP's key and certificate are made at start, in AgID's
//! profile, with `abilita_spid::certificate::generate`.

use std::net::SocketAddr;
use std::sync::Arc;

use abilita_mock::server::start_spid_idp;
use abilita_mock::spid::{Profile, SpidIdp};
use abilita_spid::certificate::{KeySize, Subject, generate};
use abilita_spid::cookie::StateKey;
use abilita_spid::dsig::TrustedKey;
use abilita_spid::redis::RedisStore;
use abilita_spid::registry::IdpRegistry;
use abilita_spid::router::{Citizen, SpidAuth};
use abilita_spid::session::Sessions;
use abilita_spid::web::SpidEndpoints;
use abilita_spid::{
    AttributeSet, CieContact, Contact, Organization, ServiceProvider, SpidAttribute, SpidLevel,
};
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const USAGE: &str =
    "usage: spid-login [--listen ADDR:PORT] [--instances 1|2|3] [--redis redis://HOST:PORT/]";

struct Options {
    listen: SocketAddr,
    instances: usize,
    redis: Option<String>,
}

fn options() -> std::result::Result<Options, String> {
    let mut options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        instances: 1,
        redis: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                options.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?
            }
            "--instances" => {
                options.instances = match value()?.parse() {
                    Ok(n @ 1..=3) => n,
                    _ => return Err("--instances: 1, 2 or 3".to_owned()),
                }
            }
            "--redis" => options.redis = Some(value()?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    if options.instances > 1 && options.redis.is_none() {
        // Sessions would survive in sealed cookies, but each instance would
        // keep its own replay records: a Response could be replayed on the
        // other one.
        return Err("several instances share their replay records: --redis is required".to_owned());
    }
    Ok(options)
}

/// What every page handler gets.
#[derive(Clone)]
struct AppState {
    spid: SpidAuth,
    /// Which instance answered, to watch the round-robin.
    instance: usize,
}

impl FromRef<AppState> for SpidAuth {
    fn from_ref(state: &AppState) -> Self {
        state.spid.clone()
    }
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>"
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `/`: for anyone; who is logged in, if anyone.
async fn home(State(state): State<AppState>, citizen: Option<Citizen>) -> Html<String> {
    let who = match citizen {
        Some(Citizen(session)) => format!(
            "<p>Accesso effettuato con {} (livello {:?}).</p><p><a href=\"/area-personale\">Area personale</a></p>\
             <form method=\"post\" action=\"{}\"><button>Esci</button></form>",
            escape(&session.identity.idp),
            session.identity.level,
            state.spid.logout_path()
        ),
        None => format!(
            "<p><a href=\"{}\">Entra con SPID o CIE</a></p>",
            escape(&state.spid.login_url(&Default::default()))
        ),
    };
    page(
        "Comune di Esempio",
        &format!("{who}<p><small>istanza {}</small></p>", state.instance),
    )
}

/// `/area-personale`: only for a logged-in citizen.
async fn area(State(state): State<AppState>, Citizen(session): Citizen) -> Html<String> {
    let attributes = &session.identity.attributes;
    let name = |key: &str| escape(attributes.get(key).unwrap_or_default());
    let fiscal = attributes
        .codice_fiscale()
        .map_or_else(|| "non rilasciato".to_owned(), |cf| cf.as_str().to_owned());
    page(
        "Area personale",
        &format!(
            "<p>{} {}</p><p>Codice fiscale: <span id=\"cf\">{fiscal}</span></p>\
             <p><small>istanza {}</small></p>",
            name("name"),
            name("familyName"),
            state.instance
        ),
    )
}

/// The SP every instance runs: the same entity, key, certificate and state
/// key (sessions and login cookies open on any instance).
struct SpMaterial {
    base: String,
    key: abilita_core::PrivateKeyPem,
    certificate: String,
    /// Base64, as `ABILITA_SPID_STATE_KEY` holds it.
    state_key: String,
}

fn organization() -> Organization {
    Organization {
        name: "Comune di Esempio".into(),
        display_name: "Comune di Esempio".into(),
        url: "https://www.comune.esempio.it".into(),
    }
}

fn contact() -> Contact {
    Contact::Public {
        ipa_code: "c_h501".into(),
        email: "protocollo@comune.esempio.it".into(),
        phone: None,
    }
}

fn service_provider(material: &SpMaterial) -> Result<ServiceProvider> {
    let sp = ServiceProvider::new(
        &format!("{}/spid/metadata", material.base),
        &format!("{}/spid", material.base),
        organization(),
        contact(),
        vec![AttributeSet {
            service_name: "Servizi online del Comune".into(),
            attributes: vec![
                SpidAttribute::FiscalNumber,
                SpidAttribute::Name,
                SpidAttribute::FamilyName,
            ],
        }],
        &material.key,
        &material.certificate,
        SpidLevel::L2,
    )?;
    Ok(sp.with_state_key(StateKey::from_base64(&material.state_key)?))
}

/// One instance of the portal on `listener`.
async fn instance(
    number: usize,
    listener: tokio::net::TcpListener,
    material: &SpMaterial,
    registry: IdpRegistry,
    redis: Option<&RedisStore>,
) -> Result<()> {
    let mut endpoints = SpidEndpoints::new(service_provider(material)?, registry)?
        .with_cie_metadata(&CieContact {
            municipality: "H501".into(),
            province: Some("RM".into()),
            nace2_code: None,
        })?;
    let sessions = match redis {
        Some(store) => {
            endpoints = endpoints.with_replay_cache(Box::new(store.clone()));
            Sessions::store(Arc::new(store.clone()))
        }
        None => Sessions::sealed_cookie(),
    };
    let spid = SpidAuth::builder(endpoints).sessions(sessions).build();
    let app = Router::new()
        .route("/", get(home))
        .route("/area-personale", get(area))
        .merge(spid.routes())
        .with_state(AppState {
            spid,
            instance: number,
        });
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "an instance stopped");
        }
    });
    Ok(())
}

/// A round-robin front: each request goes to the next instance, as a load
/// balancer without sticky sessions would send it.
async fn front(listener: tokio::net::TcpListener, instances: Vec<String>) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let Ok(client) = client else {
        return;
    };
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let forward = move |request: Request| {
        let client = client.clone();
        let turn = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let backend = instances
            .get(turn.checked_rem(instances.len()).unwrap_or(0))
            .cloned()
            .unwrap_or_default();
        async move {
            forward(&client, &backend, request)
                .await
                .unwrap_or_else(|error| {
                    (axum::http::StatusCode::BAD_GATEWAY, error.to_string()).into_response()
                })
        }
    };
    let app = Router::new().fallback(forward);
    if let Err(error) = axum::serve(listener, app).await {
        tracing::error!(%error, "the front stopped");
    }
}

async fn forward(client: &reqwest::Client, backend: &str, request: Request) -> Result<Response> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 2 << 20).await?;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut outgoing = client.request(parts.method, format!("{backend}{path}"));
    for (name, value) in &parts.headers {
        if name != axum::http::header::HOST {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.body(body).send().await?;
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    Ok(response.body(Body::from(answer.bytes().await?))?)
}

async fn run(options: Options) -> Result<()> {
    let front_listener = tokio::net::TcpListener::bind(options.listen).await?;
    let base = format!("http://{}", front_listener.local_addr()?);
    let now = OffsetDateTime::now_utc();

    // The SP's key and certificate, in AgID's profile, and its state key.
    let subject = Subject::for_sp(
        &format!("{base}/spid/metadata"),
        &organization(),
        &contact(),
        "Roma",
    );
    let generated = generate(&subject, KeySize::Rsa2048, 30, now)?;
    // A deployment reads it from ABILITA_SPID_STATE_KEY, the same everywhere.
    let state_key = StateKey::generate_base64()?;
    let material = SpMaterial {
        base: base.clone(),
        key: generated.key,
        certificate: generated.certificate_pem,
        state_key,
    };

    // The SPID and CIE test IdPs, trusting this SP; the SP trusting them.
    let clock = Arc::new(abilita_core::SystemClock);
    let mut registry = IdpRegistry::new();
    let mut idps = Vec::new();
    let sp_metadata = service_provider(&material)?.metadata()?;
    for profile in [Profile::Spid, Profile::Cie] {
        let idp = start_spid_idp(
            "127.0.0.1:0".parse()?,
            SpidIdp::generate(profile, clock.clone())?,
        )
        .await?;
        idp.simulator.trust_sp_metadata(&sp_metadata)?;
        let anchor = TrustedKey::from_certificate_pem(idp.simulator.certificate_pem())?;
        registry.add_signed_idp(&idp.simulator.metadata()?, &[anchor], now)?;
        idps.push(idp);
    }

    let redis = match &options.redis {
        Some(url) => Some(RedisStore::connect(url).await?.with_prefix("spid-login:")),
        None => None,
    };
    if options.instances == 1 {
        instance(1, front_listener, &material, registry, redis.as_ref()).await?;
    } else {
        let mut backends = Vec::new();
        for number in 1..=options.instances {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            backends.push(format!("http://{}", listener.local_addr()?));
            instance(
                number,
                listener,
                &material,
                registry.clone(),
                redis.as_ref(),
            )
            .await?;
        }
        tokio::spawn(front(front_listener, backends));
    }

    #[allow(
        clippy::print_stdout,
        reason = "the example's output: where to go, and as whom"
    )]
    {
        println!("portal {base}/ ({} instance(s))", options.instances);
        for idp in &idps {
            println!("test IdP {}", idp.simulator.entity_id());
        }
        if let Some(idp) = idps.first() {
            let users: Vec<String> = idp
                .simulator
                .users()
                .into_iter()
                .take(3)
                .map(|u| u.username)
                .collect();
            println!("test users (password \"password\"): {}", users.join(", "));
        }
        println!("ready");
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spid-login: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
