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
            .header("content-type", "application/json")
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

/// One GPD simulator on the program's server, with key `k` for creditor
/// 77777777777, and plain HTTP calls to it.
struct Gpd {
    running: abilita_mock::server::Running<abilita_mock::gpd::GpdSimulator>,
    clock: Arc<ManualClock>,
    http: reqwest::Client,
}

impl Gpd {
    async fn start() -> Self {
        let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
        let running = start_gpd(
            "127.0.0.1:0".parse().unwrap(),
            clock.clone(),
            "k",
            &["77777777777"],
        )
        .await
        .unwrap();
        Self {
            running,
            clock,
            http: reqwest::Client::new(),
        }
    }

    /// Moves the clock to `when`.
    fn at(&self, when: time::OffsetDateTime) {
        use abilita_core::Clock;
        self.clock.advance(when - self.clock.now());
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.server.uri())
    }

    /// `path` under v1 (or v3) of the creditor.
    fn positions(&self, version: &str, rest: &str) -> String {
        self.url(&format!(
            "{DEBT_POSITIONS_PATH}/{version}/organizations/77777777777{rest}"
        ))
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let response = request
            .header("Ocp-Apim-Subscription-Key", "k")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
            headers,
        )
    }

    async fn get(&self, url: &str) -> (u16, Value) {
        let (status, body, _) = self.send(self.http.get(url)).await;
        (status, body)
    }

    /// Creates and publishes a position with one option, at the clock's time.
    async fn create(&self, iupd: &str, iuv: &str, company: &str, debtor: &str) {
        let mut position = body(100, &[60, 40]);
        position["iupd"] = json!(iupd);
        position["companyName"] = json!(company);
        position["fiscalCode"] = json!(debtor);
        position["paymentOption"][0]["iuv"] = json!(iuv);
        let (status, answer, _) = self
            .send(
                self.http
                    .post(self.positions("v1", "/debtpositions?toPublish=true"))
                    .json(&position),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
    }

    /// The IUPDs a list answer holds, in order.
    async fn listed(&self, version: &str, query: &str) -> Vec<String> {
        let (status, answer) = self
            .get(&self.positions(version, &format!("/debtpositions?{query}")))
            .await;
        assert_eq!(status, 200, "{query}: {answer}");
        answer["payment_position_list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["iupd"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn the_list_refuses_what_its_parameters_do_not_allow() {
    let gpd = Gpd::start().await;
    for (version, query, detail) in [
        ("v1", "status=FOO", "Invalid value FOO for property status"),
        ("v1", "status=UNPAYABLE", "for property status"),
        ("v3", "status=INVALID", "for property status"),
        ("v1", "orderby=NAME", "for property orderby"),
        ("v1", "ordering=down", "for property ordering"),
        ("v1", "limit=1.5", "for property limit"),
        ("v1", "limit=51", "limit must be 1 to 50"),
        ("v1", "page=-1", "page must be 0 or more"),
        (
            "v1",
            "due_date_from=2026-12-01&payment_date_from=2026-12-01",
            "mutual exclusive",
        ),
        (
            "v3",
            "due_date_to=2026-12-01&payment_date_time_to=2026-12-01T00:00:00",
            "mutual exclusive",
        ),
        (
            "v1",
            "payment_date_time_from=not-a-date",
            "for property payment_date_time_from",
        ),
        (
            "v1",
            "payment_date_from=2026-01-01&payment_date_to=2026-03-01",
            "cannot be recovered",
        ),
        (
            "v1",
            "due_date_from=2026-12-02&due_date_to=2026-12-01",
            "cannot be recovered",
        ),
    ] {
        let (status, answer) = gpd
            .get(&gpd.positions(version, &format!("/debtpositions?{query}")))
            .await;
        assert_eq!(status, 400, "{version} {query}: {answer}");
        assert!(
            answer["detail"].as_str().unwrap().contains(detail),
            "{version} {query}: {answer}"
        );
    }
    // Each version takes its own states.
    assert!(gpd.listed("v3", "status=UNPAYABLE").await.is_empty());
    assert!(gpd.listed("v1", "status=EXPIRED").await.is_empty());
}

#[tokio::test]
async fn the_list_filters_by_payment_date_and_orders_as_asked() {
    let gpd = Gpd::start().await;
    for (i, (company, iuv)) in [
        ("Comune C", "01000000000000101"),
        ("Comune A", "01000000000000202"),
        ("Comune B", "01000000000000303"),
    ]
    .into_iter()
    .enumerate()
    {
        gpd.create(&format!("x-{}", i + 1), iuv, company, "STTSGT90A01H501J")
            .await;
        gpd.clock.advance(time::Duration::hours(1));
    }
    gpd.at(datetime!(2026-12-05 10:00 UTC));
    gpd.running
        .simulator
        .pay_option("77777777777", "301000000000000202", "PSP")
        .unwrap();

    assert_eq!(gpd.listed("v1", "").await, ["x-3", "x-2", "x-1"]);
    assert_eq!(
        gpd.listed("v1", "orderby=IUPD&ordering=ASC").await,
        ["x-1", "x-2", "x-3"]
    );
    assert_eq!(
        gpd.listed("v3", "orderby=IUPD").await,
        ["x-3", "x-2", "x-1"]
    );
    assert_eq!(
        gpd.listed("v1", "orderby=COMPANY_NAME&ordering=ASC").await,
        ["x-2", "x-3", "x-1"]
    );
    assert_eq!(
        gpd.listed("v1", "orderby=STATUS&ordering=ASC").await,
        ["x-2", "x-1", "x-3"]
    );
    assert_eq!(
        gpd.listed("v1", "payment_date_from=2026-12-05").await,
        ["x-2"]
    );
    assert!(
        gpd.listed("v1", "payment_date_from=2026-12-06")
            .await
            .is_empty()
    );
    assert!(
        gpd.listed("v1", "payment_date_to=2026-12-04")
            .await
            .is_empty()
    );
    assert_eq!(
        gpd.listed(
            "v3",
            "payment_date_time_from=2026-12-05T09:59:00&payment_date_time_to=2026-12-05T10:01:00"
        )
        .await,
        ["x-2"]
    );
    assert!(
        gpd.listed("v1", "payment_date_time_from=2026-12-05T10:01:00")
            .await
            .is_empty()
    );
    assert_eq!(gpd.listed("v1", "status=PAID").await, ["x-2"]);
    assert_eq!(
        gpd.listed("v1", "limit=1&page=1&orderby=IUPD&ordering=ASC")
            .await,
        ["x-2"]
    );
}

#[tokio::test]
async fn every_answer_gpd_gives_carries_a_request_id() {
    let gpd = Gpd::start().await;
    let url = gpd.positions("v1", "/debtpositions/missing");
    let (status, _, headers) = gpd
        .send(gpd.http.get(&url).header("X-Request-Id", "trace-42"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(headers["x-request-id"], "trace-42");
    let (status, _, headers) = gpd
        .send(gpd.http.get(gpd.positions("v1", "/debtpositions")))
        .await;
    assert_eq!(status, 200);
    let made = headers["x-request-id"].to_str().unwrap();
    assert_eq!(made.len(), 36, "{made}");
    assert_eq!(made.matches('-').count(), 4, "{made}");
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_415_as_from_spring() {
    let gpd = Gpd::start().await;
    let json_text = body(100, &[100]).to_string();
    let url = gpd.positions("v1", "/debtpositions");
    for content_type in [Some("text/plain"), Some("application/xml"), None] {
        let mut request = gpd.http.post(&url).body(json_text.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let (status, answer, headers) = gpd.send(request).await;
        assert_eq!(status, 415, "{content_type:?}: {answer}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert!(
            headers["accept"]
                .to_str()
                .unwrap()
                .contains("application/json")
        );
        let declared = content_type.unwrap_or("application/octet-stream");
        assert_eq!(
            answer["detail"],
            format!("Content-Type '{declared}' is not supported.")
        );
    }
    let put = gpd
        .send(
            gpd.http
                .put(gpd.positions("v1", "/debtpositions/77777777777-raw"))
                .header("content-type", "text/plain")
                .body(json_text.clone()),
        )
        .await;
    assert_eq!(put.0, 415);
    // JSON under another name of the same type is JSON.
    for content_type in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ] {
        let mut position = body(100, &[100]);
        position["iupd"] = json!(format!("p-{}", content_type.len()));
        position["paymentOption"][0]["iuv"] =
            json!(format!("010000000000001{:02}", content_type.len()));
        let (status, answer, _) = gpd
            .send(
                gpd.http
                    .post(&url)
                    .header("content-type", content_type)
                    .body(position.to_string()),
            )
            .await;
        assert_eq!(status, 201, "{content_type}: {answer}");
    }
    assert_eq!(gpd.running.simulator.position_count("77777777777"), 3);
}

#[tokio::test]
async fn receipts_check_paging_and_dates_and_apply_every_filter() {
    let gpd = Gpd::start().await;
    gpd.create("r-1", "01000000000000101", "Comune", "STTSGT90A01H501J")
        .await;
    gpd.create("r-2", "02000000000000202", "Comune", "RSSMRA80A01H501U")
        .await;
    gpd.at(datetime!(2026-12-03 10:00 UTC));
    let simulator = &gpd.running.simulator;
    simulator
        .pay_option("77777777777", "301000000000000101", "PSP")
        .unwrap();
    gpd.at(datetime!(2026-12-04 10:00 UTC));
    simulator
        .pay_option("77777777777", "302000000000000202", "PSP")
        .unwrap();

    let receipts = |query: &str| {
        gpd.url(&format!(
            "/gpd/payments-receipts-service/v1/payments/77777777777/receipts?{query}"
        ))
    };
    for query in [
        "pageNum=-1",
        "pageSize=-5",
        "pageSize=0",
        "pageSize=101",
        "pageNum=x",
        "from=not-a-date",
        "to=2026-13-01",
        "from=2026-12-05&to=2026-12-01",
        "pageNum=5",
    ] {
        let (status, answer) = gpd.get(&receipts(query)).await;
        assert_eq!(status, 400, "{query}: {answer}");
    }
    let iuvs = |answer: Value| -> Vec<String> {
        answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["iuv"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("", vec!["01000000000000101", "02000000000000202"]),
        ("debtor=RSSMRA80A01H501U", vec!["02000000000000202"]),
        ("service=01", vec!["01000000000000101"]),
        ("debtorOrIuv=STTS", vec!["01000000000000101"]),
        ("debtorOrIuv=0200", vec!["02000000000000202"]),
        ("from=2026-12-04", vec!["02000000000000202"]),
        ("to=2026-12-03", vec!["01000000000000101"]),
        ("from=2026-12-03T10:00:01&to=2026-12-04T09:59:59", vec![]),
        ("pageSize=1&pageNum=1", vec!["02000000000000202"]),
    ] {
        let (status, answer) = gpd.get(&receipts(query)).await;
        assert_eq!(status, 200, "{query}: {answer}");
        assert_eq!(iuvs(answer), expected, "{query}");
    }
}

#[tokio::test]
async fn ibans_move_and_options_are_paid_outside_pagopa() {
    let gpd = Gpd::start().await;
    for url in [
        gpd.url(&format!("{DEBT_POSITIONS_PATH}/v1/info")),
        gpd.url("/gpd/payments-receipts-service/v1/info"),
    ] {
        let (status, answer) = gpd.get(&url).await;
        assert_eq!(status, 200, "{url}");
        assert!(answer["name"].as_str().unwrap().starts_with("pagopa-"));
    }
    gpd.create("m-1", "01000000000000101", "Comune", "STTSGT90A01H501J")
        .await;
    let old = "IT60X0542811101000000123456";
    let new = "IT21X0306909606000000123456";

    let transfers = gpd.positions("v1", "/debtpositions/transfers");
    let (status, answer, _) = gpd
        .send(
            gpd.http
                .patch(format!("{transfers}?oldIban={old}&limit=1"))
                .json(&json!({"newIban": new})),
        )
        .await;
    assert_eq!(
        (status, &answer["updatedTransfers"]),
        (200, &json!(1)),
        "{answer}"
    );
    let (status, answer, _) = gpd
        .send(
            gpd.http
                .patch(format!("{transfers}?oldIban={old}"))
                .json(&json!({"newIban": new})),
        )
        .await;
    assert_eq!(
        (status, &answer["updatedTransfers"]),
        (200, &json!(1)),
        "{answer}"
    );
    let (_, position) = gpd.get(&gpd.positions("v1", "/debtpositions/m-1")).await;
    for transfer in position["paymentOption"][0]["transfer"].as_array().unwrap() {
        assert_eq!(transfer["iban"], new);
    }
    for (query, body) in [
        (String::new(), json!({"newIban": new})),
        (
            format!("?oldIban={old}&limit=1001"),
            json!({"newIban": new}),
        ),
        (format!("?oldIban={old}"), json!({})),
    ] {
        let (status, answer, _) = gpd
            .send(gpd.http.patch(format!("{transfers}{query}")).json(&body))
            .await;
        assert_eq!(status, 400, "{query} {body}: {answer}");
    }

    let paids = |nav: &str| gpd.positions("v1", &format!("/paymentoptions/paids/{nav}"));
    let paid_at = json!({"paymentDate": "2026-12-01T10:30:00"});
    let (status, answer, _) = gpd
        .send(gpd.http.post(paids("301000000000000101")).json(&paid_at))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "PO_PAID");
    assert_eq!(answer["paymentDate"], "2026-12-01T10:30:00Z");
    assert!(answer.get("idReceipt").is_none(), "{answer}");
    let (_, position) = gpd.get(&gpd.positions("v1", "/debtpositions/m-1")).await;
    assert_eq!(position["status"], "PAID");
    let (status, _, _) = gpd
        .send(gpd.http.post(paids("301000000000000101")).json(&paid_at))
        .await;
    assert_eq!(status, 409);
    let (status, _, _) = gpd
        .send(gpd.http.post(paids("399999999999999999")).json(&paid_at))
        .await;
    assert_eq!(status, 404);
    // Paid outside pagoPA: no receipt, and the Nodo can no longer take it.
    let (status, _) = gpd
        .get(&gpd.url(
            "/gpd/payments-receipts-service/v1/payments/77777777777/receipts/01000000000000101",
        ))
        .await;
    assert_eq!(status, 404);
    assert!(
        gpd.running
            .simulator
            .pay_option("77777777777", "301000000000000101", "PSP")
            .is_err()
    );

    // A draft cannot be paid.
    let mut draft = body(100, &[100]);
    draft["iupd"] = json!("m-2");
    draft["paymentOption"][0]["iuv"] = json!("01000000000000202");
    let (status, _, _) = gpd
        .send(
            gpd.http
                .post(gpd.positions("v1", "/debtpositions"))
                .json(&draft),
        )
        .await;
    assert_eq!(status, 201);
    let (status, answer, _) = gpd
        .send(gpd.http.post(paids("301000000000000202")).json(&json!({})))
        .await;
    assert_eq!(status, 422, "{answer}");
}
