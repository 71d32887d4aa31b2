//! Every route of every simulator's table reaches its handler, through the
//! program's server and through the wiremock mounting alike.

use std::sync::Arc;

use abilita_core::testing::ManualClock;
use abilita_mock::anpr::AnprSimulator;
use abilita_mock::checkout::CheckoutSimulator;
use abilita_mock::fdr::FdrSimulator;
use abilita_mock::gpd::GpdSimulator;
use abilita_mock::io::{IoSimulator, ServiceSetup};
use abilita_mock::print::PrintSimulator;
use abilita_mock::server::{DEFAULT_CREDITOR, DEFAULT_IO_SERVICE, DEFAULT_KEY, DEFAULT_MANAGE_KEY};
use abilita_mock::spid::{Profile, SpidIdp};
use abilita_mock::{Simulators, register_simulated_client};
use serde_json::Value;
use time::macros::datetime;
use wiremock::MockServer;

/// A path for `pattern`, each `{name}` filled with a value of its kind.
fn fill(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| match segment {
            "{cf}" => DEFAULT_CREDITOR,
            "{version}" => "v1",
            "{iupd}" => "iupd-1",
            "{iuv}" => "01000000000000001",
            "{nav}" => "301000000000000001",
            "{fiscal_code}" => "STTSGT90A01H501J",
            "{id}" => DEFAULT_IO_SERVICE,
            "{which}" => "primary",
            "{date}" => "2026-11-30",
            "{organization_fiscal_code}" => DEFAULT_CREDITOR,
            "{configuration_id}" => "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "{service}" => "C030-servizioAccertamentoIdUnicoNazionale",
            "{org}" => DEFAULT_CREDITOR,
            "{fdr}" => "flow-1",
            "{revision}" => "1",
            "{psp}" => "88888888888",
            "{cart}" => "no-such-cart",
            "{template}" => "TemplateSingleInstalment",
            "{folder}" => "no-such-folder",
            "{file}" => "notice-1",
            "{error}" => "notice-1",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The simulator's own answer for a path it does not serve.
fn is_not_found(status: u16, body: &Value) -> bool {
    status == 404
        && (body["message"] == "Resource not found"
            || body["title"] == "UnknownResource"
            || body
                .as_str()
                .is_some_and(|page| page.contains("pagina inesistente")))
}

async fn answer(http: &reqwest::Client, base: &str, method: &str, path: &str) -> (u16, Value) {
    let key = if path.starts_with("/api/v1/manage") {
        DEFAULT_MANAGE_KEY
    } else {
        DEFAULT_KEY
    };
    let response = http
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .header("Ocp-Apim-Subscription-Key", key)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    // JSON bodies as JSON; the IdP's HTML pages as a string.
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn every_route_is_served_the_same_by_the_program_server_and_by_wiremock() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let program = Simulators::start_with_clock(clock.clone()).await.unwrap();

    let gpd = GpdSimulator::new(clock.clone());
    gpd.grant(DEFAULT_KEY, &[DEFAULT_CREDITOR], None);
    let fdr = FdrSimulator::fed_by(clock.clone(), gpd.clone());
    fdr.grant(DEFAULT_KEY, &[DEFAULT_CREDITOR]);
    let checkout = CheckoutSimulator::fed_by(gpd.clone());
    checkout.grant(DEFAULT_KEY);
    let print = PrintSimulator::new(clock.clone());
    print.grant(DEFAULT_KEY);
    let io = IoSimulator::new(clock.clone());
    // As the program sets its default service up.
    let mut service = ServiceSetup::new(DEFAULT_IO_SERVICE, DEFAULT_CREDITOR, DEFAULT_KEY);
    service.subscriptions_feed_allowed = true;
    service.service_write_allowed = true;
    io.add_service(&service);
    io.add_manage_key(DEFAULT_CREDITOR, DEFAULT_MANAGE_KEY);
    let anpr = AnprSimulator::new(clock.clone());
    register_simulated_client(&anpr).unwrap();
    let spid = SpidIdp::generate(Profile::Spid, clock).unwrap();
    let (gpd_mock, fdr_mock, checkout_mock, print_mock, io_mock, anpr_mock, spid_mock) = (
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
    );
    gpd.mount(&gpd_mock).await;
    fdr.mount(&fdr_mock).await;
    checkout.mount(&checkout_mock).await;
    print.mount(&print_mock).await;
    io.mount(&io_mock).await;
    anpr.mount(&anpr_mock).await;
    spid.mount(&spid_mock).await;

    let http = reqwest::Client::new();
    let tables = [
        (
            GpdSimulator::routes().collect::<Vec<_>>(),
            program.gpd.server.uri(),
            gpd_mock.uri(),
        ),
        (
            FdrSimulator::routes().collect(),
            program.fdr.server.uri(),
            fdr_mock.uri(),
        ),
        (
            CheckoutSimulator::routes().collect(),
            program.checkout.server.uri(),
            checkout_mock.uri(),
        ),
        (
            PrintSimulator::routes().collect(),
            program.print.server.uri(),
            print_mock.uri(),
        ),
        (
            IoSimulator::routes().collect(),
            program.io.server.uri(),
            io_mock.uri(),
        ),
        (
            AnprSimulator::routes().collect(),
            program.anpr.server.uri(),
            anpr_mock.uri(),
        ),
        (
            SpidIdp::routes().collect(),
            program.spid.server.uri(),
            spid_mock.uri(),
        ),
    ];
    let mut served = 0;
    for (routes, program_base, mock_base) in &tables {
        assert!(routes.len() >= 4, "{routes:?}");
        for (method, pattern) in routes {
            let path = fill(pattern);
            let (status, body) = answer(&http, program_base, method, &path).await;
            assert!(
                !is_not_found(status, &body),
                "{method} {path}: {status} {body}"
            );
            let (mock_status, _) = answer(&http, mock_base, method, &path).await;
            assert_eq!(
                status, mock_status,
                "{method} {path}: program and wiremock differ"
            );
            served += 1;
        }
        // A path outside the table gets the platform's own not-found answer.
        for base in [program_base, mock_base] {
            let (status, body) = answer(&http, base, "GET", "/api/v1/unknown/route").await;
            let (wrong_method, wrong_body) =
                answer(&http, base, "PATCH", &fill(&routes[0].1)).await;
            if base == mock_base {
                // wiremock answers paths no mock matches with its own bare 404.
                assert_eq!(status, 404);
            } else {
                assert!(is_not_found(status, &body), "{status} {body}");
            }
            assert!(
                is_not_found(wrong_method, &wrong_body),
                "{wrong_method} {wrong_body}"
            );
        }
    }
    assert_eq!(
        served,
        16 + 7 + 5 + 10 + 32 + 9 + 13,
        "every route of the seven tables"
    );
}
