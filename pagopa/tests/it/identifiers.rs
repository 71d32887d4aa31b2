use abilita_core::IdentifierError;
use abilita_pagopa::{
    AtomicSequence, Iupd, Iuv, IuvGenerator, NoticeNumber, SegregationCode, TaxonomyCode,
};
use proptest::prelude::*;

#[test]
fn published_notice_numbers_parse_with_their_parts() {
    // SANP examples and pagoPA mock-EC scenarios (pagoPA's SANP 3.12 examples and the public `pagopa/pagopa-mock-ec`).
    let nav: NoticeNumber = "302000100000019414".parse().unwrap();
    assert_eq!(nav.aux_digit(), 3);
    assert_eq!(nav.segregation_code().unwrap().as_str(), "02");
    assert_eq!(nav.iuv().as_str(), "02000100000019414");

    let legacy: NoticeNumber = "001340000013900808".parse().unwrap();
    assert_eq!(legacy.aux_digit(), 0);
    assert_eq!(legacy.iuv().as_str(), "340000013900808");
    assert_eq!(legacy.segregation_code(), None);

    // Aux 1 carries no check digits.
    assert_eq!(
        "112345678901234567"
            .parse::<NoticeNumber>()
            .unwrap()
            .iuv()
            .as_str(),
        "12345678901234567"
    );
}

#[test]
fn published_examples_with_wrong_check_digits_say_what_was_expected() {
    // SANP docs and pagopa/io-pagopa-commons tests print these.
    for (nav, expected, found) in [
        ("311111111112222222", "47", "22"),
        ("344012345678901233", "86", "33"),
    ] {
        match nav.parse::<NoticeNumber>().unwrap_err() {
            IdentifierError::CheckDigits {
                expected: e,
                found: f,
                ..
            } => assert_eq!((e.as_str(), f.as_str()), (expected, found)),
            other => panic!("{nav}: {other:?}"),
        }
    }
    for bad in [
        "30200010000001941",
        "3020001000000194140",
        "30200010000001941x",
        "402000100000019414",
        "",
    ] {
        assert!(bad.parse::<NoticeNumber>().is_err(), "{bad:?}");
    }
}

#[test]
fn creditor_references_follow_iso_11649() {
    // Examples verified in italia/pagopa-codici-docs, appendix 1.
    assert_eq!(
        Iuv::creditor_reference_for("539007547034")
            .unwrap()
            .as_str(),
        "RF18539007547034"
    );
    assert_eq!(
        Iuv::creditor_reference_for("w9").unwrap().as_str(),
        "RF45W9"
    );
    assert!(Iuv::new("RF45w9").unwrap().is_creditor_reference());
    assert!(matches!(
        Iuv::new("RF46W9").unwrap_err(),
        IdentifierError::CheckDigits { .. }
    ));
    assert!(Iuv::new("RF18539007547034").is_ok());
    assert!(
        Iuv::new("0200010000001941").is_err(),
        "16 digits is neither form"
    );
    assert!(Iuv::new("RF45W9-").is_err());
}

#[test]
fn codes_are_checked() {
    assert!(SegregationCode::new("02").is_ok());
    for bad in ["2", "002", "a2"] {
        assert!(SegregationCode::new(bad).is_err());
    }
    assert!(Iupd::new("77777777777-tari 2026_*").is_ok());
    for bad in ["", "a/b", "a?b", &"x".repeat(257)] {
        assert!(Iupd::new(bad).is_err(), "{bad:?}");
    }
    let code = TaxonomyCode::new("9/0101100IM/").unwrap();
    assert!(!code.opts_out_of_request_to_pay());
    assert!(
        TaxonomyCode::new("8/0101100TS/")
            .unwrap()
            .opts_out_of_request_to_pay()
    );
    for bad in [
        "5/0101100IM/",
        "9/0101100XX/",
        "9/010110IM/",
        "9-0101100IM/",
        "9/0101100IMè",
    ] {
        assert!(TaxonomyCode::new(bad).is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn the_generator_yields_valid_consecutive_notice_numbers() {
    let generator = IuvGenerator::new(
        "47".parse().unwrap(),
        AtomicSequence::starting_at(9_999_999_999_998),
    );
    let first = generator.next_notice_number().await.unwrap();
    let second = generator.next_notice_number().await.unwrap();
    assert_ne!(first, second);
    for nav in [&first, &second] {
        assert_eq!(NoticeNumber::new(nav.as_str()).as_ref(), Ok(nav));
        assert_eq!(nav.segregation_code().unwrap().as_str(), "47");
    }
    assert!(
        generator.next_notice_number().await.is_err(),
        "past 13 digits the sequence is exhausted"
    );
}

proptest! {
    #[test]
    fn built_notice_numbers_round_trip(segregation in 0u8..100, base in 0u64..=9_999_999_999_999) {
        let code = SegregationCode::new(&format!("{segregation:02}")).unwrap();
        let nav = NoticeNumber::from_iuv_base(&code, base).unwrap();
        // The check digits, computed again independently.
        let leading: u64 = format!("3{segregation:02}{base:013}").parse().unwrap();
        prop_assert_eq!(&nav.as_str()[16..], format!("{:02}", leading % 93));
        prop_assert_eq!(nav.as_str().parse::<NoticeNumber>().unwrap(), nav.clone());
        let iuv = nav.iuv();
        prop_assert_eq!(iuv.as_str(), &nav.as_str()[1..]);
    }

    #[test]
    fn any_other_check_digits_are_refused(base in 0u64..=9_999_999_999_999, delta in 1u64..93) {
        let nav = NoticeNumber::from_iuv_base(&SegregationCode::new("01").unwrap(), base).unwrap();
        let good: u64 = nav.as_str()[16..].parse().unwrap();
        let wrong = format!("{}{:02}", &nav.as_str()[..16], (good + delta) % 93);
        prop_assert!(wrong.parse::<NoticeNumber>().is_err());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = NoticeNumber::new(&text);
        let _ = Iuv::new(&text);
        let _ = Iupd::new(&text);
        let _ = TaxonomyCode::new(&text);
    }
}

#[test]
fn a_notice_number_is_read_as_printed_and_taken_apart() {
    let printed = NoticeNumber::from_printed("3020 0010 0000 0194 14").unwrap();
    assert_eq!(printed.as_str(), "302000100000019414");
    assert_eq!(
        NoticeNumber::from_printed("3020\u{a0}0010\u{a0}0000\u{a0}0194\u{a0}14").unwrap(),
        printed
    );
    assert_eq!(printed.to_print_format(), "3020 0010 0000 0194 14");
    assert_eq!(printed.iuv_base(), Some("0001000000194"));
    assert_eq!(printed.check_digits(), Some("14"));
    assert_eq!(printed.application_code(), None);
    assert!(
        NoticeNumber::from_printed("3020-0010-0000-0194-14").is_err(),
        "only spaces are dropped"
    );

    // SACI's aux-0 example: application code 01, base 3400000139008, check 08.
    let aux0 = NoticeNumber::new("001340000013900808").unwrap();
    assert_eq!(aux0.application_code(), Some("01"));
    assert_eq!(aux0.iuv_base(), Some("3400000139008"));
    assert_eq!(aux0.check_digits(), Some("08"));
    // Aux 1: a free 17-digit IUV, no base, no check digits.
    let aux1 = NoticeNumber::new("112345678901234567").unwrap();
    assert_eq!((aux1.iuv_base(), aux1.check_digits()), (None, None));
}

#[test]
fn the_iuv_base_may_be_given_as_its_digits_and_the_segregation_code_as_a_number() {
    let segregation = SegregationCode::from_number(2).unwrap();
    assert_eq!(segregation.as_str(), "02");
    assert!(matches!(
        SegregationCode::from_number(100),
        Err(abilita_core::IdentifierError::Invalid {
            reason: abilita_core::InvalidReason::OutOfRange,
            ..
        })
    ));
    let from_digits = NoticeNumber::from_iuv_base_digits(&segregation, "0001000000194").unwrap();
    assert_eq!(from_digits.as_str(), "302000100000019414");
    assert_eq!(
        NoticeNumber::from_iuv_base(&segregation, 1_000_000_194).unwrap(),
        from_digits
    );
    for wrong in ["001000000194", "00010000001940", "000100000019a"] {
        assert!(
            NoticeNumber::from_iuv_base_digits(&segregation, wrong).is_err(),
            "{wrong}"
        );
    }
}
