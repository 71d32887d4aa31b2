//! The ANPR e-services on PDND and their addresses.

use std::fmt;

use crate::model::Subject;

/// An ANPR e-service. Every one exposes one operation,
/// `POST …/{segment}/v1/anpr-service-e002`, with the same envelope; they
/// differ in the use-case code (`casoUso`) and what comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EService {
    /// C001: notification of deeds (residence for notifications).
    C001Notifica,
    /// C002: institutional communications (residence, life status and the
    /// digital domicile).
    C002Comunicazione,
    /// C003: verifies the personal details a citizen declared (*verifica dichiarazione generalità*).
    C003VerificaGeneralita,
    /// C004: verifies a declared death.
    C004VerificaDecesso,
    /// C005: verifies a declared marriage (spouse, wedding day).
    C005VerificaMatrimonio,
    /// C006: verifies a declared citizenship.
    C006VerificaCittadinanza,
    /// C007: verifies a declaration of being alive.
    C007VerificaEsistenzaVita,
    /// C008: verifies a declared residence address.
    C008VerificaResidenza,
    /// C009: verifies a declared family (its members and their ties).
    C009VerificaStatoFamiglia,
    /// C010: verifies that the subject is free to marry (*stato libero*).
    C010VerificaStatoLibero,
    /// C011: verifies a declared widowhood.
    C011VerificaVedovanza,
    /// C012: verifies the declared father (*paternità*).
    C012VerificaPaternita,
    /// C013: verifies the declared mother (*maternità*).
    C013VerificaMaternita,
    /// C014: verifies a declared civil union.
    C014VerificaUnioneCivile,
    /// C015: personal details (*generalità*).
    C015Generalita,
    /// C016: the death datum (*accertamento dati decesso*).
    C016Decesso,
    /// C017: marriage.
    C017Matrimonio,
    /// C018: citizenship.
    C018Cittadinanza,
    /// C019: life status (*esistenza in vita*).
    C019EsistenzaVita,
    /// C020: residence.
    C020Residenza,
    /// C021: family status (*stato di famiglia*).
    C021StatoFamiglia,
    /// C024: the father (*accertamento paternità*).
    C024Paternita,
    /// C025: the mother (*accertamento maternità*).
    C025Maternita,
    /// C029: a subject's registry data (*dati anagrafici*).
    C029DatiAnagrafici,
    /// C030: codice fiscale (or personal details) → national unique id (idANPR).
    C030IdUnicoNazionale,
    /// C031: verifies that an idANPR belongs to the declared personal details.
    C031VerificaIdUnicoNazionale,
    /// C033: residence without the death datum (reserved to some consumers).
    C033ResidenzaSenzaDecesso,
}

impl EService {
    /// Every service this crate knows.
    pub const ALL: [Self; 27] = [
        Self::C001Notifica,
        Self::C002Comunicazione,
        Self::C003VerificaGeneralita,
        Self::C004VerificaDecesso,
        Self::C005VerificaMatrimonio,
        Self::C006VerificaCittadinanza,
        Self::C007VerificaEsistenzaVita,
        Self::C008VerificaResidenza,
        Self::C009VerificaStatoFamiglia,
        Self::C010VerificaStatoLibero,
        Self::C011VerificaVedovanza,
        Self::C012VerificaPaternita,
        Self::C013VerificaMaternita,
        Self::C014VerificaUnioneCivile,
        Self::C015Generalita,
        Self::C016Decesso,
        Self::C017Matrimonio,
        Self::C018Cittadinanza,
        Self::C019EsistenzaVita,
        Self::C020Residenza,
        Self::C021StatoFamiglia,
        Self::C024Paternita,
        Self::C025Maternita,
        Self::C029DatiAnagrafici,
        Self::C030IdUnicoNazionale,
        Self::C031VerificaIdUnicoNazionale,
        Self::C033ResidenzaSenzaDecesso,
    ];

    /// The use-case code, which must go in `datiRichiesta.casoUso`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::C001Notifica => "C001",
            Self::C002Comunicazione => "C002",
            Self::C003VerificaGeneralita => "C003",
            Self::C004VerificaDecesso => "C004",
            Self::C005VerificaMatrimonio => "C005",
            Self::C006VerificaCittadinanza => "C006",
            Self::C007VerificaEsistenzaVita => "C007",
            Self::C008VerificaResidenza => "C008",
            Self::C009VerificaStatoFamiglia => "C009",
            Self::C010VerificaStatoLibero => "C010",
            Self::C011VerificaVedovanza => "C011",
            Self::C012VerificaPaternita => "C012",
            Self::C013VerificaMaternita => "C013",
            Self::C014VerificaUnioneCivile => "C014",
            Self::C015Generalita => "C015",
            Self::C016Decesso => "C016",
            Self::C017Matrimonio => "C017",
            Self::C018Cittadinanza => "C018",
            Self::C019EsistenzaVita => "C019",
            Self::C020Residenza => "C020",
            Self::C021StatoFamiglia => "C021",
            Self::C024Paternita => "C024",
            Self::C025Maternita => "C025",
            Self::C029DatiAnagrafici => "C029",
            Self::C030IdUnicoNazionale => "C030",
            Self::C031VerificaIdUnicoNazionale => "C031",
            Self::C033ResidenzaSenzaDecesso => "C033",
        }
    }

    /// The service's path segment, in ASCII (the C001 spec's server URL has
    /// an en dash; the live service answers on the hyphen). Names come from
    /// the specs and PDND's catalogue: C002, C005, C006, C009, C010, C012,
    /// C014, C016, C024 and C025 as the catalogue lists them (the e-service names in the
    /// public `pagopa/pdnd-interop-frontend` repository's catalogue data),
    /// C011's and C013's by the same pattern, C017's as reported; none of
    /// these has a published spec. [`AnprConfig::segment`](crate::AnprConfig::segment)
    /// changes one.
    #[must_use]
    pub fn segment(self) -> &'static str {
        match self {
            Self::C001Notifica => "C001-servizioNotifica",
            Self::C002Comunicazione => "C002-servizioComunicazione",
            Self::C003VerificaGeneralita => "C003-servizioVerificaDichGeneralita",
            Self::C004VerificaDecesso => "C004-servizioVerificaDichDecesso",
            Self::C005VerificaMatrimonio => "C005-servizioVerificaDichStatoMatrimonio",
            Self::C006VerificaCittadinanza => "C006-servizioVerificaDichCittadinanza",
            Self::C007VerificaEsistenzaVita => "C007-servizioVerificaDichEsistenzaVita",
            Self::C008VerificaResidenza => "C008-servizioVerificaDichResidenza",
            Self::C009VerificaStatoFamiglia => "C009-servizioVerificaDichStatoFamiglia",
            Self::C010VerificaStatoLibero => "C010-servizioVerificaDichStatoLibero",
            Self::C011VerificaVedovanza => "C011-servizioVerificaDichVedovanza",
            Self::C012VerificaPaternita => "C012-servizioVerificaDichPaternita",
            Self::C013VerificaMaternita => "C013-servizioVerificaDichMaternita",
            Self::C014VerificaUnioneCivile => "C014-servizioVerificaDichUnioneCivile",
            Self::C015Generalita => "C015-servizioAccertamentoGeneralita",
            Self::C016Decesso => "C016-servizioAccertamentoDichDecesso",
            Self::C017Matrimonio => "C017-servizioAccertamentoMatrimonio",
            Self::C018Cittadinanza => "C018-servizioAccertamentoCittadinanza",
            Self::C019EsistenzaVita => "C019-servizioAccertamentoEsistenzaVita",
            Self::C020Residenza => "C020-servizioAccertamentoResidenza",
            Self::C021StatoFamiglia => "C021-servizioAccertamentoStatoFamiglia",
            Self::C024Paternita => "C024-servizioAccertamentoPaternita",
            Self::C025Maternita => "C025-servizioAccertamentoMaternita",
            Self::C029DatiAnagrafici => "C029-servizioAccertamentoDatiAnagrafici",
            Self::C030IdUnicoNazionale => "C030-servizioAccertamentoIdUnicoNazionale",
            Self::C031VerificaIdUnicoNazionale => "C031-servizioVerificaIdUnicoNazionale",
            Self::C033ResidenzaSenzaDecesso => "C033-servizioAccertamentoResidenzaSenzaDecesso",
        }
    }

    /// The service for a use-case code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the service's schema can look `subject` up: C030's has no
    /// `idANPR` (it is the service that finds it), and C031 verifies an
    /// idANPR, so it takes nothing else.
    #[must_use]
    pub fn accepts(self, subject: &Subject) -> bool {
        match (self, subject) {
            (Self::C030IdUnicoNazionale, Subject::IdAnpr(_)) => false,
            (Self::C031VerificaIdUnicoNazionale, subject) => matches!(subject, Subject::IdAnpr(_)),
            _ => true,
        }
    }

    /// Whether it verifies a declaration (a *verifica* service, which
    /// answers yes or no per datum) rather than returning data.
    #[must_use]
    pub fn verifies(self) -> bool {
        matches!(
            self,
            Self::C003VerificaGeneralita
                | Self::C004VerificaDecesso
                | Self::C005VerificaMatrimonio
                | Self::C006VerificaCittadinanza
                | Self::C007VerificaEsistenzaVita
                | Self::C008VerificaResidenza
                | Self::C009VerificaStatoFamiglia
                | Self::C010VerificaStatoLibero
                | Self::C011VerificaVedovanza
                | Self::C012VerificaPaternita
                | Self::C013VerificaMaternita
                | Self::C014VerificaUnioneCivile
                | Self::C031VerificaIdUnicoNazionale
        )
    }
}

impl fmt::Display for EService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment())
    }
}
