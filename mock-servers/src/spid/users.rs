//! The test users: by default ANPR's official UAT subjects (the ANPR
//! simulator's citizens), so a portal logs a citizen in with SPID and finds
//! them in ANPR under the same codice fiscale; more from JSON.

use std::collections::BTreeMap;

use serde_json::Value;

/// The password of every default user.
pub const DEFAULT_PASSWORD: &str = "password";

/// A test user: a username, a password, and SPID attributes by their SPID
/// names (`fiscalNumber` as `TINIT-…`, dates as `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TestUser {
    /// What the login page asks for.
    pub username: String,
    /// The password.
    pub password: String,
    /// SPID attribute name → value.
    pub attributes: BTreeMap<String, String>,
}

impl TestUser {
    /// A user with `attributes` (SPID names and formats).
    #[must_use]
    pub fn new(username: &str, password: &str, attributes: &[(&str, &str)]) -> Self {
        Self {
            username: username.to_owned(),
            password: password.to_owned(),
            attributes: attributes
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// The codice fiscale (`fiscalNumber` without `TINIT-`).
    #[must_use]
    pub fn codice_fiscale(&self) -> Option<&str> {
        self.attributes
            .get("fiscalNumber")
            .map(|f| f.strip_prefix("TINIT-").unwrap_or(f))
    }

    /// From JSON: `{"username", "password", "attributes": {"name": …}}`.
    pub(crate) fn from_json(entry: &Value) -> Result<Self, String> {
        let text = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
        let (Some(username), Some(password)) = (text("username"), text("password")) else {
            return Err("a user needs username and password".to_owned());
        };
        let Some(Value::Object(fields)) = entry.get("attributes") else {
            return Err(format!("user {username}: attributes must be an object"));
        };
        let mut attributes = BTreeMap::new();
        for (name, value) in fields {
            let Some(value) = value.as_str() else {
                return Err(format!("user {username}: attribute {name} is not a string"));
            };
            attributes.insert(name.clone(), value.to_owned());
        }
        Ok(Self {
            username,
            password,
            attributes,
        })
    }
}

/// Title case, as SPID sends names ("SOGGETTO" → "Soggetto").
fn title(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let lower = word.to_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// The default users: every ANPR test subject with a name and a birth
/// date, living and registered; the username is the codice fiscale.
pub(crate) fn defaults() -> Vec<TestUser> {
    let mut people: Vec<_> = crate::anpr::data::official_subjects()
        .into_values()
        .filter(|p| !p.name.is_empty() && !p.birth_date.is_empty() && !p.deceased && !p.cancelled)
        .collect();
    people.sort_by(|a, b| a.fiscal_code.cmp(&b.fiscal_code));
    people
        .into_iter()
        .map(|p| {
            let cf = &p.fiscal_code;
            let name = title(&p.name);
            let surname = title(&p.surname);
            let email = format!(
                "{}.{}@example.it",
                name.to_lowercase().replace(' ', ""),
                surname.to_lowercase().replace(' ', "")
            );
            // The birthplace's cadastral code is in the codice fiscale.
            let place = cf.get(11..15).unwrap_or_default();
            let spid_code = format!("ABMK{}", cf.get(0..10).unwrap_or_default());
            let fiscal_number = format!("TINIT-{cf}");
            TestUser::new(
                cf,
                DEFAULT_PASSWORD,
                &[
                    ("spidCode", &spid_code),
                    ("name", &name),
                    ("familyName", &surname),
                    ("fiscalNumber", &fiscal_number),
                    ("gender", &p.sex),
                    ("dateOfBirth", &p.birth_date),
                    ("placeOfBirth", place),
                    ("countyOfBirth", &p.province),
                    ("email", &email),
                    ("mobilePhone", "+393331234567"),
                    ("address", "Via Amerigo Vespucci 55 00174 Roma RM"),
                    ("digitalAddress", "comune.prova@pec.example.it"),
                    ("expirationDate", "2030-12-31"),
                    (
                        "idCard",
                        "cartaIdentita CA00000AA MinisteroInterno 2021-01-04 2031-01-04",
                    ),
                ],
            )
        })
        .collect()
}
