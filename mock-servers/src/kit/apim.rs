//! Azure API Management, the gateway in front of GPD and App IO: its
//! subscription keys and the bodies of its own refusals (`{"statusCode",
//! "message"}`, not a ProblemJson), as the platforms' gateways send them.

use serde_json::json;

use super::{Call, Reply};

/// The header APIM reads the key from.
const KEY_HEADER: &str = "ocp-apim-subscription-key";
/// The query parameter APIM reads the key from when the header is absent
/// (its default; IO's manage API declares it as `apiKeyQuery`).
const KEY_QUERY: &str = "subscription-key";

/// A refusal by the gateway itself.
pub(crate) fn gateway(status: u16, message: &str) -> Reply {
    Reply::new(status).json(&json!({ "statusCode": status, "message": message }))
}

/// The subscription key of `call` (the header, else the query parameter),
/// or APIM's 401 for a missing one.
pub(crate) fn subscription_key<'a>(call: &Call<'a>) -> Result<std::borrow::Cow<'a, str>, Reply> {
    let from_query = || {
        url::form_urlencoded::parse(call.raw_query().as_bytes())
            .find(|(name, _)| name == KEY_QUERY)
            .map(|(_, key)| key)
    };
    call.header(KEY_HEADER)
        .map(std::borrow::Cow::Borrowed)
        .or_else(from_query)
        .ok_or_else(|| {
        gateway(
            401,
            "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.",
        )
    })
}

/// The subscription keys of a simulator whose keys all grant the same
/// (Checkout's, the print service's), checked as APIM checks them.
#[derive(Debug, Default)]
pub(crate) struct Keys(std::sync::Mutex<Vec<String>>);

impl Keys {
    /// Lets `key` in.
    pub(crate) fn grant(&self, key: &str) {
        crate::lock(&self.0).push(key.to_owned());
    }

    /// APIM's 401 unless `call` carries a granted key.
    pub(crate) fn admit(&self, call: &Call<'_>) -> Result<(), Reply> {
        let key = subscription_key(call)?;
        if crate::lock(&self.0).iter().any(|k| k == key.as_ref()) {
            Ok(())
        } else {
            Err(invalid_key())
        }
    }
}

/// APIM's 401 for a key it does not know.
pub(crate) fn invalid_key() -> Reply {
    gateway(
        401,
        "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.",
    )
}

/// APIM's 429, with the wait in seconds in the header the platform uses.
pub(crate) fn throttled(wait_seconds: u64, retry_header: &str) -> Reply {
    gateway(
        429,
        &format!("Rate limit is exceeded. Try again in {wait_seconds} seconds."),
    )
    .header(retry_header, wait_seconds.to_string())
}

/// APIM's 404 for a path no API or operation has.
pub(crate) fn not_found() -> Reply {
    gateway(404, "Resource not found")
}
