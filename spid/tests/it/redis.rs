//! The login state on a real `redis-server` (ignored without one;
//! `scripts/redis-tests.sh` installs it and runs them): two SP instances
//! sharing one Redis, and Redis restarted under them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use abilita_spid::cookie::StateKey;
use abilita_spid::redis::RedisStore;
use abilita_spid::router::SpidAuth;
use abilita_spid::session::Sessions;
use abilita_spid::testing::redis_server::RedisServer;
use axum::Router;
use axum::http::StatusCode;
use base64::Engine as _;

use crate::fixture_sp::{FIXTURES_NOW, sp};
use crate::login::{encoded, fixture_cookie};
use crate::logout::{idp_logout_request, signed};
use crate::router::{Answer, app_with, cookie_named, endpoints_for, form, send};

/// One SP instance on `redis`: replay cache and sessions there, and the
/// state key every instance shares.
async fn instance(redis: &RedisServer) -> (Router, SpidAuth) {
    let store = RedisStore::connect(&redis.url()).await.unwrap();
    let shared_key = StateKey::from_bytes(&[7; 32]).unwrap();
    let endpoints =
        endpoints_for(sp().with_state_key(shared_key)).with_replay_cache(Box::new(store.clone()));
    app_with(endpoints, Sessions::store(Arc::new(store)))
}

/// The fixtures' Response, posted to `router` from the browser whose login
/// cookie `spid` sealed.
async fn post_response(router: &Router, spid: &SpidAuth) -> Answer {
    let login_cookie = fixture_cookie(spid.endpoints().service_provider(), "relay-1");
    let cookie = format!("abilita-spid-login={login_cookie}");
    let response = encoded(include_str!("../data/responses/case-001.xml"));
    let body = form(&[("SAMLResponse", &response), ("RelayState", "relay-1")]);
    send(router, "POST", "/acs", &cookie, body).await
}

#[tokio::test]
#[ignore = "needs redis-server"]
async fn two_instances_share_logins_replays_and_logouts_through_redis() {
    let redis = RedisServer::start();
    let (a, spid_a) = instance(&redis).await;
    let (b, _) = instance(&redis).await;

    // Started on A (A sealed the login cookie), finished on B.
    let finished = post_response(&b, &spid_a).await;
    assert_eq!(finished.status, StatusCode::SEE_OTHER, "{}", finished.body);
    let session = cookie_named(&finished, "abilita-spid-session");
    let area = send(&a, "GET", "/area", &session, Vec::new()).await;
    assert_eq!(area.status, StatusCode::OK, "A reads the session B opened");

    // The same Response replayed on A: refused, A knows B accepted it.
    let replayed = post_response(&a, &spid_a).await;
    assert_eq!(replayed.status, StatusCode::FORBIDDEN);
    assert!(replayed.body.contains("Replayed"), "{}", replayed.body);

    // The IdP's logout reaches A; the session B opened is closed.
    let home = send(&b, "GET", "/", &session, Vec::new()).await;
    let name_id = home.body.trim_start_matches("hello ").to_owned();
    let slo_url = spid_a.endpoints().service_provider().slo_url();
    let request =
        signed(&idp_logout_request(FIXTURES_NOW, &slo_url).replace("_nameid-1", &name_id));
    let body = form(&[(
        "SAMLRequest",
        &base64::engine::general_purpose::STANDARD.encode(request),
    )]);
    let logout = send(&a, "POST", "/slo", "", body.clone()).await;
    assert!(logout.status.is_redirection(), "{}", logout.body);
    let area = send(&b, "GET", "/area", &session, Vec::new()).await;
    assert_eq!(area.status, StatusCode::SEE_OTHER, "logged out on B too");
    // And that LogoutRequest is refused on B: single use across instances.
    let again = send(&b, "POST", "/slo", "", body).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
#[ignore = "needs redis-server"]
async fn redis_restarting_under_the_sp_refuses_with_503_then_recovers_without_its_state() {
    let mut redis = RedisServer::start();
    let (a, spid_a) = instance(&redis).await;
    let finished = post_response(&a, &spid_a).await;
    let session = cookie_named(&finished, "abilita-spid-session");

    redis.stop();
    // Redis away: no page behind a login, no login; 503, never a panic.
    let area = send(&a, "GET", "/area", &session, Vec::new()).await;
    assert_eq!(area.status, StatusCode::SERVICE_UNAVAILABLE);
    let login = post_response(&a, &spid_a).await;
    assert_eq!(
        login.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        login.body
    );
    assert!(
        login.body.contains("Store"),
        "the typed reason: {}",
        login.body
    );

    redis.restart();
    // The connection comes back by itself (a first call may still fail
    // while it reconnects).
    let deadline = Instant::now() + Duration::from_secs(10);
    let area = loop {
        let area = send(&a, "GET", "/area", &session, Vec::new()).await;
        if area.status != StatusCode::SERVICE_UNAVAILABLE || Instant::now() > deadline {
            break area;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Without persistence the session is lost: back to the chooser.
    assert_eq!(area.status, StatusCode::SEE_OTHER);
    // And so is the replay record: the same browser, with its login cookie
    // and within the Response's validity, logs in again (documented in
    // `abilita_spid::redis`; `appendonly yes` prevents it)...
    let again = post_response(&a, &spid_a).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    // ...but from any other browser the Response is still refused.
    let response = encoded(include_str!("../data/responses/case-001.xml"));
    let body = form(&[("SAMLResponse", &response), ("RelayState", "relay-1")]);
    let stolen = send(&a, "POST", "/acs", "", body).await;
    assert_eq!(stolen.status, StatusCode::FORBIDDEN);
}
