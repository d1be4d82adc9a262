//! Revenue retention (kpi-spec §4.12) against sums worked out by hand on
//! tests/fixtures/revenue/orders.csv (its README lists r₀ and r₁ per customer).

#![allow(clippy::unwrap_used)]

use std::path::Path;

use holdfast::data::{self, Dataset, Scales, SourceKind, SourceOptions, SourceSpec, Sources};
use holdfast::metrics::{Period, Query, RevenueRetention, Snapshot, compute};

fn dataset() -> Dataset {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/revenue/orders.csv");
    let spec = SourceSpec::path(SourceKind::Orders, &path, SourceOptions::default());
    data::load(&Sources::new(spec, None, None), Scales::default()).unwrap()
}

fn run(ds: &Dataset, label: &str, segment: Option<(&str, &str)>, cohort: Option<&str>) -> Snapshot {
    let mut q = Query::new(Period::parse(label).unwrap());
    q.segment = segment.map(|(c, v)| (c.to_string(), v.to_string()));
    q.cohort = cohort.map(|c| Period::parse(c).unwrap());
    compute(ds, &q).unwrap()
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[track_caller]
fn check(
    r: &RevenueRetention,
    want: [f64; 7],
    nrr: Option<f64>,
    grr: Option<f64>,
    qr: Option<f64>,
) {
    let got = [
        r.start,
        r.new,
        r.reactivation,
        r.expansion,
        r.contraction,
        r.churned,
        r.other,
    ];
    for (name, (g, w)) in [
        "start",
        "new",
        "reactivation",
        "expansion",
        "contraction",
        "churned",
        "other",
    ]
    .iter()
    .zip(got.iter().zip(want))
    {
        assert!(approx(*g, w), "{name}: {g} ≠ {w} in {r:?}");
    }
    for (name, g, w) in [
        ("nrr", r.nrr, nrr),
        ("grr", r.grr, grr),
        ("quick_ratio", r.quick_ratio, qr),
    ] {
        match (g, w) {
            (Some(g), Some(w)) => assert!(approx(g, w), "{name}: {g} ≠ {w}"),
            (None, None) => {}
            _ => panic!("{name}: {g:?} ≠ {w:?}"),
        }
    }
}

/// revenue(P₁) = Σ r₀ (r₀ > 0) + new + reactivation + expansion − contraction − churned + other.
#[track_caller]
fn identity(s: &Snapshot) {
    let r = &s.kpis.revenue_retention;
    let bridge =
        r.start + r.new + r.reactivation + r.expansion - r.contraction - r.churned + r.other;
    assert!(
        approx(bridge, s.kpis.revenue),
        "{bridge} ≠ revenue {}",
        s.kpis.revenue
    );
}

#[test]
fn every_movement_class_from_april_to_may() {
    let ds = dataset();
    let s = run(&ds, "2024-05", None, None);
    assert_eq!(s.period.to_date, None, "May is whole (L = May 31)");
    // new: n1 60 + n2 −10; reactivation: re 60 + rn 35; expansion: ex 40;
    // contraction: co 30; churned: ch 45 + rl 40; other: rf −30, ro −5, rl −15.
    check(
        &s.kpis.revenue_retention,
        [220.0, 50.0, 95.0, 40.0, 30.0, 85.0, -50.0],
        Some(130.0 / 220.0 * 100.0),
        Some(105.0 / 220.0 * 100.0),
        Some(185.0 / 115.0),
    );
    assert!(approx(s.kpis.revenue, 240.0));
    identity(&s);
    // The previous block: April against March. rn: r₀ 50, r₁ −50 (churned 50, other −50);
    // the five April starters are new (220).
    let prev = &s.previous.as_ref().unwrap().kpis;
    check(
        &prev.revenue_retention,
        [50.0, 220.0, 0.0, 0.0, 0.0, 50.0, -50.0],
        Some(-100.0),
        Some(0.0),
        Some(220.0 / 50.0),
    );
}

#[test]
fn under_a_segment_filter() {
    let ds = dataset();
    // pro: n1, re, ex, ch, rl (ro, refunds only, belongs to no segment).
    let s = run(&ds, "2024-05", Some(("plan", "pro")), None);
    check(
        &s.kpis.revenue_retention,
        [115.0, 60.0, 60.0, 40.0, 0.0, 85.0, -15.0],
        Some(55.0 / 115.0 * 100.0),
        Some(30.0 / 115.0 * 100.0),
        Some(160.0 / 85.0),
    );
    identity(&s);
    let s = run(&ds, "2024-05", Some(("plan", "basic")), None);
    identity(&s);
}

#[test]
fn under_a_cohort_filter() {
    let ds = dataset();
    // The April cohort: ex, co, ch, fl, rl.
    let s = run(&ds, "2024-05", None, Some("2024-04"));
    check(
        &s.kpis.revenue_retention,
        [220.0, 0.0, 0.0, 40.0, 30.0, 85.0, -15.0],
        Some(130.0 / 220.0 * 100.0),
        Some(105.0 / 220.0 * 100.0),
        Some(40.0 / 115.0),
    );
    identity(&s);
}

#[test]
fn a_period_to_date_starts_from_the_cut_previous_period() {
    let ds = dataset();
    // Q2 to date (Apr 1–May 31, 61 days) against Q1's first 61 days (Jan 1–Mar 1):
    // r₀ > 0: rf 30 (r₁ −30: churned, other −30), re 100 (r₁ 60: contraction 40).
    // rn's March 5 purchase is after the cut: r₀ 0, r₁ −15 → other.
    let s = run(&ds, "2024-Q2", None, None);
    assert!(s.period.to_date.is_some());
    check(
        &s.kpis.revenue_retention,
        [130.0, 400.0, 0.0, 0.0, 40.0, 30.0, -50.0],
        Some(30.0 / 130.0 * 100.0),
        Some(60.0 / 130.0 * 100.0),
        Some(400.0 / 70.0),
    );
    identity(&s);
}

#[test]
fn before_the_data_and_without_previous_revenue_ratios_are_null() {
    let ds = dataset();
    let s = run(&ds, "2023-06", None, None);
    check(&s.kpis.revenue_retention, [0.0; 7], None, None, None);
    // December 2023: zz's purchase and refund (new, nets to 0); no previous revenue.
    let s = run(&ds, "2023-12", None, None);
    check(&s.kpis.revenue_retention, [0.0; 7], None, None, None);
    identity(&s);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["revenue_retention"]["nrr"], serde_json::Value::Null);
    assert_eq!(
        json["previous"]["revenue_retention"]["grr"],
        serde_json::Value::Null
    );
}

#[test]
fn revenue_cohorts_divide_by_the_first_period_and_keep_refunds() {
    let ds = dataset();
    let s = run(&ds, "2024-05", None, None);
    let rows: Vec<(&str, f64, Vec<Option<f64>>)> = s
        .revenue_cohorts
        .rows
        .iter()
        .map(|r| (r.cohort.as_str(), r.revenue, r.retention.clone()))
        .collect();
    let cohort = |label: &str| rows.iter().find(|r| r.0 == label).unwrap();
    // zz's first month nets to 0: every cell undefined.
    assert_eq!(cohort("2023-12").1, 0.0);
    assert!(cohort("2023-12").2.iter().all(Option::is_none));
    assert_eq!(
        cohort("2024-01").2,
        vec![Some(100.0), Some(0.0), Some(0.0), Some(0.0), Some(-100.0)]
    );
    assert_eq!(
        cohort("2024-02").2,
        vec![Some(100.0), Some(0.0), Some(0.0), Some(60.0)]
    );
    assert_eq!(
        cohort("2024-03").2,
        vec![Some(100.0), Some(-100.0), Some(70.0)]
    );
    let april = &cohort("2024-04").2;
    assert_eq!(april[0], Some(100.0));
    assert!(approx(april[1].unwrap(), 130.0 / 220.0 * 100.0));
    assert_eq!(cohort("2024-05").1, 50.0);
    // Weekly: L = Friday May 31, so the last week's cells are partial, as in the customer table.
    let w = run(&ds, "2024-W22", None, None);
    for (c, r) in w.cohorts.rows.iter().zip(&w.revenue_cohorts.rows) {
        assert_eq!(
            (c.cohort.as_str(), c.partial_from),
            (r.cohort.as_str(), r.partial_from)
        );
        assert_eq!(c.retention.len(), r.retention.len());
    }
    assert!(
        w.revenue_cohorts
            .rows
            .iter()
            .any(|r| r.partial_from.is_some())
    );
}
