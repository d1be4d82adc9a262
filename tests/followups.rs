//! Follow-up lists and alert actions (`[[followups]]`, `[alerts] run`),
//! against tests/fixtures/followups (its README works the lists out by hand).

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use holdfast::data::{self, Dataset, Scales, SourceKind, SourceOptions, SourceSpec, Sources};
use holdfast::metrics::followups::{FollowupList, FollowupRule};
use holdfast::metrics::{Engine, Period, Query};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(f: &str) -> PathBuf {
    root().join("tests/fixtures/followups").join(f)
}

fn dataset() -> Dataset {
    let spec = |k, f| SourceSpec::path(k, &fixture(f), SourceOptions::default());
    data::load(
        &Sources::new(
            spec(SourceKind::Orders, "orders.csv"),
            Some(spec(SourceKind::Feedback, "feedback.csv")),
            Some(spec(SourceKind::Tickets, "tickets.csv")),
        ),
        Scales::default(),
    )
    .unwrap()
}

fn rules() -> Vec<FollowupRule> {
    vec![
        FollowupRule {
            name: Some("thank-you".into()),
            after_purchase_days: Some(7),
            ..FollowupRule::default()
        },
        FollowupRule {
            name: Some("detractors".into()),
            detractor_no_ticket: true,
            ..FollowupRule::default()
        },
        FollowupRule {
            at_risk: true,
            ..FollowupRule::default()
        },
    ]
}

fn lists(ds: &Dataset, q: &Query) -> Vec<FollowupList> {
    let engine = Engine::new(ds);
    let s = engine.compute(q).unwrap();
    engine.followups(q, &s.churn_risk, &rules()).unwrap()
}

fn ids(l: &FollowupList) -> Vec<&str> {
    l.customers.iter().map(|f| f.customer_id.as_str()).collect()
}

#[test]
fn each_rule_at_its_boundaries() {
    let ds = dataset();
    let q = Query::new(Period::parse("2024-05").unwrap());
    let l = lists(&ds, &q);
    assert_eq!(l.len(), 3);
    assert_eq!(l[0].rule, "thank-you");
    assert_eq!(
        ids(&l[0]),
        ["a@example.com", "e@example.com", "f@example.com"]
    );
    let a = &l[0].customers[0];
    assert_eq!(a.due, "2024-05-31");
    assert_eq!(a.email.as_deref(), Some("a@example.com"));
    assert_eq!(a.reason, "bought on 2024-05-24, no survey answer since");
    assert_eq!(l[1].rule, "detractors");
    assert_eq!(ids(&l[1]), ["g@example.com", "k@example.com"]);
    assert_eq!(
        (
            l[1].customers[0].due.as_str(),
            l[1].customers[0].reason.as_str()
        ),
        ("2024-05-10", "NPS 3 on 2024-05-10, no ticket since")
    );
    // The default name of a rule without one; the churn-risk list as it is.
    assert_eq!(l[2].rule, "at_risk");
    let engine = Engine::new(&ds);
    let risk: Vec<String> = engine
        .compute(&q)
        .unwrap()
        .churn_risk
        .iter()
        .map(|r| r.customer_id.clone())
        .collect();
    let mut listed: Vec<String> = ids(&l[2]).into_iter().map(String::from).collect();
    listed.sort();
    let mut risk_sorted = risk.clone();
    risk_sorted.sort();
    assert_eq!(listed, risk_sorted);
    assert!(
        l[2].customers
            .iter()
            .all(|f| f.due.as_str() <= "2024-05-31")
    );
    // An id that is not an e-mail has none.
    assert!(
        l.iter()
            .flat_map(|l| &l.customers)
            .all(|f| f.email.is_some() == f.customer_id.contains('@'))
    );
}

#[test]
fn a_day_earlier_the_thank_you_list_moves() {
    let ds = dataset();
    // The week of May 27–31 (to date: R = May 31) and April: nobody bought on April 23.
    let week = lists(&ds, &Query::new(Period::parse("2024-W22").unwrap()));
    assert_eq!(
        ids(&week[0]),
        ["a@example.com", "e@example.com", "f@example.com"]
    );
    // No detractor answered in that week.
    assert!(week[1].customers.is_empty());
    let april = lists(&ds, &Query::new(Period::parse("2024-04").unwrap()));
    assert!(april[0].customers.is_empty());
    // j answered 5 on April 28 and opened no ticket: due in April.
    assert_eq!(ids(&april[1]), ["j@example.com"]);
}

#[test]
fn filters_apply() {
    let ds = dataset();
    let mut q = Query::new(Period::parse("2024-05").unwrap());
    q.segment = Some(("plan".into(), "pro".into()));
    let l = lists(&ds, &q);
    assert_eq!(ids(&l[0]), ["f@example.com"]);
    assert_eq!(ids(&l[1]), ["k@example.com"]);
    q.segment = None;
    q.cohort = Some(Period::parse("2024-03").unwrap());
    let l = lists(&ds, &q);
    assert!(l[0].customers.is_empty());
    assert_eq!(ids(&l[1]), ["g@example.com", "k@example.com"]);
}

#[test]
fn rules_are_checked_when_the_config_is_read() {
    let bad = [
        ("[[followups]]\nname = \"x\"\n", "give exactly one of"),
        (
            "[[followups]]\nat_risk = true\ndetractor_no_ticket = true\n",
            "give exactly one of",
        ),
        ("[[followups]]\nafter_purchase_days = 0\n", "at least 1"),
        (
            "[[followups]]\nat_risk = true\n[[followups]]\nat_risk = true\n",
            "two lists are named `at_risk`",
        ),
        ("[[followups]]\nafter = 7\n", "unknown field `after`"),
        ("[alerts]\nrun = [\"\"]\n", "the first item is the program"),
        (
            "[alerts]\nrun_timeout_secs = 0\n",
            "run_timeout_secs must be 1 to 3600",
        ),
    ];
    for (text, want) in bad {
        let err = holdfast::config::Config::parse("c.toml", text, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{text}: {err}");
    }
}

// ---------- the command line ----------

const CONFIG: &str = r#"
[[followups]]
name = "thank-you"
after_purchase_days = 7

[[followups]]
name = "detractors"
detractor_no_ticket = true
"#;

fn holdfast(dir: &Path, config: &str, args: &[&str]) -> Output {
    let cfg = dir.join("holdfast.toml");
    std::fs::write(&cfg, config).unwrap();
    let o = fixture("orders.csv");
    let f = fixture("feedback.csv");
    let t = fixture("tickets.csv");
    let mut all: Vec<&str> = vec![
        "--config",
        cfg.to_str().unwrap(),
        "--orders",
        o.to_str().unwrap(),
        "--feedback",
        f.to_str().unwrap(),
        "--tickets",
        t.to_str().unwrap(),
        "--no-cache",
    ];
    all.extend(args);
    Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .args(&all)
        .current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("none"))
        .output()
        .unwrap()
}

#[test]
fn followups_command_writes_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let o = holdfast(dir.path(), CONFIG, &["followups"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "rule,customer_id,email,due,reason\n\
         thank-you,a@example.com,a@example.com,2024-05-31,\"bought on 2024-05-24, no survey answer since\"\n\
         thank-you,e@example.com,e@example.com,2024-05-31,\"bought on 2024-05-24, no survey answer since\"\n\
         thank-you,f@example.com,f@example.com,2024-05-31,\"bought on 2024-05-24, no survey answer since\"\n\
         detractors,g@example.com,g@example.com,2024-05-10,\"NPS 3 on 2024-05-10, no ticket since\"\n\
         detractors,k@example.com,k@example.com,2024-05-15,\"NPS 6 on 2024-05-15, no ticket since\"\n"
    );
    let o = holdfast(
        dir.path(),
        CONFIG,
        &["followups", "--rule", "detractors", "--format", "json"],
    );
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["customer_id"], "g@example.com");
    assert_eq!(rows[0]["due"], "2024-05-10");
    assert_eq!(rows[1]["rule"], "detractors");
    // An unknown list, and no lists at all: one line each, exit 2.
    let o = holdfast(dir.path(), CONFIG, &["followups", "--rule", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("no such list; the config has thank-you, detractors")
    );
    let o = holdfast(dir.path(), "", &["followups"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no follow-up lists in the config"));
}

/// A script that records its arguments and standard input, then behaves as told.
fn recorder(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("notify.sh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"{d}/args\"\ncat > \"{d}/stdin\"\n{body}\n",
            d = dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn alerts_config(script: &Path, extra: &str) -> String {
    format!(
        "[alerts]\nticket_open_hours = 48\nkpi_off_goal = false\nnps_drop = false\nchurn_rising_periods = 0\nat_risk_revenue = 0\nrun = [\"{}\", \"--channel\", \"support; rm -rf $HOME\", \"*\"]\n{extra}",
        script.display()
    )
}

#[test]
fn the_alert_action_gets_the_alerts_and_no_shell() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script = recorder(d, "echo sent >&2");
    // Tickets T1 and T2 were solved within 48 h: nothing fires in May → not run.
    let o = holdfast(
        d,
        &alerts_config(&script, ""),
        &["report", "--period", "2024-05", "--alerts-only"],
    );
    assert!(o.status.success());
    assert!(!d.join("stdin").exists(), "run although nothing fired");
    // An unsolved ticket fires: the action gets exactly the JSON printed.
    let tickets = d.join("open.csv");
    std::fs::write(
        &tickets,
        "ticket_id,created_at,solved_at,customer_id,category\nT9,2024-05-20T10:00:00,,a@example.com,billing\n",
    )
    .unwrap();
    let cfg = d.join("holdfast.toml");
    std::fs::write(&cfg, alerts_config(&script, "")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .args(["--config", cfg.to_str().unwrap(), "--no-cache"])
        .args(["--orders", fixture("orders.csv").to_str().unwrap()])
        .args(["--tickets", tickets.to_str().unwrap()])
        .args([
            "report",
            "--period",
            "2024-05",
            "--alerts-only",
            "--exit-code",
        ])
        .current_dir(d)
        .env("HOME", d)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sent: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("stdin")).unwrap()).unwrap();
    assert_eq!(sent, printed);
    assert_eq!(sent["alerts"][0]["ticket_id"], "T9");
    // Each argument as given: no word splitting, no globbing, no `;`.
    assert_eq!(
        std::fs::read_to_string(d.join("args")).unwrap(),
        "--channel\nsupport; rm -rf $HOME\n*\n"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("alert action"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ran"));

    // A failing action: its status and stderr reported, exit 3.
    let failing = recorder(d, "echo 'webhook said 500' >&2; exit 7");
    std::fs::write(&cfg, alerts_config(&failing, "")).unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_holdfast"))
            .args(["--config", cfg.to_str().unwrap(), "--no-cache"])
            .args(["--orders", fixture("orders.csv").to_str().unwrap()])
            .args(["--tickets", tickets.to_str().unwrap()])
            .args(["report", "--period", "2024-05", "--alerts-only"])
            .current_dir(d)
            .env("HOME", d)
            .output()
            .unwrap()
    };
    let o = run();
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("failed (exit 7): webhook said 500"), "{err}");

    // A hanging action: killed at the limit (with what it started), reported.
    let hanging = recorder(d, "sleep 30");
    std::fs::write(&cfg, alerts_config(&hanging, "run_timeout_secs = 1\n")).unwrap();
    let started = std::time::Instant::now();
    let o = run();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "not killed at the limit"
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("still running after 1 s: killed"));

    // A program that does not exist.
    std::fs::write(&cfg, alerts_config(&d.join("missing"), "")).unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("could not start"));
}

#[test]
fn the_dashboard_runs_the_action_only_when_asked_and_once_per_alert_set() {
    use holdfast::app::worker::{self, Reply, Watch};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script = recorder(d, "");
    let ds = dataset();
    let engine = Engine::new(&ds);
    let q = Query::new(Period::parse("2024-05").unwrap());
    let mut rules = holdfast::metrics::alerts::AlertRules {
        run: vec![script.to_str().unwrap().to_string()],
        ..Default::default()
    };
    // An alert to send: a goal far off track.
    let goals = holdfast::metrics::goals::parse(&toml::from_str("buyers = 1000").unwrap()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let watch = |rules| Watch {
        goals: goals.clone(),
        rules,
        ..Default::default()
    };
    let off = watch(rules.clone());
    let view = worker::view(&engine, 0, &q, &off).unwrap();
    assert!(!view.alerts.is_empty());
    worker::run_alert_action(&tx, &view, &off);
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(500))
            .is_err()
    );
    assert!(!d.join("stdin").exists(), "run without run_from_dashboard");
    rules.run_from_dashboard = true;
    let on = watch(rules);
    worker::run_alert_action(&tx, &view, &on);
    match rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap() {
        Reply::Status(line) => assert!(line.contains("ran"), "{line}"),
        _ => panic!("expected a status line"),
    }
    let sent: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("stdin")).unwrap()).unwrap();
    assert_eq!(sent["alerts"][0]["rule"], "kpi_off_goal");
    // The same alerts again: not sent twice.
    worker::run_alert_action(&tx, &view, &on);
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(500))
            .is_err()
    );
}
