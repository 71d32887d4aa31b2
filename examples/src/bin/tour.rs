//! A tour of abilita-core against an embedded stand-in platform.
//!
//! Starts a local HTTP server that behaves like a throttled platform API,
//! then sends a request through the abilita transport: the first answer is a
//! 429 with `Retry-After: 1`, which the transport honours before trying
//! again. Along the way it validates the identifiers a municipal backend
//! handles every day.
//!
//! Run it with `cargo run -p abilita-examples --bin tour`; set
//! `RUST_LOG=abilita=debug` to see the transport's traces (which carry the
//! path template, never the codice fiscale).

use std::sync::atomic::{AtomicUsize, Ordering};

use abilita_core::http::HeaderName;
use abilita_core::{
    ApiKey, ApiRequest, BaseUrl, CodiceFiscale, EuroCents, Iban, PartitaIva, Transport,
};
use wiremock::matchers::{header_exists, method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The stand-in platform: throttles the first call, then answers.
struct ThrottledOnce(AtomicUsize);

impl Respond for ThrottledOnce {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            ResponseTemplate::new(429).insert_header("Retry-After", "1")
        } else {
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "sender_allowed": true }))
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut out = std::io::stdout().lock();
    use std::io::Write as _;

    let citizen: CodiceFiscale = "STTSGT90A01H501J".parse()?;
    let municipality = PartitaIva::new("99999000013")?;
    let iban = Iban::new("IT60X0542811101000000123456")?;
    let fee = EuroCents::from_decimal_str("120.50")?;
    writeln!(
        out,
        "citizen born {:?}, place {:?}",
        citizen.birth_date(time::OffsetDateTime::now_utc().date()),
        citizen.belfiore_code()
    )?;
    writeln!(
        out,
        "creditor {municipality}, IBAN {}, fee {fee}",
        iban.to_print_format()
    )?;
    if let Err(error) = "STTSGT90A01H501K".parse::<CodiceFiscale>() {
        writeln!(out, "a mistyped code is refused: {error}")?;
    }

    let platform = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex("^/profiles/[A-Z0-9]{16}$"))
        .and(header_exists("ocp-apim-subscription-key"))
        .respond_with(ThrottledOnce(AtomicUsize::new(0)))
        .mount(&platform)
        .await;

    let transport = Transport::builder(BaseUrl::parse(&platform.uri())?).build()?;
    let key = ApiKey::new(std::env::var("ABILITA_DEMO_KEY").unwrap_or_else(|_| "demo-key".into()));
    let started = std::time::Instant::now();
    let response = transport
        .send::<std::convert::Infallible>(
            ApiRequest::get("/profiles/{fiscal_code}")
                .path_param("fiscal_code", citizen.as_str())
                .api_key_header(HeaderName::from_static("ocp-apim-subscription-key"), &key),
        )
        .await?;
    let profile: serde_json::Value = response.json::<_, std::convert::Infallible>()?;
    writeln!(
        out,
        "platform answered HTTP {} after {} ms (one 429 honoured): {profile}",
        response.status(),
        started.elapsed().as_millis()
    )?;
    Ok(())
}
