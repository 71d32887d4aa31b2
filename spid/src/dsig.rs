//! Narrow XML-DSig: is *this element* signed by one of *these keys*?
//!
//! Accepted, and nothing else: one enveloped `ds:Signature`, a direct child
//! of the element, with one `ds:Reference` whose URI is `#` + the element's
//! `ID` (SAML core §5.4.2; `""`, the whole document, only for metadata
//! through [`verify_document`], as AgID signs its aggregate so); transforms enveloped-signature
//! then exclusive c14n (with or without comments, with an optional
//! InclusiveNamespaces PrefixList); digests SHA-256/384/512; signatures
//! RSA-SHA256/384/512 (PKCS#1 v1.5) and ECDSA-SHA256/384/512. SHA-1 and any
//! other algorithm or transform are refused. Keys come only from the
//! caller's trusted certificates: `ds:KeyInfo` is ignored. The document
//! must not repeat the element's `ID` anywhere, so no other node can stand
//! for it.

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use base64::Engine as _;
use roxmltree::{Document, Node};
use x509_parser::public_key::PublicKey;

use crate::SigningKey;
use crate::xml::c14n::{self, Options};

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Why an element is not accepted as signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsigError {
    /// The element has no signature of its own.
    #[error("the element is not signed")]
    NotSigned,
    /// The signature's structure is not the one accepted.
    #[error("the signature is malformed: {0}")]
    Malformed(&'static str),
    /// An algorithm or transform outside the accepted set (SHA-1 included).
    #[error("the algorithm {0} is not accepted")]
    UnsupportedAlgorithm(String),
    /// The reference does not point at the element itself.
    #[error("the signature does not reference the element it is in")]
    WrongReference,
    /// The element's `ID` appears more than once in the document.
    #[error("the element's ID is not unique in the document")]
    DuplicateId,
    /// The digest does not match: the element was changed after signing.
    #[error("the signed content was altered")]
    DigestMismatch,
    /// No trusted key verifies the signature.
    #[error("the signature is not by a trusted key")]
    BadSignature,
}

/// Why a certificate cannot serve as a trusted key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not a PEM or DER X.509 certificate.
    #[error("not an X.509 certificate")]
    NotACertificate,
    /// A key type other than RSA (2048 bits or more) and EC P-256, P-384
    /// or P-521.
    #[error("the certificate's key type is not supported")]
    UnsupportedKey,
}

/// A public key trusted to sign: from IdP metadata, never from the document.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    kind: KeyKind,
    /// RSAPublicKey DER for RSA; the uncompressed point for EC.
    key: Vec<u8>,
    /// The key parsed once for each of [`KeyKind::algorithms`], `None`
    /// where it does not fit (an EC key fits its own curve's only): parsing
    /// at each verification cost a sixth of it.
    parsed: [Option<ParsedPublicKey>; 3],
}

impl PartialEq for TrustedKey {
    fn eq(&self, other: &Self) -> bool {
        (self.kind, &self.key) == (other.kind, &other.key)
    }
}

impl Eq for TrustedKey {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    Ec,
}

impl KeyKind {
    /// The accepted signature algorithms for keys of this kind, by hash:
    /// SHA-256, SHA-384, SHA-512.
    fn algorithms(self) -> [&'static dyn VerificationAlgorithm; 3] {
        match self {
            Self::Rsa => [
                &signature::RSA_PKCS1_2048_8192_SHA256,
                &signature::RSA_PKCS1_2048_8192_SHA384,
                &signature::RSA_PKCS1_2048_8192_SHA512,
            ],
            Self::Ec => [
                &signature::ECDSA_P256_SHA256_FIXED,
                &signature::ECDSA_P384_SHA384_FIXED,
                &signature::ECDSA_P521_SHA512_FIXED,
            ],
        }
    }

    /// The position in [`Self::algorithms`] of the XML-DSig `method`.
    fn algorithm_of(self, method: &str) -> Option<usize> {
        let prefix = match self {
            Self::Rsa => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha",
            Self::Ec => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha",
        };
        match method.strip_prefix(prefix)? {
            "256" => Some(0),
            "384" => Some(1),
            "512" => Some(2),
            _ => None,
        }
    }
}

impl TrustedKey {
    /// The key of a certificate in PEM (one `CERTIFICATE` block) or the
    /// base64 body alone, as metadata carries it.
    ///
    /// # Errors
    /// A [`KeyError`].
    pub fn from_certificate_pem(text: &str) -> Result<Self, KeyError> {
        let body: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| KeyError::NotACertificate)?;
        Self::from_certificate_der(&der)
    }

    /// The key of a DER certificate.
    ///
    /// # Errors
    /// A [`KeyError`].
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, KeyError> {
        let (_, certificate) =
            x509_parser::parse_x509_certificate(der).map_err(|_| KeyError::NotACertificate)?;
        let spki = &certificate.tbs_certificate.subject_pki;
        let kind = match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) if rsa.key_size() >= 2048 => KeyKind::Rsa,
            Ok(PublicKey::EC(_)) => KeyKind::Ec,
            _ => return Err(KeyError::UnsupportedKey),
        };
        let key = spki.subject_public_key.data.to_vec();
        let parsed = kind
            .algorithms()
            .map(|algorithm| ParsedPublicKey::new(algorithm, &key).ok());
        if parsed.iter().all(Option::is_none) {
            return Err(KeyError::UnsupportedKey);
        }
        Ok(Self { kind, key, parsed })
    }

    /// Verifies a detached signature (the HTTP-Redirect binding's) of
    /// `message` with the XML-DSig `method` URI.
    ///
    /// # Errors
    /// [`DsigError::BadSignature`], also for a method outside the accepted set.
    pub fn verify_detached(
        &self,
        method: &str,
        message: &[u8],
        signature_value: &[u8],
    ) -> Result<(), DsigError> {
        self.kind
            .algorithm_of(method)
            .and_then(|index| self.parsed.get(index)?.as_ref())
            .ok_or(DsigError::BadSignature)?
            .verify_sig(message, signature_value)
            .map_err(|_| DsigError::BadSignature)
    }
}

fn is_dsig(node: Node<'_, '_>, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(DSIG) && node.tag_name().name() == name
}

/// The one child element of `node` named `name` in the DSig namespace.
fn only_child<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> Result<Node<'a, 'i>, DsigError> {
    let mut found = node.children().filter(|c| is_dsig(*c, name));
    match (found.next(), found.next()) {
        (Some(child), None) => Ok(child),
        (None, _) => Err(DsigError::Malformed(name)),
        (Some(_), Some(_)) => Err(DsigError::Malformed("an element repeated")),
    }
}

fn algorithm_of<'a>(node: Node<'a, '_>) -> Result<&'a str, DsigError> {
    node.attribute("Algorithm")
        .ok_or(DsigError::Malformed("an Algorithm attribute"))
}

/// The c14n options of a canonicalisation method or transform element.
fn c14n_options(node: Node<'_, '_>) -> Result<(bool, Vec<String>), DsigError> {
    let comments = match algorithm_of(node)? {
        EXC_C14N => false,
        EXC_C14N_COMMENTS => true,
        other => return Err(DsigError::UnsupportedAlgorithm(other.to_owned())),
    };
    let prefixes = node
        .children()
        .find(|c| {
            c.is_element()
                && c.tag_name().namespace() == Some(EXC_C14N)
                && c.tag_name().name() == "InclusiveNamespaces"
        })
        .and_then(|n| n.attribute("PrefixList"))
        .map(|list| list.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    Ok((comments, prefixes))
}

fn digest(method: &str, data: &[u8]) -> Result<Vec<u8>, DsigError> {
    let algorithm = match method {
        "http://www.w3.org/2001/04/xmlenc#sha256" => &aws_lc_rs::digest::SHA256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => &aws_lc_rs::digest::SHA384,
        "http://www.w3.org/2001/04/xmlenc#sha512" => &aws_lc_rs::digest::SHA512,
        other => return Err(DsigError::UnsupportedAlgorithm(other.to_owned())),
    };
    Ok(aws_lc_rs::digest::digest(algorithm, data).as_ref().to_vec())
}

pub(crate) fn base64_content(node: Node<'_, '_>) -> Result<Vec<u8>, DsigError> {
    decode_base64_lines(node.text().unwrap_or_default())
        .ok_or(DsigError::Malformed("base64 content"))
}

/// Standard base64 that may be broken into lines. Decoded as it is first;
/// only when that fails is XML's (ASCII) white space dropped, in place:
/// a char-by-char copy into a new `String` cost four times the decode.
pub(crate) fn decode_base64_lines(text: &str) -> Option<Vec<u8>> {
    let engine = &base64::engine::general_purpose::STANDARD;
    engine.decode(text).ok().or_else(|| {
        let mut compact = text.as_bytes().to_vec();
        compact.retain(|b| !b.is_ascii_whitespace());
        engine.decode(compact).ok()
    })
}

/// Checks that `element` carries a valid enveloped signature of its own, by
/// one of `keys`, referenced by its `ID` (`#ID`, as SAML core §5.4.2 asks
/// of every SAML message). `source` is the text `document` was parsed from.
///
/// # Errors
/// A [`DsigError`] saying what is wrong.
pub fn verify_element(
    document: &Document<'_>,
    source: &str,
    element: Node<'_, '_>,
    keys: &[TrustedKey],
) -> Result<(), DsigError> {
    verify(document, source, element, keys, false)
}

/// Checks that the document element carries a valid enveloped signature
/// by one of `keys`, referenced by its `ID` or by `""` (the whole
/// document): for metadata, whose signers use both.
///
/// # Errors
/// A [`DsigError`] saying what is wrong.
pub fn verify_document(
    document: &Document<'_>,
    source: &str,
    keys: &[TrustedKey],
) -> Result<(), DsigError> {
    verify(document, source, document.root_element(), keys, true)
}

fn verify(
    document: &Document<'_>,
    source: &str,
    element: Node<'_, '_>,
    keys: &[TrustedKey],
    whole_document: bool,
) -> Result<(), DsigError> {
    let signature = only_child(element, "Signature").map_err(|e| match e {
        DsigError::Malformed("Signature") => DsigError::NotSigned,
        other => other,
    })?;
    let signed_info = only_child(signature, "SignedInfo")?;
    let reference = only_child(signed_info, "Reference")?;

    // The reference must be this very element, known by a unique ID.
    let uri = reference
        .attribute("URI")
        .ok_or(DsigError::WrongReference)?;
    if uri.is_empty() {
        if !whole_document || element != document.root_element() {
            return Err(DsigError::WrongReference);
        }
    } else {
        let id = uri.strip_prefix('#').ok_or(DsigError::WrongReference)?;
        if element.attribute("ID") != Some(id) {
            return Err(DsigError::WrongReference);
        }
        let uses = document
            .descendants()
            .filter(|n| n.attributes().any(|a| a.name() == "ID" && a.value() == id))
            .count();
        if uses != 1 {
            return Err(DsigError::DuplicateId);
        }
    }

    // Transforms: enveloped-signature, then exclusive c14n.
    let transforms: Vec<Node<'_, '_>> = only_child(reference, "Transforms")?
        .children()
        .filter(|c| is_dsig(*c, "Transform"))
        .collect();
    let [enveloped, canonical] = transforms.as_slice() else {
        return Err(DsigError::Malformed("exactly two transforms"));
    };
    if algorithm_of(*enveloped)? != ENVELOPED {
        return Err(DsigError::UnsupportedAlgorithm(
            algorithm_of(*enveloped)?.to_owned(),
        ));
    }
    let (comments, inclusive) = c14n_options(*canonical)?;
    let content = c14n::canonicalize(
        element,
        source,
        &Options {
            comments,
            inclusive: &inclusive,
            exclude: Some(signature.id()),
        },
    );
    let expected = base64_content(only_child(reference, "DigestValue")?)?;
    if digest(
        algorithm_of(only_child(reference, "DigestMethod")?)?,
        content.as_bytes(),
    )? != expected
    {
        return Err(DsigError::DigestMismatch);
    }

    // The signature over the canonical SignedInfo.
    let (comments, inclusive) = c14n_options(only_child(signed_info, "CanonicalizationMethod")?)?;
    let signed = c14n::canonicalize(
        signed_info,
        source,
        &Options {
            comments,
            inclusive: &inclusive,
            exclude: None,
        },
    );
    let method = algorithm_of(only_child(signed_info, "SignatureMethod")?)?;
    if !method.starts_with("http://www.w3.org/2001/04/xmldsig-more#") || method.ends_with("sha1") {
        return Err(DsigError::UnsupportedAlgorithm(method.to_owned()));
    }
    let value = base64_content(only_child(signature, "SignatureValue")?)?;
    if keys.iter().any(|key| {
        key.verify_detached(method, signed.as_bytes(), &value)
            .is_ok()
    }) {
        Ok(())
    } else {
        Err(DsigError::BadSignature)
    }
}

const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// SPID's signature policy for a Response: the document element is a
/// `samlp:Response` holding exactly one `saml:Assertion` as a direct child;
/// the Assertion is signed (always); the Response, when it carries a
/// signature, is signed validly too. Returns the Assertion, the very node
/// whose digest was verified: read the identity from it and nothing else.
///
/// # Errors
/// [`DsigError::Malformed`] for any other shape, else the Assertion's or the
/// Response's signature error.
pub fn verified_assertion<'a, 'i>(
    document: &'a Document<'i>,
    source: &str,
    keys: &[TrustedKey],
) -> Result<Node<'a, 'i>, DsigError> {
    let response = document.root_element();
    if response.tag_name().namespace() != Some(SAMLP) || response.tag_name().name() != "Response" {
        return Err(DsigError::Malformed("the document is not a samlp:Response"));
    }
    let is_assertion = |n: &Node<'_, '_>| {
        n.tag_name().namespace() == Some(SAML) && n.tag_name().name() == "Assertion"
    };
    if document.descendants().filter(is_assertion).count() != 1 {
        return Err(DsigError::Malformed(
            "exactly one saml:Assertion is required",
        ));
    }
    let assertion = response
        .children()
        .find(is_assertion)
        .ok_or(DsigError::Malformed(
            "the Assertion must be a child of the Response",
        ))?;
    verify_element(document, source, assertion, keys)?;
    if response.children().any(|c| is_dsig(c, "Signature")) {
        verify_element(document, source, response, keys)?;
    }
    Ok(assertion)
}

/// The enveloped-signature template the writers of this crate emit: empty
/// `DigestValue`, `SignatureValue` and `X509Certificate`, filled by
/// [`sign_template`].
#[must_use]
pub fn signature_template(id: &str, key: &SigningKey) -> String {
    format!(
        "<ds:Signature xmlns:ds=\"{DSIG}\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/>\
         <ds:SignatureMethod Algorithm=\"{method}\"/>\
         <ds:Reference URI=\"#{id}\"><ds:Transforms><ds:Transform Algorithm=\"{ENVELOPED}\"/>\
         <ds:Transform Algorithm=\"{EXC_C14N}\"/></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/></ds:Reference>\
         </ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>\
         </ds:Signature>",
        id = crate::xml::write::escape(id),
        method = key.method(),
    )
}

/// Why a template could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The text is not acceptable XML.
    #[error(transparent)]
    Xml(#[from] crate::xml::XmlError),
    /// The text holds no template of [`signature_template`]'s shape.
    #[error("the document holds no signature template")]
    NoTemplate,
    /// The signature made does not verify with `certificate` (a key that is
    /// not the certificate's, or a bug): nothing is returned unverified.
    #[error("the signature does not verify with the certificate")]
    SelfCheck(#[source] DsigError),
    /// The certificate cannot be read.
    #[error(transparent)]
    Certificate(#[from] KeyError),
}

/// Signs the element holding the one [`signature_template`] of `xml` with
/// `key` (the template's signature method, exc-c14n), puts `certificate`
/// (PEM) in `KeyInfo`,
/// and checks the result with the certificate's key before returning it.
///
/// # Errors
/// A [`SignError`].
pub fn sign_template(
    xml: &str,
    key: &SigningKey,
    certificate_pem: &str,
) -> Result<String, SignError> {
    let certificate: String = certificate_pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let trusted = TrustedKey::from_certificate_pem(&certificate)?;
    let (element_id, signature_id) = {
        let document = crate::xml::parse(xml)?;
        let signature = document
            .descendants()
            .find(|n| {
                is_dsig(*n, "Signature")
                    && n.descendants()
                        .any(|d| is_dsig(d, "DigestValue") && d.text().is_none())
            })
            .ok_or(SignError::NoTemplate)?;
        let element = signature.parent_element().ok_or(SignError::NoTemplate)?;
        (element.id(), signature.id())
    };
    let digest_text = {
        let document = crate::xml::parse(xml)?;
        let element = document.get_node(element_id).ok_or(SignError::NoTemplate)?;
        let content = c14n::canonicalize(
            element,
            xml,
            &Options {
                comments: false,
                inclusive: &[],
                exclude: Some(signature_id),
            },
        );
        base64::engine::general_purpose::STANDARD.encode(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, content.as_bytes()).as_ref(),
        )
    };
    let with_digest = xml.replacen(
        "<ds:DigestValue/>",
        &format!("<ds:DigestValue>{digest_text}</ds:DigestValue>"),
        1,
    );
    let signature_text = {
        let document = crate::xml::parse(&with_digest)?;
        // The template's SignedInfo: the one whose SignatureValue is still
        // empty, not whichever signature comes first in the document.
        let signed_info = document
            .descendants()
            .filter(|n| {
                is_dsig(*n, "Signature")
                    && n.children()
                        .any(|c| is_dsig(c, "SignatureValue") && c.text().is_none())
            })
            .flat_map(|signature| signature.children())
            .find(|n| is_dsig(*n, "SignedInfo"))
            .ok_or(SignError::NoTemplate)?;
        let canonical = c14n::canonicalize(
            signed_info,
            &with_digest,
            &Options {
                comments: false,
                inclusive: &[],
                exclude: None,
            },
        );
        base64::engine::general_purpose::STANDARD.encode(key.sign(canonical.as_bytes()))
    };
    let signed = with_digest
        .replacen(
            "<ds:SignatureValue/>",
            &format!("<ds:SignatureValue>{signature_text}</ds:SignatureValue>"),
            1,
        )
        .replacen(
            "<ds:X509Certificate/>",
            &format!("<ds:X509Certificate>{certificate}</ds:X509Certificate>"),
            1,
        );
    let document = crate::xml::parse(&signed)?;
    let element = document.get_node(element_id).ok_or(SignError::NoTemplate)?;
    verify_element(&document, &signed, element, &[trusted]).map_err(SignError::SelfCheck)?;
    Ok(signed)
}
