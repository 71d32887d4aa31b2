//! Service management (`/manage/services`), with the institution's manage key.

use abilita_core::{
    ApiKey, ApiRequest, ApiResponse, Error, EuroCents, InvalidInput, PartitaIva, Rule, Settings,
    Transport,
};
use serde::{Deserialize, Serialize};

use crate::client::InstitutionRateLimit;
use crate::error::IoError;
use crate::model::Recipient;

/// A service as the creditor describes it (`CmsServicePayload`), checked
/// as IO's schema checks it when built, so that IO never refuses its shape.
///
/// ```
/// use abilita_io::manage::{Organization, Scope, ServiceMetadata, ServicePayload};
/// use abilita_io::{EuroCents, PartitaIva};
///
/// # fn main() -> Result<(), abilita_io::InvalidInput> {
/// let comune = Organization::new("Comune di Prova", PartitaIva::new("99999000013").unwrap())?
///     .department("Ufficio tributi")?;
/// let metadata = ServiceMetadata::new(Scope::Local, 10)
///     .privacy_url("https://comune.example.it/privacy")?
///     .email("tributi@comune.example.it")?;
/// let service = ServicePayload::new("Tributi", "Avvisi e scadenze dei tributi", comune, metadata)?
///     .authorized_cidrs(["203.0.113.0/24"])?
///     .max_allowed_payment_amount(EuroCents::new(150_000))?;
/// # let _ = service; Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePayload {
    name: String,
    description: String,
    organization: Organization,
    #[serde(skip_serializing_if = "Option::is_none")]
    require_secure_channel: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authorized_recipients: Vec<Recipient>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authorized_cidrs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_allowed_payment_amount: Option<EuroCents>,
    metadata: ServiceMetadata,
}

/// The largest `max_allowed_payment_amount` IO's schema takes.
pub const MAX_PAYMENT_AMOUNT: EuroCents = EuroCents::new(9_999_999_999);

/// `value` unless it is empty (IO's `minLength: 1`), named as IO names it.
fn filled(field: &str, value: &str) -> Result<String, InvalidInput> {
    if value.is_empty() {
        Err(InvalidInput::new(
            field.to_owned(),
            Rule("must not be empty"),
        ))
    } else {
        Ok(value.to_owned())
    }
}

impl ServicePayload {
    /// A service named `name` (what citizens see), doing `description`, of
    /// `organization`.
    ///
    /// # Errors
    /// For an empty name or description.
    pub fn new(
        name: &str,
        description: &str,
        organization: Organization,
        metadata: ServiceMetadata,
    ) -> Result<Self, InvalidInput> {
        Ok(Self {
            name: filled("name", name)?,
            description: filled("description", description)?,
            organization,
            require_secure_channel: None,
            authorized_recipients: Vec::new(),
            authorized_cidrs: Vec::new(),
            max_allowed_payment_amount: None,
            metadata,
        })
    }

    /// Every message goes with an anonymous push and no e-mail copy.
    #[must_use]
    pub fn secure_channel(mut self) -> Self {
        self.require_secure_channel = Some(true);
        self
    }

    /// Who may be written to while the service is in sandbox (IO adds its
    /// test code).
    #[must_use]
    pub fn authorized_recipients(mut self, recipients: Vec<Recipient>) -> Self {
        self.authorized_recipients = recipients;
        self
    }

    /// The addresses the service may call from: IPv4 addresses or ranges
    /// (`203.0.113.0/24`), as IO's `Cidr` allows; mandatory for production.
    ///
    /// # Errors
    /// For an address that is not IPv4, or a prefix over 32 bits.
    pub fn authorized_cidrs<S: AsRef<str>>(
        mut self,
        cidrs: impl IntoIterator<Item = S>,
    ) -> Result<Self, InvalidInput> {
        let mut checked = Vec::new();
        for (i, cidr) in cidrs.into_iter().enumerate() {
            let cidr = cidr.as_ref();
            if !is_ipv4_cidr(cidr) {
                return Err(InvalidInput::new(
                    format!("authorized_cidrs[{i}]"),
                    Rule("an IPv4 address, optionally with a prefix of 0 to 32 bits"),
                ));
            }
            checked.push(cidr.to_owned());
        }
        self.authorized_cidrs = checked;
        Ok(self)
    }

    /// The largest notice the service may send (IO sets its own maximum,
    /// € 10,000 by default, when it approves the service).
    ///
    /// # Errors
    /// Above [`MAX_PAYMENT_AMOUNT`].
    pub fn max_allowed_payment_amount(mut self, amount: EuroCents) -> Result<Self, InvalidInput> {
        if amount > MAX_PAYMENT_AMOUNT {
            return Err(InvalidInput::new(
                "max_allowed_payment_amount",
                Rule("at most 9999999999 cents"),
            ));
        }
        self.max_allowed_payment_amount = Some(amount);
        Ok(self)
    }
}

/// IO's `Cidr`: a dotted IPv4 address, optionally `/0` to `/32`.
fn is_ipv4_cidr(text: &str) -> bool {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    address.parse::<std::net::Ipv4Addr>().is_ok()
        && prefix.is_none_or(|p| {
            p.len() <= 2
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u8>().is_ok_and(|n| n <= 32)
        })
}

/// The institution behind a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    name: String,
    fiscal_code: PartitaIva,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    department_name: Option<String>,
}

impl Organization {
    /// The institution `name` with its fiscal code (11 digits).
    ///
    /// # Errors
    /// For an empty name.
    pub fn new(name: &str, fiscal_code: PartitaIva) -> Result<Self, InvalidInput> {
        Ok(Self {
            name: filled("organization.name", name)?,
            fiscal_code,
            department_name: None,
        })
    }

    /// The department that runs the service.
    ///
    /// # Errors
    /// For an empty name.
    pub fn department(mut self, name: &str) -> Result<Self, InvalidInput> {
        self.department_name = Some(filled("organization.department_name", name)?);
        Ok(self)
    }

    /// Its name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its fiscal code.
    #[must_use]
    pub fn fiscal_code(&self) -> &PartitaIva {
        &self.fiscal_code
    }
}

/// Local or national.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(
    clippy::exhaustive_enums,
    reason = "closed by the API: NATIONAL or LOCAL"
)]
pub enum Scope {
    /// A municipality's or region's service.
    Local,
    /// A national service.
    National,
}

/// A service's metadata; `privacy_url` and an e-mail or PEC are needed
/// before production. Each text, when given, is not empty (IO's schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceMetadata {
    scope: Scope,
    topic_id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    privacy_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    web_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pec: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
}

/// A builder step of [`ServiceMetadata`] that sets one optional text.
macro_rules! metadata_text {
    ($($(#[$doc:meta])* $field:ident),* $(,)?) => {$(
        $(#[$doc])*
        ///
        /// # Errors
        /// For an empty text.
        pub fn $field(mut self, value: &str) -> Result<Self, InvalidInput> {
            self.$field = Some(filled(concat!("metadata.", stringify!($field)), value)?);
            Ok(self)
        }
    )*};
}

impl ServiceMetadata {
    /// Metadata of `scope` under the topic `topic_id` (see
    /// [`ManageClient::topics`]).
    #[must_use]
    pub fn new(scope: Scope, topic_id: u32) -> Self {
        Self {
            scope,
            topic_id,
            privacy_url: None,
            web_url: None,
            email: None,
            pec: None,
            phone: None,
            address: None,
        }
    }

    metadata_text! {
        /// The privacy policy's URL.
        privacy_url,
        /// The service's web site.
        web_url,
        /// The contact e-mail.
        email,
        /// The certified e-mail (PEC).
        pec,
        /// The phone number.
        phone,
        /// The street address.
        address,
    }
}

/// The review state of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LifecycleState {
    /// Editable; the service is in sandbox.
    Draft,
    /// Under PagoPA's review.
    Submitted,
    /// Approved.
    Approved,
    /// Rejected (see the reason).
    Rejected,
    /// Deleted.
    Deleted,
    /// A state this SDK does not know yet.
    #[serde(other)]
    Unknown,
}

/// A service's review state and its reason.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct LifecycleStatus {
    /// The state.
    pub value: LifecycleState,
    /// Why, when rejected.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A service topic (`GET /manage/services/topics`), for
/// [`ServiceMetadata::new`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Topic {
    /// Its id.
    pub id: u32,
    /// Its name, in Italian ("Redditi, patrimoni e fisco").
    pub name: String,
}

/// A service's stored metadata: the topic as IO names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StoredMetadata {
    /// Local or national.
    pub scope: Scope,
    /// Its topic (absent when IO does not know the id).
    #[serde(default)]
    pub topic: Option<Topic>,
}

/// A service as IO stores it (`CmsServiceLifecycle`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Service {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its review state.
    pub status: LifecycleStatus,
    /// How many times it changed.
    #[serde(default)]
    pub version: u64,
    /// Scope and topic.
    pub metadata: StoredMetadata,
    /// Who may be written to in sandbox.
    #[serde(default)]
    pub authorized_recipients: Vec<String>,
    /// The largest notice it may send.
    #[serde(default)]
    pub max_allowed_payment_amount: Option<EuroCents>,
}

/// A page of services.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ServicePage {
    /// The services.
    pub value: Vec<Service>,
    /// Where this page stands.
    pub pagination: Pagination,
}

/// Offset pagination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Pagination {
    /// The first item's offset.
    pub offset: u32,
    /// Page size.
    pub limit: u32,
    /// Items in all pages.
    pub count: u32,
}

/// Published or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PublicationState {
    /// Visible in the app.
    Published,
    /// Hidden.
    Unpublished,
    /// A state this SDK does not know yet.
    #[serde(other)]
    Unknown,
}

/// The published version of a service.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Publication {
    /// Its id.
    pub id: String,
    /// Its state.
    pub status: PublicationState,
}

/// Which end of a service's history comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(clippy::exhaustive_enums, reason = "closed by the API: ASC or DESC")]
pub enum HistoryOrder {
    /// Oldest first.
    OldestFirst,
    /// Newest first (IO's default).
    #[default]
    NewestFirst,
}

/// What a history entry records the change of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ChangeKind {
    /// The review state.
    Lifecycle,
    /// The publication.
    Publication,
    /// A kind this SDK does not know yet.
    #[serde(other)]
    Unknown,
}

/// The state a history entry records.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct HistoryStatus {
    /// Lifecycle or publication (absent in older entries).
    #[serde(default)]
    pub kind: Option<ChangeKind>,
    /// `draft`, `submitted`, `approved`, `rejected`, `deleted`,
    /// `published` or `unpublished`.
    pub value: String,
    /// Why, when IO gives a reason.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The service as it was after one change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct HistoryItem {
    /// The state it reached.
    pub status: HistoryStatus,
    /// Its version then.
    #[serde(default)]
    pub version: u64,
    /// When (RFC 3339, as IO writes it).
    pub last_update: String,
    /// Its name then.
    pub name: String,
}

/// A page of a service's history.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct HistoryPage {
    /// The changes.
    #[serde(default)]
    pub items: Vec<HistoryItem>,
    /// Where the next page starts, for [`ManageClient::history`]; `None`
    /// on the last.
    #[serde(rename = "continuationToken", default)]
    pub continuation: Option<String>,
}

/// A service's two keys.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Keys {
    /// The primary key.
    pub primary: ApiKey,
    /// The secondary key.
    pub secondary: ApiKey,
}

/// Which key to regenerate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_enums,
    reason = "closed by the API: a primary and a secondary key"
)]
pub enum KeyType {
    /// The primary key.
    Primary,
    /// The secondary key.
    Secondary,
}

#[derive(Deserialize)]
struct KeysBody {
    primary_key: String,
    secondary_key: String,
}

impl From<KeysBody> for Keys {
    fn from(body: KeysBody) -> Self {
        Self {
            primary: ApiKey::new(body.primary_key),
            secondary: ApiKey::new(body.secondary_key),
        }
    }
}

/// A client of service management with the institution's manage key.
#[derive(Debug, Clone)]
pub struct ManageClient {
    transport: Transport,
    key: ApiKey,
    limit: Option<InstitutionRateLimit>,
}

impl ManageClient {
    /// A client over `transport` (see [`crate::transport_builder`]) with the
    /// manage key; `limit` is the institution's shared limiter.
    #[must_use]
    pub fn new(transport: Transport, key: ApiKey, limit: Option<InstitutionRateLimit>) -> Self {
        Self {
            transport,
            key,
            limit,
        }
    }

    /// A client from named settings: `ABILITA_IO_URL` as for
    /// [`IoClient::from_settings`](crate::IoClient::from_settings), and
    /// `ABILITA_IO_MANAGE_KEY`, the institution's manage key.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the setting that is missing or bad.
    pub fn from_settings(
        settings: &Settings,
        limit: Option<InstitutionRateLimit>,
    ) -> Result<Self, Error> {
        let key = ApiKey::new(settings.required(crate::client::SETTING_MANAGE_KEY)?);
        Ok(Self::new(
            crate::client::transport_from(settings)?,
            key,
            limit,
        ))
    }

    /// Runs a call through the transport's one attempt loop, a rate-limit
    /// permit taken before each attempt.
    pub(crate) async fn send(
        &self,
        build: impl Fn() -> ApiRequest + Send + Sync,
    ) -> Result<ApiResponse, Error<IoError>> {
        let call = crate::client::IoCall {
            limit: self.limit.as_ref(),
            primary: &self.key,
            secondary: None,
            build,
            on_secondary: std::sync::atomic::AtomicBool::new(false),
        };
        self.transport.call(&call).await
    }

    /// Creates a service (as a draft, in sandbox).
    ///
    /// # Errors
    /// IO's refusals as [`IoError`].
    pub async fn create(&self, service: &ServicePayload) -> Result<Service, Error<IoError>> {
        self.send(|| {
            ApiRequest::post("/manage/services")
                .operation("create service")
                .json(service)
        })
        .await?
        .json()
    }

    /// A page of the institution's services (`limit` 1 to 100).
    ///
    /// # Errors
    /// IO's refusals as [`IoError`].
    pub async fn list(&self, limit: u32, offset: u32) -> Result<ServicePage, Error<IoError>> {
        if !(1..=100).contains(&limit) {
            return Err(InvalidInput::new("limit", Rule("1 to 100")).into());
        }
        let request = || {
            ApiRequest::get("/manage/services")
                .operation("list services")
                .query("limit", limit.to_string())
                .query("offset", offset.to_string())
        };
        self.send(request).await?.json()
    }

    /// A service.
    ///
    /// # Errors
    /// [`IoError::NotFound`], and the other errors.
    pub async fn get(&self, id: &str) -> Result<Service, Error<IoError>> {
        let id = service_id(id)?;
        self.send(|| {
            ApiRequest::get("/manage/services/{id}")
                .operation("read service")
                .path_param("id", id)
        })
        .await?
        .json()
    }

    /// Replaces a service's description.
    ///
    /// # Errors
    /// [`IoError::Conflict`] while the service is under review.
    pub async fn update(
        &self,
        id: &str,
        service: &ServicePayload,
    ) -> Result<Service, Error<IoError>> {
        let id = service_id(id)?;
        self.send(|| {
            ApiRequest::put("/manage/services/{id}")
                .operation("update service")
                .path_param("id", id)
                .json(service)
        })
        .await?
        .json()
    }

    /// Deletes a service.
    ///
    /// # Errors
    /// [`IoError::NotFound`], and the other errors.
    pub async fn delete(&self, id: &str) -> Result<(), Error<IoError>> {
        let id = service_id(id)?;
        self.send(|| {
            ApiRequest::delete("/manage/services/{id}")
                .operation("delete service")
                .path_param("id", id)
        })
        .await
        .map(drop)
    }

    /// Submits a draft for PagoPA's review, publishing it on approval when
    /// `auto_publish` is true.
    ///
    /// # Errors
    /// [`IoError::Conflict`] unless the service is a draft.
    pub async fn submit_review(&self, id: &str, auto_publish: bool) -> Result<(), Error<IoError>> {
        let id = service_id(id)?;
        let request = || {
            ApiRequest::put("/manage/services/{id}/review")
                .operation("submit service for review")
                .path_param("id", id)
                .json(&serde_json::json!({ "auto_publish": auto_publish }))
        };
        self.send(request).await.map(drop)
    }

    /// Publishes the approved service in the app.
    ///
    /// # Errors
    /// [`IoError::Conflict`] unless the service is approved.
    pub async fn publish(&self, id: &str) -> Result<(), Error<IoError>> {
        let id = service_id(id)?;
        self.send(|| {
            ApiRequest::post("/manage/services/{id}/release")
                .operation("publish service")
                .path_param("id", id)
                .retry_safe()
        })
        .await
        .map(drop)
    }

    /// The published version of a service.
    ///
    /// # Errors
    /// [`IoError::NotFound`] when it was never published.
    pub async fn publication(&self, id: &str) -> Result<Publication, Error<IoError>> {
        let id = service_id(id)?;
        self.send(|| {
            ApiRequest::get("/manage/services/{id}/release")
                .operation("read published service")
                .path_param("id", id)
        })
        .await?
        .json()
    }

    /// Hides a published service.
    ///
    /// # Errors
    /// [`IoError::NotFound`] when it was never published.
    pub async fn unpublish(&self, id: &str) -> Result<(), Error<IoError>> {
        let id = service_id(id)?;
        self.send(|| {
            ApiRequest::delete("/manage/services/{id}/release")
                .operation("unpublish service")
                .path_param("id", id)
        })
        .await
        .map(drop)
    }

    /// A service's keys.
    ///
    /// # Errors
    /// [`IoError::NotFound`], and the other errors.
    pub async fn keys(&self, id: &str) -> Result<Keys, Error<IoError>> {
        let id = service_id(id)?;
        let body: KeysBody = self
            .send(|| {
                ApiRequest::get("/manage/services/{id}/keys")
                    .operation("read service keys")
                    .path_param("id", id)
            })
            .await?
            .json()?;
        Ok(body.into())
    }

    /// Regenerates one key; the other stays valid meanwhile.
    ///
    /// # Errors
    /// [`IoError::NotFound`], and the other errors.
    pub async fn regenerate_key(&self, id: &str, which: KeyType) -> Result<Keys, Error<IoError>> {
        let id = service_id(id)?;
        let which = match which {
            KeyType::Primary => "primary",
            KeyType::Secondary => "secondary",
        };
        let request = || {
            ApiRequest::put("/manage/services/{id}/keys/{key_type}")
                .operation("regenerate service key")
                .path_param("id", id)
                .path_param("key_type", which)
        };
        let body: KeysBody = self.send(request).await?.json()?;
        Ok(body.into())
    }

    /// IO's service topics, for [`ServiceMetadata::new`].
    ///
    /// # Errors
    /// IO's refusals as [`IoError`].
    pub async fn topics(&self) -> Result<Vec<Topic>, Error<IoError>> {
        #[derive(Deserialize)]
        struct Topics {
            topics: Vec<Topic>,
        }
        let body: Topics = self
            .send(|| ApiRequest::get("/manage/services/topics").operation("list service topics"))
            .await?
            .json()?;
        Ok(body.topics)
    }

    /// A page of a service's history: up to `limit` (1 to 100) changes in
    /// `order`, from the start or from `continuation` (the previous page's
    /// [`HistoryPage::continuation`]).
    ///
    /// # Errors
    /// [`IoError::NotFound`], and the other errors.
    pub async fn history(
        &self,
        id: &str,
        order: HistoryOrder,
        limit: u32,
        continuation: Option<&str>,
    ) -> Result<HistoryPage, Error<IoError>> {
        let id = service_id(id)?;
        if !(1..=100).contains(&limit) {
            return Err(InvalidInput::new("limit", Rule("1 to 100")).into());
        }
        let order = match order {
            HistoryOrder::OldestFirst => "ASC",
            HistoryOrder::NewestFirst => "DESC",
        };
        let request = || {
            let request = ApiRequest::get("/manage/services/{id}/history")
                .operation("read service history")
                .path_param("id", id)
                .query("order", order)
                .query("limit", limit.to_string());
            match continuation {
                Some(token) => request.query("continuationToken", token),
                None => request,
            }
        };
        self.send(request).await?.json()
    }

    /// Uploads the service's logo: a PNG (IO asks for 300×300 on white or
    /// transparent).
    ///
    /// # Errors
    /// [`abilita_core::Error::InvalidInput`] when `png` is not a PNG;
    /// [`IoError::Validation`] when IO refuses it.
    pub async fn upload_logo(&self, id: &str, png: &[u8]) -> Result<(), Error<IoError>> {
        let id = service_id(id)?;
        let logo = crate::logo::body(png)?;
        let request = || {
            ApiRequest::put("/manage/services/{id}/logo")
                .operation("upload service logo")
                .path_param("id", id)
                .json(&logo)
        };
        self.send(request).await.map(drop)
    }
}

/// A service id as a path segment: IO's ids are never empty, and an empty
/// one would make a path no operation of the API has.
fn service_id(id: &str) -> Result<&str, InvalidInput> {
    if id.trim().is_empty() {
        Err(InvalidInput::new(
            "serviceId",
            Rule("a service id is not empty"),
        ))
    } else {
        Ok(id)
    }
}
