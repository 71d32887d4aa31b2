//! Makes an SP's private key and self-signed certificate in AgID's profile
//! (Avviso SPID n. 29 v3), as public SPs may (Avviso 28); private SPs get
//! theirs from AgID. The certificate's subject must match the SP's
//! configuration: `abilita_spid::ServiceProvider::new` checks it.
//!
//! ```text
//! cargo run -p abilita-examples --bin spid-sp-certificate -- \
//!     --entity-id https://servizi.comune.esempio.it/spid/metadata \
//!     --organization "Comune di Esempio" --locality Roma --ipa-code c_h501 \
//!     --key-out sp.key --cert-out sp.cert
//! ```
//!
//! `--vat-number 12345678901` or `--fiscal-code …` instead of `--ipa-code`
//! for a private SP; `--common-name` (default: the organisation),
//! `--days` (default 730), `--key-size 2048|3072|4096` (default 3072).
//! Existing files are never overwritten; the key is written readable by
//! its owner only.

use std::io::Write as _;

use abilita_spid::certificate::{KeySize, Sector, Subject, generate};
use time::OffsetDateTime;

const USAGE: &str = "usage: spid-sp-certificate --entity-id URL --organization NAME --locality CITY \
(--ipa-code CODE | --vat-number DIGITS | --fiscal-code CODE) --key-out PATH --cert-out PATH \
[--common-name NAME] [--days N] [--key-size 2048|3072|4096]";

struct Options {
    subject: Subject,
    days: u32,
    key_size: KeySize,
    key_out: String,
    cert_out: String,
}

fn options() -> Result<Options, String> {
    let mut entity_id = None;
    let mut organization = None;
    let mut common_name = None;
    let mut locality = None;
    let mut identifier = None;
    let mut days = 730;
    let mut key_size = KeySize::Rsa3072;
    let mut key_out = None;
    let mut cert_out = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--entity-id" => entity_id = Some(value()?),
            "--organization" => organization = Some(value()?),
            "--common-name" => common_name = Some(value()?),
            "--locality" => locality = Some(value()?),
            "--ipa-code" => identifier = Some((format!("PA:IT-{}", value()?), Sector::Public)),
            "--vat-number" => {
                identifier = Some((format!("VATIT-{}", value()?), Sector::Private));
            }
            "--fiscal-code" => identifier = Some((format!("CF:IT-{}", value()?), Sector::Private)),
            "--days" => days = value()?.parse().map_err(|e| format!("--days: {e}"))?,
            "--key-size" => {
                key_size = match value()?.as_str() {
                    "2048" => KeySize::Rsa2048,
                    "3072" => KeySize::Rsa3072,
                    "4096" => KeySize::Rsa4096,
                    other => return Err(format!("--key-size: 2048, 3072 or 4096, not {other}")),
                }
            }
            "--key-out" => key_out = Some(value()?),
            "--cert-out" => cert_out = Some(value()?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    let missing = |name: &str| format!("{name} is required\n{USAGE}");
    let organization = organization.ok_or_else(|| missing("--organization"))?;
    let (organization_identifier, sector) =
        identifier.ok_or_else(|| missing("--ipa-code, --vat-number or --fiscal-code"))?;
    Ok(Options {
        subject: Subject {
            common_name: common_name.unwrap_or_else(|| organization.clone()),
            organization_name: organization,
            entity_id: entity_id.ok_or_else(|| missing("--entity-id"))?,
            organization_identifier,
            locality: locality.ok_or_else(|| missing("--locality"))?,
            sector,
        },
        days,
        key_size,
        key_out: key_out.ok_or_else(|| missing("--key-out"))?,
        cert_out: cert_out.ok_or_else(|| missing("--cert-out"))?,
    })
}

/// Creates `path` (never over an existing file), readable by its owner
/// only when `secret`.
fn write_new(path: &str, contents: &str, secret: bool) -> Result<(), String> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        open.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = open.open(path).map_err(|e| format!("{path}: {e}"))?;
    file.write_all(contents.as_bytes())
        .map_err(|e| format!("{path}: {e}"))
}

fn run() -> Result<(), String> {
    let options = options()?;
    let generated = generate(
        &options.subject,
        options.key_size,
        options.days,
        OffsetDateTime::now_utc(),
    )
    .map_err(|e| e.to_string())?;
    write_new(&options.key_out, generated.key.expose_secret(), true)?;
    write_new(&options.cert_out, &generated.certificate_pem, false)?;
    let subject = &options.subject;
    eprintln!(
        "wrote {} and {}: {} ({}), uri {}, valid {} days",
        options.key_out,
        options.cert_out,
        subject.organization_name,
        subject.organization_identifier,
        subject.entity_id,
        options.days
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            std::process::ExitCode::FAILURE
        }
    }
}
