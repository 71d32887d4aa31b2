//! The platform's base URL: explicit, HTTPS, or plain HTTP on loopback only.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

use crate::InvalidInput;

/// Where a platform's API lives, for example
/// `https://api.uat.platform.pagopa.it/gpd/debt-positions-service/v1`.
///
/// There is no default: every client is built with an explicit base URL (a
/// platform crate's `Environment` gives the official ones), so nothing ever
/// reaches production by accident. HTTPS is required, except on loopback
/// (`127.0.0.0/8`, `::1`, `localhost`) where the simulators run.
///
/// ```
/// use abilita_core::BaseUrl;
///
/// assert!(BaseUrl::parse("https://api.io.pagopa.it/api/v1").is_ok());
/// assert!(BaseUrl::parse("http://127.0.0.1:8080/api/v1").is_ok());
/// assert!(BaseUrl::parse("http://api.io.pagopa.it/api/v1").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: Url,
}

/// Why a base URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BaseUrlError {
    /// Not an absolute URL.
    #[error("not an absolute URL")]
    Malformed,
    /// Plain HTTP to a host that is not loopback.
    #[error("HTTPS is required except on loopback")]
    InsecureScheme,
    /// A scheme other than `http` or `https`.
    #[error("the scheme must be https (or http on loopback)")]
    UnsupportedScheme,
    /// User name or password in the URL, where they would end up in logs.
    #[error("credentials in the URL are not allowed")]
    Credentials,
    /// A query string or fragment, which cannot be combined with API paths.
    #[error("a base URL cannot carry a query or fragment")]
    QueryOrFragment,
}

impl BaseUrl {
    /// Checks and wraps a base URL.
    ///
    /// # Errors
    /// [`InvalidInput`] for the field `base_url`, with a [`BaseUrlError`]
    /// as its cause.
    pub fn parse(input: &str) -> Result<Self, InvalidInput> {
        Self::check(input).map_err(|e| InvalidInput::new("base_url", e))
    }

    fn check(input: &str) -> Result<Self, BaseUrlError> {
        let mut url = Url::parse(input).map_err(|_| BaseUrlError::Malformed)?;
        if url.cannot_be_a_base() || url.host().is_none() {
            return Err(BaseUrlError::Malformed);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(BaseUrlError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(BaseUrlError::QueryOrFragment);
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(BaseUrlError::InsecureScheme),
            _ => return Err(BaseUrlError::UnsupportedScheme),
        }
        // Paths are appended as `base + "/segment"`: keep no trailing slash.
        let trimmed = url.path().trim_end_matches('/').to_owned();
        url.set_path(&trimmed);
        Ok(Self { url })
    }

    /// The host name, as shown in traces.
    #[must_use]
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// Whether the URL points at this machine (a simulator).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.url)
    }

    /// The base URL as text, without a trailing slash.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.url.as_str().trim_end_matches('/')
    }

    /// The URL of `path` (which starts with `/`) under this base.
    pub(crate) fn join(&self, path: &str) -> String {
        let base = self.as_str();
        let mut url = String::with_capacity(base.len() + path.len());
        url.push_str(base);
        url.push_str(path);
        url
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BaseUrl").field(&self.as_str()).finish()
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(input: &str) -> BaseUrlError {
        BaseUrl::check(input).unwrap_err()
    }

    #[test]
    fn accepts_https_and_loopback_http() {
        for ok in [
            "https://api.io.pagopa.it/api/v1/",
            "http://127.0.0.1:9000",
            "http://127.10.0.1:9000/x",
            "http://[::1]:9000/x",
            "http://LOCALHOST:9000/x",
        ] {
            let url = BaseUrl::check(ok).unwrap();
            assert!(!url.as_str().ends_with('/'), "{url}");
        }
        assert_eq!(
            BaseUrl::check("https://h.example/a/b/").unwrap().join("/c"),
            "https://h.example/a/b/c"
        );
    }

    #[test]
    fn refuses_what_would_leak_or_mislead() {
        assert_eq!(
            reason("http://api.io.pagopa.it"),
            BaseUrlError::InsecureScheme
        );
        assert_eq!(
            reason("http://localhost.evil.example"),
            BaseUrlError::InsecureScheme
        );
        assert_eq!(reason("ftp://127.0.0.1"), BaseUrlError::UnsupportedScheme);
        assert_eq!(
            reason("https://user:pw@h.example"),
            BaseUrlError::Credentials
        );
        assert_eq!(
            reason("https://h.example/?key=1"),
            BaseUrlError::QueryOrFragment
        );
        assert_eq!(reason("/relative"), BaseUrlError::Malformed);
        assert_eq!(reason("mailto:someone@h.example"), BaseUrlError::Malformed);
    }
}
