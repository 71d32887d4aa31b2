//! Any value the public IO API accepts yields a request valid against IO's
//! official OpenAPI file, and no value makes it panic.
//!
//! Random messages (subject, markdown, due date, payment data with payee,
//! remote content, secure channel, feature level), service payloads, list
//! and history pages, remote-content configurations and activations go
//! through `IoClient` and `ManageClient` to a server that
//! refuses everything; every request that left is checked with a JSON
//! Schema validator (the `jsonschema` crate, not our models) against the
//! spec's own definitions, with IO's custom formats as ts-commons defines
//! them. The spec is `tests/data/io-functions-services.json` (see
//! `tests/data/SOURCES.md`).
//!
//! Texts are drawn from the Basic Multilingual Plane: JSON Schema counts
//! lengths in code points, IO's io-ts in UTF-16 units (`model.rs`'s tests
//! cover characters outside it).

use std::cell::Cell;
use std::path::Path;

use abilita_core::{ApiKey, EuroCents, PartitaIva, RetryPolicy, Transport};
use abilita_io::manage::HistoryOrder;
use abilita_io::manage::{Organization, Scope, ServiceMetadata, ServicePayload};
use abilita_io::model::{
    FeatureLevel, Markdown, MessageContent, NewMessage, PaymentData, Precondition, Recipient,
    Subject, ThirdPartyData,
};
use abilita_io::remote_content::{Environment, RemoteContentSetup};
use abilita_io::{ActivationStatus, IoClient, ManageClient, ServiceKeys, transport_builder};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use time::{OffsetDateTime, UtcOffset};
use wiremock::matchers::any as any_request;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::fiscal_code;

fn spec() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/io-functions-services.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A validator of `schema` whose `$ref`s resolve in the spec, with IO's
/// custom formats.
fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = spec.clone();
    for (key, value) in schema.as_object().unwrap() {
        root[key] = value.clone();
    }
    // Swagger 2.0's schemas are JSON Schema draft 4.
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .with_format("FiscalCode", |s: &str| {
            let b = s.as_bytes();
            let omocodia = |c: u8| c.is_ascii_digit() || b"LMNPQRSTUV".contains(&c);
            b.len() == 16
                && b[..6].iter().all(u8::is_ascii_uppercase)
                && b[6..8].iter().copied().all(omocodia)
                && b"ABCDEHLMPRST".contains(&b[8])
                && b[9..11].iter().copied().all(omocodia)
                && b[11].is_ascii_uppercase()
                && b[12..15].iter().copied().all(omocodia)
                && b[15].is_ascii_uppercase()
        })
        .with_format("OrganizationFiscalCode", |s: &str| {
            s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit())
        })
        .with_format("UTCISODateFromString", |s: &str| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
        })
        .build(&root)
        .unwrap()
}

fn text(max: usize) -> impl Strategy<Value = String> {
    let bmp = proptest::char::ranges(vec!['\u{20}'..='\u{7e}', '\u{a0}'..='\u{d7ff}'].into());
    prop_oneof![
        4 => proptest::collection::vec(bmp, 0..max).prop_map(String::from_iter),
        1 => Just(String::new()),
    ]
}

fn instant() -> impl Strategy<Value = OffsetDateTime> {
    let offset = (-12i8..=14).prop_map(|h| UtcOffset::from_hms(h, 0, 0).unwrap());
    prop_oneof![
        4 => (0i64..4_000_000_000, offset.clone()).prop_filter_map("in range", |(s, o)| {
            OffsetDateTime::from_unix_timestamp(s).ok()?.checked_to_offset(o)
        }),
        1 => Just(time::macros::datetime!(9999-12-31 23:59:59 -12:00)),
        1 => (-62_000_000_000i64..-1, offset).prop_filter_map("in range", |(s, o)| {
            OffsetDateTime::from_unix_timestamp(s).ok()?.checked_to_offset(o)
        }),
    ]
}

fn message() -> impl Strategy<Value = Option<NewMessage>> {
    let payment = (
        prop_oneof![4 => 1u64..1_000_000, 1 => any::<u64>()],
        prop_oneof![4 => "[0-3][0-9]{17}", 1 => "[0-9]{0,20}"],
        any::<bool>(),
        any::<bool>(),
    );
    let remote = (
        text(20),
        prop_oneof!["[0-7][0-9A-HJKMNP-TV-Z]{25}", text(30)],
        any::<bool>(),
    );
    (
        0u32..5000,
        text(130),
        text(200).prop_map(|t| format!("{}{t}", "Testo del messaggio. ".repeat(4))),
        proptest::option::of(instant()),
        proptest::option::of(payment),
        proptest::option::of(remote),
        proptest::option::of(any::<bool>()),
        any::<bool>(),
    )
        .prop_map(
            |(n, subject, markdown, due, payment, remote, secure, advanced)| {
                let mut content =
                    MessageContent::new(Subject::new(subject).ok()?, Markdown::new(markdown).ok()?);
                content.due_date = due;
                content.require_secure_channels = secure;
                if let Some((cents, notice, payee, invalid_after)) = payment {
                    let mut data = PaymentData::new(EuroCents::new(cents), &notice).ok()?;
                    if payee {
                        data = data.payee(PartitaIva::new("99999000013").unwrap());
                    }
                    if invalid_after {
                        data = data.invalid_after_due_date();
                    }
                    content.payment_data = Some(data);
                }
                if let Some((id, configuration, attachments)) = remote {
                    let mut data = ThirdPartyData::new(id, &configuration)
                        .ok()?
                        .precondition(Precondition::Once);
                    if attachments {
                        data = data.with_attachments();
                    }
                    content.third_party_data = Some(data);
                }
                Some(NewMessage {
                    fiscal_code: Recipient::new(fiscal_code(n)).unwrap(),
                    content,
                    feature_level_type: advanced.then_some(FeatureLevel::Advanced),
                })
            },
        )
}

/// A service payload, or `None` when the public API refused a part of it.
fn service() -> impl Strategy<Value = Option<ServicePayload>> {
    let cidr = prop_oneof![
        "([0-9]{1,3}\\.){3}[0-9]{1,3}(/[0-9]{1,2})?",
        "[0-9a-f:]{2,20}(/[0-9]{1,3})?",
        text(20),
    ];
    (
        (text(40), text(60), text(40)),
        proptest::option::of(text(20)),
        proptest::collection::vec(cidr, 0..3),
        proptest::option::of(prop_oneof![0u64..100_000, any::<u64>()]),
        proptest::option::of(text(40)),
        proptest::option::of(text(40)),
        0u32..20,
        any::<bool>(),
    )
        .prop_map(
            |(
                (name, description, organization),
                department,
                cidrs,
                amount,
                privacy,
                email,
                topic,
                secure,
            )| {
                let mut organization =
                    Organization::new(&organization, PartitaIva::new("99999000013").unwrap())
                        .ok()?;
                if let Some(department) = department {
                    organization = organization.department(&department).ok()?;
                }
                let mut metadata = ServiceMetadata::new(Scope::Local, topic);
                if let Some(privacy) = privacy {
                    metadata = metadata.privacy_url(&privacy).ok()?;
                }
                if let Some(email) = email {
                    metadata = metadata.email(&email).ok()?;
                }
                let mut payload = ServicePayload::new(&name, &description, organization, metadata)
                    .ok()?
                    .authorized_recipients(vec![Recipient::new(fiscal_code(7)).unwrap()])
                    .authorized_cidrs(cidrs)
                    .ok()?;
                if let Some(amount) = amount {
                    payload = payload
                        .max_allowed_payment_amount(EuroCents::new(amount))
                        .ok()?;
                }
                Some(if secure {
                    payload.secure_channel()
                } else {
                    payload
                })
            },
        )
}

/// A server for remote content: URL, header, key, test users.
fn environment() -> impl Strategy<Value = (String, String, String, Vec<u32>)> {
    let url = prop_oneof![
        3 => Just("https://tributi.comune.example.it/io".to_owned()),
        1 => Just("http://tributi.comune.example.it".to_owned()),
        1 => text(20),
    ];
    (
        url,
        text(12),
        text(12),
        proptest::collection::vec(0u32..5000, 0..3),
    )
}

/// A remote-content configuration, or `None` when the public API refused
/// a part of it.
fn remote_content() -> impl Strategy<Value = Option<RemoteContentSetup>> {
    (
        (text(30), text(30)),
        prop_oneof![
            Just(Precondition::Always),
            Just(Precondition::Once),
            Just(Precondition::Never)
        ],
        proptest::option::of(proptest::collection::vec(0u32..5000, 0..3)),
        proptest::option::of(environment()),
        proptest::option::of(environment()),
    )
        .prop_map(
            |((name, description), precondition, lollipop, test, production)| {
                let users = |ns: &[u32]| {
                    ns.iter()
                        .map(|n| Recipient::new(fiscal_code(*n)).unwrap())
                        .collect()
                };
                let mut setup = RemoteContentSetup::new(&name, &description, precondition).ok()?;
                if let Some(except) = lollipop {
                    setup = setup.with_lollipop(users(&except));
                }
                if let Some((url, header, key, testers)) = test {
                    setup = setup.test(
                        Environment::new(&url, &header, ApiKey::new(key))
                            .ok()?
                            .for_testers(users(&testers)),
                    );
                }
                if let Some((url, header, key, _)) = production {
                    setup =
                        setup.production(Environment::new(&url, &header, ApiKey::new(key)).ok()?);
                }
                Some(setup)
            },
        )
}

#[derive(Debug, Clone)]
enum Call {
    Submit(Option<NewMessage>),
    Create(Option<ServicePayload>),
    List(u32, u32),
    RemoteContent(Option<RemoteContentSetup>),
    Activation(u32, ActivationStatus),
    History(bool, u32),
}

#[test]
fn every_request_the_clients_send_is_valid_against_the_openapi_file() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(any_request())
            .respond_with(ResponseTemplate::new(400).set_body_json(
                json!({"title": "refused", "status": 400, "detail": "property test"}),
            ))
            .mount(&server)
            .await;
        server
    });
    let transport = || -> Transport {
        transport_builder(&server.uri())
            .unwrap()
            .retry_policy(RetryPolicy::never())
            .build()
            .unwrap()
    };
    let io = IoClient::from_transport(transport(), ServiceKeys::new(ApiKey::new("k"), None), None);
    let manage = ManageClient::new(transport(), ApiKey::new("m"), None);
    let spec = spec();
    let new_message = validator(&spec, &json!({"$ref": "#/definitions/NewMessage"}));
    let service_payload = validator(&spec, &json!({"$ref": "#/definitions/CmsServicePayload"}));
    let rc_configuration = validator(
        &spec,
        &json!({"$ref": "#/definitions/NewRCConfigurationPublic"}),
    );
    let activation = validator(&spec, &json!({"$ref": "#/definitions/ActivationPayload"}));
    let list_parameters = spec["paths"]["/manage/services"]["get"]["parameters"].clone();
    let history_parameters =
        spec["paths"]["/manage/services/{serviceId}/history"]["get"]["parameters"].clone();

    let sent = Cell::new(0usize);
    let call = prop_oneof![
        3 => message().prop_map(Call::Submit),
        2 => service().prop_map(Call::Create),
        1 => (prop_oneof![0u32..120, any::<u32>()], prop_oneof![0u32..50, any::<u32>()]).prop_map(|(l, o)| Call::List(l, o)),
        2 => remote_content().prop_map(Call::RemoteContent),
        1 => (0u32..5000, prop_oneof![Just(ActivationStatus::Active), Just(ActivationStatus::Inactive), Just(ActivationStatus::Pending), Just(ActivationStatus::Unknown)]).prop_map(|(n, s)| Call::Activation(n, s)),
        1 => (any::<bool>(), prop_oneof![0u32..120, any::<u32>()]).prop_map(|(o, l)| Call::History(o, l)),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&call, |call| {
            let before = runtime.block_on(server.received_requests()).unwrap_or_default().len();
            runtime.block_on(async {
                // Refusals are expected; a panic is not.
                let _ = match &call {
                    Call::Submit(Some(message)) => io.submit(message).await.map(drop),
                    Call::Submit(None) => Ok(()),
                    Call::Create(Some(payload)) => manage.create(payload).await.map(drop),
                    Call::Create(None) => Ok(()),
                    Call::List(limit, offset) => manage.list(*limit, *offset).await.map(drop),
                    Call::RemoteContent(Some(setup)) => manage.create_remote_content(setup).await.map(drop),
                    Call::RemoteContent(None) => Ok(()),
                    Call::Activation(n, status) => {
                        io.set_activation(&Recipient::new(fiscal_code(*n)).unwrap(), *status).await.map(drop)
                    }
                    Call::History(oldest_first, limit) => {
                        let order = if *oldest_first { HistoryOrder::OldestFirst } else { HistoryOrder::NewestFirst };
                        manage.history("svc-1", order, *limit, None).await.map(drop)
                    }
                };
            });
            let requests = runtime.block_on(server.received_requests()).unwrap_or_default();
            let mut problems = Vec::new();
            for request in &requests[before..] {
                sent.set(sent.get() + 1);
                let path = request.url.path();
                if request.method.as_str() == "GET" {
                    let parameters = if path.ends_with("/history") { &history_parameters } else { &list_parameters };
                    for (name, value) in request.url.query_pairs() {
                        let declared = parameters.as_array().unwrap().iter().find(|p| p["name"] == *name);
                        let Some(parameter) = declared else {
                            problems.push(format!("{path}: undeclared {name}"));
                            continue;
                        };
                        if let Some(allowed) = parameter["enum"].as_array() {
                            if !allowed.iter().any(|v| v == value.as_ref()) {
                                problems.push(format!("{path}: {name}={value} is not in the spec's enum"));
                            }
                            continue;
                        }
                        let Ok(number) = value.parse::<i64>() else {
                            problems.push(format!("{path}: {name}={value} is not an integer"));
                            continue;
                        };
                        let schema = json!({"type": "integer", "minimum": parameter["minimum"], "maximum": parameter.get("maximum").cloned().unwrap_or(json!(i64::MAX))});
                        if !validator(&spec, &schema).is_valid(&json!(number)) {
                            problems.push(format!("{path}: {name}={value} is out of the spec's range"));
                        }
                    }
                    continue;
                }
                let body: Value = serde_json::from_slice(&request.body).unwrap();
                let schema = if path.ends_with("/manage/services") {
                    &service_payload
                } else if path.ends_with("/configurations") {
                    &rc_configuration
                } else if path.ends_with("/activations/") {
                    &activation
                } else {
                    &new_message
                };
                problems.extend(schema.iter_errors(&body).map(|e| format!("{path}: {e} at {}", e.instance_path())));
            }
            prop_assert!(problems.is_empty(), "{call:?}\n{}", problems.join("\n"));
            Ok(())
        })
        .unwrap();
    let sent = sent.get();
    assert!(sent >= 100, "only {sent} of 512 calls were sent");
}
