//! The `abilita-mock` program, as a pipeline in another language uses it.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Stops the program however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_program_prints_its_urls_and_serves_health_gpd_and_io() {
    let citizens =
        std::env::temp_dir().join(format!("abilita-mock-citizens-{}.json", std::process::id()));
    std::fs::write(
        &citizens,
        r#"[{"fiscal_code": "STTSGT90A01H501J", "state": "allowed"}]"#,
    )
    .unwrap();
    let env_file = std::env::temp_dir().join(format!("abilita-mock-env-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_abilita-mock"))
        .args([
            "--gpd-port",
            "0",
            "--io-port",
            "0",
            "--anpr-port",
            "0",
            "--key",
            "pipeline-key",
            "--io-citizens",
        ])
        .arg(&citizens)
        .arg("--env-file")
        .arg(&env_file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _program = KillOnDrop(child);
    let mut urls = std::collections::HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line == "ready" {
            break;
        }
        let (name, url) = line.split_once(' ').unwrap();
        urls.insert(name.to_owned(), url.to_owned());
    }
    let http = reqwest::Client::new();
    let result = async {
        for name in ["gpd", "io"] {
            let base = urls[name]
                .split("/gpd/")
                .next()
                .unwrap()
                .split("/api/")
                .next()
                .unwrap()
                .to_owned();
            let health: Value = http
                .get(format!("{base}/health"))
                .send()
                .await?
                .json()
                .await?;
            assert_eq!(health["status"], "UP", "{name}");
        }
        let profile: Value = http
            .post(format!("{}/profiles", urls["io"]))
            .header("Ocp-Apim-Subscription-Key", "pipeline-key")
            .json(&serde_json::json!({"fiscal_code": "STTSGT90A01H501J"}))
            .send()
            .await?
            .json()
            .await?;
        assert_eq!(profile["sender_allowed"], true);
        let list = http
            .get(format!(
                "{}/v1/organizations/77777777777/debtpositions",
                urls["gpd"]
            ))
            .header("Ocp-Apim-Subscription-Key", "pipeline-key")
            .send()
            .await?;
        assert_eq!(list.status(), 200);
        let refused = http
            .post(&urls["pdnd-token"])
            .body("grant_type=client_credentials")
            .send()
            .await?;
        assert_eq!(refused.status(), 400, "PDND's masked refusal");
        Ok::<_, reqwest::Error>(())
    }
    .await;
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
    assert_eq!(settings["ABILITA_GPD_API_KEY"], "pipeline-key");
    let key = std::fs::read_to_string(&settings["ABILITA_PDND_PRIVATE_KEY_FILE"]).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
    assert!(settings.contains_key("ABILITA_ANPR_PURPOSE_C030"));
    let _ = std::fs::remove_file(&settings["ABILITA_PDND_PRIVATE_KEY_FILE"]);
    let _ = std::fs::remove_file(&env_file);
    let _ = std::fs::remove_file(&citizens);
    result.unwrap();
}
