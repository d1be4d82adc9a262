//! Goals and alerts: config fixtures (valid, and invalid with the key named),
//! each alert rule fired and not fired on tiny fixtures worked out by hand,
//! goal status at the boundaries, and `report --alerts-only --exit-code`.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use holdfast::config::Config;
use holdfast::data::{self, Dataset, Scales, SourceKind, SourceOptions, SourceSpec, Sources};
use holdfast::metrics::alerts::{Alert, AlertRules, Rule, Severity};
use holdfast::metrics::goals::{self, Direction, GoalKpi, GoalState};
use holdfast::metrics::{Engine, Period, Query, Report};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(path: &str) -> PathBuf {
    root().join("tests/fixtures").join(path)
}

fn spec(kind: SourceKind, path: &str) -> SourceSpec {
    SourceSpec::path(kind, &fixture(path), SourceOptions::default())
}

fn memory(kind: SourceKind, name: &str, text: &str) -> SourceSpec {
    SourceSpec::memory(kind, name, text.to_string())
}

fn load(orders: SourceSpec, feedback: Option<SourceSpec>, tickets: Option<SourceSpec>) -> Dataset {
    let sources = Sources::new(orders, feedback, tickets);
    data::load(&sources, Scales::default()).unwrap()
}

fn query(label: &str, w: Option<u32>) -> Query {
    let mut q = Query::new(Period::parse(label).unwrap());
    q.churn_window = w;
    q
}

/// Every rule off; tests switch on the one they check.
fn off() -> AlertRules {
    AlertRules {
        ticket_open_hours: 0.0,
        kpi_off_goal: false,
        off_goal_periods: 1,
        nps_drop: false,
        churn_rising_periods: 0,
        at_risk_revenue: 0.0,
        ..AlertRules::default()
    }
}

fn report(ds: &Dataset, q: &Query, goals_toml: &str, rules: &AlertRules) -> Report {
    report_with(ds, q, goals_toml, rules, Default::default())
}

fn report_with(
    ds: &Dataset,
    q: &Query,
    goals_toml: &str,
    rules: &AlertRules,
    settings: holdfast::metrics::Settings,
) -> Report {
    let engine = Engine::with_settings(ds, settings);
    let goals = goals::parse(&toml::from_str(goals_toml).unwrap()).unwrap();
    let snapshot = engine.compute(q).unwrap();
    Report::new(&engine, q, snapshot, &goals, rules)
}

fn summary(alerts: &[Alert]) -> Vec<(Rule, Severity, String)> {
    alerts
        .iter()
        .map(|a| (a.rule, a.severity, a.message.clone()))
        .collect()
}

// ---------- config ----------

fn parse_fixture(name: &str) -> Result<Config, String> {
    let path = fixture(&format!("config/{name}"));
    let text = std::fs::read_to_string(&path).unwrap();
    Config::parse(name, &text, None).map_err(|e| e.to_string())
}

#[test]
fn valid_goals_and_alerts_config() {
    let c = parse_fixture("goals_valid.toml").unwrap();
    let g = c.goals();
    assert_eq!(g.len(), 5);
    let pro = g.iter().find(|g| g.segment.is_some()).unwrap();
    assert_eq!(
        (pro.kpi, pro.segment.clone(), pro.target, pro.direction),
        (
            GoalKpi::RetentionRate,
            Some(("plan".into(), "pro".into())),
            90.0,
            Direction::Min
        )
    );
    let fr = g
        .iter()
        .find(|g| g.kpi == GoalKpi::FirstResponseHours)
        .unwrap();
    assert_eq!(
        (fr.target, fr.direction, fr.tolerance),
        (4.0, Direction::Max, 1.0)
    );
    assert_eq!(c.alerts.ticket_open_hours, 24.0);
    assert_eq!(c.alerts.at_risk_revenue, 500.0);
    // Unset rules keep their defaults.
    assert!(c.alerts.nps_drop && c.alerts.kpi_off_goal);
    assert_eq!(c.alerts.churn_rising_periods, 3);
}

#[test]
fn invalid_goals_and_alerts_name_the_key() {
    let cases = [
        (
            "goals_unknown_kpi.toml",
            "goals.retention: unknown KPI `retention`",
        ),
        (
            "goals_wrong_type.toml",
            "goals.nps: expected a number, found string",
        ),
        (
            "goals_both_bounds.toml",
            "goals.churn_rate: give either min or max, not both",
        ),
        (
            "goals_segment_unknown_kpi.toml",
            "goals.\"plan=pro\".nsp: unknown KPI `nsp`",
        ),
        ("alerts_unknown_key.toml", "ticket_open_hour"),
        (
            "alerts_negative.toml",
            "alerts.ticket_open_hours must be a number ≥ 0",
        ),
        ("alerts_wrong_type.toml", "nps_drop"),
    ];
    for (file, expected) in cases {
        let err = parse_fixture(file).unwrap_err();
        assert!(err.starts_with(file), "{file}: {err}");
        assert!(err.contains(expected), "{file}: {err}");
    }
}

// ---------- goals ----------

/// The metrics fixture, March 2024 with W = 30 (tests/metrics.rs): S = 2,
/// E = 5, N_end = 3, lost = 1 → retention (5 − 3) / 2 = 100 %, churn 50 %.
#[test]
fn goal_status_at_the_boundaries_on_real_kpis() {
    let ds = load(spec(SourceKind::Orders, "metrics/orders.csv"), None, None);
    let q = query("2024-03", Some(30));
    let r = report(
        &ds,
        &q,
        r#"
        retention_rate = 100
        churn_rate = { max = 50 }
        repeat_purchase_rate = { min = 101, tolerance = 0 }
        nps = 10
        "#,
        &off(),
    );
    let by: Vec<(&str, Option<f64>, Option<f64>, GoalState)> = r
        .goals
        .iter()
        .map(|g| (g.kpi, g.value, g.gap, g.status))
        .collect();
    // Goals come in key order (the config table is sorted).
    assert_eq!(by[0].0, "churn_rate");
    assert_eq!(
        (by[0].1, by[0].2, by[0].3),
        (Some(50.0), Some(0.0), GoalState::OnTrack)
    );
    // No feedback loaded: NPS has no value.
    assert_eq!((by[1].0, by[1].3), ("nps", GoalState::NoData));
    assert_eq!(by[1].2, None);
    assert_eq!(by[2].0, "repeat_purchase_rate");
    assert_eq!(by[2].3, GoalState::OffTrack);
    assert_eq!(
        (by[3].0, by[3].1, by[3].3),
        ("retention_rate", Some(100.0), GoalState::OnTrack)
    );

    // Churn 50 % against ≤ 46 (tolerance 4.6): short by 4 → at risk; against ≤ 45.4 (short by
    // 4.6 = the tolerance of 4.54? no: 10 % of 45.4 is 4.54 < 4.6) → off track.
    let r = report(&ds, &q, "churn_rate = { max = 46 }", &off());
    assert_eq!(r.goals[0].status, GoalState::AtRisk);
    assert!((r.goals[0].gap.unwrap() + 4.0).abs() < 1e-9);
    let r = report(&ds, &q, "churn_rate = { max = 45.4 }", &off());
    assert_eq!(r.goals[0].status, GoalState::OffTrack);
    // Six periods of gap history, the last one this period's.
    assert_eq!(r.goals[0].gap_history.len(), 6);
    assert_eq!(
        r.goals[0].gap_history.last().copied().flatten(),
        r.goals[0].gap
    );
}

#[test]
fn segment_goals_use_their_segment() {
    // The metrics fixture's segment column `plan`: March 2024 for plan=basic vs the whole base.
    let ds = load(spec(SourceKind::Orders, "metrics/orders.csv"), None, None);
    let q = query("2024-03", Some(30));
    let r = report(
        &ds,
        &q,
        "retention_rate = 1\n\"plan=basic\".retention_rate = 1\n\"plan=nope\".retention_rate = 1",
        &off(),
    );
    let mut q_basic = q.clone();
    q_basic.segment = Some(("plan".into(), "basic".into()));
    let basic = holdfast::metrics::compute(&ds, &q_basic).unwrap();
    let seg = r
        .goals
        .iter()
        .find(|g| g.segment.as_deref() == Some("plan=basic"))
        .unwrap();
    assert_eq!(seg.value, basic.kpis.retention_rate);
    let all = r.goals.iter().find(|g| g.segment.is_none()).unwrap();
    assert_eq!(all.value, Some(100.0));
    // A segment value the data does not have: no data, not an error.
    let nope = r
        .goals
        .iter()
        .find(|g| g.segment.as_deref() == Some("plan=nope"))
        .unwrap();
    assert_eq!(nope.status, GoalState::NoData);
}

// ---------- alert rules ----------

/// tests/fixtures/alerts/README.md: T1 open 49 h and T4 open 7 days at Apr 1 00:00.
#[test]
fn ticket_open_longer_than_48_hours() {
    let ds = load(
        spec(SourceKind::Orders, "alerts/orders.csv"),
        None,
        Some(spec(SourceKind::Tickets, "alerts/tickets.csv")),
    );
    let q = query("2024-03", Some(30));
    let rules = AlertRules {
        ticket_open_hours: 48.0,
        ..off()
    };
    let r = report(&ds, &q, "", &rules);
    assert_eq!(
        summary(&r.alerts),
        vec![
            // The most recent first.
            (
                Rule::TicketOpen,
                Severity::Warning,
                "Ticket T1 unsolved for 49 h (limit 48 h), customer c1".to_string()
            ),
            (
                Rule::TicketOpen,
                Severity::Critical,
                "Ticket T4 unsolved for 7 days (limit 48 h)".to_string()
            ),
        ]
    );
    assert_eq!(r.alerts[0].ticket_id.as_deref(), Some("T1"));
    assert_eq!(r.alerts[0].customer_id.as_deref(), Some("c1"));
    // 50 hours: T1 (49 h) no longer fires.
    let r = report(
        &ds,
        &q,
        "",
        &AlertRules {
            ticket_open_hours: 50.0,
            ..off()
        },
    );
    assert_eq!(r.alerts.len(), 1);
    assert_eq!(r.alerts[0].ticket_id.as_deref(), Some("T4"));
    // Off: nothing.
    assert!(report(&ds, &q, "", &off()).alerts.is_empty());
    // In February every ticket is still to come.
    assert!(
        report(&ds, &query("2024-02", Some(30)), "", &rules)
            .alerts
            .is_empty()
    );
    // A segment filter keeps its customers' tickets only (T4 has none).
    let ds2 = load(
        memory(
            SourceKind::Orders,
            "o.csv",
            "order_id,customer_id,order_date,amount,plan\nO1,c1,2024-03-01,10,pro\nO3,c2,2024-03-10,20,basic\n",
        ),
        None,
        Some(spec(SourceKind::Tickets, "alerts/tickets.csv")),
    );
    let mut qs = query("2024-03", Some(30));
    qs.segment = Some(("plan".into(), "basic".into()));
    assert!(report(&ds2, &qs, "", &rules).alerts.is_empty());
    qs.segment = Some(("plan".into(), "pro".into()));
    let ids: Vec<_> = report(&ds2, &qs, "", &rules)
        .alerts
        .iter()
        .map(|a| a.ticket_id.clone())
        .collect();
    assert_eq!(ids, vec![Some("T1".to_string())]);
}

#[test]
fn kpi_off_its_goal() {
    let ds = load(spec(SourceKind::Orders, "metrics/orders.csv"), None, None);
    let q = query("2024-03", Some(30));
    let rules = AlertRules {
        kpi_off_goal: true,
        ..off()
    };
    // Churn 50 %: off a goal of ≤ 5 %, at risk (no alert) against ≤ 46, on track against ≤ 50.
    let r = report(&ds, &q, "churn_rate = { max = 5 }", &rules);
    assert_eq!(
        summary(&r.alerts),
        vec![(
            Rule::KpiOffGoal,
            Severity::Warning,
            "Churn is 50 %, off its goal of ≤ 5 %".to_string()
        )]
    );
    assert_eq!(r.alerts[0].kpi, Some("churn_rate"));
    assert!(
        report(&ds, &q, "churn_rate = { max = 46 }", &rules)
            .alerts
            .is_empty()
    );
    assert!(
        report(&ds, &q, "churn_rate = { max = 50 }", &rules)
            .alerts
            .is_empty()
    );
    // No data is not off track.
    assert!(report(&ds, &q, "nps = 50", &rules).alerts.is_empty());
}

#[test]
fn nrr_under_its_goal_for_three_periods() {
    // tests/fixtures/revenue: NRR is null in January (no revenue in December),
    // 0 in February and March, −100 in April and 59.1 in May.
    let ds = load(spec(SourceKind::Orders, "revenue/orders.csv"), None, None);
    let rules = AlertRules {
        kpi_off_goal: true,
        off_goal_periods: 3,
        ..off()
    };
    let r = report(&ds, &query("2024-05", None), "nrr = 100", &rules);
    assert_eq!(
        summary(&r.alerts),
        vec![(
            Rule::KpiOffGoal,
            Severity::Warning,
            "NRR is 59.1 %, off its goal of ≥ 100 % for 3 periods".to_string()
        )]
    );
    assert_eq!(r.alerts[0].kpi, Some("nrr"));
    assert_eq!(
        r.goals[0].gap_history[3..],
        [
            Some(-100.0),
            Some(-200.0),
            Some(130.0 / 220.0 * 100.0 - 100.0)
        ]
    );
    // March: February and March off, but January undefined: not three in a row; two are.
    assert!(
        report(&ds, &query("2024-03", None), "nrr = 100", &rules)
            .alerts
            .is_empty()
    );
    let two = AlertRules {
        off_goal_periods: 2,
        ..rules.clone()
    };
    assert_eq!(
        report(&ds, &query("2024-03", None), "nrr = 100", &two)
            .alerts
            .len(),
        1
    );
    // Met in May: no alert, whatever the months before.
    assert!(
        report(&ds, &query("2024-05", None), "nrr = 50", &rules)
            .alerts
            .is_empty()
    );
    // grr and quick_ratio are goals too.
    let r = report(
        &ds,
        &query("2024-05", None),
        "grr = 40\nquick_ratio = 2",
        &rules,
    );
    let kpis: Vec<&str> = r.goals.iter().map(|g| g.kpi).collect();
    assert_eq!(kpis, ["grr", "quick_ratio"]);
    assert!((r.goals[1].value.unwrap() - 185.0 / 115.0).abs() < 1e-9);
}

fn feedback(feb: &[u8], mar: &[u8]) -> SourceSpec {
    let mut text = String::from("responded_at,score,survey\n");
    for s in feb {
        text.push_str(&format!("2024-02-10,{s},nps\n"));
    }
    for s in mar {
        text.push_str(&format!("2024-03-10,{s},nps\n"));
    }
    memory(SourceKind::Feedback, "f.csv", &text)
}

#[test]
fn nps_falling_by_more_than_its_margin() {
    let orders = || spec(SourceKind::Orders, "metrics/orders.csv");
    let q = query("2024-03", Some(30));
    let rules = AlertRules {
        nps_drop: true,
        ..off()
    };
    // Feb all promoters (NPS 100, margin 0), Mar all detractors (−100, margin 0): significant.
    let ds = load(orders(), Some(feedback(&[10; 10], &[0; 10])), None);
    let r = report(&ds, &q, "", &rules);
    assert_eq!(
        summary(&r.alerts),
        vec![(
            Rule::NpsDrop,
            Severity::Warning,
            "NPS fell from 100 to -100, more than the margin of error".to_string()
        )]
    );
    // Feb 5 promoters 5 detractors (NPS 0, margin 1.96 × 100 × √(1/10) = 62.0), Mar 4 and 6
    // (NPS −20, margin 60.7): a 20-point fall within √(62.0² + 60.7²) = 86.8: no alert.
    let ds = load(
        orders(),
        Some(feedback(
            &[10, 10, 10, 10, 10, 0, 0, 0, 0, 0],
            &[10, 10, 10, 10, 0, 0, 0, 0, 0, 0],
        )),
        None,
    );
    assert!(report(&ds, &q, "", &rules).alerts.is_empty());
    // A significant rise is no alert either.
    let ds = load(orders(), Some(feedback(&[0; 10], &[10; 10])), None);
    assert!(report(&ds, &q, "", &rules).alerts.is_empty());
}

/// W = 30 days. Ten loyal customers buy every 10 days all year, so they are
/// always retained. k "once" customers buy 5 days before a month starts and
/// never again: they are in that month's S and lost by its end (months of
/// 30 or 31 days). Churn = k / (10 + k): Mar (k 5) 33.3, Apr (1) 9.1,
/// May (2) 16.7, Jun (3) 23.1, Jul (4) 28.6.
fn churn_orders() -> SourceSpec {
    let mut text = String::from("order_id,customer_id,order_date,amount\n");
    let mut n = 0;
    for c in 0..10 {
        let mut day = holdfast::data::parse::days_from_civil(2024, 1, 1);
        while day < holdfast::data::parse::days_from_civil(2024, 9, 1) {
            n += 1;
            text.push_str(&format!(
                "O{n},loyal{c},{},10\n",
                holdfast::data::parse::format_day(day)
            ));
            day += 10;
        }
    }
    for (before, k) in [
        ("2024-02-25", 5),
        ("2024-03-27", 1),
        ("2024-04-26", 2),
        ("2024-05-27", 3),
        ("2024-06-26", 4),
    ] {
        for i in 0..k {
            n += 1;
            text.push_str(&format!("O{n},once-{before}-{i},{before},10\n"));
        }
    }
    memory(SourceKind::Orders, "churn.csv", &text)
}

#[test]
fn churn_rising_three_periods_in_a_row() {
    let ds = load(churn_orders(), None, None);
    let churn = |label: &str| {
        holdfast::metrics::compute(&ds, &query(label, Some(30)))
            .unwrap()
            .kpis
            .churn_rate
            .unwrap()
    };
    for (label, k) in [
        ("2024-03", 5.0),
        ("2024-04", 1.0),
        ("2024-05", 2.0),
        ("2024-06", 3.0),
        ("2024-07", 4.0),
    ] {
        assert!(
            (churn(label) - k * 100.0 / (10.0 + k)).abs() < 1e-9,
            "{label}: {}",
            churn(label)
        );
    }
    let rules = AlertRules {
        churn_rising_periods: 3,
        ..off()
    };
    // July: Apr < May < Jun < Jul.
    let r = report(&ds, &query("2024-07", Some(30)), "", &rules);
    assert_eq!(
        summary(&r.alerts),
        vec![(
            Rule::ChurnRising,
            Severity::Warning,
            "Churn rose 3 periods in a row: 9.1 → 16.7 → 23.1 → 28.6 %".to_string()
        )]
    );
    // June: Mar > Apr breaks the run (two rises only).
    assert!(
        report(&ds, &query("2024-06", Some(30)), "", &rules)
            .alerts
            .is_empty()
    );
    // Two in a row is enough for June when the rule asks for two.
    let two = AlertRules {
        churn_rising_periods: 2,
        ..off()
    };
    assert_eq!(
        report(&ds, &query("2024-06", Some(30)), "", &two)
            .alerts
            .len(),
        1
    );
}

/// tests/metrics.rs `churn_risk_list`: at threshold 0.85 in March 2024 to date (W 30, cycle
/// 24 days, closing on L = Mar 26) a (21/24, 90 at stake) and d (24/24, 25) are at risk; at
/// the close of February nobody is (a: 19/24, b: 9/24).
#[test]
fn customer_newly_at_risk_with_revenue_at_stake() {
    let ds = load(spec(SourceKind::Orders, "metrics/orders.csv"), None, None);
    let mut q = query("2024-03", Some(30));
    let settings = holdfast::metrics::Settings {
        at_risk_threshold: 0.85,
        ..Default::default()
    };
    let at = |threshold: f64| {
        report_with(
            &ds,
            &q,
            "",
            &AlertRules {
                at_risk_revenue: threshold,
                ..off()
            },
            settings,
        )
        .alerts
    };
    let a = at(50.0);
    assert_eq!(
        summary(&a),
        vec![(
            Rule::AtRiskCustomer,
            Severity::Warning,
            "Customer a is newly at risk with 90.00 at stake".to_string()
        )]
    );
    assert_eq!(a[0].customer_id.as_deref(), Some("a"));
    let ids: Vec<_> = at(20.0)
        .iter()
        .map(|a| a.customer_id.clone().unwrap())
        .collect();
    assert_eq!(ids, vec!["a", "d"]);
    // Revenue at stake must exceed the threshold.
    assert!(at(90.0).is_empty());
    // In April: a and d were already at risk in March, so neither is new.
    q.period = Period::parse("2024-04").unwrap();
    let april = report(
        &ds,
        &q,
        "",
        &AlertRules {
            at_risk_revenue: 1.0,
            ..off()
        },
    );
    assert!(
        april
            .alerts
            .iter()
            .all(|x| !matches!(x.customer_id.as_deref(), Some("a" | "d")))
    );
}

// ---------- the binary ----------

fn holdfast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .args(args)
        .current_dir(root())
        .env("XDG_CONFIG_HOME", root().join("tests/fixtures/no-config"))
        .env("HOME", root().join("tests/fixtures/no-config"))
        .env("HOLDFAST_NO_CACHE", "1")
        .output()
        .expect("run holdfast")
}

const DATA: [&str; 4] = [
    "--orders",
    "tests/fixtures/alerts/orders.csv",
    "--tickets",
    "tests/fixtures/alerts/tickets.csv",
];

#[test]
fn alerts_only_with_exit_code() {
    let run = |config: &str, extra: &[&str]| {
        let mut args = DATA.to_vec();
        args.extend(["--config", config, "report", "--period", "2024-03"]);
        args.extend(extra);
        holdfast(&args)
    };
    let o = run(
        "tests/fixtures/alerts/config.toml",
        &["--alerts-only", "--exit-code"],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["period"]["label"], "2024-03");
    let rules: Vec<&str> = json["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule"].as_str().unwrap())
        .collect();
    // Churn 50 % off ≤ 5 % and retention 50 % off ≥ 85 % (no NPS: no data),
    // then the tickets T1 and T4.
    assert_eq!(
        rules,
        vec!["kpi_off_goal", "kpi_off_goal", "ticket_open", "ticket_open"]
    );
    assert_eq!(json["alerts"][2]["ticket_id"], "T1");
    // Without --exit-code the same alerts exit 0.
    assert_eq!(
        run("tests/fixtures/alerts/config.toml", &["--alerts-only"])
            .status
            .code(),
        Some(0)
    );
    // No alert fires: exit 0 and an empty list.
    let o = run(
        "tests/fixtures/alerts/quiet.toml",
        &["--alerts-only", "--exit-code"],
    );
    assert_eq!(o.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["alerts"], serde_json::json!([]));
    // The table form lists them one a line.
    let o = run(
        "tests/fixtures/alerts/config.toml",
        &["--alerts-only", "--format", "table"],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("alerts (4):"), "{text}");
    assert!(
        text.contains("[warning] Ticket T1 unsolved for 49 h (limit 48 h), customer c1"),
        "{text}"
    );
    // An error is exit 2, not 1.
    let o = run(
        "tests/fixtures/config/goals_unknown_kpi.toml",
        &["--alerts-only", "--exit-code"],
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn report_json_has_goals_and_alerts() {
    let mut args = DATA.to_vec();
    args.extend([
        "--config",
        "tests/fixtures/alerts/config.toml",
        "report",
        "--period",
        "2024-03",
    ]);
    let o = holdfast(&args);
    assert!(o.status.success());
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let goals = json["goals"].as_array().unwrap();
    let by_kpi = |k: &str| goals.iter().find(|g| g["kpi"] == k).unwrap().clone();
    let churn = by_kpi("churn_rate");
    assert_eq!(churn["direction"], "max");
    assert_eq!(churn["target"], 5.0);
    assert_eq!(churn["status"], "off_track");
    assert_eq!(churn["segment"], serde_json::Value::Null);
    let retention = by_kpi("retention_rate");
    assert_eq!(retention["direction"], "min");
    assert_eq!(by_kpi("nps")["status"], "no_data");
    assert_eq!(by_kpi("nps")["value"], serde_json::Value::Null);
    for g in goals {
        for key in [
            "kpi",
            "segment",
            "target",
            "direction",
            "value",
            "gap",
            "status",
        ] {
            assert!(g.get(key).is_some(), "{key} in {g}");
        }
    }
    assert_eq!(json["alerts"].as_array().unwrap().len(), 4);
    assert_eq!(retention["value"], 50.0);
    assert_eq!(retention["gap"], -35.0);
    assert_eq!(retention["status"], "off_track");
}

#[test]
fn markdown_summary() {
    let mut args = DATA.to_vec();
    args.extend([
        "--config",
        "tests/fixtures/alerts/config.toml",
        "report",
        "--period",
        "2024-03",
        "--format",
        "markdown",
    ]);
    let o = holdfast(&args);
    assert!(o.status.success());
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(
        md.starts_with("## holdfast: 2024-03 (month 2024-03-01 to 2024-03-31)\n"),
        "{md}"
    );
    assert!(
        md.contains("| KPI | 2024-03 | vs 2024-02 | vs 2023-03 |\n|---|---:|---:|---:|\n"),
        "{md}"
    );
    assert!(md.contains("| Churn rate |"), "{md}");
    assert!(md.contains("### Goals"), "{md}");
    assert!(md.contains("| Churn | ≤ 5 % |"), "{md}");
    assert!(md.contains("| off track |"), "{md}");
    assert!(
        md.contains("### Alerts\n\n- **warning** Churn is 50 %, off its goal of ≤ 5 %\n"),
        "{md}"
    );
    // Every table row has the same number of cells as its header.
    for block in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let cells: Vec<usize> = block.lines().map(|l| l.matches(" | ").count()).collect();
        assert!(
            cells.windows(2).all(|w| w[0] == w[1]) || block.contains("---"),
            "{block}"
        );
    }
}

/// On the bundled sample (tickets left open for years): the KPI and customer
/// alerts come first, at-risk customers by revenue at stake; then tickets
/// unsolved past the limit, newest first; tickets open more than 90 days are
/// one line with their count and the oldest.
#[test]
fn alerts_rank_recent_and_costly_first_and_group_stale_tickets() {
    let o = holdfast(&["report", "--alerts-only", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let alerts = json["alerts"].as_array().unwrap();
    let rules: Vec<&str> = alerts.iter().map(|a| a["rule"].as_str().unwrap()).collect();
    let first_ticket = rules.iter().position(|r| *r == "ticket_open").unwrap();
    assert!(
        rules[first_ticket..].iter().all(|r| *r == "ticket_open"),
        "{rules:?}"
    );
    let at_stake: Vec<f64> = alerts
        .iter()
        .filter(|a| a["rule"] == "at_risk_customer")
        .map(|a| {
            let m = a["message"].as_str().unwrap();
            m.rsplit("with ")
                .next()
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(!at_stake.is_empty());
    assert!(at_stake.windows(2).all(|w| w[0] >= w[1]), "{at_stake:?}");
    // Ticket ages in days (hours under 4 days), rising: newest first.
    let ages: Vec<f64> = alerts[first_ticket..alerts.len() - 1]
        .iter()
        .map(|a| {
            let m = a["message"].as_str().unwrap();
            let after = m.split("unsolved for ").nth(1).unwrap();
            let mut it = after.split(' ');
            let n: f64 = it.next().unwrap().parse().unwrap();
            if it.next() == Some("h") { n / 24.0 } else { n }
        })
        .collect();
    assert!(ages.windows(2).all(|w| w[0] <= w[1]), "{ages:?}");
    assert!(ages.iter().all(|&d| d <= 90.0), "{ages:?}");
    let last = alerts.last().unwrap()["message"].as_str().unwrap();
    assert!(
        last.ends_with("tickets open more than 90 days (the oldest, T6323, for 1004 days)"),
        "{last}"
    );
    let stale: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(stale > 20, "{last}");
}
