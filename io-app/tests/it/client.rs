use abilita_core::{Error, ErrorClass, EuroCents, PartitaIva};
use abilita_io::IoError;
use abilita_io::model::{
    FeatureLevel, Markdown, MessageContent, MessageStatus, NewMessage, PaymentData, Recipient,
    Subject,
};
use abilita_mock::io::CitizenState;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{SECOND, fiscal_code, harness, service_error};

fn message(to: Recipient, payment: Option<PaymentData>) -> NewMessage {
    let mut content = MessageContent::new(
        Subject::new("TARI 2026: avviso di pagamento").unwrap(),
        Markdown::new("Gentile cittadina, gentile cittadino, è disponibile l'avviso di pagamento della TARI 2026.").unwrap(),
    );
    content.payment_data = payment;
    NewMessage {
        fiscal_code: to,
        content,
        feature_level_type: None,
    }
}

#[tokio::test]
async fn a_payment_notice_goes_from_profile_check_to_processed() {
    let h = harness().await;
    let citizen = Recipient::new(fiscal_code(1)).unwrap();
    h.io.set_citizen(citizen.as_str(), CitizenState::Allowed, &[]);
    let io = h.client("key-1", None);

    assert!(io.profile(&citizen).await.unwrap().sender_allowed);
    let payment = PaymentData::new(EuroCents::new(12_000), "301002026000000178").unwrap();
    let id = io
        .submit(&message(citizen.clone(), Some(payment)))
        .await
        .unwrap();

    assert_eq!(
        io.message(&citizen, &id).await.unwrap().status,
        MessageStatus::Accepted
    );
    let processed = io.message(&citizen, &id).await.unwrap();
    assert_eq!(processed.status, MessageStatus::Processed);
    assert_eq!(processed.message.id, id.as_str());
    assert!(
        io.rate_limit_remaining().is_some(),
        "x-rate-limit-remaining is exposed"
    );
}

#[tokio::test]
async fn citizens_who_cannot_receive_are_told_apart() {
    let h = harness().await;
    let io = h.client("key-1", None);
    let (absent, inbox_off, blocking) = (fiscal_code(2), fiscal_code(3), fiscal_code(4));
    h.io.set_citizen(inbox_off.as_str(), CitizenState::InboxOff, &[]);
    h.io.set_citizen(blocking.as_str(), CitizenState::Allowed, &["svc-tributi"]);

    for code in [&absent, &inbox_off] {
        let error = service_error(io.profile(&Recipient::new(code.clone()).unwrap()).await);
        assert!(matches!(error, IoError::NotRegistered { .. }), "{error:?}");
    }
    let error = io
        .profile(&Recipient::new(absent.clone()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "App IO read profile: HTTP 404 Not Found: \
         the citizen is not registered on IO or has the inbox off: \
         The profile you requested was not found in the system."
    );
    assert!(
        !io.profile(&Recipient::new(blocking.clone()).unwrap())
            .await
            .unwrap()
            .sender_allowed
    );

    // Sending anyway is accepted, then rejected.
    let to = Recipient::new(absent).unwrap();
    let id = io.submit(&message(to.clone(), None)).await.unwrap();
    h.clock.advance(time::Duration::minutes(2));
    assert_eq!(
        io.message(&to, &id).await.unwrap().status,
        MessageStatus::Rejected
    );
}

#[tokio::test]
async fn reach_answers_yes_or_no_with_the_reason_and_keeps_real_failures_as_errors() {
    use abilita_io::Reach;
    let h = harness().await;
    let io = h.client("key-1", None);
    let (allowed, absent, inbox_off, blocking) = (
        fiscal_code(6),
        fiscal_code(7),
        fiscal_code(8),
        fiscal_code(9),
    );
    h.io.set_citizen(allowed.as_str(), CitizenState::Allowed, &[]);
    h.io.set_citizen(inbox_off.as_str(), CitizenState::InboxOff, &[]);
    h.io.set_citizen(blocking.as_str(), CitizenState::Allowed, &["svc-tributi"]);
    let reach = |code: &abilita_core::CodiceFiscale| {
        let io = &io;
        let to = Recipient::new(code.clone()).unwrap();
        async move { io.reach(&to).await.unwrap() }
    };
    assert_eq!(reach(&allowed).await, Reach::Reachable);
    assert!(reach(&allowed).await.is_reachable());
    assert_eq!(reach(&absent).await, Reach::NotOnIo);
    assert_eq!(reach(&inbox_off).await, Reach::NotOnIo);
    assert_eq!(reach(&blocking).await, Reach::ServiceBlocked);
    assert!(Reach::ServiceBlocked.reason().unwrap().contains("bloccato"));
    let sandbox = h.client("sandbox-1", None);
    let to = Recipient::new(allowed.clone()).unwrap();
    assert_eq!(sandbox.reach(&to).await.unwrap(), Reach::OutsideSandbox);
    // A refused key is not an answer about the citizen.
    let refused = h.client("nope", None).reach(&to).await.unwrap_err();
    assert_eq!(refused.service_error(), Some(&IoError::Unauthorized));
}

#[tokio::test]
async fn a_sandbox_service_reaches_only_its_test_recipients() {
    let h = harness().await;
    let sandbox = h.client("sandbox-1", None);
    let real = Recipient::new(fiscal_code(5)).unwrap();
    h.io.set_citizen(real.as_str(), CitizenState::Allowed, &[]);

    assert!(matches!(
        service_error(sandbox.profile(&real).await),
        IoError::RecipientForbidden { .. }
    ));
    let refused = service_error(sandbox.submit(&message(real, None)).await);
    assert!(matches!(refused, IoError::RecipientForbidden { .. }));
    // IO's own words are in the message.
    assert!(
        refused
            .to_string()
            .contains("You are not allowed to issue requests for the recipient"),
        "{refused}"
    );
    assert!(
        sandbox
            .profile(&Recipient::io_sandbox())
            .await
            .unwrap()
            .sender_allowed
    );
    sandbox
        .submit(&message(Recipient::io_sandbox(), None))
        .await
        .unwrap();
}

#[tokio::test]
async fn refusals_are_typed() {
    let h = harness().await;
    let io = h.client("key-1", None);
    let to = Recipient::new(fiscal_code(6)).unwrap();
    h.io.set_citizen(to.as_str(), CitizenState::Allowed, &[]);

    let too_much = PaymentData::new(EuroCents::new(1_000_001), "301002026000000178").unwrap();
    assert!(matches!(
        service_error(io.submit(&message(to.clone(), Some(too_much))).await),
        IoError::AmountNotAllowed { .. }
    ));

    let payee = PaymentData::new(EuroCents::new(100), "301002026000000178")
        .unwrap()
        .payee(PartitaIva::new("99999000013").unwrap());
    assert!(matches!(
        service_error(io.submit(&message(to.clone(), Some(payee))).await),
        IoError::PayeeNotAllowed { .. }
    ));

    let mut premium = message(to.clone(), None);
    premium.feature_level_type = Some(FeatureLevel::Advanced);
    let refused = io.submit(&premium).await.unwrap_err();
    // The platform, the operation, IO's title and detail, in that order.
    let said = refused.to_string();
    assert!(
        said.starts_with("App IO send message: HTTP 403 Forbidden: IO refused the request: "),
        "{said}"
    );
    let Error::Service {
        error: IoError::Forbidden { title, detail },
        ..
    } = &refused
    else {
        panic!("{refused:?}")
    };
    assert!(
        said.contains(title.as_str()) && said.contains(detail.as_str()),
        "{said}"
    );

    let id = io.submit(&message(to.clone(), None)).await.unwrap();
    let other_service = h.client("sandbox-1", None);
    assert!(matches!(
        service_error(other_service.message(&to, &id).await),
        IoError::Forbidden { .. }
    ));
    let stranger = Recipient::new(fiscal_code(7)).unwrap();
    assert!(matches!(
        service_error(io.message(&stranger, &id).await),
        IoError::MessageNotFound { .. }
    ));

    assert_eq!(
        service_error(h.client("nope", None).profile(&to).await),
        IoError::Unauthorized
    );

    // Year 10000 in UTC: refused by name before any request, never a panic.
    let sent = h.io.sent_messages(None, None).len();
    let mut far = message(to.clone(), None);
    far.content.due_date = Some(time::macros::datetime!(9999-12-31 23:59:59 -12:00));
    match io.submit(&far).await {
        Err(Error::InvalidInput(invalid)) => assert_eq!(invalid.field(), "content.due_date"),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.io.sent_messages(None, None).len(), sent);
}

#[tokio::test]
async fn a_refused_primary_key_falls_back_to_the_secondary() {
    let h = harness().await;
    let to = Recipient::io_sandbox();
    let rotated = h.client("retired-primary", Some("key-2"));
    assert!(rotated.profile(&to).await.unwrap().sender_allowed);
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_ios_header_and_is_honoured() {
    let h = harness().await;
    h.io.set_rate_limit(Some((2, std::time::Duration::from_secs(5))));
    let to = Recipient::io_sandbox();

    let strict = h.no_retry_client("key-1");
    strict.profile(&to).await.unwrap();
    assert_eq!(strict.rate_limit_remaining(), Some(1));
    strict.profile(&to).await.unwrap();
    let throttled = strict.profile(&to).await.unwrap_err();
    assert_eq!(throttled.service_error(), Some(&IoError::Throttled));
    assert_eq!(throttled.class(), ErrorClass::Throttling);
    assert_eq!(
        throttled.response().unwrap().retry_after(),
        Some(5 * SECOND)
    );
    assert_eq!(strict.rate_limit_remaining(), Some(0));

    // The default transport waits what x-rate-limit-retry-after says (on the test clock).
    let patient = h.client("key-1", None);
    patient.profile(&to).await.unwrap();
    assert_eq!(h.clock.sleeps(), vec![5 * SECOND]);
}

#[tokio::test]
async fn problem_gateway_and_empty_bodies_all_become_io_errors() {
    let server = MockServer::start().await;
    let cases = [
        (ResponseTemplate::new(400).set_body_json(serde_json::json!({"title": "Invalid message structure", "detail": "value at [root.content.subject]"})), "Validation"),
        (ResponseTemplate::new(404).set_body_json(serde_json::json!({"statusCode": 404, "message": "Resource not found"})), "NotFound"),
        (ResponseTemplate::new(500), "Server"),
        (ResponseTemplate::new(401), "Unauthorized"),
    ];
    for (response, expected) in cases {
        server.reset().await;
        Mock::given(any())
            .respond_with(response)
            .mount(&server)
            .await;
        let transport = abilita_io::transport_builder(&server.uri())
            .unwrap()
            .retry_policy(abilita_core::RetryPolicy::never())
            .build()
            .unwrap();
        let io = abilita_io::IoClient::from_transport(
            transport,
            abilita_io::ServiceKeys::new(abilita_core::ApiKey::new("k"), None),
            None,
        );
        let error = service_error(io.profile(&Recipient::io_sandbox()).await);
        assert!(
            format!("{error:?}").starts_with(expected),
            "{expected}: {error:?}"
        );
        if let IoError::Validation { detail, .. } = error {
            assert!(detail.contains("root.content.subject"));
        }
    }
}

/// IO's gateway counts attempts, not calls: a retried call takes a permit
/// of the institution's limiter per attempt. Before, the limiter was waited
/// on once per call, so retries ran past it.
#[tokio::test]
async fn every_attempt_takes_a_permit_of_the_institutions_limit() {
    let h = harness().await;
    let code = fiscal_code(7);
    h.io.set_citizen(code.as_str(), CitizenState::Allowed, &[]);
    let builder =
        abilita_io::transport_builder(&format!("{}{}", h.server.uri(), abilita_mock::io::IO_PATH))
            .unwrap()
            .clock(std::sync::Arc::new(h.clock.clone()));
    // Two permits an hour, both available at once.
    let limit = abilita_io::InstitutionRateLimit::new(
        std::num::NonZeroU32::new(2).unwrap(),
        std::time::Duration::from_secs(3600),
    );
    let io = abilita_io::IoClient::from_transport(
        builder.build().unwrap(),
        abilita_io::ServiceKeys::new(abilita_core::ApiKey::new("key-1"), None),
        Some(limit),
    );
    let citizen = Recipient::new(code).unwrap();
    // Throttled once, then answered: two attempts, two permits.
    h.io.faults().throttle_next(1);
    assert!(io.profile(&citizen).await.unwrap().sender_allowed);
    // The hour's permits are spent: the next call waits for one.
    let next =
        tokio::time::timeout(std::time::Duration::from_millis(300), io.profile(&citizen)).await;
    assert!(
        next.is_err(),
        "a third attempt within the hour must wait: {next:?}"
    );
}
