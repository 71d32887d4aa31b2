//! The SP's certificate: AgID's profile for it (SPID "Avviso n. 29 v3",
//! the regole tecniche's `metadata.rst`, "Certificati" and "Algoritmi"),
//! a generator of self-signed ones, and the check
//! [`ServiceProvider::new`](crate::ServiceProvider::new) runs at start-up.
//!
//! The profile, as AgID's validator (`spid-compliant-certificates`, run by
//! spid-sp-test in production mode) checks it:
//! - an RSA key of 2048, 3072 or 4096 bits; a SHA-256 or SHA-512 signature;
//! - a subject with `commonName`, `organizationName` (the full legal name,
//!   as the metadata's `OrganizationName`), `uri` (2.5.4.83, the entity
//!   id), `organizationIdentifier` (2.5.4.97: `PA:IT-<IPA code>` for a
//!   public SP, `VATIT-<partita IVA>` or `CF:IT-<codice fiscale>` for a
//!   private one), `countryName` and `localityName`, and no personal name
//!   (`givenName`, `surname`, `name`, `initials`, `pseudonym`);
//! - `basicConstraints` not critical with `cA` false; `keyUsage` critical
//!   with `digitalSignature` and `nonRepudiation` only;
//!   `certificatePolicies` not critical with `agIDcert` (1.3.76.16.6) and
//!   the sector's policy (1.3.76.16.4.2.1 public, 1.3.76.16.4.3.1 private);
//! - in its validity period.
//!
//! Public SPs may sign their own certificate (Avviso 28), which
//! [`generate`] makes; private SPs get theirs from AgID (Avviso 23).

use abilita_core::PrivateKeyPem;
use base64::Engine as _;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::public_key::PublicKey;

use crate::SigningKey;
use crate::config::{Contact, Organization};
use crate::dsig::TrustedKey;

/// AgID's certificate policy for SPID certificates (`agIDcert`).
const AGID_CERT: &str = "1.3.76.16.6";
/// The root of AgID's policies (`AgIDroot`), which AgID's generator adds.
const AGID_ROOT: &str = "1.3.76.16";
/// The public-sector SP policy (`cert_SP_Pub`).
const PUBLIC_SP: &str = "1.3.76.16.4.2.1";
/// The private-sector SP policy (`cert_SP_Priv`).
const PRIVATE_SP: &str = "1.3.76.16.4.3.1";
/// `uri`, the subject attribute that carries the entity id.
const URI: &str = "2.5.4.83";
/// `organizationIdentifier`.
const ORGANIZATION_IDENTIFIER: &str = "2.5.4.97";
/// Subject attributes that would name a person: not allowed.
const PERSONAL_NAMES: [(&str, &str); 5] = [
    ("2.5.4.42", "givenName"),
    ("2.5.4.4", "surname"),
    ("2.5.4.41", "name"),
    ("2.5.4.43", "initials"),
    ("2.5.4.65", "pseudonym"),
];

/// Whose services the SP offers: it decides the certificate policy and the
/// shape of `organizationIdentifier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_enums,
    reason = "closed by the SPID rules: public or private sector"
)]
pub enum Sector {
    /// A public administration (`PA:IT-<IPA code>`, policy 1.3.76.16.4.2.1).
    Public,
    /// A private SP (`VATIT-…` or `CF:IT-…`, policy 1.3.76.16.4.3.1).
    Private,
}

impl Sector {
    fn policy(self) -> &'static str {
        match self {
            Self::Public => PUBLIC_SP,
            Self::Private => PRIVATE_SP,
        }
    }
}

/// What an SP's certificate must say, from its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal, or by `for_sp`"
)]
pub struct Subject {
    /// `commonName`: the name IdPs show (the metadata's display name).
    pub common_name: String,
    /// `organizationName`: the full legal name, as the metadata's
    /// `OrganizationName`.
    pub organization_name: String,
    /// `uri`: the SP's entity id.
    pub entity_id: String,
    /// `organizationIdentifier`: `PA:IT-c_h501`, `VATIT-12345678901` or
    /// `CF:IT-…`.
    pub organization_identifier: String,
    /// `localityName`: the seat's municipality (`Roma`).
    pub locality: String,
    /// The sector.
    pub sector: Sector,
}

impl Subject {
    /// The subject an SP configured with `entity_id`, `organization` and
    /// `contact` needs, seated in `locality`. A private SP with a VAT
    /// number is named by it (`VATIT-`), otherwise by its fiscal code.
    #[must_use]
    pub fn for_sp(
        entity_id: &str,
        organization: &Organization,
        contact: &Contact,
        locality: &str,
    ) -> Self {
        let (organization_identifier, sector) = expected_identifiers(contact);
        Self {
            common_name: organization.display_name.clone(),
            organization_name: organization.name.clone(),
            entity_id: entity_id.to_owned(),
            organization_identifier: organization_identifier
                .into_iter()
                .next()
                .unwrap_or_default(),
            locality: locality.to_owned(),
            sector,
        }
    }
}

/// The `organizationIdentifier` values `contact` allows, and its sector.
fn expected_identifiers(contact: &Contact) -> (Vec<String>, Sector) {
    match contact {
        Contact::Public { ipa_code, .. } => (vec![format!("PA:IT-{ipa_code}")], Sector::Public),
        Contact::Private {
            vat_number,
            fiscal_code,
            ..
        } => {
            let vat = vat_number.as_ref().map(|vat| {
                let digits = vat.strip_prefix("IT").unwrap_or(vat);
                format!("VATIT-{digits}")
            });
            let fiscal = fiscal_code.as_ref().map(|cf| format!("CF:IT-{cf}"));
            (vat.into_iter().chain(fiscal).collect(), Sector::Private)
        }
        // The aggregator's certificate names the aggregator.
        Contact::Aggregated(aggregation) => {
            let aggregator = &aggregation.aggregator;
            let ipa = aggregator
                .ipa_code
                .as_ref()
                .map(|code| format!("PA:IT-{code}"));
            let vat = aggregator.vat_number.as_ref().map(|vat| {
                let digits = vat.strip_prefix("IT").unwrap_or(vat);
                format!("VATIT-{digits}")
            });
            let fiscal = aggregator
                .fiscal_code
                .as_ref()
                .map(|cf| format!("CF:IT-{cf}"));
            let sector = if aggregation.activity.is_private() {
                Sector::Private
            } else {
                Sector::Public
            };
            (ipa.into_iter().chain(vat).chain(fiscal).collect(), sector)
        }
    }
}

/// An RSA key size AgID's profile allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(clippy::exhaustive_enums, reason = "closed by AgID's profile")]
pub enum KeySize {
    /// 2048 bits.
    Rsa2048,
    /// 3072 bits: what AgID's tools recommend.
    #[default]
    Rsa3072,
    /// 4096 bits.
    Rsa4096,
}

/// A generated key and its self-signed certificate.
#[derive(Debug)]
#[non_exhaustive]
pub struct Generated {
    /// The private key (PKCS#8 PEM): keep it secret.
    pub key: PrivateKeyPem,
    /// The certificate (PEM).
    pub certificate_pem: String,
}

/// Why a certificate was refused, or could not be made. Each variant names
/// the rule it enforces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Not a PEM or DER X.509 certificate.
    #[error("the SP certificate is not an X.509 certificate in PEM")]
    NotACertificate,
    /// The certificate's public key is not the SP's key's.
    #[error("the SP certificate is not the one of the SP's private key")]
    KeyMismatch,
    /// Outside its validity period at start-up.
    #[error("the SP certificate is valid from {not_before} to {not_after}, and it is now {now}")]
    NotValidNow {
        /// Its `notBefore`.
        not_before: OffsetDateTime,
        /// Its `notAfter`.
        not_after: OffsetDateTime,
        /// The instant of the check.
        now: OffsetDateTime,
    },
    /// A rule of AgID's profile is broken.
    #[error(
        "the SP certificate breaks AgID's profile (Avviso SPID n. 29 v3): {rule}, found {found}"
    )]
    Profile {
        /// The rule.
        rule: &'static str,
        /// What the certificate has instead.
        found: String,
    },
    /// The key or certificate could not be generated.
    #[error("the SP certificate could not be generated: {0}")]
    Generation(String),
    /// The subject given to [`generate`] breaks the profile.
    #[error("the subject breaks AgID's profile: {0}")]
    Subject(&'static str),
}

fn profile(rule: &'static str, found: impl std::fmt::Display) -> CertificateError {
    CertificateError::Profile {
        rule,
        found: found.to_string(),
    }
}

/// A new RSA key and a self-signed certificate for `subject`, valid from
/// `now` for `days` days, in AgID's profile.
///
/// # Errors
/// [`CertificateError::Subject`] for an empty field or an
/// `organizationIdentifier` not of the sector's shape;
/// [`CertificateError::Generation`] when the system cannot make a key.
pub fn generate(
    subject: &Subject,
    key_size: KeySize,
    days: u32,
    now: OffsetDateTime,
) -> Result<Generated, CertificateError> {
    use rcgen::{CertificateParams, CustomExtension, DnType, DnValue, KeyPair, KeyUsagePurpose};
    check_subject(subject)?;
    let size = match key_size {
        KeySize::Rsa2048 => rcgen::RsaKeySize::_2048,
        KeySize::Rsa3072 => rcgen::RsaKeySize::_3072,
        KeySize::Rsa4096 => rcgen::RsaKeySize::_4096,
    };
    let failed = |error: rcgen::Error| CertificateError::Generation(error.to_string());
    let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size).map_err(failed)?;

    let mut params = CertificateParams::default();
    let name = &mut params.distinguished_name;
    name.push(DnType::OrganizationName, subject.organization_name.as_str());
    name.push(DnType::CommonName, subject.common_name.as_str());
    name.push(
        DnType::CustomDnType(vec![2, 5, 4, 83]),
        subject.entity_id.as_str(),
    );
    name.push(
        DnType::CustomDnType(vec![2, 5, 4, 97]),
        subject.organization_identifier.as_str(),
    );
    let country = rcgen::string::PrintableString::try_from("IT").map_err(failed)?;
    name.push(DnType::CountryName, DnValue::PrintableString(country));
    name.push(DnType::LocalityName, subject.locality.as_str());
    params.not_before = now;
    params.not_after = now.saturating_add(time::Duration::days(i64::from(days)));
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial)
        .map_err(|_| CertificateError::Generation("no random source".to_owned()))?;
    if let Some(first) = serial.first_mut() {
        *first &= 0x7f;
    }
    params.serial_number = Some(serial.to_vec().into());
    // rcgen writes basicConstraints critical; AgID wants it not critical.
    params.is_ca = rcgen::IsCa::NoCa;
    params.custom_extensions = vec![
        CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 0x00]),
        CustomExtension::from_oid_content(&[2, 5, 29, 32], policies_der(subject.sector)),
    ];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    let certificate = params.self_signed(&key).map_err(failed)?;
    Ok(Generated {
        key: PrivateKeyPem::new(key.serialize_pem()),
        certificate_pem: certificate.pem(),
    })
}

fn check_subject(subject: &Subject) -> Result<(), CertificateError> {
    let fields = [
        &subject.common_name,
        &subject.organization_name,
        &subject.entity_id,
        &subject.locality,
    ];
    if fields.iter().any(|field| field.trim().is_empty()) {
        return Err(CertificateError::Subject(
            "commonName, organizationName, uri and localityName must not be empty",
        ));
    }
    if !identifier_fits(&subject.organization_identifier, subject.sector) {
        return Err(CertificateError::Subject(match subject.sector {
            Sector::Public => {
                "a public SP's organizationIdentifier is PA:IT- and the IPA code (1 to 16 characters)"
            }
            Sector::Private => {
                "a private SP's organizationIdentifier is VATIT- and 11 digits, or CF:IT- and 16 letters or digits"
            }
        }));
    }
    Ok(())
}

/// AgID's validator's patterns: `^PA:IT-\S{1,16}$` and
/// `^(CF:IT-[a-zA-Z0-9]{16}|VATIT-\d{11})$`.
fn identifier_fits(identifier: &str, sector: Sector) -> bool {
    match sector {
        Sector::Public => identifier.strip_prefix("PA:IT-").is_some_and(|code| {
            (1..=16).contains(&code.chars().count()) && !code.contains(char::is_whitespace)
        }),
        Sector::Private => {
            if let Some(digits) = identifier.strip_prefix("VATIT-") {
                digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit())
            } else if let Some(code) = identifier.strip_prefix("CF:IT-") {
                code.len() == 16 && code.bytes().all(|b| b.is_ascii_alphanumeric())
            } else {
                false
            }
        }
    }
}

/// The DER of `certificatePolicies` as AgID's generator writes it: each
/// policy with a UserNotice naming it.
fn policies_der(sector: Sector) -> Vec<u8> {
    let (policy, text) = match sector {
        Sector::Public => (PUBLIC_SP, "cert_SP_Pub"),
        Sector::Private => (PRIVATE_SP, "cert_SP_Priv"),
    };
    let information = [
        (AGID_ROOT, "AgIDroot"),
        (AGID_CERT, "agIDcert"),
        (policy, text),
    ]
    .iter()
    .map(|(oid, text)| {
        let notice = der(0x30, &der(0x0c, text.as_bytes()));
        let qualifier = der(0x30, &[der_oid("1.3.6.1.5.5.7.2.2"), notice].concat());
        der(0x30, &[der_oid(oid), der(0x30, &qualifier)].concat())
    })
    .collect::<Vec<_>>()
    .concat();
    der(0x30, &information)
}

/// A DER TLV (lengths up to 65535, far above what a policy list needs).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match u8::try_from(content.len()) {
        Ok(len) if len < 0x80 => out.push(len),
        Ok(len) => out.extend_from_slice(&[0x81, len]),
        Err(_) => {
            let len = u16::try_from(content.len()).unwrap_or(u16::MAX);
            out.push(0x82);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out.extend_from_slice(content);
    out
}

/// The DER of a dotted OID (arcs as written in this module).
fn der_oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').filter_map(|a| a.parse().ok()).collect();
    let mut body = Vec::new();
    if let [first, second, rest @ ..] = arcs.as_slice() {
        let head = first.saturating_mul(40).saturating_add(*second);
        for arc in std::iter::once(head).chain(rest.iter().copied()) {
            let mut groups = vec![u8::try_from(arc & 0x7f).unwrap_or(0)];
            let mut value = arc >> 7;
            while value > 0 {
                groups.push(u8::try_from(value & 0x7f).unwrap_or(0) | 0x80);
                value >>= 7;
            }
            groups.reverse();
            body.extend(groups);
        }
    }
    der(0x06, &body)
}

/// Checks that `certificate_pem` is the certificate of `key` and valid at
/// `now`; the rest of AgID's profile is [`check_profile`].
///
/// # Errors
/// [`CertificateError::NotACertificate`], [`KeyMismatch`](CertificateError::KeyMismatch)
/// or [`NotValidNow`](CertificateError::NotValidNow).
pub fn check_key_and_validity(
    certificate_pem: &str,
    key: &SigningKey,
    now: OffsetDateTime,
) -> Result<(), CertificateError> {
    let der = pem_der(certificate_pem)?;
    let (_, certificate) =
        x509_parser::parse_x509_certificate(&der).map_err(|_| CertificateError::NotACertificate)?;
    let probe = b"abilita-spid: is this the certificate of the SP's key?";
    let trusted =
        TrustedKey::from_certificate_der(&der).map_err(|_| CertificateError::KeyMismatch)?;
    trusted
        .verify_detached(key.method(), probe, &key.sign(probe))
        .map_err(|_| CertificateError::KeyMismatch)?;
    let validity = certificate.validity();
    let not_before = validity.not_before.to_datetime();
    let not_after = validity.not_after.to_datetime();
    if now < not_before || now > not_after {
        return Err(CertificateError::NotValidNow {
            not_before,
            not_after,
            now,
        });
    }
    Ok(())
}

/// Checks `certificate_pem` against AgID's profile for an SP named by
/// `entity_id`, `organization` and `contact`: the first rule broken.
///
/// # Errors
/// [`CertificateError::Profile`] naming the rule, or
/// [`CertificateError::NotACertificate`].
pub fn check_profile(
    certificate_pem: &str,
    entity_id: &str,
    organization: &Organization,
    contact: &Contact,
) -> Result<(), CertificateError> {
    let der = pem_der(certificate_pem)?;
    let (_, certificate) =
        x509_parser::parse_x509_certificate(&der).map_err(|_| CertificateError::NotACertificate)?;
    check_key_and_algorithm(&certificate)?;
    let (identifiers, sector) = expected_identifiers(contact);
    check_subject_names(&certificate, entity_id, organization, &identifiers)?;
    check_extensions(&certificate, sector)
}

fn check_key_and_algorithm(certificate: &X509Certificate<'_>) -> Result<(), CertificateError> {
    match certificate.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) if [2048, 3072, 4096].contains(&rsa.key_size()) => {}
        Ok(PublicKey::RSA(rsa)) => {
            return Err(profile(
                "an RSA key of 2048, 3072 or 4096 bits",
                format!("{} bits", rsa.key_size()),
            ));
        }
        _ => {
            return Err(profile(
                "an RSA key (regole tecniche, \"Algoritmi\")",
                "another kind of key",
            ));
        }
    }
    let algorithm = certificate.signature_algorithm.algorithm.to_id_string();
    // sha256WithRSAEncryption, sha512WithRSAEncryption.
    if !["1.2.840.113549.1.1.11", "1.2.840.113549.1.1.13"].contains(&algorithm.as_str()) {
        return Err(profile("a SHA-256 or SHA-512 RSA signature", algorithm));
    }
    Ok(())
}

fn check_subject_names(
    certificate: &X509Certificate<'_>,
    entity_id: &str,
    organization: &Organization,
    identifiers: &[String],
) -> Result<(), CertificateError> {
    let subject = certificate.subject();
    let value = |oid: &str| -> Option<String> {
        subject
            .iter_attributes()
            .find(|attribute| attribute.attr_type().to_id_string() == oid)
            .and_then(|attribute| attribute.as_str().ok().map(str::to_owned))
    };
    for (oid, name) in PERSONAL_NAMES {
        if value(oid).is_some() {
            return Err(profile("no personal name in the subject", name));
        }
    }
    for (oid, rule) in [
        ("2.5.4.3", "a commonName"),
        ("2.5.4.6", "a countryName"),
        ("2.5.4.7", "a localityName"),
    ] {
        if value(oid).is_none_or(|v| v.trim().is_empty()) {
            return Err(profile(rule, "none"));
        }
    }
    let uri = value(URI).unwrap_or_default();
    if uri != entity_id {
        return Err(profile(
            "the subject's uri (2.5.4.83) is the entity id",
            uri,
        ));
    }
    let name = value("2.5.4.10").unwrap_or_default();
    if name != organization.name {
        return Err(profile(
            "the subject's organizationName is the OrganizationName, exactly",
            name,
        ));
    }
    let identifier = value(ORGANIZATION_IDENTIFIER).unwrap_or_default();
    if !identifiers.contains(&identifier) {
        return Err(profile(
            "the subject's organizationIdentifier (2.5.4.97) is PA:IT-<IPA code> for a public SP, VATIT-<partita IVA> or CF:IT-<codice fiscale> for a private one, as configured",
            identifier,
        ));
    }
    Ok(())
}

fn check_extensions(
    certificate: &X509Certificate<'_>,
    sector: Sector,
) -> Result<(), CertificateError> {
    let mut basic = None;
    let mut usage = None;
    let mut policies = None;
    for extension in certificate.extensions() {
        match extension.parsed_extension() {
            ParsedExtension::BasicConstraints(value) => {
                basic = Some((extension.critical, value.ca))
            }
            ParsedExtension::KeyUsage(value) => usage = Some((extension.critical, *value)),
            ParsedExtension::CertificatePolicies(value) => {
                let oids: Vec<String> = value
                    .iter()
                    .map(|policy| policy.policy_id.to_id_string())
                    .collect();
                policies = Some((extension.critical, oids));
            }
            _ => {}
        }
    }
    match basic {
        Some((false, false)) => {}
        Some((critical, ca)) => {
            return Err(profile(
                "basicConstraints not critical, with cA false",
                format!("critical {critical}, cA {ca}"),
            ));
        }
        None => return Err(profile("a basicConstraints extension", "none")),
    }
    match usage {
        Some((true, usage))
            if usage.digital_signature()
                && usage.non_repudiation()
                && !(usage.key_encipherment()
                    || usage.data_encipherment()
                    || usage.key_agreement()
                    || usage.key_cert_sign()
                    || usage.crl_sign()) => {}
        Some((critical, usage)) => {
            return Err(profile(
                "keyUsage critical, with digitalSignature and nonRepudiation only",
                format!("critical {critical}, {usage}"),
            ));
        }
        None => return Err(profile("a keyUsage extension", "none")),
    }
    match policies {
        Some((false, oids))
            if oids.iter().any(|o| o == AGID_CERT) && oids.iter().any(|o| o == sector.policy()) =>
        {
            Ok(())
        }
        Some((critical, oids)) => Err(profile(
            "certificatePolicies not critical, with agIDcert (1.3.76.16.6) and the sector's SP policy (1.3.76.16.4.2.1 public, 1.3.76.16.4.3.1 private)",
            format!("critical {critical}, {}", oids.join(", ")),
        )),
        None => Err(profile("a certificatePolicies extension", "none")),
    }
}

fn pem_der(pem: &str) -> Result<Vec<u8>, CertificateError> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| CertificateError::NotACertificate)
}
