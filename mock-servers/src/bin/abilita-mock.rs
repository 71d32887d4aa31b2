//! `abilita-mock`: serves the platform simulators on fixed loopback ports
//! until interrupted.
//!
//! ```text
//! abilita-mock [--host 127.0.0.1] [--gpd-port 18081] [--key KEY] [--creditor CF]...
//! ```
//!
//! It prints one line per simulator, `NAME BASE_URL`, then `ready`. Each
//! server answers `GET /health`. The key (default `abilita-test-key`) may act
//! for every creditor given (default pagoPA's test creditor `77777777777`).

// The base URLs on stdout are this program's interface.
#![allow(clippy::print_stdout)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use abilita_core::SystemClock;
use abilita_mock::gpd::{DEBT_POSITIONS_PATH, RECEIPTS_PATH};
use abilita_mock::server::{DEFAULT_CREDITOR, DEFAULT_KEY, start_gpd};

const USAGE: &str =
    "usage: abilita-mock [--host IP] [--gpd-port PORT] [--key KEY] [--creditor CF]...";

struct Options {
    host: IpAddr,
    gpd_port: u16,
    key: String,
    creditors: Vec<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        host: IpAddr::from([127, 0, 0, 1]),
        gpd_port: 18081,
        key: DEFAULT_KEY.to_owned(),
        creditors: Vec::new(),
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
            "--key" => options.key = value()?,
            "--creditor" => options.creditors.push(value()?),
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    if !options.host.is_loopback() {
        return Err("the simulators serve loopback addresses only".to_owned());
    }
    if options.creditors.is_empty() {
        options.creditors.push(DEFAULT_CREDITOR.to_owned());
    }
    Ok(options)
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
    let creditors: Vec<&str> = options.creditors.iter().map(String::as_str).collect();
    let address = SocketAddr::new(options.host, options.gpd_port);
    let gpd = match start_gpd(address, Arc::new(SystemClock), &options.key, &creditors).await {
        Ok(gpd) => gpd,
        Err(error) => {
            eprintln!("cannot serve GPD on {address}: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let uri = gpd.server.uri();
    println!("gpd {uri}{DEBT_POSITIONS_PATH}");
    println!("gpd-receipts {uri}{RECEIPTS_PATH}");
    println!("ready");
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for Ctrl-C: {error}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
