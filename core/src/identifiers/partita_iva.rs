//! The partita IVA (VAT number): 11 digits with a check digit.

use super::check::{ascii, eleven_digits};
use super::{IdentifierError, IdentifierKind};
use crate::string_identifier;

const KIND: IdentifierKind = IdentifierKind::PartitaIva;

/// Official test values that fail the check digit and are accepted only
/// through [`PartitaIva::from_official_test_value`]. Each line names its source.
const OFFICIAL_TEST_VALUES: &[&str] = &[
    // pagoPA's fictitious creditor institution (and broker) in UAT, served by
    // pagoPA's mock EC (pagoPA SANP examples, pagopa-mock-ec README).
    "77777777777",
    // The PSP of pagoPA's SANP examples and flow ids.
    "88888888888",
];

/// An Italian partita IVA, also the form of a legal entity's codice fiscale
/// (a municipality's fiscal code, a pagoPA creditor's id).
///
/// ```
/// use abilita_core::PartitaIva;
///
/// assert!(PartitaIva::new("99999000013").is_ok());
/// assert!(PartitaIva::new("77777777777").is_err());
/// assert!(PartitaIva::from_official_test_value("77777777777").is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitaIva(String);

impl PartitaIva {
    /// Checks and wraps a partita IVA: 11 digits, the last one the check
    /// digit of the first ten. The office code (digits 8–10) is not checked:
    /// the Agenzia delle Entrate adds codes over time.
    ///
    /// # Errors
    /// An [`IdentifierError`] naming the first problem found.
    pub fn new(input: &str) -> Result<Self, IdentifierError> {
        let code = ascii(KIND, input)?;
        if code.len() != 11 {
            return Err(IdentifierError::Length {
                kind: KIND,
                expected: "11",
                found: code.len(),
            });
        }
        eleven_digits(KIND, code)?;
        Ok(Self(input.to_owned()))
    }

    /// Accepts one of the platforms' official test values that fail the check
    /// digit, and nothing else: pagoPA's test creditor `77777777777` and
    /// test PSP `88888888888`. Valid numbers are accepted too.
    ///
    /// # Errors
    /// The error of [`PartitaIva::new`] when `input` is neither valid nor a
    /// listed test value.
    pub fn from_official_test_value(input: &str) -> Result<Self, IdentifierError> {
        if OFFICIAL_TEST_VALUES.contains(&input) {
            return Ok(Self(input.to_owned()));
        }
        Self::new(input)
    }

    /// The 11 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The check digit (the last one).
    #[must_use]
    pub fn check_digit(&self) -> char {
        self.0.chars().last().unwrap_or_default()
    }
}

string_identifier!(PartitaIva);
