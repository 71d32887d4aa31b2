//! The Checkout client against abilita-mock's Checkout simulator, paying on
//! its GPD simulator as a citizen on pagoPA's pages would.

use std::sync::Arc;

use abilita_core::testing::ManualClock;
use abilita_core::{ApiKey, BaseUrl, Error, EuroCents, Iban, PartitaIva, Transport};
use abilita_mock::checkout::{CHECKOUT_PATH, CheckoutSimulator};
use abilita_mock::gpd::{DEBT_POSITIONS_PATH, GpdSimulator, RECEIPTS_PATH};
use abilita_pagopa::checkout::{Cart, CartNotice, CheckoutClient, CheckoutError, ReturnUrls};
use abilita_pagopa::gpd::{
    DebtPosition, Debtor, GpdClient, PaymentOption, PositionStatus, Publish,
};
use abilita_pagopa::{CreditorCode, NoticeNumber, SegregationCode};
use time::macros::datetime;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "key-of-the-municipality";

struct Platform {
    server: MockServer,
    gpd: GpdClient,
    checkout: CheckoutClient,
    creditor: PartitaIva,
}

fn transport(server: &MockServer, path: &str, platform: &'static str) -> Transport {
    Transport::builder(BaseUrl::parse(&format!("{}{path}", server.uri())).unwrap())
        .platform(platform)
        .build()
        .unwrap()
}

async fn platform() -> Platform {
    let server = MockServer::start().await;
    let clock = ManualClock::new(datetime!(2026-11-23 09:00 UTC));
    let gpd_simulator = GpdSimulator::new(Arc::new(clock));
    gpd_simulator.grant(KEY, &["77777777777"], None);
    gpd_simulator.mount(&server).await;
    let checkout_simulator = CheckoutSimulator::fed_by(gpd_simulator);
    checkout_simulator.grant(KEY);
    checkout_simulator.mount(&server).await;
    Platform {
        gpd: GpdClient::from_transports(
            transport(&server, DEBT_POSITIONS_PATH, "GPD"),
            transport(&server, RECEIPTS_PATH, "GPD"),
            ApiKey::new(KEY),
        ),
        checkout: CheckoutClient::from_transport(
            transport(&server, CHECKOUT_PATH, abilita_pagopa::checkout::PLATFORM),
            ApiKey::new(KEY),
        ),
        creditor: PartitaIva::from_official_test_value("77777777777").unwrap(),
        server,
    }
}

fn nav(n: u64) -> NoticeNumber {
    NoticeNumber::from_iuv_base(&SegregationCode::new("01").unwrap(), n).unwrap()
}

async fn issue(p: &Platform, n: u64) {
    let position = DebtPosition::new(
        format!("77777777777-mensa-{n}").parse().unwrap(),
        Debtor::new(&"STTSGT90A01H501J".parse().unwrap(), "Soggetto Settimo"),
        "Comune di Prova",
        PaymentOption::to_account(
            nav(n).iuv(),
            EuroCents::new(4_500),
            "Mensa scolastica",
            datetime!(2027-01-31 23:59 UTC),
            Iban::new("IT60X0542811101000000123456").unwrap(),
            "9/0101100IM/".parse().unwrap(),
        ),
    );
    p.gpd
        .create(&p.creditor, &position, Publish::Now)
        .await
        .unwrap();
}

fn notice(n: u64) -> CartNotice {
    CartNotice::new(
        nav(n),
        CreditorCode::new("77777777777").unwrap(),
        EuroCents::new(4_500),
        "Comune di Prova",
        "Mensa scolastica",
    )
    .unwrap()
}

fn back(p: &Platform) -> ReturnUrls {
    ReturnUrls::under(&format!("{}/esito", p.server.uri())).unwrap()
}

/// The citizen's browser, which the test drives without following redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn status(p: &Platform, n: u64) -> PositionStatus {
    let iupd = format!("77777777777-mensa-{n}").parse().unwrap();
    p.gpd.get(&p.creditor, &iupd).await.unwrap().status
}

#[tokio::test]
async fn a_cart_paid_on_checkout_is_paid_on_gpd_and_the_citizen_comes_back() {
    let p = platform().await;
    for n in 1..=3 {
        issue(&p, n).await;
    }
    let cart = Cart::new(vec![notice(1), notice(2)], back(&p))
        .unwrap()
        .email("soggetto.settimo@example.it")
        .unwrap()
        .id("cart-2026-0001")
        .unwrap();
    let page = p.checkout.create_cart(&cart).await.unwrap();
    assert!(
        page.as_str().starts_with(&format!("{}/c/", p.server.uri())),
        "{page}"
    );

    let shown = browser()
        .get(page.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains(nav(1).as_str()) && shown.contains("45,00 €"),
        "{shown}"
    );
    let paid = browser().post(format!("{page}/pay")).send().await.unwrap();
    assert_eq!(paid.status(), 302);
    assert_eq!(
        paid.headers()["location"],
        format!("{}/esito/ok", p.server.uri())
    );
    assert_eq!(status(&p, 1).await, PositionStatus::Paid);
    assert_eq!(status(&p, 2).await, PositionStatus::Paid);
    assert_eq!(
        status(&p, 3).await,
        PositionStatus::Valid,
        "not in the cart"
    );
    let again = browser().post(format!("{page}/pay")).send().await.unwrap();
    assert_eq!(again.status(), 404, "a cart is paid once");

    // Another cart, given up.
    let page = p
        .checkout
        .create_cart(&Cart::new(vec![notice(3)], back(&p)).unwrap())
        .await
        .unwrap();
    let cancelled = browser()
        .post(format!("{page}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        cancelled.headers()["location"],
        format!("{}/esito/cancel", p.server.uri())
    );
    assert_eq!(status(&p, 3).await, PositionStatus::Valid);

    // A notice already paid cannot be paid again: the citizen is sent to the error page.
    let page = p
        .checkout
        .create_cart(&Cart::new(vec![notice(1)], back(&p)).unwrap())
        .await
        .unwrap();
    let refused = browser().post(format!("{page}/pay")).send().await.unwrap();
    assert_eq!(
        refused.headers()["location"],
        format!("{}/esito/error", p.server.uri())
    );
}

#[tokio::test]
async fn a_cart_checkout_would_refuse_never_leaves() {
    let p = platform().await;
    assert!(Cart::new(vec![], back(&p)).is_err(), "no notice");
    assert!(
        Cart::new((1..=6).map(notice).collect(), back(&p)).is_err(),
        "six notices"
    );
    assert!(
        Cart::new(vec![notice(1), notice(1)], back(&p)).is_err(),
        "a notice twice"
    );
    let creditor = CreditorCode::new("77777777777").unwrap();
    assert!(CartNotice::new(nav(1), creditor.clone(), EuroCents::new(0), "Comune", "x").is_err());
    assert!(
        CartNotice::new(
            nav(1),
            creditor.clone(),
            EuroCents::new(1),
            &"x".repeat(141),
            "x"
        )
        .is_err()
    );
    assert!(CartNotice::new(nav(1), creditor, EuroCents::new(1), "Comune", " ").is_err());
    assert!(
        ReturnUrls::under("http://comune.example.it/esito").is_err(),
        "http off loopback"
    );
    assert!(ReturnUrls::under("javascript:alert(1)").is_err());
    let cart = Cart::new(vec![notice(1)], back(&p)).unwrap();
    assert!(cart.clone().email("not an address").is_err());
    assert!(cart.id(&"x".repeat(36)).is_err());
}

#[tokio::test]
async fn checkouts_refusals_are_typed_and_a_redirect_without_a_page_is_an_error() {
    let p = platform().await;
    let stranger = CheckoutClient::from_transport(
        transport(&p.server, CHECKOUT_PATH, abilita_pagopa::checkout::PLATFORM),
        ApiKey::new("someone-else"),
    );
    let cart = Cart::new(vec![notice(1)], back(&p)).unwrap();
    let refused = stranger.create_cart(&cart).await;
    assert!(
        matches!(
            refused,
            Err(Error::Service {
                error: CheckoutError::Unauthorized,
                ..
            })
        ),
        "{refused:?}"
    );
    let message = refused.unwrap_err().to_string();
    assert!(
        message.contains("Checkout") && message.contains("create cart"),
        "{message}"
    );

    let odd = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(302).insert_header("location", "ftp://elsewhere/"))
        .mount(&odd)
        .await;
    let client = CheckoutClient::from_transport(
        Transport::builder(BaseUrl::parse(&odd.uri()).unwrap())
            .build()
            .unwrap(),
        ApiKey::new(KEY),
    );
    let answer = client.create_cart(&cart).await;
    assert!(
        matches!(answer, Err(Error::UnparseableResponse(_))),
        "{answer:?}"
    );
}
