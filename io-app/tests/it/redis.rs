//! The institution's rate limit shared by two senders through a real
//! `redis-server` (ignored by a plain `cargo test`; `scripts/redis-tests.sh`
//! installs Redis and runs it).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use abilita_core::testing::redis_server::RedisServer;
use abilita_core::{ApiKey, Error, RetryPolicy, SystemClock};
use abilita_io::model::Recipient;
use abilita_io::{InstitutionRateLimit, IoClient, IoError, ServiceKeys, transport_builder};
use abilita_mock::io::{CitizenState, IO_PATH, IoSimulator};
use wiremock::MockServer;

use super::{INSTITUTION, fiscal_code, service};

/// IO's limit in the test: 10 requests per second for the institution.
const LIMIT: u32 = 10;
const PERIOD: Duration = Duration::from_secs(1);

/// Two senders of one institution, each sending `per_sender` profile
/// checks at once, with the limits `limits` gives them: how many IO
/// refused with 429, and how long it took.
async fn two_senders(
    per_sender: u32,
    limits: impl Fn() -> (InstitutionRateLimit, InstitutionRateLimit),
) -> (usize, Duration) {
    let server = MockServer::start().await;
    let io = IoSimulator::new(Arc::new(SystemClock));
    io.add_service(&service("svc-a", "key-a", "key-a2", false));
    io.add_service(&service("svc-b", "key-b", "key-b2", false));
    io.set_rate_limit(Some((LIMIT as usize, PERIOD)));
    io.set_default_citizen(CitizenState::Allowed);
    io.mount(&server).await;
    let client = |key: &str, limit: InstitutionRateLimit| {
        // No retries: a 429 must show, not be waited out.
        let transport = transport_builder(&format!("{}{IO_PATH}", server.uri()))
            .unwrap()
            .retry_policy(RetryPolicy::never())
            .build()
            .unwrap();
        IoClient::from_transport(
            transport,
            ServiceKeys::new(ApiKey::new(key), None),
            Some(limit),
        )
    };
    let (a, b) = limits();
    let senders = [client("key-a", a), client("key-b", b)];
    let started = Instant::now();
    let mut calls = Vec::new();
    for (s, sender) in senders.iter().enumerate() {
        for n in 0..per_sender {
            let to = Recipient::new(fiscal_code(u32::try_from(s).unwrap() * 1000 + n)).unwrap();
            let sender = sender.clone();
            calls.push(tokio::spawn(async move { sender.profile(&to).await }));
        }
    }
    let mut results = Vec::new();
    for call in calls {
        results.push(call.await.unwrap());
    }
    let throttled = results
        .iter()
        .filter(|r| {
            matches!(
                r,
                Err(Error::Service {
                    error: IoError::Throttled,
                    ..
                })
            )
        })
        .count();
    for result in &results {
        assert!(
            matches!(
                result,
                Ok(_)
                    | Err(Error::Service {
                        error: IoError::Throttled,
                        ..
                    })
            ),
            "{result:?}"
        );
    }
    (throttled, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server (scripts/redis-tests.sh)"]
async fn two_senders_share_one_budget_through_redis() {
    let redis = RedisServer::start();
    let url = redis.url();
    let requests = NonZeroU32::new(LIMIT).unwrap();
    // A margin for the network, as the docs advise.
    let period = PERIOD + Duration::from_millis(100);
    let shared_a = InstitutionRateLimit::redis(&url, INSTITUTION, requests, period)
        .await
        .unwrap();
    let shared_b = InstitutionRateLimit::redis(&url, INSTITUTION, requests, period)
        .await
        .unwrap();
    let (throttled, took) = two_senders(15, || (shared_a.clone(), shared_b.clone())).await;
    assert_eq!(throttled, 0, "the shared budget was exceeded");
    // 30 requests at 10 per 1.1 s need at least two full windows.
    assert!(took >= Duration::from_millis(2_200), "{took:?}");

    // The control: each sender with its own limit of the same size goes
    // over IO's budget, so the test above can fail.
    let (throttled, _) = two_senders(15, || {
        (
            InstitutionRateLimit::new(requests, period),
            InstitutionRateLimit::new(requests, period),
        )
    })
    .await;
    assert!(throttled > 0, "two local limits should have exceeded IO's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server (scripts/redis-tests.sh)"]
async fn a_shared_limit_without_redis_refuses_rather_than_overspends() {
    let mut redis = RedisServer::start();
    let limit = InstitutionRateLimit::redis(
        &redis.url(),
        INSTITUTION,
        NonZeroU32::new(5).unwrap(),
        PERIOD,
    )
    .await
    .unwrap();
    redis.stop();
    let server = MockServer::start().await;
    let io = IoSimulator::new(Arc::new(SystemClock));
    io.add_service(&service("svc-a", "key-a", "key-a2", false));
    io.mount(&server).await;
    let transport = transport_builder(&format!("{}{IO_PATH}", server.uri()))
        .unwrap()
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let client = IoClient::from_transport(
        transport,
        ServiceKeys::new(ApiKey::new("key-a"), None),
        Some(limit),
    );
    let result = client
        .profile(&Recipient::new(fiscal_code(1)).unwrap())
        .await;
    let Err(error @ Error::Dispatch(_)) = &result else {
        panic!("{result:?}")
    };
    assert_eq!(error.outcome(), abilita_core::RequestOutcome::NotSent);
    let context = error.context().expect("the call is named");
    assert_eq!(context.platform(), "App IO");
    assert_eq!(context.operation(), Some("read profile"));
    assert!(
        error.to_string().starts_with("App IO read profile"),
        "{error}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}
