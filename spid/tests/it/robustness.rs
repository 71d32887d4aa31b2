//! Bad input never panics: spid-sp-test's Responses with random bytes
//! changed or cut short, through the whole validation. (A stand-in
//! for the fuzz target, which needs a nightly toolchain this project's
//! machines cannot install.)

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
