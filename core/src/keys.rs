//! Signing keys loaded from PEM, shared by the crates that sign (SPID
//! metadata and requests, PDND and ModI tokens).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::{InvalidInput, PrivateKeyPem};

/// Why a private key was refused; never repeats the key.
#[derive(Debug, thiserror::Error)]
#[error(
    "not an RSA private key in PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`), of at least 2048 bits"
)]
struct NotAnRsaKey;

/// An RSA private key, parsed once (parsing validates the key and costs
/// more than a signature) and used for RSASSA-PKCS1-v1_5 with SHA-256.
#[derive(Debug)]
pub struct RsaSigningKey {
    key: RsaKeyPair,
    random: SystemRandom,
}

impl PrivateKeyPem {
    /// The label of the PEM block (`PRIVATE KEY`, `RSA PRIVATE KEY`, …) and
    /// its DER, wiped on drop; `None` when the text is not PEM.
    #[must_use]
    pub fn decode(&self) -> Option<(&str, Zeroizing<Vec<u8>>)> {
        let text = self.expose_secret();
        let label = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("-----BEGIN ")?.strip_suffix("-----"))?;
        let body = Zeroizing::new(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        );
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .ok()?;
        Some((label, Zeroizing::new(der)))
    }
}

impl RsaSigningKey {
    /// Parses a PEM private key: PKCS#8 or PKCS#1, 2048 bits or more.
    ///
    /// # Errors
    /// [`InvalidInput`] for the field `private_key`.
    pub fn from_pem(pem: &PrivateKeyPem) -> Result<Self, InvalidInput> {
        let refuse = || InvalidInput::new("private_key", NotAnRsaKey);
        let (label, der) = pem.decode().ok_or_else(refuse)?;
        let key = match label {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der).map_err(|_| refuse())?,
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der).map_err(|_| refuse())?,
            _ => return Err(refuse()),
        };
        if key.public_modulus_len() < 256 {
            return Err(refuse());
        }
        Ok(Self {
            key,
            random: SystemRandom::new(),
        })
    }

    /// The RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    #[must_use]
    pub fn sign_sha256(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.key.public_modulus_len()];
        // Signing with a valid key and a buffer of the modulus' size only
        // fails on a broken random source; an empty signature then fails
        // every verifier, which is the safe outcome.
        if self
            .key
            .sign(&RSA_PKCS1_SHA256, &self.random, message, &mut signature)
            .is_err()
        {
            signature.clear();
        }
        signature
    }
}
