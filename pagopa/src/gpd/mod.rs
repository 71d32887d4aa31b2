//! The GPD client: debt positions (v1) and their receipts.
//!
//! ```no_run
//! use abilita_core::{ApiKey, EuroCents, Iban, PartitaIva};
//! use abilita_pagopa::gpd::{DebtPosition, Debtor, GpdClient, GpdEnvironment, PaymentOption, Publish};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let gpd = GpdClient::new(GpdEnvironment::Uat, ApiKey::new(std::env::var("GPD_KEY")?))?;
//! let creditor = PartitaIva::from_official_test_value("77777777777")?;
//! let due = time::OffsetDateTime::now_utc() + time::Duration::days(30);
//! // One payment of 120 €, all of it to the municipality's own IBAN.
//! let position = DebtPosition::new(
//!     "77777777777-tari-2026-0001".parse()?,
//!     Debtor::new(&"STTSGT90A01H501J".parse()?, "Soggetto Settimo"),
//!     "Comune di Prova",
//!     PaymentOption::to_account(
//!         "01000000000000100".parse()?,
//!         EuroCents::new(12_000),
//!         "TARI 2026",
//!         due,
//!         Iban::new("IT60X0542811101000000123456")?,
//!         "9/0101100IM/".parse()?,
//!     ),
//! );
//! let created = gpd.create(&creditor, &position, Publish::Now).await?;
//! println!("{:?}", created.status);
//! # Ok(()) }
//! ```
//!
//! Every field stays public for what the builder does not cover (a second
//! transfer to another body, a stamp, metadata); the same checks apply.

mod datetime;
mod error;
mod model;
mod v3;
mod validate;

pub use error::GpdError;
pub use model::{
    DebtPosition, DebtPositionResponse, Debtor, DebtorKind, Metadata, OptionStatus, PageInfo,
    PaymentOption, PaymentOptionResponse, PositionStatus, PositionsPage, ReceiptsPage, Stamp,
    Transfer, TransferDestination, TransferResponse,
};
pub use v3::{
    DebtPositionV3, DebtPositionV3Response, Installment, InstallmentPlan, InstallmentPlanResponse,
    InstallmentResponse, InstallmentStatus, MAX_V3_ITEMS, PositionStatusV3, PositionsPageV3,
};
pub use validate::{
    MAX_AMOUNT, MAX_METADATA, MAX_TEXT, MAX_TRANSFERS, RESERVED_METADATA_KEY, Rule,
};

use abilita_core::http::{HeaderName, Method};
use abilita_core::{
    ApiKey, ApiRequest, BaseUrl, Error, Iban, InvalidInput, PartitaIva, Settings, Transport,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Date, Duration};

use crate::{CreditorCode, Iupd, Iuv, NoticeNumber};
use validate::Operation;

/// GPD's subscription-key header.
const KEY_HEADER: HeaderName = HeaderName::from_static("ocp-apim-subscription-key");

/// GPD's retry rules (the transport's defaults: three attempts, backoff from
/// 200 ms, a 60 s budget); [`GpdClient::new`] and
/// [`GpdClient::from_settings`] apply them. Creating a position is safe to
/// retry (a 409 is reconciled), publishing and invalidating too.
#[must_use]
pub fn default_retry_policy() -> abilita_core::RetryPolicy {
    abilita_core::RetryPolicy::default()
}

/// The setting that chooses GPD (see [`GpdClient::from_settings`]).
pub const SETTING_URL: &str = "ABILITA_GPD_URL";
/// The setting of the receipts service's URL.
pub const SETTING_RECEIPTS_URL: &str = "ABILITA_GPD_RECEIPTS_URL";
/// The setting of the subscription key.
pub const SETTING_API_KEY: &str = "ABILITA_GPD_API_KEY";

/// GPD's name in errors; give it to transports built by hand
/// ([`GpdClient::from_transports`]) with `TransportBuilder::platform`.
pub const PLATFORM: &str = "GPD";

const V1_POSITIONS: &str = "/v1/organizations/{organizationfiscalcode}/debtpositions";
const V1_POSITION: &str = "/v1/organizations/{organizationfiscalcode}/debtpositions/{iupd}";
const V3_POSITIONS: &str = "/v3/organizations/{organizationfiscalcode}/debtpositions";
const V3_POSITION: &str = "/v3/organizations/{organizationfiscalcode}/debtpositions/{iupd}";

/// The most transfers [`GpdClient::move_iban`] moves in one call.
pub const MAX_IBAN_MOVES: u32 = 1000;

/// The widest date window GPD lists at once.
pub const MAX_LIST_WINDOW_DAYS: i64 = 30;
/// GPD's largest list page.
pub const MAX_PAGE_SIZE: u32 = 50;

/// Which GPD to talk to. There is no default: production is always chosen
/// by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GpdEnvironment {
    /// pagoPA's test environment (UAT).
    Uat,
    /// Production.
    Production,
}

impl GpdEnvironment {
    /// The debt-positions service URL, under which `/v1` and `/v3` live
    /// (the specs' servers without the version).
    #[must_use]
    pub fn debt_positions_url(self) -> &'static str {
        match self {
            Self::Uat => "https://api.uat.platform.pagopa.it/gpd/debt-positions-service",
            Self::Production => "https://api.platform.pagopa.it/gpd/debt-positions-service",
        }
    }

    /// The receipts base URL. The spec names only production's; UAT's
    /// follows pagoPA's rule that UAT swaps the host for `api.uat.`.
    #[must_use]
    pub fn receipts_url(self) -> &'static str {
        match self {
            Self::Uat => "https://api.uat.platform.pagopa.it/gpd/payments-receipts-service/v1",
            Self::Production => "https://api.platform.pagopa.it/gpd/payments-receipts-service/v1",
        }
    }
}

/// Filters of a list of positions: [`PositionStatus`] for v1
/// ([`GpdClient::list`]), [`PositionStatusV3`] for v3
/// ([`GpdClient::list_v3`]), as each version has its own states.
///
/// A window of due dates and one of payment dates cannot be asked for
/// together (GPD refuses it); a window is at most 30 days, and a missing
/// end is 30 days from the other one.
#[derive(Debug, Clone)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct ListFilter<S = PositionStatus> {
    /// Due on or after this date.
    pub due_date_from: Option<Date>,
    /// Due on or before this date (at most 30 days after the start).
    pub due_date_to: Option<Date>,
    /// Paid on or after this date.
    pub payment_date_from: Option<Date>,
    /// Paid on or before this date (at most 30 days after the start).
    pub payment_date_to: Option<Date>,
    /// Only positions in this state.
    pub status: Option<S>,
    /// The order of the list (GPD's default: insertion date, newest first).
    pub order: Option<(OrderBy, Direction)>,
}

impl<S> Default for ListFilter<S> {
    fn default() -> Self {
        Self {
            due_date_from: None,
            due_date_to: None,
            payment_date_from: None,
            payment_date_to: None,
            status: None,
            order: None,
        }
    }
}

/// Whether a created or replaced position is published at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::exhaustive_enums, reason = "GPD's toPublish: true or false")]
pub enum Publish {
    /// Published with the call: payable from its validity date (at once
    /// without one).
    Now,
    /// Kept as a `DRAFT`, changed freely and published later.
    Later,
}

impl Publish {
    fn flag(self) -> &'static str {
        match self {
            Self::Now => "true",
            Self::Later => "false",
        }
    }
}

/// The creditor institution a call acts for: its [`CreditorCode`] (any 11
/// digits, as pagoPA carries them: many public bodies' fiscal codes are not
/// valid partite IVA) or, where it is one, its [`PartitaIva`].
pub trait Creditor: sealed::Sealed {
    /// The 11 digits of the creditor's fiscal code.
    fn fiscal_code(&self) -> &str;
}

impl Creditor for CreditorCode {
    fn fiscal_code(&self) -> &str {
        self.as_str()
    }
}

impl Creditor for PartitaIva {
    fn fiscal_code(&self) -> &str {
        self.as_str()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::CreditorCode {}
    impl Sealed for abilita_core::PartitaIva {}
}

/// A GPD service's name and version (`AppInfo`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[non_exhaustive]
pub struct ServiceInfo {
    /// The service's name.
    #[serde(default)]
    pub name: String,
    /// Its version.
    #[serde(default)]
    pub version: String,
    /// The environment it runs in.
    #[serde(default)]
    pub environment: String,
}

/// What a list of positions is ordered by (GPD's `orderby`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderBy {
    /// When the position was created.
    InsertedDate,
    /// The IUPD.
    Iupd,
    /// The state.
    Status,
    /// The creditor's name on the position.
    CompanyName,
}

impl OrderBy {
    fn as_str(self) -> &'static str {
        match self {
            Self::InsertedDate => "INSERTED_DATE",
            Self::Iupd => "IUPD",
            Self::Status => "STATUS",
            Self::CompanyName => "COMPANY_NAME",
        }
    }
}

/// The direction of an order (GPD's `ordering`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// A state a list can be filtered by: the version's own enum, less the
/// `Unknown` that only stands for a state this SDK cannot read.
trait ListStatus: Serialize + Copy {
    fn is_unknown(self) -> bool;
}

impl ListStatus for PositionStatus {
    fn is_unknown(self) -> bool {
        self == Self::Unknown
    }
}

impl ListStatus for PositionStatusV3 {
    fn is_unknown(self) -> bool {
        self == Self::Unknown
    }
}

/// Filters of a list of receipts.
#[derive(Debug, Clone, Default)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct ReceiptsFilter {
    /// Paid on or after this date (GPD looks back 30 days at most).
    pub from: Option<Date>,
    /// Paid on or before this date.
    pub to: Option<Date>,
    /// Only this debtor's receipts.
    pub debtor: Option<String>,
}

/// A client of GPD for one subscription key (which may serve several
/// creditors). Cheap to clone.
#[derive(Debug, Clone)]
pub struct GpdClient {
    positions: Transport,
    receipts: Transport,
    key: ApiKey,
}

impl GpdClient {
    /// A client of `environment` with the transport's defaults.
    ///
    /// # Errors
    /// If the HTTP stack cannot be set up.
    pub fn new(environment: GpdEnvironment, key: ApiKey) -> Result<Self, Error> {
        let positions = Transport::builder(BaseUrl::parse(environment.debt_positions_url())?)
            .platform(PLATFORM)
            .retry_policy(default_retry_policy())
            .build()?;
        let receipts = Transport::builder(BaseUrl::parse(environment.receipts_url())?)
            .platform(PLATFORM)
            .retry_policy(default_retry_policy())
            .build()?;
        Ok(Self::from_transports(positions, receipts, key))
    }

    /// A client from named settings (the environment, a file section, or
    /// a simulator's: see [`Settings`]):
    ///
    /// | setting | value |
    /// |---|---|
    /// | `ABILITA_GPD_URL` | `uat`, `production`, or the debt-positions service's base URL (a simulator's) |
    /// | `ABILITA_GPD_RECEIPTS_URL` | the receipts service's base URL; required when `ABILITA_GPD_URL` is a URL |
    /// | `ABILITA_GPD_API_KEY` | the subscription key |
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the setting that is missing or bad;
    /// a URL that is not HTTPS (or loopback).
    pub fn from_settings(settings: &Settings) -> Result<Self, Error> {
        let key = ApiKey::new(settings.required(SETTING_API_KEY)?);
        let (positions, receipts) = match settings.required(SETTING_URL)?.as_str() {
            "uat" => (
                GpdEnvironment::Uat.debt_positions_url().to_owned(),
                GpdEnvironment::Uat.receipts_url().to_owned(),
            ),
            "production" => (
                GpdEnvironment::Production.debt_positions_url().to_owned(),
                GpdEnvironment::Production.receipts_url().to_owned(),
            ),
            url => (url.to_owned(), settings.required(SETTING_RECEIPTS_URL)?),
        };
        let transport = |name: &'static str, url: &str| -> Result<Transport, Error> {
            let base = BaseUrl::parse(url).map_err(|_| {
                InvalidInput::new(
                    name,
                    Rule("uat, production, or an https:// (or loopback) URL"),
                )
            })?;
            Transport::builder(base)
                .platform(PLATFORM)
                .retry_policy(default_retry_policy())
                .build()
        };
        Ok(Self::from_transports(
            transport(SETTING_URL, &positions)?,
            transport(SETTING_RECEIPTS_URL, &receipts)?,
            key,
        ))
    }

    /// A client over transports configured by the caller: a simulator's base
    /// URLs, a pinned clock, other timeouts or retry rules.
    #[must_use]
    pub fn from_transports(positions: Transport, receipts: Transport, key: ApiKey) -> Self {
        Self {
            positions,
            receipts,
            key,
        }
    }

    /// A request of `operation` (its name in errors: `create debt position`).
    fn request(
        &self,
        operation: &'static str,
        method: Method,
        creditor: &impl Creditor,
        template: &'static str,
    ) -> ApiRequest {
        ApiRequest::new(method, template)
            .operation(operation)
            .path_param("organizationfiscalcode", creditor.fiscal_code())
            .api_key_header(KEY_HEADER, &self.key)
    }

    /// Creates a position, published at once ([`Publish::Now`]) or kept as
    /// a draft ([`Publish::Later`], see [`GpdClient::publish`]).
    ///
    /// The request is checked locally first (see [`validate`](self) rules).
    /// Creation is safe to retry: the transport may resend it after an
    /// unknown outcome, and a 409 on the IUPD is resolved by reading the
    /// stored position: the same content is the earlier attempt's success,
    /// a different one is [`GpdError::ConflictingContent`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a position GPD would refuse, else GPD's
    /// answer as [`GpdError`], or a transport failure.
    pub async fn create(
        &self,
        creditor: &impl Creditor,
        position: &DebtPosition,
        publish: Publish,
    ) -> Result<DebtPositionResponse, Error<GpdError>> {
        validate::position(position, self.positions.clock().now(), Operation::Create)?;
        self.create_as(
            V1_POSITIONS,
            V1_POSITION,
            creditor,
            &position.iupd,
            position,
            publish,
            |stored| position.is_stored_as(stored),
        )
        .await
    }

    /// Creates a v3 position (payment options with installment plans); the
    /// same checks and retry safety as [`GpdClient::create`].
    ///
    /// # Errors
    /// As [`GpdClient::create`].
    pub async fn create_v3(
        &self,
        creditor: &impl Creditor,
        position: &DebtPositionV3,
        publish: Publish,
    ) -> Result<DebtPositionV3Response, Error<GpdError>> {
        v3::validate(position, self.positions.clock().now(), Operation::Create)?;
        self.create_as(
            V3_POSITIONS,
            V3_POSITION,
            creditor,
            &position.iupd,
            position,
            publish,
            |stored| position.is_stored_as(stored),
        )
        .await
    }

    /// The create of either version: POST, then on a 409 read the IUPD back
    /// and compare.
    #[allow(clippy::too_many_arguments)]
    async fn create_as<T: DeserializeOwned>(
        &self,
        collection: &'static str,
        item: &'static str,
        creditor: &impl Creditor,
        iupd: &Iupd,
        body: &impl Serialize,
        publish: Publish,
        same: impl Fn(&T) -> bool,
    ) -> Result<T, Error<GpdError>> {
        let request = self
            .request("create debt position", Method::POST, creditor, collection)
            .query("toPublish", publish.flag())
            .json(body)
            .retry_safe();
        match self.positions.send::<GpdError>(request).await {
            Ok(response) => response.json(),
            Err(Error::Service {
                error: GpdError::Duplicate { detail },
                response,
            }) => {
                let stored = match self.get_as::<T>(item, creditor, iupd).await {
                    Ok(stored) => stored,
                    // The duplicate is an IUV or notice number of another position.
                    Err(_) => {
                        return Err(Error::Service {
                            error: GpdError::Duplicate { detail },
                            response,
                        });
                    }
                };
                if same(&stored) {
                    tracing::info!(
                        "create answered 409 for content already stored: treated as success"
                    );
                    Ok(stored)
                } else {
                    Err(Error::Service {
                        error: GpdError::ConflictingContent,
                        response,
                    })
                }
            }
            Err(error) => Err(error),
        }
    }

    async fn get_as<T: DeserializeOwned>(
        &self,
        item: &'static str,
        creditor: &impl Creditor,
        iupd: &Iupd,
    ) -> Result<T, Error<GpdError>> {
        let request = self
            .request("read debt position", Method::GET, creditor, item)
            .path_param("iupd", iupd.as_str());
        self.positions.send(request).await?.json()
    }

    /// Reads a position.
    ///
    /// # Errors
    /// [`GpdError::NotFound`] and the other errors of the API; a position with
    /// several installment plans must be read with [`GpdClient::get_v3`].
    pub async fn get(
        &self,
        creditor: &impl Creditor,
        iupd: &Iupd,
    ) -> Result<DebtPositionResponse, Error<GpdError>> {
        self.get_as(V1_POSITION, creditor, iupd).await
    }

    /// Reads a v3 position.
    ///
    /// # Errors
    /// As [`GpdClient::get`].
    pub async fn get_v3(
        &self,
        creditor: &impl Creditor,
        iupd: &Iupd,
    ) -> Result<DebtPositionV3Response, Error<GpdError>> {
        self.get_as(V3_POSITION, creditor, iupd).await
    }

    /// Replaces a position (allowed in `DRAFT`, `PUBLISHED`, `VALID` and
    /// `EXPIRED`); it is a draft again unless `publish` is [`Publish::Now`].
    ///
    /// # Errors
    /// As [`GpdClient::create`]; [`GpdError::InvalidState`] once paid.
    pub async fn update(
        &self,
        creditor: &impl Creditor,
        position: &DebtPosition,
        publish: Publish,
    ) -> Result<DebtPositionResponse, Error<GpdError>> {
        validate::position(position, self.positions.clock().now(), Operation::Update)?;
        self.update_as(V1_POSITION, creditor, &position.iupd, position, publish)
            .await
    }

    /// Replaces a v3 position.
    ///
    /// # Errors
    /// As [`GpdClient::update`].
    pub async fn update_v3(
        &self,
        creditor: &impl Creditor,
        position: &DebtPositionV3,
        publish: Publish,
    ) -> Result<DebtPositionV3Response, Error<GpdError>> {
        v3::validate(position, self.positions.clock().now(), Operation::Update)?;
        self.update_as(V3_POSITION, creditor, &position.iupd, position, publish)
            .await
    }

    async fn update_as<T: DeserializeOwned>(
        &self,
        item: &'static str,
        creditor: &impl Creditor,
        iupd: &Iupd,
        body: &impl Serialize,
        publish: Publish,
    ) -> Result<T, Error<GpdError>> {
        let request = self
            .request("update debt position", Method::PUT, creditor, item)
            .path_param("iupd", iupd.as_str())
            .query("toPublish", publish.flag())
            .json(body);
        self.positions.send(request).await?.json()
    }

    /// Deletes a position that is not paid, through v1.
    ///
    /// # Errors
    /// [`GpdError::NotFound`], [`GpdError::InvalidState`] once paid,
    /// [`GpdError::NeedsV3`] for a position with several installment plans
    /// (use [`GpdClient::delete_v3`]).
    pub async fn delete(
        &self,
        creditor: &impl Creditor,
        iupd: &Iupd,
    ) -> Result<(), Error<GpdError>> {
        self.delete_at(V1_POSITION, creditor, iupd).await
    }

    /// Deletes a position that is not paid, through v3 (any position).
    ///
    /// # Errors
    /// [`GpdError::NotFound`], [`GpdError::InvalidState`] once paid.
    pub async fn delete_v3(
        &self,
        creditor: &impl Creditor,
        iupd: &Iupd,
    ) -> Result<(), Error<GpdError>> {
        self.delete_at(V3_POSITION, creditor, iupd).await
    }

    async fn delete_at(
        &self,
        template: &'static str,
        creditor: &impl Creditor,
        iupd: &Iupd,
    ) -> Result<(), Error<GpdError>> {
        let request = self
            .request("delete debt position", Method::DELETE, creditor, template)
            .path_param("iupd", iupd.as_str());
        self.positions.send::<GpdError>(request).await.map(drop)
    }

    /// Records that the option with notice number `nav` was paid outside
    /// pagoPA (at a counter, by bank transfer) at `paid_at`, so that it can
    /// no longer be paid through pagoPA. GPD makes no receipt for it.
    ///
    /// # Errors
    /// [`GpdError::NotFound`] for an unknown notice number,
    /// [`GpdError::InvalidState`] when it is paid already (409) or the
    /// position cannot be paid (422, a draft say).
    pub async fn mark_paid(
        &self,
        creditor: &impl Creditor,
        nav: &NoticeNumber,
        paid_at: time::OffsetDateTime,
    ) -> Result<PaymentOptionResponse, Error<GpdError>> {
        let paid_at = abilita_core::rfc3339_utc(paid_at).ok_or_else(|| {
            InvalidInput::new(
                "paymentDate",
                Rule("must fall between the years 0 and 9999 in UTC"),
            )
        })?;
        let request = self
            .request(
                "mark payment option paid",
                Method::POST,
                creditor,
                "/v1/organizations/{organizationfiscalcode}/paymentoptions/paids/{nav}",
            )
            .path_param("nav", nav.as_str())
            .json(&serde_json::json!({ "paymentDate": paid_at }));
        self.positions.send(request).await?.json()
    }

    /// Moves every transfer to `old` of an unpaid option of the creditor's
    /// positions that can still change (draft, published, valid, partially
    /// paid) to `new`, at most `limit` (1 to 1,000) transfers per call: the
    /// number moved. Call again until it answers 0 to move them all.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a limit outside 1 to 1,000, and GPD's
    /// errors.
    pub async fn move_iban(
        &self,
        creditor: &impl Creditor,
        old: &Iban,
        new: &Iban,
        limit: u32,
    ) -> Result<u32, Error<GpdError>> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Moved {
            updated_transfers: u32,
        }
        if !(1..=MAX_IBAN_MOVES).contains(&limit) {
            return Err(InvalidInput::new("limit", Rule("1 to 1000")).into());
        }
        let request = self
            .request(
                "move transfers to a new IBAN",
                Method::PATCH,
                creditor,
                "/v1/organizations/{organizationfiscalcode}/debtpositions/transfers",
            )
            .query("oldIban", old.as_str())
            .query("limit", limit.to_string())
            .json(&serde_json::json!({ "newIban": new.as_str() }));
        let moved: Moved = self.positions.send(request).await?.json()?;
        Ok(moved.updated_transfers)
    }

    /// GPD's health: the debt-positions service answers with its name and
    /// version (a check for a start-up probe that the key is accepted).
    ///
    /// # Errors
    /// [`GpdError::Unauthorized`] for a refused key, and the transport's.
    pub async fn info(&self) -> Result<ServiceInfo, Error<GpdError>> {
        let request = ApiRequest::new(Method::GET, "/v1/info")
            .operation("read service info")
            .api_key_header(KEY_HEADER, &self.key);
        self.positions.send(request).await?.json()
    }

    /// Publishes a `DRAFT` position.
    ///
    /// # Errors
    /// [`GpdError::InvalidState`] unless the position is a draft whose
    /// validity and due dates lie ahead.
    pub async fn publish(
        &self,
        creditor: &impl Creditor,
        iupd: &Iupd,
    ) -> Result<DebtPositionResponse, Error<GpdError>> {
        self.transition(
            "publish debt position",
            creditor,
            iupd,
            "/v1/organizations/{organizationfiscalcode}/debtpositions/{iupd}/publish",
        )
        .await
    }

    /// Publishes a `DRAFT` v3 position.
    ///
    /// # Errors
    /// As [`GpdClient::publish`].
    pub async fn publish_v3(
        &self,
        creditor: &impl Creditor,
        iupd: &Iupd,
    ) -> Result<DebtPositionV3Response, Error<GpdError>> {
        self.transition(
            "publish debt position",
            creditor,
            iupd,
            "/v3/organizations/{organizationfiscalcode}/debtpositions/{iupd}/publish",
        )
        .await
    }

    /// Cancels a `PUBLISHED` or `VALID` position for good (v1 only: v3 has no
    /// invalidate).
    ///
    /// # Errors
    /// [`GpdError::InvalidState`] in any other state.
    pub async fn invalidate(
        &self,
        creditor: &impl Creditor,
        iupd: &Iupd,
    ) -> Result<DebtPositionResponse, Error<GpdError>> {
        self.transition(
            "invalidate debt position",
            creditor,
            iupd,
            "/v1/organizations/{organizationfiscalcode}/debtpositions/{iupd}/invalidate",
        )
        .await
    }

    async fn transition<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        creditor: &impl Creditor,
        iupd: &Iupd,
        template: &'static str,
    ) -> Result<T, Error<GpdError>> {
        // A repeated publish or invalidate answers 409, never a second
        // change: safe to resend.
        let request = self
            .request(operation, Method::POST, creditor, template)
            .path_param("iupd", iupd.as_str())
            .retry_safe();
        self.positions.send(request).await?.json()
    }

    /// One page (from 0) of positions, `limit` (≤ 50) at a time.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for what GPD would refuse: a window over 30
    /// days, due and payment dates together, a limit outside 1 to 50, a
    /// page beyond `int32`, a date outside the years 0 to 9999, the status
    /// `Unknown`.
    pub async fn list(
        &self,
        creditor: &impl Creditor,
        filter: &ListFilter,
        page: u32,
        limit: u32,
    ) -> Result<PositionsPage, Error<GpdError>> {
        self.list_as(V1_POSITIONS, creditor, filter, page, limit)
            .await
    }

    /// One page of v3 positions, filtered by v3's states.
    ///
    /// # Errors
    /// As [`GpdClient::list`].
    pub async fn list_v3(
        &self,
        creditor: &impl Creditor,
        filter: &ListFilter<PositionStatusV3>,
        page: u32,
        limit: u32,
    ) -> Result<PositionsPageV3, Error<GpdError>> {
        self.list_as(V3_POSITIONS, creditor, filter, page, limit)
            .await
    }

    async fn list_as<T: DeserializeOwned, S: ListStatus>(
        &self,
        collection: &'static str,
        creditor: &impl Creditor,
        filter: &ListFilter<S>,
        page: u32,
        limit: u32,
    ) -> Result<T, Error<GpdError>> {
        if limit == 0 || limit > MAX_PAGE_SIZE {
            return Err(InvalidInput::new("limit", Rule("1 to 50")).into());
        }
        let mut request = self
            .request("list debt positions", Method::GET, creditor, collection)
            .query("page", int32("page", page)?)
            .query("limit", limit.to_string());
        let due = window("due_date", filter.due_date_from, filter.due_date_to)?;
        let paid = window(
            "payment_date",
            filter.payment_date_from,
            filter.payment_date_to,
        )?;
        if !due.is_empty() && !paid.is_empty() {
            return Err(InvalidInput::new(
                "payment_date_from",
                Rule("due dates and payment dates cannot be asked for together"),
            )
            .into());
        }
        for (name, day) in due.into_iter().chain(paid) {
            request = request.query(name, day);
        }
        if let Some(status) = filter.status {
            if status.is_unknown() {
                return Err(InvalidInput::new(
                    "status",
                    Rule("Unknown stands for a state this SDK cannot read; GPD lists by known states only"),
                )
                .into());
            }
            let status = serde_json::to_value(status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            request = request.query("status", status);
        }
        if let Some((by, direction)) = filter.order {
            let ordering = match direction {
                Direction::Ascending => "ASC",
                Direction::Descending => "DESC",
            };
            request = request
                .query("orderby", by.as_str())
                .query("ordering", ordering);
        }
        self.positions.send(request).await?.json()
    }

    /// Every position due between `from` and `to` (inclusive), however far
    /// apart: the range is split into the 30-day windows GPD allows, and each
    /// window is read page by page.
    ///
    /// # Errors
    /// The first error of any page.
    pub async fn list_due_between(
        &self,
        creditor: &impl Creditor,
        from: Date,
        to: Date,
        status: Option<PositionStatus>,
    ) -> Result<Vec<DebtPositionResponse>, Error<GpdError>> {
        let mut positions = Vec::new();
        for (start, end) in windows(from, to) {
            let filter = ListFilter {
                due_date_from: Some(start),
                due_date_to: Some(end),
                status,
                ..ListFilter::default()
            };
            let mut page = 0;
            loop {
                let result = self.list(creditor, &filter, page, MAX_PAGE_SIZE).await?;
                positions.extend(result.payment_position_list);
                page += 1;
                if page >= result.page_info.total_pages {
                    break;
                }
            }
        }
        Ok(positions)
    }

    /// One page (from 0) of receipts, `page_size` (≤ 100) at a time.
    ///
    /// # Errors
    /// The errors of the API.
    pub async fn receipts(
        &self,
        creditor: &impl Creditor,
        filter: &ReceiptsFilter,
        page: u32,
        page_size: u32,
    ) -> Result<ReceiptsPage, Error<GpdError>> {
        if page_size == 0 || page_size > 100 {
            return Err(InvalidInput::new("pageSize", Rule("1 to 100")).into());
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && to < from
        {
            return Err(InvalidInput::new("to", Rule("must not be before from")).into());
        }
        let mut request = self
            .request(
                "list receipts",
                Method::GET,
                creditor,
                "/payments/{organizationfiscalcode}/receipts",
            )
            .query("pageNum", int32("pageNum", page)?)
            .query("pageSize", page_size.to_string());
        if let Some(from) = filter.from {
            request = request.query("from", day("from", from)?);
        }
        if let Some(to) = filter.to {
            request = request.query("to", day("to", to)?);
        }
        if let Some(debtor) = &filter.debtor {
            request = request.query("debtor", debtor.clone());
        }
        self.receipts.send(request).await?.json()
    }

    /// The receipt of a paid IUV: the XML of the `paSendRT` the creditor
    /// would have received.
    ///
    /// # Errors
    /// [`GpdError::NotFound`] while unpaid, and the other errors of the API.
    pub async fn receipt(
        &self,
        creditor: &impl Creditor,
        iuv: &Iuv,
    ) -> Result<String, Error<GpdError>> {
        let request = self
            .request(
                "read receipt",
                Method::GET,
                creditor,
                "/payments/{organizationfiscalcode}/receipts/{iuv}",
            )
            .path_param("iuv", iuv.as_str());
        let response = self.receipts.send::<GpdError>(request).await?;
        String::from_utf8(response.body().to_vec()).map_err(|_| {
            abilita_core::InvalidInput::new("receipt", Rule("the receipt is not UTF-8 text")).into()
        })
    }
}

/// A page number as GPD's `int32` takes it.
fn int32(field: &'static str, value: u32) -> Result<String, InvalidInput> {
    if i32::try_from(value).is_ok() {
        Ok(value.to_string())
    } else {
        Err(InvalidInput::new(
            field,
            Rule("at most 2147483647 (GPD's int32)"),
        ))
    }
}

/// A date as GPD reads it (`yyyy-MM-dd`): four-digit years only.
fn day(field: &str, value: Date) -> Result<String, InvalidInput> {
    if (0..=9999).contains(&value.year()) {
        Ok(value.to_string())
    } else {
        Err(InvalidInput::new(
            field.to_owned(),
            Rule("must fall between the years 0 and 9999"),
        ))
    }
}

/// The query of one date window (`{name}_from`, `{name}_to`), checked as
/// GPD checks it: at most 30 days, the end not before the start.
fn window(
    name: &'static str,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<Vec<(String, String)>, InvalidInput> {
    if let (Some(from), Some(to)) = (from, to)
        && (to < from || to - from > Duration::days(MAX_LIST_WINDOW_DAYS))
    {
        return Err(InvalidInput::new(
            format!("{name}_to"),
            Rule("within 30 days after the start of the window"),
        ));
    }
    let mut query = Vec::new();
    for (end, value) in [("from", from), ("to", to)] {
        if let Some(value) = value {
            let field = format!("{name}_{end}");
            query.push((field.clone(), day(&field, value)?));
        }
    }
    Ok(query)
}

/// `from..=to` cut into consecutive windows of at most 30 days.
fn windows(from: Date, to: Date) -> Vec<(Date, Date)> {
    let mut windows = Vec::new();
    let mut start = from;
    while start <= to {
        let end = start
            .saturating_add(Duration::days(MAX_LIST_WINDOW_DAYS))
            .min(to);
        windows.push((start, end));
        match end.next_day() {
            Some(next) => start = next,
            None => break,
        }
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::windows;
    use time::macros::date;

    #[test]
    fn windows_cover_the_range_without_gaps_or_overlaps() {
        let w = windows(date!(2026 - 01 - 01), date!(2026 - 03 - 15));
        assert_eq!(w.first().map(|w| w.0), Some(date!(2026 - 01 - 01)));
        assert_eq!(w.last().map(|w| w.1), Some(date!(2026 - 03 - 15)));
        for pair in w.windows(2) {
            assert_eq!(pair[0].1.next_day(), Some(pair[1].0));
        }
        assert!(w.iter().all(|(a, b)| *b - *a <= time::Duration::days(30)));
        assert_eq!(
            windows(date!(2026 - 01 - 02), date!(2026 - 01 - 01)),
            vec![]
        );
    }
}
