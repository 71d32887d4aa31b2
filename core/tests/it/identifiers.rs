//! Identifiers against published values.

use abilita_core::{
    CodiceFiscale, CodiceFiscaleKind, EuroCents, Iban, IdentifierError, IdentifierKind, PartitaIva,
    Sex,
};
use time::macros::date;

/// Fictitious citizens registered in ANPR's UAT environment, with the birth
/// date and sex ANPR lists for them (ANPR `casiTest_consultazione.xlsx`, as
/// copied in `shared/specs/anpr/testdata/casiTest_consultazione.csv`;
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
                reason: "the day of birth must be 01-31 (men) or 41-71 (women)",
            },
        ),
        (
            "STTSGT90B30H501J",
            IdentifierError::Invalid {
                kind,
                reason: "the day of birth does not exist in its month",
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
    assert!(matches!(
        Iban::new("IT61X0542811101000000123456").unwrap_err(),
        IdentifierError::Invalid { .. }
    ));
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
