//! The client's tokens, checked with ring (not aws-lc-rs, not jsonwebtoken)
//! and plain JSON: an implementation that shares no code with the signer.

use std::sync::Arc;

use abilita_anpr::{EService, ModiSigner, digest_header, sha256_hex};
use base64::Engine as _;
use serde_json::Value;

use super::{harness, purpose};

const PUBLIC_KEY_PKCS1: &[u8] = include_bytes!("../data/client.pub.pkcs1.der");

/// Verifies an RS256 compact JWS with ring; returns header and claims.
pub(crate) fn verify(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let signature = b64.decode(parts[2]).unwrap();
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        PUBLIC_KEY_PKCS1,
    );
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("ring verifies the signature");
    (
        serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap(),
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap(),
    )
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn every_token_verifies_independently_with_the_expected_claims() {
    let h = harness().await;
    let signer = ModiSigner::new(&h.config(), Arc::new(h.client_clock.clone())).unwrap();
    let audience = h.simulator.modi_audience(EService::C020Residenza.segment());
    let body = br#"{"idOperazioneClient":"1"}"#;
    let prepared = signer
        .prepare(&audience, &purpose(EService::C020Residenza), body)
        .unwrap();
    let now = super::NOW.unix_timestamp();

    let (header, assertion) = verify(&prepared.client_assertion);
    assert_eq!(
        keys(&header),
        ["alg", "kid", "typ"],
        "PDND allows only these header fields"
    );
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("RS256"), Some(super::KID))
    );
    assert_eq!(
        keys(&assertion),
        [
            "aud",
            "digest",
            "exp",
            "iat",
            "iss",
            "jti",
            "purposeId",
            "sub"
        ],
        "PDND's strict claim set"
    );
    assert_eq!(assertion["iss"], super::CLIENT_ID);
    assert_eq!(assertion["sub"], super::CLIENT_ID);
    assert_eq!(
        assertion["iat"],
        now - 5,
        "back-dated by the default margin"
    );
    assert_eq!(assertion["digest"]["alg"], "SHA256");
    assert_eq!(
        assertion["digest"]["value"],
        sha256_hex(prepared.tracking_evidence.as_bytes())
    );

    let (_, evidence) = verify(&prepared.tracking_evidence);
    assert_eq!(evidence["aud"], audience.as_str());
    assert!(!audience.contains("-PDND"));
    assert_eq!(
        (
            evidence["userID"].as_str(),
            evidence["userLocation"].as_str(),
            evidence["LoA"].as_str()
        ),
        (
            Some("operatore.42"),
            Some("Ufficio Anagrafe"),
            Some("SpidL2")
        )
    );
    // ModI's AUDIT_REST_02 `dnonce`: 13 digits, fresh per call.
    let dnonce = evidence["dnonce"].as_u64().unwrap();
    assert_eq!(dnonce.to_string().len(), 13);
    let (_, again) = verify(
        &signer
            .prepare(&audience, &purpose(EService::C030IdUnicoNazionale), b"{}")
            .unwrap()
            .tracking_evidence,
    );
    assert_ne!(again["dnonce"], evidence["dnonce"]);

    let (_, integrity) = verify(&prepared.integrity);
    assert_eq!(
        integrity["signed_headers"],
        serde_json::json!([{"digest": digest_header(body)}, {"content-type": "application/json"}])
    );
    assert!(
        integrity["exp"].as_i64().unwrap() - now <= 300,
        "a short lifetime"
    );
    assert_ne!(evidence["jti"], integrity["jti"], "a fresh jti per token");
    assert_eq!(
        prepared.digest,
        format!(
            "SHA-256={}",
            base64::engine::general_purpose::STANDARD
                .encode(ring::digest::digest(&ring::digest::SHA256, body))
        )
    );
}
