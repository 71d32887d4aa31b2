//! The *verifica* services: ANPR checks what a citizen declared (personal
//! details, a death, being alive, a residence, a marriage, a citizenship,
//! a family, being free to marry, a widowhood, a father or mother, a civil
//! union, that an idANPR is theirs) and answers yes or no per datum, never
//! the data itself. A municipality uses them to check a self-declaration
//! (DPR 445/2000, art. 71) without reading more of the record than the
//! declaration holds.
//!
//! Where the services' blocks come from: C003's and C008's from their
//! specs; the others' from `TipoVerificaE002`, the `verifica` model that
//! ANPR's E002 specs share (its 2022 edition lists one block per datum:
//! `datiDecesso`, `matrimonio`, `cittadinanza`, `listaSoggetti`,
//! `vedovanza`, `paternita`, `maternita`, `unioneCivile`). C006's block is
//! the one Regione Emilia-Romagna's production client sends (public
//! repository `RegioneER/ScERPA`). No spec of C005, C009–C014 is published:
//! their blocks follow the shared model, and their path segments can be
//! changed with [`AnprConfig::segment`](crate::AnprConfig::segment).

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
    /// C005: the subject is married to `spouse`, since `on` when declared
    /// (`verifica.matrimonio`: `coniuge`, `datiMatrimonio.dataEvento`).
    Marriage {
        /// The declared spouse.
        spouse: Identity,
        /// The declared wedding day.
        on: Option<Date>,
    },
    /// C006: the subject is a citizen of this state (`verifica.cittadinanza`).
    Citizenship(DeclaredCitizenship),
    /// C009: the subject's family is these people, the subject included,
    /// each with their tie to the head of the family
    /// (`verifica.listaSoggetti.datiSoggetto`).
    Family(Vec<FamilyMember>),
    /// C010: the subject is free to marry (*stato libero*). No block: the
    /// question is the service itself.
    Unmarried,
    /// C011: the subject is widowed; the spouse's death day when declared
    /// (`verifica.vedovanza.datiMorteconiuge`).
    Widowed(Option<Date>),
    /// C012: the subject's father is this person (`verifica.paternita`).
    Father(Identity),
    /// C013: the subject's mother is this person (`verifica.maternita`).
    Mother(Identity),
    /// C014: the subject is in a civil union with `partner`, since `on`
    /// when declared (`verifica.unioneCivile`: `unitoCivilmente`,
    /// `attoUnione.dataEvento`).
    CivilUnion {
        /// The declared partner.
        partner: Identity,
        /// The declared day of the union.
        on: Option<Date>,
    },
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
            Self::Marriage { .. } => EService::C005VerificaMatrimonio,
            Self::Citizenship(_) => EService::C006VerificaCittadinanza,
            Self::Family(_) => EService::C009VerificaStatoFamiglia,
            Self::Unmarried => EService::C010VerificaStatoLibero,
            Self::Widowed(_) => EService::C011VerificaVedovanza,
            Self::Father(_) => EService::C012VerificaPaternita,
            Self::Mother(_) => EService::C013VerificaMaternita,
            Self::CivilUnion { .. } => EService::C014VerificaUnioneCivile,
        }
    }

    /// The request's `verifica` block (none for C007 and C010, whose
    /// question is the service itself, nor for C011 without a date).
    fn block(&self) -> Option<Value> {
        match self {
            Self::Details(identity) | Self::IdAnprOf(identity) => {
                Some(json!({ "generalita": identity.generalita() }))
            }
            Self::Death(date) => Some(json!({ "datiDecesso": event(*date) })),
            Self::Alive | Self::Unmarried | Self::Widowed(None) => None,
            Self::Residence(address) => {
                Some(json!({ "residenza": { "indirizzo": address.to_json() } }))
            }
            Self::Marriage { spouse, on } => Some(json!({
                "matrimonio": dated("coniuge", spouse.generalita(), "datiMatrimonio", *on),
            })),
            Self::Citizenship(citizenship) => Some(json!({ "cittadinanza": {
                "codiceStato": citizenship.code,
                "descrizioneStato": citizenship.state,
            } })),
            Self::Family(members) => {
                let members: Vec<Value> = members
                    .iter()
                    .map(|m| {
                        json!({
                            "generalita": m.identity.generalita(),
                            "legameSoggetto": { "codiceLegame": m.tie.code().to_string() },
                        })
                    })
                    .collect();
                Some(json!({ "listaSoggetti": { "datiSoggetto": members } }))
            }
            Self::Widowed(Some(day)) => {
                Some(json!({ "vedovanza": { "datiMorteconiuge": event(*day) } }))
            }
            Self::Father(parent) => {
                Some(json!({ "paternita": { "generalita": parent.generalita() } }))
            }
            Self::Mother(parent) => {
                Some(json!({ "maternita": { "generalita": parent.generalita() } }))
            }
            Self::CivilUnion { partner, on } => Some(json!({
                "unioneCivile": dated("unitoCivilmente", partner.generalita(), "attoUnione", *on),
            })),
        }
    }

    /// Refuses what no service would check: a family of nobody, a tie
    /// outside ANPR's table.
    fn check(&self) -> Result<(), InvalidInput> {
        let Self::Family(members) = self else {
            return Ok(());
        };
        if members.is_empty() {
            return Err(InvalidInput::new(
                "verifica.listaSoggetti.datiSoggetto",
                Rule("must name at least one member"),
            ));
        }
        if members.iter().any(|m| !(1..=99).contains(&m.tie.code())) {
            return Err(InvalidInput::new(
                "legameSoggetto.codiceLegame",
                Rule("ANPR's codes run from 1 to 99"),
            ));
        }
        Ok(())
    }
}

/// An event on a day (`TipoDatiEvento`).
fn event(day: Date) -> Value {
    json!({ "dataEvento": iso(day) })
}

/// `{key: value}`, and `{day_key: event}` when a day is declared (left out,
/// not `null`, when it is not).
fn dated(key: &str, value: Value, day_key: &str, day: Option<Date>) -> Value {
    let mut block = serde_json::Map::new();
    block.insert(key.to_owned(), value);
    if let Some(day) = day {
        block.insert(day_key.to_owned(), event(day));
    }
    Value::Object(block)
}

/// A declared citizenship, as ANPR codes it: the state's ISTAT code and
/// its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredCitizenship {
    code: String,
    state: String,
}

impl DeclaredCitizenship {
    /// Italian citizenship (ISTAT code `100`).
    #[must_use]
    pub fn italian() -> Self {
        Self {
            code: "100".into(),
            state: "ITALIA".into(),
        }
    }

    /// Another state's: its three-digit ISTAT code (`215`) and name
    /// (`FRANCIA`).
    ///
    /// # Errors
    /// A code that is not three digits, or an empty name.
    pub fn of_state(code: &str, state: &str) -> Result<Self, InvalidInput> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidInput::new(
                "cittadinanza.codiceStato",
                Rule("three digits (the state's ISTAT code)"),
            ));
        }
        Ok(Self {
            code: code.to_owned(),
            state: filled("cittadinanza.descrizioneStato", state)?,
        })
    }
}

/// A declared member of a family (C009).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyMember {
    identity: Identity,
    tie: Tie,
}

impl FamilyMember {
    /// `identity`, tied to the head of the family by `tie`.
    #[must_use]
    pub fn new(identity: Identity, tie: Tie) -> Self {
        Self { identity, tie }
    }
}

/// A tie to the head of a family, as ANPR codes it (`codiceLegame`, from
/// ANPR's table of family relations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tie {
    /// `1`: the head of the family (*intestatario scheda*).
    Head,
    /// `2`: husband or wife.
    Spouse,
    /// `3`: son or daughter.
    Child,
    /// `6`: father or mother.
    Parent,
    /// `9`: brother or sister.
    Sibling,
    /// `23`: a partner living together (*convivente*).
    Cohabitant,
    /// `28`: civil partner (*unito civilmente*).
    CivilPartner,
    /// Another code of ANPR's table (1–99).
    Other(u8),
}

impl Tie {
    /// ANPR's code.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Head => 1,
            Self::Spouse => 2,
            Self::Child => 3,
            Self::Parent => 6,
            Self::Sibling => 9,
            Self::Cohabitant => 23,
            Self::CivilPartner => 28,
            Self::Other(code) => code,
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
        declaration.check()?;
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
