//! IBANs, with the Italian structure checked in full.

use std::fmt;

use super::check::{compare_check, odd_even_letter};
use super::{IdentifierError, IdentifierKind};
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
    /// Checks and wraps an IBAN.
    ///
    /// # Errors
    /// An [`IdentifierError`]: the length or character, the mod-97 check
    /// digits, or the Italian CIN.
    pub fn new(input: &str) -> Result<Self, IdentifierError> {
        use iban::IbanLike as _;
        let parsed: iban::Iban = input
            .to_ascii_uppercase()
            .parse()
            .map_err(|e: iban::ParseIbanError| from_crate(&e))?;
        let electronic = parsed.electronic_str().to_owned();
        let this = Self { electronic };
        if let Some(bban) = this.italian() {
            bban.check_cin()?;
        }
        Ok(this)
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

/// Translates the crate's error into ours (its positions are not exposed,
/// so the messages stay general).
fn from_crate(error: &iban::ParseIbanError) -> IdentifierError {
    use iban::{ParseBaseIbanError as Base, ParseIbanError as Parse};
    let reason = match error {
        Parse::InvalidBaseIban {
            source: Base::InvalidFormat,
        } => "not an IBAN (country, check digits, then up to 30 letters or digits)",
        Parse::InvalidBaseIban {
            source: Base::InvalidChecksum,
        } => "the check digits (mod 97) do not match",
        Parse::InvalidBban(_) => "the account part does not follow the country's format",
        Parse::UnknownCountry(_) => "unknown country code",
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
