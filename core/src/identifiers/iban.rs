//! IBANs, with the Italian structure checked in full.

use std::fmt;

use super::check::{ascii, compare_check, first_bad, odd_even_letter};
use super::{IdentifierError, IdentifierKind, InvalidReason};
use crate::string_identifier;

const KIND: IdentifierKind = IdentifierKind::Iban;

/// An IBAN (ISO 13616): country format and mod-97 check digits are verified
/// by the `iban_validate` crate; for Italian IBANs the national check
/// character (CIN) is verified too.
///
/// Spaces (the print format) and lower case are accepted on input; the
/// canonical form is upper case without spaces.
///
/// ```
/// use abilita_core::Iban;
///
/// let iban: Iban = "IT60 X054 2811 1010 0000 0123 456".parse()?;
/// assert_eq!(iban.as_str(), "IT60X0542811101000000123456");
/// assert_eq!(iban.italian().map(|b| b.abi()), Some("05428"));
/// # Ok::<(), abilita_core::IdentifierError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Iban {
    electronic: String,
}

/// The parts of an Italian BBAN: CIN, ABI (bank), CAB (branch), account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItalianBban<'a> {
    bban: &'a str,
}

/// ABI of Poste Italiane: accounts under it are postal accounts
/// (*conti correnti postali*), which pagoPA treats apart.
const POSTE_ABI: &str = "07601";

impl Iban {
    /// Checks and wraps an IBAN. Positions in errors count the characters
    /// of the IBAN without its spaces.
    ///
    /// The checks run in this order, each with its own error: characters
    /// by position (country letters, check digits, then letters or digits;
    /// for Italy the CIN letter, ABI and CAB digits), the length (27 for
    /// Italy, 5 to 34 otherwise), the mod-97 check digits (with the digits
    /// the rest implies), the Italian CIN, then the country's own format
    /// (the `iban_validate` crate's registry).
    ///
    /// # Errors
    /// An [`IdentifierError`] naming the first problem found.
    pub fn new(input: &str) -> Result<Self, IdentifierError> {
        let compact: String = input
            .chars()
            .filter(|c| *c != ' ')
            .collect::<String>()
            .to_ascii_uppercase();
        let code = ascii(KIND, &compact)?;
        let italian = code.starts_with(b"IT");
        let bad = first_bad(code, |i, c| match i {
            0 | 1 => c.is_ascii_uppercase(),
            2 | 3 => c.is_ascii_digit(),
            4 if italian => c.is_ascii_uppercase(),
            5..=14 if italian => c.is_ascii_digit(),
            _ => c.is_ascii_alphanumeric(),
        });
        if let Some((position, found)) = bad {
            return Err(IdentifierError::Character {
                kind: KIND,
                position,
                found,
                expected: expected_at(position - 1, italian),
            });
        }
        let length_ok = if italian {
            code.len() == 27
        } else {
            (5..=34).contains(&code.len())
        };
        if !length_ok {
            return Err(IdentifierError::Length {
                kind: KIND,
                expected: if italian {
                    "27 (an Italian IBAN)"
                } else {
                    "5 to 34"
                },
                found: code.len(),
            });
        }
        let expected = check_digits_of(code);
        let found = compact.get(2..4).unwrap_or_default();
        if expected != found {
            return Err(IdentifierError::CheckDigits {
                kind: KIND,
                expected,
                found: found.to_owned(),
            });
        }
        let this = Self {
            electronic: compact,
        };
        if let Some(bban) = this.italian() {
            bban.check_cin()?;
        }
        this.electronic
            .parse::<iban::Iban>()
            .map_err(|e: iban::ParseIbanError| from_crate(&e))?;
        Ok(this)
    }

    /// The two check digits (positions 3–4).
    #[must_use]
    pub fn check_digits(&self) -> &str {
        self.electronic.get(2..4).unwrap_or_default()
    }

    /// The electronic form, without spaces.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.electronic
    }

    /// The two-letter country code.
    #[must_use]
    pub fn country(&self) -> &str {
        self.electronic.get(..2).unwrap_or_default()
    }

    /// The Italian BBAN parts, for an Italian IBAN.
    #[must_use]
    pub fn italian(&self) -> Option<ItalianBban<'_>> {
        (self.country() == "IT").then(|| ItalianBban {
            bban: self.electronic.get(4..).unwrap_or_default(),
        })
    }

    /// The print form, in groups of four.
    #[must_use]
    pub fn to_print_format(&self) -> String {
        let mut out = String::with_capacity(self.electronic.len() + self.electronic.len() / 4);
        for (i, c) in self.electronic.chars().enumerate() {
            if i > 0 && i.is_multiple_of(4) {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

impl<'a> ItalianBban<'a> {
    /// The CIN, the national check letter.
    #[must_use]
    pub fn cin(&self) -> &'a str {
        self.bban.get(..1).unwrap_or_default()
    }

    /// The ABI, the bank's 5-digit code.
    #[must_use]
    pub fn abi(&self) -> &'a str {
        self.bban.get(1..6).unwrap_or_default()
    }

    /// The CAB, the branch's 5-digit code.
    #[must_use]
    pub fn cab(&self) -> &'a str {
        self.bban.get(6..11).unwrap_or_default()
    }

    /// The 12-character account number.
    #[must_use]
    pub fn account(&self) -> &'a str {
        self.bban.get(11..).unwrap_or_default()
    }

    /// Whether this is a Poste Italiane postal account.
    #[must_use]
    pub fn is_postal(&self) -> bool {
        self.abi() == POSTE_ABI
    }

    /// The CIN is the codice-fiscale odd/even letter of ABI + CAB + account.
    fn check_cin(&self) -> Result<(), IdentifierError> {
        let rest = self.bban.get(1..).unwrap_or_default().as_bytes();
        compare_check(KIND, odd_even_letter(rest), self.bban.as_bytes().first())
    }
}

/// What may stand at a 0-based position of an IBAN.
fn expected_at(i: usize, italian: bool) -> &'static str {
    match i {
        0 | 1 => "a letter (the country code)",
        2 | 3 => "a digit (the check digits)",
        4 if italian => "a letter (the CIN)",
        5..=9 if italian => "a digit (the ABI)",
        10..=14 if italian => "a digit (the CAB)",
        _ => "a letter or digit",
    }
}

/// The ISO 7064 mod 97-10 check digits the rest of `code` implies: the
/// country and the BBAN, moved to the end with `00` as check digits,
/// letters read as 10–35. `code` is ASCII letters and digits (checked).
fn check_digits_of(code: &[u8]) -> String {
    let (country, rest) = code.split_at(code.len().min(2));
    let bban = rest.get(2..).unwrap_or_default();
    let remainder = bban
        .iter()
        .chain(country)
        .chain(b"00")
        .fold(0u32, |remainder, &c| {
            let value = u32::from(c.to_ascii_uppercase());
            if c.is_ascii_digit() {
                (remainder * 10 + (value - u32::from(b'0'))) % 97
            } else {
                (remainder * 100 + (value - u32::from(b'A') + 10)) % 97
            }
        });
    format!("{:02}", 98 - remainder)
}

/// Translates the crate's error into ours. The structure and check digits
/// were checked before, so what is left is the country's own format.
fn from_crate(error: &iban::ParseIbanError) -> IdentifierError {
    use iban::ParseIbanError as Parse;
    let reason = match error {
        Parse::UnknownCountry(_) => InvalidReason::UnknownCountry,
        Parse::InvalidBaseIban { .. } | Parse::InvalidBban(_) => InvalidReason::NationalFormat,
    };
    IdentifierError::Invalid { kind: KIND, reason }
}

string_identifier!(Iban);

/// An IBAN identifies a citizen's account: `Debug` shows only the country.
impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iban({}, [redacted])", self.country())
    }
}
