//! A request and its answer, independent of the server that carries them.

use std::collections::HashMap;
use std::time::Duration;

use http::HeaderMap;
use serde_json::{Value, json};

/// One request, borrowed from whichever server received it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl<'a> Call<'a> {
    pub(crate) fn new(
        method: &'a str,
        path: &'a str,
        query: Option<&'a str>,
        headers: &'a HeaderMap,
        body: &'a [u8],
    ) -> Self {
        Self {
            method,
            path,
            query: query.unwrap_or_default(),
            headers,
            body,
        }
    }

    pub(crate) fn method(&self) -> &'a str {
        self.method
    }

    pub(crate) fn path(&self) -> &'a str {
        self.path
    }

    pub(crate) fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The query as received, still percent-encoded (what a SAML Redirect
    /// signature covers).
    pub(crate) fn raw_query(&self) -> &'a str {
        self.query
    }

    /// A header's value, when present and visible ASCII.
    pub(crate) fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The query's parameters, decoded; a repeated name keeps its last value.
    /// Whether the body is declared as JSON: `application/json` or
    /// `application/*+json`, parameters aside, in any letter case.
    pub(crate) fn is_json(&self) -> bool {
        let Some(value) = self.header("content-type") else {
            return false;
        };
        let essence = value.split(';').next().unwrap_or_default().trim();
        let Some((kind, subtype)) = essence.split_once('/') else {
            return false;
        };
        kind.eq_ignore_ascii_case("application")
            && (subtype.eq_ignore_ascii_case("json")
                || subtype
                    .get(subtype.len().saturating_sub(5)..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case("+json")))
    }

    /// The body as a JSON-only server reads it: nothing unless it is
    /// declared as JSON ([`Call::is_json`]). IO's functions parse JSON
    /// bodies only, so JSON sent as `text/plain` arrives as no body at all.
    pub(crate) fn json_body(&self) -> &'a [u8] {
        if self.is_json() { self.body } else { &[] }
    }

    pub(crate) fn query(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }
}

/// What a handler returns: the error side is an answer too (a refusal), so
/// that `?` ends a handler with the platform's own error body.
pub(crate) type Outcome = Result<Reply, Reply>;

/// An answer: status, headers, body, and how long to hold it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Reply {
    pub(crate) fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// Sets a header, replacing one of the same name.
    #[must_use]
    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// A JSON body; `application/json` unless a content type is set already
    /// (`application/problem+json`, say).
    #[must_use]
    pub(crate) fn json(self, body: &Value) -> Self {
        let content_type = self.content_type().unwrap_or("application/json").to_owned();
        self.raw(body.to_string(), &content_type)
    }

    /// A body of `content_type`.
    #[must_use]
    pub(crate) fn raw(mut self, body: impl Into<Vec<u8>>, content_type: &str) -> Self {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    /// Holds the answer back for `delay` (latency, lost responses).
    #[must_use]
    pub(crate) fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    pub(crate) fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    pub(crate) fn body(&self) -> &[u8] {
        &self.body
    }

    pub(crate) fn delay(&self) -> Duration {
        self.delay
    }

    pub(crate) fn into_body(self) -> Vec<u8> {
        self.body
    }

    fn content_type(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| v.as_str())
    }
}

/// RFC 9457's members as pagoPA's services fill them (`title`, `status`,
/// `detail`): the body GPD and IO build their errors on.
pub(crate) fn problem_body(status: u16, title: &str, detail: &str) -> Value {
    json!({ "title": title, "status": status, "detail": detail })
}
