//! Drives the `abilita-mock` program from outside, as a pipeline does: starts
//! it, seeds it over HTTP, sends a mix of every simulator's endpoints from
//! concurrent clients, and reads its resident memory from `/proc`. Shared by
//! the load test (`tests/it/load.rs`, 100,000 requests) and the load bench
//! (`benches/load.rs`, 1,000,000 and the floor).

#![allow(dead_code, reason = "each includer uses part of the driver")]

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use abilita_mock::anpr::{ASSERTION_AUDIENCE, MODI_AUDIENCE_PATH};
use abilita_mock::server::{DEFAULT_CREDITOR, DEFAULT_KEY};
use abilita_mock::{
    SIMULATED_CLIENT_ID, SIMULATED_CLIENT_KID, simulated_client_key, simulated_purpose,
};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// The program, running; killed when dropped.
pub(crate) struct Program {
    child: Child,
    /// `NAME → URL`, as printed before `ready`.
    pub(crate) urls: HashMap<String, String>,
}

impl Program {
    /// Starts the program on free ports with `extra` flags.
    pub(crate) fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_abilita-mock"))
            .args([
                "--gpd-port",
                "0",
                "--io-port",
                "0",
                "--anpr-port",
                "0",
                "--spid-port",
                "0",
                "--cie-port",
                "0",
                "--nodo-port",
                "0",
                "--fdr-port",
                "0",
                "--checkout-port",
                "0",
                "--print-port",
                "0",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the program starts");
        let stdout = child.stdout.take().expect("its stdout");
        let mut urls = HashMap::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            if line == "ready" {
                break;
            }
            let (name, url) = line.split_once(' ').expect("NAME URL");
            urls.insert(name.to_owned(), url.to_owned());
        }
        Self { child, urls }
    }

    /// `http://IP:PORT` of a simulator's server (`gpd`, `io`, `anpr`).
    pub(crate) fn base(&self, name: &str) -> String {
        let url = url::Url::parse(&self.urls[name]).expect("a URL");
        format!(
            "http://{}:{}",
            url.host_str().unwrap_or_default(),
            url.port().unwrap_or(80)
        )
    }

    /// Resident memory, in KiB (Linux's `/proc/PID/status`).
    pub(crate) fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }

    /// Sends SIGTERM and waits: how long the program took to exit, and
    /// whether it exited successfully.
    pub(crate) fn terminate(mut self) -> (Duration, bool) {
        let started = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("the program exits");
        (started.elapsed(), status.success())
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of process `pid`, in KiB.
pub(crate) fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Where the mix goes.
#[derive(Clone)]
pub(crate) struct Targets {
    pub(crate) gpd: String,
    pub(crate) io: String,
    pub(crate) anpr: String,
}

impl Targets {
    pub(crate) fn of(program: &Program) -> Self {
        Self {
            gpd: program.base("gpd"),
            io: program.base("io"),
            anpr: program.base("pdnd-token"),
        }
    }
}

const CITIZEN: &str = "STTSGT90A01H501J";
const POSITIONS: usize = 20;
const V1: &str = "/gpd/debt-positions-service/v1/organizations/77777777777/debtpositions";
const V3: &str = "/gpd/debt-positions-service/v3/organizations/77777777777/debtpositions";
const C030: &str = "C030-servizioAccertamentoIdUnicoNazionale";

fn position(iupd: &str, iuv: &str) -> Value {
    let due = time::OffsetDateTime::now_utc() + time::Duration::days(60);
    let due = format!(
        "{}-{:02}-{:02}T23:59:59",
        due.year(),
        u8::from(due.month()),
        due.day()
    );
    json!({
        "iupd": iupd, "type": "F", "fiscalCode": CITIZEN, "fullName": "Soggetto Settimo",
        "companyName": "Comune di Prova", "switchToExpired": false,
        "paymentOption": [{"iuv": iuv, "amount": 100, "description": "TARI", "isPartialPayment": false,
            "dueDate": due, "transfer": [{"idTransfer": "1", "amount": 100, "remittanceInformation": "TARI",
                "category": "9/0101100IM/", "iban": "IT60X0542811101000000123456"}]}]
    })
}

fn iuv(n: usize) -> String {
    format!("01{n:015}")
}

/// What the mix reads: positions (one paid, with its receipt), a citizen
/// and a message.
pub(crate) struct Seeded {
    /// The message the mix reads: the latest sent, as older ones may be
    /// forgotten under the program's message limit.
    message_path: Arc<std::sync::Mutex<String>>,
}

/// Seeds the program over HTTP, as a pipeline would.
pub(crate) async fn seed(http: &reqwest::Client, t: &Targets) -> Seeded {
    for n in 0..POSITIONS {
        let created = http
            .post(format!("{}{V1}?toPublish=true", t.gpd))
            .header("Ocp-Apim-Subscription-Key", DEFAULT_KEY)
            .json(&position(&format!("seed-{n}"), &iuv(n)))
            .send()
            .await
            .expect("GPD answers");
        assert_eq!(
            created.status(),
            201,
            "{}",
            created.text().await.unwrap_or_default()
        );
    }
    let paid = http
        .post(format!(
            "{}/__control/gpd/organizations/{DEFAULT_CREDITOR}/paymentoptions/3{}/pay",
            t.gpd,
            iuv(0)
        ))
        .send()
        .await
        .expect("GPD answers");
    assert_eq!(
        paid.status(),
        200,
        "{}",
        paid.text().await.unwrap_or_default()
    );
    let citizen = http
        .post(format!("{}/__control/io/citizens", t.io))
        .json(&json!([{ "fiscal_code": CITIZEN, "state": "allowed" }]))
        .send()
        .await
        .expect("IO answers");
    assert_eq!(citizen.status(), 200);
    let sent = http
        .post(format!("{}/api/v1/messages", t.io))
        .header("Ocp-Apim-Subscription-Key", DEFAULT_KEY)
        .json(&message())
        .send()
        .await
        .expect("IO answers");
    assert_eq!(sent.status(), 201);
    let location = sent.headers()["location"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    Seeded {
        message_path: Arc::new(std::sync::Mutex::new(location)),
    }
}

fn message() -> Value {
    json!({ "fiscal_code": CITIZEN, "content": {
        "subject": "Avviso di scadenza TARI",
        "markdown": "La rata della TARI scade a fine mese. Può pagarla dall'app IO o presso qualsiasi prestatore aderente a pagoPA."
    }})
}

/// One kind of request in the mix, with the statuses it may get.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Health,
    GpdList,
    GpdRead,
    GpdReadV3,
    GpdReceipt,
    GpdWrongKey,
    GpdUnknown,
    /// Create then delete: two requests, no state left.
    GpdCreateDelete,
    IoProfile,
    IoReadMessage,
    /// Adds a message: state a request legitimately creates.
    IoSend,
    IoWrongKey,
    IoUnknownPath,
    AnprJwks,
    AnprNoVoucher,
    PdndBadGrant,
    /// Token, then a C030 consultation: two requests, three RSA signatures.
    AnprConsultation,
}

/// Reads of existing resources and refusals, in turn.
const MIX: [Kind; 16] = [
    Kind::Health,
    Kind::GpdRead,
    Kind::IoProfile,
    Kind::AnprJwks,
    Kind::GpdList,
    Kind::IoReadMessage,
    Kind::GpdReadV3,
    Kind::GpdWrongKey,
    Kind::IoWrongKey,
    Kind::GpdReceipt,
    Kind::AnprNoVoucher,
    Kind::GpdUnknown,
    Kind::IoUnknownPath,
    Kind::PdndBadGrant,
    Kind::GpdRead,
    Kind::IoProfile,
];

/// The kind of the `n`th step: every 50th creates and deletes a position,
/// every 100th sends a message, every 500th is a full ANPR consultation.
fn kind(n: usize) -> Kind {
    if n % 500 == 499 {
        Kind::AnprConsultation
    } else if n % 100 == 99 {
        Kind::IoSend
    } else if n % 50 == 49 {
        Kind::GpdCreateDelete
    } else {
        MIX[n % MIX.len()]
    }
}

/// What a run saw.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) requests: usize,
    pub(crate) elapsed: Duration,
    /// Microseconds per answered request, sorted.
    pub(crate) latencies: Vec<u32>,
    /// Answers by status.
    pub(crate) statuses: HashMap<u16, usize>,
    /// Requests that timed out (a fault's lost response).
    pub(crate) timeouts: usize,
    /// Unexpected statuses and failures, described (the first few).
    pub(crate) errors: Vec<String>,
    pub(crate) error_count: usize,
}

impl Report {
    pub(crate) fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub(crate) fn percentile(&self, p: f64) -> Duration {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        Duration::from_micros(self.latencies.get(index).copied().unwrap_or(0).into())
    }

    fn merge(&mut self, other: Report) {
        self.requests += other.requests;
        self.latencies.extend(other.latencies);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.timeouts += other.timeouts;
        self.error_count += other.error_count;
        self.errors.extend(other.errors);
        self.errors.truncate(20);
    }
}

/// An HTTP client for the mix: a timeout that turns a lost response into a
/// timeout quickly.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .pool_max_idle_per_host(256)
        .build()
        .expect("a client")
}

/// Sends at least `total` requests of the mix with `concurrency` clients;
/// with `faults`, 429 and 503 are expected answers too.
pub(crate) async fn drive(
    http: &reqwest::Client,
    targets: &Targets,
    seeded: &Seeded,
    total: usize,
    concurrency: usize,
    faults: bool,
) -> Report {
    let sent = Arc::new(AtomicUsize::new(0));
    let step = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, targets, sent, step) =
            (http.clone(), targets.clone(), sent.clone(), step.clone());
        let message_path = seeded.message_path.clone();
        workers.spawn(async move {
            let mut report = Report::default();
            while sent.load(Ordering::Relaxed) < total {
                let n = step.fetch_add(1, Ordering::Relaxed);
                let requests = run(
                    &http,
                    &targets,
                    &message_path,
                    kind(n),
                    n,
                    faults,
                    &mut report,
                )
                .await;
                report.requests += requests;
                sent.fetch_add(requests, Ordering::Relaxed);
            }
            report
        });
    }
    let mut report = Report::default();
    while let Some(worker) = workers.join_next().await {
        report.merge(worker.expect("a worker"));
    }
    report.elapsed = started.elapsed();
    report.latencies.sort_unstable();
    report
}

/// Sends one request and files its answer.
async fn one(
    request: reqwest::RequestBuilder,
    expected: &[u16],
    faults: bool,
    what: &str,
    report: &mut Report,
) -> Option<reqwest::Response> {
    let started = Instant::now();
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            report
                .latencies
                .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
            *report.statuses.entry(status).or_default() += 1;
            if expected.contains(&status) {
                return Some(response);
            }
            // A fault's answer is expected, but there is nothing to go on with.
            if !(faults && matches!(status, 429 | 503)) {
                report.error_count += 1;
                if report.errors.len() < 20 {
                    let body = response.text().await.unwrap_or_default();
                    report.errors.push(format!("{what}: {status} {body}"));
                }
            }
            None
        }
        Err(e) if e.is_timeout() && faults => {
            report.timeouts += 1;
            None
        }
        Err(e) => {
            report.error_count += 1;
            if report.errors.len() < 20 {
                report.errors.push(format!("{what}: {e}"));
            }
            None
        }
    }
}

const KEY: &str = "Ocp-Apim-Subscription-Key";

/// The one request of a single-request step, and the statuses it expects.
fn single(
    http: &reqwest::Client,
    t: &Targets,
    message_path: &std::sync::Mutex<String>,
    kind: Kind,
    n: usize,
) -> Option<(reqwest::RequestBuilder, &'static [u16])> {
    let gpd = |path: String, key: &str| http.get(format!("{}{path}", t.gpd)).header(KEY, key);
    let profile = |key: &str| {
        http.post(format!("{}/api/v1/profiles", t.io))
            .header(KEY, key)
            .json(&json!({ "fiscal_code": CITIZEN }))
    };
    Some(match kind {
        Kind::Health => (http.get(format!("{}/health", t.io)), &[200]),
        Kind::GpdList => (gpd(format!("{V1}?limit=10"), DEFAULT_KEY), &[200]),
        Kind::GpdRead => (
            gpd(format!("{V1}/seed-{}", n % POSITIONS), DEFAULT_KEY),
            &[200],
        ),
        Kind::GpdReadV3 => (
            gpd(format!("{V3}/seed-{}", n % POSITIONS), DEFAULT_KEY),
            &[200],
        ),
        Kind::GpdReceipt => (
            gpd(
                format!(
                    "/gpd/payments-receipts-service/v1/payments/{DEFAULT_CREDITOR}/receipts/{}",
                    iuv(0)
                ),
                DEFAULT_KEY,
            ),
            &[200],
        ),
        Kind::GpdWrongKey => (gpd(format!("{V1}/seed-1"), "wrong"), &[401]),
        Kind::GpdUnknown => (gpd(format!("{V1}/unknown-{n}"), DEFAULT_KEY), &[404]),
        Kind::IoProfile => (profile(DEFAULT_KEY), &[200]),
        Kind::IoWrongKey => (profile("wrong"), &[401]),
        Kind::IoReadMessage => {
            let path = message_path.lock().expect("not poisoned").clone();
            (
                http.get(format!("{}{path}", t.io)).header(KEY, DEFAULT_KEY),
                &[200],
            )
        }
        Kind::IoUnknownPath => (
            http.get(format!("{}/api/v1/unknown", t.io))
                .header(KEY, DEFAULT_KEY),
            &[404],
        ),
        Kind::AnprJwks => (
            http.get(format!("{}/.well-known/jwks.json", t.anpr)),
            &[200],
        ),
        Kind::AnprNoVoucher => (
            http.post(format!(
                "{}/govway/rest/in/MinInternoPortaANPR-PDND/{C030}/v1/anpr-service-e002",
                t.anpr
            ))
            .body("{}"),
            &[401],
        ),
        Kind::PdndBadGrant => (
            http.post(format!("{}/token.oauth2", t.anpr))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=password"),
            &[400],
        ),
        Kind::GpdCreateDelete | Kind::IoSend | Kind::AnprConsultation => return None,
    })
}

/// Runs the `n`th step; the number of HTTP requests it made.
async fn run(
    http: &reqwest::Client,
    t: &Targets,
    message_path: &std::sync::Mutex<String>,
    kind: Kind,
    n: usize,
    faults: bool,
    report: &mut Report,
) -> usize {
    let what = format!("{kind:?}");
    let r = report;
    if let Some((request, expected)) = single(http, t, message_path, kind, n) {
        // `/health` is the server's own: no fault reaches it.
        let faults = faults && !matches!(kind, Kind::Health);
        one(request, expected, faults, &what, r).await;
        return 1;
    }
    match kind {
        Kind::GpdCreateDelete => {
            let iupd = format!("load-{n}");
            let body = position(&iupd, &iuv(1_000_000 + n));
            let create = http
                .post(format!("{}{V1}", t.gpd))
                .header(KEY, DEFAULT_KEY)
                .json(&body);
            one(create, &[201], faults, &what, r).await;
            // Deleted whatever the creation's answer: a lost answer may still
            // have created it.
            let delete = http
                .delete(format!("{}{V1}/{iupd}", t.gpd))
                .header(KEY, DEFAULT_KEY);
            one(delete, &[200, 404], faults, &what, r).await;
            2
        }
        Kind::IoSend => {
            let request = http
                .post(format!("{}/api/v1/messages", t.io))
                .header(KEY, DEFAULT_KEY);
            let sent = one(request.json(&message()), &[201], faults, &what, r).await;
            if let Some(location) =
                sent.and_then(|s| Some(s.headers().get("location")?.to_str().ok()?.to_owned()))
            {
                *message_path.lock().expect("not poisoned") = location;
            }
            1
        }
        Kind::AnprConsultation => {
            let consultation = Consultation::new(&t.anpr, "STTSGT90A01H501J", n);
            let token = one(consultation.token_request(http), &[200], faults, &what, r).await;
            let Some(token) = token else { return 1 };
            let voucher: Value = token.json().await.unwrap_or_default();
            let voucher = voucher["access_token"].as_str().unwrap_or_default();
            one(consultation.call(http, voucher), &[200], faults, &what, r).await;
            2
        }
        // The single-request kinds were sent above.
        _ => 0,
    }
}

/// A C030 consultation signed as the simulated PDND client, by hand (the
/// driver does not use abilita-anpr: it checks the program, not the client).
pub(crate) struct Consultation {
    base: String,
    /// `C030` and its path segment.
    code: &'static str,
    segment: &'static str,
    audience: String,
    evidence: String,
    body: String,
}

fn sign(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(SIMULATED_CLIENT_KID.to_owned());
    header.typ = Some("JWT".to_owned());
    let key =
        EncodingKey::from_rsa_pem(simulated_client_key().as_bytes()).expect("the bundled key");
    jsonwebtoken::encode(&header, claims, &key).expect("signed")
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

fn jti(n: usize, what: &str) -> String {
    format!("{what}-{n}-{}-{:x}", std::process::id(), fastrand::u64(..))
}

impl Consultation {
    /// A consultation of `codice_fiscale` on the simulator at `base`.
    pub(crate) fn new(base: &str, codice_fiscale: &str, n: usize) -> Self {
        Self::of("C030", C030, base, codice_fiscale, n)
    }

    /// A consultation of e-service `code` (path segment `segment`).
    pub(crate) fn of(
        code: &'static str,
        segment: &'static str,
        base: &str,
        codice_fiscale: &str,
        n: usize,
    ) -> Self {
        let audience = format!("{base}{MODI_AUDIENCE_PATH}/{segment}/v1");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let evidence = sign(&json!({
            "iss": SIMULATED_CLIENT_ID, "aud": audience, "iat": now, "nbf": now, "exp": now + 60,
            "jti": jti(n, "evidence"), "purposeId": simulated_purpose(code),
            "dnonce": 1_000_000_000_000_u64 + n as u64,
            "userID": "operatore.1", "userLocation": "Ufficio Anagrafe", "LoA": "SpidL2",
        }));
        let body = json!({
            "idOperazioneClient": format!("{n:016}0001"),
            "criteriRicerca": { "codiceFiscale": codice_fiscale },
            "datiRichiesta": { "dataRiferimentoRichiesta": "2026-12-01", "motivoRichiesta": "verifica", "casoUso": code },
        })
        .to_string();
        Self {
            base: base.to_owned(),
            code,
            segment,
            audience,
            evidence,
            body,
        }
    }

    /// The token request: a client assertion bound to the tracking evidence.
    pub(crate) fn token_request(&self, http: &reqwest::Client) -> reqwest::RequestBuilder {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let digest: String = sha256(self.evidence.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let assertion = sign(&json!({
            "iss": SIMULATED_CLIENT_ID, "sub": SIMULATED_CLIENT_ID, "aud": ASSERTION_AUDIENCE,
            "jti": jti(0, "assertion"), "iat": now, "exp": now + 60,
            "purposeId": simulated_purpose(self.code),
            "digest": { "alg": "SHA256", "value": digest },
        }));
        let form = format!(
            "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={assertion}&client_id={SIMULATED_CLIENT_ID}"
        );
        http.post(format!("{}/token.oauth2", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
    }

    /// The consultation itself, with the voucher.
    pub(crate) fn call(&self, http: &reqwest::Client, voucher: &str) -> reqwest::RequestBuilder {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let digest = format!(
            "SHA-256={}",
            base64::engine::general_purpose::STANDARD.encode(sha256(self.body.as_bytes()))
        );
        let signature = sign(&json!({
            "iss": SIMULATED_CLIENT_ID, "aud": self.audience, "iat": now, "nbf": now, "exp": now + 60,
            "jti": jti(0, "signature"),
            "signed_headers": [{ "digest": digest }, { "content-type": "application/json" }],
        }));
        http.post(format!(
            "{}/govway/rest/in/MinInternoPortaANPR-PDND/{}/v1/anpr-service-e002",
            self.base, self.segment
        ))
        .header("authorization", format!("Bearer {voucher}"))
        .header("agid-jwt-trackingevidence", &self.evidence)
        .header("agid-jwt-signature", signature)
        .header("digest", digest)
        .header("content-type", "application/json")
        .body(self.body.clone())
    }
}

/// Sets a simulator's faults over its control API.
pub(crate) async fn set_faults(http: &reqwest::Client, base: &str, simulator: &str, faults: Value) {
    let answer = http
        .post(format!("{base}/__control/{simulator}/faults"))
        .json(&faults)
        .send()
        .await
        .expect("the control API answers");
    assert_eq!(
        answer.status(),
        204,
        "{}",
        answer.text().await.unwrap_or_default()
    );
}

/// Sends `total` `GET url` from `concurrency` clients: the floor's load.
pub(crate) async fn drive_get(
    http: &reqwest::Client,
    url: &str,
    total: usize,
    concurrency: usize,
) -> Report {
    let sent = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, url, sent) = (http.clone(), url.to_owned(), sent.clone());
        workers.spawn(async move {
            let mut report = Report::default();
            while sent.fetch_add(1, Ordering::Relaxed) < total {
                one(http.get(&url), &[200], false, "floor", &mut report).await;
                report.requests += 1;
            }
            report
        });
    }
    let mut report = Report::default();
    while let Some(worker) = workers.join_next().await {
        report.merge(worker.expect("a worker"));
    }
    report.elapsed = started.elapsed();
    report.latencies.sort_unstable();
    report
}
