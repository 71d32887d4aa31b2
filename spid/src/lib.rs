//! SPID (and CIE) login for municipalities: a SAML 2.0 Service Provider.
//!
//! **Status: in progress.** This release holds the security-critical core
//! (the narrow in-house XML signature verifier and signer), the SP
//! configuration, its signed metadata, and AuthnRequests by HTTP-Redirect
//! and HTTP-POST. Response validation beyond signatures, logout, the IdP
//! registry and web handlers are to come; see the README's crate table.
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
pub mod xml;

pub use attributes::SpidAttribute;
pub use authn::{AuthnOptions, AuthnRequest, Comparison};
pub use config::{
    AttributeSet, Billing, ConfigRule, Contact, Organization, ServiceProvider, SpidLevel,
};
