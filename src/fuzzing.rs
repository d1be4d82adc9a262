//! The bodies of the fuzz targets in `fuzz/`, kept in the library so that
//! every input the fuzzer ever crashed on is replayed by the test suite
//! (tests/fuzz_regressions.rs) through exactly the same code. Each takes
//! arbitrary bytes; errors are fine, panics (and broken round trips) are not.

use crate::data::{self, SourceKind, SourceSpec};

/// The first byte picks the kind of file (and, for JSON, array or NDJSON).
fn kind_of(selector: u8) -> SourceKind {
    match selector % 3 {
        0 => SourceKind::Orders,
        1 => SourceKind::Feedback,
        _ => SourceKind::Tickets,
    }
}

/// A CSV (or TSV, semicolon, pipe) export of any kind, through detection,
/// decoding, the mapping and the row parsers; an orders file that loads is
/// also indexed and computed.
pub fn source_csv(bytes: &[u8]) {
    let Some((&selector, file)) = bytes.split_first() else {
        return;
    };
    let kind = kind_of(selector);
    let spec = SourceSpec::memory_bytes(kind, "fuzz.csv", file.to_vec());
    let _ = data::load_source(&spec, Default::default());
    if kind == SourceKind::Orders {
        let sources = data::Sources::new(spec, None, None);
        if let Ok(ds) = data::load(&sources, Default::default()) {
            use crate::metrics::period::{Granularity, Period};
            if let Some(last) = ds.index.last_purchase_day() {
                let period = Period::containing(Granularity::Month, last);
                let q = crate::metrics::Query::new(period);
                let _ = crate::metrics::Engine::new(&ds).compute(&q);
            }
        }
    }
}

/// A JSON array (or object holding one) or NDJSON export of any kind,
/// through flattening, the mapping and the row parsers.
pub fn source_json(bytes: &[u8]) {
    let Some((&selector, file)) = bytes.split_first() else {
        return;
    };
    let name = if selector & 0x80 == 0 {
        "fuzz.json"
    } else {
        "fuzz.ndjson"
    };
    let spec = SourceSpec::memory_bytes(kind_of(selector), name, file.to_vec());
    let _ = data::load_source(&spec, Default::default());
}

/// The cell parsers: dates and datetimes (an accepted date prints and reads
/// back as the same day), amounts (finite), durations, scores (finite).
pub fn values(bytes: &[u8]) {
    use crate::data::parse;
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Some(raw) = parse::parse_datetime(text) {
        for order in [parse::DateOrder::Dmy, parse::DateOrder::Mdy] {
            if let Some(stamp) = raw.resolve(order) {
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
    if let Some(secs) = parse::parse_duration(text, 60.0) {
        assert!((0..=parse::MAX_DURATION_SECS).contains(&secs), "{text:?}");
    }
    if let Some(s) = parse::parse_score(text) {
        assert!(s.is_finite(), "{text:?} -> {s}");
    }
}

/// Period labels (`2024-W09`, `2024-03`, `2024-Q1`, `2024`): a label that
/// parses prints back to a label that parses to the same period, whose days
/// are a non-empty range.
pub fn period_label(bytes: &[u8]) {
    use crate::metrics::period::Period;
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Some(p) = Period::parse(text) {
        assert_eq!(Period::parse(&p.label()), Some(p), "{text:?}");
        assert!(p.start() < p.end(), "{text:?}");
        let _ = p.previous();
    }
}

/// The TOML config (every section, key bindings included) and single key
/// names: errors name what is wrong; a key that parses prints to a name
/// that parses to the same key.
pub fn config(bytes: &[u8]) {
    use crate::app::keymap::Key;
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let _ = crate::config::Config::parse("fuzz.toml", text, None);
    if let Some(k) = Key::parse(text) {
        assert_eq!(Key::parse(&k.label()), Some(k), "{text:?}");
    }
}
