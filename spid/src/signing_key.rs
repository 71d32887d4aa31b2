//! The SP's signing key: RSA of 2048 bits or more (what the SPID rules ask
//! of an SP, `metadata.rst` "Algoritmi"), or EC P-256, kept for loopback
//! test SPs and simulated IdPs: an `https://` SP's certificate must be RSA
//! ([`crate::certificate`]). SHA-256 with either.

use abilita_core::{InvalidInput, PrivateKeyPem, RsaSigningKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

/// XML-DSig's RSA-SHA256 (also the Redirect binding's `SigAlg`).
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// XML-DSig's ECDSA-SHA256; the value is `r || s`, as XML-DSig 1.1 wants.
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

/// Why a private key was refused; never repeats the key.
#[derive(Debug, thiserror::Error)]
#[error(
    "not an RSA (2048 bits or more) or EC P-256 private key in PEM (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`)"
)]
struct NotASpidKey;

/// A private key the SP signs with, parsed once.
#[derive(Debug)]
pub struct SigningKey(Kind);

#[derive(Debug)]
enum Kind {
    Rsa(RsaSigningKey),
    EcP256 {
        pair: EcdsaKeyPair,
        random: SystemRandom,
    },
}

impl SigningKey {
    /// Parses a PEM private key: RSA (PKCS#8 or PKCS#1, 2048 bits or more)
    /// or EC P-256 (PKCS#8 or SEC 1).
    ///
    /// # Errors
    /// [`InvalidInput`] for the field `private_key`.
    pub fn from_pem(pem: &PrivateKeyPem) -> Result<Self, InvalidInput> {
        if let Ok(rsa) = RsaSigningKey::from_pem(pem) {
            return Ok(Self(Kind::Rsa(rsa)));
        }
        let refuse = || InvalidInput::new("private_key", NotASpidKey);
        let (label, der) = pem.decode().ok_or_else(refuse)?;
        let algorithm = &ECDSA_P256_SHA256_FIXED_SIGNING;
        let pair = match label {
            "PRIVATE KEY" => EcdsaKeyPair::from_pkcs8(algorithm, &der),
            "EC PRIVATE KEY" => EcdsaKeyPair::from_private_key_der(algorithm, &der),
            _ => return Err(refuse()),
        }
        .map_err(|_| refuse())?;
        Ok(Self(Kind::EcP256 {
            pair,
            random: SystemRandom::new(),
        }))
    }

    /// The XML-DSig signature method (and Redirect `SigAlg`) of the key.
    #[must_use]
    pub fn method(&self) -> &'static str {
        match &self.0 {
            Kind::Rsa(_) => RSA_SHA256,
            Kind::EcP256 { .. } => ECDSA_SHA256,
        }
    }

    /// The signature of `message` by [`Self::method`]. Signing with a
    /// parsed key fails only on a broken random source; the signature is
    /// then empty, which every verifier refuses.
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.0 {
            Kind::Rsa(rsa) => rsa.sign_sha256(message),
            Kind::EcP256 { pair, random } => pair
                .sign(random, message)
                .map(|signature| signature.as_ref().to_vec())
                .unwrap_or_default(),
        }
    }
}
