//! App IO's errors, typed.

use abilita_core::http::StatusCode;
use abilita_core::{ErrorClass, PlatformError, ProblemJson, RawResponse};
use serde::Deserialize;

/// What IO (or its API gateway) answered instead of success.
///
/// IO's functions answer ProblemJson `{title, detail, status}`; the gateway
/// in front of them answers `{statusCode, message}`; some answers have no
/// body at all. All three become this one enum; the raw answer stays in the
/// outer [`abilita_core::Error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// The citizen has no IO profile, or has the inbox off (`Profile not found`).
    #[error(
        "the citizen is not registered on IO or has the inbox off{}",
        abilita_core::Detail(detail)
    )]
    NotRegistered {
        /// IO's detail.
        detail: String,
    },
    /// No message with that id for that citizen.
    #[error("message not found{}", abilita_core::Detail(detail))]
    MessageNotFound {
        /// IO's detail.
        detail: String,
    },
    /// The subscriptions feed of a day that has not ended yet (in UTC):
    /// IO publishes a day's feed when the next day starts.
    #[error(
        "the subscriptions feed of that day is not available yet{}",
        abilita_core::Detail(detail)
    )]
    FeedNotReady {
        /// IO's detail (when it will be).
        detail: String,
    },
    /// Something else was not found (a service, a path).
    #[error("not found{}", abilita_core::Detail(detail))]
    NotFound {
        /// IO's detail.
        detail: String,
    },
    /// The service is in sandbox (or incomplete) and the citizen is not
    /// among its authorized recipients (`Recipient forbidden`).
    #[error(
        "the recipient is not allowed for this service (sandbox){}",
        abilita_core::Detail(detail)
    )]
    RecipientForbidden {
        /// IO's detail.
        detail: String,
    },
    /// The citizen does not accept messages from this service
    /// (`sender_allowed: false`).
    #[error("the citizen does not accept messages from this service")]
    SenderNotAllowed,
    /// The notice names a payee the service may not name.
    #[error("the service may not name this payee{}", abilita_core::Detail(detail))]
    PayeeNotAllowed {
        /// IO's detail.
        detail: String,
    },
    /// The amount is over the service's `max_allowed_payment_amount`.
    #[error(
        "the amount exceeds what the service may request{}",
        abilita_core::Detail(detail)
    )]
    AmountNotAllowed {
        /// IO's detail, with both amounts.
        detail: String,
    },
    /// Any other refusal (a missing permission group, an IP outside the
    /// service's CIDRs, a message of another service).
    #[error(
        "IO refused the request{}{}",
        abilita_core::Detail(title),
        abilita_core::Detail(detail)
    )]
    Forbidden {
        /// IO's title.
        title: String,
        /// IO's detail.
        detail: String,
    },
    /// IO refused the request data (400).
    #[error(
        "IO refused the request data{}{}",
        abilita_core::Detail(title),
        abilita_core::Detail(detail)
    )]
    Validation {
        /// IO's title.
        title: String,
        /// IO's detail, which names the field (`at [root.content.subject]`).
        detail: String,
    },
    /// The key is missing or wrong (401, from the gateway).
    #[error("the subscription key was refused")]
    Unauthorized,
    /// Too many requests (429); the wait is in the response's
    /// `retry_after`.
    #[error("too many requests")]
    Throttled,
    /// The service's state forbids the operation (409, service management).
    #[error(
        "the service's state does not allow this operation{}",
        abilita_core::Detail(detail)
    )]
    Conflict {
        /// IO's detail.
        detail: String,
    },
    /// IO failed (5xx).
    #[error("IO failed{}", abilita_core::Detail(detail))]
    Server {
        /// IO's detail, or the gateway's message.
        detail: String,
    },
}

#[derive(Deserialize, Default)]
struct Body {
    #[serde(flatten)]
    problem: ProblemJson,
    /// The gateway's shape.
    #[serde(default)]
    message: String,
}

impl PlatformError for IoError {
    fn from_response(response: &RawResponse) -> Option<Self> {
        let body: Body = if response.body().iter().all(u8::is_ascii_whitespace) {
            Body::default()
        } else {
            serde_json::from_slice(response.body()).ok()?
        };
        let detail = if body.problem.detail.is_empty() {
            body.message.clone()
        } else {
            body.problem.detail.clone()
        };
        let title = body.problem.title.to_ascii_lowercase();
        Some(match response.status() {
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::TOO_MANY_REQUESTS => Self::Throttled,
            StatusCode::NOT_FOUND if title.contains("profile not found") => {
                Self::NotRegistered { detail }
            }
            StatusCode::NOT_FOUND if title.contains("message not found") => {
                Self::MessageNotFound { detail }
            }
            StatusCode::NOT_FOUND if title.contains("not available yet") => {
                Self::FeedNotReady { detail }
            }
            StatusCode::NOT_FOUND => Self::NotFound { detail },
            StatusCode::FORBIDDEN if title.contains("recipient forbidden") => {
                Self::RecipientForbidden { detail }
            }
            StatusCode::FORBIDDEN if detail.contains("payee") => Self::PayeeNotAllowed { detail },
            StatusCode::FORBIDDEN => Self::Forbidden {
                title: body.problem.title,
                detail,
            },
            StatusCode::BAD_REQUEST if title.contains("payment metadata") => {
                Self::AmountNotAllowed { detail }
            }
            StatusCode::BAD_REQUEST => Self::Validation {
                title: body.problem.title,
                detail,
            },
            StatusCode::CONFLICT => Self::Conflict { detail },
            status if status.is_server_error() => Self::Server { detail },
            _ => return None,
        })
    }

    fn class(&self) -> Option<ErrorClass> {
        matches!(self, Self::Throttled).then_some(ErrorClass::Throttling)
    }
}
