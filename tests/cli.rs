//! The real binary: `check`, `sample`, `config`, help, exit codes, streams.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn holdfast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .args(args)
        .current_dir(root())
        // Keep a real user config out of the tests.
        .env("XDG_CONFIG_HOME", root().join("tests/fixtures/no-config"))
        .env("HOME", root().join("tests/fixtures/no-config"))
        // Nor write caches (fitted models included) into the source tree.
        .env("HOLDFAST_NO_CACHE", "1")
        .output()
        .expect("run holdfast")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_on_every_subcommand() {
    for sub in [&[][..], &["check"], &["report"], &["sample"], &["config"]] {
        let mut args = sub.to_vec();
        args.push("--help");
        let o = holdfast(&args);
        assert!(o.status.success(), "{args:?}");
        assert!(stdout(&o).contains("Usage: holdfast"), "{args:?}");
        assert!(
            stdout(&o).contains("--orders <FILE>"),
            "global flags shown for {args:?}"
        );
    }
}

#[test]
fn check_json_has_the_data_quality_shape() {
    let o = holdfast(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/shopify_orders.csv",
        "tests/fixtures/zendesk.csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let shopify = &v[0];
    assert_eq!(shopify["file"], "tests/fixtures/shopify_orders.csv");
    assert_eq!(shopify["source"], "orders");
    assert_eq!(shopify["kind"], "orders");
    assert_eq!(shopify["preset"], "Shopify orders");
    assert_eq!(shopify["rows"], 9);
    assert_eq!(shopify["kept"], 5);
    assert_eq!(shopify["rejected"]["not a purchase (status voided)"], 2);
    assert_eq!(shopify["examples"], serde_json::json!([5, 6, 7, 9]));
    assert_eq!(
        shopify["date_range"],
        serde_json::json!({"first": "2025-10-07", "last": "2025-10-12"})
    );
    assert_eq!(
        shopify["segments"],
        serde_json::json!([
            "Source",
            "Billing Country",
            "Tags",
            "Discount Code",
            "Currency"
        ])
    );
    assert_eq!(v[1]["source"], "tickets");
    assert_eq!(v[1]["preset"], "Zendesk tickets");
}

#[test]
fn check_text_lists_reasons_with_lines() {
    let o = holdfast(&["check", "--orders", "tests/fixtures/eu_orders.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("rows:      8 read, 3 kept, 5 rejected"),
        "{out}"
    );
    assert!(
        out.contains("    unparseable order_date: 1 (line 7)"),
        "{out}"
    );
    assert!(
        out.contains("  dates:     2024-01-31 .. 2024-02-15"),
        "{out}"
    );
    assert!(out.contains("  segments:  country"), "{out}");
}

#[test]
fn check_fails_when_a_file_is_rejected_whole() {
    let o = holdfast(&[
        "check",
        "tests/fixtures/generic_orders.csv",
        "tests/fixtures/bad/empty.csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(
            "tests/fixtures/bad/empty.csv\n  error: tests/fixtures/bad/empty.csv: the file is empty"
        ),
        "{out}"
    );
    assert!(
        out.contains("tests/fixtures/generic_orders.csv\n  kind:      orders"),
        "{out}"
    );
    let o = holdfast(&[
        "check",
        "--format",
        "json",
        "--feedback",
        "tests/fixtures/bad/feedback_ambiguous_survey.csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["source"], "feedback");
    assert!(
        v[0]["error"]
            .as_str()
            .unwrap()
            .contains("cannot tell which survey")
    );
}

#[test]
fn check_defaults_to_the_bundled_sample() {
    let o = holdfast(&["check", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let files: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        vec![
            "sample-data/orders.csv",
            "sample-data/feedback.csv",
            "sample-data/tickets.csv"
        ]
    );
    for e in v.as_array().unwrap() {
        assert_eq!(e["rows"], e["kept"], "the sample loads clean: {e}");
        assert!(e["rows"].as_u64().unwrap() > 1000);
    }
}

#[test]
fn run_without_command_reports_the_sample_load() {
    let o = holdfast(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("sample-data/orders.csv\n  kind:      orders (csv)"));
}

#[test]
fn orders_are_required_when_sources_are_named() {
    let o = holdfast(&["--tickets", "tests/fixtures/zendesk.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no orders file"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
}

#[test]
fn config_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[orders]\npaht = \"x.csv\"\n").unwrap();
    let o = holdfast(&["--config", bad.to_str().unwrap(), "check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown field `paht`"),
        "{}",
        stderr(&o)
    );
    let missing = dir.path().join("nope.toml");
    let o = holdfast(&["--config", missing.to_str().unwrap(), "check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("nope.toml: cannot read the config file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn config_file_sources_and_mappings_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("holdfast.toml");
    let orders = root().join("tests/fixtures/bad/missing_column.csv");
    std::fs::write(
        &cfg,
        format!(
            "[orders]\npath = {:?}\n[orders.columns]\namount = \"totl\"\n",
            orders.to_str().unwrap()
        ),
    )
    .unwrap();
    let o = holdfast(&[
        "--config",
        cfg.to_str().unwrap(),
        "check",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["preset"], "header names + config");
    assert_eq!(v[0]["kept"], 1);
}

#[test]
fn print_default_config_is_valid() {
    let o = holdfast(&["config", "--print-default"]);
    assert!(o.status.success());
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, stdout(&o)).unwrap();
    let o = holdfast(&["--config", cfg.to_str().unwrap(), "config"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("valid"));
}

#[test]
fn sample_is_deterministic_and_is_what_is_bundled() {
    let dir = tempfile::tempdir().unwrap();
    let out: PathBuf = dir.path().join("s");
    let o = holdfast(&["sample", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["orders.csv", "feedback.csv", "tickets.csv"] {
        let made = std::fs::read(out.join(f)).unwrap();
        let bundled = std::fs::read(root().join("sample-data").join(f)).unwrap();
        assert!(
            made == bundled,
            "sample-data/{f} is not what `holdfast sample` writes"
        );
    }
    let other = dir.path().join("t");
    let o = holdfast(&[
        "sample",
        "--customers",
        "30",
        "--seed",
        "7",
        "--out",
        other.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let again = dir.path().join("u");
    holdfast(&[
        "sample",
        "--customers",
        "30",
        "--seed",
        "7",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(other.join("orders.csv")).unwrap(),
        std::fs::read(again.join("orders.csv")).unwrap()
    );
}

#[test]
fn a_file_too_big_for_memory_is_refused_with_a_clear_message() {
    let o = Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .args([
            "--no-cache",
            "--orders",
            "tests/fixtures/generic_orders.csv",
            "report",
            "--period",
            "2024-03",
        ])
        .current_dir(root())
        .env("HOLDFAST_MEMORY_AVAILABLE", "100")
        .env("HOME", "/nonexistent")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let size = std::fs::metadata(root().join("tests/fixtures/generic_orders.csv"))
        .unwrap()
        .len();
    let want = format!(
        "tests/fixtures/generic_orders.csv: the file is {size} bytes; loading it needs about {} bytes of memory and 100 bytes is available",
        size * 4
    );
    assert!(err.contains(&want), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn report_refuses_periods_outside_the_data() {
    // The bundled sample runs from 2023-10-01 to 2026-09-30.
    for (label, message) in [
        (
            "2030-01",
            "holdfast: 2030-01 starts after the data's last day, 2026-09-30: it holds no data (the data runs from 2023-10-01 to 2026-09-30)",
        ),
        (
            "2023-Q2",
            "holdfast: 2023-Q2 ends before the data's first day, 2023-10-01: it holds no data (the data runs from 2023-10-01 to 2026-09-30)",
        ),
    ] {
        let o = holdfast(&["report", "--period", label]);
        assert_eq!(o.status.code(), Some(2), "{label}");
        assert_eq!(stderr(&o).trim(), message);
        assert!(stdout(&o).is_empty());
    }
    // The periods at both edges hold data.
    for label in ["2023-10", "2026-09", "2026", "2023-W40"] {
        let o = holdfast(&["report", "--period", label]);
        assert_eq!(o.status.code(), Some(0), "{label}: {}", stderr(&o));
    }
    // `--period all` runs from the first order's period to the one holding the last day.
    let o = holdfast(&["report", "--period", "all", "--granularity", "quarter"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let labels: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["period"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels.first(), Some(&"2023-Q4"));
    assert_eq!(labels.last(), Some(&"2026-Q3"));
    assert_eq!(labels.len(), 12);
}

/// The bundled sample ends on Wed 2026-09-30: the year 2026 and the week
/// 2026-W40 are counted to date and compared with the same days before.
#[test]
fn periods_holding_the_last_day_are_counted_to_date() {
    let json = |label: &str| -> serde_json::Value {
        let o = holdfast(&["report", "--period", label]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let y = json("2026");
    assert_eq!(y["period"]["end"], "2026-12-31");
    assert_eq!(y["period"]["to_date"], "2026-09-30");
    // Customers who bought within the window are in the base at the close of
    // Sep 30, not lapsed by Dec 31.
    assert!(y["customers"]["end"].as_u64().unwrap() > 0);
    assert!(y["retained_rate"].as_f64().unwrap() > 0.0);
    assert_eq!(y["previous"]["period"]["label"], "2025");
    assert_eq!(y["previous"]["period"]["to_date"], "2025-09-30");
    assert_eq!(y["year_ago"]["period"]["to_date"], "2025-09-30");
    let w = json("2026-W40");
    assert_eq!(
        (
            &w["period"]["start"],
            &w["period"]["end"],
            &w["period"]["to_date"]
        ),
        (
            &serde_json::json!("2026-09-28"),
            &serde_json::json!("2026-10-04"),
            &serde_json::json!("2026-09-30")
        )
    );
    // Monday to Wednesday of the week before, and of week 40 a year ago.
    assert_eq!(w["previous"]["period"]["to_date"], "2026-09-23");
    assert_eq!(w["year_ago"]["period"]["label"], "2025-W40");
    assert_eq!(w["year_ago"]["period"]["to_date"], "2025-10-01");
    // September ends on the last day: a whole month.
    assert!(json("2026-09")["period"]["to_date"].is_null());
    let table = holdfast(&["report", "--period", "2026", "--format", "table"]);
    assert!(
        stdout(&table).starts_with(
            "2026 (year 2026-01-01 .. 2026-12-31, to date 2026-09-30, compared day for day)"
        ),
        "{}",
        stdout(&table)
    );
}

#[test]
fn a_segment_value_no_order_has_is_an_error_naming_the_values() {
    let o = holdfast(&["report", "--period", "2026-03", "--segment", "plan=gold"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "holdfast: --segment plan=gold: no order has plan = gold; its values are basic, plus, pro"
    );
}

#[test]
fn the_table_reads_like_the_screen_amounts_grouped_and_nps_in_points() {
    let o = holdfast(&["report", "--period", "2026-03", "--format", "table"]);
    let out = stdout(&o);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line in {out}"))
            .to_string()
    };
    assert!(
        line("Revenue  ").contains("48,534.33"),
        "{}",
        line("Revenue  ")
    );
    assert!(line("MRR").contains("72,438.22"));
    assert!(line("NPS").contains(" pts"), "{}", line("NPS"));
    // CES is a mean on its scale: it moves in points too, as on screen.
    assert!(line("CES").contains(" pts"), "{}", line("CES"));
    assert!(line("CRR").contains(" pp"));
}

#[test]
fn the_markdown_summary_lists_five_alerts_and_counts_the_rest() {
    let summary = stdout(&holdfast(&[
        "report", "--period", "2026-03", "--format", "markdown",
    ]));
    let bullets = summary.lines().filter(|l| l.starts_with("- **")).count();
    assert_eq!(bullets, 5, "{summary}");
    // Short enough to paste into a chat: the headline KPIs with their changes
    // lead, every KPI is in `--format table`.
    assert!(summary.lines().count() <= 30, "{summary}");
    let rows: Vec<&str> = summary
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| KPI"))
        .map(|l| l.split(" | ").next().unwrap_or_default())
        .collect();
    assert_eq!(
        rows,
        [
            "| Retention (retained share)",
            "| Churn rate",
            "| Customers at end",
            "| New customers",
            "| Lost",
            "| Revenue",
            "| MRR",
            "| Net revenue retention",
            "| NPS",
            "| CSAT",
            "| First response (h, median)",
            "| Backlog"
        ]
    );
    assert!(
        summary.contains("- … and 11 more (`holdfast report --alerts-only`)"),
        "{summary}"
    );
    let all = stdout(&holdfast(&[
        "report",
        "--period",
        "2026-03",
        "--format",
        "markdown",
        "--alerts-only",
    ]));
    assert_eq!(all.lines().filter(|l| l.starts_with("- **")).count(), 16);
}

#[test]
fn the_dashboards_period_before_a_command_is_that_commands_period() {
    let before = holdfast(&["--period", "2026-03", "report", "--format", "json"]);
    let after = holdfast(&["report", "--period", "2026-03", "--format", "json"]);
    assert!(before.status.success(), "{}", stderr(&before));
    assert_eq!(stdout(&before), stdout(&after));
    assert!(stdout(&before).contains("\"label\": \"2026-03\""));
    let two = holdfast(&["--period", "2026-03", "report", "--period", "2026-04"]);
    assert_eq!(two.status.code(), Some(2));
    assert!(
        stderr(&two).contains("two periods given"),
        "{}",
        stderr(&two)
    );
    // (Into a temporary folder, should the check ever let them through.)
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_string_lossy().into_owned();
    let sample = holdfast(&["--period", "2026-03", "sample", "--out", &out]);
    assert_eq!(sample.status.code(), Some(2));
    assert!(stderr(&sample).contains("--period does nothing with `holdfast sample`"));
    let orders = holdfast(&["sample", "--orders", "x.csv", "--out", &out]);
    assert_eq!(orders.status.code(), Some(2));
    assert!(stderr(&orders).contains("--orders does nothing with `holdfast sample`"));
    // report --help no longer offers --demo (it did nothing there).
    assert!(!stdout(&holdfast(&["report", "--help"])).contains("--demo"));
    let demo = holdfast(&["--demo", "report"]);
    assert_eq!(demo.status.code(), Some(2));
    assert!(stderr(&demo).contains("--demo opens the dashboard"));
}

/// `report --list SET`: the customers behind each count, as CSV and JSON.
/// Worked by hand with a 60-day churn window for March 2024: S (active on
/// Feb 29) = c1, c2; E (active on Mar 31) = c1, c3, c4; c3 is new; c4 lapsed
/// in 2023 and came back.
#[test]
fn report_lists_the_customers_behind_each_count() {
    let dir = tempfile::tempdir().unwrap();
    let orders = dir.path().join("orders.csv");
    std::fs::write(
        &orders,
        "customer_id,order_date,amount\n\
         c1,2024-01-10,10.00\nc1,2024-03-05,25.50\n\
         c2,2024-01-20,40.00\n\
         c3,2024-03-10,7.25\n\
         c4,2023-06-01,100.00\nc4,2024-03-20,12.00\n",
    )
    .unwrap();
    let orders = orders.to_string_lossy().into_owned();
    let list = |set: &str| -> Vec<String> {
        let o = holdfast(&[
            "--no-cache",
            "--orders",
            &orders,
            "report",
            "--period",
            "2024-03",
            "--churn-window",
            "60",
            "--list",
            set,
            "--format",
            "csv",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).lines().skip(1).map(String::from).collect()
    };
    let ids = |set: &str| -> Vec<String> {
        list(set)
            .iter()
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    };
    // By revenue in the period, highest first.
    assert_eq!(ids("start"), ["c1", "c2"]);
    assert_eq!(ids("end"), ["c1", "c4", "c3"]);
    assert_eq!(ids("new"), ["c3"]);
    assert_eq!(ids("retained"), ["c1"]);
    assert_eq!(ids("lost"), ["c2"]);
    assert_eq!(ids("won_back"), ["c4"]);
    assert!(ids("detractors").is_empty());
    assert_eq!(
        list("won_back"),
        ["c4,2023-06-01,2024-03-20,12.00,112.00,,0"]
    );
    assert_eq!(list("lost"), ["c2,2024-01-20,2024-01-20,0.00,40.00,,0"]);
    // JSON carries the same rows.
    let o = holdfast(&[
        "--no-cache",
        "--orders",
        &orders,
        "report",
        "--period",
        "2024-03",
        "--churn-window",
        "60",
        "--list",
        "end",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json[0]["customer_id"], "c1");
    assert_eq!(json[0]["revenue"], 25.5);
    assert_eq!(json[0]["lifetime_revenue"], 35.5);
    assert_eq!(json[2]["first_order"], "2024-03-10");
    // A set that does not exist, or a table, is an error naming the choices.
    let bad = holdfast(&["report", "--list", "gone", "--format", "csv"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("one of start, end, new"),
        "{}",
        stderr(&bad)
    );
    let table = holdfast(&["report", "--list", "lost", "--format", "table"]);
    assert_eq!(table.status.code(), Some(2));
}

/// On the bundled sample, with and without filters: every list is as long as
/// the count the report gives for it.
#[test]
fn every_list_is_as_long_as_its_count() {
    for filters in [
        &[][..],
        &["--segment", "plan=pro"],
        &["--cohort", "2025-01"],
    ] {
        let mut args = vec!["report", "--period", "2026-03", "--format", "json"];
        args.extend_from_slice(filters);
        let report: serde_json::Value = serde_json::from_slice(&holdfast(&args).stdout).unwrap();
        let customers = &report["customers"];
        for (set, want) in [
            ("start", customers["start"].as_u64().unwrap()),
            ("end", customers["end"].as_u64().unwrap()),
            ("new", customers["new"].as_u64().unwrap()),
            ("retained", customers["retained"].as_u64().unwrap()),
            ("won_back", customers["won_back"].as_u64().unwrap()),
            ("lost", customers["lost"].as_u64().unwrap()),
            (
                "at_risk",
                report["churn_risk"].as_array().unwrap().len() as u64,
            ),
        ] {
            let mut list = args.clone();
            list.extend(["--list", set]);
            let rows: serde_json::Value = serde_json::from_slice(&holdfast(&list).stdout).unwrap();
            assert_eq!(
                rows.as_array().unwrap().len() as u64,
                want,
                "{set} with {filters:?}"
            );
        }
    }
}
