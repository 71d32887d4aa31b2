//! The *verifica* services, the search by personal details, and the
//! services added with them (C002, C016, C024, C025, C029, C033, a typed
//! C017), against the simulator.

use abilita_anpr::verification::{
    Declaration, DeclaredAddress, DeclaredCitizenship, FamilyMember, Tie, Verdict, Verification,
};
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
    // C016 gives the death datum itself.
    let recorded = anpr.death(&dead, &query()).await.unwrap().value.unwrap();
    assert_eq!(recorded.data_evento.as_deref(), Some("2026-03-14"));
    assert_eq!(anpr.death(&alive, &query()).await.unwrap().value, None);
    assert_eq!(h.simulator.calls().last().unwrap().service, "C016");
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

fn person(surname: &str, name: &str, sex: Sex, born: time::Date) -> Identity {
    Identity::new(
        surname,
        name,
        sex,
        born,
        BirthPlace::comune("Roma", "RM").unwrap(),
    )
    .unwrap()
}

/// The keys ANPR answered with `verdict`.
fn keys(verification: &Verification, verdict: &Verdict) -> Vec<String> {
    verification
        .checks
        .iter()
        .filter(|c| c.verdict == *verdict)
        .map(|c| c.key.clone().unwrap())
        .collect()
}

#[tokio::test]
async fn marriage_citizenship_family_and_parents_are_verified_each_by_its_service() {
    let h = harness().await;
    // Laura heads a family: her husband Settimo and her parents; Maria is
    // the widow of Mario; Luca is in a civil union with Paolo.
    h.simulator
        .add_people(
            r#"[{"codice_fiscale": "BNCGNN55A01H501S", "name": "GIOVANNI", "surname": "BIANCHI", "sex": "M",
                 "birth_date": "1955-01-01", "birth_place": "ROMA", "province": "RM"},
                {"codice_fiscale": "VRDNNA58B42H501N", "name": "ANNA", "surname": "VERDI", "sex": "F",
                 "birth_date": "1958-02-02", "birth_place": "ROMA", "province": "RM"},
                {"codice_fiscale": "BNCLRA85M41H501Z", "name": "LAURA", "surname": "BIANCHI", "sex": "F",
                 "birth_date": "1985-08-01", "birth_place": "ROMA", "province": "RM",
                 "family": [{"codice_fiscale": "STTSGT90A01H501J", "relation": "2"},
                            {"codice_fiscale": "BNCGNN55A01H501S", "relation": "6"},
                            {"codice_fiscale": "VRDNNA58B42H501N", "relation": "6"}]},
                {"codice_fiscale": "RSSMRA40A01H501K", "name": "MARIO", "surname": "ROSSI", "sex": "M",
                 "birth_date": "1940-01-01", "birth_place": "ROMA", "province": "RM", "death_date": "2026-03-14"},
                {"codice_fiscale": "NRIMRA45C43H501W", "name": "MARIA", "surname": "NERI", "sex": "F",
                 "birth_date": "1945-03-03", "birth_place": "ROMA", "province": "RM",
                 "family": [{"codice_fiscale": "RSSMRA40A01H501K", "relation": "2"}]},
                {"codice_fiscale": "GLLPLA87E05H501N", "name": "PAOLO", "surname": "GIALLI", "sex": "M",
                 "birth_date": "1987-05-05", "birth_place": "ROMA", "province": "RM"},
                {"codice_fiscale": "RSSLCU88D04H501H", "name": "LUCA", "surname": "ROSSI", "sex": "M",
                 "birth_date": "1988-04-04", "birth_place": "ROMA", "province": "RM",
                 "family": [{"codice_fiscale": "GLLPLA87E05H501N", "relation": "28"}]}]"#,
        )
        .unwrap();
    let anpr = h.client();
    let (laura, maria, luca) = (
        by_cf("BNCLRA85M41H501Z"),
        by_cf("NRIMRA45C43H501W"),
        by_cf("RSSLCU88D04H501H"),
    );
    let husband = settimo("Settimo");
    let father = person("Bianchi", "Giovanni", Sex::Male, date!(1955 - 01 - 01));
    let mother = person("Verdi", "Anna", Sex::Female, date!(1958 - 02 - 02));
    let stranger = person("Verdi", "Franca", Sex::Female, date!(1958 - 02 - 02));

    // C005: the spouse datum by datum; no wedding day on record is `A`.
    let married = verify(
        &anpr,
        &laura,
        Declaration::Marriage {
            spouse: husband.clone(),
            on: Some(date!(2015 - 06 - 20)),
        },
    )
    .await;
    assert!(keys(&married, &Verdict::Denied).is_empty(), "{married:?}");
    assert_eq!(keys(&married, &Verdict::Absent), ["datiMatrimonio"]);
    let not_married = verify(
        &anpr,
        &maria,
        Declaration::Marriage {
            spouse: husband.clone(),
            on: None,
        },
    )
    .await;
    assert_eq!(
        denied(&not_married),
        ["matrimonio"],
        "a widow is not married"
    );

    // C006.
    let italian = Declaration::Citizenship(DeclaredCitizenship::italian());
    assert!(verify(&anpr, &laura, italian).await.confirmed());
    let french = DeclaredCitizenship::of_state("215", "Francia").unwrap();
    assert_eq!(
        denied(&verify(&anpr, &laura, Declaration::Citizenship(french)).await),
        ["cittadinanza"]
    );

    // C009: the whole family, then one left out, then a wrong tie.
    let household = [
        FamilyMember::new(
            person("Bianchi", "Laura", Sex::Female, date!(1985 - 08 - 01)),
            Tie::Head,
        ),
        FamilyMember::new(husband.clone(), Tie::Spouse),
        FamilyMember::new(father.clone(), Tie::Parent),
        FamilyMember::new(mother.clone(), Tie::Parent),
    ];
    let whole = verify(&anpr, &laura, Declaration::Family(household.to_vec())).await;
    assert!(whole.confirmed(), "{whole:?}");
    assert_eq!(whole.checks.len(), 5);
    let partial = verify(&anpr, &laura, Declaration::Family(household[..3].to_vec())).await;
    assert_eq!(denied(&partial), ["numeroComponenti"]);
    let mut wrong_tie = household.to_vec();
    wrong_tie[2] = FamilyMember::new(father.clone(), Tie::Child);
    assert_eq!(
        denied(&verify(&anpr, &laura, Declaration::Family(wrong_tie)).await),
        ["componente 3"]
    );

    // C010 and C011: married, widowed.
    assert_eq!(
        denied(&verify(&anpr, &laura, Declaration::Unmarried).await),
        ["statoLibero"]
    );
    assert!(
        verify(&anpr, &maria, Declaration::Unmarried)
            .await
            .confirmed()
    );
    let widowed = verify(
        &anpr,
        &maria,
        Declaration::Widowed(Some(date!(2026 - 03 - 14))),
    )
    .await;
    assert!(widowed.confirmed(), "{widowed:?}");
    assert_eq!(widowed.checks.len(), 2);
    let other_day = verify(
        &anpr,
        &maria,
        Declaration::Widowed(Some(date!(2026 - 03 - 13))),
    )
    .await;
    assert_eq!(denied(&other_day), ["datiMorteconiuge"]);
    assert_eq!(
        denied(&verify(&anpr, &laura, Declaration::Widowed(None)).await),
        ["vedovanza"]
    );

    // C012 and C013: each parent, a wrong name, a parent not on record.
    assert!(
        verify(&anpr, &laura, Declaration::Father(father))
            .await
            .confirmed()
    );
    assert!(
        verify(&anpr, &laura, Declaration::Mother(mother))
            .await
            .confirmed()
    );
    assert_eq!(
        denied(&verify(&anpr, &laura, Declaration::Mother(stranger.clone())).await),
        ["madre.nome"]
    );
    let no_record = verify(&anpr, &maria, Declaration::Mother(stranger)).await;
    assert_eq!(keys(&no_record, &Verdict::Absent), ["maternita"]);

    // C024 and C025 give the parents themselves.
    let dad = anpr.father(&laura, &query()).await.unwrap().value.unwrap();
    assert_eq!(dad.details.unwrap().nome.as_deref(), Some("GIOVANNI"));
    let mum = anpr.mother(&laura, &query()).await.unwrap().value.unwrap();
    assert_eq!(mum.details.unwrap().nome.as_deref(), Some("ANNA"));
    assert_eq!(anpr.mother(&maria, &query()).await.unwrap().value, None);

    // C014: Luca's partner, not Laura's husband.
    let paolo = person("Gialli", "Paolo", Sex::Male, date!(1987 - 05 - 05));
    let union = verify(
        &anpr,
        &luca,
        Declaration::CivilUnion {
            partner: paolo.clone(),
            on: None,
        },
    )
    .await;
    assert!(union.confirmed(), "{union:?}");
    let no_union = verify(
        &anpr,
        &laura,
        Declaration::CivilUnion {
            partner: paolo,
            on: None,
        },
    )
    .await;
    assert_eq!(denied(&no_union), ["unioneCivile"]);

    // Each declaration went to its own service.
    let services: Vec<String> = h
        .simulator
        .calls()
        .iter()
        .map(|c| c.service.clone())
        .collect();
    for code in [
        "C005", "C006", "C009", "C010", "C011", "C012", "C013", "C014", "C024", "C025",
    ] {
        assert!(services.iter().any(|s| s == code), "{code} was not called");
    }
}

#[tokio::test]
async fn declarations_no_service_would_check_are_refused_before_sending() {
    let h = harness().await;
    let anpr = h.client();
    let sent = h.simulator.calls().len();
    for declaration in [
        Declaration::Family(Vec::new()),
        Declaration::Family(vec![FamilyMember::new(settimo("Settimo"), Tie::Other(0))]),
        Declaration::Family(vec![FamilyMember::new(settimo("Settimo"), Tie::Other(100))]),
    ] {
        assert!(matches!(
            anpr.verify(&by_cf(SETTIMO), &declaration, &query()).await,
            Err(Error::InvalidInput(_))
        ));
    }
    assert_eq!(h.simulator.calls().len(), sent);
    assert!(DeclaredCitizenship::of_state("21", "Francia").is_err());
    assert!(DeclaredCitizenship::of_state("215", " ").is_err());
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
                 "digital_domicile": "laura.bianchi@pec.example.it",
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
    // C002: a communication goes to the digital domicile when there is one.
    let letter = anpr
        .communication(&laura, &query())
        .await
        .unwrap()
        .value
        .unwrap();
    let domicile = letter.domicilio_digitale.unwrap();
    assert_eq!(
        domicile.address.as_deref(),
        Some("laura.bianchi@pec.example.it")
    );
    assert_eq!(letter.residenza.len(), 1);
    let settimo = anpr
        .communication(&by_cf(SETTIMO), &query())
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(settimo.domicilio_digitale, None);
    assert_eq!(h.simulator.calls().last().unwrap().service, "C002");

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
