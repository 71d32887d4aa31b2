//! Per-call preparation of an ANPR call (tracking evidence, client assertion
//! with its digest, integrity token, Digest header), against three bare
//! aws-lc-rs RSA-2048 signatures, in interleaved rounds of the same run.
//!
//! Run with `cargo bench -p abilita-anpr --bench prepare`.
//! Target: at most 1.3x three bare signatures. The figures are
//! printed, never asserted.

// A benchmark reports to stdout and may stop at the first broken assumption.
#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use abilita_anpr::{AnprConfig, AuditIdentity, EService, Endpoints, ModiSigner};
use abilita_core::{PrivateKeyPem, SystemClock};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;

const KEY: &str = include_str!("../tests/data/client.key");
const ROUNDS: usize = 15;
const CALLS_PER_ROUND: u32 = 100;

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let config = AnprConfig::new(
        Endpoints::uat(),
        "8e9f24ca-78f5-4c69-9e4f-0efbeac7bb2b",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        PrivateKeyPem::new(KEY),
        AuditIdentity::new("operatore.42", "Ufficio Anagrafe", "SpidL2").unwrap(),
    )
    .unwrap();
    let signer = ModiSigner::new(&config, Arc::new(SystemClock)).unwrap();
    let audience = config.audience_of(EService::C020Residenza);
    let purpose = "00000000-0000-4000-8000-000000000020";
    let body = br#"{"idOperazioneClient":"1764147600000000","criteriRicerca":{"idANPR":"AF41450AS"},"datiRichiesta":{"dataRiferimentoRichiesta":"2026-11-26","motivoRichiesta":"PROT.2026.12345","casoUso":"C020"}}"#;

    let der: String = KEY.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(der)
        .unwrap();
    let bare = RsaKeyPair::from_pkcs8(&der).unwrap();
    let random = SystemRandom::new();
    let message = vec![b'x'; 700];
    let mut signature = vec![0; bare.public_modulus_len()];

    let (mut prepared, mut three_signatures) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..CALLS_PER_ROUND {
            std::hint::black_box(signer.prepare(&audience, purpose, body).unwrap());
        }
        prepared.push(started.elapsed() / CALLS_PER_ROUND);
        let started = Instant::now();
        for _ in 0..CALLS_PER_ROUND {
            for _ in 0..3 {
                bare.sign(&RSA_PKCS1_SHA256, &random, &message, &mut signature)
                    .unwrap();
                std::hint::black_box(&signature);
            }
        }
        three_signatures.push(started.elapsed() / CALLS_PER_ROUND);
    }
    let (prepared, bare) = (median(&mut prepared), median(&mut three_signatures));
    println!(
        "anpr prepare: median per call over {ROUNDS} rounds of {CALLS_PER_ROUND}: prepare {:.0} us, three bare RSA-2048 signatures {:.0} us, ratio {:.3} (target <= 1.3)",
        prepared.as_secs_f64() * 1e6,
        bare.as_secs_f64() * 1e6,
        prepared.as_secs_f64() / bare.as_secs_f64(),
    );
}
