//! The errors of PDND's token endpoint, of the GovWay gateway in front of
//! ANPR, and of ANPR itself, typed.

use abilita_core::http::StatusCode;
use abilita_core::{ErrorClass, PlatformError, ProblemJson, RawResponse};
use serde::Deserialize;

use crate::model::Anomaly;

/// What PDND, GovWay or ANPR answered instead of success.
///
/// Support staff at ANPR and PDND diagnose with the ids kept here
/// (`correlation_id`, `govway_id`, `id_operazione_anpr`): log those, not
/// the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnprError {
    /// PDND refused to issue a voucher. PDND masks every reason into
    /// `015-0008`; the real one is in its back office ("Debug client
    /// assertion") under `correlation_id`.
    #[error("PDND refused the voucher request ({code})")]
    VoucherRefused {
        /// PDND's code (`015-0008`).
        code: String,
        /// PDND's id of the failure, for its support.
        correlation_id: Option<String>,
    },
    /// GovWay found the ModI profile wrong: audience, digest, signed
    /// headers, clocks (`InteroperabilityInvalidRequest`), or the body
    /// against the OpenAPI (`InvalidRequestContent`).
    #[error("the gateway refused the request: {title}: {detail}")]
    Interoperability {
        /// GovWay's title.
        title: String,
        /// GovWay's detail.
        detail: String,
        /// GovWay's id of the failure, for ANPR's support.
        govway_id: Option<String>,
    },
    /// The voucher is missing, invalid or expired; or a token's `iat` lies
    /// in the future (`AuthenticationRequired`).
    #[error("the gateway did not accept the voucher")]
    AuthenticationRequired {
        /// GovWay's detail.
        detail: String,
        /// The reason in `WWW-Authenticate`, when given.
        reason: Option<String>,
        /// GovWay's id of the failure.
        govway_id: Option<String>,
    },
    /// The purpose or e-service is not authorised for the client.
    #[error("the gateway denied the request: {detail}")]
    Forbidden {
        /// GovWay's detail.
        detail: String,
    },
    /// ANPR has no such subject (`EN122`), or the subject was cancelled.
    #[error("ANPR has no such subject")]
    NotFound {
        /// Whether ANPR says the subject was cancelled from the registry.
        cancelled: bool,
        /// ANPR's id of the operation.
        id_operazione_anpr: Option<String>,
    },
    /// ANPR refused the request (`RispostaKO` 400): a field too long, a wrong
    /// use case; the anomalies name the field.
    #[error("ANPR refused the request: {}", anomalies_text(errors))]
    InvalidRequest {
        /// ANPR's anomalies.
        errors: Vec<Anomaly>,
        /// ANPR's id of the operation.
        id_operazione_anpr: Option<String>,
    },
    /// A rate limit or the consumer's daily quota (429).
    #[error("rate limit or daily quota exceeded")]
    Throttled,
    /// ANPR or PDND failed (5xx: `999`, `EN527` with the operation's id).
    #[error("ANPR or PDND failed: {detail}")]
    Server {
        /// The anomalies or PDND errors, as text.
        detail: String,
        /// ANPR's id of the operation.
        id_operazione_anpr: Option<String>,
    },
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(flatten)]
    problem: ProblemJson,
    #[serde(default)]
    govway_id: Option<String>,
    #[serde(default)]
    errors: Vec<PdndCode>,
    #[serde(default)]
    correlation_id: Option<String>,
    #[serde(default, rename = "idOperazioneANPR")]
    id_operazione_anpr: Option<String>,
    #[serde(default)]
    lista_errori: Vec<Anomaly>,
}

#[derive(Deserialize)]
struct PdndCode {
    code: String,
}

impl PlatformError for AnprError {
    fn from_response(response: &RawResponse) -> Option<Self> {
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Some(Self::Throttled);
        }
        let body: Body = serde_json::from_slice(response.body()).ok()?;
        let id = body.id_operazione_anpr.clone();
        if !body.lista_errori.is_empty() {
            let not_found = body.lista_errori.iter().find(|a| a.code == "EN122");
            return Some(match (status.as_u16(), not_found) {
                (_, Some(anomaly)) => Self::NotFound {
                    cancelled: anomaly.text.to_ascii_lowercase().contains("cancellat"),
                    id_operazione_anpr: id,
                },
                (500..=599, _) => Self::Server {
                    detail: anomalies_text(&body.lista_errori),
                    id_operazione_anpr: id,
                },
                _ => Self::InvalidRequest {
                    errors: body.lista_errori,
                    id_operazione_anpr: id,
                },
            });
        }
        if let Some(code) = body.errors.first().map(|e| e.code.clone()) {
            return Some(if status.is_server_error() {
                Self::Server {
                    detail: code,
                    id_operazione_anpr: None,
                }
            } else {
                Self::VoucherRefused {
                    code,
                    correlation_id: body.correlation_id,
                }
            });
        }
        Some(match status.as_u16() {
            400 => Self::Interoperability {
                title: body.problem.title,
                detail: body.problem.detail,
                govway_id: body.govway_id,
            },
            401 => Self::AuthenticationRequired {
                detail: body.problem.detail,
                reason: response
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                govway_id: body.govway_id,
            },
            403 => Self::Forbidden {
                detail: body.problem.detail,
            },
            500..=599 => Self::Server {
                detail: body.problem.detail,
                id_operazione_anpr: id,
            },
            _ => return None,
        })
    }

    fn class(&self) -> Option<ErrorClass> {
        matches!(self, Self::Throttled).then_some(ErrorClass::Throttling)
    }
}

fn anomalies_text(anomalies: &[Anomaly]) -> String {
    anomalies
        .iter()
        .map(|a| format!("{} {}", a.code, a.text))
        .collect::<Vec<_>>()
        .join("; ")
}
