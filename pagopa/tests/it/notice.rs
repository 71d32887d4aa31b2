use abilita_core::{EuroCents, IdentifierError, InvalidReason, PartitaIva};
use abilita_pagopa::{PaymentNotice, PostalSlip};

fn notice(cents: u64) -> PaymentNotice {
    PaymentNotice::new(
        "302000100000019414".parse().unwrap(),
        PartitaIva::from_official_test_value("77777777777").unwrap(),
        EuroCents::new(cents),
    )
    .unwrap()
}

#[test]
fn the_qr_payload_is_the_official_example() {
    // "Guida tecnica agli avvisi di pagamento", Codice QR.
    assert_eq!(
        notice(12_000).qr_payload(),
        "PAGOPA|002|302000100000019414|77777777777|12000"
    );
    assert_eq!(
        notice(12_000).notice_number().to_print_format(),
        "3020 0010 0000 0194 14"
    );
}

#[test]
fn the_qr_amount_has_at_least_two_digits() {
    // Allegato 2, Codice QR: the amount is "minimo 2, massimo 11 caratteri".
    for (cents, field) in [
        (1, "01"),
        (9, "09"),
        (10, "10"),
        (99_999_999_999, "99999999999"),
    ] {
        let payload = notice(cents).qr_payload();
        assert_eq!(payload.rsplit('|').next(), Some(field), "{payload}");
    }
}

#[test]
fn amounts_outside_a_notice_range_are_refused() {
    let creditor = PartitaIva::from_official_test_value("77777777777").unwrap();
    for (cents, expected) in [
        (0, InvalidReason::ZeroAmount),
        (100_000_000_000, InvalidReason::AboveMaximum),
    ] {
        let error = PaymentNotice::new(
            "302000100000019414".parse().unwrap(),
            creditor.clone(),
            EuroCents::new(cents),
        )
        .unwrap_err();
        assert!(
            matches!(error, IdentifierError::Invalid { reason, .. } if reason == expected),
            "{cents}: {error:?}"
        );
    }
    assert!(
        PaymentNotice::new(
            "302000100000019414".parse().unwrap(),
            creditor,
            EuroCents::new(99_999_999_999)
        )
        .is_ok()
    );
}

#[test]
fn the_png_is_a_version_4_symbol_that_decodes_to_the_payload() {
    let notice = notice(12_000);
    let png = notice.qr_png(3).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    // 33 modules (version 4) plus a 4-module quiet zone on each side, 3 px each.
    assert_eq!((info.width, info.height), (123, 123));

    let (width, height) = (info.width as usize, info.height as usize);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    let (meta, content) = grids[0].decode().unwrap();
    assert_eq!(meta.version.0, 4);
    assert_eq!(meta.ecc_level, 0, "rqrr numbers ECC M as 0");
    assert_eq!(content, notice.qr_payload());
}

#[test]
fn the_svg_is_a_drawing_of_the_symbol() {
    let svg = notice(12_000).qr_svg().unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
}

#[test]
fn the_poste_data_matrix_follows_the_generator_layout() {
    let slip = PostalSlip {
        account: "1234567",
        debtor_fiscal_code: "STTSGT90A01H501J",
        debtor_name: "Soggetto Settimo",
        subject: "TARI 2026 – prima rata",
    };
    let text = notice(12_000).poste_data_matrix(&slip).unwrap();
    let chars: Vec<char> = text.chars().collect();
    let field = |from: usize, len: usize| chars[from..from + len].iter().collect::<String>();
    assert_eq!(chars.len(), 256);
    assert_eq!(field(0, 13), "codfase=NBPA;");
    assert_eq!(field(13, 2), "18");
    assert_eq!(field(15, 18), "302000100000019414");
    assert_eq!(field(33, 2), "12");
    assert_eq!(field(35, 12), "000001234567");
    assert_eq!(field(47, 2), "10");
    assert_eq!(field(49, 10), "0000012000");
    assert_eq!(field(59, 7), "38961P1");
    assert_eq!(field(66, 11), "77777777777");
    assert_eq!(field(77, 16), "STTSGT90A01H501J");
    assert_eq!(field(93, 40).trim_end(), "Soggetto Settimo");
    assert_eq!(field(133, 110).trim_end(), "TARI 2026 – prima rata");
    assert_eq!(field(243, 12), " ".repeat(12));
    assert_eq!(field(255, 1), "A");

    let long = PostalSlip {
        debtor_name: &"N".repeat(60),
        ..slip
    };
    assert_eq!(
        notice(1).poste_data_matrix(&long).unwrap().chars().count(),
        256,
        "long names are cut to the layout"
    );
    let bad = PostalSlip {
        account: "12-34",
        ..slip
    };
    assert!(notice(1).poste_data_matrix(&bad).is_err());
}

#[test]
fn a_scanned_qr_code_reads_back_into_its_notice() {
    use abilita_pagopa::CreditorCode;
    let notice = notice(12_000);
    assert_eq!(
        PaymentNotice::from_qr_payload(&notice.qr_payload()),
        Ok(notice)
    );
    // One cent, and a creditor whose fiscal code is no partita IVA.
    let payload = "PAGOPA|002|302000100000019414|80012345678|01";
    let read = PaymentNotice::from_qr_payload(payload).unwrap();
    assert_eq!(read.amount(), EuroCents::new(1));
    assert_eq!(
        read.creditor(),
        &"80012345678".parse::<CreditorCode>().unwrap()
    );
    assert_eq!(read.qr_payload(), payload);
}

#[test]
fn each_wrong_field_of_a_qr_code_is_named() {
    use abilita_core::IdentifierError;
    use abilita_pagopa::QrPayloadError;
    let read = PaymentNotice::from_qr_payload;
    assert_eq!(
        read("PAGOPA|002|302000100000019414|77777777777"),
        Err(QrPayloadError::Fields { found: 4 })
    );
    assert_eq!(
        read("PAGOPA|002|302000100000019414|77777777777|12000|x"),
        Err(QrPayloadError::Fields { found: 6 })
    );
    assert_eq!(
        read("PAGOBANCOMAT|002|302000100000019414|77777777777|12000"),
        Err(QrPayloadError::Identifier)
    );
    assert_eq!(
        read("PAGOPA|001|302000100000019414|77777777777|12000"),
        Err(QrPayloadError::Version)
    );
    assert!(matches!(
        read("PAGOPA|002|302000100000019499|77777777777|12000"),
        Err(QrPayloadError::NoticeNumber(
            IdentifierError::CheckDigits { .. }
        ))
    ));
    assert!(matches!(
        read("PAGOPA|002|302000100000019414|7777777777|12000"),
        Err(QrPayloadError::Creditor(IdentifierError::Length {
            found: 10,
            ..
        }))
    ));
    assert!(matches!(
        read("PAGOPA|002|302000100000019414|7777777777A|12000"),
        Err(QrPayloadError::Creditor(IdentifierError::Character {
            position: 11,
            ..
        }))
    ));
    // Each wrong amount has its own typed reason; no text is read.
    let amount = |field: &str| match read(&format!(
        "PAGOPA|002|302000100000019414|77777777777|{field}"
    )) {
        Err(QrPayloadError::Amount(error)) => error,
        other => panic!("{field:?}: {other:?}"),
    };
    for (field, length) in [("1", 1), ("123456789012", 12)] {
        assert!(
            matches!(amount(field), IdentifierError::Length { found, .. } if found == length),
            "{field:?}"
        );
    }
    for (field, at, character) in [
        ("012", 1, '0'),
        ("12.00", 3, '.'),
        ("-1200", 1, '-'),
        (" 1200", 1, ' '),
    ] {
        assert!(
            matches!(amount(field), IdentifierError::Character { position, found, .. } if position == at && found == character),
            "{field:?}"
        );
    }
    assert!(matches!(
        amount("00"),
        IdentifierError::Invalid {
            reason: InvalidReason::ZeroAmount,
            ..
        }
    ));
    assert!(
        read("PAGOPA|002|302000100000019414|77777777777|12000\n").is_err(),
        "no trimming"
    );
}

proptest::proptest! {
    #[test]
    fn every_notice_round_trips_through_its_qr_code(
        segregation in 0u8..100,
        base in 0u64..=9_999_999_999_999,
        creditor in "[0-9]{11}",
        cents in 1u64..=99_999_999_999,
    ) {
        let code = abilita_pagopa::SegregationCode::new(&format!("{segregation:02}")).unwrap();
        let nav = abilita_pagopa::NoticeNumber::from_iuv_base(&code, base).unwrap();
        let creditor: abilita_pagopa::CreditorCode = creditor.parse().unwrap();
        let notice = PaymentNotice::new(nav, creditor, EuroCents::new(cents)).unwrap();
        proptest::prop_assert_eq!(PaymentNotice::from_qr_payload(&notice.qr_payload()), Ok(notice));
    }

    #[test]
    fn any_text_is_read_or_refused_never_a_panic(text in "\\PC{0,80}") {
        if let Ok(notice) = PaymentNotice::from_qr_payload(&text) {
            // Only the canonical form is read: it writes back the same.
            proptest::prop_assert_eq!(notice.qr_payload(), text);
        }
    }
}
