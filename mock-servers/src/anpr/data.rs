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
    pub(crate) cancelled: bool,
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
            cancelled: false,
            fiscal_code: fiscal_code.clone(),
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
            cancelled: note.to_ascii_lowercase().contains("cancelled"),
            fiscal_code,
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
        let (cap, street, number) = if self.birth_place == "ROMA" {
            ("00174", "AMERIGO VESPUCCI", "55")
        } else {
            ("00000", "ROMA", "1")
        };
        json!([{
            "tipoIndirizzo": if self.aire { "4" } else { "1" },
            "indirizzo": {
                "cap": cap,
                "comune": self.comune(),
                "toponimo": { "specie": "VIA", "denominazioneToponimo": street },
                "numeroCivico": { "numero": number },
            },
        }])
    }

    pub(super) fn life_info(&self) -> Value {
        json!([{ "id": "1003", "chiave": "Verifica esistenza in vita", "valore": if self.deceased { "N" } else { "S" } }])
    }
}
