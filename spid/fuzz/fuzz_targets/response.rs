//! A Response as an attacker posts it to the ACS (after base64): parsing,
//! the signature checks and whatever precedes them, against the fixtures'
//! SP, pending request and IdP key. It must return, never panic.

#![no_main]

use std::sync::LazyLock;

use abilita_spid::dsig::TrustedKey;
use abilita_spid::testing::fixture_sp;
use abilita_spid::{DEFAULT_CLOCK_SKEW, Expectations, PendingRequest, ServiceProvider};
use libfuzzer_sys::fuzz_target;

static SETUP: LazyLock<(ServiceProvider, PendingRequest, [TrustedKey; 1])> = LazyLock::new(|| {
    let idp = include_str!("../../tests/data/idp-public.cert");
    let key = TrustedKey::from_certificate_pem(idp).expect("the fixtures' IdP certificate");
    (fixture_sp::sp(), fixture_sp::pending(), [key])
});

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else {
        return;
    };
    let (sp, request, keys) = &*SETUP;
    let expect = Expectations {
        request,
        idp_keys: keys,
        now: fixture_sp::FIXTURES_NOW,
        clock_skew: DEFAULT_CLOCK_SKEW,
    };
    let _ = sp.validate_response_xml(xml, &expect);
});
