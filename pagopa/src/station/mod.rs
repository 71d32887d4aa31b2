//! A station for pagoPA's Nodo (`paForNode`, SOAP 1.1 document/literal):
//! the service the Nodo calls to verify a notice, activate its payment and
//! deliver the receipt, for creditors that answer the Nodo themselves (or
//! through their technology partner) rather than through GPD, and for
//! broadcast stations that receive the receipts of payments they did not
//! create.
//!
//! [`Station::handle`] takes the request's bytes and `SOAPAction` and gives
//! back the answer's bytes: any HTTP server can carry it; with the `axum`
//! feature, [`SoapReply`] is an axum response and [`axum_handler`] serves a
//! route. The creditor's debts stay in its own database behind [`Debts`].
//!
//! # What the station answers
//!
//! For `paVerifyPaymentNotice` and `paGetPayment[V2]`, from the [`Holding`]
//! the store gives (SANP's *Dominio EC* error table, and GPD's own
//! `checkDebtPositionStatus`), the first that applies:
//!
//! | the notice | fault |
//! |---|---|
//! | `idPA` (or the QR code's creditor) not served | `PAA_ID_DOMINIO_ERRATO` |
//! | `idBrokerPA` / `idStation` not this station's | `PAA_ID_INTERMEDIARIO_ERRATO` / `PAA_STAZIONE_INT_ERRATA` |
//! | unknown | `PAA_PAGAMENTO_SCONOSCIUTO` |
//! | position cancelled | `PAA_PAGAMENTO_ANNULLATO` |
//! | this option paid | `PAA_PAGAMENTO_DUPLICATO` |
//! | another option paid, unless both are instalments (single payment and instalments exclude each other) | `PAA_PAGAMENTO_SCONOSCIUTO` |
//! | a draft, or before its validity date | `PAA_PAGAMENTO_SCONOSCIUTO` |
//! | past the last due date of a position that expires | `PAA_PAGAMENTO_SCADUTO` |
//! | being collected through another channel | `PAA_PAGAMENTO_IN_CORSO` |
//! | the store failed | `PAA_SYSTEM_ERROR` |
//!
//! An activation is recorded with [`Debts::activated`] before the answer;
//! a new one for the same notice replaces it (one open activation per
//! notice: the Nodo voids the earlier attempt), and the notice stays
//! payable until a receipt arrives.
//!
//! A receipt (`paSendRT[V2]`) is stored by [`Debts::record_receipt`]
//! before the answer: the same receipt again is acknowledged and stored
//! once; another receipt for a paid notice is `PAA_RECEIPT_DUPLICATA`; a
//! receipt for a notice the creditor does not know, or of a notice another
//! creditor issued, is kept and acknowledged by a
//! [broadcast](StationConfig::broadcast) station (`PAA_PAGAMENTO_SCONOSCIUTO`
//! and `PAA_SEMANTICA` otherwise). When the store fails the answer
//! is `PAA_SYSTEM_ERROR`, and the Nodo sends the receipt again.
//!
//! # Security
//!
//! Requests are read with [`abilita_core::xml::parse`], the same rules as
//! SAML in abilita-spid: at most 512 KiB, no DTD (so no entities), bounded
//! depth, nodes, attributes and namespaces. A request that is not a SOAP
//! envelope carrying one paForNode request gets a SOAP `Fault`; one that
//! does not follow `paForNode.xsd` gets `PAA_SINTASSI_XSD`. Nothing a
//! request holds can make the station panic.
//!
//! The Nodo authenticates with mutual TLS (SANP, *Connettività*): the
//! station's server certificate comes from a public CA with the station's
//! host name, and the Nodo presents pagoPA's forwarder client certificate
//! (`forwarder.uat.platform.pagopa.it.pem` in UAT,
//! `forwarder.platform.pagopa.it.pem` in production, both published in
//! the `pagopa/pagopa-node-forwarder` repository, `certs/`). Terminate TLS
//! in front of the station and require that certificate there; where TLS
//! ends in the same process, pass the peer's certificate in
//! [`SoapRequest::peer_certificate`] and check it with
//! [`Station::with_peer_check`].
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use abilita_pagopa::CreditorCode;
//! use abilita_pagopa::station::{MemoryDebts, SoapRequest, Station, StationConfig};
//!
//! let creditor: CreditorCode = "77777777777".parse()?;
//! let config = StationConfig::new("77777777777", "77777777777_01", vec![creditor])?;
//! let station = Station::new(config, Arc::new(MemoryDebts::new()));
//! let body = br#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
//!     xmlns:paf="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body>
//!   <paf:paVerifyPaymentNoticeReq><idPA>77777777777</idPA><idBrokerPA>77777777777</idBrokerPA>
//!     <idStation>77777777777_01</idStation><qrCode><fiscalCode>77777777777</fiscalCode>
//!     <noticeNumber>302000100000019414</noticeNumber></qrCode></paf:paVerifyPaymentNoticeReq>
//! </soapenv:Body></soapenv:Envelope>"#;
//! let now = time::OffsetDateTime::now_utc();
//! # tokio_test_block_on(async {
//! let reply = station
//!     .handle(SoapRequest::new(body).soap_action(Some("paVerifyPaymentNotice")), now)
//!     .await;
//! assert_eq!(reply.status(), 200);
//! assert!(reply.body().contains("<faultCode>PAA_PAGAMENTO_SCONOSCIUTO</faultCode>"));
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod debts;
mod fault;
mod read;
mod receipt;
mod write;

use std::borrow::Cow;
use std::sync::Arc;

use roxmltree::{Document, Node};
use time::OffsetDateTime;

use abilita_core::{ErrorChain, InvalidInput, Rule};

pub use debts::{Activation, Debts, DebtsError, Demand, Holding, MemoryDebts, Recorded, Standing};
pub use fault::FaultCode;
pub use receipt::{Credited, MAX_RECEIPT_ID, Party, Psp, Receipt, ReceiptTransfer, ReceiptVersion};

use fault::Fault;
use read::{Children, amount, date, digits, syntax, text, text_ref};
use write::{Body, Payee, TransferType};

use crate::{CreditorCode, NoticeNumber};

/// The most characters of `idPA`, `idBrokerPA` and `idStation` (`stText35`).
const MAX_ID: usize = 35;

/// Who this station is: its broker, its id, the creditors it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationConfig {
    broker: String,
    station: String,
    creditors: Vec<CreditorCode>,
    broadcast: bool,
}

impl StationConfig {
    /// The station `station` (SANP's convention: `<broker>_NN`) of broker
    /// `broker` (its fiscal code), serving `creditors`. Not a broadcast
    /// station.
    ///
    /// # Errors
    /// An [`InvalidInput`] naming the rule: ids of 1 to 35 characters, at
    /// least one creditor.
    pub fn new(
        broker: &str,
        station: &str,
        creditors: Vec<CreditorCode>,
    ) -> Result<Self, InvalidInput> {
        for (field, value) in [("broker", broker), ("station", station)] {
            if value.is_empty() || value.chars().count() > MAX_ID {
                return Err(InvalidInput::new(
                    field,
                    Rule("idBrokerPA and idStation must be 1 to 35 characters (stText35)"),
                ));
            }
        }
        if creditors.is_empty() {
            return Err(InvalidInput::new(
                "creditors",
                Rule("a station serves at least one creditor"),
            ));
        }
        Ok(Self {
            broker: broker.to_owned(),
            station: station.to_owned(),
            creditors,
            broadcast: false,
        })
    }

    /// A broadcast station: pagoPA sends it the receipts of payments to its
    /// creditors made on notices other stations serve, so a receipt for an
    /// unknown notice is kept and acknowledged.
    #[must_use]
    pub fn broadcast(mut self) -> Self {
        self.broadcast = true;
        self
    }

    /// `idStation`.
    #[must_use]
    pub fn station(&self) -> &str {
        &self.station
    }
}

/// One request from the Nodo.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SoapRequest<'a> {
    /// The body.
    pub body: &'a [u8],
    /// The `SOAPAction` header, quotes and all, when sent.
    pub soap_action: Option<&'a str>,
    /// The DER of the client certificate, when TLS ends in this process.
    pub peer_certificate: Option<&'a [u8]>,
}

impl<'a> SoapRequest<'a> {
    /// A request with `body` and no headers.
    #[must_use]
    pub fn new(body: &'a [u8]) -> Self {
        Self {
            body,
            soap_action: None,
            peer_certificate: None,
        }
    }

    /// With the `SOAPAction` header.
    #[must_use]
    pub fn soap_action(mut self, action: Option<&'a str>) -> Self {
        self.soap_action = action;
        self
    }

    /// With the client's certificate (DER).
    #[must_use]
    pub fn peer_certificate(mut self, der: Option<&'a [u8]>) -> Self {
        self.peer_certificate = der;
        self
    }
}

/// The station's answer: the HTTP status and a `text/xml` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapReply {
    status: u16,
    body: String,
}

impl SoapReply {
    /// The `Content-Type` of every answer.
    pub const CONTENT_TYPE: &'static str = "text/xml; charset=utf-8";

    /// 200 for an answer (OK or KO), 500 for a SOAP fault (SOAP 1.1
    /// §6.2), 403 for a refused peer.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The SOAP envelope.
    #[must_use]
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The SOAP envelope, owned.
    #[must_use]
    pub fn into_body(self) -> String {
        self.body
    }
}

/// Decides whether a client certificate may speak for the Nodo.
pub trait PeerCheck: Send + Sync {
    /// Whether `certificate` (DER; `None` when the client sent none) is
    /// pagoPA's.
    fn allows(&self, certificate: Option<&[u8]>) -> bool;
}

impl<F: Fn(Option<&[u8]>) -> bool + Send + Sync> PeerCheck for F {
    fn allows(&self, certificate: Option<&[u8]>) -> bool {
        self(certificate)
    }
}

/// The station: see the [module docs](self) for what it answers.
pub struct Station {
    config: StationConfig,
    debts: Arc<dyn Debts>,
    peer_check: Option<Box<dyn PeerCheck>>,
}

impl std::fmt::Debug for Station {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Station")
            .field("config", &self.config)
            .field("peer_check", &self.peer_check.is_some())
            .finish_non_exhaustive()
    }
}

/// The six primitives, by their root elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Verify,
    Activate,
    ActivateV2,
    Receipt,
    ReceiptV2,
    Demand,
}

impl Operation {
    const ALL: [Self; 6] = [
        Self::Verify,
        Self::Activate,
        Self::ActivateV2,
        Self::Receipt,
        Self::ReceiptV2,
        Self::Demand,
    ];

    /// The `soapAction` of the WSDL.
    fn action(self) -> &'static str {
        match self {
            Self::Verify => "paVerifyPaymentNotice",
            Self::Activate => "paGetPayment",
            Self::ActivateV2 => "paGetPaymentV2",
            Self::Receipt => "paSendRT",
            Self::ReceiptV2 => "paSendRTV2",
            Self::Demand => "paDemandPaymentNotice",
        }
    }

    fn request(self) -> &'static str {
        match self {
            Self::Verify => "paVerifyPaymentNoticeReq",
            Self::Activate => "paGetPaymentReq",
            Self::ActivateV2 => "paGetPaymentV2Request",
            Self::Receipt => "paSendRTReq",
            Self::ReceiptV2 => "paSendRTV2Request",
            Self::Demand => "paDemandPaymentNoticeRequest",
        }
    }

    fn response(self) -> &'static str {
        match self {
            Self::Verify => "paVerifyPaymentNoticeRes",
            Self::Activate => "paGetPaymentRes",
            Self::ActivateV2 => "paGetPaymentV2Response",
            Self::Receipt => "paSendRTRes",
            Self::ReceiptV2 => "paSendRTV2Response",
            Self::Demand => "paDemandPaymentNoticeResponse",
        }
    }
}

/// `idPA`, `idBrokerPA`, `idStation`: the first three children of every
/// request.
struct Addressed<'a> {
    creditor: Cow<'a, str>,
    broker: Cow<'a, str>,
    station: Cow<'a, str>,
}

impl Station {
    /// A station over `debts`.
    #[must_use]
    pub fn new(config: StationConfig, debts: Arc<dyn Debts>) -> Self {
        Self {
            config,
            debts,
            peer_check: None,
        }
    }

    /// Refuses (403) any request whose client certificate `check` does not
    /// allow.
    #[must_use]
    pub fn with_peer_check(mut self, check: impl PeerCheck + 'static) -> Self {
        self.peer_check = Some(Box::new(check));
        self
    }

    /// Answers one request of the Nodo at `now`.
    pub async fn handle(&self, request: SoapRequest<'_>, now: OffsetDateTime) -> SoapReply {
        if let Some(check) = &self.peer_check
            && !check.allows(request.peer_certificate)
        {
            tracing::warn!(station = %self.config.station, "a client without pagoPA's certificate was refused");
            return SoapReply {
                status: 403,
                body: write::soap_fault("Client", "the client certificate is not pagoPA's"),
            };
        }
        let Ok(text) = std::str::from_utf8(request.body) else {
            return refused("the request is not UTF-8");
        };
        let document = match abilita_core::xml::parse(text) {
            Ok(document) => document,
            Err(error) => {
                tracing::warn!(error = %ErrorChain(&error), "a SOAP request was refused");
                return refused(&error.to_string());
            }
        };
        let (operation, element) = match operation_of(&document, request.soap_action) {
            Ok(found) => found,
            Err(reason) => return refused(reason),
        };
        let body = self.answer(operation, element, text, now).await;
        SoapReply { status: 200, body }
    }

    /// The answer, OK or KO, in its envelope.
    async fn answer(
        &self,
        operation: Operation,
        element: Node<'_, '_>,
        source: &str,
        now: OffsetDateTime,
    ) -> String {
        let mut fields = match Children::of(element, operation.request()) {
            Ok(fields) => fields,
            Err(fault) => return Body::fault(operation.response(), &fault, ""),
        };
        let addressed = match addressed(&mut fields) {
            Ok(addressed) => addressed,
            Err(fault) => return Body::fault(operation.response(), &fault, ""),
        };
        let result = match self.check_addressing(&addressed) {
            Err(fault) => Err(fault),
            Ok(creditor) => match operation {
                Operation::Verify => self.verify(fields, &creditor, now).await,
                Operation::Activate | Operation::ActivateV2 => {
                    self.activate(fields, &creditor, operation == Operation::ActivateV2, now)
                        .await
                }
                Operation::Receipt | Operation::ReceiptV2 => {
                    self.receipt(fields, &creditor, operation == Operation::ReceiptV2, source)
                        .await
                }
                Operation::Demand => self.demand(fields, &creditor).await,
            },
        };
        result.unwrap_or_else(|fault| {
            tracing::info!(
                operation = operation.action(),
                fault = fault.code.code(),
                description = %fault.description,
                "the station answered KO"
            );
            Body::fault(operation.response(), &fault, &addressed.creditor)
        })
    }

    /// The served creditor `idPA` names, once broker and station match.
    fn check_addressing(&self, addressed: &Addressed<'_>) -> Result<CreditorCode, Fault> {
        let creditor = CreditorCode::new(&addressed.creditor)
            .ok()
            .filter(|c| self.config.creditors.contains(c))
            .ok_or_else(|| {
                Fault::new(
                    FaultCode::WrongCreditor,
                    "idPA is not a creditor of this station",
                )
            })?;
        if addressed.broker != self.config.broker {
            return Err(Fault::new(
                FaultCode::WrongBroker,
                "idBrokerPA is not this station's broker",
            ));
        }
        if addressed.station != self.config.station {
            return Err(Fault::new(
                FaultCode::WrongStation,
                "idStation is not this station",
            ));
        }
        Ok(creditor)
    }

    async fn verify(
        &self,
        mut fields: Children<'_, '_>,
        creditor: &CreditorCode,
        now: OffsetDateTime,
    ) -> Result<String, Fault> {
        let notice = qr_code(&mut fields, creditor)?;
        fields.finish()?;
        let holding = self.payable(creditor, &notice, now).await?;
        let option = option_of(&holding, &notice)?;
        let root = Operation::Verify.response();
        let mut body = Body::open(root, true);
        write::payment_description(&mut body, &payee(&holding, creditor), option)?;
        Ok(body.close(root))
    }

    async fn activate(
        &self,
        mut fields: Children<'_, '_>,
        creditor: &CreditorCode,
        v2: bool,
        now: OffsetDateTime,
    ) -> Result<String, Fault> {
        let notice = qr_code(&mut fields, creditor)?;
        fields
            .optional("amount")?
            .map(|n| amount(n, false))
            .transpose()?;
        let payment_note = fields
            .optional("paymentNote")?
            .map(|n| text(n, 1, 210))
            .transpose()?;
        let transfer_type = match fields
            .optional("transferType")?
            .map(read::token)
            .transpose()?
            .as_deref()
        {
            None => None,
            Some("POSTAL") => Some(TransferType::Postal),
            Some("PAGOPA") => Some(TransferType::PagoPa),
            Some(_) => return Err(syntax("<transferType> must be POSTAL or PAGOPA")),
        };
        fields.optional("dueDate")?.map(date).transpose()?;
        fields.finish()?;
        let holding = self.payable(creditor, &notice, now).await?;
        let option = option_of(&holding, &notice)?;
        let root = if v2 {
            Operation::ActivateV2
        } else {
            Operation::Activate
        }
        .response();
        let mut body = Body::open(root, true);
        write::payment_data(
            &mut body,
            &payee(&holding, creditor),
            &holding.position.debtor,
            option,
            v2,
            transfer_type,
        )?;
        let activation = Activation {
            creditor: creditor.clone(),
            notice,
            at: now,
            payment_note,
        };
        self.debts
            .activated(&activation)
            .await
            .map_err(store_failed)?;
        Ok(body.close(root))
    }

    async fn receipt(
        &self,
        mut fields: Children<'_, '_>,
        creditor: &CreditorCode,
        v2: bool,
        source: &str,
    ) -> Result<String, Fault> {
        let version = if v2 {
            ReceiptVersion::V2
        } else {
            ReceiptVersion::V1
        };
        let receipt = receipt::read(fields.required("receipt")?, version, source)?;
        fields.finish()?;
        // A broadcast station is sent the receipts of notices another
        // creditor issued (idPA is this station's creditor, a beneficiary
        // of a transfer); any other station only its own creditor's.
        if receipt.creditor != *creditor && !self.config.broadcast {
            return Err(Fault::new(
                FaultCode::Semantics,
                "the receipt's fiscalCode is not idPA",
            ));
        }
        if receipt.creditor_reference != receipt.notice.iuv().as_str() {
            return Err(Fault::new(
                FaultCode::Semantics,
                "the receipt's creditorReferenceId is not its notice's IUV",
            ));
        }
        let transferred = receipt
            .transfers
            .iter()
            .try_fold(abilita_core::EuroCents::ZERO, |sum, t| {
                sum.checked_add(t.amount)
            });
        if transferred != Some(receipt.amount) {
            return Err(Fault::new(
                FaultCode::Semantics,
                "the receipt's paymentAmount is not the sum of its transfers",
            ));
        }
        let recorded = self
            .debts
            .record_receipt(&receipt)
            .await
            .map_err(store_failed)?;
        tracing::info!(
            notice = receipt.notice.as_str(),
            ?recorded,
            "a receipt arrived"
        );
        match recorded {
            Recorded::Paid | Recorded::Repeated => {}
            Recorded::Unknown if self.config.broadcast => {}
            Recorded::Unknown => {
                return Err(Fault::new(
                    FaultCode::UnknownPayment,
                    "no position of the creditor has this notice",
                ));
            }
            Recorded::OtherReceiptHeld => {
                return Err(Fault::new(
                    FaultCode::DuplicateReceipt,
                    "another receipt already paid this notice",
                ));
            }
        }
        let root = if v2 {
            Operation::ReceiptV2
        } else {
            Operation::Receipt
        }
        .response();
        Ok(Body::open(root, true).close(root))
    }

    async fn demand(
        &self,
        mut fields: Children<'_, '_>,
        creditor: &CreditorCode,
    ) -> Result<String, Fault> {
        let service = text(fields.required("idServizio")?, 5, 5)?;
        let service_subject = text(fields.required("idSoggettoServizio")?, 5, 5)?;
        let encoded = read::token(fields.required("datiSpecificiServizioRequest")?)?;
        fields.finish()?;
        let data = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            encoded.as_bytes(),
        )
        .map_err(|_| syntax("<datiSpecificiServizioRequest> must be base64"))?;
        let demand = Demand {
            creditor: creditor.clone(),
            service,
            service_subject,
            data,
        };
        let Some((notice, holding)) = self.debts.demand(&demand).await.map_err(store_failed)?
        else {
            return Err(Fault::new(
                FaultCode::Semantics,
                "the creditor does not offer this service for spontaneous payment",
            ));
        };
        let option = option_of(&holding, &notice)?;
        let root = Operation::Demand.response();
        let mut body = Body::open(root, true);
        write::qr_code(&mut body, creditor, &notice);
        write::payment_description(&mut body, &payee(&holding, creditor), option)?;
        Ok(body.close(root))
    }

    /// The holding of `notice` when the table of the module docs lets it
    /// be paid at `now`.
    async fn payable(
        &self,
        creditor: &CreditorCode,
        notice: &NoticeNumber,
        now: OffsetDateTime,
    ) -> Result<Arc<Holding>, Fault> {
        let holding = self
            .debts
            .holding(creditor, notice)
            .await
            .map_err(store_failed)?
            .ok_or_else(|| Fault::new(FaultCode::UnknownPayment, "no position has this notice"))?;
        decide(&holding, notice, now)?;
        Ok(holding)
    }
}

/// The rows of the module docs' table after addressing and lookup.
fn decide(holding: &Holding, notice: &NoticeNumber, now: OffsetDateTime) -> Result<(), Fault> {
    let fault = |code, description: &str| Err(Fault::new(code, description));
    let option = option_of(holding, notice)?;
    if holding.standing == Standing::Cancelled {
        return fault(
            FaultCode::CancelledPayment,
            "the creditor cancelled this position",
        );
    }
    if holding.is_paid(&option.iuv) {
        return fault(FaultCode::AlreadyPaid, "this notice is paid");
    }
    let alternative_paid = holding.position.payment_options.iter().any(|other| {
        other.iuv != option.iuv
            && holding.is_paid(&other.iuv)
            && !(other.is_partial_payment && option.is_partial_payment)
    });
    if alternative_paid {
        return fault(
            FaultCode::UnknownPayment,
            "another way to pay this position was used",
        );
    }
    if holding.standing == Standing::Draft {
        return fault(FaultCode::UnknownPayment, "the position is not issued yet");
    }
    if holding
        .position
        .validity_date
        .is_some_and(|from| now < from)
    {
        return fault(
            FaultCode::UnknownPayment,
            "the position is not payable before its validity date",
        );
    }
    let last_due = holding
        .position
        .payment_options
        .iter()
        .map(|o| o.due_date)
        .max();
    if holding.position.switch_to_expired && last_due.is_some_and(|due| now > due) {
        return fault(
            FaultCode::ExpiredPayment,
            "the position expired after its last due date",
        );
    }
    if holding.standing == Standing::InProgress {
        return fault(
            FaultCode::PaymentInProgress,
            "the creditor is collecting this position through another channel",
        );
    }
    Ok(())
}

fn option_of<'h>(
    holding: &'h Holding,
    notice: &NoticeNumber,
) -> Result<&'h crate::gpd::PaymentOption, Fault> {
    holding.option(notice).ok_or_else(|| {
        Fault::new(
            FaultCode::UnknownPayment,
            "the position has no option with this notice",
        )
    })
}

fn payee<'h>(holding: &'h Holding, creditor: &'h CreditorCode) -> Payee<'h> {
    Payee {
        creditor,
        company_name: &holding.position.company_name,
        office_name: holding.position.office_name.as_deref(),
    }
}

fn store_failed(error: DebtsError) -> Fault {
    tracing::error!(error = %ErrorChain(&error), "the creditor's debt store failed");
    Fault::new(
        FaultCode::SystemError,
        "the creditor's system failed; try again",
    )
}

/// The three ids every request opens with.
fn addressed<'a>(fields: &mut Children<'a, '_>) -> Result<Addressed<'a>, Fault> {
    Ok(Addressed {
        creditor: text_ref(fields.required("idPA")?, 1, MAX_ID)?,
        broker: text_ref(fields.required("idBrokerPA")?, 1, MAX_ID)?,
        station: text_ref(fields.required("idStation")?, 1, MAX_ID)?,
    })
}

/// `qrCode`, whose creditor must be `idPA`'s.
fn qr_code(fields: &mut Children<'_, '_>, creditor: &CreditorCode) -> Result<NoticeNumber, Fault> {
    let mut qr = Children::of(fields.required("qrCode")?, "qrCode")?;
    let fiscal_code = digits(qr.required("fiscalCode")?, 11)?;
    let notice = digits(qr.required("noticeNumber")?, 18)?;
    qr.finish()?;
    if fiscal_code != creditor.as_str() {
        return Err(Fault::new(
            FaultCode::WrongCreditor,
            "the QR code's fiscalCode is not idPA",
        ));
    }
    // Eighteen digits whose check digits are wrong were never issued here.
    NoticeNumber::new(&notice)
        .map_err(|_| Fault::new(FaultCode::UnknownPayment, "no notice has this number"))
}

/// The operation a document carries: a SOAP 1.1 `Envelope` whose `Body`
/// holds one paForNode request, agreeing with `SOAPAction` when sent.
fn operation_of<'a, 'input>(
    document: &'a Document<'input>,
    soap_action: Option<&str>,
) -> Result<(Operation, Node<'a, 'input>), &'static str> {
    let root = document.root_element();
    if !root.has_tag_name((write::SOAP_ENVELOPE, "Envelope")) {
        return Err("the request is not a SOAP 1.1 envelope");
    }
    let mut parts = root.children().filter(Node::is_element);
    let mut part = parts.next();
    if part.is_some_and(|p| p.has_tag_name((write::SOAP_ENVELOPE, "Header"))) {
        part = parts.next();
    }
    let body = part
        .filter(|p| p.has_tag_name((write::SOAP_ENVELOPE, "Body")))
        .ok_or("the envelope has no Body")?;
    if parts.next().is_some() {
        return Err("the envelope holds elements after its Body");
    }
    let mut requests = body.children().filter(Node::is_element);
    let element = requests.next().ok_or("the Body is empty")?;
    if requests.next().is_some() {
        return Err("the Body holds more than one request");
    }
    let operation = Operation::ALL
        .into_iter()
        .find(|op| element.has_tag_name((write::NAMESPACE, op.request())))
        .ok_or("the Body holds no paForNode request")?;
    if let Some(action) = soap_action {
        let action = action.trim().trim_matches('"');
        let named = action.rsplit('/').next().unwrap_or(action);
        if !action.is_empty() && named != operation.action() {
            return Err("SOAPAction names another operation than the Body");
        }
    }
    Ok((operation, element))
}

fn refused(reason: &str) -> SoapReply {
    SoapReply {
        status: 500,
        body: write::soap_fault("Client", reason),
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for SoapReply {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{StatusCode, header};
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(header::CONTENT_TYPE, Self::CONTENT_TYPE)],
            self.body,
        )
            .into_response()
    }
}

/// An axum handler for the station's route: `.route("/pa", post(axum_handler)).with_state(station)`.
/// Bodies over [`abilita_core::xml::MAX_XML_BYTES`] are refused by the
/// parser; bound the request body in the router as well.
#[cfg(feature = "axum")]
pub async fn axum_handler(
    axum::extract::State(station): axum::extract::State<Arc<Station>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> SoapReply {
    let action = headers
        .get("soapaction")
        .and_then(|value| value.to_str().ok());
    station
        .handle(
            SoapRequest::new(&body).soap_action(action),
            OffsetDateTime::now_utc(),
        )
        .await
}
