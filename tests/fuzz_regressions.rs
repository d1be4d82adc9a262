//! Every input a fuzz target (fuzz/, `cargo +nightly fuzz run …`) ever
//! crashed on, replayed through the same target body: the files live in
//! tests/fixtures/fuzz/<target>/, named after what they broke.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = entry.path();
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        eprintln!("replaying {}", p.display());
        run(&bytes);
        n += 1;
    }
    n
}

#[test]
fn source_csv_crashes_stay_fixed() {
    // zendesk_reply_time_overflows: a "First reply time in minutes" of
    // 3619:00:00-style hours so large that creation + reply overflowed i64.
    assert!(replay("source_csv", holdfast::fuzzing::source_csv) >= 1);
}

#[test]
fn source_json_crashes_stay_fixed() {
    replay("source_json", holdfast::fuzzing::source_json);
}

#[test]
fn values_crashes_stay_fixed() {
    replay("values", holdfast::fuzzing::values);
}

#[test]
fn period_label_crashes_stay_fixed() {
    replay("period_label", holdfast::fuzzing::period_label);
}

#[test]
fn config_crashes_stay_fixed() {
    // arrow_label_reads_back_as_a_character: `left` printed as `←` in the
    // help, and `←` in [keys] was read as the character, not the arrow.
    assert!(replay("config", holdfast::fuzzing::config) >= 1);
}
