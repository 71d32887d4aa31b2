//! The framework-neutral endpoints: routing, the login redirect and the
//! ACS's refusals. Whole logins through them are exercised by
//! `scripts/spid-conformance.sh` (spid-sp-test posting to the example SP).

use abilita_spid::registry::IdpRegistry;
use abilita_spid::web::{Outcome, SpidEndpoints, WebRequest, WebResponse};

use crate::conformance::validate;
use crate::fixture_sp::{FIXTURES_NOW, sp};

fn endpoints() -> SpidEndpoints {
    let mut idps = IdpRegistry::new();
    idps.add_unsigned_idp_insecure(include_str!("../data/test-idp-metadata.xml"), FIXTURES_NOW)
        .unwrap();
    SpidEndpoints::new(sp(), idps)
}

async fn respond(
    endpoints: &SpidEndpoints,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> WebResponse {
    let request = WebRequest {
        method,
        path,
        query,
        body,
    };
    match endpoints.handle(request, FIXTURES_NOW).await {
        Outcome::Respond(response) => response,
        other => panic!("{method} {path}: {other:?}"),
    }
}

#[tokio::test]
async fn metadata_login_and_refusals_have_their_status_codes() {
    let endpoints = endpoints();
    let metadata = respond(&endpoints, "GET", "/metadata", "", b"").await;
    assert_eq!(metadata.status, 200);
    assert!(metadata.body.contains("<ds:Signature"));

    let login = respond(
        &endpoints,
        "GET",
        "/login",
        "idp=https%3A%2F%2Flocalhost%3A8443&level=1&return=%2Ftari",
        b"",
    )
    .await;
    assert_eq!(login.status, 302);
    let location = login.location.unwrap();
    assert!(
        location.starts_with("https://localhost:8443/samlsso?SAMLRequest="),
        "{location}"
    );
    assert!(location.contains("&RelayState=") && location.contains("&Signature="));
    assert!(
        !location.contains("tari"),
        "the return path stays server-side"
    );

    let unknown = respond(
        &endpoints,
        "GET",
        "/login",
        "idp=https%3A%2F%2Fidp.unknown.example",
        b"",
    )
    .await;
    assert_eq!(unknown.status, 400);
    let bad_level = respond(
        &endpoints,
        "GET",
        "/login",
        "idp=https%3A%2F%2Flocalhost%3A8443&level=4",
        b"",
    )
    .await;
    assert_eq!(bad_level.status, 400);

    let empty = respond(&endpoints, "POST", "/acs", "", b"").await;
    assert_eq!(empty.status, 400);
    let forged = respond(
        &endpoints,
        "POST",
        "/acs",
        "",
        b"SAMLResponse=PHg%2B&RelayState=never-issued",
    )
    .await;
    assert_eq!(forged.status, 403, "an unknown RelayState is refused");
    assert_eq!(
        respond(&endpoints, "GET", "/acs", "", b"").await.status,
        405
    );
    assert_eq!(
        respond(&endpoints, "GET", "/elsewhere", "", b"")
            .await
            .status,
        404
    );
    let unsigned_logout = respond(&endpoints, "POST", "/slo", "", b"SAMLRequest=PHg%2B").await;
    assert_eq!(unsigned_logout.status, 403);
}

#[tokio::test]
async fn an_sp_initiated_logout_goes_to_the_idp_and_its_answer_must_match() {
    let endpoints = endpoints();
    let identity = validate(include_str!("../data/responses/case-001.xml")).unwrap();
    let start = endpoints.logout(&identity, FIXTURES_NOW);
    assert_eq!(start.status, 302);
    let location = start.location.unwrap();
    assert!(
        location.starts_with("https://localhost:8443/samlsso?SAMLRequest="),
        "{location}"
    );
    assert!(location.contains("&RelayState=") && location.contains("&Signature="));

    let unasked = respond(
        &endpoints,
        "POST",
        "/slo",
        "",
        b"SAMLResponse=PHg%2B&RelayState=never-issued",
    )
    .await;
    assert_eq!(unasked.status, 400, "a LogoutResponse nobody asked for");
    let relay_state = location
        .split("&RelayState=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let forged = format!("SAMLResponse=PHg%2B&RelayState={relay_state}");
    let refused = respond(&endpoints, "POST", "/slo", "", forged.as_bytes()).await;
    assert_eq!(refused.status, 403, "an unsigned answer to a real logout");
}
