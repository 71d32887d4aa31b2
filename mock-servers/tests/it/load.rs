//! The program under sustained load: memory stays flat, faults keep
//! working, SIGTERM stops it promptly. 100,000 requests here; the bench
//! (`cargo bench -p abilita-mock --bench load`) runs 1,000,000 and measures.

use serde_json::json;

use crate::driver::{self, Program, Targets};

/// Growth allowed from the start of the load to its end: the bound
/// for a million requests, held here for a tenth of them.
const GROWTH_BOUND_KIB: u64 = 20 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Linux /proc and a minute or two: scripts/mock-load.sh runs it"]
async fn memory_stays_flat_over_100_000_requests_and_faults_keep_working() {
    // The mix sends a message every 100 steps; with at most 1,000 kept, the
    // state requests create stops growing early, and what grows after is
    // what the program keeps of the requests themselves.
    let program = Program::start(&["--io-rate-limit", "off", "--io-max-messages", "1000"]);
    let targets = Targets::of(&program);
    let http = driver::client();
    let seeded = driver::seed(&http, &targets).await;
    // Warm-up: connection pools and allocator arenas reach their size.
    let warm_up = driver::drive(&http, &targets, &seeded, 5_000, 32, false).await;
    assert_eq!(warm_up.error_count, 0, "{:?}", warm_up.errors);
    let start = program.rss_kib();

    let plain = driver::drive(&http, &targets, &seeded, 50_000, 32, false).await;
    let middle = program.rss_kib();
    for (base, simulator) in [
        (&targets.gpd, "gpd"),
        (&targets.io, "io"),
        (&targets.anpr, "anpr"),
    ] {
        let faults = json!({ "server_error_share": 0.01, "throttle_next": 50, "lose_next": 2 });
        driver::set_faults(&http, base, simulator, faults).await;
    }
    let faulty = driver::drive(&http, &targets, &seeded, 50_000, 32, true).await;
    let end = program.rss_kib();

    eprintln!(
        "plain: {} requests, {:.0}/s, p50 {:?}, p99 {:?}; with faults: {} requests, statuses {:?}, timeouts {}; RSS {start} → {middle} → {end} KiB",
        plain.requests,
        plain.throughput(),
        plain.percentile(0.5),
        plain.percentile(0.99),
        faulty.requests,
        faulty.statuses,
        faulty.timeouts
    );
    assert_eq!(plain.error_count, 0, "{:?}", plain.errors);
    assert_eq!(faulty.error_count, 0, "{:?}", faulty.errors);
    // Three simulators, 50 throttled each, 1 % failed, 2 lost each.
    assert!(
        faulty.statuses.get(&429).copied().unwrap_or(0) >= 150,
        "{:?}",
        faulty.statuses
    );
    assert!(
        faulty.statuses.get(&503).copied().unwrap_or(0) >= 100,
        "{:?}",
        faulty.statuses
    );
    assert_eq!(
        faulty.timeouts, 6,
        "every lost response, and only those, times out"
    );
    assert!(
        end.saturating_sub(start) < GROWTH_BOUND_KIB,
        "RSS grew from {start} KiB to {end} KiB over {} requests",
        plain.requests + faulty.requests
    );

    let (took, clean) = program.terminate();
    assert!(clean, "the program exits 0 on SIGTERM");
    assert!(
        took < std::time::Duration::from_secs(1),
        "SIGTERM took {took:?}"
    );
}
