//! A PDND token endpoint and an ANPR front (GovWay + the E002 services),
//! written from PDND's and AgID's rules (AgID's *Linee guida sull'interoperabilità
//! tecnica* and their ModI security patterns; PDND's authorization-server
//! OpenAPI, `pagopa/interop-be-monorepo`) and ANPR's OpenAPI files (the
//! attachments of each e-service in the PDND catalogue), as strict as the
//! real gateways, and
//! independent of `abilita-anpr`: tokens are read as raw JSON.
//!
//! Served paths:
//!
//! | path | what |
//! |---|---|
//! | `POST /token.oauth2` | PDND vouchers (client assertion, strict claim set, masked `015-0008` errors) |
//! | `GET /.well-known/jwks.json` | the key vouchers are signed with |
//! | `POST /govway/rest/in/MinInternoPortaANPR-PDND/{Cxxx-name}/v1/anpr-service-e002` | ANPR |
//! | `POST /__control/anpr/clients` | registers a PDND client: `{client_id, kid, public_key_pem, purposes: {"C030": "<uuid>", …}}` |
//! | `POST /__control/anpr/people` | adds people: `[{codice_fiscale, name, surname, sex, birth_date, birth_place, province, id_anpr?, residence?: {street_kind, street, number, cap, municipality, province}, family?: [{codice_fiscale, relation}], digital_domicile?, deceased?, aire?, cancelled?}]` |
//! | `GET /__control/anpr/people` | everyone the simulator knows |
//! | `GET /__control/anpr/calls` | the last [`MAX_CALLS`] consultations received: service, purpose, operation id, audit identity |
//! | `POST /__control/anpr/reset` | forgets the tokens seen, the day's call counts and the calls received |
//!
//! The people are ANPR's UAT test subjects (the SPID test IdP's users too),
//! plus those added. A person's `family` names the other members with
//! ANPR's `codiceLegame` (`2` spouse, `3` child, `6` parent, `28` civil
//! partner): C017, C021, C024 and C025 answer from it, and so do the *verifica*
//! services of a marriage, a family, being free to marry, a widowhood, a
//! parent or a civil union (C005, C009–C014).
//!
//! The front checks, in GovWay's order: the voucher (signature, audience,
//! times, purpose ↔ service); the tracking evidence (signature by the
//! client's key, audience without `-PDND`, times, required claims and
//! lengths, its hex SHA-256 equal to the voucher's digest); the integrity
//! token (audience, times, `signed_headers` equal to the headers received);
//! the `Digest` against the body; then the body; then ANPR's own checks
//! (operation id length, `casoUso`, daily quota per consumer) and the
//! subjects of ANPR's UAT (EN122 not found or cancelled, EN067 for details
//! several people share, EN148 warning on a search by codice fiscale). The
//! *verifica* services compare the declaration with the record, datum by
//! datum (`verify`). Clocks are the injectable clock with a configurable
//! tolerance.

pub(crate) mod data;
pub(crate) mod front;
mod pdnd;
mod verify;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abilita_core::Clock;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde_json::{Map, Value};
use wiremock::MockServer;

use crate::Faults;
use crate::kit::{Call, Handler, Params, Platform, Reply, Route};

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/token.oauth2";
/// The prefix of ANPR's calls.
pub const ANPR_PREFIX_PATH: &str = "/govway/rest/in/MinInternoPortaANPR-PDND";
/// The prefix of the ModI audiences (no `-PDND`).
pub const MODI_AUDIENCE_PATH: &str = "/govway/rest/in/MinInternoPortaANPR";
/// The client-assertion audience the simulator expects (no scheme, as PDND).
pub const ASSERTION_AUDIENCE: &str = "abilita-mock.interop/client-assertion";
/// The `kid` of the simulator's voucher key.
pub const VOUCHER_KID: &str = "abilita-mock-pdnd";

const VOUCHER_KEY: &str = include_str!("../../data/anpr/pdnd-simulator.key");
const VOUCHER_PUBLIC_KEY: &str = include_str!("../../data/anpr/pdnd-simulator.pub");
const VOUCHER_JWKS: &str = include_str!("../../data/anpr/pdnd-simulator.jwks.json");

/// A PDND client registered with the simulator.
#[derive(Clone)]
struct Client {
    id: String,
    key: DecodingKey,
    /// purposeId → e-service.
    purposes: HashMap<String, front::Service>,
}

/// The `jti`s of the ModI tokens already used, each until its `exp`: a
/// replay is refused while the token could still be accepted, and nothing
/// is kept longer, so the set stays as large as the tokens alive.
#[derive(Default)]
struct SeenTokens {
    expiry: HashMap<String, i64>,
    /// The size after the last sweep; the next sweep runs at twice that.
    swept_at: usize,
}

impl SeenTokens {
    /// Records `jti` (alive until `exp`, seconds); false when seen already.
    fn first_use(&mut self, jti: &str, exp: i64, now: i64) -> bool {
        if self.expiry.len() >= self.swept_at.saturating_mul(2).max(1024) {
            self.expiry.retain(|_, until| *until >= now);
            self.swept_at = self.expiry.len();
        }
        match self.expiry.get(jti) {
            Some(until) if *until >= now => false,
            _ => {
                self.expiry.insert(jti.to_owned(), exp);
                true
            }
        }
    }
}

/// How many received consultations the simulator keeps for
/// `GET /__control/anpr/calls`; the oldest go first.
pub const MAX_CALLS: usize = 1000;

/// A consultation as the front received it: what a test asserts its app sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedCall {
    /// The e-service (`C030`).
    pub service: String,
    /// The voucher's `purposeId`.
    pub purpose_id: String,
    /// `idOperazioneClient`.
    pub operation_id: String,
    /// The tracking evidence's `userID`.
    pub user_id: String,
    /// Its `userLocation`.
    pub user_location: String,
    /// Its `LoA`.
    pub loa: String,
    /// The PDND client (`client_id`).
    pub consumer: String,
}

struct State {
    calls: std::collections::VecDeque<ReceivedCall>,
    clients: HashMap<String, Client>,
    people: HashMap<String, data::Person>,
    /// (consumer, service, day) → calls.
    usage: HashMap<(String, String, time::Date), u32>,
    seen: SeenTokens,
    next_operation: u64,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    tolerance: Duration,
    daily_quota: Option<u32>,
    max_assertion_lifetime: Option<Duration>,
}

/// The PDND + ANPR simulator. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct AnprSimulator {
    state: Arc<Mutex<State>>,
    settings: Arc<Mutex<Settings>>,
    clock: Arc<dyn Clock>,
    faults: Arc<Faults>,
    voucher_key: Arc<EncodingKey>,
    voucher_public: Arc<DecodingKey>,
    base: Arc<Mutex<String>>,
}

impl std::fmt::Debug for AnprSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnprSimulator").finish_non_exhaustive()
    }
}

/// A JWT's claims, once its signature checked out.
pub(super) struct Token {
    claims: Map<String, Value>,
}

impl Token {
    fn str(&self, claim: &str) -> Option<&str> {
        self.claims.get(claim).and_then(Value::as_str)
    }

    fn int(&self, claim: &str) -> Option<i64> {
        self.claims.get(claim).and_then(Value::as_i64)
    }
}

/// The header of a compact JWS, unverified (to find its `kid`).
fn header_of(token: &str) -> Option<Map<String, Value>> {
    let segment = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Verifies an RS256 JWS with `key`; time claims are checked by the caller
/// on the simulator's clock.
fn verify(token: &str, key: &DecodingKey) -> Option<Token> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation)
        .ok()?
        .claims;
    Some(Token { claims })
}

/// A GovWay problem body.
fn govway(status: u16, title: &str, detail: &str) -> Reply {
    Reply::new(status)
        .header("content-type", "application/problem+json")
        .json(&serde_json::json!({
            "type": format!("https://govway.org/handling-errors/{status}/{title}.html"),
            "title": title,
            "status": status,
            "detail": detail,
            "govway_id": uuid_like(detail),
        }))
}

/// A stable id for a problem, in the shape of GovWay's.
fn uuid_like(seed: &str) -> String {
    let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        hash >> 32,
        hash & 0xffff,
        (hash >> 16) & 0xfff,
        (hash >> 28) & 0xfff,
        hash & 0xffff_ffff_ffff
    )
}

impl AnprSimulator {
    /// A simulator on `clock`, seeded with ANPR's official UAT subjects,
    /// with no clients, no tolerance, and no daily quota.
    ///
    /// # Panics
    /// Never: the embedded voucher key is a valid RSA key (a test loads it).
    #[must_use]
    #[allow(
        clippy::expect_used,
        reason = "an embedded constant key, checked by the tests"
    )]
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        let voucher_key =
            EncodingKey::from_rsa_pem(VOUCHER_KEY.as_bytes()).expect("the embedded voucher key");
        let voucher_public = DecodingKey::from_rsa_pem(VOUCHER_PUBLIC_KEY.as_bytes())
            .expect("the embedded voucher key");
        Self {
            state: Arc::new(Mutex::new(State {
                calls: std::collections::VecDeque::new(),
                clients: HashMap::new(),
                people: data::official_subjects(),
                usage: HashMap::new(),
                seen: SeenTokens::default(),
                next_operation: 2_147_483_647,
            })),
            settings: Arc::new(Mutex::new(Settings {
                tolerance: Duration::ZERO,
                daily_quota: None,
                max_assertion_lifetime: None,
            })),
            clock,
            faults: Arc::new(Faults::default()),
            voucher_key: Arc::new(voucher_key),
            voucher_public: Arc::new(voucher_public),
            base: Arc::new(Mutex::new(String::new())),
        }
    }

    /// Registers a PDND client: its id (the UUID in `iss`/`sub`), the `kid`
    /// of its key, and the public key in PEM.
    ///
    /// # Errors
    /// A key that is not an RSA public key in PEM.
    pub fn register_client(
        &self,
        client_id: &str,
        kid: &str,
        public_key_pem: &str,
    ) -> Result<(), String> {
        let key =
            DecodingKey::from_rsa_pem(public_key_pem.as_bytes()).map_err(|e| e.to_string())?;
        let client = Client {
            id: client_id.to_owned(),
            key,
            purposes: HashMap::new(),
        };
        self.with(|s| s.clients.insert(kid.to_owned(), client));
        Ok(())
    }

    /// Approves `purpose_id` for the client with `kid`, on the e-service
    /// with code `service` (`C030`, …).
    ///
    /// # Errors
    /// An e-service the simulator does not serve, or a `kid` not registered.
    pub fn approve_purpose(
        &self,
        kid: &str,
        purpose_id: &str,
        service: &str,
    ) -> Result<(), String> {
        let service = front::Service::from_code(service)
            .ok_or_else(|| format!("unknown e-service {service}"))?;
        self.with(|s| match s.clients.get_mut(kid) {
            Some(client) => {
                client.purposes.insert(purpose_id.to_owned(), service);
                Ok(())
            }
            None => Err(format!("no client with kid {kid}")),
        })
    }

    fn register_from_json(&self, body: &[u8]) -> Reply {
        let parsed = serde_json::from_slice::<Value>(body).ok();
        let field = |name: &str| {
            parsed
                .as_ref()
                .and_then(|b| b.get(name)?.as_str().map(str::to_owned))
        };
        let (Some(client_id), Some(kid), Some(pem)) =
            (field("client_id"), field("kid"), field("public_key_pem"))
        else {
            return Reply::new(400).json(
                &serde_json::json!({ "detail": "client_id, kid and public_key_pem are required" }),
            );
        };
        if let Err(detail) = self.register_client(&client_id, &kid, &pem) {
            return Reply::new(400).json(&serde_json::json!({ "detail": detail }));
        }
        let purposes = parsed
            .as_ref()
            .and_then(|b| b.get("purposes")?.as_object().cloned())
            .unwrap_or_default();
        for (service, purpose) in &purposes {
            let Some(purpose) = purpose.as_str() else {
                return Reply::new(400)
                    .json(&serde_json::json!({ "detail": format!("the purpose of {service} is not a string") }));
            };
            if let Err(detail) = self.approve_purpose(&kid, purpose, service) {
                return Reply::new(400).json(&serde_json::json!({ "detail": detail }));
            }
        }
        Reply::new(204)
    }

    /// How far clocks may disagree (default none).
    pub fn set_clock_tolerance(&self, tolerance: Duration) {
        self.with_settings(|s| s.tolerance = tolerance);
    }

    /// Calls per consumer, service and day before 429 (default unlimited;
    /// ANPR's catalogue cards say 5 000 for C030, 2 000 for C020).
    pub fn set_daily_quota(&self, quota: Option<u32>) {
        self.with_settings(|s| s.daily_quota = quota);
    }

    /// The longest client-assertion lifetime (`exp - iat`) accepted; PDND
    /// sets none, so neither does the simulator by default.
    pub fn set_max_assertion_lifetime(&self, limit: Option<Duration>) {
        self.with_settings(|s| s.max_assertion_lifetime = limit);
    }

    /// The faults to inject.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The JWKS of the voucher key.
    #[must_use]
    pub fn jwks() -> &'static str {
        VOUCHER_JWKS
    }

    /// Serves the simulator on `server`, whose URI becomes the base of the
    /// audiences it expects.
    pub async fn mount(&self, server: &MockServer) {
        crate::kit::mount::mount(self, server, "PDND and ANPR simulator").await;
    }

    /// The routes served, as `(method, path pattern)`.
    pub fn routes() -> impl Iterator<Item = (&'static str, String)> {
        crate::kit::route::table::<Self>()
    }

    /// Forgets the tokens seen, the calls counted for the daily quota and
    /// the calls received; clients and people stay.
    pub fn reset(&self) {
        self.with(|s| {
            s.seen = SeenTokens::default();
            s.usage.clear();
            s.calls.clear();
        });
    }

    /// Adds (or replaces) people from JSON: one object or a list, in the
    /// shape of `POST /__control/anpr/people`.
    ///
    /// # Errors
    /// The first bad entry (an invalid codice fiscale, a missing field);
    /// none is added then.
    pub fn add_people(&self, json: &str) -> Result<usize, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let list = match value {
            Value::Array(list) => list,
            single @ Value::Object(_) => vec![single],
            _ => return Err("expected a JSON list of people".to_owned()),
        };
        let people = list
            .iter()
            .map(data::Person::from_json)
            .collect::<Result<Vec<_>, _>>()?;
        let count = people.len();
        self.with(|s| {
            for person in people {
                s.people.insert(person.fiscal_code.clone(), person);
            }
        });
        Ok(count)
    }

    /// The consultations received, oldest first (at most [`MAX_CALLS`]).
    #[must_use]
    pub fn calls(&self) -> Vec<ReceivedCall> {
        self.with(|s| s.calls.iter().cloned().collect())
    }

    fn people_json(&self) -> Value {
        self.with(|s| {
            let mut people: Vec<&data::Person> = s.people.values().collect();
            people.sort_by(|a, b| a.fiscal_code.cmp(&b.fiscal_code));
            Value::Array(people.iter().map(|p| p.summary()).collect())
        })
    }

    fn calls_json(&self) -> Value {
        Value::Array(
            self.calls()
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "service": c.service, "purpose_id": c.purpose_id, "operation_id": c.operation_id,
                        "user_id": c.user_id, "user_location": c.user_location, "loa": c.loa, "consumer": c.consumer,
                    })
                })
                .collect(),
        )
    }

    /// The ModI audience of a service's segment on this simulator.
    #[must_use]
    pub fn modi_audience(&self, segment: &str) -> String {
        format!(
            "{}{MODI_AUDIENCE_PATH}/{segment}/v1",
            crate::lock(&self.base)
        )
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut crate::lock(&self.state))
    }

    fn with_settings<T>(&self, f: impl FnOnce(&mut Settings) -> T) -> T {
        f(&mut crate::lock(&self.settings))
    }
}

/// PDND's token endpoint and key, the GovWay front of ANPR, the control API.
static ROUTES: &[Route<AnprSimulator>] = &[
    Route {
        method: "POST",
        path: TOKEN_PATH,
        handler: Handler::Api(|s, _, c, _| Ok(s.token(c))),
    },
    Route {
        method: "GET",
        path: "/.well-known/jwks.json",
        handler: Handler::Api(|_, _, _, _| {
            Ok(Reply::new(200).raw(VOUCHER_JWKS, "application/json"))
        }),
    },
    Route {
        method: "POST",
        path: "/govway/rest/in/MinInternoPortaANPR-PDND/{service}/v1/anpr-service-e002",
        handler: Handler::Api(|s, _, c, p| Ok(s.anpr(c, p.get("service")))),
    },
    Route {
        method: "POST",
        path: "/__control/anpr/clients",
        handler: Handler::Control(|s, c, _| Ok(s.register_from_json(c.body()))),
    },
    Route {
        method: "POST",
        path: "/__control/anpr/people",
        handler: Handler::Control(|s, c, _| {
            match s.add_people(&String::from_utf8_lossy(c.body())) {
                Ok(count) => Ok(Reply::new(200).json(&serde_json::json!({ "added": count }))),
                Err(detail) => Err(Reply::new(400).json(&serde_json::json!({ "detail": detail }))),
            }
        }),
    },
    Route {
        method: "GET",
        path: "/__control/anpr/people",
        handler: Handler::Control(|s, _, _| Ok(Reply::new(200).json(&s.people_json()))),
    },
    Route {
        method: "GET",
        path: "/__control/anpr/calls",
        handler: Handler::Control(|s, _, _| Ok(Reply::new(200).json(&s.calls_json()))),
    },
    Route {
        method: "POST",
        path: "/__control/anpr/reset",
        handler: Handler::Control(|s, _, _| {
            s.reset();
            Ok(Reply::new(204))
        }),
    },
];

impl Platform for AnprSimulator {
    /// GovWay's checks differ per route; they run in the handlers.
    type Caller = ();

    const CONTROL: &'static str = "/__control/anpr";

    fn routes() -> &'static [Route<Self>] {
        ROUTES
    }

    fn faults(&self) -> &Faults {
        &self.faults
    }

    fn admit(&self, _: &Call<'_>, _: &Params<'_>) -> Result<(), Reply> {
        Ok(())
    }

    fn not_found(&self) -> Reply {
        govway(404, "UnknownResource", "no such resource")
    }

    fn throttled(&self) -> Reply {
        Reply::new(429).header("retry-after", "1")
    }

    /// ANPR's answer when its back end fails.
    fn unavailable(&self) -> Reply {
        Reply::new(503).json(&serde_json::json!({
            "idOperazioneANPR": "0",
            "listaErrori": [
                {"codiceErroreAnomalia": "999", "tipoErroreAnomalia": "E", "testoErroreAnomalia": "Operazione non effettuabile"},
                {"codiceErroreAnomalia": "EN527", "tipoErroreAnomalia": "E", "testoErroreAnomalia": "Informazioni sull'operazione da fornire in caso di assistenza"}
            ]
        }))
    }

    fn served_at(&self, base_uri: &str) {
        base_uri.clone_into(&mut crate::lock(&self.base));
    }
}
