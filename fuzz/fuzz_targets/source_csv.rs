//! A CSV (or TSV, semicolon, pipe) export of any kind, through detection,
//! decoding, the mapping and the row parsers, then the index: errors are
//! fine, panics are not.
#![no_main]

use holdfast::data::{self, SourceKind, SourceSpec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Some((&selector, file)) = bytes.split_first() else {
        return;
    };
    let kind = match selector % 3 {
        0 => SourceKind::Orders,
        1 => SourceKind::Feedback,
        _ => SourceKind::Tickets,
    };
    let spec = SourceSpec::memory_bytes(kind, "fuzz.csv", file.to_vec());
    let _ = data::load_source(&spec, Default::default());
    if kind == SourceKind::Orders {
        // A file that loads must also index and compute.
        let sources = data::Sources {
            orders: spec,
            feedback: None,
            tickets: None,
        };
        if let Ok(ds) = data::load(&sources, Default::default()) {
            use holdfast::metrics::period::{Granularity, Period};
            if let Some(last) = ds.index.last_purchase_day {
                let period = Period::containing(Granularity::Month, last);
                let q = holdfast::metrics::Query::new(period);
                let _ = holdfast::metrics::Engine::new(&ds).compute(&q);
            }
        }
    }
});
