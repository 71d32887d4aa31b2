//! The framework-neutral endpoints: routing, the login redirect and its
//! cookie, the ACS bound to the browser, floods, refusals that reach the
//! app, and Single Logout through them. Whole logins by a real conformance
//! tool are run by `scripts/spid-conformance.sh` (spid-sp-test posting to
//! the example SP).

use abilita_spid::LoginError;
use abilita_spid::registry::IdpRegistry;
use abilita_spid::web::{Outcome, Refusal, SpidEndpoints, WebRequest, WebResponse};
use base64::Engine as _;

use crate::Redirected;
use crate::conformance::validate;
use crate::fixture_sp::{FIXTURES_NOW, sp};
use crate::login::{encoded, fixture_cookie};
use crate::logout::{SUCCESS, idp_logout_request, logout_response, redirect_query, signed};
use crate::registry::{certificate_body, entity};

/// The endpoints, trusting the fixtures' IdP with its key and the stand-in
/// key the Single Logout tests sign with.
fn endpoints() -> SpidEndpoints {
    let keys = [
        certificate_body(include_str!("../data/idp-public.cert")),
        certificate_body(include_str!("../data/sp.cert")),
    ];
    let metadata = entity("https://localhost:8443", &[&keys[0], &keys[1]]);
    let mut idps = IdpRegistry::new();
    idps.add_unsigned_idp_insecure(&metadata, FIXTURES_NOW)
        .unwrap();
    SpidEndpoints::new(sp(), idps).unwrap()
}

async fn outcome(
    endpoints: &SpidEndpoints,
    method: &str,
    path: &str,
    query: &str,
    cookies: &str,
    body: &[u8],
) -> Outcome {
    let request = WebRequest {
        method,
        path,
        query,
        cookies,
        body,
    };
    endpoints.handle(request, FIXTURES_NOW).await
}

async fn respond(
    endpoints: &SpidEndpoints,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> WebResponse {
    match outcome(endpoints, method, path, query, "", body).await {
        Outcome::Respond(response) | Outcome::Refused(_, response) => response,
        other => panic!("{method} {path}: {other:?}"),
    }
}

fn form_body(fields: &[(&str, &str)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}

const CASE_001: &str = include_str!("../data/responses/case-001.xml");

#[tokio::test]
async fn metadata_login_and_refusals_have_their_status_codes() {
    let endpoints = endpoints();
    let metadata = respond(&endpoints, "GET", "/metadata", "", b"").await;
    assert_eq!(metadata.status, 200);
    assert!(metadata.body.contains("<ds:Signature"));
    let again = respond(&endpoints, "GET", "/metadata", "", b"").await;
    assert_eq!(again.body, metadata.body, "signed once, served from memory");

    let login = respond(
        &endpoints,
        "GET",
        "/login",
        "idp=https%3A%2F%2Flocalhost%3A8443&return=%2Ftari",
        b"",
    )
    .await;
    assert_eq!(login.status, 302);
    let location = login.location.unwrap();
    assert!(
        location.starts_with("https://localhost:8443/samlsso?SAMLRequest="),
        "{location}"
    );
    assert!(location.contains("&RelayState=") && location.contains("&Signature="));
    assert!(!location.contains("tari"), "the return path is sealed");
    assert_eq!(login.set_cookies.len(), 1);
    assert!(login.set_cookies[0].starts_with("abilita-spid-login="));

    let unknown = respond(
        &endpoints,
        "GET",
        "/login",
        "idp=https%3A%2F%2Fidp.unknown.example",
        b"",
    )
    .await;
    assert_eq!(unknown.status, 400);
    let bad_level = respond(
        &endpoints,
        "GET",
        "/login",
        "idp=https%3A%2F%2Flocalhost%3A8443&level=4",
        b"",
    )
    .await;
    assert_eq!(bad_level.status, 400);

    let empty = respond(&endpoints, "POST", "/acs", "", b"").await;
    assert_eq!(empty.status, 400);
    assert_eq!(
        respond(&endpoints, "GET", "/acs", "", b"").await.status,
        405
    );
    assert_eq!(
        respond(&endpoints, "GET", "/elsewhere", "", b"")
            .await
            .status,
        404
    );
    let unsigned_logout = respond(&endpoints, "POST", "/slo", "", b"SAMLRequest=PHg%2B").await;
    assert_eq!(unsigned_logout.status, 403);
}

#[tokio::test]
async fn a_lower_level_in_the_login_url_is_raised_to_the_sps_floor() {
    let endpoints = endpoints();
    let login = respond(
        &endpoints,
        "GET",
        "/login",
        "idp=https%3A%2F%2Flocalhost%3A8443&level=1",
        b"",
    )
    .await;
    let xml = Redirected::parse(&login.location.unwrap()).xml;
    assert!(xml.contains("https://www.spid.gov.it/SpidL2"), "{xml}");
    assert!(!xml.contains("SpidL1"));
}

#[tokio::test]
async fn the_acs_completes_a_login_only_with_the_browsers_cookie_and_says_why_not() {
    let endpoints = endpoints();
    let cookie = fixture_cookie(endpoints.service_provider(), "relay-1");
    let saml_response = encoded(CASE_001);
    let body = form_body(&[("SAMLResponse", &saml_response), ("RelayState", "relay-1")]);

    // Another browser posts the captured form: refused, the reason typed.
    match outcome(&endpoints, "POST", "/acs", "", "", &body).await {
        Outcome::Refused(refusal @ Refusal::Login(LoginError::NoPendingLogin), page) => {
            assert_eq!(page.status, 403);
            assert!(page.body.contains("Accesso non riuscito"));
            // What the log line says: the whole chain, not the top phrase.
            assert_eq!(
                abilita_core::ErrorChain(&refusal).to_string(),
                "a SPID login was refused: no login was started in this browser"
            );
        }
        other => panic!("{other:?}"),
    }
    let cookies = format!("lang=it; abilita-spid-login={cookie}");
    match outcome(&endpoints, "POST", "/acs", "", &cookies, &body).await {
        Outcome::LoggedIn(login) => {
            assert_eq!(login.return_path.as_str(), "/servizi/tari?anno=2026");
        }
        other => panic!("{other:?}"),
    }
    // The same browser, the same form again.
    match outcome(&endpoints, "POST", "/acs", "", &cookies, &body).await {
        Outcome::Refused(Refusal::Login(LoginError::ReplayedRequest), page) => {
            assert_eq!(page.status, 403);
        }
        other => panic!("{other:?}"),
    }
}

/// The earlier design kept 10,000 pending logins in memory: 10,100
/// anonymous GETs locked every citizen out for ten minutes. Now `/login`
/// keeps nothing, so the flood costs the server only the signatures.
#[tokio::test]
async fn a_flood_of_login_calls_does_not_stop_a_citizens_login() {
    let endpoints = endpoints();
    for _ in 0..12_000 {
        let flood = respond(
            &endpoints,
            "GET",
            "/login",
            "idp=https%3A%2F%2Flocalhost%3A8443",
            b"",
        )
        .await;
        assert_eq!(flood.status, 302);
    }
    let cookie = fixture_cookie(endpoints.service_provider(), "relay-1");
    let body = form_body(&[
        ("SAMLResponse", &encoded(CASE_001)),
        ("RelayState", "relay-1"),
    ]);
    let cookies = format!("abilita-spid-login={cookie}");
    assert!(matches!(
        outcome(&endpoints, "POST", "/acs", "", &cookies, &body).await,
        Outcome::LoggedIn(_)
    ));
}

#[tokio::test]
async fn an_idp_logout_request_is_accepted_once() {
    let endpoints = endpoints();
    let request = signed(&idp_logout_request(
        FIXTURES_NOW,
        "http://127.0.0.1:8000/slo",
    ));
    let body = form_body(&[
        (
            "SAMLRequest",
            &base64::engine::general_purpose::STANDARD.encode(&request),
        ),
        ("RelayState", "rs"),
    ]);
    match outcome(&endpoints, "POST", "/slo", "", "", &body).await {
        Outcome::LoggedOut(logout, answer) => {
            assert_eq!(logout.idp_entity_id, "https://localhost:8443");
            assert_eq!(
                logout.name_qualifier.as_deref(),
                Some("https://localhost:8443")
            );
            assert_eq!(answer.status, 302);
        }
        other => panic!("{other:?}"),
    }
    match outcome(&endpoints, "POST", "/slo", "", "", &body).await {
        Outcome::Refused(Refusal::LogoutRequest(_), page) => assert_eq!(page.status, 403),
        other => panic!("a replayed LogoutRequest: {other:?}"),
    }
}

#[tokio::test]
async fn an_sp_initiated_logout_is_confirmed_only_in_its_browser_with_or_without_relay_state() {
    let endpoints = endpoints();
    let identity = validate(CASE_001).unwrap();
    let start = endpoints.logout(&identity, FIXTURES_NOW);
    assert_eq!(start.status, 302);
    let location = start.location.unwrap();
    assert!(location.starts_with("https://localhost:8443/samlsso?SAMLRequest="));
    let cookie = start.set_cookies[0].split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("abilita-spid-logout="), "{cookie}");
    let sent = Redirected::parse(&location);
    let request_id = crate::first_id(&sent.xml).to_owned();
    let pending = abilita_spid::PendingLogout {
        id: request_id,
        idp_entity_id: "https://localhost:8443".into(),
        issued_at: FIXTURES_NOW,
    };
    let answer = signed(&logout_response(&pending, SUCCESS, FIXTURES_NOW));
    let saml_response = base64::engine::general_purpose::STANDARD.encode(&answer);
    // No RelayState: some IdPs drop it.
    let body = form_body(&[("SAMLResponse", &saml_response)]);

    match outcome(&endpoints, "POST", "/slo", "", "", &body).await {
        Outcome::Refused(Refusal::Logout(abilita_spid::LogoutError::NoPendingLogout), page) => {
            assert_eq!(page.status, 403, "another browser");
        }
        other => panic!("{other:?}"),
    }
    let wrong_relay = form_body(&[("SAMLResponse", &saml_response), ("RelayState", "other")]);
    assert!(matches!(
        outcome(&endpoints, "POST", "/slo", "", &cookie, &wrong_relay).await,
        Outcome::Refused(
            Refusal::Logout(abilita_spid::LogoutError::RelayStateMismatch),
            _
        )
    ));
    match outcome(&endpoints, "POST", "/slo", "", &cookie, &body).await {
        Outcome::LogoutConfirmed(status, page) => {
            assert_eq!(status, abilita_spid::LogoutStatus::Success);
            assert_eq!(page.status, 200);
            assert!(
                page.set_cookies[0].starts_with("abilita-spid-logout=;"),
                "cleared"
            );
        }
        other => panic!("{other:?}"),
    }
    // By HTTP-Redirect too, and once only.
    let query = redirect_query(
        "SAMLResponse",
        answer.as_bytes(),
        &sent.params["RelayState"],
    );
    assert!(matches!(
        outcome(&endpoints, "GET", "/slo", &query, &cookie, b"").await,
        Outcome::Refused(Refusal::Logout(abilita_spid::LogoutError::Replayed), _)
    ));
}
