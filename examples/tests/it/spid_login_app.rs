//! `spid-login`: a citizen logs in through the chooser, with SPID and with
//! CIE, lands back on the page that asked for it, and logs out; with two
//! instances on Redis (ignored without `redis-server`), the login and the
//! session work whichever instance answers, and a replay is refused on
//! every one.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::spid_login::{Killed, consent_at_idp, cookie, form};

/// The portal started with `args`: its base URL, the test IdPs' entity ids
/// and the process.
fn start(args: &[&str]) -> (String, Vec<String>, Killed) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_spid-login"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut idps = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(idp) = line.strip_prefix("test IdP ") {
            idps.push(idp.to_owned());
        }
        if line == "ready" {
            break;
        }
    }
    (format!("http://127.0.0.1:{port}"), idps, Killed(child))
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A login at `idp` from the chooser's link, as the browser does it: the
/// answer of the portal's ACS, and the form posted to it (to replay).
async fn log_in(
    http: &reqwest::Client,
    base: &str,
    idp: &str,
    user: &str,
) -> (reqwest::Response, String, String) {
    let chooser = http
        .get(format!("{base}/spid/login?return=%2Farea-personale"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link = format!(
        "/spid/login?{}",
        form(&[("idp", idp), ("return", "/area-personale")])
    );
    assert!(
        chooser.contains(&link.replace('&', "&amp;")),
        "{link} in {chooser}"
    );
    let start = http.get(format!("{base}{link}")).send().await.unwrap();
    assert!(start.status().is_redirection(), "{}", start.status());
    let login_cookie = cookie(&start);
    let to_idp = start.headers()["location"].to_str().unwrap().to_owned();
    let (_, posted) = consent_at_idp(http, &to_idp, user).await;
    assert_eq!(posted["url"], format!("{base}/spid/acs"));
    let body = form(&[
        ("SAMLResponse", posted["SAMLResponse"].as_str().unwrap()),
        ("RelayState", posted["RelayState"].as_str().unwrap()),
    ]);
    let acs = http
        .post(format!("{base}/spid/acs"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &login_cookie)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    (acs, login_cookie, body)
}

#[tokio::test]
async fn a_citizen_logs_in_with_spid_and_with_cie_through_the_chooser_and_back() {
    let (base, idps, _portal) = start(&[]);
    assert_eq!(idps.len(), 2, "a SPID and a CIE test IdP");
    let http = http();

    // A stranger asking for the personal area is sent to the chooser.
    let area = http
        .get(format!("{base}/area-personale"))
        .send()
        .await
        .unwrap();
    assert_eq!(area.status(), 303);
    assert_eq!(
        area.headers()["location"],
        "/spid/login?return=%2Farea-personale"
    );

    for idp in &idps {
        let (acs, _, _) = log_in(&http, &base, idp, "STTSGT90A01H501J").await;
        assert_eq!(acs.status(), 303, "{idp}");
        assert_eq!(acs.headers()["location"], "/area-personale");
        let session = cookie(&acs);
        assert!(session.starts_with("abilita-spid-session="), "{session}");
        let area = http
            .get(format!("{base}/area-personale"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            area.contains("<span id=\"cf\">STTSGT90A01H501J</span>"),
            "{area}"
        );

        let logout = http
            .post(format!("{base}/spid/logout"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert!(logout.status().is_redirection());
        assert!(
            logout.headers()["location"]
                .to_str()
                .unwrap()
                .contains("SAMLRequest="),
            "to the IdP's logout"
        );
    }

    let cie = http
        .get(format!("{base}/spid/metadata/cie"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(cie.contains("<cie:IPACode>c_h501</cie:IPACode>"), "{cie}");
}

#[tokio::test]
#[ignore = "needs redis-server"]
async fn two_instances_on_redis_share_the_login_the_session_and_the_replay_records() {
    let redis_server = abilita_spid::testing::redis_server::RedisServer::start();
    let redis = redis_server.url();
    let (base, idps, _portal) = start(&["--instances", "2", "--redis", &redis]);
    let http = http();

    // The front alternates: the login's steps land on both instances.
    let (acs, login_cookie, posted) = log_in(&http, &base, &idps[0], "STTSGT90A01H501J").await;
    assert_eq!(acs.status(), 303);
    let session = cookie(&acs);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let page = http
            .get(format!("{base}/area-personale"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("STTSGT90A01H501J"), "{page}");
        let instance = page
            .split("istanza ")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned();
        seen.insert(instance);
    }
    assert_eq!(seen.len(), 2, "both instances served the session: {seen:?}");

    // The same Response again, to either instance: refused.
    for _ in 0..2 {
        let replay = http
            .post(format!("{base}/spid/acs"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &login_cookie)
            .body(posted.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status(), 403);
    }
}
