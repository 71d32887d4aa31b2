//! IO's markdown: call-to-action buttons, and a check for what the app does
//! not render.
//!
//! The app (pagopa/io-app, `IOMarkdown`) renders bold, italic, code, lists,
//! headings 1–3, links, quotes (as banners), rules and images. It drops HTML
//! and has no rule for tables or strikethrough; headings 4–6 show as plain
//! text. Up to two buttons come from a YAML front matter block at the very
//! start of the body, in `it` (required, the fallback) and optionally `en`.

use std::fmt::Write as _;

use crate::model::{ContentRule, Markdown};

/// A button of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cta {
    text: String,
    action: String,
}

/// The action schemes IO's buttons accept.
const ACTION_PREFIXES: [&str; 5] = [
    "iohandledlink://https://",
    "iohandledlink://sms:",
    "iohandledlink://mailto:",
    "iohandledlink://tel:",
    "ioit://",
];

impl Cta {
    /// A button with `text` that performs `action`: `iohandledlink://https://…`,
    /// `iohandledlink://sms:…`, `iohandledlink://mailto:…`,
    /// `iohandledlink://tel:…` or an in-app route `ioit://…`.
    ///
    /// # Errors
    /// Empty or multi-line text, or an action IO does not handle.
    pub fn new(text: impl Into<String>, action: impl Into<String>) -> Result<Self, ContentRule> {
        let (text, action) = (text.into(), action.into());
        if text.trim().is_empty() || text.contains(['\n', '\r']) {
            return Err(ContentRule("a button needs a one-line text"));
        }
        let known = ACTION_PREFIXES
            .iter()
            .any(|p| action.len() > p.len() && action.starts_with(p));
        if !known || action.contains(char::is_whitespace) {
            return Err(ContentRule(
                "a button action must be iohandledlink://https://, sms:, mailto:, tel: or ioit://",
            ));
        }
        Ok(Self { text, action })
    }
}

/// The buttons of a message: one or two, in Italian and optionally English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctas {
    it: (Cta, Option<Cta>),
    en: Option<(Cta, Option<Cta>)>,
}

impl Ctas {
    /// Buttons in Italian (the fallback every message needs).
    #[must_use]
    pub fn italian(first: Cta, second: Option<Cta>) -> Self {
        Self {
            it: (first, second),
            en: None,
        }
    }

    /// Adds the English version.
    #[must_use]
    pub fn with_english(mut self, first: Cta, second: Option<Cta>) -> Self {
        self.en = Some((first, second));
        self
    }

    /// The front matter block, ending with a newline.
    #[must_use]
    pub fn front_matter(&self) -> String {
        let mut out = String::from("---\n");
        let mut language = |code: &str, (first, second): &(Cta, Option<Cta>)| {
            let _ = writeln!(out, "{code}:");
            for (name, cta) in [("cta_1", Some(first)), ("cta_2", second.as_ref())] {
                if let Some(cta) = cta {
                    let _ = writeln!(
                        out,
                        "    {name}:\n        text: {}\n        action: {}",
                        quoted(&cta.text),
                        quoted(&cta.action)
                    );
                }
            }
        };
        language("it", &self.it);
        if let Some(en) = &self.en {
            language("en", en);
        }
        out.push_str("---\n");
        out
    }

    /// `body` with these buttons in front, checked as a whole (the front
    /// matter counts toward IO's 80–10000 limit).
    ///
    /// # Errors
    /// When the whole is outside IO's length limits.
    pub fn prepend_to(&self, body: &str) -> Result<Markdown, abilita_core::Length> {
        Markdown::new(format!("{}{body}", self.front_matter()))
    }
}

/// A YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Something IO will not show as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unrendered {
    /// A table (no render rule: not shown).
    Table {
        /// 1-based line.
        line: usize,
    },
    /// HTML (dropped).
    Html {
        /// 1-based line.
        line: usize,
    },
    /// A heading of level 4 to 6 (shown as plain text).
    DeepHeading {
        /// 1-based line.
        line: usize,
        /// 4, 5 or 6.
        level: usize,
    },
    /// Strikethrough (no render rule: not shown).
    Strikethrough {
        /// 1-based line.
        line: usize,
    },
}

/// The constructs of `markdown` that IO does not render as written, line by
/// line (outside fenced code blocks and the front matter).
#[must_use]
pub fn unrendered(markdown: &str) -> Vec<Unrendered> {
    let mut found = Vec::new();
    let mut in_code = false;
    let mut in_front_matter = markdown.starts_with("---\n");
    for (index, raw) in markdown.lines().enumerate() {
        let line = index + 1;
        let text = raw.trim_start();
        if in_front_matter {
            in_front_matter = !(index > 0 && text == "---");
            continue;
        }
        if text.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let hashes = text.chars().take_while(|&c| c == '#').count();
        if (4..=6).contains(&hashes) && text[hashes..].starts_with(' ') {
            found.push(Unrendered::DeepHeading {
                line,
                level: hashes,
            });
        }
        if text.starts_with('|') && text.matches('|').count() >= 2 {
            found.push(Unrendered::Table { line });
        }
        if looks_like_html(text) {
            found.push(Unrendered::Html { line });
        }
        if text.contains("~~") {
            found.push(Unrendered::Strikethrough { line });
        }
    }
    found
}

/// An HTML tag: `<` followed by a letter or `/`, and a `>` after it.
fn looks_like_html(text: &str) -> bool {
    text.match_indices('<').any(|(at, _)| {
        let rest = &text[at + 1..];
        rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!')
            && rest.contains('>')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_has_ios_layout() {
        let ctas = Ctas::italian(
            Cta::new("Scrivi", "iohandledlink://mailto:tributi@comune.example.it").unwrap(),
            Some(Cta::new("Paga \"ora\"", "ioit://WALLET_HOME").unwrap()),
        )
        .with_english(
            Cta::new("Write", "iohandledlink://mailto:tributi@comune.example.it").unwrap(),
            None,
        );
        assert_eq!(
            ctas.front_matter(),
            "---\nit:\n    cta_1:\n        text: \"Scrivi\"\n        action: \"iohandledlink://mailto:tributi@comune.example.it\"\n    cta_2:\n        text: \"Paga \\\"ora\\\"\"\n        action: \"ioit://WALLET_HOME\"\nen:\n    cta_1:\n        text: \"Write\"\n        action: \"iohandledlink://mailto:tributi@comune.example.it\"\n---\n"
        );
    }

    #[test]
    fn only_ios_action_schemes_are_buttons() {
        for bad in [
            "https://x.example",
            "iohandledlink://http://x",
            "ioit://",
            "javascript:alert(1)",
            "ioit://A B",
        ] {
            assert!(Cta::new("x", bad).is_err(), "{bad}");
        }
        assert!(Cta::new("", "ioit://MESSAGES_HOME").is_err());
        assert!(Cta::new("a\nb", "ioit://MESSAGES_HOME").is_err());
    }

    #[test]
    fn unrendered_constructs_are_reported_by_line() {
        let text = "---\nit:\n    cta_1:\n        text: \"<b>\"\n---\n# Title\n#### Small\n| a | b |\nsee <b>this</b>\n~~old~~\n```\n<div>\n```\n1 < 2 and 3 > 2";
        assert_eq!(
            unrendered(text),
            vec![
                Unrendered::DeepHeading { line: 7, level: 4 },
                Unrendered::Table { line: 8 },
                Unrendered::Html { line: 9 },
                Unrendered::Strikethrough { line: 10 },
            ]
        );
    }
}
