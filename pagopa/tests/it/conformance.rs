//! Any value the public GPD API accepts yields a request valid against
//! GPD's official OpenAPI files, and no value makes it panic.
//!
//! Random positions (v1 and v3), list filters, payments outside pagoPA and
//! IBAN moves go through `GpdClient` to a server that refuses everything;
//! each request that left the client is checked with a JSON Schema
//! validator (the `jsonschema` crate, not our models) against the spec's
//! own schemas, copied in `mock-servers/tests/openapi/gpd/`.

use std::path::Path;
use std::sync::Arc;

use abilita_core::testing::ManualClock;
use abilita_core::{ApiKey, BaseUrl, EuroCents, Iban, PartitaIva, Transport};
use abilita_pagopa::gpd::{
    DebtPosition, DebtPositionV3, Debtor, DebtorKind, Direction, GpdClient, Installment,
    InstallmentPlan, ListFilter, Metadata, OrderBy, PaymentOption, PositionStatus,
    PositionStatusV3, Publish, ReceiptsFilter, Stamp, Transfer, TransferDestination,
};
use abilita_pagopa::{NoticeNumber, SegregationCode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Date, OffsetDateTime, UtcOffset};
use wiremock::matchers::any as any_request;
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOW: OffsetDateTime = datetime!(2026-12-01 09:00 UTC);

fn spec(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mock-servers/tests/openapi/gpd")
        .join(file);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A validator of `schema` (a JSON Schema) whose `$ref`s resolve in `spec`.
fn validator(spec: &Value, schema: Value) -> jsonschema::Validator {
    let mut root = spec.clone();
    for (key, value) in schema.as_object().unwrap() {
        root[key] = value.clone();
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap()
}

/// The request-side schemas of the operations the test drives.
struct Contract {
    v1: Value,
    v3: Value,
    receipts: Value,
    position: jsonschema::Validator,
    position_v3: jsonschema::Validator,
    paid: jsonschema::Validator,
    iban: jsonschema::Validator,
}

impl Contract {
    fn load() -> Self {
        let v1 = spec("debt-positions-v1.json");
        let v3 = spec("debt-positions-v3.json");
        let of = |spec: &Value, name: &str| {
            validator(
                spec,
                json!({ "$ref": format!("#/components/schemas/{name}") }),
            )
        };
        Self {
            position: of(&v1, "PaymentPositionModel"),
            position_v3: of(&v3, "PaymentPositionModelV3"),
            paid: of(&v1, "AlreadyPaidPaymentOptionModel"),
            iban: of(&v1, "UpdateTransferIbanMassiveModel"),
            v1,
            v3,
            receipts: spec("receipts.json"),
        }
    }

    /// The problems of one request, by the spec of the API it went to.
    fn check(&self, request: &wiremock::Request) -> Vec<String> {
        let path = request.url.path();
        let (spec, version_path) = if let Some(rest) = path.strip_prefix("/v3") {
            (&self.v3, rest)
        } else if let Some(rest) = path.strip_prefix("/receipts") {
            (&self.receipts, rest)
        } else {
            (&self.v1, path.strip_prefix("/v1").unwrap_or(path))
        };
        let mut problems =
            query_problems(spec, request.method.as_str(), version_path, &request.url);
        if request.body.is_empty() {
            return problems;
        }
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(body) => body,
            Err(e) => return vec![format!("{path}: the body is not JSON: {e}")],
        };
        let validator = if path.ends_with("/transfers") {
            &self.iban
        } else if path.contains("/paids/") {
            &self.paid
        } else if path.starts_with("/v3") {
            &self.position_v3
        } else {
            &self.position
        };
        problems.extend(
            validator
                .iter_errors(&body)
                .map(|e| format!("{path}: {e} at {}", e.instance_path())),
        );
        // `format: int64` is not JSON Schema's to check: every integer must
        // fit it (and `int32` ones are checked with the query).
        int64_problems(&body, path, &mut problems);
        problems
    }
}

/// Every query parameter sent is declared by the operation and valid for
/// its schema.
fn query_problems(spec: &Value, method: &str, path: &str, url: &url::Url) -> Vec<String> {
    let Some(operation) = spec["paths"].as_object().and_then(|paths| {
        paths.iter().find_map(|(template, item)| {
            matches_template(template, path).then(|| item[method.to_ascii_lowercase()].clone())
        })
    }) else {
        return vec![format!(
            "{method} {path}: no operation of the spec has this path"
        )];
    };
    let mut problems = Vec::new();
    for (name, value) in url.query_pairs() {
        let Some(schema) = operation["parameters"].as_array().and_then(|list| {
            list.iter()
                .find(|p| p["in"] == "query" && p["name"] == *name)
                .map(|p| p["schema"].clone())
        }) else {
            problems.push(format!("{path}: undeclared query parameter {name}"));
            continue;
        };
        let instance = if schema["type"] == "boolean" {
            match value.as_ref() {
                "true" => json!(true),
                "false" => json!(false),
                _ => {
                    problems.push(format!("{path}: {name}={value} is not a boolean"));
                    continue;
                }
            }
        } else if schema["type"] == "integer" {
            match value.parse::<i64>() {
                Ok(n) if schema["format"] == "int32" && i32::try_from(n).is_err() => {
                    problems.push(format!("{path}: {name}={value} is beyond int32"));
                    continue;
                }
                Ok(n) => json!(n),
                Err(_) => {
                    problems.push(format!("{path}: {name}={value} is not an integer"));
                    continue;
                }
            }
        } else {
            json!(value)
        };
        let validator = validator(spec, schema);
        problems.extend(
            validator
                .iter_errors(&instance)
                .map(|e| format!("{path}: {name}={value}: {e}")),
        );
    }
    problems
}

fn matches_template(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(t), Some(p)) if t.starts_with('{') || t == p => {}
            _ => return false,
        }
    }
}

fn int64_problems(value: &Value, path: &str, problems: &mut Vec<String>) {
    match value {
        Value::Number(n) if n.is_u64() && n.as_i64().is_none() => {
            problems.push(format!("{path}: {n} is beyond int64"));
        }
        Value::Array(items) => items.iter().for_each(|v| int64_problems(v, path, problems)),
        Value::Object(map) => map.values().for_each(|v| int64_problems(v, path, problems)),
        _ => {}
    }
}

// ---- values, biased towards what the client accepts ----

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        24 => "[A-Za-z0-9 àèìòù.'-]{1,30}",
        1 => proptest::collection::vec(any::<char>(), 0..150).prop_map(String::from_iter),
        1 => (0usize..80).prop_map(|n| "🧾".repeat(n)),
        1 => (130usize..145).prop_map(|n| "é".repeat(n)),
    ]
}

fn instant() -> impl Strategy<Value = OffsetDateTime> {
    let offset = (-12i8..=14).prop_map(|h| UtcOffset::from_hms(h, 0, 0).unwrap());
    prop_oneof![
        14 => (1i64..400 * 86_400, offset.clone())
            .prop_map(|(s, o)| (NOW + time::Duration::seconds(s)).to_offset(o)),
        1 => (-62_000_000_000i64..260_000_000_000, offset).prop_filter_map("in range", |(s, o)| {
            OffsetDateTime::from_unix_timestamp(s).ok()?.checked_to_offset(o)
        }),
        1 => Just(datetime!(9999-12-31 23:59:59 -12:00)),
    ]
}

fn cents() -> impl Strategy<Value = u64> {
    prop_oneof![18 => 1u64..1_000_000, 1 => Just(0u64), 1 => any::<u64>()]
}

fn metadata() -> impl Strategy<Value = Vec<Metadata>> {
    let pair = || (text(), text()).prop_map(|(key, value)| Metadata { key, value });
    prop_oneof![
        6 => Just(Vec::new()),
        2 => proptest::collection::vec(pair(), 1..3),
        1 => proptest::collection::vec(pair(), 0..12),
    ]
}

fn destination() -> impl Strategy<Value = TransferDestination> {
    let iban = Iban::new("IT60X0542811101000000123456").unwrap();
    prop_oneof![
        6 => Just(TransferDestination::Account { iban: iban.clone(), postal_iban: None }),
        1 => Just(TransferDestination::Account { iban: iban.clone(), postal_iban: Some(iban) }),
        2 => (text(), text(), text()).prop_map(|(hash_document, stamp_type, provincial_residence)| {
            TransferDestination::Stamp { stamp: Stamp { hash_document, stamp_type, provincial_residence } }
        }),
        2 => ("[A-Za-z0-9+/=]{1,72}", prop_oneof![Just("01".to_owned()), "..", Just("é".to_owned())], "[A-Z]{2}")
            .prop_map(|(hash_document, stamp_type, provincial_residence)| {
                TransferDestination::Stamp { stamp: Stamp { hash_document, stamp_type, provincial_residence } }
            }),
    ]
}

fn transfers() -> impl Strategy<Value = Vec<Transfer>> {
    proptest::collection::vec(
        (
            0u8..=6,
            cents(),
            text(),
            destination(),
            metadata(),
            any::<bool>(),
        ),
        1..7,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .enumerate()
            .map(
                |(i, (id, amount, remittance_information, destination, metadata, own_id))| {
                    Transfer {
                        id: if own_id {
                            u8::try_from(i + 1).unwrap_or(id)
                        } else {
                            id
                        },
                        amount: EuroCents::new(amount),
                        organization_fiscal_code: None,
                        remittance_information,
                        category: "9/0101100IM/".parse().unwrap(),
                        destination,
                        metadata,
                    }
                },
            )
            .collect()
    })
}

/// The transfers' sum, most of the time, so that the request is sent.
fn amount_of(transfers: &[Transfer], exact: bool, other: u64) -> EuroCents {
    if exact {
        transfers
            .iter()
            .try_fold(EuroCents::ZERO, |sum, t| sum.checked_add(t.amount))
            .unwrap_or(EuroCents::new(other))
    } else {
        EuroCents::new(other)
    }
}

fn nav(n: u64) -> NoticeNumber {
    NoticeNumber::from_iuv_base(&SegregationCode::new("01").unwrap(), n).unwrap()
}

fn debtor() -> impl Strategy<Value = Debtor> {
    (
        any::<bool>(),
        text(),
        text(),
        proptest::option::of(prop_oneof!["[A-Z]{2}", text()]),
        proptest::option::of(text()),
    )
        .prop_map(|(legal, fiscal_code, full_name, country, email)| {
            let kind = if legal {
                DebtorKind::Legal
            } else {
                DebtorKind::Natural
            };
            let mut debtor = Debtor::with_id(kind, fiscal_code, full_name);
            debtor.country = country;
            debtor.email = email;
            debtor
        })
}

fn position() -> impl Strategy<Value = DebtPosition> {
    let option = (
        transfers(),
        any::<bool>(),
        cents(),
        text(),
        instant(),
        proptest::option::of(instant()),
        metadata(),
        any::<bool>(),
    );
    (
        debtor(),
        text(),
        proptest::option::of(text()),
        proptest::option::weighted(0.2, instant()),
        proptest::collection::vec(option, 1..4),
    )
        .prop_map(
            |(debtor, company_name, office_name, validity_date, options)| DebtPosition {
                iupd: "77777777777-property".parse().unwrap(),
                debtor,
                company_name,
                office_name,
                validity_date,
                switch_to_expired: false,
                pay_stand_in: true,
                payment_options: options
                    .into_iter()
                    .enumerate()
                    .map(
                        |(
                            i,
                            (
                                transfers,
                                exact,
                                other,
                                description,
                                due_date,
                                retention_date,
                                metadata,
                                partial,
                            ),
                        )| {
                            PaymentOption {
                                nav: None,
                                iuv: nav(i as u64 + 1).iuv(),
                                amount: amount_of(&transfers, exact, other),
                                description,
                                is_partial_payment: partial,
                                due_date,
                                retention_date,
                                transfers,
                                metadata,
                            }
                        },
                    )
                    .collect(),
            },
        )
}

fn position_v3() -> impl Strategy<Value = DebtPositionV3> {
    let installment = (
        transfers(),
        any::<bool>(),
        cents(),
        text(),
        instant(),
        metadata(),
    );
    let plan = (
        debtor(),
        proptest::option::of(text()),
        proptest::option::weighted(0.2, instant()),
        proptest::option::weighted(0.2, instant()),
        proptest::collection::vec(installment, 1..4),
    );
    (text(), proptest::collection::vec(plan, 1..3)).prop_map(|(company_name, plans)| {
        let mut n = 0;
        DebtPositionV3 {
            iupd: "77777777777-property-v3".parse().unwrap(),
            company_name,
            office_name: None,
            pay_stand_in: true,
            payment_options: plans
                .into_iter()
                .map(
                    |(debtor, description, validity_date, retention_date, installments)| {
                        InstallmentPlan {
                            description,
                            validity_date,
                            retention_date,
                            switch_to_expired: false,
                            debtor,
                            installments: installments
                                .into_iter()
                                .map(
                                    |(transfers, exact, other, description, due_date, metadata)| {
                                        n += 1;
                                        Installment {
                                            nav: None,
                                            iuv: nav(n).iuv(),
                                            amount: amount_of(&transfers, exact, other),
                                            description,
                                            due_date,
                                            transfers,
                                            metadata,
                                        }
                                    },
                                )
                                .collect(),
                        }
                    },
                )
                .collect(),
        }
    })
}

fn day() -> impl Strategy<Value = Date> {
    prop_oneof![
        4 => (0i32..400).prop_map(|d| NOW.date() + time::Duration::days(i64::from(d))),
        1 => (-9999i32..=20000, 1u8..=12, 1u8..=28).prop_filter_map("a date", |(y, m, d)| {
            Date::from_calendar_date(y, m.try_into().ok()?, d).ok()
        }),
    ]
}

#[derive(Debug, Clone)]
enum Call {
    Create(DebtPosition),
    Update(DebtPosition),
    CreateV3(DebtPositionV3),
    List(ListFilter, u32, u32),
    ListV3(ListFilter<PositionStatusV3>, u32, u32),
    Receipts(ReceiptsFilter, u32, u32),
    MarkPaid(u64, OffsetDateTime),
    MoveIban(u32),
}

fn window() -> impl Strategy<Value = (Option<Date>, Option<Date>)> {
    (proptest::option::of(day()), proptest::option::of(day()))
}

fn order() -> impl Strategy<Value = Option<(OrderBy, Direction)>> {
    proptest::option::of((
        prop_oneof![
            Just(OrderBy::InsertedDate),
            Just(OrderBy::Iupd),
            Just(OrderBy::Status),
            Just(OrderBy::CompanyName)
        ],
        prop_oneof![Just(Direction::Ascending), Just(Direction::Descending)],
    ))
}

fn page() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..10, any::<u32>()]
}

fn call() -> impl Strategy<Value = Call> {
    let v1_status = proptest::option::of(prop_oneof![
        Just(PositionStatus::Draft),
        Just(PositionStatus::Valid),
        Just(PositionStatus::Invalid),
        Just(PositionStatus::Expired),
        Just(PositionStatus::Reported),
        Just(PositionStatus::Unknown),
    ]);
    let v3_status = proptest::option::of(prop_oneof![
        Just(PositionStatusV3::Draft),
        Just(PositionStatusV3::Unpayable),
        Just(PositionStatusV3::PartiallyPaid),
        Just(PositionStatusV3::Unknown),
    ]);
    prop_oneof![
        3 => position().prop_map(Call::Create),
        2 => position().prop_map(Call::Update),
        3 => position_v3().prop_map(Call::CreateV3),
        2 => (window(), window(), v1_status, order(), page(), 0u32..60).prop_map(|((a, b), (c, d), status, order, page, limit)| {
            Call::List(ListFilter { due_date_from: a, due_date_to: b, payment_date_from: c, payment_date_to: d, status, order }, page, limit)
        }),
        1 => (window(), v3_status, order(), page(), 0u32..60).prop_map(|((a, b), status, order, page, limit)| {
            Call::ListV3(ListFilter { due_date_from: a, due_date_to: b, status, order, ..ListFilter::default() }, page, limit)
        }),
        1 => (window(), proptest::option::of(text()), page(), 0u32..120).prop_map(|((from, to), debtor, page, size)| {
            Call::Receipts(ReceiptsFilter { from, to, debtor }, page, size)
        }),
        1 => (1u64..100, instant()).prop_map(|(n, at)| Call::MarkPaid(n, at)),
        1 => (0u32..1100).prop_map(Call::MoveIban),
    ]
}

#[test]
fn every_request_the_client_sends_is_valid_against_the_openapi_files() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        // Refused at once: no retries, no follow-up reads.
        Mock::given(any_request())
            .respond_with(ResponseTemplate::new(400).set_body_json(
                json!({"title": "refused", "status": 400, "detail": "property test"}),
            ))
            .mount(&server)
            .await;
        server
    });
    let clock = Arc::new(ManualClock::new(NOW));
    let transport = |path: &str| {
        Transport::builder(BaseUrl::parse(&format!("{}{path}", server.uri())).unwrap())
            .platform(abilita_pagopa::gpd::PLATFORM)
            .clock(clock.clone())
            .build()
            .unwrap()
    };
    let client =
        GpdClient::from_transports(transport(""), transport("/receipts"), ApiKey::new("k"));
    let creditor = PartitaIva::from_official_test_value("77777777777").unwrap();
    let iban = Iban::new("IT60X0542811101000000123456").unwrap();
    let contract = Contract::load();

    let sent = std::cell::Cell::new(0usize);
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&call(), |call| {
            let before = runtime
                .block_on(server.received_requests())
                .unwrap_or_default()
                .len();
            runtime.block_on(async {
                // Refusals (local or the server's) are expected; a panic is not.
                let _ = match &call {
                    Call::Create(p) => client.create(&creditor, p, Publish::Now).await.map(drop),
                    Call::Update(p) => client.update(&creditor, p, Publish::Later).await.map(drop),
                    Call::CreateV3(p) => client
                        .create_v3(&creditor, p, Publish::Later)
                        .await
                        .map(drop),
                    Call::List(f, page, limit) => {
                        client.list(&creditor, f, *page, *limit).await.map(drop)
                    }
                    Call::ListV3(f, page, limit) => {
                        client.list_v3(&creditor, f, *page, *limit).await.map(drop)
                    }
                    Call::Receipts(f, page, size) => {
                        client.receipts(&creditor, f, *page, *size).await.map(drop)
                    }
                    Call::MarkPaid(n, at) => {
                        client.mark_paid(&creditor, &nav(*n), *at).await.map(drop)
                    }
                    Call::MoveIban(limit) => client
                        .move_iban(&creditor, &iban, &iban, *limit)
                        .await
                        .map(drop),
                };
            });
            let requests = runtime
                .block_on(server.received_requests())
                .unwrap_or_default();
            let problems: Vec<String> = requests[before..]
                .iter()
                .flat_map(|request| {
                    sent.set(sent.get() + 1);
                    contract.check(request)
                })
                .collect();
            prop_assert!(problems.is_empty(), "{call:?}\n{}", problems.join("\n"));
            Ok(())
        })
        .unwrap();
    // The generators must reach the wire, or the property says nothing.
    let sent = sent.get();
    assert!(sent >= 80, "only {sent} of 512 calls were sent");
}
