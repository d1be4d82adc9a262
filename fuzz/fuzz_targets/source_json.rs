//! A JSON array (or object holding one) or NDJSON export of any kind,
//! through flattening, the mapping and the row parsers.
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
    let name = if selector & 0x80 == 0 {
        "fuzz.json"
    } else {
        "fuzz.ndjson"
    };
    let spec = SourceSpec::memory_bytes(kind, name, file.to_vec());
    let _ = data::load_source(&spec, Default::default());
});
