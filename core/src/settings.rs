//! One way to configure every client: named settings, read from the
//! environment or from a file section with the same names.
//!
//! Every platform crate documents its settings (`ABILITA_GPD_URL`,
//! `ABILITA_IO_API_KEY`, …) and builds its client from a [`Settings`]; a
//! missing or bad value is an [`InvalidInput`] whose field is the setting's
//! name, with the [`Rule`] it broke as the cause, so a misconfigured
//! deployment fails at start naming the variable to fix.
//!
//! ```
//! use std::collections::HashMap;
//! use abilita_core::Settings;
//!
//! // From the environment:
//! let from_env = Settings::from_env();
//! // From a section of a configuration file (any serde format), with the
//! // same names:
//! let section: HashMap<String, String> =
//!     serde_json::from_str(r#"{"ABILITA_GPD_URL": "uat"}"#).unwrap();
//! let from_file = Settings::from_map(section);
//! assert_eq!(from_file.optional("ABILITA_GPD_URL").as_deref(), Some("uat"));
//! assert_eq!(
//!     from_file.required("ABILITA_GPD_API_KEY").unwrap_err().field(),
//!     "ABILITA_GPD_API_KEY"
//! );
//! # let _ = from_env;
//! ```

use std::collections::HashMap;
use std::fmt;

use crate::error::{InvalidInput, Rule};

/// Named settings: the environment, or a map read from a file section.
pub struct Settings {
    source: Source,
}

enum Source {
    Environment,
    Map(HashMap<String, String>),
}

impl Settings {
    /// The process environment.
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            source: Source::Environment,
        }
    }

    /// A map of names to values: a file section deserialised with serde, or
    /// the settings a simulator hands out.
    #[must_use]
    pub fn from_map(map: HashMap<String, String>) -> Self {
        Self {
            source: Source::Map(map),
        }
    }

    /// The value of `name`, if set and not blank (trimmed).
    #[must_use]
    pub fn optional(&self, name: &str) -> Option<String> {
        let value = match &self.source {
            Source::Environment => std::env::var(name).ok(),
            Source::Map(map) => map.get(name).cloned(),
        }?;
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// The value of `name`.
    ///
    /// # Errors
    /// [`InvalidInput`] on `name` when it is missing or blank.
    pub fn required(&self, name: &'static str) -> Result<String, InvalidInput> {
        self.optional(name)
            .ok_or_else(|| InvalidInput::new(name, Rule("required, and not set")))
    }
}

/// Values may be secrets: `Debug` shows only where they come from.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Environment => f.write_str("Settings(environment)"),
            Source::Map(map) => write!(f, "Settings({} values, [redacted])", map.len()),
        }
    }
}
