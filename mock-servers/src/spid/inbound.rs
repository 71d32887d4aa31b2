//! A SAML message as it reaches the IdP (HTTP-Redirect or HTTP-POST), read
//! and its signature checked against the sending SP's keys.

use std::io::Read as _;

use abilita_spid::dsig::TrustedKey;
use base64::Engine as _;

/// The most XML the IdP inflates from a Redirect: AuthnRequests are a few KB.
const MAX_INFLATED: u64 = 256 * 1024;

/// How a message came, with what its signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Binding {
    /// The query, exactly as received: the signature is over its octets.
    Redirect { query: String },
    /// Enveloped in the XML.
    Post,
}

/// A message received: its XML, RelayState, and binding.
#[derive(Debug, Clone)]
pub(crate) struct Inbound {
    /// `SAMLRequest` or `SAMLResponse`: the field it came in.
    pub(crate) field: &'static str,
    pub(crate) xml: String,
    pub(crate) relay_state: Option<String>,
    pub(crate) binding: Binding,
}

/// The first value of `name` in an `application/x-www-form-urlencoded` text.
pub(crate) fn field(form: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(form.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// The raw (still percent-encoded) `name=value` part of a query.
fn raw_part<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .find(|part| part.split_once('=').is_some_and(|(n, _)| n == name))
}

impl Inbound {
    /// A message in the query of an HTTP-Redirect (`field` is `SAMLRequest`
    /// or `SAMLResponse`): base64, then raw DEFLATE.
    pub(crate) fn from_redirect(query: &str, field_name: &'static str) -> Result<Self, String> {
        let encoded = field(query, field_name).ok_or(format!("no {field_name} in the query"))?;
        let deflated = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| format!("{field_name} is not base64"))?;
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(deflated.as_slice())
            .take(MAX_INFLATED)
            .read_to_string(&mut xml)
            .map_err(|_| format!("{field_name} is not DEFLATE-compressed UTF-8"))?;
        Ok(Self {
            field: field_name,
            xml,
            relay_state: field(query, "RelayState"),
            binding: Binding::Redirect {
                query: query.to_owned(),
            },
        })
    }

    /// A message in a posted form: base64 of the (XML-signed) message.
    pub(crate) fn from_post(form: &str, field_name: &'static str) -> Result<Self, String> {
        let encoded = field(form, field_name).ok_or(format!("no {field_name} in the form"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.split_whitespace().collect::<String>())
            .map_err(|_| format!("{field_name} is not base64"))?;
        Ok(Self {
            field: field_name,
            xml: String::from_utf8(bytes).map_err(|_| format!("{field_name} is not UTF-8"))?,
            relay_state: field(form, "RelayState"),
            binding: Binding::Post,
        })
    }

    /// Whether one of `keys` signed the message: over the query octets
    /// `SAMLRequest=…&RelayState=…&SigAlg=…` (SAML bindings §3.4.4.1) for
    /// a Redirect, an enveloped `#ID` signature of the root for a POST.
    pub(crate) fn verify(&self, keys: &[TrustedKey]) -> Result<(), String> {
        let field_name = self.field;
        match &self.binding {
            Binding::Redirect { query } => {
                let sig_alg =
                    field(query, "SigAlg").ok_or("no SigAlg: the request is not signed")?;
                let signature =
                    field(query, "Signature").ok_or("no Signature: the request is not signed")?;
                let signature = base64::engine::general_purpose::STANDARD
                    .decode(signature.trim())
                    .map_err(|_| "the Signature is not base64")?;
                let signed: Vec<&str> = [field_name, "RelayState", "SigAlg"]
                    .iter()
                    .filter_map(|name| raw_part(query, name))
                    .collect();
                let octets = signed.join("&");
                keys.iter()
                    .any(|k| {
                        k.verify_detached(&sig_alg, octets.as_bytes(), &signature)
                            .is_ok()
                    })
                    .then_some(())
                    .ok_or_else(|| {
                        "the query signature does not verify with the SP's keys".to_owned()
                    })
            }
            Binding::Post => {
                let document = abilita_spid::xml::parse(&self.xml).map_err(|e| e.to_string())?;
                abilita_spid::dsig::verify_element(
                    &document,
                    &self.xml,
                    document.root_element(),
                    keys,
                )
                .map_err(|e| format!("the XML signature does not verify with the SP's keys: {e}"))
            }
        }
    }
}
