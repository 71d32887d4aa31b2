//! The transport's spans exported by OpenTelemetry, as an application that
//! already runs an OpenTelemetry pipeline would see them: each call one
//! client span named `{method} {url.template}` with the HTTP semantic
//! conventions' attributes (`http.request.method`, `server.address`,
//! `url.template`, `http.response.status_code`,
//! `http.request.resend_count`, `error.type`) and abilita's
//! `abilita.platform` and `abilita.operation`; never a key, a path or a
//! codice fiscale.
//!
//! `cargo run -p abilita-examples --bin otel` prints the spans of a GPD list
//! and of an IO profile check (refused: the citizen is not registered),
//! against the embedded simulators, through the OpenTelemetry stdout
//! exporter. Swap the exporter for OTLP in a real deployment.

use abilita_core::{PartitaIva, Settings};
use abilita_io::IoClient;
use abilita_io::model::Recipient;
use abilita_mock::Simulators;
use abilita_pagopa::gpd::{GpdClient, ListFilter};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(opentelemetry_stdout::SpanExporter::default())
        .build();
    // abilita's spans and events only: the HTTP stack's own are noise here.
    let telemetry = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("abilita"))
        .with_filter(EnvFilter::new("abilita_core=debug"));
    tracing_subscriber::registry().with(telemetry).try_init()?;

    let simulators = Simulators::start().await?;
    let settings = Settings::from_map(simulators.settings());
    let creditor = PartitaIva::from_official_test_value("77777777777")?;
    GpdClient::from_settings(&settings)?
        .list(&creditor, &ListFilter::default(), 0, 10)
        .await?;
    let io = IoClient::from_settings(&settings, None)?;
    // Refused, as the simulator's citizens are unregistered by default: the
    // span records the status and `error.type`.
    let refused = io.profile(&Recipient::parse("STTSGT90A01H501J")?).await;
    eprintln!(
        "the IO call ended: {:?}",
        refused.map(|_| ()).map_err(|e| e.to_string())
    );
    provider.shutdown()?;
    Ok(())
}
