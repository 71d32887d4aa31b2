//! pagoPA Checkout: a cart of up to five notices that the citizen pays on
//! pagoPA's own pages, then comes back to the creditor's site.
//!
//! The creditor's backend posts the cart; Checkout answers with a redirect
//! (302) to the page the citizen's browser goes to. The return URLs are a
//! courtesy to the citizen, not proof of payment: the receipt is (it
//! reaches the creditor's station, or GPD records it). A cart not paid
//! leaves its notices payable again once its payment token expires.
//!
//! ```no_run
//! use abilita_core::{ApiKey, EuroCents};
//! use abilita_pagopa::Environment;
//! use abilita_pagopa::checkout::{Cart, CartNotice, CheckoutClient, ReturnUrls};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let checkout = CheckoutClient::new(Environment::Uat, ApiKey::new(std::env::var("CHECKOUT_KEY")?))?;
//! let notice = CartNotice::new(
//!     "302000100000019414".parse()?,
//!     "77777777777".parse()?,
//!     EuroCents::new(12_000),
//!     "Comune di Prova",
//!     "TARI 2026",
//! )?;
//! let back = ReturnUrls::under("https://servizi.comune.example.it/pagamenti/esito")?;
//! let page = checkout.create_cart(&Cart::new(vec![notice], back)?).await?;
//! // Redirect the citizen's browser to `page`.
//! # Ok(()) }
//! ```

use abilita_core::http::{HeaderName, Method, StatusCode};
use abilita_core::{
    ApiKey, ApiRequest, Error, ErrorClass, EuroCents, InvalidInput, PlatformError, ProblemJson,
    RawResponse, Rule, Settings, Transport,
};
use serde::Serialize;
use url::Url;

use crate::service::{Environment, Service};
use crate::web_url::web_url;
use crate::{CreditorCode, NoticeNumber};

/// The subscription-key header.
const KEY_HEADER: HeaderName = HeaderName::from_static("ocp-apim-subscription-key");

/// The API's name in errors; give it to a transport built by hand
/// ([`CheckoutClient::from_transport`]) with `TransportBuilder::platform`.
pub const PLATFORM: &str = "Checkout";

/// The setting that chooses Checkout (see [`CheckoutClient::from_settings`]).
pub const SETTING_URL: &str = "ABILITA_CHECKOUT_URL";
/// The setting of the subscription key.
pub const SETTING_API_KEY: &str = "ABILITA_CHECKOUT_API_KEY";

/// The spec's two servers.
const SERVICE: Service = Service {
    platform: PLATFORM,
    uat: "https://api.uat.platform.pagopa.it/checkout/ec/v2",
    production: "https://api.platform.pagopa.it/checkout/ec/v2",
    url_setting: SETTING_URL,
    key_setting: SETTING_API_KEY,
};

/// The most notices a cart holds.
pub const MAX_NOTICES: usize = 5;

/// The longest company name and description Checkout takes.
pub const MAX_TEXT: usize = 140;

/// One notice of a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CartNotice {
    notice_number: NoticeNumber,
    fiscal_code: CreditorCode,
    amount: u64,
    company_name: String,
    description: String,
}

impl CartNotice {
    /// A notice of `creditor` for `amount`, with the creditor's name and
    /// what is paid, as the citizen will see them.
    ///
    /// # Errors
    /// A zero amount, or a name or description empty or over 140
    /// characters, naming the rule.
    pub fn new(
        notice: NoticeNumber,
        creditor: CreditorCode,
        amount: EuroCents,
        company_name: &str,
        description: &str,
    ) -> Result<Self, InvalidInput> {
        if u64::from(amount) == 0 {
            return Err(InvalidInput::new("amount", Rule("at least 1 cent")));
        }
        for (field, text) in [("companyName", company_name), ("description", description)] {
            let len = text.chars().count();
            if text.trim().is_empty() || len > MAX_TEXT {
                return Err(InvalidInput::new(field, Rule("1 to 140 characters")));
            }
        }
        Ok(Self {
            notice_number: notice,
            fiscal_code: creditor,
            amount: amount.into(),
            company_name: company_name.to_owned(),
            description: description.to_owned(),
        })
    }
}

/// Where Checkout sends the citizen back: after a payment, a cancel, an
/// error, or while the outcome is not known yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnUrls {
    return_ok_url: String,
    return_cancel_url: String,
    return_error_url: String,
    return_waiting_url: String,
}

impl ReturnUrls {
    /// Four return pages.
    ///
    /// # Errors
    /// A URL that is not `https://` (or `http://` on loopback, for tests),
    /// naming it.
    pub fn new(ok: &str, cancel: &str, error: &str, waiting: &str) -> Result<Self, InvalidInput> {
        Ok(Self {
            return_ok_url: web_url("returnOkUrl", ok)?.into(),
            return_cancel_url: web_url("returnCancelUrl", cancel)?.into(),
            return_error_url: web_url("returnErrorUrl", error)?.into(),
            return_waiting_url: web_url("returnWaitingUrl", waiting)?.into(),
        })
    }

    /// The four pages under one base: `{base}/ok`, `/cancel`, `/error`,
    /// `/waiting`.
    ///
    /// # Errors
    /// As [`ReturnUrls::new`].
    pub fn under(base: &str) -> Result<Self, InvalidInput> {
        let base = base.trim_end_matches('/');
        Self::new(
            &format!("{base}/ok"),
            &format!("{base}/cancel"),
            &format!("{base}/error"),
            &format!("{base}/waiting"),
        )
    }
}

/// A cart: one to five notices and the return pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cart {
    #[serde(skip_serializing_if = "Option::is_none")]
    email_notice: Option<String>,
    payment_notices: Vec<CartNotice>,
    return_urls: ReturnUrls,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_cart: Option<String>,
    #[serde(rename = "allCCP", skip_serializing_if = "std::ops::Not::not")]
    all_ccp: bool,
}

impl Cart {
    /// A cart of `notices`.
    ///
    /// # Errors
    /// None or more than five notices, or one notice twice, naming the rule.
    pub fn new(notices: Vec<CartNotice>, return_urls: ReturnUrls) -> Result<Self, InvalidInput> {
        if notices.is_empty() || notices.len() > MAX_NOTICES {
            return Err(InvalidInput::new("paymentNotices", Rule("1 to 5 notices")));
        }
        for (i, notice) in notices.iter().enumerate() {
            let twice = notices.iter().skip(i + 1).any(|other| {
                other.notice_number == notice.notice_number
                    && other.fiscal_code == notice.fiscal_code
            });
            if twice {
                return Err(InvalidInput::new(
                    "paymentNotices",
                    Rule("each notice at most once"),
                ));
            }
        }
        Ok(Self {
            email_notice: None,
            payment_notices: notices,
            return_urls,
            id_cart: None,
            all_ccp: false,
        })
    }

    /// Where pagoPA sends the citizen the payment's outcome.
    ///
    /// # Errors
    /// Text that is no e-mail address (`local@domain`, no spaces, at most
    /// 254 characters).
    pub fn email(mut self, address: &str) -> Result<Self, InvalidInput> {
        let valid = address.len() <= 254
            && !address.contains(char::is_whitespace)
            && address.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            });
        if !valid {
            return Err(InvalidInput::new("emailNotice", Rule("an e-mail address")));
        }
        self.email_notice = Some(address.to_owned());
        Ok(self)
    }

    /// The creditor's own id for the cart, which reaches its station as
    /// `paymentNote` in `paGetPayment`.
    ///
    /// # Errors
    /// An empty id or one over 35 characters.
    pub fn id(mut self, id: &str) -> Result<Self, InvalidInput> {
        if id.is_empty() || id.chars().count() > 35 {
            return Err(InvalidInput::new("idCart", Rule("1 to 35 characters")));
        }
        self.id_cart = Some(id.to_owned());
        Ok(self)
    }

    /// Every transfer goes to a postal account (`allCCP`): the station then
    /// gets `transferType=POSTAL` in `paGetPayment`.
    #[must_use]
    pub fn all_postal(mut self) -> Self {
        self.all_ccp = true;
        self
    }
}

/// What Checkout (or the API gateway in front of it) answered instead of a
/// redirect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckoutError {
    /// Checkout refused the cart (400), with its reason.
    #[error("Checkout refused the cart{}", abilita_core::Detail(detail))]
    Refused {
        /// Checkout's detail.
        detail: String,
    },
    /// The subscription key is missing or wrong (401).
    #[error("the subscription key was refused")]
    Unauthorized,
    /// Too many requests (429).
    #[error("too many requests")]
    Throttled,
    /// Checkout failed (5xx with a ProblemJson body).
    #[error("Checkout failed{}", abilita_core::Detail(detail))]
    Server {
        /// Checkout's detail.
        detail: String,
    },
}

impl PlatformError for CheckoutError {
    fn from_response(response: &RawResponse) -> Option<Self> {
        match response.status() {
            StatusCode::UNAUTHORIZED => return Some(Self::Unauthorized),
            StatusCode::TOO_MANY_REQUESTS => return Some(Self::Throttled),
            _ => {}
        }
        let problem = ProblemJson::parse(response.body())?;
        let detail = problem.detail_or_title().to_owned();
        match response.status().as_u16() {
            400 => Some(Self::Refused { detail }),
            500..=599 => Some(Self::Server { detail }),
            _ => None,
        }
    }

    fn class(&self) -> Option<ErrorClass> {
        matches!(self, Self::Throttled).then_some(ErrorClass::Throttling)
    }
}

/// A client of Checkout's creditor API for one subscription key. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct CheckoutClient {
    transport: Transport,
    key: ApiKey,
}

impl CheckoutClient {
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
    /// | `ABILITA_CHECKOUT_URL` | `uat`, `production`, or a base URL (a simulator's) |
    /// | `ABILITA_CHECKOUT_API_KEY` | the subscription key |
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

    /// Posts `cart`: the Checkout page to send the citizen's browser to.
    ///
    /// A cart is not retried after an unknown outcome (each post makes a
    /// new cart); post again if the citizen retries.
    ///
    /// # Errors
    /// Checkout's refusal as [`CheckoutError`]; an answer without a
    /// `Location` that is an `https://` URL (or `http://` on loopback) as
    /// [`Error::UnparseableResponse`]; a transport failure.
    pub async fn create_cart(&self, cart: &Cart) -> Result<Url, Error<CheckoutError>> {
        let request = ApiRequest::new(Method::POST, "/carts")
            .operation("create cart")
            .api_key_header(KEY_HEADER, &self.key)
            .json(cart)
            .redirect_answers();
        let response = self.transport.send::<CheckoutError>(request).await?;
        let location = response
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .and_then(|text| web_url("location", text).ok());
        match (response.status().is_redirection(), location) {
            (true, Some(page)) => Ok(page),
            _ => Err(response.unexpected(InvalidInput::new(
                "location",
                Rule("a redirect to an https:// page"),
            ))),
        }
    }
}
