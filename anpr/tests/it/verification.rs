//! The *verifica* services, the search by personal details, and the
//! services added with them (C029, C033, a typed C017), against the
//! simulator.

use abilita_anpr::verification::{Declaration, DeclaredAddress, Verdict, Verification};
use abilita_anpr::{AnprClient, AnprError, BirthPlace, EService, Identity, Sex, Subject};
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

/// ANPR's answer to `declaration` about `subject`.
async fn verify(anpr: &AnprClient, subject: &Subject, declaration: Declaration) -> Verification {
    anpr.verify(subject, &declaration, &query())
        .await
        .unwrap()
        .value
}

/// The data ANPR denied.
fn denied(verification: &Verification) -> Vec<&str> {
    verification
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Denied)
        .map(|c| c.key.as_deref().unwrap())
        .collect()
}

#[tokio::test]
async fn declared_details_are_confirmed_or_denied_datum_by_datum() {
    let h = harness().await;
    let anpr = h.client();
    let settimo_cf = by_cf(SETTIMO);
    let confirmed = verify(&anpr, &settimo_cf, Declaration::Details(settimo("Settimo"))).await;
    assert!(confirmed.confirmed(), "{confirmed:?}");
    assert_eq!(confirmed.checks.len(), 5);
    let other = verify(&anpr, &settimo_cf, Declaration::Details(settimo("Ottavo"))).await;
    assert!(!other.confirmed());
    assert_eq!(denied(&other), ["cognome"]);

    // C031: the idANPR is Settimo's, and only an idANPR may be verified.
    let id = Subject::IdAnpr(SETTIMO_ID.into());
    assert!(
        verify(&anpr, &id, Declaration::IdAnprOf(settimo("Settimo")))
            .await
            .confirmed()
    );
    let sent = h.simulator.calls().len();
    let by_code = anpr
        .verify(
            &settimo_cf,
            &Declaration::IdAnprOf(settimo("Settimo")),
            &query(),
        )
        .await;
    assert!(matches!(by_code, Err(Error::InvalidInput(_))));
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
    let (alive, dead) = (by_cf(SETTIMO), by_cf("RSSMRA40A01H501K"));
    assert!(verify(&anpr, &alive, Declaration::Alive).await.confirmed());
    assert_eq!(
        denied(&verify(&anpr, &dead, Declaration::Alive).await).len(),
        1
    );
    let death = verify(&anpr, &dead, Declaration::Death(date!(2026 - 03 - 14))).await;
    assert!(death.confirmed());
    let other_day = verify(&anpr, &dead, Declaration::Death(date!(2026 - 03 - 15))).await;
    assert_eq!(denied(&other_day), ["datiDecesso"]);

    let home =
        DeclaredAddress::new("via", "Amerigo Vespucci", "55", "00174", "Roma", "RM").unwrap();
    let lives_there = verify(&anpr, &alive, Declaration::Residence(home)).await;
    assert!(lives_there.confirmed(), "{lives_there:?}");
    let next_door =
        DeclaredAddress::new("VIA", "AMERIGO VESPUCCI", "57", "00174", "ROMA", "RM").unwrap();
    let elsewhere = verify(&anpr, &alive, Declaration::Residence(next_door)).await;
    assert_eq!(denied(&elsewhere), ["numeroCivico"]);
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
