//! SPID (and CIE) login for municipalities: a SAML 2.0 Service Provider.
//!
//! **Status: in progress.** This release holds the security-critical core
//! (the narrow in-house XML signature verifier and signer), the SP
//! configuration, its signed metadata, AuthnRequests by HTTP-Redirect and
//! HTTP-POST, and Response validation. The stores for pending requests and
//! used assertions, logout, the IdP registry and web handlers are to come;
//! see the README's crate table.
//!
//! # A login, end to end
//!
//! ```no_run
//! use abilita_spid::dsig::TrustedKey;
//! use abilita_spid::{
//!     AuthnOptions, Comparison, DEFAULT_CLOCK_SKEW, Expectations, PendingRequest,
//!     ResponseError, ServiceProvider, SpidLevel,
//! };
//! use time::OffsetDateTime;
//!
//! /// The login button: send the citizen to the IdP, keep what was asked.
//! fn login(sp: &ServiceProvider, idp_sso_url: &str, idp_entity_id: &str) -> (String, PendingRequest) {
//!     let options = AuthnOptions { level: SpidLevel::L2, comparison: Comparison::Minimum, attribute_set: 0 };
//!     let request = sp.authn_request(idp_sso_url, &options, OffsetDateTime::now_utc());
//!     // Store `pending` under the request id, once; it must come back only once.
//!     (sp.redirect_url(&request, "opaque-state"), request.pending(idp_entity_id))
//! }
//!
//! /// The ACS: the form field `SAMLResponse`, checked against the stored request.
//! fn acs(sp: &ServiceProvider, saml_response: &str, pending: &PendingRequest, idp_keys: &[TrustedKey]) {
//!     let expect = Expectations {
//!         request: pending,
//!         idp_keys,
//!         now: OffsetDateTime::now_utc(),
//!         clock_skew: DEFAULT_CLOCK_SKEW,
//!     };
//!     match sp.validate_response(saml_response, &expect) {
//!         Ok(identity) => println!("welcome {:?}", identity.attributes.fiscal_number),
//!         // AgID's message must be shown to the citizen as it is.
//!         Err(ResponseError::Anomaly(anomaly)) => println!("{}", anomaly.message()),
//!         Err(refused) => println!("login refused: {refused}"),
//!     }
//! }
//! ```
//!
//! The design (ARCHITECTURE.md, "Security-critical core"): parse once with
//! `roxmltree` (no DTD, size, node and depth limits); exclusive c14n only;
//! enveloped signatures only; RSA-SHA256/384/512 and ECDSA-SHA256/384/512
//! only; keys only from trusted metadata, never from the document's KeyInfo;
//! and the caller asks whether *a given element* is signed, so the element
//! whose fields are read is the very node whose digest was verified, which
//! defeats signature wrapping.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod attributes;
mod authn;
mod config;
pub mod dsig;
mod metadata;
mod response;
pub mod xml;

pub use attributes::SpidAttribute;
pub use authn::{AuthnOptions, AuthnRequest, Comparison};
pub use config::{
    AttributeSet, Billing, ConfigRule, Contact, Organization, ServiceProvider, SpidLevel,
};
pub use response::{
    Attributes, DEFAULT_CLOCK_SKEW, Expectations, Identity, PendingRequest, ResponseError,
    UserAnomaly,
};
