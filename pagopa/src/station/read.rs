//! Reading a paForNode element's children in the schema's order.
//!
//! `paForNode.xsd` declares no `elementFormDefault`, so every child is
//! unqualified and every content model is a sequence: [`Children`] walks
//! one, refusing a missing, misplaced, qualified or unknown element with
//! `PAA_SINTASSI_XSD`, as a validating reader would.

use std::borrow::Cow;

use roxmltree::Node;
use time::{Date, PrimitiveDateTime, Time, UtcOffset};

use abilita_core::EuroCents;
use abilita_core::xml::text_content;

use super::fault::{Fault, FaultCode};

/// The longest element name quoted back in a fault description.
const MAX_QUOTED_NAME: usize = 64;

pub(super) fn syntax(description: impl Into<String>) -> Fault {
    Fault::new(FaultCode::Syntax, description)
}

/// An element's local name, shortened for a description.
fn quoted(node: Node<'_, '_>) -> String {
    node.tag_name()
        .name()
        .chars()
        .take(MAX_QUOTED_NAME)
        .collect()
}

/// The element children of one element, read front to back.
pub(super) struct Children<'a, 'input> {
    parent: &'static str,
    next: Option<Node<'a, 'input>>,
}

impl<'a, 'input> Children<'a, 'input> {
    /// The children of `parent` (element content only: text other than
    /// white space is refused).
    pub(super) fn of(parent: Node<'a, 'input>, name: &'static str) -> Result<Self, Fault> {
        let stray = parent
            .children()
            .any(|c| c.is_text() && !c.text().unwrap_or_default().trim().is_empty());
        if stray {
            return Err(syntax(format!("<{name}> holds text outside its elements")));
        }
        Ok(Self {
            parent: name,
            next: parent.first_element_child(),
        })
    }

    /// The next child when it is `name`.
    pub(super) fn optional(&mut self, name: &str) -> Result<Option<Node<'a, 'input>>, Fault> {
        let Some(node) = self.next.filter(|n| n.tag_name().name() == name) else {
            return Ok(None);
        };
        if node.tag_name().namespace().is_some() {
            return Err(syntax(format!(
                "<{name}> in <{}> must be unqualified (paForNode.xsd has no elementFormDefault)",
                self.parent
            )));
        }
        self.next = node.next_sibling_element();
        Ok(Some(node))
    }

    /// The next child, which must be `name`.
    pub(super) fn required(&mut self, name: &str) -> Result<Node<'a, 'input>, Fault> {
        self.optional(name)?.ok_or_else(|| {
            let found = self
                .next
                .map_or_else(|| "its end".to_owned(), |n| format!("<{}>", quoted(n)));
            syntax(format!(
                "<{}> expects <{name}> where it has {found}",
                self.parent
            ))
        })
    }

    /// `min` to `max` consecutive children named `name`.
    pub(super) fn repeated(
        &mut self,
        name: &str,
        min: usize,
        max: usize,
    ) -> Result<Vec<Node<'a, 'input>>, Fault> {
        let mut found = Vec::new();
        while let Some(node) = self.optional(name)? {
            if found.len() == max {
                return Err(syntax(format!(
                    "<{}> holds more than {max} <{name}>",
                    self.parent
                )));
            }
            found.push(node);
        }
        if found.len() < min {
            return Err(syntax(format!(
                "<{}> needs at least {min} <{name}>",
                self.parent
            )));
        }
        Ok(found)
    }

    /// Refuses anything left over.
    pub(super) fn finish(self) -> Result<(), Fault> {
        match self.next {
            None => Ok(()),
            Some(node) => Err(syntax(format!(
                "<{}> holds an unexpected <{}>",
                self.parent,
                quoted(node)
            ))),
        }
    }
}

/// A string of `min..=max` characters (`xsd:string`: white space kept).
pub(super) fn text(node: Node<'_, '_>, min: usize, max: usize) -> Result<String, Fault> {
    text_ref(node, min, max).map(Cow::into_owned)
}

/// As [`text`], borrowed from the document when it can be: a value held
/// in one text node (no comment, no CDATA section splitting it).
pub(super) fn text_ref<'a>(
    node: Node<'a, '_>,
    min: usize,
    max: usize,
) -> Result<Cow<'a, str>, Fault> {
    let mut children = node.children();
    let value = match (children.next(), children.next()) {
        (None, _) => Cow::Borrowed(""),
        (Some(only), None) if only.is_text() => Cow::Borrowed(only.text().unwrap_or_default()),
        _ => {
            if node.children().any(|c| c.is_element()) {
                return Err(syntax(format!("<{}> must hold text only", quoted(node))));
            }
            Cow::Owned(text_content(node))
        }
    };
    let length = char_len(&value);
    if length < min || length > max {
        return Err(syntax(format!(
            "<{}> must be {min} to {max} characters, got {length}",
            quoted(node)
        )));
    }
    Ok(value)
}

/// The length in characters that the schema's `minLength`/`maxLength`
/// count (one per byte in ASCII text, the usual case, counted at once).
pub(super) fn char_len(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

/// The collapsed value of a non-string type (XSD `whiteSpace="collapse"`).
pub(super) fn token<'a>(node: Node<'a, '_>) -> Result<Cow<'a, str>, Fault> {
    Ok(match text_ref(node, 0, usize::MAX)? {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) => Cow::Owned(text.trim().to_owned()),
    })
}

/// Exactly `n` ASCII digits (`stFiscalCodePA`, `stNoticeNumber`).
pub(super) fn digits<'a>(node: Node<'a, '_>, n: usize) -> Result<Cow<'a, str>, Fault> {
    let value = token(node)?;
    if value.len() != n || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax(format!("<{}> must be {n} digits", quoted(node))));
    }
    Ok(value)
}

/// `stAmount` (`\d+\.\d{2}`, at most 999999999.99), or `stAmountNotZero`
/// when `not_zero`.
pub(super) fn amount(node: Node<'_, '_>, not_zero: bool) -> Result<EuroCents, Fault> {
    let value = token(node)?;
    let shaped = value
        .split_once('.')
        .is_some_and(|(euros, cents)| !euros.is_empty() && cents.len() == 2);
    let refused = || {
        syntax(format!(
            "<{}> must be an amount like 12.50, at most 999999999.99{}",
            quoted(node),
            if not_zero { " and not zero" } else { "" }
        ))
    };
    let cents = EuroCents::from_decimal_str(&value).map_err(|_| refused())?;
    if !shaped || cents.cents() > 99_999_999_999 || (not_zero && cents.cents() == 0) {
        return Err(refused());
    }
    Ok(cents)
}

/// `xsd:boolean`.
pub(super) fn boolean(node: Node<'_, '_>) -> Result<bool, Fault> {
    match token(node)?.as_ref() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(syntax(format!("<{}> must be true or false", quoted(node)))),
    }
}

/// `xsd:date`: `YYYY-MM-DD`, with an optional time zone that is dropped
/// (a date names a calendar day wherever it is read).
pub(super) fn date(node: Node<'_, '_>) -> Result<Date, Fault> {
    let value = token(node)?;
    let (day, zone) = (value.get(..10), value.get(10..).unwrap_or_default());
    let parsed = day
        .and_then(parse_date)
        .filter(|_| zone.is_empty() || offset(zone).is_some());
    parsed.ok_or_else(|| syntax(format!("<{}> must be a date YYYY-MM-DD", quoted(node))))
}

/// `xsd:dateTime` as written: the Nodo writes Italian local time without
/// an offset, so the offset is kept apart and only when present.
pub(super) fn date_time(
    node: Node<'_, '_>,
) -> Result<(PrimitiveDateTime, Option<UtcOffset>), Fault> {
    let value = token(node)?;
    let refused = || {
        syntax(format!(
            "<{}> must be a date and time YYYY-MM-DDThh:mm:ss",
            quoted(node)
        ))
    };
    let day = value.get(..10).and_then(parse_date).ok_or_else(refused)?;
    let rest = value
        .get(10..)
        .and_then(|r| r.strip_prefix('T'))
        .ok_or_else(refused)?;
    let clock = rest.get(..8).ok_or_else(refused)?;
    let mut tail = rest.get(8..).unwrap_or_default();
    if let Some(fraction) = tail.strip_prefix('.') {
        let end = fraction
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(fraction.len());
        if end == 0 {
            return Err(refused());
        }
        tail = fraction.get(end..).unwrap_or_default();
    }
    let zone = if tail.is_empty() {
        None
    } else {
        Some(offset(tail).ok_or_else(refused)?)
    };
    let field = |range: std::ops::Range<usize>| clock.get(range).and_then(|f| f.parse::<u8>().ok());
    let separators = clock.get(2..3) == Some(":") && clock.get(5..6) == Some(":");
    let time = match (separators, field(0..2), field(3..5), field(6..8)) {
        (true, Some(h), Some(m), Some(s)) => Time::from_hms(h, m, s).ok(),
        _ => None,
    }
    .ok_or_else(refused)?;
    Ok((PrimitiveDateTime::new(day, time), zone))
}

fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    let year: i32 = text.get(..4)?.parse().ok()?;
    let month: u8 = text.get(5..7)?.parse().ok()?;
    let day: u8 = text.get(8..)?.parse().ok()?;
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

/// `Z` or `±hh:mm`.
fn offset(zone: &str) -> Option<UtcOffset> {
    if zone == "Z" {
        return Some(UtcOffset::UTC);
    }
    let sign: i8 = match zone.get(..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    if zone.len() != 6 || zone.get(3..4) != Some(":") {
        return None;
    }
    let hours: i8 = zone.get(1..3)?.parse().ok()?;
    let minutes: i8 = zone.get(4..6)?.parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    UtcOffset::from_hms(sign.checked_mul(hours)?, sign.checked_mul(minutes)?, 0).ok()
}
