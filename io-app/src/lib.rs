//! App IO for municipalities: reach citizens on their phones with notices,
//! reminders and payment requests.
//!
//! - [`IoClient`]: a service's calls: is a citizen reachable
//!   ([`IoClient::profile`]), send a message ([`IoClient::submit`]), read its
//!   state ([`IoClient::message`]), under the institution's shared rate limit
//!   ([`InstitutionRateLimit`]), the organisation's logo; and, for the
//!   services IO grants them to, the subscriptions feed
//!   ([`subscriptions`]) and special services' activations
//!   ([`IoClient::activation`]);
//! - [`ManageClient`]: the institution's services (`/manage/services`:
//!   lifecycle, keys, logos, history, topics) and its remote-content
//!   configurations ([`remote_content`]);
//! - [`model`]: messages with IO's limits checked before any I/O (subject and
//!   body lengths counted as IO counts them, notice numbers, amounts);
//! - [`markdown`]: call-to-action buttons, and what the app will not render;
//! - [`bulk`]: a CSV to thousands of citizens, resumable without duplicates.
//!
//! # Quick start
//!
//! ```no_run
//! use abilita_core::{ApiKey, EuroCents};
//! use abilita_io::model::{Markdown, MessageContent, NewMessage, PaymentData, Recipient, Subject};
//! use abilita_io::{InstitutionRateLimit, IoClient, ServiceKeys};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = ServiceKeys::new(ApiKey::new(std::env::var("IO_PRIMARY_KEY")?), None);
//! let io = IoClient::production(keys, Some(InstitutionRateLimit::io_default()))?;
//! let citizen = Recipient::parse("STTSGT90A01H501J")?;
//! if io.profile(&citizen).await?.sender_allowed {
//!     let mut content = MessageContent::new(
//!         Subject::new("TARI 2026: avviso di pagamento")?,
//!         Markdown::new("Gentile cittadina, gentile cittadino,\n\nè disponibile l'avviso di pagamento della TARI 2026. Puoi pagarlo direttamente in app.")?,
//!     );
//!     content.payment_data = Some(PaymentData::new(EuroCents::new(12_000), "301002026000000178")?);
//!     let id = io.submit(&NewMessage { fiscal_code: citizen, content, feature_level_type: None }).await?;
//!     println!("sent {id}");
//! }
//! # Ok(()) }
//! ```
//!
//! # Security
//!
//! Keys are secret types sent only as sensitive headers; codici fiscali
//! travel in request bodies (never in URLs, except `GET
//! /messages/{fiscal_code}/{id}`, which IO defines that way) and never in
//! logs. A message whose delivery is unknown is never resent on its own.
//! The bulk journal holds codici fiscali and message ids: store it like the
//! municipality's other personal data.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod activations;
pub mod bulk;
mod client;
mod error;
mod logo;
pub mod manage;
pub mod markdown;
pub mod model;
pub mod remote_content;
#[cfg(feature = "redis")]
mod shared_limit;
pub mod subscriptions;

pub use activations::{Activation, ActivationStatus};
pub use client::{
    InstitutionRateLimit, IoClient, MessageId, PRODUCTION_URL, REMAINING_HEADER,
    RETRY_AFTER_HEADER, Reach, SETTING_API_KEY, SETTING_API_KEY_SECONDARY, SETTING_MANAGE_KEY,
    SETTING_URL, ServiceKeys, default_retry_policy, transport_builder,
};
pub use error::IoError;
pub use manage::ManageClient;
#[cfg(feature = "redis")]
pub use shared_limit::SharedLimitError;

/// The core types this crate's API takes and returns, so that depending on
/// `abilita-io` alone is enough.
pub use abilita_core::{
    ApiKey, BaseUrl, Clock, CodiceFiscale, Error, ErrorChain, EuroCents, IdentifierError,
    InvalidInput, PartitaIva, RequestOutcome, RetryPolicy, Settings, Transport, TransportBuilder,
};
