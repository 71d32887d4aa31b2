//! The `abilita-mock` program under a million requests: throughput, p50/p99
//! latency, resident memory at start, after 100k and at the end, errors;
//! and, in the same run, the floor: a minimal hyper server answering a fixed
//! body to the same clients. Exits non-zero when a target is missed:
//! memory growth under 20 MB, throughput within 3x of the floor.
//!
//! `cargo bench -p abilita-mock --bench load [-- REQUESTS]`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    missing_docs,
    reason = "a bench binary: a failure is the report"
)]

#[path = "../tests/support/driver.rs"]
mod driver;

use std::convert::Infallible;
use std::time::Duration;

use driver::{Program, Report, Targets};
use serde_json::json;

const CONCURRENCY: usize = 32;
const FLOOR_REQUESTS: usize = 200_000;
const GROWTH_TARGET_KIB: u64 = 20 * 1024;
const THROUGHPUT_TARGET: f64 = 3.0;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--floor-server") {
        floor_server();
        return;
    }
    let total: usize = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ok = runtime.block_on(measure(total));
    if !ok {
        std::process::exit(1);
    }
}

fn line(name: &str, report: &Report) {
    println!(
        "{name:<28} {:>9} requests {:>8.0}/s  p50 {:>8.2?}  p99 {:>8.2?}  errors {}  timeouts {}",
        report.requests,
        report.throughput(),
        report.percentile(0.5),
        report.percentile(0.99),
        report.error_count,
        report.timeouts
    );
}

async fn measure(total: usize) -> bool {
    // The mix sends a message every 100 steps; with at most 1,000 kept, the
    // state requests create stops growing early, and what grows after is
    // what the program keeps of the requests themselves.
    let program = Program::start(&["--io-rate-limit", "off", "--io-max-messages", "1000"]);
    let targets = Targets::of(&program);
    let http = driver::client();
    let started_kib = program.rss_kib();
    let seeded = driver::seed(&http, &targets).await;
    let warm_up = driver::drive(&http, &targets, &seeded, 10_000, CONCURRENCY, false).await;
    let start = program.rss_kib();
    let first = driver::drive(&http, &targets, &seeded, 100_000, CONCURRENCY, false).await;
    let after_100k = program.rss_kib();
    let faults_share = total / 10;
    let rest = total.saturating_sub(100_000 + faults_share);
    let plain = driver::drive(&http, &targets, &seeded, rest, CONCURRENCY, false).await;
    for (base, simulator) in [
        (&targets.gpd, "gpd"),
        (&targets.io, "io"),
        (&targets.anpr, "anpr"),
    ] {
        let faults = json!({ "server_error_share": 0.01, "throttle_next": 100, "lose_next": 3 });
        driver::set_faults(&http, base, simulator, faults).await;
    }
    let faulty = driver::drive(&http, &targets, &seeded, faults_share, CONCURRENCY, true).await;
    let end = program.rss_kib();
    let (stop_took, stopped_cleanly) = program.terminate();

    let floor_child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--floor-server")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut floor_child = KillOnDrop(floor_child);
    let mut port = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(floor_child.0.stdout.take().unwrap()),
        &mut port,
    )
    .unwrap();
    let floor_url = format!("http://127.0.0.1:{}/", port.trim());
    let _ = driver::drive_get(&http, &floor_url, 10_000, CONCURRENCY).await;
    let floor = driver::drive_get(&http, &floor_url, FLOOR_REQUESTS, CONCURRENCY).await;

    let mut all = Report::default();
    for r in [first, plain] {
        all.requests += r.requests;
        all.elapsed += r.elapsed;
        all.error_count += r.error_count;
        all.latencies.extend(r.latencies);
    }
    all.latencies.sort_unstable();
    println!("abilita-mock under load: {CONCURRENCY} concurrent clients, 2 runtime threads");
    line("warm-up", &warm_up);
    line("mix, no faults", &all);
    line("mix, with faults", &faulty);
    println!("{:<28} statuses {:?}", "", faulty.statuses);
    line("floor (fixed body)", &floor);
    let ratio = floor.throughput() / all.throughput();
    let growth = end.saturating_sub(start);
    println!(
        "RSS: {started_kib} KiB at start, {start} KiB after warm-up, {after_100k} KiB after 100k, {end} KiB at the end ({} requests); growth {growth} KiB",
        warm_up.requests + all.requests + faulty.requests
    );
    println!("throughput: floor / mix = {ratio:.2} (target <= {THROUGHPUT_TARGET})");
    println!("SIGTERM: exited in {stop_took:?}, cleanly: {stopped_cleanly}");
    for error in all.errors.iter().chain(&faulty.errors).take(5) {
        println!("error: {error}");
    }
    let errors = all.error_count + faulty.error_count;
    growth < GROWTH_TARGET_KIB
        && ratio <= THROUGHPUT_TARGET
        && errors == 0
        && stopped_cleanly
        && stop_took < Duration::from_secs(1)
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The floor: hyper answering `ok` to anything, on the same runtime shape.
fn floor_server() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_| async {
                    Ok::<_, Infallible>(hyper::Response::new(http_body_util::Full::new(
                        bytes::Bytes::from_static(b"{\"status\":\"UP\"}"),
                    )))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
