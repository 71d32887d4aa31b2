//! Attacks on the inbound path, with namespaces intact (spid-sp-test's XSW
//! cases strip them and prove little).

use abilita_spid::dsig::DsigError;
use abilita_spid::xml::{
    MAX_ATTRIBUTES, MAX_NAMESPACE_DECLARATIONS, MAX_NAMESPACES_IN_SCOPE, MAX_XML_BYTES, XmlError,
    parse,
};

use super::fixtures::verdict;

const VALID: &str = include_str!("../data/responses/case-001.xml");

/// The signed Assertion element of the valid Response, as text.
fn signed_assertion() -> &'static str {
    let start = VALID.find("<saml:Assertion").unwrap();
    let end = VALID.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    &VALID[start..end]
}

#[test]
fn a_forged_assertion_before_the_signed_one_is_refused() {
    // XSW with namespaces: a forged Assertion first, the signed one kept after it.
    let forged = signed_assertion().replacen("ID=\"", "ID=\"forged", 1);
    let wrapped = VALID.replacen(
        "<saml:Assertion",
        &format!("{}<saml:Assertion", strip_signature(&forged)),
        1,
    );
    assert_eq!(
        verdict(&wrapped),
        Err(DsigError::Malformed(
            "exactly one saml:Assertion is required"
        ))
    );
}

#[test]
fn a_signed_assertion_moved_into_an_extension_is_refused() {
    // The signed Assertion hidden in the Response's Extensions, a forged one in its place.
    let forged = strip_signature(signed_assertion()).replacen("ID=\"", "ID=\"x", 1);
    let wrapped = VALID.replacen(
        signed_assertion(),
        &format!(
            "<samlp:Extensions>{}</samlp:Extensions>{forged}",
            signed_assertion()
        ),
        1,
    );
    assert!(verdict(&wrapped).is_err());
}

#[test]
fn a_changed_name_or_a_comment_in_a_value_breaks_the_digest() {
    let code = "TINIT-";
    assert!(VALID.contains(code), "the fixture carries a fiscal number");
    let changed = VALID.replacen("TINIT-", "TINIT-X", 1);
    assert_eq!(verdict(&changed), Err(DsigError::DigestMismatch));
    // Comment injection (the SAML "comment truncation" attack): exc-c14n
    // without comments drops the comment, so the digest holds, but a reader
    // of the node's text would see two pieces. The digest must still match
    // the original text to be accepted, so an injected comment that splits
    // the value into other text is refused.
    let injected = VALID.replacen("TINIT-", "TINIT-<!--x-->", 1);
    assert!(
        verdict(&injected).is_ok(),
        "a comment alone does not change the canonical text"
    );
    let split = VALID.replacen("TINIT-", "TINIT-EVIL<!--x-->", 1);
    assert_eq!(verdict(&split), Err(DsigError::DigestMismatch));
    // And the reader sees the whole value, not the part before the comment.
    let document = abilita_spid::xml::parse(&injected).unwrap();
    let value = document
        .descendants()
        .find(|n| n.is_text() && n.text().is_some_and(|t| t.starts_with("TINIT-")))
        .unwrap()
        .parent()
        .unwrap();
    assert!(
        abilita_spid::xml::text_content(value).starts_with("TINIT-")
            && abilita_spid::xml::text_content(value).len() > "TINIT-".len()
    );
}

#[test]
fn sha1_and_other_algorithms_are_refused() {
    let sha1 = VALID.replacen(
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2000/09/xmldsig#sha1",
        1,
    );
    assert!(
        matches!(verdict(&sha1), Err(DsigError::UnsupportedAlgorithm(_))),
        "{:?}",
        verdict(&sha1)
    );
    let rsa_sha1 = VALID.replacen(
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        1,
    );
    assert!(
        matches!(verdict(&rsa_sha1), Err(DsigError::UnsupportedAlgorithm(_))),
        "{:?}",
        verdict(&rsa_sha1)
    );
    let inclusive = VALID.replacen(
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        1,
    );
    assert!(verdict(&inclusive).is_err());
}

#[test]
fn doctypes_entities_and_oversized_documents_never_reach_the_verifier() {
    let xxe = format!(
        "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}",
        VALID.trim_start_matches("<?xml version=\"1.0\"?>")
    );
    assert!(matches!(parse(&xxe), Err(XmlError::Malformed(_))));
    let laughs = "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><r>&b;</r>";
    assert!(matches!(parse(laughs), Err(XmlError::Malformed(_))));
    let huge = format!("<r>{}</r>", "x".repeat(MAX_XML_BYTES));
    assert!(matches!(parse(&huge), Err(XmlError::TooLarge)));
    let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
    assert!(matches!(parse(&deep), Err(XmlError::TooDeep)));
}

#[test]
fn documents_that_would_take_the_parser_quadratic_time_are_refused_before_it() {
    // roxmltree issue 153: this 190 KB document took 216 s to parse.
    let declarations: String = (0..4000).map(|i| format!(" xmlns:p{i}=\"u\"")).collect();
    let bomb = format!("<r{declarations}>{}</r>", "<a xmlns:z=\"u\"/>".repeat(8000));
    assert!(matches!(parse(&bomb), Err(XmlError::TooManyAttributes)));
    // In scope or in the whole document.
    let some: String = (0..MAX_NAMESPACES_IN_SCOPE / 2)
        .map(|i| format!(" xmlns:p{i}=\"u\""))
        .collect();
    let nested = format!("<a{some}><b{some}><c{some}/></b></a>");
    assert!(matches!(parse(&nested), Err(XmlError::TooManyNamespaces)));
    let siblings = MAX_NAMESPACE_DECLARATIONS / (MAX_NAMESPACES_IN_SCOPE / 2);
    let spread = format!("<r>{}</r>", format!("<a{some}/>").repeat(siblings + 1));
    assert!(matches!(parse(&spread), Err(XmlError::TooManyNamespaces)));
    let within = format!("<r>{}</r>", format!("<a{some}/>").repeat(siblings));
    assert!(parse(&within).is_ok());
    let attributes: String = (0..=MAX_ATTRIBUTES)
        .map(|i| format!(" a{i}=\"\""))
        .collect();
    assert!(matches!(
        parse(&format!("<r{attributes}/>")),
        Err(XmlError::TooManyAttributes)
    ));
    // The same bytes in a comment or a value are not markup.
    assert!(
        parse(&format!(
            "<r><!--<r{attributes}/>--><s v='{declarations}'/></r>"
        ))
        .is_ok()
    );
}

#[test]
fn a_repeated_default_namespace_declaration_is_refused() {
    // Not well-formed, yet roxmltree takes it (found by the c14n
    // differential test): which binding wins would be a parser's choice.
    let repeated = VALID.replacen(
        "<saml:Issuer",
        "<saml:Issuer xmlns=\"urn:a\" xmlns=\"urn:b\"",
        1,
    );
    assert!(matches!(
        parse(&repeated),
        Err(XmlError::RepeatedDefaultNamespace)
    ));
    assert!(verdict(&repeated).is_err());
    let nested_redeclaration = VALID.replacen("<saml:Issuer", "<saml:Issuer xmlns=\"urn:a\"", 1);
    assert!(parse(&nested_redeclaration).is_ok());
}

#[test]
fn a_repeated_id_is_refused() {
    let duplicate = VALID.replacen(
        "<saml:Issuer",
        &format!("<saml:Issuer ID=\"{}\"", assertion_id()),
        1,
    );
    assert!(verdict(&duplicate).is_err());
}

fn assertion_id() -> String {
    let document = roxmltree::Document::parse(VALID).unwrap();
    let assertion = document
        .descendants()
        .find(|n| n.tag_name().name() == "Assertion")
        .unwrap();
    assertion.attribute("ID").unwrap().to_owned()
}

fn strip_signature(xml: &str) -> String {
    match (xml.find("<ds:Signature"), xml.find("</ds:Signature>")) {
        (Some(start), Some(end)) => {
            format!("{}{}", &xml[..start], &xml[end + "</ds:Signature>".len()..])
        }
        _ => xml.to_owned(),
    }
}
