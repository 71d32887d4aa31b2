//! `/messages-sending/remote-contents/configurations`: where IO fetches the
//! content of messages an institution serves itself (io-messages'
//! `rc-func`, `index_external.yaml`). A configuration belongs to the
//! institution whose key created it; a message naming one in
//! `third_party_data.configuration_id` must name one of its own.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::{Admitted, IoSimulator, State, is_io_fiscal_code, is_ulid, problem};
use crate::kit::Reply;

/// A stored configuration.
#[derive(Debug, Clone)]
pub(super) struct Configuration {
    institution: String,
    /// `NewRCConfigurationPublic` as sent (validated).
    body: Map<String, Value>,
}

fn not_found() -> Reply {
    problem(404, "Not Found", "Configuration not found")
}

fn not_yours() -> Reply {
    problem(
        403,
        "Not your configuration",
        "You are not allowed to use this configuration",
    )
}

/// The first field of `NewRCConfigurationPublic` the body breaks.
fn invalid_field(body: &Map<String, Value>) -> Option<&'static str> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let codes = |v: Option<&Value>| {
        v.and_then(Value::as_array)
            .is_some_and(|l| l.iter().all(|c| c.as_str().is_some_and(is_io_fiscal_code)))
    };
    let environment = |v: &Value, test: bool| {
        let auth = v.get("details_authentication");
        text(v.get("base_url"))
            && auth.is_some_and(|a| {
                text(a.get("header_key_name")) && text(a.get("key")) && text(a.get("type"))
            })
            && (!test || codes(v.get("test_users")))
    };
    if !text(body.get("name")) {
        return Some("name");
    }
    if !text(body.get("description")) {
        return Some("description");
    }
    // An `x-extensible-enum`: io-ts reads it as a closed union.
    if !matches!(
        body.get("has_precondition").and_then(Value::as_str),
        Some("ALWAYS" | "ONCE" | "NEVER")
    ) {
        return Some("has_precondition");
    }
    if !codes(body.get("disable_lollipop_for")) {
        return Some("disable_lollipop_for");
    }
    if !body
        .get("is_lollipop_enabled")
        .is_some_and(Value::is_boolean)
    {
        return Some("is_lollipop_enabled");
    }
    if body
        .get("test_environment")
        .is_some_and(|e| !environment(e, true))
    {
        return Some("test_environment");
    }
    if body
        .get("prod_environment")
        .is_some_and(|e| !environment(e, false))
    {
        return Some("prod_environment");
    }
    None
}

/// The body as a configuration, or IO's 400 naming the field.
fn payload(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Err(problem(400, "Bad request", "the body is not a JSON object"));
    };
    match invalid_field(&body) {
        Some(field) => Err(problem(
            400,
            "Bad request",
            format!("value at [root.{field}] is not a valid NewRCConfigurationPublic"),
        )),
        None => Ok(body),
    }
}

/// `RCConfigurationResponse`: the configuration, its id and its owner.
fn view(id: &str, configuration: &Configuration) -> Value {
    let mut out = configuration.body.clone();
    out.insert("configuration_id".into(), json!(id));
    out.insert("user_id".into(), json!(configuration.institution));
    Value::Object(out)
}

impl State {
    /// At send time: a remote-content message names a configuration of
    /// its own institution.
    pub(super) fn remote_content_of(
        &self,
        institution: &str,
        message: &Value,
    ) -> Result<(), Reply> {
        let Some(id) = message
            .pointer("/content/third_party_data/configuration_id")
            .and_then(Value::as_str)
        else {
            return Err(problem(
                403,
                "No configuration id for remote content",
                "A remote-content message must name its configuration_id",
            ));
        };
        match self.remote_contents.get(id) {
            None => Err(not_found()),
            Some(c) if c.institution != institution => Err(not_yours()),
            Some(_) => Ok(()),
        }
    }
}

impl IoSimulator {
    /// The stored configuration `id` of the caller's institution.
    fn owned<'s>(
        state: &'s mut State,
        admitted: &Admitted,
        id: &str,
    ) -> Result<&'s mut Configuration, Reply> {
        if !is_ulid(id) {
            return Err(problem(400, "Bad request", "configurationId is not a ULID"));
        }
        let owner = admitted.owner(state);
        match state.remote_contents.get_mut(id) {
            None => Err(not_found()),
            Some(c) if c.institution != owner => Err(not_yours()),
            Some(c) => Ok(c),
        }
    }

    /// `POST …/configurations`: 201 with the new configuration.
    pub(super) fn create_remote_content(
        &self,
        admitted: &Admitted,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Reply {
        let body = match payload(body) {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        self.with(|s| {
            if s.remote_contents.len() >= super::MAX_HELD {
                return super::full("remote-content configurations");
            }
            let id = Self::fresh_id(s, now);
            let configuration = Configuration {
                institution: admitted.owner(s),
                body,
            };
            let mut created = view(&id, &configuration);
            // `RCConfigurationPublic` has no owner.
            if let Some(fields) = created.as_object_mut() {
                fields.remove("user_id");
            }
            s.remote_contents.insert(id, configuration);
            Reply::new(201).json(&created)
        })
    }

    /// `GET …/configurations`: the institution's, oldest first.
    pub(super) fn list_remote_contents(&self, admitted: &Admitted) -> Reply {
        self.with(|s| {
            let owner = admitted.owner(s);
            let mut mine: Vec<(&String, &Configuration)> = s
                .remote_contents
                .iter()
                .filter(|(_, c)| c.institution == owner)
                .collect();
            // ULIDs sort by creation time.
            mine.sort_by_key(|(id, _)| id.as_str());
            let list: Vec<Value> = mine.into_iter().map(|(id, c)| view(id, c)).collect();
            Reply::new(200).json(&json!({ "rcConfigList": list }))
        })
    }

    /// `GET …/configurations/{configurationId}`
    pub(super) fn read_remote_content(&self, admitted: &Admitted, id: &str) -> Reply {
        self.with(|s| match Self::owned(s, admitted, id) {
            Ok(configuration) => Reply::new(200).json(&view(id, configuration)),
            Err(refused) => refused,
        })
    }

    /// `PUT …/configurations/{configurationId}`: 204.
    pub(super) fn update_remote_content(
        &self,
        admitted: &Admitted,
        id: &str,
        body: &[u8],
    ) -> Reply {
        let body = match payload(body) {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        self.with(|s| match Self::owned(s, admitted, id) {
            Ok(configuration) => {
                configuration.body = body;
                Reply::new(204)
            }
            Err(refused) => refused,
        })
    }
}
