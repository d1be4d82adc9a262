//! The corpus of hostile inputs in tests/fixtures/bad/ (plus a few made at
//! run time), each with its expected outcome. tests/load.rs covers the rest:
//! missing columns, empty and header-only files, non-UTF-8, mixed decimal
//! styles and date orders, scores out of range, duplicate tickets, responses
//! before creation, JSON that is not an array of objects.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::path::{Path, PathBuf};

use holdfast::data::{
    LoadReport, Loaded, Scales, SourceKind, SourceOptions, SourceSpec, load_source,
};

fn bad(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bad")
        .join(name)
}

fn load(kind: SourceKind, path: &Path) -> Result<Loaded, String> {
    load_source(
        &SourceSpec::path(kind, path, SourceOptions::default()),
        Scales::default(),
    )
    .map_err(|e| e.to_string())
}

fn ok(kind: SourceKind, name: &str) -> Loaded {
    load(kind, &bad(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rejected(r: &LoadReport) -> Vec<(&str, u64)> {
    r.rejected.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

#[test]
fn mixed_delimiters_reject_the_odd_rows() {
    let l = ok(SourceKind::Orders, "mixed_delimiters.csv");
    assert_eq!((l.report.rows, l.report.kept), (2, 1));
    assert_eq!(rejected(&l.report), vec![("wrong number of fields", 1)]);
    assert_eq!(l.report.examples, vec![2]);
}

#[test]
fn ragged_rows_are_rejected_with_their_lines() {
    let l = ok(SourceKind::Orders, "ragged.csv");
    assert_eq!((l.report.rows, l.report.kept), (4, 2));
    assert_eq!(rejected(&l.report), vec![("wrong number of fields", 2)]);
    assert_eq!(l.report.examples, vec![3, 4]);
}

#[test]
fn a_quote_left_open_is_an_error_at_its_line() {
    assert_open_quote_at(&bad("open_quote.csv"), 3);
}

/// Loading the orders file `p` is refused for a quote opened on `line`.
fn assert_open_quote_at(p: &Path, line: u64) {
    let err = load(SourceKind::Orders, p).err().expect("rejected");
    assert_eq!(
        err,
        format!(
            "{}, line {line}: a quoted field opened here is never closed, so the rest of the file would be read as one field",
            p.display()
        )
    );
}

/// Excel for Mac's "CSV (Macintosh)" ends lines with a lone CR: a quote
/// left open there is found at its line too, not read as one long row.
#[test]
fn a_quote_left_open_in_a_cr_only_file_is_an_error_at_its_line() {
    assert_open_quote_at(&bad("open_quote_cr.csv"), 2);
}

#[test]
fn a_huge_field_loads() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.csv");
    std::fs::write(
        &p,
        format!(
            "customer_id,order_date,amount,note\nc1,2024-01-05,10,{}\nc2,2024-01-06,20,short\n",
            "x".repeat(1_000_000)
        ),
    )
    .unwrap();
    // A free-text column is no segment by itself: name it to keep it.
    let options = SourceOptions {
        segments: Some(vec!["note".into()]),
        ..SourceOptions::default()
    };
    let l = load_source(
        &SourceSpec::path(SourceKind::Orders, &p, options),
        Scales::default(),
    )
    .unwrap();
    assert_eq!((l.report.rows, l.report.kept), (2, 2));
    let rows = l.order_rows();
    assert_eq!(
        rows[0].segments[0].1.as_ref().map(String::len),
        Some(1_000_000)
    );
}

#[test]
fn dates_in_several_formats_in_one_column() {
    // ISO, day-first (31/01 decides the order), compact and Unix seconds.
    let l = ok(SourceKind::Orders, "three_date_formats.csv");
    let days: Vec<String> = l.order_rows().into_iter().map(|r| r.order_date).collect();
    assert_eq!(
        days,
        vec!["2024-01-05", "2024-01-31", "2024-01-05", "2024-01-05"]
    );
}

#[test]
fn future_dates_are_data() {
    let l = ok(SourceKind::Orders, "future_dates.csv");
    assert_eq!(l.report.kept, 2);
    assert_eq!(
        l.report.date_range.as_ref().map(|d| d.last.as_str()),
        Some("2031-06-30")
    );
}

#[test]
fn one_row_and_two_hundred_columns() {
    let l = ok(SourceKind::Orders, "one_row.csv");
    assert_eq!((l.report.rows, l.report.kept), (1, 1));
    let l = ok(SourceKind::Orders, "wide_200.csv");
    assert_eq!(l.report.kept, 1);
    // 197 columns of numbers: none is a category, so none is a segment.
    assert!(l.report.segments.is_empty(), "{:?}", l.report.segments);
}

#[test]
fn negative_durations_are_rejected() {
    let l = ok(SourceKind::Tickets, "zendesk_negative_minutes.csv");
    assert_eq!(l.report.preset, "Zendesk tickets");
    assert_eq!(
        rejected(&l.report),
        vec![("unparseable first_response_at", 1)]
    );
    assert_eq!(l.report.examples, vec![2]);
    assert_eq!(l.report.kept, 1);
}

#[test]
fn parquet_with_wrong_types_rejects_rows_not_the_file() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("orders.parquet");
    let mut df = df!(
        "customer_id" => [1i64, 2],
        "order_date" => [true, false],
        "amount" => [1.5f64, 2.0],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&p).unwrap())
        .finish(&mut df)
        .unwrap();
    // No date can be read on any row: the whole file is refused, naming the column.
    let err = load(SourceKind::Orders, &p).err().expect("refused");
    assert!(err.ends_with("orders.parquet: column \"order_date\" (order_date): no row has a value that can be read (2 rows, the first at line 1); write dates as 2024-03-05, or map the date column with `[orders.columns] order_date = \"HEADER\"` in the config file"), "{err}");
    // The same file is committed as tests/fixtures/bad/wrong_types.parquet.
    // A file that is not Parquet at all, named .parquet, is a clear error.
    let junk = dir.path().join("junk.parquet");
    std::fs::write(&junk, b"PAR1 not really").unwrap();
    let err = load(SourceKind::Orders, &junk).err().expect("rejected");
    assert!(err.contains("cannot read Parquet"), "{err}");
    // An Arrow (Feather) file cut short, and one that is not Arrow at all:
    // one line naming the file, no line number.
    let typed = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parquet/typed.arrow"),
    )
    .unwrap();
    for (name, bytes) in [
        ("cut.arrow", &typed[..typed.len() / 2]),
        ("text.feather", b"order_id,amount\n1,2\n".as_slice()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = load(SourceKind::Orders, &path).err().expect("rejected");
        assert!(
            err.contains(&format!("{name}: cannot read Arrow: "))
                && err.ends_with("(the file is damaged, cut short, or not Arrow at all)")
                && !err.contains('\n'),
            "{err}"
        );
    }
}

#[test]
fn nothing_panics_on_any_fixture_as_any_kind() {
    let dirs = [
        bad(""),
        bad("").join(".."),
        bad("").join("../real"),
        bad("").join("../real/monthly"),
        bad("").join("../metrics"),
    ];
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_file() {
                for kind in [
                    SourceKind::Orders,
                    SourceKind::Feedback,
                    SourceKind::Tickets,
                ] {
                    let _ = load(kind, &p);
                }
            }
        }
    }
}

fn config_error(name: &str) -> String {
    let p = bad(name);
    match holdfast::config::Config::load(Some(&p)) {
        Ok(_) => panic!("{name} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_config_with_an_unknown_key_names_file_key_and_line() {
    let err = config_error("config_unknown_key.toml");
    assert!(err.contains("config_unknown_key.toml"), "{err}");
    assert!(err.contains("unknown field `paht`"), "{err}");
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn a_config_with_a_wrong_type_names_file_key_and_line() {
    let err = config_error("config_wrong_type.toml");
    assert!(err.contains("config_wrong_type.toml"), "{err}");
    assert!(err.contains("at_risk_threshold"), "{err}");
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn a_committed_parquet_file_with_wrong_types_rejects_its_rows() {
    // customer_id as integers (read as text ids), order_date as booleans.
    let err = load(SourceKind::Orders, &bad("wrong_types.parquet"))
        .err()
        .expect("refused");
    assert!(err.contains("column \"order_date\" (order_date): no row has a value that can be read (2 rows, the first at line 1)"), "{err}");
}
