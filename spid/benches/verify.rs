//! Verifying the signatures of a SPID Response (Response and Assertion
//! signed, RSA-2048, as spid-sp-test's case 1), against two bare aws-lc-rs
//! RSA-2048 verifications, in interleaved rounds of the same run.
//!
//! Run with `cargo bench -p abilita-spid --bench verify`.
//! Issue 3's targets apply to the whole Response validation (<= 100 us, <=
//! 2.5x the bare floor); this bench measures its signature part, parsing
//! included. The figures are printed, never asserted.

// A benchmark reports to stdout and may stop at the first broken assumption.
#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use abilita_spid::dsig::{TrustedKey, verified_assertion};
use abilita_spid::xml::parse;
use aws_lc_rs::signature::{
    KeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};

const RESPONSE: &str = include_str!("../tests/data/responses/case-001.xml");
const ROUNDS: usize = 15;
const PER_ROUND: u32 = 500;

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let key =
        TrustedKey::from_certificate_pem(include_str!("../tests/data/idp-public.cert")).unwrap();
    let keys = [key];

    // The bare floor: a fresh RSA-2048 key, two verifications of a 2 KB message.
    let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let message = vec![b'x'; 2048];
    let mut signature = vec![0; pair.public_modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        &message,
        &mut signature,
    )
    .unwrap();
    let public = UnparsedPublicKey::new(
        &RSA_PKCS1_2048_8192_SHA256,
        pair.public_key().as_ref().to_vec(),
    );

    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            let document = parse(RESPONSE).unwrap();
            std::hint::black_box(verified_assertion(&document, RESPONSE, &keys).unwrap());
        }
        ours.push(started.elapsed() / PER_ROUND);
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            public.verify(&message, &signature).unwrap();
            public.verify(&message, &signature).unwrap();
        }
        bare.push(started.elapsed() / PER_ROUND);
    }
    let (ours, bare) = (median(&mut ours), median(&mut bare));
    println!(
        "spid verify: median per Response (parse + Response and Assertion signatures): {:.1} us; two bare RSA-2048 verifications {:.1} us; ratio {:.2}",
        ours.as_secs_f64() * 1e6,
        bare.as_secs_f64() * 1e6,
        ours.as_secs_f64() / bare.as_secs_f64()
    );
}
