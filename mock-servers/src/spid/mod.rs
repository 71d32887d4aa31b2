//! A SPID (and CIE) test Identity Provider, for an app's own tests and for
//! pipelines: it trusts SPs by their metadata, checks their AuthnRequests as
//! a SPID IdP does, shows a login page that works without JavaScript, and
//! answers with signed Responses carrying the attributes asked for, in
//! SPID's formats. Its messages are its own code, not `abilita-spid`'s
//! models; only the XML-DSig signer is shared, and `xmlsec1` verifies what
//! it signs in CI.
//!
//! From Rust, without HTML: [`SpidIdp::login`] takes what the SP sent the
//! browser off with and a test user, and gives what the browser would post
//! to the ACS ([`AcsPost`]); [`SpidIdp::answer`] gives the refusals
//! (anomalies `nr19`–`nr30`, an expired Response, the wrong audience).
//!
//! ```no_run
//! # async fn run(sp_metadata: &str, redirect_url: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use abilita_mock::spid::{Profile, SpidIdp};
//! let running = abilita_mock::server::start_spid_idp(
//!     "127.0.0.1:0".parse()?,
//!     SpidIdp::generate(Profile::Spid, std::sync::Arc::new(abilita_core::SystemClock))?,
//! )
//! .await?;
//! let idp = &running.simulator;
//! idp.trust_sp_metadata(sp_metadata)?;           // the SP's /metadata
//! let idp_metadata = idp.metadata()?;             // for the SP's IdP registry
//! let post = idp.login(abilita_mock::spid::Outgoing::Redirect(redirect_url), "STTSGT90A01H501J")?;
//! // post.url, post.saml_response, post.relay_state: what the browser posts to the ACS
//! # Ok(()) }
//! ```
//!
//! Over HTTP (the `abilita-mock` program's `--spid-port`), every step is a
//! plain request:
//!
//! | step | request | answer |
//! |---|---|---|
//! | metadata | `GET /metadata` | the IdP's signed metadata |
//! | trust an SP | `POST /__control/spid/sps` with its metadata XML | `201 {"entity_id"}` |
//! | users | `POST /__control/spid/users` with `[{"username", "password", "attributes": {…}}]` | `200 {"seeded": n}` |
//! | login page | `GET /sso?SAMLRequest=…&RelayState=…&SigAlg=…&Signature=…`, or `POST /sso` with `SAMLRequest`, `RelayState` | `200` HTML form; `400` page for a request it cannot trust; an auto-post page with a SAML error for an SP's mistake |
//! | log in | `POST /sso/login` with `binding=redirect&query=<the /sso query, as sent>` (or `binding=post&SAMLRequest=…&RelayState=…`), `username`, `password`, `answer=consent` (or `nr19`, `nr20`, `nr21`, `nr22`, `nr23`, `nr25`, `nr30`) | an auto-post HTML form to the ACS with `SAMLResponse` and `RelayState`; with `Accept: application/json`, `{"url", "SAMLResponse", "RelayState"}` |
//! | SP logout | `GET /slo?SAMLRequest=…` or `POST /slo` | an auto-post form with the LogoutResponse |
//! | IdP logout | `POST /__control/spid/logout` with `{"username"}` or `{"name_id"}`, or the buttons on `GET /sessions` | `[{"url", "SAMLRequest", "RelayState"}]` to post to each SP |
//!
//! The default users are ANPR's test subjects (username: the codice
//! fiscale; password [`DEFAULT_PASSWORD`]), so a citizen logged in here is
//! found by the ANPR simulator under the same code.

mod authn;
mod inbound;
mod keys;
mod outbound;
mod pages;
mod sp;
mod users;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use abilita_core::Clock;
use base64::Engine as _;
use serde_json::{Value, json};
use wiremock::MockServer;

pub use authn::Refusal;
pub use keys::IdpKeys;
pub use users::{DEFAULT_PASSWORD, TestUser};

use crate::Faults;
use crate::kit::{Call, Handler, Params, Platform, Reply, Route};
use inbound::{Binding, Inbound, field};
use outbound::{Failure, Grant};
use sp::Sp;

pub(crate) const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub(crate) const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub(crate) const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(crate) const SAML_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub(crate) const SAML_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// How many sessions (logins) the IdP remembers for Single Logout; the
/// oldest are forgotten first.
pub const MAX_SESSIONS: usize = 10_000;

/// Which IdP to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// A SPID IdP: every SPID attribute, the Assertion Issuer with Format.
    Spid,
    /// The CIE IdP's SAML profile: only `name`, `familyName`,
    /// `fiscalNumber` and `dateOfBirth`, and an entity id in the shape of
    /// CIE's (`{base}/idp/profile/SAML2/POST/SSO`). The Assertion Issuer
    /// keeps its `Format`, which CIE allows but does not require.
    Cie,
}

impl Profile {
    /// Whether the profile sends attribute `name`.
    pub(crate) fn allows(self, name: &str) -> bool {
        match self {
            Self::Spid => true,
            Self::Cie => matches!(name, "name" | "familyName" | "fiscalNumber" | "dateOfBirth"),
        }
    }

    fn attributes(self) -> &'static [&'static str] {
        match self {
            Self::Spid => &[
                "spidCode",
                "name",
                "familyName",
                "placeOfBirth",
                "countyOfBirth",
                "dateOfBirth",
                "gender",
                "fiscalNumber",
                "mobilePhone",
                "email",
                "address",
                "digitalAddress",
                "expirationDate",
                "idCard",
            ],
            Self::Cie => &["name", "familyName", "fiscalNumber", "dateOfBirth"],
        }
    }
}

/// What the SP sent the browser to the IdP with.
#[derive(Debug, Clone, Copy)]
#[allow(
    clippy::exhaustive_enums,
    reason = "SAML has these two request bindings"
)]
pub enum Outgoing<'a> {
    /// HTTP-Redirect: the URL of the redirect (`Location`).
    Redirect(&'a str),
    /// HTTP-POST: the form's fields.
    Post {
        /// `SAMLRequest` (base64).
        saml_request: &'a str,
        /// `RelayState`.
        relay_state: Option<&'a str>,
    },
}

/// What the browser posts to an SP: to the ACS (`SAMLResponse`) or to its
/// Single Logout service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcsPost {
    /// Where to post.
    pub url: String,
    /// `SAMLResponse` (base64 of the signed Response).
    pub saml_response: String,
    /// `RelayState`, as the SP sent it.
    pub relay_state: Option<String>,
}

/// A LogoutRequest the IdP starts, to post to an SP.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SloPost {
    /// The SP's SingleLogoutService.
    pub url: String,
    /// `SAMLRequest` (base64 of the signed LogoutRequest).
    pub saml_request: String,
    /// `RelayState`.
    pub relay_state: String,
}

/// A user-side anomaly (SPID's *messaggi di errore*): a Response with
/// `Responder`/`AuthnFailed` and `ErrorCode nrNN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anomaly {
    /// nr19: wrong credentials too many times.
    WrongCredentials,
    /// nr20: no credentials of the level asked.
    LevelUnavailable,
    /// nr21: the login timed out.
    Timeout,
    /// nr22: consent denied.
    ConsentDenied,
    /// nr23: identity suspended or revoked.
    IdentitySuspended,
    /// nr25: cancelled by the user.
    Cancelled,
    /// nr30: the wrong identity type.
    WrongIdentityType,
}

impl Anomaly {
    /// The SPID code (`nr22`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::WrongCredentials => "nr19",
            Self::LevelUnavailable => "nr20",
            Self::Timeout => "nr21",
            Self::ConsentDenied => "nr22",
            Self::IdentitySuspended => "nr23",
            Self::Cancelled => "nr25",
            Self::WrongIdentityType => "nr30",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        [
            Self::WrongCredentials,
            Self::LevelUnavailable,
            Self::Timeout,
            Self::ConsentDenied,
            Self::IdentitySuspended,
            Self::Cancelled,
            Self::WrongIdentityType,
        ]
        .into_iter()
        .find(|a| a.code() == code)
    }
}

/// How the test user answers the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// Logs in and consents.
    Consent,
    /// An anomaly instead of a login.
    Anomaly(Anomaly),
    /// A login whose Response expired before it reaches the SP (issued ten
    /// minutes before the IdP's clock).
    Expired,
    /// A login whose Assertion names another SP as its audience.
    WrongAudience,
}

/// Why the IdP gave no answer to post to the SP.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdpError {
    /// The request was refused on the IdP's own page.
    Refused(Refusal),
    /// No such test user, or the wrong password.
    BadCredentials,
    /// The message is not what this call takes (no `SAMLRequest`, …).
    BadInput(String),
    /// A message could not be signed (a broken key).
    Signing(String),
}

impl std::fmt::Display for IdpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(refusal) => write!(
                f,
                "the test IdP refused the request (ErrorCode {}): {}",
                refusal.code(),
                refusal.reason()
            ),
            Self::BadCredentials => f.write_str("no test user with that username and password"),
            Self::BadInput(what) => write!(f, "not a SAML message the test IdP takes: {what}"),
            Self::Signing(what) => write!(f, "the test IdP could not sign: {what}"),
        }
    }
}

impl std::error::Error for IdpError {}

#[derive(Debug, Clone)]
struct Session {
    name_id: String,
    session_index: String,
    sp: String,
    username: String,
}

struct State {
    sps: HashMap<String, Sp>,
    users: BTreeMap<String, TestUser>,
    sessions: VecDeque<Session>,
}

struct Inner {
    profile: Profile,
    keys: IdpKeys,
    clock: Arc<dyn Clock>,
    faults: Faults,
    /// The base URL (`http://127.0.0.1:PORT`), set when served.
    base: Mutex<String>,
    entity_id: Mutex<Option<String>>,
    state: Mutex<State>,
}

/// The test IdP. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct SpidIdp {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SpidIdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpidIdp")
            .field("profile", &self.inner.profile)
            .field("entity_id", &self.entity_id())
            .finish_non_exhaustive()
    }
}

impl SpidIdp {
    /// An IdP of `profile` signing with `keys`, on `clock`, with the
    /// default users and no SP.
    #[must_use]
    pub fn new(profile: Profile, keys: IdpKeys, clock: Arc<dyn Clock>) -> Self {
        let users = users::defaults()
            .into_iter()
            .map(|u| (u.username.clone(), u))
            .collect();
        Self {
            inner: Arc::new(Inner {
                profile,
                keys,
                clock,
                faults: Faults::default(),
                base: Mutex::new("http://127.0.0.1".to_owned()),
                entity_id: Mutex::new(None),
                state: Mutex::new(State {
                    sps: HashMap::new(),
                    users,
                    sessions: VecDeque::new(),
                }),
            }),
        }
    }

    /// [`SpidIdp::new`] with a fresh key and certificate.
    ///
    /// # Errors
    /// When the key cannot be made.
    pub fn generate(profile: Profile, clock: Arc<dyn Clock>) -> Result<Self, String> {
        let name = match profile {
            Profile::Spid => "abilita-mock SPID test IdP",
            Profile::Cie => "abilita-mock CIE test IdP",
        };
        Ok(Self::new(profile, IdpKeys::generate(name)?, clock))
    }

    /// Sets the entity id (default: the base URL for SPID, CIE's shape for CIE).
    pub fn set_entity_id(&self, entity_id: &str) {
        *crate::lock(&self.inner.entity_id) = Some(entity_id.to_owned());
    }

    /// The base URL the IdP is served at.
    #[must_use]
    pub fn base_url(&self) -> String {
        crate::lock(&self.inner.base).clone()
    }

    /// The entity id (the Issuer of its messages).
    #[must_use]
    pub fn entity_id(&self) -> String {
        crate::lock(&self.inner.entity_id)
            .clone()
            .unwrap_or_else(|| match self.inner.profile {
                Profile::Spid => self.base_url(),
                Profile::Cie => format!("{}/idp/profile/SAML2/POST/SSO", self.base_url()),
            })
    }

    /// The SingleSignOnService URL (both bindings).
    #[must_use]
    pub fn sso_url(&self) -> String {
        format!("{}/sso", self.base_url())
    }

    /// The SingleLogoutService URL (both bindings).
    #[must_use]
    pub fn slo_url(&self) -> String {
        format!("{}/slo", self.base_url())
    }

    /// The signing certificate, PEM: the trust anchor for its metadata.
    #[must_use]
    pub fn certificate_pem(&self) -> &str {
        self.inner.keys.certificate_pem()
    }

    /// The IdP's metadata, signed with its key.
    ///
    /// # Errors
    /// When signing fails (a broken key).
    pub fn metadata(&self) -> Result<String, String> {
        outbound::metadata(
            &self.entity_id(),
            &self.base_url(),
            &self.inner.keys,
            self.inner.profile.attributes(),
        )
    }

    /// Trusts the SP of `xml` (its `EntityDescriptor`): its entity id.
    ///
    /// # Errors
    /// Metadata without entity id, HTTP-POST ACS or signing certificate.
    pub fn trust_sp_metadata(&self, xml: &str) -> Result<String, String> {
        let sp = Sp::from_metadata(xml)?;
        let entity_id = sp.entity_id.clone();
        self.with(|s| s.sps.insert(entity_id.clone(), sp));
        Ok(entity_id)
    }

    /// Adds (or replaces) a test user.
    pub fn add_user(&self, user: TestUser) {
        self.with(|s| s.users.insert(user.username.clone(), user));
    }

    /// Adds users from JSON: one `{"username", "password", "attributes"}`
    /// or a list of them.
    ///
    /// # Errors
    /// The first bad entry; none is added then.
    pub fn seed_users(&self, json: &str) -> Result<usize, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let list = match value {
            Value::Array(list) => list,
            single @ Value::Object(_) => vec![single],
            _ => return Err("expected a JSON list of users".to_owned()),
        };
        let users = list
            .iter()
            .map(TestUser::from_json)
            .collect::<Result<Vec<_>, _>>()?;
        let count = users.len();
        users.into_iter().for_each(|u| self.add_user(u));
        Ok(count)
    }

    /// The test users, by username.
    #[must_use]
    pub fn users(&self) -> Vec<TestUser> {
        self.with(|s| s.users.values().cloned().collect())
    }

    /// The faults to inject on the IdP's pages and endpoints.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// Forgets every session; SPs and users stay.
    pub fn reset(&self) {
        self.with(|s| s.sessions.clear());
    }

    /// Logs `username` in for the request the SP sent: what the browser
    /// then posts to the ACS. A request with an SP's mistake (a wrong
    /// Destination, an unknown ACS index, …) gives the SAML error Response
    /// the SPID rules prescribe, to post all the same.
    ///
    /// # Errors
    /// An [`IdpError`]: a request the IdP refuses on its own page (bad
    /// signature, unknown SP), an unknown user.
    pub fn login(&self, outgoing: Outgoing<'_>, username: &str) -> Result<AcsPost, IdpError> {
        self.answer(outgoing, username, Answer::Consent)
    }

    /// [`SpidIdp::login`] with the user's `answer`: consent, an anomaly, or
    /// a Response that must be refused.
    ///
    /// # Errors
    /// As [`SpidIdp::login`].
    pub fn answer(
        &self,
        outgoing: Outgoing<'_>,
        username: &str,
        answer: Answer,
    ) -> Result<AcsPost, IdpError> {
        let message = match outgoing {
            Outgoing::Redirect(url) => {
                let query = url::Url::parse(url)
                    .map_err(|e| IdpError::BadInput(format!("{url}: {e}")))?
                    .query()
                    .unwrap_or_default()
                    .to_owned();
                Inbound::from_redirect(&query, "SAMLRequest")
            }
            Outgoing::Post {
                saml_request,
                relay_state,
            } => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                form.append_pair("SAMLRequest", saml_request);
                if let Some(relay_state) = relay_state {
                    form.append_pair("RelayState", relay_state);
                }
                Inbound::from_post(&form.finish(), "SAMLRequest")
            }
        }
        .map_err(IdpError::BadInput)?;
        self.authenticate(&message, username, None, answer)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut crate::lock(&self.inner.state))
    }

    fn sp_of(&self, xml: &str) -> Option<Sp> {
        let issuer = authn::issuer_of(xml)?;
        self.with(|s| s.sps.get(&issuer).cloned())
    }

    /// Checks the request, then answers as `username` (with `password` when
    /// typed on the page).
    fn authenticate(
        &self,
        message: &Inbound,
        username: &str,
        password: Option<&str>,
        answer: Answer,
    ) -> Result<AcsPost, IdpError> {
        let now = self.inner.clock.now();
        let entity_id = self.entity_id();
        let sp = self.sp_of(&message.xml);
        let authn = match authn::check(message, sp.as_ref(), &self.sso_url(), &entity_id, now) {
            Ok(authn) => authn,
            Err(refused) => return self.refuse(*refused, message, &entity_id, now),
        };
        let user = self
            .with(|s| s.users.get(username).cloned())
            .filter(|u| password.is_none_or(|p| p == u.password))
            .ok_or(IdpError::BadCredentials)?;
        if let Answer::Anomaly(anomaly) = answer {
            let to = authn::AnswerTo {
                acs_url: authn.acs_url.clone(),
                request_id: authn.id.clone(),
            };
            let failure = Failure {
                top: "Responder",
                sub: "AuthnFailed",
                code: anomaly.code(),
            };
            let xml = outbound::failure(&entity_id, &to, &failure, now, &self.inner.keys)
                .map_err(IdpError::Signing)?;
            return Ok(acs_post(authn.acs_url, &xml, authn.relay_state));
        }
        let session = Session {
            name_id: outbound::fresh_id(),
            session_index: outbound::fresh_id(),
            sp: authn.sp.entity_id.clone(),
            username: user.username.clone(),
        };
        let grant = Grant {
            entity_id: &entity_id,
            profile: self.inner.profile,
            user: &user,
            name_id: &session.name_id,
            session_index: &session.session_index,
            now: if answer == Answer::Expired {
                now.saturating_sub(time::Duration::minutes(10))
            } else {
                now
            },
            audience: if answer == Answer::WrongAudience {
                "https://sp.example.org/another-service"
            } else {
                &authn.sp.entity_id
            },
        };
        let xml = outbound::success(&authn, &grant, &self.inner.keys).map_err(IdpError::Signing)?;
        self.with(|s| {
            s.sessions.push_back(session);
            while s.sessions.len() > MAX_SESSIONS {
                s.sessions.pop_front();
            }
        });
        Ok(acs_post(authn.acs_url, &xml, authn.relay_state))
    }

    /// A refused AuthnRequest: the SAML error Response to post to the SP,
    /// or, for a request that cannot be trusted to say where, the refusal
    /// for the IdP's own page.
    fn refuse(
        &self,
        refused: authn::Refused,
        message: &Inbound,
        entity_id: &str,
        now: time::OffsetDateTime,
    ) -> Result<AcsPost, IdpError> {
        let authn::Refused { refusal, answer_to } = refused;
        tracing::info!(
            code = refusal.code(),
            reason = refusal.reason(),
            "the test IdP refused an AuthnRequest"
        );
        match (refusal, answer_to) {
            (
                Refusal::Status {
                    code, sub_status, ..
                },
                Some(to),
            ) => {
                let failure = Failure {
                    top: "Requester",
                    sub: sub_status,
                    code,
                };
                let xml = outbound::failure(entity_id, &to, &failure, now, &self.inner.keys)
                    .map_err(IdpError::Signing)?;
                Ok(acs_post(to.acs_url, &xml, message.relay_state.clone()))
            }
            (refusal, _) => Err(IdpError::Refused(refusal)),
        }
    }

    /// IdP-initiated logout of every session of `name_id` (or of the user
    /// `username`): one signed LogoutRequest per SP, sessions closed.
    ///
    /// # Errors
    /// [`IdpError::BadInput`] when no session matches; [`IdpError::Signing`].
    pub fn start_logout(&self, name_id_or_username: &str) -> Result<Vec<SloPost>, IdpError> {
        let ended: Vec<Session> = self.with(|s| {
            let (ended, kept): (Vec<Session>, Vec<Session>) = s.sessions.drain(..).partition(|x| {
                x.name_id == name_id_or_username || x.username == name_id_or_username
            });
            s.sessions = kept.into();
            ended
        });
        if ended.is_empty() {
            return Err(IdpError::BadInput(format!(
                "no session of {name_id_or_username}"
            )));
        }
        let entity_id = self.entity_id();
        let now = self.inner.clock.now();
        ended
            .iter()
            .filter_map(|session| {
                let sp = self.with(|s| s.sps.get(&session.sp).cloned())?;
                let url = sp.slo_post(false)?;
                Some((session, url.to_owned()))
            })
            .map(|(session, url)| {
                let xml = outbound::logout_request(
                    &entity_id,
                    &url,
                    &session.name_id,
                    &session.session_index,
                    now,
                    &self.inner.keys,
                )
                .map_err(IdpError::Signing)?;
                Ok(SloPost {
                    url,
                    saml_request: base64(&xml),
                    relay_state: outbound::fresh_id(),
                })
            })
            .collect()
    }

    /// `GET|POST /slo`: a LogoutRequest from an SP (answered with a
    /// LogoutResponse) or the LogoutResponse to one of the IdP's.
    fn slo(&self, message: Result<Inbound, String>) -> Reply {
        let message = match message {
            Ok(message) => message,
            Err(reason) => return html(400, &pages::error("nr03", &reason)),
        };
        let Some(sp) = self.sp_of(&message.xml) else {
            return html(
                400,
                &pages::error("nr10", "the issuer is not an SP this IdP trusts"),
            );
        };
        if let Err(reason) = message.verify(&sp.keys) {
            return html(400, &pages::error("nr05", &reason));
        }
        let Ok(document) = abilita_spid::xml::parse(&message.xml) else {
            return html(400, &pages::error("nr08", "not acceptable XML"));
        };
        let root = document.root_element();
        let is_response = message.field == "SAMLResponse";
        let expected = if is_response {
            "LogoutResponse"
        } else {
            "LogoutRequest"
        };
        if root.tag_name().namespace() != Some(SAMLP) || root.tag_name().name() != expected {
            let reason = format!("{} carries no samlp:{expected}", message.field);
            return html(400, &pages::error("nr08", &reason));
        }
        if root.attribute("Destination") != Some(self.slo_url().as_str()) {
            return html(
                400,
                &pages::error(
                    "nr14",
                    "the Destination is not this IdP's SingleLogoutService",
                ),
            );
        }
        if is_response {
            return html(
                200,
                &pages::message(
                    "abilita-mock: uscita completata",
                    &format!("{} ha chiuso la sessione.", sp.entity_id),
                ),
            );
        }
        let name_id = root
            .descendants()
            .find(|n| n.is_element() && n.tag_name().name() == "NameID")
            .and_then(|n| n.text())
            .unwrap_or_default()
            .trim()
            .to_owned();
        let closed = self.with(|s| {
            let before = s.sessions.len();
            s.sessions
                .retain(|x| !(x.name_id == name_id && x.sp == sp.entity_id));
            before != s.sessions.len()
        });
        let Some(url) = sp.slo_post(true) else {
            return html(
                400,
                &pages::error(
                    "nr08",
                    "the SP's metadata has no HTTP-POST SingleLogoutService",
                ),
            );
        };
        let request_id = root.attribute("ID").unwrap_or_default();
        let status = if closed { "Success" } else { "PartialLogout" };
        match outbound::logout_response(
            &self.entity_id(),
            url,
            request_id,
            status,
            self.inner.clock.now(),
            &self.inner.keys,
        ) {
            Ok(xml) => html(
                200,
                &pages::autopost(
                    url,
                    "SAMLResponse",
                    &base64(&xml),
                    message.relay_state.as_deref(),
                ),
            ),
            Err(reason) => html(500, &pages::error("nr02", &reason)),
        }
    }

    /// `GET|POST /sso`: the login page, or the refusal.
    fn sso_page(&self, message: Result<Inbound, String>) -> Reply {
        let message = match message {
            Ok(message) => message,
            Err(reason) => return html(400, &pages::error("nr03", &reason)),
        };
        let entity_id = self.entity_id();
        let now = self.inner.clock.now();
        match authn::check(
            &message,
            self.sp_of(&message.xml).as_ref(),
            &self.sso_url(),
            &entity_id,
            now,
        ) {
            Ok(authn) => {
                let carry = carry(&message);
                let carry: Vec<(&str, &str)> =
                    carry.iter().map(|(n, v)| (*n, v.as_str())).collect();
                html(
                    200,
                    &pages::login(
                        &format!("{}/sso/login", self.base_url()),
                        &authn.sp.entity_id,
                        authn.level,
                        &authn.attributes,
                        &self.users(),
                        &carry,
                        None,
                    ),
                )
            }
            Err(refused) => match self.refuse(*refused, &message, &entity_id, now) {
                Ok(post) => html(
                    200,
                    &pages::autopost(
                        &post.url,
                        "SAMLResponse",
                        &post.saml_response,
                        post.relay_state.as_deref(),
                    ),
                ),
                Err(IdpError::Refused(refusal)) => {
                    html(400, &pages::error(refusal.code(), refusal.reason()))
                }
                Err(other) => html(500, &pages::error("nr02", &other.to_string())),
            },
        }
    }

    /// `POST /sso/login`: the form of the login page.
    fn sso_login(&self, call: &Call<'_>) -> Reply {
        let form = String::from_utf8_lossy(call.body()).into_owned();
        let message = match field(&form, "binding").as_deref() {
            Some("redirect") => {
                Inbound::from_redirect(&field(&form, "query").unwrap_or_default(), "SAMLRequest")
            }
            Some("post") => Inbound::from_post(&form, "SAMLRequest"),
            _ => Err("binding must be redirect or post".to_owned()),
        };
        let message = match message {
            Ok(message) => message,
            Err(reason) => return html(400, &pages::error("nr03", &reason)),
        };
        let answer = match field(&form, "answer").as_deref() {
            Some("consent") | None => Answer::Consent,
            Some(code) => match Anomaly::from_code(code) {
                Some(anomaly) => Answer::Anomaly(anomaly),
                None => {
                    return html(
                        400,
                        &pages::error("nr03", &format!("unknown answer {code}")),
                    );
                }
            },
        };
        let username = field(&form, "username").unwrap_or_default();
        let password = field(&form, "password").unwrap_or_default();
        let wants_json = call
            .header("accept")
            .is_some_and(|a| a.contains("application/json"));
        match self.authenticate(&message, &username, Some(&password), answer) {
            Ok(post) if wants_json => Reply::new(200).json(&json!({ "url": post.url, "SAMLResponse": post.saml_response, "RelayState": post.relay_state })),
            Ok(post) => html(200, &pages::autopost(&post.url, "SAMLResponse", &post.saml_response, post.relay_state.as_deref())),
            Err(IdpError::BadCredentials) => {
                let carry = carry(&message);
                let carry: Vec<(&str, &str)> = carry.iter().map(|(n, v)| (*n, v.as_str())).collect();
                let sp = authn::issuer_of(&message.xml).unwrap_or_default();
                html(401, &pages::login(&format!("{}/sso/login", self.base_url()), &sp, 0, &[], &self.users(), &carry, Some("Nome utente o password errati")))
            }
            Err(IdpError::Refused(refusal)) => html(400, &pages::error(refusal.code(), refusal.reason())),
            Err(other) => html(500, &pages::error("nr02", &other.to_string())),
        }
    }

    /// `GET /sessions`
    fn sessions_page(&self) -> Reply {
        let rows: Vec<(String, String, String)> = self.with(|s| {
            s.sessions
                .iter()
                .map(|x| (x.username.clone(), x.sp.clone(), x.name_id.clone()))
                .collect()
        });
        html(
            200,
            &pages::sessions(&format!("{}/sessions/logout", self.base_url()), &rows),
        )
    }

    /// `POST /sessions/logout`: the page's button.
    fn sessions_logout(&self, call: &Call<'_>) -> Reply {
        let form = String::from_utf8_lossy(call.body()).into_owned();
        match self.start_logout(&field(&form, "name_id").unwrap_or_default()) {
            Ok(posts) => match posts.first() {
                Some(post) => html(
                    200,
                    &pages::autopost(
                        &post.url,
                        "SAMLRequest",
                        &post.saml_request,
                        Some(&post.relay_state),
                    ),
                ),
                None => html(
                    200,
                    &pages::message("abilita-mock: sessioni", "Nessun servizio da avvisare."),
                ),
            },
            Err(e) => html(404, &pages::error("nr03", &e.to_string())),
        }
    }

    /// `POST /__control/spid/logout`: `{"username"}` or `{"name_id"}`.
    fn control_logout(&self, body: &[u8]) -> Reply {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let who = parsed.as_ref().and_then(|b| {
            b.get("name_id")
                .or_else(|| b.get("username"))?
                .as_str()
                .map(str::to_owned)
        });
        let Some(who) = who else {
            return Reply::new(400).json(&json!({ "detail": "name_id or username is required" }));
        };
        match self.start_logout(&who) {
            Ok(posts) => Reply::new(200).json(&Value::Array(
                posts.iter().map(|p| json!({ "url": p.url, "SAMLRequest": p.saml_request, "RelayState": p.relay_state })).collect(),
            )),
            Err(e) => Reply::new(404).json(&json!({ "detail": e.to_string() })),
        }
    }

    /// Serves the IdP on `server`, beside anything else mounted there.
    pub async fn mount(&self, server: &MockServer) {
        crate::kit::mount::mount(self, server, "SPID test IdP").await;
    }

    /// The routes served, as `(method, path pattern)`.
    pub fn routes() -> impl Iterator<Item = (&'static str, String)> {
        crate::kit::route::table::<Self>()
    }
}

/// The hidden fields that bring a request back with the login form.
fn carry(message: &Inbound) -> Vec<(&'static str, String)> {
    match &message.binding {
        Binding::Redirect { query } => {
            vec![("binding", "redirect".to_owned()), ("query", query.clone())]
        }
        Binding::Post => {
            let mut fields = vec![
                ("binding", "post".to_owned()),
                ("SAMLRequest", base64(&message.xml)),
            ];
            if let Some(relay_state) = &message.relay_state {
                fields.push(("RelayState", relay_state.clone()));
            }
            fields
        }
    }
}

fn base64(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml)
}

fn acs_post(url: String, xml: &str, relay_state: Option<String>) -> AcsPost {
    AcsPost {
        url,
        saml_response: base64(xml),
        relay_state,
    }
}

fn html(status: u16, page: &str) -> Reply {
    Reply::new(status).raw(page, "text/html; charset=utf-8")
}

fn form_message(call: &Call<'_>) -> Result<Inbound, String> {
    let form = String::from_utf8_lossy(call.body()).into_owned();
    let field_name = if field(&form, "SAMLResponse").is_some() {
        "SAMLResponse"
    } else {
        "SAMLRequest"
    };
    Inbound::from_post(&form, field_name)
}

fn query_message(call: &Call<'_>) -> Result<Inbound, String> {
    let query = call.raw_query();
    let field_name = if field(query, "SAMLResponse").is_some() {
        "SAMLResponse"
    } else {
        "SAMLRequest"
    };
    Inbound::from_redirect(query, field_name)
}

/// The IdP's pages and endpoints, then the control API.
static ROUTES: &[Route<SpidIdp>] = &[
    Route {
        method: "GET",
        path: "/metadata",
        handler: Handler::Api(|s, _, _, _| {
            s.metadata()
                .map(|xml| Reply::new(200).raw(xml, "application/samlmetadata+xml"))
                .map_err(|e| html(500, &pages::error("nr02", &e)))
        }),
    },
    Route {
        method: "GET",
        path: "/sso",
        handler: Handler::Api(|s, _, c, _| Ok(s.sso_page(query_message(c)))),
    },
    Route {
        method: "POST",
        path: "/sso",
        handler: Handler::Api(|s, _, c, _| Ok(s.sso_page(form_message(c)))),
    },
    Route {
        method: "POST",
        path: "/sso/login",
        handler: Handler::Api(|s, _, c, _| Ok(s.sso_login(c))),
    },
    Route {
        method: "GET",
        path: "/slo",
        handler: Handler::Api(|s, _, c, _| Ok(s.slo(query_message(c)))),
    },
    Route {
        method: "POST",
        path: "/slo",
        handler: Handler::Api(|s, _, c, _| Ok(s.slo(form_message(c)))),
    },
    Route {
        method: "GET",
        path: "/sessions",
        handler: Handler::Api(|s, _, _, _| Ok(s.sessions_page())),
    },
    Route {
        method: "POST",
        path: "/sessions/logout",
        handler: Handler::Api(|s, _, c, _| Ok(s.sessions_logout(c))),
    },
    Route {
        method: "POST",
        path: "/__control/spid/sps",
        handler: Handler::Control(|s, c, _| {
            match s.trust_sp_metadata(&String::from_utf8_lossy(c.body())) {
                Ok(entity_id) => Ok(Reply::new(201).json(&json!({ "entity_id": entity_id }))),
                Err(detail) => Err(Reply::new(400).json(&json!({ "detail": detail }))),
            }
        }),
    },
    Route {
        method: "POST",
        path: "/__control/spid/users",
        handler: Handler::Control(|s, c, _| {
            match s.seed_users(&String::from_utf8_lossy(c.body())) {
                Ok(count) => Ok(Reply::new(200).json(&json!({ "seeded": count }))),
                Err(detail) => Err(Reply::new(400).json(&json!({ "detail": detail }))),
            }
        }),
    },
    Route {
        method: "POST",
        path: "/__control/spid/logout",
        handler: Handler::Control(|s, c, _| Ok(s.control_logout(c.body()))),
    },
    Route {
        method: "POST",
        path: "/__control/spid/reset",
        handler: Handler::Control(|s, _, _| {
            s.reset();
            Ok(Reply::new(204))
        }),
    },
];

impl Platform for SpidIdp {
    type Caller = ();
    const CONTROL: &'static str = "/__control/spid";

    fn routes() -> &'static [Route<Self>] {
        ROUTES
    }

    fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    fn admit(&self, _: &Call<'_>, _: &Params<'_>) -> Result<(), Reply> {
        Ok(())
    }

    fn not_found(&self) -> Reply {
        html(
            404,
            &pages::message(
                "abilita-mock: pagina inesistente",
                "Questa pagina non esiste.",
            ),
        )
    }

    fn throttled(&self) -> Reply {
        html(429, &pages::error("nr02", "troppe richieste, riprovare")).header("retry-after", "1")
    }

    /// SPID's code 2: the system is unavailable.
    fn unavailable(&self) -> Reply {
        html(
            503,
            &pages::error("nr02", "sistema di autenticazione non disponibile"),
        )
    }

    fn served_at(&self, base_uri: &str) {
        base_uri.clone_into(&mut crate::lock(&self.inner.base));
    }
}
