//! Validating the IdP's Response: every check of the SPID rules (AgID's
//! *Regole tecniche SPID*, `single-sign-on.rst` "Processamento della
//! Response", and spid-sp-test's 111 cases), in the document's order.
//!
//! The identity is read only from the Assertion node whose signature was
//! verified ([`crate::dsig::verified_assertion`]), with
//! [`text_content`](crate::xml::text_content) so that comments cannot
//! truncate a value. Replay protection is the caller's:
//! [`finish_login`](ServiceProvider::finish_login) does it, recording the
//! request id and [`Identity::assertion_id`] in the replay cache until they
//! could no longer be accepted ([`Identity::valid_until`] plus the clock
//! tolerance); a caller of this lower layer must do the same.
//!
//! Every instant is compared with a window computed on the trusted side
//! (`instants`), never added to: a Response is read before its signature
//! is checked, and `time` panics on overflow.

use std::collections::BTreeMap;
use std::time::Duration;

use abilita_core::CodiceFiscale;
use roxmltree::{Document, Node};
use time::OffsetDateTime;

use crate::authn::Comparison;
use crate::config::{ServiceProvider, SpidLevel};
use crate::dsig::{DsigError, TrustedKey, decode_base64_lines, verified_assertion};
use crate::instants::Window;
pub(crate) use crate::instants::instant;
use crate::xml::{XmlError, parse, text_content};

pub(crate) const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(crate) const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub(crate) const ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub(crate) const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// The default tolerance between the IdP's clock and the SP's.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The request a Response answers, as the SP stored it when sending it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`): kept and restored by apps that send their own requests"
)]
pub struct PendingRequest {
    /// The AuthnRequest's ID.
    pub id: String,
    /// The IdP it went to.
    pub idp_entity_id: String,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
    /// The level asked for.
    pub level: SpidLevel,
    /// How the level compares.
    pub comparison: Comparison,
}

/// What a Response is checked against.
#[derive(Debug, Clone, Copy)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct Expectations<'a> {
    /// The request it must answer.
    pub request: &'a PendingRequest,
    /// The IdP's signing keys, from its metadata.
    pub idp_keys: &'a [TrustedKey],
    /// Now.
    pub now: OffsetDateTime,
    /// Clock tolerance.
    pub clock_skew: Duration,
}

/// A citizen's anomaly reported by the IdP (`ErrorCode nr19`–`nr30`): the
/// SP must show the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserAnomaly {
    /// nr19: repeated wrong credentials.
    RepeatedFailures,
    /// nr20: no credentials of the requested level.
    LevelNotAvailable,
    /// nr21: timed out.
    Timeout,
    /// nr22: consent denied.
    ConsentDenied,
    /// nr23: identity suspended, revoked or blocked.
    IdentityBlocked,
    /// nr25: cancelled by the citizen.
    Cancelled,
    /// nr30: the wrong kind of identity (not professional or legal person).
    WrongIdentityType,
}

impl UserAnomaly {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            19 => Self::RepeatedFailures,
            20 => Self::LevelNotAvailable,
            21 => Self::Timeout,
            22 => Self::ConsentDenied,
            23 => Self::IdentityBlocked,
            25 => Self::Cancelled,
            30 => Self::WrongIdentityType,
            _ => return None,
        })
    }

    /// The message the SPID rules ask the SP to show (AgID's table).
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            Self::RepeatedFailures => "Autenticazione fallita: inserire credenziali corrette.",
            Self::LevelNotAvailable => {
                "Le credenziali non sono del livello richiesto: acquisire credenziali di livello idoneo."
            }
            Self::Timeout => {
                "Tempo scaduto: l'autenticazione deve essere completata entro un determinato periodo di tempo."
            }
            Self::ConsentDenied => "È necessario dare il consenso all'invio dei dati richiesti.",
            Self::IdentityBlocked => "L'identità digitale risulta sospesa, revocata o bloccata.",
            Self::Cancelled => "Autenticazione annullata.",
            Self::WrongIdentityType => {
                "Il tipo di identità digitale usato non è quello richiesto dal servizio."
            }
        }
    }
}

/// Why a Response was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// Not base64 of acceptable XML.
    #[error("the Response is not acceptable XML")]
    Xml(#[from] XmlError),
    /// The signatures are wrong (see [`DsigError`]).
    #[error("the Response's signatures are not valid")]
    Signature(#[from] DsigError),
    /// The citizen's anomaly: show [`UserAnomaly::message`].
    #[error("the IdP reports: {}", .0.message())]
    Anomaly(UserAnomaly),
    /// Another failure status from the IdP (an SP request error, nr08–nr18).
    #[error("the IdP answered with an error status")]
    IdpError {
        /// The status code.
        status: String,
        /// The status message (`ErrorCode nrNN`), if any.
        message: Option<String>,
    },
    /// A SAML or SPID rule is broken; the text names it.
    #[error("the message breaks a SAML or SPID rule: {0}")]
    Rule(&'static str),
}

/// The citizen, as the IdP asserted them.
///
/// Serialisable, so that any session store can hold it; the instant is
/// written in RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Identity {
    /// The IdP's entity id.
    pub idp: String,
    /// The level actually used.
    pub level: SpidLevel,
    /// The transient NameID (for logout).
    pub name_id: String,
    /// Its NameQualifier.
    pub name_qualifier: String,
    /// The SessionIndex (for logout; present for SpidL1 only).
    pub session_index: Option<String>,
    /// The Assertion's ID: [`finish_login`](ServiceProvider::finish_login)
    /// remembers it against replay until `valid_until` plus the clock
    /// tolerance.
    pub assertion_id: String,
    /// When the assertion stops being usable (before the clock tolerance).
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    /// The attributes.
    pub attributes: Attributes,
}

/// The released attributes: every one as sent, and the common ones typed.
///
/// An attribute the citizen lacks is absent, also when the IdP sends it
/// empty or `xsi:nil` (Sielte and InfoCert do). A value that does not parse
/// (a `fiscalNumber` with a wrong check character, as some of AgID's demo
/// users have; a `dateOfBirth` of `0000-00-00`) does not refuse the login:
/// it stays in [`all`](Self::all) as sent, and its typed field holds the
/// [`InvalidAttribute`], so the app decides.
///
/// Its serde form is the map of [`all`](Self::all) alone; the typed fields
/// are derived again when it is read back.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(from = "BTreeMap<String, String>", into = "BTreeMap<String, String>")]
#[non_exhaustive]
pub struct Attributes {
    /// `fiscalNumber` without its `TINIT-` prefix, when it is a valid
    /// codice fiscale.
    pub fiscal_number: Option<Result<CodiceFiscale, InvalidAttribute>>,
    /// `dateOfBirth`, when it is a date.
    pub date_of_birth: Option<Result<time::Date, InvalidAttribute>>,
    /// Every attribute by SPID name, as sent (empty and nil ones left out).
    pub all: BTreeMap<String, String>,
}

impl Attributes {
    /// An attribute by SPID name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all.get(name).map(String::as_str)
    }

    /// The codice fiscale, when it was released and is valid.
    #[must_use]
    pub fn codice_fiscale(&self) -> Option<&CodiceFiscale> {
        self.fiscal_number.as_ref().and_then(|f| f.as_ref().ok())
    }
}

impl From<BTreeMap<String, String>> for Attributes {
    /// The attributes as released, with the common ones typed. A session
    /// store keeps only this map ([`Attributes`]'s serde form), so the typed
    /// fields are always derived from it the same way.
    fn from(all: BTreeMap<String, String>) -> Self {
        let fiscal_number = all.get("fiscalNumber").map(|raw| {
            let invalid = |reason: &str| InvalidAttribute {
                name: "fiscalNumber",
                raw: raw.clone(),
                reason: reason.to_owned(),
            };
            let code = raw
                .strip_prefix("TINIT-")
                .ok_or_else(|| invalid("not TINIT-<codice fiscale>"))?;
            CodiceFiscale::new(code).map_err(|error| invalid(&error.to_string()))
        });
        let date_of_birth = all.get("dateOfBirth").map(|raw| {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(raw, format).map_err(|error| InvalidAttribute {
                name: "dateOfBirth",
                raw: raw.clone(),
                reason: error.to_string(),
            })
        });
        Self {
            fiscal_number,
            date_of_birth,
            all,
        }
    }
}

impl From<Attributes> for BTreeMap<String, String> {
    fn from(attributes: Attributes) -> Self {
        attributes.all
    }
}

/// An attribute whose value is not in its SPID format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the attribute {name} is not in its SPID format: {reason}")]
#[non_exhaustive]
pub struct InvalidAttribute {
    /// Its SPID name.
    pub name: &'static str,
    /// Its value, as sent.
    pub raw: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A posted `SAMLResponse` or `SAMLRequest` field: base64 (line breaks allowed) of UTF-8,
/// refused unread when it is larger than the parser would take.
///
/// Browsers post it without line breaks, so it is decoded as it is first
/// ([`decode_base64_lines`]); even a scan for whitespace cost half the
/// decode.
pub(crate) fn decode_base64(value: &str) -> Result<String, ResponseError> {
    if value.len() > (crate::xml::MAX_XML_BYTES / 3 * 4 + 4) * 2 {
        return Err(XmlError::TooLarge.into());
    }
    let bytes = decode_base64_lines(value).ok_or(rule("the SAML message is not base64"))?;
    if bytes.len() > crate::xml::MAX_XML_BYTES {
        return Err(XmlError::TooLarge.into());
    }
    String::from_utf8(bytes).map_err(|_| rule("the SAML message is not UTF-8"))
}

/// Parses a SAML protocol message (Response, LogoutRequest,
/// LogoutResponse): the parser's limits, and no processing instruction
/// anywhere, as no SPID message carries one and another reader may treat
/// one differently.
pub(crate) fn parse_message(xml: &str) -> Result<Document<'_>, ResponseError> {
    let document = parse(xml)?;
    if document.root().descendants().any(|n| n.is_pi()) {
        return Err(rule("a SAML message must not hold processing instructions"));
    }
    Ok(document)
}

pub(crate) fn rule(name: &'static str) -> ResponseError {
    ResponseError::Rule(name)
}

pub(crate) fn is(node: Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

/// The one child `name` of `node`, or the rule named `missing`.
pub(crate) fn one<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &str,
    name: &str,
    missing: &'static str,
) -> Result<Node<'a, 'i>, ResponseError> {
    let mut found = node.children().filter(|c| is(*c, ns, name));
    match (found.next(), found.next()) {
        (Some(child), None) => Ok(child),
        _ => Err(rule(missing)),
    }
}

pub(crate) fn non_empty<'a>(
    value: Option<&'a str>,
    missing: &'static str,
) -> Result<&'a str, ResponseError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(rule(missing))
}

/// Whether the level used satisfies the one asked for (§3.5, 94–96).
fn level_ok(asked: SpidLevel, comparison: Comparison, got: SpidLevel) -> bool {
    match comparison {
        Comparison::Exact | Comparison::Minimum => got >= asked,
        Comparison::Better => got > asked,
        Comparison::Maximum => true,
    }
}

impl ServiceProvider {
    /// Validates the base64 `SAMLResponse` posted to the ACS.
    ///
    /// # Errors
    /// A [`ResponseError`] naming the first check that failed.
    pub fn validate_response(
        &self,
        saml_response: &str,
        expect: &Expectations<'_>,
    ) -> Result<Identity, ResponseError> {
        self.validate_response_xml(&decode_base64(saml_response)?, expect)
    }

    /// Validates a Response already decoded to XML.
    ///
    /// # Errors
    /// A [`ResponseError`] naming the first check that failed.
    pub fn validate_response_xml(
        &self,
        xml: &str,
        expect: &Expectations<'_>,
    ) -> Result<Identity, ResponseError> {
        let document = parse_message(xml)?;
        let response = document.root_element();
        if !is(response, SAMLP, "Response") {
            return Err(rule("the document is not a samlp:Response"));
        }
        let window = Window::new(expect.now, expect.clock_skew);
        let request = expect.request;
        // Issued between the request and now, both with the tolerance.
        let issued_in_range =
            |at: OffsetDateTime| at >= window.before(request.issued_at) && at <= window.latest;

        non_empty(response.attribute("ID"), "Response ID")?;
        if response.attribute("Version") != Some("2.0") {
            return Err(rule("Response Version must be 2.0"));
        }
        let issued = instant(response.attribute("IssueInstant"), "Response IssueInstant")?;
        if !issued_in_range(issued) {
            return Err(rule("Response IssueInstant out of range"));
        }
        if response.attribute("InResponseTo") != Some(request.id.as_str()) {
            return Err(rule("Response InResponseTo is not the pending request"));
        }
        if response.attribute("Destination") != Some(self.acs_url().as_str()) {
            return Err(rule("Response Destination is not the ACS"));
        }

        // The status comes before the signatures: error Responses are unsigned.
        let status = one(response, SAMLP, "Status", "Status")?;
        let code = one(status, SAMLP, "StatusCode", "StatusCode")?;
        let value = non_empty(code.attribute("Value"), "StatusCode Value")?;
        if value != SUCCESS {
            let message = status
                .children()
                .find(|c| is(*c, SAMLP, "StatusMessage"))
                .map(text_content);
            let anomaly = message
                .as_deref()
                .and_then(|m| m.trim().strip_prefix("ErrorCode nr"))
                .and_then(|n| n.parse::<u8>().ok())
                .and_then(UserAnomaly::from_code);
            return Err(match anomaly {
                Some(anomaly) => ResponseError::Anomaly(anomaly),
                None => ResponseError::IdpError {
                    status: value.to_owned(),
                    message,
                },
            });
        }

        let issuer = one(response, SAML, "Issuer", "Response Issuer")?;
        if non_empty(Some(&text_content(issuer)), "Response Issuer empty")? != request.idp_entity_id
        {
            return Err(rule("Response Issuer is not the IdP"));
        }
        if issuer.attribute("Format").is_some_and(|f| f != ENTITY) {
            return Err(rule("Response Issuer Format must be entity"));
        }

        let assertion = verified_assertion(&document, xml, expect.idp_keys)?;
        self.assertion(assertion, request, &window)
    }

    fn assertion(
        &self,
        assertion: Node<'_, '_>,
        request: &PendingRequest,
        window: &Window,
    ) -> Result<Identity, ResponseError> {
        let assertion_id = non_empty(assertion.attribute("ID"), "Assertion ID")?.to_owned();
        if assertion.attribute("Version") != Some("2.0") {
            return Err(rule("Assertion Version must be 2.0"));
        }
        let issued = instant(
            assertion.attribute("IssueInstant"),
            "Assertion IssueInstant",
        )?;
        if issued < window.before(request.issued_at) || issued > window.latest {
            return Err(rule("Assertion IssueInstant out of range"));
        }

        let issuer = one(assertion, SAML, "Issuer", "Assertion Issuer")?;
        if text_content(issuer).trim() != request.idp_entity_id {
            return Err(rule("Assertion Issuer is not the IdP"));
        }
        if issuer.attribute("Format") != Some(ENTITY) {
            return Err(rule("Assertion Issuer Format must be entity"));
        }

        let subject = one(assertion, SAML, "Subject", "Subject")?;
        let name_id = one(subject, SAML, "NameID", "NameID")?;
        let name_id_text = non_empty(Some(&text_content(name_id)), "NameID empty")?.to_owned();
        if name_id.attribute("Format") != Some(TRANSIENT) {
            return Err(rule("NameID Format must be transient"));
        }
        let name_qualifier =
            non_empty(name_id.attribute("NameQualifier"), "NameID NameQualifier")?.to_owned();
        let confirmation = one(subject, SAML, "SubjectConfirmation", "SubjectConfirmation")?;
        if confirmation.attribute("Method") != Some(BEARER) {
            return Err(rule("SubjectConfirmation Method must be bearer"));
        }
        let data = one(
            confirmation,
            SAML,
            "SubjectConfirmationData",
            "SubjectConfirmationData",
        )?;
        if data.attribute("Recipient") != Some(self.acs_url().as_str()) {
            return Err(rule("SubjectConfirmationData Recipient is not the ACS"));
        }
        if data.attribute("InResponseTo") != Some(request.id.as_str()) {
            return Err(rule(
                "SubjectConfirmationData InResponseTo is not the pending request",
            ));
        }
        let confirmation_until = instant(
            data.attribute("NotOnOrAfter"),
            "SubjectConfirmationData NotOnOrAfter",
        )?;
        if confirmation_until <= window.earliest {
            return Err(rule("SubjectConfirmationData expired"));
        }
        if let Some(not_before) = data.attribute("NotBefore")
            && instant(Some(not_before), "SubjectConfirmationData NotBefore")? > window.latest
        {
            return Err(rule("SubjectConfirmationData not yet valid"));
        }

        let conditions = one(assertion, SAML, "Conditions", "Conditions")?;
        let not_before = instant(conditions.attribute("NotBefore"), "Conditions NotBefore")?;
        let not_on_or_after = instant(
            conditions.attribute("NotOnOrAfter"),
            "Conditions NotOnOrAfter",
        )?;
        if not_before > window.latest || not_on_or_after <= window.earliest {
            return Err(rule("Conditions out of their validity"));
        }
        let restriction = one(
            conditions,
            SAML,
            "AudienceRestriction",
            "AudienceRestriction",
        )?;
        let audience = one(restriction, SAML, "Audience", "Audience")?;
        if text_content(audience).trim() != self.entity_id {
            return Err(rule("Audience is not this SP"));
        }

        let statement = one(assertion, SAML, "AuthnStatement", "AuthnStatement")?;
        let context = one(statement, SAML, "AuthnContext", "AuthnContext")?;
        let class = one(
            context,
            SAML,
            "AuthnContextClassRef",
            "AuthnContextClassRef",
        )?;
        let level = match text_content(class).trim() {
            "https://www.spid.gov.it/SpidL1" => SpidLevel::L1,
            "https://www.spid.gov.it/SpidL2" => SpidLevel::L2,
            "https://www.spid.gov.it/SpidL3" => SpidLevel::L3,
            _ => return Err(rule("AuthnContextClassRef is not a SPID level")),
        };
        if !level_ok(request.level, request.comparison, level) {
            return Err(rule("the level does not satisfy the request"));
        }
        // Whatever the request said (a `maximum` comparison, a request made
        // before the floor was raised): never below the SP's floor.
        if level < self.min_level {
            return Err(rule("the level is below the SP's minimum"));
        }

        Ok(Identity {
            idp: request.idp_entity_id.clone(),
            level,
            name_id: name_id_text,
            name_qualifier,
            session_index: statement.attribute("SessionIndex").map(str::to_owned),
            assertion_id,
            valid_until: not_on_or_after.min(confirmation_until),
            attributes: attributes(assertion)?,
        })
    }
}

/// The AttributeStatement: at least one Attribute, each with an
/// AttributeValue (spid-sp-test case 99 refuses one without); an empty or
/// `xsi:nil` value means the citizen lacks it.
fn attributes(assertion: Node<'_, '_>) -> Result<Attributes, ResponseError> {
    let mut all = BTreeMap::new();
    let Some(statement) = assertion
        .children()
        .find(|c| is(*c, SAML, "AttributeStatement"))
    else {
        return Ok(Attributes::default());
    };
    let mut any = false;
    for attribute in statement.children().filter(|c| is(*c, SAML, "Attribute")) {
        any = true;
        let name = non_empty(attribute.attribute("Name"), "Attribute Name")?;
        let value = attribute
            .children()
            .find(|c| is(*c, SAML, "AttributeValue"))
            .ok_or(rule("Attribute without an AttributeValue"))?;
        let nil = value
            .attribute((XSI, "nil"))
            .is_some_and(|v| matches!(v.trim(), "true" | "1"));
        let text = text_content(value);
        if nil || text.trim().is_empty() {
            continue;
        }
        all.insert(name.to_owned(), text.trim().to_owned());
    }
    if !any {
        return Err(rule("AttributeStatement without attributes"));
    }
    Ok(Attributes::from(all))
}
