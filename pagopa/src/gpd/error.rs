//! GPD's errors, typed.

use abilita_core::http::StatusCode;
use abilita_core::{ErrorClass, PlatformError, ProblemJson, RawResponse};

/// What GPD (or the API gateway in front of it) answered instead of success.
///
/// GPD's errors are ProblemJson bodies `{title, status, detail}`; the gateway
/// answers 401 and 429 in its own shape, so those are recognised by status.
/// Each variant keeps GPD's `detail`, which names the offending field or
/// state; the raw response stays in the outer [`abilita_core::Error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GpdError {
    /// The position or payment option does not exist (404).
    #[error("not found{}", abilita_core::Detail(detail))]
    NotFound {
        /// GPD's detail.
        detail: String,
    },
    /// An IUPD, IUV or notice number already exists (409, uniqueness).
    #[error(
        "an IUPD, IUV or notice number is already in use{}",
        abilita_core::Detail(detail)
    )]
    Duplicate {
        /// GPD's detail.
        detail: String,
    },
    /// A create was retried and GPD already holds a *different* position
    /// under the same IUPD.
    #[error("the IUPD already holds a different debt position")]
    ConflictingContent,
    /// The position's state does not allow the operation (409 or 422).
    #[error(
        "the debt position is not in a state that allows this operation{}",
        abilita_core::Detail(detail)
    )]
    InvalidState {
        /// GPD's detail.
        detail: String,
    },
    /// The position holds several installment plans, which v1 cannot show
    /// or change: use the `_v3` call (422
    /// `MULTI_INSTALLMENT_NOT_SUPPORTED_IN_V1`).
    #[error(
        "the position has several installment plans, which only v3 handles{}",
        abilita_core::Detail(detail)
    )]
    NeedsV3 {
        /// GPD's detail.
        detail: String,
    },
    /// GPD refused the request data (400).
    #[error("GPD refused the request data{}", abilita_core::Detail(detail))]
    Validation {
        /// GPD's detail, which names the field.
        detail: String,
    },
    /// The subscription key is missing or wrong (401).
    #[error("the subscription key was refused")]
    Unauthorized,
    /// The key may not act on this creditor or segregation code (403).
    #[error(
        "the subscription key may not act on this creditor or IUV{}",
        abilita_core::Detail(detail)
    )]
    Forbidden {
        /// GPD's detail.
        detail: String,
    },
    /// Too many requests (429).
    #[error("too many requests")]
    Throttled,
    /// GPD failed (5xx with a ProblemJson body).
    #[error("GPD failed{}", abilita_core::Detail(detail))]
    Server {
        /// GPD's detail.
        detail: String,
    },
}

impl PlatformError for GpdError {
    fn from_response(response: &RawResponse) -> Option<Self> {
        match response.status() {
            StatusCode::UNAUTHORIZED => return Some(Self::Unauthorized),
            StatusCode::TOO_MANY_REQUESTS => return Some(Self::Throttled),
            _ => {}
        }
        let problem = ProblemJson::parse(response.body())?;
        let detail = problem.detail_or_title().to_owned();
        Some(match response.status().as_u16() {
            400 => Self::Validation { detail },
            403 => Self::Forbidden { detail },
            404 => Self::NotFound { detail },
            409 if problem.title.to_ascii_lowercase().contains("uniqueness") => {
                Self::Duplicate { detail }
            }
            422 if problem.title == "MULTI_INSTALLMENT_NOT_SUPPORTED_IN_V1" => {
                Self::NeedsV3 { detail }
            }
            409 | 422 => Self::InvalidState { detail },
            500..=599 => Self::Server { detail },
            _ => return None,
        })
    }

    fn class(&self) -> Option<ErrorClass> {
        match self {
            Self::Throttled => Some(ErrorClass::Throttling),
            _ => None,
        }
    }
}
