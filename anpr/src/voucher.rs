//! PDND vouchers: a client assertion exchanged for a Bearer token.

use std::collections::HashMap;
use std::sync::Mutex;

use abilita_core::http::HeaderValue;
use abilita_core::{AccessToken, ApiRequest, Error, Transport, lock};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::error::AnprError;

/// A voucher is renewed this long before it expires.
const RENEW_BEFORE: time::Duration = time::Duration::seconds(30);

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// Asks PDND for vouchers, keeping those that carry no digest until shortly
/// before they expire (a voucher with a digest is bound to one tracking
/// evidence, so one call, and is never reused).
#[derive(Debug)]
pub struct VoucherClient {
    transport: Transport,
    client_id: String,
    cache: Mutex<HashMap<String, (AccessToken, OffsetDateTime)>>,
}

impl VoucherClient {
    /// A client of the token endpoint at `transport`'s base URL.
    #[must_use]
    pub fn new(transport: Transport, client_id: &str) -> Self {
        Self {
            transport,
            client_id: client_id.to_owned(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// A voucher for `client_assertion`. Pass `reuse_key` (the purpose id)
    /// only for assertions without a digest: the voucher is then cached
    /// under it.
    ///
    /// # Errors
    /// [`AnprError::VoucherRefused`] and the transport's errors.
    pub async fn voucher(
        &self,
        client_assertion: &str,
        reuse_key: Option<&str>,
    ) -> Result<AccessToken, Error<AnprError>> {
        let now = self.transport.clock().now();
        if let Some(key) = reuse_key
            && let Some((token, expires)) = lock(&self.cache).get(key)
            && *expires - RENEW_BEFORE > now
        {
            return Ok(token.clone());
        }
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("client_assertion", client_assertion)
            .append_pair(
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            )
            .append_pair("grant_type", "client_credentials")
            .finish();
        // A token request changes nothing: safe to resend.
        let request = ApiRequest::post("")
            .operation("voucher request")
            .body(
                HeaderValue::from_static("application/x-www-form-urlencoded"),
                form,
            )
            .retry_safe();
        let body: TokenResponse = self.transport.send(request).await?.json()?;
        let token = AccessToken::new(body.access_token);
        if let Some(key) = reuse_key {
            let expires = now + time::Duration::seconds(body.expires_in.unwrap_or(0));
            lock(&self.cache).insert(key.to_owned(), (token.clone(), expires));
        }
        Ok(token)
    }
}
