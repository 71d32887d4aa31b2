//! The foundation of **abilita**, the Rust SDK for Italy's public-administration
//! enabling platforms (SPID, pagoPA, ANPR through PDND, App IO).
//!
//! Platform crates build on three things this crate owns, so that every
//! platform behaves the same way:
//!
//! - **one error shape**, [`Error`], generic over each platform's typed
//!   errors, with a retry classification ([`ErrorClass`]) and the raw answer
//!   kept when a platform says something unexpected;
//! - **one HTTP transport**, [`Transport`]: rustls (no OpenSSL), explicit base
//!   URLs, timeouts, retries with backoff and jitter that honour server hints
//!   and never blindly resend an unsafe request, injectable [`Clock`], and
//!   traces without secrets or personal data;
//! - **validated identifiers**: [`CodiceFiscale`], [`PartitaIva`], [`Iban`],
//!   [`EuroCents`], secret types ([`ApiKey`], [`AccessToken`],
//!   [`PrivateKeyPem`]), and [`RsaSigningKey`] for the crates that sign.
//!
//! # Quick start
//!
//! ```no_run
//! use abilita_core::{ApiKey, ApiRequest, BaseUrl, CodiceFiscale, Transport};
//! use http::HeaderName;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let citizen: CodiceFiscale = "RSSMRA85T10A562S".parse()?;
//! let key = ApiKey::new(std::env::var("IO_API_KEY")?);
//!
//! let transport = Transport::builder(BaseUrl::parse("https://api.io.pagopa.it/api/v1")?).build()?;
//! let request = ApiRequest::get("/profiles/{fiscal_code}")
//!     .path_param("fiscal_code", citizen.as_str())
//!     .api_key_header(HeaderName::from_static("ocp-apim-subscription-key"), &key);
//! let response = transport.send::<std::convert::Infallible>(request).await?;
//! println!("HTTP {}", response.status());
//! # Ok(()) }
//! ```
//!
//! # Security
//!
//! What this crate guarantees:
//! - plain HTTP is refused except to loopback; redirects are not followed;
//! - secrets print as `[redacted]`, are zeroed on drop and travel only in
//!   sensitive headers; traces carry method, host, *path template*, attempt,
//!   status and latency, never the filled-in path, query, headers or bodies;
//!   `Debug` of a [`CodiceFiscale`] or [`Iban`] hides the value;
//! - response bodies are read up to a limit (16 MiB by default; 64 KiB kept
//!   in errors);
//! - a request that is not safe to repeat is resent only when the platform
//!   certainly did not act on it.
//!
//! What the caller must still do: keep keys out of source code and logs of
//! its own, and decide what to do with an [`Error`] whose
//! [`outcome`](Error::outcome) is [`RequestOutcome::Unknown`].
//!
//! # Features
//! - `xml`: [`xml::parse`], the hardened parser of every inbound XML path
//!   (SAML in abilita-spid, the Nodo's SOAP in abilita-pagopa).
//! - `test-util`: [`testing::ManualClock`], a clock whose sleeps return at
//!   once and are recorded, for tests of retry and time checks.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod clock;
mod error;
mod identifiers;
mod keys;
mod problem;
mod secret;
mod settings;
mod sync;
mod transport;
mod wire_time;

#[cfg(feature = "redis")]
pub mod redis_connection;
#[cfg(feature = "test-util")]
pub mod testing;
#[cfg(feature = "xml")]
pub mod xml;

pub use clock::{BoxFuture, Clock, SystemClock};
pub use error::{
    CallContext, Detail, Error, ErrorChain, ErrorClass, InvalidInput, Length, MAX_ERROR_BODY,
    PlatformError, RawResponse, RequestOutcome, Rule, TransportFailure, UnparseableResponse,
};
pub use identifiers::{
    CodiceFiscale, CodiceFiscaleKind, EuroCents, Iban, IdentifierError, IdentifierKind,
    InvalidReason, ItalianBban, PartitaIva, Sex, mask_codici_fiscali,
};
pub use keys::RsaSigningKey;
pub use problem::ProblemJson;
pub use secret::{AccessToken, ApiKey, PrivateKeyPem};
pub use settings::Settings;
pub use sync::lock;
pub use transport::{
    ApiRequest, ApiResponse, BaseUrl, BaseUrlError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY,
    DEFAULT_REQUEST_TIMEOUT, Decision, MAX_ATTEMPTS, Operation, RetryPolicy, Transport,
    TransportBuilder,
};
pub use wire_time::rfc3339_utc;

/// Used by [`string_identifier!`]; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}

/// Re-exported so that platform crates and applications use the same `http`
/// types as the transport.
pub use http;
