//! A creditor's station for pagoPA's Nodo, over a real database, paid by
//! abilita-mock's Nodo simulator.
//!
//! ```text
//! cargo run -p abilita-examples --bin station [-- --database-url URL] [--payments N] [--serve ADDR] [--list]
//! ```
//!
//! - The debts live in SQLite by default (`target/abilita-station/station.db`),
//!   or in PostgreSQL with `--database-url postgres://…`. `--payments N`
//!   issues notices 1 to N (20 by default) when missing.
//! - By default the station serves on a free loopback port, the Nodo
//!   simulator pays every unpaid notice (some with a receipt sent twice, an
//!   answer lost, an activation replaced), and the receipts are printed
//!   from the database.
//! - `--serve ADDR` only serves the station at `http://ADDR/pa`, printing
//!   `ready`, until killed: the Nodo (or the program `abilita-mock`'s
//!   `POST /__control/nodo/pay`) pays from outside.
//! - `--list` prints the receipts stored and exits.

// An example reports on stdout.
#![allow(clippy::print_stdout)]

mod store;

use std::sync::Arc;

use abilita_mock::nodo::{NodoSimulator, StationIds, Twist};
use abilita_pagopa::CreditorCode;
use abilita_pagopa::station::{Station, StationConfig, axum_handler};
use axum::routing::post;

use store::{SqlDebts, notice};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const CREDITOR: &str = "77777777777";
const STATION: &str = "77777777777_01";
const DEFAULT_DATABASE: &str = "target/abilita-station/station.db";

struct Options {
    database_url: String,
    payments: u64,
    serve: Option<String>,
    list: bool,
}

fn options() -> Result<Options> {
    let mut options = Options {
        database_url: String::new(),
        payments: 20,
        serve: None,
        list: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--database-url" => options.database_url = value()?,
            "--payments" => options.payments = value()?.parse()?,
            "--serve" => options.serve = Some(value()?),
            "--list" => options.list = true,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    if options.database_url.is_empty() {
        std::fs::create_dir_all("target/abilita-station")?;
        options.database_url = format!("sqlite://{DEFAULT_DATABASE}?mode=rwc");
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = options()?;
    let creditor: CreditorCode = CREDITOR.parse()?;
    let debts = Arc::new(SqlDebts::open(&options.database_url).await?);
    if options.list {
        return print_receipts(&debts).await;
    }
    debts.seed(&creditor, options.payments).await?;
    let config = StationConfig::new(CREDITOR, STATION, vec![creditor])?;
    let station = Arc::new(Station::new(config, debts.clone()));
    let app = axum::Router::new()
        .route("/pa", post(axum_handler))
        .with_state(station);
    let address = options.serve.as_deref().unwrap_or("127.0.0.1:0");
    let listener = tokio::net::TcpListener::bind(address).await?;
    let url = format!("http://{}/pa", listener.local_addr()?);
    if options.serve.is_some() {
        println!("station {url}");
        println!("ready");
        axum::serve(listener, app).await?;
        return Ok(());
    }
    tokio::spawn(async move { axum::serve(listener, app).await });

    let nodo = NodoSimulator::new(url.parse()?, StationIds::new(CREDITOR, STATION));
    let twists = [
        Twist::None,
        Twist::ReceiptTwice,
        Twist::LostReceiptAnswer,
        Twist::ActivationReplaced,
    ];
    for (n, twist) in (1..=options.payments).zip(twists.into_iter().cycle()) {
        let notice = notice(n)?;
        match nodo.pay(CREDITOR, notice.as_str(), twist).await {
            Ok(paid) => println!(
                "paid notice {} ({twist:?}): {} cents, receipt sent {} time(s)",
                notice.as_str(),
                paid.amount_cents,
                paid.receipt_attempts
            ),
            Err(refused) => println!("notice {}: {refused}", notice.as_str()),
        }
    }
    print_receipts(&debts).await
}

async fn print_receipts(debts: &SqlDebts) -> Result<()> {
    let receipts = debts.receipts().await?;
    println!("{} receipts in the database:", receipts.len());
    for receipt in &receipts {
        println!(
            "  {} receipt {} {} from PSP {}{}",
            receipt.notice,
            receipt.receipt_id,
            receipt.amount,
            receipt.psp,
            if receipt.paying {
                ""
            } else {
                " (not paying: kept for the refund)"
            }
        );
    }
    println!("{} notices paid", debts.paid_count().await?);
    Ok(())
}
