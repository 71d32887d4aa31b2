//! PDND's token endpoint: strict client-assertion checks, one masked error.

use std::collections::HashMap;

use crate::kit::{Call, Reply};
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};

use super::{ASSERTION_AUDIENCE, AnprSimulator, VOUCHER_KID, header_of, verify};

/// The claims PDND allows in a client assertion (strict since 2025).
const ALLOWED_CLAIMS: [&str; 8] = [
    "iss",
    "sub",
    "aud",
    "jti",
    "iat",
    "exp",
    "purposeId",
    "digest",
];
/// The header fields PDND allows.
const ALLOWED_HEADER: [&str; 3] = ["kid", "alg", "typ"];
/// Voucher lifetime of ANPR's e-services.
const VOUCHER_LIFETIME: i64 = 600;

/// Every refusal looks the same from outside, as on PDND; the reason goes
/// to the simulator's log (PDND's "Debug client assertion" tool).
fn masked(reason: &str) -> Reply {
    tracing::info!(reason, "PDND simulator refused a client assertion");
    Reply::new(400).json(&json!({
        "title": "The request contains bad syntax or cannot be fulfilled.",
        "type": "about:blank",
        "status": 400,
        "detail": "Bad request",
        "errors": [{ "code": "015-0008", "detail": "Unable to generate a token for the given request" }],
        "correlationId": super::uuid_like(reason),
    }))
}

fn rate_headers(response: Reply) -> Reply {
    response
        .header("x-rate-limit-limit", "1000")
        .header("x-rate-limit-remaining", "999")
        .header("x-rate-limit-interval", "1000")
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

impl AnprSimulator {
    pub(super) fn token(&self, call: &Call<'_>) -> Reply {
        rate_headers(match self.issue(call) {
            Ok(response) => response,
            Err(reason) => masked(reason),
        })
    }

    fn issue(&self, call: &Call<'_>) -> Result<Reply, &'static str> {
        let form: HashMap<String, String> = url::form_urlencoded::parse(call.body())
            .into_owned()
            .collect();
        if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
            return Err("invalidGrantType");
        }
        if form.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return Err("invalidAssertionType");
        }
        let assertion = form
            .get("client_assertion")
            .ok_or("clientAssertionNotFound")?;
        let header = header_of(assertion).ok_or("jsonWebTokenError")?;
        if header.keys().any(|k| !ALLOWED_HEADER.contains(&k.as_str())) {
            return Err("clientAssertionInvalidClaims (header)");
        }
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err("algorithmNotAllowed");
        }
        let kid = header
            .get("kid")
            .and_then(Value::as_str)
            .ok_or("kidNotFound")?
            .to_owned();
        let client = self
            .with(|s| s.clients.get(&kid).cloned())
            .ok_or("kidNotFound")?;
        let token = verify(assertion, &client.key).ok_or("invalidSignature")?;
        if token
            .claims
            .keys()
            .any(|k| !ALLOWED_CLAIMS.contains(&k.as_str()))
        {
            return Err("clientAssertionInvalidClaims");
        }
        let (iss, sub) = (
            token.str("iss").ok_or("issNotFound")?,
            token.str("sub").ok_or("subNotFound")?,
        );
        if !is_uuid(sub) {
            return Err("invalidSubjectFormat");
        }
        if iss != client.id || sub != client.id || form.get("client_id").is_some_and(|id| id != sub)
        {
            return Err("invalidSubject");
        }
        let audience_ok = match token.claims.get("aud") {
            Some(Value::String(aud)) => aud == ASSERTION_AUDIENCE,
            Some(Value::Array(list)) => list.iter().any(|a| a == ASSERTION_AUDIENCE),
            _ => false,
        };
        if !audience_ok {
            return Err("invalidAudience");
        }
        token.str("jti").ok_or("jtiNotFound")?;
        let (iat, exp) = (
            token.int("iat").ok_or("iatNotFound")?,
            token.int("exp").ok_or("expNotFound")?,
        );
        let (now, tolerance, max_lifetime) = self.now_and_tolerance();
        if iat > now + tolerance {
            return Err("notBeforeError (iat in the future)");
        }
        if exp <= now - tolerance || exp <= iat {
            return Err("tokenExpiredError");
        }
        if max_lifetime.is_some_and(|max| exp - iat > max) {
            return Err("exp - iat over the limit");
        }
        let purpose = token.str("purposeId").ok_or("purposeIdNotProvided")?;
        if !is_uuid(purpose) {
            return Err("invalidPurposeIdClaimFormat");
        }
        let service = *client.purposes.get(purpose).ok_or("invalidPurposeState")?;
        let digest = match token.claims.get("digest") {
            None => None,
            Some(digest) => {
                if digest.get("alg").and_then(Value::as_str) != Some("SHA256") {
                    return Err("invalidHashAlgorithm");
                }
                let value = digest
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err("invalidHashLength");
                }
                Some(json!({ "alg": "SHA256", "value": value }))
            }
        };
        let segment = service.segment();
        let mut claims = json!({
            "iss": "abilita-mock.interop",
            "aud": self.modi_audience(segment),
            "client_id": client.id,
            "sub": client.id,
            "iat": now,
            "nbf": now,
            "exp": now + VOUCHER_LIFETIME,
            "jti": super::uuid_like(&format!("{now}{assertion}")),
            "purposeId": purpose,
        });
        if let (Some(digest), Some(map)) = (digest, claims.as_object_mut()) {
            map.insert("digest".into(), digest);
        }
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("at+jwt".into());
        header.kid = Some(VOUCHER_KID.into());
        let voucher = jsonwebtoken::encode(&header, &claims, &self.voucher_key)
            .map_err(|_| "signing failed")?;
        Ok(Reply::new(200)
            .header("cache-control", "no-cache, no-store")
            .json(&json!({ "access_token": voucher, "token_type": "Bearer", "expires_in": VOUCHER_LIFETIME })))
    }

    /// The clock in seconds, the tolerance in seconds, and the optional
    /// assertion lifetime limit in seconds.
    pub(super) fn now_and_tolerance(&self) -> (i64, i64, Option<i64>) {
        let settings = self.with_settings(|s| *s);
        let seconds = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        (
            self.clock.now().unix_timestamp(),
            seconds(settings.tolerance),
            settings.max_assertion_lifetime.map(seconds),
        )
    }
}
