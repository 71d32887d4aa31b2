//! A login's two halves around the stores: one answer per pending login,
//! one use per assertion, return paths that stay on the site, bounded stores.

use std::time::Duration;

use abilita_spid::dsig::TrustedKey;
use abilita_spid::state::{
    MemoryPendingStore, MemoryReplayCache, PendingLogin, PendingStore, ReplayCache, ReturnPath,
    StoreError,
};
use abilita_spid::{
    AcsForm, AuthnOptions, Comparison, IdpTarget, LoginError, ResponseError, SpidLevel, UserAnomaly,
};
use base64::Engine as _;

use crate::Redirected;
use crate::fixture_sp::{FIXTURES_NOW as NOW, pending, sp};

fn idp_keys(entity_id: &str) -> Vec<TrustedKey> {
    assert_eq!(
        entity_id, "https://localhost:8443",
        "the pending login's IdP"
    );
    vec![TrustedKey::from_certificate_pem(include_str!("../data/idp-public.cert")).unwrap()]
}

fn encoded(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml)
}

async fn keep_fixture_login(store: &MemoryPendingStore, relay_state: &str) {
    let login = PendingLogin {
        request: pending(),
        return_path: ReturnPath::new("/servizi/tari?anno=2026").unwrap(),
    };
    store.put(relay_state, login, NOW).await.unwrap();
}

#[tokio::test]
async fn start_login_keeps_the_request_under_an_opaque_relay_state() {
    let sp = sp();
    let store = MemoryPendingStore::default();
    let options = AuthnOptions {
        level: SpidLevel::L2,
        comparison: Comparison::Minimum,
        attribute_set: 0,
    };
    let idp = IdpTarget {
        entity_id: "https://idp.example",
        sso_url: "https://idp.example/sso",
    };
    let return_path = ReturnPath::new("/anagrafe").unwrap();
    let url = sp
        .start_login(&store, idp, &options, return_path.clone(), NOW)
        .await
        .unwrap();

    let Redirected { params, xml, .. } = Redirected::parse(&url);
    let relay_state = &params["RelayState"];
    assert!(
        !relay_state.contains("anagrafe"),
        "the path stays server-side"
    );

    let login = store.take(relay_state, NOW).await.unwrap().unwrap();
    assert!(xml.contains(&format!("ID=\"{}\"", login.request.id)));
    assert_eq!(login.request.idp_entity_id, "https://idp.example");
    assert_eq!(login.request.level, SpidLevel::L2);
    assert_eq!(login.return_path, return_path);
    assert!(store.take(relay_state, NOW).await.unwrap().is_none());
}

#[tokio::test]
async fn a_login_is_finished_once_and_its_assertion_used_once() {
    let (sp, pending_store, replay) = (
        sp(),
        MemoryPendingStore::default(),
        MemoryReplayCache::default(),
    );
    let form = AcsForm {
        saml_response: &encoded(include_str!("../data/responses/case-001.xml")),
        relay_state: "relay-1",
    };
    let finish = || {
        sp.finish_login(
            form,
            &pending_store,
            &replay,
            &idp_keys,
            NOW,
            abilita_spid::DEFAULT_CLOCK_SKEW,
        )
    };

    keep_fixture_login(&pending_store, "relay-1").await;
    let login = finish().await.unwrap();
    assert_eq!(login.return_path.as_str(), "/servizi/tari?anno=2026");
    assert_eq!(
        login.identity.attributes.fiscal_number.unwrap().as_str(),
        "GDASDV00A01H501J"
    );

    // The same post again: the pending login is gone.
    assert!(matches!(finish().await, Err(LoginError::UnknownRelayState)));
    // A fresh pending login cannot launder the same assertion.
    keep_fixture_login(&pending_store, "relay-1").await;
    assert!(matches!(finish().await, Err(LoginError::ReplayedAssertion)));
}

#[tokio::test]
async fn a_refused_response_consumes_the_pending_login() {
    let (sp, pending_store, replay) = (
        sp(),
        MemoryPendingStore::default(),
        MemoryReplayCache::default(),
    );
    keep_fixture_login(&pending_store, "relay-2").await;
    let form = AcsForm {
        saml_response: &encoded(include_str!("../data/responses/case-104.xml")),
        relay_state: "relay-2",
    };
    let outcome = sp
        .finish_login(
            form,
            &pending_store,
            &replay,
            &idp_keys,
            NOW,
            abilita_spid::DEFAULT_CLOCK_SKEW,
        )
        .await;
    assert!(matches!(
        outcome,
        Err(LoginError::Response(ResponseError::Anomaly(
            UserAnomaly::RepeatedFailures
        )))
    ));
    assert!(pending_store.take("relay-2", NOW).await.unwrap().is_none());
}

#[tokio::test]
async fn pending_logins_expire_and_a_full_store_refuses_instead_of_evicting() {
    let store = MemoryPendingStore::new(2, Duration::from_secs(600));
    keep_fixture_login(&store, "a").await;
    keep_fixture_login(&store, "b").await;
    let login = PendingLogin {
        request: pending(),
        return_path: ReturnPath::default(),
    };
    assert!(matches!(
        store.put("c", login.clone(), NOW).await,
        Err(StoreError::Full(_))
    ));
    assert!(store.take("a", NOW).await.unwrap().is_some(), "a survived");
    store.put("c", login.clone(), NOW).await.unwrap();

    let later = NOW + time::Duration::seconds(600);
    assert!(store.take("b", later).await.unwrap().is_none(), "b expired");
    store.put("d", login.clone(), later).await.unwrap();
    store.put("e", login, later).await.unwrap();
}

#[tokio::test]
async fn the_replay_cache_remembers_an_assertion_for_its_validity() {
    let cache = MemoryReplayCache::new(1);
    let until = NOW + time::Duration::minutes(5);
    assert!(cache.first_use("_a1", until, NOW).await.unwrap());
    assert!(!cache.first_use("_a1", until, NOW).await.unwrap());
    assert!(matches!(
        cache.first_use("_a2", until, NOW).await,
        Err(StoreError::Full(_))
    ));
    // Past its validity the assertion is refused by the validation itself,
    // so the cache may forget it.
    assert!(cache.first_use("_a2", until, until).await.unwrap());
}

#[test]
fn return_paths_stay_on_the_site() {
    for local in ["/", "/servizi/tari?anno=2026", "/a/b#c"] {
        assert_eq!(ReturnPath::new(local).unwrap().as_str(), local);
    }
    for elsewhere in [
        "",
        "servizi",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/ok\r\nLocation: https://evil.example",
        &format!("/{}", "a".repeat(2048)),
    ] {
        let error = ReturnPath::new(elsewhere).unwrap_err();
        assert_eq!(error.field(), "return_path", "{elsewhere:?}");
    }
}
