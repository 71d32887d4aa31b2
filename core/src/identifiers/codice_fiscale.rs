//! The codice fiscale of persons (16 characters) and legal entities (11
//! digits).

use time::{Date, Month};

use super::check::{ascii, compare_check, eleven_digits, first_bad, odd_even_letter};
use super::{IdentifierError, IdentifierKind, InvalidReason};
use crate::string_identifier;

const KIND: IdentifierKind = IdentifierKind::CodiceFiscale;

/// Month letters, January to December.
const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";

/// Letters that replace the digits 0–9 in an *omocodia* code (the Agenzia
/// delle Entrate's way of telling apart two people with the same code).
const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";

/// Positions (0-based) of a person's code that hold digits, or omocodia
/// letters in their place: year, day, and the Belfiore code's number.
const DIGIT_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];

/// Official test values that fail the checks and are accepted only through
/// [`CodiceFiscale::from_official_test_value`]. Each line names its source.
const OFFICIAL_TEST_VALUES: &[&str] = &[
    // App IO sandbox recipient, always among a service's authorized_recipients
    // (io-services-cms `SANDBOX_FISCAL_CODE`); day 00, wrong check character.
    "AAAAAA00A00A000A",
];

/// An Italian codice fiscale.
///
/// Two forms exist: the 16-character code of a person (surname, name, birth
/// date and sex, place, check letter) and the 11-digit code of a legal
/// entity (a municipality's own fiscal code, for example). Both are checked
/// in full: characters by position, month and day encoding, check character.
/// Lower case is accepted and stored upper case.
///
/// Omocodia codes, where digits are replaced by `LMNPQRSTUV`, are valid;
/// [`CodiceFiscale::without_omocodia`] gives the code they derive from.
///
/// ```
/// use abilita_core::{CodiceFiscale, Sex};
///
/// let cf: CodiceFiscale = "rssmra85t10a562s".parse()?;
/// assert_eq!(cf.as_str(), "RSSMRA85T10A562S");
/// assert_eq!(cf.sex(), Some(Sex::Male));
/// assert_eq!(cf.belfiore_code().as_deref(), Some("A562"));
///
/// let err = "RSSMRA85T10A562X".parse::<CodiceFiscale>().unwrap_err();
/// assert_eq!(err.to_string(), "codice fiscale: check character is 'X', expected 'S'");
/// # Ok::<(), abilita_core::IdentifierError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodiceFiscale(String);

/// Which form a [`CodiceFiscale`] has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(
    clippy::exhaustive_enums,
    reason = "closed by the law: a person or a legal entity"
)]
pub enum CodiceFiscaleKind {
    /// 16 characters: a natural person.
    Person,
    /// 11 digits: a legal entity (company, public administration).
    LegalEntity,
}

/// Sex as encoded in a person's codice fiscale (day + 40 for women).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(
    clippy::exhaustive_enums,
    reason = "closed by the code: the day encodes M or F"
)]
pub enum Sex {
    /// `M`.
    Male,
    /// `F`.
    Female,
}

impl CodiceFiscale {
    /// Checks and wraps a codice fiscale, person or legal entity.
    ///
    /// # Errors
    /// An [`IdentifierError`] naming the first problem found.
    pub fn new(input: &str) -> Result<Self, IdentifierError> {
        let bytes = ascii(KIND, input)?;
        let upper = bytes.to_ascii_uppercase();
        match upper.len() {
            16 => check_person(&upper)?,
            11 => eleven_digits(KIND, &upper)?,
            found => {
                return Err(IdentifierError::Length {
                    kind: KIND,
                    expected: "16 (person) or 11 (legal entity)",
                    found,
                });
            }
        }
        Ok(Self(String::from_utf8_lossy(&upper).into_owned()))
    }

    /// Accepts one of the platforms' official test values that fail the
    /// checks, and nothing else: App IO's sandbox recipient
    /// `AAAAAA00A00A000A`. Valid codes are accepted too.
    ///
    /// Use this only on paths that must talk to a test environment; the
    /// decoding helpers return `None` for the parts such a value lacks.
    ///
    /// # Errors
    /// The error of [`CodiceFiscale::new`] when `input` is neither valid nor
    /// a listed test value.
    pub fn from_official_test_value(input: &str) -> Result<Self, IdentifierError> {
        match OFFICIAL_TEST_VALUES
            .iter()
            .find(|v| v.eq_ignore_ascii_case(input))
        {
            Some(value) => Ok(Self((*value).to_owned())),
            None => Self::new(input),
        }
    }

    /// The code, upper case.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Person or legal entity.
    #[must_use]
    pub fn kind(&self) -> CodiceFiscaleKind {
        if self.0.len() == 16 {
            CodiceFiscaleKind::Person
        } else {
            CodiceFiscaleKind::LegalEntity
        }
    }

    /// Whether digits of this person's code were replaced by omocodia letters.
    #[must_use]
    pub fn is_omocode(&self) -> bool {
        self.kind() == CodiceFiscaleKind::Person
            && DIGIT_POSITIONS
                .iter()
                .any(|&i| self.0.as_bytes().get(i).is_some_and(u8::is_ascii_uppercase))
    }

    /// The code an omocodia code derives from: letters in digit positions
    /// turned back into digits, and the check character recomputed.
    ///
    /// That base code belongs to *another* person (the one who had it
    /// first); use it to decode or to group, not as this citizen's identity.
    /// Returns the code itself when it has no omocodia.
    #[must_use]
    pub fn without_omocodia(&self) -> Self {
        if self.kind() == CodiceFiscaleKind::LegalEntity {
            return self.clone();
        }
        let mut bytes = self.0.as_bytes().to_vec();
        for &i in &DIGIT_POSITIONS {
            if let Some(c) = bytes.get_mut(i) {
                *c = omocodia_digit(*c).unwrap_or(*c);
            }
        }
        if let (Some(check), Some(slot)) = (
            odd_even_letter(bytes.get(..15).unwrap_or_default()),
            bytes.get_mut(15),
        ) {
            *slot = check as u8;
        }
        Self(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Sex of a person; `None` for a legal entity or an undecodable test value.
    #[must_use]
    pub fn sex(&self) -> Option<Sex> {
        let day = self.encoded_day()?;
        Some(if day > 40 { Sex::Female } else { Sex::Male })
    }

    /// Day and month of birth and the two-digit year, as encoded.
    fn birth_parts(&self) -> Option<(u8, Month, u8)> {
        let year = self.number_at(6)?;
        let month = month_from_letter(*self.0.as_bytes().get(8)?)?;
        let day = self.encoded_day()? % 40;
        Some((year, month, day))
    }

    /// The birth date of a person. The code holds only two digits of the
    /// year, so of `today`'s century and the one before, the date is in the
    /// most recent one where it exists and is no later than `today` (a
    /// person born more than 100 years ago decodes 100 years late). A date
    /// of 29 February exists only in a leap year: `…00B69…` is 29 February
    /// 2000, never 1900, whatever `today`; and when neither century has the
    /// day at or before `today`, the one that has it. `None` for a legal
    /// entity or an undecodable test value.
    #[must_use]
    pub fn birth_date(&self, today: Date) -> Option<Date> {
        let (yy, month, day) = self.birth_parts()?;
        let century = today.year() - today.year().rem_euclid(100);
        let candidates: Vec<Date> = [century, century - 100]
            .into_iter()
            .filter_map(|c| Date::from_calendar_date(c + i32::from(yy), month, day).ok())
            .collect();
        candidates
            .iter()
            .find(|date| **date <= today)
            .or(candidates.first())
            .copied()
    }

    /// The three letters of the surname (positions 1–3).
    #[must_use]
    pub fn surname_code(&self) -> Option<&str> {
        (self.kind() == CodiceFiscaleKind::Person).then(|| self.0.get(..3).unwrap_or_default())
    }

    /// The three letters of the given name (positions 4–6).
    #[must_use]
    pub fn name_code(&self) -> Option<&str> {
        (self.kind() == CodiceFiscaleKind::Person).then(|| self.0.get(3..6).unwrap_or_default())
    }

    /// The check character (the last one).
    #[must_use]
    pub fn check_character(&self) -> char {
        self.0.chars().last().unwrap_or_default()
    }

    /// The 1-based positions whose digit an omocodia letter replaces, in
    /// order (the Agenzia replaces from the right: 15, then 14, 13, …).
    /// Empty when the code has none, and for a legal entity.
    #[must_use]
    pub fn omocodia_positions(&self) -> Vec<usize> {
        if self.kind() != CodiceFiscaleKind::Person {
            return Vec::new();
        }
        DIGIT_POSITIONS
            .iter()
            .filter(|&&i| self.0.as_bytes().get(i).is_some_and(u8::is_ascii_uppercase))
            .map(|&i| i + 1)
            .collect()
    }

    /// The Belfiore code of the place of birth (`H501` is Rome; `Z…` a
    /// foreign country), with omocodia letters turned back into digits.
    #[must_use]
    pub fn belfiore_code(&self) -> Option<String> {
        if self.kind() != CodiceFiscaleKind::Person {
            return None;
        }
        let base = self.without_omocodia();
        let code = base.0.get(11..15)?;
        code.bytes()
            .skip(1)
            .all(|c| c.is_ascii_digit())
            .then(|| code.to_owned())
    }

    /// The day as encoded (1–31 for men, 41–71 for women).
    fn encoded_day(&self) -> Option<u8> {
        let day = self.number_at(9)?;
        (matches!(day, 1..=31 | 41..=71)).then_some(day)
    }

    /// The two-digit number at positions `i` and `i + 1` of a person's code.
    fn number_at(&self, i: usize) -> Option<u8> {
        match self.kind() {
            CodiceFiscaleKind::Person => two_digits(self.0.as_bytes(), i),
            CodiceFiscaleKind::LegalEntity => None,
        }
    }
}

string_identifier!(CodiceFiscale);

/// A person's code is personal data: `Debug` shows only its shape.
impl std::fmt::Debug for CodiceFiscale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CodiceFiscale({:?}, [redacted])", self.kind())
    }
}

/// The digit a character stands for in a digit position: itself, or the
/// digit its omocodia letter replaces. `None` for anything else.
fn omocodia_digit(c: u8) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c);
    }
    let index = OMOCODIA.iter().position(|&l| l == c)?;
    Some(b'0' + u8::try_from(index).ok()?)
}

fn month_from_letter(c: u8) -> Option<Month> {
    let index = MONTHS.iter().position(|&m| m == c)?;
    Month::try_from(u8::try_from(index).ok()? + 1).ok()
}

/// The two-digit number at positions `i` and `i + 1` (0-based), omocodia
/// letters read as the digits they replace.
fn two_digits(code: &[u8], i: usize) -> Option<u8> {
    let tens = omocodia_digit(*code.get(i)?)? - b'0';
    let units = omocodia_digit(*code.get(i + 1)?)? - b'0';
    Some(tens * 10 + units)
}

/// What may stand at each 0-based position of a person's code.
fn expected_at(i: usize) -> &'static str {
    match i {
        8 => "a month letter (ABCDEHLMPRST)",
        15 => "a letter (the check character)",
        i if DIGIT_POSITIONS.contains(&i) => "a digit or an omocodia letter (LMNPQRSTUV)",
        _ => "a letter",
    }
}

fn check_person(code: &[u8]) -> Result<(), IdentifierError> {
    let bad = first_bad(code, |i, c| match i {
        8 => MONTHS.contains(&c),
        i if DIGIT_POSITIONS.contains(&i) => omocodia_digit(c).is_some(),
        _ => c.is_ascii_uppercase(),
    });
    if let Some((position, found)) = bad {
        let expected = expected_at(position - 1);
        return Err(IdentifierError::Character {
            kind: KIND,
            position,
            found,
            expected,
        });
    }
    let invalid = |reason| IdentifierError::Invalid { kind: KIND, reason };
    // The characters were checked above: month letter and digits are there.
    let month = code.get(8).and_then(|&c| month_from_letter(c));
    let (Some(month), Some(year), Some(day)) = (month, two_digits(code, 6), two_digits(code, 9))
    else {
        return Err(invalid(InvalidReason::CheckNotComputable));
    };
    if !matches!(day, 1..=31 | 41..=71) {
        return Err(invalid(InvalidReason::DayOutOfRange));
    }
    if day % 40 > longest_month(month) {
        return Err(invalid(InvalidReason::DayNotInMonth));
    }
    if month == Month::February && day % 40 == 29 && leap_years_of(year).is_empty() {
        return Err(invalid(InvalidReason::NoLeapYear(year)));
    }
    let (body, check) = code.split_at(15);
    check_character(odd_even_letter(body), check.first())
}

fn check_character(expected: Option<char>, found: Option<&u8>) -> Result<(), IdentifierError> {
    compare_check(KIND, expected, found)
}

/// The leap years among 19yy and 20yy. A code holds two digits of the year
/// only, so a code dated 29 February is valid when either century makes
/// that day exist (`00`: 2000; `04`: both) and refused when neither does
/// (`01`: neither 1901 nor 2001). The two centuries are those of living
/// people and of codes issued now.
fn leap_years_of(yy: u8) -> Vec<i32> {
    [1900, 2000]
        .into_iter()
        .map(|century| century + i32::from(yy))
        .filter(|year| time::util::is_leap_year(*year))
        .collect()
}

/// The most days `month` can have (29 for February: the year is ambiguous).
fn longest_month(month: Month) -> u8 {
    match month {
        Month::February => 29,
        Month::April | Month::June | Month::September | Month::November => 30,
        _ => 31,
    }
}

/// `text` with every person's codice fiscale in it masked, all but its
/// first three and last characters (`RSS************S`): for messages that
/// quote a platform's words, which may name a citizen. A code is any run of
/// 16 letters and digits in a person's code shape (omocodia included, any
/// case) that no letter or digit adjoins; legal entities' 11 digits are not
/// personal data and stay.
///
/// ```
/// use abilita_core::mask_codici_fiscali;
///
/// assert_eq!(
///     mask_codici_fiscali("Profile not found for RSSMRA85T10A562S."),
///     "Profile not found for RSS************S."
/// );
/// ```
#[must_use]
pub fn mask_codici_fiscali(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut masked = bytes.to_vec();
    let mut at: usize = 0;
    while let Some(window) = bytes.get(at..at.saturating_add(16)) {
        let before = at.checked_sub(1).and_then(|i| bytes.get(i));
        let after = bytes.get(at.saturating_add(16));
        let apart = |b: Option<&u8>| !b.is_some_and(u8::is_ascii_alphanumeric);
        if apart(before) && apart(after) && has_person_shape(window) {
            for byte in masked
                .get_mut(at.saturating_add(3)..at.saturating_add(15))
                .unwrap_or_default()
            {
                *byte = b'*';
            }
            at = at.saturating_add(16);
        } else {
            at = at.saturating_add(1);
        }
    }
    // Only ASCII bytes were replaced, by ASCII: still UTF-8.
    String::from_utf8(masked).unwrap_or_default()
}

/// Whether 16 bytes have a person's code shape (any case, omocodia letters
/// in digit positions), whatever the check character.
fn has_person_shape(window: &[u8]) -> bool {
    window.len() == 16
        && window.iter().enumerate().all(|(i, &c)| {
            let c = c.to_ascii_uppercase();
            match i {
                8 => MONTHS.contains(&c),
                i if DIGIT_POSITIONS.contains(&i) => omocodia_digit(c).is_some(),
                _ => c.is_ascii_uppercase(),
            }
        })
}
