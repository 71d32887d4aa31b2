use abilita_core::{PrivateKeyPem, RsaSigningKey};

#[test]
fn rsa_keys_sign_in_both_pem_forms_and_weak_or_other_keys_are_refused() {
    let public = include_bytes!("../data/rsa-2048.pub.der");
    let verifier = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        public,
    );
    for pem in [
        include_str!("../data/rsa-2048.key"),
        include_str!("../data/rsa-2048-pkcs1.key"),
    ] {
        let key = RsaSigningKey::from_pem(&PrivateKeyPem::new(pem)).unwrap();
        let signature = key.sign_sha256(b"message");
        verifier.verify(b"message", &signature).unwrap();
        assert!(verifier.verify(b"other message", &signature).is_err());
    }
    for refused in [
        include_str!("../data/rsa-1024-pkcs1.key"),
        include_str!("../data/test-client.key"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "not a key",
    ] {
        let error = RsaSigningKey::from_pem(&PrivateKeyPem::new(refused)).unwrap_err();
        assert_eq!(error.field(), "private_key");
        assert!(
            !format!("{error:?}").contains("AAAA"),
            "the key is never repeated"
        );
    }
}
