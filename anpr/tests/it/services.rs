use abilita_anpr::{AnprError, LifeStatus, Subject};
use abilita_core::{CodiceFiscale, Error};

use super::{harness, query};

fn cf(code: &str) -> CodiceFiscale {
    CodiceFiscale::new(code).unwrap()
}

fn service_error<T: std::fmt::Debug>(result: Result<T, Error<AnprError>>) -> AnprError {
    match result {
        Err(Error::Service { error, .. }) => error,
        other => panic!("expected an ANPR error, got {other:?}"),
    }
}

#[tokio::test]
async fn c030_then_every_service_by_id_anpr() {
    let h = harness().await;
    let anpr = h.client();
    let id = anpr
        .id_anpr(&cf("STTSGT90A01H501J"), &query())
        .await
        .unwrap();
    assert_eq!(
        id.value.as_deref(),
        Some("AF41450AS"),
        "the idANPR of ANPR's UAT subject"
    );
    assert!(
        id.id_operazione_anpr.unwrap().parse::<u64>().unwrap() > u64::from(u32::MAX / 2),
        "kept as text past 2^31"
    );
    let subject = Subject::IdAnpr(id.value.unwrap());

    let residence = anpr.residence(&subject, &query()).await.unwrap();
    assert!(
        residence.warnings.is_empty(),
        "no EN148 when searching by idANPR"
    );
    let address = residence.value[0].address.as_ref().unwrap();
    assert_eq!(
        address.street.as_ref().unwrap().name.as_deref(),
        Some("AMERIGO VESPUCCI")
    );
    assert_eq!(
        address.municipality.as_ref().unwrap().name.as_deref(),
        Some("ROMA")
    );
    assert_eq!(
        residence.value[0].to_string(),
        "VIA AMERIGO VESPUCCI 55, 00174 ROMA (RM)"
    );
    assert_eq!(
        format!("{:#}", residence.value[0]),
        "Via Amerigo Vespucci 55, 00174 Roma (RM)"
    );

    let family = anpr.family(&subject, &query()).await.unwrap();
    assert_eq!(family.value.len(), 1);
    assert_eq!(
        family.value[0]
            .legame_soggetto
            .as_ref()
            .unwrap()
            .codice_legame
            .as_deref(),
        Some("1")
    );

    assert_eq!(
        anpr.life_status(&subject, &query()).await.unwrap().value,
        LifeStatus::Alive
    );
    let details = anpr
        .personal_details(&subject, &query())
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(
        (
            details.nome.as_deref(),
            details.cognome.as_deref(),
            details.data_nascita.as_deref()
        ),
        (Some("SOGGETTO"), Some("SETTIMO"), Some("1990-01-01"))
    );
    let citizenship = anpr.citizenship(&subject, &query()).await.unwrap().value;
    assert_eq!(citizenship[0].descrizione_stato.as_deref(), Some("ITALIA"));
    assert_eq!(anpr.marriage(&subject, &query()).await.unwrap().value, None);
    let notification = anpr
        .notification(&subject, &query())
        .await
        .unwrap()
        .value
        .unwrap();
    assert!(!notification.residenza.is_empty());
}

#[tokio::test]
async fn a_search_by_codice_fiscale_carries_the_en148_warning() {
    let h = harness().await;
    let answer = h
        .client()
        .life_status(&Subject::CodiceFiscale(cf("SGGTTV60A01H501T")), &query())
        .await
        .unwrap();
    assert!(
        matches!(answer.value, LifeStatus::Deceased { .. }),
        "ANPR's deceased test subject"
    );
    assert_eq!(answer.warnings[0].code, "EN148");
    assert_eq!(answer.warnings[0].kind, "W");
}

#[tokio::test]
async fn not_found_and_cancelled_subjects_are_told_apart() {
    let h = harness().await;
    let anpr = h.client();
    let absent = service_error(anpr.id_anpr(&cf("RSSMRA85T10A562S"), &query()).await);
    assert!(
        matches!(
            absent,
            AnprError::NotFound {
                cancelled: false,
                id_operazione_anpr: Some(_)
            }
        ),
        "{absent:?}"
    );
    let cancelled = service_error(anpr.id_anpr(&cf("PRVCCL60B50G393U"), &query()).await);
    assert!(
        matches!(
            cancelled,
            AnprError::NotFound {
                cancelled: true,
                ..
            }
        ),
        "{cancelled:?}"
    );
}

#[tokio::test]
async fn quotas_failures_and_refused_vouchers_are_typed() {
    let h = harness().await;
    let anpr = h.client();
    h.simulator.set_daily_quota(Some(1));
    anpr.id_anpr(&cf("STTSGT90A01H501J"), &query())
        .await
        .unwrap();
    let throttled = anpr
        .id_anpr(&cf("STTSGT90A01H501J"), &query())
        .await
        .unwrap_err();
    assert_eq!(throttled.service_error(), Some(&AnprError::Throttled));
    assert_eq!(
        h.client_clock.sleeps().len(),
        2,
        "retried twice, with fresh tokens"
    );
    h.simulator.set_daily_quota(None);

    h.simulator.faults().set_server_error_share(1.0);
    let failed = service_error(anpr.id_anpr(&cf("STTSGT90A01H501J"), &query()).await);
    assert!(
        matches!(&failed, AnprError::Server { detail, .. } if detail.contains("999")),
        "{failed:?}"
    );
    h.simulator.faults().set_server_error_share(0.0);

    let stranger = abilita_anpr::AnprConfig::new(
        h.endpoints(),
        "11111111-2222-4333-8444-555555555555",
        super::KID,
        abilita_core::PrivateKeyPem::new(super::CLIENT_KEY),
        abilita_anpr::AuditIdentity::new("operatore.42", "Ufficio Anagrafe", "SpidL2").unwrap(),
    )
    .unwrap()
    .purpose(
        abilita_anpr::EService::C030IdUnicoNazionale,
        &super::purpose(abilita_anpr::EService::C030IdUnicoNazionale),
    )
    .unwrap();
    let refused = service_error(
        h.client_with(stranger)
            .id_anpr(&cf("STTSGT90A01H501J"), &query())
            .await,
    );
    assert!(
        matches!(&refused, AnprError::VoucherRefused { code, correlation_id: Some(_) } if code == "015-0008"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_purpose_of_another_service_is_refused_by_the_gateway() {
    let h = harness().await;
    let config = h
        .config()
        .purpose(
            abilita_anpr::EService::C020Residenza,
            &super::purpose(abilita_anpr::EService::C030IdUnicoNazionale),
        )
        .unwrap();
    let error = service_error(
        h.client_with(config)
            .residence(&Subject::IdAnpr("AF41450AS".into()), &query())
            .await,
    );
    assert!(
        matches!(
            error,
            AnprError::AuthenticationRequired {
                reason: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn local_checks_come_before_any_call() {
    let h = harness().await;
    let empty_reason = abilita_anpr::Query::new(" ", query().reference_date);
    assert!(matches!(
        h.client()
            .id_anpr(&cf("STTSGT90A01H501J"), &empty_reason)
            .await,
        Err(Error::InvalidInput(_))
    ));
    assert!(
        abilita_anpr::AuditIdentity::new("x", "Ufficio Anagrafe di Roma Capitale", "SpidL2")
            .is_err(),
        "userLocation over 20"
    );
    assert!(
        abilita_anpr::AuditIdentity::new("x", "Ufficio", "https://www.spid.gov.it/SpidL2").is_err(),
        "LoA as a URL is over 20"
    );
    // Outside PDND's `^[A-Za-z0-9_-]+$` (a short kid is PDND's to give).
    let bad_kid = abilita_anpr::AnprConfig::new(
        h.endpoints(),
        super::CLIENT_ID,
        "not a kid!",
        abilita_core::PrivateKeyPem::new(super::CLIENT_KEY),
        abilita_anpr::AuditIdentity::new("a", "b", "c").unwrap(),
    );
    assert!(bad_kid.is_err());
}
