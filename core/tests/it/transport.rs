//! The transport against local wiremock servers: retries, hints, timeouts,
//! safety of non-idempotent requests, raw bodies, and redaction.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abilita_core::http::{HeaderName, StatusCode};
use abilita_core::testing::ManualClock;
use abilita_core::{
    ApiKey, ApiRequest, BaseUrl, Error, ErrorClass, PlatformError, RawResponse, RequestOutcome,
    RetryPolicy, Transport, TransportBuilder,
};
use time::macros::datetime;
use wiremock::matchers::{any, body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A platform error decoded from a ProblemJson body, as platform crates do.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("problem: {title}")]
struct Problem {
    title: String,
}

impl PlatformError for Problem {
    fn from_response(response: &RawResponse) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(response.body()).ok()?;
        Some(Self {
            title: value.get("title")?.as_str()?.to_owned(),
        })
    }
}

/// A server whose unexpected calls fail the test when it is dropped.
async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599))
        .with_priority(u8::MAX)
        .expect(0)
        .named("no unexpected call")
        .mount(&server)
        .await;
    server
}

fn clock() -> ManualClock {
    ManualClock::new(datetime!(2026-11-26 09:00 UTC))
}

fn builder(server: &MockServer, clock: &ManualClock) -> TransportBuilder {
    Transport::builder(BaseUrl::parse(&server.uri()).unwrap()).clock(Arc::new(clock.clone()))
}

/// Answers with the given responses in turn, then the last one forever.
struct Sequence {
    responses: Vec<ResponseTemplate>,
    calls: AtomicUsize,
}

impl Sequence {
    fn new(responses: Vec<ResponseTemplate>) -> Self {
        Self {
            responses,
            calls: AtomicUsize::new(0),
        }
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.responses[n.min(self.responses.len() - 1)].clone()
    }
}

#[tokio::test]
async fn a_429_with_retry_after_waits_the_hint_then_succeeds() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/profiles/ABC"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(429).insert_header("Retry-After", "2"),
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"sender_allowed": true})),
        ]))
        .expect(2)
        .named("429 then 200")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();

    let response = transport
        .send::<Problem>(ApiRequest::get("/profiles/{cf}").path_param("cf", "ABC"))
        .await
        .unwrap();

    let body: serde_json::Value = response.json::<_, Problem>().unwrap();
    assert_eq!(body["sender_allowed"], true);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(2)]);
}

#[tokio::test]
async fn a_platform_hint_header_is_read_before_retry_after() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(429)
                .insert_header("x-rate-limit-retry-after", "5")
                .insert_header("Retry-After", "1"),
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "Thu, 26 Nov 2026 09:00:35 GMT"),
            ResponseTemplate::new(204),
        ]))
        .expect(3)
        .named("throttled twice")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock)
        .retry_hint_header(HeaderName::from_static("x-rate-limit-retry-after"))
        .build()
        .unwrap();

    transport
        .send::<Problem>(ApiRequest::get("/x"))
        .await
        .unwrap();

    // The HTTP-date is read against the clock, which the first wait moved to 09:00:05.
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(5), Duration::from_secs(30)]
    );
}

#[tokio::test]
async fn a_503_is_retried_up_to_the_attempt_limit_with_bounded_backoff() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(serde_json::json!({"title": "busy"})),
        )
        .expect(4)
        .named("always 503")
        .mount(&server)
        .await;
    let clock = clock();
    let policy = RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(100))
        .max_delay(Duration::from_millis(300));
    let transport = builder(&server, &clock)
        .retry_policy(policy)
        .build()
        .unwrap();

    let error = transport
        .send::<Problem>(ApiRequest::get("/x"))
        .await
        .unwrap_err();

    assert_eq!(
        error.service_error(),
        Some(&Problem {
            title: "busy".into()
        })
    );
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(error.class(), ErrorClass::Server);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 3);
    for (wait, cap) in sleeps.iter().zip([100, 200, 300]) {
        assert!(*wait <= Duration::from_millis(cap), "{wait:?} > {cap} ms");
    }
}

#[tokio::test]
async fn the_time_budget_stops_retries_before_an_overlong_wait() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .expect(1)
        .named("asks for two minutes")
        .mount(&server)
        .await;
    let clock = clock();
    let policy = RetryPolicy::default().budget(Duration::from_secs(60));
    let transport = builder(&server, &clock)
        .retry_policy(policy)
        .build()
        .unwrap();

    let error = transport
        .send::<Problem>(ApiRequest::get("/x"))
        .await
        .unwrap_err();

    assert_eq!(error.class(), ErrorClass::Throttling);
    assert_eq!(
        error.response().unwrap().retry_after(),
        Some(Duration::from_secs(120))
    );
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn a_post_is_not_resent_after_a_server_error() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/messages"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .named("one POST only")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();

    let error = transport
        .send::<Problem>(ApiRequest::post("/messages").json(&serde_json::json!({"subject": "x"})))
        .await
        .unwrap_err();

    assert!(error.is_retryable(), "a 503 can succeed later...");
    assert_eq!(error.outcome(), RequestOutcome::Answered);
    assert!(
        clock.sleeps().is_empty(),
        "...but the transport must not resend a POST by itself"
    );
}

#[tokio::test]
async fn a_post_is_resent_after_429_and_when_marked_retry_safe() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/throttled"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(429),
            ResponseTemplate::new(201),
        ]))
        .expect(2)
        .named("throttled POST")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/deduplicated"))
        .and(body_string("{\"iupd\":\"1\"}"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(502),
            ResponseTemplate::new(201),
        ]))
        .expect(2)
        .named("retry-safe POST")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();

    let throttled = transport
        .send::<Problem>(ApiRequest::post("/throttled"))
        .await
        .unwrap();
    let safe = ApiRequest::post("/deduplicated")
        .json(&serde_json::json!({"iupd": "1"}))
        .retry_safe();
    let deduplicated = transport.send::<Problem>(safe).await.unwrap();

    assert_eq!(throttled.status(), StatusCode::CREATED);
    assert_eq!(deduplicated.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn connection_refused_is_dispatch_not_sent_and_retried() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clock = clock();
    let transport =
        Transport::builder(BaseUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap())
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap();

    let error = transport
        .send::<Problem>(ApiRequest::post("/messages"))
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Dispatch(_)), "{error:?}");
    assert_eq!(error.outcome(), RequestOutcome::NotSent);
    assert_eq!(error.class(), ErrorClass::Transient);
    // Even a POST may be resent when it never left: 3 attempts, 2 waits.
    assert_eq!(clock.sleeps().len(), 2);
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout_with_unknown_outcome() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(5)))
        .expect(1)
        .named("too slow")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock)
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();

    let error = transport
        .send::<Problem>(ApiRequest::post("/messages"))
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert_eq!(error.outcome(), RequestOutcome::Unknown);
    assert!(error.is_retryable());
    assert!(
        clock.sleeps().is_empty(),
        "an unknown outcome is never resent silently"
    );
}

#[tokio::test]
async fn an_html_502_from_a_gateway_surfaces_as_a_502_with_its_body() {
    let server = server().await;
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_raw(page, "text/html"))
        .expect(1)
        .named("gateway page")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock)
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();

    let error = transport
        .send::<Problem>(ApiRequest::get("/x"))
        .await
        .unwrap_err();

    let Error::UnparseableResponse(unparseable) = &error else {
        panic!("expected an unparseable response, got {error:?}");
    };
    assert_eq!(unparseable.response().status(), StatusCode::BAD_GATEWAY);
    assert_eq!(unparseable.response().body(), page.as_bytes());
    assert_eq!(error.class(), ErrorClass::Server);
    assert_eq!(
        error.to_string(),
        "127.0.0.1 GET /x: HTTP 502 Bad Gateway, in a form that could not be understood",
        "an unnamed transport names its host, an unnamed operation its template"
    );
}

/// Before, every platform error read "the platform answered HTTP 409 with
/// an error": no platform, no operation, no reason.
#[tokio::test]
async fn an_error_says_the_platform_the_operation_and_the_platforms_reason() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(409).set_body_json(serde_json::json!({
            "title": "Debt position RSSMRA85T10A562S already exists for 99999000013"
        })))
        .expect(1)
        .named("conflict")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock)
        .platform("GPD")
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();

    let error = transport
        .send::<Problem>(
            ApiRequest::post("/positions/{id}")
                .path_param("id", "RSSMRA85T10A562S")
                .operation("create debt position"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "GPD create debt position: HTTP 409 Conflict: \
         problem: Debt position RSS************S already exists for 99999000013",
        "the citizen's code masked, the municipality's kept"
    );
    let context = error.context().unwrap();
    assert_eq!(
        (
            context.platform(),
            context.operation(),
            context.path_template()
        ),
        ("GPD", Some("create debt position"), "/positions/{id}")
    );
    // The platform's typed error is still there, and the chain says
    // nothing twice.
    assert!(error.service_error().is_some());
    assert_eq!(
        abilita_core::ErrorChain(&error).to_string(),
        error.to_string()
    );
}

#[tokio::test]
async fn a_2xx_body_that_is_not_the_expected_json_keeps_status_and_body() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("not json"))
        .expect(1)
        .named("bad json")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();

    let response = transport
        .send::<Problem>(ApiRequest::get("/x"))
        .await
        .unwrap();
    let error = response.json::<serde_json::Value, Problem>().unwrap_err();

    assert_eq!(error.status(), Some(StatusCode::OK));
    assert_eq!(error.response().unwrap().body(), b"not json");
    assert_eq!(error.class(), ErrorClass::Client);
    assert!(
        std::error::Error::source(&error).is_some(),
        "the JSON error is the cause"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_and_error_bodies_are_cut() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'a'; 4096]))
        .expect(1)
        .named("big success")
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/big-error"))
        .respond_with(ResponseTemplate::new(400).set_body_bytes(vec![b'e'; 200_000]))
        .expect(1)
        .named("big error")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock)
        .max_body_bytes(1024)
        .build()
        .unwrap();
    let error = transport
        .send::<Problem>(ApiRequest::get("/big"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnparseableResponse(_)), "{error:?}");
    assert_eq!(error.status(), Some(StatusCode::OK));
    assert_eq!(
        error.class(),
        ErrorClass::Client,
        "an oversized answer is not asked for again"
    );
    assert_eq!(error.response().unwrap().body(), &[b'a'; 1024][..]);
    assert!(error.response().unwrap().is_truncated());

    let roomy = builder(&server, &clock).build().unwrap();
    let error = roomy
        .send::<Problem>(ApiRequest::get("/big-error"))
        .await
        .unwrap_err();
    let raw = error.response().unwrap();
    assert_eq!(raw.body().len(), abilita_core::MAX_ERROR_BODY);
    assert!(raw.is_truncated());
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/old"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/new"))
        .expect(1)
        .named("redirect")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();

    let error = transport
        .send::<Problem>(ApiRequest::get("/old"))
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(StatusCode::FOUND));
}

#[tokio::test]
async fn requests_carry_user_agent_query_and_sensitive_key() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/debtpositions"))
        .and(query_param("due_date_from", "2026-01-01"))
        .and(query_param("q", "a b&c"))
        .and(header(
            "user-agent",
            concat!("abilita/", env!("CARGO_PKG_VERSION")),
        ))
        .and(header("ocp-apim-subscription-key", "k-123"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .named("well formed request")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();
    let key = ApiKey::new("k-123");

    let request = ApiRequest::get("/debtpositions")
        .query("due_date_from", "2026-01-01")
        .query("q", "a b&c")
        .api_key_header(HeaderName::from_static("ocp-apim-subscription-key"), &key);
    transport.send::<Problem>(request).await.unwrap();
}

#[tokio::test]
async fn builder_mistakes_are_invalid_input_before_any_io() {
    let server = server().await; // its fallback proves no request is made
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();

    let error = transport
        .send::<Problem>(ApiRequest::get("/a/{id}"))
        .await
        .unwrap_err();

    assert!(matches!(error, Error::InvalidInput(_)));
    assert_eq!(error.outcome(), RequestOutcome::NotSent);
    assert_eq!(error.class(), ErrorClass::Client);
}

#[test]
fn tls_material_is_checked_when_building() {
    let base = || BaseUrl::parse("https://api.example.it").unwrap();
    let error = Transport::builder(base())
        .add_root_certificates_pem(
            b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
        )
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput(e) if e.field() == "root_certificates"),
        "{error:?}"
    );
    let error = Transport::builder(base())
        .add_root_certificates_pem(b"")
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput(e) if e.field() == "root_certificates"),
        "{error:?}"
    );

    Transport::builder(base())
        .add_root_certificates_pem(include_bytes!("../data/test-ca.pem"))
        .build()
        .unwrap();
    let key = abilita_core::PrivateKeyPem::new(include_str!("../data/test-client.key"));
    Transport::builder(base())
        .client_identity_pem(include_bytes!("../data/test-client.pem"), &key)
        .build()
        .unwrap();
    let error = Transport::builder(base())
        .client_identity_pem(b"junk", &key)
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput(e) if e.field() == "client_identity"),
        "{error:?}"
    );
}

/// Collects everything a `tracing` subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_and_personal_data_stay_out_of_debug_and_traces() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(429),
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"title": "bad", "detail": "RSSMRA85T10A562S"})),
        ]))
        .expect(2)
        .named("throttled then rejected")
        .mount(&server)
        .await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // `tracing` caches each callsite's interest process-wide, computed on
    // the registering thread; a parallel test without a subscriber would pin
    // the transport's spans to "never". A global registry keeps every
    // computation asking a real subscriber, and the rebuild re-asks ours.
    static GLOBAL: std::sync::Once = std::sync::Once::new();
    GLOBAL.call_once(|| {
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    });
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();
    let key = ApiKey::new("super-secret-key-42");

    let request = ApiRequest::post("/messages/{fiscal_code}")
        .path_param("fiscal_code", "RSSMRA85T10A562S")
        .query("token", "query-secret-7")
        .api_key_header(HeaderName::from_static("ocp-apim-subscription-key"), &key)
        .json(&serde_json::json!({"markdown": "private-body-text"}));
    let error = transport.send::<Problem>(request).await.unwrap_err();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let shown = format!("{error} {error:?} {key:?} {logs}");
    assert!(
        logs.contains("/messages/{fiscal_code}"),
        "the template is traced: {logs}"
    );
    assert!(logs.contains("attempt=2"), "{logs}");
    assert!(logs.contains("http.response.status_code=400"), "{logs}");
    assert!(logs.contains("http.request.resend_count=1"), "{logs}");
    assert!(
        logs.contains("error.type=\"400\"") || logs.contains("error.type=400"),
        "{logs}"
    );
    for secret in [
        "super-secret-key-42",
        "RSSMRA85T10A562S",
        "query-secret-7",
        "private-body-text",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
}

/// A call whose request carries its attempt number and a key chosen per
/// attempt, and that retries a 401 at once when a second key is left: the
/// per-attempt hooks a platform crate plugs into the one attempt loop.
struct Rotating {
    keys: [&'static str; 2],
    built: AtomicUsize,
}

impl abilita_core::Operation<Problem> for Rotating {
    fn request(
        &self,
        attempt: u32,
    ) -> abilita_core::BoxFuture<'_, Result<ApiRequest, Error<Problem>>> {
        self.built.fetch_add(1, Ordering::SeqCst);
        let key = self.keys[usize::try_from(attempt - 1).unwrap().min(1)];
        Box::pin(async move {
            Ok(ApiRequest::post("/x")
                .header(
                    HeaderName::from_static("x-attempt"),
                    abilita_core::http::HeaderValue::from(attempt),
                )
                .api_key_header(HeaderName::from_static("x-key"), &ApiKey::new(key)))
        })
    }

    fn after_failure(&self, error: &Error<Problem>, attempt: u32) -> abilita_core::Decision {
        if error.status() == Some(StatusCode::UNAUTHORIZED) && attempt == 1 {
            abilita_core::Decision::RetryNow
        } else {
            abilita_core::Decision::Policy
        }
    }
}

#[tokio::test]
async fn an_operation_builds_each_attempt_afresh_and_may_retry_a_401_with_another_key() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(header("x-key", "primary"))
        .and(header("x-attempt", "1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .named("the primary key refused")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("x-key", "secondary"))
        .and(header("x-attempt", "2"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .named("the secondary key, on a request built again")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();
    let operation = Rotating {
        keys: ["primary", "secondary"],
        built: AtomicUsize::new(0),
    };
    // A POST, not retry-safe, and a 401, not retryable: only the hook's
    // decision resends it.
    transport.call(&operation).await.unwrap();
    assert_eq!(operation.built.load(Ordering::SeqCst), 2);
    assert!(clock.sleeps().is_empty(), "RetryNow waits for nothing");
}

/// Fails to build its first request (a token it could not get), then sends.
struct TokenFirst(AtomicUsize);

impl abilita_core::Operation<Problem> for TokenFirst {
    fn request(
        &self,
        _attempt: u32,
    ) -> abilita_core::BoxFuture<'_, Result<ApiRequest, Error<Problem>>> {
        let first = self.0.fetch_add(1, Ordering::SeqCst) == 0;
        Box::pin(async move {
            if first {
                // What a token endpoint's 503 looks like to the operation.
                let refusal =
                    abilita_core::Transport::builder(BaseUrl::parse("http://127.0.0.1:9").unwrap())
                        .connect_timeout(std::time::Duration::from_millis(200))
                        .retry_policy(RetryPolicy::never())
                        .build()
                        .unwrap()
                        .send::<Problem>(ApiRequest::get("/token"))
                        .await;
                return Err(refusal.unwrap_err());
            }
            Ok(ApiRequest::post("/x"))
        })
    }
}

#[tokio::test]
async fn a_request_that_could_not_be_built_is_built_again_when_retryable() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .named("the call, once its request could be built")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();
    let operation = TokenFirst(AtomicUsize::new(0));
    transport.call(&operation).await.unwrap();
    assert_eq!(operation.0.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_gateways_502_on_a_post_is_an_unknown_outcome_and_not_resent() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html>bad gateway</html>", "text/html"),
        )
        .expect(1)
        .named("a gateway that lost the platform's answer")
        .mount(&server)
        .await;
    let clock = clock();
    let transport = builder(&server, &clock).build().unwrap();
    let error = transport
        .send::<Problem>(ApiRequest::post("/messages"))
        .await
        .unwrap_err();
    assert_eq!(error.outcome(), abilita_core::RequestOutcome::Unknown);
    assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
}

#[tokio::test]
async fn a_redirect_is_an_answer_only_where_the_request_says_so_and_is_never_followed() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/carts"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", server.uri())),
        )
        .expect(2)
        .mount(&server)
        .await;
    let transport = builder(&server, &clock()).build().unwrap();
    let answer = transport
        .send::<Problem>(ApiRequest::post("/carts").redirect_answers())
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    assert!(
        answer.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/elsewhere")
    );
    let refused = transport.send::<Problem>(ApiRequest::post("/carts")).await;
    assert_eq!(
        refused.err().and_then(|e| e.status()),
        Some(StatusCode::FOUND),
        "elsewhere: a redirect no request asked for is an error"
    );
}

/// A call whose permit store is down: its request is never built.
struct NoPermit;

impl abilita_core::Operation<Problem> for NoPermit {
    fn request(
        &self,
        _attempt: u32,
    ) -> abilita_core::BoxFuture<'_, Result<ApiRequest, Error<Problem>>> {
        Box::pin(async {
            Err(Error::Dispatch(abilita_core::TransportFailure::not_sent(
                std::io::Error::other("the permit store is down"),
            )))
        })
    }

    fn describe(&self) -> Option<ApiRequest> {
        Some(ApiRequest::get("/profiles/{fiscal_code}").operation("read profile"))
    }
}

#[tokio::test]
async fn an_error_before_any_request_is_built_names_the_call_the_operation_describes() {
    let server = server().await;
    let transport = builder(&server, &clock())
        .platform("Platform")
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let error = transport.call(&NoPermit).await.unwrap_err();
    let context = error.context().expect("named");
    assert_eq!(context.platform(), "Platform");
    assert_eq!(context.operation(), Some("read profile"));
    assert_eq!(context.path_template(), "/profiles/{fiscal_code}");
    assert_eq!(error.outcome(), RequestOutcome::NotSent);
}
