//! pagoPA's Nodo dei Pagamenti towards a creditor's station: what a PSP
//! payment makes the Nodo send (`paVerifyPaymentNotice`, then
//! `paGetPaymentV2` and `paSendRTV2`, or `paGetPayment` and `paSendRT` to a
//! station on the first primitive version), with the Nodo's timeouts and
//! its retries of receipts.
//!
//! Written from `paForNode.wsdl`/`.xsd` and SANP's behaviour notes, not from
//! abilita-pagopa's station: requests are written and answers read here,
//! with roxmltree.
//!
//! - Timeouts (SANP, *Livelli di servizio EC*): 7 s for verify and
//!   activate, 15 s for a receipt ([`NodoSimulator::with_timeouts`]).
//! - A receipt the station did not acknowledge (a timeout, an error, a KO)
//!   goes to the retry queue and is sent again, up to
//!   [`DEFAULT_RECEIPT_ATTEMPTS`] times in all (the real Nodo's count is a
//!   platform setting).
//! - [`Twist`]s inject what the Nodo does on a bad day: the same receipt
//!   twice, an answer lost after the station stored the receipt, an
//!   activation replaced by a new one.
//!
//! From the `abilita-mock` program (`--nodo-port`, default 18086), a
//! pipeline in any language asks for a payment:
//!
//! ```text
//! POST /__control/nodo/pay
//! {"station_url": "http://127.0.0.1:8080/pa", "creditor": "77777777777",
//!  "notice": "302000100000019414", "broker": "77777777777",
//!  "station": "77777777777_01", "twist": "lost_receipt_answer"}
//! ```
//!
//! `twist` is optional (`none`, `receipt_twice`, `lost_receipt_answer`,
//! `activation_replaced`), and so is `version` (the station's primitives,
//! 1 or 2; 2 by default). The answer is 200 `{"receipt_id",
//! "amount_cents", "receipt_attempts"}`; 422 `{"error", "operation",
//! "fault_code"}` when the station refused a step; 502 `{"error"}` when it
//! did not answer or answered off the schema; 400 for a request the
//! control API cannot read; 429 beyond [`MAX_PAYMENTS_IN_FLIGHT`]
//! payments at once, so the program's memory stays bounded. Whoever
//! reaches the port makes the program call the URL they name: keep it on
//! loopback (the default host), as every control API of the program.
//!
//! ```no_run
//! use abilita_mock::nodo::{NodoSimulator, StationIds, Twist};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let nodo = NodoSimulator::new(
//!     "http://127.0.0.1:8080/pa".parse()?,
//!     StationIds::new("77777777777", "77777777777_01"),
//! );
//! let paid = nodo.pay("77777777777", "302000100000019414", Twist::None).await?;
//! println!("paid {} cents, receipt {}", paid.amount_cents, paid.receipt_id);
//! # Ok(()) }
//! ```

use std::fmt::Write as _;
use std::time::Duration;

use abilita_core::EuroCents;
use abilita_core::xml::write::escape;
use roxmltree::{Document, Node};

/// How many times a receipt is sent at most, the first included.
pub const DEFAULT_RECEIPT_ATTEMPTS: u32 = 5;
/// The Nodo's wait for `paVerifyPaymentNotice` and `paGetPayment[V2]`.
pub const VERIFY_TIMEOUT: Duration = Duration::from_secs(7);
/// The Nodo's wait for `paSendRT[V2]`.
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(15);

/// How many payments the control API runs at once; more get 429.
pub const MAX_PAYMENTS_IN_FLIGHT: usize = 64;

/// The largest answer read from a station. Its answers are a few KiB; the
/// 1 MiB a Nodo request may carry is ample.
const MAX_ANSWER_BYTES: usize = 1 << 20;
/// The control API's path.
pub const PAY_PATH: &str = "/__control/nodo/pay";

const PAF: &str = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";
const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The PSP and channel of the simulated payments (GPD's test PSP).
const PSP: &str = "60000000001";
const CHANNEL: &str = "60000000001_01";

/// The broker and station the Nodo addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationIds {
    broker: String,
    station: String,
}

impl StationIds {
    /// `idBrokerPA` and `idStation`.
    #[must_use]
    pub fn new(broker: &str, station: &str) -> Self {
        Self {
            broker: broker.to_owned(),
            station: station.to_owned(),
        }
    }
}

/// The primitives a station is configured for in pagoPA's back office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Primitives {
    /// `paGetPayment` and `paSendRT`.
    V1,
    /// `paGetPaymentV2` and `paSendRTV2` (the default).
    V2,
}

impl Primitives {
    /// The activation's action, request root and answer root.
    fn activation(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::V1 => ("paGetPayment", "paGetPaymentReq", "paGetPaymentRes"),
            Self::V2 => (
                "paGetPaymentV2",
                "paGetPaymentV2Request",
                "paGetPaymentV2Response",
            ),
        }
    }

    /// The receipt's action, request root and answer root.
    fn receipt(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::V1 => ("paSendRT", "paSendRTReq", "paSendRTRes"),
            Self::V2 => ("paSendRTV2", "paSendRTV2Request", "paSendRTV2Response"),
        }
    }
}

/// A departure from the plain verify → activate → receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Twist {
    /// Nothing unusual.
    None,
    /// The receipt is sent again after the station acknowledged it.
    ReceiptTwice,
    /// The station's answer to the receipt is lost (as after a timeout):
    /// the Nodo sends the receipt again.
    LostReceiptAnswer,
    /// The PSP activates the notice twice; the first attempt is void.
    ActivationReplaced,
}

/// A payment the station took, receipt delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Paid {
    /// The payment token sent as `receiptId`.
    pub receipt_id: String,
    /// What was paid, in cents.
    pub amount_cents: u64,
    /// How many times the receipt was sent.
    pub receipt_attempts: u32,
}

/// Why a payment did not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodoError {
    /// The station answered KO with this `faultCode` to `operation`.
    #[error("the station answered {operation} with {fault_code}")]
    Refused {
        /// `paVerifyPaymentNotice`, `paGetPayment[V2]` or `paSendRT[V2]`.
        operation: &'static str,
        /// The station's `faultCode`.
        fault_code: String,
    },
    /// The station did not answer within the Nodo's timeout, or could not
    /// be reached (`PPT_STAZIONE_INT_PA_TIMEOUT`,
    /// `PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE`).
    #[error("the station did not answer {operation}")]
    Unreachable {
        /// The operation.
        operation: &'static str,
    },
    /// The answer was no paForNode answer (`PPT_STAZIONE_INT_PA_ERRORE_RESPONSE`).
    #[error("the station's answer to {operation} is not valid: {reason}")]
    BadAnswer {
        /// The operation.
        operation: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// Every attempt to deliver the receipt failed; the payment was made,
    /// and support must restart the delivery.
    #[error("the receipt was not delivered after {attempts} attempts")]
    ReceiptNotDelivered {
        /// The attempts made.
        attempts: u32,
    },
}

/// The Nodo, towards one station.
#[derive(Debug, Clone)]
pub struct NodoSimulator {
    http: reqwest::Client,
    url: url::Url,
    ids: StationIds,
    verify_timeout: Duration,
    receipt_timeout: Duration,
    receipt_attempts: u32,
    retry_delay: Duration,
    primitives: Primitives,
}

/// What the activation answered, as the receipt repeats it.
struct PaymentData {
    iuv: String,
    /// `paymentAmount` as the station wrote it, for the receipt.
    amount: String,
    /// The same amount, read.
    amount_cents: u64,
    description: String,
    company_name: String,
    debtor: String,
    transfers: String,
}

impl NodoSimulator {
    /// The Nodo calling the station at `url`, with the real timeouts.
    #[must_use]
    pub fn new(url: url::Url, ids: StationIds) -> Self {
        Self {
            http: reqwest::Client::new(),
            url,
            ids,
            verify_timeout: VERIFY_TIMEOUT,
            receipt_timeout: RECEIPT_TIMEOUT,
            receipt_attempts: DEFAULT_RECEIPT_ATTEMPTS,
            retry_delay: Duration::from_millis(10),
            primitives: Primitives::V2,
        }
    }

    /// Calls a station configured for `primitives`.
    #[must_use]
    pub fn with_primitives(mut self, primitives: Primitives) -> Self {
        self.primitives = primitives;
        self
    }

    /// Other waits for verify/activate and for receipts.
    #[must_use]
    pub fn with_timeouts(mut self, verify: Duration, receipt: Duration) -> Self {
        self.verify_timeout = verify;
        self.receipt_timeout = receipt;
        self
    }

    /// At most `attempts` sends of a receipt (at least one), `delay` apart.
    #[must_use]
    pub fn with_receipt_retries(mut self, attempts: u32, delay: Duration) -> Self {
        self.receipt_attempts = attempts.max(1);
        self.retry_delay = delay;
        self
    }

    /// A PSP pays notice `notice` of creditor `creditor`: verify, activate
    /// (twice with [`Twist::ActivationReplaced`]), then the receipt until
    /// the station acknowledges it.
    ///
    /// # Errors
    /// A [`NodoError`]: the station refused or did not answer a step, or
    /// never acknowledged the receipt.
    pub async fn pay(&self, creditor: &str, notice: &str, twist: Twist) -> Result<Paid, NodoError> {
        let qr = format!(
            "<qrCode><fiscalCode>{}</fiscalCode><noticeNumber>{}</noticeNumber></qrCode>",
            escape(creditor),
            escape(notice)
        );
        let ids = self.ids(creditor);
        let verify =
            format!("<paf:paVerifyPaymentNoticeReq>{ids}{qr}</paf:paVerifyPaymentNoticeReq>");
        let answer = self
            .call("paVerifyPaymentNotice", &verify, self.verify_timeout)
            .await?;
        let (amount, company_name) = answer_of(
            &answer,
            "paVerifyPaymentNotice",
            "paVerifyPaymentNoticeRes",
            |root| Ok((field(root, "amount")?, field(root, "companyName")?)),
        )?;
        let (action, request, response) = self.primitives.activation();
        let activate = format!("<paf:{request}>{ids}{qr}<amount>{amount}</amount></paf:{request}>");
        let activations = if twist == Twist::ActivationReplaced {
            2
        } else {
            1
        };
        let mut data = None;
        for _ in 0..activations {
            let answer = self.call(action, &activate, self.verify_timeout).await?;
            data = Some(answer_of(&answer, action, response, |root| {
                payment_data(root, &company_name)
            })?);
        }
        let data = data.ok_or(NodoError::BadAnswer {
            operation: action,
            reason: "no activation".into(),
        })?;
        let receipt_id = format!("{:032x}", fastrand::u128(..));
        let receipt = self.receipt(creditor, notice, &receipt_id, &data);
        let mut attempts = 0;
        if twist == Twist::LostReceiptAnswer {
            attempts += 1;
            // Sent, and whatever came back never reached the Nodo.
            let (action, _, _) = self.primitives.receipt();
            let _lost = self.call(action, &receipt, self.receipt_timeout).await;
        }
        attempts += self.deliver(&receipt, attempts).await?;
        if twist == Twist::ReceiptTwice {
            attempts += self.deliver(&receipt, attempts).await?;
        }
        Ok(Paid {
            receipt_id,
            amount_cents: data.amount_cents,
            receipt_attempts: attempts,
        })
    }

    /// Sends `receipt` until acknowledged; the attempts it took.
    async fn deliver(&self, receipt: &str, already: u32) -> Result<u32, NodoError> {
        let (action, _, response) = self.primitives.receipt();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let acknowledged = match self.call(action, receipt, self.receipt_timeout).await {
                Ok(answer) => answer_of(&answer, action, response, |_| Ok(())).is_ok(),
                Err(_) => false,
            };
            if acknowledged {
                return Ok(attempts);
            }
            if already + attempts >= self.receipt_attempts {
                return Err(NodoError::ReceiptNotDelivered {
                    attempts: already + attempts,
                });
            }
            tokio::time::sleep(self.retry_delay).await;
        }
    }

    fn ids(&self, creditor: &str) -> String {
        format!(
            "<idPA>{}</idPA><idBrokerPA>{}</idBrokerPA><idStation>{}</idStation>",
            escape(creditor),
            escape(&self.ids.broker),
            escape(&self.ids.station)
        )
    }

    /// A `paSendRTV2Request` (or `paSendRTReq`) repeating the activation's
    /// data.
    fn receipt(
        &self,
        creditor: &str,
        notice: &str,
        receipt_id: &str,
        data: &PaymentData,
    ) -> String {
        let (_, root, _) = self.primitives.receipt();
        let mut out = format!("<paf:{root}>{}<receipt>", self.ids(creditor));
        let _ = write!(
            out,
            "<receiptId>{receipt_id}</receiptId><noticeNumber>{}</noticeNumber><fiscalCode>{}</fiscalCode><outcome>OK</outcome><creditorReferenceId>{}</creditorReferenceId><paymentAmount>{}</paymentAmount><description>{}</description><companyName>{}</companyName>{}<transferList>{}</transferList><idPSP>{PSP}</idPSP><PSPCompanyName>PSP simulato</PSPCompanyName><idChannel>{CHANNEL}</idChannel><channelDescription>app</channelDescription><paymentMethod>creditCard</paymentMethod><fee>1.00</fee><paymentDateTime>{}</paymentDateTime><applicationDate>{}</applicationDate><transferDate>{}</transferDate>",
            escape(notice),
            escape(creditor),
            escape(&data.iuv),
            escape(&data.amount),
            escape(&data.description),
            escape(&data.company_name),
            data.debtor,
            data.transfers,
            now_local(),
            today(),
            today(),
        );
        let _ = write!(out, "</receipt></paf:{root}>");
        out
    }

    /// One SOAP call; the answer's text.
    async fn call(
        &self,
        action: &'static str,
        body: &str,
        timeout: Duration,
    ) -> Result<String, NodoError> {
        let envelope = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:paf="{PAF}"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
        );
        let unreachable = |_| NodoError::Unreachable { operation: action };
        let response = self
            .http
            .post(self.url.clone())
            .header("content-type", "text/xml; charset=utf-8")
            .header("soapaction", format!("\"{action}\""))
            .timeout(timeout)
            .body(envelope)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let text = read_capped(response, action).await?;
        if !status.is_success() {
            return Err(NodoError::BadAnswer {
                operation: action,
                reason: format!("HTTP {status}"),
            });
        }
        Ok(text)
    }
}

/// The body of a station's answer, refused past [`MAX_ANSWER_BYTES`]: a
/// station under test must not make the simulator buffer without end.
async fn read_capped(
    mut response: reqwest::Response,
    operation: &'static str,
) -> Result<String, NodoError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| NodoError::Unreachable { operation })?
    {
        if body.len().saturating_add(chunk.len()) > MAX_ANSWER_BYTES {
            return Err(NodoError::BadAnswer {
                operation,
                reason: format!("the answer is over {MAX_ANSWER_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| NodoError::BadAnswer {
        operation,
        reason: "the answer is not UTF-8".into(),
    })
}

/// Reads the answer element `root` of an envelope: OK gives `read(root)`,
/// KO the station's fault.
fn answer_of<T>(
    text: &str,
    operation: &'static str,
    root: &str,
    read: impl FnOnce(Node<'_, '_>) -> Result<T, String>,
) -> Result<T, NodoError> {
    let bad = |reason: String| NodoError::BadAnswer { operation, reason };
    let document = Document::parse(text).map_err(|e| bad(e.to_string()))?;
    let answer = document
        .descendants()
        .find(|n| n.has_tag_name((SOAP, "Body")))
        .and_then(|body| body.children().find(Node::is_element))
        .filter(|n| n.has_tag_name((PAF, root)))
        .ok_or_else(|| bad(format!("no {root} in the Body")))?;
    match field(answer, "outcome").map_err(bad)?.as_str() {
        "OK" => read(answer).map_err(bad),
        "KO" => {
            let fault = answer
                .children()
                .find(|n| n.has_tag_name("fault"))
                .ok_or_else(|| bad("KO without a fault".into()))?;
            Err(NodoError::Refused {
                operation,
                fault_code: field(fault, "faultCode").map_err(bad)?,
            })
        }
        other => Err(bad(format!("outcome {other}"))),
    }
}

/// The text of the unqualified child `name`.
fn field(parent: Node<'_, '_>, name: &str) -> Result<String, String> {
    parent
        .descendants()
        .find(|n| {
            n.is_element() && n.tag_name().name() == name && n.tag_name().namespace().is_none()
        })
        .and_then(|n| n.text())
        .map(str::to_owned)
        .ok_or_else(|| format!("no <{name}>"))
}

/// The activation's `data`; `company_name` (the verify's) when the answer
/// has none (`companyName` is optional in V1's `ctPaymentPA`).
fn payment_data(answer: Node<'_, '_>, company_name: &str) -> Result<PaymentData, String> {
    let data = answer
        .children()
        .find(|n| n.has_tag_name("data"))
        .ok_or("no <data>")?;
    let child = |name: &str| {
        data.children()
            .find(|n| n.has_tag_name(name))
            .ok_or_else(|| format!("no <{name}> in <data>"))
    };
    let source = data.document().input_text();
    let markup = |node: Node<'_, '_>| source.get(node.range()).unwrap_or_default().to_owned();
    // The receipt's transfers: those of the activation, a stamp request
    // become the stamp bought (MBDAttachment).
    let mut transfers = String::new();
    for transfer in child("transferList")?.children().filter(Node::is_element) {
        let mut parts = String::new();
        for part in transfer.children().filter(Node::is_element) {
            if part.has_tag_name("richiestaMarcaDaBollo") {
                parts.push_str("<MBDAttachment>PG1hcmNhRGFCb2xsby8+</MBDAttachment>");
            } else {
                parts.push_str(&markup(part));
            }
        }
        let _ = write!(transfers, "<transfer>{parts}</transfer>");
    }
    let amount = field(data, "paymentAmount")?;
    let amount_cents = EuroCents::from_decimal_str(&amount)
        .map_err(|e| format!("paymentAmount {amount:?}: {e}"))?
        .into();
    Ok(PaymentData {
        iuv: field(data, "creditorReferenceId")?,
        amount,
        amount_cents,
        description: field(data, "description")?,
        company_name: field(data, "companyName").unwrap_or_else(|_| company_name.to_owned()),
        debtor: markup(child("debtor")?),
        transfers,
    })
}

fn now_local() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

fn today() -> String {
    now_local().get(..10).unwrap_or_default().to_owned()
}

/// The control API of the program's Nodo server.
pub(crate) struct Control {
    in_flight: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Control {
    pub(crate) fn new() -> Self {
        Self {
            in_flight: std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_PAYMENTS_IN_FLIGHT)),
        }
    }
}

/// `POST /__control/nodo/pay`'s body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PayRequest {
    station_url: String,
    creditor: String,
    notice: String,
    broker: String,
    station: String,
    #[serde(default)]
    twist: Option<String>,
    #[serde(default)]
    version: Option<u8>,
}

impl crate::server::App for Control {
    fn answer<'a>(
        &'a self,
        call: crate::kit::Call<'a>,
    ) -> abilita_core::BoxFuture<'a, crate::kit::Reply> {
        Box::pin(async move {
            use crate::kit::Reply;
            use serde_json::json;
            if call.path() != PAY_PATH {
                return Reply::new(404)
                    .json(&json!({ "error": format!("only POST {PAY_PATH} is served") }));
            }
            if call.method() != "POST" {
                return Reply::new(405).json(&json!({ "error": "use POST" }));
            }
            let Ok(_permit) = self.in_flight.clone().try_acquire_owned() else {
                return Reply::new(429).json(&json!({ "error": format!("{MAX_PAYMENTS_IN_FLIGHT} payments are in flight already") }));
            };
            let request: PayRequest = match serde_json::from_slice(call.body()) {
                Ok(request) => request,
                Err(e) => return Reply::new(400).json(&json!({ "error": e.to_string() })),
            };
            let twist = match request.twist.as_deref().unwrap_or("none") {
                "none" => Twist::None,
                "receipt_twice" => Twist::ReceiptTwice,
                "lost_receipt_answer" => Twist::LostReceiptAnswer,
                "activation_replaced" => Twist::ActivationReplaced,
                other => {
                    return Reply::new(400)
                        .json(&json!({ "error": format!("unknown twist {other:?}") }));
                }
            };
            let url = match url::Url::parse(&request.station_url) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => url,
                _ => {
                    return Reply::new(400)
                        .json(&json!({ "error": "station_url must be an http(s) URL" }));
                }
            };
            let primitives = match request.version.unwrap_or(2) {
                1 => Primitives::V1,
                2 => Primitives::V2,
                _ => return Reply::new(400).json(&json!({ "error": "version must be 1 or 2" })),
            };
            let nodo = NodoSimulator::new(url, StationIds::new(&request.broker, &request.station))
                .with_primitives(primitives);
            match nodo.pay(&request.creditor, &request.notice, twist).await {
                Ok(paid) => Reply::new(200).json(&json!({
                    "receipt_id": paid.receipt_id,
                    "amount_cents": paid.amount_cents,
                    "receipt_attempts": paid.receipt_attempts,
                })),
                Err(NodoError::Refused {
                    operation,
                    fault_code,
                }) => Reply::new(422).json(&json!({
                    "error": "the station refused the payment",
                    "operation": operation,
                    "fault_code": fault_code,
                })),
                Err(e) => Reply::new(502).json(&json!({ "error": e.to_string() })),
            }
        })
    }
}
