//! Trusted keys of each accepted kind verify their own algorithms only.

use abilita_core::PrivateKeyPem;
use abilita_spid::SigningKey;
use abilita_spid::dsig::{DsigError, KeyError, TrustedKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
const ECDSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

#[test]
fn an_ec_p256_key_verifies_ecdsa_sha256_and_nothing_else() {
    let pem = include_str!("../data/ec-p256.key");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).unwrap();
    let message = b"SAMLRequest=x&SigAlg=y";
    let signature = pair.sign(&SystemRandom::new(), message).unwrap();

    let key = TrustedKey::from_certificate_pem(include_str!("../data/ec-p256.cert")).unwrap();
    key.verify_detached(ECDSA_SHA256, message, signature.as_ref())
        .unwrap();
    for method in [ECDSA_SHA384, RSA_SHA256] {
        assert_eq!(
            key.verify_detached(method, message, signature.as_ref()),
            Err(DsigError::BadSignature)
        );
    }
    assert_eq!(
        key.verify_detached(ECDSA_SHA256, b"another message", signature.as_ref()),
        Err(DsigError::BadSignature)
    );
}

#[test]
fn an_rsa_key_does_not_take_ecdsa_methods_and_short_keys_are_refused() {
    let key = TrustedKey::from_certificate_pem(include_str!("../data/sp.cert")).unwrap();
    assert_eq!(
        key.verify_detached(ECDSA_SHA256, b"m", &[0; 64]),
        Err(DsigError::BadSignature)
    );
    assert!(matches!(
        TrustedKey::from_certificate_pem(include_str!("../data/rsa-1024.cert")),
        Err(KeyError::UnsupportedKey)
    ));
}

#[test]
fn sp_keys_are_rsa_or_ec_p256_in_any_of_their_pem_forms() {
    let ec_cert = TrustedKey::from_certificate_pem(include_str!("../data/ec-p256.cert")).unwrap();
    let message = b"SAMLRequest=x&SigAlg=y";
    for pem in [
        include_str!("../data/ec-p256.key"),
        include_str!("../data/ec-p256-sec1.key"),
    ] {
        let key = SigningKey::from_pem(&PrivateKeyPem::new(pem)).unwrap();
        assert_eq!(key.method(), ECDSA_SHA256);
        ec_cert
            .verify_detached(key.method(), message, &key.sign(message))
            .unwrap();
    }
    let rsa = SigningKey::from_pem(&PrivateKeyPem::new(include_str!("../data/sp.key"))).unwrap();
    assert_eq!(rsa.method(), RSA_SHA256);
    let short = include_str!("../../../core/tests/data/rsa-1024-pkcs1.key");
    let refused = SigningKey::from_pem(&PrivateKeyPem::new(short)).unwrap_err();
    assert_eq!(refused.field(), "private_key");
    assert!(
        !refused.to_string().contains("BEGIN"),
        "the key is never repeated"
    );
}
