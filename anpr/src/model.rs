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
}

impl From<&Subject> for SearchCriteria {
    fn from(subject: &Subject) -> Self {
        match subject {
            Subject::CodiceFiscale(cf) => Self {
                codice_fiscale: Some(cf.as_str().to_owned()),
                id_anpr: None,
            },
            Subject::IdAnpr(id) => Self {
                codice_fiscale: None,
                id_anpr: Some(id.clone()),
            },
        }
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
    serializer.collect_str(&format_args!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
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

/// `residenza`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Residence {
    /// Table 25: `1` residence, `2` habitual abode, `3` elected domicile, `4` abroad.
    #[serde(default)]
    pub tipo_indirizzo: Option<String>,
    /// The address.
    #[serde(default)]
    pub indirizzo: Option<Address>,
    /// Since when.
    #[serde(default)]
    pub data_decorrenza_residenza: Option<String>,
}

/// `indirizzo`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Address {
    /// Postcode.
    #[serde(default)]
    pub cap: Option<String>,
    /// Municipality.
    #[serde(default)]
    pub comune: Option<Municipality>,
    /// Street.
    #[serde(default)]
    pub toponimo: Option<Street>,
    /// House number.
    #[serde(default)]
    pub numero_civico: Option<Value>,
}

/// `comune`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Municipality {
    /// Name.
    #[serde(default)]
    pub nome_comune: Option<String>,
    /// ISTAT code.
    #[serde(default)]
    pub codice_istat: Option<String>,
    /// Province.
    #[serde(default)]
    pub sigla_provincia_istat: Option<String>,
}

/// `toponimo`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Street {
    /// `VIA`, `PIAZZA`…
    #[serde(default)]
    pub specie: Option<String>,
    /// The name.
    #[serde(default)]
    pub denominazione_toponimo: Option<String>,
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
