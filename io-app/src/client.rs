//! The services API of App IO: profiles and messages, with a service's key.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use abilita_core::http::{HeaderMap, HeaderName};
use abilita_core::{
    ApiKey, ApiRequest, ApiResponse, BaseUrl, BoxFuture, Decision, Error, IdentifierError,
    IdentifierKind, InvalidInput, Operation, RequestOutcome, RetryPolicy, Rule, Settings,
    Transport, TransportBuilder,
};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Deserialize;

use crate::error::IoError;
use crate::model::{MessageState, NewMessage, Profile, Recipient};

/// App IO's production base URL.
pub const PRODUCTION_URL: &str = "https://api.io.pagopa.it/api/v1";

/// The subscription-key header of IO's gateway.
pub(crate) const KEY_HEADER: HeaderName = HeaderName::from_static("ocp-apim-subscription-key");
/// The header in which IO's gateway names the wait after a 429.
pub const RETRY_AFTER_HEADER: HeaderName = HeaderName::from_static("x-rate-limit-retry-after");
/// The header in which IO's gateway counts the calls left in the window.
pub const REMAINING_HEADER: HeaderName = HeaderName::from_static("x-rate-limit-remaining");

/// App IO's name in errors.
pub(crate) const PLATFORM: &str = "App IO";

/// The setting that chooses IO: `production` or a base URL (a simulator's).
pub const SETTING_URL: &str = "ABILITA_IO_URL";
/// The setting of a service's primary key.
pub const SETTING_API_KEY: &str = "ABILITA_IO_API_KEY";
/// The setting of a service's secondary key (optional).
pub const SETTING_API_KEY_SECONDARY: &str = "ABILITA_IO_API_KEY_SECONDARY";
/// The setting of the institution's manage key.
pub const SETTING_MANAGE_KEY: &str = "ABILITA_IO_MANAGE_KEY";

/// A transport for the IO that `settings` name in [`SETTING_URL`].
pub(crate) fn transport_from(settings: &Settings) -> Result<Transport, Error> {
    let url = match settings.required(SETTING_URL)?.as_str() {
        "production" => PRODUCTION_URL.to_owned(),
        url => url.to_owned(),
    };
    transport_builder(&url)
        .map_err(|_| {
            InvalidInput::new(
                SETTING_URL,
                Rule("production, or an https:// (or loopback) URL"),
            )
        })?
        .build()
}

/// IO's retry rules: four attempts a call (a bulk run used to make as many
/// itself), backoff from 500 ms, waits up to 10 s or as IO's
/// `x-rate-limit-retry-after` says. Change IO's retries in one place:
/// [`transport_builder`] applies them, `retry_policy` on the builder
/// replaces them.
#[must_use]
pub fn default_retry_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(500))
}

/// A transport builder set up for IO: its 429 wait header is honoured,
/// errors name App IO, and IO's [`default_retry_policy`] applies. Start
/// from it to change timeouts, retries or the clock.
///
/// # Errors
/// For a base URL that is not HTTPS (or loopback).
pub fn transport_builder(base_url: &str) -> Result<TransportBuilder, Error> {
    Ok(Transport::builder(BaseUrl::parse(base_url)?)
        .platform(PLATFORM)
        .retry_policy(default_retry_policy())
        .retry_hint_header(RETRY_AFTER_HEADER))
}

/// IO counts its rate limit per institution, over all of its services and
/// keys: 150 requests per 5 seconds by default (250 for some accounts). One
/// limiter, cloned into every client of the institution, keeps them all
/// under it, so the gateway's 429s stay the exception.
///
/// [`InstitutionRateLimit::new`] lives in one process. An institution that
/// sends from several processes (workers, replicas) shares one budget with
/// [`InstitutionRateLimit::redis`] (feature `redis`).
#[derive(Debug, Clone)]
pub struct InstitutionRateLimit(Backend);

#[derive(Debug, Clone)]
enum Backend {
    Local(Arc<DefaultDirectRateLimiter>),
    #[cfg(feature = "redis")]
    Redis(Arc<crate::shared_limit::RedisRateLimit>),
}

impl InstitutionRateLimit {
    /// `requests` per `period`, with bursts of up to `requests`.
    #[must_use]
    pub fn new(requests: NonZeroU32, period: Duration) -> Self {
        let quota = Quota::with_period(period / requests.get()).map_or_else(
            || Quota::per_second(requests),
            |quota| quota.allow_burst(requests),
        );
        Self(Backend::Local(Arc::new(RateLimiter::direct(quota))))
    }

    /// IO's default: 150 requests per 5 seconds.
    #[must_use]
    pub fn io_default() -> Self {
        Self::new(NonZeroU32::MIN.saturating_add(149), Duration::from_secs(5))
    }

    /// At most `requests` in any `period`, counted in Redis at `url` for
    /// the institution `institution` (its fiscal code), so that every
    /// process that sends for it shares one budget. Leave a margin for the
    /// network: IO counts when a request arrives, so `150` per `5.1 s`
    /// keeps under IO's 150 per 5 seconds.
    ///
    /// # Errors
    /// The URL is not one, or Redis cannot be reached now (a deployment
    /// learns at start-up).
    #[cfg(feature = "redis")]
    pub async fn redis(
        url: &str,
        institution: &str,
        requests: NonZeroU32,
        period: Duration,
    ) -> Result<Self, crate::shared_limit::SharedLimitError> {
        let shared =
            crate::shared_limit::RedisRateLimit::connect(url, institution, requests, period)
                .await?;
        Ok(Self(Backend::Redis(Arc::new(shared))))
    }

    /// Waits for a permit. A shared limit whose store fails refuses the
    /// request (not sent, so safe to retry) rather than send over budget.
    pub(crate) async fn wait(&self) -> Result<(), Error<IoError>> {
        match &self.0 {
            Backend::Local(limiter) => {
                limiter.until_ready().await;
                Ok(())
            }
            #[cfg(feature = "redis")]
            Backend::Redis(shared) => shared
                .acquire()
                .await
                .map_err(|e| Error::Dispatch(abilita_core::TransportFailure::not_sent(e))),
        }
    }
}

/// A service's keys. Both are valid at once; the secondary is used when the
/// primary is refused, which keeps sending through a key regeneration.
#[derive(Debug, Clone)]
pub struct ServiceKeys {
    primary: ApiKey,
    secondary: Option<ApiKey>,
}

impl ServiceKeys {
    /// The primary key, and the secondary if known.
    #[must_use]
    pub fn new(primary: ApiKey, secondary: Option<ApiKey>) -> Self {
        Self { primary, secondary }
    }
}

const MESSAGE_ID: IdentifierKind = IdentifierKind::Platform("message id");

/// The id IO gave a message (a ULID).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(transparent)]
pub struct MessageId(String);

impl MessageId {
    /// Wraps an id read back from storage (a bulk journal, a database).
    ///
    /// # Errors
    /// For an empty id, or one with a character IO's ids (ULIDs, in
    /// Crockford's base 32) never have: it would make a path no operation
    /// of the API has.
    pub fn new(id: impl Into<String>) -> Result<Self, IdentifierError> {
        let id = id.into();
        if let Some((i, found)) = id
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_alphanumeric())
        {
            return Err(IdentifierError::Character {
                kind: MESSAGE_ID,
                position: i + 1,
                found,
                expected: "a letter or a digit",
            });
        }
        if id.is_empty() {
            return Err(IdentifierError::Length {
                kind: MESSAGE_ID,
                expected: "at least 1",
                found: 0,
            });
        }
        Ok(Self(id))
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a citizen can receive a service's messages ([`IoClient::reach`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reach {
    /// Yes.
    Reachable,
    /// The citizen has no IO profile, or the inbox off.
    NotOnIo,
    /// The citizen blocked this service (`sender_allowed: false`).
    ServiceBlocked,
    /// The service is in sandbox and the citizen is not among its
    /// authorized recipients.
    OutsideSandbox,
}

impl Reach {
    /// The plain answer.
    #[must_use]
    pub fn is_reachable(self) -> bool {
        self == Self::Reachable
    }

    /// Why not, in Italian, for an operator's screen (`None` when
    /// reachable).
    #[must_use]
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Self::Reachable => None,
            Self::NotOnIo => Some("il cittadino non usa IO o ha disattivato i messaggi"),
            Self::ServiceBlocked => Some("il cittadino ha bloccato questo servizio"),
            Self::OutsideSandbox => {
                Some("il servizio è in prova e il cittadino non è tra i destinatari autorizzati")
            }
        }
    }
}

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client of IO's services API for one service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct IoClient {
    transport: Transport,
    // Shared so that a clone per bulk row copies no secret.
    keys: Arc<ServiceKeys>,
    limit: Option<InstitutionRateLimit>,
    remaining: Arc<AtomicI64>,
}

/// `remaining` before any answer carried the header.
const UNKNOWN_REMAINING: i64 = -1;

#[derive(Deserialize)]
struct Created {
    id: MessageId,
}

impl IoClient {
    /// A client of IO production for a service.
    ///
    /// # Errors
    /// If the HTTP stack cannot be set up.
    pub fn production(
        keys: ServiceKeys,
        limit: Option<InstitutionRateLimit>,
    ) -> Result<Self, Error> {
        Ok(Self::from_transport(
            transport_builder(PRODUCTION_URL)?.build()?,
            keys,
            limit,
        ))
    }

    /// A client of a service from named settings (the environment, a file
    /// section, or a simulator's: see [`Settings`]):
    ///
    /// | setting | value |
    /// |---|---|
    /// | `ABILITA_IO_URL` | `production`, or a base URL (a simulator's); IO has no UAT |
    /// | `ABILITA_IO_API_KEY` | the service's primary key |
    /// | `ABILITA_IO_API_KEY_SECONDARY` | its secondary key (optional: the fallback when the primary is refused) |
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the setting that is missing or bad.
    pub fn from_settings(
        settings: &Settings,
        limit: Option<InstitutionRateLimit>,
    ) -> Result<Self, Error> {
        let keys = ServiceKeys::new(
            ApiKey::new(settings.required(SETTING_API_KEY)?),
            settings
                .optional(SETTING_API_KEY_SECONDARY)
                .map(ApiKey::new),
        );
        Ok(Self::from_transport(transport_from(settings)?, keys, limit))
    }

    /// A client over a transport of the caller's (a simulator's base URL, a
    /// pinned clock); build it from [`transport_builder`] so that IO's 429
    /// wait header is honoured.
    #[must_use]
    pub fn from_transport(
        transport: Transport,
        keys: ServiceKeys,
        limit: Option<InstitutionRateLimit>,
    ) -> Self {
        Self {
            transport,
            keys: Arc::new(keys),
            limit,
            remaining: Arc::new(AtomicI64::new(UNKNOWN_REMAINING)),
        }
    }

    /// The clock of the client's transport (bulk retries wait on it).
    pub(crate) fn clock(&self) -> &Arc<dyn abilita_core::Clock> {
        self.transport.clock()
    }

    /// The calls left in the gateway's window, from the last answer
    /// (`x-rate-limit-remaining`).
    #[must_use]
    pub fn rate_limit_remaining(&self) -> Option<u32> {
        u32::try_from(self.remaining.load(Ordering::Relaxed)).ok()
    }

    /// Whether IO may deliver this service's messages to `recipient`
    /// (`POST /profiles`, which keeps the codice fiscale out of URLs).
    ///
    /// # Errors
    /// [`IoError::NotRegistered`] when the citizen has no profile or the
    /// inbox off; [`IoError::RecipientForbidden`] from a sandbox service.
    pub async fn profile(&self, recipient: &Recipient) -> Result<Profile, Error<IoError>> {
        let body = serde_json::json!({ "fiscal_code": recipient.as_str() });
        let response = self
            .send(|| {
                ApiRequest::post("/profiles")
                    .operation("read profile")
                    .json(&body)
                    .retry_safe()
            })
            .await?;
        response.json()
    }

    /// The same answer as [`profile`](Self::profile) through IO's older
    /// `GET /profiles/{fiscal_code}`, which IO's docs deprecate because it
    /// puts the codice fiscale in the URL (where proxies and gateways log
    /// it). Prefer [`profile`](Self::profile); this is here for services
    /// whose key is granted only the older operation.
    ///
    /// # Errors
    /// As [`profile`](Self::profile).
    pub async fn profile_by_path(&self, recipient: &Recipient) -> Result<Profile, Error<IoError>> {
        self.send(|| {
            ApiRequest::get("/profiles/{fiscal_code}")
                .operation("read profile")
                .path_param("fiscal_code", recipient.as_str())
        })
        .await?
        .json()
    }

    /// Can this citizen receive this service's messages? The plain answer
    /// with its reason ([`Reach`]): a citizen not on IO, with the inbox off,
    /// blocking the service, or outside a sandbox service's recipients is a
    /// `Reach`, not an error. [`profile`](Self::profile) keeps the typed
    /// error for callers who want it.
    ///
    /// # Errors
    /// What does not answer the question: a refused key, throttling, IO or
    /// the network failing.
    pub async fn reach(&self, recipient: &Recipient) -> Result<Reach, Error<IoError>> {
        match self.profile(recipient).await {
            Ok(profile) if profile.sender_allowed => Ok(Reach::Reachable),
            Ok(_) => Ok(Reach::ServiceBlocked),
            Err(error) => match error.service_error() {
                Some(IoError::NotRegistered { .. }) => Ok(Reach::NotOnIo),
                Some(IoError::RecipientForbidden { .. }) => Ok(Reach::OutsideSandbox),
                Some(IoError::SenderNotAllowed) => Ok(Reach::ServiceBlocked),
                _ => Err(error),
            },
        }
    }

    /// Sends a message (`POST /messages`) and returns its id.
    ///
    /// IO has no idempotency key, so this request is never resent after an
    /// unknown outcome: a timeout comes back as an error whose
    /// [`outcome`](Error::outcome) is `Unknown`, and the caller decides
    /// (the bulk sender reports such rows as unknown). It is resent only when
    /// it certainly did not arrive (connection refused, 429).
    ///
    /// # Errors
    /// IO's refusals as [`IoError`], and transport failures.
    pub async fn submit(&self, message: &NewMessage) -> Result<MessageId, Error<IoError>> {
        if message
            .content
            .due_date
            .is_some_and(|due| abilita_core::rfc3339_utc(due).is_none())
        {
            return Err(abilita_core::InvalidInput::new(
                "content.due_date",
                abilita_core::Rule("must fall between the years 0 and 9999 in UTC"),
            )
            .into());
        }
        let response = self
            .send(|| {
                ApiRequest::post("/messages")
                    .operation("send message")
                    .json(message)
            })
            .await?;
        Ok(response.json::<Created, IoError>()?.id)
    }

    /// A sent message and its state.
    ///
    /// # Errors
    /// [`IoError::MessageNotFound`], and the other errors of the API.
    pub async fn message(
        &self,
        recipient: &Recipient,
        id: &MessageId,
    ) -> Result<MessageState, Error<IoError>> {
        let response = self
            .send(|| {
                ApiRequest::get("/messages/{fiscal_code}/{id}")
                    .operation("read message")
                    .path_param("fiscal_code", recipient.as_str())
                    .path_param("id", id.as_str())
            })
            .await?;
        response.json()
    }

    /// Sends `build()` under the institution's limit with the primary key,
    /// and once more with the secondary if the primary is refused.
    /// Runs a call through the transport's one attempt loop (see
    /// [`IoCall`]), then keeps the gateway's count of calls left.
    pub(crate) async fn send(
        &self,
        build: impl Fn() -> ApiRequest + Send + Sync,
    ) -> Result<ApiResponse, Error<IoError>> {
        let call = IoCall {
            limit: self.limit.as_ref(),
            primary: &self.keys.primary,
            secondary: self.keys.secondary.as_ref(),
            build,
            on_secondary: AtomicBool::new(false),
        };
        let result = self.transport.call(&call).await;
        let headers = match &result {
            Ok(response) => Some(response.headers()),
            Err(error) => error.response().map(abilita_core::RawResponse::headers),
        };
        if let Some(remaining) = headers.and_then(remaining_calls) {
            self.remaining.store(remaining, Ordering::Relaxed);
        }
        result
    }
}

/// One IO call. Before each attempt it takes a permit of the institution's
/// rate limit (IO counts attempts, not calls) and puts the service's key
/// in; a 401 on the primary key, with a secondary key configured, is tried
/// again at once with the secondary (keys are rotated one at a time). A
/// 5xx that IO's own functions answered (a ProblemJson, not the gateway's
/// 502 or 504) means IO did not act: even a message send is retried then.
pub(crate) struct IoCall<'a, F> {
    pub(crate) limit: Option<&'a InstitutionRateLimit>,
    pub(crate) primary: &'a ApiKey,
    pub(crate) secondary: Option<&'a ApiKey>,
    pub(crate) build: F,
    pub(crate) on_secondary: AtomicBool,
}

impl<F: Fn() -> ApiRequest + Send + Sync> Operation<IoError> for IoCall<'_, F> {
    fn request(&self, _attempt: u32) -> BoxFuture<'_, Result<ApiRequest, Error<IoError>>> {
        Box::pin(async move {
            if let Some(limit) = self.limit {
                limit.wait().await?;
            }
            let key = match self.secondary {
                Some(secondary) if self.on_secondary.load(Ordering::Relaxed) => secondary,
                _ => self.primary,
            };
            Ok((self.build)().api_key_header(KEY_HEADER, key))
        })
    }

    fn describe(&self) -> Option<ApiRequest> {
        Some((self.build)())
    }

    fn after_failure(&self, error: &Error<IoError>, _attempt: u32) -> Decision {
        let refused = matches!(
            error,
            Error::Service {
                error: IoError::Unauthorized,
                ..
            }
        );
        if refused && self.secondary.is_some() && !self.on_secondary.swap(true, Ordering::Relaxed) {
            tracing::warn!("primary key refused: trying the secondary");
            return Decision::RetryNow;
        }
        let answered_by_io = matches!(
            error,
            Error::Service {
                error: IoError::Server { .. },
                ..
            }
        ) && error.outcome() == RequestOutcome::Answered;
        if answered_by_io {
            return Decision::NotActedOn;
        }
        Decision::Policy
    }
}

fn remaining_calls(headers: &HeaderMap) -> Option<i64> {
    headers
        .get(REMAINING_HEADER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
