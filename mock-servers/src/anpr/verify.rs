//! The *verifica* services: the declaration in `verifica` compared with the
//! record, one `infoSoggettoEnte` entry per declared datum with `valore`
//! `S` (the record agrees), `N` (it does not) or `A` (the record has no
//! such datum). ANPR's labels for each datum are not public; the
//! simulator's `chiave` is the datum's field name (`coniuge.cognome` for a
//! relative's), except C007's, whose label and id ANPR's answers show
//! ("Verifica esistenza in vita", 1003).
//!
//! Relatives come from a person's `family` (ANPR's `codiceLegame`: 2
//! spouse, 6 parent, 28 civil partner), the subject being the head of
//! the family (`1`). Everyone is an Italian citizen (`100`), as C018
//! answers, and no wedding or union day is on record: a declared one is
//! answered `A`.

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
/// `(field, pointer in the block, recorded value)`, keys after `prefix`.
fn compare(prefix: &str, block: &Value, fields: &[(&str, &str, &str)]) -> Vec<Value> {
    fields
        .iter()
        .filter_map(|(key, pointer, recorded)| {
            let declared = block.pointer(pointer)?.as_str()?;
            Some(json!({ "chiave": format!("{prefix}{key}"), "valore": verdict(same(declared, recorded)) }))
        })
        .collect()
}

/// The entries comparing declared `generalita` with `person`'s.
fn identity(prefix: &str, declared: &Value, person: &Person) -> Vec<Value> {
    compare(
        prefix,
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

/// The relative tied by `relation` (and of `sex`, when given), living or
/// not: the caller decides whether a death matters.
pub(super) fn relative<'a>(
    relatives: &'a [(Person, String)],
    relation: &str,
    sex: Option<&str>,
) -> Option<&'a Person> {
    relatives
        .iter()
        .find(|(p, r)| r == relation && sex.is_none_or(|s| p.sex == s))
        .map(|(p, _)| p)
}

/// The checks on a declared relative: each declared field when the record
/// has one, else `A` under `absent`.
fn relative_checks(
    prefix: &str,
    declared: &Value,
    recorded: Option<&Person>,
    absent: &str,
) -> Vec<Value> {
    match recorded {
        Some(person) => identity(prefix, declared, person),
        None => vec![json!({ "chiave": absent, "valore": "A" })],
    }
}

/// `A` for a declared day the simulator keeps no record of.
fn undated(block: &Value, pointer: &str, key: &str) -> Option<Value> {
    block
        .pointer(pointer)
        .map(|_| json!({ "chiave": key, "valore": "A" }))
}

/// The checks of `service` on `person` against the request's `verifica`,
/// or why the request is malformed.
pub(super) fn checks(
    service: Service,
    person: &Person,
    relatives: &[(Person, String)],
    verifica: &Value,
) -> Result<Value, &'static str> {
    let block = |name: &str| verifica.get(name).filter(|b| b.is_object());
    let living = |relation: &str| relative(relatives, relation, None).filter(|p| !p.deceased);
    let entries = match service {
        Service::C003 | Service::C031 => {
            let declared = block("generalita").ok_or("verifica.generalita is required")?;
            identity("", declared, person)
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
                "",
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
        Service::C005 => partnership(&MARRIAGE, verifica, relatives)?,
        Service::C006 => {
            let code = block("cittadinanza")
                .and_then(|c| c.get("codiceStato")?.as_str())
                .ok_or("verifica.cittadinanza.codiceStato is required")?;
            vec![json!({ "chiave": "cittadinanza", "valore": verdict(code.trim() == "100") })]
        }
        Service::C009 => family(person, relatives, verifica)?,
        Service::C010 => {
            let free = living("2").is_none() && living("28").is_none();
            vec![json!({ "chiave": "statoLibero", "valore": verdict(free) })]
        }
        Service::C011 => {
            let dead_spouse = relative(relatives, "2", None).filter(|p| p.deceased);
            let mut entries =
                vec![json!({ "chiave": "vedovanza", "valore": verdict(dead_spouse.is_some()) })];
            let declared_day = block("vedovanza")
                .and_then(|v| v.pointer("/datiMorteconiuge/dataEvento")?.as_str());
            if let (Some(day), Some(spouse)) = (declared_day, dead_spouse) {
                let valore = spouse
                    .death_date
                    .as_deref()
                    .map_or("A", |d| verdict(d == day));
                entries.push(json!({ "chiave": "datiMorteconiuge", "valore": valore }));
            }
            entries
        }
        Service::C012 | Service::C013 => {
            let (name, sex, prefix, missing) = if service == Service::C012 {
                (
                    "paternita",
                    "M",
                    "padre.",
                    "verifica.paternita.generalita is required",
                )
            } else {
                (
                    "maternita",
                    "F",
                    "madre.",
                    "verifica.maternita.generalita is required",
                )
            };
            let declared = block(name)
                .and_then(|b| b.get("generalita"))
                .filter(|g| g.is_object())
                .ok_or(missing)?;
            relative_checks(prefix, declared, relative(relatives, "6", Some(sex)), name)
        }
        Service::C014 => partnership(&CIVIL_UNION, verifica, relatives)?,
        _ => return Err("not a verifica service"),
    };
    if entries.is_empty() {
        return Err("verifica declares nothing this service checks");
    }
    Ok(Value::Array(entries))
}

/// How C005 and C014 name a partnership's parts.
struct Partnership {
    /// The `verifica` block (`matrimonio`).
    block: &'static str,
    /// The declared partner in it (`coniuge`).
    partner: &'static str,
    /// The declared day in it (`datiMatrimonio`).
    day: &'static str,
    /// The partner's `codiceLegame`.
    relation: &'static str,
    /// The error when the partner is not declared.
    missing: &'static str,
}

const MARRIAGE: Partnership = Partnership {
    block: "matrimonio",
    partner: "coniuge",
    day: "datiMatrimonio",
    relation: "2",
    missing: "verifica.matrimonio.coniuge is required",
};

const CIVIL_UNION: Partnership = Partnership {
    block: "unioneCivile",
    partner: "unitoCivilmente",
    day: "attoUnione",
    relation: "28",
    missing: "verifica.unioneCivile.unitoCivilmente is required",
};

/// The declared partner against the living one on record, datum by datum,
/// with `A` for a declared day; `N` under the block's name without one.
fn partnership(
    kind: &Partnership,
    verifica: &Value,
    relatives: &[(Person, String)],
) -> Result<Vec<Value>, &'static str> {
    let declared = verifica
        .get(kind.block)
        .and_then(|b| Some((b, b.get(kind.partner).filter(|p| p.is_object())?)));
    let Some((block, partner)) = declared else {
        return Err(kind.missing);
    };
    let recorded = relative(relatives, kind.relation, None).filter(|p| !p.deceased);
    Ok(match recorded {
        Some(recorded) => identity(&format!("{}.", kind.partner), partner, recorded)
            .into_iter()
            .chain(undated(
                block,
                &format!("/{}/dataEvento", kind.day),
                kind.day,
            ))
            .collect(),
        None => vec![json!({ "chiave": kind.block, "valore": "N" })],
    })
}

/// C009: each declared member against the family (the subject heads it,
/// tie `1`), then whether the declaration names the whole family.
fn family(
    person: &Person,
    relatives: &[(Person, String)],
    verifica: &Value,
) -> Result<Vec<Value>, &'static str> {
    let declared = verifica
        .pointer("/listaSoggetti/datiSoggetto")
        .and_then(Value::as_array)
        .filter(|members| !members.is_empty())
        .ok_or("verifica.listaSoggetti.datiSoggetto needs at least one member")?;
    let household: Vec<(&Person, &str)> = std::iter::once((person, "1"))
        .chain(relatives.iter().map(|(p, r)| (p, r.as_str())))
        .collect();
    let mut entries = Vec::with_capacity(declared.len() + 1);
    for (index, member) in declared.iter().enumerate() {
        let generalita = member.get("generalita").filter(|g| g.is_object());
        let tie = member
            .pointer("/legameSoggetto/codiceLegame")
            .and_then(Value::as_str);
        let (Some(generalita), Some(tie)) = (generalita, tie) else {
            return Err("each member needs generalita and legameSoggetto.codiceLegame");
        };
        let found = household.iter().any(|(recorded, relation)| {
            let fields = identity("", generalita, recorded);
            *relation == tie.trim()
                && !fields.is_empty()
                && fields.iter().all(|e| e["valore"] == "S")
        });
        entries.push(
            json!({ "chiave": format!("componente {}", index + 1), "valore": verdict(found) }),
        );
    }
    entries.push(json!({ "chiave": "numeroComponenti", "valore": verdict(declared.len() == household.len()) }));
    Ok(entries)
}
