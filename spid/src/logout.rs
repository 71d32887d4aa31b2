//! Single Logout (single-logout.rst), both ways.
//!
//! SP-initiated: the signed LogoutRequest by HTTP-Redirect or HTTP-POST,
//! and the IdP's LogoutResponse checked like a login Response: signature by
//! the IdP's metadata keys (enveloped by POST, over the exact query octets
//! by Redirect), Issuer, Destination, InResponseTo of the pending request
//! and IssueInstant within its window. `PartialLogout` is reported apart:
//! the SP session ends either way, but the citizen should be told that
//! other services may still be open.
//!
//! IdP-initiated: the IdP's LogoutRequest verified with the keys of the IdP
//! its Issuer names, and the SP's signed Success answer.

use std::io::Read as _;
use std::time::Duration;

use base64::Engine as _;
use roxmltree::Node;
use time::OffsetDateTime;

use crate::authn::{fresh_id, saml_instant};
use crate::config::ServiceProvider;
use crate::cookie::{CookieError, Purpose, StateCookie};
use crate::dsig::{DsigError, SignError, TrustedKey, verify_element};
use crate::instants::{Window, instant};
use crate::response::{
    ENTITY, Identity, ResponseError, SAML, SAMLP, SUCCESS, decode_base64, is, non_empty, one,
    parse_message, rule,
};
use crate::state::{ReplayCache, StoreError};
use crate::xml::write::escape;
use crate::xml::{MAX_XML_BYTES, text_content};

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
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`): kept and restored by apps that store it themselves"
)]
pub struct PendingLogout {
    /// The LogoutRequest's ID.
    pub id: String,
    /// The IdP it went to.
    pub idp_entity_id: String,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
}

/// An SP-initiated logout started: send the browser to `redirect_url` with
/// `cookie` set (the pending logout, sealed: see [`crate::cookie`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogoutStart {
    /// The IdP's SLO URL with the signed LogoutRequest (HTTP-Redirect).
    pub redirect_url: String,
    /// `Set-Cookie` it on the same response.
    pub cookie: StateCookie,
}

/// The IdP's LogoutResponse, as it reached the SLO endpoint.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum LogoutReply<'a> {
    /// By HTTP-Redirect: the query string exactly as received.
    Redirect {
        /// Still percent-encoded: the signature covers its octets.
        raw_query: &'a str,
    },
    /// By HTTP-POST.
    Post {
        /// The `SAMLResponse` field (base64).
        saml_response: &'a str,
    },
}

/// Why an SP-initiated logout could not be confirmed. The SP session is
/// closed before the IdP is asked, so this only decides what the citizen
/// is told.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogoutError {
    /// The browser sent no logout cookie: this browser started no logout.
    #[error("no logout was started in this browser")]
    NoPendingLogout,
    /// The logout cookie was not accepted.
    #[error("the browser's logout state was refused")]
    PendingLogout(#[from] CookieError),
    /// A RelayState came back that is not the one sent.
    #[error("the RelayState is not the one of this browser's logout")]
    RelayStateMismatch,
    /// The LogoutResponse was refused.
    #[error("the LogoutResponse was refused")]
    Response(#[from] ResponseError),
    /// The logout was already confirmed once.
    #[error("the logout was already confirmed")]
    Replayed,
    /// The replay cache failed.
    #[error("the replay cache failed")]
    Store(#[from] StoreError),
}

/// How the IdP closed the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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

    /// Starts the logout of the session `identity` opened, at the IdP's
    /// SingleLogoutService `slo_url` (HTTP-Redirect): the URL to send the
    /// citizen to, and the cookie that binds the logout to their browser.
    /// Close the app's own session first.
    #[must_use]
    pub fn start_logout(
        &self,
        slo_url: &str,
        identity: &Identity,
        now: OffsetDateTime,
    ) -> LogoutStart {
        let request = self.logout_request(slo_url, identity, now);
        let relay_state = fresh_id();
        LogoutStart {
            redirect_url: self.logout_redirect_url(&request, &relay_state),
            cookie: self.logout_cookie(&request.pending(), &relay_state, now),
        }
    }

    /// The logout cookie for a LogoutRequest the app sent itself (by
    /// HTTP-POST, say: [`logout_post_form`](Self::logout_post_form)) under
    /// `relay_state`.
    #[must_use]
    pub fn logout_cookie(
        &self,
        logout: &PendingLogout,
        relay_state: &str,
        now: OffsetDateTime,
    ) -> StateCookie {
        self.sealer().seal_logout(logout, relay_state, now)
    }

    /// The name of the logout cookie (see [`crate::cookie`]).
    #[must_use]
    pub fn logout_cookie_name(&self) -> &'static str {
        self.sealer().name(Purpose::Logout)
    }

    /// Completes an SP-initiated logout: the IdP's LogoutResponse checked
    /// against the pending logout in the browser's cookie. A RelayState,
    /// when the IdP sends one back, must be the one sent; a reply without
    /// one is still processed (some IdPs drop it). The request's ID is
    /// recorded in `replay`, so a reply confirms one logout at most.
    ///
    /// # Errors
    /// A [`LogoutError`].
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_logout(
        &self,
        reply: LogoutReply<'_>,
        relay_state: Option<&str>,
        logout_cookie: Option<&str>,
        replay: &dyn ReplayCache,
        idp_keys: &(dyn Fn(&str) -> Vec<TrustedKey> + Sync),
        now: OffsetDateTime,
        clock_skew: Duration,
    ) -> Result<LogoutStatus, LogoutError> {
        let cookie = logout_cookie.ok_or(LogoutError::NoPendingLogout)?;
        let (pending, sent_relay_state) = self.sealer().open_logout(cookie, now)?;
        if relay_state.is_some_and(|rs| rs != sent_relay_state) {
            return Err(LogoutError::RelayStateMismatch);
        }
        let keys = idp_keys(&pending.idp_entity_id);
        let status = match reply {
            LogoutReply::Redirect { raw_query } => {
                self.validate_logout_response_redirect(raw_query, &pending, &keys, now, clock_skew)
            }
            LogoutReply::Post { saml_response } => {
                self.validate_logout_response_post(saml_response, &pending, &keys, now, clock_skew)
            }
        }?;
        let window = Window::new(now, clock_skew);
        let until = window.accepted_until(crate::cookie::expiry(pending.issued_at));
        let key = format!("logout-response-to:{}", pending.id);
        if !replay.first_use(&key, until, now).await? {
            return Err(LogoutError::Replayed);
        }
        Ok(status)
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
        self.post(
            &request.destination,
            "SAMLRequest",
            &request.xml,
            &request.id,
            relay_state,
        )
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
        let document = parse_message(&xml)?;
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
        let message = Redirected::parse(raw_query, "SAMLResponse")?;
        message.verify(idp_keys)?;
        let xml = message.inflate()?;
        let document = parse_message(&xml)?;
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
        let window = Window::new(now, clock_skew);
        non_empty(root.attribute("ID"), "LogoutResponse ID")?;
        if root.attribute("Version") != Some("2.0") {
            return Err(rule("LogoutResponse Version must be 2.0"));
        }
        let issued = instant(
            root.attribute("IssueInstant"),
            "LogoutResponse IssueInstant",
        )?;
        if issued < window.before(pending.issued_at) || issued > window.latest {
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

/// A LogoutRequest an IdP sent (IdP-initiated logout), its signature
/// verified: close the SP sessions it names, then answer with
/// [`ServiceProvider::logout_response_to`] (Success also when the session
/// was already gone, as the rules ask).
///
/// An IdP may end only the sessions it opened: match a session on
/// [`idp_entity_id`](Self::idp_entity_id) *and*
/// [`name_id`](Self::name_id) (with [`Identity::idp`] and
/// [`Identity::name_id`]), never on the NameID alone, which another IdP
/// could choose to collide with. Replays are the caller's to refuse:
/// remember [`replay_key`](Self::replay_key) until
/// [`accepted_until`](Self::accepted_until) (the
/// [`SpidEndpoints`](crate::web::SpidEndpoints) do, in their replay cache).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdpLogoutRequest {
    /// The request's ID (the answer's `InResponseTo`).
    pub id: String,
    /// The IdP that sent it (its Issuer, whose keys verified it).
    pub idp_entity_id: String,
    /// The citizen's transient NameID, as in [`Identity::name_id`].
    pub name_id: String,
    /// The NameID's NameQualifier, as in [`Identity::name_qualifier`].
    pub name_qualifier: Option<String>,
    /// The sessions named, as in [`Identity::session_index`].
    pub session_indexes: Vec<String>,
    /// After this instant the request is refused anyway: its IssueInstant,
    /// or its NotOnOrAfter if sooner, plus the clock tolerance.
    pub accepted_until: OffsetDateTime,
}

impl IdpLogoutRequest {
    /// The key under which a replay cache remembers this request.
    #[must_use]
    pub fn replay_key(&self) -> String {
        format!("logout-request:{}:{}", self.idp_entity_id, self.id)
    }
}

/// The SP's signed answer to an [`IdpLogoutRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutResponse {
    id: String,
    destination: String,
    xml: String,
}

impl LogoutResponse {
    /// The unsigned XML.
    #[must_use]
    pub fn xml(&self) -> &str {
        &self.xml
    }
}

impl ServiceProvider {
    /// Validates a LogoutRequest posted (HTTP-POST) by an IdP; `idp_keys`
    /// gives the keys of the IdP named in its Issuer (none for an unknown
    /// IdP, which is then refused).
    ///
    /// # Errors
    /// A [`ResponseError`] naming the first check that failed.
    pub fn validate_logout_request_post(
        &self,
        saml_request: &str,
        idp_keys: &dyn Fn(&str) -> Vec<TrustedKey>,
        now: OffsetDateTime,
        clock_skew: Duration,
    ) -> Result<IdpLogoutRequest, ResponseError> {
        let xml = decode_base64(saml_request)?;
        let document = parse_message(&xml)?;
        let root = document.root_element();
        let issuer = logout_request_issuer(root)?;
        verify_element(&document, &xml, root, &idp_keys(&issuer))?;
        self.idp_logout_request(root, issuer, now, clock_skew)
    }

    /// Validates a LogoutRequest an IdP sent by HTTP-Redirect; `raw_query`
    /// is the query string exactly as received.
    ///
    /// # Errors
    /// A [`ResponseError`] naming the first check that failed.
    pub fn validate_logout_request_redirect(
        &self,
        raw_query: &str,
        idp_keys: &dyn Fn(&str) -> Vec<TrustedKey>,
        now: OffsetDateTime,
        clock_skew: Duration,
    ) -> Result<IdpLogoutRequest, ResponseError> {
        let message = Redirected::parse(raw_query, "SAMLRequest")?;
        // The Issuer names the keys, so the message is read first, within
        // the parser's limits, and trusted only once verified.
        let xml = message.inflate()?;
        let document = parse_message(&xml)?;
        let root = document.root_element();
        let issuer = logout_request_issuer(root)?;
        message.verify(&idp_keys(&issuer))?;
        self.idp_logout_request(root, issuer, now, clock_skew)
    }

    fn idp_logout_request(
        &self,
        root: Node<'_, '_>,
        issuer: String,
        now: OffsetDateTime,
        clock_skew: Duration,
    ) -> Result<IdpLogoutRequest, ResponseError> {
        let window = Window::new(now, clock_skew);
        let id = non_empty(root.attribute("ID"), "LogoutRequest ID")?.to_owned();
        if root.attribute("Version") != Some("2.0") {
            return Err(rule("LogoutRequest Version must be 2.0"));
        }
        let issued = instant(root.attribute("IssueInstant"), "LogoutRequest IssueInstant")?;
        if issued > window.latest || issued < window.earliest {
            return Err(rule("LogoutRequest IssueInstant out of range"));
        }
        let mut accepted_until = window.accepted_until(issued);
        if let Some(until) = root.attribute("NotOnOrAfter") {
            let until = instant(Some(until), "LogoutRequest NotOnOrAfter")?;
            if until <= window.earliest {
                return Err(rule("LogoutRequest expired"));
            }
            accepted_until = accepted_until.min(window.accepted_until(until));
        }
        if root.attribute("Destination") != Some(self.slo_url().as_str()) {
            return Err(rule("LogoutRequest Destination is not the SLO endpoint"));
        }
        let name_id = one(root, SAML, "NameID", "LogoutRequest NameID")?;
        let name_qualifier = name_id.attribute("NameQualifier").map(str::to_owned);
        let name_id =
            non_empty(Some(&text_content(name_id)), "LogoutRequest NameID empty")?.to_owned();
        let session_indexes = root
            .children()
            .filter(|c| is(*c, SAMLP, "SessionIndex"))
            .map(|c| text_content(c).trim().to_owned())
            .collect();
        Ok(IdpLogoutRequest {
            id,
            idp_entity_id: issuer,
            name_id,
            name_qualifier,
            session_indexes,
            accepted_until,
        })
    }

    /// The Success answer to `request`, for the IdP's SingleLogoutService
    /// at `destination` (its ResponseLocation when it has one).
    #[must_use]
    pub fn logout_response_to(
        &self,
        request: &IdpLogoutRequest,
        destination: &str,
        now: OffsetDateTime,
    ) -> LogoutResponse {
        let id = fresh_id();
        let xml = format!(
            "<samlp:LogoutResponse xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" \
             ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{instant}\" Destination=\"{destination}\" InResponseTo=\"{in_response_to}\">\
             <saml:Issuer Format=\"{ENTITY}\" NameQualifier=\"{entity}\">{entity}</saml:Issuer>\
             <samlp:Status><samlp:StatusCode Value=\"{SUCCESS}\"/></samlp:Status></samlp:LogoutResponse>",
            instant = saml_instant(now),
            destination = escape(destination),
            in_response_to = escape(&request.id),
            entity = escape(&self.entity_id),
        );
        LogoutResponse {
            id,
            destination: destination.to_owned(),
            xml,
        }
    }

    /// The answer by HTTP-Redirect (signature over the query octets).
    #[must_use]
    pub fn logout_response_redirect_url(
        &self,
        response: &LogoutResponse,
        relay_state: &str,
    ) -> String {
        self.redirect(
            &response.destination,
            "SAMLResponse",
            &response.xml,
            relay_state,
        )
    }

    /// The answer by HTTP-POST (enveloped signature after `Issuer`).
    ///
    /// # Errors
    /// When the signature cannot be made or does not verify.
    pub fn logout_response_post_form(
        &self,
        response: &LogoutResponse,
        relay_state: &str,
    ) -> Result<String, SignError> {
        self.post(
            &response.destination,
            "SAMLResponse",
            &response.xml,
            &response.id,
            relay_state,
        )
    }
}

/// The Issuer of a LogoutRequest: who must have signed it.
fn logout_request_issuer(root: Node<'_, '_>) -> Result<String, ResponseError> {
    if !is(root, SAMLP, "LogoutRequest") {
        return Err(rule("the document is not a samlp:LogoutRequest"));
    }
    let issuer = one(root, SAML, "Issuer", "LogoutRequest Issuer")?;
    if issuer.attribute("Format").is_some_and(|f| f != ENTITY) {
        return Err(rule("LogoutRequest Issuer Format must be entity"));
    }
    Ok(non_empty(Some(&text_content(issuer)), "LogoutRequest Issuer empty")?.to_owned())
}

/// A message received by HTTP-Redirect, its signature not yet checked.
struct Redirected {
    /// The base64 of the raw DEFLATE of the message.
    message: String,
    /// The octets the signature covers, exactly as received.
    signed: String,
    method: String,
    signature: Vec<u8>,
}

impl Redirected {
    /// Reads `field` (`SAMLRequest` or `SAMLResponse`), `RelayState`,
    /// `SigAlg` and `Signature` from the raw query; any of them repeated is
    /// refused, as the signed octets would then be ambiguous.
    fn parse(raw_query: &str, field: &str) -> Result<Self, ResponseError> {
        let pairs: Vec<(&str, &str)> = raw_query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .collect();
        for name in [field, "RelayState", "SigAlg", "Signature"] {
            if pairs.iter().filter(|(n, _)| *n == name).count() > 1 {
                return Err(rule("a query parameter is repeated"));
            }
        }
        let raw = |name: &str| {
            pairs
                .iter()
                .find_map(|(n, value)| (*n == name).then_some(*value))
        };
        let message = raw(field).ok_or(rule("the SAML message is missing"))?;
        let method = raw("SigAlg").ok_or(rule("SigAlg missing"))?;
        let signature = raw("Signature").ok_or(rule("Signature missing"))?;
        let mut signed = format!("{field}={message}");
        if let Some(relay_state) = raw("RelayState") {
            signed.push_str(&format!("&RelayState={relay_state}"));
        }
        signed.push_str(&format!("&SigAlg={method}"));
        let signature = base64::engine::general_purpose::STANDARD
            .decode(form_decoded(signature))
            .map_err(|_| rule("Signature is not base64"))?;
        Ok(Self {
            message: form_decoded(message),
            signed,
            method: form_decoded(method),
            signature,
        })
    }

    fn verify(&self, keys: &[TrustedKey]) -> Result<(), ResponseError> {
        let valid = keys.iter().any(|key| {
            key.verify_detached(&self.method, self.signed.as_bytes(), &self.signature)
                .is_ok()
        });
        if valid {
            Ok(())
        } else {
            Err(DsigError::BadSignature.into())
        }
    }

    /// The message's XML; bounded, since a few KB of DEFLATE can expand to
    /// gigabytes: past the parser's limit it is refused as too large.
    fn inflate(&self) -> Result<String, ResponseError> {
        let deflated = base64::engine::general_purpose::STANDARD
            .decode(&self.message)
            .map_err(|_| rule("the SAML message is not base64"))?;
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(deflated.as_slice())
            .take(u64::try_from(MAX_XML_BYTES).map_or(u64::MAX, |max| max.saturating_add(1)))
            .read_to_string(&mut xml)
            .map_err(|_| rule("the SAML message is not DEFLATE of UTF-8"))?;
        Ok(xml)
    }
}

/// One query value, percent- and `+`-decoded.
fn form_decoded(raw: &str) -> String {
    url::form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}
