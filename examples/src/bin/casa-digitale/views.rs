//! What the pages show, read from the platforms: each view says whether its
//! platform answered, so a platform that is down gives a polite box on its
//! own page and the rest of the portal still works.

use abilita_anpr::model::SubjectData;
use abilita_anpr::{AnprClient, Query, Subject};
use abilita_core::{CodiceFiscale, PartitaIva};
use abilita_io::IoClient;
use abilita_io::model::Recipient;
use abilita_pagopa::PaymentNotice;
use abilita_pagopa::gpd::{GpdClient, ListFilter, ReceiptsFilter};
use base64::Engine as _;
use serde::Serialize;

/// "MARIO" → "Mario", for the names ANPR writes in capitals.
fn title_case(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            let lower = word.to_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn person(subject: &SubjectData) -> String {
    subject
        .generalita
        .as_ref()
        .map(|g| {
            title_case(&format!(
                "{} {}",
                g.nome.clone().unwrap_or_default(),
                g.cognome.clone().unwrap_or_default()
            ))
        })
        .unwrap_or_default()
}

/// Residence and family from ANPR: C030 for the idANPR, then C020 and C021.
#[derive(Debug, Serialize, Default)]
pub(crate) struct AnprView {
    pub(crate) ok: bool,
    pub(crate) residence: Vec<String>,
    pub(crate) family: Vec<String>,
}

pub(crate) async fn anpr(client: &AnprClient, citizen: &CodiceFiscale) -> AnprView {
    let query = Query::new("CASA-DIGITALE", time::OffsetDateTime::now_utc().date());
    let read = async {
        let id = client.id_anpr(citizen, &query).await?;
        let subject = match id.value {
            Some(id) => Subject::IdAnpr(id),
            None => Subject::CodiceFiscale(citizen.clone()),
        };
        let residence = client.residence(&subject, &query).await?;
        let family = client.family(&subject, &query).await?;
        Ok::<_, abilita_core::Error<abilita_anpr::AnprError>>((residence.value, family.value))
    };
    match read.await {
        Ok((residence, family)) => AnprView {
            ok: true,
            residence: residence
                .iter()
                .filter(|r| r.address.is_some() || r.foreign_address.is_some())
                // Title case, as a letter prints it.
                .map(|r| format!("{r:#}"))
                .collect(),
            family: family
                .iter()
                .map(person)
                .filter(|p| !p.is_empty())
                .collect(),
        },
        Err(error) => {
            tracing::warn!(%error, "ANPR did not answer");
            AnprView::default()
        }
    }
}

/// A payment option as the page lists it.
#[derive(Debug, Serialize)]
pub(crate) struct OptionView {
    pub(crate) description: String,
    pub(crate) amount: String,
    pub(crate) due: String,
    pub(crate) nav: String,
    pub(crate) notice: String,
    /// The pagoPA QR code, PNG in base64.
    pub(crate) qr: String,
    pub(crate) payable: bool,
    pub(crate) paid: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct PositionView {
    pub(crate) title: String,
    pub(crate) status: &'static str,
    pub(crate) options: Vec<OptionView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ReceiptView {
    pub(crate) iuv: String,
    pub(crate) paid: String,
}

#[derive(Debug, Serialize, Default)]
pub(crate) struct GpdView {
    pub(crate) ok: bool,
    pub(crate) positions: Vec<PositionView>,
    pub(crate) receipts: Vec<ReceiptView>,
}

pub(crate) fn date(at: time::OffsetDateTime) -> String {
    format!("{:02}/{:02}/{}", at.day(), u8::from(at.month()), at.year())
}

fn status(status: abilita_pagopa::gpd::PositionStatus) -> &'static str {
    use abilita_pagopa::gpd::PositionStatus as S;
    match status {
        S::Paid => "Pagato",
        S::PartiallyPaid => "Pagato in parte",
        S::Valid | S::Published => "Da pagare",
        S::Expired => "Scaduto",
        S::Invalid => "Annullato",
        _ => "In lavorazione",
    }
}

/// The notice of an option: its number, amount and QR.
pub(crate) fn notice(
    creditor: &PartitaIva,
    nav: &str,
    amount: abilita_core::EuroCents,
) -> Option<PaymentNotice> {
    PaymentNotice::new(nav.parse().ok()?, creditor.clone(), amount).ok()
}

pub(crate) fn qr_base64(notice: &PaymentNotice) -> String {
    notice
        .qr_png(4)
        .map(|png| base64::engine::general_purpose::STANDARD.encode(png))
        .unwrap_or_default()
}

pub(crate) async fn gpd(
    client: &GpdClient,
    creditor: &PartitaIva,
    citizen: &CodiceFiscale,
) -> GpdView {
    // Every page: the creditor's positions are many, the citizen's few.
    let mut positions = Vec::new();
    let mut page = 0;
    loop {
        match client
            .list(creditor, &ListFilter::default(), page, 50)
            .await
        {
            Ok(answer) => {
                positions.extend(answer.payment_position_list);
                page += 1;
                if page >= answer.page_info.total_pages {
                    break;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "GPD did not answer");
                return GpdView::default();
            }
        }
    }
    let mine = positions
        .into_iter()
        .filter(|p| p.fiscal_code.as_deref() == Some(citizen.as_str()));
    let positions = mine
        .map(|position| PositionView {
            title: position
                .payment_options
                .first()
                .and_then(|o| o.description.clone())
                .map(|d| d.split(',').next().unwrap_or_default().to_owned())
                .unwrap_or_else(|| position.iupd.clone()),
            status: status(position.status),
            options: position
                .payment_options
                .iter()
                .map(|option| {
                    let nav = option.nav.clone().unwrap_or_default();
                    let notice = notice(creditor, &nav, option.amount);
                    let paid = option.payment_date.is_some();
                    OptionView {
                        description: option.description.clone().unwrap_or_default(),
                        amount: option.amount.to_string(),
                        due: option.due_date.map(date).unwrap_or_default(),
                        notice: notice
                            .as_ref()
                            .map(|n| n.notice_number().to_print_format())
                            .unwrap_or_else(|| nav.clone()),
                        qr: notice.as_ref().map(qr_base64).unwrap_or_default(),
                        payable: !paid
                            && matches!(
                                position.status,
                                abilita_pagopa::gpd::PositionStatus::Valid
                                    | abilita_pagopa::gpd::PositionStatus::PartiallyPaid
                            ),
                        paid,
                        nav,
                    }
                })
                .collect(),
        })
        .collect();
    let filter = ReceiptsFilter {
        debtor: Some(citizen.as_str().to_owned()),
        ..ReceiptsFilter::default()
    };
    let receipts = client
        .receipts(creditor, &filter, 0, 100)
        .await
        .map(|page| {
            page.results
                .iter()
                .map(|r| ReceiptView {
                    iuv: r
                        .get("iuv")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    paid: r
                        .get("paymentDateTime")
                        .and_then(serde_json::Value::as_str)
                        .and_then(|at| at.get(..10))
                        .and_then(|day| {
                            time::Date::parse(
                                day,
                                time::macros::format_description!("[year]-[month]-[day]"),
                            )
                            .ok()
                        })
                        .map(|day| {
                            format!(
                                "{:02}/{:02}/{}",
                                day.day(),
                                u8::from(day.month()),
                                day.year()
                            )
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    GpdView {
        ok: true,
        positions,
        receipts,
    }
}

/// Whether the citizen can receive IO messages, and those the municipality sent.
#[derive(Debug, Serialize, Default)]
pub(crate) struct IoView {
    pub(crate) ok: bool,
    pub(crate) reachable: bool,
    pub(crate) messages: Vec<String>,
}

pub(crate) async fn io(client: &IoClient, citizen: &CodiceFiscale, sent: Vec<String>) -> IoView {
    let Ok(recipient) = Recipient::parse(citizen.as_str()) else {
        return IoView::default();
    };
    match client.profile(&recipient).await {
        Ok(profile) => IoView {
            ok: true,
            reachable: profile.sender_allowed,
            messages: sent,
        },
        Err(error) => {
            tracing::warn!(%error, "App IO did not answer");
            IoView {
                ok: false,
                reachable: false,
                messages: sent,
            }
        }
    }
}
