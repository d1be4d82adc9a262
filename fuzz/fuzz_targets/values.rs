//! The cell parsers: dates and datetimes, amounts, durations, scores.
#![no_main]

use holdfast::data::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(raw) = parse::parse_datetime(text) {
        for order in [parse::DateOrder::Dmy, parse::DateOrder::Mdy] {
            if let Some(stamp) = raw.resolve(order) {
                // Every accepted date prints and reads back as the same day.
                let printed = parse::format_day(stamp.day);
                let again = parse::parse_datetime(&printed)
                    .and_then(|r| r.resolve(order))
                    .map(|s| s.day);
                assert_eq!(again, Some(stamp.day), "{text:?} -> {printed}");
            }
        }
    }
    if let Some(cell) = parse::parse_amount(text) {
        for style in [parse::DecimalStyle::Dot, parse::DecimalStyle::Comma] {
            if let Some(v) = cell.value(style) {
                assert!(parse::amount_to_f64(v).is_finite());
            }
        }
    }
    let _ = parse::parse_duration(text, 60.0);
    if let Some(s) = parse::parse_score(text) {
        assert!(s.is_finite(), "{text:?} -> {s}");
    }
});
