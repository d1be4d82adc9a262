//! A JSON array or NDJSON export of any kind, through the mapping.
//! The body lives in `holdfast::fuzzing`, so tests/fuzz_regressions.rs
//! replays every crash found here through the same code.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| holdfast::fuzzing::source_json(bytes));
