//! SPID (and CIE) login for municipalities: a SAML 2.0 Service Provider.
//!
//! The security-critical core (the narrow in-house XML signature verifier
//! and signer), the SP configuration and its signed metadata,
//! AuthnRequests by HTTP-Redirect and HTTP-POST, Response validation, the
//! login state (pending logins, replayed assertions), the IdP registry,
//! Single Logout both ways, and framework-neutral endpoints ([`web`]). The
//! example SP built on them passes AgID's conformance tool (spid-sp-test)
//! with no failed check, and its messages are valid against the SPID and SAML
//! schemas.
//!
//! The [`web::SpidEndpoints`] serve a whole SP; the pieces below are for an
//! app that wires its own routes.
//!
//! # A login, end to end
//!
//! ```no_run
//! use abilita_spid::registry::IdpRegistry;
//! use abilita_spid::state::{MemoryPendingStore, MemoryReplayCache, ReturnPath, StoreError};
//! use abilita_spid::{
//!     AcsForm, AuthnOptions, Comparison, DEFAULT_CLOCK_SKEW, IdpTarget, LoginError,
//!     ResponseError, ServiceProvider, SpidLevel,
//! };
//! use time::OffsetDateTime;
//!
//! struct App {
//!     sp: ServiceProvider,
//!     pending: MemoryPendingStore,
//!     replay: MemoryReplayCache,
//!     /// Filled from AgID's aggregate (`IdpRegistry::fetch_aggregate`).
//!     idps: IdpRegistry,
//! }
//!
//! impl App {
//!     /// `/login?idp=…`: the URL to redirect the citizen to.
//!     async fn login(&self, entity_id: &str, back_to: &str) -> Result<Option<String>, StoreError> {
//!         let Some(sso_url) = self.idps.get(entity_id).and_then(|idp| idp.sso_redirect.as_deref()) else {
//!             return Ok(None);
//!         };
//!         let idp = IdpTarget { entity_id, sso_url };
//!         let options = AuthnOptions { level: SpidLevel::L2, comparison: Comparison::Minimum, attribute_set: 0 };
//!         // A path of this site only: never an open redirect.
//!         let return_path = ReturnPath::new(back_to).unwrap_or_default();
//!         let now = OffsetDateTime::now_utc();
//!         self.sp.start_login(&self.pending, idp, &options, return_path, now).await.map(Some)
//!     }
//!
//!     /// `/acs`: the posted form, checked with the keys of the IdP the login went to.
//!     async fn acs(&self, form: AcsForm<'_>) -> String {
//!         let now = OffsetDateTime::now_utc();
//!         let keys = |entity_id: &str| self.idps.keys_of(entity_id);
//!         let outcome = self.sp.finish_login(form, &self.pending, &self.replay, &keys, now, DEFAULT_CLOCK_SKEW);
//!         match outcome.await {
//!             Ok(login) => format!("welcome; go to {}", login.return_path.as_str()),
//!             // AgID's message must be shown to the citizen as it is.
//!             Err(LoginError::Response(ResponseError::Anomaly(anomaly))) => anomaly.message().to_owned(),
//!             Err(refused) => format!("login refused: {refused}"),
//!         }
//!     }
//! }
//! ```
//!
//! The design (ARCHITECTURE.md, "Security-critical core"): parse once with
//! `roxmltree` (no DTD; size, node, depth and start-tag limits, the last
//! checked before parsing because roxmltree's time grows with their square);
//! exclusive c14n only; enveloped signatures only; RSA-SHA256/384/512 and
//! ECDSA-SHA256/384/512 only; keys only from trusted metadata, never from
//! the document's KeyInfo;
//! and the caller asks whether *a given element* is signed, so the element
//! whose fields are read is the very node whose digest was verified, which
//! defeats signature wrapping.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod attributes;
mod authn;
mod config;
pub mod dsig;
mod login;
mod logout;
mod metadata;
pub mod registry;
mod response;
mod signing_key;
pub mod state;
pub mod web;
pub mod xml;

pub use attributes::SpidAttribute;
pub use authn::{AuthnOptions, AuthnRequest, Comparison};
pub use config::{
    AttributeSet, Billing, ConfigRule, Contact, Organization, ServiceProvider, SpidLevel,
};
pub use login::{AcsForm, IdpTarget, Login, LoginError};
pub use logout::{IdpLogoutRequest, LogoutRequest, LogoutResponse, LogoutStatus, PendingLogout};
pub use response::{
    Attributes, DEFAULT_CLOCK_SKEW, Expectations, Identity, PendingRequest, ResponseError,
    UserAnomaly,
};
pub use signing_key::SigningKey;
