//! `abilita-mock`: serves the platform simulators on fixed loopback ports
//! until interrupted.
//!
//! ```text
//! abilita-mock [--host 127.0.0.1] [--gpd-port 18081] [--io-port 18082] [--anpr-port 18083]
//!              [--key KEY] [--manage-key KEY] [--creditor CF]...
//!              [--io-citizens FILE.json] [--io-default-citizen allowed|not_registered|inbox_off]
//!              [--io-rate-limit COUNT/SECONDS|off] [--io-max-messages N]
//!              [--gpd-max-positions N] [--spid-port 18084] [--cie-port 18085]
//!              [--spid-sp-metadata FILE|URL]... [--spid-users FILE.json]
//!              [--spid-key FILE --spid-cert FILE] [--anpr-people FILE.json]
//!              [--nodo-port 18086] [--fdr-port 18087] [--checkout-port 18088]
//!              [--print-port 18089]
//!              [--env-file PATH]
//! ```
//!
//! It prints one line per simulator, `NAME BASE_URL`, then `ready`. Each
//! server answers `GET /health`. It stops on Ctrl-C or SIGTERM within a
//! second; its memory stays flat under load (see the README's figures). The key (default `abilita-test-key`) may act
//! for every creditor given (default pagoPA's test creditor `77777777777`) on
//! GPD, and is the primary key of the IO service `abilita-test-service` of the
//! first creditor; the manage key manages that institution's IO services.
//! Citizens come from a JSON file (`[{"fiscal_code", "state"}]`) or the
//! control API `POST /__control/io/citizens`. IO's rate limit per
//! institution is 150 calls per 5 seconds, as on IO (`--io-rate-limit`
//! changes it). State that requests create is bounded: at most 100,000
//! debt positions (`--gpd-max-positions`; beyond, creation answers 507) and
//! the latest 100,000 IO messages (`--io-max-messages`); PDND and ANPR keep
//! only the tokens still alive and today's call counts.
//! `POST /__control/{gpd,io,anpr}/reset` forgets it all. PDND clients register with
//! `POST /__control/anpr/clients` on the ANPR port; one is registered
//! already, approved for every e-service (`abilita_mock::SIMULATED_CLIENT_ID`).
//! The ANPR subjects are ANPR's official UAT test subjects, plus the people
//! of `--anpr-people` or `POST /__control/anpr/people`;
//! `GET /__control/anpr/calls` lists the consultations received.
//!
//! A SPID test IdP serves on `--spid-port` and a CIE one on `--cie-port`
//! (`GET /metadata` on each; `abilita_mock::spid` documents every HTTP
//! step of a login). They trust the SPs whose metadata `--spid-sp-metadata`
//! names (a file or a URL, read once at start) or that are registered with
//! `POST /__control/spid/sps`; their users are ANPR's test subjects plus
//! `--spid-users`. Their key is made at start unless `--spid-key` and
//! `--spid-cert` give one (a stable trust anchor).
//!
//! The Nodo simulator serves `POST /__control/nodo/pay` on `--nodo-port`:
//! it pays a notice at a creditor's station URL as a PSP payment makes the
//! Nodo do (`abilita_mock::nodo` documents the body and the answers).
//!
//! The FdR simulator (reporting flows) serves on `--fdr-port` for the same
//! key and creditors as GPD; a PSP publishes a flow with `POST
//! /__control/fdr/organizations/{cf}/flows`, or reports a day of the GPD
//! simulator's payments with `POST …/flows/from-gpd` (`abilita_mock::fdr`
//! documents both).
//!
//! The Checkout simulator serves on `--checkout-port`: `POST
//! /checkout/ec/v2/carts` with the key answers 302 to the cart's page,
//! where `POST /c/{cart}/pay` pays its notices on the GPD simulator
//! (`abilita_mock::checkout` documents the pages). pagoPA's print service
//! serves on `--print-port` (`abilita_mock::print`).
//!
//! `--env-file PATH` writes the settings that point every abilita client at
//! the simulators (`ABILITA_GPD_URL=…`, one per line, as `Settings` reads
//! them and a shell or a CI service definition loads them), the simulated
//! PDND client's key beside it (`PATH.pdnd-client.key`, named by
//! `ABILITA_PDND_PRIVATE_KEY_FILE`), before `ready` is printed. A pipeline
//! waits for `ready` on stdout, or for `GET /health` to answer 200 on each
//! port.

// The base URLs on stdout are this program's interface.
#![allow(clippy::print_stdout)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use abilita_core::SystemClock;
use abilita_mock::anpr::{ANPR_PREFIX_PATH, TOKEN_PATH};
use abilita_mock::checkout::CHECKOUT_PATH;
use abilita_mock::fdr::FDR_PATH;
use abilita_mock::gpd::{DEBT_POSITIONS_PATH, DEFAULT_MAX_POSITIONS, RECEIPTS_PATH};
use abilita_mock::io::{CitizenState, DEFAULT_MAX_MESSAGES, IO_PATH};
use abilita_mock::nodo::PAY_PATH;
use abilita_mock::print::PRINT_PATH;
use abilita_mock::server::{
    DEFAULT_CREDITOR, DEFAULT_KEY, DEFAULT_MANAGE_KEY, Running, start_anpr, start_checkout,
    start_fdr, start_gpd, start_io, start_nodo, start_print, start_spid_idp,
};
use abilita_mock::spid::{IdpKeys, Profile, SpidIdp};
use abilita_mock::{
    checkout_settings, fdr_settings, print_settings, register_simulated_client, settings_for,
    simulated_client_key,
};

const USAGE: &str = "usage: abilita-mock [--host IP] [--gpd-port PORT] [--io-port PORT] [--anpr-port PORT] [--key KEY] [--manage-key KEY] \
                     [--creditor CF]... [--io-citizens FILE] [--io-default-citizen allowed|not_registered|inbox_off] \
                     [--io-rate-limit COUNT/SECONDS|off] [--io-max-messages N] [--gpd-max-positions N] \
                     [--spid-port PORT] [--cie-port PORT] [--spid-sp-metadata FILE|URL]... [--spid-users FILE] \
                     [--spid-key FILE --spid-cert FILE] [--anpr-people FILE] [--nodo-port PORT] [--fdr-port PORT] [--checkout-port PORT] [--print-port PORT] [--env-file PATH]";

struct Options {
    host: IpAddr,
    gpd_port: u16,
    io_port: u16,
    anpr_port: u16,
    key: String,
    manage_key: String,
    creditors: Vec<String>,
    io_citizens: Option<String>,
    io_default_citizen: CitizenState,
    io_rate_limit: Option<(usize, Duration)>,
    io_max_messages: usize,
    gpd_max_positions: usize,
    spid_port: u16,
    cie_port: u16,
    spid_sp_metadata: Vec<String>,
    spid_users: Option<String>,
    spid_key: Option<(String, String)>,
    anpr_people: Option<String>,
    nodo_port: u16,
    fdr_port: u16,
    checkout_port: u16,
    print_port: u16,
    env_file: Option<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        host: IpAddr::from([127, 0, 0, 1]),
        gpd_port: 18081,
        io_port: 18082,
        anpr_port: 18083,
        key: DEFAULT_KEY.to_owned(),
        manage_key: DEFAULT_MANAGE_KEY.to_owned(),
        creditors: Vec::new(),
        io_citizens: None,
        io_default_citizen: CitizenState::NotRegistered,
        io_rate_limit: Some((150, Duration::from_secs(5))),
        io_max_messages: DEFAULT_MAX_MESSAGES,
        gpd_max_positions: DEFAULT_MAX_POSITIONS,
        spid_port: 18084,
        cie_port: 18085,
        spid_sp_metadata: Vec::new(),
        spid_users: None,
        spid_key: None,
        anpr_people: None,
        nodo_port: 18086,
        fdr_port: 18087,
        checkout_port: 18088,
        print_port: 18089,
        env_file: None,
    };
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--host" => options.host = value()?.parse().map_err(|e| format!("--host: {e}"))?,
            "--gpd-port" => {
                options.gpd_port = value()?.parse().map_err(|e| format!("--gpd-port: {e}"))?
            }
            "--io-port" => {
                options.io_port = value()?.parse().map_err(|e| format!("--io-port: {e}"))?
            }
            "--anpr-port" => {
                options.anpr_port = value()?.parse().map_err(|e| format!("--anpr-port: {e}"))?
            }
            "--key" => options.key = value()?,
            "--manage-key" => options.manage_key = value()?,
            "--creditor" => options.creditors.push(value()?),
            "--io-citizens" => options.io_citizens = Some(value()?),
            "--env-file" => options.env_file = Some(value()?),
            "--checkout-port" => {
                options.checkout_port = value()?
                    .parse()
                    .map_err(|e| format!("--checkout-port: {e}"))?
            }
            "--print-port" => {
                options.print_port = value()?.parse().map_err(|e| format!("--print-port: {e}"))?
            }
            "--fdr-port" => {
                options.fdr_port = value()?.parse().map_err(|e| format!("--fdr-port: {e}"))?
            }
            "--nodo-port" => {
                options.nodo_port = value()?.parse().map_err(|e| format!("--nodo-port: {e}"))?
            }
            "--io-rate-limit" => options.io_rate_limit = rate_limit(&value()?)?,
            "--spid-port" => {
                options.spid_port = value()?.parse().map_err(|e| format!("--spid-port: {e}"))?
            }
            "--cie-port" => {
                options.cie_port = value()?.parse().map_err(|e| format!("--cie-port: {e}"))?
            }
            "--spid-sp-metadata" => options.spid_sp_metadata.push(value()?),
            "--spid-users" => options.spid_users = Some(value()?),
            "--anpr-people" => options.anpr_people = Some(value()?),
            "--spid-key" => {
                let key = value()?;
                let certificate = options.spid_key.take().map(|(_, c)| c).unwrap_or_default();
                options.spid_key = Some((key, certificate));
            }
            "--spid-cert" => {
                let certificate = value()?;
                let key = options.spid_key.take().map(|(k, _)| k).unwrap_or_default();
                options.spid_key = Some((key, certificate));
            }
            "--io-max-messages" => {
                options.io_max_messages = positive(&flag, &value()?)?;
            }
            "--gpd-max-positions" => {
                options.gpd_max_positions = positive(&flag, &value()?)?;
            }
            "--io-default-citizen" => {
                options.io_default_citizen = match value()?.as_str() {
                    "allowed" => CitizenState::Allowed,
                    "not_registered" => CitizenState::NotRegistered,
                    "inbox_off" => CitizenState::InboxOff,
                    other => return Err(format!("--io-default-citizen: unknown state {other}")),
                }
            }
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    // Loopback, or every address inside a container (the recipe in
    // mock-servers/Dockerfile): never one network of the host's.
    if !(options.host.is_loopback() || options.host.is_unspecified()) {
        return Err("the simulators serve loopback (or, in a container, 0.0.0.0) only".to_owned());
    }
    if options
        .spid_key
        .as_ref()
        .is_some_and(|(key, certificate)| key.is_empty() || certificate.is_empty())
    {
        return Err("--spid-key and --spid-cert go together".to_owned());
    }
    if options.creditors.is_empty() {
        options.creditors.push(DEFAULT_CREDITOR.to_owned());
    }
    Ok(options)
}

/// A count above zero.
fn positive(flag: &str, text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag}: {text} is not a number above zero")),
    }
}

/// `off`, or `COUNT/SECONDS` with both above zero.
fn rate_limit(text: &str) -> Result<Option<(usize, Duration)>, String> {
    if text == "off" {
        return Ok(None);
    }
    let parsed = text.split_once('/').and_then(|(count, seconds)| {
        Some((count.parse::<usize>().ok()?, seconds.parse::<u64>().ok()?))
    });
    match parsed {
        Some((count, seconds)) if count > 0 && seconds > 0 => {
            Ok(Some((count, Duration::from_secs(seconds))))
        }
        _ => Err(format!(
            "--io-rate-limit: {text} is not COUNT/SECONDS (both above zero) or off"
        )),
    }
}

async fn run(options: Options) -> Result<(), String> {
    let creditors: Vec<&str> = options.creditors.iter().map(String::as_str).collect();
    let clock = Arc::new(SystemClock);
    let gpd_address = SocketAddr::new(options.host, options.gpd_port);
    let gpd = start_gpd(gpd_address, clock.clone(), &options.key, &creditors)
        .await
        .map_err(|e| format!("cannot serve GPD on {gpd_address}: {e}"))?;
    let io_address = SocketAddr::new(options.host, options.io_port);
    let institution = creditors.first().copied().unwrap_or(DEFAULT_CREDITOR);
    let io = start_io(
        io_address,
        clock,
        &options.key,
        &options.manage_key,
        institution,
    )
    .await
    .map_err(|e| format!("cannot serve IO on {io_address}: {e}"))?;
    io.simulator.set_default_citizen(options.io_default_citizen);
    io.simulator.set_rate_limit(options.io_rate_limit);
    io.simulator.set_max_messages(options.io_max_messages);
    gpd.simulator.set_max_positions(options.gpd_max_positions);
    let fdr_address = SocketAddr::new(options.host, options.fdr_port);
    let fdr = start_fdr(
        fdr_address,
        Arc::new(SystemClock),
        &options.key,
        &creditors,
        Some(gpd.simulator.clone()),
    )
    .await
    .map_err(|e| format!("cannot serve FdR on {fdr_address}: {e}"))?;
    let checkout_address = SocketAddr::new(options.host, options.checkout_port);
    let checkout = start_checkout(checkout_address, &options.key, Some(gpd.simulator.clone()))
        .await
        .map_err(|e| format!("cannot serve Checkout on {checkout_address}: {e}"))?;
    let print_address = SocketAddr::new(options.host, options.print_port);
    let print = start_print(print_address, Arc::new(SystemClock), &options.key)
        .await
        .map_err(|e| format!("cannot serve the print service on {print_address}: {e}"))?;
    if let Some(file) = &options.io_citizens {
        let json =
            std::fs::read_to_string(file).map_err(|e| format!("--io-citizens {file}: {e}"))?;
        io.simulator
            .seed_citizens(&json)
            .map_err(|e| format!("--io-citizens {file}: {e}"))?;
    }
    let anpr_address = SocketAddr::new(options.host, options.anpr_port);
    let anpr = start_anpr(anpr_address, Arc::new(SystemClock))
        .await
        .map_err(|e| format!("cannot serve ANPR on {anpr_address}: {e}"))?;
    register_simulated_client(&anpr.simulator)
        .map_err(|e| format!("cannot register the simulated PDND client: {e}"))?;
    if let Some(file) = &options.anpr_people {
        let json =
            std::fs::read_to_string(file).map_err(|e| format!("--anpr-people {file}: {e}"))?;
        anpr.simulator
            .add_people(&json)
            .map_err(|e| format!("--anpr-people {file}: {e}"))?;
    }
    let spid = start_idp(&options, Profile::Spid, options.spid_port).await?;
    let cie = start_idp(&options, Profile::Cie, options.cie_port).await?;
    let nodo = start_nodo(SocketAddr::new(options.host, options.nodo_port))
        .await
        .map_err(|e| {
            format!(
                "cannot serve the Nodo simulator on port {}: {e}",
                options.nodo_port
            )
        })?;
    let (gpd_uri, io_uri, anpr_uri) = (gpd.server.uri(), io.server.uri(), anpr.server.uri());
    if let Some(path) = &options.env_file {
        let mut settings = settings_for(
            &gpd_uri,
            &io_uri,
            &anpr_uri,
            &options.key,
            &options.manage_key,
        );
        settings.extend(fdr_settings(&fdr.server.uri(), &options.key));
        settings.extend(checkout_settings(&checkout.server.uri(), &options.key));
        settings.extend(print_settings(&print.server.uri(), &options.key));
        write_env_file(path, settings).map_err(|e| format!("--env-file {path}: {e}"))?;
    }
    println!("gpd {gpd_uri}{DEBT_POSITIONS_PATH}");
    println!("gpd-receipts {gpd_uri}{RECEIPTS_PATH}");
    println!("fdr {}{FDR_PATH}", fdr.server.uri());
    println!("checkout {}{CHECKOUT_PATH}", checkout.server.uri());
    println!("print {}{PRINT_PATH}", print.server.uri());
    println!("io {io_uri}{IO_PATH}");
    println!("pdnd-token {anpr_uri}{TOKEN_PATH}");
    println!("anpr {anpr_uri}{ANPR_PREFIX_PATH}");
    println!("spid-idp {}/metadata", spid.server.uri());
    println!("cie-idp {}/metadata", cie.server.uri());
    println!("nodo {}{PAY_PATH}", nodo.uri());
    println!("ready");
    stop_signal().await?;
    // Every server stops at once: under a second in all, whatever is in flight.
    tokio::join!(
        gpd.server.shutdown(),
        fdr.server.shutdown(),
        checkout.server.shutdown(),
        print.server.shutdown(),
        io.server.shutdown(),
        anpr.server.shutdown(),
        spid.server.shutdown(),
        cie.server.shutdown(),
        nodo.shutdown()
    );
    Ok(())
}

/// A test IdP of `profile` on `port`, trusting the SPs and knowing the
/// users the options name.
async fn start_idp(
    options: &Options,
    profile: Profile,
    port: u16,
) -> Result<Running<SpidIdp>, String> {
    let clock = Arc::new(SystemClock);
    let idp = match &options.spid_key {
        Some((key, certificate)) => {
            let read =
                |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
            SpidIdp::new(
                profile,
                IdpKeys::from_pem(&read(key)?, &read(certificate)?)?,
                clock,
            )
        }
        None => SpidIdp::generate(profile, clock)?,
    };
    if let Some(file) = &options.spid_users {
        let json =
            std::fs::read_to_string(file).map_err(|e| format!("--spid-users {file}: {e}"))?;
        idp.seed_users(&json)
            .map_err(|e| format!("--spid-users {file}: {e}"))?;
    }
    for source in &options.spid_sp_metadata {
        let xml = if source.starts_with("http://") || source.starts_with("https://") {
            fetch(source).await
        } else {
            std::fs::read_to_string(source).map_err(|e| e.to_string())
        }
        .map_err(|e| format!("--spid-sp-metadata {source}: {e}"))?;
        idp.trust_sp_metadata(&xml)
            .map_err(|e| format!("--spid-sp-metadata {source}: {e}"))?;
    }
    let address = SocketAddr::new(options.host, port);
    start_spid_idp(address, idp)
        .await
        .map_err(|e| format!("cannot serve the test IdP on {address}: {e}"))
}

/// An SP's metadata from its URL.
async fn fetch(url: &str) -> Result<String, String> {
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?
        .get(url)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    response.text().await.map_err(|e| e.to_string())
}

/// Ctrl-C, or SIGTERM: how pipelines stop service containers.
async fn stop_signal() -> Result<(), String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate =
            signal(SignalKind::terminate()).map_err(|e| format!("cannot wait for SIGTERM: {e}"))?;
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted.map_err(|e| format!("cannot wait for Ctrl-C: {e}")),
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))
}

/// `NAME=VALUE` lines, sorted; the PDND key, which spans lines, in a file
/// of its own beside them.
fn write_env_file(
    path: &str,
    mut settings: std::collections::HashMap<String, String>,
) -> std::io::Result<()> {
    let key_path = format!("{path}.pdnd-client.key");
    std::fs::write(&key_path, simulated_client_key())?;
    settings.remove("ABILITA_PDND_PRIVATE_KEY");
    let absolute = std::fs::canonicalize(&key_path)?;
    settings.insert(
        "ABILITA_PDND_PRIVATE_KEY_FILE".to_owned(),
        absolute.display().to_string(),
    );
    let mut lines: Vec<String> = settings
        .into_iter()
        .map(|(name, value)| format!("{name}={value}\n"))
        .collect();
    lines.sort();
    std::fs::write(path, lines.concat())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            std::process::ExitCode::FAILURE
        }
    }
}
