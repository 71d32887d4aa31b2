//! The subjects the ANPR simulator knows: ANPR's official UAT test subjects.

use std::collections::HashMap;

use serde_json::{Value, json};

/// A registered subject.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) fiscal_code: String,
    pub(crate) id_anpr: String,
    pub(crate) name: String,
    pub(crate) surname: String,
    pub(crate) sex: String,
    pub(crate) birth_date: String,
    pub(crate) birth_place: String,
    pub(crate) province: String,
    pub(crate) aire: bool,
    pub(crate) deceased: bool,
    /// `YYYY-MM-DD`, when known.
    pub(crate) death_date: Option<String>,
    pub(crate) cancelled: bool,
    /// Where they live, when given; otherwise a street of their birthplace.
    pub(crate) home: Option<Home>,
    /// The other members of their family: (codice fiscale, ANPR's
    /// `codiceLegame`: 2 spouse, 3 child, …).
    pub(crate) family: Vec<(String, String)>,
    /// Their digital domicile (a PEC address), when they elected one.
    pub(crate) digital_domicile: Option<String>,
}

/// The personal details a search names (`criteriRicerca` without a code).
#[derive(Debug, Clone)]
pub(crate) struct Wanted {
    surname: String,
    name: String,
    sex: String,
    birth_date: String,
    /// The comune's name, when the search gives one.
    birth_place: Option<String>,
}

impl Wanted {
    /// The details of `criteria`, all but the place required (ANPR finds
    /// nobody without them).
    pub(crate) fn of(criteria: &Value) -> Option<Self> {
        let text = |pointer: &str| {
            criteria
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Some(Self {
            surname: text("/cognome")?,
            name: text("/nome")?,
            sex: text("/sesso")?,
            birth_date: text("/datiNascita/dataEvento")?,
            birth_place: text("/datiNascita/luogoNascita/comune/nomeComune"),
        })
    }

    /// Whether `person` has these details (names compared as ANPR stores
    /// them, in capitals).
    pub(crate) fn matches(&self, person: &Person) -> bool {
        let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        same(&self.surname, &person.surname)
            && same(&self.name, &person.name)
            && same(&self.sex, &person.sex)
            && self.birth_date == person.birth_date
            && self
                .birth_place
                .as_deref()
                .is_none_or(|place| same(place, &person.birth_place))
    }
}

/// A residence address, in ANPR's fields.
#[derive(Debug, Clone)]
pub(crate) struct Home {
    pub(crate) street_kind: String,
    pub(crate) street: String,
    pub(crate) number: String,
    pub(crate) cap: String,
    pub(crate) municipality: String,
    pub(crate) province: String,
}

const CASES: &str = include_str!("../../data/anpr/casiTest_consultazione.csv");
const KNOWN: &str = include_str!("../../data/anpr/known-test-subjects.csv");

/// A stable synthetic idANPR (9 upper-case alphanumerics) for subjects whose
/// real one is not public.
fn synthetic_id(fiscal_code: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in fiscal_code.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..9)
        .map(|i| {
            char::from(
                ALPHABET
                    .get(((hash >> (i * 6)) % 36) as usize)
                    .copied()
                    .unwrap_or(b'X'),
            )
        })
        .collect()
}

/// The official subjects, by codice fiscale.
pub(crate) fn official_subjects() -> HashMap<String, Person> {
    let mut known: HashMap<String, (String, String)> = HashMap::new();
    for record in csv::Reader::from_reader(KNOWN.as_bytes())
        .records()
        .flatten()
    {
        let field = |i: usize| record.get(i).unwrap_or_default().to_owned();
        known.insert(field(0), (field(1), field(4)));
    }
    let mut people = HashMap::new();
    for record in csv::Reader::from_reader(CASES.as_bytes())
        .records()
        .flatten()
    {
        let field = |i: usize| record.get(i).unwrap_or_default().trim().to_owned();
        let fiscal_code = field(1);
        let note = field(8).to_ascii_lowercase();
        let id_anpr = known
            .get(&fiscal_code)
            .map(|k| k.0.clone())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| synthetic_id(&fiscal_code));
        let person = Person {
            id_anpr,
            name: field(2),
            surname: field(3),
            sex: field(5),
            birth_date: field(9),
            province: field(6),
            birth_place: field(7),
            aire: note.contains("aire"),
            deceased: note.contains("decedut"),
            death_date: None,
            cancelled: false,
            fiscal_code: fiscal_code.clone(),
            home: None,
            family: Vec::new(),
            digital_domicile: None,
        };
        people.insert(fiscal_code, person);
    }
    // Subjects known only from the second list (the cancelled one among them).
    for (fiscal_code, (id_anpr, note)) in known {
        people.entry(fiscal_code.clone()).or_insert_with(|| Person {
            id_anpr: if id_anpr.is_empty() {
                synthetic_id(&fiscal_code)
            } else {
                id_anpr
            },
            name: String::new(),
            surname: String::new(),
            sex: String::new(),
            birth_date: String::new(),
            birth_place: "ROMA".into(),
            province: "RM".into(),
            aire: false,
            deceased: false,
            death_date: None,
            cancelled: note.to_ascii_lowercase().contains("cancelled"),
            fiscal_code,
            home: None,
            family: Vec::new(),
            digital_domicile: None,
        });
    }
    people
}

impl Person {
    fn comune(&self) -> Value {
        json!({ "nomeComune": self.birth_place, "siglaProvinciaIstat": self.province })
    }

    pub(super) fn generalita(&self) -> Value {
        json!({
            "codiceFiscale": { "codFiscale": self.fiscal_code, "validitaCF": "9" },
            "cognome": self.surname,
            "nome": self.name,
            "sesso": self.sex,
            "dataNascita": self.birth_date,
            "luogoNascita": { "comune": self.comune() },
        })
    }

    pub(super) fn residenza(&self) -> Value {
        let home = self.home();
        json!([{
            "tipoIndirizzo": if self.aire { "4" } else { "1" },
            "indirizzo": {
                "cap": home.cap,
                "comune": { "nomeComune": home.municipality, "siglaProvinciaIstat": home.province },
                "toponimo": { "specie": home.street_kind, "denominazioneToponimo": home.street },
                "numeroCivico": { "numero": home.number },
            },
        }])
    }

    /// Where they live: as given, or a street of their birthplace.
    pub(super) fn home(&self) -> Home {
        let default = || {
            let (cap, street, number) = if self.birth_place == "ROMA" {
                ("00174", "AMERIGO VESPUCCI", "55")
            } else {
                ("00000", "ROMA", "1")
            };
            Home {
                street_kind: "VIA".into(),
                street: street.into(),
                number: number.into(),
                cap: cap.into(),
                municipality: self.birth_place.clone(),
                province: self.province.clone(),
            }
        };
        self.home.clone().unwrap_or_else(default)
    }

    /// A person from the control API's JSON (`abilita_mock::anpr` documents
    /// the fields).
    pub(crate) fn from_json(entry: &Value) -> Result<Self, String> {
        let text = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
        let fiscal_code = text("codice_fiscale").ok_or("a person needs codice_fiscale")?;
        abilita_core::CodiceFiscale::new(&fiscal_code)
            .map_err(|e| format!("{fiscal_code}: {e}"))?;
        let required = |name: &str| text(name).ok_or(format!("{fiscal_code}: {name} is required"));
        let home = match entry.get("residence") {
            None => None,
            Some(r) => {
                let field = |name: &str| {
                    r.get(name)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .ok_or(format!("{fiscal_code}: residence.{name} is required"))
                };
                Some(Home {
                    street_kind: field("street_kind")?,
                    street: field("street")?,
                    number: field("number")?,
                    cap: field("cap")?,
                    municipality: field("municipality")?,
                    province: field("province")?,
                })
            }
        };
        let family = entry
            .get("family")
            .and_then(Value::as_array)
            .map(|members| {
                members
                    .iter()
                    .map(|m| {
                        let cf = m.get("codice_fiscale").and_then(Value::as_str);
                        let relation = m.get("relation").and_then(Value::as_str);
                        cf.zip(relation)
                            .map(|(c, r)| (c.to_owned(), r.to_owned()))
                            .ok_or(format!(
                                "{fiscal_code}: a family member needs codice_fiscale and relation"
                            ))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let flag = |name: &str| entry.get(name).and_then(Value::as_bool).unwrap_or(false);
        Ok(Self {
            id_anpr: text("id_anpr").unwrap_or_else(|| synthetic_id(&fiscal_code)),
            name: required("name")?,
            surname: required("surname")?,
            sex: required("sex")?,
            birth_date: required("birth_date")?,
            birth_place: required("birth_place")?,
            province: required("province")?,
            aire: flag("aire"),
            deceased: flag("deceased") || text("death_date").is_some(),
            death_date: text("death_date"),
            cancelled: flag("cancelled"),
            home,
            family,
            digital_domicile: text("digital_domicile"),
            fiscal_code,
        })
    }

    /// What `GET /__control/anpr/people` shows of a person.
    pub(crate) fn summary(&self) -> Value {
        json!({
            "codice_fiscale": self.fiscal_code, "id_anpr": self.id_anpr, "name": self.name,
            "surname": self.surname, "birth_date": self.birth_date, "residence": self.residenza(),
            "family": self.family.iter().map(|(cf, relation)| json!({ "codice_fiscale": cf, "relation": relation })).collect::<Vec<_>>(),
            "deceased": self.deceased, "death_date": self.death_date, "cancelled": self.cancelled, "aire": self.aire,
            "digital_domicile": self.digital_domicile,
        })
    }

    pub(super) fn life_info(&self) -> Value {
        json!([{ "id": "1003", "chiave": "Verifica esistenza in vita", "valore": if self.deceased { "N" } else { "S" } }])
    }
}
