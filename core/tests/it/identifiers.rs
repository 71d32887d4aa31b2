//! Identifiers against published values.

use abilita_core::{
    CodiceFiscale, CodiceFiscaleKind, EuroCents, Iban, IdentifierError, IdentifierKind,
    InvalidReason, PartitaIva, Sex,
};
use time::macros::date;

/// Fictitious citizens registered in ANPR's UAT environment, with the birth
/// date and sex ANPR lists for them (ANPR `casiTest_consultazione.xlsx`,
/// attached to the ANPR e-services in the PDND catalogue and posted by
/// ANPR support in the public issue italia/anpr#4187;
/// NRECLD90R50H501G is listed there as M although its code encodes F: the
/// code wins).
const ANPR_TEST_SUBJECTS: &[(&str, &str, Sex)] = &[
    ("STTSGT90A01H501J", "1990-01-01", Sex::Male),
    ("QNTSGT90A01H501X", "1990-01-01", Sex::Male),
    ("SGGNNA90R50F839T", "1990-10-10", Sex::Female),
    ("SGGSTM60A01H501J", "1960-01-01", Sex::Male),
    ("DLGBNC70E60Z509S", "1970-05-20", Sex::Female),
    ("TTRPNN00R51F839V", "2000-10-11", Sex::Female),
    ("NRENTN80B22G393L", "1980-02-22", Sex::Male),
    ("RSSLGU90C24H501L", "1990-03-24", Sex::Male),
    ("RSSGLC20T24H501W", "2020-12-24", Sex::Male),
    ("NRECLD90R50H501G", "1990-10-10", Sex::Female),
    ("XXXPYN00D60Z222V", "2000-04-20", Sex::Female),
    ("LGUCCE40R10Z600T", "1940-10-10", Sex::Male),
    ("PRVGNN90R10H501Q", "1990-10-10", Sex::Male),
];

#[test]
fn anpr_test_subjects_decode_to_their_registered_birth_date_and_sex() {
    let today = date!(2026 - 11 - 26);
    for &(code, born, sex) in ANPR_TEST_SUBJECTS {
        let cf = CodiceFiscale::new(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(cf.kind(), CodiceFiscaleKind::Person);
        assert_eq!(cf.birth_date(today).unwrap().to_string(), born, "{code}");
        assert_eq!(cf.sex(), Some(sex), "{code}");
        assert!(!cf.is_omocode());
    }
}

#[test]
fn more_published_codes_are_valid() {
    // pagoPA GPD test debtors; ANPR test subjects from PDND e-service test files.
    for code in [
        "JHNDOE00A01F205N",
        "VNTMHL76M09H501D",
        "NDRCPL01A01H501S",
        "NDRMRC02B02H501D",
        "TDSPRM00R10A952C",
        "SLVDNN00R50L424L",
        "TSDSND90R10A952M",
        "PRVCCL60B50G393U",
        "NVPPRV51S51C573S",
        "DCLVNT58H11H501C",
        "GZZDMA53B22C573G",
    ] {
        CodiceFiscale::new(code).unwrap_or_else(|e| panic!("{code}: {e}"));
    }
}

#[test]
fn decoding_reads_place_and_century() {
    let cf = CodiceFiscale::new("RSSGLC20T24H501W").unwrap();
    assert_eq!(cf.belfiore_code().as_deref(), Some("H501"));
    // Before 2020-12-24 the same code can only be someone born in 1920.
    assert_eq!(
        cf.birth_date(date!(2020 - 12 - 23)),
        Some(date!(1920 - 12 - 24))
    );
    assert_eq!(
        cf.birth_date(date!(2020 - 12 - 24)),
        Some(date!(2020 - 12 - 24))
    );
}

#[test]
fn omocodia_is_accepted_and_normalisable() {
    // STTSGT90A01H501J with its last number digit 1 → M (omocodia level 1),
    // and all seven digit positions substituted.
    let base = CodiceFiscale::new("STTSGT90A01H501J").unwrap();
    for omocode in ["STTSGT90A01H50MV", "STTSGTVLALMHRLMV"] {
        let error = CodiceFiscale::new(&format!("{}A", &omocode[..15])).unwrap_err();
        let IdentifierError::CheckCharacter { expected, .. } = error else {
            panic!("{error:?}")
        };
        let valid = format!("{}{expected}", &omocode[..15]);
        let cf = CodiceFiscale::new(&valid).unwrap();
        assert!(cf.is_omocode());
        assert_eq!(cf.without_omocodia(), base);
        assert_eq!(
            cf.birth_date(date!(2026 - 11 - 26)),
            Some(date!(1990 - 01 - 01))
        );
        assert_eq!(cf.belfiore_code().as_deref(), Some("H501"));
        assert_eq!(cf.sex(), Some(Sex::Male));
    }
}

#[test]
fn errors_name_what_is_wrong() {
    let kind = IdentifierKind::CodiceFiscale;
    let cases: &[(&str, IdentifierError)] = &[
        (
            "STTSGT90A01H501",
            IdentifierError::Length {
                kind,
                expected: "16 (person) or 11 (legal entity)",
                found: 15,
            },
        ),
        (
            "STTSGT90A01H501K",
            IdentifierError::CheckCharacter {
                kind,
                expected: 'J',
                found: 'K',
            },
        ),
        (
            "STTSGT90Z01H501J",
            IdentifierError::Character {
                kind,
                position: 9,
                found: 'Z',
                expected: "a month letter (ABCDEHLMPRST)",
            },
        ),
        (
            "STTSGT9AA01H501J",
            IdentifierError::Character {
                kind,
                position: 8,
                found: 'A',
                expected: "a digit or an omocodia letter (LMNPQRSTUV)",
            },
        ),
        (
            "1TTSGT90A01H501J",
            IdentifierError::Character {
                kind,
                position: 1,
                found: '1',
                expected: "a letter",
            },
        ),
        (
            "STTSGT90A01H501È",
            IdentifierError::Character {
                kind,
                position: 16,
                found: 'È',
                expected: "an ASCII letter or digit",
            },
        ),
        (
            "STTSGT90A32H501J",
            IdentifierError::Invalid {
                kind,
                reason: InvalidReason::DayOutOfRange,
            },
        ),
        (
            "STTSGT90B30H501J",
            IdentifierError::Invalid {
                kind,
                reason: InvalidReason::DayNotInMonth,
            },
        ),
        (
            "9999900001A",
            IdentifierError::Character {
                kind,
                position: 11,
                found: 'A',
                expected: "a digit",
            },
        ),
        (
            "99999000014",
            IdentifierError::CheckCharacter {
                kind,
                expected: '3',
                found: '4',
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(&CodiceFiscale::new(input).unwrap_err(), expected, "{input}");
    }
    let message = CodiceFiscale::new("STTSGT90A01H501K")
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "codice fiscale: check character is 'K', expected 'J'"
    );
}

#[test]
fn lower_case_is_accepted_and_debug_hides_the_code() {
    let cf: CodiceFiscale = "sttsgt90a01h501j".parse().unwrap();
    assert_eq!(cf.to_string(), "STTSGT90A01H501J");
    assert!(!format!("{cf:?}").contains("STTSGT"));
    let entity = CodiceFiscale::new("99999000013").unwrap();
    assert_eq!(entity.kind(), CodiceFiscaleKind::LegalEntity);
    assert_eq!(
        (
            entity.sex(),
            entity.birth_date(date!(2026 - 01 - 01)),
            entity.belfiore_code()
        ),
        (None, None, None)
    );
}

#[test]
fn official_test_values_need_the_named_constructor() {
    assert!(CodiceFiscale::new("AAAAAA00A00A000A").is_err());
    let io_sandbox = CodiceFiscale::from_official_test_value("AAAAAA00A00A000A").unwrap();
    assert_eq!(io_sandbox.as_str(), "AAAAAA00A00A000A");
    assert_eq!(
        io_sandbox.sex(),
        None,
        "day 00 decodes to nothing, without panicking"
    );
    assert_eq!(io_sandbox.birth_date(date!(2026 - 11 - 26)), None);
    assert!(CodiceFiscale::from_official_test_value("AAAAAA00A00A000B").is_err());

    for test_creditor in ["77777777777", "88888888888"] {
        assert!(PartitaIva::new(test_creditor).is_err());
        assert_eq!(
            PartitaIva::from_official_test_value(test_creditor)
                .unwrap()
                .as_str(),
            test_creditor
        );
    }
    assert!(PartitaIva::from_official_test_value("77777777778").is_err());
    assert!(PartitaIva::from_official_test_value("99999000013").is_ok());
}

#[test]
fn partita_iva_checks_length_digits_and_check_digit() {
    // pagoPA's e-bollo UAT example creditor, and one worked by hand
    // (odd positions 25 + doubled even positions 22 = 47, check 3).
    for valid in ["99999000013", "12345678903"] {
        PartitaIva::new(valid).unwrap_or_else(|e| panic!("{valid}: {e}"));
    }
    let kind = IdentifierKind::PartitaIva;
    assert_eq!(
        PartitaIva::new("99999000014").unwrap_err(),
        IdentifierError::CheckCharacter {
            kind,
            expected: '3',
            found: '4'
        }
    );
    assert_eq!(
        PartitaIva::new("9999900001").unwrap_err(),
        IdentifierError::Length {
            kind,
            expected: "11",
            found: 10
        }
    );
    assert_eq!(
        PartitaIva::new("9999900001-").unwrap_err(),
        IdentifierError::Character {
            kind,
            position: 11,
            found: '-',
            expected: "a digit"
        }
    );
}

#[test]
fn iban_checks_mod97_and_the_italian_cin() {
    // The Banca d'Italia / ECBS example and pagoPA documentation IBANs.
    for valid in ["IT60X0542811101000000123456", "DE89370400440532013000"] {
        Iban::new(valid).unwrap_or_else(|e| panic!("{valid}: {e}"));
    }
    let iban = Iban::new("it60 x054 2811 1010 0000 0123 456").unwrap();
    assert_eq!(iban.to_print_format(), "IT60 X054 2811 1010 0000 0123 456");
    let bban = iban.italian().unwrap();
    assert_eq!(
        (bban.cin(), bban.abi(), bban.cab(), bban.account()),
        ("X", "05428", "11101", "000000123456")
    );
    assert!(!bban.is_postal());
    assert!(
        Iban::new("DE89370400440532013000")
            .unwrap()
            .italian()
            .is_none()
    );
    assert!(
        !format!("{iban:?}").contains("0542811101"),
        "Debug hides the account"
    );

    // Same account with another CIN, and the mod-97 digits fixed up so that
    // only the CIN is wrong.
    let error = Iban::new(&with_check_digits("ITxxY0542811101000000123456")).unwrap_err();
    assert_eq!(
        error,
        IdentifierError::CheckCharacter {
            kind: IdentifierKind::Iban,
            expected: 'X',
            found: 'Y'
        }
    );
    assert_eq!(
        Iban::new("IT61X0542811101000000123456").unwrap_err(),
        IdentifierError::CheckDigits {
            kind: IdentifierKind::Iban,
            expected: "60".into(),
            found: "61".into()
        }
    );
    assert_eq!(iban.check_digits(), "60");
}

/// Each way an IBAN can be wrong is its own error; before, too short, too
/// long and a digit where the CIN belongs all read "check digits (mod 97)
/// do not match".
#[test]
fn iban_errors_tell_every_reason_apart() {
    let kind = IdentifierKind::Iban;
    let character = |position, found, expected| IdentifierError::Character {
        kind,
        position,
        found,
        expected,
    };
    let cases: Vec<(String, IdentifierError)> = vec![
        (
            "IT60X054281110100000012345".into(),
            IdentifierError::Length {
                kind,
                expected: "27 (an Italian IBAN)",
                found: 26,
            },
        ),
        (
            "IT60X05428111010000001234567".into(),
            IdentifierError::Length {
                kind,
                expected: "27 (an Italian IBAN)",
                found: 28,
            },
        ),
        (
            "IT6005428111010000001234567".into(),
            character(5, '0', "a letter (the CIN)"),
        ),
        (
            "IT60X05A2811101000000123456".into(),
            character(8, 'A', "a digit (the ABI)"),
        ),
        (
            "IT60X0542811X01000000123456".into(),
            character(13, 'X', "a digit (the CAB)"),
        ),
        (
            "1T60X0542811101000000123456".into(),
            character(1, '1', "a letter (the country code)"),
        ),
        (
            "ITA0X0542811101000000123456".into(),
            character(3, 'A', "a digit (the check digits)"),
        ),
        (
            "IT60X0542811101000000123-56".into(),
            character(25, '-', "a letter or digit"),
        ),
        (
            // One digit short of the example: the test's own mod-97 says
            // which digits the rest implies.
            "DE8937040044053201300".into(),
            IdentifierError::CheckDigits {
                kind,
                expected: with_check_digits("DExx37040044053201300")[2..4].into(),
                found: "89".into(),
            },
        ),
        (
            with_check_digits("XXxx370400440532013000"),
            IdentifierError::Invalid {
                kind,
                reason: InvalidReason::UnknownCountry,
            },
        ),
        (
            with_check_digits("DExx3704004405320130001"),
            IdentifierError::Invalid {
                kind,
                reason: InvalidReason::NationalFormat,
            },
        ),
        (
            "IT".into(),
            IdentifierError::Length {
                kind,
                expected: "27 (an Italian IBAN)",
                found: 2,
            },
        ),
    ];
    for (input, expected) in &cases {
        assert_eq!(&Iban::new(input).unwrap_err(), expected, "{input}");
    }
}

/// 29 February exists in 2000 but not 1900, in 2004 and 1904, in neither
/// 2001 nor 1901: a code dated so is valid when either century has the day.
#[test]
fn a_29_february_code_needs_a_leap_year_in_one_of_its_centuries() {
    let today = date!(2026 - 11 - 26);
    for (code, born) in [
        ("RSSMRA00B69H501U", "2000-02-29"),
        ("RSSMRA04B29H501U", "2004-02-29"),
        ("RSSMRA96B69H501U", "1996-02-29"),
    ] {
        let code = with_check_character(code);
        let cf = CodiceFiscale::new(&code).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(cf.birth_date(today).unwrap().to_string(), born, "{code}");
        // Even on a `today` whose century lacks the day, the day exists.
        assert!(cf.birth_date(date!(2150 - 01 - 01)).is_some(), "{code}");
    }
    for (code, yy) in [("RSSMRA01B69H501U", 1), ("RSSMRA97B29H501U", 97)] {
        let code = with_check_character(code);
        assert_eq!(
            CodiceFiscale::new(&code).unwrap_err(),
            IdentifierError::Invalid {
                kind: IdentifierKind::CodiceFiscale,
                reason: InvalidReason::NoLeapYear(yy)
            },
            "{code}"
        );
    }
    // The omocodia form of a valid 29 February is valid too.
    let omocode = with_check_character("RSSMRALLB69H501U");
    assert_eq!(
        CodiceFiscale::new(&omocode)
            .unwrap()
            .birth_date(today)
            .unwrap()
            .to_string(),
        "2000-02-29"
    );
}

/// `code` with its check character (position 16) recomputed here, from
/// the Agenzia delle Entrate's odd/even tables (DM 23/12/1976).
fn with_check_character(code: &str) -> String {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let body = &code[..15];
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let index = c.to_digit(10).unwrap_or_else(|| c as u32 - 'A' as u32);
            if i % 2 == 0 {
                ODD[index as usize]
            } else {
                index
            }
        })
        .sum();
    format!("{body}{}", char::from(b'A' + (sum % 26) as u8))
}

#[test]
fn accessors_give_the_parts_users_ask_for() {
    let cf = CodiceFiscale::new("RSSMRA85T10A562S").unwrap();
    assert_eq!(
        (cf.surname_code(), cf.name_code(), cf.check_character()),
        (Some("RSS"), Some("MRA"), 'S')
    );
    assert!(cf.omocodia_positions().is_empty());
    let omocode = with_check_character("RSSMRA85T10A56NU");
    let omocode = CodiceFiscale::new(&omocode).unwrap();
    assert_eq!(omocode.omocodia_positions(), vec![15]);
    let twice = CodiceFiscale::new(&with_check_character("RSSMRA85T10A5SNU")).unwrap();
    assert_eq!(twice.omocodia_positions(), vec![14, 15]);
    let entity = CodiceFiscale::new("99999000013").unwrap();
    assert_eq!((entity.surname_code(), entity.name_code()), (None, None));
    assert_eq!(PartitaIva::new("99999000013").unwrap().check_digit(), '3');
}

/// Recomputes the ISO 13616 check digits of an IBAN whose digits 3–4 are
/// placeholders.
fn with_check_digits(iban: &str) -> String {
    let rearranged = format!("{}{}00", &iban[4..], &iban[..2]);
    let remainder = rearranged.chars().fold(0u64, |acc, c| {
        let value = c.to_digit(36).unwrap() as u64;
        if value < 10 {
            (acc * 10 + value) % 97
        } else {
            (acc * 100 + value) % 97
        }
    });
    format!("{}{:02}{}", &iban[..2], 98 - remainder, &iban[4..])
}

#[test]
fn euro_cents_convert_between_all_three_forms() {
    let cases = [
        ("0", 0, "0.00", "€ 0,00"),
        ("0.3", 30, "0.30", "€ 0,30"),
        ("120.00", 12_000, "120.00", "€ 120,00"),
        ("1234567.89", 123_456_789, "1234567.89", "€ 1.234.567,89"),
    ];
    for (decimal, cents, canonical, display) in cases {
        let amount = EuroCents::from_decimal_str(decimal).unwrap();
        assert_eq!(amount.cents(), cents);
        assert_eq!(amount.to_decimal_string(), canonical);
        assert_eq!(amount.to_string(), display);
    }
    for bad in [
        "",
        ".5",
        "5.",
        "1.234",
        "-1",
        "+1",
        "1,50",
        "1e3",
        " 1",
        "1.2.3",
        "99999999999999999999",
    ] {
        assert!(
            EuroCents::from_decimal_str(bad).is_err(),
            "{bad:?} accepted"
        );
    }
    assert_eq!(
        EuroCents::from_decimal_str("12,5").unwrap_err(),
        IdentifierError::Character {
            kind: IdentifierKind::EuroCents,
            position: 3,
            found: ',',
            expected: "a digit or a single `.`"
        }
    );
    assert_eq!(
        EuroCents::new(u64::MAX).checked_add(EuroCents::new(1)),
        None
    );
    assert_eq!(EuroCents::new(5).checked_mul(3), Some(EuroCents::new(15)));
}

#[test]
fn serde_runs_the_same_checks() {
    let cf: CodiceFiscale = serde_json::from_str("\"STTSGT90A01H501J\"").unwrap();
    assert_eq!(serde_json::to_string(&cf).unwrap(), "\"STTSGT90A01H501J\"");
    let error = serde_json::from_str::<CodiceFiscale>("\"STTSGT90A01H501K\"").unwrap_err();
    assert!(error.to_string().contains("expected 'J'"), "{error}");
    assert!(serde_json::from_str::<PartitaIva>("\"77777777777\"").is_err());
    assert!(serde_json::from_str::<Iban>("\"IT61X0542811101000000123456\"").is_err());
    assert_eq!(
        serde_json::from_str::<EuroCents>("12000").unwrap(),
        EuroCents::new(12_000)
    );
    assert!(serde_json::from_str::<EuroCents>("-1").is_err());
    assert!(serde_json::from_str::<EuroCents>("1.5").is_err());
    assert_eq!(
        serde_json::to_string(&EuroCents::new(12_000)).unwrap(),
        "12000"
    );
    let from_string: PartitaIva = String::from("99999000013").try_into().unwrap();
    assert_eq!(from_string.as_str(), "99999000013");
}
