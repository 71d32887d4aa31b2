//! A Response the fuzzer writes, signed again (Assertion, then Response)
//! by a key the SP trusts, so that every rule behind the signature checks
//! (times, audience, subject, attributes, anomalies) meets hostile values.
//! It must return, never panic.

#![no_main]

#[path = "../../tests/it/fixture_sp.rs"]
mod fixture_sp;
#[path = "../../benches/support/resign.rs"]
mod resign;

use std::sync::LazyLock;

use abilita_core::PrivateKeyPem;
use abilita_spid::dsig::TrustedKey;
use abilita_spid::{DEFAULT_CLOCK_SKEW, Expectations, PendingRequest, ServiceProvider, SigningKey};
use libfuzzer_sys::fuzz_target;

const CERTIFICATE: &str = include_str!("../../tests/data/sp.cert");

struct Setup {
    sp: ServiceProvider,
    request: PendingRequest,
    signer: SigningKey,
    keys: [TrustedKey; 1],
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| Setup {
    sp: fixture_sp::sp(),
    request: fixture_sp::pending(),
    signer: SigningKey::from_pem(&PrivateKeyPem::new(include_str!("../../tests/data/sp.key")))
        .expect("the test key"),
    keys: [TrustedKey::from_certificate_pem(CERTIFICATE).expect("the test certificate")],
});

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else {
        return;
    };
    let setup = &*SETUP;
    let Some(signed) = resign::resign(&resign::strip_signatures(xml), &setup.signer, CERTIFICATE)
    else {
        return;
    };
    let expect = Expectations {
        request: &setup.request,
        idp_keys: &setup.keys,
        now: fixture_sp::FIXTURES_NOW,
        clock_skew: DEFAULT_CLOCK_SKEW,
    };
    let _ = setup.sp.validate_response_xml(&signed, &expect);
});
