//! "Casa digitale del cittadino": a citizen portal on abilita, as Roma,
//! Bologna, Torino and Firenze run theirs. A citizen logs in once with SPID
//! (or CIE) and sees their residence and family from ANPR, their payments on
//! pagoPA (notices, QR codes, pay, receipts) and the messages the
//! municipality sent to their App IO.
//!
//! ```text
//! cargo run -p abilita-examples --bin casa-digitale [-- --listen 127.0.0.1:8080]
//! ```
//!
//! By default every platform is simulated in-process (`abilita_mock`: the
//! SPID test IdP, GPD, App IO, PDND + ANPR), seeded with a TARI in two
//! instalments and a school-canteen fee for each test citizen; it prints its
//! URL, the simulators' and the test users. `--from-env` points it at real
//! platforms instead: the clients read their `ABILITA_*` settings from the
//! environment, the IdPs' metadata come from `--idp-metadata FILE`, the
//! SP's key and certificate from `--sp-key` and `--sp-cert`.

// The URL and the test users on stdout are the program's interface.
#![allow(clippy::print_stdout)]

mod portal;
mod seed;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use abilita_anpr::{AnprClient, AnprConfig};
use abilita_core::{CodiceFiscale, PartitaIva, PrivateKeyPem, Settings};
use abilita_io::IoClient;
use abilita_mock::Simulators;
use abilita_mock::io::CitizenState;
use abilita_mock::server::start_spid_idp;
use abilita_mock::spid::{Profile, SpidIdp};
use abilita_pagopa::gpd::GpdClient;
use abilita_pagopa::{AtomicSequence, IuvGenerator};
use abilita_spid::dsig::TrustedKey;
use abilita_spid::registry::IdpRegistry;
use abilita_spid::web::SpidEndpoints;
use abilita_spid::{
    AttributeSet, Contact, Organization, ServiceProvider, SpidAttribute, SpidLevel,
};
use portal::{ChooserIdp, Portal, Simulated};
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const USAGE: &str = "usage: casa-digitale [--listen ADDR:PORT] [--from-env --idp-metadata FILE... --sp-key FILE --sp-cert FILE]";

struct Options {
    listen: SocketAddr,
    from_env: bool,
    idp_metadata: Vec<String>,
    sp_key: Option<String>,
    sp_cert: Option<String>,
}

fn options() -> std::result::Result<Options, String> {
    let mut options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        from_env: false,
        idp_metadata: Vec::new(),
        sp_key: None,
        sp_cert: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--listen" => {
                options.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?
            }
            "--from-env" => options.from_env = true,
            "--idp-metadata" => options.idp_metadata.push(value()?),
            "--sp-key" => options.sp_key = Some(value()?),
            "--sp-cert" => options.sp_cert = Some(value()?),
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    if options.from_env
        && (options.idp_metadata.is_empty()
            || options.sp_key.is_none()
            || options.sp_cert.is_none())
    {
        return Err(format!(
            "--from-env needs --idp-metadata, --sp-key and --sp-cert\n{USAGE}"
        ));
    }
    Ok(options)
}

/// The portal's SP: its entity id and endpoints under `{base}/spid`.
fn service_provider(base: &str, key: &str, certificate: &str) -> Result<ServiceProvider> {
    Ok(ServiceProvider::new(
        &format!("{base}/spid/metadata"),
        &format!("{base}/spid"),
        Organization {
            name: "Comune di Prova".into(),
            display_name: "Comune di Prova".into(),
            url: "https://www.comune.prova.it".into(),
        },
        Contact::Public {
            ipa_code: "c_h501".into(),
            email: "protocollo@comune.prova.it".into(),
            phone: None,
        },
        vec![AttributeSet {
            service_name: "Casa digitale del cittadino".into(),
            attributes: vec![
                SpidAttribute::FiscalNumber,
                SpidAttribute::Name,
                SpidAttribute::FamilyName,
            ],
        }],
        &PrivateKeyPem::new(key),
        certificate,
        SpidLevel::L2,
    )?)
}

const TEST_SP_KEY: &str = include_str!("../../../../spid/tests/data/sp.key");
const TEST_SP_CERT: &str = include_str!("../../../../spid/tests/data/sp.cert");

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs to stderr: stdout is the URL and the test users.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("casa-digitale: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let creditor = PartitaIva::from_official_test_value("77777777777")?;
    let now = OffsetDateTime::now_utc();
    let (portal, simulators) = if options.from_env {
        let settings = Settings::from_env();
        let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
        let sp = service_provider(
            &base,
            &read(options.sp_key.as_deref().unwrap_or_default())?,
            &read(options.sp_cert.as_deref().unwrap_or_default())?,
        )?;
        let mut registry = IdpRegistry::new();
        let mut idps = Vec::new();
        for path in &options.idp_metadata {
            let idp = registry.add_unsigned_idp_insecure(&read(path)?, now)?;
            // CIE's IdP is the one whose entity id is in CIE's shape.
            let cie = idp.entity_id.contains("/idp/profile/SAML2/");
            idps.push(ChooserIdp {
                entity_id: idp.entity_id.clone(),
                name: idp.entity_id.clone(),
                cie,
            });
        }
        let portal = Portal::new(
            SpidEndpoints::new(sp, registry)?,
            idps,
            GpdClient::from_settings(&settings)?,
            IoClient::from_settings(&settings, None)?,
            AnprClient::new(AnprConfig::from_settings(&settings)?)?,
            creditor,
            None,
        );
        (portal, None)
    } else {
        let simulators = Simulators::start().await?;
        let settings = Settings::from_map(simulators.settings());
        let sp = service_provider(&base, TEST_SP_KEY, TEST_SP_CERT)?;
        // The SPID test IdP of the simulators, and a CIE one beside it.
        let cie = start_spid_idp(
            "127.0.0.1:0".parse()?,
            SpidIdp::generate(Profile::Cie, Arc::new(abilita_core::SystemClock))?,
        )
        .await?;
        let mut registry = IdpRegistry::new();
        let mut chooser = Vec::new();
        for (idp, name, is_cie) in [
            (
                &simulators.spid.simulator,
                "IdP di prova (abilita-mock)",
                false,
            ),
            (&cie.simulator, "CIE di prova (abilita-mock)", true),
        ] {
            idp.trust_sp_metadata(&sp.metadata()?)?;
            let anchor = TrustedKey::from_certificate_pem(idp.certificate_pem())?;
            registry.add_signed_idp(&idp.metadata()?, &[anchor], now)?;
            chooser.push(ChooserIdp {
                entity_id: idp.entity_id(),
                name: name.into(),
                cie: is_cie,
            });
        }
        let idp = &simulators.spid.simulator;
        let gpd = GpdClient::from_settings(&settings)?;
        let io = IoClient::from_settings(&settings, None)?;
        let generator =
            IuvGenerator::new("01".parse()?, AtomicSequence::starting_at(20_260_100_001));
        for user in idp.users() {
            let Some(cf) = user
                .codice_fiscale()
                .and_then(|cf| cf.parse::<CodiceFiscale>().ok())
            else {
                continue;
            };
            let name = format!(
                "{} {}",
                user.attributes
                    .get("name")
                    .map(String::as_str)
                    .unwrap_or_default(),
                user.attributes
                    .get("familyName")
                    .map(String::as_str)
                    .unwrap_or_default()
            );
            simulators
                .io
                .simulator
                .set_citizen(cf.as_str(), CitizenState::Allowed, &[]);
            seed::citizen(&gpd, &io, &creditor, &generator, &cf, &name).await?;
        }
        let portal = Portal::new(
            SpidEndpoints::new(sp, registry)?,
            chooser,
            gpd,
            io,
            AnprClient::new(AnprConfig::from_settings(&settings)?)?,
            creditor,
            Some(Simulated {
                gpd: simulators.gpd.simulator.clone(),
                io: simulators.io.simulator.clone(),
            }),
        );
        (portal, Some((simulators, cie)))
    };
    println!("casa-digitale {base}/");
    if let Some((simulators, cie)) = &simulators {
        println!("spid-idp {}/metadata", simulators.spid.server.uri());
        println!("cie-idp {}/metadata", cie.server.uri());
        println!("anpr {}", simulators.anpr.server.uri());
        println!("gpd {}", simulators.gpd.server.uri());
        println!("io {}", simulators.io.server.uri());
        println!(
            "test users (password \"{}\"):",
            abilita_mock::spid::DEFAULT_PASSWORD
        );
        for user in simulators.spid.simulator.users() {
            println!("  {}", user.username);
        }
    }
    println!("ready");
    let portal = Arc::new(portal);
    let app = axum::Router::new().fallback(move |method, uri, headers, body| {
        let portal = portal.clone();
        async move { portal.serve(method, uri, headers, body).await }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    drop(simulators);
    Ok(())
}
