//! Counts what roxmltree spends quadratic time on, before it sees the text.
//!
//! roxmltree 0.21 checks each start tag's attributes for duplicates pairwise,
//! and gives every element that declares a namespace its own copy of the
//! in-scope declarations, deduplicated pairwise (roxmltree issue 153). A
//! 190 KB document of 4,000 declarations on the root and 8,000 children
//! declaring one more each took 216 s to parse here, unauthenticated, on
//! the ACS. So the attributes of each start tag, the declarations in
//! scope and the declarations in the document are bounded first, by a
//! linear scan of the markup.
//!
//! The scan needs to be right only about well-formed documents without a
//! DTD: anything else is refused by the parser right after it. There,
//! `<` opens markup only, a comment, CDATA section or processing
//! instruction ends at its own terminator, and a quote inside a start tag
//! delimits an attribute value, which holds no `<`.
//!
//! Its arithmetic is on positions inside a text of at most
//! [`MAX_XML_BYTES`](super::MAX_XML_BYTES), checked before the scan, and on
//! counts of what it pushed: none can overflow, so the crate's
//! arithmetic lint is lifted here rather than obscured at every index.
#![allow(
    clippy::arithmetic_side_effects,
    reason = "positions within a text bounded before the scan"
)]

use super::XmlError;

/// The most attributes (namespace declarations included) on one start tag.
pub const MAX_ATTRIBUTES: usize = 64;
/// The most namespace declarations in scope at any element.
pub const MAX_NAMESPACES_IN_SCOPE: usize = 64;
/// The most namespace declarations in a document (AgID's aggregate of nine
/// IdPs holds 137).
pub const MAX_NAMESPACE_DECLARATIONS: usize = 1024;

/// Refuses `text` when one of the bounds above is passed.
pub(super) fn check(text: &str) -> Result<(), XmlError> {
    // Declarations of each open element, innermost last.
    let mut open: Vec<usize> = Vec::new();
    let (mut in_scope, mut total) = (0, 0);
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        rest = rest.get(at..).unwrap_or_default();
        let next = match rest.as_bytes().get(1) {
            Some(b'!') if rest.starts_with("<!--") => skip_past(rest, "-->"),
            Some(b'!') if rest.starts_with("<![CDATA[") => skip_past(rest, "]]>"),
            // A DTD: the parser refuses it.
            Some(b'!') => None,
            Some(b'?') => skip_past(rest, "?>"),
            Some(b'/') => {
                in_scope -= open.pop().unwrap_or(0);
                skip_past(rest, ">")
            }
            _ => {
                // Refuses a tag of too many attributes as soon as it counts one more.
                let tag = start_tag(rest)?;
                total += tag.declarations;
                in_scope += tag.declarations;
                if in_scope > MAX_NAMESPACES_IN_SCOPE || total > MAX_NAMESPACE_DECLARATIONS {
                    return Err(XmlError::TooManyNamespaces);
                }
                if tag.empty {
                    in_scope -= tag.declarations;
                } else {
                    open.push(tag.declarations);
                }
                rest.get(tag.length..)
            }
        };
        match next {
            Some(next) => rest = next,
            // Unterminated markup or a DTD: for the parser to refuse.
            None => return Ok(()),
        }
    }
    Ok(())
}

/// `rest` after the first `terminator`, if there is one. A one-byte
/// terminator (`>`, every end tag) is searched as a byte, which is much
/// faster than a substring search set up for each tag.
fn skip_past<'a>(rest: &'a str, terminator: &str) -> Option<&'a str> {
    let end = match terminator.as_bytes() {
        [byte] => rest.bytes().position(|b| b == *byte)?,
        _ => rest.find(terminator)?,
    };
    rest.get(end + terminator.len()..)
}

/// What one start tag holds.
struct StartTag {
    attributes: usize,
    declarations: usize,
    /// `<…/>`: nothing stays in scope after it.
    empty: bool,
    /// Bytes up to and including its `>`.
    length: usize,
}

/// Reads the start tag at the beginning of `text` (which starts with `<`).
/// An unterminated one is measured up to the end of the text.
fn start_tag(text: &str) -> Result<StartTag, XmlError> {
    let bytes = text.as_bytes();
    let mut tag = StartTag {
        attributes: 0,
        declarations: 0,
        empty: false,
        length: bytes.len(),
    };
    // Where the bytes not yet looked back at begin: the name before a `=`
    // is looked for from there only, so each byte is read twice at most.
    let mut unread = 1;
    let mut index = 1;
    while let Some(next) = bytes.get(index..).and_then(|rest| {
        rest.iter()
            .position(|b| matches!(b, b'"' | b'\'' | b'=' | b'>'))
    }) {
        index += next;
        match bytes.get(index) {
            Some(&quote @ (b'"' | b'\'')) => {
                let value = bytes.get(index + 1..).unwrap_or_default();
                match value.iter().position(|&b| b == quote) {
                    Some(end) => index += end + 1,
                    None => break,
                }
                unread = index + 1;
            }
            Some(b'=') => {
                tag.attributes += 1;
                if tag.attributes > MAX_ATTRIBUTES {
                    return Err(XmlError::TooManyAttributes);
                }
                // XML's white space is ASCII: the name is the last word before `=`.
                let before = bytes
                    .get(unread..index)
                    .unwrap_or_default()
                    .trim_ascii_end();
                let name = before
                    .rsplit(u8::is_ascii_whitespace)
                    .next()
                    .unwrap_or_default();
                if name == b"xmlns" || name.starts_with(b"xmlns:") {
                    tag.declarations += 1;
                }
                unread = index + 1;
            }
            _ => {
                tag.empty = bytes.get(index - 1) == Some(&b'/');
                tag.length = index + 1;
                break;
            }
        }
        index += 1;
    }
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_attributes_and_declarations_but_not_values_or_comments() {
        let tag = start_tag(r#"<a:r xmlns:a="u" xmlns = 'v' b="x=y>" c="/">"#).unwrap();
        assert_eq!((tag.attributes, tag.declarations, tag.empty), (4, 2, false));
        let many: String = (0..40).map(|i| format!(" xmlns:p{i}=\"u\"")).collect();
        let siblings = format!("<r><!-- <x{many}><y{many}> --><s{many}/><s{many}></s></r>");
        assert!(
            check(&siblings).is_ok(),
            "siblings leave scope; comments hold no tags"
        );
        let nested = format!("<r{many}><s{many}/></r>");
        assert!(matches!(check(&nested), Err(XmlError::TooManyNamespaces)));
        let wide: String = (0..65).map(|i| format!(" a{i}=\"\"")).collect();
        assert!(matches!(
            check(&format!("<r{wide}/>")),
            Err(XmlError::TooManyAttributes)
        ));
    }
}
