use std::sync::Arc;

use abilita_core::testing::ManualClock;
use abilita_mock::gpd::DEBT_POSITIONS_PATH;
use abilita_mock::server::start_gpd;
use serde_json::{Value, json};
use time::macros::datetime;

fn body(amount: u64, transfers: &[u64]) -> Value {
    let transfers: Vec<Value> = transfers
        .iter()
        .enumerate()
        .map(|(i, a)| json!({"idTransfer": (i + 1).to_string(), "amount": a, "remittanceInformation": "TARI", "category": "9/0101100IM/", "iban": "IT60X0542811101000000123456"}))
        .collect();
    json!({
        "iupd": "77777777777-raw", "type": "F", "fiscalCode": "STTSGT90A01H501J", "fullName": "Soggetto Settimo",
        "companyName": "Comune di Prova", "switchToExpired": false,
        "paymentOption": [{"iuv": "01000000000000112", "amount": amount, "description": "TARI", "isPartialPayment": false,
            "dueDate": "2026-12-31T23:59:59", "transfer": transfers}]
    })
}

#[tokio::test]
async fn the_program_server_answers_health_auth_and_rules_in_gpd_shapes() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-26 09:00 UTC)));
    let running = start_gpd("127.0.0.1:0".parse().unwrap(), clock, "k", &["77777777777"])
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let uri = running.server.uri();

    let health = http.get(format!("{uri}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "UP");

    let url = format!("{uri}{DEBT_POSITIONS_PATH}/v1/organizations/77777777777/debtpositions");
    let anonymous = http
        .post(&url)
        .json(&body(100, &[100]))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(
        anonymous.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("subscription key")
    );

    let wrong_sum = http
        .post(&url)
        .header("Ocp-Apim-Subscription-Key", "k")
        .json(&body(100, &[60, 30]))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_sum.status(), 400);
    let problem: Value = wrong_sum.json().await.unwrap();
    assert_eq!(problem["status"], 400);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("sum of its transfers"),
        "{problem}"
    );

    let six = http
        .post(&url)
        .header("Ocp-Apim-Subscription-Key", "k")
        .json(&body(6, &[1, 1, 1, 1, 1, 1]))
        .send()
        .await
        .unwrap();
    assert_eq!(six.status(), 400);

    let created = http
        .post(format!("{url}?toPublish=true"))
        .header("Ocp-Apim-Subscription-Key", "k")
        .json(&body(100, &[60, 40]))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["status"], "VALID");
    assert_eq!(created["paymentOption"][0]["nav"], "301000000000000112");
    assert_eq!(running.simulator.position_count("77777777777"), 1);

    let again = http
        .post(&url)
        .header("Ocp-Apim-Subscription-Key", "k")
        .json(&body(100, &[60, 40]))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn hostile_bodies_get_a_400_not_a_crash() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-26 09:00 UTC)));
    let running = start_gpd("127.0.0.1:0".parse().unwrap(), clock, "k", &["77777777777"])
        .await
        .unwrap();
    let url = format!(
        "{}{DEBT_POSITIONS_PATH}/v1/organizations/77777777777/debtpositions",
        running.server.uri()
    );
    let http = reqwest::Client::new();
    for raw in [
        "",
        "[]",
        "null",
        "{\"paymentOption\": 5}",
        "{\"iupd\": 1}",
        &"[".repeat(10_000),
    ] {
        let response = http
            .post(&url)
            .header("Ocp-Apim-Subscription-Key", "k")
            .body(raw.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{raw:.20}");
    }
}

#[tokio::test]
async fn an_iupd_that_needs_url_encoding_is_read_and_deleted_again() {
    // GPD's IUPD pattern `[\w*\h-]+` allows blanks and `*`, which a URL
    // carries percent-encoded.
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-26 09:00 UTC)));
    let running = start_gpd("127.0.0.1:0".parse().unwrap(), clock, "k", &["77777777777"])
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!(
        "{}{DEBT_POSITIONS_PATH}/v1/organizations/77777777777/debtpositions",
        running.server.uri()
    );
    let iupd = "77777777777 TARI*2026";
    let mut position = body(100, &[100]);
    position["iupd"] = json!(iupd);
    let created = http
        .post(&url)
        .header("Ocp-Apim-Subscription-Key", "k")
        .json(&position)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());

    let encoded = "77777777777%20TARI%2A2026";
    let read = http
        .get(format!("{url}/{encoded}"))
        .header("Ocp-Apim-Subscription-Key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.json::<Value>().await.unwrap()["iupd"], iupd);
    let deleted = http
        .delete(format!("{url}/{encoded}"))
        .header("Ocp-Apim-Subscription-Key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let gone = http
        .get(format!("{url}/{encoded}"))
        .header("Ocp-Apim-Subscription-Key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    // A segment that is not UTF-8 once decoded names nothing.
    let garbled = http
        .get(format!("{url}/%FF%FE"))
        .header("Ocp-Apim-Subscription-Key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), 404);
}
