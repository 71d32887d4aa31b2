//! Validated Italian identifiers shared by several platforms.
//!
//! Each is a newtype with a private field: [`new`](CodiceFiscale::new),
//! `FromStr`, `TryFrom<String>`, `TryFrom<&str>` and `Deserialize` all run the
//! same checks, and `Display`/`Serialize` give the canonical form. Bad input
//! is an [`IdentifierError`] that says what is wrong (length, the character at
//! position N, the check character expected); nothing here panics.
//!
//! Official test values that fail their own checks (pagoPA's test creditor
//! `77777777777`, IO's sandbox recipient `AAAAAA00A00A000A`) are accepted only
//! through the explicitly named `from_official_test_value` constructors, so
//! the checks stay strict for everyone else.

mod check;
mod codice_fiscale;
mod euro_cents;
mod iban;
mod partita_iva;

pub use codice_fiscale::{CodiceFiscale, CodiceFiscaleKind, Sex, mask_codici_fiscali};
pub use euro_cents::EuroCents;
pub use iban::{Iban, ItalianBban};
pub use partita_iva::PartitaIva;

use std::fmt;

/// Which identifier an [`IdentifierError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentifierKind {
    /// [`CodiceFiscale`].
    CodiceFiscale,
    /// [`PartitaIva`].
    PartitaIva,
    /// [`Iban`].
    Iban,
    /// [`EuroCents`].
    EuroCents,
    /// An identifier defined by one platform crate (a pagoPA notice number,
    /// say), by the name its messages show.
    Platform(&'static str),
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CodiceFiscale => "codice fiscale",
            Self::PartitaIva => "partita IVA",
            Self::Iban => "IBAN",
            Self::EuroCents => "amount",
            Self::Platform(name) => name,
        })
    }
}

/// What is wrong with an identifier. Positions are 1-based, as a person
/// counts them. The messages never repeat the whole value, which may be
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// Wrong number of characters.
    #[error("{kind}: expected {expected} characters, found {found}")]
    Length {
        /// The identifier.
        kind: IdentifierKind,
        /// The accepted lengths, as text ("16 or 11").
        expected: &'static str,
        /// The length found.
        found: usize,
    },
    /// A character not allowed at its position.
    #[error("{kind}: character {position} is {found:?}, expected {expected}")]
    Character {
        /// The identifier.
        kind: IdentifierKind,
        /// 1-based position.
        position: usize,
        /// The character found.
        found: char,
        /// What is allowed there.
        expected: &'static str,
    },
    /// The check character does not match the rest.
    #[error("{kind}: check character is {found:?}, expected {expected:?}")]
    CheckCharacter {
        /// The identifier.
        kind: IdentifierKind,
        /// The check character the rest implies.
        expected: char,
        /// The check character found.
        found: char,
    },
    /// Check digits (more than one character) that do not match the rest.
    #[error("{kind}: check digits are {found:?}, expected {expected:?}")]
    CheckDigits {
        /// The identifier.
        kind: IdentifierKind,
        /// The check digits the rest implies.
        expected: String,
        /// The check digits found.
        found: String,
    },
    /// Well formed but meaningless (day 32, an amount too large).
    #[error("{kind}: {reason}")]
    Invalid {
        /// The identifier.
        kind: IdentifierKind,
        /// What is wrong, typed.
        reason: InvalidReason,
    },
}

/// Why a well-formed identifier means nothing: each reason its own value,
/// so a caller tells them apart without reading text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidReason {
    /// A codice fiscale's day is not 01–31 (men) or 41–71 (women).
    #[error("the day of birth must be 01-31 (men) or 41-71 (women)")]
    DayOutOfRange,
    /// A codice fiscale's day does not exist in its month (31 April).
    #[error("the day of birth does not exist in its month")]
    DayNotInMonth,
    /// A codice fiscale dated 29 February of a two-digit year `yy` such
    /// that neither 19yy nor 20yy is a leap year.
    #[error("29 February, but neither 19{0:02} nor 20{0:02} is a leap year")]
    NoLeapYear(u8),
    /// A check character over characters it cannot be computed from.
    #[error("the check character cannot be computed")]
    CheckNotComputable,
    /// An IBAN of a country ISO 13616 does not list.
    #[error("unknown country code")]
    UnknownCountry,
    /// An IBAN whose account part does not follow its country's format.
    #[error("the account part does not follow the country's format")]
    NationalFormat,
    /// An amount that is not digits, optionally `.` and one or two digits.
    #[error("expected digits, optionally followed by `.` and 1 or 2 digits")]
    AmountFormat,
    /// An amount with more than two fraction digits.
    #[error("more than two fraction digits")]
    TooManyFractionDigits,
    /// An amount beyond `u64` cents.
    #[error("the amount is too large")]
    AmountTooLarge,
    /// An amount of zero where at least one cent is required.
    #[error("the amount must be at least 1 cent")]
    ZeroAmount,
    /// An amount over the largest the platform takes (a pagoPA notice:
    /// 999,999,999.99 €).
    #[error("the amount is over the platform's maximum")]
    AboveMaximum,
    /// A number outside its range (a segregation code over 99).
    #[error("the number is out of range")]
    OutOfRange,
    /// An Italian codice fiscale of a legal entity (11 digits) where a
    /// person's (16 characters) is required.
    #[error("a person's 16-character code is required")]
    NotAPerson,
}

/// Implements, for a newtype with `fn new(&str) -> Result<Self, IdentifierError>`
/// and `fn as_str(&self) -> &str`, the conversions every string identifier
/// has: `FromStr`, `TryFrom<&str>`, `TryFrom<String>`, `Display`,
/// `AsRef<str>`, `Serialize` and `Deserialize`. All of them go through `new`,
/// so no path skips the checks. Platform crates use it for their own
/// identifiers.
///
/// ```
/// use abilita_core::{IdentifierError, IdentifierKind, InvalidReason, string_identifier};
///
/// /// A two-digit code, 01 to 99.
/// pub struct Code(String);
///
/// impl Code {
///     pub fn new(input: &str) -> Result<Self, IdentifierError> {
///         if input.len() == 2 && input.bytes().all(|b| b.is_ascii_digit()) && input != "00" {
///             Ok(Self(input.to_owned()))
///         } else {
///             Err(IdentifierError::Invalid {
///                 kind: IdentifierKind::Platform("code"),
///                 reason: InvalidReason::OutOfRange,
///             })
///         }
///     }
///     pub fn as_str(&self) -> &str {
///         &self.0
///     }
/// }
///
/// string_identifier!(Code);
/// assert!("42".parse::<Code>().is_ok());
/// ```
#[macro_export]
macro_rules! string_identifier {
    ($name:ident) => {
        impl std::str::FromStr for $name {
            type Err = $crate::IdentifierError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::IdentifierError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::IdentifierError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(&s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as $crate::__private::serde::Deserialize>::deserialize(deserializer)?;
                Self::new(&text).map_err(<D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }
    };
}
