//! The *verifica* services: ANPR checks what a citizen declared (personal
//! details, a death, being alive, a residence, that an idANPR is theirs)
//! and answers yes or no per datum, never the data itself. A municipality
//! uses them to check a self-declaration (DPR 445/2000, art. 71) without
//! reading more of the record than the declaration holds.

use abilita_core::{Error, InvalidInput, Rule};
use serde_json::{Value, json};
use time::Date;

use crate::client::{AnprClient, Answer, Query};
use crate::error::AnprError;
use crate::model::{Identity, Subject, filled, iso, province_code};
use crate::service::EService;

/// What the citizen declared; each kind goes to its service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Declaration {
    /// C003: these are my personal details (`verifica.generalita`).
    Details(Identity),
    /// C031: this idANPR is that of a person with these details (the
    /// subject must be looked up by idANPR).
    IdAnprOf(Identity),
    /// C004: the subject died on this day (`verifica.datiDecesso`).
    Death(Date),
    /// C007: the subject is alive.
    Alive,
    /// C008: the subject lives at this address (`verifica.residenza`).
    Residence(DeclaredAddress),
}

impl Declaration {
    /// The service that verifies it.
    #[must_use]
    pub fn service(&self) -> EService {
        match self {
            Self::Details(_) => EService::C003VerificaGeneralita,
            Self::IdAnprOf(_) => EService::C031VerificaIdUnicoNazionale,
            Self::Death(_) => EService::C004VerificaDecesso,
            Self::Alive => EService::C007VerificaEsistenzaVita,
            Self::Residence(_) => EService::C008VerificaResidenza,
        }
    }

    /// The request's `verifica` block (none for C007, whose question is
    /// the service itself).
    fn block(&self) -> Option<Value> {
        match self {
            Self::Details(identity) | Self::IdAnprOf(identity) => {
                Some(json!({ "generalita": identity.generalita() }))
            }
            Self::Death(date) => Some(json!({ "datiDecesso": { "dataEvento": iso(*date) } })),
            Self::Alive => None,
            Self::Residence(address) => {
                Some(json!({ "residenza": { "indirizzo": address.to_json() } }))
            }
        }
    }
}

/// A residence address as a citizen declares it (C008's
/// `indirizzo {cap, comune, toponimo, numeroCivico}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredAddress {
    cap: String,
    comune: String,
    province: String,
    street_kind: String,
    street: String,
    number: String,
}

impl DeclaredAddress {
    /// `street_kind` `street` `number`, `cap` `comune` (`province`): `VIA`
    /// `AMERIGO VESPUCCI` `55`, `00174` `ROMA` (`RM`).
    ///
    /// # Errors
    /// A CAP that is not five digits, a province that is not two letters,
    /// or an empty text.
    pub fn new(
        street_kind: &str,
        street: &str,
        number: &str,
        cap: &str,
        comune: &str,
        province: &str,
    ) -> Result<Self, InvalidInput> {
        if cap.len() != 5 || !cap.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidInput::new("indirizzo.cap", Rule("five digits")));
        }
        Ok(Self {
            cap: cap.to_owned(),
            comune: filled("indirizzo.comune.nomeComune", comune)?,
            province: province_code("indirizzo.comune.siglaProvinciaIstat", province)?,
            street_kind: filled("indirizzo.toponimo.specie", street_kind)?,
            street: filled("indirizzo.toponimo.denominazioneToponimo", street)?,
            number: filled("indirizzo.numeroCivico.numero", number)?,
        })
    }

    fn to_json(&self) -> Value {
        json!({
            "cap": self.cap,
            "comune": { "nomeComune": self.comune, "siglaProvinciaIstat": self.province },
            "toponimo": { "specie": self.street_kind, "denominazioneToponimo": self.street },
            "numeroCivico": { "numero": self.number },
        })
    }
}

/// ANPR's answer on one datum (`infoSoggettoEnte[].valore`,
/// `TipoInfoValore`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// `S`: the record agrees.
    Confirmed,
    /// `N`: the record disagrees.
    Denied,
    /// `A`: the record has no such datum to compare.
    Absent,
    /// A value the spec does not list.
    Other(String),
}

/// One checked datum.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Check {
    /// ANPR's id of the datum.
    pub id: Option<String>,
    /// Its label (`chiave`).
    pub key: Option<String>,
    /// The answer.
    pub verdict: Verdict,
}

/// ANPR's answer to a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verification {
    /// One entry per datum ANPR checked.
    pub checks: Vec<Check>,
}

impl Verification {
    /// Whether ANPR confirmed every datum (and checked at least one).
    #[must_use]
    pub fn confirmed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.verdict == Verdict::Confirmed)
    }
}

impl AnprClient {
    /// Verifies `declaration` about `subject` with its *verifica* service.
    ///
    /// # Errors
    /// As [`AnprClient::consult`]; [`Error::InvalidInput`] for a C031
    /// declaration about a subject not looked up by idANPR.
    pub async fn verify(
        &self,
        subject: &Subject,
        declaration: &Declaration,
        query: &Query,
    ) -> Result<Answer<Verification>, Error<AnprError>> {
        let block = declaration.block();
        let response = self
            .send(declaration.service(), subject, block.as_ref(), query)
            .await?;
        let checks = response
            .subjects()
            .iter()
            .flat_map(|s| s.info_soggetto_ente.iter())
            .map(|info| Check {
                id: info.id.clone(),
                key: info.chiave.clone(),
                verdict: match info.valore.as_deref() {
                    Some("S") => Verdict::Confirmed,
                    Some("N") => Verdict::Denied,
                    Some("A") => Verdict::Absent,
                    other => Verdict::Other(other.unwrap_or_default().to_owned()),
                },
            })
            .collect();
        Ok(Answer {
            value: Verification { checks },
            id_operazione_anpr: response.id_operazione_anpr,
            warnings: response.lista_anomalie,
        })
    }
}
