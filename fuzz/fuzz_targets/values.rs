//! The date, amount, duration and score parsers.
//! The body lives in `holdfast::fuzzing`, so tests/fuzz_regressions.rs
//! replays every crash found here through the same code.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| holdfast::fuzzing::values(bytes));
