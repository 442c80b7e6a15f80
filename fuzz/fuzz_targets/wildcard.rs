//! The IAM wildcard matcher against wildmatch, on arbitrary patterns and texts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_policy::wildcard_match;
use wildmatch::WildMatch;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some((pattern, input)) = text.split_once('\n') else {
        return;
    };
    assert_eq!(
        wildcard_match(pattern, input),
        WildMatch::new(pattern).matches(input),
        "pattern {pattern:?} input {input:?}"
    );
});
