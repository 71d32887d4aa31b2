//! A SPID Response signed again by a key of ours, standing in for an IdP's,
//! so that a changed Response still passes the signature checks and
//! reaches the rules behind them: for tests that change a fixture, the
//! bench, which pads case 1 to a size, and the `signed_response` fuzz
//! target, which signs whatever the fuzzer wrote.

use crate::SigningKey;
use crate::dsig::{sign_template, signature_template};

/// `xml` without its `ds:Signature` elements.
pub fn strip_signatures(xml: &str) -> String {
    let mut xml = xml.to_owned();
    let mut from = 0;
    while let Some(start) = xml.get(from..).and_then(|rest| rest.find("<ds:Signature")) {
        let start = from + start;
        let opens_element = xml
            .get(start + "<ds:Signature".len()..)
            .is_some_and(|rest| rest.starts_with(['>', ' ']));
        match xml
            .get(start..)
            .and_then(|rest| rest.find("</ds:Signature>"))
        {
            Some(end) if opens_element => {
                xml.replace_range(start..start + end + "</ds:Signature>".len(), "");
            }
            _ => from = start + 1,
        }
    }
    xml
}

/// `unsigned` (a Response without signatures) with its first Assertion
/// signed, then the Response, by `key` (`certificate_pem` in `KeyInfo`),
/// each signature right after the element's Issuer. `None` when the text
/// lacks that shape or the signer refuses it.
pub fn resign(unsigned: &str, key: &SigningKey, certificate_pem: &str) -> Option<String> {
    let assertion = unsigned.find("<saml:Assertion")?;
    let signed = sign_after_issuer(unsigned, assertion, key, certificate_pem)?;
    sign_after_issuer(&signed, 0, key, certificate_pem)
}

/// Signs the element opening at `from` (its `ID`), the template placed
/// after the first `</saml:Issuer>` that follows.
fn sign_after_issuer(
    xml: &str,
    from: usize,
    key: &SigningKey,
    certificate_pem: &str,
) -> Option<String> {
    let rest = xml.get(from..)?;
    let id_start = rest.find(" ID=\"")? + " ID=\"".len();
    let id_len = rest.get(id_start..)?.find('"')?;
    let id = rest.get(id_start..id_start + id_len)?;
    let at = from + rest.find("</saml:Issuer>")? + "</saml:Issuer>".len();
    let mut templated = xml.to_owned();
    templated.insert_str(at, &signature_template(id, key));
    sign_template(&templated, key, certificate_pem).ok()
}
