//! Secret types: API keys, tokens and private keys.
//!
//! Each secret is its own type so that the compiler stops a key from being
//! passed where a token is expected, and so that no secret can be printed by
//! accident:
//!
//! - `Debug` prints `Name([redacted])`, and there is no `Display`;
//! - the memory is zeroed on drop ([`zeroize`]);
//! - [`ApiKey::header_value`] and friends build a header value marked
//!   *sensitive*, which HTTP tooling (hyper, tracing of headers) hides;
//! - the transport never puts headers, query strings or bodies in logs or
//!   error messages.
//!
//! The only way to read a secret is the explicitly named `expose_secret`.
//!
//! ```
//! use abilita_core::ApiKey;
//!
//! let key = ApiKey::new("s3cr3t-subscription-key");
//! assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
//! assert_eq!(key.expose_secret(), "s3cr3t-subscription-key");
//! ```

use http::HeaderValue;
use zeroize::Zeroizing;

use crate::InvalidInput;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Zeroizing<String>);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(Zeroizing::new(value.into()))
            }

            /// The secret itself. Call this only where the value must leave
            /// the process (a header, a signature), never to log it.
            #[must_use]
            pub fn expose_secret(&self) -> &str {
                &self.0
            }

            /// A header value marked sensitive, so that HTTP tooling hides it.
            ///
            /// # Errors
            /// When the secret holds characters a header cannot carry; the
            /// error names the type, never the value.
            pub fn header_value(&self) -> Result<HeaderValue, InvalidInput> {
                sensitive_header(stringify!($name), &self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// A platform API or subscription key (IO `Ocp-Apim-Subscription-Key`,
    /// GPD subscription key).
    ApiKey
);
secret_type!(
    /// A bearer token (PDND voucher, OAuth access token).
    AccessToken
);
secret_type!(
    /// A private key in PEM form (SPID signing key, PDND client key, TLS
    /// client key).
    PrivateKeyPem
);

/// The reason a secret cannot be a header value; it never repeats the value.
#[derive(Debug, thiserror::Error)]
#[error("the secret contains characters not allowed in an HTTP header")]
struct NotAHeaderValue;

fn sensitive_header(name: &'static str, value: &str) -> Result<HeaderValue, InvalidInput> {
    let mut header =
        HeaderValue::from_str(value).map_err(|_| InvalidInput::new(name, NotAHeaderValue))?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_for_every_type() {
        assert_eq!(format!("{:?}", ApiKey::new("k1")), "ApiKey([redacted])");
        assert_eq!(
            format!("{:?}", AccessToken::new("t1")),
            "AccessToken([redacted])"
        );
        assert_eq!(
            format!("{:#?}", PrivateKeyPem::new("-----BEGIN")),
            "PrivateKeyPem([redacted])"
        );
    }

    #[test]
    fn header_value_is_sensitive_and_errors_do_not_leak() {
        let header = ApiKey::new("abc").header_value().unwrap();
        assert!(header.is_sensitive());
        let err = ApiKey::new("bad\nvalue-xyz").header_value().unwrap_err();
        let shown = format!("{err} {err:?} {}", std::error::Error::source(&err).unwrap());
        assert!(!shown.contains("value-xyz"), "{shown}");
        assert_eq!(err.field(), "ApiKey");
    }
}
