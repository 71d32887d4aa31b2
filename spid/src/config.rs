//! Who the Service Provider is: the facts its metadata publishes.

use abilita_core::{InvalidInput, PrivateKeyPem};

use crate::SigningKey;
use crate::certificate;
use crate::cookie::{Sealer, StateKey};

use crate::attributes::SpidAttribute;

/// A rule a configuration value broke (the core's one shape).
pub use abilita_core::Rule as ConfigRule;

/// The SPID assurance level asked for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[allow(
    clippy::exhaustive_enums,
    reason = "closed by the SPID rules: levels 1, 2 and 3"
)]
pub enum SpidLevel {
    /// SpidL1: password.
    L1,
    /// SpidL2: password and a second factor.
    L2,
    /// SpidL3: a hardware device.
    L3,
}

impl SpidLevel {
    /// The `AuthnContextClassRef` URI.
    #[must_use]
    pub fn uri(self) -> &'static str {
        match self {
            Self::L1 => "https://www.spid.gov.it/SpidL1",
            Self::L2 => "https://www.spid.gov.it/SpidL2",
            Self::L3 => "https://www.spid.gov.it/SpidL3",
        }
    }
}

/// The organisation, as its certificate names it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct Organization {
    /// Full legal name, exactly as the certificate's organizationName.
    pub name: String,
    /// The name IdPs show on their consent page.
    pub display_name: String,
    /// The organisation's web site.
    pub url: String,
}

/// The billing data private SPs publish (`fpa:CessionarioCommittente`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct Billing {
    /// The invoiced company's VAT number, without the country prefix.
    pub vat_number: String,
    /// Its name.
    pub company: String,
    /// Street.
    pub street: String,
    /// House number.
    pub number: String,
    /// Postcode.
    pub postcode: String,
    /// Municipality.
    pub municipality: String,
    /// Province (two letters).
    pub province: String,
    /// Billing e-mail.
    pub email: String,
}

/// The `other` contact, public or private (`spid:Public`/`spid:Private`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Contact {
    /// A public administration, by its IPA code.
    Public {
        /// The IPA code (`c_h501`).
        ipa_code: String,
        /// An institutional address (no `mailto:`).
        email: String,
        /// `+39…`, no spaces.
        phone: Option<String>,
    },
    /// A private SP, by VAT number (with ISO prefix) or fiscal code.
    Private {
        /// `IT12345678901`.
        vat_number: Option<String>,
        /// When there is no VAT number.
        fiscal_code: Option<String>,
        /// An institutional address.
        email: String,
        /// `+39…`, no spaces.
        phone: Option<String>,
        /// The billing contact.
        billing: Box<Billing>,
    },
    /// An SP a *soggetto aggregatore* runs for the organisation (Avviso
    /// SPID n. 19 v4): the aggregator's contact and the aggregated one.
    Aggregated(Box<Aggregation>),
}

/// What an aggregator does, as its metadata says (`spid:` extension of its
/// contact) and as the entity id must name it (its activity code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_enums,
    reason = "closed by Avviso SPID n. 19 v4: the six aggregator activities"
)]
pub enum AggregatorActivity {
    /// Public services, the aggregator runs the whole SP (`pub-ag-full`).
    PublicFull,
    /// Public services, the aggregated runs its own SP (`pub-ag-lite`).
    PublicLite,
    /// Private services, full (`pri-ag-full`).
    PrivateFull,
    /// Private services, lite (`pri-ag-lite`).
    PrivateLite,
    /// A public operator for its own public services, full (`pub-op-full`).
    PublicOperatorFull,
    /// A public operator, lite (`pub-op-lite`).
    PublicOperatorLite,
}

impl AggregatorActivity {
    /// The activity code the entity id must contain (`pub-ag-full`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::PublicFull => "pub-ag-full",
            Self::PublicLite => "pub-ag-lite",
            Self::PrivateFull => "pri-ag-full",
            Self::PrivateLite => "pri-ag-lite",
            Self::PublicOperatorFull => "pub-op-full",
            Self::PublicOperatorLite => "pub-op-lite",
        }
    }

    /// The empty element of the aggregator's contact that names it.
    #[must_use]
    pub fn element(self) -> &'static str {
        match self {
            Self::PublicFull => "PublicServicesFullAggregator",
            Self::PublicLite => "PublicServicesLightAggregator",
            Self::PrivateFull => "PrivateServicesFullAggregator",
            Self::PrivateLite => "PrivateServicesLightAggregator",
            Self::PublicOperatorFull => "PublicServicesFullOperator",
            Self::PublicOperatorLite => "PublicServicesLightOperator",
        }
    }

    /// Whether the aggregated services are private ones.
    #[must_use]
    pub fn is_private(self) -> bool {
        matches!(self, Self::PrivateFull | Self::PrivateLite)
    }
}

/// The aggregator (or public operator): its own contact.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct Aggregator {
    /// Its name (`md:Company`).
    pub company: String,
    /// Its IPA code, when it is a public administration (an operator's is
    /// required).
    pub ipa_code: Option<String>,
    /// Its VAT number, with the ISO prefix (`IT…`).
    pub vat_number: Option<String>,
    /// Its fiscal code.
    pub fiscal_code: Option<String>,
    /// Its institutional address (no `mailto:`).
    pub email: String,
    /// `+39…`, no spaces.
    pub phone: Option<String>,
}

/// Who the aggregated organisation is (its name is the SP's
/// [`Organization`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AggregatedParty {
    /// A public administration, by IPA code.
    Public {
        /// The IPA code.
        ipa_code: String,
        /// Its institutional address: Avviso 29 v3's schema wants one in
        /// every contact (AgID's own aggregated samples lack it).
        email: String,
    },
    /// A private organisation, by VAT number or fiscal code.
    Private {
        /// `IT…`.
        vat_number: Option<String>,
        /// When there is no VAT number.
        fiscal_code: Option<String>,
        /// Its institutional address.
        email: String,
    },
}

/// An aggregated SP's two parties (Avviso SPID n. 19 v4).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct Aggregation {
    /// What the aggregator does.
    pub activity: AggregatorActivity,
    /// The aggregator.
    pub aggregator: Aggregator,
    /// The aggregated organisation; `None` only for
    /// [`AggregatorActivity::PublicOperatorFull`], whose metadata names the
    /// operator alone.
    pub aggregated: Option<AggregatedParty>,
    /// The aggregator's billing data: required for private activities.
    pub billing: Option<Billing>,
}

/// One AttributeConsumingService: the attributes a service asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct AttributeSet {
    /// Its name in Italian.
    pub service_name: String,
    /// What it asks for, without repetitions.
    pub attributes: Vec<SpidAttribute>,
}

/// A SPID Service Provider's configuration.
#[derive(Debug)]
pub struct ServiceProvider {
    pub(crate) entity_id: String,
    pub(crate) base_url: String,
    pub(crate) organization: Organization,
    pub(crate) contact: Contact,
    pub(crate) attribute_sets: Vec<AttributeSet>,
    pub(crate) key: SigningKey,
    pub(crate) certificate_pem: String,
    pub(crate) min_level: SpidLevel,
    pub(crate) state_key: StateKey,
}

fn fail(field: &'static str, rule: &'static str) -> InvalidInput {
    InvalidInput::new(field, ConfigRule(rule))
}

impl ServiceProvider {
    /// A Service Provider. `base_url` (no trailing slash) serves `/acs` and
    /// `/slo`; `key` (RSA of 2048 bits or more, or EC P-256: see
    /// [`SigningKey`]) and `certificate_pem` sign metadata and requests.
    ///
    /// `min_level` is a floor, not a default: logins ask for it unless they
    /// ask for more ([`start_login`](Self::start_login) raises a lower
    /// request), and a Response asserting a lower level is refused whatever
    /// the request said.
    ///
    /// The state cookies are sealed with a fresh random [`StateKey`]: right
    /// for one instance; give several instances the same key with
    /// [`with_state_key`](Self::with_state_key).
    ///
    /// The certificate is checked here, so that a bad one stops the SP at
    /// start-up rather than at the first `/metadata`: it must be the key's
    /// and valid now, and an `https://` SP's must follow AgID's profile
    /// ([`crate::certificate`]: RSA, `uri` = the entity id,
    /// `organizationName` = the organisation's name, `organizationIdentifier`
    /// from the contact, the policies, the key usage). A loopback `http://`
    /// SP (local tests) only gets a warning for the profile; an aggregated
    /// SP's certificate is its aggregator's, issued by AgID, and only the
    /// key and validity are checked.
    ///
    /// # Errors
    /// An empty name or entity id, a `base_url` that is neither `https://`
    /// nor loopback `http://`, no attribute set or an empty or repeated
    /// one, an e-mail with `mailto:`, a phone with spaces, a private SP with
    /// neither VAT number nor fiscal code, an unusable key, or a certificate
    /// refused as above (the field `certificate`, the cause a
    /// [`CertificateError`](crate::certificate::CertificateError) naming the
    /// rule).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        entity_id: &str,
        base_url: &str,
        organization: Organization,
        contact: Contact,
        attribute_sets: Vec<AttributeSet>,
        key: &PrivateKeyPem,
        certificate_pem: &str,
        min_level: SpidLevel,
    ) -> Result<Self, InvalidInput> {
        if !(base_url.starts_with("https://") || is_loopback_http(base_url)) {
            return Err(fail(
                "base_url",
                "https://, or http:// on loopback only (the state cookies need TLS)",
            ));
        }
        if entity_id.is_empty()
            || !(entity_id.starts_with("https://") || entity_id.starts_with("http://"))
        {
            return Err(fail("entity_id", "an absolute URL, the same forever"));
        }
        if organization.name.is_empty()
            || organization.display_name.is_empty()
            || organization.url.is_empty()
        {
            return Err(fail(
                "organization",
                "name, display name and URL are required",
            ));
        }
        if attribute_sets.is_empty() {
            return Err(fail(
                "attribute_sets",
                "at least one AttributeConsumingService",
            ));
        }
        for set in &attribute_sets {
            let mut names: Vec<_> = set.attributes.iter().map(|a| a.name()).collect();
            names.sort_unstable();
            names.dedup();
            if set.attributes.is_empty()
                || names.len() != set.attributes.len()
                || set.service_name.is_empty()
            {
                return Err(fail(
                    "attribute_sets",
                    "each set names a service and asks for distinct attributes",
                ));
            }
        }
        let (email, phone) = match &contact {
            Contact::Public { email, phone, .. } => (email, phone),
            Contact::Aggregated(aggregation) => {
                check_aggregation(entity_id, aggregation)?;
                (&aggregation.aggregator.email, &aggregation.aggregator.phone)
            }
            Contact::Private {
                email,
                phone,
                vat_number,
                fiscal_code,
                ..
            } => {
                if vat_number.is_none() && fiscal_code.is_none() {
                    return Err(fail(
                        "contact",
                        "a private SP needs a VAT number or a fiscal code",
                    ));
                }
                (email, phone)
            }
        };
        if email.is_empty() || email.starts_with("mailto:") {
            return Err(fail("contact.email", "a plain address, without mailto:"));
        }
        if phone
            .as_ref()
            .is_some_and(|p| !p.starts_with('+') || p.contains(char::is_whitespace))
        {
            return Err(fail("contact.phone", "+39… without spaces"));
        }
        let key = SigningKey::from_pem(key)?;
        let now = time::OffsetDateTime::now_utc();
        certificate::check_key_and_validity(certificate_pem, &key, now)
            .map_err(|error| InvalidInput::new("certificate", error))?;
        // An aggregator signs for every aggregated entity with its own
        // certificate (AgID issues it, Avviso 23): its subject names the
        // aggregator, not this entity.
        let profile = match &contact {
            Contact::Aggregated(_) => Ok(()),
            _ => certificate::check_profile(certificate_pem, entity_id, &organization, &contact),
        };
        if let Err(error) = profile {
            if base_url.starts_with("https://") {
                return Err(InvalidInput::new("certificate", error));
            }
            // A loopback SP is a developer's: its test certificate may name
            // anything, but say what production would refuse.
            tracing::warn!(%error, "the SP certificate would be refused on an https:// SP");
        }
        Ok(Self {
            entity_id: entity_id.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            organization,
            contact,
            attribute_sets,
            key,
            certificate_pem: certificate_pem.to_owned(),
            min_level,
            state_key: StateKey::generate()?,
        })
    }

    /// The key that seals the state cookies, shared by every instance of
    /// this SP (see [`crate::cookie`]).
    #[must_use]
    pub fn with_state_key(mut self, key: StateKey) -> Self {
        self.state_key = key;
        self
    }

    pub(crate) fn sealer(&self) -> Sealer<'_> {
        Sealer {
            key: &self.state_key,
            entity_id: &self.entity_id,
            secure: self.base_url.starts_with("https://"),
        }
    }

    /// The entity id.
    #[must_use]
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// The Assertion Consumer Service URL (index 0).
    #[must_use]
    pub fn acs_url(&self) -> String {
        format!("{}/acs", self.base_url)
    }

    /// The Single Logout URL.
    #[must_use]
    pub fn slo_url(&self) -> String {
        format!("{}/slo", self.base_url)
    }

    /// The path of the base URL, without a trailing slash (`/spid` for
    /// `https://comune.example.it/spid`; empty at the root): where the SP's
    /// routes live.
    #[must_use]
    pub fn base_path(&self) -> &str {
        let after_scheme = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, rest)| rest);
        after_scheme
            .find('/')
            .map_or("", |at| after_scheme.get(at..).unwrap_or_default())
    }

    /// The lowest level this SP accepts.
    #[must_use]
    pub fn min_level(&self) -> SpidLevel {
        self.min_level
    }
}

/// Avviso 19's rules on an aggregated SP, as AgID's validator checks them.
fn check_aggregation(entity_id: &str, aggregation: &Aggregation) -> Result<(), InvalidInput> {
    let activity = aggregation.activity;
    let path = entity_id.split_once("://").map_or("", |(_, rest)| {
        rest.split_once('/').map_or("", |(_, path)| path)
    });
    if entity_id.contains('?') || !path.split('/').any(|segment| segment == activity.code()) {
        return Err(fail(
            "entity_id",
            "an aggregated SP's entity id has the activity code as a path segment (…/pub-ag-full/…) and no query",
        ));
    }
    let aggregator = &aggregation.aggregator;
    if aggregator.company.is_empty()
        || (aggregator.vat_number.is_none() && aggregator.fiscal_code.is_none())
    {
        return Err(fail(
            "contact.aggregator",
            "the aggregator has a name and a VAT number or fiscal code",
        ));
    }
    match (activity, &aggregation.aggregated) {
        (AggregatorActivity::PublicOperatorFull, None)
            if aggregator.ipa_code.is_none()
                || aggregator.vat_number.is_none()
                || aggregator.fiscal_code.is_none() =>
        {
            return Err(fail(
                "contact.aggregator",
                "a public operator publishes its IPA code, VAT number and fiscal code",
            ));
        }
        (AggregatorActivity::PublicOperatorFull, None) => {}
        (AggregatorActivity::PublicOperatorFull, Some(_)) => {
            return Err(fail(
                "contact.aggregated",
                "a full public operator's metadata names the operator alone",
            ));
        }
        (_, None) => {
            return Err(fail(
                "contact.aggregated",
                "the aggregated organisation is named",
            ));
        }
        (_, Some(AggregatedParty::Public { .. })) if activity.is_private() => {
            return Err(fail(
                "contact.aggregated",
                "a private activity aggregates private organisations (VAT number or fiscal code, no IPA code)",
            ));
        }
        (_, Some(AggregatedParty::Private { .. })) if !activity.is_private() => {
            return Err(fail(
                "contact.aggregated",
                "a public activity aggregates public administrations (IPA code)",
            ));
        }
        (
            _,
            Some(AggregatedParty::Private {
                vat_number: None,
                fiscal_code: None,
                ..
            }),
        ) => {
            return Err(fail(
                "contact.aggregated",
                "a private aggregated organisation has a VAT number or a fiscal code",
            ));
        }
        _ => {}
    }
    let email = match &aggregation.aggregated {
        Some(AggregatedParty::Public { email, .. } | AggregatedParty::Private { email, .. }) => {
            Some(email)
        }
        None => None,
    };
    if [Some(&aggregator.email), email]
        .into_iter()
        .flatten()
        .any(|email| email.is_empty() || email.starts_with("mailto:"))
    {
        return Err(fail(
            "contact.email",
            "a plain address, without mailto:, for the aggregator and the aggregated",
        ));
    }
    if activity.is_private() != aggregation.billing.is_some() {
        return Err(fail(
            "contact.billing",
            "private activities publish the aggregator's billing data, public ones none",
        ));
    }
    Ok(())
}

/// `http://` on 127.0.0.0/8, `[::1]` or `localhost`, with or without a port.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
