//! The FdR API's errors, typed.

use abilita_core::http::StatusCode;
use abilita_core::{ErrorClass, PlatformError, RawResponse};
use serde::Deserialize;

/// What the FdR API (or the API gateway in front of it) answered instead of
/// success.
///
/// FdR's errors are `{errorId, httpStatusCode, appErrorCode, errors[{path,
/// message}]}`: each variant keeps the application code (`FDR-0708`) and
/// the messages, the platform's own reason. The gateway answers 401 and
/// 429 in its own shape, so those are recognised by status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FdrError {
    /// No such flow, revision or creditor (404).
    #[error("not found ({code}){}", abilita_core::Detail(detail))]
    NotFound {
        /// FdR's application code.
        code: String,
        /// Its messages.
        detail: String,
    },
    /// FdR refused the request's parameters (400).
    #[error("FdR refused the request ({code}){}", abilita_core::Detail(detail))]
    BadRequest {
        /// FdR's application code.
        code: String,
        /// Its messages, which name the parameter.
        detail: String,
    },
    /// The subscription key is missing or wrong (401).
    #[error("the subscription key was refused")]
    Unauthorized,
    /// Too many requests (429).
    #[error("too many requests")]
    Throttled,
    /// FdR failed (5xx in its own shape).
    #[error("FdR failed ({code}){}", abilita_core::Detail(detail))]
    Server {
        /// FdR's application code.
        code: String,
        /// Its messages.
        detail: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorResponse {
    #[serde(default)]
    app_error_code: String,
    #[serde(default)]
    http_status_description: String,
    #[serde(default)]
    errors: Vec<ErrorMessage>,
}

#[derive(Deserialize)]
struct ErrorMessage {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    message: String,
}

impl ErrorResponse {
    /// The messages, each after its path when it has one.
    fn detail(&self) -> String {
        let messages: Vec<String> = self
            .errors
            .iter()
            .map(|e| match e.path.as_deref() {
                Some(path) if !path.is_empty() => format!("{path}: {}", e.message),
                _ => e.message.clone(),
            })
            .collect();
        if messages.is_empty() {
            self.http_status_description.clone()
        } else {
            messages.join("; ")
        }
    }
}

impl PlatformError for FdrError {
    fn from_response(response: &RawResponse) -> Option<Self> {
        match response.status() {
            StatusCode::UNAUTHORIZED => return Some(Self::Unauthorized),
            StatusCode::TOO_MANY_REQUESTS => return Some(Self::Throttled),
            _ => {}
        }
        let body: ErrorResponse = serde_json::from_slice(response.body()).ok()?;
        if body.app_error_code.is_empty() && body.errors.is_empty() {
            return None;
        }
        let detail = body.detail();
        let code = body.app_error_code;
        Some(match response.status().as_u16() {
            400 => Self::BadRequest { code, detail },
            404 => Self::NotFound { code, detail },
            500..=599 => Self::Server { code, detail },
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
