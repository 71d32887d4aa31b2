//! The messages the IdP writes, with its own code: metadata, Responses,
//! LogoutRequests and LogoutResponses. Each is signed with abilita-spid's
//! XML-DSig signer (RSA-SHA256, exclusive c14n, enveloped, `#ID`), which
//! checks every signature it makes; `scripts/spid-conformance.sh` also
//! verifies them with xmlsec1.

use abilita_spid::dsig::{sign_template, signature_template};
use time::OffsetDateTime;

use super::authn::{AnswerTo, Authn, sub_status_uri};
use super::keys::IdpKeys;
use super::users::TestUser;
use super::{MD, Profile, SAML, SAML_POST, SAML_REDIRECT, SAMLP};

const ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

/// Escapes text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// An xs:ID: `_` and 32 hex digits.
pub(crate) fn fresh_id() -> String {
    format!("_{:032x}", fastrand::u128(..))
}

/// UTC with milliseconds, as SPID's examples write instants.
pub(crate) fn instant(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .unwrap_or_default()
}

/// Signs the element holding the one empty template of `xml`.
fn sign(xml: &str, keys: &IdpKeys) -> Result<String, String> {
    sign_template(xml, keys.key(), keys.certificate_pem())
        .map_err(|e| format!("signing failed: {e}"))
}

/// The Assertion's Issuer. SPID requires its `Format`; CIE's profile does
/// not require it but allows it, so both profiles write it.
fn issuer(entity_id: &str) -> String {
    format!(
        "<saml:Issuer Format=\"{ENTITY}\">{}</saml:Issuer>",
        escape(entity_id)
    )
}

/// The IdP's metadata, signed: an `IDPSSODescriptor` wanting signed
/// requests, SSO and SLO for both bindings, its certificate.
pub(crate) fn metadata(
    entity_id: &str,
    base: &str,
    keys: &IdpKeys,
    attributes: &[&str],
) -> Result<String, String> {
    let id = fresh_id();
    let services = |element: &str, path: &str| {
        [SAML_REDIRECT, SAML_POST]
            .iter()
            .map(|binding| {
                format!(
                    "<md:{element} Binding=\"{binding}\" Location=\"{}\"/>",
                    escape(&format!("{base}{path}"))
                )
            })
            .collect::<String>()
    };
    let attributes: String = attributes
        .iter()
        .map(|name| format!("<saml:Attribute xmlns:saml=\"{SAML}\" Name=\"{name}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\"/>"))
        .collect();
    let xml = format!(
        "<md:EntityDescriptor xmlns:md=\"{MD}\" ID=\"{id}\" entityID=\"{entity}\">{template}\
         <md:IDPSSODescriptor WantAuthnRequestsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
         <md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
         {slo}<md:NameIDFormat>{TRANSIENT}</md:NameIDFormat>{sso}{attributes}</md:IDPSSODescriptor>\
         <md:Organization><md:OrganizationName xml:lang=\"it\">abilita-mock</md:OrganizationName>\
         <md:OrganizationDisplayName xml:lang=\"it\">abilita-mock test IdP</md:OrganizationDisplayName>\
         <md:OrganizationURL xml:lang=\"it\">{base_escaped}</md:OrganizationURL></md:Organization>\
         </md:EntityDescriptor>",
        entity = escape(entity_id),
        template = signature_template(&id, keys.key()),
        cert = keys.certificate_body(),
        slo = services("SingleLogoutService", "/slo"),
        sso = services("SingleSignOnService", "/sso"),
        base_escaped = escape(base),
    );
    sign(&xml, keys)
}

/// What to put in a successful Response, beyond the request's own data.
pub(crate) struct Grant<'a> {
    pub(crate) entity_id: &'a str,
    pub(crate) profile: Profile,
    pub(crate) user: &'a TestUser,
    pub(crate) name_id: &'a str,
    pub(crate) session_index: &'a str,
    pub(crate) now: OffsetDateTime,
    /// The Audience, the SP's entity id unless a test wants it wrong.
    pub(crate) audience: &'a str,
}

/// Types of the attributes SPID sends as `xs:date`.
fn attribute_type(name: &str) -> &'static str {
    match name {
        "dateOfBirth" | "expirationDate" => "xs:date",
        _ => "xs:string",
    }
}

/// A Response carrying a signed Assertion, itself signed.
pub(crate) fn success(authn: &Authn, grant: &Grant<'_>, keys: &IdpKeys) -> Result<String, String> {
    let (response_id, assertion_id) = (fresh_id(), fresh_id());
    let now = instant(grant.now);
    let until = instant(grant.now.saturating_add(time::Duration::minutes(5)));
    let level = authn.level;
    // SPID: SessionIndex for SpidL1 only (L2 and L3 open no IdP session).
    let session_index = if level == 1 {
        format!(" SessionIndex=\"{}\"", escape(grant.session_index))
    } else {
        String::new()
    };
    let attributes: String = authn
        .attributes
        .iter()
        .filter(|name| grant.profile.allows(name))
        .filter_map(|name| {
            let value = grant.user.attributes.get(name)?;
            Some(format!(
                "<saml:Attribute Name=\"{n}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\">\
                 <saml:AttributeValue xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"{t}\">{v}</saml:AttributeValue></saml:Attribute>",
                n = escape(name),
                t = attribute_type(name),
                v = escape(value)
            ))
        })
        .collect();
    let attribute_statement = if attributes.is_empty() {
        String::new()
    } else {
        format!("<saml:AttributeStatement>{attributes}</saml:AttributeStatement>")
    };
    let (request_id, acs, entity) = (escape(&authn.id), escape(&authn.acs_url), grant.entity_id);
    let assertion = format!(
        "<saml:Assertion ID=\"{assertion_id}\" Version=\"2.0\" IssueInstant=\"{now}\">{issuer}{template}\
         <saml:Subject><saml:NameID Format=\"{TRANSIENT}\" NameQualifier=\"{qualifier}\">{name_id}</saml:NameID>\
         <saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
         <saml:SubjectConfirmationData InResponseTo=\"{request_id}\" NotOnOrAfter=\"{until}\" Recipient=\"{acs}\"/>\
         </saml:SubjectConfirmation></saml:Subject>\
         <saml:Conditions NotBefore=\"{now}\" NotOnOrAfter=\"{until}\"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
         <saml:AuthnStatement AuthnInstant=\"{now}\"{session_index}><saml:AuthnContext>\
         <saml:AuthnContextClassRef>https://www.spid.gov.it/SpidL{level}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
         {attribute_statement}</saml:Assertion>",
        issuer = issuer(entity),
        template = signature_template(&assertion_id, keys.key()),
        qualifier = escape(entity),
        name_id = escape(grant.name_id),
        audience = escape(grant.audience),
    );
    let unsigned = response_envelope(
        &response_id,
        &now,
        &acs,
        &request_id,
        entity,
        "",
        &status_success(),
        &assertion,
    );
    let assertion_signed = sign(&unsigned, keys)?;
    // Then the Response itself: its template goes right after its Issuer.
    let marker = "</saml:Issuer>";
    let template = signature_template(&response_id, keys.key());
    let with_template = assertion_signed.replacen(marker, &format!("{marker}{template}"), 1);
    sign(&with_template, keys)
}

fn status_success() -> String {
    "<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>".to_owned()
}

#[allow(clippy::too_many_arguments)]
fn response_envelope(
    id: &str,
    now: &str,
    destination: &str,
    in_response_to: &str,
    entity_id: &str,
    template: &str,
    status: &str,
    assertion: &str,
) -> String {
    format!(
        "<samlp:Response xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{now}\" \
         Destination=\"{destination}\" InResponseTo=\"{in_response_to}\">\
         <saml:Issuer Format=\"{ENTITY}\">{issuer}</saml:Issuer>{template}{status}{assertion}</samlp:Response>",
        issuer = escape(entity_id),
    )
}

/// A SAML error: the top status (`Requester` or `Responder`), a
/// sub-status, and SPID's code (`ErrorCode nrNN`).
pub(crate) struct Failure<'a> {
    pub(crate) top: &'a str,
    pub(crate) sub: &'a str,
    pub(crate) code: &'a str,
}

/// A signed Response without Assertion, carrying `failure`.
pub(crate) fn failure(
    entity_id: &str,
    to: &AnswerTo,
    failure: &Failure<'_>,
    now: OffsetDateTime,
    keys: &IdpKeys,
) -> Result<String, String> {
    let Failure { top, sub, code } = failure;
    let id = fresh_id();
    let status = format!(
        "<samlp:Status><samlp:StatusCode Value=\"{top}\"><samlp:StatusCode Value=\"{sub}\"/></samlp:StatusCode>\
         <samlp:StatusMessage>ErrorCode {code}</samlp:StatusMessage></samlp:Status>",
        top = sub_status_uri(top),
        sub = sub_status_uri(sub),
    );
    let xml = response_envelope(
        &id,
        &instant(now),
        &escape(&to.acs_url),
        &escape(&to.request_id),
        entity_id,
        &signature_template(&id, keys.key()),
        &status,
        "",
    );
    sign(&xml, keys)
}

/// A signed LogoutResponse to the SP's SLO endpoint.
pub(crate) fn logout_response(
    entity_id: &str,
    destination: &str,
    in_response_to: &str,
    status: &str,
    now: OffsetDateTime,
    keys: &IdpKeys,
) -> Result<String, String> {
    let id = fresh_id();
    let status = match status {
        "Success" => format!(
            "<samlp:StatusCode Value=\"{}\"/>",
            sub_status_uri("Success")
        ),
        sub => format!(
            "<samlp:StatusCode Value=\"{}\"><samlp:StatusCode Value=\"{}\"/></samlp:StatusCode>",
            sub_status_uri("Requester"),
            sub_status_uri(sub)
        ),
    };
    let xml = format!(
        "<samlp:LogoutResponse xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{now}\" \
         Destination=\"{destination}\" InResponseTo=\"{in_response_to}\">\
         <saml:Issuer Format=\"{ENTITY}\" NameQualifier=\"{issuer}\">{issuer}</saml:Issuer>{template}\
         <samlp:Status>{status}</samlp:Status></samlp:LogoutResponse>",
        now = instant(now),
        destination = escape(destination),
        in_response_to = escape(in_response_to),
        issuer = escape(entity_id),
        template = signature_template(&id, keys.key()),
    );
    sign(&xml, keys)
}

/// A signed LogoutRequest (IdP-initiated) for a session at an SP.
pub(crate) fn logout_request(
    entity_id: &str,
    destination: &str,
    name_id: &str,
    session_index: &str,
    now: OffsetDateTime,
    keys: &IdpKeys,
) -> Result<String, String> {
    let id = fresh_id();
    let xml = format!(
        "<samlp:LogoutRequest xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{now}\" \
         Destination=\"{destination}\" NotOnOrAfter=\"{until}\">\
         <saml:Issuer Format=\"{ENTITY}\" NameQualifier=\"{issuer}\">{issuer}</saml:Issuer>{template}\
         <saml:NameID Format=\"{TRANSIENT}\" NameQualifier=\"{issuer}\">{name_id}</saml:NameID>\
         <samlp:SessionIndex>{session_index}</samlp:SessionIndex></samlp:LogoutRequest>",
        now = instant(now),
        until = instant(now.saturating_add(time::Duration::minutes(5))),
        destination = escape(destination),
        issuer = escape(entity_id),
        template = signature_template(&id, keys.key()),
        name_id = escape(name_id),
        session_index = escape(session_index),
    );
    sign(&xml, keys)
}
