//! Where the platforms are and who the municipality is on them.

use std::collections::HashMap;
use std::time::Duration;

use abilita_core::{InvalidInput, PrivateKeyPem, Rule, Settings};

use crate::service::EService;

/// A rule a configuration value broke (the core's one shape).
pub use abilita_core::Rule as ConfigRule;

/// PDND and ANPR addresses of one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`): the four addresses of an environment"
)]
pub struct Endpoints {
    /// PDND's token endpoint.
    pub token_url: String,
    /// The `aud` of client assertions: a host and path, no scheme.
    pub assertion_audience: String,
    /// ANPR's call prefix; services live at `{prefix}/{segment}/v1`.
    pub anpr_prefix: String,
    /// The prefix of the ModI tokens' `aud`: like the call prefix but
    /// without `-PDND` (the most common integration error).
    pub modi_audience_prefix: String,
}

impl Endpoints {
    /// ANPR collaudo (UAT, "validazione") with PDND UAT.
    #[must_use]
    pub fn uat() -> Self {
        Self {
            token_url: "https://auth.uat.interop.pagopa.it/token.oauth2".into(),
            assertion_audience: "auth.uat.interop.pagopa.it/client-assertion".into(),
            anpr_prefix:
                "https://modipa-val.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND".into(),
            modi_audience_prefix:
                "https://modipa-val.anpr.interno.it/govway/rest/in/MinInternoPortaANPR".into(),
        }
    }

    /// Production.
    #[must_use]
    pub fn production() -> Self {
        Self {
            token_url: "https://auth.interop.pagopa.it/token.oauth2".into(),
            assertion_audience: "auth.interop.pagopa.it/client-assertion".into(),
            anpr_prefix: "https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND"
                .into(),
            modi_audience_prefix:
                "https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR".into(),
        }
    }
}

/// Who acts, as ANPR's audit trail records it (AUDIT_REST_02): the
/// operator's id, the office, and the assurance level of their login.
/// ANPR refuses `LoA` and `userLocation` over 20 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditIdentity {
    user_id: String,
    user_location: String,
    loa: String,
}

/// The longest audit value ANPR was seen to accept.
pub const MAX_AUDIT_LEN: usize = 20;

impl AuditIdentity {
    /// Checks and wraps the audit claims.
    ///
    /// # Errors
    /// An empty value, or one longer than [`MAX_AUDIT_LEN`].
    pub fn new(user_id: &str, user_location: &str, loa: &str) -> Result<Self, InvalidInput> {
        for (field, value) in [
            ("userID", user_id),
            ("userLocation", user_location),
            ("LoA", loa),
        ] {
            let found = value.chars().count();
            if found == 0 || found > MAX_AUDIT_LEN {
                let rule = "1 to 20 characters";
                return Err(InvalidInput::new(
                    field,
                    abilita_core::Length { rule, found },
                ));
            }
        }
        Ok(Self {
            user_id: user_id.into(),
            user_location: user_location.into(),
            loa: loa.into(),
        })
    }

    pub(crate) fn user_id(&self) -> &str {
        &self.user_id
    }

    pub(crate) fn user_location(&self) -> &str {
        &self.user_location
    }

    pub(crate) fn loa(&self) -> &str {
        &self.loa
    }
}

/// Everything a municipality's client needs.
#[derive(Debug, Clone)]
pub struct AnprConfig {
    pub(crate) endpoints: Endpoints,
    pub(crate) client_id: String,
    pub(crate) key_id: String,
    pub(crate) private_key: PrivateKeyPem,
    pub(crate) purposes: HashMap<EService, String>,
    pub(crate) audiences: HashMap<EService, String>,
    segments: HashMap<EService, String>,
    pub(crate) audit: AuditIdentity,
    pub(crate) skew_margin: Duration,
    pub(crate) token_lifetime: Duration,
    pub(crate) instance: u16,
    pub(crate) extra_root_certificates: Option<Vec<u8>>,
}

/// The default back-dating of `iat`/`nbf`: GovWay refuses tokens "created
/// in the future" by even a second.
pub const DEFAULT_SKEW_MARGIN: Duration = Duration::from_secs(5);

/// A random instance number, 0 to 9999.
fn random_instance() -> u16 {
    let mut bytes = [0u8; 2];
    // Without a random source the instance is 0: unique ids then rest on
    // `AnprConfig::instance`, as they should in a deployment anyway.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    u16::from_be_bytes(bytes) % 10_000
}

fn is_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok_and(|_| text.len() == 36)
}

impl AnprConfig {
    /// A configuration for `endpoints`, with the PDND client's id (a UUID),
    /// the `kid` PDND assigned to its public key (`^[A-Za-z0-9_-]+$`),
    /// its private key, and the audit identity.
    ///
    /// # Errors
    /// A client id that is not a UUID or a kid not in PDND's format.
    pub fn new(
        endpoints: Endpoints,
        client_id: &str,
        key_id: &str,
        private_key: PrivateKeyPem,
        audit: AuditIdentity,
    ) -> Result<Self, InvalidInput> {
        if !is_uuid(client_id) {
            return Err(InvalidInput::new("client_id", ConfigRule("a UUID")));
        }
        // PDND's rule is `^[A-Za-z0-9_-]+$` (its manual's own example has
        // 48 characters); 255 bounds what a header may carry.
        let kid_ok = (1..=255).contains(&key_id.len())
            && key_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !kid_ok {
            return Err(InvalidInput::new(
                "key_id",
                ConfigRule("1 to 255 characters of A-Z, a-z, 0-9, - and _, as PDND assigns it"),
            ));
        }
        Ok(Self {
            endpoints,
            client_id: client_id.into(),
            key_id: key_id.into(),
            private_key,
            purposes: HashMap::new(),
            audiences: HashMap::new(),
            segments: HashMap::new(),
            audit,
            skew_margin: DEFAULT_SKEW_MARGIN,
            instance: random_instance(),
            token_lifetime: Duration::from_secs(120),
            extra_root_certificates: None,
        })
    }

    /// The purpose (*finalità*) id that PDND approved for `service`: one per
    /// e-service.
    ///
    /// # Errors
    /// A purpose id that is not a UUID.
    pub fn purpose(mut self, service: EService, purpose_id: &str) -> Result<Self, InvalidInput> {
        if !is_uuid(purpose_id) {
            return Err(InvalidInput::new("purpose_id", ConfigRule("a UUID")));
        }
        self.purposes.insert(service, purpose_id.into());
        Ok(self)
    }

    /// Overrides the audience of one service (default: the ModI audience
    /// prefix, the service's segment, `/v1`).
    #[must_use]
    pub fn audience(mut self, service: EService, audience: impl Into<String>) -> Self {
        self.audiences.insert(service, audience.into());
        self
    }

    /// The path segment of `service` when PDND's catalogue names it
    /// otherwise than [`EService::segment`] (a renamed service, an
    /// `-approvazione_automatica` variant); the default audience follows it.
    ///
    /// # Errors
    /// For a segment that is not one path segment of letters, digits, `-`
    /// and `_`.
    pub fn segment(mut self, service: EService, segment: &str) -> Result<Self, InvalidInput> {
        let valid = !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(InvalidInput::new(
                "segment",
                Rule("one path segment of ASCII letters, digits, '-' and '_'"),
            ));
        }
        self.segments.insert(service, segment.to_owned());
        Ok(self)
    }

    /// The path segment `service` is called on.
    #[must_use]
    pub fn segment_of(&self, service: EService) -> &str {
        self.segments
            .get(&service)
            .map_or_else(|| service.segment(), String::as_str)
    }

    /// This process's number (0 to 9999), the last four digits of every
    /// operation id it sends: give each instance of a deployment its own,
    /// and no two ever send the same id. By default a random number, which
    /// makes a clash between two instances unlikely (1 in 10,000 for two
    /// calls in one millisecond), not impossible.
    ///
    /// # Errors
    /// A number over 9999.
    pub fn instance(mut self, instance: u16) -> Result<Self, InvalidInput> {
        if instance > 9999 {
            return Err(InvalidInput::new("instance", Rule("0 to 9999")));
        }
        self.instance = instance;
        Ok(self)
    }

    /// How far `iat`/`nbf` are back-dated (default 5 s).
    #[must_use]
    pub fn skew_margin(mut self, margin: Duration) -> Self {
        self.skew_margin = margin;
        self
    }

    /// Extra root CAs in PEM (ANPR's UAT uses the private "Sogei
    /// Certification Authority Test").
    #[must_use]
    pub fn extra_root_certificates_pem(mut self, pem: &[u8]) -> Self {
        self.extra_root_certificates = Some(pem.to_vec());
        self
    }

    /// The ModI audience of `service`.
    #[must_use]
    pub fn audience_of(&self, service: EService) -> String {
        self.audiences.get(&service).cloned().unwrap_or_else(|| {
            format!(
                "{}/{}/v1",
                self.endpoints.modi_audience_prefix.trim_end_matches('/'),
                self.segment_of(service)
            )
        })
    }

    /// The URL of `service`'s operation.
    #[must_use]
    pub fn operation_url(&self, service: EService) -> String {
        format!(
            "{}/{}/v1/anpr-service-e002",
            self.endpoints.anpr_prefix.trim_end_matches('/'),
            self.segment_of(service)
        )
    }
}

/// The setting that chooses the environment: `uat`, `production`, or
/// `custom` (then the four URL settings below are required).
pub const SETTING_ENVIRONMENT: &str = "ABILITA_ANPR_ENVIRONMENT";
/// [`Endpoints::token_url`], for `custom`.
pub const SETTING_TOKEN_URL: &str = "ABILITA_PDND_TOKEN_URL";
/// [`Endpoints::assertion_audience`], for `custom`.
pub const SETTING_ASSERTION_AUDIENCE: &str = "ABILITA_PDND_ASSERTION_AUDIENCE";
/// [`Endpoints::anpr_prefix`], for `custom`.
pub const SETTING_ANPR_URL: &str = "ABILITA_ANPR_URL";
/// [`Endpoints::modi_audience_prefix`], for `custom`.
pub const SETTING_MODI_AUDIENCE: &str = "ABILITA_ANPR_MODI_AUDIENCE";
/// The PDND client's id (a UUID).
pub const SETTING_CLIENT_ID: &str = "ABILITA_PDND_CLIENT_ID";
/// The `kid` PDND assigned to the client's public key.
pub const SETTING_KEY_ID: &str = "ABILITA_PDND_KEY_ID";
/// The client's private key, PEM text.
pub const SETTING_PRIVATE_KEY: &str = "ABILITA_PDND_PRIVATE_KEY";
/// A file holding the client's private key (PEM), instead of the text.
pub const SETTING_PRIVATE_KEY_FILE: &str = "ABILITA_PDND_PRIVATE_KEY_FILE";
/// The audit identity: the operator's id.
pub const SETTING_AUDIT_USER_ID: &str = "ABILITA_ANPR_AUDIT_USER_ID";
/// The audit identity: the office.
pub const SETTING_AUDIT_USER_LOCATION: &str = "ABILITA_ANPR_AUDIT_USER_LOCATION";
/// The audit identity: the operator's login level.
pub const SETTING_AUDIT_LOA: &str = "ABILITA_ANPR_AUDIT_LOA";
/// This instance's number, 0 to 9999 (see [`AnprConfig::instance`]).
pub const SETTING_INSTANCE: &str = "ABILITA_ANPR_INSTANCE";
/// The prefix of the purpose settings: `ABILITA_ANPR_PURPOSE_C030` holds
/// the purpose id PDND approved for C030, and so on for each e-service.
pub const SETTING_PURPOSE_PREFIX: &str = "ABILITA_ANPR_PURPOSE_";

impl AnprConfig {
    /// A configuration from named settings (the environment, a file
    /// section, or a simulator's: see [`Settings`]): the `ABILITA_ANPR_*`
    /// and `ABILITA_PDND_*` settings above; one `ABILITA_ANPR_PURPOSE_Cnnn`
    /// per e-service the municipality may call.
    ///
    /// # Errors
    /// An [`InvalidInput`] naming the setting that is missing or bad.
    pub fn from_settings(settings: &Settings) -> Result<Self, InvalidInput> {
        let endpoints = match settings.required(SETTING_ENVIRONMENT)?.as_str() {
            "uat" => Endpoints::uat(),
            "production" => Endpoints::production(),
            "custom" => Endpoints {
                token_url: settings.required(SETTING_TOKEN_URL)?,
                assertion_audience: settings.required(SETTING_ASSERTION_AUDIENCE)?,
                anpr_prefix: settings.required(SETTING_ANPR_URL)?,
                modi_audience_prefix: settings.required(SETTING_MODI_AUDIENCE)?,
            },
            _ => {
                return Err(InvalidInput::new(
                    SETTING_ENVIRONMENT,
                    Rule("uat, production or custom"),
                ));
            }
        };
        let private_key = match settings.optional(SETTING_PRIVATE_KEY) {
            Some(pem) => pem,
            None => {
                let path = settings.required(SETTING_PRIVATE_KEY_FILE).map_err(|_| {
                    InvalidInput::new(
                        SETTING_PRIVATE_KEY,
                        Rule("required (or ABILITA_PDND_PRIVATE_KEY_FILE), and not set"),
                    )
                })?;
                std::fs::read_to_string(&path)
                    .map_err(|e| InvalidInput::new(SETTING_PRIVATE_KEY_FILE, e))?
            }
        };
        let audit = AuditIdentity::new(
            &settings.required(SETTING_AUDIT_USER_ID)?,
            &settings.required(SETTING_AUDIT_USER_LOCATION)?,
            &settings.required(SETTING_AUDIT_LOA)?,
        )
        .map_err(|e| {
            let setting = match e.field() {
                "userID" => SETTING_AUDIT_USER_ID,
                "userLocation" => SETTING_AUDIT_USER_LOCATION,
                _ => SETTING_AUDIT_LOA,
            };
            e.for_field(setting)
        })?;
        let client_id = settings.required(SETTING_CLIENT_ID)?;
        let key_id = settings.required(SETTING_KEY_ID)?;
        let mut config = Self::new(
            endpoints,
            &client_id,
            &key_id,
            PrivateKeyPem::new(private_key),
            audit,
        )
        .map_err(|e| {
            let setting = if e.field() == "client_id" {
                SETTING_CLIENT_ID
            } else {
                SETTING_KEY_ID
            };
            e.for_field(setting)
        })?;
        if let Some(instance) = settings.optional(SETTING_INSTANCE) {
            let instance = instance
                .parse()
                .map_err(|_| InvalidInput::new(SETTING_INSTANCE, Rule("0 to 9999")))?;
            config = config
                .instance(instance)
                .map_err(|e| e.for_field(SETTING_INSTANCE))?;
        }
        for service in EService::ALL {
            let name = format!("{SETTING_PURPOSE_PREFIX}{}", service.code());
            if let Some(purpose) = settings.optional(&name) {
                config = config
                    .purpose(service, &purpose)
                    .map_err(|e| e.for_field(name))?;
            }
        }
        Ok(config)
    }
}
