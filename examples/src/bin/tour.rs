//! A tour of abilita against the embedded simulators: the main job of the
//! README.
//!
//! 1. The core: identifiers a municipal backend handles every day, and the
//!    transport honouring a platform's `Retry-After` on a stand-in server.
//! 2. pagoPA: a debt position created and published on the embedded GPD
//!    simulator; its notice number printed, its QR code written as PNG and
//!    SVG, and the payment notice rendered as a PDF (under
//!    `target/abilita-tour/`, or the folder given as the first argument).
//! 3. App IO: the notice sent to the citizen's phone through the embedded IO
//!    simulator, with a "pay" button, and followed until IO has processed it.
//! 4. ANPR: the citizen's residence looked up through the embedded PDND and
//!    ANPR simulator (C030 for the idANPR, then C020), every call signed.
//!
//! Run it with `cargo run -p abilita-examples --bin tour`; set
//! `RUST_LOG=abilita=debug` to see the transport's traces (which carry path
//! templates, never codici fiscali or keys).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use abilita_anpr::{AnprClient, AnprConfig, Query, Subject as AnprSubject};
use abilita_core::http::HeaderName;
use abilita_core::{
    ApiKey, ApiRequest, BaseUrl, CodiceFiscale, EuroCents, Iban, PartitaIva, Settings, Transport,
};
use abilita_io::markdown::{Cta, Ctas};
use abilita_io::model::{MessageContent, NewMessage, PaymentData, Recipient, Subject};
use abilita_io::{InstitutionRateLimit, IoClient};
use abilita_mock::Simulators;
use abilita_mock::io::CitizenState;
use abilita_pagopa::gpd::{DebtPosition, Debtor, GpdClient, PaymentOption, Publish};
use abilita_pagopa::notice_pdf::{NoticeCreditor, NoticeDebtor, NoticePdf};
use abilita_pagopa::{AtomicSequence, IuvGenerator, PaymentNotice};
use wiremock::matchers::{header_exists, method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The stand-in platform: throttles the first call, then answers.
struct ThrottledOnce(AtomicUsize);

impl Respond for ThrottledOnce {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            ResponseTemplate::new(429).insert_header("Retry-After", "1")
        } else {
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "sender_allowed": true }))
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let out_dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/abilita-tour"), PathBuf::from);
    let mut out = std::io::stdout().lock();
    core_tour(&mut out).await?;
    // Every simulator on a free loopback port, and the settings that point
    // every client at them: the same settings a deployment reads from its
    // environment (`Settings::from_env()`).
    let simulators = Simulators::start().await?;
    let settings = Settings::from_map(simulators.settings());
    let notice = pagopa_tour(&mut out, &out_dir, &settings).await?;
    let citizen = Recipient::parse("STTSGT90A01H501J")?;
    simulators
        .io
        .simulator
        .set_citizen(citizen.as_str(), CitizenState::Allowed, &[]);
    io_tour(&mut out, &notice, &citizen, &settings).await?;
    anpr_tour(&mut out, &settings).await?;
    Ok(())
}

async fn anpr_tour(out: &mut impl std::io::Write, settings: &Settings) -> Result<()> {
    writeln!(
        out,
        "\n== abilita-anpr on the embedded PDND and ANPR simulator"
    )?;
    let config = AnprConfig::from_settings(settings)?;
    let anpr = AnprClient::new(config)?;
    let query = Query::new("PROT.2026.12345", time::OffsetDateTime::now_utc().date());
    let citizen = CodiceFiscale::new("STTSGT90A01H501J")?;
    let id = anpr.id_anpr(&citizen, &query).await?;
    writeln!(
        out,
        "C030: idANPR {:?} (ANPR operation {:?})",
        id.value, id.id_operazione_anpr
    )?;
    let Some(id) = id.value else { return Ok(()) };
    let residence = anpr.residence(&AnprSubject::IdAnpr(id), &query).await?;
    for place in residence.value {
        writeln!(out, "C020: residence {place}")?;
    }
    Ok(())
}

async fn core_tour(out: &mut impl std::io::Write) -> Result<()> {
    writeln!(out, "== abilita-core")?;
    let citizen: CodiceFiscale = "STTSGT90A01H501J".parse()?;
    let iban = Iban::new("IT60X0542811101000000123456")?;
    let fee = EuroCents::from_decimal_str("120.50")?;
    let today = time::OffsetDateTime::now_utc().date();
    writeln!(
        out,
        "citizen born {:?}, place {:?}",
        citizen.birth_date(today),
        citizen.belfiore_code()
    )?;
    writeln!(out, "IBAN {}, fee {fee}", iban.to_print_format())?;
    if let Err(error) = "STTSGT90A01H501K".parse::<CodiceFiscale>() {
        writeln!(out, "a mistyped code is refused: {error}")?;
    }

    let platform = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex("^/profiles/[A-Z0-9]{16}$"))
        .and(header_exists("ocp-apim-subscription-key"))
        .respond_with(ThrottledOnce(AtomicUsize::new(0)))
        .mount(&platform)
        .await;
    let transport = Transport::builder(BaseUrl::parse(&platform.uri())?).build()?;
    let key = ApiKey::new(std::env::var("ABILITA_DEMO_KEY").unwrap_or_else(|_| "demo-key".into()));
    let started = std::time::Instant::now();
    let response = transport
        .send::<std::convert::Infallible>(
            ApiRequest::get("/profiles/{fiscal_code}")
                .path_param("fiscal_code", citizen.as_str())
                .api_key_header(HeaderName::from_static("ocp-apim-subscription-key"), &key),
        )
        .await?;
    let profile: serde_json::Value = response.json::<_, std::convert::Infallible>()?;
    writeln!(
        out,
        "platform answered HTTP {} after {} ms (one 429 honoured): {profile}",
        response.status(),
        started.elapsed().as_millis()
    )?;
    Ok(())
}

async fn pagopa_tour(
    out: &mut impl std::io::Write,
    out_dir: &std::path::Path,
    settings: &Settings,
) -> Result<PaymentNotice> {
    writeln!(out, "\n== abilita-pagopa on the embedded GPD simulator")?;
    let creditor = PartitaIva::from_official_test_value("77777777777")?;
    let gpd = GpdClient::from_settings(settings)?;

    let generator = IuvGenerator::new("01".parse()?, AtomicSequence::starting_at(20_260_000_001));
    let nav = generator.next_notice_number().await?;
    let amount = EuroCents::from_decimal_str("120.00")?;
    let iban = Iban::new("IT60X0542811101000000123456")?;
    // One payment, all of it to the municipality's own IBAN; the builder
    // fills in GPD's defaults.
    let position = DebtPosition::new(
        format!("{creditor}-tari-2026-{}", nav.iuv()).parse()?,
        Debtor::new(&"STTSGT90A01H501J".parse()?, "Soggetto Settimo"),
        "Comune di Prova",
        PaymentOption::to_account(
            nav.iuv(),
            amount,
            "TARI 2026, rata unica",
            time::OffsetDateTime::now_utc() + time::Duration::days(60),
            iban,
            "9/0101100IM/".parse()?,
        ),
    )
    .office("Ufficio Tributi");
    let created = gpd.create(&creditor, &position, Publish::Now).await?;
    writeln!(
        out,
        "debt position {} is {:?}",
        created.iupd, created.status
    )?;

    let notice = PaymentNotice::new(nav, creditor.clone(), amount)?;
    writeln!(
        out,
        "notice number {} for {}",
        notice.notice_number().to_print_format(),
        notice.amount()
    )?;
    writeln!(out, "QR payload {}", notice.qr_payload())?;
    std::fs::create_dir_all(out_dir)?;
    let png = out_dir.join("notice-qr.png");
    let svg = out_dir.join("notice-qr.svg");
    std::fs::write(&png, notice.qr_png(3)?)?;
    std::fs::write(&svg, notice.qr_svg()?)?;
    writeln!(
        out,
        "QR code written to {} and {}",
        png.display(),
        svg.display()
    )?;
    // The notice itself, as the citizen gets it on paper or as a PDF.
    let pdf = out_dir.join("avviso.pdf");
    let avviso = NoticePdf::single(
        "TARI 2026, rata unica",
        NoticeCreditor::new("Comune di Prova", &creditor)?.office("Ufficio Tributi")?,
        NoticeDebtor::new("Soggetto Settimo", "STTSGT90A01H501J")?
            .address("Via della Libertà 1, 00100 Roma (RM)")?,
        notice.clone(),
        (time::OffsetDateTime::now_utc() + time::Duration::days(60)).date(),
    )?
    .cbill("A0EDT")?
    .postal("123456789012", "Comune di Prova - Servizio Tesoreria")?;
    std::fs::write(&pdf, avviso.render()?)?;
    writeln!(out, "payment notice written to {}", pdf.display())?;
    Ok(notice)
}

async fn io_tour(
    out: &mut impl std::io::Write,
    notice: &PaymentNotice,
    citizen: &Recipient,
    settings: &Settings,
) -> Result<()> {
    writeln!(out, "\n== abilita-io on the embedded IO simulator")?;
    let io = IoClient::from_settings(settings, Some(InstitutionRateLimit::io_default()))?;

    let profile = io.profile(citizen).await?;
    writeln!(out, "citizen reachable on IO: {}", profile.sender_allowed)?;
    let body = format!(
        "Gentile cittadina, gentile cittadino,\n\nè disponibile l'avviso di pagamento della **TARI 2026** di {}.\n\nNumero avviso: `{}`.",
        notice.amount(),
        notice.notice_number().to_print_format()
    );
    let buttons = Ctas::italian(Cta::new("Paga ora", "ioit://WALLET_HOME")?, None);
    let mut content = MessageContent::new(
        Subject::new("TARI 2026: avviso di pagamento")?,
        buttons.prepend_to(&body)?,
    );
    content.payment_data = Some(
        PaymentData::new(notice.amount(), notice.notice_number().as_str())?
            .invalid_after_due_date(),
    );
    content.due_date = Some(time::OffsetDateTime::now_utc() + time::Duration::days(60));
    let id = io
        .submit(&NewMessage {
            fiscal_code: citizen.clone(),
            content,
            feature_level_type: None,
        })
        .await?;
    writeln!(out, "message {id} accepted")?;
    // IO settles a message asynchronously: poll a few times.
    let mut state = io.message(citizen, &id).await?;
    for _ in 0..10 {
        if state.status.is_final() {
            break;
        }
        state = io.message(citizen, &id).await?;
    }
    writeln!(
        out,
        "message state: {:?}; calls left in the rate window: {:?}",
        state.status,
        io.rate_limit_remaining()
    )?;
    Ok(())
}
