//! SP-initiated Single Logout (single-logout.rst): the signed
//! LogoutRequest by HTTP-Redirect or HTTP-POST, and the validation of the
//! IdP's LogoutResponse by either binding.
//!
//! The LogoutResponse is checked like a login Response: signature by the
//! IdP's metadata keys (enveloped by POST, over the exact query octets by
//! Redirect), Issuer, Destination, InResponseTo of the pending request and
//! IssueInstant within its window. `PartialLogout` is reported apart: the
//! SP session ends either way, but the citizen should be told that other
//! services may still be open.

use std::io::Read as _;
use std::time::Duration;

use base64::Engine as _;
use roxmltree::Node;
use time::OffsetDateTime;

use crate::authn::{fresh_id, post_page, saml_instant};
use crate::config::ServiceProvider;
use crate::dsig::{DsigError, SignError, TrustedKey, verify_element};
use crate::response::{
    ENTITY, Identity, ResponseError, SAML, SAMLP, SUCCESS, decode_base64, instant, is, non_empty,
    one, rule,
};
use crate::xml::write::escape;
use crate::xml::{MAX_XML_BYTES, parse, text_content};

const PARTIAL_LOGOUT: &str = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";

/// A LogoutRequest for the session an [`Identity`] opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    id: String,
    destination: String,
    idp_entity_id: String,
    issue_instant: OffsetDateTime,
    xml: String,
}

impl LogoutRequest {
    /// The unsigned XML.
    #[must_use]
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// What to keep until the LogoutResponse comes back.
    #[must_use]
    pub fn pending(&self) -> PendingLogout {
        PendingLogout {
            id: self.id.clone(),
            idp_entity_id: self.idp_entity_id.clone(),
            issued_at: self.issue_instant,
        }
    }
}

/// The LogoutRequest a LogoutResponse answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogout {
    /// The LogoutRequest's ID.
    pub id: String,
    /// The IdP it went to.
    pub idp_entity_id: String,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
}

/// How the IdP closed the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutStatus {
    /// Every session of the citizen was closed.
    Success,
    /// The IdP could not close every other session (`PartialLogout`, also
    /// sent when the IdP session had already expired).
    Partial,
}

impl ServiceProvider {
    /// A LogoutRequest to the IdP's SingleLogoutService at `destination`,
    /// for the session `identity` came from.
    #[must_use]
    pub fn logout_request(
        &self,
        destination: &str,
        identity: &Identity,
        now: OffsetDateTime,
    ) -> LogoutRequest {
        let id = fresh_id();
        let session_index = identity
            .session_index
            .as_deref()
            .map(|index| format!("<samlp:SessionIndex>{}</samlp:SessionIndex>", escape(index)))
            .unwrap_or_default();
        let xml = format!(
            "<samlp:LogoutRequest xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" \
             ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{instant}\" Destination=\"{destination}\">\
             <saml:Issuer Format=\"{ENTITY}\" NameQualifier=\"{entity}\">{entity}</saml:Issuer>\
             <saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\" NameQualifier=\"{qualifier}\">{name_id}</saml:NameID>\
             {session_index}</samlp:LogoutRequest>",
            instant = saml_instant(now),
            destination = escape(destination),
            entity = escape(&self.entity_id),
            qualifier = escape(&identity.name_qualifier),
            name_id = escape(&identity.name_id),
        );
        LogoutRequest {
            id,
            destination: destination.to_owned(),
            idp_entity_id: identity.idp.clone(),
            issue_instant: now,
            xml,
        }
    }

    /// The LogoutRequest by HTTP-Redirect (signature over the query octets).
    #[must_use]
    pub fn logout_redirect_url(&self, request: &LogoutRequest, relay_state: &str) -> String {
        self.redirect(
            &request.destination,
            "SAMLRequest",
            &request.xml,
            relay_state,
        )
    }

    /// The LogoutRequest by HTTP-POST (enveloped signature after `Issuer`).
    ///
    /// # Errors
    /// When the signature cannot be made or does not verify.
    pub fn logout_post_form(
        &self,
        request: &LogoutRequest,
        relay_state: &str,
    ) -> Result<String, SignError> {
        let signed = self.sign_after_issuer(&request.xml, &request.id)?;
        Ok(post_page(
            &request.destination,
            "SAMLRequest",
            &signed,
            relay_state,
        ))
    }

    /// Validates a LogoutResponse posted (HTTP-POST) to the SLO endpoint:
    /// `saml_response` is the form's base64 field; the root must carry an
    /// enveloped signature by one of `idp_keys`.
    ///
    /// # Errors
    /// A [`ResponseError`] naming the first check that failed.
    pub fn validate_logout_response_post(
        &self,
        saml_response: &str,
        pending: &PendingLogout,
        idp_keys: &[TrustedKey],
        now: OffsetDateTime,
        clock_skew: Duration,
    ) -> Result<LogoutStatus, ResponseError> {
        let xml = decode_base64(saml_response)?;
        let document = parse(&xml)?;
        let root = document.root_element();
        verify_element(&document, &xml, root, idp_keys)?;
        self.logout_response(root, pending, now, clock_skew)
    }

    /// Validates a LogoutResponse sent by HTTP-Redirect: `raw_query` is the
    /// query string exactly as received (still percent-encoded), as the
    /// signature covers its octets.
    ///
    /// # Errors
    /// A [`ResponseError`] naming the first check that failed.
    pub fn validate_logout_response_redirect(
        &self,
        raw_query: &str,
        pending: &PendingLogout,
        idp_keys: &[TrustedKey],
        now: OffsetDateTime,
        clock_skew: Duration,
    ) -> Result<LogoutStatus, ResponseError> {
        let pairs: Vec<(&str, &str)> = raw_query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .collect();
        for name in ["SAMLResponse", "RelayState", "SigAlg", "Signature"] {
            if pairs.iter().filter(|(n, _)| *n == name).count() > 1 {
                return Err(rule("a query parameter is repeated"));
            }
        }
        let field = |name: &str| {
            pairs
                .iter()
                .find_map(|(n, value)| (*n == name).then_some(*value))
        };
        let decoded = |raw: &str| {
            url::form_urlencoded::parse(format!("v={raw}").as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        };
        let message = field("SAMLResponse").ok_or(rule("SAMLResponse missing"))?;
        let method = field("SigAlg").ok_or(rule("SigAlg missing"))?;
        let signature = field("Signature").ok_or(rule("Signature missing"))?;
        // The signed octets, in the binding's order, as they came.
        let mut signed = format!("SAMLResponse={message}");
        if let Some(relay_state) = field("RelayState") {
            signed.push_str(&format!("&RelayState={relay_state}"));
        }
        signed.push_str(&format!("&SigAlg={method}"));
        let signature = base64::engine::general_purpose::STANDARD
            .decode(decoded(signature))
            .map_err(|_| rule("Signature is not base64"))?;
        let method = decoded(method);
        if !idp_keys.iter().any(|key| {
            key.verify_detached(&method, signed.as_bytes(), &signature)
                .is_ok()
        }) {
            return Err(DsigError::BadSignature.into());
        }

        let deflated = base64::engine::general_purpose::STANDARD
            .decode(decoded(message))
            .map_err(|_| rule("SAMLResponse is not base64"))?;
        let mut xml = String::new();
        // Bounded: a few KB of DEFLATE can expand to gigabytes.
        flate2::read::DeflateDecoder::new(deflated.as_slice())
            .take(u64::try_from(MAX_XML_BYTES).unwrap_or(u64::MAX) + 1)
            .read_to_string(&mut xml)
            .map_err(|_| rule("SAMLResponse is not DEFLATE of UTF-8"))?;
        let document = parse(&xml)?;
        self.logout_response(document.root_element(), pending, now, clock_skew)
    }

    fn logout_response(
        &self,
        root: Node<'_, '_>,
        pending: &PendingLogout,
        now: OffsetDateTime,
        clock_skew: Duration,
    ) -> Result<LogoutStatus, ResponseError> {
        if !is(root, SAMLP, "LogoutResponse") {
            return Err(rule("the document is not a samlp:LogoutResponse"));
        }
        let skew = time::Duration::try_from(clock_skew).unwrap_or(time::Duration::ZERO);
        non_empty(root.attribute("ID"), "LogoutResponse ID")?;
        if root.attribute("Version") != Some("2.0") {
            return Err(rule("LogoutResponse Version must be 2.0"));
        }
        let issued = instant(
            root.attribute("IssueInstant"),
            "LogoutResponse IssueInstant",
        )?;
        if issued + skew < pending.issued_at || issued > now + skew {
            return Err(rule("LogoutResponse IssueInstant out of range"));
        }
        if root.attribute("InResponseTo") != Some(pending.id.as_str()) {
            return Err(rule(
                "LogoutResponse InResponseTo is not the pending request",
            ));
        }
        if root.attribute("Destination") != Some(self.slo_url().as_str()) {
            return Err(rule("LogoutResponse Destination is not the SLO endpoint"));
        }
        let issuer = one(root, SAML, "Issuer", "LogoutResponse Issuer")?;
        if text_content(issuer).trim() != pending.idp_entity_id {
            return Err(rule("LogoutResponse Issuer is not the IdP"));
        }
        if issuer.attribute("Format").is_some_and(|f| f != ENTITY) {
            return Err(rule("LogoutResponse Issuer Format must be entity"));
        }
        let status = one(root, SAMLP, "Status", "Status")?;
        let code = one(status, SAMLP, "StatusCode", "StatusCode")?;
        let value = non_empty(code.attribute("Value"), "StatusCode Value")?;
        if value == SUCCESS {
            return Ok(LogoutStatus::Success);
        }
        let partial = code
            .children()
            .any(|c| is(c, SAMLP, "StatusCode") && c.attribute("Value") == Some(PARTIAL_LOGOUT));
        if partial {
            return Ok(LogoutStatus::Partial);
        }
        Err(ResponseError::IdpError {
            status: value.to_owned(),
            message: status
                .children()
                .find(|c| is(*c, SAMLP, "StatusMessage"))
                .map(text_content),
        })
    }
}
