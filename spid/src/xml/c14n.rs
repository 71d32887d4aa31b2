//! Exclusive XML Canonicalization 1.0 (W3C, 2002), with and without
//! comments and with an InclusiveNamespaces PrefixList: the only
//! canonicalisation SPID signatures use, and the only one accepted.
//!
//! Written here rather than taken from a crate: the verifier must
//! canonicalise the very `roxmltree` node it then hands to the caller, and
//! the XML-DSig crates each bring their own DOM. The rules implemented are
//! the specification's: a namespace declaration is output where it is
//! visibly utilised (by the element's or an attribute's prefix) or listed in
//! the PrefixList, unless an output ancestor already output the same one;
//! declarations sorted by prefix, attributes by namespace URI then local
//! name; the specification's character escapes; `xml:` attributes are not
//! inherited.

use roxmltree::{Node, NodeId, NodeType};

use super::{element_qname, prefix_of};

/// What to canonicalise.
pub(crate) struct Options<'a> {
    /// Keep comments (`#WithComments`).
    pub(crate) comments: bool,
    /// Prefixes treated inclusively (`#default` for the default namespace).
    pub(crate) inclusive: &'a [String],
    /// A node left out with its subtree (the enveloped signature).
    pub(crate) exclude: Option<NodeId>,
}

/// The canonical form of `apex` and its descendants. `source` is the text
/// the document was parsed from.
pub(crate) fn canonicalize(apex: Node<'_, '_>, source: &str, options: &Options<'_>) -> String {
    let mut out = String::with_capacity(apex.range().len());
    element(apex, source, options, &mut Vec::new(), &mut out);
    out
}

/// The URI `prefix` is bound to on `node` (`""` for the unbound default).
fn in_scope<'a>(node: Node<'a, '_>, prefix: &str) -> Option<&'a str> {
    node.namespaces()
        .find(|ns| ns.name().unwrap_or("") == prefix)
        .map(|ns| ns.uri())
}

/// `rendered` is the stack of `(prefix, uri)` declarations output by the
/// ancestors, innermost last: pushed here, popped on the way out, so no
/// element copies its parent's scope.
fn element<'a>(
    node: Node<'a, '_>,
    source: &'a str,
    options: &Options<'a>,
    rendered: &mut Vec<(&'a str, &'a str)>,
    out: &mut String,
) {
    let qname = element_qname(node, source);
    let mut wanted: Vec<&str> = vec![prefix_of(qname)];
    for attribute in node.attributes() {
        let prefix = prefix_of(source.get(attribute.range_qname()).unwrap_or_default());
        if !prefix.is_empty() {
            wanted.push(prefix);
        }
    }
    for listed in options.inclusive {
        let prefix = if listed == "#default" {
            ""
        } else {
            listed.as_str()
        };
        if in_scope(node, prefix).is_some() {
            wanted.push(prefix);
        }
    }
    wanted.sort_unstable();
    wanted.dedup();
    let mut declarations = Vec::new();
    for prefix in wanted {
        if prefix == "xml" {
            continue;
        }
        let uri = in_scope(node, prefix).unwrap_or("");
        let already = rendered
            .iter()
            .rev()
            .find(|(p, _)| *p == prefix)
            .map(|(_, uri)| *uri);
        // The unbound default needs `xmlns=""` only to undo an output one.
        let needed = if prefix.is_empty() && uri.is_empty() {
            already.is_some_and(|u| !u.is_empty())
        } else {
            already != Some(uri)
        };
        if needed {
            declarations.push((prefix, uri));
        }
    }
    let scope = rendered.len();
    rendered.extend(declarations.iter().copied());
    out.push('<');
    out.push_str(qname);
    for &(prefix, uri) in &declarations {
        out.push_str(if prefix.is_empty() {
            " xmlns"
        } else {
            " xmlns:"
        });
        out.push_str(prefix);
        out.push_str("=\"");
        escape_attribute(uri, out);
        out.push('"');
    }
    let mut attributes: Vec<_> = node.attributes().collect();
    attributes.sort_by(|a, b| {
        (a.namespace().unwrap_or(""), a.name()).cmp(&(b.namespace().unwrap_or(""), b.name()))
    });
    for attribute in attributes {
        out.push(' ');
        out.push_str(source.get(attribute.range_qname()).unwrap_or_default());
        out.push_str("=\"");
        escape_attribute(attribute.value(), out);
        out.push('"');
    }
    out.push('>');
    for child in node.children() {
        if Some(child.id()) == options.exclude {
            continue;
        }
        match child.node_type() {
            NodeType::Element => element(child, source, options, rendered, out),
            NodeType::Text => escape_text(child.text().unwrap_or_default(), out),
            NodeType::Comment if options.comments => {
                out.push_str("<!--");
                out.push_str(child.text().unwrap_or_default());
                out.push_str("-->");
            }
            NodeType::PI => {
                if let Some(pi) = child.pi() {
                    out.push_str("<?");
                    out.push_str(pi.target);
                    if let Some(value) = pi.value.filter(|v| !v.is_empty()) {
                        out.push(' ');
                        out.push_str(value);
                    }
                    out.push_str("?>");
                }
            }
            NodeType::Comment | NodeType::Root => {}
        }
    }
    rendered.truncate(scope);
    out.push_str("</");
    out.push_str(qname);
    out.push('>');
}

fn escape_attribute(value: &str, out: &mut String) {
    escape(value, out, |byte| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'"' => Some("&quot;"),
        b'\t' => Some("&#x9;"),
        b'\n' => Some("&#xA;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    });
}

fn escape_text(value: &str, out: &mut String) {
    escape(value, out, |byte| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    });
}

/// Copies `value` to `out` in runs, replacing the ASCII bytes `replacement`
/// names (so a run never ends inside a multi-byte character).
fn escape(value: &str, out: &mut String, replacement: impl Fn(u8) -> Option<&'static str>) {
    let mut run = 0;
    for (at, byte) in value.bytes().enumerate() {
        if let Some(escaped) = replacement(byte) {
            out.push_str(value.get(run..at).unwrap_or_default());
            out.push_str(escaped);
            run = at.saturating_add(1);
        }
    }
    out.push_str(value.get(run..).unwrap_or_default());
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "test generators over indices of their own small vectors"
)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str, comments: bool, inclusive: &[String]) -> String {
        let doc = crate::xml::parse(xml).unwrap();
        let root = doc.root_element();
        canonicalize(
            root,
            xml,
            &Options {
                comments,
                inclusive,
                exclude: None,
            },
        )
    }

    #[test]
    fn follows_the_exclusive_c14n_rules() {
        // Unused declarations dropped, used ones pushed down, attributes sorted,
        // empty elements expanded, escapes applied.
        let xml = r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u"><b:c z="1" b:y="&lt;&#9;" a:x="2"/><d>x &amp; y &gt; z</d><!-- note --></a:r>"#;
        assert_eq!(
            c14n(xml, false, &[]),
            r#"<a:r xmlns:a="urn:a"><b:c xmlns:b="urn:b" z="1" a:x="2" b:y="&lt;&#x9;"></b:c><d>x &amp; y &gt; z</d></a:r>"#
        );
        assert!(c14n(xml, true, &[]).ends_with("<!-- note --></a:r>"));
        assert!(
            c14n(xml, false, &["unused".to_owned()])
                .starts_with(r#"<a:r xmlns:a="urn:a" xmlns:unused="urn:u">"#)
        );
    }

    #[test]
    fn the_default_namespace_is_declared_once_and_undone_when_needed() {
        let xml = r#"<r xmlns="urn:d"><c><e xmlns=""/></c></r>"#;
        assert_eq!(
            c14n(xml, false, &[]),
            r#"<r xmlns="urn:d"><c><e xmlns=""></e></c></r>"#
        );
    }
}
