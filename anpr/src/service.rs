//! The ANPR e-services on PDND and their addresses.

use std::fmt;

/// An ANPR e-service. Every one exposes one operation,
/// `POST …/{segment}/v1/anpr-service-e002`, with the same envelope; they
/// differ in the use-case code (`casoUso`) and what comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EService {
    /// C001: notification of deeds (residence for notifications).
    C001Notifica,
    /// C015: personal details (*generalità*).
    C015Generalita,
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
    /// C030: codice fiscale → national unique id (idANPR).
    C030IdUnicoNazionale,
}

impl EService {
    /// Every service this crate knows.
    pub const ALL: [Self; 8] = [
        Self::C001Notifica,
        Self::C015Generalita,
        Self::C017Matrimonio,
        Self::C018Cittadinanza,
        Self::C019EsistenzaVita,
        Self::C020Residenza,
        Self::C021StatoFamiglia,
        Self::C030IdUnicoNazionale,
    ];

    /// The use-case code, which must go in `datiRichiesta.casoUso`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::C001Notifica => "C001",
            Self::C015Generalita => "C015",
            Self::C017Matrimonio => "C017",
            Self::C018Cittadinanza => "C018",
            Self::C019EsistenzaVita => "C019",
            Self::C020Residenza => "C020",
            Self::C021StatoFamiglia => "C021",
            Self::C030IdUnicoNazionale => "C030",
        }
    }

    /// The service's path segment, in ASCII (the C001 spec's server URL has
    /// an en dash; the live service answers on the hyphen). C017's name is
    /// reported, not confirmed by a spec.
    #[must_use]
    pub fn segment(self) -> &'static str {
        match self {
            Self::C001Notifica => "C001-servizioNotifica",
            Self::C015Generalita => "C015-servizioAccertamentoGeneralita",
            Self::C017Matrimonio => "C017-servizioAccertamentoMatrimonio",
            Self::C018Cittadinanza => "C018-servizioAccertamentoCittadinanza",
            Self::C019EsistenzaVita => "C019-servizioAccertamentoEsistenzaVita",
            Self::C020Residenza => "C020-servizioAccertamentoResidenza",
            Self::C021StatoFamiglia => "C021-servizioAccertamentoStatoFamiglia",
            Self::C030IdUnicoNazionale => "C030-servizioAccertamentoIdUnicoNazionale",
        }
    }

    /// The service for a use-case code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

impl fmt::Display for EService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment())
    }
}
