//! The check-character algorithms that Italian identifiers share.

/// The value of an alphanumeric character in an odd (1st, 3rd, …) position
/// of the codice fiscale and of the Italian IBAN's CIN: digits and letters
/// share one table (`0` and `A` are 1, `1` and `B` are 0, …).
const ODD: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// Index of an ASCII digit or upper-case letter in the alphabet (`0`/`A` →
/// 0, `9`/`J` → 9, `Z` → 25), or `None` for anything else.
fn alphanumeric_index(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        _ => None,
    }
}

/// The odd/even check letter of the codice fiscale (first 15 characters) and
/// of the Italian CIN (ABI + CAB + account, 22 characters). `None` when a
/// character is not an ASCII digit or upper-case letter.
pub(crate) fn odd_even_letter(chars: &[u8]) -> Option<char> {
    let mut sum = 0;
    for (i, &c) in chars.iter().enumerate() {
        let index = alphanumeric_index(c)?;
        // 1-based odd positions (index 0, 2, …) use the table.
        sum += if i % 2 == 0 {
            *ODD.get(usize::try_from(index).ok()?)?
        } else {
            index
        };
    }
    char::from_u32(u32::from(b'A') + sum % 26)
}

/// The check digit of an 11-digit partita IVA or numeric codice fiscale,
/// from its first 10 digits (the Luhn variant of DM 23/12/1976). `None` when
/// a character is not a digit.
pub(crate) fn luhn_digit(digits: &[u8]) -> Option<char> {
    let mut sum = 0;
    for (i, &c) in digits.iter().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = u32::from(c - b'0');
        sum += if i % 2 == 0 {
            d
        } else if d * 2 > 9 {
            d * 2 - 9
        } else {
            d * 2
        };
    }
    char::from_digit((10 - sum % 10) % 10, 10)
}

/// The first character of `s` that `allowed` refuses, as a 1-based position.
pub(crate) fn first_bad(s: &[u8], allowed: impl Fn(usize, u8) -> bool) -> Option<(usize, char)> {
    s.iter()
        .enumerate()
        .find(|&(i, &c)| !allowed(i, c))
        .map(|(i, &c)| (i + 1, char::from(c)))
}

/// The bytes of `s`, or an error at the first character that is not ASCII
/// (positions then count characters, not bytes).
pub(crate) fn ascii(kind: super::IdentifierKind, s: &str) -> Result<&[u8], super::IdentifierError> {
    match s.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        Some((i, found)) => Err(super::IdentifierError::Character {
            kind,
            position: i + 1,
            found,
            expected: "an ASCII letter or digit",
        }),
        None => Ok(s.as_bytes()),
    }
}

/// Compares a computed check character with the one found.
pub(crate) fn compare_check(
    kind: super::IdentifierKind,
    expected: Option<char>,
    found: Option<&u8>,
) -> Result<(), super::IdentifierError> {
    use super::IdentifierError::{CheckCharacter, Invalid};
    match (expected, found.map(|&c| char::from(c))) {
        (Some(expected), Some(found)) if expected == found => Ok(()),
        (Some(expected), Some(found)) => Err(CheckCharacter {
            kind,
            expected,
            found,
        }),
        _ => Err(Invalid {
            kind,
            reason: super::InvalidReason::CheckNotComputable,
        }),
    }
}

/// The 11-digit form shared by the partita IVA and a legal entity's codice
/// fiscale: digits only, the last one the check digit of the first ten.
pub(crate) fn eleven_digits(
    kind: super::IdentifierKind,
    code: &[u8],
) -> Result<(), super::IdentifierError> {
    if let Some((position, found)) = first_bad(code, |_, c| c.is_ascii_digit()) {
        let expected = "a digit";
        return Err(super::IdentifierError::Character {
            kind,
            position,
            found,
            expected,
        });
    }
    let (body, check) = code.split_at(code.len().min(10));
    compare_check(kind, luhn_digit(body), check.first())
}
