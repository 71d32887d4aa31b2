//! The example SP (`spid-sp`) logs a citizen in and out through the SPID
//! test IdP, over plain HTTP as a pipeline would drive it: no browser, no
//! HTML parsing beyond the login page's hidden fields.

use std::process::{Child, Command};
use std::time::Duration;

use abilita_mock::Simulators;

pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn form(fields: &[(&str, &str)]) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        form.append_pair(name, value);
    }
    form.finish()
}

/// `name=value` of a `Set-Cookie` header.
pub(crate) fn cookie(response: &reqwest::Response) -> String {
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// A hidden field of a page (values are HTML-escaped).
pub(crate) fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} in {page}"))
        + marker.len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end]
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// At the test IdP's login page (`to_idp`, where the SP sent the
/// browser): `user` logs in and consents. The page, and the IdP's answer
/// as JSON (`url`, `SAMLResponse`, `RelayState`) instead of the auto-post
/// page.
pub(crate) async fn consent_at_idp(
    http: &reqwest::Client,
    to_idp: &str,
    user: &str,
) -> (String, serde_json::Value) {
    let page = http.get(to_idp).send().await.unwrap().text().await.unwrap();
    // The login page posts to the SSO service's `/login`.
    let posted = http
        .post(format!("{}/login", to_idp.split('?').next().unwrap()))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(form(&[
            ("binding", &hidden(&page, "binding")),
            ("query", &hidden(&page, "query")),
            ("username", user),
            ("password", abilita_mock::spid::DEFAULT_PASSWORD),
            ("answer", "consent"),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (page, posted)
}

#[tokio::test]
async fn the_example_sp_logs_a_citizen_in_and_out_through_the_test_idp_over_http() {
    let simulators = Simulators::start().await.unwrap();
    let idp = &simulators.spid.simulator;
    let idp_base = simulators.spid.server.uri();
    let metadata = std::env::temp_dir().join(format!("abilita-idp-{}.xml", std::process::id()));
    std::fs::write(&metadata, idp.metadata().unwrap()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sp_base = format!("http://127.0.0.1:{port}");
    let _sp = Killed(
        Command::new(env!("CARGO_BIN_EXE_spid-sp"))
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--level",
                "2",
                "--idp-metadata",
            ])
            .arg(&metadata)
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut sp_metadata = None;
    for _ in 0..100 {
        if let Ok(answer) = http.get(format!("{sp_base}/metadata")).send().await {
            sp_metadata = Some(answer.text().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = std::fs::remove_file(&metadata);
    // The pipeline registers the SP with the IdP over the control API.
    let registered = http
        .post(format!("{idp_base}/__control/spid/sps"))
        .body(sp_metadata.expect("the example SP starts"))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    // 1. The SP sends the browser to the IdP, with its login cookie.
    let entity_id = idp.entity_id();
    let start = http
        .get(format!("{sp_base}/login?{}", form(&[("idp", &entity_id)])))
        .send()
        .await
        .unwrap();
    assert!(start.status().is_redirection(), "{}", start.status());
    let login_cookie = cookie(&start);
    let to_idp = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        to_idp.starts_with(&format!("{idp_base}/sso?SAMLRequest=")),
        "{to_idp}"
    );

    // 2–3. The IdP's login page carries the request in hidden fields; the
    // citizen logs in and consents (JSON instead of the auto-post page).
    let (page, posted) = consent_at_idp(&http, &to_idp, "STTSGT90A01H501J").await;
    assert!(page.contains("SpidL2"), "{page}");
    assert_eq!(
        hidden(&page, "query"),
        to_idp.split_once('?').unwrap().1,
        "the query as sent"
    );
    assert_eq!(posted["url"], format!("{sp_base}/acs"));

    // 4. The browser posts the Response to the SP's ACS.
    let welcome = http
        .post(posted["url"].as_str().unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("cookie", &login_cookie)
        .body(form(&[
            ("SAMLResponse", posted["SAMLResponse"].as_str().unwrap()),
            ("RelayState", posted["RelayState"].as_str().unwrap()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(welcome.status(), 200);
    let session = cookie(&welcome);
    let identity: serde_json::Value = welcome.json().await.unwrap();
    assert_eq!(identity["fiscal_number"], "STTSGT90A01H501J");
    assert_eq!(identity["level"], "L2");
    assert_eq!(identity["idp"], entity_id);

    // 5. Logout: SP → IdP (Redirect) → SP (the IdP's auto-posted LogoutResponse).
    let logout = http
        .get(format!("{sp_base}/logout"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_redirection(), "{}", logout.status());
    let logout_cookie = cookie(&logout);
    let to_idp = logout.headers()["location"].to_str().unwrap().to_owned();
    let page = http
        .get(&to_idp)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let done = http
        .post(format!("{sp_base}/slo"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &logout_cookie)
        .body(form(&[
            ("SAMLResponse", &hidden(&page, "SAMLResponse")),
            ("RelayState", &hidden(&page, "RelayState")),
        ]))
        .send()
        .await
        .unwrap();
    assert!(
        done.status().is_success() || done.status().is_redirection(),
        "{}: {}",
        done.status(),
        done.text().await.unwrap()
    );
}
