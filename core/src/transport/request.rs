//! What a platform crate asks the transport to send, and what comes back.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, InvalidInput, RawResponse, UnparseableResponse};
use crate::secret::ApiKey;

/// One API call, described by a *path template* such as
/// `/messages/{fiscal_code}/{id}`.
///
/// The template, not the filled-in path, is what traces show, so codici
/// fiscali and ids never reach the logs. Builder mistakes (an unfilled or
/// unknown placeholder, a body that cannot be serialised) are kept and
/// reported by [`Transport::send`](crate::Transport::send) as
/// [`Error::InvalidInput`], before any I/O.
///
/// ```
/// use abilita_core::ApiRequest;
///
/// let request = ApiRequest::get("/messages/{fiscal_code}/{id}")
///     .path_param("fiscal_code", "RSSMRA85T10A562S")
///     .path_param("id", "01EM6X4JB9VSZTQ8H16KMQFCEJ");
/// assert_eq!(request.path_template(), "/messages/{fiscal_code}/{id}");
/// ```
#[derive(Debug)]
pub struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) template: &'static str,
    operation: Option<&'static str>,
    pub(crate) path: String,
    query: Vec<(Cow<'static, str>, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    retry_safe: bool,
    redirect_answers: bool,
    error: Option<InvalidInput>,
}

/// A builder mistake in a request: names the placeholder, never a value.
#[derive(Debug, thiserror::Error)]
enum RequestError {
    #[error("the path template has no placeholder `{{{0}}}`")]
    UnknownPlaceholder(&'static str),
    #[error("the path template still has an unfilled placeholder")]
    UnfilledPlaceholder,
    #[error("the value is not a valid header value")]
    HeaderValue,
}

impl ApiRequest {
    /// A request with the given method and path template (starting with `/`).
    #[must_use]
    pub fn new(method: Method, template: &'static str) -> Self {
        let retry_safe = method.is_idempotent();
        Self {
            method,
            template,
            operation: None,
            path: template.to_owned(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: None,
            retry_safe,
            redirect_answers: false,
            error: None,
        }
    }

    /// A `GET` request.
    #[must_use]
    pub fn get(template: &'static str) -> Self {
        Self::new(Method::GET, template)
    }

    /// A `POST` request (not retry-safe unless marked).
    #[must_use]
    pub fn post(template: &'static str) -> Self {
        Self::new(Method::POST, template)
    }

    /// A `PUT` request.
    #[must_use]
    pub fn put(template: &'static str) -> Self {
        Self::new(Method::PUT, template)
    }

    /// A `DELETE` request.
    #[must_use]
    pub fn delete(template: &'static str) -> Self {
        Self::new(Method::DELETE, template)
    }

    /// Fills the placeholder `{name}` with `value`, percent-encoded as one
    /// path segment (so a `/` in a value cannot change the route).
    #[must_use]
    pub fn path_param(mut self, name: &'static str, value: &str) -> Self {
        let placeholder = format!("{{{name}}}");
        if let Some(at) = self.path.find(&placeholder) {
            let mut encoded = String::with_capacity(value.len());
            for piece in url::form_urlencoded::byte_serialize(value.as_bytes()) {
                // Form encoding writes a space as `+`, which a path reads literally.
                encoded.push_str(if piece == "+" { "%20" } else { piece });
            }
            self.path
                .replace_range(at..at + placeholder.len(), &encoded);
        } else {
            self.fail(name, RequestError::UnknownPlaceholder(name));
        }
        self
    }

    /// Appends a query parameter.
    #[must_use]
    pub fn query(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets a header.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets a header from text, recording an error if it is not a valid value.
    #[must_use]
    pub fn header_str(self, name: HeaderName, value: &str) -> Self {
        match HeaderValue::from_str(value) {
            Ok(value) => self.header(name, value),
            Err(_) => {
                let mut this = self;
                this.fail(name.as_str().to_owned(), RequestError::HeaderValue);
                this
            }
        }
    }

    /// Sets a header carrying an API key, marked sensitive.
    #[must_use]
    pub fn api_key_header(self, name: HeaderName, key: &ApiKey) -> Self {
        match key.header_value() {
            Ok(value) => self.header(name, value),
            Err(error) => {
                let mut this = self;
                this.error.get_or_insert(error);
                this
            }
        }
    }

    /// A JSON body (and `Content-Type: application/json`).
    #[must_use]
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                self.body = Some(bytes.into());
            }
            Err(error) => self.fail("body", error),
        }
        self
    }

    /// A body of any type; `content_type` is sent as `Content-Type`.
    #[must_use]
    pub fn body(mut self, content_type: HeaderValue, body: impl Into<Bytes>) -> Self {
        self.headers
            .insert(http::header::CONTENT_TYPE, content_type);
        self.body = Some(body.into());
        self
    }

    /// Marks a non-idempotent request as safe to send more than once, because
    /// the platform deduplicates it (an idempotency key, a unique business
    /// id that a second create rejects as a conflict).
    ///
    /// `GET`, `HEAD`, `OPTIONS`, `PUT` and `DELETE` are retry-safe already.
    /// A request that is not retry-safe is resent only when the SDK knows the
    /// platform did not act on it: the connection was never made, or the
    /// platform answered 429.
    #[must_use]
    pub fn retry_safe(mut self) -> Self {
        self.retry_safe = true;
        self
    }

    /// Takes a redirect (3xx) as the answer, for an API whose answer *is*
    /// a redirect (pagoPA Checkout's carts answer 302 with the page the
    /// citizen goes to). The transport never follows redirects; without
    /// this, a 3xx is an error.
    #[must_use]
    pub fn redirect_answers(mut self) -> Self {
        self.redirect_answers = true;
        self
    }

    /// Whether a redirect is this request's answer
    /// ([`ApiRequest::redirect_answers`]).
    #[must_use]
    pub fn is_redirect_an_answer(&self) -> bool {
        self.redirect_answers
    }

    /// Names the operation for errors (`create debt position`): an error
    /// then reads `GPD create debt position: HTTP 409 Conflict: …`. Without
    /// a name, errors show the method and path template.
    #[must_use]
    pub fn operation(mut self, name: &'static str) -> Self {
        self.operation = Some(name);
        self
    }

    /// The operation's name for errors: the one given, or none.
    #[must_use]
    pub fn operation_name(&self) -> Option<&'static str> {
        self.operation
    }

    /// Whether the transport may resend this request after an unknown outcome.
    #[must_use]
    pub fn is_retry_safe(&self) -> bool {
        self.retry_safe
    }

    /// The path template, as shown in traces.
    #[must_use]
    pub fn path_template(&self) -> &'static str {
        self.template
    }

    /// The HTTP method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    fn fail(
        &mut self,
        field: impl Into<Cow<'static, str>>,
        reason: impl Into<crate::error::BoxError>,
    ) {
        self.error
            .get_or_insert_with(|| InvalidInput::new(field, reason));
    }

    /// The filled-in path and the encoded query string.
    pub(crate) fn path_and_query(&self) -> Cow<'_, str> {
        if self.query.is_empty() {
            return Cow::Borrowed(&self.path);
        }
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.query {
            query.append_pair(name, value);
        }
        Cow::Owned(format!("{}?{}", self.path, query.finish()))
    }

    /// A copy for another attempt. Only a request that passed
    /// [`check`](Self::check) is copied, so no builder mistake is lost.
    pub(crate) fn duplicate(&self) -> Self {
        Self {
            method: self.method.clone(),
            template: self.template,
            operation: self.operation,
            path: self.path.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            retry_safe: self.retry_safe,
            redirect_answers: self.redirect_answers,
            error: None,
        }
    }

    /// The builder's first mistake, if any, or a placeholder left unfilled.
    pub(crate) fn check(&mut self) -> Result<(), InvalidInput> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        if self.path.contains('{') {
            return Err(InvalidInput::new("path", RequestError::UnfilledPlaceholder));
        }
        Ok(())
    }
}

/// A successful (2xx) answer.
#[derive(Clone)]
pub struct ApiResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl ApiResponse {
    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    #[must_use]
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// This answer as an [`Error::UnparseableResponse`] (status, headers
    /// and bounded body kept) for an answer that is not what the operation
    /// expects, with `reason` as its cause: a redirect without a usable
    /// `Location`, a header missing.
    #[must_use]
    pub fn unexpected<E>(&self, reason: impl Into<crate::error::BoxError>) -> Error<E> {
        let raw = RawResponse::new(self.status, self.headers.clone(), self.body.clone());
        Error::UnparseableResponse(UnparseableResponse::new(raw, Some(reason.into())))
    }

    /// Decodes a JSON body.
    ///
    /// # Errors
    /// [`Error::UnparseableResponse`] keeping status, headers and body when
    /// the body is not the expected JSON.
    pub fn json<T: DeserializeOwned, E>(&self) -> Result<T, Error<E>> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let raw = RawResponse::new(self.status, self.headers.clone(), self.body.clone());
            Error::UnparseableResponse(UnparseableResponse::new(raw, Some(e.into())))
        })
    }
}

/// The body can hold personal data, so `Debug` shows its size only.
impl std::fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_params_are_one_encoded_segment() {
        let mut request = ApiRequest::get("/a/{x}/b").path_param("x", "../admin b/c");
        request.check().unwrap();
        assert_eq!(request.path, "/a/..%2Fadmin%20b%2Fc/b");
    }

    #[test]
    fn builder_mistakes_surface_before_io() {
        let mut unfilled = ApiRequest::get("/a/{x}");
        assert_eq!(unfilled.check().unwrap_err().field(), "path");
        let mut unknown = ApiRequest::get("/a").path_param("y", "1");
        assert_eq!(unknown.check().unwrap_err().field(), "y");
        let mut header = ApiRequest::get("/a").header_str(HeaderName::from_static("x-id"), "a\nb");
        assert_eq!(header.check().unwrap_err().field(), "x-id");
    }

    #[test]
    fn only_idempotent_methods_are_retry_safe_by_default() {
        assert!(ApiRequest::get("/").is_retry_safe());
        assert!(ApiRequest::put("/").is_retry_safe());
        assert!(ApiRequest::delete("/").is_retry_safe());
        assert!(!ApiRequest::post("/").is_retry_safe());
        assert!(ApiRequest::post("/").retry_safe().is_retry_safe());
    }
}
