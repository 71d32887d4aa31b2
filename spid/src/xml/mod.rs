//! Parsing XML that an attacker may have written: the rules are
//! [`abilita_core::xml`]'s, shared with every inbound XML path of abilita;
//! canonicalisation and the names as written are SAML's own.

pub(crate) mod c14n;

pub use abilita_core::xml::{
    MAX_ATTRIBUTES, MAX_DEPTH, MAX_NAMESPACE_DECLARATIONS, MAX_NAMESPACES_IN_SCOPE, MAX_NODES,
    MAX_XML_BYTES, XmlError, parse, text_content, write,
};

use roxmltree::Node;

/// The prefix an element or attribute was written with (`""` for none),
/// read from the source: roxmltree resolves names to URIs, and c14n must
/// reproduce the prefixes as written.
pub(crate) fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map_or("", |(prefix, _)| prefix)
}

/// An element's qualified name as written.
pub(crate) fn element_qname<'a>(node: Node<'_, 'a>, source: &'a str) -> &'a str {
    let start = node.range().start.saturating_add(1);
    let rest = source.get(start..).unwrap_or_default();
    // A name ends at XML's (ASCII) white space, `>` or `/`: a byte search,
    // as c14n asks for every element's name.
    let end = rest
        .bytes()
        .position(|b| b.is_ascii_whitespace() || b == b'>' || b == b'/')
        .unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}
