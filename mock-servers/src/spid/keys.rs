//! The IdP's signing key and certificate: made at start, or loaded from PEM
//! files when a pipeline wants a trust anchor that survives restarts.

use abilita_core::PrivateKeyPem;
use abilita_spid::SigningKey;

/// A signing key and its self-signed certificate.
pub struct IdpKeys {
    key: SigningKey,
    certificate_pem: String,
}

impl std::fmt::Debug for IdpKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpKeys").finish_non_exhaustive()
    }
}

impl IdpKeys {
    /// A fresh RSA-2048 key and a certificate for `common_name`, valid from
    /// a day ago for three years.
    ///
    /// # Errors
    /// When the key or the certificate cannot be made (a broken random source).
    pub fn generate(common_name: &str) -> Result<Self, String> {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
            .map_err(|e| format!("cannot make the IdP key: {e}"))?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
            .map_err(|e| format!("cannot make the IdP certificate: {e}"))?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(rcgen::DnType::CountryName, "IT");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "abilita-mock test IdP");
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now.saturating_sub(time::Duration::days(1));
        params.not_after = now.saturating_add(time::Duration::days(3 * 365));
        let certificate = params
            .self_signed(&pair)
            .map_err(|e| format!("cannot make the IdP certificate: {e}"))?;
        Self::from_pem(&pair.serialize_pem(), &certificate.pem())
    }

    /// A key (PKCS#8 or PKCS#1 PEM) and its certificate (PEM).
    ///
    /// # Errors
    /// A key abilita-spid cannot sign with, or a certificate that is not PEM.
    pub fn from_pem(key_pem: &str, certificate_pem: &str) -> Result<Self, String> {
        let key = SigningKey::from_pem(&PrivateKeyPem::new(key_pem))
            .map_err(|e| format!("the IdP key: {e}"))?;
        abilita_spid::dsig::TrustedKey::from_certificate_pem(certificate_pem)
            .map_err(|e| format!("the IdP certificate: {e}"))?;
        Ok(Self {
            key,
            certificate_pem: certificate_pem.to_owned(),
        })
    }

    /// The certificate, PEM.
    #[must_use]
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The certificate's base64 body, as metadata and `KeyInfo` carry it.
    pub(crate) fn certificate_body(&self) -> String {
        self.certificate_pem
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----"))
            .collect()
    }

    pub(crate) fn key(&self) -> &SigningKey {
        &self.key
    }
}
