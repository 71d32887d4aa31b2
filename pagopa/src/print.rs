//! pagoPA's print service ("Stampa avvisi"): payment notices rendered by
//! pagoPA from the creditor's data held in its back office (logo, CBILL,
//! Poste account), one at a time as a PDF, or up to a thousand in a folder
//! that is filled in the background.
//!
//! ```no_run
//! use abilita_core::{ApiKey, EuroCents};
//! use abilita_pagopa::Environment;
//! use abilita_pagopa::print::{NoticeData, PrintClient, PrintDebtor};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let print = PrintClient::new(Environment::Uat, ApiKey::new(std::env::var("PRINT_KEY")?))?;
//! let template = &print.templates().await?[0];
//! let debtor = PrintDebtor::new("Soggetto Settimo", "Via Roma", "1", "00100", "Roma", "RM")?
//!     .tax_code("STTSGT90A01H501J")?;
//! let data = NoticeData::single(
//!     "TARI 2026",
//!     "302000100000019414".parse()?,
//!     EuroCents::new(12_000),
//!     "77777777777".parse()?,
//!     debtor,
//! )?
//! .due_date(time::macros::date!(2026 - 12 - 31));
//! let pdf: Vec<u8> = print.generate(&template.id, &data).await?;
//! # Ok(()) }
//! ```

use abilita_core::http::{HeaderName, Method, StatusCode};
use abilita_core::{
    ApiKey, ApiRequest, Error, ErrorClass, EuroCents, InvalidInput, PlatformError, ProblemJson,
    RawResponse, Rule, Settings, Transport,
};
use serde::{Deserialize, Serialize};
use time::Date;

use url::Url;

use crate::service::{Environment, Service};
use crate::web_url::web_url;
use crate::{CreditorCode, NoticeNumber};

/// The subscription-key header.
const KEY_HEADER: HeaderName = HeaderName::from_static("ocp-apim-subscription-key");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The API's name in errors; give it to a transport built by hand
/// ([`PrintClient::from_transport`]) with `TransportBuilder::platform`.
pub const PLATFORM: &str = "pagoPA print";

/// The setting that chooses the print service (see
/// [`PrintClient::from_settings`]).
pub const SETTING_URL: &str = "ABILITA_PRINT_URL";
/// The setting of the subscription key.
pub const SETTING_API_KEY: &str = "ABILITA_PRINT_API_KEY";

/// The spec's server; UAT's by pagoPA's rule that UAT swaps the host for
/// `api.uat.`.
const SERVICE: Service = Service {
    platform: PLATFORM,
    uat: "https://api.uat.platform.pagopa.it/print-payment-notice-service/external/v1",
    production: "https://api.platform.pagopa.it/print-payment-notice-service/external/v1",
    url_setting: SETTING_URL,
    key_setting: SETTING_API_KEY,
};

/// The most notices a folder request holds.
pub const MAX_MASSIVE: usize = 1000;

/// The largest amount a notice carries, in cents.
pub const MAX_AMOUNT: u64 = 99_999_999_999;

/// A notice template the service offers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Template {
    /// Its id, for [`PrintClient::generate`].
    #[serde(rename = "templateId")]
    pub id: String,
    /// What it is for (single payment, instalments, with Poste's bulletin…).
    pub description: String,
    /// An example notice made with it.
    pub template_example_url: String,
}

/// The debtor as the notice prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintDebtor {
    #[serde(skip_serializing_if = "Option::is_none")]
    tax_code: Option<String>,
    full_name: String,
    address: String,
    building_number: String,
    postal_code: String,
    city: String,
    province: String,
}

impl PrintDebtor {
    /// A debtor and their address.
    ///
    /// # Errors
    /// A name over 70 characters or an address over 140, or an empty
    /// field, naming the rule.
    pub fn new(
        full_name: &str,
        address: &str,
        building_number: &str,
        postal_code: &str,
        city: &str,
        province: &str,
    ) -> Result<Self, InvalidInput> {
        Ok(Self {
            tax_code: None,
            full_name: text("fullName", full_name, 70)?,
            address: text("address", address, 140)?,
            building_number: text("buildingNumber", building_number, 35)?,
            postal_code: text("postalCode", postal_code, 16)?,
            city: text("city", city, 140)?,
            province: text("province", province, 35)?,
        })
    }

    /// The debtor's tax code (a codice fiscale, a partita IVA, or
    /// `ANONIMO`), at most 16 characters.
    ///
    /// # Errors
    /// An empty code or one over 16 characters.
    pub fn tax_code(mut self, code: &str) -> Result<Self, InvalidInput> {
        self.tax_code = Some(text("taxCode", code, 16)?);
        Ok(self)
    }
}

/// One instalment as the notice prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintInstalment {
    code: NoticeNumber,
    amount: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_date: Option<String>,
}

impl PrintInstalment {
    /// An instalment of `amount` with its own notice number, due on `due`.
    ///
    /// # Errors
    /// An amount over [`MAX_AMOUNT`].
    pub fn new(
        code: NoticeNumber,
        amount: EuroCents,
        due: Option<Date>,
    ) -> Result<Self, InvalidInput> {
        Ok(Self {
            code,
            amount: amount_of("installments.amount", amount)?,
            due_date: due.map(|d| d.to_string()),
        })
    }
}

/// What a notice shows: subject, amounts and codes, creditor and debtor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeData {
    notice: NoticeFields,
    #[serde(rename = "creditorInstitution")]
    creditor: CreditorFields,
    debtor: PrintDebtor,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct NoticeFields {
    subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<NoticeNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_amount: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_date: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    installments: Vec<PrintInstalment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreditorFields {
    tax_code: CreditorCode,
}

impl NoticeData {
    /// A notice of one payment.
    ///
    /// # Errors
    /// A subject empty or over 90 characters, an amount of zero or over
    /// [`MAX_AMOUNT`].
    pub fn single(
        subject: &str,
        code: NoticeNumber,
        amount: EuroCents,
        creditor: CreditorCode,
        debtor: PrintDebtor,
    ) -> Result<Self, InvalidInput> {
        if u64::from(amount) == 0 {
            return Err(InvalidInput::new("paymentAmount", Rule("at least 1 cent")));
        }
        Ok(Self {
            notice: NoticeFields {
                subject: text("subject", subject, 90)?,
                code: Some(code),
                payment_amount: Some(amount_of("paymentAmount", amount)?),
                due_date: None,
                installments: Vec::new(),
            },
            creditor: CreditorFields { tax_code: creditor },
            debtor,
        })
    }

    /// A notice of instalments (at least two), with or without a single
    /// payment of the whole (`whole`: its notice number and amount).
    ///
    /// # Errors
    /// Fewer than two instalments, the same notice number twice, a subject
    /// empty or over 90 characters, an amount over [`MAX_AMOUNT`].
    pub fn instalments(
        subject: &str,
        whole: Option<(NoticeNumber, EuroCents)>,
        instalments: Vec<PrintInstalment>,
        creditor: CreditorCode,
        debtor: PrintDebtor,
    ) -> Result<Self, InvalidInput> {
        if instalments.len() < 2 {
            return Err(InvalidInput::new(
                "installments",
                Rule("at least 2 instalments"),
            ));
        }
        let mut codes: Vec<&NoticeNumber> = instalments.iter().map(|i| &i.code).collect();
        codes.extend(whole.as_ref().map(|(code, _)| code));
        codes.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        if codes
            .windows(2)
            .any(|pair| matches!(pair, [a, b] if a == b))
        {
            return Err(InvalidInput::new(
                "installments",
                Rule("each notice number once"),
            ));
        }
        let (code, payment_amount) = match whole {
            Some((code, amount)) => (Some(code), Some(amount_of("paymentAmount", amount)?)),
            None => (None, None),
        };
        Ok(Self {
            notice: NoticeFields {
                subject: text("subject", subject, 90)?,
                code,
                payment_amount,
                due_date: None,
                installments: instalments,
            },
            creditor: CreditorFields { tax_code: creditor },
            debtor,
        })
    }

    /// The due date of the single payment.
    #[must_use]
    pub fn due_date(mut self, due: Date) -> Self {
        self.notice.due_date = Some(due.to_string());
        self
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationItem<'a> {
    template_id: &'a str,
    data: &'a NoticeData,
}

/// A folder's state (`GetGenerationRequestStatusResource`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FolderStatus {
    /// Where the folder stands.
    pub status: FolderState,
    /// The notices made.
    pub processed_notices: Vec<String>,
    /// The notices that failed.
    pub notices_in_error: Vec<String>,
}

/// Where a folder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum FolderState {
    /// Received.
    Inserted,
    /// Being made.
    Processing,
    /// Being packed.
    Completing,
    /// Every notice failed.
    Failed,
    /// Every notice made.
    Processed,
    /// Made, some failed.
    ProcessedWithFailures,
    /// A state this SDK does not know.
    #[serde(other)]
    Unknown,
}

impl FolderState {
    /// Whether the folder will not change any more.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Processed | Self::ProcessedWithFailures
        )
    }
}

/// What the print service (or the gateway in front of it) answered instead
/// of success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrintError {
    /// The request was refused (400), with the service's reason.
    #[error(
        "the print service refused the request{}",
        abilita_core::Detail(detail)
    )]
    BadRequest {
        /// The service's detail.
        detail: String,
    },
    /// No such template, folder or file (404).
    #[error("not found{}", abilita_core::Detail(detail))]
    NotFound {
        /// The service's detail.
        detail: String,
    },
    /// The subscription key is missing or wrong (401).
    #[error("the subscription key was refused")]
    Unauthorized,
    /// The key may not print for this creditor, or read this folder (403).
    #[error("the subscription key may not print for this creditor or read this folder")]
    Forbidden,
    /// Too many requests (429).
    #[error("too many requests")]
    Throttled,
    /// The service failed (5xx).
    #[error("the print service failed{}", abilita_core::Detail(detail))]
    Server {
        /// The service's detail.
        detail: String,
    },
}

impl PlatformError for PrintError {
    fn from_response(response: &RawResponse) -> Option<Self> {
        let detail = || {
            ProblemJson::parse(response.body())
                .map(|p| p.detail_or_title().to_owned())
                .unwrap_or_default()
        };
        Some(match response.status() {
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::FORBIDDEN => Self::Forbidden,
            StatusCode::TOO_MANY_REQUESTS => Self::Throttled,
            StatusCode::BAD_REQUEST => Self::BadRequest { detail: detail() },
            StatusCode::NOT_FOUND => Self::NotFound { detail: detail() },
            status if status.is_server_error() => Self::Server { detail: detail() },
            _ => return None,
        })
    }

    fn class(&self) -> Option<ErrorClass> {
        matches!(self, Self::Throttled).then_some(ErrorClass::Throttling)
    }
}

/// A client of pagoPA's print service for one subscription key. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct PrintClient {
    transport: Transport,
    key: ApiKey,
}

impl PrintClient {
    /// A client of `environment` with the transport's defaults.
    ///
    /// # Errors
    /// If the HTTP stack cannot be set up.
    pub fn new(environment: Environment, key: ApiKey) -> Result<Self, Error> {
        Ok(Self::from_transport(SERVICE.transport(environment)?, key))
    }

    /// A client from named settings (see [`Settings`]):
    ///
    /// | setting | value |
    /// |---|---|
    /// | `ABILITA_PRINT_URL` | `uat`, `production`, or a base URL (a simulator's) |
    /// | `ABILITA_PRINT_API_KEY` | the subscription key |
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the setting that is missing or bad.
    pub fn from_settings(settings: &Settings) -> Result<Self, Error> {
        let (transport, key) = SERVICE.configured(settings)?;
        Ok(Self::from_transport(transport, key))
    }

    /// A client over a transport configured by the caller.
    #[must_use]
    pub fn from_transport(transport: Transport, key: ApiKey) -> Self {
        Self { transport, key }
    }

    fn request(
        &self,
        operation: &'static str,
        method: Method,
        template: &'static str,
    ) -> ApiRequest {
        ApiRequest::new(method, template)
            .operation(operation)
            .api_key_header(KEY_HEADER, &self.key)
    }

    /// The templates the service offers.
    ///
    /// # Errors
    /// The service's answer as [`PrintError`]; a transport failure.
    pub async fn templates(&self) -> Result<Vec<Template>, Error<PrintError>> {
        let request = self.request("list templates", Method::GET, "/notices/templates");
        self.transport.send(request).await?.json()
    }

    /// One notice rendered with template `template`: the PDF.
    ///
    /// # Errors
    /// The service's refusal as [`PrintError`]; an answer that is not a PDF
    /// as [`Error::UnparseableResponse`]; a transport failure.
    pub async fn generate(
        &self,
        template: &str,
        data: &NoticeData,
    ) -> Result<Vec<u8>, Error<PrintError>> {
        check_id("templateId", template)?;
        let request = self
            .request("generate notice", Method::POST, "/notices/generate")
            .json(&GenerationItem {
                template_id: template,
                data,
            })
            .retry_safe();
        let response = self.transport.send::<PrintError>(request).await?;
        if response.body().starts_with(b"%PDF-") {
            Ok(response.body().to_vec())
        } else {
            Err(response.unexpected(InvalidInput::new("body", Rule("a PDF document"))))
        }
    }

    /// Up to [`MAX_MASSIVE`] notices rendered in the background into a new
    /// folder: its id. `idempotency_key` (the caller's id for this batch)
    /// makes a retried request the same folder.
    ///
    /// # Errors
    /// None or more than 1,000 notices, an empty idempotency key; the
    /// service's answer as [`PrintError`]; a transport failure.
    pub async fn generate_massive(
        &self,
        notices: &[(&str, &NoticeData)],
        idempotency_key: &str,
    ) -> Result<String, Error<PrintError>> {
        if notices.is_empty() || notices.len() > MAX_MASSIVE {
            return Err(InvalidInput::new("notices", Rule("1 to 1000 notices")).into());
        }
        check_id("Idempotency-Key", idempotency_key)?;
        for (template, _) in notices {
            check_id("templateId", template)?;
        }
        #[derive(Serialize)]
        struct Massive<'a> {
            notices: Vec<GenerationItem<'a>>,
        }
        #[derive(Deserialize)]
        struct Folder {
            folder_id: String,
        }
        let body = Massive {
            notices: notices
                .iter()
                .map(|(template, data)| GenerationItem {
                    template_id: template,
                    data,
                })
                .collect(),
        };
        let request = self
            .request(
                "generate notices",
                Method::POST,
                "/notices/generate-massive",
            )
            .header_str(IDEMPOTENCY_KEY, idempotency_key)
            .json(&body)
            .retry_safe();
        let folder: Folder = self.transport.send(request).await?.json()?;
        Ok(folder.folder_id)
    }

    /// Where folder `folder` stands.
    ///
    /// # Errors
    /// [`PrintError::NotFound`] for an unknown folder; as the other calls.
    pub async fn folder_status(&self, folder: &str) -> Result<FolderStatus, Error<PrintError>> {
        check_id("folderId", folder)?;
        let request = self
            .request(
                "read folder status",
                Method::GET,
                "/notices/folder/{folder_id}/status",
            )
            .path_param("folder_id", folder);
        self.transport.send(request).await?.json()
    }

    /// What went wrong with item `error` of folder `folder`.
    ///
    /// # Errors
    /// As [`PrintClient::folder_status`].
    pub async fn folder_error(
        &self,
        folder: &str,
        error: &str,
    ) -> Result<FolderStatus, Error<PrintError>> {
        check_id("folderId", folder)?;
        check_id("errorId", error)?;
        let request = self
            .request(
                "read folder error",
                Method::GET,
                "/notices/folder/{folder_id}/error/{error_id}",
            )
            .path_param("folder_id", folder)
            .path_param("error_id", error);
        self.transport.send(request).await?.json()
    }

    /// A signed URL to download folder `folder` (a ZIP of its notices).
    ///
    /// # Errors
    /// As [`PrintClient::folder_status`].
    pub async fn folder_url(&self, folder: &str) -> Result<Url, Error<PrintError>> {
        check_id("folderId", folder)?;
        let request = self
            .request(
                "read folder URL",
                Method::GET,
                "/notices/folder/{folderId}/url",
            )
            .path_param("folderId", folder);
        signed_url(self.transport.send(request).await?)
    }

    /// A signed URL to download one notice of folder `folder`.
    ///
    /// # Errors
    /// As [`PrintClient::folder_status`].
    pub async fn file_url(&self, folder: &str, file: &str) -> Result<Url, Error<PrintError>> {
        check_id("folderId", folder)?;
        check_id("fileId", file)?;
        let request = self
            .request(
                "read file URL",
                Method::GET,
                "/notices/folder/{folderId}/file/{fileId}/url",
            )
            .path_param("folderId", folder)
            .path_param("fileId", file);
        signed_url(self.transport.send(request).await?)
    }

    /// Deletes folder `folder` and its notices.
    ///
    /// # Errors
    /// As [`PrintClient::folder_status`].
    pub async fn delete_folder(&self, folder: &str) -> Result<(), Error<PrintError>> {
        check_id("folderId", folder)?;
        let request = self
            .request(
                "delete folder",
                Method::DELETE,
                "/notices/folder/{folderId}",
            )
            .path_param("folderId", folder);
        self.transport.send::<PrintError>(request).await?;
        Ok(())
    }
}

fn signed_url(response: abilita_core::ApiResponse) -> Result<Url, Error<PrintError>> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Signed {
        signed_url: Option<String>,
    }
    let signed: Signed = response.json()?;
    match signed.signed_url.map(|url| web_url("signedUrl", &url)) {
        Some(Ok(url)) => Ok(url),
        Some(Err(invalid)) => Err(response.unexpected(invalid)),
        None => Err(response.unexpected(InvalidInput::new("signedUrl", Rule("is required")))),
    }
}

/// A text field: not blank, at most `max` characters.
fn text(field: &'static str, value: &str, max: usize) -> Result<String, InvalidInput> {
    if value.trim().is_empty() || value.chars().count() > max {
        return Err(InvalidInput::new(
            field,
            Rule(match max {
                16 => "1 to 16 characters",
                35 => "1 to 35 characters",
                70 => "1 to 70 characters",
                90 => "1 to 90 characters",
                _ => "1 to 140 characters",
            }),
        ));
    }
    Ok(value.to_owned())
}

fn amount_of(field: &'static str, amount: EuroCents) -> Result<u64, InvalidInput> {
    let cents = u64::from(amount);
    if cents > MAX_AMOUNT {
        return Err(InvalidInput::new(field, Rule("at most 999,999,999.99 €")));
    }
    Ok(cents)
}

/// An id sent in a path or header: 1 to 100 visible ASCII characters.
fn check_id(field: &'static str, id: &str) -> Result<(), InvalidInput> {
    if (1..=100).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(InvalidInput::new(
            field,
            Rule("1 to 100 visible ASCII characters"),
        ))
    }
}
