//! A consultation's attempts go through the core's one attempt loop, each
//! signed afresh: a token request is never sent twice with one assertion,
//! and ANPR never sees a token twice.

use std::collections::HashSet;
use std::sync::Mutex;

use abilita_anpr::{AnprClient, AnprError, Endpoints};
use abilita_core::Error;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use abilita_core::CodiceFiscale;

use crate::independent::verify;
use crate::{config_at, harness, query};

fn cf(code: &str) -> CodiceFiscale {
    CodiceFiscale::new(code).unwrap()
}

/// PDND's token endpoint as RFC 7523 §3 lets it be: it fails once, then
/// refuses any assertion whose `jti` it has seen.
#[derive(Default)]
struct StrictTokens {
    seen: Mutex<Vec<String>>,
}

fn jti_of(request: &Request) -> String {
    let assertion = url::form_urlencoded::parse(&request.body)
        .find(|(name, _)| name == "client_assertion")
        .map(|(_, value)| value.into_owned())
        .unwrap();
    let (_, claims) = verify(&assertion);
    claims["jti"].as_str().unwrap().to_owned()
}

impl Respond for StrictTokens {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let jti = jti_of(request);
        let mut seen = self.seen.lock().unwrap();
        let first = seen.is_empty();
        let reused = seen.contains(&jti);
        seen.push(jti);
        if first {
            return ResponseTemplate::new(500).set_body_json(serde_json::json!({
                "status": 500, "title": "Internal Server Error", "detail": "try again"
            }));
        }
        if reused {
            return ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "status": 400, "title": "Bad Request", "detail": "jti already used",
                "errors": [{"code": "015-0008", "detail": "jti already used"}]
            }));
        }
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": format!("voucher-{}", seen.len()),
            "token_type": "Bearer",
            "expires_in": 600
        }))
    }
}

/// Before, `AnprClient::new` gave PDND's transport the default retries: after
/// a 500 it resent the same assertion, whose `jti` PDND then refused.
#[tokio::test]
async fn a_token_request_is_retried_with_a_new_assertion_never_the_same() {
    let pdnd = MockServer::start().await;
    let tokens = std::sync::Arc::new(StrictTokens::default());
    Mock::given(method("POST"))
        .and(path("/token.oauth2"))
        .respond_with(ArcResponder(tokens.clone()))
        .expect(2)
        .named("PDND's token endpoint")
        .mount(&pdnd)
        .await;
    let anpr = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "idOperazioneANPR": "7",
            "listaErrori": [{
                "codiceErroreAnomalia": "EN122",
                "tipoErroreAnomalia": "E",
                "testoErroreAnomalia": "La richiesta effettuata non produce alcun risultato"
            }]
        })))
        .expect(1)
        .named("ANPR, reached once with the second voucher")
        .mount(&anpr)
        .await;
    let endpoints = Endpoints {
        token_url: format!("{}/token.oauth2", pdnd.uri()),
        assertion_audience: "auth.test/client-assertion".into(),
        anpr_prefix: format!("{}/anpr", anpr.uri()),
        modi_audience_prefix: format!("{}/modi", anpr.uri()),
    };
    let client = AnprClient::new(config_at(endpoints)).unwrap();

    let answer = client.id_anpr(&cf("STTSGT90A01H501J"), &query()).await;

    assert!(
        matches!(
            answer,
            Err(Error::Service {
                error: AnprError::NotFound { .. },
                ..
            })
        ),
        "ANPR answered: {answer:?}"
    );
    let seen = tokens.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        2,
        "every token request a new jti"
    );
    let call = &anpr.received_requests().await.unwrap()[0];
    assert_eq!(
        call.headers.get("authorization").unwrap(),
        "Bearer voucher-2"
    );
}

/// Mounts a shared responder, so that the test can read what it saw.
struct ArcResponder(std::sync::Arc<StrictTokens>);

impl Respond for ArcResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request)
    }
}

#[tokio::test]
async fn each_attempt_of_a_consultation_carries_tokens_never_seen() {
    let h = harness().await;
    // The simulator refuses any token it has seen: the first two attempts
    // are throttled, the third goes through with its own tokens.
    h.simulator.faults().throttle_next(2);
    let client = h.client();
    let id = client
        .id_anpr(&cf("STTSGT90A01H501J"), &query())
        .await
        .unwrap();
    assert!(id.value.is_some());
}

/// The operation ids ANPR received, in order.
async fn operation_ids(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().contains("anpr-service-e002"))
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            body["idOperazioneClient"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Two instances that call in the same millisecond: before, both sent
/// `millis × 1000`, and ANPR answers a repeated C001 id with the earlier
/// answer, about whichever citizen that was.
#[tokio::test]
async fn two_instances_on_one_clock_never_send_the_same_operation_id() {
    let h = harness().await;
    let first = h.client_with(h.config().instance(1).unwrap());
    let second = h.client_with(h.config().instance(2).unwrap());
    for client in [&first, &second, &first, &second] {
        client
            .id_anpr(&cf("STTSGT90A01H501J"), &query())
            .await
            .unwrap();
    }
    let ids = operation_ids(&h.server).await;
    assert_eq!(ids.len(), 4);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 4, "{ids:?}");
    for id in &ids {
        assert!(
            id.len() <= 30 && id.bytes().all(|b| b.is_ascii_digit()),
            "{id}"
        );
    }
    // Numeric and increasing within one instance, as C001 wants.
    let as_number = |id: &String| id.parse::<u128>().unwrap();
    assert!(as_number(&ids[2]) > as_number(&ids[0]));
    assert!(as_number(&ids[3]) > as_number(&ids[1]));
    assert!(ids[0].ends_with("0001") && ids[1].ends_with("0002"));
    assert!(h.config().instance(10_000).is_err());
}

/// The `userID` of each tracking evidence ANPR received, in order.
async fn operators(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter_map(|r| r.headers.get("agid-jwt-trackingevidence"))
        .map(|evidence| {
            let (_, claims) = verify(evidence.to_str().unwrap());
            claims["userID"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// A back office with many operators names each call's: the tracking
/// evidence is per call; the configuration's identity is the default.
#[tokio::test]
async fn a_consultation_can_be_made_on_behalf_of_its_own_operator() {
    let h = harness().await;
    let client = h.client();
    let clerk = abilita_anpr::AuditIdentity::new("impiegato.7", "Sportello 3", "SpidL2").unwrap();
    let cf = cf("STTSGT90A01H501J");
    client.id_anpr(&cf, &query()).await.unwrap();
    client
        .id_anpr(&cf, &query().on_behalf_of(clerk))
        .await
        .unwrap();
    assert_eq!(operators(&h.server).await, ["operatore.42", "impiegato.7"]);
}
