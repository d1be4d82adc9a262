//! `holdfast report` JSON on the bundled sample data, as insta snapshots: any
//! change to a number on the scriptable face shows up in review.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::process::Command;

fn report_raw(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .arg("report")
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn report(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&report_raw(args)).unwrap()
}

#[test]
fn month() {
    insta::assert_snapshot!(report_raw(&["--period", "2026-03"]));
}

#[test]
fn quarter_with_segment() {
    insta::assert_snapshot!(report_raw(&[
        "--period",
        "2026-Q2",
        "--segment",
        "plan=pro"
    ]));
}

#[test]
fn year_with_cohort_and_window() {
    insta::assert_snapshot!(report_raw(&[
        "--period",
        "2025",
        "--cohort",
        "2024-Q1",
        "--churn-window",
        "120"
    ]));
}

#[test]
fn week_without_cohort_table() {
    let mut v = report(&["--period", "2026-W10"]);
    // The weekly cohort triangle over three years is large; the month test covers cohorts.
    v["cohorts"]["rows"] = serde_json::json!(v["cohorts"]["rows"].as_array().map(|r| r.len()));
    insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn all_periods_is_an_array_over_the_data_range() {
    let v = report(&["--period", "all", "--granularity", "quarter"]);
    let labels: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["period"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels.first(), Some(&"2023-Q4"));
    assert_eq!(labels.last(), Some(&"2026-Q3"));
    assert_eq!(labels.len(), 12);
}
