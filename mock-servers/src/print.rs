//! A simulator of pagoPA's print service ("Stampa avvisi"), written from
//! `pagopa-print-payment-notice-service`'s external OpenAPI file, not from
//! `abilita-pagopa`'s models.
//!
//! | path | what |
//! |---|---|
//! | `GET …/notices/templates`, `…/templates/{template_id}` | the four templates pagoPA documents (single payment or instalments, with or without Poste's bulletin) |
//! | `POST …/notices/generate` | one notice: 201 with a PDF |
//! | `POST …/notices/generate-massive` | up to 1,000 notices into a folder (the same `Idempotency-Key`, the same folder) |
//! | `GET …/notices/folder/{id}/status`, `…/error/{error_id}` | where the folder stands: `INSERTED`, then `PROCESSING` after a second, then `PROCESSED` (or `…_WITH_FAILURES`, `FAILED`) after two, on the simulator's clock |
//! | `GET …/notices/folder/{id}/url`, `…/file/{file_id}/url` | signed URLs of the folder's ZIP and of one notice |
//! | `DELETE …/notices/folder/{id}` | forgets the folder |
//!
//! (`…` is [`PRINT_PATH`].) Requests are checked as the schema says
//! (required fields, lengths, 18-digit codes, amounts up to
//! 99,999,999,999 cents, at least two instalments) and refused with a
//! ProblemJson 400 naming the field; a folder's notice for a creditor the
//! back office does not know (any code but 11 digits, here) fails alone. The PDF is the simulator's own one-page A4 document
//! holding the notice's subject, code, amount and parties as text: enough
//! for a pipeline to store and check, not pagoPA's layout. The latest
//! [`MAX_FOLDERS`] folders are kept.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use abilita_core::Clock;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};
use wiremock::MockServer;

use crate::Faults;
use crate::kit::{Call, Handler, Params, Platform, Reply, Route, apim, problem_body};

/// The path of the external API.
pub const PRINT_PATH: &str = "/print-payment-notice-service/external/v1";

/// How many folders the simulator keeps; a new one pushes the oldest out.
pub const MAX_FOLDERS: usize = 1_000;

/// The templates pagoPA's documentation lists.
const TEMPLATES: [(&str, &str); 4] = [
    (
        "TemplateSingleInstalment",
        "Avviso di pagamento in rata unica",
    ),
    (
        "TemplateSingleInstalmentPoste",
        "Avviso di pagamento in rata unica con bollettino postale",
    ),
    ("TemplateInstalments", "Avviso di pagamento rateale"),
    (
        "TemplateInstalmentsPoste",
        "Avviso di pagamento rateale con bollettino postale",
    ),
];

#[derive(Debug, Clone)]
struct Folder {
    id: String,
    idempotency_key: String,
    created: OffsetDateTime,
    /// Per notice: its file id, or why it failed.
    items: Vec<Result<String, String>>,
}

impl Folder {
    fn status(&self, now: OffsetDateTime) -> &'static str {
        let age = now - self.created;
        let failed = self.items.iter().filter(|i| i.is_err()).count();
        if age < Duration::seconds(1) {
            "INSERTED"
        } else if age < Duration::seconds(2) {
            "PROCESSING"
        } else if failed == self.items.len() {
            "FAILED"
        } else if failed > 0 {
            "PROCESSED_WITH_FAILURES"
        } else {
            "PROCESSED"
        }
    }

    fn done(&self, now: OffsetDateTime) -> bool {
        now - self.created >= Duration::seconds(2)
    }
}

#[derive(Debug, Default)]
struct State {
    folders: VecDeque<Folder>,
}

/// The print service simulator. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct PrintSimulator {
    state: Arc<Mutex<State>>,
    keys: Arc<apim::Keys>,
    clock: Arc<dyn Clock>,
    base: Arc<Mutex<String>>,
    faults: Arc<Faults>,
}

impl PrintSimulator {
    /// A simulator on `clock`, with no keys.
    #[must_use]
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Arc::default(),
            keys: Arc::default(),
            clock,
            base: Arc::new(Mutex::new("http://127.0.0.1".to_owned())),
            faults: Arc::new(Faults::default()),
        }
    }

    /// Lets subscription `key` print.
    pub fn grant(&self, key: &str) {
        self.keys.grant(key);
    }

    /// The faults to inject.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Serves the simulator on `server`, beside anything else mounted there.
    pub async fn mount(&self, server: &MockServer) {
        crate::kit::mount::mount(self, server, "print simulator").await;
    }

    /// The routes served, as `(method, path pattern)`.
    pub fn routes() -> impl Iterator<Item = (&'static str, String)> {
        crate::kit::route::table::<Self>()
    }

    /// Adds folder `id` of `notices` notices made already (their files
    /// `notice-1`, `notice-2`, …), as if requested long ago: a test's
    /// fixture.
    pub fn add_processed_folder(&self, id: &str, notices: usize) {
        let created = self.clock.now() - Duration::days(1);
        let folder = Folder {
            id: id.to_owned(),
            idempotency_key: format!("fixture-{id}"),
            created,
            items: (1..=notices).map(|n| Ok(format!("notice-{n}"))).collect(),
        };
        self.with(|s| s.folders.push_back(folder));
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut crate::lock(&self.state))
    }

    fn templates() -> Reply {
        let list: Vec<Value> = TEMPLATES
            .iter()
            .map(|(id, description)| template(id, description))
            .collect();
        Reply::new(200).json(&Value::Array(list))
    }

    fn template(id: &str) -> Reply {
        match TEMPLATES.iter().find(|(t, _)| *t == id) {
            Some((id, description)) => Reply::new(200).json(&template(id, description)),
            None => problem(404, "Not Found", &format!("no template {id}")),
        }
    }

    /// `POST /notices/generate`.
    fn generate(call: &Call<'_>) -> Reply {
        let item = match json_object(call).and_then(|item| read_item(&item)) {
            Ok(item) => item,
            Err(detail) => return problem(400, "Bad Request", &detail),
        };
        Reply::new(201).raw(pdf(&item), "application/pdf")
    }

    /// `POST /notices/generate-massive`.
    fn generate_massive(&self, call: &Call<'_>) -> Reply {
        let Some(key) = call.header("idempotency-key") else {
            return problem(400, "Bad Request", "the Idempotency-Key header is required");
        };
        let body = match json_object(call) {
            Ok(body) => body,
            Err(detail) => return problem(400, "Bad Request", &detail),
        };
        let Some(notices) = body.get("notices").and_then(Value::as_array) else {
            return problem(400, "Bad Request", "notices is required");
        };
        if notices.is_empty() || notices.len() > 1000 {
            return problem(400, "Bad Request", "notices must hold 1 to 1000 items");
        }
        let mut items = Vec::new();
        for (i, notice) in notices.iter().enumerate() {
            let item = notice
                .as_object()
                .ok_or_else(|| "not an object".to_owned())
                .and_then(read_item);
            match item {
                Ok(item) if item.creditor_known => items.push(Ok(format!("notice-{}", i + 1))),
                Ok(_) => items.push(Err(
                    "the creditor has no notice data in the back office".to_owned()
                )),
                Err(detail) => {
                    return problem(400, "Bad Request", &format!("notices[{i}]: {detail}"));
                }
            }
        }
        let now = self.clock.now();
        let id = self.with(|s| {
            if let Some(folder) = s.folders.iter().find(|f| f.idempotency_key == key) {
                return folder.id.clone();
            }
            if s.folders.len() >= MAX_FOLDERS {
                s.folders.pop_front();
            }
            let id = format!("{:032x}", fastrand::u128(..));
            s.folders.push_back(Folder {
                id: id.clone(),
                idempotency_key: key.to_owned(),
                created: now,
                items,
            });
            id
        });
        Reply::new(200).json(&json!({ "folder_id": id }))
    }

    fn folder(&self, id: &str) -> Result<Folder, Reply> {
        self.with(|s| s.folders.iter().find(|f| f.id == id).cloned())
            .ok_or_else(|| problem(404, "Not Found", &format!("no folder {id}")))
    }

    fn status(&self, id: &str) -> Result<Reply, Reply> {
        let folder = self.folder(id)?;
        let now = self.clock.now();
        Ok(Reply::new(200).json(&status_body(&folder, now, None)))
    }

    fn error(&self, id: &str, error: &str) -> Result<Reply, Reply> {
        let folder = self.folder(id)?;
        let now = self.clock.now();
        let index = error
            .strip_prefix("notice-")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .filter(|i| folder.done(now) && folder.items.get(*i).is_some_and(Result::is_err))
            .ok_or_else(|| {
                problem(
                    404,
                    "Not Found",
                    &format!("no error {error} in folder {id}"),
                )
            })?;
        Ok(Reply::new(200).json(&status_body(&folder, now, Some(index))))
    }

    fn folder_url(&self, id: &str) -> Result<Reply, Reply> {
        let folder = self.folder(id)?;
        if !folder.done(self.clock.now()) {
            return Err(problem(
                404,
                "Not Found",
                &format!("folder {id} is not ready"),
            ));
        }
        let url = format!("{}/__files/{id}.zip", crate::lock(&self.base));
        Ok(Reply::new(200).json(&json!({ "signedUrl": url })))
    }

    fn file_url(&self, id: &str, file: &str) -> Result<Reply, Reply> {
        let folder = self.folder(id)?;
        let made =
            folder.done(self.clock.now()) && folder.items.iter().any(|i| i.as_deref() == Ok(file));
        if !made {
            return Err(problem(
                404,
                "Not Found",
                &format!("no file {file} in folder {id}"),
            ));
        }
        let url = format!("{}/__files/{id}/{file}.pdf", crate::lock(&self.base));
        Ok(Reply::new(200).json(&json!({ "signedUrl": url })))
    }

    fn delete(&self, id: &str) -> Result<Reply, Reply> {
        self.folder(id)?;
        self.with(|s| s.folders.retain(|f| f.id != id));
        Ok(Reply::new(200))
    }
}

fn template(id: &str, description: &str) -> Value {
    json!({
        "templateId": id,
        "description": description,
        "templateExampleUrl": format!("https://developer.pagopa.it/avvisi/{id}.pdf"),
    })
}

fn status_body(folder: &Folder, now: OffsetDateTime, only: Option<usize>) -> Value {
    let done = folder.done(now);
    let mut processed = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in folder.items.iter().enumerate() {
        if !done || only.is_some_and(|o| o != i) {
            continue;
        }
        match item {
            Ok(file) => processed.push(file.clone()),
            Err(_) => failed.push(format!("notice-{}", i + 1)),
        }
    }
    json!({ "status": folder.status(now), "processedNotices": processed, "noticesInError": failed })
}

fn problem(status: u16, title: &str, detail: &str) -> Reply {
    Reply::new(status).json(&problem_body(status, title, detail))
}

fn json_object(call: &Call<'_>) -> Result<Map<String, Value>, String> {
    if !call.is_json() {
        return Err("the body must be application/json".into());
    }
    match serde_json::from_slice(call.body()) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err("the body must be a JSON object".into()),
    }
}

/// What the PDF shows of a checked `NoticeGenerationRequestItem`.
struct Item {
    template: String,
    lines: Vec<String>,
    /// Whether the creditor is one the back office knows: the simulator
    /// knows every 11-digit code. A folder's notice for another fails
    /// alone, as one for a creditor without notice data does.
    creditor_known: bool,
}

/// A `NoticeGenerationRequestItem` as the schema says, or the first fault.
fn read_item(item: &Map<String, Value>) -> Result<Item, String> {
    let template = item
        .get("templateId")
        .and_then(Value::as_str)
        .ok_or("templateId is required")?;
    if !TEMPLATES.iter().any(|(t, _)| *t == template) {
        return Err(format!("templateId {template} is unknown"));
    }
    let data = object(item, "data")?;
    let notice = object(data, "notice")?;
    let creditor = object(data, "creditorInstitution")?;
    let debtor = object(data, "debtor")?;
    let subject = string(notice, "notice.subject", "subject", true, 0, 90)?;
    string(notice, "notice.dueDate", "dueDate", false, 0, usize::MAX)?;
    let code = string(notice, "notice.code", "code", false, 18, 18)?;
    let amount = cents(notice, "notice.paymentAmount", "paymentAmount")?;
    let creditor_code = string(
        creditor,
        "creditorInstitution.taxCode",
        "taxCode",
        true,
        0,
        usize::MAX,
    )?;
    let creditor_known =
        creditor_code.len() == 11 && creditor_code.bytes().all(|b| b.is_ascii_digit());
    let mut lines = vec![
        format!("Oggetto: {subject}"),
        format!("Ente creditore: {creditor_code}"),
        format!(
            "Destinatario: {} ({})",
            string(debtor, "debtor.fullName", "fullName", true, 0, 70)?,
            string(debtor, "debtor.taxCode", "taxCode", false, 0, 16)?
        ),
        format!(
            "{} {}, {} {} ({})",
            string(debtor, "debtor.address", "address", true, 0, 140)?,
            string(
                debtor,
                "debtor.buildingNumber",
                "buildingNumber",
                true,
                0,
                usize::MAX
            )?,
            string(
                debtor,
                "debtor.postalCode",
                "postalCode",
                true,
                0,
                usize::MAX
            )?,
            string(debtor, "debtor.city", "city", true, 0, usize::MAX)?,
            string(debtor, "debtor.province", "province", true, 0, usize::MAX)?
        ),
    ];
    if !code.is_empty() {
        lines.push(format!("Codice avviso: {code}"));
    }
    if let Some(amount) = amount {
        lines.push(format!("Importo: {},{:02} EUR", amount / 100, amount % 100));
    }
    if let Some(instalments) = notice.get("installments") {
        let list = instalments
            .as_array()
            .filter(|l| l.len() >= 2)
            .ok_or("notice.installments must hold at least 2 items")?;
        for (i, instalment) in list.iter().enumerate() {
            let instalment = instalment
                .as_object()
                .ok_or_else(|| format!("notice.installments[{i}] must be an object"))?;
            let code = string(instalment, "notice.installments.code", "code", true, 18, 18)?;
            string(
                instalment,
                "notice.installments.dueDate",
                "dueDate",
                false,
                0,
                usize::MAX,
            )?;
            let amount = cents(instalment, "notice.installments.amount", "amount")?
                .ok_or_else(|| format!("notice.installments[{i}].amount is required"))?;
            lines.push(format!(
                "Rata {}: {code}, {},{:02} EUR",
                i + 1,
                amount / 100,
                amount % 100
            ));
        }
    }
    for optional in ["reduced", "discounted"] {
        if let Some(value) = notice.get(optional) {
            let value = value
                .as_object()
                .ok_or_else(|| format!("notice.{optional} must be an object"))?;
            string(value, optional, "code", true, 18, 18)?;
            string(value, optional, "dueDate", false, 0, usize::MAX)?;
            cents(value, optional, "amount")?
                .ok_or_else(|| format!("notice.{optional}.amount is required"))?;
        }
    }
    Ok(Item {
        template: template.to_owned(),
        lines,
        creditor_known,
    })
}

fn object<'a>(
    parent: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a Map<String, Value>, String> {
    parent
        .get(name)
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{name} is required"))
}

/// A string field within `min..=max` characters (empty when optional and
/// absent).
fn string(
    parent: &Map<String, Value>,
    path: &str,
    name: &str,
    required: bool,
    min: usize,
    max: usize,
) -> Result<String, String> {
    match parent.get(name) {
        None if !required => Ok(String::new()),
        Some(Value::String(text)) if (min..=max).contains(&text.chars().count()) => {
            Ok(text.clone())
        }
        Some(Value::String(_)) => Err(format!("{path} must be {min} to {max} characters")),
        _ => Err(format!("{path} is required as a string")),
    }
}

/// An optional amount in cents, at most 99,999,999,999.
fn cents(parent: &Map<String, Value>, path: &str, name: &str) -> Result<Option<u64>, String> {
    match parent.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .filter(|c| *c <= 99_999_999_999)
            .map(|c| Some(c.unsigned_abs()))
            .ok_or_else(|| format!("{path} must be an integer of at most 99999999999")),
    }
}

/// A one-page A4 PDF with `item`'s lines in Helvetica: a valid document any
/// reader opens and extracts text from.
fn pdf(item: &Item) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 56 780 Td 14 TL\n");
    let title = format!("Avviso di pagamento (simulatore, {})", item.template);
    for line in std::iter::once(&title).chain(&item.lines) {
        let text: String = line
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        let text = text
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({text}) Tj T*\n"));
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

impl Platform for PrintSimulator {
    type Caller = ();

    const CONTROL: &'static str = "/__control/print";

    fn routes() -> &'static [Route<Self>] {
        ROUTES
    }

    fn faults(&self) -> &Faults {
        &self.faults
    }

    /// APIM's key check.
    fn admit(&self, call: &Call<'_>, _params: &Params<'_>) -> Result<(), Reply> {
        self.keys.admit(call)
    }

    fn not_found(&self) -> Reply {
        apim::not_found()
    }

    fn throttled(&self) -> Reply {
        apim::throttled(1, "retry-after")
    }

    fn unavailable(&self) -> Reply {
        problem(503, "Service Unavailable", "simulated failure")
    }

    fn served_at(&self, base_uri: &str) {
        base_uri.clone_into(&mut crate::lock(&self.base));
    }
}

static ROUTES: &[Route<PrintSimulator>] = &[
    Route {
        method: "GET",
        path: "/print-payment-notice-service/external/v1/notices/templates",
        handler: Handler::Api(|_, (), _, _| Ok(PrintSimulator::templates())),
    },
    Route {
        method: "GET",
        path: "/print-payment-notice-service/external/v1/notices/templates/{template}",
        handler: Handler::Api(|_, (), _, p| Ok(PrintSimulator::template(p.get("template")))),
    },
    Route {
        method: "POST",
        path: "/print-payment-notice-service/external/v1/notices/generate",
        handler: Handler::Api(|_, (), c, _| Ok(PrintSimulator::generate(c))),
    },
    Route {
        method: "POST",
        path: "/print-payment-notice-service/external/v1/notices/generate-massive",
        handler: Handler::Api(|s, (), c, _| Ok(s.generate_massive(c))),
    },
    Route {
        method: "GET",
        path: "/print-payment-notice-service/external/v1/notices/folder/{folder}/status",
        handler: Handler::Api(|s, (), _, p| s.status(p.get("folder"))),
    },
    Route {
        method: "GET",
        path: "/print-payment-notice-service/external/v1/notices/folder/{folder}/error/{error}",
        handler: Handler::Api(|s, (), _, p| s.error(p.get("folder"), p.get("error"))),
    },
    Route {
        method: "GET",
        path: "/print-payment-notice-service/external/v1/notices/folder/{folder}/url",
        handler: Handler::Api(|s, (), _, p| s.folder_url(p.get("folder"))),
    },
    Route {
        method: "GET",
        path: "/print-payment-notice-service/external/v1/notices/folder/{folder}/file/{file}/url",
        handler: Handler::Api(|s, (), _, p| s.file_url(p.get("folder"), p.get("file"))),
    },
    Route {
        method: "DELETE",
        path: "/print-payment-notice-service/external/v1/notices/folder/{folder}",
        handler: Handler::Api(|s, (), _, p| s.delete(p.get("folder"))),
    },
];
