//! An SP from the `ABILITA_SPID_*` settings, and errors that name the
//! setting to fix.

use std::collections::HashMap;

use abilita_core::Settings;
use abilita_spid::{ServiceProvider, SpidLevel};

fn municipality() -> HashMap<String, String> {
    [
        ("ABILITA_SPID_ENTITY_ID", "https://comune.esempio.it/spid"),
        ("ABILITA_SPID_BASE_URL", "https://comune.esempio.it/spid"),
        ("ABILITA_SPID_ORGANIZATION_NAME", "Comune di Esempio"),
        (
            "ABILITA_SPID_ORGANIZATION_URL",
            "https://www.comune.esempio.it",
        ),
        ("ABILITA_SPID_IPA_CODE", "c_h501"),
        ("ABILITA_SPID_CONTACT_EMAIL", "protocollo@comune.esempio.it"),
        ("ABILITA_SPID_SERVICE_NAME", "Servizi online del Comune"),
        ("ABILITA_SPID_ATTRIBUTES", "fiscalNumber, name,familyName"),
        ("ABILITA_SPID_MIN_LEVEL", "2"),
        ("ABILITA_SPID_KEY", include_str!("../data/sp.key")),
        (
            "ABILITA_SPID_CERTIFICATE",
            include_str!("../data/sp-avviso29-public.cert"),
        ),
        (
            "ABILITA_SPID_STATE_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

fn refused_setting(settings: HashMap<String, String>) -> String {
    ServiceProvider::from_settings(&Settings::from_map(settings))
        .unwrap_err()
        .field()
        .to_owned()
}

#[test]
fn a_municipality_configures_its_sp_from_settings() {
    let sp = ServiceProvider::from_settings(&Settings::from_map(municipality())).unwrap();
    assert_eq!(sp.entity_id(), "https://comune.esempio.it/spid");
    assert_eq!(sp.acs_url(), "https://comune.esempio.it/spid/acs");
    assert_eq!(sp.min_level(), SpidLevel::L2);
    let metadata = sp.metadata().unwrap();
    for expected in [
        "<spid:IPACode>c_h501</spid:IPACode>",
        "Name=\"familyName\"",
        "Servizi online del Comune",
    ] {
        assert!(metadata.contains(expected), "{expected}");
    }
}

#[test]
fn the_key_and_certificate_may_come_from_files() {
    let mut settings = municipality();
    settings.remove("ABILITA_SPID_KEY");
    settings.remove("ABILITA_SPID_CERTIFICATE");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    settings.insert("ABILITA_SPID_KEY_FILE".into(), format!("{data}/sp.key"));
    settings.insert(
        "ABILITA_SPID_CERTIFICATE_FILE".into(),
        format!("{data}/sp-avviso29-public.cert"),
    );
    ServiceProvider::from_settings(&Settings::from_map(settings.clone())).unwrap();
    settings.insert(
        "ABILITA_SPID_KEY_FILE".into(),
        format!("{data}/missing.key"),
    );
    assert_eq!(refused_setting(settings), "ABILITA_SPID_KEY_FILE");
}

#[test]
fn every_bad_setting_is_named() {
    let without = |name: &str| {
        let mut settings = municipality();
        settings.remove(name);
        settings
    };
    let with = |name: &str, value: &str| {
        let mut settings = municipality();
        settings.insert(name.to_owned(), value.to_owned());
        settings
    };
    assert_eq!(
        refused_setting(without("ABILITA_SPID_ENTITY_ID")),
        "ABILITA_SPID_ENTITY_ID"
    );
    assert_eq!(
        refused_setting(without("ABILITA_SPID_KEY")),
        "ABILITA_SPID_KEY"
    );
    assert_eq!(
        refused_setting(without("ABILITA_SPID_IPA_CODE")),
        "ABILITA_SPID_IPA_CODE"
    );
    assert_eq!(
        refused_setting(with("ABILITA_SPID_MIN_LEVEL", "4")),
        "ABILITA_SPID_MIN_LEVEL"
    );
    assert_eq!(
        refused_setting(with(
            "ABILITA_SPID_ATTRIBUTES",
            "fiscalNumber,codiceFiscale"
        )),
        "ABILITA_SPID_ATTRIBUTES"
    );
    assert_eq!(
        refused_setting(with("ABILITA_SPID_CONTACT_EMAIL", "mailto:p@c.it")),
        "ABILITA_SPID_CONTACT_EMAIL"
    );
    assert_eq!(
        refused_setting(with("ABILITA_SPID_STATE_KEY", "short")),
        "ABILITA_SPID_STATE_KEY"
    );
    // A certificate for another SP: the setting, and the rule as the cause.
    let other = with("ABILITA_SPID_ENTITY_ID", "https://altro.esempio.it/spid");
    let error = ServiceProvider::from_settings(&Settings::from_map(other)).unwrap_err();
    assert_eq!(error.field(), "ABILITA_SPID_CERTIFICATE");
    assert!(
        abilita_core::ErrorChain(&error).to_string().contains("uri"),
        "{}",
        abilita_core::ErrorChain(&error)
    );
    // A private SP without its billing data.
    let mut private = without("ABILITA_SPID_IPA_CODE");
    private.insert("ABILITA_SPID_VAT_NUMBER".into(), "IT12345678901".into());
    assert_eq!(refused_setting(private), "ABILITA_SPID_BILLING_VAT_NUMBER");
}
