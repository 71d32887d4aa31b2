//! An IdP-initiated LogoutRequest by HTTP-Redirect, the raw query string
//! as received: parameter splitting and decoding, base64, the bounded
//! inflate, parsing, and the signature over the query octets. It must
//! return, never panic.

#![no_main]

use std::sync::LazyLock;

use abilita_spid::dsig::TrustedKey;
use abilita_spid::testing::fixture_sp;
use abilita_spid::{DEFAULT_CLOCK_SKEW, ServiceProvider};
use libfuzzer_sys::fuzz_target;

static SETUP: LazyLock<(ServiceProvider, TrustedKey)> = LazyLock::new(|| {
    let certificate = include_str!("../../tests/data/sp.cert");
    let key = TrustedKey::from_certificate_pem(certificate).expect("the test certificate");
    (fixture_sp::sp(), key)
});

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let (sp, key) = &*SETUP;
    let keys_of = |_: &str| vec![key.clone()];
    let _ = sp.validate_logout_request_redirect(
        query,
        &keys_of,
        fixture_sp::FIXTURES_NOW,
        DEFAULT_CLOCK_SKEW,
    );
});
