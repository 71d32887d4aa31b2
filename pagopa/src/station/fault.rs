//! The creditor's fault codes towards the Nodo, with their official strings
//! (docs.pagopa.it, "Gestione degli errori", *Dominio EC*).

/// A fault the station answers the Nodo with (`outcome` KO, `fault`
/// `ctFaultBean`). The Nodo relays it to the PSP as
/// `PPT_ERRORE_EMESSO_DA_PAA`, with this code as `originalFaultCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaultCode {
    /// `PAA_PAGAMENTO_SCONOSCIUTO`: no such notice, not payable yet (a
    /// draft, a validity date ahead), or an alternative option is paid.
    UnknownPayment,
    /// `PAA_PAGAMENTO_SCADUTO`: past its last due date, and the position
    /// expires.
    ExpiredPayment,
    /// `PAA_PAGAMENTO_ANNULLATO`: the creditor cancelled the position.
    CancelledPayment,
    /// `PAA_PAGAMENTO_DUPLICATO`: this notice is already paid.
    AlreadyPaid,
    /// `PAA_PAGAMENTO_IN_CORSO`: the creditor is collecting it through
    /// another channel right now.
    PaymentInProgress,
    /// `PAA_ID_DOMINIO_ERRATO`: `idPA` is not a creditor of this station.
    WrongCreditor,
    /// `PAA_ID_INTERMEDIARIO_ERRATO`: `idBrokerPA` is not this station's
    /// broker.
    WrongBroker,
    /// `PAA_STAZIONE_INT_ERRATA`: `idStation` is not this station.
    WrongStation,
    /// `PAA_SINTASSI_XSD`: the request does not follow `paForNode.xsd`.
    Syntax,
    /// `PAA_SEMANTICA`: well-formed, but not acceptable (a receipt whose
    /// transfers do not add up, a service the creditor does not offer).
    Semantics,
    /// `PAA_SYSTEM_ERROR`: the creditor's side failed; the Nodo retries a
    /// receipt answered so.
    SystemError,
    /// `PAA_RECEIPT_DUPLICATA`: a receipt arrived for a notice already paid
    /// by another receipt (the same receipt again is acknowledged instead).
    DuplicateReceipt,
}

impl FaultCode {
    /// The `faultCode`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::UnknownPayment => "PAA_PAGAMENTO_SCONOSCIUTO",
            Self::ExpiredPayment => "PAA_PAGAMENTO_SCADUTO",
            Self::CancelledPayment => "PAA_PAGAMENTO_ANNULLATO",
            Self::AlreadyPaid => "PAA_PAGAMENTO_DUPLICATO",
            Self::PaymentInProgress => "PAA_PAGAMENTO_IN_CORSO",
            Self::WrongCreditor => "PAA_ID_DOMINIO_ERRATO",
            Self::WrongBroker => "PAA_ID_INTERMEDIARIO_ERRATO",
            Self::WrongStation => "PAA_STAZIONE_INT_ERRATA",
            Self::Syntax => "PAA_SINTASSI_XSD",
            Self::Semantics => "PAA_SEMANTICA",
            Self::SystemError => "PAA_SYSTEM_ERROR",
            Self::DuplicateReceipt => "PAA_RECEIPT_DUPLICATA",
        }
    }

    /// The official `faultString`.
    #[must_use]
    pub fn fault_string(self) -> &'static str {
        match self {
            Self::UnknownPayment => "Pagamento in attesa risulta sconosciuto all’Ente Creditore",
            Self::ExpiredPayment => "Pagamento in attesa risulta scaduto all’Ente Creditore",
            Self::CancelledPayment => "Pagamento in attesa risulta annullato all’Ente Creditore",
            Self::AlreadyPaid => "Pagamento in attesa risulta concluso all’Ente Creditore",
            Self::PaymentInProgress => "Pagamento in attesa risulta in corso all’Ente Creditore",
            Self::WrongCreditor => "La PAA non corrisponde al Dominio indicato",
            Self::WrongBroker => "Identificativo intermediario non corrispondente",
            Self::WrongStation => "Stazione intermediario non corrispondente",
            Self::Syntax => "Errore di sintassi XSD",
            Self::Semantics => "Errore semantico",
            Self::SystemError => "Errore generico",
            Self::DuplicateReceipt => "La Receipt è già stata accettata",
        }
    }
}

/// A fault with the station's own description of it (`description`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fault {
    pub(super) code: FaultCode,
    pub(super) description: String,
}

impl Fault {
    pub(super) fn new(code: FaultCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
}
