//! Remote-content configurations (`/messages-sending/remote-contents/
//! configurations`): where IO fetches the content and attachments of
//! messages the institution serves itself. A message points at one with
//! [`ThirdPartyData`](crate::model::ThirdPartyData); IO then calls the
//! institution's server (the "third party" API) with the header and key
//! named here. A configuration belongs to the institution that created
//! it, and IO refuses a message naming another's.

use abilita_core::{ApiKey, ApiRequest, BaseUrl, Error, InvalidInput, Rule};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::IoError;
use crate::manage::ManageClient;
use crate::model::{Precondition, Recipient};

/// How IO authenticates to the institution's server: a key in a header.
#[derive(Debug, Clone)]
pub struct Environment {
    base_url: BaseUrl,
    header: String,
    key: ApiKey,
    test_users: Vec<Recipient>,
}

impl Environment {
    /// IO calls `base_url` (HTTPS) with `key` in the header `header`
    /// (authentication type `API-KEY`, the one IO documents).
    ///
    /// # Errors
    /// For a URL that is not HTTPS, an empty header name or an empty key.
    pub fn new(base_url: &str, header: &str, key: ApiKey) -> Result<Self, InvalidInput> {
        let base_url = BaseUrl::parse(base_url)?;
        if header.trim().is_empty() {
            return Err(InvalidInput::new(
                "header_key_name",
                Rule("must not be empty"),
            ));
        }
        if key.expose_secret().is_empty() {
            return Err(InvalidInput::new("key", Rule("must not be empty")));
        }
        Ok(Self {
            base_url,
            header: header.to_owned(),
            key,
            test_users: Vec::new(),
        })
    }

    /// For the test environment: the citizens whose messages IO fetches
    /// from it.
    #[must_use]
    pub fn for_testers(mut self, users: Vec<Recipient>) -> Self {
        self.test_users = users;
        self
    }

    fn to_json(&self, test: bool) -> Value {
        let mut environment = Map::new();
        environment.insert("base_url".into(), json!(self.base_url.as_str()));
        environment.insert(
            "details_authentication".into(),
            json!({
                "header_key_name": self.header,
                "key": self.key.expose_secret(),
                "type": "API-KEY",
            }),
        );
        if test {
            environment.insert("test_users".into(), json!(self.test_users));
        }
        Value::Object(environment)
    }
}

/// A configuration to create or replace (`NewRCConfigurationPublic`).
#[derive(Debug, Clone)]
pub struct RemoteContentSetup {
    name: String,
    description: String,
    precondition: Precondition,
    lollipop: bool,
    lollipop_off_for: Vec<Recipient>,
    test: Option<Environment>,
    production: Option<Environment>,
}

impl RemoteContentSetup {
    /// A configuration named `name`, with a description, whose messages
    /// show a precondition as `precondition` says; without Lollipop
    /// (IO's signature of its calls) until [`with_lollipop`](Self::with_lollipop).
    ///
    /// # Errors
    /// For an empty name or description.
    pub fn new(
        name: &str,
        description: &str,
        precondition: Precondition,
    ) -> Result<Self, InvalidInput> {
        for (field, value) in [("name", name), ("description", description)] {
            if value.trim().is_empty() {
                return Err(InvalidInput::new(field, Rule("must not be empty")));
            }
        }
        Ok(Self {
            name: name.to_owned(),
            description: description.to_owned(),
            precondition,
            lollipop: false,
            lollipop_off_for: Vec::new(),
            test: None,
            production: None,
        })
    }

    /// IO signs its calls with the citizen's key (Lollipop), except for
    /// `except` (test users whose app cannot).
    #[must_use]
    pub fn with_lollipop(mut self, except: Vec<Recipient>) -> Self {
        self.lollipop = true;
        self.lollipop_off_for = except;
        self
    }

    /// The server IO calls for the test users.
    #[must_use]
    pub fn test(mut self, environment: Environment) -> Self {
        self.test = Some(environment);
        self
    }

    /// The server IO calls for everyone else.
    #[must_use]
    pub fn production(mut self, environment: Environment) -> Self {
        self.production = Some(environment);
        self
    }

    fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("name".into(), json!(self.name));
        body.insert("description".into(), json!(self.description));
        body.insert("has_precondition".into(), json!(self.precondition));
        body.insert("disable_lollipop_for".into(), json!(self.lollipop_off_for));
        body.insert("is_lollipop_enabled".into(), json!(self.lollipop));
        if let Some(test) = &self.test {
            body.insert("test_environment".into(), test.to_json(true));
        }
        if let Some(production) = &self.production {
            body.insert("prod_environment".into(), production.to_json(false));
        }
        Value::Object(body)
    }
}

/// A stored configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RemoteContentConfiguration {
    /// Its id (a ULID), for [`ThirdPartyData::new`](crate::model::ThirdPartyData::new).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// When the precondition is shown.
    pub precondition: Precondition,
    /// Whether IO signs its calls (Lollipop).
    pub lollipop: bool,
    /// The test server, as stored.
    pub test: Option<StoredEnvironment>,
    /// The production server, as stored.
    pub production: Option<StoredEnvironment>,
}

/// A server as IO stores it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoredEnvironment {
    /// Its base URL.
    pub base_url: String,
    /// The header IO puts the key in.
    pub header: String,
    /// The key.
    pub key: ApiKey,
    /// Its test users (test environment only).
    pub test_users: Vec<String>,
}

#[derive(Deserialize)]
struct ConfigurationBody {
    configuration_id: String,
    name: String,
    description: String,
    has_precondition: Precondition,
    is_lollipop_enabled: bool,
    test_environment: Option<EnvironmentBody>,
    prod_environment: Option<EnvironmentBody>,
}

#[derive(Deserialize)]
struct EnvironmentBody {
    base_url: String,
    details_authentication: AuthenticationBody,
    #[serde(default)]
    test_users: Vec<String>,
}

#[derive(Deserialize)]
struct AuthenticationBody {
    header_key_name: String,
    key: String,
}

impl From<EnvironmentBody> for StoredEnvironment {
    fn from(body: EnvironmentBody) -> Self {
        Self {
            base_url: body.base_url,
            header: body.details_authentication.header_key_name,
            key: ApiKey::new(body.details_authentication.key),
            test_users: body.test_users,
        }
    }
}

impl From<ConfigurationBody> for RemoteContentConfiguration {
    fn from(body: ConfigurationBody) -> Self {
        Self {
            id: body.configuration_id,
            name: body.name,
            description: body.description,
            precondition: body.has_precondition,
            lollipop: body.is_lollipop_enabled,
            test: body.test_environment.map(Into::into),
            production: body.prod_environment.map(Into::into),
        }
    }
}

#[derive(Deserialize)]
struct ListBody {
    #[serde(rename = "rcConfigList", default)]
    list: Vec<ConfigurationBody>,
}

/// A configuration id as a path segment: a ULID, as IO's path parameter is.
fn configuration_id(id: &str) -> Result<&str, InvalidInput> {
    if crate::model::is_ulid(id) {
        Ok(id)
    } else {
        Err(InvalidInput::new(
            "configurationId",
            Rule("a ULID: 26 characters of Crockford's base 32"),
        ))
    }
}

impl ManageClient {
    /// Creates a remote-content configuration.
    ///
    /// # Errors
    /// IO's refusals as [`IoError`].
    pub async fn create_remote_content(
        &self,
        setup: &RemoteContentSetup,
    ) -> Result<RemoteContentConfiguration, Error<IoError>> {
        let body = setup.to_json();
        let created: ConfigurationBody = self
            .send(|| {
                ApiRequest::post("/messages-sending/remote-contents/configurations")
                    .operation("create remote-content configuration")
                    .json(&body)
            })
            .await?
            .json()?;
        Ok(created.into())
    }

    /// The institution's remote-content configurations.
    ///
    /// # Errors
    /// IO's refusals as [`IoError`].
    pub async fn remote_contents(&self) -> Result<Vec<RemoteContentConfiguration>, Error<IoError>> {
        let list: ListBody = self
            .send(|| {
                ApiRequest::get("/messages-sending/remote-contents/configurations")
                    .operation("list remote-content configurations")
            })
            .await?
            .json()?;
        Ok(list.list.into_iter().map(Into::into).collect())
    }

    /// One remote-content configuration.
    ///
    /// # Errors
    /// [`IoError::NotFound`]; [`IoError::Forbidden`] for another
    /// institution's.
    pub async fn remote_content(
        &self,
        id: &str,
    ) -> Result<RemoteContentConfiguration, Error<IoError>> {
        let id = configuration_id(id)?;
        let body: ConfigurationBody = self
            .send(|| {
                ApiRequest::get("/messages-sending/remote-contents/configurations/{id}")
                    .operation("read remote-content configuration")
                    .path_param("id", id)
            })
            .await?
            .json()?;
        Ok(body.into())
    }

    /// Replaces a remote-content configuration.
    ///
    /// # Errors
    /// As [`remote_content`](Self::remote_content).
    pub async fn update_remote_content(
        &self,
        id: &str,
        setup: &RemoteContentSetup,
    ) -> Result<(), Error<IoError>> {
        let id = configuration_id(id)?;
        let body = setup.to_json();
        self.send(|| {
            ApiRequest::put("/messages-sending/remote-contents/configurations/{id}")
                .operation("update remote-content configuration")
                .path_param("id", id)
                .json(&body)
        })
        .await
        .map(drop)
    }
}
