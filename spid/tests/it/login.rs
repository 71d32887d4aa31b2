//! A login's two halves around the browser's cookie: the login completes
//! only in the browser that started it, once per request and once per
//! assertion; return paths stay on the site; the replay cache is bounded.

use abilita_spid::cookie::{CookieError, STATE_TTL, StateKey};
use abilita_spid::dsig::TrustedKey;
use abilita_spid::state::{MemoryReplayCache, PendingLogin, ReplayCache, ReturnPath, StoreError};
use abilita_spid::{
    AcsForm, AuthnOptions, Comparison, DEFAULT_CLOCK_SKEW, IdpTarget, Login, LoginError,
    ResponseError, ServiceProvider, SpidLevel, UserAnomaly,
};
use base64::Engine as _;

use crate::Redirected;
use crate::fixture_sp::{FIXTURES_NOW as NOW, pending, sp};

pub(crate) fn idp_keys(entity_id: &str) -> Vec<TrustedKey> {
    assert_eq!(
        entity_id, "https://localhost:8443",
        "the pending login's IdP"
    );
    vec![TrustedKey::from_certificate_pem(include_str!("../data/idp-public.cert")).unwrap()]
}

pub(crate) fn encoded(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml)
}

/// The login cookie a browser got for the fixtures' request, under
/// `relay_state`.
pub(crate) fn fixture_cookie(sp: &ServiceProvider, relay_state: &str) -> String {
    let login = PendingLogin {
        request: pending(),
        return_path: ReturnPath::new("/servizi/tari?anno=2026").unwrap(),
    };
    sp.login_cookie(&login, relay_state, NOW).value().to_owned()
}

async fn finish(
    sp: &ServiceProvider,
    replay: &MemoryReplayCache,
    xml: &str,
    relay_state: &str,
    cookie: Option<&str>,
) -> Result<Login, LoginError> {
    let saml_response = encoded(xml);
    let form = AcsForm {
        saml_response: &saml_response,
        relay_state,
        login_cookie: cookie,
    };
    sp.finish_login(form, replay, &idp_keys, NOW, DEFAULT_CLOCK_SKEW)
        .await
}

const CASE_001: &str = include_str!("../data/responses/case-001.xml");

#[test]
fn start_login_seals_the_request_in_a_cookie_and_keeps_nothing() {
    let sp = sp();
    let options = AuthnOptions {
        level: SpidLevel::L2,
        comparison: Comparison::Minimum,
        attribute_set: 0,
    };
    let idp = IdpTarget {
        entity_id: "https://idp.example",
        sso_url: "https://idp.example/sso",
    };
    let start = sp.start_login(idp, &options, ReturnPath::new("/anagrafe").unwrap(), NOW);

    let Redirected { params, xml, .. } = Redirected::parse(&start.redirect_url);
    assert!(!params["RelayState"].contains("anagrafe"));
    assert!(xml.contains("https://www.spid.gov.it/SpidL2"));
    let cookie = &start.cookie;
    assert_eq!(
        cookie.name(),
        "abilita-spid-login",
        "loopback http: no __Host-"
    );
    assert!(!cookie.value().contains("anagrafe"), "sealed, not signed");
    assert_eq!(
        cookie.set_cookie(),
        format!(
            "abilita-spid-login={}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax",
            cookie.value()
        )
    );
}

#[test]
fn the_sps_floor_raises_a_lower_request() {
    let sp = sp();
    let idp = IdpTarget {
        entity_id: "https://idp.example",
        sso_url: "https://idp.example/sso",
    };
    for (asked, sent) in [
        (SpidLevel::L1, "SpidL2"),
        (SpidLevel::L2, "SpidL2"),
        (SpidLevel::L3, "SpidL3"),
    ] {
        let options = AuthnOptions {
            level: asked,
            comparison: Comparison::Minimum,
            attribute_set: 0,
        };
        let start = sp.start_login(idp, &options, ReturnPath::default(), NOW);
        let xml = Redirected::parse(&start.redirect_url).xml;
        assert!(
            xml.contains(&format!("https://www.spid.gov.it/{sent}")),
            "{asked:?} asked on an L2 SP: {xml}"
        );
    }
}

#[tokio::test]
async fn a_login_completes_once_per_request_and_once_per_assertion() {
    let (sp, replay) = (sp(), MemoryReplayCache::default());
    let cookie = fixture_cookie(&sp, "relay-1");
    let login = finish(&sp, &replay, CASE_001, "relay-1", Some(&cookie))
        .await
        .unwrap();
    assert_eq!(login.return_path.as_str(), "/servizi/tari?anno=2026");
    assert_eq!(
        login.identity.attributes.codice_fiscale().unwrap().as_str(),
        "GDASDV00A01H501J"
    );

    // The same cookie and Response again: the request was answered.
    let again = finish(&sp, &replay, CASE_001, "relay-1", Some(&cookie)).await;
    assert!(
        matches!(again, Err(LoginError::ReplayedRequest)),
        "{again:?}"
    );

    // A cache that has only seen the assertion still refuses it.
    let assertion_only = MemoryReplayCache::default();
    let id = &login.identity.assertion_id;
    let until = NOW + time::Duration::minutes(5);
    assert!(
        assertion_only
            .first_use(&format!("assertion:{id}"), until, NOW)
            .await
            .unwrap()
    );
    let laundered = finish(&sp, &assertion_only, CASE_001, "relay-1", Some(&cookie)).await;
    assert!(
        matches!(laundered, Err(LoginError::ReplayedAssertion)),
        "{laundered:?}"
    );
}

#[tokio::test]
async fn the_assertion_is_remembered_until_its_validity_plus_the_tolerance() {
    let (sp, replay) = (sp(), MemoryReplayCache::default());
    let cookie = fixture_cookie(&sp, "relay-1");
    let identity = finish(&sp, &replay, CASE_001, "relay-1", Some(&cookie))
        .await
        .unwrap()
        .identity;
    let key = format!("assertion:{}", identity.assertion_id);
    let skew = time::Duration::try_from(DEFAULT_CLOCK_SKEW).unwrap();
    // Validation accepts the assertion until valid_until + skew: so long
    // it must stay remembered.
    let last_accepted = identity.valid_until + skew - time::Duration::seconds(1);
    assert!(
        !replay
            .first_use(&key, last_accepted, last_accepted)
            .await
            .unwrap()
    );
    let forgotten = identity.valid_until + skew;
    assert!(replay.first_use(&key, forgotten, forgotten).await.unwrap());
}

#[tokio::test]
async fn a_response_completes_only_in_the_browser_that_started_the_login() {
    let (sp, replay) = (sp(), MemoryReplayCache::default());
    let mine = fixture_cookie(&sp, "relay-mine");

    // Posted by a browser that started nothing (login CSRF, a captured Response).
    let no_cookie = finish(&sp, &replay, CASE_001, "relay-mine", None).await;
    assert!(
        matches!(no_cookie, Err(LoginError::NoPendingLogin)),
        "{no_cookie:?}"
    );

    // Posted by a browser whose own login is another one.
    let theirs = fixture_cookie(&sp, "relay-theirs");
    let other = finish(&sp, &replay, CASE_001, "relay-mine", Some(&theirs)).await;
    assert!(
        matches!(other, Err(LoginError::RelayStateMismatch)),
        "{other:?}"
    );

    // A cookie changed by one character, sealed by another SP, or expired.
    let mut tampered = mine.clone().into_bytes();
    tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let other_sp = sp_with_key();
    let foreign = fixture_cookie(&other_sp, "relay-mine");
    for (cookie, why) in [(&tampered, "tampered"), (&foreign, "another SP's key")] {
        let refused = finish(&sp, &replay, CASE_001, "relay-mine", Some(cookie)).await;
        assert!(
            matches!(
                refused,
                Err(LoginError::PendingLogin(CookieError::NotSealedHere))
            ),
            "{why}: {refused:?}"
        );
    }
    let form = AcsForm {
        saml_response: &encoded(CASE_001),
        relay_state: "relay-mine",
        login_cookie: Some(&mine),
    };
    let ttl = time::Duration::try_from(STATE_TTL).unwrap();
    let late = sp
        .finish_login(form, &replay, &idp_keys, NOW + ttl, DEFAULT_CLOCK_SKEW)
        .await;
    assert!(
        matches!(late, Err(LoginError::PendingLogin(CookieError::Expired))),
        "{late:?}"
    );

    // The right browser, after all that: none of it spent the login.
    finish(&sp, &replay, CASE_001, "relay-mine", Some(&mine))
        .await
        .unwrap();
}

fn sp_with_key() -> ServiceProvider {
    sp().with_state_key(StateKey::from_bytes(&[7; 32]).unwrap())
}

#[tokio::test]
async fn instances_that_share_the_key_finish_each_others_logins() {
    let key = || {
        StateKey::from_base64(&base64::engine::general_purpose::STANDARD.encode([9u8; 32])).unwrap()
    };
    let (first, second) = (sp().with_state_key(key()), sp().with_state_key(key()));
    let cookie = fixture_cookie(&first, "relay-1");
    let replay = MemoryReplayCache::default();
    finish(&second, &replay, CASE_001, "relay-1", Some(&cookie))
        .await
        .unwrap();
    assert!(StateKey::from_bytes(&[1; 31]).is_err());
    assert!(StateKey::from_base64("not base64!").is_err());
    assert_eq!(format!("{:?}", key()), "StateKey([redacted])");
}

#[tokio::test]
async fn a_refused_response_does_not_spend_the_login() {
    let (sp, replay) = (sp(), MemoryReplayCache::default());
    let cookie = fixture_cookie(&sp, "relay-2");
    let outcome = finish(
        &sp,
        &replay,
        include_str!("../data/responses/case-104.xml"),
        "relay-2",
        Some(&cookie),
    )
    .await;
    assert!(matches!(
        outcome,
        Err(LoginError::Response(ResponseError::Anomaly(
            UserAnomaly::RepeatedFailures
        )))
    ));
    // The citizen tries again at the IdP, which answers the same request.
    finish(&sp, &replay, CASE_001, "relay-2", Some(&cookie))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_replay_cache_is_bounded_and_refuses_when_full() {
    let cache = MemoryReplayCache::new(1);
    let until = NOW + time::Duration::minutes(5);
    assert!(cache.first_use("assertion:_a1", until, NOW).await.unwrap());
    assert!(!cache.first_use("assertion:_a1", until, NOW).await.unwrap());
    assert!(matches!(
        cache.first_use("assertion:_a2", until, NOW).await,
        Err(StoreError::Full(_))
    ));
    // Past its time the id is refused by the validation itself, so the
    // cache may forget it.
    assert!(
        cache
            .first_use("assertion:_a2", until, until)
            .await
            .unwrap()
    );
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
