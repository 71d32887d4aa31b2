//! What pagoPA's REST services (FdR, Checkout, the print service) share on
//! the client side: a name in errors, a UAT and a production URL, and the
//! two settings that choose one and give the subscription key.

use abilita_core::{ApiKey, BaseUrl, Error, InvalidInput, Rule, Settings, Transport};

/// Which pagoPA environment a client talks to. There is no default:
/// production is always chosen by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Environment {
    /// pagoPA's test environment (UAT, `api.uat.platform.pagopa.it`).
    Uat,
    /// Production (`api.platform.pagopa.it`).
    Production,
}

/// One pagoPA REST service as its client is configured.
pub(crate) struct Service {
    /// Its name in errors.
    pub(crate) platform: &'static str,
    /// The base URL in pagoPA's test environment.
    pub(crate) uat: &'static str,
    /// The base URL in production.
    pub(crate) production: &'static str,
    /// The setting of the URL: `uat`, `production`, or a URL.
    pub(crate) url_setting: &'static str,
    /// The setting of the subscription key.
    pub(crate) key_setting: &'static str,
}

impl Service {
    /// The service's base URL in `environment`.
    pub(crate) fn url(&self, environment: Environment) -> &'static str {
        match environment {
            Environment::Uat => self.uat,
            Environment::Production => self.production,
        }
    }

    /// A transport to the service in `environment`, with the transport's
    /// defaults.
    pub(crate) fn transport(&self, environment: Environment) -> Result<Transport, Error> {
        Transport::builder(BaseUrl::parse(self.url(environment))?)
            .platform(self.platform)
            .build()
    }

    /// The transport and key the settings name.
    pub(crate) fn configured(&self, settings: &Settings) -> Result<(Transport, ApiKey), Error> {
        let key = ApiKey::new(settings.required(self.key_setting)?);
        let url = match settings.required(self.url_setting)?.as_str() {
            "uat" => self.uat.to_owned(),
            "production" => self.production.to_owned(),
            url => url.to_owned(),
        };
        let base = BaseUrl::parse(&url).map_err(|_| {
            InvalidInput::new(
                self.url_setting,
                Rule("uat, production, or an https:// (or loopback) URL"),
            )
        })?;
        let transport = Transport::builder(base).platform(self.platform).build()?;
        Ok((transport, key))
    }
}
