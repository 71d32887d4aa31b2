//! The *verifica* services: the declaration in `verifica` compared with the
//! record, one `infoSoggettoEnte` entry per declared datum with `valore`
//! `S` (the record agrees), `N` (it does not) or `A` (the record has no
//! such datum). ANPR's labels for each datum are not public; the
//! simulator's `chiave` is the datum's field name, except C007's, whose
//! label and id ANPR's answers show ("Verifica esistenza in vita", 1003).

use serde_json::{Value, json};

use super::data::Person;
use super::front::Service;

fn verdict(agrees: bool) -> &'static str {
    if agrees { "S" } else { "N" }
}

/// Names compared as ANPR stores them, in capitals.
fn same(declared: &str, recorded: &str) -> bool {
    declared.trim().eq_ignore_ascii_case(recorded.trim())
}

/// The entries for the declared fields of `block` among `fields`, each
/// `(field, pointer in the block, recorded value)`.
fn compare(block: &Value, fields: &[(&str, &str, &str)]) -> Vec<Value> {
    fields
        .iter()
        .filter_map(|(key, pointer, recorded)| {
            let declared = block.pointer(pointer)?.as_str()?;
            Some(json!({ "chiave": key, "valore": verdict(same(declared, recorded)) }))
        })
        .collect()
}

/// The checks of `service` on `person` against the request's `verifica`,
/// or why the request is malformed.
pub(super) fn checks(
    service: Service,
    person: &Person,
    verifica: &Value,
) -> Result<Value, &'static str> {
    let block = |name: &str| verifica.get(name).filter(|b| b.is_object());
    let entries = match service {
        Service::C003 | Service::C031 => {
            let declared = block("generalita").ok_or("verifica.generalita is required")?;
            compare(
                declared,
                &[
                    ("cognome", "/cognome", &person.surname),
                    ("nome", "/nome", &person.name),
                    ("sesso", "/sesso", &person.sex),
                    ("dataNascita", "/dataNascita", &person.birth_date),
                    (
                        "luogoNascita",
                        "/luogoNascita/comune/nomeComune",
                        &person.birth_place,
                    ),
                ],
            )
        }
        Service::C004 => {
            let declared = block("datiDecesso")
                .and_then(|d| d.get("dataEvento")?.as_str())
                .ok_or("verifica.datiDecesso.dataEvento is required")?;
            let valore = match (&person.death_date, person.deceased) {
                (Some(date), _) => verdict(date == declared),
                (None, true) => "A",
                (None, false) => "N",
            };
            vec![json!({ "chiave": "datiDecesso", "valore": valore })]
        }
        Service::C007 => {
            vec![
                json!({ "id": "1003", "chiave": "Verifica esistenza in vita", "valore": verdict(!person.deceased) }),
            ]
        }
        Service::C008 => {
            let declared = block("residenza")
                .and_then(|r| r.get("indirizzo"))
                .ok_or("verifica.residenza.indirizzo is required")?;
            let home = person.home();
            let street = |pointer: &str| declared.pointer(pointer).and_then(Value::as_str);
            let mut entries = compare(
                declared,
                &[
                    ("cap", "/cap", &home.cap),
                    ("comune", "/comune/nomeComune", &home.municipality),
                    ("numeroCivico", "/numeroCivico/numero", &home.number),
                ],
            );
            if let (Some(kind), Some(name)) = (
                street("/toponimo/specie"),
                street("/toponimo/denominazioneToponimo"),
            ) {
                let agrees = same(kind, &home.street_kind) && same(name, &home.street);
                entries.push(json!({ "chiave": "toponimo", "valore": verdict(agrees) }));
            }
            entries
        }
        _ => return Err("not a verifica service"),
    };
    if entries.is_empty() {
        return Err("verifica declares nothing this service checks");
    }
    Ok(Value::Array(entries))
}
