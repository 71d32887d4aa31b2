//! The `abilita-mock` program, as a pipeline in another language uses it:
//! every simulator on free ports, the control endpoints, the env file, and
//! a prompt exit on SIGTERM.

use serde_json::{Value, json};

use crate::driver::{Consultation, Program};

#[tokio::test]
async fn the_program_serves_every_simulator_and_its_control_api_then_stops_on_sigterm() {
    let tag = std::process::id();
    let citizens = std::env::temp_dir().join(format!("abilita-mock-citizens-{tag}.json"));
    std::fs::write(
        &citizens,
        r#"[{"fiscal_code": "STTSGT90A01H501J", "state": "allowed"}]"#,
    )
    .unwrap();
    let env_file = std::env::temp_dir().join(format!("abilita-mock-env-{tag}"));
    let sp = abilita_spid::testing::fixture_sp::sp();
    let sp_metadata = std::env::temp_dir().join(format!("abilita-mock-sp-{tag}.xml"));
    std::fs::write(&sp_metadata, sp.metadata().unwrap()).unwrap();
    let program = Program::start(&[
        "--spid-sp-metadata",
        sp_metadata.to_str().unwrap(),
        "--key",
        "pipeline-key",
        "--io-citizens",
        citizens.to_str().unwrap(),
        "--env-file",
        env_file.to_str().unwrap(),
    ]);
    let urls = program.urls.clone();
    let http = reqwest::Client::new();
    for name in ["gpd", "io", "anpr", "spid-idp", "cie-idp"] {
        let health: Value = http
            .get(format!("{}/health", program.base(name)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["status"], "UP", "{name}");
    }

    let profile: Value = http
        .post(format!("{}/profiles", urls["io"]))
        .header("Ocp-Apim-Subscription-Key", "pipeline-key")
        .json(&json!({"fiscal_code": "STTSGT90A01H501J"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["sender_allowed"], true);
    let list = http
        .get(format!(
            "{}/v1/organizations/77777777777/debtpositions",
            urls["gpd"]
        ))
        .header("Ocp-Apim-Subscription-Key", "pipeline-key")
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let refused = http
        .post(&urls["pdnd-token"])
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "PDND's masked refusal");

    // The test IdPs publish signed metadata; CIE's entity id has CIE's shape.
    for name in ["spid-idp", "cie-idp"] {
        let metadata = http
            .get(&urls[name])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metadata.contains("WantAuthnRequestsSigned=\"true\""),
            "{metadata}"
        );
        assert!(metadata.contains("<ds:SignatureValue>"), "{metadata}");
    }
    let cie = http
        .get(&urls["cie-idp"])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(cie.contains("/idp/profile/SAML2/POST/SSO\""), "{cie}");

    // The SP named on the command line is trusted: its request gets the login page.
    let idp = program.base("spid-idp");
    let start = sp.start_login(
        abilita_spid::IdpTarget {
            entity_id: &idp,
            sso_url: &format!("{idp}/sso"),
        },
        &abilita_spid::AuthnOptions {
            level: abilita_spid::SpidLevel::L2,
            comparison: abilita_spid::Comparison::Minimum,
            attribute_set: 0,
        },
        Default::default(),
        time::OffsetDateTime::now_utc(),
    );
    let page = http.get(&start.redirect_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("SpidL2"));
    let _ = std::fs::remove_file(&sp_metadata);

    // The control endpoints the README gives pipelines, on every port.
    let anpr = program.base("anpr");
    let registration = http
        .post(format!("{anpr}/__control/anpr/clients"))
        .json(&json!({ "client_id": "9b2c7a4e-1f3d-4c8b-a6e5-2d1f0c9b8a76" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        registration.status(),
        400,
        "reaches the handler, which wants a kid and a key"
    );
    assert!(
        registration
            .text()
            .await
            .unwrap()
            .contains("public_key_pem")
    );
    for (name, simulator) in [
        ("gpd", "gpd"),
        ("io", "io"),
        ("anpr", "anpr"),
        ("spid-idp", "spid"),
    ] {
        let reset = http
            .post(format!(
                "{}/__control/{simulator}/reset",
                program.base(name)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status(), 204, "{simulator}");
    }
    // A consultation by the client registered at start.
    let consultation = Consultation::new(&anpr, "PRVGNN90R10H501Q", 7);
    let token = consultation.token_request(&http).send().await.unwrap();
    assert_eq!(token.status(), 200);
    let voucher = token.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer: Value = consultation
        .call(&http, &voucher)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["listaSoggetti"]["datiSoggetto"][0]["identificativi"]["idANPR"],
        "UK79569LF"
    );

    // The settings that point every client at the program, before `ready`.
    let settings: std::collections::HashMap<String, String> = std::fs::read_to_string(&env_file)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, value) = line.split_once('=').unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect();
    assert_eq!(settings["ABILITA_GPD_URL"], urls["gpd"]);
    assert_eq!(settings["ABILITA_IO_URL"], urls["io"]);
    assert_eq!(settings["ABILITA_PDND_TOKEN_URL"], urls["pdnd-token"]);
    assert_eq!(settings["ABILITA_ANPR_URL"], urls["anpr"]);
    assert_eq!(settings["ABILITA_GPD_API_KEY"], "pipeline-key");
    let key = std::fs::read_to_string(&settings["ABILITA_PDND_PRIVATE_KEY_FILE"]).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
    assert!(settings.contains_key("ABILITA_ANPR_PURPOSE_C030"));
    let _ = std::fs::remove_file(&settings["ABILITA_PDND_PRIVATE_KEY_FILE"]);
    let _ = std::fs::remove_file(&env_file);
    let _ = std::fs::remove_file(&citizens);

    let (took, clean) = program.terminate();
    assert!(clean, "exit status 0 on SIGTERM");
    assert!(
        took < std::time::Duration::from_secs(1),
        "SIGTERM took {took:?}"
    );
}

#[tokio::test]
async fn the_programs_fdr_reports_a_day_of_gpd_payments() {
    let program = Program::start(&[]);
    let (gpd, fdr) = (&program.urls["gpd"], &program.urls["fdr"]);
    let http = reqwest::Client::new();
    let key = abilita_mock::server::DEFAULT_KEY;
    let position = json!({
        "iupd": "77777777777-fdr-1", "type": "F", "fiscalCode": "STTSGT90A01H501J",
        "fullName": "Soggetto Settimo", "companyName": "Comune di Prova", "switchToExpired": false,
        "paymentOption": [{
            "iuv": "01000000000000101", "amount": 12000, "description": "TARI",
            "isPartialPayment": false, "dueDate": "2099-12-31T23:59:59",
            "transfer": [
                {"idTransfer": "1", "amount": 9000, "remittanceInformation": "TARI",
                 "category": "9/0101100IM/", "iban": "IT60X0542811101000000123456"},
                {"idTransfer": "2", "amount": 3000, "remittanceInformation": "TEFA",
                 "category": "9/0101100IM/", "iban": "IT60X0542811101000000123456"}
            ]
        }]
    });
    let created = http
        .post(format!(
            "{gpd}/v1/organizations/77777777777/debtpositions?toPublish=true"
        ))
        .header("Ocp-Apim-Subscription-Key", key)
        .json(&position)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let control = program.base("gpd");
    let paid = http
        .post(format!(
            "{control}/__control/gpd/organizations/77777777777/paymentoptions/301000000000000101/pay"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);

    let today = time::OffsetDateTime::now_utc().date().to_string();
    let reported = http
        .post(format!(
            "{}/__control/fdr/organizations/77777777777/flows/from-gpd",
            program.base("fdr")
        ))
        .json(&json!({"pspId": "88888888888", "fdr": "flow-1", "day": today}))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 201);

    let flows: Value = http
        .get(format!("{fdr}/organizations/77777777777/fdrs"))
        .header("Ocp-Apim-Subscription-Key", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(flows["data"][0]["fdr"], "flow-1", "{flows}");
    let payments: Value = http
        .get(format!(
            "{fdr}/organizations/77777777777/fdrs/flow-1/revisions/1/psps/88888888888/payments"
        ))
        .header("Ocp-Apim-Subscription-Key", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let amounts: Vec<f64> = payments["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pay"].as_f64().unwrap())
        .collect();
    assert_eq!(amounts, vec![90.0, 30.0], "{payments}");
}
