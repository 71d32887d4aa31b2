//! URLs of pages a browser is sent to, or a file is downloaded from.

use abilita_core::{InvalidInput, Rule};
use url::Url;

/// `text` as a URL a citizen's browser or a download may use: `https://`,
/// or `http://` on loopback (a test's server).
pub(crate) fn web_url(field: &'static str, text: &str) -> Result<Url, InvalidInput> {
    let url = Url::parse(text).map_err(|_| InvalidInput::new(field, Rule("an absolute URL")))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(InvalidInput::new(
            field,
            Rule("https:// (http:// only on loopback)"),
        )),
    }
}
