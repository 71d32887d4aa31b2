//! The PDND + ANPR simulator over HTTP: registration through the control
//! API, a signed consultation, replays, unknown services, reset.

use abilita_mock::Simulators;
use serde_json::{Value, json};

use crate::driver::Consultation;

const PUBLIC_KEY: &str = include_str!("../../data/simulated-pdnd-client.pub");

#[tokio::test]
async fn a_signed_consultation_passes_once_and_reset_forgets_the_tokens_seen() {
    // The driver signs on the real clock.
    let simulators = Simulators::start().await.unwrap();
    let base = simulators.anpr.server.uri();
    let http = reqwest::Client::new();

    let jwks: Value = http
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], "abilita-mock-pdnd");

    let consultation = Consultation::new(&base, "STTSGT90A01H501J", 1);
    let token = consultation.token_request(&http).send().await.unwrap();
    assert_eq!(token.status(), 200);
    let voucher = token.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = consultation.call(&http, &voucher).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body["listaSoggetti"]["datiSoggetto"][0]["identificativi"]["idANPR"],
        "AF41450AS"
    );

    // The same tracking evidence again: a replay.
    let replay = consultation.call(&http, &voucher).send().await.unwrap();
    assert_eq!(replay.status(), 400);
    let detail = replay.json::<Value>().await.unwrap()["detail"].to_string();
    assert!(detail.contains("TrackingEvidence"), "{detail}");

    let reset = http
        .post(format!("{base}/__control/anpr/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    let after_reset = consultation.call(&http, &voucher).send().await.unwrap();
    assert_eq!(after_reset.status(), 200, "reset forgets the tokens seen");
}

#[tokio::test]
async fn clients_register_over_the_control_api_and_unknown_services_are_refused() {
    let simulators = Simulators::start().await.unwrap();
    let base = simulators.anpr.server.uri();
    let http = reqwest::Client::new();
    let register = |body: Value| {
        http.post(format!("{base}/__control/anpr/clients"))
            .json(&body)
            .send()
    };
    let client = json!({
        "client_id": "9b2c7a4e-1f3d-4c8b-a6e5-2d1f0c9b8a76", "kid": "pipeline-kid",
        "public_key_pem": PUBLIC_KEY, "purposes": { "C020": "11111111-2222-4333-8444-555555555555" },
    });
    assert_eq!(register(client.clone()).await.unwrap().status(), 204);
    let mut unknown = client.clone();
    unknown["purposes"] = json!({ "C999": "11111111-2222-4333-8444-555555555555" });
    let refused = register(unknown).await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("unknown e-service C999")
    );
    assert_eq!(register(json!({ "kid": "k" })).await.unwrap().status(), 400);

    let unknown_service = http
        .post(format!(
            "{base}/govway/rest/in/MinInternoPortaANPR-PDND/C099-servizioInesistente/v1/anpr-service-e002"
        ))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_service.status(), 404);
    assert_eq!(
        unknown_service.json::<Value>().await.unwrap()["title"],
        "UnknownResource"
    );
}
