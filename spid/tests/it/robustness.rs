//! Bad input never panics: spid-sp-test's Responses with random bytes
//! changed or cut short, through the whole validation; and any instant,
//! in range or not, in any instant field, through the whole ACS path. The
//! fuzz targets (`spid/fuzz`) go further; these run in every `cargo test`.

use proptest::prelude::*;

use crate::conformance::validate;

const CASES: [&str; 4] = [
    include_str!("../data/responses/case-001.xml"),
    include_str!("../data/responses/case-104.xml"),
    include_str!("../data/responses/case-109.xml"),
    include_str!("../data/responses/case-110.xml"),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_responses_get_a_verdict_and_never_a_panic(
        case in 0..CASES.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = CASES[case].as_bytes().to_vec();
        for (at, byte) in edits {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let xml = String::from_utf8_lossy(&bytes);
        let _verdict = validate(&xml);
    }
}

/// An `xs:dateTime`-like text: in range, at the edges, or past them
/// (month 13, second 60, a 12-digit fraction, any offset, five-digit years).
fn instant_text() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(1i32), Just(9999), 0..=10_000i32, -1..=1i32],
        0..=13u8,
        0..=32u8,
        0..=24u8,
        0..=60u8,
        0..=61u8,
        prop_oneof![Just(String::new()), "\\.[0-9]{1,12}"],
        prop_oneof![
            Just("Z".to_owned()),
            Just("+00:00".to_owned()),
            "[+-](0[0-9]|1[0-9]|2[0-3]):[0-5][0-9]"
        ],
    )
        .prop_map(|(year, month, day, hour, minute, second, fraction, offset)| {
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{offset}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any instant in any instant field of a Response the IdP signed: a
    /// verdict, and for an accepted one a login through the replay cache
    /// (whose expiry is computed from it), never a panic.
    #[test]
    fn any_instant_anywhere_gets_a_verdict_and_never_a_panic(
        field in 0..crate::hardening::INSTANT_FIELDS.len(),
        value in instant_text(),
        unsigned in any::<bool>(),
    ) {
        let (tag, name) = crate::hardening::INSTANT_FIELDS[field];
        let case = include_str!("../data/responses/case-001.xml");
        let xml = if unsigned {
            crate::hardening::with_attribute(&crate::resign::strip_signatures(case), tag, name, &value)
        } else {
            crate::hardening::changed(case, |x| crate::hardening::with_attribute(&x, tag, name, &value))
        };
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let _verdict = runtime.block_on(crate::hardening::finish_with_stand_in(&xml));
    }
}
