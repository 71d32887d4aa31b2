//! SPID (and CIE) login for municipalities: a SAML 2.0 Service Provider.
//!
//! The security-critical core (the narrow in-house XML signature verifier
//! and signer), the SP configuration and its signed metadata,
//! AuthnRequests by HTTP-Redirect and HTTP-POST, Response validation, the
//! login state (the pending login sealed in the browser's cookie, the replay
//! cache), the IdP registry,
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
//! use abilita_spid::state::{MemoryReplayCache, ReturnPath};
//! use abilita_spid::{
//!     AcsForm, AuthnOptions, Comparison, DEFAULT_CLOCK_SKEW, IdpTarget, LoginError, LoginStart,
//!     ResponseError, ServiceProvider, SpidLevel,
//! };
//! use time::OffsetDateTime;
//!
//! struct App {
//!     /// Its `min_level` is the floor of every login.
//!     sp: ServiceProvider,
//!     replay: MemoryReplayCache,
//!     /// Filled from AgID's aggregate (`IdpRegistry::fetch_aggregate`).
//!     idps: IdpRegistry,
//! }
//!
//! impl App {
//!     /// `/login?idp=…`: redirect to `redirect_url`, setting `cookie`.
//!     fn login(&self, entity_id: &str, back_to: &str) -> Option<LoginStart> {
//!         let sso_url = self.idps.get(entity_id)?.sso_redirect.as_deref()?;
//!         let idp = IdpTarget { entity_id, sso_url };
//!         let options = AuthnOptions { level: SpidLevel::L2, comparison: Comparison::Minimum, attribute_set: 0 };
//!         // A path of this site only: never an open redirect.
//!         let return_path = ReturnPath::new(back_to).unwrap_or_default();
//!         Some(self.sp.start_login(idp, &options, return_path, OffsetDateTime::now_utc()))
//!     }
//!
//!     /// `/acs`: the posted form and the browser's login cookie.
//!     async fn acs(&self, saml_response: &str, relay_state: &str, cookie: Option<&str>) -> String {
//!         let form = AcsForm { saml_response, relay_state, login_cookie: cookie };
//!         let now = OffsetDateTime::now_utc();
//!         let keys = |entity_id: &str| self.idps.keys_of(entity_id);
//!         let outcome = self.sp.finish_login(form, &self.replay, &keys, now, DEFAULT_CLOCK_SKEW);
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
//! # Security
//! Checked here: the signatures (below), every SPID rule on the Response,
//! the SP's minimum level whatever the request said, the browser (a login
//! completes only where it started: [`cookie`]), single use of each
//! request, assertion and IdP LogoutRequest (the replay cache), and no
//! panic on any input (every instant a message carries is compared, never
//! added to). Left to the caller: keep the [`cookie::StateKey`] secret and
//! shared by the SP's instances, give them one shared
//! [`state::ReplayCache`], refresh the IdP registry from AgID, serve the SP
//! over TLS, and close sessions by IdP *and* NameID on an IdP's logout.
//!
//! The design (the repository's `ARCHITECTURE.md`, "Security-critical
//! core"): parse once with
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
// Instants, lengths and counts come from attacker-written messages: every
// operation on them is checked or saturating (`instants` says how for
// times), and this keeps it so.
#![deny(clippy::arithmetic_side_effects)]

pub mod attributes;
mod authn;
pub mod certificate;
pub mod chooser;
mod config;
pub mod cookie;
pub mod dsig;
mod instants;
mod login;
mod logout;
mod metadata;
#[cfg(feature = "redis")]
pub mod redis;
pub mod registry;
mod response;
#[cfg(feature = "axum")]
pub mod router;
pub mod session;
pub mod settings;
mod signing_key;
pub mod state;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod web;
pub mod xml;

pub use attributes::SpidAttribute;
pub use authn::{AuthnOptions, AuthnRequest, Comparison};
pub use config::{
    AggregatedParty, Aggregation, Aggregator, AggregatorActivity, AttributeSet, Billing,
    ConfigRule, Contact, Organization, ServiceProvider, SpidLevel,
};
pub use login::{AcsForm, IdpTarget, Login, LoginError, LoginStart};
pub use logout::{
    IdpLogoutRequest, LogoutError, LogoutReply, LogoutRequest, LogoutResponse, LogoutStart,
    LogoutStatus, PendingLogout,
};
pub use metadata::{CIE_ATTRIBUTES, CieContact};
pub use response::{
    Attributes, DEFAULT_CLOCK_SKEW, Expectations, Identity, InvalidAttribute, PendingRequest,
    ResponseError, UserAnomaly,
};
pub use signing_key::SigningKey;

/// The core types this crate's API takes and returns, so that depending on
/// `abilita-spid` alone is enough.
pub use abilita_core::{
    BaseUrl, CodiceFiscale, Error, ErrorChain, IdentifierError, InvalidInput, PrivateKeyPem,
    Transport,
};
