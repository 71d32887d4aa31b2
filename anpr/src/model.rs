//! The E002 envelope every ANPR e-service shares (`RichiestaE002`,
//! `RispostaE002OK`, `RispostaKO`), after the saved OpenAPI files of C001,
//! C003, C021, C030 and the 2022 superset of C020.
//!
//! Response fields are all optional and unknown ones are kept
//! (`#[serde(flatten)]`): ANPR's services return different subsets of the
//! same model, and the specs lag behind the live services.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::Date;

/// How a subject is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Subject {
    /// By codice fiscale (ANPR answers with warning EN148: the decree asks
    /// for the idANPR).
    CodiceFiscale(abilita_core::CodiceFiscale),
    /// By the national unique id, from C030.
    IdAnpr(String),
    /// By personal details: surname, name, sex, date and place of birth,
    /// all five, as ANPR needs them to find one person (EN067 when several
    /// match).
    Details(Identity),
}

/// `M` or `F`, as ANPR records sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::exhaustive_enums, reason = "ANPR's own two values")]
pub enum Sex {
    /// `M`.
    Male,
    /// `F`.
    Female,
}

impl Sex {
    fn code(self) -> &'static str {
        match self {
            Self::Male => "M",
            Self::Female => "F",
        }
    }
}

/// Where a person was born (`luogoNascita`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BirthPlace {
    /// An Italian comune (`comune {nomeComune, siglaProvinciaIstat}`).
    Comune {
        /// Its name, as ANPR writes it (`ROMA`).
        name: String,
        /// Its province's abbreviation (`RM`).
        province: String,
    },
    /// Abroad (`localita {descrizioneStato}`).
    Abroad {
        /// The state's name, as ANPR writes it (`FRANCIA`).
        country: String,
    },
}

impl BirthPlace {
    /// An Italian comune and its province's two letters.
    ///
    /// # Errors
    /// For an empty name, or a province that is not two letters.
    pub fn comune(name: &str, province: &str) -> Result<Self, abilita_core::InvalidInput> {
        Ok(Self::Comune {
            name: filled("luogoNascita.comune.nomeComune", name)?,
            province: province_code("luogoNascita.comune.siglaProvinciaIstat", province)?,
        })
    }

    /// A foreign state.
    ///
    /// # Errors
    /// For an empty name.
    pub fn abroad(country: &str) -> Result<Self, abilita_core::InvalidInput> {
        Ok(Self::Abroad {
            country: filled("luogoNascita.localita.descrizioneStato", country)?,
        })
    }

    fn to_json(&self) -> Value {
        match self {
            Self::Comune { name, province } => serde_json::json!({
                "comune": { "nomeComune": name, "siglaProvinciaIstat": province }
            }),
            Self::Abroad { country } => serde_json::json!({
                "localita": { "descrizioneStato": country }
            }),
        }
    }
}

/// A province's two letters, upper-cased.
pub(crate) fn province_code(
    field: &str,
    province: &str,
) -> Result<String, abilita_core::InvalidInput> {
    if province.len() != 2 || !province.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(abilita_core::InvalidInput::new(
            field.to_owned(),
            abilita_core::Rule("a province is two letters"),
        ));
    }
    Ok(province.to_ascii_uppercase())
}

/// `value` trimmed and upper-cased as ANPR stores names, unless empty.
pub(crate) fn filled(field: &str, value: &str) -> Result<String, abilita_core::InvalidInput> {
    let value = value.trim();
    if value.is_empty() {
        Err(abilita_core::InvalidInput::new(
            field.to_owned(),
            abilita_core::Rule("must not be empty"),
        ))
    } else {
        Ok(value.to_uppercase())
    }
}

/// A person's identity as a citizen declares it: what a search by details
/// and a verification of details (C003, C031) send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    surname: String,
    name: String,
    sex: Sex,
    birth_date: Date,
    birth_place: BirthPlace,
}

impl Identity {
    /// The five details ANPR matches a person on.
    ///
    /// # Errors
    /// For an empty surname or name.
    pub fn new(
        surname: &str,
        name: &str,
        sex: Sex,
        birth_date: Date,
        birth_place: BirthPlace,
    ) -> Result<Self, abilita_core::InvalidInput> {
        Ok(Self {
            surname: filled("cognome", surname)?,
            name: filled("nome", name)?,
            sex,
            birth_date,
            birth_place,
        })
    }

    fn birth_date(&self) -> String {
        iso(self.birth_date)
    }

    /// As `generalita`, the block a verification declares.
    pub(crate) fn generalita(&self) -> Value {
        serde_json::json!({
            "cognome": self.surname,
            "nome": self.name,
            "sesso": self.sex.code(),
            "dataNascita": self.birth_date(),
            "luogoNascita": self.birth_place.to_json(),
        })
    }
}

/// `RichiestaE002`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct Request {
    /// The client's id of the operation (≤ 30 characters).
    pub id_operazione_client: String,
    /// Who.
    pub criteri_ricerca: SearchCriteria,
    /// What a *verifica* service checks (`verifica`): the citizen's
    /// declaration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verifica: Option<Value>,
    /// Why and as of when.
    pub dati_richiesta: RequestData,
}

/// `criteriRicerca`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct SearchCriteria {
    /// Codice fiscale.
    #[serde(rename = "codiceFiscale", skip_serializing_if = "Option::is_none")]
    pub codice_fiscale: Option<String>,
    /// idANPR.
    #[serde(rename = "idANPR", skip_serializing_if = "Option::is_none")]
    pub id_anpr: Option<String>,
    /// Surname, for a search by details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cognome: Option<String>,
    /// Name, for a search by details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nome: Option<String>,
    /// `M` or `F`, for a search by details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sesso: Option<String>,
    /// Date and place of birth (`datiNascita`), for a search by details.
    #[serde(rename = "datiNascita", skip_serializing_if = "Option::is_none")]
    pub dati_nascita: Option<Value>,
}

impl From<&Subject> for SearchCriteria {
    fn from(subject: &Subject) -> Self {
        let mut criteria = Self {
            codice_fiscale: None,
            id_anpr: None,
            cognome: None,
            nome: None,
            sesso: None,
            dati_nascita: None,
        };
        match subject {
            Subject::CodiceFiscale(cf) => criteria.codice_fiscale = Some(cf.as_str().to_owned()),
            Subject::IdAnpr(id) => criteria.id_anpr = Some(id.clone()),
            Subject::Details(identity) => {
                criteria.cognome = Some(identity.surname.clone());
                criteria.nome = Some(identity.name.clone());
                criteria.sesso = Some(identity.sex.code().to_owned());
                criteria.dati_nascita = Some(serde_json::json!({
                    "dataEvento": identity.birth_date(),
                    "luogoNascita": identity.birth_place.to_json(),
                }));
            }
        }
        criteria
    }
}

/// `datiRichiesta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct RequestData {
    /// The date the record is read as of (`YYYY-MM-DD`).
    #[serde(serialize_with = "iso_date")]
    pub data_riferimento_richiesta: Date,
    /// The administrative reference (protocol number, file).
    pub motivo_richiesta: String,
    /// The service's code; set by the client from the service.
    pub caso_uso: String,
}

fn iso_date<S: serde::Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&iso(*date))
}

/// A date as ANPR writes one, `YYYY-MM-DD`.
pub(crate) fn iso(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// `RispostaE002OK`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Response {
    /// ANPR's id of the operation: a numeric string past 2^31, kept as text.
    #[serde(rename = "idOperazioneANPR", default)]
    pub id_operazione_anpr: Option<String>,
    /// The subjects.
    #[serde(default)]
    pub lista_soggetti: Option<Subjects>,
    /// Warnings (EN148 for a search by codice fiscale).
    #[serde(default)]
    pub lista_anomalie: Vec<Anomaly>,
}

impl Response {
    /// The subjects found.
    #[must_use]
    pub fn subjects(&self) -> &[SubjectData] {
        self.lista_soggetti
            .as_ref()
            .map_or(&[], |l| l.dati_soggetto.as_slice())
    }
}

/// `listaSoggetti`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Subjects {
    /// One per subject (per family member for C021).
    #[serde(default)]
    pub dati_soggetto: Vec<SubjectData>,
}

/// `datiSoggetto`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubjectData {
    /// Personal details.
    #[serde(default)]
    pub generalita: Option<PersonalDetails>,
    /// Identifiers.
    #[serde(default)]
    pub identificativi: Option<Identifiers>,
    /// Residences.
    #[serde(default)]
    pub residenza: Vec<Residence>,
    /// Entity-specific facts (life status, death date).
    #[serde(default)]
    pub info_soggetto_ente: Vec<EntityInfo>,
    /// Death data.
    #[serde(default)]
    pub dati_decesso: Option<DeathData>,
    /// Citizenships.
    #[serde(default)]
    pub cittadinanza: Vec<Citizenship>,
    /// The family tie (C021).
    #[serde(default)]
    pub legame_soggetto: Option<FamilyTie>,
    /// The marriage (C017).
    #[serde(default)]
    pub matrimonio: Option<Marriage>,
    /// The digital domicile (C002).
    #[serde(default)]
    pub domicilio_digitale: Option<DigitalDomicile>,
    /// The father (C024).
    #[serde(default)]
    pub paternita: Option<Parent>,
    /// The mother (C025).
    #[serde(default)]
    pub maternita: Option<Parent>,
    /// Everything else the service returns.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `generalita`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PersonalDetails {
    /// Codice fiscale and its validation state.
    #[serde(default)]
    pub codice_fiscale: Option<FiscalCodeData>,
    /// Surname.
    #[serde(default)]
    pub cognome: Option<String>,
    /// Name.
    #[serde(default)]
    pub nome: Option<String>,
    /// `M` or `F`.
    #[serde(default)]
    pub sesso: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub data_nascita: Option<String>,
    /// Place of birth, as ANPR models it.
    #[serde(default)]
    pub luogo_nascita: Option<Value>,
}

/// `codiceFiscale` in `generalita`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FiscalCodeData {
    /// The code.
    #[serde(default)]
    pub cod_fiscale: Option<String>,
    /// `1` validated with the Agenzia delle Entrate, `9` not.
    #[serde(rename = "validitaCF", default)]
    pub validita_cf: Option<String>,
}

/// `identificativi`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Identifiers {
    /// The national unique id.
    #[serde(rename = "idANPR", default)]
    pub id_anpr: Option<String>,
}

/// A residence (`residenza`, ANPR's `TipoResidenza`). The ANPR field name
/// is beside each field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Residence {
    /// `tipoIndirizzo` (table 25): `1` residence, `2` habitual abode, `3`
    /// elected domicile, `4` abroad.
    #[serde(rename = "tipoIndirizzo", default)]
    pub kind: Option<String>,
    /// `indirizzo`: an address in Italy.
    #[serde(rename = "indirizzo", default)]
    pub address: Option<Address>,
    /// `localitaEstera.indirizzoEstero`: an address abroad (AIRE).
    #[serde(rename = "localitaEstera", default, deserialize_with = "foreign")]
    pub foreign_address: Option<ForeignAddress>,
    /// `presso`: "care of".
    #[serde(rename = "presso", default)]
    pub care_of: Option<String>,
    /// `dataDecorrenzaResidenza`: since when (`YYYY-MM-DD`).
    #[serde(rename = "dataDecorrenzaResidenza", default)]
    pub since: Option<String>,
}

/// `localitaEstera` holds the address under `indirizzoEstero`.
fn foreign<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<ForeignAddress>, D::Error> {
    #[derive(Deserialize)]
    struct Abroad {
        #[serde(rename = "indirizzoEstero", default)]
        address: Option<ForeignAddress>,
    }
    Ok(Option::<Abroad>::deserialize(deserializer)?.and_then(|abroad| abroad.address))
}

impl std::fmt::Display for Residence {
    /// The address in Italy, or abroad, as a letter would carry it; the
    /// care-of line first when there is one.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(care_of) = self.care_of.as_deref().filter(|c| !c.trim().is_empty()) {
            write!(f, "presso {}, ", care_of.trim())?;
        }
        match (&self.address, &self.foreign_address) {
            (Some(address), _) => address.fmt(f),
            (None, Some(abroad)) => abroad.fmt(f),
            (None, None) => Ok(()),
        }
    }
}

/// An address in Italy (`indirizzo`, `TipoIndirizzo`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Address {
    /// `cap`: the postcode.
    #[serde(rename = "cap", default)]
    pub postcode: Option<String>,
    /// `comune`: the municipality.
    #[serde(rename = "comune", default)]
    pub municipality: Option<Municipality>,
    /// `frazione`: the hamlet.
    #[serde(rename = "frazione", default)]
    pub hamlet: Option<String>,
    /// `toponimo`: the street.
    #[serde(rename = "toponimo", default)]
    pub street: Option<Street>,
    /// `numeroCivico`: the house number.
    #[serde(rename = "numeroCivico", default)]
    pub house_number: Option<HouseNumber>,
}

impl std::fmt::Display for Address {
    /// As Italians write it: `VIA ROMA 12/A, Fraz. SAN PIETRO, 00100 ROMA
    /// (RM)` with ANPR's capitals, or with `{:#}` the names in title case,
    /// as a letter prints them: `Via Roma 12/A, Fraz. San Pietro, 00100
    /// Roma (RM)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let case = |name: &str| {
            if f.alternate() {
                title_case(name)
            } else {
                name.trim().to_owned()
            }
        };
        let street = self.street.as_ref();
        let kind = street
            .and_then(|s| s.kind.as_deref())
            .map(case)
            .unwrap_or_default();
        let name = street
            .and_then(|s| s.name.as_deref())
            .map(case)
            .unwrap_or_default();
        let number = self
            .house_number
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let mut parts = vec![join(&[&kind, &name, &number])];
        if let Some(hamlet) = self.hamlet.as_deref().filter(|h| !h.trim().is_empty()) {
            parts.push(format!("Fraz. {}", case(hamlet)));
        }
        let municipality = self.municipality.as_ref();
        let town = municipality
            .and_then(|m| m.name.as_deref())
            .map(case)
            .unwrap_or_default();
        let province = municipality
            .and_then(|m| m.province.as_deref())
            .map(|p| format!("({})", p.trim()))
            .unwrap_or_default();
        parts.push(join(&[
            self.postcode.as_deref().unwrap_or_default(),
            &town,
            &province,
        ]));
        let parts: Vec<&str> = parts
            .iter()
            .map(String::as_str)
            .filter(|p| !p.is_empty())
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// `AMERIGO VESPUCCI` → `Amerigo Vespucci`; `DELL'ORSO` → `Dell'orso`
/// stays a known limit (apostrophes are not word breaks here).
fn title_case(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            let lower = word.to_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words separated by one space, blanks left out.
fn join(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A house number (`numeroCivico`, `TipoNumeroCivico`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct HouseNumber {
    /// `numero`: the number.
    #[serde(rename = "numero", default)]
    pub number: Option<String>,
    /// `lettera`: a letter after it (`12/A` is number 12, letter A).
    #[serde(rename = "lettera", default)]
    pub letter: Option<String>,
    /// `esponente1`: the exponent (`12 bis`).
    #[serde(rename = "esponente1", default)]
    pub exponent: Option<String>,
    /// `metrico`: a kilometric number on a road outside towns.
    #[serde(rename = "metrico", default)]
    pub metric: Option<String>,
    /// `colore`: `R` for the red numbers of shops (Genoa, Florence).
    #[serde(rename = "colore", default)]
    pub colour: Option<String>,
    /// `codiceCivico`: its code in the national street register.
    #[serde(rename = "codiceCivico", default)]
    pub code: Option<String>,
    /// `civicoInterno`: staircase, flat, floor.
    #[serde(rename = "civicoInterno", default)]
    pub internal: Option<InternalNumber>,
}

impl std::fmt::Display for HouseNumber {
    /// `12`, `12/A`, `12 bis`, `12 R`, `km 3,5`; then `scala B int. 4`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let mut text = match (clean(&self.number), clean(&self.metric)) {
            (Some(number), _) => number,
            (None, Some(metric)) => format!("km {metric}"),
            (None, None) => String::new(),
        };
        if let Some(letter) = clean(&self.letter) {
            text.push('/');
            text.push_str(&letter);
        }
        for part in [clean(&self.exponent), clean(&self.colour)]
            .into_iter()
            .flatten()
        {
            text.push(' ');
            text.push_str(&part);
        }
        if let Some(internal) = &self.internal {
            let internal = internal.to_string();
            if !internal.is_empty() {
                text.push(' ');
                text.push_str(&internal);
            }
        }
        f.write_str(text.trim())
    }
}

/// Where inside a building (`civicoInterno`, `TipoCivicoInterno`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InternalNumber {
    /// `scala`: the staircase.
    #[serde(rename = "scala", default)]
    pub staircase: Option<String>,
    /// `interno1`: the flat.
    #[serde(rename = "interno1", default)]
    pub flat: Option<String>,
    /// `espInterno1`: the flat's exponent.
    #[serde(rename = "espInterno1", default)]
    pub flat_exponent: Option<String>,
    /// `piano`: the floor.
    #[serde(rename = "piano", default)]
    pub floor: Option<String>,
}

impl std::fmt::Display for InternalNumber {
    /// `scala B int. 4 bis piano 2`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn clean(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let mut parts = Vec::new();
        if let Some(staircase) = clean(&self.staircase) {
            parts.push(format!("scala {staircase}"));
        }
        if let Some(flat) = clean(&self.flat) {
            parts.push(match clean(&self.flat_exponent) {
                Some(exponent) => format!("int. {flat} {exponent}"),
                None => format!("int. {flat}"),
            });
        }
        if let Some(floor) = clean(&self.floor) {
            parts.push(format!("piano {floor}"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// An address abroad (`indirizzoEstero`, `TipoIndirizzoEstero`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ForeignAddress {
    /// `cap`: the postcode.
    #[serde(rename = "cap", default)]
    pub postcode: Option<String>,
    /// `localita`: the place and the state.
    #[serde(rename = "localita", default)]
    pub place: Option<ForeignPlace>,
    /// `toponimo`: the street and number, as written there.
    #[serde(rename = "toponimo", default)]
    pub street: Option<ForeignStreet>,
}

impl std::fmt::Display for ForeignAddress {
    /// `12 Rue de Rivoli, 75001 Paris, FRANCIA`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let street = self.street.as_ref().map(|s| {
            join(&[
                s.number.as_deref().unwrap_or_default(),
                s.name.as_deref().unwrap_or_default(),
            ])
        });
        let town = join(&[
            self.postcode.as_deref().unwrap_or_default(),
            self.place
                .as_ref()
                .and_then(|p| p.name.as_deref())
                .unwrap_or_default(),
        ]);
        let state = self
            .place
            .as_ref()
            .and_then(|p| p.state.clone())
            .unwrap_or_default();
        let parts: Vec<String> = [street.unwrap_or_default(), town, state]
            .into_iter()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// A place abroad (`localita`, `TipoDatoLocalitaEstera`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ForeignPlace {
    /// `descrizioneLocalita`: the town.
    #[serde(rename = "descrizioneLocalita", default)]
    pub name: Option<String>,
    /// `descrizioneStato`: the state, in Italian.
    #[serde(rename = "descrizioneStato", default)]
    pub state: Option<String>,
    /// `codiceStato`: the state's ISTAT code.
    #[serde(rename = "codiceStato", default)]
    pub state_code: Option<String>,
}

/// A street abroad (`toponimo`, `TipoToponimoEstero`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ForeignStreet {
    /// `denominazione`: the street.
    #[serde(rename = "denominazione", default)]
    pub name: Option<String>,
    /// `numeroCivico`: the number, as written there.
    #[serde(rename = "numeroCivico", default)]
    pub number: Option<String>,
}

/// A municipality (`comune`, `TipoComune`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Municipality {
    /// `nomeComune`: the name.
    #[serde(rename = "nomeComune", default)]
    pub name: Option<String>,
    /// `codiceIstat`: the ISTAT code.
    #[serde(rename = "codiceIstat", default)]
    pub istat_code: Option<String>,
    /// `siglaProvinciaIstat`: the province (`RM`).
    #[serde(rename = "siglaProvinciaIstat", default)]
    pub province: Option<String>,
    /// `descrizioneLocalita`: a locality of it.
    #[serde(rename = "descrizioneLocalita", default)]
    pub locality: Option<String>,
}

/// A street (`toponimo`, `TipoToponimo`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Street {
    /// `specie`: `VIA`, `PIAZZA`…
    #[serde(rename = "specie", default)]
    pub kind: Option<String>,
    /// `denominazioneToponimo`: the name.
    #[serde(rename = "denominazioneToponimo", default)]
    pub name: Option<String>,
}

/// `infoSoggettoEnte`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EntityInfo {
    /// `1003` life status, `1015` death date, …
    #[serde(default)]
    pub id: Option<String>,
    /// Its label.
    #[serde(default)]
    pub chiave: Option<String>,
    /// `S`, `N` or `A`.
    #[serde(default)]
    pub valore: Option<String>,
    /// A date value.
    #[serde(default)]
    pub valore_data: Option<String>,
}

/// A marriage (`matrimonio`, `TipoMatrimonio`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Marriage {
    /// The spouse (`coniuge`).
    #[serde(rename = "coniuge", default)]
    pub spouse: Option<PersonalDetails>,
    /// When and where (`datiMatrimonio`).
    #[serde(rename = "datiMatrimonio", default)]
    pub event: Option<Event>,
    /// Which of the subject's marriages (`ordineMatrimonio`: `1` the first).
    #[serde(rename = "ordineMatrimonio", default)]
    pub order: Option<String>,
}

/// A digital domicile (`domicilioDigitale`, `TipoDomicilioDigitale`): the
/// PEC address a citizen elected for communications from the public
/// administration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DigitalDomicile {
    /// The address (`indirizzoDigitale`).
    #[serde(rename = "indirizzoDigitale", default)]
    pub address: Option<String>,
    /// Since when, `YYYY-MM-DD` (`dataInizioValidita`).
    #[serde(rename = "dataInizioValidita", default)]
    pub since: Option<String>,
}

/// A parent (`paternita`, `maternita`: `TipoGenitore`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Parent {
    /// Their personal details (`generalita`).
    #[serde(rename = "generalita", default)]
    pub details: Option<PersonalDetails>,
}

/// A registered event (`TipoDatiEvento`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Event {
    /// `YYYY-MM-DD` (`dataEvento`).
    #[serde(rename = "dataEvento", default)]
    pub date: Option<String>,
    /// Where, as ANPR models it (`luogoEvento`).
    #[serde(rename = "luogoEvento", default)]
    pub place: Option<Value>,
}

/// `datiDecesso`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeathData {
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub data_evento: Option<String>,
}

/// `cittadinanza`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Citizenship {
    /// The state's code.
    #[serde(default)]
    pub codice_stato: Option<String>,
    /// The state's name.
    #[serde(default)]
    pub descrizione_stato: Option<String>,
}

/// `legameSoggetto`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FamilyTie {
    /// The relation to the head of family.
    #[serde(default)]
    pub codice_legame: Option<String>,
    /// The member's number.
    #[serde(default)]
    pub progressivo_componente: Option<String>,
}

/// `TipoErroriAnomalia`: an error or warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Anomaly {
    /// The code (`EN122`, `EN148`, …).
    #[serde(rename = "codiceErroreAnomalia", default)]
    pub code: String,
    /// `E` error or `W` warning.
    #[serde(rename = "tipoErroreAnomalia", default)]
    pub kind: String,
    /// ANPR's text.
    #[serde(rename = "testoErroreAnomalia", default)]
    pub text: String,
    /// The field, when ANPR names one.
    #[serde(rename = "campoErroreAnomalia", default)]
    pub field: Option<String>,
}
