//! The signed tokens of a PDND call: the client assertion, and ModI's
//! `Agid-JWT-TrackingEvidence` (AUDIT_REST_02) and `Agid-JWT-Signature`
//! (INTEGRITY_REST_02) with the `Digest` header.
//!
//! The order is fixed by AUDIT_REST_02: the tracking evidence is signed
//! first, its hex SHA-256 goes into the voucher request's `digest`, and the
//! integrity token signs the `Digest` of the exact body bytes that will be
//! sent. [`ModiSigner::prepare`] does all of it, without I/O, so the bytes
//! hashed are the bytes sent: the usual causes of `InteroperabilityInvalidRequest`
//! (a re-serialised body, a base64 digest where hex is due, an audience with
//! `-PDND`) cannot happen through this API.
//!
//! Why not `jsonwebtoken` for signing: it parses the private key again on
//! every signature, which made preparing a call cost 2.6 times three bare
//! RSA signatures (bench `prepare`). A compact JWS is three base64url
//! segments; the RSA signature itself is aws-lc-rs's through
//! [`abilita_core::RsaSigningKey`], with the key parsed once. The tokens are checked in the tests by an independent verifier
//! (ring), and the simulator verifies them with `jsonwebtoken`.

use std::sync::Arc;

use abilita_core::{Clock, InvalidInput, RsaSigningKey};
use base64::Engine as _;
use serde::Serialize;

use crate::config::{AnprConfig, AuditIdentity};

/// Why a token could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("the token could not be signed")]
pub struct SignError(#[source] Box<dyn std::error::Error + Send + Sync>);

/// Hex (lowercase) SHA-256, as the voucher's `digest.value` wants.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Digest` header of a body (RFC 3230): `SHA-256=` + base64.
#[must_use]
pub fn digest_header(body: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
    format!(
        "SHA-256={}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The headers of one ANPR call, minus the voucher.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PreparedCall {
    /// `Agid-JWT-TrackingEvidence`.
    pub tracking_evidence: String,
    /// The client assertion to exchange for a voucher, carrying the
    /// tracking evidence's hex SHA-256.
    pub client_assertion: String,
    /// `Agid-JWT-Signature`.
    pub integrity: String,
    /// `Digest`.
    pub digest: String,
}

/// Signs with the PDND client's key.
#[derive(Clone)]
pub struct ModiSigner {
    key: Arc<RsaSigningKey>,
    /// The JOSE header, the same for every token: `{"alg","kid","typ"}`
    /// (PDND allows nothing else), base64url-encoded once.
    header: String,
    key_id: String,
    client_id: String,
    assertion_audience: String,
    audit: AuditIdentity,
    skew: i64,
    lifetime: i64,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ModiSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModiSigner")
            .field("key_id", &self.key_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Digest<'a> {
    alg: &'static str,
    value: &'a str,
}

/// The client assertion's claims: exactly the set PDND allows.
#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: i64,
    exp: i64,
    #[serde(rename = "purposeId")]
    purpose_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<Digest<'a>>,
}

/// The claims every ModI token for an e-service call carries.
#[derive(Serialize)]
struct CallClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: i64,
    nbf: i64,
    exp: i64,
}

#[derive(Serialize)]
struct TrackingClaims<'a> {
    #[serde(flatten)]
    call: CallClaims<'a>,
    #[serde(rename = "purposeId")]
    purpose_id: &'a str,
    #[serde(rename = "userID")]
    user_id: &'a str,
    #[serde(rename = "userLocation")]
    user_location: &'a str,
    #[serde(rename = "LoA")]
    loa: &'a str,
    /// A fresh 13-digit number per call, as ModI's AUDIT_REST_02 and ANPR's
    /// official sample send it.
    dnonce: u64,
}

/// A random 13-digit number (10^12 to 10^13 - 1).
fn dnonce() -> u64 {
    let mut bytes = [0u8; 8];
    // Without a random source the nonce is the smallest 13-digit number:
    // still well-formed, and the `jti` keeps the evidence unique.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    1_000_000_000_000 + u64::from_be_bytes(bytes) % 9_000_000_000_000
}

#[derive(Serialize)]
struct IntegrityClaims<'a> {
    #[serde(flatten)]
    call: CallClaims<'a>,
    signed_headers: [std::collections::BTreeMap<&'static str, &'a str>; 2],
}

impl ModiSigner {
    /// A signer for `config`'s client, reading time from `clock`.
    ///
    /// # Errors
    /// A private key that is not an RSA key in PEM.
    pub fn new(config: &AnprConfig, clock: Arc<dyn Clock>) -> Result<Self, InvalidInput> {
        let key = RsaSigningKey::from_pem(&config.private_key)?;
        let header = serde_json::json!({ "alg": "RS256", "kid": config.key_id, "typ": "JWT" });
        Ok(Self {
            key: Arc::new(key),
            header: base64url(header.to_string().as_bytes()),
            key_id: config.key_id.clone(),
            client_id: config.client_id.clone(),
            assertion_audience: config.endpoints.assertion_audience.clone(),
            audit: config.audit.clone(),
            skew: i64::try_from(config.skew_margin.as_secs()).unwrap_or(i64::MAX),
            lifetime: i64::try_from(config.token_lifetime.as_secs()).unwrap_or(i64::MAX),
            clock,
        })
    }

    /// A compact JWS: header, claims, RS256 signature, each base64url.
    fn sign(&self, claims: &impl Serialize) -> Result<String, SignError> {
        let claims = serde_json::to_vec(claims).map_err(|e| SignError(e.into()))?;
        let mut token = format!("{}.{}", self.header, base64url(&claims));
        let signature = self.key.sign_sha256(token.as_bytes());
        token.push('.');
        token.push_str(&base64url(&signature));
        Ok(token)
    }

    /// `(iat, exp)`: `iat` back-dated by the skew margin, a short `exp`.
    fn times(&self) -> (i64, i64) {
        let now = self.clock.now().unix_timestamp();
        (
            now.saturating_sub(self.skew),
            now.saturating_add(self.lifetime),
        )
    }

    /// The shared claims of a token for a call to `audience`, valid from now
    /// (less the skew margin) for the token lifetime, with a fresh `jti`.
    fn call_claims<'a>(&'a self, audience: &'a str) -> CallClaims<'a> {
        let (iat, exp) = self.times();
        CallClaims {
            iss: &self.client_id,
            sub: &self.client_id,
            aud: audience,
            jti: uuid::Uuid::new_v4().to_string(),
            iat,
            nbf: iat,
            exp,
        }
    }

    /// The client assertion for `purpose_id`, bound to a tracking evidence
    /// by its hex digest when given.
    ///
    /// # Errors
    /// When signing fails.
    pub fn client_assertion(
        &self,
        purpose_id: &str,
        digest_hex: Option<&str>,
    ) -> Result<String, SignError> {
        let (iat, exp) = self.times();
        self.sign(&AssertionClaims {
            iss: &self.client_id,
            sub: &self.client_id,
            aud: &self.assertion_audience,
            jti: uuid::Uuid::new_v4().to_string(),
            iat,
            exp,
            purpose_id,
            digest: digest_hex.map(|value| Digest {
                alg: "SHA256",
                value,
            }),
        })
    }

    /// `Agid-JWT-TrackingEvidence` for a call to `audience`, on behalf of
    /// the configuration's audit identity.
    ///
    /// # Errors
    /// When signing fails.
    pub fn tracking_evidence(&self, audience: &str, purpose_id: &str) -> Result<String, SignError> {
        self.tracking_evidence_as(audience, purpose_id, &self.audit)
    }

    /// The same, on behalf of `audit`: the operator of this one call.
    ///
    /// # Errors
    /// When signing fails.
    pub fn tracking_evidence_as(
        &self,
        audience: &str,
        purpose_id: &str,
        audit: &AuditIdentity,
    ) -> Result<String, SignError> {
        self.sign(&TrackingClaims {
            call: self.call_claims(audience),
            purpose_id,
            user_id: audit.user_id(),
            user_location: audit.user_location(),
            loa: audit.loa(),
            dnonce: dnonce(),
        })
    }

    /// `Agid-JWT-Signature` over the `Digest` and `Content-Type` headers.
    ///
    /// # Errors
    /// When signing fails.
    pub fn integrity(
        &self,
        audience: &str,
        digest: &str,
        content_type: &str,
    ) -> Result<String, SignError> {
        self.sign(&IntegrityClaims {
            call: self.call_claims(audience),
            signed_headers: [
                [("digest", digest)].into(),
                [("content-type", content_type)].into(),
            ],
        })
    }

    /// Every signed part of a call to `audience` carrying `body` (JSON),
    /// in AUDIT_REST_02's order.
    ///
    /// # Errors
    /// When signing fails.
    pub fn prepare(
        &self,
        audience: &str,
        purpose_id: &str,
        body: &[u8],
    ) -> Result<PreparedCall, SignError> {
        self.prepare_as(audience, purpose_id, body, &self.audit)
    }

    /// The same, on behalf of `audit`: the operator of this one call (a
    /// back office with many operators), not the configuration's default.
    ///
    /// # Errors
    /// When signing fails.
    pub fn prepare_as(
        &self,
        audience: &str,
        purpose_id: &str,
        body: &[u8],
        audit: &AuditIdentity,
    ) -> Result<PreparedCall, SignError> {
        let tracking_evidence = self.tracking_evidence_as(audience, purpose_id, audit)?;
        let client_assertion =
            self.client_assertion(purpose_id, Some(&sha256_hex(tracking_evidence.as_bytes())))?;
        let digest = digest_header(body);
        let integrity = self.integrity(audience, &digest, "application/json")?;
        Ok(PreparedCall {
            tracking_evidence,
            client_assertion,
            integrity,
            digest,
        })
    }
}
