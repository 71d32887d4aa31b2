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

#[tokio::test]
async fn people_added_over_http_are_found_with_their_family_and_calls_are_listed() {
    let simulators = Simulators::start().await.unwrap();
    let base = simulators.anpr.server.uri();
    let http = reqwest::Client::new();
    let mario = json!([{
        "codice_fiscale": "RSSMRA80A01H501U", "name": "MARIO", "surname": "ROSSI", "sex": "M",
        "birth_date": "1980-01-01", "birth_place": "ROMA", "province": "RM",
        "residence": { "street_kind": "VIA", "street": "DEL CORSO", "number": "1", "cap": "00186", "municipality": "ROMA", "province": "RM" },
        "family": [{ "codice_fiscale": "RSSLGU90C24H501L", "relation": "3" }],
    }]);
    let added = http
        .post(format!("{base}/__control/anpr/people"))
        .json(&mario)
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200);
    let mut bad = mario.clone();
    bad[0]["codice_fiscale"] = json!("RSSMRA80A01H501X");
    let refused = http
        .post(format!("{base}/__control/anpr/people"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        400,
        "a codice fiscale with a wrong check character"
    );

    let people: Value = http
        .get(format!("{base}/__control/anpr/people"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        people
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["codice_fiscale"] == "RSSMRA80A01H501U")
    );

    let ask = |code: &'static str, segment: &'static str, n: usize| {
        let consultation = Consultation::of(code, segment, &base, "RSSMRA80A01H501U", n);
        let http = http.clone();
        async move {
            let token = consultation.token_request(&http).send().await.unwrap();
            let voucher = token.json::<Value>().await.unwrap()["access_token"]
                .as_str()
                .unwrap()
                .to_owned();
            consultation
                .call(&http, &voucher)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let residence = ask("C020", "C020-servizioAccertamentoResidenza", 20).await;
    let address = &residence["listaSoggetti"]["datiSoggetto"][0]["residenza"][0]["indirizzo"];
    assert_eq!(address["toponimo"]["denominazioneToponimo"], "DEL CORSO");
    assert_eq!(address["cap"], "00186");
    let family = ask("C021", "C021-servizioAccertamentoStatoFamiglia", 21).await;
    let members = family["listaSoggetti"]["datiSoggetto"].as_array().unwrap();
    assert_eq!(members.len(), 2, "{family}");
    assert_eq!(members[1]["generalita"]["nome"], "LUIGI");
    assert_eq!(members[1]["legameSoggetto"]["codiceLegame"], "3");

    let calls: Value = http
        .get(format!("{base}/__control/anpr/calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let services: Vec<&str> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["C020", "C021"]);
    assert_eq!(calls[1]["user_id"], "operatore.1");
    assert_eq!(calls[1]["operation_id"], "00000000000000210001");
    assert_eq!(simulators.anpr.simulator.calls().len(), 2);
}
