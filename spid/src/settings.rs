//! An SP configured without code: the `ABILITA_SPID_*` settings, from the
//! environment or from a file section with the same names (the core's
//! [`Settings`], as for every abilita client).
//!
//! A municipality's settings (`examples/spid.env` is this, ready to copy):
//!
//! ```text
//! ABILITA_SPID_ENTITY_ID=https://servizi.comune.esempio.it/spid/metadata
//! ABILITA_SPID_BASE_URL=https://servizi.comune.esempio.it/spid
//! ABILITA_SPID_ORGANIZATION_NAME=Comune di Esempio
//! ABILITA_SPID_ORGANIZATION_URL=https://www.comune.esempio.it
//! ABILITA_SPID_IPA_CODE=c_h501
//! ABILITA_SPID_CONTACT_EMAIL=protocollo@comune.esempio.it
//! ABILITA_SPID_SERVICE_NAME=Servizi online del Comune
//! ABILITA_SPID_ATTRIBUTES=fiscalNumber,name,familyName,email
//! ABILITA_SPID_MIN_LEVEL=2
//! ABILITA_SPID_KEY_FILE=/etc/abilita/spid/sp.key
//! ABILITA_SPID_CERTIFICATE_FILE=/etc/abilita/spid/sp.cert
//! ABILITA_SPID_STATE_KEY=… (openssl rand -base64 32; the same on every instance)
//! ```
//!
//! A private SP names itself by `ABILITA_SPID_VAT_NUMBER` (`IT…`) or
//! `ABILITA_SPID_FISCAL_CODE` instead of the IPA code, and adds the
//! `ABILITA_SPID_BILLING_*` settings. A missing or bad setting fails
//! [`ServiceProvider::from_settings`] with an
//! [`InvalidInput`] whose field is the setting's name and whose cause is the
//! rule it broke; the certificate is checked as
//! [`ServiceProvider::new`] does.

use abilita_core::{InvalidInput, PrivateKeyPem, Rule, Settings};

use crate::attributes::SpidAttribute;
use crate::config::{AttributeSet, Billing, Contact, Organization, ServiceProvider, SpidLevel};
use crate::cookie::StateKey;

/// The entity id (an absolute URL, the same forever).
pub const SETTING_ENTITY_ID: &str = "ABILITA_SPID_ENTITY_ID";
/// The base URL of `/acs`, `/slo` and the other routes.
pub const SETTING_BASE_URL: &str = "ABILITA_SPID_BASE_URL";
/// The organisation's full legal name (the certificate's `organizationName`).
pub const SETTING_ORGANIZATION_NAME: &str = "ABILITA_SPID_ORGANIZATION_NAME";
/// The name IdPs show; the legal name when not set.
pub const SETTING_ORGANIZATION_DISPLAY_NAME: &str = "ABILITA_SPID_ORGANIZATION_DISPLAY_NAME";
/// The organisation's web site.
pub const SETTING_ORGANIZATION_URL: &str = "ABILITA_SPID_ORGANIZATION_URL";
/// A public SP's IPA code.
pub const SETTING_IPA_CODE: &str = "ABILITA_SPID_IPA_CODE";
/// A private SP's VAT number, with its ISO prefix (`IT12345678901`).
pub const SETTING_VAT_NUMBER: &str = "ABILITA_SPID_VAT_NUMBER";
/// A private SP's fiscal code, when it has no VAT number.
pub const SETTING_FISCAL_CODE: &str = "ABILITA_SPID_FISCAL_CODE";
/// The institutional contact address (no `mailto:`).
pub const SETTING_CONTACT_EMAIL: &str = "ABILITA_SPID_CONTACT_EMAIL";
/// The contact phone (`+39…`, no spaces); optional.
pub const SETTING_CONTACT_PHONE: &str = "ABILITA_SPID_CONTACT_PHONE";
/// The AttributeConsumingService's name, in Italian.
pub const SETTING_SERVICE_NAME: &str = "ABILITA_SPID_SERVICE_NAME";
/// The attributes asked for, by SPID name, comma-separated.
pub const SETTING_ATTRIBUTES: &str = "ABILITA_SPID_ATTRIBUTES";
/// The minimum level, `1`, `2` or `3`; `2` when not set.
pub const SETTING_MIN_LEVEL: &str = "ABILITA_SPID_MIN_LEVEL";
/// The SP's private key, PEM text.
pub const SETTING_KEY: &str = "ABILITA_SPID_KEY";
/// A file holding the SP's private key, instead of the text.
pub const SETTING_KEY_FILE: &str = "ABILITA_SPID_KEY_FILE";
/// The SP's certificate, PEM text.
pub const SETTING_CERTIFICATE: &str = "ABILITA_SPID_CERTIFICATE";
/// A file holding the SP's certificate, instead of the text.
pub const SETTING_CERTIFICATE_FILE: &str = "ABILITA_SPID_CERTIFICATE_FILE";
/// The key that seals the login and session cookies: the base64 of 32
/// bytes, the same on every instance; a random one per process when not
/// set (one instance only).
pub const SETTING_STATE_KEY: &str = "ABILITA_SPID_STATE_KEY";
/// The prefix of a private SP's billing settings: `…_VAT_NUMBER`,
/// `…_COMPANY`, `…_STREET`, `…_NUMBER`, `…_POSTCODE`, `…_MUNICIPALITY`,
/// `…_PROVINCE`, `…_EMAIL`.
pub const SETTING_BILLING_PREFIX: &str = "ABILITA_SPID_BILLING_";

/// The billing settings, in [`Billing`]'s field order.
const BILLING: [&str; 8] = [
    "ABILITA_SPID_BILLING_VAT_NUMBER",
    "ABILITA_SPID_BILLING_COMPANY",
    "ABILITA_SPID_BILLING_STREET",
    "ABILITA_SPID_BILLING_NUMBER",
    "ABILITA_SPID_BILLING_POSTCODE",
    "ABILITA_SPID_BILLING_MUNICIPALITY",
    "ABILITA_SPID_BILLING_PROVINCE",
    "ABILITA_SPID_BILLING_EMAIL",
];

/// A PEM setting given as text or as a file.
fn pem(
    settings: &Settings,
    text: &'static str,
    file: &'static str,
) -> Result<String, InvalidInput> {
    if let Some(pem) = settings.optional(text) {
        return Ok(pem);
    }
    let path = settings.optional(file).ok_or_else(|| {
        InvalidInput::new(
            text,
            Rule("required (as PEM text, or a file in the _FILE setting)"),
        )
    })?;
    std::fs::read_to_string(&path).map_err(|e| InvalidInput::new(file, e))
}

fn contact(settings: &Settings) -> Result<Contact, InvalidInput> {
    let email = settings.required(SETTING_CONTACT_EMAIL)?;
    let phone = settings.optional(SETTING_CONTACT_PHONE);
    if let Some(ipa_code) = settings.optional(SETTING_IPA_CODE) {
        return Ok(Contact::Public {
            ipa_code,
            email,
            phone,
        });
    }
    let vat_number = settings.optional(SETTING_VAT_NUMBER);
    let fiscal_code = settings.optional(SETTING_FISCAL_CODE);
    if vat_number.is_none() && fiscal_code.is_none() {
        return Err(InvalidInput::new(
            SETTING_IPA_CODE,
            Rule(
                "required for a public SP; a private SP sets ABILITA_SPID_VAT_NUMBER or ABILITA_SPID_FISCAL_CODE instead",
            ),
        ));
    }
    let [
        vat,
        company,
        street,
        number,
        postcode,
        municipality,
        province,
        billing_email,
    ] = BILLING;
    Ok(Contact::Private {
        vat_number,
        fiscal_code,
        email,
        phone,
        billing: Box::new(Billing {
            vat_number: settings.required(vat)?,
            company: settings.required(company)?,
            street: settings.required(street)?,
            number: settings.required(number)?,
            postcode: settings.required(postcode)?,
            municipality: settings.required(municipality)?,
            province: settings.required(province)?,
            email: settings.required(billing_email)?,
        }),
    })
}

fn attributes(settings: &Settings) -> Result<Vec<SpidAttribute>, InvalidInput> {
    settings
        .required(SETTING_ATTRIBUTES)?
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            SpidAttribute::from_name(name).ok_or_else(|| {
                InvalidInput::new(
                    SETTING_ATTRIBUTES,
                    Rule("SPID attribute names (fiscalNumber, name, …), comma-separated"),
                )
            })
        })
        .collect()
}

/// The setting behind a field [`ServiceProvider::new`] refused.
fn setting_of(field: &str) -> &'static str {
    match field {
        "entity_id" => SETTING_ENTITY_ID,
        "base_url" => SETTING_BASE_URL,
        "organization" => SETTING_ORGANIZATION_NAME,
        "contact.email" => SETTING_CONTACT_EMAIL,
        "contact.phone" => SETTING_CONTACT_PHONE,
        "attribute_sets" => SETTING_ATTRIBUTES,
        "private_key" => SETTING_KEY,
        "certificate" => SETTING_CERTIFICATE,
        _ => SETTING_IPA_CODE,
    }
}

impl ServiceProvider {
    /// A Service Provider from the `ABILITA_SPID_*` settings (the module
    /// [`crate::settings`] lists them, with a municipality's example).
    ///
    /// # Errors
    /// An [`InvalidInput`] whose field is the setting to fix.
    pub fn from_settings(settings: &Settings) -> Result<Self, InvalidInput> {
        let name = settings.required(SETTING_ORGANIZATION_NAME)?;
        let organization = Organization {
            display_name: settings
                .optional(SETTING_ORGANIZATION_DISPLAY_NAME)
                .unwrap_or_else(|| name.clone()),
            name,
            url: settings.required(SETTING_ORGANIZATION_URL)?,
        };
        let min_level = match settings.optional(SETTING_MIN_LEVEL).as_deref() {
            None | Some("2") => SpidLevel::L2,
            Some("1") => SpidLevel::L1,
            Some("3") => SpidLevel::L3,
            Some(_) => return Err(InvalidInput::new(SETTING_MIN_LEVEL, Rule("1, 2 or 3"))),
        };
        let attribute_sets = vec![AttributeSet {
            service_name: settings.required(SETTING_SERVICE_NAME)?,
            attributes: attributes(settings)?,
        }];
        let key = PrivateKeyPem::new(pem(settings, SETTING_KEY, SETTING_KEY_FILE)?);
        let certificate = pem(settings, SETTING_CERTIFICATE, SETTING_CERTIFICATE_FILE)?;
        let sp = Self::new(
            &settings.required(SETTING_ENTITY_ID)?,
            &settings.required(SETTING_BASE_URL)?,
            organization,
            contact(settings)?,
            attribute_sets,
            &key,
            &certificate,
            min_level,
        )
        .map_err(|e| {
            let setting = setting_of(e.field());
            e.for_field(setting)
        })?;
        match settings.optional(SETTING_STATE_KEY) {
            Some(key) => Ok(sp.with_state_key(
                StateKey::from_base64(&key).map_err(|e| e.for_field(SETTING_STATE_KEY))?,
            )),
            None => Ok(sp),
        }
    }
}
