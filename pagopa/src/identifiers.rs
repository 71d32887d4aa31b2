//! pagoPA identifiers: notice number, IUV, segregation code, IUPD, taxonomy.
//!
//! Rules from SACI 3.2.1 ("Generazione dell'Identificativo Univoco di
//! Versamento"), SACI 2.0.0 (the aux-digit schemes), ISO 11649 for the RF
//! creditor reference, and SANP 3.12 for the taxonomy code (the taxonomy
//! itself: the public repository `pagopa/pagopa-taxonomy`).

use abilita_core::{IdentifierError, IdentifierKind, InvalidReason, string_identifier};

const NOTICE: IdentifierKind = IdentifierKind::Platform("notice number");
const IUV: IdentifierKind = IdentifierKind::Platform("IUV");
const SEGREGATION: IdentifierKind = IdentifierKind::Platform("segregation code");
const IUPD: IdentifierKind = IdentifierKind::Platform("IUPD");
const TAXONOMY: IdentifierKind = IdentifierKind::Platform("taxonomy code");
const CREDITOR: IdentifierKind = IdentifierKind::Platform("creditor fiscal code");

/// The largest IUV base of an aux-3 notice number: 13 digits.
pub const MAX_IUV_BASE: u64 = 9_999_999_999_999;

fn ascii_only(kind: IdentifierKind, input: &str) -> Result<(), IdentifierError> {
    match input.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        Some((i, found)) => {
            let expected = "an ASCII letter, digit or sign";
            Err(IdentifierError::Character {
                kind,
                position: i + 1,
                found,
                expected,
            })
        }
        None => Ok(()),
    }
}

fn digits_only(kind: IdentifierKind, input: &str) -> Result<(), IdentifierError> {
    match input.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, found)) => Err(IdentifierError::Character {
            kind,
            position: i + 1,
            found,
            expected: "a digit",
        }),
        None => Ok(()),
    }
}

fn exact_length(
    kind: IdentifierKind,
    input: &str,
    expected: &'static str,
    len: usize,
) -> Result<(), IdentifierError> {
    let found = input.chars().count();
    if found == len {
        Ok(())
    } else {
        Err(IdentifierError::Length {
            kind,
            expected,
            found,
        })
    }
}

/// The two check digits: the 16 leading digits mod 93 (SACI 3.2.1). Callers
/// pass ASCII digits only, and 16 digits always fit in a `u64`.
fn mod93(leading: &str) -> String {
    let value = leading
        .bytes()
        .fold(0u64, |acc, b| (acc * 10 + u64::from(b - b'0')) % 93);
    format!("{value:02}")
}

/// The notice number (*numero avviso*, NAV): the 18 digits a citizen pays
/// with, printed on the notice and encoded in its QR code.
///
/// Layout by aux digit (the first digit): `0` + application code (2) + IUV
/// base (13) + check (2); `1` + IUV (17, no check); `2` + IUV base (15) +
/// check (2); `3` + segregation code (2) + IUV base (13) + check (2). Only
/// aux 3 may be issued today (SACI 3.2.1); the others are parsed because old
/// notices still circulate. The check digits are verified, and an error says
/// which ones were expected: several published examples are wrong.
///
/// ```
/// use abilita_pagopa::{NoticeNumber, SegregationCode};
///
/// let nav: NoticeNumber = "302000100000019414".parse()?;
/// assert_eq!(nav.iuv().as_str(), "02000100000019414");
/// assert_eq!(nav.to_print_format(), "3020 0010 0000 0194 14");
///
/// let built = NoticeNumber::from_iuv_base(&"02".parse::<SegregationCode>()?, 1_000_000_194)?;
/// assert_eq!(built, nav);
///
/// // Printed in the SANP docs, with wrong check digits:
/// let wrong = "311111111112222222".parse::<NoticeNumber>().unwrap_err();
/// assert_eq!(wrong.to_string(), r#"notice number: check digits are "22", expected "47""#);
/// # Ok::<(), abilita_core::IdentifierError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoticeNumber(String);

impl NoticeNumber {
    /// Checks and wraps a notice number.
    ///
    /// # Errors
    /// Length, a non-digit, an aux digit other than 0–3, or wrong check digits.
    pub fn new(input: &str) -> Result<Self, IdentifierError> {
        exact_length(NOTICE, input, "18", 18)?;
        digits_only(NOTICE, input)?;
        let (leading, check) = input.split_at(16);
        match input.as_bytes().first() {
            Some(b'1') => {}
            Some(b'0' | b'2' | b'3') => {
                let expected = mod93(leading);
                if expected != check {
                    return Err(IdentifierError::CheckDigits {
                        kind: NOTICE,
                        expected,
                        found: check.to_owned(),
                    });
                }
            }
            _ => {
                let found = input.chars().next().unwrap_or_default();
                let expected = "an aux digit 0, 1, 2 or 3";
                return Err(IdentifierError::Character {
                    kind: NOTICE,
                    position: 1,
                    found,
                    expected,
                });
            }
        }
        Ok(Self(input.to_owned()))
    }

    /// Builds an aux-3 notice number from the creditor's segregation code and
    /// a 13-digit IUV base, computing the check digits.
    ///
    /// # Errors
    /// When `base` has more than 13 digits.
    pub fn from_iuv_base(
        segregation: &SegregationCode,
        base: u64,
    ) -> Result<Self, IdentifierError> {
        if base > MAX_IUV_BASE {
            return Err(IdentifierError::Length {
                kind: NOTICE,
                expected: "at most 13 digits of IUV base",
                found: base.to_string().len(),
            });
        }
        Self::from_iuv_base_digits(segregation, &format!("{base:013}"))
    }

    /// As [`from_iuv_base`](Self::from_iuv_base), from the IUV base as its
    /// 13 digits (leading zeros included), as a debt system often keeps it.
    ///
    /// # Errors
    /// Another length than 13, or a non-digit.
    pub fn from_iuv_base_digits(
        segregation: &SegregationCode,
        base: &str,
    ) -> Result<Self, IdentifierError> {
        const BASE: IdentifierKind = IdentifierKind::Platform("IUV base");
        exact_length(BASE, base, "13", 13)?;
        digits_only(BASE, base)?;
        let leading = format!("3{}{base}", segregation.as_str());
        let check = mod93(&leading);
        Ok(Self(leading + &check))
    }

    /// A notice number as printed on a notice (`3020 0010 0000 0194 14`) or
    /// typed at a counter: spaces, including the non-breaking ones a PDF
    /// copy brings, are dropped; then as [`new`](Self::new).
    ///
    /// # Errors
    /// As [`new`](Self::new), on the digits without spaces.
    pub fn from_printed(text: &str) -> Result<Self, IdentifierError> {
        let digits: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            .collect();
        Self::new(&digits)
    }

    /// The application code of an aux-0 notice number.
    #[must_use]
    pub fn application_code(&self) -> Option<&str> {
        (self.aux_digit() == 0).then(|| self.0.get(1..3).unwrap_or_default())
    }

    /// The IUV base: 13 digits for aux 0 and 3, 15 for aux 2; aux 1 IUVs
    /// have no base and no check digits.
    #[must_use]
    pub fn iuv_base(&self) -> Option<&str> {
        match self.aux_digit() {
            0 | 3 => self.0.get(3..16),
            2 => self.0.get(1..16),
            _ => None,
        }
    }

    /// The two check digits (aux 0, 2 and 3).
    #[must_use]
    pub fn check_digits(&self) -> Option<&str> {
        (self.aux_digit() != 1).then(|| self.0.get(16..).unwrap_or_default())
    }

    /// The 18 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The aux digit, 0 to 3.
    #[must_use]
    pub fn aux_digit(&self) -> u8 {
        self.0.as_bytes().first().map_or(0, |b| b - b'0')
    }

    /// The segregation code of an aux-3 notice number.
    #[must_use]
    pub fn segregation_code(&self) -> Option<SegregationCode> {
        (self.aux_digit() == 3)
            .then(|| SegregationCode(self.0.get(1..3).unwrap_or_default().to_owned()))
    }

    /// The IUV it carries: the last 15 digits for aux 0, else the last 17.
    #[must_use]
    pub fn iuv(&self) -> Iuv {
        let start = if self.aux_digit() == 0 { 3 } else { 1 };
        Iuv(self.0.get(start..).unwrap_or_default().to_owned())
    }

    /// The print form, in groups of four (`3020 0010 0000 0194 14`).
    #[must_use]
    pub fn to_print_format(&self) -> String {
        group_by_four(&self.0)
    }
}

string_identifier!(NoticeNumber);

/// The creditor institution's fiscal code as pagoPA carries it
/// (`idPA`, `stFiscalCodePA`, the QR's creditor field): 11 digits.
///
/// Many public bodies' fiscal codes are not valid partite IVA (they were
/// given as fiscal codes, without a VAT position), and the platform's
/// schema accepts any 11 digits, so this is all [`new`](Self::new) asks;
/// [`new_strict`](Self::new_strict) also requires the partita IVA check
/// digit, for callers who know theirs has one.
///
/// ```
/// use abilita_pagopa::CreditorCode;
///
/// // A municipality's fiscal code whose last digit is not a VAT check digit.
/// let code: CreditorCode = "80012345678".parse()?;
/// assert!(CreditorCode::new_strict("80012345678").is_err());
/// assert_eq!(code.as_str(), "80012345678");
/// # Ok::<(), abilita_core::IdentifierError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditorCode(String);

impl CreditorCode {
    /// Checks and wraps 11 digits.
    ///
    /// # Errors
    /// Another length, or a non-digit.
    pub fn new(input: &str) -> Result<Self, IdentifierError> {
        exact_length(CREDITOR, input, "11", 11)?;
        digits_only(CREDITOR, input)?;
        Ok(Self(input.to_owned()))
    }

    /// As [`new`](Self::new), and the last digit must be the partita IVA
    /// check digit.
    ///
    /// # Errors
    /// As [`new`](Self::new), or the partita IVA's own error.
    pub fn new_strict(input: &str) -> Result<Self, IdentifierError> {
        let code = Self::new(input)?;
        abilita_core::PartitaIva::new(input)?;
        Ok(code)
    }

    /// The 11 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_identifier!(CreditorCode);

impl From<abilita_core::PartitaIva> for CreditorCode {
    fn from(partita_iva: abilita_core::PartitaIva) -> Self {
        Self(partita_iva.as_str().to_owned())
    }
}

impl From<&abilita_core::PartitaIva> for CreditorCode {
    fn from(partita_iva: &abilita_core::PartitaIva) -> Self {
        Self(partita_iva.as_str().to_owned())
    }
}

pub(crate) fn group_by_four(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for (i, c) in text.chars().enumerate() {
        if i > 0 && i.is_multiple_of(4) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The IUV (*Identificativo Univoco di Versamento*), which identifies a
/// payment within its creditor: 15 or 17 digits (the numeric forms carried by
/// notice numbers), or an ISO 11649 creditor reference (`RF` + 2 check
/// digits + up to 21 letters or digits) from legacy EC-initiated payments.
/// The RF form is stored upper case, its check digits verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iuv(String);

impl Iuv {
    /// Checks and wraps an IUV.
    ///
    /// # Errors
    /// An [`IdentifierError`] naming the problem.
    pub fn new(input: &str) -> Result<Self, IdentifierError> {
        if input.len() >= 2 && input.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("RF")) {
            return Self::creditor_reference(input);
        }
        digits_only(IUV, input)?;
        match input.len() {
            15 | 17 => Ok(Self(input.to_owned())),
            found => Err(IdentifierError::Length {
                kind: IUV,
                expected: "15 or 17 digits, or RF + up to 23",
                found,
            }),
        }
    }

    fn creditor_reference(input: &str) -> Result<Self, IdentifierError> {
        ascii_only(IUV, input)?;
        let upper = input.to_ascii_uppercase();
        if let Some((i, found)) = upper
            .chars()
            .enumerate()
            .find(|&(i, c)| !(c.is_ascii_digit() || (i >= 4 && c.is_ascii_uppercase()) || (i < 2)))
        {
            let expected = if i < 4 {
                "a check digit"
            } else {
                "a letter or digit"
            };
            return Err(IdentifierError::Character {
                kind: IUV,
                position: i + 1,
                found,
                expected,
            });
        }
        if !(5..=25).contains(&upper.len()) {
            return Err(IdentifierError::Length {
                kind: IUV,
                expected: "5 to 25 (RF form)",
                found: upper.len(),
            });
        }
        let (check, reference) = (
            upper.get(2..4).unwrap_or_default(),
            upper.get(4..).unwrap_or_default(),
        );
        let expected = rf_check_digits(reference);
        if expected != check {
            return Err(IdentifierError::CheckDigits {
                kind: IUV,
                expected,
                found: check.to_owned(),
            });
        }
        Ok(Self(upper))
    }

    /// Builds the ISO 11649 creditor reference of `reference` (1 to 21
    /// letters or digits): `RF` + check digits + reference.
    ///
    /// # Errors
    /// When `reference` is empty, too long, or not alphanumeric.
    pub fn creditor_reference_for(reference: &str) -> Result<Self, IdentifierError> {
        Self::creditor_reference(&format!(
            "RF{}{reference}",
            rf_check_digits(&reference.to_ascii_uppercase())
        ))
    }

    /// The IUV.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is an ISO 11649 creditor reference (`RF…`).
    #[must_use]
    pub fn is_creditor_reference(&self) -> bool {
        self.0.starts_with("RF")
    }
}

string_identifier!(Iuv);

/// ISO 11649: letters as 10–35, append `RF00` as `271500`, check = 98 − n mod 97.
fn rf_check_digits(reference: &str) -> String {
    let remainder = reference
        .chars()
        .chain("RF00".chars())
        .filter_map(|c| c.to_digit(36))
        .fold(0u32, |acc, v| {
            if v < 10 {
                (acc * 10 + v) % 97
            } else {
                (acc * 100 + v) % 97
            }
        });
    format!("{:02}", 98 - remainder)
}

/// The creditor's segregation code: two digits assigned to a partner, which
/// GPD checks against the caller's subscription (SACI 3.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegregationCode(String);

impl SegregationCode {
    /// Checks and wraps a segregation code.
    ///
    /// # Errors
    /// Anything but two digits.
    pub fn new(input: &str) -> Result<Self, IdentifierError> {
        exact_length(SEGREGATION, input, "2", 2)?;
        digits_only(SEGREGATION, input)?;
        Ok(Self(input.to_owned()))
    }

    /// The segregation code `number` (0 to 99), as the intermediary
    /// assigned it.
    ///
    /// # Errors
    /// A number over 99.
    pub fn from_number(number: u8) -> Result<Self, IdentifierError> {
        if number > 99 {
            return Err(IdentifierError::Invalid {
                kind: SEGREGATION,
                reason: InvalidReason::OutOfRange,
            });
        }
        Ok(Self(format!("{number:02}")))
    }

    /// The two digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_identifier!(SegregationCode);

/// The largest IUPD accepted. The GPD specs give no limit; this bound keeps
/// a hostile or mistaken value from travelling into URLs and logs.
pub const MAX_IUPD_LEN: usize = 256;

/// The creditor's own id of a debt position (IUPD), unique per creditor;
/// GPD suggests `<creditor fiscal code>-<UUID>`. Allowed: letters, digits,
/// `_`, `*`, `-` and spaces (GPD's path pattern `[\w*\h-]+`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iupd(String);

impl Iupd {
    /// Checks and wraps an IUPD.
    ///
    /// # Errors
    /// Empty, longer than [`MAX_IUPD_LEN`], or a character GPD refuses.
    pub fn new(input: &str) -> Result<Self, IdentifierError> {
        let found = input.chars().count();
        if found == 0 || found > MAX_IUPD_LEN {
            return Err(IdentifierError::Length {
                kind: IUPD,
                expected: "1 to 256",
                found,
            });
        }
        let allowed =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '*' | '-' | ' ' | '\t');
        if let Some((i, found)) = input.chars().enumerate().find(|&(_, c)| !allowed(c)) {
            let expected = "a letter, digit, `_`, `*`, `-` or space";
            return Err(IdentifierError::Character {
                kind: IUPD,
                position: i + 1,
                found,
                expected,
            });
        }
        Ok(Self(input.to_owned()))
    }

    /// The IUPD.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_identifier!(Iupd);

/// A service's taxonomy code (*dati specifici di incasso*), such as
/// `9/0101100IM/`: prefix `6/`–`9/` (6, 7 and 8 opt out of SEPA
/// Request-To-Pay), creditor type (2 digits), macro-area (2), service type
/// (3), and reason `IM`, `TS`, `SP`, `SA` or `AP`, then `/` (SANP 3.12
/// "Tassonomia dei servizi di incasso").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxonomyCode(String);

impl TaxonomyCode {
    /// Checks and wraps a taxonomy code.
    ///
    /// # Errors
    /// An [`IdentifierError`] naming the first wrong character.
    pub fn new(input: &str) -> Result<Self, IdentifierError> {
        ascii_only(TAXONOMY, input)?;
        exact_length(TAXONOMY, input, "12", 12)?;
        let bytes = input.as_bytes();
        let reason = input.get(9..11).unwrap_or_default();
        let ok_at = |i: usize, b: u8| match i {
            0 => (b'6'..=b'9').contains(&b),
            1 | 11 => b == b'/',
            2..=8 => b.is_ascii_digit(),
            _ => ["IM", "TS", "SP", "SA", "AP"].contains(&reason),
        };
        if let Some((i, &b)) = bytes.iter().enumerate().find(|&(i, &b)| !ok_at(i, b)) {
            let expected = match i {
                0 => "a prefix 6, 7, 8 or 9",
                1 | 11 => "`/`",
                2..=8 => "a digit",
                _ => "a reason IM, TS, SP, SA or AP",
            };
            return Err(IdentifierError::Character {
                kind: TAXONOMY,
                position: i + 1,
                found: char::from(b),
                expected,
            });
        }
        Ok(Self(input.to_owned()))
    }

    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the prefix opts the payment out of SEPA Request-To-Pay.
    #[must_use]
    pub fn opts_out_of_request_to_pay(&self) -> bool {
        !self.0.starts_with('9')
    }
}

string_identifier!(TaxonomyCode);
