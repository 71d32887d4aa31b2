//! The transport's own overhead: GETs through `abilita_core::Transport` and
//! through a bare `reqwest::Client`, against the same local wiremock server,
//! in interleaved rounds of the same run.

//!
//! Run with `cargo bench -p abilita-core --bench transport_overhead`.
//! Target: abilita within 10 % of bare reqwest. Two bare clients
//! are measured: `reqwest::Client::new()` (no timeout at all) and one with
//! the transport's own connect/request timeouts and redirect policy, so the
//! report separates the price of having a timeout (a timer per request) from
//! the transport's own work. The figures are printed, never asserted: timing
//! belongs in benchmarks, not in tests.

// A benchmark reports to stdout and may stop at the first broken assumption.
#![allow(clippy::print_stdout, clippy::expect_used, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use abilita_core::{ApiRequest, BaseUrl, Transport};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROUNDS: usize = 21;
const REQUESTS_PER_ROUND: u32 = 1_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"sender_allowed": true})),
        )
        .mount(&server)
        .await;
    let transport = Transport::builder(BaseUrl::parse(&server.uri()).expect("loopback URL"))
        .build()
        .expect("a transport");
    let bare = reqwest::Client::new();
    let bare_with_timeouts = reqwest::Client::builder()
        .connect_timeout(abilita_core::DEFAULT_CONNECT_TIMEOUT)
        .timeout(abilita_core::DEFAULT_REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let url = format!("{}/profiles/STTSGT90A01H501J", server.uri());

    let through_abilita = || async {
        let request = ApiRequest::get("/profiles/{fiscal_code}")
            .path_param("fiscal_code", "STTSGT90A01H501J");
        let response = transport
            .send::<std::convert::Infallible>(request)
            .await
            .expect("200");
        std::hint::black_box(response.body().len());
    };
    let through_reqwest = |client: &reqwest::Client| {
        let request = client.get(&url);
        async {
            let response = request.send().await.expect("200");
            let body = response.bytes().await.expect("a body");
            std::hint::black_box(body.len());
        }
    };

    // Warm the connection pools and the server.
    for _ in 0..200 {
        through_abilita().await;
        through_reqwest(&bare).await;
        through_reqwest(&bare_with_timeouts).await;
    }

    // Each round times the three clients in a rotated order, so that no
    // client always runs first or last.
    let mut samples = [const { Vec::new() }; 3];
    for round in 0..ROUNDS {
        for turn in 0..3 {
            let which = (round + turn) % 3;
            let started = Instant::now();
            for _ in 0..REQUESTS_PER_ROUND {
                match which {
                    0 => through_reqwest(&bare).await,
                    1 => through_reqwest(&bare_with_timeouts).await,
                    _ => through_abilita().await,
                }
            }
            samples[which].push(started.elapsed() / REQUESTS_PER_ROUND);
        }
    }
    let [mut plain, mut timed, mut abilita] = samples;

    let (abilita, plain, timed) = (median(&mut abilita), median(&mut plain), median(&mut timed));
    println!(
        "transport_overhead: {ROUNDS} rounds x {REQUESTS_PER_ROUND} sequential GETs, median per request:\n  \
         bare reqwest, no timeout     {:6.1} us\n  \
         bare reqwest, same timeouts  {:6.1} us\n  \
         abilita Transport            {:6.1} us\n  \
         ratio vs same timeouts {:.3}, vs no timeout {:.3} (target <= 1.10)",
        micros(plain),
        micros(timed),
        micros(abilita),
        abilita.as_secs_f64() / timed.as_secs_f64(),
        abilita.as_secs_f64() / plain.as_secs_f64(),
    );
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
