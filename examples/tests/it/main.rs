//! The integration tests of the examples crate, one binary: the settings
//! that `abilita_mock::Simulators` hands out build every client, each
//! client answers through them, and a bad setting is refused by its name.

// A failing test is the point: helpers unwrap.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod portal;
mod reconcile;
mod spid_login;
mod spid_login_app;
mod station;

use std::collections::HashMap;

use abilita_anpr::{AnprClient, AnprConfig, Query};
use abilita_core::{CodiceFiscale, Error, PartitaIva, Settings};
use abilita_io::IoClient;
use abilita_io::model::Recipient;
use abilita_mock::Simulators;
use abilita_pagopa::gpd::{GpdClient, ListFilter};

#[tokio::test]
async fn the_simulators_settings_build_every_client_and_each_answers() {
    let simulators = Simulators::start().await.unwrap();
    let settings = Settings::from_map(simulators.settings());

    let gpd = GpdClient::from_settings(&settings).unwrap();
    let creditor = PartitaIva::from_official_test_value("77777777777").unwrap();
    let page = gpd
        .list(&creditor, &ListFilter::default(), 0, 10)
        .await
        .unwrap();
    assert_eq!(page.page_info.items_found, 0);

    let io = IoClient::from_settings(&settings, None).unwrap();
    let citizen = Recipient::parse("STTSGT90A01H501J").unwrap();
    let error = io.profile(&citizen).await.unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("App IO read profile: HTTP 404"),
        "the default citizen is not registered: {error}"
    );

    let anpr = AnprClient::new(AnprConfig::from_settings(&settings).unwrap()).unwrap();
    let query = Query::new("PROT.1", time::OffsetDateTime::now_utc().date());
    let id = anpr
        .id_anpr(&CodiceFiscale::new("STTSGT90A01H501J").unwrap(), &query)
        .await
        .unwrap();
    assert!(id.value.is_some());
}

fn without(settings: &HashMap<String, String>, name: &str) -> Settings {
    let mut settings = settings.clone();
    settings.remove(name);
    Settings::from_map(settings)
}

fn with(settings: &HashMap<String, String>, name: &str, value: &str) -> Settings {
    let mut settings = settings.clone();
    settings.insert(name.to_owned(), value.to_owned());
    Settings::from_map(settings)
}

fn field<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result.unwrap_err() {
        Error::InvalidInput(input) => input.field().to_owned(),
        other => panic!("not a setting error: {other}"),
    }
}

#[tokio::test]
async fn a_missing_or_bad_setting_is_refused_by_its_name() {
    let simulators = Simulators::start().await.unwrap();
    let all = simulators.settings();

    for name in [
        "ABILITA_GPD_URL",
        "ABILITA_GPD_API_KEY",
        "ABILITA_GPD_RECEIPTS_URL",
    ] {
        assert_eq!(field(GpdClient::from_settings(&without(&all, name))), name);
    }
    assert_eq!(
        field(GpdClient::from_settings(&with(
            &all,
            "ABILITA_GPD_URL",
            "http://gpd.example"
        ))),
        "ABILITA_GPD_URL",
        "plain http:// off loopback"
    );
    assert!(GpdClient::from_settings(&with(&all, "ABILITA_GPD_URL", "uat")).is_ok());

    for name in ["ABILITA_IO_URL", "ABILITA_IO_API_KEY"] {
        assert_eq!(
            field(IoClient::from_settings(&without(&all, name), None)),
            name
        );
    }
    assert!(IoClient::from_settings(&without(&all, "ABILITA_IO_API_KEY_SECONDARY"), None).is_ok());
    assert_eq!(
        field(abilita_io::manage::ManageClient::from_settings(
            &without(&all, "ABILITA_IO_MANAGE_KEY"),
            None
        )),
        "ABILITA_IO_MANAGE_KEY"
    );

    let anpr_field = |settings: Settings| {
        AnprConfig::from_settings(&settings)
            .unwrap_err()
            .field()
            .to_owned()
    };
    for (name, value) in [
        ("ABILITA_PDND_CLIENT_ID", "not-a-uuid"),
        ("ABILITA_PDND_KEY_ID", "not a kid!"),
        ("ABILITA_ANPR_PURPOSE_C030", "not-a-uuid"),
        (
            "ABILITA_ANPR_AUDIT_LOA",
            "a level name far too long for ANPR",
        ),
        ("ABILITA_ANPR_ENVIRONMENT", "staging"),
    ] {
        assert_eq!(anpr_field(with(&all, name, value)), name, "{name}={value}");
    }
    assert_eq!(
        anpr_field(without(&all, "ABILITA_PDND_TOKEN_URL")),
        "ABILITA_PDND_TOKEN_URL"
    );
    // The message names the setting, the rule and the length found.
    let long =
        AnprConfig::from_settings(&with(&all, "ABILITA_ANPR_AUDIT_USER_ID", &"x".repeat(23)))
            .unwrap_err();
    assert_eq!(
        abilita_core::ErrorChain(&long).to_string(),
        "invalid value for `ABILITA_ANPR_AUDIT_USER_ID`: 1 to 20 characters, found 23"
    );
    let subject = abilita_io::model::Subject::new("Corto").unwrap_err();
    assert_eq!(
        subject.to_string(),
        "the subject must be 10 to 120 characters (UTF-16 code units), found 5"
    );
    assert_eq!(
        anpr_field(without(&all, "ABILITA_PDND_PRIVATE_KEY")),
        "ABILITA_PDND_PRIVATE_KEY"
    );
}
