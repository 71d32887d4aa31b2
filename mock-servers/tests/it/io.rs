//! The IO simulator over HTTP: citizens, messages, services, limits, reset.

use std::sync::Arc;
use std::time::Duration;

use abilita_core::testing::ManualClock;
use abilita_mock::Simulators;
use abilita_mock::server::{DEFAULT_KEY, DEFAULT_MANAGE_KEY};
use serde_json::{Value, json};
use time::macros::datetime;

const CITIZEN: &str = "STTSGT90A01H501J";
const KEY: &str = "Ocp-Apim-Subscription-Key";

fn message(subject: &str) -> Value {
    json!({ "fiscal_code": CITIZEN, "content": {
        "subject": subject,
        "markdown": "La rata della TARI scade a fine mese. Può pagarla dall'app IO o presso qualsiasi prestatore aderente a pagoPA."
    }})
}

#[tokio::test]
async fn messages_settle_are_listed_forgotten_beyond_the_limit_and_reset() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let simulators = Simulators::start_with_clock(clock.clone()).await.unwrap();
    simulators.io.simulator.set_max_messages(2);
    let base = simulators.io.server.uri();
    let http = reqwest::Client::new();

    let seeded = http
        .post(format!("{base}/__control/io/citizens"))
        .json(&json!([{ "fiscal_code": CITIZEN, "state": "allowed" }]))
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status(), 200);
    let profile = http
        .post(format!("{base}/api/v1/profiles"))
        .header(KEY, DEFAULT_KEY)
        .json(&json!({ "fiscal_code": CITIZEN }))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200);
    assert!(profile.headers().contains_key("x-rate-limit-remaining"));
    assert_eq!(
        profile.json::<Value>().await.unwrap()["sender_allowed"],
        true
    );

    let mut locations = Vec::new();
    for subject in [
        "Primo avviso TARI",
        "Secondo avviso TARI",
        "Terzo avviso TARI",
    ] {
        let sent = http
            .post(format!("{base}/api/v1/messages"))
            .header(KEY, DEFAULT_KEY)
            .json(&message(subject))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 201);
        locations.push(sent.headers()["location"].to_str().unwrap().to_owned());
    }
    let read = |location: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let answer = http
                .get(format!("{base}{location}"))
                .header(KEY, DEFAULT_KEY)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            (status, answer.json::<Value>().await.unwrap())
        }
    };
    // The oldest is forgotten beyond the limit of two.
    assert_eq!(read(locations[0].clone()).await.0, 404);
    assert_eq!(read(locations[2].clone()).await.1["status"], "ACCEPTED");
    clock.advance(time::Duration::seconds(61));
    let (_, settled) = read(locations[2].clone()).await;
    assert_eq!(settled["status"], "PROCESSED");
    assert_eq!(
        settled["message"]["content"]["subject"],
        "Terzo avviso TARI"
    );

    let listed: Value = http
        .get(format!("{base}/__control/io/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subjects: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["Secondo avviso TARI", "Terzo avviso TARI"],
        "oldest first"
    );

    let reset = http
        .post(format!("{base}/__control/io/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert_eq!(read(locations[2].clone()).await.0, 404);
    assert!(simulators.io.simulator.sent_messages(None, None).is_empty());
}

#[tokio::test]
async fn a_test_sees_every_message_in_full_by_citizen_and_by_service() {
    let simulators = Simulators::start().await.unwrap();
    let io = &simulators.io.simulator;
    let base = simulators.io.server.uri();
    let http = reqwest::Client::new();
    io.set_citizen(CITIZEN, abilita_mock::io::CitizenState::Allowed, &[]);
    let other = "RSSMRA80A01H501U";
    io.set_citizen(other, abilita_mock::io::CitizenState::InboxOff, &[]);

    let with_payment = json!({ "fiscal_code": CITIZEN, "feature_level_type": "STANDARD", "content": {
        "subject": "Avviso TARI con pagamento",
        "markdown": "La rata della TARI scade a fine mese. Può pagarla dall'app IO o presso qualsiasi prestatore aderente a pagoPA.",
        "due_date": "2026-12-31T23:59:59Z",
        "payment_data": { "amount": 12_350, "notice_number": "302000100000019421" }
    }});
    for (body, key) in [
        (with_payment, DEFAULT_KEY.to_owned()),
        (
            json!({ "fiscal_code": other, "content": message("Avviso TARI")["content"] }),
            format!("{DEFAULT_KEY}-secondary"),
        ),
    ] {
        let sent = http
            .post(format!("{base}/api/v1/messages"))
            .header(KEY, key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 201, "{}", sent.text().await.unwrap());
    }

    let to_citizen = io.sent_messages(Some(CITIZEN), None);
    assert_eq!(to_citizen.len(), 1);
    let message = &to_citizen[0];
    assert_eq!(message.subject, "Avviso TARI con pagamento");
    assert_eq!(message.due_date.as_deref(), Some("2026-12-31T23:59:59Z"));
    assert_eq!(message.payment_data.as_ref().unwrap()["amount"], 12_350);
    assert_eq!(message.feature_level_type, "STANDARD");
    assert_eq!(message.key, abilita_mock::io::KeySlot::Primary);
    assert_eq!(message.outcome, "PROCESSED");
    let to_other = io.sent_messages(Some(other), Some(&message.service_id));
    assert_eq!(to_other[0].key, abilita_mock::io::KeySlot::Secondary);
    assert_eq!(to_other[0].outcome, "REJECTED", "the inbox is off");
    assert!(io.sent_messages(None, Some("another-service")).is_empty());

    // The same over HTTP, for pipelines in any language.
    let listed: Value = http
        .get(format!("{base}/__control/io/messages?fiscal_code={other}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["key"], "secondary");
    assert_eq!(listed[0]["fiscal_code"], other);
    assert_eq!(listed[0]["body"]["content"]["subject"], "Avviso TARI");
}

#[tokio::test]
async fn a_service_goes_from_draft_to_published_and_keys_change() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let simulators = Simulators::start_with_clock(clock).await.unwrap();
    let base = simulators.io.server.uri();
    let manage = format!("{base}/api/v1/manage/services");
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, url: String, body: Value| {
        let http = http.clone();
        async move {
            let answer = http
                .request(method, url)
                .header(KEY, DEFAULT_MANAGE_KEY)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            (status, answer.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let payload = json!({
        "name": "Tributi", "description": "Avvisi dei tributi comunali",
        "organization": { "name": "Comune di Prova", "fiscal_code": "77777777777" },
        "metadata": { "scope": "LOCAL", "topic_id": 3 },
    });
    let (status, created) = send(reqwest::Method::POST, manage.clone(), payload).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"]["value"], "draft");
    let service = format!("{manage}/{}", created["id"].as_str().unwrap());

    let (status, _) = send(
        reqwest::Method::POST,
        format!("{service}/release"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "a draft cannot be published");
    let (status, _) = send(
        reqwest::Method::PUT,
        format!("{service}/review"),
        json!({ "auto_publish": false }),
    )
    .await;
    assert_eq!(status, 204);
    let id = created["id"].as_str().unwrap();
    let approved = http
        .post(format!("{base}/__control/io/services/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 204);
    let (status, _) = send(
        reqwest::Method::POST,
        format!("{service}/release"),
        json!({}),
    )
    .await;
    assert_eq!(status, 204);
    let (status, release) = send(
        reqwest::Method::GET,
        format!("{service}/release"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, release["status"].as_str()),
        (200, Some("published"))
    );

    let (_, keys) = send(reqwest::Method::GET, format!("{service}/keys"), json!({})).await;
    let (status, renewed) = send(
        reqwest::Method::PUT,
        format!("{service}/keys/primary"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(renewed["primary_key"], keys["primary_key"]);
    assert_eq!(renewed["secondary_key"], keys["secondary_key"]);
    let (status, _) = send(
        reqwest::Method::PUT,
        format!("{service}/keys/tertiary"),
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(
        reqwest::Method::PUT,
        format!("{service}/logo"),
        json!({ "logo": "bm90IGEgcG5n" }),
    )
    .await;
    assert_eq!(status, 400, "not a PNG");

    let (status, _) = send(reqwest::Method::DELETE, service.clone(), json!({})).await;
    assert_eq!(status, 204);
    let (status, _) = send(reqwest::Method::GET, service, json!({})).await;
    assert_eq!(status, 404);
    // A service key is not a manage key.
    let refused = http
        .get(manage)
        .header(KEY, DEFAULT_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn the_rate_limit_and_faults_answer_as_io_does() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let simulators = Simulators::start_with_clock(clock).await.unwrap();
    simulators
        .io
        .simulator
        .set_rate_limit(Some((2, Duration::from_secs(5))));
    let base = simulators.io.server.uri();
    let http = reqwest::Client::new();
    let profile = || {
        http.post(format!("{base}/api/v1/profiles"))
            .header(KEY, DEFAULT_KEY)
            .json(&json!({ "fiscal_code": CITIZEN }))
            .send()
    };
    assert_eq!(profile().await.unwrap().status(), 404, "not registered");
    assert_eq!(profile().await.unwrap().status(), 404);
    let limited = profile().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["x-rate-limit-retry-after"], "5");
    assert_eq!(limited.headers()["x-rate-limit-remaining"], "0");

    simulators.io.simulator.set_rate_limit(None);
    let faults = http
        .post(format!("{base}/__control/io/faults"))
        .json(&json!({ "throttle_next": 1, "server_error_share": 0.0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 204);
    assert_eq!(profile().await.unwrap().status(), 429);
    assert_eq!(profile().await.unwrap().status(), 404);
    let refused = http
        .post(format!("{base}/__control/io/faults"))
        .json(&json!({ "server_error_share": 2 }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn the_recipient_may_be_in_the_path_and_processed_payments_name_their_payee() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let simulators = Simulators::start_with_clock(clock.clone()).await.unwrap();
    simulators
        .io
        .simulator
        .set_citizen(CITIZEN, abilita_mock::io::CitizenState::Allowed, &[]);
    let base = simulators.io.server.uri();
    let http = reqwest::Client::new();
    let mut body = message("Avviso di pagamento TARI");
    body["content"]["payment_data"] =
        json!({ "amount": 9650, "notice_number": "301002026010005564" });

    let both = http
        .post(format!("{base}/api/v1/messages/{CITIZEN}"))
        .header(KEY, DEFAULT_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        both.status(),
        400,
        "the recipient in the path and in the body"
    );
    body.as_object_mut().unwrap().remove("fiscal_code");
    let sent = http
        .post(format!("{base}/api/v1/messages/{CITIZEN}"))
        .header(KEY, DEFAULT_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    let location = sent.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("/api/v1/messages/{CITIZEN}/")),
        "{location}"
    );

    clock.advance(time::Duration::seconds(61));
    let read: Value = http
        .get(format!("{base}{location}"))
        .header(KEY, DEFAULT_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["status"], "PROCESSED");
    assert_eq!(
        read["message"]["content"]["payment_data"]["payee"]["fiscal_code"], "77777777777",
        "IO names the service's organisation: {read}"
    );
}

#[tokio::test]
async fn json_sent_under_another_content_type_is_no_body_to_io() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let simulators = Simulators::start_with_clock(clock).await.unwrap();
    let base = simulators.io.server.uri();
    let http = reqwest::Client::new();
    let seeded = http
        .post(format!("{base}/__control/io/citizens"))
        .json(&json!([{ "fiscal_code": CITIZEN, "state": "allowed" }]))
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status(), 200);
    let send = |path: &str, key: &str, body: &Value, content_type: Option<&str>| {
        let mut request = http
            .post(format!("{base}/api/v1{path}"))
            .header(KEY, key)
            .body(body.to_string());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send()
    };
    let service = json!({"name": "TARI", "description": "Tassa rifiuti", "organization": {"name": "Comune di Prova", "fiscal_code": "77777777777"}, "metadata": {"scope": "LOCAL", "topic_id": 1, "privacy_url": "https://comune.example/privacy"}, "authorized_recipients": [], "authorized_cidrs": []});
    for (path, key, body) in [
        ("/messages", DEFAULT_KEY, message("Avviso TARI")),
        ("/profiles", DEFAULT_KEY, json!({ "fiscal_code": CITIZEN })),
        ("/manage/services", DEFAULT_MANAGE_KEY, service),
    ] {
        for content_type in [Some("text/plain"), None] {
            let refused = send(path, key, &body, content_type).await.unwrap();
            assert_eq!(refused.status(), 400, "{path} as {content_type:?}");
        }
        let accepted = send(path, key, &body, Some("application/json"))
            .await
            .unwrap();
        assert!(
            accepted.status().is_success(),
            "{path}: {} {}",
            accepted.status(),
            accepted.text().await.unwrap()
        );
    }
}

#[tokio::test]
async fn content_kinds_are_checked_as_io_checks_them() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let simulators = Simulators::start_with_clock(clock).await.unwrap();
    let mut remote = abilita_mock::io::ServiceSetup::new("svc-remote", "12345678901", "key-remote");
    remote.third_party_allowed = true;
    simulators.io.simulator.add_service(&remote);
    let base = simulators.io.server.uri();
    let http = reqwest::Client::new();
    let send = |key: &'static str, content: Value| {
        let mut body = message("Avviso TARI 2026");
        for (field, value) in content.as_object().unwrap() {
            body["content"][field] = value.clone();
        }
        http.post(format!("{base}/api/v1/messages"))
            .header(KEY, key)
            .json(&body)
            .send()
    };
    let third_party = json!({"id": "tari-1", "configuration_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"});
    for (key, content, status, said) in [
        (
            DEFAULT_KEY,
            json!({"require_secure_channels": {}}),
            400,
            "require_secure_channels",
        ),
        (
            DEFAULT_KEY,
            json!({"third_party_data": {"id": ""}}),
            400,
            "third_party_data.id",
        ),
        (
            DEFAULT_KEY,
            json!({"third_party_data": {"id": "x", "configuration_id": "nope"}}),
            400,
            "configuration_id",
        ),
        (
            DEFAULT_KEY,
            json!({"third_party_data": third_party}),
            403,
            "third party message",
        ),
        (
            DEFAULT_KEY,
            json!({"eu_covid_cert": {"auth_code": "abc"}}),
            403,
            "EU Covid",
        ),
        // Older content kinds, held to the published schema.
        (
            DEFAULT_KEY,
            json!({"prescription_data": {"nre": "000000000000000", "prescriber_fiscal_code": {}}}),
            400,
            "prescription_data",
        ),
        (
            DEFAULT_KEY,
            json!({"legal_data": {"sender_mail_from": "", "has_attachment": false, "message_unique_id": "x"}}),
            400,
            "legal_data",
        ),
        (
            "key-remote",
            json!({"third_party_data": {"id": "tari-1", "has_attachments": true}}),
            403,
            "ADVANCED",
        ),
    ] {
        let answer = send(key, content.clone()).await.unwrap();
        assert_eq!(answer.status(), status, "{content}");
        let problem: Value = answer.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains(said),
            "{content}: {problem}"
        );
    }
    let mut with_addresses = message("Avviso TARI 2026");
    with_addresses["default_addresses"] = json!({"email": 0});
    let refused = http
        .post(format!("{base}/api/v1/messages"))
        .header(KEY, DEFAULT_KEY)
        .json(&with_addresses)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);

    // A remote-content message names a configuration of its institution.
    let configurations = format!("{base}/api/v1/messages-sending/remote-contents/configurations");
    let create_configuration = |key: &'static str| {
        http.post(&configurations)
            .header(KEY, key)
            .json(&json!({
                "name": "Tributi", "description": "Avvisi con allegati",
                "has_precondition": "NEVER", "disable_lollipop_for": [],
                "is_lollipop_enabled": false,
                "prod_environment": { "base_url": "https://tributi.comune.example/io",
                    "details_authentication": { "header_key_name": "X-Key", "key": "s3cret", "type": "API-KEY" } },
            }))
            .send()
    };
    let mine: Value = create_configuration("key-remote")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let others: Value = create_configuration(DEFAULT_KEY)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (configuration, status, said) in [
        (json!(null), 403, "configuration_id"),
        (json!("01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "not found"),
        (others["configuration_id"].clone(), 403, "not allowed"),
    ] {
        let mut data = json!({"id": "tari-1"});
        if !configuration.is_null() {
            data["configuration_id"] = configuration.clone();
        }
        let answer = send("key-remote", json!({"third_party_data": data}))
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{configuration}");
        let problem: Value = answer.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains(said),
            "{problem}"
        );
    }
    let accepted = send(
        "key-remote",
        json!({"third_party_data": {"id": "tari-1", "configuration_id": mine["configuration_id"]},
            "require_secure_channels": true}),
    )
    .await
    .unwrap();
    assert_eq!(accepted.status(), 201);
}

#[tokio::test]
async fn services_management_answers_and_refuses_as_its_schema_says() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let simulators = Simulators::start_with_clock(clock).await.unwrap();
    let base = simulators.io.server.uri();
    let manage = format!("{base}/api/v1/manage/services");
    let http = reqwest::Client::new();

    // The key may come as the `subscription-key` query parameter.
    let by_query = http
        .get(format!("{manage}?subscription-key={DEFAULT_MANAGE_KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    for query in ["limit=1.5", "offset=-1", "limit=0"] {
        let refused = http
            .get(format!("{manage}?{query}"))
            .header(KEY, DEFAULT_MANAGE_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "{query}");
    }

    let payload = json!({
        "name": "Tributi", "description": "Avvisi dei tributi comunali",
        "organization": { "name": "Comune di Prova", "fiscal_code": "77777777777" },
        "metadata": { "scope": "LOCAL", "topic_id": 3, "privacy_url": "https://comune.example/privacy" },
    });
    let create = |body: Value| {
        http.post(&manage)
            .header(KEY, DEFAULT_MANAGE_KEY)
            .json(&body)
            .send()
    };
    for (pointer, value) in [
        ("/metadata/privacy_url", json!(5)),
        ("/metadata/email", json!("")),
        ("/organization/department_name", json!("")),
        ("/authorized_cidrs", json!([5])),
        ("/authorized_cidrs", json!(["10.0.0.0/33"])),
        ("/authorized_recipients", json!(["sttsgt90a01h501j"])),
        ("/max_allowed_payment_amount", json!("1000")),
        ("/require_secure_channel", json!("yes")),
    ] {
        let mut body = payload.clone();
        let (parent, field) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut body
        } else {
            body.pointer_mut(parent).unwrap()
        };
        target[field] = value.clone();
        let refused = create(body).await.unwrap();
        assert_eq!(refused.status(), 400, "{pointer} = {value}");
    }

    let created: Value = create(payload).await.unwrap().json().await.unwrap();
    assert_eq!(created["version"], 0);
    assert_eq!(created["last_update"], "2026-12-01T09:00:00Z");
    let id = created["id"].as_str().unwrap();
    let reviewed = http
        .put(format!("{manage}/{id}/review"))
        .header(KEY, DEFAULT_MANAGE_KEY)
        .json(&json!({ "auto_publish": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(reviewed.status(), 204);
    let approved = http
        .post(format!("{base}/__control/io/services/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 204);
    let release: Value = http
        .get(format!("{manage}/{id}/release"))
        .header(KEY, DEFAULT_MANAGE_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // `ServicePublication`: the whole service, with its publication state.
    assert_eq!(release["status"], "published");
    assert_eq!(release["version"], 2);
    for field in [
        "id",
        "name",
        "description",
        "organization",
        "metadata",
        "last_update",
    ] {
        assert!(release.get(field).is_some(), "{field}: {release}");
    }
}

#[tokio::test]
async fn activations_are_held_up_to_their_bound_then_refused_until_a_reset() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-12-01 09:00 UTC)));
    let simulators = Simulators::start_with_clock(clock).await.unwrap();
    let mut special =
        abilita_mock::io::ServiceSetup::new("svc-special", "12345678901", "key-special");
    special.special = true;
    simulators.io.simulator.add_service(&special);
    simulators.io.simulator.set_rate_limit(None);
    let url = format!("{}/api/v1/activations/", simulators.io.server.uri());
    let http = reqwest::Client::new();
    let activate = |n: usize| {
        http.put(&url)
            .header(KEY, "key-special")
            .json(&json!({ "fiscal_code": format!("RSSMRA80A{:02}H{:03}Z", n / 1000, n % 1000), "status": "ACTIVE" }))
            .send()
    };
    for n in 0..abilita_mock::io::MAX_HELD {
        assert_eq!(activate(n).await.unwrap().status(), 200, "activation {n}");
    }
    // A change of a held one is no new one.
    assert_eq!(activate(0).await.unwrap().status(), 200);
    let refused = activate(abilita_mock::io::MAX_HELD).await.unwrap();
    assert_eq!(refused.status(), 507);
    simulators.io.simulator.reset();
    assert_eq!(
        activate(abilita_mock::io::MAX_HELD).await.unwrap().status(),
        200
    );
}
