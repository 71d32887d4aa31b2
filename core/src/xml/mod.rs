//! Parsing XML that an attacker may have written (feature `xml`): one set
//! of rules for every inbound XML path of abilita, SAML messages and SPID
//! metadata in abilita-spid, SOAP from pagoPA's Nodo in abilita-pagopa.
//!
//! [`parse`] bounds the size, the nesting, the nodes, the attributes and
//! namespace declarations of each start tag, refuses any DTD (so no
//! entities: no XXE, no billion laughs), and refuses a declared encoding
//! other than the UTF-8 the text was read as.

mod start_tags;
pub mod write;

pub use start_tags::{MAX_ATTRIBUTES, MAX_NAMESPACE_DECLARATIONS, MAX_NAMESPACES_IN_SCOPE};

use roxmltree::{Document, Node, ParsingOptions};

/// The largest document accepted (a SPID Response or a Nodo receipt is a
/// few KB; the AgID registry aggregate about 200 KB).
pub const MAX_XML_BYTES: usize = 512 * 1024;
/// The most nodes accepted.
pub const MAX_NODES: u32 = 50_000;
/// The deepest nesting accepted (canonicalisation recurses on it).
pub const MAX_DEPTH: usize = 64;

/// Why a document was refused before any other check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// Larger than [`MAX_XML_BYTES`].
    #[error("the document is larger than {MAX_XML_BYTES} bytes")]
    TooLarge,
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("the document is nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Not well-formed, a DTD (refused outright: no entities, no XXE, no
    /// billion laughs), or more than [`MAX_NODES`] nodes.
    #[error("the document is not acceptable XML")]
    Malformed(#[source] roxmltree::Error),
    /// A start tag with more than [`MAX_ATTRIBUTES`] attributes.
    #[error("a start tag has more than {MAX_ATTRIBUTES} attributes")]
    TooManyAttributes,
    /// More than [`MAX_NAMESPACES_IN_SCOPE`] namespace declarations in
    /// scope, or more than [`MAX_NAMESPACE_DECLARATIONS`] in the document.
    #[error("the document declares too many namespaces")]
    TooManyNamespaces,
    /// A start tag declares the default namespace twice: not well-formed
    /// (XML 1.0, Unique Att Spec), but let through by roxmltree 0.21, which
    /// refuses only a repeated prefixed declaration.
    #[error("an element declares the default namespace twice")]
    RepeatedDefaultNamespace,
    /// The XML declaration names an encoding other than UTF-8: the text
    /// was read as UTF-8, so a reader that honours the declaration would
    /// read other characters than the ones checked here.
    #[error("the XML declaration names an encoding other than UTF-8")]
    NotUtf8,
}

/// Parses `text` with the limits above and those of start tags
/// ([`MAX_ATTRIBUTES`] and the namespace bounds, checked before parsing:
/// roxmltree's time grows with their square); DTDs are refused.
///
/// # Errors
/// An [`XmlError`].
pub fn parse(text: &str) -> Result<Document<'_>, XmlError> {
    if text.len() > MAX_XML_BYTES {
        return Err(XmlError::TooLarge);
    }
    if !declared_utf8(text) {
        return Err(XmlError::NotUtf8);
    }
    start_tags::check(text)?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(text, options).map_err(XmlError::Malformed)?;
    for node in document.descendants().filter(Node::is_element) {
        if node.ancestors().nth(MAX_DEPTH + 1).is_some() {
            return Err(XmlError::TooDeep);
        }
        // An element's in-scope list holds one default binding, its own or
        // the inherited one, unless a start tag repeated `xmlns=`.
        let defaults = node.namespaces().filter(|ns| ns.name().is_none());
        if defaults.count() > 1 {
            return Err(XmlError::RepeatedDefaultNamespace);
        }
    }
    Ok(document)
}

/// Whether the XML declaration, if any, leaves the encoding UTF-8 (absent,
/// or `UTF-8` in any case, XML 1.0 §4.3.3).
fn declared_utf8(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(declaration) = text
        .strip_prefix("<?xml")
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_whitespace()))
        .and_then(|rest| rest.split_once("?>"))
        .map(|(declaration, _)| declaration)
    else {
        return true;
    };
    let Some((_, after)) = declaration.split_once("encoding") else {
        return true;
    };
    let value = after.trim_start().strip_prefix('=').map(str::trim_start);
    let name = value.and_then(|v| {
        let quote = v.chars().next().filter(|q| *q == '"' || *q == '\'')?;
        v.get(1..)?.split(quote).next()
    });
    name.is_some_and(|name| name.eq_ignore_ascii_case("UTF-8"))
}

/// The whole text of an element: every text child, comments skipped.
///
/// Read values from signed elements with this, never with
/// `roxmltree::Node::text` (the first text child only): `user@evil<!---->.example`
/// would otherwise read as `user@evil` while the canonical, signed text is
/// `user@evil.example`, the comment-truncation attack on SAML readers.
#[must_use]
pub fn text_content(node: Node<'_, '_>) -> String {
    node.children()
        .filter(Node::is_text)
        .filter_map(|t| t.text())
        .collect()
}
