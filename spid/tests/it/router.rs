//! The axum integration: the chooser, a whole login through the routes to a
//! session the `Citizen` extractor reads, the logout both ways, and the
//! sessions in the cookie and in a store.

use std::sync::Arc;
use std::time::Duration;

use abilita_core::{BoxFuture, Clock};
use abilita_spid::Identity;
use abilita_spid::registry::IdpRegistry;
use abilita_spid::router::{Citizen, Pages, SpidAuth};
use abilita_spid::session::{MemorySessionStore, Session, Sessions};
use abilita_spid::web::{Refusal, SpidEndpoints, WebResponse};
use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use time::OffsetDateTime;
use tower::ServiceExt as _;

use crate::fixture_sp::{FIXTURES_NOW, sp};
use crate::login::{encoded, fixture_cookie};
use crate::logout::{idp_logout_request, signed};
use crate::registry::{certificate_body, entity};

/// The fixtures' instant: their Responses are valid then.
#[derive(Debug)]
pub(crate) struct FixturesClock;

impl Clock for FixturesClock {
    fn now(&self) -> OffsetDateTime {
        FIXTURES_NOW
    }

    fn sleep(&self, _: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

pub(crate) fn endpoints() -> SpidEndpoints {
    endpoints_for(sp())
}

/// The endpoints of `sp`, trusting the fixtures' IdP.
pub(crate) fn endpoints_for(sp: abilita_spid::ServiceProvider) -> SpidEndpoints {
    let keys = [
        certificate_body(include_str!("../data/idp-public.cert")),
        certificate_body(include_str!("../data/sp.cert")),
    ];
    let metadata = entity("https://localhost:8443", &[&keys[0], &keys[1]]);
    let mut idps = IdpRegistry::new();
    idps.add_unsigned_idp_insecure(&metadata, FIXTURES_NOW)
        .unwrap();
    SpidEndpoints::new(sp, idps).unwrap()
}

/// Names the refusal in its page, keeping the status.
pub(crate) struct TypedPages;

impl Pages for TypedPages {
    fn refused(&self, refusal: &Refusal, default: WebResponse) -> Response {
        let status = StatusCode::from_u16(default.status).unwrap();
        (status, format!("refused: {refusal:?}")).into_response()
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    spid: SpidAuth,
}

impl FromRef<AppState> for SpidAuth {
    fn from_ref(state: &AppState) -> Self {
        state.spid.clone()
    }
}

async fn area(Citizen(session): Citizen) -> String {
    let fiscal = session.identity.attributes.codice_fiscale().unwrap();
    format!("area of {fiscal}")
}

async fn home(citizen: Option<Citizen>) -> String {
    match citizen {
        Some(Citizen(session)) => format!("hello {}", session.identity.name_id),
        None => "hello stranger".to_owned(),
    }
}

fn app(sessions: Sessions) -> (Router, SpidAuth) {
    app_with(endpoints(), sessions)
}

/// The test app: a protected `/area`, a `/` for anyone, the SP's routes.
pub(crate) fn app_with(endpoints: SpidEndpoints, sessions: Sessions) -> (Router, SpidAuth) {
    let spid = SpidAuth::builder(endpoints)
        .sessions(sessions)
        .pages(TypedPages)
        .clock(Arc::new(FixturesClock))
        .build();
    let router = Router::new()
        .route("/area", get(area))
        .route("/", get(home))
        .merge(spid.routes())
        .with_state(AppState { spid: spid.clone() });
    (router, spid)
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) body: String,
}

pub(crate) async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    cookie: &str,
    body: Vec<u8>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if !cookie.is_empty() {
        request = request.header(header::COOKIE, cookie);
    }
    if method == "POST" {
        request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let set_cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Answer {
        status,
        location,
        set_cookies,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

pub(crate) fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}

/// `name=value` of the Set-Cookie that sets `name`.
pub(crate) fn cookie_named(answer: &Answer, name: &str) -> String {
    answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {:?}", answer.set_cookies))
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Posts the fixtures' Response from the browser that started the login:
/// the answer, and the session cookie it set.
pub(crate) async fn log_in(router: &Router, spid: &SpidAuth) -> (Answer, String) {
    let login_cookie = fixture_cookie(spid.endpoints().service_provider(), "relay-1");
    let cookie = format!("abilita-spid-login={login_cookie}");
    let response = encoded(include_str!("../data/responses/case-001.xml"));
    let body = form(&[("SAMLResponse", &response), ("RelayState", "relay-1")]);
    let answer = send(router, "POST", "/acs", &cookie, body).await;
    let session = cookie_named(&answer, "abilita-spid-session");
    (answer, session)
}

#[tokio::test]
async fn the_chooser_lists_the_trusted_idps_with_agids_help_links() {
    let (router, _) = app(Sessions::sealed_cookie());
    let chooser = send(&router, "GET", "/login?return=%2Farea", "", Vec::new()).await;
    assert_eq!(chooser.status, StatusCode::OK);
    assert!(
        chooser
            .body
            .contains("/login?idp=https%3A%2F%2Flocalhost%3A8443&amp;return=%2Farea"),
        "{}",
        chooser.body
    );
    for link in ["Maggiori informazioni", "Non hai SPID?", "Serve aiuto?"] {
        assert!(chooser.body.contains(link), "{link}");
    }
    let logo = send(
        &router,
        "GET",
        "/logos/spid-idp-posteid.svg",
        "",
        Vec::new(),
    )
    .await;
    assert_eq!(logo.status, StatusCode::OK);
    assert!(logo.body.contains("<svg"));
    let traversal = send(&router, "GET", "/logos/..%2FCargo.toml", "", Vec::new()).await;
    assert_eq!(traversal.status, StatusCode::NOT_FOUND);

    // With an IdP, the redirect to it and the login cookie.
    let start = send(
        &router,
        "GET",
        "/login?idp=https%3A%2F%2Flocalhost%3A8443",
        "",
        Vec::new(),
    )
    .await;
    assert_eq!(start.status, StatusCode::FOUND);
    assert!(
        start
            .location
            .as_deref()
            .unwrap()
            .starts_with("https://localhost:8443/samlsso?")
    );
    cookie_named(&start, "abilita-spid-login");
}

#[tokio::test]
async fn a_protected_page_sends_a_stranger_to_the_chooser_and_back() {
    let (router, _) = app(Sessions::sealed_cookie());
    let get = send(&router, "GET", "/area?anno=2026", "", Vec::new()).await;
    assert_eq!(get.status, StatusCode::SEE_OTHER);
    assert_eq!(
        get.location.as_deref(),
        Some("/login?return=%2Farea%3Fanno%3D2026")
    );
    let post = send(&router, "POST", "/area", "", Vec::new()).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED, "no POST route");
    let home = send(&router, "GET", "/", "", Vec::new()).await;
    assert_eq!(home.body, "hello stranger");
}

async fn login_then_logout(sessions: Sessions) {
    let (router, spid) = app(sessions);
    let (answer, session) = log_in(&router, &spid).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(
        answer.location.as_deref(),
        Some("/servizi/tari?anno=2026"),
        "back to where the login started"
    );
    let set = answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with("abilita-spid-session="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );

    let area = send(&router, "GET", "/area", &session, Vec::new()).await;
    assert_eq!(area.status, StatusCode::OK);
    assert!(area.body.starts_with("area of "), "{}", area.body);

    // The same Response again: refused, the typed reason reaches the page.
    let (again, _) = {
        let login_cookie = fixture_cookie(spid.endpoints().service_provider(), "relay-1");
        let cookie = format!("abilita-spid-login={login_cookie}");
        let response = encoded(include_str!("../data/responses/case-001.xml"));
        let body = form(&[("SAMLResponse", &response), ("RelayState", "relay-1")]);
        (send(&router, "POST", "/acs", &cookie, body).await, ())
    };
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert!(again.body.contains("Replayed"), "{}", again.body);

    // Logout: the session ends here, and the citizen goes to the IdP.
    let logout = send(&router, "POST", "/logout", &session, Vec::new()).await;
    assert_eq!(logout.status, StatusCode::FOUND);
    assert!(
        logout
            .location
            .as_deref()
            .unwrap()
            .starts_with("https://localhost:8443/samlsso?SAMLRequest=")
    );
    assert!(
        logout
            .set_cookies
            .iter()
            .any(|c| c.starts_with("abilita-spid-session=;") && c.contains("Max-Age=0"))
    );
    cookie_named(&logout, "abilita-spid-logout");
}

#[tokio::test]
async fn a_login_opens_a_sealed_cookie_session_and_the_logout_clears_it() {
    login_then_logout(Sessions::sealed_cookie()).await;
}

#[tokio::test]
async fn a_login_opens_a_stored_session_and_the_logout_removes_it() {
    let store = Arc::new(MemorySessionStore::default());
    login_then_logout(Sessions::store(store.clone())).await;
    assert!(
        store.is_empty(),
        "removed from the store, not only the cookie"
    );
}

#[tokio::test]
async fn an_idps_logout_closes_every_stored_session_of_that_citizen() {
    let store = Arc::new(MemorySessionStore::default());
    let (router, spid) = app(Sessions::store(store.clone()));
    let (_, first) = log_in(&router, &spid).await;
    // A second session of the same citizen (another device): opened
    // directly, as the same Response cannot log in twice.
    let session = Session::new(
        identity_of(&router, &first).await,
        FIXTURES_NOW,
        Duration::from_secs(3600),
    );
    let sp = spid.endpoints().service_provider();
    let id = abilita_spid::session::SessionId::generate().unwrap();
    use abilita_spid::session::SessionStore as _;
    store.insert(&id, &session).await.unwrap();
    assert_eq!(store.len(), 2);

    let name_id = session.identity.name_id.clone();
    let request =
        signed(&idp_logout_request(FIXTURES_NOW, &sp.slo_url()).replace("_nameid-1", &name_id));
    let body = form(&[(
        "SAMLRequest",
        &base64::engine::general_purpose::STANDARD.encode(request),
    )]);
    let answer = send(&router, "POST", "/slo", "", body).await;
    assert!(answer.status.is_redirection(), "{}", answer.body);
    assert!(store.is_empty(), "both sessions closed");
    assert!(
        answer
            .set_cookies
            .iter()
            .any(|c| c.starts_with("abilita-spid-session=;")),
        "and this browser's cookie cleared"
    );
    let area = send(&router, "GET", "/area", &first, Vec::new()).await;
    assert_eq!(area.status, StatusCode::SEE_OTHER, "back to the chooser");
}

async fn identity_of(router: &Router, session_cookie: &str) -> Identity {
    let home = send(router, "GET", "/", session_cookie, Vec::new()).await;
    assert_ne!(home.body, "hello stranger");
    let name_id = home.body.trim_start_matches("hello ").to_owned();
    serde_json::from_value(serde_json::json!({
        "idp": "https://localhost:8443",
        "level": "L2",
        "name_id": name_id,
        "name_qualifier": "https://localhost:8443",
        "session_index": null,
        "assertion_id": "_other-device",
        "valid_until": "2026-11-26T08:10:00Z",
        "attributes": {"fiscalNumber": "TINIT-GDASDV00A01H501J"},
    }))
    .unwrap()
}

#[tokio::test]
async fn a_forged_or_foreign_session_cookie_is_no_session() {
    let (router, spid) = app(Sessions::sealed_cookie());
    let (_, session) = log_in(&router, &spid).await;
    let (name, value) = session.split_once('=').unwrap();
    let mut bytes = value.as_bytes().to_vec();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let forged = format!("{name}={}", String::from_utf8(bytes).unwrap());
    let home = send(&router, "GET", "/", &forged, Vec::new()).await;
    assert_eq!(home.body, "hello stranger");

    // A session sealed by another SP instance with another key.
    let (other_router, _) = app(Sessions::sealed_cookie());
    let home = send(&other_router, "GET", "/", &session, Vec::new()).await;
    assert_eq!(home.body, "hello stranger");
}

#[test]
fn an_identity_round_trips_through_json_with_its_typed_attributes() {
    let json = serde_json::json!({
        "idp": "https://localhost:8443",
        "level": "L2",
        "name_id": "_abc",
        "name_qualifier": "https://localhost:8443",
        "session_index": "_s1",
        "assertion_id": "_a1",
        "valid_until": "2026-11-26T08:10:00Z",
        "attributes": {"fiscalNumber": "TINIT-GDASDV00A01H501J", "dateOfBirth": "0000-00-00"},
    });
    let identity: Identity = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(
        identity.attributes.codice_fiscale().unwrap().as_str(),
        "GDASDV00A01H501J"
    );
    assert!(matches!(identity.attributes.date_of_birth, Some(Err(_))));
    assert_eq!(serde_json::to_value(&identity).unwrap(), json);
}

#[test]
fn every_spid_idp_has_its_logo_and_the_chooser_shuffles_them() {
    use abilita_spid::chooser::{Chooser, SPID_ICON_FILE, SPID_IDPS, logo_svg};
    assert!(logo_svg(SPID_ICON_FILE).unwrap().contains("<svg"));
    for idp in SPID_IDPS {
        assert!(logo_svg(idp.logo_file).unwrap().contains("<svg"), "{idp:?}");
    }
    assert_eq!(logo_svg("../Cargo.toml"), None);

    let mut idps = IdpRegistry::new();
    let key = certificate_body(include_str!("../data/idp-public.cert"));
    for idp in SPID_IDPS {
        idps.add_unsigned_idp_insecure(&entity(idp.entity_id, &[&key]), FIXTURES_NOW)
            .unwrap();
    }
    let orders: std::collections::HashSet<Vec<String>> = (0..20)
        .map(|_| {
            let chooser = Chooser::new(&idps, "/spid/login", Default::default());
            assert_eq!(chooser.entries.len(), SPID_IDPS.len());
            chooser.entries.into_iter().map(|e| e.entity_id).collect()
        })
        .collect();
    // 12! orders: twenty displays in one order would mean no shuffle.
    assert!(orders.len() > 1, "a new order at each display");
    let chooser = Chooser::new(&idps, "/spid/login", Default::default());
    let poste = chooser
        .entries
        .iter()
        .find(|e| e.entity_id == "https://posteid.poste.it")
        .unwrap();
    assert_eq!(poste.name, "Poste Italiane SpA");
    assert_eq!(poste.logo_file, Some("spid-idp-posteid.svg"));
    assert_eq!(
        poste.login_url,
        "/spid/login?idp=https%3A%2F%2Fposteid.poste.it&return=%2F"
    );
}

#[tokio::test]
async fn a_full_memory_store_refuses_new_sessions_and_expires_old_ones() {
    use abilita_spid::session::{SessionId, SessionStore as _};
    use abilita_spid::state::StoreError;
    let store = MemorySessionStore::with_capacity(1);
    let identity: Identity = serde_json::from_value(serde_json::json!({
        "idp": "https://localhost:8443", "level": "L2", "name_id": "_n",
        "name_qualifier": "https://localhost:8443", "session_index": null,
        "assertion_id": "_a", "valid_until": "2026-11-26T08:10:00Z", "attributes": {},
    }))
    .unwrap();
    let first = Session::new(identity.clone(), FIXTURES_NOW, Duration::from_secs(60));
    store
        .insert(&SessionId::generate().unwrap(), &first)
        .await
        .unwrap();
    let second = SessionId::generate().unwrap();
    assert!(matches!(
        store.insert(&second, &first).await,
        Err(StoreError::Full(_))
    ));
    // A minute later the first has expired and makes room.
    let later = Session::new(
        identity,
        FIXTURES_NOW + time::Duration::seconds(61),
        Duration::from_secs(60),
    );
    store.insert(&second, &later).await.unwrap();
    assert_eq!(store.len(), 1);
    assert_eq!(
        store.get(&second, later.opened_at).await.unwrap(),
        Some(later)
    );
}

#[tokio::test]
async fn another_sites_logout_form_logs_nobody_out() {
    let (router, spid) = app(Sessions::sealed_cookie());
    let (_, session) = log_in(&router, &spid).await;
    // A cross-site POST carries no SameSite=Lax cookie: nothing is cleared.
    let forged = send(&router, "POST", "/logout", "", Vec::new()).await;
    assert_eq!(forged.status, StatusCode::SEE_OTHER);
    assert!(forged.set_cookies.is_empty(), "{:?}", forged.set_cookies);
    let home = send(&router, "GET", "/", &session, Vec::new()).await;
    assert_ne!(home.body, "hello stranger", "still logged in");
}

#[tokio::test]
async fn a_new_login_replaces_the_browsers_stored_session() {
    let store = Arc::new(MemorySessionStore::default());
    let (router, spid) = app(Sessions::store(store.clone()));
    let (_, first) = log_in(&router, &spid).await;
    assert_eq!(store.len(), 1);
    // The same browser logs in again, still holding its first session
    // cookie: an instance with its own replay cache (the fixtures have one
    // Response) and the same store stands in for a second login.
    let (router2, spid2) = app(Sessions::store(store.clone()));
    let login_cookie = fixture_cookie(spid2.endpoints().service_provider(), "relay-1");
    let cookie = format!("abilita-spid-login={login_cookie}; {first}");
    let response = encoded(include_str!("../data/responses/case-001.xml"));
    let body = form(&[("SAMLResponse", &response), ("RelayState", "relay-1")]);
    let again = send(&router2, "POST", "/acs", &cookie, body).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let second = cookie_named(&again, "abilita-spid-session");
    assert_ne!(
        second, first,
        "a new session id, never the one the browser brought"
    );
    assert_eq!(store.len(), 1, "the old session closed");
    let old = send(&router, "GET", "/", &first, Vec::new()).await;
    assert_eq!(old.body, "hello stranger");
}
