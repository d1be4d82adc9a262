//! Period labels (`2024-W09`, `2024-03`, `2024-Q1`, `2024`): a label that
//! parses prints back to a label that parses to the same period, and the
//! period's days are a non-empty range.
#![no_main]

use holdfast::metrics::period::Period;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(p) = Period::parse(text) {
        assert_eq!(Period::parse(&p.label()), Some(p), "{text:?}");
        assert!(p.start() < p.end(), "{text:?}");
        let _ = p.previous();
    }
});
