//! What is printed on a payment notice: the QR code, the Poste Data Matrix
//! and the grouped notice number. People scan, they don't type.
//!
//! The QR content and symbol follow the "Guida tecnica agli avvisi di
//! pagamento" (Codice QR): `PAGOPA|002|<notice>|<creditor>|<cents>`, ISO/IEC
//! 18004 version 4 (33×33 modules), error correction M. The Data Matrix
//! string follows pagoPA's own notice generator (`pagopa-print-payment-
//! notice-generator`, `TemplateDataMapper`), 256 characters.

use std::fmt::Write as _;

use abilita_core::{EuroCents, IdentifierError, IdentifierKind, InvalidReason};
use qrcode::{EcLevel, QrCode, Version};

use crate::{CreditorCode, NoticeNumber};

/// The largest amount a notice can carry: 999 999 999,99 € (11 digits in
/// the QR code and in the SOAP amount types).
pub const MAX_NOTICE_AMOUNT: EuroCents = EuroCents::new(99_999_999_999);

/// Quiet zone around the QR symbol, in modules (ISO/IEC 18004 asks for 4).
const QUIET_ZONE: usize = 4;

/// A payable notice: what the QR code and the Data Matrix encode.
///
/// ```
/// use abilita_core::{EuroCents, PartitaIva};
/// use abilita_pagopa::PaymentNotice;
///
/// let notice = PaymentNotice::new(
///     "302000100000019414".parse()?,
///     PartitaIva::from_official_test_value("77777777777")?,
///     EuroCents::new(12_000),
/// )?;
/// assert_eq!(notice.qr_payload(), "PAGOPA|002|302000100000019414|77777777777|12000");
/// let svg = notice.qr_svg()?;
/// assert!(svg.starts_with("<?xml"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentNotice {
    notice_number: NoticeNumber,
    creditor: CreditorCode,
    amount: EuroCents,
}

/// The postal part of a notice, for the Poste Data Matrix.
#[derive(Debug, Clone, Copy)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`): the postal fields of one notice"
)]
pub struct PostalSlip<'a> {
    /// The creditor's postal account number (up to 12 digits).
    pub account: &'a str,
    /// The debtor's codice fiscale or partita IVA (up to 16 characters).
    pub debtor_fiscal_code: &'a str,
    /// The debtor's name; cut at 40 characters, as the layout allows.
    pub debtor_name: &'a str,
    /// The subject (*causale*); cut at 110 characters, as the layout allows.
    pub subject: &'a str,
}

/// Why a QR image could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The QR encoder refused the content.
    #[error("the QR code could not be encoded")]
    Qr(#[source] qrcode::types::QrError),
    /// The PNG encoder failed.
    #[error("the PNG image could not be written")]
    Png(#[source] png::EncodingError),
}

const NOTICE: IdentifierKind = IdentifierKind::Platform("payment notice");
const QR_AMOUNT: IdentifierKind = IdentifierKind::Platform("QR amount");
const POSTAL_ACCOUNT: IdentifierKind = IdentifierKind::Platform("postal account");
const DEBTOR_CODE: IdentifierKind = IdentifierKind::Platform("debtor's code");

/// Why a QR code's text is not a pagoPA notice, field by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrPayloadError {
    /// Not five `|`-separated fields.
    #[error("a pagoPA QR code has 5 fields separated by |, this has {found}")]
    Fields {
        /// How many there are.
        found: usize,
    },
    /// The first field is not `PAGOPA`.
    #[error("the QR code's identifier is not PAGOPA")]
    Identifier,
    /// The version is not `002`.
    #[error("the QR code's version is not 002")]
    Version,
    /// The notice number is wrong.
    #[error("the QR code's notice number is wrong")]
    NoticeNumber(#[source] IdentifierError),
    /// The creditor's fiscal code is wrong.
    #[error("the QR code's creditor fiscal code is wrong")]
    Creditor(#[source] IdentifierError),
    /// The amount is wrong: a character that is not a digit, a leading
    /// zero, a length outside 2 to 11 digits, zero or over the maximum
    /// (each a typed [`IdentifierError`] of kind "QR amount").
    #[error("the QR code's amount is wrong")]
    Amount(#[source] IdentifierError),
}

/// The QR code's amount field: 2 to 11 digits of cents, no leading zero
/// beyond two digits (Allegato 2: "minimo 2, massimo 11 caratteri").
fn qr_amount(field: &str) -> Result<EuroCents, IdentifierError> {
    if let Some((i, found)) = field.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(IdentifierError::Character {
            kind: QR_AMOUNT,
            position: i + 1,
            found,
            expected: "a digit",
        });
    }
    if !(2..=11).contains(&field.len()) {
        return Err(IdentifierError::Length {
            kind: QR_AMOUNT,
            expected: "2 to 11 digits",
            found: field.len(),
        });
    }
    if field.len() > 2 && field.starts_with('0') {
        return Err(IdentifierError::Character {
            kind: QR_AMOUNT,
            position: 1,
            found: '0',
            expected: "1 to 9: no leading zero beyond two digits",
        });
    }
    // At most 11 digits: always fits.
    field
        .parse()
        .map(EuroCents::new)
        .map_err(|_| IdentifierError::Invalid {
            kind: QR_AMOUNT,
            reason: InvalidReason::AboveMaximum,
        })
}

impl PaymentNotice {
    /// A notice of `amount` (1 cent to [`MAX_NOTICE_AMOUNT`]) payable to
    /// `creditor` (its [`CreditorCode`], or a
    /// [`PartitaIva`](abilita_core::PartitaIva)) with `notice_number`.
    ///
    /// # Errors
    /// When the amount is zero or over the maximum.
    pub fn new(
        notice_number: NoticeNumber,
        creditor: impl Into<CreditorCode>,
        amount: EuroCents,
    ) -> Result<Self, IdentifierError> {
        let creditor = creditor.into();
        let reason = if amount == EuroCents::ZERO {
            InvalidReason::ZeroAmount
        } else if amount > MAX_NOTICE_AMOUNT {
            InvalidReason::AboveMaximum
        } else {
            return Ok(Self {
                notice_number,
                creditor,
                amount,
            });
        };
        Err(IdentifierError::Invalid {
            kind: NOTICE,
            reason,
        })
    }

    /// The notice number.
    #[must_use]
    pub fn notice_number(&self) -> &NoticeNumber {
        &self.notice_number
    }

    /// The creditor's fiscal code.
    #[must_use]
    pub fn creditor(&self) -> &CreditorCode {
        &self.creditor
    }

    /// The amount.
    #[must_use]
    pub fn amount(&self) -> EuroCents {
        self.amount
    }

    /// The QR code's text: `PAGOPA|002|<notice>|<creditor>|<cents>`, the
    /// amount in cents, at least two digits ("minimo 2, massimo 11
    /// caratteri", Allegato 2 of the *Guida tecnica agli avvisi di
    /// pagamento*): 1 cent is `01`.
    #[must_use]
    pub fn qr_payload(&self) -> String {
        format!(
            "PAGOPA|002|{}|{}|{:02}",
            self.notice_number,
            self.creditor,
            self.amount.cents()
        )
    }

    /// The notice a scanned QR code carries: the inverse of
    /// [`qr_payload`](Self::qr_payload), for a counter desk or a
    /// reconciliation that reads printed notices. The text is taken as it
    /// is (no trimming), and only the canonical form is accepted, so that
    /// each notice has one payload.
    ///
    /// # Errors
    /// A [`QrPayloadError`] naming the field that is wrong.
    pub fn from_qr_payload(text: &str) -> Result<Self, QrPayloadError> {
        let fields: Vec<&str> = text.split('|').collect();
        let [identifier, version, notice, creditor, amount] = fields.as_slice() else {
            return Err(QrPayloadError::Fields {
                found: fields.len(),
            });
        };
        if *identifier != "PAGOPA" {
            return Err(QrPayloadError::Identifier);
        }
        if *version != "002" {
            return Err(QrPayloadError::Version);
        }
        let notice_number = NoticeNumber::new(notice).map_err(QrPayloadError::NoticeNumber)?;
        let creditor = CreditorCode::new(creditor).map_err(QrPayloadError::Creditor)?;
        let cents = qr_amount(amount).map_err(QrPayloadError::Amount)?;
        Self::new(notice_number, creditor, cents).map_err(|error| match error {
            IdentifierError::Invalid { reason, .. } => {
                QrPayloadError::Amount(IdentifierError::Invalid {
                    kind: QR_AMOUNT,
                    reason,
                })
            }
            other => QrPayloadError::Amount(other),
        })
    }

    pub(crate) fn qr_code(&self) -> Result<QrCode, RenderError> {
        QrCode::with_version(self.qr_payload(), Version::Normal(4), EcLevel::M)
            .map_err(RenderError::Qr)
    }

    /// The QR code as an SVG document (vector, as the print guide asks).
    ///
    /// # Errors
    /// Only if the encoder refuses the content, which a valid notice never is.
    pub fn qr_svg(&self) -> Result<String, RenderError> {
        Ok(self
            .qr_code()?
            .render::<qrcode::render::svg::Color<'_>>()
            .quiet_zone(true)
            .min_dimensions(264, 264)
            .build())
    }

    /// The QR code as a black-and-white PNG, `module_px` pixels a module
    /// (the print guide uses 3), with a 4-module quiet zone.
    ///
    /// # Errors
    /// If the encoders fail, which a valid notice never makes them do.
    pub fn qr_png(&self, module_px: u32) -> Result<Vec<u8>, RenderError> {
        let code = self.qr_code()?;
        let scale = usize::try_from(module_px.max(1)).unwrap_or(1);
        let modules = code.width();
        let side = (modules + 2 * QUIET_ZONE) * scale;
        let colors = code.to_colors();
        let mut pixels = vec![u8::MAX; side * side];
        for (index, color) in colors.iter().enumerate() {
            if *color != qrcode::Color::Dark {
                continue;
            }
            let (x, y) = (
                (index % modules + QUIET_ZONE) * scale,
                (index / modules + QUIET_ZONE) * scale,
            );
            for row in y..y + scale {
                if let Some(line) = pixels.get_mut(row * side + x..row * side + x + scale) {
                    line.fill(0);
                }
            }
        }
        let side = u32::try_from(side).unwrap_or(u32::MAX);
        let mut png = Vec::new();
        let mut encoder = png::Encoder::new(&mut png, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(RenderError::Png)?;
        writer.write_image_data(&pixels).map_err(RenderError::Png)?;
        writer.finish().map_err(RenderError::Png)?;
        Ok(png)
    }

    /// The 256-character Poste Data Matrix string of the postal slip
    /// (*bollettino postale PA*).
    ///
    /// # Errors
    /// When the postal account is not 1 to 12 digits, or the debtor's code is
    /// longer than 16 characters.
    pub fn poste_data_matrix(&self, slip: &PostalSlip<'_>) -> Result<String, IdentifierError> {
        let account = slip.account;
        if let Some((i, found)) = account
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_digit())
        {
            return Err(IdentifierError::Character {
                kind: POSTAL_ACCOUNT,
                position: i + 1,
                found,
                expected: "a digit",
            });
        }
        if account.is_empty() || account.len() > 12 {
            return Err(IdentifierError::Length {
                kind: POSTAL_ACCOUNT,
                expected: "1 to 12",
                found: account.len(),
            });
        }
        let debtor = slip.debtor_fiscal_code.chars().count();
        if debtor > 16 {
            return Err(IdentifierError::Length {
                kind: DEBTOR_CODE,
                expected: "at most 16",
                found: debtor,
            });
        }
        let mut out = String::with_capacity(256);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "codfase=NBPA;18{}12{account:0>12}10{:010}38961P1{}{}{}{}{}A",
            self.notice_number,
            self.amount.cents(),
            self.creditor,
            fixed(slip.debtor_fiscal_code, 16),
            fixed(slip.debtor_name, 40),
            fixed(slip.subject, 110),
            " ".repeat(12),
        );
        Ok(out)
    }
}

/// `text` cut or right-padded with spaces to `width` characters.
fn fixed(text: &str, width: usize) -> String {
    let mut out: String = text.chars().take(width).collect();
    let len = out.chars().count();
    out.extend(std::iter::repeat_n(' ', width - len));
    out
}
