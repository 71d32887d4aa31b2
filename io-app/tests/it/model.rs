use abilita_core::{CodiceFiscale, EuroCents};
use abilita_io::markdown::{Cta, Ctas};
use abilita_io::model::{Markdown, PaymentData, Recipient, Subject, io_length};

#[test]
fn lengths_are_counted_as_io_counts_them() {
    assert_eq!(io_length("perché"), 6);
    assert_eq!(io_length("🙂"), 2, "an emoji is two UTF-16 code units");
    assert!(Subject::new("123456789").is_err());
    assert!(Subject::new("1234567890").is_ok());
    assert!(Subject::new("🙂".repeat(60)).is_ok());
    assert!(
        Subject::new("🙂".repeat(61)).is_err(),
        "61 emoji are 122 code units"
    );
    assert!(Markdown::new("x".repeat(79)).is_err());
    assert!(Markdown::new("x".repeat(10_000)).is_ok());
    assert!(Markdown::new("x".repeat(10_001)).is_err());
}

#[test]
fn payment_data_follows_ios_patterns() {
    assert!(PaymentData::new(EuroCents::new(1), "301002026000000178").is_ok());
    assert!(PaymentData::new(EuroCents::ZERO, "301002026000000178").is_err());
    assert!(PaymentData::new(EuroCents::new(10_000_000_000), "301002026000000178").is_err());
    for bad in [
        "401002026000000178",
        "30100202600000017",
        "30100202600000017x",
    ] {
        assert!(PaymentData::new(EuroCents::new(1), bad).is_err(), "{bad}");
    }
}

#[test]
fn recipients_are_persons_and_the_sandbox_code_has_its_own_door() {
    assert!(Recipient::parse("STTSGT90A01H501J").is_ok());
    assert!(
        Recipient::parse("99999000013").is_err(),
        "legal entities do not receive IO messages"
    );
    assert!(Recipient::parse("AAAAAA00A00A000A").is_err());
    assert_eq!(Recipient::io_sandbox().as_str(), "AAAAAA00A00A000A");
    assert!(
        CodiceFiscale::new("AAAAAA00A00A000A").is_err(),
        "the core stays strict for everyone else"
    );
}

#[test]
fn ctas_count_toward_the_length_limit() {
    let ctas = Ctas::italian(Cta::new("Paga", "ioit://WALLET_HOME").unwrap(), None);
    let with = ctas
        .prepend_to("Corpo breve del messaggio, abbastanza lungo?")
        .unwrap();
    assert!(with.as_str().starts_with("---\nit:\n"));
    assert!(
        ctas.prepend_to(&"x".repeat(9_990)).is_err(),
        "front matter plus body over 10000"
    );
}

#[test]
fn remote_content_needs_an_id_and_a_ulid_configuration() {
    use abilita_io::model::{Precondition, ThirdPartyData};
    assert!(ThirdPartyData::new("", "01ARZ3NDEKTSV4RRFFQ69G5FAV").is_err());
    for configuration in [
        "",
        "not-a-ulid",
        "01ARZ3NDEKTSV4RRFFQ69G5FA",
        "81ARZ3NDEKTSV4RRFFQ69G5FAV",
        "01ARZ3NDEKTSV4RRFFQ69G5FAI",
    ] {
        assert!(
            ThirdPartyData::new("tari-2026-1", configuration).is_err(),
            "{configuration:?}"
        );
    }
    let data = ThirdPartyData::new("tari-2026-1", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
        .unwrap()
        .with_attachments()
        .precondition(Precondition::Once);
    assert_eq!(
        serde_json::to_value(&data).unwrap(),
        serde_json::json!({"id": "tari-2026-1", "configuration_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "has_attachments": true, "has_precondition": "ONCE"})
    );
}
