//! The data of the "Entra con SPID" chooser, for an app to draw AgID's
//! button (<https://github.com/italia/spid-sp-access-button>, the reference
//! for how it looks and behaves).
//!
//! AgID's button lists the IdPs of the registry with each one's logo, **in
//! a new random order at every display** (so that no IdP is favoured), and
//! ends with three links: more information, how to get SPID, help.
//! [`Chooser::new`] gives exactly that for the IdPs an app trusts: every IdP
//! of its [`IdpRegistry`] with a SPID sign-in service, shuffled, each with
//! its name, its logo when it is one of [`SPID_IDPS`] (the logos are in the
//! crate, from AgID's button; serve them with [`logo_svg`]), and the URL
//! that starts a login at it.

use crate::registry::IdpRegistry;
use crate::state::ReturnPath;

/// An IdP of the SPID federation, as AgID's registry lists it for the
/// button (`info_display_base`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpidIdp {
    /// The entity id.
    pub entity_id: &'static str,
    /// The organisation's name, the button's label and `alt` text.
    pub organization: &'static str,
    /// The logo's file name in AgID's button (`spid-idp-posteid.svg`).
    pub logo_file: &'static str,
}

/// The SPID IdPs in AgID's registry (November 2025; the source and how to
/// update are in `spid/assets/idp-logos/README.md`).
pub const SPID_IDPS: &[SpidIdp] = &[
    idp(
        "https://loginspid.aruba.it",
        "ArubaPEC S.p.A.",
        "spid-idp-arubaid.svg",
    ),
    idp(
        "https://id.eht.eu",
        "EtnaHitech S.C.p.A.",
        "spid-idp-etnaid.svg",
    ),
    idp(
        "https://loginspid.infocamere.it",
        "InfoCamere S.C.p.A.",
        "spid-idp-infocamereid.svg",
    ),
    idp(
        "https://identity.infocert.it",
        "InfoCert S.p.A.",
        "spid-idp-infocertid.svg",
    ),
    idp(
        "https://idp.intesigroup.com",
        "Intesi Group S.p.A.",
        "spid-idp-intesigroupspid.svg",
    ),
    idp(
        "https://id.lepida.it/idp/shibboleth",
        "Lepida S.p.A.",
        "spid-idp-lepidaid.svg",
    ),
    idp(
        "https://idp.namirialtsp.com/idp",
        "Namirial",
        "spid-idp-namirialid.svg",
    ),
    idp(
        "https://posteid.poste.it",
        "Poste Italiane SpA",
        "spid-idp-posteid.svg",
    ),
    idp(
        "https://identity.sieltecloud.it",
        "Sielte S.p.A.",
        "spid-idp-sielteid.svg",
    ),
    idp(
        "https://spid.register.it",
        "Register.it S.p.A.",
        "spid-idp-spiditalia.svg",
    ),
    idp(
        "https://spid.teamsystem.com/idp",
        "TeamSystem s.p.a.",
        "spid-idp-teamsystemid.svg",
    ),
    idp(
        "https://login.id.tim.it/affwebservices/public/saml2sso",
        "TI Trust Technologies srl",
        "spid-idp-timid.svg",
    ),
];

const fn idp(
    entity_id: &'static str,
    organization: &'static str,
    logo_file: &'static str,
) -> SpidIdp {
    SpidIdp {
        entity_id,
        organization,
        logo_file,
    }
}

/// The SPID logo of the button itself (`spid-ico-circle-bb.svg`).
pub const SPID_ICON_FILE: &str = "spid-ico-circle-bb.svg";

/// An SVG logo of AgID's button by file name ([`SpidIdp::logo_file`] or
/// [`SPID_ICON_FILE`]), for the app to serve as `image/svg+xml`.
#[must_use]
pub fn logo_svg(file: &str) -> Option<&'static str> {
    macro_rules! logos {
        ($($file:literal),*) => {
            match file {
                $($file => Some(include_str!(concat!("../assets/idp-logos/", $file))),)*
                _ => None,
            }
        };
    }
    logos!(
        "spid-ico-circle-bb.svg",
        "spid-idp-arubaid.svg",
        "spid-idp-etnaid.svg",
        "spid-idp-infocamereid.svg",
        "spid-idp-infocertid.svg",
        "spid-idp-intesigroupspid.svg",
        "spid-idp-lepidaid.svg",
        "spid-idp-namirialid.svg",
        "spid-idp-posteid.svg",
        "spid-idp-sielteid.svg",
        "spid-idp-spiditalia.svg",
        "spid-idp-teamsystemid.svg",
        "spid-idp-timid.svg"
    )
}

/// The three links that close AgID's chooser: (label, URL).
pub const HELP_LINKS: [(&str, &str); 3] = [
    ("Maggiori informazioni", "https://www.spid.gov.it"),
    ("Non hai SPID?", "https://www.spid.gov.it/richiedi-spid"),
    ("Serve aiuto?", "https://www.spid.gov.it/serve-aiuto"),
];

/// One IdP in the chooser.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChooserEntry {
    /// The entity id.
    pub entity_id: String,
    /// The label: the organisation as AgID's registry names it for a SPID
    /// IdP, otherwise the metadata's display name (a test IdP).
    pub name: String,
    /// The logo's file name ([`logo_svg`]), for a SPID IdP.
    pub logo_file: Option<&'static str>,
    /// The URL that starts a login at this IdP (`{login_path}?idp=…&return=…`).
    pub login_url: String,
}

/// What an app needs to draw the chooser.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Chooser {
    /// The IdPs, in this display's random order.
    pub entries: Vec<ChooserEntry>,
    /// Where the citizen goes after the login.
    pub return_path: ReturnPath,
}

impl Chooser {
    /// The IdPs of `idps` that offer a SPID sign-in service (HTTP-Redirect),
    /// shuffled; each `login_url` is `login_path` (the SP's `/login`, such
    /// as `/spid/login`) with the IdP and `return_path`.
    #[must_use]
    pub fn new(idps: &IdpRegistry, login_path: &str, return_path: ReturnPath) -> Self {
        let mut entries: Vec<ChooserEntry> = idps
            .idps()
            .filter(|idp| idp.sso_redirect.is_some())
            .map(|idp| {
                let known = SPID_IDPS.iter().find(|k| k.entity_id == idp.entity_id);
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("idp", &idp.entity_id)
                    .append_pair("return", return_path.as_str())
                    .finish();
                ChooserEntry {
                    entity_id: idp.entity_id.clone(),
                    name: known
                        .map_or_else(|| idp.display_name.clone(), |k| k.organization.to_owned()),
                    logo_file: known.map(|k| k.logo_file),
                    login_url: format!("{login_path}?{query}"),
                }
            })
            .collect();
        shuffle(&mut entries);
        Self {
            entries,
            return_path,
        }
    }
}

/// Fisher–Yates with the system's random source (a failing source leaves
/// the registry's order: the chooser still works).
fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let mut bytes = [0u8; 8];
        if aws_lc_rs::rand::fill(&mut bytes).is_err() {
            return;
        }
        let bound = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
        let j = u64::from_le_bytes(bytes).checked_rem(bound).unwrap_or(0);
        let j = usize::try_from(j).unwrap_or(0);
        items.swap(i, j);
    }
}

/// The CIE identity provider ("Entra con CIE"), one per environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CieIdp {
    /// The entity id (the Responses' Issuer).
    pub entity_id: &'static str,
    /// Where the Ministry of the Interior publishes its metadata. It is not
    /// signed by AgID: the TLS of the download is its trust anchor.
    pub metadata_url: &'static str,
}

/// The CIE IdP in production.
pub const CIE_PRODUCTION: CieIdp = CieIdp {
    entity_id: "https://idserver.servizicie.interno.gov.it/idp/profile/SAML2/POST/SSO",
    metadata_url: "https://idserver.servizicie.interno.gov.it/idp/shibboleth?Metadata",
};

/// The CIE IdP of the pre-production environment, for an SP's tests
/// before the Ministry federates it in production.
pub const CIE_PREPRODUCTION: CieIdp = CieIdp {
    entity_id: "https://preproduzione.idserver.servizicie.interno.gov.it/idp/profile/SAML2/POST/SSO",
    metadata_url: "https://preproduzione.idserver.servizicie.interno.gov.it/idp/shibboleth?Metadata",
};
