//! The AuthnRequest, by HTTP-Redirect or HTTP-POST (single-sign-on.rst and
//! trasmissione.rst).
//!
//! Every SPID rule is fixed by construction: `ForceAuthn` for SpidL2 and
//! SpidL3; `Issuer` with the entity format and `NameQualifier`; transient
//! `NameIDPolicy` without `AllowCreate`; one `AuthnContextClassRef` in the
//! `https://www.spid.gov.it/SpidLx` form with a `Comparison`;
//! `AssertionConsumerServiceIndex` (never with a URL or binding) and
//! `AttributeConsumingServiceIndex`; no `IsPassive`; SHA-256 signatures.

use std::cell::RefCell;

use base64::Engine as _;
use flate2::{Compress, Compression, FlushCompress, Status};
use time::OffsetDateTime;

use crate::config::{ServiceProvider, SpidLevel};
use crate::dsig::{SignError, sign_template, signature_template};
use crate::response::PendingRequest;
use crate::xml::write::escape;

/// How the asserted level compares with the one asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(
    clippy::exhaustive_enums,
    reason = "closed by SAML core: exact, minimum, better, maximum"
)]
pub enum Comparison {
    /// Exactly that level.
    Exact,
    /// That level or higher (the usual choice).
    #[default]
    Minimum,
    /// Higher.
    Better,
    /// That level or lower.
    Maximum,
}

impl Comparison {
    fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Minimum => "minimum",
            Self::Better => "better",
            Self::Maximum => "maximum",
        }
    }
}

/// What to ask the IdP for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct AuthnOptions {
    /// The level.
    pub level: SpidLevel,
    /// How it compares.
    pub comparison: Comparison,
    /// The AttributeConsumingService of the metadata to use.
    pub attribute_set: u16,
}

/// An AuthnRequest made for one IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    id: String,
    destination: String,
    issue_instant: OffsetDateTime,
    level: SpidLevel,
    comparison: Comparison,
    xml: String,
}

impl AuthnRequest {
    /// The request's ID: keep it to match the Response's `InResponseTo`.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When it was made.
    #[must_use]
    pub fn issue_instant(&self) -> OffsetDateTime {
        self.issue_instant
    }

    /// The level asked for, and how it compares (the Response is checked
    /// against them).
    #[must_use]
    pub fn level(&self) -> (SpidLevel, Comparison) {
        (self.level, self.comparison)
    }

    /// The unsigned XML (the Redirect binding signs the query instead).
    #[must_use]
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// What to store until the Response comes back: the request as
    /// [`ServiceProvider::validate_response`] checks it, for the IdP whose
    /// entity id is `idp_entity_id`.
    #[must_use]
    pub fn pending(&self, idp_entity_id: &str) -> PendingRequest {
        PendingRequest {
            id: self.id.clone(),
            idp_entity_id: idp_entity_id.to_owned(),
            issued_at: self.issue_instant,
            level: self.level,
            comparison: self.comparison,
        }
    }
}

/// SAML's `xs:dateTime` in UTC with milliseconds.
pub(crate) fn saml_instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// A fresh XML ID: `_` and 128 random bits in hex.
pub(crate) fn fresh_id() -> String {
    let mut bytes = [0u8; 16];
    // The system random source only fails when the OS has none; a zero ID
    // would then be refused as a replay by the request store.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    format!(
        "_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

thread_local! {
    /// The DEFLATE compressor's state is a few hundred KB: allocated afresh
    /// for every request, its page faults cost a third of an RSA signature
    /// (measured by the bench), so each thread keeps one and resets it.
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::default(), false));
}

/// Raw DEFLATE (no zlib header), as the HTTP-Redirect binding wants.
fn deflate_raw(input: &[u8]) -> Vec<u8> {
    DEFLATE.with_borrow_mut(|compressor| {
        compressor.reset();
        let mut out = Vec::with_capacity((input.len() / 2).saturating_add(64));
        loop {
            let consumed = usize::try_from(compressor.total_in()).unwrap_or(usize::MAX);
            let rest = input.get(consumed..).unwrap_or_default();
            match compressor.compress_vec(rest, &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return out,
                // The output is full: room for more, then go on.
                Ok(Status::Ok | Status::BufError) => out.reserve(out.capacity().max(64)),
                // Only a misuse of the stream fails; an empty message then
                // fails at the IdP rather than here.
                Err(_) => return Vec::new(),
            }
        }
    })
}

impl ServiceProvider {
    /// An AuthnRequest for the IdP whose SSO service is at `destination`.
    #[must_use]
    pub fn authn_request(
        &self,
        destination: &str,
        options: &AuthnOptions,
        now: OffsetDateTime,
    ) -> AuthnRequest {
        let id = fresh_id();
        let force = if options.level == SpidLevel::L1 {
            ""
        } else {
            " ForceAuthn=\"true\""
        };
        let xml = format!(
            "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
             ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{instant}\" Destination=\"{destination}\"{force} \
             AssertionConsumerServiceIndex=\"0\" AttributeConsumingServiceIndex=\"{set}\">\
             <saml:Issuer Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\" NameQualifier=\"{entity}\">{entity}</saml:Issuer>\
             <samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\"/>\
             <samlp:RequestedAuthnContext Comparison=\"{comparison}\"><saml:AuthnContextClassRef>{level}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>\
             </samlp:AuthnRequest>",
            instant = saml_instant(now),
            destination = escape(destination),
            set = options.attribute_set,
            entity = escape(&self.entity_id),
            comparison = options.comparison.as_str(),
            level = options.level.uri(),
        );
        AuthnRequest {
            id,
            destination: destination.to_owned(),
            issue_instant: now,
            level: options.level,
            comparison: options.comparison,
            xml,
        }
    }

    /// The HTTP-Redirect URL: raw DEFLATE and base64 of the request, the
    /// opaque `relay_state`, and the signature over the exact query octets
    /// `SAMLRequest=…&RelayState=…&SigAlg=…`.
    #[must_use]
    pub fn redirect_url(&self, request: &AuthnRequest, relay_state: &str) -> String {
        self.redirect(
            &request.destination,
            "SAMLRequest",
            &request.xml,
            relay_state,
        )
    }

    /// The HTTP-POST binding: an auto-submitting HTML form carrying the
    /// XML-signed request (the signature right after `Issuer`).
    ///
    /// # Errors
    /// When the signature cannot be made or does not verify.
    pub fn post_form(
        &self,
        request: &AuthnRequest,
        relay_state: &str,
    ) -> Result<String, SignError> {
        self.post(
            &request.destination,
            "SAMLRequest",
            &request.xml,
            &request.id,
            relay_state,
        )
    }

    /// A message (`field` is `SAMLRequest` or `SAMLResponse`) by
    /// HTTP-Redirect, signed over the exact query octets.
    pub(crate) fn redirect(
        &self,
        destination: &str,
        field: &str,
        xml: &str,
        relay_state: &str,
    ) -> String {
        let deflated = deflate_raw(xml.as_bytes());
        let encode = |value: &str| {
            url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
        };
        let query = format!(
            "{field}={}&RelayState={}&SigAlg={}",
            encode(&base64::engine::general_purpose::STANDARD.encode(deflated)),
            encode(relay_state),
            encode(self.key.method())
        );
        let signature =
            base64::engine::general_purpose::STANDARD.encode(self.key.sign(query.as_bytes()));
        let separator = if destination.contains('?') { '&' } else { '?' };
        format!(
            "{destination}{separator}{query}&Signature={}",
            encode(&signature)
        )
    }

    /// A message (`field` is `SAMLRequest` or `SAMLResponse`) by
    /// HTTP-POST: an enveloped signature of its root (whose ID is `id`)
    /// right after the root's `saml:Issuer`, where SPID wants it, in an
    /// auto-submitting form.
    pub(crate) fn post(
        &self,
        destination: &str,
        field: &str,
        xml: &str,
        id: &str,
        relay_state: &str,
    ) -> Result<String, SignError> {
        let template = xml.replacen(
            "</saml:Issuer>",
            &format!("</saml:Issuer>{}", signature_template(id, &self.key)),
            1,
        );
        let signed = sign_template(&template, &self.key, &self.certificate_pem)?;
        Ok(post_page(destination, field, &signed, relay_state))
    }
}

/// An HTML page that posts `name` = base64(`message`) and `RelayState` to
/// `action` as soon as it loads (a button without JavaScript).
fn post_page(action: &str, name: &str, message: &str, relay_state: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>SPID</title></head>\
         <body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">\
         <input type=\"hidden\" name=\"{name}\" value=\"{}\"><input type=\"hidden\" name=\"RelayState\" value=\"{}\">\
         <noscript><button type=\"submit\">Continua</button></noscript></form></body></html>",
        escape(action),
        base64::engine::general_purpose::STANDARD.encode(message),
        escape(relay_state)
    )
}
