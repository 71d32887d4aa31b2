//! The one error shape shared by every abilita crate.
//!
//! A call to a platform can fail in five ways, and each way needs a different
//! reaction from the caller, so each is its own variant of [`Error`]:
//!
//! | variant | what happened | what the caller usually does |
//! |---|---|---|
//! | [`Error::InvalidInput`] | rejected before any I/O | fix the input |
//! | [`Error::Timeout`] | no answer in time | retry if the call is safe to repeat |
//! | [`Error::Dispatch`] | connect, TLS or I/O failure | retry if the call is safe to repeat |
//! | [`Error::UnparseableResponse`] | an answer the SDK cannot read (an HTML 502 page from a gateway, say) | look at the status and raw body kept in it |
//! | [`Error::Service`] | the platform's own typed error | match on the platform crate's enum |
//!
//! Platform crates plug their typed errors in through [`PlatformError`].
//! `Display` is one phrase without the cause; the cause is reachable through
//! [`std::error::Error::source`], as in reqwest and the AWS SDK.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// A boxed error used as the private cause of a variant, so that no
/// third-party type (reqwest, serde_json) appears in the public API.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How a failure should be treated by a retry loop.
///
/// The classes follow the AWS SDK's: the class says whether trying again *can*
/// help; whether it is *safe* depends on the request (see
/// [`ApiRequest::retry_safe`](crate::ApiRequest::retry_safe)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// A network hiccup or timeout: the same request may well succeed.
    Transient,
    /// The platform asked the client to slow down (HTTP 429 or a platform code).
    Throttling,
    /// The platform failed (HTTP 5xx).
    Server,
    /// The request itself is wrong, or the answer cannot be understood:
    /// sending it again gives the same result.
    Client,
}

impl ErrorClass {
    /// Whether trying the same request again can succeed.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        !matches!(self, Self::Client)
    }

    /// The class a bare HTTP status implies, used when the platform's error
    /// does not say better.
    #[must_use]
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            429 => Self::Throttling,
            408 => Self::Transient,
            500..=599 => Self::Server,
            _ => Self::Client,
        }
    }
}

/// Whether the platform may have acted on a request that failed.
///
/// This matters for calls that are not safe to repeat, such as sending an IO
/// message: when the outcome is [`RequestOutcome::Unknown`] the SDK never
/// resends on its own, and the caller must decide (check first, or accept a
/// possible duplicate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestOutcome {
    /// The request never reached the platform (connection refused, DNS, TLS
    /// handshake): it is safe to send again.
    NotSent,
    /// The request may have been received and acted on.
    Unknown,
    /// The platform answered; its answer is in the error.
    Answered,
}

/// The typed errors of one platform (pagoPA, ANPR, SPID, IO).
///
/// The transport calls [`PlatformError::from_response`] on every non-success
/// answer; when it returns `None` the answer becomes
/// [`Error::UnparseableResponse`], which still carries the HTTP status, so a
/// gateway's HTML 502 page surfaces as a 502 and not as a JSON error.
pub trait PlatformError: std::error::Error + Send + Sync + Sized + 'static {
    /// Decodes the platform's error from a non-success response, or `None`
    /// when the body is not one of the platform's error shapes.
    fn from_response(response: &RawResponse) -> Option<Self>;

    /// The retry class, when the platform's error says more than the status
    /// (for example a throttling code inside a 200 SOAP fault). `None` means
    /// "use the HTTP status".
    fn class(&self) -> Option<ErrorClass> {
        None
    }
}

/// No platform error: used by calls that have no typed service errors.
impl PlatformError for Infallible {
    fn from_response(_: &RawResponse) -> Option<Self> {
        None
    }
}

/// The error of every abilita call.
///
/// `E` is the platform's own error type (see [`PlatformError`]); calls that
/// have none use the default, [`Infallible`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error<E = Infallible> {
    /// The input was rejected before any I/O.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// No answer arrived within the configured timeout.
    #[error("the request timed out")]
    Timeout(#[source] TransportFailure),
    /// The request could not be sent or its answer could not be received
    /// (connection refused, TLS, I/O).
    #[error("the request could not be completed")]
    Dispatch(#[source] TransportFailure),
    /// The platform answered, but not in a form the SDK understands.
    #[error("the platform answered HTTP {} in a form that could not be understood", .0.response.status().as_u16())]
    UnparseableResponse(#[source] UnparseableResponse),
    /// The platform answered with one of its own typed errors.
    #[error("the platform answered HTTP {} with an error", .response.status().as_u16())]
    Service {
        /// The platform's typed error.
        #[source]
        error: E,
        /// The raw answer it was decoded from (status, headers, bounded body).
        response: RawResponse,
    },
}

impl<E: PlatformError> Error<E> {
    /// The retry class of this failure.
    #[must_use]
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::InvalidInput(_) => ErrorClass::Client,
            Self::Timeout(_) | Self::Dispatch(_) => ErrorClass::Transient,
            Self::UnparseableResponse(e) if e.response.status().is_success() => ErrorClass::Client,
            Self::UnparseableResponse(e) => ErrorClass::from_status(e.response.status()),
            Self::Service { error, response } => error
                .class()
                .unwrap_or_else(|| ErrorClass::from_status(response.status())),
        }
    }

    /// Whether trying the same request again can succeed (see [`ErrorClass`]).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.class().is_retryable()
    }
}

impl<E> Error<E> {
    /// Whether the platform may have acted on the request.
    #[must_use]
    pub fn outcome(&self) -> RequestOutcome {
        match self {
            Self::InvalidInput(_) => RequestOutcome::NotSent,
            Self::Timeout(f) | Self::Dispatch(f) => f.outcome,
            Self::UnparseableResponse(_) | Self::Service { .. } => RequestOutcome::Answered,
        }
    }

    /// The raw answer, when the platform answered.
    #[must_use]
    pub fn response(&self) -> Option<&RawResponse> {
        match self {
            Self::UnparseableResponse(e) => Some(&e.response),
            Self::Service { response, .. } => Some(response),
            _ => None,
        }
    }

    /// The HTTP status, when the platform answered.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        self.response().map(RawResponse::status)
    }

    /// The platform's typed error, if that is what this is.
    #[must_use]
    pub fn service_error(&self) -> Option<&E> {
        match self {
            Self::Service { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Converts the platform error type, keeping everything else (used by a
    /// platform crate that wraps a shared call).
    pub fn map_service<F>(self, f: impl FnOnce(E) -> F) -> Error<F> {
        match self {
            Self::InvalidInput(e) => Error::InvalidInput(e),
            Self::Timeout(e) => Error::Timeout(e),
            Self::Dispatch(e) => Error::Dispatch(e),
            Self::UnparseableResponse(e) => Error::UnparseableResponse(e),
            Self::Service { error, response } => Error::Service {
                error: f(error),
                response,
            },
        }
    }
}

/// Input rejected before any I/O: which field, and why (through `source()`).
#[derive(Debug, thiserror::Error)]
#[error("invalid value for `{field}`")]
pub struct InvalidInput {
    field: Cow<'static, str>,
    #[source]
    source: BoxError,
}

impl InvalidInput {
    /// An invalid `field`, with the typed reason as the cause.
    pub fn new(
        field: impl Into<Cow<'static, str>>,
        reason: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            field: field.into(),
            source: reason.into(),
        }
    }

    /// The name of the offending field or setting.
    #[must_use]
    pub fn field(&self) -> &str {
        &self.field
    }
}

/// A timeout or dispatch failure, with its private cause.
#[derive(Debug, thiserror::Error)]
#[error("{}", match .outcome {
    RequestOutcome::NotSent => "the request was not sent",
    _ => "the outcome of the request is unknown",
})]
pub struct TransportFailure {
    outcome: RequestOutcome,
    #[source]
    source: BoxError,
}

impl TransportFailure {
    pub(crate) fn new(outcome: RequestOutcome, source: impl Into<BoxError>) -> Self {
        Self {
            outcome,
            source: source.into(),
        }
    }

    /// Whether the platform may have acted on the request.
    #[must_use]
    pub fn outcome(&self) -> RequestOutcome {
        self.outcome
    }
}

/// An answer that could not be decoded; the raw response is kept.
#[derive(Debug, thiserror::Error)]
#[error("response body could not be decoded")]
pub struct UnparseableResponse {
    response: RawResponse,
    #[source]
    source: Option<BoxError>,
}

impl UnparseableResponse {
    pub(crate) fn new(response: RawResponse, source: Option<BoxError>) -> Self {
        Self { response, source }
    }

    /// The raw answer.
    #[must_use]
    pub fn response(&self) -> &RawResponse {
        &self.response
    }
}

/// Bodies kept in errors are cut at this size, so that a hostile or broken
/// server cannot make an error value hold megabytes.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// A platform's answer as received: status, headers and a bounded body.
///
/// `Set-Cookie` is dropped; every other header is kept, because gateways put
/// trace ids and rate-limit hints in headers of their own naming.
#[derive(Clone)]
pub struct RawResponse(Box<RawParts>);

/// Boxed so that errors stay small on the `Result` path.
#[derive(Clone)]
struct RawParts {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    truncated: bool,
    retry_after: Option<Duration>,
}

impl RawResponse {
    pub(crate) fn new(status: StatusCode, mut headers: HeaderMap, body: Bytes) -> Self {
        headers.remove(http::header::SET_COOKIE);
        let truncated = body.len() > MAX_ERROR_BODY;
        // Copy rather than slice: a slice would keep the whole buffer alive.
        let body = match body.get(..MAX_ERROR_BODY) {
            Some(start) if truncated => Bytes::copy_from_slice(start),
            _ => body,
        };
        Self(Box::new(RawParts {
            status,
            headers,
            body,
            truncated,
            retry_after: None,
        }))
    }

    /// A response whose body was over the transport's limit: only its first
    /// bytes are kept, and it is marked truncated whatever their length.
    pub(crate) fn cut(status: StatusCode, headers: HeaderMap, start: Bytes) -> Self {
        let mut raw = Self::new(status, headers, start);
        raw.0.truncated = true;
        raw
    }

    pub(crate) fn with_retry_after(mut self, hint: Option<Duration>) -> Self {
        self.0.retry_after = hint;
        self
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The response headers (without `Set-Cookie`).
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The body, cut at [`MAX_ERROR_BODY`] bytes.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.0.body
    }

    /// Whether [`RawResponse::body`] was cut.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.0.truncated
    }

    /// The wait the server asked for (`Retry-After` or a platform hint
    /// header configured on the transport), if any.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }
}

/// Bodies can hold personal data, so `Debug` shows their size only.
impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.0.status)
            .field(
                "content_type",
                &self.0.headers.get(http::header::CONTENT_TYPE),
            )
            .field("body_len", &self.0.body.len())
            .field("truncated", &self.0.truncated)
            .field("retry_after", &self.0.retry_after)
            .finish()
    }
}

/// An error and its whole `source()` chain in one line, `outer: cause:
/// root cause`: for log lines, where the outer message alone hides the
/// reason. Each error's `Display` says one phrase without its cause (the
/// convention above), so nothing is repeated.
///
/// ```
/// let error = std::io::Error::other("disk full");
/// assert_eq!(abilita_core::ErrorChain(&error).to_string(), "disk full");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}
