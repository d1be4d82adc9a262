//! A CSV (TSV, semicolon, pipe) export of any kind, loaded, indexed and computed.
//! The body lives in `holdfast::fuzzing`, so tests/fuzz_regressions.rs
//! replays every crash found here through the same code.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| holdfast::fuzzing::source_csv(bytes));
