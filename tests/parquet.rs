//! Typed Parquet files and Parquet datasets (Hive-style partition folders),
//! as DuckDB writes them (`tests/fixtures/parquet/`, see its README) and as
//! polars writes them: dates, timestamps with a zone, decimals and integers
//! read as themselves, partition folders as columns, columns of types
//! holdfast does not read left out instead of failing the file.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::path::{Path, PathBuf};
use std::process::Command;

use holdfast::data::{self, Loaded, Scales, SourceKind, SourceOptions, SourceSpec};
use polars::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parquet")
        .join(name)
}

fn load(path: &Path) -> Loaded {
    load_with(path, SourceOptions::default())
}

fn load_with(path: &Path, options: SourceOptions) -> Loaded {
    let spec = SourceSpec {
        kind: SourceKind::Orders,
        name: path.display().to_string(),
        origin: data::Origin::Path(path.to_path_buf()),
        options,
    };
    data::load_source(&spec, Scales::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// (customer, date, amount, order id, row, segments) of each kept row.
type Row = (
    String,
    String,
    f64,
    String,
    u64,
    Vec<(String, Option<String>)>,
);

fn rows(l: &Loaded) -> Vec<Row> {
    l.order_rows()
        .into_iter()
        .map(|r| {
            let mut segs = r.segments;
            segs.sort();
            (
                r.customer_id,
                r.order_date,
                r.amount,
                r.order_id.unwrap_or_default(),
                r.line,
                segs,
            )
        })
        .collect()
}

fn seg(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    let mut v: Vec<_> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.map(String::from)))
        .collect();
    v.sort();
    v
}

/// `holdfast --no-cache --orders ORDERS report --format json ARGS…`
fn report(orders: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .arg("--no-cache")
        .arg("--orders")
        .arg(orders)
        .args(["report", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn typed_parquet_dates_decimals_and_integers_read_as_themselves() {
    // DATE order_date, DECIMAL(10,2) amount, BIGINT quantity, TIMESTAMPTZ
    // paid_at (one null), a null region.
    let l = load(&fixture("typed.parquet"));
    assert_eq!(l.report.rejected_total(), 0);
    let got: Vec<(String, String, f64)> = rows(&l).into_iter().map(|r| (r.0, r.1, r.2)).collect();
    assert_eq!(
        got,
        vec![
            ("C1@example.com".into(), "2024-01-05".into(), 12.5),
            ("C2@example.com".into(), "2024-01-20".into(), 40.0),
            ("C1@example.com".into(), "2024-02-03".into(), 7.25),
            ("C3@example.com".into(), "2024-03-11".into(), 99.99),
            ("C2@example.com".into(), "2024-03-31".into(), 0.01),
        ]
    );
    // Rows are numbered from 1; the null region is no value.
    assert_eq!(rows(&l)[3].4, 4);
    assert_eq!(
        rows(&l)[3].5,
        seg(&[("plan", Some("basic")), ("region", None)])
    );
}

#[test]
fn timestamps_with_a_zone_give_the_utc_day_and_unread_types_are_left_out() {
    // created_at TIMESTAMPTZ (23:30 and 23:59:59 UTC stay on their UTC day),
    // a DOUBLE total, and LIST, STRUCT, TIME and INTERVAL columns beside them.
    let l = load(&fixture("timestamps.parquet"));
    let got: Vec<(String, String, f64, String)> =
        rows(&l).into_iter().map(|r| (r.0, r.1, r.2, r.3)).collect();
    assert_eq!(
        got,
        vec![
            (
                "C1@example.com".into(),
                "2024-01-05".into(),
                12.5,
                "O1".into()
            ),
            (
                "C2@example.com".into(),
                "2024-01-20".into(),
                40.0,
                "O2".into()
            ),
            (
                "C1@example.com".into(),
                "2024-02-03".into(),
                7.25,
                "O3".into()
            ),
            (
                "C2@example.com".into(),
                "2024-03-31".into(),
                0.01,
                "O5".into()
            ),
        ]
    );
}

#[test]
fn a_dataset_partitioned_by_region_has_region_as_a_segment() {
    // by_region/region=EU/, region=US/, region=__HIVE_DEFAULT_PARTITION__/
    // (the null region): the folder names are the column.
    let dir = fixture("by_region");
    let eu = load(&dir.join("region=EU/data_0.parquet"));
    assert_eq!(
        rows(&eu)
            .iter()
            .map(|r| (r.3.as_str(), r.5.clone()))
            .collect::<Vec<_>>(),
        vec![
            ("O1", seg(&[("plan", Some("pro")), ("region", Some("EU"))])),
            ("O3", seg(&[("plan", Some("pro")), ("region", Some("EU"))])),
        ]
    );
    // The null region's file alone has no region values: no segment there.
    let none = load(&dir.join("region=__HIVE_DEFAULT_PARTITION__/data_0.parquet"));
    assert_eq!(rows(&none)[0].5, seg(&[("plan", Some("basic"))]));
    let all = report(&dir, &["--period", "2024-03"]);
    assert_eq!(all["revenue"], 100.0);
    assert_eq!(all["orders"], 2);
    let eu = report(&dir, &["--period", "2024-01", "--segment", "region=EU"]);
    assert_eq!(eu["revenue"], 12.5);
    assert_eq!(eu["orders"], 1);
    // O4 (no region) is in neither region.
    let us = report(&dir, &["--period", "2024-03", "--segment", "region=US"]);
    assert_eq!(us["revenue"], 0.01);
}

#[test]
fn a_dataset_partitioned_by_year_and_month_reads_like_one_file() {
    let one = report(&fixture("typed.parquet"), &["--period", "all"]);
    let parts = report(&fixture("by_month"), &["--period", "all"]);
    let key = |v: &serde_json::Value| -> Vec<(String, f64, u64, u64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["period"]["label"].as_str().unwrap().to_string(),
                    p["revenue"].as_f64().unwrap(),
                    p["orders"].as_u64().unwrap(),
                    p["customers"]["end"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(key(&parts), key(&one));
    assert_eq!(
        key(&parts),
        vec![
            ("2024-01".into(), 52.5, 2, 2),
            ("2024-02".into(), 7.25, 1, 2),
            ("2024-03".into(), 100.0, 2, 3),
        ]
    );
    // year and month are numbers: partition columns, not segments.
    let l = load(&fixture("by_month/year=2024/month=1/data_0.parquet"));
    assert!(
        l.report
            .segments
            .iter()
            .all(|s| s != "year" && s != "month")
    );
}

#[test]
fn a_dataset_polars_writes_with_escaped_partition_values() {
    // The way a Spark or polars job writes a dataset: one folder per
    // partition value, %-escaped (`channel=paid%2Fsocial`).
    let dir = tempfile::tempdir().unwrap();
    let parts = [
        (
            "channel=organic",
            ["C1", "C2"],
            ["2024-05-01", "2024-05-02"],
            [10.0, 20.0],
        ),
        (
            "channel=paid%2Fsocial",
            ["C3", "C1"],
            ["2024-05-03", "2024-06-01"],
            [5.5, 1.25],
        ),
    ];
    for (folder, customers, dates, amounts) in parts {
        let days: Vec<i32> = dates
            .iter()
            .map(|d| {
                let (y, rest) = d.split_at(4);
                let m: u32 = rest[1..3].parse().unwrap();
                let dd: u32 = rest[4..6].parse().unwrap();
                holdfast::calendar::days_from_civil(y.parse().unwrap(), m, dd)
                    - holdfast::calendar::days_from_civil(1970, 1, 1)
            })
            .collect();
        let mut df = DataFrame::new(
            2,
            vec![
                Column::new("customer_id".into(), customers.to_vec()),
                Column::new("order_date".into(), days)
                    .cast(&DataType::Date)
                    .unwrap(),
                Column::new("amount".into(), amounts.to_vec()),
            ],
        )
        .unwrap();
        let path = dir.path().join(folder);
        std::fs::create_dir_all(&path).unwrap();
        let file = std::fs::File::create(path.join("part-00000.parquet")).unwrap();
        ParquetWriter::new(file).finish(&mut df).unwrap();
    }
    // A Spark job's marker files beside the parts are not data.
    std::fs::write(dir.path().join("_SUCCESS"), "").unwrap();
    std::fs::write(dir.path().join(".part-00000.parquet.crc"), "x").unwrap();
    let may = report(dir.path(), &["--period", "2024-05"]);
    assert_eq!(may["revenue"], 35.5);
    let social = report(
        dir.path(),
        &["--period", "2024-05", "--segment", "channel=paid/social"],
    );
    assert_eq!(social["revenue"], 5.5);
    assert_eq!(social["customers"]["new"], 1);
}

#[test]
fn a_dataset_partitioned_by_day_has_its_dates_only_in_the_folder_names() {
    // Spark's `partitionBy("order_date")` leaves the partition column out
    // of the files: each row's day is its folder's `order_date=…`.
    let dir = tempfile::tempdir().unwrap();
    for (day, customers, amounts) in [
        ("2024-05-01", ["C1", "C2"], [10.0, 20.0]),
        ("2024-05-31", ["C1", "C3"], [1.5, 2.0]),
        ("2024-06-01", ["C2", "C3"], [4.0, 8.0]),
    ] {
        let mut df = DataFrame::new(
            2,
            vec![
                Column::new("customer_id".into(), customers.to_vec()),
                Column::new("order_value".into(), amounts.to_vec()),
            ],
        )
        .unwrap();
        let path = dir.path().join(format!("order_date={day}"));
        std::fs::create_dir_all(&path).unwrap();
        let file = std::fs::File::create(path.join("part-00000-1f.c000.snappy.parquet")).unwrap();
        ParquetWriter::new(file).finish(&mut df).unwrap();
    }
    let may = report(dir.path(), &["--period", "2024-05"]);
    assert_eq!(may["revenue"], 33.5);
    assert_eq!(may["customers"]["new"], 3);
    let june = report(dir.path(), &["--period", "2024-06"]);
    assert_eq!(june["revenue"], 12.0);
    // All three bought within the 90-day window: none is lost.
    assert_eq!(june["customers"]["start"], 3);
    assert_eq!(june["customers"]["retained"], 3);
    assert_eq!(june["orders"], 2);
}

/// Copies the `by_month` fixture into `to`.
fn copy_by_month(to: &Path) {
    for month in 1..=3 {
        let part = format!("year=2024/month={month}");
        std::fs::create_dir_all(to.join(&part)).unwrap();
        std::fs::copy(
            fixture(&format!("by_month/{part}/data_0.parquet")),
            to.join(&part).join("data_0.parquet"),
        )
        .unwrap();
    }
}

/// `holdfast --no-cache check --orders DIR`: exit status and standard error.
fn check_folder(dir: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .arg("--no-cache")
        .arg("--orders")
        .arg(dir)
        .arg("check")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_hive_table_folder_reads_its_files_without_an_extension() {
    // Hive writes a table's files as `000000_0`, with no extension; Spark
    // and Hive keep their own files and folders under names starting with
    // `_` (`_SUCCESS`, `_metadata`: a Parquet file of the parts' footers,
    // `_temporary/` with a job's unfinished parts).
    let dir = tempfile::tempdir().unwrap();
    copy_by_month(dir.path());
    let d = dir.path();
    for month in 1..=3 {
        let part = d.join(format!("year=2024/month={month}"));
        std::fs::rename(part.join("data_0.parquet"), part.join("000000_0")).unwrap();
    }
    std::fs::copy(
        fixture("by_month/year=2024/month=1/data_0.parquet"),
        d.join("_metadata"),
    )
    .unwrap();
    std::fs::create_dir_all(d.join("_temporary/0/year=2024/month=3")).unwrap();
    std::fs::copy(
        fixture("by_month/year=2024/month=3/data_0.parquet"),
        d.join("_temporary/0/year=2024/month=3/part-00001.parquet"),
    )
    .unwrap();
    std::fs::write(d.join("_SUCCESS"), "").unwrap();
    std::fs::write(d.join("README"), "not data").unwrap();
    let mut all = report(d, &["--period", "all"]);
    let mut one = report(&fixture("by_month"), &["--period", "all"]);
    // The three parts are read, and only they.
    let files: Vec<String> = all[0]["data_quality"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["file"].as_str().unwrap().replace('\\', "/"))
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.iter().all(|f| f.ends_with("/000000_0")), "{files:?}");
    for period in all
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .chain(one.as_array_mut().unwrap())
    {
        period["data_quality"] = serde_json::Value::Null;
    }
    assert_eq!(all, one);
    assert_eq!(all[2]["revenue"], 100.0);
}

/// A table folder: the `by_month` parts under `data_in`, and one file of
/// the table format's own (`marker`, a path inside the folder).
fn table_folder(data_in: &str, marker: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_by_month(&dir.path().join(data_in));
    let marker = dir.path().join(marker);
    std::fs::create_dir_all(marker.parent().unwrap()).unwrap();
    std::fs::write(marker, text).unwrap();
    dir
}

/// `check` refuses the folder in one line naming the format and the way out.
fn assert_refused(dir: &Path, format: &str, scan: &str) {
    let (ok, err) = check_folder(dir);
    assert!(!ok);
    assert!(err.contains(&format!("is {format}")), "{err}");
    assert!(err.contains(&format!("{scan}(")), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn delta_and_iceberg_table_folders_are_refused_with_what_to_do() {
    // Their folders keep the files of removed rows until they are vacuumed
    // or expired: reading every file would count those rows again.
    let delta = table_folder(
        "",
        "_delta_log/00000000000000000000.json",
        "{\"commitInfo\":{}}\n",
    );
    assert_refused(delta.path(), "a Delta Lake table", "delta_scan");
    let iceberg = table_folder("data", "metadata/00001-3f2e.metadata.json", "{}");
    assert_refused(iceberg.path(), "an Iceberg table", "iceberg_scan");
    // Its data folder alone is a plain dataset.
    let (ok, err) = check_folder(&iceberg.path().join("data"));
    assert!(ok, "{err}");
}

/// (order id, day, amount) of a kept row.
type Kept = (String, String, f64);
/// A reason and the rows rejected for it.
type Rejected = (String, Vec<u64>);

/// The kept rows and the rejections.
fn kept_and_rejected(l: &Loaded) -> (Vec<Kept>, Vec<Rejected>) {
    let kept = rows(l).into_iter().map(|r| (r.3, r.1, r.2)).collect();
    let rejected = l
        .report
        .examples_by_reason
        .iter()
        .map(|(reason, lines)| (reason.clone(), lines.clone()))
        .collect();
    (kept, rejected)
}

#[test]
fn typed_amounts_with_three_decimals_are_exact_whatever_the_decimal_style() {
    // DuckDB 2.0.1: a TIMESTAMP order date and a DECIMAL(18,3) amount (one
    // null); the same rows with a DATE and a DOUBLE amount (NaN where the
    // decimal is null, infinity on the row whose date is null). As text,
    // "12.345" and "0.125" could be twelve thousand: read as text they made
    // the file fail ("cannot tell the decimal style"). Read as themselves
    // they are what the file stores, under either style.
    let expected_kept = vec![
        ("O1".to_string(), "2024-03-01".to_string(), 12.345),
        ("O2".to_string(), "2024-03-02".to_string(), 0.125),
        ("O3".to_string(), "2024-03-31".to_string(), -2.5),
    ];
    let comma = SourceOptions {
        decimal: data::parse::DecimalStyle::Comma,
        ..SourceOptions::default()
    };
    for (file, null_amount) in [
        ("decimal_amounts.parquet", "missing amount"),
        ("double_amounts.parquet", "unparseable amount"),
    ] {
        for options in [SourceOptions::default(), comma.clone()] {
            let l = load_with(&fixture(file), options);
            let (kept, rejected) = kept_and_rejected(&l);
            assert_eq!(kept, expected_kept, "{file}");
            let mut want = vec![
                (null_amount.to_string(), vec![4]),
                ("missing order_date".to_string(), vec![5]),
            ];
            want.sort();
            assert_eq!(rejected, want, "{file}");
        }
        // 12.345 + 0.125 in March to date (the refund of the 31st is after
        // the last purchase, 2 March).
        let march = report(&fixture(file), &["--period", "2024-03"]);
        assert_eq!(march["revenue"], 12.47, "{file}");
    }
}

/// An orders file as polars writes it: customer ids, the given order dates
/// and amounts.
fn write_orders(path: &Path, dates: Column, amounts: Column) {
    let n = dates.len();
    let customers: Vec<String> = (0..n).map(|i| format!("C{}", i % 3)).collect();
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new("customer_id".into(), customers),
            dates.with_name("order_date".into()),
            amounts.with_name("amount".into()),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
}

#[test]
fn typed_cells_read_as_themselves_round_and_reject_as_text_would() {
    let dir = tempfile::tempdir().unwrap();
    let day = |y, m, d| {
        holdfast::calendar::days_from_civil(y, m, d)
            - holdfast::calendar::days_from_civil(1970, 1, 1)
    };
    let secs = |y, m, d, h: i64| i64::from(day(y, m, d)) * 86_400 + h * 3600;
    // Millisecond timestamps in UTC: 23:00 on 1 May is 1 May, whatever the
    // zone the file names (a zoned timestamp counts on its UTC day).
    let stamps = Column::new(
        "t".into(),
        vec![
            Some(secs(2024, 5, 1, 23) * 1000),
            Some(secs(2024, 5, 2, 0) * 1000 + 999),
            Some(secs(2024, 5, 3, 12) * 1000),
            None,
            Some(secs(2024, 5, 4, 1) * 1000),
            // Year 10000 is no date a text cell can hold.
            Some(secs(9999, 12, 31, 0) * 1000 + 86_400_000),
        ],
    )
    .cast(&DataType::Datetime(
        TimeUnit::Milliseconds,
        Some(TimeZone::UTC),
    ))
    .unwrap();
    // A DECIMAL(20,5): half a ten-thousandth rounds away from zero, as a
    // written amount does.
    let amounts = Int128Chunked::from_slice("a".into(), &[1_234_565, -5, 4, 100_000, 250_000, 1])
        .into_decimal(20, 5)
        .unwrap()
        .into_column();
    let path = dir.path().join("ms.parquet");
    write_orders(&path, stamps, amounts);
    let (kept, rejected) = kept_and_rejected(&load(&path));
    assert_eq!(
        kept,
        vec![
            ("".to_string(), "2024-05-01".to_string(), 12.3457),
            ("".to_string(), "2024-05-02".to_string(), -0.0001),
            ("".to_string(), "2024-05-03".to_string(), 0.0),
            ("".to_string(), "2024-05-04".to_string(), 2.5),
        ]
    );
    assert_eq!(
        rejected,
        vec![
            ("missing order_date".to_string(), vec![4]),
            ("unparseable order_date".to_string(), vec![6]),
        ]
    );

    // Dates with 64-bit floats and integers (whole currency units).
    let dates = Column::new(
        "d".into(),
        vec![
            day(2024, 6, 1),
            day(2024, 6, 2),
            day(2024, 6, 3),
            day(2024, 6, 4),
        ],
    )
    .cast(&DataType::Date)
    .unwrap();
    let floats = Column::new("a".into(), vec![0.00015, 19.99, 1e300, f64::NEG_INFINITY]);
    let path = dir.path().join("floats.parquet");
    write_orders(&path, dates.clone(), floats);
    let (kept, rejected) = kept_and_rejected(&load(&path));
    // 0.00015 is what the float prints as: it rounds up, as written text would.
    assert_eq!(
        kept,
        vec![
            ("".to_string(), "2024-06-01".to_string(), 0.0002),
            ("".to_string(), "2024-06-02".to_string(), 19.99),
        ]
    );
    assert_eq!(
        rejected,
        vec![("unparseable amount".to_string(), vec![3, 4])]
    );
    let ints = Column::new("a".into(), vec![Some(5i64), Some(-3), None, Some(i64::MAX)]);
    let path = dir.path().join("ints.parquet");
    write_orders(&path, dates, ints);
    let (kept, rejected) = kept_and_rejected(&load(&path));
    assert_eq!(
        kept,
        vec![
            ("".to_string(), "2024-06-01".to_string(), 5.0),
            ("".to_string(), "2024-06-02".to_string(), -3.0),
        ]
    );
    assert_eq!(
        rejected,
        vec![
            ("missing amount".to_string(), vec![3]),
            ("unparseable amount".to_string(), vec![4]),
        ]
    );
}

#[test]
fn arrow_ipc_files_read_as_typed_parquet_does() {
    // pyarrow 26's `write_feather` (LZ4 by default, and ZSTD) of the same
    // five orders as typed.parquet: DATE, TIMESTAMP with a zone, DECIMAL,
    // BIGINT, and the region dictionary-encoded (pandas' categorical).
    let parquet = load(&fixture("typed.parquet"));
    for file in ["typed.arrow", "typed_zstd.feather"] {
        let arrow = load(&fixture(file));
        assert_eq!(arrow.report.format, "arrow", "{file}");
        assert_eq!(arrow.report.rejected_total(), 0, "{file}");
        assert_eq!(rows(&arrow), rows(&parquet), "{file}");
        let eu = report(
            &fixture(file),
            &["--period", "2024-01", "--segment", "region=EU"],
        );
        assert_eq!(eu["revenue"], 12.5, "{file}");
    }
}
