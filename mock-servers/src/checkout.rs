//! A pagoPA Checkout simulator: the creditors' carts API (`POST
//! /checkout/ec/v2/carts`, answered with a redirect) and the pages the
//! citizen's browser is sent to, where a test pays or cancels. Written from
//! pagoPA's `checkout_v2.json` and SANP's description of Checkout, not from
//! `abilita-pagopa`'s models.
//!
//! | path | what |
//! |---|---|
//! | `POST /checkout/ec/v2/carts` | a cart of 1 to 5 notices: 302 to the cart's page |
//! | `GET /c/{cart}` | the cart's page (HTML), with a "pay" and a "cancel" button |
//! | `POST /c/{cart}/pay` | the citizen pays: every notice is paid on the GPD simulator ([`CheckoutSimulator::fed_by`]), then 302 to `returnOkUrl` (`returnErrorUrl` when one cannot be) |
//! | `POST /c/{cart}/cancel` | the citizen gives up: 302 to `returnCancelUrl` |
//!
//! The cart is checked as the schema says (required fields, 18-digit
//! notice numbers, 11-character fiscal codes, amounts of at least 1 cent,
//! texts of at most 140 characters, absolute return URLs, an e-mail
//! address) and refused with a ProblemJson 400 naming the field; the
//! subscription key as APIM checks it. Return URLs are at most
//! [`MAX_URL`] bytes, so the carts kept stay small. A cart is paid or
//! cancelled once;
//! the simulator keeps the latest [`MAX_CARTS`] (older ones answer 404, as
//! an expired cart would).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::MockServer;

use crate::Faults;
use crate::gpd::GpdSimulator;
use crate::kit::{Call, Handler, Params, Platform, Reply, Route, apim};

/// The path of the creditors' API.
pub const CHECKOUT_PATH: &str = "/checkout/ec/v2";

/// How many carts the simulator keeps; a new one pushes the oldest out.
pub const MAX_CARTS: usize = 10_000;

/// The longest return URL a cart may give (what browsers reliably follow),
/// so that the carts kept stay small.
pub const MAX_URL: usize = 2_048;

/// The PSP name payments through the simulator show on GPD.
const PSP: &str = "Checkout simulated PSP";

#[derive(Debug, Clone)]
struct Cart {
    id: String,
    /// (creditor, notice number, cents, company, description) per notice.
    notices: Vec<(String, String, u64, String, String)>,
    ok: String,
    cancel: String,
    error: String,
}

#[derive(Debug, Default)]
struct State {
    carts: VecDeque<Cart>,
}

/// The Checkout simulator. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct CheckoutSimulator {
    state: Arc<Mutex<State>>,
    keys: Arc<apim::Keys>,
    base: Arc<Mutex<String>>,
    faults: Arc<Faults>,
    gpd: Option<GpdSimulator>,
}

impl Default for CheckoutSimulator {
    fn default() -> Self {
        Self::new()
    }
}

impl CheckoutSimulator {
    /// A simulator with no keys; its carts' payments go nowhere (the pay
    /// button answers with `returnErrorUrl`).
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: Arc::default(),
            keys: Arc::default(),
            base: Arc::new(Mutex::new("http://127.0.0.1".to_owned())),
            faults: Arc::new(Faults::default()),
            gpd: None,
        }
    }

    /// A simulator whose pay button pays the notices on `gpd`, so that GPD
    /// (and the FdR simulator it feeds) sees the payment.
    #[must_use]
    pub fn fed_by(gpd: GpdSimulator) -> Self {
        Self {
            gpd: Some(gpd),
            ..Self::new()
        }
    }

    /// Lets subscription `key` create carts.
    pub fn grant(&self, key: &str) {
        self.keys.grant(key);
    }

    /// The faults to inject.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Serves the simulator on `server`, beside anything else mounted there.
    pub async fn mount(&self, server: &MockServer) {
        crate::kit::mount::mount(self, server, "Checkout simulator").await;
    }

    /// The routes served, as `(method, path pattern)`.
    pub fn routes() -> impl Iterator<Item = (&'static str, String)> {
        crate::kit::route::table::<Self>()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut crate::lock(&self.state))
    }

    /// `POST /carts`.
    fn create(&self, call: &Call<'_>) -> Reply {
        let cart = match read_cart(call) {
            Ok(cart) => cart,
            Err(detail) => return problem(400, "Bad Request", &detail),
        };
        let location = format!("{}/c/{}", crate::lock(&self.base), cart.id);
        self.with(|s| {
            if s.carts.len() >= MAX_CARTS {
                s.carts.pop_front();
            }
            s.carts.push_back(cart);
        });
        Reply::new(302).header("location", location)
    }

    fn find(&self, id: &str) -> Option<Cart> {
        self.with(|s| s.carts.iter().find(|c| c.id == id).cloned())
    }

    fn take(&self, id: &str) -> Option<Cart> {
        self.with(|s| {
            let at = s.carts.iter().position(|c| c.id == id)?;
            s.carts.remove(at)
        })
    }

    /// `GET /c/{cart}`: the page the citizen lands on.
    fn page(&self, id: &str) -> Reply {
        let Some(cart) = self.find(id) else {
            return gone();
        };
        let mut rows = String::new();
        for (creditor, notice, cents, company, description) in &cart.notices {
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{},{:02} €</td></tr>",
                html(company),
                html(creditor),
                html(notice),
                html(description),
                cents / 100,
                cents % 100
            ));
        }
        let body = format!(
            "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>pagoPA Checkout (simulatore)</title></head>\
             <body><h1>Carrello</h1><table>{rows}</table>\
             <form method=\"post\" action=\"/c/{id}/pay\"><button>Paga</button></form>\
             <form method=\"post\" action=\"/c/{id}/cancel\"><button>Annulla</button></form></body></html>",
            id = html(&cart.id),
        );
        Reply::new(200).raw(body, "text/html; charset=utf-8")
    }

    /// `POST /c/{cart}/pay`: every notice paid on GPD, then back.
    fn pay(&self, id: &str) -> Reply {
        let Some(cart) = self.take(id) else {
            return gone();
        };
        let paid = self.gpd.as_ref().is_some_and(|gpd| {
            cart.notices
                .iter()
                .all(|(creditor, notice, ..)| gpd.pay_option(creditor, notice, PSP).is_ok())
        });
        Reply::new(302).header("location", if paid { cart.ok } else { cart.error })
    }

    /// `POST /c/{cart}/cancel`.
    fn cancel(&self, id: &str) -> Reply {
        match self.take(id) {
            Some(cart) => Reply::new(302).header("location", cart.cancel),
            None => gone(),
        }
    }
}

/// A cart as `CartRequestV2` says, or the detail of the first fault.
fn read_cart(call: &Call<'_>) -> Result<Cart, String> {
    if !call.is_json() {
        return Err("the body must be application/json".into());
    }
    let body: Value =
        serde_json::from_slice(call.body()).map_err(|_| "the body is not JSON".to_owned())?;
    let object = body.as_object().ok_or("the body must be an object")?;
    let notices = object
        .get("paymentNotices")
        .and_then(Value::as_array)
        .ok_or("paymentNotices is required")?;
    if notices.is_empty() || notices.len() > 5 {
        return Err("paymentNotices must hold 1 to 5 notices".into());
    }
    let mut read = Vec::new();
    for (i, notice) in notices.iter().enumerate() {
        let text = |name: &str, min: usize, max: usize| -> Result<String, String> {
            let value = notice
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("paymentNotices[{i}].{name} is required"))?;
            let len = value.chars().count();
            if (min..=max).contains(&len) {
                Ok(value.to_owned())
            } else {
                Err(format!(
                    "paymentNotices[{i}].{name} must be {min} to {max} characters"
                ))
            }
        };
        // The schema sets a minimum and no maximum: any integer from 1 is
        // a valid amount (beyond u64, JSON's parser gives an integral
        // float), shown capped.
        let amount = notice.get("amount").and_then(Value::as_f64);
        if !amount.is_some_and(|a| a >= 1.0 && a.fract() == 0.0) {
            return Err(format!(
                "paymentNotices[{i}].amount must be an integer of at least 1"
            ));
        }
        let amount = notice
            .get("amount")
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX);
        read.push((
            text("fiscalCode", 11, 11)?,
            text("noticeNumber", 18, 18)?,
            amount,
            text("companyName", 0, 140)?,
            text("description", 0, 140)?,
        ));
    }
    let urls = object
        .get("returnUrls")
        .and_then(Value::as_object)
        .ok_or("returnUrls is required")?;
    let url = |name: &str| -> Result<String, String> {
        let text = urls
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("returnUrls.{name} is required"))?;
        if text.len() > MAX_URL {
            return Err(format!("returnUrls.{name} must be at most {MAX_URL} bytes"));
        }
        url::Url::parse(text)
            .map(|_| text.to_owned())
            .map_err(|_| format!("returnUrls.{name} must be a URI"))
    };
    let (ok, cancel, error) = (
        url("returnOkUrl")?,
        url("returnCancelUrl")?,
        url("returnErrorUrl")?,
    );
    url("returnWaitingUrl")?;
    if let Some(email) = object.get("emailNotice") {
        let valid = email
            .as_str()
            .and_then(|e| e.split_once('@'))
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !valid {
            return Err("emailNotice must be an e-mail address".into());
        }
    }
    if object.get("idCart").is_some_and(|v| !v.is_string()) {
        return Err("idCart must be a string".into());
    }
    if object.get("allCCP").is_some_and(|v| !v.is_boolean()) {
        return Err("allCCP must be a boolean".into());
    }
    Ok(Cart {
        id: format!("{:032x}", fastrand::u128(..)),
        notices: read,
        ok,
        cancel,
        error,
    })
}

/// A ProblemJson, as `application/json` (the type the spec documents).
fn problem(status: u16, title: &str, detail: &str) -> Reply {
    Reply::new(status)
        .json(&json!({ "type": "about:blank", "title": title, "status": status, "detail": detail }))
}

/// The page of a cart paid, cancelled or expired.
fn gone() -> Reply {
    Reply::new(404).raw(
        "<!DOCTYPE html><html lang=\"it\"><body><h1>Carrello non trovato o scaduto</h1></body></html>",
        "text/html; charset=utf-8",
    )
}

fn html(text: &str) -> String {
    abilita_core::xml::write::escape(text)
}

impl Platform for CheckoutSimulator {
    type Caller = ();

    const CONTROL: &'static str = "/__control/checkout";

    fn routes() -> &'static [Route<Self>] {
        ROUTES
    }

    fn faults(&self) -> &Faults {
        &self.faults
    }

    /// APIM's key check.
    fn admit(&self, call: &Call<'_>, _params: &Params<'_>) -> Result<(), Reply> {
        self.keys.admit(call)
    }

    fn not_found(&self) -> Reply {
        apim::not_found()
    }

    fn throttled(&self) -> Reply {
        apim::throttled(1, "retry-after")
    }

    fn unavailable(&self) -> Reply {
        problem(500, "Internal Server Error", "simulated failure")
    }

    fn served_at(&self, base_uri: &str) {
        base_uri.clone_into(&mut crate::lock(&self.base));
    }
}

static ROUTES: &[Route<CheckoutSimulator>] = &[
    Route {
        method: "POST",
        path: "/checkout/ec/v2/carts",
        handler: Handler::Api(|s, (), c, _| Ok(s.create(c))),
    },
    // The citizen's pages: a browser calls them, with no key.
    Route {
        method: "GET",
        path: "/c/{cart}",
        handler: Handler::Control(|s, _, p| Ok(s.page(p.get("cart")))),
    },
    Route {
        method: "POST",
        path: "/c/{cart}/pay",
        handler: Handler::Control(|s, _, p| Ok(s.pay(p.get("cart")))),
    },
    Route {
        method: "POST",
        path: "/c/{cart}/cancel",
        handler: Handler::Control(|s, _, p| Ok(s.cancel(p.get("cart")))),
    },
];
