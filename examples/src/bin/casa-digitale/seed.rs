//! What the portal finds at start with the simulators: for each test
//! citizen, a TARI in two instalments and a school-canteen fee on GPD, and
//! the TARI notice sent to their App IO.

use abilita_core::{CodiceFiscale, EuroCents, Iban, PartitaIva};
use abilita_io::IoClient;
use abilita_io::model::{Markdown, MessageContent, NewMessage, Recipient, Subject};
use abilita_pagopa::gpd::{
    DebtPosition, Debtor, GpdClient, PaymentOption, Publish, Transfer, TransferDestination,
};
use abilita_pagopa::{AtomicSequence, IuvGenerator};
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A position to seed: its name, and its options' (description, euros, days to due date).
struct Seeded {
    name: &'static str,
    options: &'static [(&'static str, &'static str, i64)],
}

const POSITIONS: [Seeded; 2] = [
    Seeded {
        name: "tari-2026",
        options: &[
            ("TARI 2026, prima rata", "96.50", 30),
            ("TARI 2026, seconda rata", "96.50", 90),
        ],
    },
    Seeded {
        name: "mensa-2026",
        options: &[("Mensa scolastica, ottobre 2026", "58.00", 20)],
    },
];

fn option(
    nav: &abilita_pagopa::NoticeNumber,
    description: &str,
    euros: &str,
    days: i64,
    partial: bool,
) -> Result<PaymentOption> {
    let amount = EuroCents::from_decimal_str(euros)?;
    Ok(PaymentOption {
        nav: Some(nav.clone()),
        iuv: nav.iuv(),
        amount,
        description: description.into(),
        is_partial_payment: partial,
        due_date: OffsetDateTime::now_utc() + time::Duration::days(days),
        retention_date: None,
        transfers: vec![Transfer {
            id: 1,
            amount,
            organization_fiscal_code: None,
            remittance_information: description.into(),
            category: "9/0101100IM/".parse()?,
            destination: TransferDestination::Account {
                iban: Iban::new("IT60X0542811101000000123456")?,
                postal_iban: None,
            },
            metadata: vec![],
        }],
        metadata: vec![],
    })
}

/// Seeds `citizen` (`name` as the debtor's full name).
pub(crate) async fn citizen(
    gpd: &GpdClient,
    io: &IoClient,
    creditor: &PartitaIva,
    generator: &IuvGenerator<AtomicSequence>,
    citizen: &CodiceFiscale,
    name: &str,
) -> Result<()> {
    for seeded in &POSITIONS {
        let mut options = Vec::new();
        let partial = seeded.options.len() > 1;
        for (description, euros, days) in seeded.options {
            let nav = generator.next_notice_number().await?;
            options.push(option(&nav, description, euros, *days, partial)?);
        }
        let position = DebtPosition {
            iupd: format!("{}-{}-{}", creditor, seeded.name, citizen.as_str()).parse()?,
            debtor: Debtor::new(citizen, name),
            company_name: "Comune di Prova".into(),
            office_name: Some("Ufficio Tributi".into()),
            validity_date: None,
            switch_to_expired: false,
            pay_stand_in: true,
            payment_options: options,
        };
        gpd.create(creditor, &position, Publish::Now).await?;
    }
    let mut content = MessageContent::new(
        Subject::new("TARI 2026: avviso di pagamento")?,
        Markdown::new(
            "Gentile cittadina, gentile cittadino,\n\nè disponibile l'avviso di pagamento della **TARI 2026**, in due rate. Lo trovi nella Casa digitale del cittadino, alla voce Pagamenti.",
        )?,
    );
    content.due_date = Some(OffsetDateTime::now_utc() + time::Duration::days(30));
    io.submit(&NewMessage {
        fiscal_code: Recipient::parse(citizen.as_str())?,
        content,
        feature_level_type: None,
    })
    .await?;
    Ok(())
}
