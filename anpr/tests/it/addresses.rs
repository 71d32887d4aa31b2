//! Addresses as Italians write them, from ANPR's JSON (the shapes of the
//! `TipoResidenza`, `TipoIndirizzo`, `TipoNumeroCivico` and
//! `TipoIndirizzoEstero` schemas of the C020 OpenAPI file).

use abilita_anpr::model::Residence;
use serde_json::json;

fn residence(value: serde_json::Value) -> Residence {
    serde_json::from_value(value).unwrap()
}

#[test]
fn an_italian_address_with_letter_exponent_and_flat() {
    let home = residence(json!({
        "tipoIndirizzo": "1",
        "indirizzo": {
            "cap": "50122",
            "comune": { "nomeComune": "FIRENZE", "codiceIstat": "048017", "siglaProvinciaIstat": "FI" },
            "frazione": "GALLUZZO",
            "toponimo": { "specie": "VIA", "denominazioneToponimo": "DEI NERI" },
            "numeroCivico": {
                "numero": "12", "lettera": "A", "esponente1": "bis", "colore": "R",
                "civicoInterno": { "scala": "B", "interno1": "4", "piano": "2" }
            }
        },
        "dataDecorrenzaResidenza": "2020-01-15"
    }));
    assert_eq!(home.kind.as_deref(), Some("1"));
    assert_eq!(home.since.as_deref(), Some("2020-01-15"));
    assert_eq!(
        home.to_string(),
        "VIA DEI NERI 12/A bis R scala B int. 4 piano 2, Fraz. GALLUZZO, 50122 FIRENZE (FI)"
    );
    assert_eq!(
        format!("{home:#}"),
        "Via Dei Neri 12/A bis R scala B int. 4 piano 2, Fraz. Galluzzo, 50122 Firenze (FI)"
    );
    let number = home
        .address
        .as_ref()
        .unwrap()
        .house_number
        .as_ref()
        .unwrap();
    assert_eq!(number.number.as_deref(), Some("12"));
    assert_eq!(number.exponent.as_deref(), Some("bis"));
}

#[test]
fn a_kilometric_number_a_care_of_and_missing_parts() {
    let road = residence(json!({
        "presso": "ROSSI",
        "indirizzo": {
            "cap": "01100",
            "comune": { "nomeComune": "VITERBO", "siglaProvinciaIstat": "VT" },
            "toponimo": { "specie": "STRADA", "denominazioneToponimo": "CASSIA" },
            "numeroCivico": { "metrico": "3,5" }
        }
    }));
    assert_eq!(
        road.to_string(),
        "presso ROSSI, STRADA CASSIA km 3,5, 01100 VITERBO (VT)"
    );
    let bare = residence(json!({ "indirizzo": { "comune": { "nomeComune": "ROMA" } } }));
    assert_eq!(bare.to_string(), "ROMA");
    assert_eq!(residence(json!({})).to_string(), "");
}

#[test]
fn an_address_abroad() {
    let abroad = residence(json!({
        "tipoIndirizzo": "4",
        "localitaEstera": {
            "indirizzoEstero": {
                "cap": "75001",
                "localita": { "descrizioneLocalita": "PARIS", "descrizioneStato": "FRANCIA", "codiceStato": "215" },
                "toponimo": { "denominazione": "RUE DE RIVOLI", "numeroCivico": "12" }
            }
        }
    }));
    assert!(abroad.address.is_none());
    let place = abroad
        .foreign_address
        .as_ref()
        .unwrap()
        .place
        .as_ref()
        .unwrap();
    assert_eq!(place.state_code.as_deref(), Some("215"));
    assert_eq!(abroad.to_string(), "12 RUE DE RIVOLI, 75001 PARIS, FRANCIA");
}
