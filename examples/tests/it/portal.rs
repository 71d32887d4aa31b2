//! The acceptance test of the "Casa digitale" portal: a citizen uses it in
//! headless Chromium, through the real pages of the portal and of the SPID
//! test IdP. Screenshots of each step go to `target/casa-digitale/`.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use fantoccini::{Client, Locator};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The portal, with its simulators: `NAME → URL` as it prints them.
fn portal() -> (Killed, std::collections::HashMap<String, String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_casa-digitale"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Killed(child);
    let mut urls = std::collections::HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line == "ready" {
            break;
        }
        if let Some((name, url)) = line.split_once(' ') {
            urls.insert(name.to_owned(), url.to_owned());
        }
    }
    (child, urls)
}

async fn chromium() -> (Killed, Client) {
    let port = free_port();
    let driver = Killed(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .spawn()
            .expect("chromedriver is installed"),
    );
    let url = format!("http://127.0.0.1:{port}");
    let capabilities: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1400", "--lang=it-IT"],
        },
    }))
    .unwrap();
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(client) =
            Client::with_capabilities_and_connector(&url, &capabilities, connector).await
        {
            return (driver, client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

struct Browser {
    client: Client,
    shots: PathBuf,
    step: usize,
}

impl Browser {
    async fn shot(&mut self, name: &str) {
        self.step += 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{:02}-{name}.png", self.step)), png).unwrap();
    }

    /// The text of the first element `css` finds. A page that is still
    /// being replaced may hand out an element and then drop it (a stale
    /// reference): the lookup is tried again.
    async fn text(&self, css: &str) -> String {
        for _ in 0..100 {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {css} on {}", self.client.current_url().await.unwrap());
    }

    /// Waits (5 s at most) until the text of `css` is `expected`: the page
    /// a click led to may not have replaced the old one yet.
    async fn expect_text(&self, css: &str, expected: &str) {
        let mut seen = String::new();
        for _ in 0..100 {
            seen = self.text(css).await;
            if seen == expected {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(seen, expected, "{css}");
    }

    async fn click(&self, locator: Locator<'_>) {
        for _ in 0..100 {
            if let Ok(element) = self.client.find(locator).await
                && element.click().await.is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "could not click {locator:?} on {}",
            self.client.current_url().await.unwrap()
        );
    }

    /// Waits until the page's URL starts with `prefix`.
    async fn wait_url(&self, prefix: &str) {
        for _ in 0..200 {
            if self
                .client
                .current_url()
                .await
                .unwrap()
                .as_str()
                .starts_with(prefix)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "never reached {prefix}: at {}",
            self.client.current_url().await.unwrap()
        );
    }

    /// From the portal's home: the chooser, the IdP's page, credentials, `answer`.
    async fn log_in(&mut self, portal: &str, answer: &str) {
        self.log_in_with(
            portal,
            "Entra con SPID",
            "IdP di prova (abilita-mock)",
            answer,
        )
        .await;
    }

    async fn log_in_with(&mut self, portal: &str, button: &str, idp: &str, answer: &str) {
        self.client.goto(portal).await.unwrap();
        self.click(Locator::LinkText(button)).await;
        self.click(Locator::LinkText(idp)).await;
        self.client
            .wait()
            .for_element(Locator::Css("input[name=username]"))
            .await
            .unwrap()
            .send_keys("STTSGT90A01H501J")
            .await
            .unwrap();
        self.client
            .find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys("password")
            .await
            .unwrap();
        self.shot(&format!("idp-login-{answer}")).await;
        self.click(Locator::Css(&format!("button[value={answer}]")))
            .await;
        self.wait_url(portal).await;
    }
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: scripts/portal-browser.sh runs it"]
async fn a_citizen_uses_the_portal_in_a_real_browser() {
    let (_portal, urls) = portal();
    let home = urls["casa-digitale"].clone();
    let (_driver, client) = chromium().await;
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/casa-digitale");
    std::fs::create_dir_all(&shots).unwrap();
    let mut browser = Browser {
        client,
        shots,
        step: 0,
    };

    browser.client.goto(&home).await.unwrap();
    browser.shot("home").await;
    browser.log_in(&home, "consent").await;
    browser
        .expect_text("h1", "Benvenuto, Soggetto Settimo")
        .await;
    browser.shot("logged-in").await;

    // Il mio profilo: residence from ANPR, written as Italians write it.
    browser.click(Locator::LinkText("Il mio profilo")).await;
    browser
        .expect_text("#codice-fiscale", "STTSGT90A01H501J")
        .await;
    browser
        .expect_text("#residenza", "Via Amerigo Vespucci 55, 00174 Roma (RM)")
        .await;
    browser.shot("profilo").await;

    // Pagamenti: the QR on the page holds the notice number shown beside it.
    browser.click(Locator::LinkText("Pagamenti")).await;
    let notice = browser.text(".codice-avviso").await;
    let amount = browser.text(".importo").await;
    let src = browser
        .client
        .find(Locator::Css("img.qr"))
        .await
        .unwrap()
        .attr("src")
        .await
        .unwrap()
        .unwrap();
    let png = base64::engine::general_purpose::STANDARD
        .decode(src.trim_start_matches("data:image/png;base64,"))
        .unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    let luma: Vec<u8> = pixels.chunks(channels).map(|p| p[0]).collect();
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(
        info.width as usize,
        info.height as usize,
        |x, y| luma[y * info.width as usize + x],
    );
    let (_, payload) = image.detect_grids()[0].decode().unwrap();
    assert!(payload.starts_with("PAGOPA|002|"), "{payload}");
    assert!(
        payload.contains(&notice.replace(' ', "")),
        "{payload} holds {notice}"
    );
    browser.shot("pagamenti").await;

    // The notice to download names the same number and amount.
    browser.click(Locator::LinkText("Scarica l'avviso")).await;
    browser.expect_text("#codice-avviso", &notice).await;
    browser.expect_text("#importo", &amount).await;
    browser.shot("avviso").await;
    browser.client.back().await.unwrap();

    // Pay the first notice (the school-canteen fee): paid, its receipt listed.
    browser
        .click(Locator::Css("form[action='/pagamenti/paga'] button"))
        .await;
    browser.wait_url(&format!("{home}pagamenti")).await;
    browser.expect_text(".stato", "Pagato").await;
    assert!(
        browser.text("#ricevute").await.starts_with("IUV "),
        "a receipt is listed"
    );
    browser.shot("pagato").await;

    // Messaggi: what the municipality sent to IO.
    browser.click(Locator::LinkText("Messaggi")).await;
    assert!(
        browser
            .text("#messaggi")
            .await
            .contains("TARI 2026: avviso di pagamento")
    );
    assert!(
        browser
            .text("#raggiungibile")
            .await
            .starts_with("Puoi ricevere")
    );
    browser.shot("messaggi").await;

    // Logout through Single Logout, then the session is gone.
    browser.click(Locator::Css("a.esci")).await;
    browser.wait_url(&format!("{home}spid/slo")).await;
    browser.expect_text("h1", "Sei uscito").await;
    browser.shot("uscito").await;
    browser
        .client
        .goto(&format!("{home}profilo"))
        .await
        .unwrap();
    browser.wait_url(&format!("{home}accedi")).await;

    // Consent denied at the IdP: AgID's message.
    browser.log_in(&home, "nr22").await;
    browser
        .expect_text(
            "#messaggio-errore",
            "È necessario dare il consenso all'invio dei dati richiesti.",
        )
        .await;
    browser.shot("consenso-negato").await;

    // ANPR down: a polite box on the profile, payments still work.
    let faults = reqwest::Client::new()
        .post(format!("{}/__control/anpr/faults", urls["anpr"]))
        .json(&serde_json::json!({ "server_error_share": 1.0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 204);
    browser.log_in(&home, "consent").await;
    browser
        .client
        .goto(&format!("{home}profilo"))
        .await
        .unwrap();
    browser
        .expect_text(".avviso h2", "Anagrafe momentaneamente non raggiungibile")
        .await;
    browser.shot("anpr-non-raggiungibile").await;
    browser.click(Locator::LinkText("Pagamenti")).await;
    browser.expect_text(".stato", "Pagato").await;

    // Out, and in again with CIE.
    browser.click(Locator::Css("a.esci")).await;
    browser.wait_url(&format!("{home}spid/slo")).await;
    browser
        .log_in_with(
            &home,
            "Entra con CIE",
            "CIE di prova (abilita-mock)",
            "consent",
        )
        .await;
    browser
        .expect_text("h1", "Benvenuto, Soggetto Settimo")
        .await;
    browser.shot("cie").await;
    browser.client.close().await.unwrap();
}
