//! The reporting flows (FdR, *Flussi di Rendicontazione*): what each PSP
//! transferred to the creditor, payment by payment, read through pagoPA's
//! "FdR organization" REST API.
//!
//! A PSP reports at D+2 the transfers it made at D+1 for the payments of
//! day D, and may publish revisions of a flow until D+4. FdR serves the
//! last 30 days and records nothing of what a creditor read, so a daily
//! job keeps a [`Cursor`] and asks for what is new or revised:
//!
//! ```no_run
//! use abilita_core::{ApiKey, PartitaIva};
//! use abilita_pagopa::Environment;
//! use abilita_pagopa::fdr::{Cursor, FdrClient};
//!
//! # async fn run(saved: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let fdr = FdrClient::new(Environment::Uat, ApiKey::new(std::env::var("FDR_KEY")?))?;
//! let creditor = PartitaIva::from_official_test_value("77777777777")?;
//! let mut cursor: Cursor = serde_json::from_str(saved)?;
//! for flow in fdr.unread(&creditor, &cursor).await? {
//!     let payments = fdr.all_payments(&creditor, &flow.flow_ref()).await?;
//!     // … store `payments`, then:
//!     cursor.mark_read(&flow);
//! }
//! let saved = serde_json::to_string(&cursor)?;
//! # Ok(()) }
//! ```
//!
//! [`crate::reconcile`] matches the payments read against the receipts.

mod cursor;
mod error;
mod model;

pub use cursor::{Cursor, LOOK_BACK, OVERLAP};
pub use error::FdrError;
pub use model::{
    Flow, FlowRef, FlowStatus, FlowSummary, Page, PayStatus, Receiver, ReportedPayment, Sender,
};

use std::collections::HashMap;

use abilita_core::http::{HeaderName, Method};
use abilita_core::{ApiKey, ApiRequest, Error, InvalidInput, Rule, Settings, Transport};
use time::OffsetDateTime;

use crate::gpd::Creditor;
use crate::service::{Environment, Service};

/// The subscription-key header.
const KEY_HEADER: HeaderName = HeaderName::from_static("ocp-apim-subscription-key");

/// The API's name in errors; give it to a transport built by hand
/// ([`FdrClient::from_transport`]) with `TransportBuilder::platform`.
pub const PLATFORM: &str = "FdR";

/// The setting that chooses FdR (see [`FdrClient::from_settings`]).
pub const SETTING_URL: &str = "ABILITA_FDR_URL";
/// The setting of the subscription key.
pub const SETTING_API_KEY: &str = "ABILITA_FDR_API_KEY";

/// The spec's server; UAT's by pagoPA's rule that UAT swaps the host for
/// `api.uat.`.
const SERVICE: Service = Service {
    platform: PLATFORM,
    uat: "https://api.uat.platform.pagopa.it/fdr-org/service/v1",
    production: "https://api.platform.pagopa.it/fdr-org/service/v1",
    url_setting: SETTING_URL,
    key_setting: SETTING_API_KEY,
};

/// The largest page FdR serves.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The most pages [`FdrClient::all_flows`] and [`FdrClient::all_payments`]
/// read: ten million items, far beyond a creditor's 30 days.
pub const MAX_PAGES: u32 = 10_000;

/// The longest id (creditor, PSP) FdR takes (`^(.{1,35})$`).
const MAX_ID: usize = 35;

const FLOWS: &str = "/organizations/{organizationId}/fdrs";
const FLOW: &str = "/organizations/{organizationId}/fdrs/{fdr}/revisions/{revision}/psps/{pspId}";
const PAYMENTS: &str =
    "/organizations/{organizationId}/fdrs/{fdr}/revisions/{revision}/psps/{pspId}/payments";

/// Filters of the list of published flows. Both times are exclusive lower
/// bounds; FdR's default for each is the start of the previous month, and
/// it serves the last 30 days only.
#[derive(Debug, Clone, Default)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct FlowFilter {
    /// Only this PSP's flows.
    pub psp_id: Option<String>,
    /// Flows dated after this time.
    pub flow_date_after: Option<OffsetDateTime>,
    /// Flows published after this time.
    pub published_after: Option<OffsetDateTime>,
}

/// A client of the FdR organization API for one subscription key. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct FdrClient {
    transport: Transport,
    key: ApiKey,
}

impl FdrClient {
    /// A client of `environment` with the transport's defaults (every call
    /// is a read, so every failure the transport classes as transient is
    /// retried).
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
    /// | `ABILITA_FDR_URL` | `uat`, `production`, or a base URL (a simulator's) |
    /// | `ABILITA_FDR_API_KEY` | the subscription key |
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the setting that is missing or bad.
    pub fn from_settings(settings: &Settings) -> Result<Self, Error> {
        let (transport, key) = SERVICE.configured(settings)?;
        Ok(Self::from_transport(transport, key))
    }

    /// A client over a transport configured by the caller: a simulator's
    /// base URL, a pinned clock, other timeouts or retry rules.
    #[must_use]
    pub fn from_transport(transport: Transport, key: ApiKey) -> Self {
        Self { transport, key }
    }

    fn request(
        &self,
        operation: &'static str,
        template: &'static str,
        creditor: &impl Creditor,
    ) -> ApiRequest {
        ApiRequest::new(Method::GET, template)
            .operation(operation)
            .path_param("organizationId", creditor.fiscal_code())
            .api_key_header(KEY_HEADER, &self.key)
    }

    fn flow_request(
        &self,
        operation: &'static str,
        template: &'static str,
        creditor: &impl Creditor,
        flow: &FlowRef,
    ) -> Result<ApiRequest, InvalidInput> {
        check_id("pspId", &flow.psp_id)?;
        check_id("fdr", &flow.fdr)?;
        if flow.revision == 0 {
            return Err(InvalidInput::new("revision", Rule("revisions start at 1")));
        }
        Ok(self
            .request(operation, template, creditor)
            .path_param("fdr", &flow.fdr)
            .path_param("pspId", &flow.psp_id)
            .path_param("revision", &flow.revision.to_string()))
    }

    /// One page (from 1) of the creditor's published flows, `size` (1 to
    /// [`MAX_PAGE_SIZE`]) at a time.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a page, size or filter FdR would refuse;
    /// FdR's answer as [`FdrError`]; a transport failure.
    pub async fn flows(
        &self,
        creditor: &impl Creditor,
        filter: &FlowFilter,
        page: u32,
        size: u32,
    ) -> Result<Page<FlowSummary>, Error<FdrError>> {
        let mut request = self
            .request("list reporting flows", FLOWS, creditor)
            .query("page", paging("page", page, u32::MAX)?)
            .query("size", paging("size", size, MAX_PAGE_SIZE)?);
        if let Some(psp) = &filter.psp_id {
            check_id("pspId", psp)?;
            request = request.query("pspId", psp.clone());
        }
        if let Some(after) = filter.flow_date_after {
            request = request.query("flowDate", instant("flowDate", after)?);
        }
        if let Some(after) = filter.published_after {
            request = request.query("publishedGt", instant("publishedGt", after)?);
        }
        self.transport.send(request).await?.json()
    }

    /// Every published flow the filter keeps, page after page.
    ///
    /// # Errors
    /// As [`FdrClient::flows`].
    pub async fn all_flows(
        &self,
        creditor: &impl Creditor,
        filter: &FlowFilter,
    ) -> Result<Vec<FlowSummary>, Error<FdrError>> {
        all_pages(|page| self.flows(creditor, filter, page, MAX_PAGE_SIZE)).await
    }

    /// The flows published since the cursor last read, each at its latest
    /// revision not read yet, oldest publication first. Read each one's
    /// payments, store them, then [`Cursor::mark_read`] it.
    ///
    /// "Since" is the cursor's [`Cursor::published_after`] on the
    /// transport's clock.
    ///
    /// # Errors
    /// As [`FdrClient::flows`].
    pub async fn unread(
        &self,
        creditor: &impl Creditor,
        cursor: &Cursor,
    ) -> Result<Vec<FlowSummary>, Error<FdrError>> {
        let now = self.transport.clock().now();
        let filter = FlowFilter {
            published_after: Some(cursor.published_after(now)),
            ..FlowFilter::default()
        };
        let mut latest: HashMap<(String, String), FlowSummary> = HashMap::new();
        for flow in self.all_flows(creditor, &filter).await? {
            if !cursor.is_unread(&flow) {
                continue;
            }
            let key = (flow.psp_id.clone(), flow.fdr.clone());
            match latest.get(&key) {
                Some(kept) if kept.revision >= flow.revision => {}
                _ => {
                    latest.insert(key, flow);
                }
            }
        }
        let mut unread: Vec<FlowSummary> = latest.into_values().collect();
        unread.sort_by(|a, b| {
            (a.published, &a.psp_id, &a.fdr).cmp(&(b.published, &b.psp_id, &b.fdr))
        });
        Ok(unread)
    }

    /// A flow's header: sender, receiver, settlement and totals.
    ///
    /// # Errors
    /// [`FdrError::NotFound`] for an unknown flow or revision; as
    /// [`FdrClient::flows`].
    pub async fn flow(
        &self,
        creditor: &impl Creditor,
        flow: &FlowRef,
    ) -> Result<Flow, Error<FdrError>> {
        let request = self.flow_request("read reporting flow", FLOW, creditor, flow)?;
        self.transport.send(request).await?.json()
    }

    /// One page (from 1) of a flow's payments, `size` (1 to
    /// [`MAX_PAGE_SIZE`]) at a time.
    ///
    /// # Errors
    /// As [`FdrClient::flow`].
    pub async fn payments(
        &self,
        creditor: &impl Creditor,
        flow: &FlowRef,
        page: u32,
        size: u32,
    ) -> Result<Page<ReportedPayment>, Error<FdrError>> {
        let request = self
            .flow_request("read reporting flow payments", PAYMENTS, creditor, flow)?
            .query("page", paging("page", page, u32::MAX)?)
            .query("size", paging("size", size, MAX_PAGE_SIZE)?);
        self.transport.send(request).await?.json()
    }

    /// All of a flow's payments, page after page.
    ///
    /// # Errors
    /// As [`FdrClient::flow`].
    pub async fn all_payments(
        &self,
        creditor: &impl Creditor,
        flow: &FlowRef,
    ) -> Result<Vec<ReportedPayment>, Error<FdrError>> {
        all_pages(|page| self.payments(creditor, flow, page, MAX_PAGE_SIZE)).await
    }
}

/// Every page from 1 to the last FdR names. An empty page ends the walk
/// too, and more than [`MAX_PAGES`] pages is refused: a server that never
/// names a last page cannot keep the client looping, or its memory
/// growing.
async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, Error<FdrError>>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, Error<FdrError>>>,
{
    let mut items = Vec::new();
    for page in 1..=MAX_PAGES {
        let listed = fetch(page).await?;
        let empty = listed.items.is_empty();
        items.extend(listed.items);
        if empty || page >= listed.total_pages {
            return Ok(items);
        }
    }
    Err(InvalidInput::new(
        "page",
        Rule("FdR's answer runs past 10,000 pages of 1,000: refused rather than read without end"),
    )
    .into())
}

/// A page number or size within `1..=max`.
fn paging(field: &'static str, value: u32, max: u32) -> Result<String, InvalidInput> {
    if (1..=max).contains(&value) {
        Ok(value.to_string())
    } else {
        Err(InvalidInput::new(
            field,
            Rule(if max == MAX_PAGE_SIZE {
                "from 1 to 1000"
            } else {
                "from 1"
            }),
        ))
    }
}

/// An id as FdR's `^(.{1,35})$` takes it.
fn check_id(field: &'static str, id: &str) -> Result<(), InvalidInput> {
    let len = id.chars().count();
    if (1..=MAX_ID).contains(&len) && !id.contains(['\n', '\r']) {
        Ok(())
    } else {
        Err(InvalidInput::new(
            field,
            Rule("1 to 35 characters on one line"),
        ))
    }
}

/// A time as FdR reads it: RFC 3339 in UTC.
fn instant(field: &'static str, at: OffsetDateTime) -> Result<String, InvalidInput> {
    abilita_core::rfc3339_utc(at)
        .ok_or_else(|| InvalidInput::new(field, Rule("must fall between the years 0 and 9999")))
}
