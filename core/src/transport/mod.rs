//! The HTTP transport every platform crate sends through.
//!
//! It owns what must be done the same way for every platform: TLS (rustls,
//! extra roots, client certificates), timeouts, retries that never resend an
//! unsafe request blindly, server wait hints, bounded bodies, and traces that
//! carry no secrets and no personal data.
//!
//! A platform crate builds one [`Transport`] per configured client and calls
//! [`Transport::send`] with an [`ApiRequest`], naming its own
//! [`PlatformError`] type so that error bodies come back typed:
//!
//! ```no_run
//! use abilita_core::{ApiRequest, BaseUrl, Transport};
//!
//! # async fn run() -> Result<(), abilita_core::Error> {
//! let transport = Transport::builder(BaseUrl::parse("https://api.example.it/v1")?).build()?;
//! let response = transport.send::<std::convert::Infallible>(ApiRequest::get("/status")).await?;
//! let status: serde_json::Value = response.json()?;
//! # Ok(()) }
//! ```
//!
//! # Platform wait hints
//!
//! `Retry-After` (seconds or HTTP-date) is always honoured. A platform that
//! names its wait differently registers its header with
//! [`TransportBuilder::retry_hint_header`]; registered headers are read
//! before `Retry-After`. App IO, for example, answers 429 with
//! `x-rate-limit-retry-after` instead, so `abilita-io` builds its transport
//! with `.retry_hint_header(HeaderName::from_static("x-rate-limit-retry-after"))`.

mod base_url;
mod operation;
mod request;
mod retry;

pub use base_url::{BaseUrl, BaseUrlError};
pub use operation::{Decision, MAX_ATTEMPTS, Operation};
pub use request::{ApiRequest, ApiResponse};
pub use retry::RetryPolicy;

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::HeaderName;
use tracing::Instrument;

use crate::clock::{Clock, SystemClock};
use crate::error::{
    CallContext, Error, ErrorClass, InvalidInput, PlatformError, RawResponse, RequestOutcome,
    TransportFailure, UnparseableResponse,
};

/// Default time allowed to open a connection (TCP and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for one attempt, from sending to the end of the body.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default largest success body read into memory.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// A configured HTTP client for one platform endpoint. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    base_url: BaseUrl,
    retry: RetryPolicy,
    hint_headers: Vec<HeaderName>,
    clock: Arc<dyn Clock>,
    max_body: usize,
    platform: Option<&'static str>,
}

/// Settings of a [`Transport`]; see [`Transport::builder`].
#[derive(Debug)]
pub struct TransportBuilder {
    base_url: BaseUrl,
    connect_timeout: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    hint_headers: Vec<HeaderName>,
    clock: Arc<dyn Clock>,
    max_body: usize,
    root_certificates: Vec<reqwest::Certificate>,
    identity: Option<reqwest::Identity>,
    platform: Option<&'static str>,
    error: Option<InvalidInput>,
}

/// Why TLS material or set-up was refused; never repeats the material.
#[derive(Debug, thiserror::Error)]
#[error("the TLS material could not be used")]
struct TlsError(#[source] reqwest::Error);

impl Transport {
    /// Starts configuring a transport for `base_url`.
    #[must_use]
    pub fn builder(base_url: BaseUrl) -> TransportBuilder {
        TransportBuilder {
            base_url,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            hint_headers: Vec::new(),
            clock: Arc::new(SystemClock),
            max_body: DEFAULT_MAX_BODY,
            root_certificates: Vec::new(),
            identity: None,
            platform: None,
            error: None,
        }
    }

    /// The base URL requests are sent under.
    #[must_use]
    pub fn base_url(&self) -> &BaseUrl {
        &self.inner.base_url
    }

    /// The clock this transport measures time with (shared with the platform
    /// crate's own time checks).
    #[must_use]
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Sends `request`, retrying as the [`RetryPolicy`] and the request's
    /// retry safety allow.
    ///
    /// A 2xx answer is returned as [`ApiResponse`]; any other answer becomes
    /// [`Error::Service`] when `E` recognises the body, or
    /// [`Error::UnparseableResponse`] (with status, headers and bounded body)
    /// when it does not.
    ///
    /// # Errors
    /// See [`Error`]; the last attempt's error is returned.
    pub async fn send<E: PlatformError>(
        &self,
        mut request: ApiRequest,
    ) -> Result<ApiResponse, Error<E>> {
        request.check()?;
        self.call(&operation::Fixed(request)).await
    }

    /// Runs `operation`: builds its request afresh for each attempt (where
    /// the platform signs, takes a permit, chooses a key) and retries as the
    /// [`RetryPolicy`], each request's retry safety, the server's hints and
    /// the operation's [`Operation::after_failure`] allow. The one attempt
    /// loop of every abilita client.
    ///
    /// # Errors
    /// See [`Error`]; the last attempt's error is returned.
    pub async fn call<E: PlatformError>(
        &self,
        operation: &dyn Operation<E>,
    ) -> Result<ApiResponse, Error<E>> {
        let inner = &self.inner;
        let started = inner.clock.now();
        let mut attempt = 1;
        loop {
            let (error, retry_safe) = match operation.request(attempt).await {
                Ok(mut request) => {
                    request.check()?;
                    let retry_safe = request.is_retry_safe();
                    match self.attempt_traced::<E>(request, attempt).await {
                        Ok(response) => return Ok(response),
                        Err(error) => (error, retry_safe),
                    }
                }
                // Nothing reached this platform: building the request is
                // safe to repeat.
                Err(error) => {
                    let error = match operation.describe() {
                        Some(like) => error.in_context(self.context_of(&like)),
                        None => error,
                    };
                    (error, true)
                }
            };
            let wait = match operation.after_failure(&error, attempt) {
                Decision::Stop => None,
                Decision::RetryNow => {
                    (attempt < operation::MAX_ATTEMPTS).then_some(std::time::Duration::ZERO)
                }
                Decision::Policy if attempt < operation::MAX_ATTEMPTS => {
                    self.next_wait(retry_safe, &error, attempt, started)
                }
                Decision::NotActedOn if attempt < operation::MAX_ATTEMPTS => {
                    self.next_wait(true, &error, attempt, started)
                }
                Decision::Policy | Decision::NotActedOn => None,
            };
            let Some(wait) = wait else {
                tracing::debug!(class = ?error.class(), attempt, "failed: {error}");
                return Err(error);
            };
            tracing::warn!(
                class = ?error.class(),
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying: {error}"
            );
            if !wait.is_zero() {
                inner.clock.sleep(wait).await;
            }
            attempt += 1;
        }
    }

    /// The call `request` makes, as errors name it: the platform (as this
    /// transport is named, else the host) and the operation.
    fn context_of(&self, request: &ApiRequest) -> CallContext {
        let platform = match self.inner.platform {
            Some(name) => std::borrow::Cow::Borrowed(name),
            None => std::borrow::Cow::Owned(self.inner.base_url.host().to_owned()),
        };
        CallContext::new(
            platform,
            request.operation_name(),
            request.method.clone(),
            request.template,
        )
    }

    /// One attempt of `request`, in its span, its error naming the call.
    /// The request is consumed: each attempt has its own (operations build
    /// one per attempt), so its headers and body are moved, not copied.
    async fn attempt_traced<E: PlatformError>(
        &self,
        request: ApiRequest,
        attempt: u32,
    ) -> Result<ApiResponse, Error<E>> {
        let inner = &self.inner;
        let context = self.context_of(&request);
        // OpenTelemetry's HTTP client conventions, so that an OTel
        // subscriber (tracing-opentelemetry) exports the span as it is:
        // `otel.name` is "{method} {url.template}"; the template, never
        // the path, so no codice fiscale or id reaches a trace.
        let span = tracing::info_span!(
            "abilita.http",
            otel.name = %format_args!("{} {}", request.method, request.template),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = %request.method,
            server.address = inner.base_url.host(),
            url.template = request.template,
            http.request.resend_count = i64::from(attempt - 1),
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
            abilita.platform = %context.platform(),
            abilita.operation = context.operation(),
            attempt,
            latency_ms = tracing::field::Empty,
        );
        let result = self
            .attempt::<E>(request)
            .instrument(span.clone())
            .await
            .map_err(|error| error.in_context(context));
        if let Err(error) = &result {
            span.record("otel.status_code", "ERROR");
            span.record("error.type", error_type(error));
            span.in_scope(|| tracing::debug!(class = ?error.class(), "attempt failed: {error}"));
        }
        result
    }

    /// The wait before another attempt, or `None` to give up.
    fn next_wait<E: PlatformError>(
        &self,
        retry_safe: bool,
        error: &Error<E>,
        attempt: u32,
        started: time::OffsetDateTime,
    ) -> Option<Duration> {
        let policy = &self.inner.retry;
        if attempt >= policy.max_attempts || !error.is_retryable() {
            return None;
        }
        // A request that is not safe to repeat is resent only when the
        // platform certainly did not act on it.
        let not_acted_on =
            error.outcome() == RequestOutcome::NotSent || error.class() == ErrorClass::Throttling;
        if !retry_safe && !not_acted_on {
            return None;
        }
        let wait = error
            .response()
            .and_then(RawResponse::retry_after)
            .unwrap_or_else(|| policy.backoff(attempt));
        let elapsed =
            Duration::try_from(self.inner.clock.now() - started).unwrap_or(Duration::ZERO);
        (elapsed.saturating_add(wait) <= policy.budget).then_some(wait)
    }

    async fn attempt<E: PlatformError>(
        &self,
        request: ApiRequest,
    ) -> Result<ApiResponse, Error<E>> {
        let inner = &self.inner;
        let started = std::time::Instant::now();
        let url = inner.base_url.join(&request.path_and_query());
        let redirect_answers = request.is_redirect_an_answer();
        let mut builder = inner
            .client
            .request(request.method, url)
            .headers(request.headers);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let result = builder.send().await;
        let span = tracing::Span::current();
        let elapsed = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut response = result.map_err(|e| {
            span.record("latency_ms", elapsed());
            tracing::debug!("failed: {e}");
            failure(e)
        })?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        span.record("http.response.status_code", i64::from(status.as_u16()));
        let hint = (!status.is_success())
            .then(|| retry::server_hint(&headers, &inner.hint_headers, inner.clock.now()))
            .flatten();
        let body = read_body(response, inner.max_body).await;
        span.record("latency_ms", elapsed());
        let body = match body {
            Ok(body) => body,
            Err(BodyError::Read(e)) => return Err(failure(e)),
            Err(BodyError::TooLarge(start)) => {
                tracing::debug!("body over the limit");
                let raw = RawResponse::cut(status, headers, start).with_retry_after(hint);
                let error = UnparseableResponse::new(raw, Some(BodyTooLarge.into()));
                return Err(Error::UnparseableResponse(error));
            }
        };
        if status.is_success() || (status.is_redirection() && redirect_answers) {
            tracing::debug!("done");
            return Ok(ApiResponse {
                status,
                headers,
                body,
            });
        }
        let raw = RawResponse::new(status, headers, body).with_retry_after(hint);
        tracing::debug!("platform answered with an error");
        Err(match E::from_response(&raw) {
            Some(error) => Error::Service {
                error,
                response: raw,
            },
            None => Error::UnparseableResponse(UnparseableResponse::new(raw, None)),
        })
    }
}

/// OpenTelemetry's `error.type`: the status code for an answer, else the
/// kind of failure.
fn error_type<E>(error: &Error<E>) -> String {
    match error {
        Error::Timeout(_) => "timeout".to_owned(),
        Error::Dispatch(_) => "dispatch".to_owned(),
        Error::InvalidInput(_) => "invalid_input".to_owned(),
        other => other
            .status()
            .map_or_else(|| "_OTHER".to_owned(), |status| status.as_u16().to_string()),
    }
}

/// Reads a body of at most `limit` bytes, chunk by chunk, so that a hostile
/// server cannot make the SDK buffer without bound. Over the limit, the first
/// bytes are returned with the error, for the caller's diagnosis.
async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Bytes, BodyError> {
    let declared = response.content_length();
    if declared.is_some_and(|len| len <= limit as u64) {
        // hyper never reads past a declared length: one read, no copy.
        return response.bytes().await.map_err(BodyError::Read);
    }
    let declared_over = declared.is_some();
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if declared_over || body.len() + chunk.len() > limit {
            let keep = limit.saturating_sub(body.len()).min(chunk.len());
            body.extend_from_slice(chunk.get(..keep).unwrap_or_default());
            return Err(BodyError::TooLarge(body.freeze()));
        }
        body.extend_from_slice(&chunk);
    }
    if declared_over {
        return Err(BodyError::TooLarge(body.freeze()));
    }
    Ok(body.freeze())
}

/// Why a body was not read in full: over the limit (with its first bytes),
/// or a failed read.
enum BodyError {
    TooLarge(Bytes),
    Read(reqwest::Error),
}

#[derive(Debug, thiserror::Error)]
#[error("the response body is larger than the configured limit")]
struct BodyTooLarge;

/// Sorts a reqwest failure into timeout or dispatch, and says whether the
/// platform may have seen the request: only a failed connect proves it did not.
fn failure<E>(error: reqwest::Error) -> Error<E> {
    let outcome = if error.is_connect() {
        RequestOutcome::NotSent
    } else {
        RequestOutcome::Unknown
    };
    let timed_out = error.is_timeout();
    let failure = TransportFailure::new(outcome, error);
    if timed_out {
        Error::Timeout(failure)
    } else {
        Error::Dispatch(failure)
    }
}

impl TransportBuilder {
    /// The platform's name in errors (`GPD`, `App IO`); the base URL's
    /// host by default.
    #[must_use]
    pub fn platform(mut self, name: &'static str) -> Self {
        self.platform = Some(name);
        self
    }

    /// Time allowed to open a connection (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, body included (default 30 s).
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The retry rules (default: [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// A platform header that carries a wait in seconds or as an HTTP-date,
    /// read before `Retry-After` (see the module docs).
    #[must_use]
    pub fn retry_hint_header(mut self, name: HeaderName) -> Self {
        self.hint_headers.push(name);
        self
    }

    /// The clock used for backoff waits and the time budget (default: the
    /// system clock with tokio's timer).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The largest success body read into memory (default 16 MiB).
    #[must_use]
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// Trusts the CA certificates of a PEM bundle, besides the system roots
    /// (ANPR's test environment uses a private CA).
    #[must_use]
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Self {
        match reqwest::Certificate::from_pem_bundle(pem) {
            Ok(certificates) if !certificates.is_empty() => {
                self.root_certificates.extend(certificates)
            }
            Ok(_) => self.fail("root_certificates", "the PEM bundle holds no certificate"),
            Err(e) => self.fail("root_certificates", TlsError(e)),
        }
        self
    }

    /// Presents a client certificate for mutual TLS (pagoPA and some PA
    /// gateways require it): the certificate chain and its private key, in
    /// PEM.
    #[must_use]
    pub fn client_identity_pem(
        mut self,
        certificate_chain: &[u8],
        key: &crate::PrivateKeyPem,
    ) -> Self {
        let mut pem = zeroize::Zeroizing::new(certificate_chain.to_vec());
        pem.push(b'\n');
        pem.extend_from_slice(key.expose_secret().as_bytes());
        match reqwest::Identity::from_pem(&pem) {
            Ok(identity) => self.identity = Some(identity),
            Err(e) => self.fail("client_identity", TlsError(e)),
        }
        self
    }

    fn fail(&mut self, field: &'static str, reason: impl Into<crate::error::BoxError>) {
        self.error
            .get_or_insert_with(|| InvalidInput::new(field, reason));
    }

    /// Builds the transport.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for unreadable TLS material or a TLS set-up
    /// the HTTP stack refuses.
    pub fn build(mut self) -> Result<Transport, Error> {
        if let Some(error) = self.error.take() {
            return Err(error.into());
        }
        let mut client = reqwest::Client::builder()
            .user_agent(concat!("abilita/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .https_only(!self.base_url.is_loopback());
        for certificate in self.root_certificates {
            client = client.add_root_certificate(certificate);
        }
        if let Some(identity) = self.identity {
            client = client.identity(identity);
        }
        let client = client
            .build()
            .map_err(|e| InvalidInput::new("transport", TlsError(e)))?;
        let mut hint_headers = self.hint_headers;
        hint_headers.push(http::header::RETRY_AFTER);
        Ok(Transport {
            inner: Arc::new(Inner {
                client,
                base_url: self.base_url,
                retry: self.retry,
                hint_headers,
                clock: self.clock,
                max_body: self.max_body,
                platform: self.platform,
            }),
        })
    }
}
