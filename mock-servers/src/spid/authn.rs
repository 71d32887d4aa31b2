//! The AuthnRequest, checked as a SPID IdP checks it (SPID technical rules,
//! *single-sign-on* and *messaggi-errore*): what the IdP can only show on
//! its own page, and what goes back to the SP as a SAML error.

use roxmltree::Node;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::inbound::Inbound;
use super::sp::Sp;
use super::{SAML, SAML_POST, SAMLP};

/// How fresh an AuthnRequest's `IssueInstant` must be, and how far ahead
/// of the IdP's clock it may be.
const MAX_AGE: time::Duration = time::Duration::minutes(5);
const MAX_AHEAD: time::Duration = time::Duration::seconds(60);

/// Why a request was refused, and how the refusal is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Shown on the IdP's page, never sent to the SP: the request cannot be
    /// trusted to say where to answer (bad signature, unknown SP). SPID's
    /// codes 2–7 and 10.
    Page {
        /// `nr05`, …
        code: &'static str,
        /// What was wrong, for the page and the log.
        reason: String,
    },
    /// Sent to the SP's ACS as a Response with `Requester` status and
    /// `ErrorCode nrNN` (codes 8, 9, 11–18).
    Status {
        /// `nr12`, …
        code: &'static str,
        /// The second-level status (`…:status:NoAuthnContext`, …).
        sub_status: &'static str,
        /// What was wrong, for the log.
        reason: String,
    },
}

impl Refusal {
    /// The SPID code (`nr14`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Page { code, .. } | Self::Status { code, .. } => code,
        }
    }

    /// What was wrong.
    #[must_use]
    pub fn reason(&self) -> &str {
        match self {
            Self::Page { reason, .. } | Self::Status { reason, .. } => reason,
        }
    }
}

fn page(code: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal::Page {
        code,
        reason: reason.into(),
    }
}

const STATUS: &str = "urn:oasis:names:tc:SAML:2.0:status:";

fn status(code: &'static str, sub: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal::Status {
        code,
        sub_status: sub,
        reason: reason.into(),
    }
}

/// Where the refusal of an authentic request is answered.
#[derive(Debug, Clone)]
pub(crate) struct AnswerTo {
    pub(crate) acs_url: String,
    pub(crate) request_id: String,
}

/// A refused request, and where to answer when the SP may be answered.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) refusal: Refusal,
    pub(crate) answer_to: Option<AnswerTo>,
}

/// A checked AuthnRequest: who asked, where to answer, what for.
#[derive(Debug, Clone)]
pub(crate) struct Authn {
    pub(crate) id: String,
    pub(crate) sp: Sp,
    pub(crate) acs_url: String,
    /// The level to assert (1–3), from the requested one and `Comparison`.
    pub(crate) level: u8,
    pub(crate) attributes: Vec<String>,
    pub(crate) relay_state: Option<String>,
}

fn is(node: Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| is(*c, ns, name))
}

/// The issuer of a SAML message, unverified: to find whose keys verify it.
pub(crate) fn issuer_of(xml: &str) -> Option<String> {
    let document = abilita_spid::xml::parse(xml).ok()?;
    let issuer = child(document.root_element(), SAML, "Issuer")?;
    Some(issuer.text()?.trim().to_owned())
}

/// Checks `message` as an AuthnRequest from `sp` (found by its Issuer) to
/// the IdP whose SSO URL and entity id are given.
pub(crate) fn check(
    message: &Inbound,
    sp: Option<&Sp>,
    sso_url: &str,
    entity_id: &str,
    now: OffsetDateTime,
) -> Result<Authn, Box<Refused>> {
    let no_answer = |refusal| {
        Box::new(Refused {
            refusal,
            answer_to: None,
        })
    };
    if message.field != "SAMLRequest" {
        return Err(no_answer(page(
            "nr03",
            "the SSO service takes a SAMLRequest",
        )));
    }
    let document = abilita_spid::xml::parse(&message.xml).map_err(|e| {
        no_answer(page(
            "nr08",
            format!("the request is not acceptable XML: {e}"),
        ))
    })?;
    let root = document.root_element();
    if !is(root, SAMLP, "AuthnRequest") {
        return Err(no_answer(page(
            "nr08",
            "the message is not a samlp:AuthnRequest",
        )));
    }
    let issuer = child(root, SAML, "Issuer")
        .ok_or_else(|| no_answer(page("nr10", "the request has no saml:Issuer")))?;
    let Some(sp) = sp else {
        let name = issuer.text().unwrap_or_default().trim();
        return Err(no_answer(page(
            "nr10",
            format!(
                "the SP {name} is not registered with this IdP (POST its metadata to /__control/spid/sps)"
            ),
        )));
    };
    let signature_code = if matches!(message.binding, super::inbound::Binding::Post) {
        "nr07"
    } else {
        "nr05"
    };
    message
        .verify(&sp.keys)
        .map_err(|reason| no_answer(page(signature_code, reason)))?;
    if issuer.attribute("Format") != Some("urn:oasis:names:tc:SAML:2.0:nameid-format:entity")
        || issuer.attribute("NameQualifier").is_none_or(str::is_empty)
    {
        return Err(no_answer(page(
            "nr10",
            "the Issuer needs Format=\"…:nameid-format:entity\" and a NameQualifier",
        )));
    }
    let id = root.attribute("ID").unwrap_or_default().to_owned();
    // From here the SP is known and the request authentic: errors go back
    // to it, at the ACS it asked for when that is in its metadata.
    let default_acs = sp
        .default_acs()
        .map(|a| a.location.clone())
        .unwrap_or_default();
    let refuse = |refusal: Refusal, acs: &str| {
        Box::new(Refused {
            refusal,
            answer_to: Some(AnswerTo {
                acs_url: acs.to_owned(),
                request_id: id.clone(),
            }),
        })
    };
    let index = root.attribute("AssertionConsumerServiceIndex");
    let url = root.attribute("AssertionConsumerServiceURL");
    let acs_url = match (index, url) {
        (Some(_), Some(_)) => {
            return Err(refuse(
                status(
                    "nr16",
                    "RequestUnsupported",
                    "AssertionConsumerServiceIndex together with AssertionConsumerServiceURL",
                ),
                &default_acs,
            ));
        }
        (Some(index), None) => match sp
            .acs
            .iter()
            .find(|a| a.index == index && a.binding == SAML_POST)
        {
            Some(acs) => acs.location.clone(),
            None => {
                return Err(refuse(
                    status(
                        "nr16",
                        "RequestUnsupported",
                        format!(
                            "no HTTP-POST AssertionConsumerService with index {index} in the SP's metadata"
                        ),
                    ),
                    &default_acs,
                ));
            }
        },
        (None, Some(url)) => {
            let listed = sp
                .acs
                .iter()
                .any(|a| a.location == url && a.binding == SAML_POST);
            if !listed || root.attribute("ProtocolBinding") != Some(SAML_POST) {
                return Err(refuse(
                    status(
                        "nr16",
                        "RequestUnsupported",
                        format!(
                            "{url} is not an HTTP-POST AssertionConsumerService in the SP's metadata, or ProtocolBinding is not HTTP-POST"
                        ),
                    ),
                    &default_acs,
                ));
            }
            url.to_owned()
        }
        (None, None) => default_acs.clone(),
    };
    let refuse = |refusal: Refusal| {
        Box::new(Refused {
            refusal,
            answer_to: Some(AnswerTo {
                acs_url: acs_url.clone(),
                request_id: id.clone(),
            }),
        })
    };
    if root.attribute("Version") != Some("2.0") {
        return Err(refuse(status(
            "nr09",
            "VersionMismatch",
            "Version is not 2.0",
        )));
    }
    if id.is_empty() {
        return Err(refuse(status(
            "nr11",
            "RequestUnsupported",
            "the request has no ID",
        )));
    }
    let issued = root
        .attribute("IssueInstant")
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        .ok_or_else(|| {
            refuse(status(
                "nr13",
                "RequestDenied",
                "IssueInstant is missing or not an xs:dateTime",
            ))
        })?;
    let too_old = now
        .checked_sub(MAX_AGE)
        .is_some_and(|oldest| issued < oldest);
    let too_new = now
        .checked_add(MAX_AHEAD)
        .is_some_and(|newest| issued > newest);
    if too_old || too_new {
        return Err(refuse(status(
            "nr13",
            "RequestDenied",
            format!(
                "IssueInstant {issued} is not within 5 minutes before and 60 seconds after the IdP's clock"
            ),
        )));
    }
    let destination = root.attribute("Destination").unwrap_or_default();
    if destination != sso_url && destination != entity_id {
        return Err(refuse(status(
            "nr14",
            "RequestUnsupported",
            format!("Destination {destination:?} is neither {sso_url} nor {entity_id}"),
        )));
    }
    if root.attribute("IsPassive").is_some() {
        return Err(refuse(status(
            "nr15",
            "NoPassive",
            "IsPassive is not allowed",
        )));
    }
    if let Some(policy) = child(root, SAMLP, "NameIDPolicy")
        && (policy.attribute("Format")
            != Some("urn:oasis:names:tc:SAML:2.0:nameid-format:transient")
            || policy.attribute("AllowCreate").is_some())
    {
        return Err(refuse(status(
            "nr17",
            "InvalidNameIDPolicy",
            "NameIDPolicy must have Format transient and no AllowCreate",
        )));
    }
    let attribute_index = root.attribute("AttributeConsumingServiceIndex");
    let attributes = match attribute_index {
        Some(index) => match sp.attribute_sets.iter().find(|(i, _)| i == index) {
            Some((_, names)) => names.clone(),
            None => {
                return Err(refuse(status(
                    "nr18",
                    "RequestUnsupported",
                    format!("no AttributeConsumingService with index {index} in the SP's metadata"),
                )));
            }
        },
        None => {
            return Err(refuse(status(
                "nr18",
                "RequestUnsupported",
                "AttributeConsumingServiceIndex is required",
            )));
        }
    };
    let level =
        requested_level(root).map_err(|reason| refuse(status("nr12", "NoAuthnContext", reason)))?;
    if level >= 2 && root.attribute("ForceAuthn") != Some("true") {
        return Err(refuse(status(
            "nr08",
            "RequestUnsupported",
            "ForceAuthn=\"true\" is required for SpidL2 and SpidL3",
        )));
    }
    Ok(Authn {
        id: id.clone(),
        sp: sp.clone(),
        acs_url: acs_url.clone(),
        level,
        attributes,
        relay_state: message.relay_state.clone(),
    })
}

/// The level to assert: exactly one SPID class and a known comparison;
/// `better` asks for the next level.
fn requested_level(root: Node<'_, '_>) -> Result<u8, String> {
    let context = child(root, SAMLP, "RequestedAuthnContext").ok_or("no RequestedAuthnContext")?;
    let classes: Vec<&str> = context
        .children()
        .filter(|c| is(*c, SAML, "AuthnContextClassRef"))
        .map(|c| c.text().unwrap_or_default().trim())
        .collect();
    let [class] = classes.as_slice() else {
        return Err(format!(
            "{} AuthnContextClassRef, exactly one is allowed",
            classes.len()
        ));
    };
    let level = match *class {
        "https://www.spid.gov.it/SpidL1" => 1,
        "https://www.spid.gov.it/SpidL2" => 2,
        "https://www.spid.gov.it/SpidL3" => 3,
        other => return Err(format!("{other} is not a SPID level")),
    };
    match context.attribute("Comparison").unwrap_or("exact") {
        "exact" | "minimum" | "maximum" => Ok(level),
        "better" if level < 3 => Ok(level + 1),
        "better" => Err("nothing is better than SpidL3".to_owned()),
        other => Err(format!(
            "Comparison {other} is not exact, minimum, better or maximum"
        )),
    }
}

/// The full URI of a `Requester` sub-status.
pub(crate) fn sub_status_uri(sub: &str) -> String {
    format!("{STATUS}{sub}")
}
