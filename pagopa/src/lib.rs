//! pagoPA for municipalities: notice numbers, QR codes and the notice as a
//! PDF, debt positions on GPD (*Gestione Posizioni Debitorie*), a station
//! for the Nodo, reporting and reconciliation, Checkout and the print
//! service.
//!
//! Most municipalities collect fees, fines and local taxes asynchronously:
//! they publish *debt positions* to pagoPA's central archive (GPD), and
//! citizens pay from any channel with the notice number or QR code. This
//! crate covers that path:
//!
//! - validated identifiers: [`NoticeNumber`] (aux 0–3 parsed, aux 3 built,
//!   mod-93 check digits), [`Iuv`] (numeric and ISO 11649 `RF`),
//!   [`SegregationCode`], [`Iupd`], [`TaxonomyCode`]; the creditor's fiscal
//!   code is [`abilita_core::PartitaIva`] (pagoPA's test creditor
//!   `77777777777` through `PartitaIva::from_official_test_value`);
//! - [`IuvGenerator`]: fresh notice numbers from a sequence the caller owns;
//! - [`PaymentNotice`]: the QR code (text, SVG, PNG), the Poste Data Matrix
//!   and the grouped notice number; [`notice_pdf::NoticePdf`]: the whole
//!   notice rendered as a PDF;
//! - [`gpd::GpdClient`]: create (safe to retry), read, list (split into the
//!   30-day windows GPD allows), update, delete, publish, invalidate, and
//!   receipts, with every GPD rule checked before any I/O and GPD's errors
//!   typed as [`gpd::GpdError`];
//! - [`station::Station`]: the SOAP service (`paForNode`) the Nodo dei
//!   Pagamenti calls on a creditor that answers it itself: verify, activate,
//!   receipts stored once, spontaneous payments, broadcast receipts, over
//!   the creditor's own database ([`station::Debts`]);
//! - [`fdr::FdrClient`] and [`reconcile`]: the PSPs' reporting flows, read
//!   once per revision with a persisted [`fdr::Cursor`], matched to the
//!   receipts to the cent;
//! - [`checkout::CheckoutClient`]: carts citizens pay on pagoPA's pages;
//! - [`print::PrintClient`]: notices rendered by pagoPA's print service.
//!
//! # Quick start
//!
//! ```
//! use abilita_core::{EuroCents, PartitaIva};
//! use abilita_pagopa::{NoticeNumber, PaymentNotice, SegregationCode};
//!
//! let nav = NoticeNumber::from_iuv_base(&SegregationCode::new("02")?, 1_000_000_194)?;
//! let notice = PaymentNotice::new(nav, PartitaIva::from_official_test_value("77777777777")?, EuroCents::new(12_000))?;
//! assert_eq!(notice.qr_payload(), "PAGOPA|002|302000100000019414|77777777777|12000");
//! let png: Vec<u8> = notice.qr_png(3)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! Checked here: identifiers and amounts before they leave; every GPD rule
//! this crate knows before a request is sent; the subscription key travels
//! only as a sensitive header and never reaches logs. Not checked: whether an
//! IBAN is registered in pagoPA's back office, and taxonomy codes against
//! the live taxonomy (GPD refuses both with [`gpd::GpdError::Validation`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod checkout;
pub mod fdr;
pub mod gpd;
mod identifiers;
mod iuv_generator;
mod notice;
pub mod notice_pdf;
pub mod print;
pub mod reconcile;
mod service;
pub mod station;
mod web_url;

pub use identifiers::{
    CreditorCode, Iupd, Iuv, MAX_IUPD_LEN, MAX_IUV_BASE, NoticeNumber, SegregationCode,
    TaxonomyCode,
};
pub use iuv_generator::{AtomicSequence, GenerateError, IuvGenerator, IuvSequence, SequenceError};
pub use notice::{MAX_NOTICE_AMOUNT, PaymentNotice, PostalSlip, QrPayloadError, RenderError};
pub use service::Environment;

/// The core types this crate's API takes and returns, so that depending on
/// `abilita-pagopa` alone is enough.
pub use abilita_core::{
    ApiKey, BaseUrl, Error, ErrorChain, EuroCents, Iban, IdentifierError, InvalidInput,
    InvalidReason, PartitaIva, RequestOutcome, RetryPolicy, Settings, Transport, TransportBuilder,
};
