//! ANPR, the national resident registry, for municipalities: its e-services
//! reached through PDND with the signed tokens every call needs.
//!
//! A consultation takes four signed or hashed parts, in a fixed order, and
//! integrators most often fail on the audience, the digests or the clocks;
//! this crate builds them all from one configuration:
//!
//! 1. `Agid-JWT-TrackingEvidence` (AUDIT_REST_02): who acts, for what;
//! 2. a PDND client assertion whose `digest` is the hex SHA-256 of (1),
//!    exchanged for a voucher;
//! 3. `Digest`: base64 SHA-256 of the exact body bytes sent;
//! 4. `Agid-JWT-Signature` (INTEGRITY_REST_02) over (3) and the content type.
//!
//! The ModI audience is derived per service without `-PDND` and without the
//! operation; `iat` is back-dated by a margin (5 s) because the gateway
//! refuses tokens "created in the future".
//!
//! # Quick start
//!
//! ```no_run
//! use abilita_anpr::{AnprClient, AnprConfig, AuditIdentity, EService, Endpoints, Query, Subject};
//! use abilita_core::{CodiceFiscale, PrivateKeyPem};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = AnprConfig::new(
//!     Endpoints::uat(),
//!     &std::env::var("PDND_CLIENT_ID")?,
//!     &std::env::var("PDND_KID")?,
//!     PrivateKeyPem::new(std::fs::read_to_string("pdnd-client.key")?),
//!     AuditIdentity::new("operatore.42", "Ufficio Anagrafe", "SpidL2")?,
//! )?
//! .purpose(EService::C030IdUnicoNazionale, &std::env::var("PURPOSE_C030")?)?
//! .purpose(EService::C020Residenza, &std::env::var("PURPOSE_C020")?)?;
//! let anpr = AnprClient::new(config)?;
//! let query = Query::new("PROT.2026.12345", time::OffsetDateTime::now_utc().date());
//! let id = anpr.id_anpr(&CodiceFiscale::new("STTSGT90A01H501J")?, &query).await?.value;
//! if let Some(id) = id {
//!     let residence = anpr.residence(&Subject::IdAnpr(id), &query).await?;
//!     println!("{:?}", residence.value);
//! }
//! # Ok(()) }
//! ```
//!
//! # Verifying a self-declaration
//!
//! The *verifica* services answer yes or no per declared datum, never the
//! data ([`verification`]):
//!
//! ```no_run
//! # use abilita_anpr::{AnprClient, Query, Subject};
//! use abilita_anpr::verification::{DeclaredAddress, Declaration};
//! # async fn run(anpr: AnprClient, citizen: Subject, query: Query) -> Result<(), Box<dyn std::error::Error>> {
//! let declared = DeclaredAddress::new("VIA", "Amerigo Vespucci", "55", "00174", "Roma", "RM")?;
//! let answer = anpr.verify(&citizen, &Declaration::Residence(declared), &query).await?;
//! if !answer.value.confirmed() {
//!     println!("the declaration differs from ANPR: {:?}", answer.value.checks);
//! }
//! # Ok(()) }
//! ```
//!
//! # Security
//!
//! The private key is a secret type; tokens travel only in headers marked
//! sensitive; codici fiscali travel only in the body; nothing is logged but
//! service codes and attempt counts. Tokens are never reused (fresh `jti`
//! each), and a voucher bound to a digest is never cached.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod config;
mod error;
pub mod model;
mod modi;
mod service;
pub mod verification;
mod voucher;

pub use client::{
    ANPR, AnprClient, Answer, LifeStatus, MAX_OPERATION_ID, PDND, Query, default_retry_policy,
};
pub use config::{
    AnprConfig, AuditIdentity, ConfigRule, DEFAULT_SKEW_MARGIN, Endpoints, MAX_AUDIT_LEN,
    SETTING_ANPR_URL, SETTING_ASSERTION_AUDIENCE, SETTING_AUDIT_LOA, SETTING_AUDIT_USER_ID,
    SETTING_AUDIT_USER_LOCATION, SETTING_CLIENT_ID, SETTING_ENVIRONMENT, SETTING_INSTANCE,
    SETTING_KEY_ID, SETTING_MODI_AUDIENCE, SETTING_PRIVATE_KEY, SETTING_PRIVATE_KEY_FILE,
    SETTING_PURPOSE_PREFIX, SETTING_TOKEN_URL,
};
pub use error::AnprError;
pub use model::{BirthPlace, Identity, Sex, Subject};
pub use modi::{ModiSigner, PreparedCall, SignError, digest_header, sha256_hex};
pub use service::EService;
pub use voucher::VoucherClient;

/// The core types this crate's API takes and returns, so that depending on
/// `abilita-anpr` alone is enough.
pub use abilita_core::{
    AccessToken, BaseUrl, Clock, CodiceFiscale, Error, ErrorChain, IdentifierError, InvalidInput,
    PrivateKeyPem, RequestOutcome, RetryPolicy, Settings, Transport, TransportBuilder,
};
