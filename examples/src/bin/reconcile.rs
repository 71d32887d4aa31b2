//! A municipality's week of pagoPA money, offline: the daily reconciliation
//! job against the embedded simulators, on a simulated clock.
//!
//! 1. Monday: eight TARI notices are issued on GPD (120 € each, in two
//!    transfers). Citizens pay five: three on pagoPA Checkout (a cart of
//!    two and a cart of one, through the Checkout simulator's pay button),
//!    two at a PSP's counter.
//! 2. Wednesday (D+2): the PSP publishes its reporting flow of Monday. The
//!    job reads what its cursor has not, matches it to GPD's paid options
//!    and writes the day's report: everything reconciled.
//! 3. Thursday: the PSP publishes a revision of the flow with one amount
//!    changed, and a sixth citizen pays. The job reads only the revision;
//!    the report shows the mismatch and the new payment awaiting its flow.
//! 4. Monday after: no PSP reported the sixth payment: the report shows it
//!    late.
//!
//! Each day's report is written as CSV (and the cursor as JSON) under
//! `target/abilita-reconcile/`, or the folder given as the first argument.
//! Run it with `cargo run -p abilita-examples --bin reconcile`.

// The week's story on stdout is this example's output.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::sync::Arc;

use abilita_core::testing::ManualClock;
use abilita_core::{Clock, CodiceFiscale, EuroCents, Iban, PartitaIva, Settings};
use abilita_mock::Simulators;
use abilita_mock::fdr::FdrSimulator;
use abilita_pagopa::checkout::{Cart, CartNotice, CheckoutClient, ReturnUrls};
use abilita_pagopa::fdr::{Cursor, FdrClient};
use abilita_pagopa::gpd::{
    DebtPosition, Debtor, GpdClient, ListFilter, PaymentOption, PositionStatus, Publish, Transfer,
    TransferDestination,
};
use abilita_pagopa::reconcile::{PaidTransfer, Reconciler, Report};
use abilita_pagopa::{CreditorCode, NoticeNumber, SegregationCode};
use time::macros::datetime;
use time::{Date, Duration};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const CREDITOR: &str = "77777777777";
const PSP: &str = "88888888888";
const NOTICES: u64 = 8;

struct Town {
    clock: ManualClock,
    simulators: Simulators,
    gpd: GpdClient,
    checkout: CheckoutClient,
    fdr: FdrClient,
    creditor: PartitaIva,
    code: CreditorCode,
    out: PathBuf,
}

#[tokio::main]
async fn main() -> Result<()> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/abilita-reconcile"), PathBuf::from);
    std::fs::create_dir_all(&out)?;
    // Monday 23 November 2026, 09:00 UTC.
    let clock = ManualClock::new(datetime!(2026-11-23 09:00 UTC));
    let simulators = Simulators::start_with_clock(Arc::new(clock.clone())).await?;
    let settings = Settings::from_map(simulators.settings());
    let town = Town {
        gpd: GpdClient::from_settings(&settings)?,
        checkout: CheckoutClient::from_settings(&settings)?,
        fdr: FdrClient::from_settings(&settings)?,
        creditor: PartitaIva::from_official_test_value(CREDITOR)?,
        code: CreditorCode::new(CREDITOR)?,
        clock,
        simulators,
        out,
    };
    // A fresh week: no cursor left from an earlier run. The flows read
    // stay in `stored`: the creditor's database, in this example.
    let _ = std::fs::remove_file(town.out.join("cursor.json"));
    let mut stored = Reconciler::new();

    let monday = town.today();
    for n in 1..=NOTICES {
        town.issue(n).await?;
    }
    town.pay_on_checkout(&[1, 2]).await?;
    town.pay_on_checkout(&[3]).await?;
    town.pay_at_counter(4)?;
    town.pay_at_counter(5)?;
    println!("{monday}: {NOTICES} notices issued; 5 paid (3 on Checkout, 2 at a counter)");

    town.clock.advance(Duration::days(2));
    let flow = FdrSimulator::flow_id(town.today(), PSP, 1);
    let sim = &town.simulators;
    sim.fdr
        .simulator
        .report_gpd_payments(&sim.gpd.simulator, CREDITOR, PSP, &flow, monday)
        .map_err(|e| format!("publishing the flow: {e}"))?;
    town.daily_job(&mut stored).await?;

    town.clock.advance(Duration::days(1));
    let mut revised = sim
        .fdr
        .simulator
        .latest_payments(PSP, &flow)
        .ok_or("the flow was published")?;
    if let Some(first) = revised.first_mut() {
        first.cents -= 250;
    }
    sim.fdr
        .simulator
        .publish(CREDITOR, PSP, &flow, revised)
        .map_err(|e| format!("revising the flow: {e}"))?;
    town.pay_at_counter(6)?;
    town.daily_job(&mut stored).await?;

    town.clock.advance(Duration::days(4));
    town.daily_job(&mut stored).await?;
    println!("reports and cursor in {}", town.out.display());
    Ok(())
}

impl Town {
    fn today(&self) -> Date {
        self.clock.now().date()
    }

    fn notice(n: u64) -> Result<NoticeNumber> {
        Ok(NoticeNumber::from_iuv_base(
            &SegregationCode::new("01")?,
            1_000 + n,
        )?)
    }

    /// A TARI of 120 €: 90 € of tax and 30 € of waste collection.
    async fn issue(&self, n: u64) -> Result<()> {
        let nav = Self::notice(n)?;
        let transfer = |id: u8, cents: u64, what: &str| -> Result<Transfer> {
            Ok(Transfer {
                id,
                amount: EuroCents::new(cents),
                organization_fiscal_code: None,
                remittance_information: what.into(),
                category: "9/0101100IM/".parse()?,
                destination: TransferDestination::Account {
                    iban: Iban::new("IT60X0542811101000000123456")?,
                    postal_iban: None,
                },
                metadata: vec![],
            })
        };
        let debtor: CodiceFiscale = "STTSGT90A01H501J".parse()?;
        let option = PaymentOption {
            transfers: vec![
                transfer(1, 9_000, "TARI 2026")?,
                transfer(2, 3_000, "TARI 2026 servizi")?,
            ],
            ..PaymentOption::to_account(
                nav.iuv(),
                EuroCents::new(12_000),
                "TARI 2026",
                self.clock.now() + Duration::days(60),
                Iban::new("IT60X0542811101000000123456")?,
                "9/0101100IM/".parse()?,
            )
        };
        let position = DebtPosition::new(
            format!("{CREDITOR}-tari-2026-{n:04}").parse()?,
            Debtor::new(&debtor, "Soggetto Settimo"),
            "Comune di Prova",
            option,
        );
        self.gpd
            .create(&self.creditor, &position, Publish::Now)
            .await?;
        Ok(())
    }

    /// A citizen pays `notices` in one cart on Checkout: the backend posts
    /// the cart, the browser goes to the page and presses "pay".
    async fn pay_on_checkout(&self, notices: &[u64]) -> Result<()> {
        let mut cart = Vec::new();
        for &n in notices {
            cart.push(CartNotice::new(
                Self::notice(n)?,
                self.code.clone(),
                EuroCents::new(12_000),
                "Comune di Prova",
                "TARI 2026",
            )?);
        }
        let back = ReturnUrls::under("https://servizi.comune.example.it/pagamenti/esito")?;
        let page = self.checkout.create_cart(&Cart::new(cart, back)?).await?;
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let answer = browser.post(format!("{page}/pay")).send().await?;
        let back_to = answer
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default();
        if !back_to.ends_with("/ok") {
            return Err(format!("Checkout sent the citizen to {back_to}").into());
        }
        Ok(())
    }

    /// A citizen pays notice `n` at a PSP's counter.
    fn pay_at_counter(&self, n: u64) -> Result<()> {
        self.simulators
            .gpd
            .simulator
            .pay_option(CREDITOR, Self::notice(n)?.as_str(), "Banca Prova")
            .map_err(|e| format!("paying notice {n}: {e}"))?;
        Ok(())
    }

    /// The daily job: read what the cursor has not into `stored`, report
    /// on everything stored against GPD's payments, write the report and
    /// the cursor.
    async fn daily_job(&self, stored: &mut Reconciler) -> Result<()> {
        let cursor_file = self.out.join("cursor.json");
        let mut cursor: Cursor = match std::fs::read_to_string(&cursor_file) {
            Ok(saved) => serde_json::from_str(&saved)?,
            Err(_) => Cursor::new(),
        };
        let mut read = Vec::new();
        for flow in self.fdr.unread(&self.creditor, &cursor).await? {
            let payments = self
                .fdr
                .all_payments(&self.creditor, &flow.flow_ref())
                .await?;
            read.push(format!(
                "{} ({} transfers)",
                flow.flow_ref(),
                payments.len()
            ));
            stored.add_flow(&flow.flow_ref(), payments);
            cursor.mark_read(&flow);
        }
        let mut reconciler = stored.clone();
        reconciler.add_paid(self.paid().await?);
        let today = self.today();
        let report = reconciler.report(today);
        let file = self.out.join(format!("report-{today}.csv"));
        std::fs::write(&file, report.to_csv())?;
        cursor.prune(self.clock.now());
        std::fs::write(&cursor_file, serde_json::to_string_pretty(&cursor)?)?;
        println!(
            "{today}: read {}",
            if read.is_empty() {
                "nothing new".to_owned()
            } else {
                read.join(", ")
            }
        );
        println!("  {}", summary(&report));
        println!("  → {}", file.display());
        Ok(())
    }

    /// Every transfer GPD shows paid through pagoPA in the last 30 days.
    async fn paid(&self) -> Result<Vec<PaidTransfer>> {
        let today = self.today();
        let filter = ListFilter {
            payment_date_from: Some(today - Duration::days(30)),
            payment_date_to: Some(today),
            status: Some(PositionStatus::Paid),
            ..ListFilter::default()
        };
        let mut paid = Vec::new();
        let mut page = 0;
        loop {
            let listed = self.gpd.list(&self.creditor, &filter, page, 50).await?;
            for option in listed
                .payment_position_list
                .iter()
                .flat_map(|p| &p.payment_options)
            {
                paid.extend(PaidTransfer::from_gpd_option(option, &self.code));
            }
            page += 1;
            if page >= listed.page_info.total_pages {
                return Ok(paid);
            }
        }
    }
}

fn summary(report: &Report) -> String {
    format!(
        "{} reconciled, {} amount mismatches, {} unknown, {} duplicates, {} late, {} awaiting their flow",
        report.reconciled.len(),
        report.mismatched.len(),
        report.unknown.len(),
        report.duplicates.len(),
        report.unreported.len(),
        report.awaiting.len()
    )
}
