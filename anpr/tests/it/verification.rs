//! The *verifica* services, the search by personal details, and the
//! services added with them (C029, C033, a typed C017), against the
//! simulator.

use abilita_anpr::verification::{Declaration, DeclaredAddress, Verdict};
use abilita_anpr::{AnprError, BirthPlace, EService, Identity, Sex, Subject};
use abilita_core::{CodiceFiscale, Error};
use time::macros::date;

use super::{harness, query};

const SETTIMO: &str = "STTSGT90A01H501J";
const SETTIMO_ID: &str = "AF41450AS";

fn settimo(surname: &str) -> Identity {
    Identity::new(
        surname,
        "Soggetto",
        Sex::Male,
        date!(1990 - 01 - 01),
        BirthPlace::comune("Roma", "rm").unwrap(),
    )
    .unwrap()
}

fn by_cf(code: &str) -> Subject {
    Subject::CodiceFiscale(CodiceFiscale::new(code).unwrap())
}

#[tokio::test]
async fn declared_details_are_confirmed_or_denied_datum_by_datum() {
    let h = harness().await;
    let anpr = h.client();
    let confirmed = anpr
        .verify(
            &by_cf(SETTIMO),
            &Declaration::Details(settimo("Settimo")),
            &query(),
        )
        .await
        .unwrap();
    assert!(confirmed.value.confirmed(), "{confirmed:?}");
    assert_eq!(confirmed.value.checks.len(), 5);

    let denied = anpr
        .verify(
            &by_cf(SETTIMO),
            &Declaration::Details(settimo("Ottavo")),
            &query(),
        )
        .await
        .unwrap();
    assert!(!denied.value.confirmed());
    let wrong: Vec<_> = denied
        .value
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Denied)
        .map(|c| c.key.as_deref().unwrap())
        .collect();
    assert_eq!(wrong, ["cognome"]);

    // C031: the idANPR is Settimo's, and only an idANPR may be verified.
    let id = Subject::IdAnpr(SETTIMO_ID.into());
    let owner = anpr
        .verify(&id, &Declaration::IdAnprOf(settimo("Settimo")), &query())
        .await
        .unwrap();
    assert!(owner.value.confirmed());
    let sent = h.simulator.calls().len();
    assert!(matches!(
        anpr.verify(
            &by_cf(SETTIMO),
            &Declaration::IdAnprOf(settimo("Settimo")),
            &query()
        )
        .await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(h.simulator.calls().len(), sent, "refused before sending");
}

#[tokio::test]
async fn life_death_and_residence_declarations_are_checked_against_the_record() {
    let h = harness().await;
    h.simulator
        .add_people(
            r#"[{"codice_fiscale": "RSSMRA40A01H501K", "name": "MARIO", "surname": "ROSSI", "sex": "M",
                "birth_date": "1940-01-01", "birth_place": "ROMA", "province": "RM", "death_date": "2026-03-14"}]"#,
        )
        .unwrap();
    let anpr = h.client();
    let alive = anpr
        .verify(&by_cf(SETTIMO), &Declaration::Alive, &query())
        .await
        .unwrap();
    assert!(alive.value.confirmed());
    let dead = by_cf("RSSMRA40A01H501K");
    let not_alive = anpr
        .verify(&dead, &Declaration::Alive, &query())
        .await
        .unwrap();
    assert_eq!(not_alive.value.checks[0].verdict, Verdict::Denied);
    let death = anpr
        .verify(&dead, &Declaration::Death(date!(2026 - 03 - 14)), &query())
        .await
        .unwrap();
    assert!(death.value.confirmed());
    let other_day = anpr
        .verify(&dead, &Declaration::Death(date!(2026 - 03 - 15)), &query())
        .await
        .unwrap();
    assert!(!other_day.value.confirmed());

    let home =
        DeclaredAddress::new("via", "Amerigo Vespucci", "55", "00174", "Roma", "RM").unwrap();
    let lives_there = anpr
        .verify(&by_cf(SETTIMO), &Declaration::Residence(home), &query())
        .await
        .unwrap();
    assert!(lives_there.value.confirmed(), "{lives_there:?}");
    let next_door =
        DeclaredAddress::new("VIA", "AMERIGO VESPUCCI", "57", "00174", "ROMA", "RM").unwrap();
    let elsewhere = anpr
        .verify(
            &by_cf(SETTIMO),
            &Declaration::Residence(next_door),
            &query(),
        )
        .await
        .unwrap();
    let denied: Vec<_> = elsewhere
        .value
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Denied)
        .map(|c| c.key.as_deref().unwrap())
        .collect();
    assert_eq!(denied, ["numeroCivico"]);
    assert!(DeclaredAddress::new("VIA", "ROMA", "1", "0017", "ROMA", "RM").is_err());
}

#[tokio::test]
async fn a_person_is_found_by_details_once_and_only_once() {
    let h = harness().await;
    let anpr = h.client();
    let found = anpr
        .id_anpr_by_details(&settimo("SETTIMO"), &query())
        .await
        .unwrap();
    assert_eq!(found.value.as_deref(), Some(SETTIMO_ID));
    assert!(matches!(
        anpr.id_anpr_by_details(&settimo("Nessuno"), &query()).await,
        Err(Error::Service {
            error: AnprError::NotFound { .. },
            ..
        })
    ));
    // Two people with the same details: ANPR cannot tell them apart.
    h.simulator
        .add_people(
            r#"[{"codice_fiscale": "RSSMRA80A01H501U", "name": "MARIO", "surname": "ROSSI", "sex": "M",
                 "birth_date": "1980-01-01", "birth_place": "ROMA", "province": "RM"}]"#,
        )
        .unwrap();
    h.simulator
        .add_people(
            r#"[{"codice_fiscale": "RSSMRA80A01F205X", "name": "MARIO", "surname": "ROSSI", "sex": "M",
                 "birth_date": "1980-01-01", "birth_place": "ROMA", "province": "RM"}]"#,
        )
        .unwrap();
    let twins = Identity::new(
        "Rossi",
        "Mario",
        Sex::Male,
        date!(1980 - 01 - 01),
        BirthPlace::comune("Roma", "RM").unwrap(),
    )
    .unwrap();
    let Err(Error::Service { error, .. }) = anpr.id_anpr_by_details(&twins, &query()).await else {
        panic!("two matches must be refused")
    };
    assert!(error.to_string().contains("EN067"), "{error}");
    // The details search reaches the other services too.
    let details = anpr
        .personal_details(&Subject::Details(settimo("Settimo")), &query())
        .await
        .unwrap();
    assert_eq!(details.value.unwrap().cognome.as_deref(), Some("SETTIMO"));
    assert!(
        Identity::new(
            " ",
            "Mario",
            Sex::Male,
            date!(1980 - 01 - 01),
            BirthPlace::abroad("Francia").unwrap()
        )
        .is_err()
    );
}

#[tokio::test]
async fn a_subject_a_service_cannot_look_up_is_refused_before_sending() {
    let h = harness().await;
    let anpr = h.client();
    let sent = h.simulator.calls().len();
    for (service, subject) in [
        (
            EService::C030IdUnicoNazionale,
            Subject::IdAnpr(SETTIMO_ID.into()),
        ),
        // A verifica service answers a declaration: `verify`, not `consult`.
        (EService::C003VerificaGeneralita, by_cf(SETTIMO)),
    ] {
        assert!(
            matches!(
                anpr.consult(service, &subject, &query()).await,
                Err(Error::InvalidInput(_))
            ),
            "{service}"
        );
    }
    assert_eq!(h.simulator.calls().len(), sent);
}

#[tokio::test]
async fn registry_data_residence_without_death_and_a_typed_marriage() {
    let h = harness().await;
    h.simulator
        .add_people(
            r#"[{"codice_fiscale": "BNCLRA85M41H501Z", "name": "LAURA", "surname": "BIANCHI", "sex": "F",
                 "birth_date": "1985-08-01", "birth_place": "ROMA", "province": "RM",
                 "family": [{"codice_fiscale": "STTSGT90A01H501J", "relation": "2"}]}]"#,
        )
        .unwrap();
    let anpr = h.client();
    let laura = by_cf("BNCLRA85M41H501Z");
    let marriage = anpr
        .marriage(&laura, &query())
        .await
        .unwrap()
        .value
        .unwrap();
    let spouse = marriage.spouse.unwrap();
    assert_eq!(spouse.cognome.as_deref(), Some("SETTIMO"));
    assert_eq!(marriage.order.as_deref(), Some("1"));
    assert_eq!(
        anpr.marriage(&by_cf("SGGTTV60A01H501T"), &query())
            .await
            .unwrap()
            .value,
        None
    );

    let record = anpr
        .registry_data(&laura, &query())
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(record.generalita.unwrap().nome.as_deref(), Some("LAURA"));
    assert!(
        !record.info_soggetto_ente.is_empty(),
        "C029 says whether alive"
    );
    let homes = anpr
        .residence_without_death(&laura, &query())
        .await
        .unwrap();
    assert_eq!(homes.value.len(), 1);
    assert_eq!(
        h.simulator.calls().last().unwrap().service,
        "C033",
        "C033 was called"
    );
}
