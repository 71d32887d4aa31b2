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
//!
//! `Display` says what happened in one line: the platform, the operation,
//! and for an answer the HTTP status and the platform's own reason, e.g.
//! `GPD create debt position: HTTP 409 Conflict: an IUPD, IUV or notice
//! number is already in use: …`. Codici fiscali in the platform's words
//! are masked (personal data). The causes below that (I/O, TLS) are
//! reachable through [`std::error::Error::source`], and [`ErrorChain`]
//! prints them all; nothing is said twice.

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

/// Which call failed: the platform (as its transport is named) and the
/// operation (as the platform crate names it, else the method and path
/// template, which never hold a value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallContext {
    platform: Cow<'static, str>,
    operation: Option<&'static str>,
    method: http::Method,
    template: &'static str,
}

impl CallContext {
    pub(crate) fn new(
        platform: Cow<'static, str>,
        operation: Option<&'static str>,
        method: http::Method,
        template: &'static str,
    ) -> Self {
        Self {
            platform,
            operation,
            method,
            template,
        }
    }

    /// The platform (`GPD`, `App IO`, `PDND`, `ANPR`), or the host of a
    /// transport that was given no name.
    #[must_use]
    pub fn platform(&self) -> &str {
        &self.platform
    }

    /// The operation's name (`create debt position`), if the platform
    /// crate gave one.
    #[must_use]
    pub fn operation(&self) -> Option<&'static str> {
        self.operation
    }

    /// The request's path template (`/profiles/{fiscal_code}`).
    #[must_use]
    pub fn path_template(&self) -> &'static str {
        self.template
    }
}

impl fmt::Display for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            Some(operation) => write!(f, "{} {operation}", self.platform),
            None => write!(f, "{} {} {}", self.platform, self.method, self.template),
        }
    }
}

/// `GPD create debt position: ` before a message, when the call is known.
fn prefix(context: Option<&CallContext>) -> String {
    context.map(|c| format!("{c}: ")).unwrap_or_default()
}

/// `409 Conflict`.
fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// The error of every abilita call.
///
/// `E` is the platform's own error type (see [`PlatformError`]); calls that
/// have none use the default, [`Infallible`].
///
/// `Display` says what happened in one line: the platform, the operation,
/// and for an answer the HTTP status and the platform's own reason
/// (`GPD create debt position: HTTP 409 Conflict: an IUPD, IUV or notice
/// number is already in use: …`), with codici fiscali in the platform's
/// words masked. The causes below that (I/O, TLS) are reachable through
/// [`std::error::Error::source`]; [`ErrorChain`] prints them all, and
/// nothing is said twice.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E = Infallible> {
    /// The input was rejected before any I/O.
    InvalidInput(InvalidInput),
    /// No answer arrived within the configured timeout.
    Timeout(TransportFailure),
    /// The request could not be sent or its answer could not be received
    /// (connection refused, TLS, I/O).
    Dispatch(TransportFailure),
    /// The platform answered, but not in a form the SDK understands.
    UnparseableResponse(UnparseableResponse),
    /// The platform answered with one of its own typed errors.
    Service {
        /// The platform's typed error.
        error: E,
        /// The raw answer it was decoded from (status, headers, bounded body).
        response: RawResponse,
    },
}

impl<E> From<InvalidInput> for Error<E> {
    fn from(error: InvalidInput) -> Self {
        Self::InvalidInput(error)
    }
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput(e) => fmt::Display::fmt(e, f),
            Self::Timeout(e) => write!(f, "{}the request timed out ({e})", prefix(e.context())),
            Self::Dispatch(e) => {
                write!(
                    f,
                    "{}the request could not be completed ({e})",
                    prefix(e.context())
                )
            }
            Self::UnparseableResponse(e) => write!(
                f,
                "{}HTTP {}, in a form that could not be understood",
                prefix(e.response.context()),
                status_text(e.response.status())
            ),
            Self::Service { error, response } => write!(
                f,
                "{}HTTP {}: {}",
                prefix(response.context()),
                status_text(response.status()),
                crate::identifiers::mask_codici_fiscali(&error.to_string())
            ),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidInput(e) => e.source(),
            Self::Timeout(e) | Self::Dispatch(e) => e.source(),
            Self::UnparseableResponse(e) => e.source(),
            // The platform's reason is in the message already: its own
            // causes, if any, come next.
            Self::Service { error, .. } => error.source(),
        }
    }
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
    /// The call that failed (none for input refused before any I/O).
    #[must_use]
    pub fn context(&self) -> Option<&CallContext> {
        match self {
            Self::InvalidInput(_) => None,
            Self::Timeout(e) | Self::Dispatch(e) => e.context(),
            Self::UnparseableResponse(e) => e.response.context(),
            Self::Service { response, .. } => response.context(),
        }
    }

    /// Names the call that failed (the transport does it).
    pub(crate) fn in_context(mut self, context: CallContext) -> Self {
        match &mut self {
            Self::InvalidInput(_) => {}
            Self::Timeout(e) | Self::Dispatch(e) => e.context = Some(context),
            Self::UnparseableResponse(e) => e.response.0.context = Some(context),
            Self::Service { response, .. } => response.0.context = Some(context),
        }
        self
    }

    /// Whether the platform may have acted on the request. A gateway's
    /// 502 or 504 is [`RequestOutcome::Unknown`]: the gateway got no
    /// (timely) answer from the platform behind it, which may have acted.
    #[must_use]
    pub fn outcome(&self) -> RequestOutcome {
        match self {
            Self::InvalidInput(_) => RequestOutcome::NotSent,
            Self::Timeout(f) | Self::Dispatch(f) => f.outcome,
            Self::UnparseableResponse(_) | Self::Service { .. } => {
                match self.status().map(|s| s.as_u16()) {
                    Some(502 | 504) => RequestOutcome::Unknown,
                    _ => RequestOutcome::Answered,
                }
            }
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

    /// The same refusal under another name: a value checked by a
    /// constructor, reported under the setting it was read from.
    #[must_use]
    pub fn for_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = field.into();
        self
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
    context: Option<CallContext>,
    #[source]
    source: BoxError,
}

impl TransportFailure {
    pub(crate) fn new(outcome: RequestOutcome, source: impl Into<BoxError>) -> Self {
        Self {
            outcome,
            context: None,
            source: source.into(),
        }
    }

    /// A request that was never sent because something it waits on
    /// locally failed (a shared rate limit's store, say): safe to retry.
    pub fn not_sent(source: impl Into<BoxError>) -> Self {
        Self::new(RequestOutcome::NotSent, source)
    }

    /// The call that failed.
    #[must_use]
    pub fn context(&self) -> Option<&CallContext> {
        self.context.as_ref()
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
    context: Option<CallContext>,
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
            context: None,
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

    /// The call this answers.
    #[must_use]
    pub fn context(&self) -> Option<&CallContext> {
        self.0.context.as_ref()
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
/// reason (like smithy-rs's `DisplayErrorContext`). Each error's `Display`
/// leaves out what its `source()` says, so nothing is repeated.
///
/// ```
/// let error = std::io::Error::other("disk full");
/// assert_eq!(abilita_core::ErrorChain(&error).to_string(), "disk full");
/// ```
#[derive(Debug, Clone, Copy)]
#[allow(clippy::exhaustive_structs, reason = "a newtype built by value")]
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

/// A platform's own words after a phrase of ours: `: {words}`, or nothing
/// when there are none. For the `Display` of platform errors, so that the
/// reason the platform gave reaches the message:
///
/// ```
/// use abilita_core::Detail;
///
/// assert_eq!(format!("not found{}", Detail("IUPD 42 is unknown")), "not found: IUPD 42 is unknown");
/// assert_eq!(format!("not found{}", Detail("  ")), "not found");
/// ```
#[derive(Debug, Clone, Copy)]
#[allow(clippy::exhaustive_structs, reason = "a newtype built by value")]
pub struct Detail<'a>(pub &'a str);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = self.0.trim();
        if words.is_empty() {
            Ok(())
        } else {
            write!(f, ": {words}")
        }
    }
}

/// A rule a value broke, stated as the crate that enforces it words it
/// (`at least one AttributeConsumingService`): the typed cause under an
/// [`InvalidInput`], whose field names the value. One shape for every
/// crate's configuration and pre-validation errors.
///
/// ```
/// use abilita_core::{ErrorChain, InvalidInput, Rule};
///
/// let error = InvalidInput::new("audit.user_id", Rule("at most 255 characters"));
/// assert_eq!(
///     ErrorChain(&error).to_string(),
///     "invalid value for `audit.user_id`: at most 255 characters"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{0}")]
#[allow(clippy::exhaustive_structs, reason = "a newtype built by value")]
pub struct Rule(pub &'static str);

/// A length rule a value broke, with the length found: `the subject must be
/// 10 to 120 characters (UTF-16 code units), found 7`. The value itself is
/// never repeated (it may be personal data).
///
/// ```
/// use abilita_core::Length;
///
/// let refusal = Length { rule: "1 to 20 characters", found: 23 };
/// assert_eq!(refusal.to_string(), "1 to 20 characters, found 23");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{rule}, found {found}")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a rule and a count, built by value"
)]
pub struct Length {
    /// The rule, in the crate's words.
    pub rule: &'static str,
    /// The length found, in the rule's unit.
    pub found: usize,
}
