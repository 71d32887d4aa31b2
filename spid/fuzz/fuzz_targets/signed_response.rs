//! A Response the fuzzer writes, signed again (Assertion, then Response)
//! by a key the SP trusts, so that every rule behind the signature checks
//! (times, audience, subject, attributes, anomalies) meets hostile values,
//! through the whole ACS path: the browser's login cookie, validation, and
//! the replay cache whose expiries come from the Response's instants. It
//! must return, never panic.

#![no_main]

use std::pin::pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};

use abilita_core::PrivateKeyPem;
use abilita_spid::dsig::TrustedKey;
use abilita_spid::state::{MemoryReplayCache, PendingLogin, ReturnPath};
use abilita_spid::testing::{fixture_sp, resign};
use abilita_spid::{AcsForm, DEFAULT_CLOCK_SKEW, ServiceProvider, SigningKey};
use libfuzzer_sys::fuzz_target;

const CERTIFICATE: &str = include_str!("../../tests/data/sp.cert");

struct Setup {
    sp: ServiceProvider,
    cookie: String,
    signer: SigningKey,
    keys: Vec<TrustedKey>,
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| {
    let sp = fixture_sp::sp();
    let login = PendingLogin {
        request: fixture_sp::pending(),
        return_path: ReturnPath::default(),
    };
    let cookie = sp.login_cookie(&login, "relay", fixture_sp::FIXTURES_NOW);
    Setup {
        cookie: cookie.value().to_owned(),
        sp,
        signer: SigningKey::from_pem(&PrivateKeyPem::new(include_str!("../../tests/data/sp.key")))
            .expect("the test key"),
        keys: vec![TrustedKey::from_certificate_pem(CERTIFICATE).expect("the test certificate")],
    }
});

/// The in-memory replay cache never waits: one poll finishes the login.
fn at_once<T>(future: impl Future<Output = T>) -> Option<T> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else {
        return;
    };
    let setup = &*SETUP;
    let Some(signed) = resign::resign(&resign::strip_signatures(xml), &setup.signer, CERTIFICATE)
    else {
        return;
    };
    let saml_response = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, signed);
    let form = AcsForm {
        saml_response: &saml_response,
        relay_state: "relay",
        login_cookie: Some(&setup.cookie),
    };
    let replay = MemoryReplayCache::new(4);
    let keys = |_: &str| setup.keys.clone();
    let finished = setup.sp.finish_login(
        form,
        &replay,
        &keys,
        fixture_sp::FIXTURES_NOW,
        DEFAULT_CLOCK_SKEW,
    );
    let _ = at_once(finished);
});
