//! The SPID test IdP, as an app's integration test uses it: an abilita-spid
//! SP logs a citizen in through it, without HTML; the IdP refuses what a
//! SPID IdP refuses; Single Logout both ways.

use std::sync::Arc;
use std::time::Duration;

use abilita_core::SystemClock;
use abilita_mock::server::start_spid_idp;
use abilita_mock::spid::{AcsPost, Anomaly, Answer, IdpError, Outgoing, Profile, SpidIdp};
use abilita_spid::dsig::TrustedKey;
use abilita_spid::registry::IdpRegistry;
use abilita_spid::state::MemoryReplayCache;
use abilita_spid::{AcsForm, AuthnOptions, IdpTarget, LoginError, ServiceProvider, SpidLevel};
use time::OffsetDateTime;

struct App {
    idp: abilita_mock::server::Running<SpidIdp>,
    sp: ServiceProvider,
    registry: IdpRegistry,
    replay: MemoryReplayCache,
}

async fn app(profile: Profile) -> App {
    let idp = start_spid_idp(
        "127.0.0.1:0".parse().unwrap(),
        SpidIdp::generate(profile, Arc::new(SystemClock)).unwrap(),
    )
    .await
    .unwrap();
    // An SP that takes SpidL1 too, for the Single Logout test's session.
    let sp = abilita_spid::testing::fixture_sp::sp_at(SpidLevel::L1);
    idp.simulator
        .trust_sp_metadata(&sp.metadata().unwrap())
        .unwrap();
    let mut registry = IdpRegistry::new();
    let anchor = TrustedKey::from_certificate_pem(idp.simulator.certificate_pem()).unwrap();
    registry
        .add_signed_idp(
            &idp.simulator.metadata().unwrap(),
            &[anchor],
            OffsetDateTime::now_utc(),
        )
        .unwrap();
    App {
        idp,
        sp,
        registry,
        replay: MemoryReplayCache::default(),
    }
}

impl App {
    fn start(&self, level: SpidLevel) -> abilita_spid::LoginStart {
        let (entity_id, sso_url) = (self.idp.simulator.entity_id(), self.idp.simulator.sso_url());
        let options = AuthnOptions {
            level,
            comparison: abilita_spid::Comparison::Minimum,
            attribute_set: 0,
        };
        self.sp.start_login(
            IdpTarget {
                entity_id: &entity_id,
                sso_url: &sso_url,
            },
            &options,
            Default::default(),
            OffsetDateTime::now_utc(),
        )
    }

    async fn finish(
        &self,
        start: &abilita_spid::LoginStart,
        post: &AcsPost,
    ) -> Result<abilita_spid::Login, LoginError> {
        let relay_state = post.relay_state.clone().unwrap_or_default();
        self.finish_posted(
            start,
            (post.url.clone(), post.saml_response.clone(), relay_state),
        )
        .await
    }

    /// A login at `level` as `user`, through the Rust API: what the SP sent
    /// the browser off with, and what the IdP posts back.
    fn sent(&self, level: SpidLevel, user: &str) -> (abilita_spid::LoginStart, AcsPost) {
        let start = self.start(level);
        let post = self
            .idp
            .simulator
            .login(Outgoing::Redirect(&start.redirect_url), user)
            .unwrap();
        (start, post)
    }

    /// A whole login at `level` as `user`: the SP's verdict.
    async fn log_in(
        &self,
        level: SpidLevel,
        user: &str,
    ) -> Result<abilita_spid::Login, LoginError> {
        let (start, post) = self.sent(level, user);
        self.finish(&start, &post).await
    }

    /// The ACS given what the browser posts: URL, `SAMLResponse`, `RelayState`.
    async fn finish_posted(
        &self,
        start: &abilita_spid::LoginStart,
        (url, saml_response, relay_state): (String, String, String),
    ) -> Result<abilita_spid::Login, LoginError> {
        assert_eq!(url, "http://127.0.0.1:8000/acs");
        let form = AcsForm {
            saml_response: &saml_response,
            relay_state: &relay_state,
            login_cookie: Some(start.cookie.value()),
        };
        let keys = |entity: &str| self.registry.keys_of(entity);
        self.sp
            .finish_login(
                form,
                &self.replay,
                &keys,
                OffsetDateTime::now_utc(),
                Duration::from_secs(5),
            )
            .await
    }
}

#[tokio::test]
async fn an_app_logs_a_citizen_in_through_the_test_idp_in_a_few_lines() {
    let app = app(Profile::Spid).await;
    let login = app.log_in(SpidLevel::L2, "STTSGT90A01H501J").await.unwrap();
    let identity = &login.identity;
    assert_eq!(identity.level, SpidLevel::L2);
    assert_eq!(identity.idp, app.idp.simulator.entity_id());
    assert_eq!(
        identity.attributes.codice_fiscale().unwrap().as_str(),
        "STTSGT90A01H501J"
    );
    assert_eq!(identity.attributes.get("familyName"), Some("Settimo"));
    assert_eq!(
        identity.attributes.get("email"),
        Some("soggetto.settimo@example.it")
    );
    assert_eq!(identity.session_index, None, "no SessionIndex at SpidL2");
}

#[tokio::test]
async fn the_cie_profile_sends_only_cie_attributes() {
    let app = app(Profile::Cie).await;
    let login = app.log_in(SpidLevel::L2, "NRECLD90R50H501G").await.unwrap();
    assert!(
        app.idp
            .simulator
            .entity_id()
            .ends_with("/idp/profile/SAML2/POST/SSO")
    );
    assert_eq!(login.identity.attributes.get("name"), Some("Claudia"));
    assert_eq!(
        login.identity.attributes.get("email"),
        None,
        "CIE sends no email"
    );
}

#[tokio::test]
async fn anomalies_expired_responses_and_the_wrong_audience_reach_the_apps_refusal_paths() {
    let app = app(Profile::Spid).await;
    let user = "STTSGT90A01H501J";
    let start = app.start(SpidLevel::L2);
    let denied = app
        .idp
        .simulator
        .answer(
            Outgoing::Redirect(&start.redirect_url),
            user,
            Answer::Anomaly(Anomaly::ConsentDenied),
        )
        .unwrap();
    match app.finish(&start, &denied).await {
        Err(LoginError::Response(abilita_spid::ResponseError::Anomaly(anomaly))) => {
            assert_eq!(anomaly, abilita_spid::UserAnomaly::ConsentDenied);
        }
        other => panic!("{other:?}"),
    }
    for answer in [Answer::Expired, Answer::WrongAudience] {
        let start = app.start(SpidLevel::L2);
        let post = app
            .idp
            .simulator
            .answer(Outgoing::Redirect(&start.redirect_url), user, answer)
            .unwrap();
        let refused = app.finish(&start, &post).await;
        assert!(
            matches!(refused, Err(LoginError::Response(_))),
            "{answer:?}: {refused:?}"
        );
    }
    let start = app.start(SpidLevel::L2);
    assert_eq!(
        app.idp
            .simulator
            .login(Outgoing::Redirect(&start.redirect_url), "nobody"),
        Err(IdpError::BadCredentials)
    );
}

#[tokio::test]
async fn requests_an_idp_must_refuse_are_refused() {
    let app = app(Profile::Spid).await;
    let metadata = app.sp.metadata().unwrap();
    let start = app.start(SpidLevel::L2);

    // Signed by a key that is not in the SP's metadata: the IdP's page.
    let other_key = metadata.replace(
        &first_certificate(&metadata),
        &app.idp
            .simulator
            .certificate_pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>(),
    );
    app.idp.simulator.trust_sp_metadata(&other_key).unwrap();
    match app
        .idp
        .simulator
        .login(Outgoing::Redirect(&start.redirect_url), "STTSGT90A01H501J")
    {
        Err(IdpError::Refused(refusal)) => assert_eq!(refusal.code(), "nr05", "{refusal:?}"),
        other => panic!("{other:?}"),
    }

    // An ACS index the metadata does not have: a SAML error to the SP.
    let no_index_0 = metadata.replace(
        "index=\"0\" isDefault=\"true\"",
        "index=\"7\" isDefault=\"true\"",
    );
    assert_ne!(no_index_0, metadata, "the fixture SP's ACS has index 0");
    app.idp.simulator.trust_sp_metadata(&no_index_0).unwrap();
    let post = app
        .idp
        .simulator
        .login(Outgoing::Redirect(&start.redirect_url), "STTSGT90A01H501J")
        .unwrap();
    let refused = app.finish(&start, &post).await;
    assert!(format!("{refused:?}").contains("nr16"), "{refused:?}");

    // An SP the IdP does not know.
    let stranger = SpidIdp::generate(Profile::Spid, Arc::new(SystemClock)).unwrap();
    match stranger.login(Outgoing::Redirect(&start.redirect_url), "STTSGT90A01H501J") {
        Err(IdpError::Refused(refusal)) => assert_eq!(refusal.code(), "nr10"),
        other => panic!("{other:?}"),
    }
}

fn first_certificate(metadata: &str) -> String {
    let start = metadata.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
    let end = metadata[start..].find("</ds:X509Certificate>").unwrap() + start;
    metadata[start..end].to_owned()
}

#[tokio::test]
async fn single_logout_works_both_ways() {
    let app = app(Profile::Spid).await;
    let identity = app
        .log_in(SpidLevel::L1, "STTSGT90A01H501J")
        .await
        .unwrap()
        .identity;
    assert!(
        identity.session_index.is_some(),
        "SpidL1 opens an IdP session"
    );

    // SP-initiated, over HTTP: the IdP answers with an auto-post LogoutResponse.
    let logout = app.sp.start_logout(
        &app.idp.simulator.slo_url(),
        &identity,
        OffsetDateTime::now_utc(),
    );
    let page = reqwest::get(&logout.redirect_url).await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let response = hidden_field(&page, "SAMLResponse");
    let relay_state = hidden_field(&page, "RelayState");
    let keys = |entity: &str| app.registry.keys_of(entity);
    let status = app
        .sp
        .finish_logout(
            abilita_spid::LogoutReply::Post {
                saml_response: &response,
            },
            Some(&relay_state),
            Some(logout.cookie.value()),
            &app.replay,
            &keys,
            OffsetDateTime::now_utc(),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(status, abilita_spid::LogoutStatus::Success);

    // IdP-initiated: a signed LogoutRequest the SP accepts.
    let identity = app
        .log_in(SpidLevel::L1, "STTSGT90A01H501J")
        .await
        .unwrap()
        .identity;
    let requests = app.idp.simulator.start_logout("STTSGT90A01H501J").unwrap();
    assert_eq!(requests.len(), 1);
    let request = app
        .sp
        .validate_logout_request_post(
            &requests[0].saml_request,
            &|e: &str| app.registry.keys_of(e),
            OffsetDateTime::now_utc(),
            Duration::from_secs(5),
        )
        .unwrap();
    assert_eq!(request.name_id, identity.name_id);
    assert!(
        app.idp.simulator.start_logout("STTSGT90A01H501J").is_err(),
        "the session is closed"
    );
}

/// The value of a hidden form field in an HTML page.
fn hidden_field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} in {page}"))
        + marker.len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x2F;", "/")
}

/// Runs xmlsec1 on `xml` with the IdP's certificate: `--verify` of the
/// signature `xpath` selects, the IDs of `id_attribute` elements declared.
fn xmlsec1_verifies(xml: &str, certificate_pem: &str, id_attribute: &str, xpath: &str) -> bool {
    xmlsec1_verifies_ids(xml, certificate_pem, &[id_attribute], xpath)
}

fn xmlsec1_verifies_ids(
    xml: &str,
    certificate_pem: &str,
    id_attributes: &[&str],
    xpath: &str,
) -> bool {
    let dir = std::env::temp_dir().join(format!("abilita-idp-xmlsec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (file, cert) = (
        dir.join(format!("{:x}.xml", fastrand::u64(..))),
        dir.join("idp.pem"),
    );
    std::fs::write(&file, xml).unwrap();
    std::fs::write(&cert, certificate_pem).unwrap();
    let output = std::process::Command::new("xmlsec1")
        .args(["--verify", "--pubkey-cert-pem"])
        .arg(&cert)
        .args(id_attributes.iter().flat_map(|id| ["--id-attr:ID", id]))
        .args(["--node-xpath", xpath])
        .arg(&file)
        .output()
        .expect("xmlsec1 is installed");
    std::fs::remove_file(&file).ok();
    output.status.success()
}

fn decoded(base64_text: &str) -> String {
    use base64::Engine as _;
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(base64_text)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
#[ignore = "needs xmlsec1: scripts/spid-conformance.sh runs it"]
async fn xmlsec1_verifies_every_message_the_idp_signs() {
    let app = app(Profile::Spid).await;
    let idp = &app.idp.simulator;
    let cert = idp.certificate_pem();
    const RESPONSE: &str = "urn:oasis:names:tc:SAML:2.0:protocol:Response";
    const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion";
    let signature_of =
        |element: &str| format!("//*[local-name()='{element}']/*[local-name()='Signature']");

    let metadata = idp.metadata().unwrap();
    let entity = "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor";
    assert!(xmlsec1_verifies(
        &metadata,
        cert,
        entity,
        &signature_of("EntityDescriptor")
    ));
    let tampered = metadata.replacen("abilita-mock test IdP", "another IdP", 1);
    assert!(
        !xmlsec1_verifies(&tampered, cert, entity, &signature_of("EntityDescriptor")),
        "a tampered copy fails"
    );

    for level in [SpidLevel::L1, SpidLevel::L2, SpidLevel::L3] {
        let (_, post) = app.sent(level, "STTSGT90A01H501J");
        let response = decoded(&post.saml_response);
        assert!(
            xmlsec1_verifies(&response, cert, RESPONSE, &signature_of("Response")),
            "{level:?}: {response}"
        );
        assert!(
            xmlsec1_verifies_ids(
                &response,
                cert,
                &[ASSERTION, RESPONSE],
                &signature_of("Assertion")
            ),
            "{level:?}: {response}"
        );
        let tampered = response.replacen("Settimo", "Ottavo", 1);
        assert!(
            !xmlsec1_verifies(&tampered, cert, ASSERTION, &signature_of("Assertion")),
            "a tampered assertion fails"
        );
        // Each signature is checked on its own: the Response's covers its
        // Destination, the Assertion's does not.
        let moved = response.replacen(
            "Destination=\"http://127.0.0.1:8000/acs\"",
            "Destination=\"http://127.0.0.1:8001/acs\"",
            1,
        );
        assert_ne!(moved, response);
        assert!(!xmlsec1_verifies(
            &moved,
            cert,
            RESPONSE,
            &signature_of("Response")
        ));
        assert!(xmlsec1_verifies_ids(
            &moved,
            cert,
            &[ASSERTION, RESPONSE],
            &signature_of("Assertion")
        ));
    }
    let start = app.start(SpidLevel::L2);
    let denied = idp
        .answer(
            Outgoing::Redirect(&start.redirect_url),
            "STTSGT90A01H501J",
            Answer::Anomaly(Anomaly::Cancelled),
        )
        .unwrap();
    assert!(xmlsec1_verifies(
        &decoded(&denied.saml_response),
        cert,
        RESPONSE,
        &signature_of("Response")
    ));

    app.log_in(SpidLevel::L1, "STTSGT90A01H501J").await.unwrap();
    let logout = idp.start_logout("STTSGT90A01H501J").unwrap();
    let request = decoded(&logout[0].saml_request);
    assert!(xmlsec1_verifies(
        &request,
        cert,
        "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
        &signature_of("LogoutRequest")
    ));
}

/// The SAML schema at `file` of abilita-spid's copies (`spid/tests/data/xsd`).
fn schema(file: &str) -> uppsala::XsdValidator {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spid/tests/data/xsd");
    let text = std::fs::read_to_string(folder.join(file))
        .unwrap()
        .replace("\"http://www.w3.org/2001/xml.xsd\"", "\"xml.xsd\"");
    let parsed = uppsala::parse(&text).unwrap();
    uppsala::XsdValidator::from_schema_with_base_path(&parsed, Some(&folder)).unwrap()
}

fn schema_errors(validator: &uppsala::XsdValidator, xml: &str) -> Vec<String> {
    let document = uppsala::parse(xml).unwrap();
    validator
        .validate(&document)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Every kind of message the IdP writes, from real exchanges: Responses
/// (L1, L2, an anomaly) and the logout messages (its LogoutResponse to an
/// SP's request, its own LogoutRequest).
async fn idp_messages(app: &App) -> (Vec<String>, Vec<String>) {
    let idp = &app.idp.simulator;
    let user = "STTSGT90A01H501J";
    let mut responses = Vec::new();
    for level in [SpidLevel::L1, SpidLevel::L2] {
        let (_, post) = app.sent(level, user);
        responses.push(decoded(&post.saml_response));
    }
    let start = app.start(SpidLevel::L2);
    let timeout = Answer::Anomaly(Anomaly::Timeout);
    let denied = idp
        .answer(Outgoing::Redirect(&start.redirect_url), user, timeout)
        .unwrap();
    responses.push(decoded(&denied.saml_response));

    let identity = app.log_in(SpidLevel::L1, user).await.unwrap().identity;
    let logout = app
        .sp
        .start_logout(&idp.slo_url(), &identity, OffsetDateTime::now_utc());
    let page = reqwest::get(&logout.redirect_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut logouts = vec![decoded(&hidden_field(&page, "SAMLResponse"))];
    app.log_in(SpidLevel::L1, user).await.unwrap();
    logouts.push(decoded(&idp.start_logout(user).unwrap()[0].saml_request));
    (responses, logouts)
}

/// The Assertion of a Response as a document of its own.
fn assertion_of(response: &str) -> Option<String> {
    let start = response.find("<saml:Assertion ")?;
    let end = response.find("</saml:Assertion>")? + "</saml:Assertion>".len();
    Some(response.get(start..end)?.replacen(
        "<saml:Assertion ",
        "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ",
        1,
    ))
}

/// uppsala's validator refuses any `samlp:Response`, spid-sp-test's valid
/// ones included (it mishandles `ResponseType`'s derived choice), so here
/// the Assertions are checked against the assertion schema and the logout
/// messages against the protocol schema; xmllint checks the whole
/// Responses in the test below.
#[tokio::test]
async fn assertions_and_logout_messages_are_valid_against_the_saml_schemas() {
    let app = app(Profile::Spid).await;
    let (responses, logouts) = idp_messages(&app).await;
    let (assertion, protocol) = (
        schema("saml-schema-assertion-2.0.xsd"),
        schema("saml-schema-protocol-2.0.xsd"),
    );
    let assertions: Vec<String> = responses.iter().filter_map(|r| assertion_of(r)).collect();
    assert_eq!(assertions.len(), 2, "the anomaly carries none");
    let complaints: Vec<Vec<String>> = assertions
        .iter()
        .map(|a| schema_errors(&assertion, a))
        .chain(logouts.iter().map(|l| schema_errors(&protocol, l)))
        .filter(|errors| !errors.is_empty())
        .collect();
    assert!(complaints.is_empty(), "{complaints:?}");
}

#[tokio::test]
#[ignore = "needs xmllint: scripts/spid-conformance.sh runs it"]
async fn xmllint_validates_every_message_against_the_saml_schemas() {
    let app = app(Profile::Spid).await;
    let (responses, logouts) = idp_messages(&app).await;
    let xsd = concat!(env!("CARGO_MANIFEST_DIR"), "/../spid/tests/data/xsd/");
    let protocol = format!("{xsd}saml-schema-protocol-2.0.xsd");
    let mut checks: Vec<(String, String)> = responses
        .into_iter()
        .chain(logouts)
        .map(|message| (message, protocol.clone()))
        .collect();
    for profile in [Profile::Spid, Profile::Cie] {
        let idp = SpidIdp::generate(profile, Arc::new(SystemClock)).unwrap();
        checks.push((
            idp.metadata().unwrap(),
            format!("{xsd}saml-schema-metadata-2.0.xsd"),
        ));
    }
    let dir = std::env::temp_dir().join(format!("abilita-idp-xmllint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (message, schema)) in checks.iter().enumerate() {
        let file = dir.join(format!("message-{i}.xml"));
        std::fs::write(&file, message).unwrap();
        let output = std::process::Command::new("xmllint")
            .args(["--nonet", "--noout", "--schema", schema])
            .arg(&file)
            .output()
            .expect("xmllint is installed");
        assert!(
            output.status.success(),
            "{}\n{message}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn form_body(fields: &[(&str, &str)]) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        form.append_pair(name, value);
    }
    form.finish()
}

#[tokio::test]
async fn the_login_page_works_as_html_forms_with_users_added_over_http() {
    let app = app(Profile::Spid).await;
    let base = app.idp.server.uri();
    let http = reqwest::Client::new();
    let user = serde_json::json!([{ "username": "mario", "password": "segreto",
        "attributes": { "fiscalNumber": "TINIT-RSSMRA80A01H501U", "name": "Mario", "familyName": "Rossi", "email": "mario@example.it" } }]);
    let seeded = http
        .post(format!("{base}/__control/spid/users"))
        .json(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status(), 200);

    let start = app.start(SpidLevel::L2);
    let page = http
        .get(&start.redirect_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<code>mario</code>"),
        "the page lists the test users"
    );
    assert!(page.contains("nr22"), "and the anomalies");
    assert!(
        !page.contains("<script"),
        "the login page needs no JavaScript"
    );
    let query = hidden_field(&page, "query");
    let submit = |fields: Vec<(&'static str, String)>| {
        let mut all = vec![("binding", "redirect".to_owned()), ("query", query.clone())];
        all.extend(fields);
        let body = form_body(
            &all.iter()
                .map(|(n, v)| (*n, v.as_str()))
                .collect::<Vec<_>>(),
        );
        http.post(format!("{base}/sso/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };

    let wrong = submit(vec![
        ("username", "mario".into()),
        ("password", "sbagliata".into()),
        ("answer", "consent".into()),
    ])
    .await
    .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("errati"));

    let page = submit(vec![
        ("username", "mario".into()),
        ("password", "segreto".into()),
        ("answer", "consent".into()),
    ])
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        page.contains("action=\"http://127.0.0.1:8000/acs\""),
        "{page}"
    );
    assert!(
        page.contains("<noscript><button"),
        "posts without JavaScript too"
    );
    let login = app.finish_posted(&start, posted_by(&page)).await.unwrap();
    assert_eq!(login.identity.attributes.get("familyName"), Some("Rossi"));

    // An anomaly button.
    let start = app.start(SpidLevel::L2);
    let page = http
        .get(&start.redirect_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body = form_body(&[
        ("binding", "redirect"),
        ("query", &hidden_field(&page, "query")),
        ("username", "mario"),
        ("password", "segreto"),
        ("answer", "nr25"),
    ]);
    let page = http
        .post(format!("{base}/sso/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refused = app.finish_posted(&start, posted_by(&page)).await;
    assert!(
        matches!(
            refused,
            Err(LoginError::Response(abilita_spid::ResponseError::Anomaly(
                abilita_spid::UserAnomaly::Cancelled
            )))
        ),
        "{refused:?}"
    );

    // IdP-initiated logout from the sessions page.
    let sessions = http
        .get(format!("{base}/sessions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let name_id = hidden_field(&sessions, "name_id");
    assert_eq!(name_id, login.identity.name_id);
    let page = http
        .post(format!("{base}/sessions/logout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[("name_id", &name_id)]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let request = app
        .sp
        .validate_logout_request_post(
            &hidden_field(&page, "SAMLRequest"),
            &|e: &str| app.registry.keys_of(e),
            OffsetDateTime::now_utc(),
            Duration::from_secs(5),
        )
        .unwrap();
    assert_eq!(request.name_id, name_id);
}

/// What an auto-post page posts: the URL, `SAMLResponse`, `RelayState`.
fn posted_by(page: &str) -> (String, String, String) {
    let marker = "action=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let end = page[start..].find('"').unwrap() + start;
    (
        page[start..end].to_owned(),
        hidden_field(page, "SAMLResponse"),
        hidden_field(page, "RelayState"),
    )
}

#[tokio::test]
async fn post_binding_freshness_and_destination_are_checked() {
    let app = app(Profile::Spid).await;
    let idp = &app.idp.simulator;
    let options = AuthnOptions {
        level: SpidLevel::L2,
        comparison: abilita_spid::Comparison::Minimum,
        attribute_set: 0,
    };
    let now = OffsetDateTime::now_utc();

    // HTTP-POST: an enveloped signature.
    let request = app.sp.authn_request(&idp.sso_url(), &options, now);
    let form = app.sp.post_form(&request, "post-relay").unwrap();
    let saml_request = hidden_field(&form, "SAMLRequest");
    let post = idp
        .login(
            Outgoing::Post {
                saml_request: &saml_request,
                relay_state: Some("post-relay"),
            },
            "STTSGT90A01H501J",
        )
        .unwrap();
    let response = decoded(&post.saml_response);
    assert!(
        response.contains(&format!("InResponseTo=\"{}\"", request.id())),
        "{response}"
    );
    assert!(response.contains("status:Success"), "{response}");
    assert_eq!(post.relay_state.as_deref(), Some("post-relay"));
    let tampered = {
        use base64::Engine as _;
        let xml = decoded(&saml_request).replacen("ForceAuthn=\"true\"", "ForceAuthn=\"false\"", 1);
        base64::engine::general_purpose::STANDARD.encode(xml)
    };
    match idp.login(
        Outgoing::Post {
            saml_request: &tampered,
            relay_state: None,
        },
        "STTSGT90A01H501J",
    ) {
        Err(IdpError::Refused(refusal)) => assert_eq!(refusal.code(), "nr07", "{refusal:?}"),
        other => panic!("{other:?}"),
    }

    // A Destination that is not the IdP's: a SAML error to the SP.
    let elsewhere = format!("{}/elsewhere", idp.sso_url());
    let start = app.sp.start_login(
        IdpTarget {
            entity_id: &idp.entity_id(),
            sso_url: &elsewhere,
        },
        &options,
        Default::default(),
        now,
    );
    let post = idp
        .login(Outgoing::Redirect(&start.redirect_url), "STTSGT90A01H501J")
        .unwrap();
    let response = decoded(&post.saml_response);
    assert!(
        response.contains("ErrorCode nr14") && response.contains("status:Requester"),
        "{response}"
    );

    // An IdP whose clock is ten minutes ahead finds the request stale.
    let later = abilita_core::testing::ManualClock::new(now + time::Duration::minutes(10));
    let stale = SpidIdp::generate(Profile::Spid, Arc::new(later)).unwrap();
    stale
        .trust_sp_metadata(&app.sp.metadata().unwrap())
        .unwrap();
    let request = app.sp.authn_request(&stale.sso_url(), &options, now);
    let saml_request = hidden_field(&app.sp.post_form(&request, "rs").unwrap(), "SAMLRequest");
    let post = stale
        .login(
            Outgoing::Post {
                saml_request: &saml_request,
                relay_state: None,
            },
            "STTSGT90A01H501J",
        )
        .unwrap();
    assert!(decoded(&post.saml_response).contains("ErrorCode nr13"));
}
