//! The simulator refuses what the real gateways refuse; the client, with
//! its default skew margin, passes a simulator whose clock runs behind.

use std::sync::Arc;

use abilita_anpr::{EService, ModiSigner, PreparedCall, Subject, VoucherClient, sha256_hex};
use abilita_core::{CodiceFiscale, Error};
use abilita_mock::anpr::ANPR_PREFIX_PATH;
use base64::Engine as _;
use serde_json::Value;

use super::{Harness, harness, harness_with_skew, purpose, query};

const SEGMENT: &str = "C030-servizioAccertamentoIdUnicoNazionale";

fn body(operation: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "idOperazioneClient": operation,
        "criteriRicerca": { "codiceFiscale": "STTSGT90A01H501J" },
        "datiRichiesta": { "dataRiferimentoRichiesta": "2026-11-26", "motivoRichiesta": "PROT.1", "casoUso": "C030" }
    }))
    .unwrap()
}

fn signer(h: &Harness) -> ModiSigner {
    ModiSigner::new(&h.config(), Arc::new(h.client_clock.clone())).unwrap()
}

async fn voucher(h: &Harness, assertion: &str) -> Result<String, Error<abilita_anpr::AnprError>> {
    let vouchers = VoucherClient::new(
        h.transport(&h.endpoints().token_url, abilita_core::RetryPolicy::never()),
        super::CLIENT_ID,
    );
    Ok(vouchers
        .voucher(assertion, None)
        .await?
        .expose_secret()
        .to_owned())
}

/// Posts to C030 with the given parts, as a hand-written client would.
async fn send(h: &Harness, body: Vec<u8>, prepared: &PreparedCall, voucher: &str) -> (u16, Value) {
    let url = format!(
        "{}{ANPR_PREFIX_PATH}/{SEGMENT}/v1/anpr-service-e002",
        h.server.uri()
    );
    let response = reqwest::Client::new()
        .post(url)
        .header("authorization", format!("Bearer {voucher}"))
        .header("agid-jwt-signature", &prepared.integrity)
        .header("agid-jwt-trackingevidence", &prepared.tracking_evidence)
        .header("digest", &prepared.digest)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null),
    )
}

fn audience(h: &Harness) -> String {
    h.simulator.modi_audience(SEGMENT)
}

#[tokio::test]
async fn a_well_formed_hand_made_call_passes_and_cannot_be_replayed() {
    let h = harness().await;
    let prepared = signer(&h)
        .prepare(
            &audience(&h),
            &purpose(EService::C030IdUnicoNazionale),
            &body("1764147600000000"),
        )
        .unwrap();
    let voucher = voucher(&h, &prepared.client_assertion).await.unwrap();
    let (status, answer) = send(&h, body("1764147600000000"), &prepared, &voucher).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = send(&h, body("1764147600000000"), &prepared, &voucher).await;
    assert_eq!(status, 400, "the same tokens again: {answer}");
}

#[tokio::test]
async fn an_audience_with_pdnd_in_it_is_refused() {
    let h = harness().await;
    let wrong = format!("{}{ANPR_PREFIX_PATH}/{SEGMENT}/v1", h.server.uri());
    let prepared = signer(&h)
        .prepare(&wrong, &purpose(EService::C030IdUnicoNazionale), &body("1"))
        .unwrap();
    let voucher = voucher(&h, &prepared.client_assertion).await.unwrap();
    let (status, problem) = send(&h, body("1"), &prepared, &voucher).await;
    assert_eq!(status, 400);
    assert_eq!(problem["title"], "InteroperabilityInvalidRequest");
    assert!(
        problem["detail"].as_str().unwrap().contains("audience"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_body_reserialised_after_signing_is_refused() {
    let h = harness().await;
    let signed = body("2");
    let prepared = signer(&h)
        .prepare(
            &audience(&h),
            &purpose(EService::C030IdUnicoNazionale),
            &signed,
        )
        .unwrap();
    let voucher = voucher(&h, &prepared.client_assertion).await.unwrap();
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&signed).unwrap()).unwrap();
    let (status, problem) = send(&h, pretty, &prepared, &voucher).await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"].as_str().unwrap().contains("Digest"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_base64_digest_in_the_assertion_is_refused_by_pdnd() {
    let h = harness().await;
    let signer = signer(&h);
    let evidence = signer
        .tracking_evidence(&audience(&h), &purpose(EService::C030IdUnicoNazionale))
        .unwrap();
    let hex = sha256_hex(evidence.as_bytes());
    let raw: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let base64 = base64::engine::general_purpose::STANDARD.encode(raw);
    let assertion = signer
        .client_assertion(&purpose(EService::C030IdUnicoNazionale), Some(&base64))
        .unwrap();
    let error = voucher(&h, &assertion).await.unwrap_err();
    assert!(
        matches!(
            error.service_error(),
            Some(abilita_anpr::AnprError::VoucherRefused { .. })
        ),
        "{error:?}"
    );
    // The hex form of the same digest is accepted.
    let assertion = signer
        .client_assertion(&purpose(EService::C030IdUnicoNazionale), Some(&hex))
        .unwrap();
    voucher(&h, &assertion).await.unwrap();
}

#[tokio::test]
async fn an_expired_voucher_is_refused() {
    let h = harness().await;
    let prepared = signer(&h)
        .prepare(
            &audience(&h),
            &purpose(EService::C030IdUnicoNazionale),
            &body("3"),
        )
        .unwrap();
    let voucher = voucher(&h, &prepared.client_assertion).await.unwrap();
    h.simulator_clock.advance(time::Duration::minutes(11));
    let (status, problem) = send(&h, body("3"), &prepared, &voucher).await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["title"], "AuthenticationRequired");
}

#[tokio::test]
async fn tokens_from_the_future_are_refused_and_a_clock_a_few_seconds_behind_is_tolerated() {
    // The simulator's clock is a minute behind: every iat lies in its future.
    let ahead = harness_with_skew(time::Duration::minutes(1)).await;
    let error = ahead
        .client()
        .id_anpr(&CodiceFiscale::new("STTSGT90A01H501J").unwrap(), &query())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.service_error(),
            Some(abilita_anpr::AnprError::VoucherRefused { .. })
        ),
        "{error:?}"
    );

    // Three seconds behind: the default 5 s back-dating absorbs it.
    let close = harness_with_skew(time::Duration::seconds(3)).await;
    let id = close
        .client()
        .id_anpr(&CodiceFiscale::new("STTSGT90A01H501J").unwrap(), &query())
        .await
        .unwrap();
    assert_eq!(id.value.as_deref(), Some("AF41450AS"));
    // Without the margin the same clocks fail.
    let no_margin = close.client_with(close.config().skew_margin(std::time::Duration::ZERO));
    assert!(
        no_margin
            .residence(&Subject::IdAnpr("AF41450AS".into()), &query())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn anpr_refuses_an_operation_id_over_30_characters() {
    let h = harness().await;
    let long = "1".repeat(31);
    let prepared = signer(&h)
        .prepare(
            &audience(&h),
            &purpose(EService::C030IdUnicoNazionale),
            &body(&long),
        )
        .unwrap();
    let voucher = voucher(&h, &prepared.client_assertion).await.unwrap();
    let (status, ko) = send(&h, body(&long), &prepared, &voucher).await;
    assert_eq!(status, 400);
    assert!(
        ko["listaErrori"][0]["testoErroreAnomalia"]
            .as_str()
            .unwrap()
            .contains("idOperazioneClient"),
        "{ko}"
    );
}

/// PDND's `kid` is `^[A-Za-z0-9_-]+$`, the manual's own example 48
/// characters long; the configuration took 43 characters only.
#[test]
fn any_kid_pdnd_can_assign_is_accepted_and_nothing_else() {
    let config = |kid: &str| {
        abilita_anpr::AnprConfig::new(
            abilita_anpr::Endpoints::uat(),
            super::CLIENT_ID,
            kid,
            abilita_core::PrivateKeyPem::new(super::CLIENT_KEY),
            abilita_anpr::AuditIdentity::new("operatore.42", "Ufficio Anagrafe", "SpidL2").unwrap(),
        )
    };
    for kid in [
        "ZmYxZGE4OTYtMDY4Mi00NzljLWEyNjMtYjgzMmQxNzQ5MDM4",
        "k",
        "a_b-C9",
    ] {
        assert!(config(kid).is_ok(), "{kid}");
    }
    for kid in ["", "not a kid!", "kid/1", &"k".repeat(256)] {
        assert_eq!(config(kid).unwrap_err().field(), "key_id", "{kid:?}");
    }
}
