//! Amounts in euro cents.

use std::fmt;

use super::{IdentifierError, IdentifierKind, InvalidReason};

const KIND: IdentifierKind = IdentifierKind::EuroCents;

/// A non-negative amount of money in euro cents.
///
/// JSON APIs (GPD, App IO) carry amounts as integer cents; SOAP and XML
/// (the pagoPA Nodo) carry them as decimal euros with two fraction digits
/// (`123.45`); people read `€ 1.234,56`. All three forms convert here
/// without floating point. Arithmetic is checked: overflow and negative
/// results are `None`, never a wrap or a panic.
///
/// ```
/// use abilita_core::EuroCents;
///
/// let fee = EuroCents::from_decimal_str("1234.5")?;
/// assert_eq!(fee.cents(), 123_450);
/// assert_eq!(fee.to_decimal_string(), "1234.50");
/// assert_eq!(fee.to_string(), "€ 1.234,50");
/// assert_eq!(fee.checked_sub(EuroCents::new(123_451)), None);
/// # Ok::<(), abilita_core::IdentifierError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EuroCents(u64);

impl EuroCents {
    /// Zero euro.
    pub const ZERO: Self = Self(0);

    /// An amount of `cents`.
    #[must_use]
    pub const fn new(cents: u64) -> Self {
        Self(cents)
    }

    /// The amount in cents.
    #[must_use]
    pub const fn cents(self) -> u64 {
        self.0
    }

    /// The sum, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// The difference, or `None` if it would be negative.
    #[must_use]
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// The amount times `factor`, or `None` on overflow.
    #[must_use]
    pub fn checked_mul(self, factor: u64) -> Option<Self> {
        self.0.checked_mul(factor).map(Self)
    }

    /// Parses the decimal euro form of XML and SOAP APIs: digits, then
    /// optionally `.` and one or two digits (`12`, `12.5`, `12.50`). Signs,
    /// exponents, commas, spaces and a third fraction digit are refused:
    /// silently rounding money is worse than failing.
    ///
    /// # Errors
    /// An [`IdentifierError`] naming the offending character, or the amount
    /// being too large.
    pub fn from_decimal_str(input: &str) -> Result<Self, IdentifierError> {
        let mut seen_dot = false;
        for (i, found) in input.chars().enumerate() {
            match found {
                '0'..='9' => {}
                '.' if !seen_dot => seen_dot = true,
                _ => {
                    let (position, expected) = (i + 1, "a digit or a single `.`");
                    return Err(IdentifierError::Character {
                        kind: KIND,
                        position,
                        found,
                        expected,
                    });
                }
            }
        }
        let (euros, fraction) = input.split_once('.').unwrap_or((input, ""));
        let invalid = |reason| IdentifierError::Invalid { kind: KIND, reason };
        if euros.is_empty() || (seen_dot && fraction.is_empty()) {
            return Err(invalid(InvalidReason::AmountFormat));
        }
        if fraction.len() > 2 {
            return Err(invalid(InvalidReason::TooManyFractionDigits));
        }
        let too_large = || invalid(InvalidReason::AmountTooLarge);
        let euros: u64 = euros.parse().map_err(|_| too_large())?;
        let fraction: u64 = format!("{fraction:0<2}").parse().map_err(|_| too_large())?;
        euros
            .checked_mul(100)
            .and_then(|c| c.checked_add(fraction))
            .map(Self)
            .ok_or_else(too_large)
    }

    /// The decimal euro form with two fraction digits (`1234.50`).
    #[must_use]
    pub fn to_decimal_string(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Italian format: `€ 1.234,56`.
impl fmt::Display for EuroCents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let euros = (self.0 / 100).to_string();
        let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
        for (i, c) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        write!(f, "€ {grouped},{:02}", self.0 % 100)
    }
}

impl std::str::FromStr for EuroCents {
    type Err = IdentifierError;

    /// Parses the decimal euro form (see [`EuroCents::from_decimal_str`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_decimal_str(s)
    }
}

impl From<EuroCents> for u64 {
    fn from(amount: EuroCents) -> Self {
        amount.0
    }
}

/// JSON APIs carry integer cents.
impl serde::Serialize for EuroCents {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

/// Integer cents; a negative or fractional number is refused.
impl<'de> serde::Deserialize<'de> for EuroCents {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u64::deserialize(deserializer).map(Self)
    }
}
