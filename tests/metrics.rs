//! Every KPI against values worked out by hand on the tiny fixtures in
//! tests/fixtures/metrics/ (see the comments), plus empty periods, zero
//! denominators, filters, cohorts and churn risk.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::path::Path;

use holdfast::data::{self, Dataset, Scales, SourceKind, SourceOptions, SourceSpec, Sources};
use holdfast::metrics::{Engine, Granularity, Period, Query, Settings, Snapshot, compute};

fn spec(kind: SourceKind, file: &str) -> SourceSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/metrics")
        .join(file);
    SourceSpec::path(kind, &path, SourceOptions::default())
}

fn dataset(feedback: bool, tickets: bool) -> Dataset {
    let sources = Sources::new(
        spec(SourceKind::Orders, "orders.csv"),
        feedback.then(|| spec(SourceKind::Feedback, "feedback.csv")),
        tickets.then(|| spec(SourceKind::Tickets, "tickets.csv")),
    );
    data::load(&sources, Scales::default()).unwrap()
}

/// The detractor themes: (word, count, count in promoter comments).
fn themes(s: &Snapshot) -> Vec<(&str, u64, u64)> {
    s.kpis
        .nps
        .as_ref()
        .map(|n| {
            n.detractor_themes
                .iter()
                .map(|t| (t.word.as_str(), t.count, t.promoter_count))
                .collect()
        })
        .unwrap_or_default()
}

fn query(label: &str, w: Option<u32>) -> Query {
    let mut q = Query::new(Period::parse(label).unwrap());
    q.churn_window = w;
    q
}

fn run(ds: &Dataset, q: &Query) -> Snapshot {
    compute(ds, q).unwrap()
}

/// With the config's survey scales or at-risk threshold.
fn run_with(ds: &Dataset, q: &Query, settings: Settings) -> Snapshot {
    Engine::with_settings(ds, settings).compute(q).unwrap()
}

fn threshold(at_risk_threshold: f64) -> Settings {
    Settings {
        at_risk_threshold,
        ..Settings::default()
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

macro_rules! assert_close {
    ($a:expr, $b:expr) => {
        assert!(
            close($a, $b),
            "{} = {:?}, expected {}",
            stringify!($a),
            $a,
            $b
        )
    };
}

/// March 2024 with W = 30 days. The data's last day L is Mar 26 (h's H1), so
/// March is counted to date: Mar 1..Mar 26 (kpi-spec §2).
///
/// In the base at the close of Feb 29 (purchase in Jan 31..Feb 29): a (Feb 10), b (Feb 20) → S = 2.
/// At the close of L = Mar 26 (purchase in Feb 26..Mar 26): a (Mar 5), c, d (Mar 2), e (Mar 20), h → E = 5.
/// New in March: c, d, h → N = 3, all still in E → N_end = 3.
/// retained = {a} = 1; won back = {e} (lapsed since Dec 1) = 1; lost = {b} = 1.
/// f has refunds only: never in the base.
#[test]
fn customer_base_retention_and_churn() {
    let s = run(&dataset(false, false), &query("2024-03", Some(30)));
    let c = &s.kpis.customers;
    assert_eq!(
        (
            c.start,
            c.end,
            c.new,
            c.new_at_end,
            c.retained,
            c.won_back,
            c.lost
        ),
        (2, 5, 3, 3, 1, 1, 1)
    );
    // CRR = (E − N_end) / S × 100 = (5 − 3) / 2 × 100.
    assert_close!(s.kpis.retention_rate, 100.0);
    // churn = lost / S × 100 = 1 / 2 × 100.
    assert_close!(s.kpis.churn_rate, 50.0);
    // CRR + churn = 100 + won_back / S × 100 = 150.
    assert_close!(s.kpis.lost_per_new, 1.0 / 3.0);
    assert_eq!(s.churn_window_days, 30);
}

/// Revenue in March: a 30 + 20 (order A1, two lines), b −5 (refund), c 15, d 25,
/// e 60, f −10 (refund), h 40 + 10 (order H1 over two days) = 185.
/// Orders: A1, C1, D1, E1, H1 = 5 (H1 once). Buyers: a, c, d, e, h = 5.
#[test]
fn revenue_orders_and_value() {
    let s = run(&dataset(false, false), &query("2024-03", Some(30)));
    let k = &s.kpis;
    assert_eq!((k.revenue, k.orders, k.buyers), (185.0, 5, 5));
    assert_close!(k.apv, 37.0); // 185 / 5
    assert_close!(k.apf, 1.0); // 5 / 5
    assert_close!(k.arpc, 37.0); // 185 / 5
    // Over the 26 days counted: 185 / (26 / 30.436875) = 216.570072115384...
    assert!((k.monthly_revenue - 185.0 * 30.436875 / 26.0).abs() < 1e-9);
    assert!((k.monthly_revenue - 216.570_072_115_384_6).abs() < 1e-9);
    // MRR = E × monthly revenue / buyers = 5 × 216.57… / 5.
    assert_close!(k.mrr, 185.0 * 30.436875 / 26.0);
    assert_eq!(s.period.to_date.as_deref(), Some("2024-03-26"));
    assert_eq!(s.period.end, "2024-03-31");
    // Buyers with 2+ distinct orders before Apr 1: a (A0, A1), e (E0, E1); h has one order over two days.
    assert_close!(k.repeat_purchase_rate, 40.0);
    // CLV = APV × APF / (churn / 100) = 37 × 1 / 0.5.
    assert_close!(k.clv, 74.0);
}

/// March is counted to date (Mar 1..26), so February is cut to its first 26 days
/// (Feb 1..26) and compared like for like. W = 30: S at Jan 31 (window Jan 2..Jan 31)
/// = {g}; E at Feb 26 (window Jan 28..Feb 26) = {a, b}; N = {a, b}; lost = {g}.
/// CRR = (2 − 2) / 1 = 0; churn = 100. Revenue 40 + 12.
#[test]
fn previous_and_year_ago_periods() {
    let s = run(&dataset(false, false), &query("2024-03", Some(30)));
    let prev = s.previous.as_ref().unwrap();
    assert_eq!(prev.period.label, "2024-02");
    assert_eq!(
        (prev.period.start.as_str(), prev.period.end.as_str()),
        ("2024-02-01", "2024-02-29")
    );
    assert_eq!(prev.period.to_date.as_deref(), Some("2024-02-26"));
    let c = &prev.kpis.customers;
    assert_eq!((c.start, c.end, c.new, c.lost), (1, 2, 2, 1));
    assert_close!(prev.kpis.retention_rate, 0.0);
    assert_close!(prev.kpis.churn_rate, 100.0);
    assert_eq!(prev.kpis.revenue, 52.0);
    // A year before any data: zeros and nulls, never NaN.
    let ago = s.year_ago.as_ref().unwrap();
    assert_eq!(ago.period.label, "2023-03");
    assert_eq!(ago.kpis.customers.start, 0);
    assert_eq!(
        (
            ago.kpis.retention_rate,
            ago.kpis.churn_rate,
            ago.kpis.apv,
            ago.kpis.clv
        ),
        (None, None, None, None)
    );
}

#[test]
fn empty_period_gives_nulls_not_nan() {
    let s = run(&dataset(true, true), &query("2022-01", None));
    let k = &s.kpis;
    assert_eq!(
        (k.revenue, k.orders, k.buyers, k.monthly_revenue),
        (0.0, 0, 0, 0.0)
    );
    for v in [
        k.retention_rate,
        k.churn_rate,
        k.lost_per_new,
        k.apv,
        k.apf,
        k.arpc,
        k.mrr,
        k.repeat_purchase_rate,
        k.clv,
    ] {
        assert_eq!(v, None);
    }
    let n = k.nps.as_ref().unwrap();
    assert_eq!((n.responses, n.score, n.margin), (0, None, None));
    let c = k.csat.as_ref().unwrap();
    assert_eq!((c.score, c.mean), (None, None));
    let t = k.tickets.as_ref().unwrap();
    assert_eq!(
        (
            t.count,
            t.first_response_hours.median,
            t.resolution_hours.p90,
            t.csat,
            t.backlog
        ),
        (0, None, None, None, 0)
    );
    let json = serde_json::to_string(&s).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"));
}

/// With the default window: gaps between distinct purchase dates are a 24 (Feb 10 → Mar 5),
/// e 110 (Dec 1 → Mar 20), h 1 → median (nearest rank 2 of 3) = 24; fewer than 30 gaps → W = 90.
/// March with W = 90: S at Feb 29 (Dec 2..Feb 29) = {a, b, g}; E at Mar 31 (Jan 2..Mar 31) = all but f;
/// nobody lost → churn 0 → CLV undefined.
#[test]
fn default_window_with_few_gaps_and_zero_churn() {
    let s = run(&dataset(false, false), &query("2024-03", None));
    assert_eq!(s.churn_window_days, 90);
    assert_eq!(s.purchase_cycle_days, Some(24.0));
    let c = &s.kpis.customers;
    assert_eq!((c.start, c.end, c.lost), (3, 7, 0));
    assert_close!(s.kpis.churn_rate, 0.0);
    assert_eq!(s.kpis.clv, None);
    // A 31-day month is shorter than 3 × 24 = 72 days: the shortest long-enough granularity is a quarter.
    let w = s.cycle_warning.as_ref().unwrap();
    assert_eq!(
        (w.period_days, w.purchase_cycle_days, w.required_days),
        (31, 24.0, 72.0)
    );
    assert_eq!(w.suggested_granularity, Some(Granularity::Quarter));
    let q = run(&dataset(false, false), &query("2024-Q1", None));
    assert!(q.cycle_warning.is_none());
}

/// NPS in March: a 10, b 3, c 8, anonymous 6 → 1 promoter, 1 passive, 2 detractors of 4:
/// (1 − 2) / 4 × 100 = −25. Margin: p = .25, d = .5, (p + d − (p − d)²) / n = .6875 / 4,
/// 1.96 × 100 × √.171875 = 81.2573…
/// Detractor comments: "slow delivery, slow support", "Slow app" → slow 3, app 1, delivery 1 (1 in
/// the promoter comment), support 1.
#[test]
fn nps_margin_and_detractor_themes() {
    let s = run(&dataset(true, false), &query("2024-03", Some(30)));
    let n = s.kpis.nps.as_ref().unwrap();
    assert_eq!(
        (n.responses, n.promoters, n.passives, n.detractors),
        (4, 1, 1, 2)
    );
    assert_close!(n.score, -25.0);
    assert_close!(n.margin, 1.96 * 100.0 * (0.6875f64 / 4.0).sqrt());
    assert!((n.margin.unwrap() - 81.257_307_363_7).abs() < 1e-6);
    assert_eq!(
        themes(&s),
        vec![
            ("slow", 3, 0),
            ("app", 1, 0),
            ("delivery", 1, 1),
            ("support", 1, 0)
        ]
    );
    // February: a 9, b 2 → 0 ± 138.6; |−25 − 0| < √(81.3² + 138.6²): not significant.
    assert!(!n.change_significant);
    let prev = s.previous.as_ref().unwrap().kpis.nps.as_ref().unwrap();
    assert_close!(prev.score, 0.0);
    assert_close!(prev.margin, 1.96 * 100.0 * 0.5f64.sqrt());
}

/// Themes are words in any script, lower-cased as Unicode lowers them:
/// "Très LENT, très lent!" counts lent 2 and très 2 (and 1 in the promoter's
/// comment), ties by word; "Ça" and "ne" are under three letters; "ÜBERALL"
/// and "überall" are one word.
#[test]
fn detractor_themes_lower_case_words_in_any_script() {
    let orders = "order_id,customer_id,order_date,amount\nO1,a,2024-03-01,10\nO2,b,2024-03-31,10\n";
    let feedback = "responded_at,customer_id,survey,score,comment\n\
                    2024-03-05,a,nps,2,\"Très LENT, très lent! Ça ne marche\"\n\
                    2024-03-06,b,nps,1,ÜBERALL überall\n\
                    2024-03-07,c,nps,10,très bien\n";
    let sources = Sources::new(
        SourceSpec::memory(SourceKind::Orders, "orders.csv", orders.into()),
        Some(SourceSpec::memory(
            SourceKind::Feedback,
            "feedback.csv",
            feedback.into(),
        )),
        None,
    );
    let ds = data::load(&sources, Scales::default()).unwrap();
    let s = run(&ds, &query("2024-03", Some(30)));
    assert_eq!(
        themes(&s),
        vec![
            ("lent", 2, 0),
            ("très", 2, 1),
            ("überall", 2, 0),
            ("marche", 1, 0)
        ]
    );
}

/// CSAT: d 5, e 3 → 1 of 2 satisfied = 50 %, mean 4. CES: a 6, c 4 → mean 5, easy (≥ 5) 50 %.
/// Loyalty: S = {a, b}; a's latest NPS before March is 9 (promoter, retained), b's is 2
/// (detractor, lost).
#[test]
fn csat_ces_and_loyalty() {
    let s = run(&dataset(true, false), &query("2024-03", Some(30)));
    let c = s.kpis.csat.as_ref().unwrap();
    assert_eq!(c.responses, 2);
    assert_close!(c.score, 50.0);
    assert_close!(c.mean, 4.0);
    let e = s.kpis.ces.as_ref().unwrap();
    assert_eq!(e.responses, 2);
    assert_close!(e.mean, 5.0);
    assert_close!(e.easy_share, 50.0);
    let l = s.kpis.loyalty_retention.as_ref().unwrap();
    assert_close!(l.promoter, 100.0);
    assert_close!(l.detractor, 0.0);
    assert_eq!((l.passive, l.none), (None, None));
    // CSAT on a 1..10 scale counts scores ≥ 8: neither 5 nor 3.
    let q = query("2024-03", Some(30));
    let scales = Settings {
        scales: Scales { csat: 10, ces: 5 },
        ..Settings::default()
    };
    let s = run_with(&dataset(true, false), &q, scales);
    assert_close!(s.kpis.csat.as_ref().unwrap().score, 0.0);
    // CES on 1..5: easy is ≥ 4: both 6 and 4.
    assert_close!(s.kpis.ces.as_ref().unwrap().easy_share, 100.0);
}

/// March to date (to L = Mar 26): t4, created Mar 30, is after the data and not counted.
/// Tickets created: t1, t2, t5 = 3. First response (created in March, with one):
/// t1 2 h, t2 0.5 h, t5 6 h → median 2, p90 (rank 3 of 3) 6. Resolution (solved in March):
/// t1 24 h, t3 336 h (created in February), t5 10 h → median 24, p90 336. Backlog at the
/// close of Mar 26: t2 (open) = 1. CSAT: t1 good, t2 bad, t5 2 → 1 of 3.
/// Categories: billing 2 (t1, t5), shipping 1 (t2); February 1..26: billing 1 (t3).
#[test]
fn ticket_kpis() {
    let s = run(&dataset(false, true), &query("2024-03", Some(30)));
    let t = s.kpis.tickets.as_ref().unwrap();
    assert_eq!((t.count, t.backlog), (3, 1));
    assert_close!(t.first_response_hours.median, 2.0);
    assert_close!(t.first_response_hours.p90, 6.0);
    assert_close!(t.resolution_hours.median, 24.0);
    assert_close!(t.resolution_hours.p90, 336.0);
    assert_close!(t.csat, 100.0 / 3.0);
    let cats: Vec<(&str, u64, u64)> = t
        .top_categories
        .iter()
        .map(|c| (c.category.as_str(), c.count, c.previous))
        .collect();
    assert_eq!(cats, vec![("billing", 2, 1), ("shipping", 1, 0)]);
    assert!(
        s.kpis.nps.is_none(),
        "no feedback source: its sections are null"
    );
}

/// Segment plan=basic: a customer's segment is that of their first purchase row (a: basic,
/// though later rows say pro); f (refunds only) belongs to no segment. Basic customers: a, c, e.
/// S = {a}, E = {a, c, e}, N = {c}, won back {e} → CRR (3 − 1) / 1 = 200 %, churn 0.
/// Revenue: a 50 + c 15 + e 60 = 125. Feedback: a 10, c 8, and the anonymous 6 because the
/// feedback file carries `plan` = basic → NPS 0. Tickets: t1 (a) in March to date (t4 (e) is
/// after L); t5 has no customer and the tickets file has no plan column → left out.
#[test]
fn segment_filter() {
    let mut q = query("2024-03", Some(30));
    q.segment = Some(("plan".into(), "basic".into()));
    let s = run(&dataset(true, true), &q);
    assert_eq!(s.filters.segment.as_deref(), Some("plan=basic"));
    let c = &s.kpis.customers;
    assert_eq!(
        (c.start, c.end, c.new, c.retained, c.won_back, c.lost),
        (1, 3, 1, 1, 1, 0)
    );
    assert_close!(s.kpis.retention_rate, 200.0);
    assert_eq!(s.kpis.revenue, 125.0);
    let n = s.kpis.nps.as_ref().unwrap();
    assert_eq!(
        (n.responses, n.promoters, n.passives, n.detractors),
        (3, 1, 1, 1)
    );
    assert_close!(n.score, 0.0);
    assert_eq!(s.kpis.tickets.as_ref().unwrap().count, 1);
    let mut bad = q.clone();
    bad.segment = Some(("tier".into(), "x".into()));
    assert_eq!(
        compute(&dataset(false, false), &bad)
            .unwrap_err()
            .to_string(),
        "no segment column \"tier\" in the orders; segment columns: plan"
    );
}

/// Cohort 2024-02: a and b. March, W = 30: S = {a, b}, E = {a}, lost {b}; revenue a 50 + b −5.
/// The anonymous response has no cohort: NPS from a 10, b 3 only.
#[test]
fn cohort_filter_and_combined_filters() {
    let mut q = query("2024-03", Some(30));
    q.cohort = Some(Period::parse("2024-02").unwrap());
    let s = run(&dataset(true, false), &q);
    let c = &s.kpis.customers;
    assert_eq!((c.start, c.end, c.new, c.retained, c.lost), (2, 1, 0, 1, 1));
    assert_eq!(s.kpis.revenue, 45.0);
    assert_eq!(s.kpis.nps.as_ref().unwrap().responses, 2);
    q.segment = Some(("plan".into(), "pro".into()));
    let s = run(&dataset(true, false), &q);
    // Cohort 2024-02 and plan=pro: b only.
    assert_eq!(
        (s.kpis.customers.start, s.kpis.customers.end, s.kpis.revenue),
        (1, 0, -5.0)
    );
}

/// Month cohorts; the last day of data is Mar 26 (the latest purchase).
/// 2023-12: e → Dec ✓, Jan ✗, Feb ✗, Mar ✓ = [100, 0, 0, 100], March partial (ends after Mar 26).
/// 2024-01: g = [100, 0, 0]. 2024-02: a, b = [100, 50]. 2024-03: c, d, h = [100].
#[test]
fn cohort_table_with_partial_cells() {
    let s = run(&dataset(false, false), &query("2024-03", Some(30)));
    assert_eq!(s.cohorts.granularity, Granularity::Month);
    let rows: Vec<(&str, u64, Vec<f64>, Option<usize>)> = s
        .cohorts
        .rows
        .iter()
        .map(|r| {
            (
                r.cohort.as_str(),
                r.size,
                r.retention.clone(),
                r.partial_from,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2023-12", 1, vec![100.0, 0.0, 0.0, 100.0], Some(3)),
            ("2024-01", 1, vec![100.0, 0.0, 0.0], Some(2)),
            ("2024-02", 2, vec![100.0, 50.0], Some(1)),
            ("2024-03", 3, vec![100.0], Some(0)),
        ]
    );
    // Quarter cohorts: 2023-Q4 (e) and 2024-Q1 (everyone else but f).
    let s = run(&dataset(false, false), &query("2024-Q1", Some(30)));
    let rows: Vec<(&str, u64, Vec<f64>)> = s
        .cohorts
        .rows
        .iter()
        .map(|r| (r.cohort.as_str(), r.size, r.retention.clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2023-Q4", 1, vec![100.0, 100.0]),
            ("2024-Q1", 6, vec![100.0])
        ]
    );
}

/// March is counted to date: the list is taken at the close of L = Mar 26 (e = Mar 27), with
/// the typical cycle of 24 days: a: last Mar 5, one own gap (< 2) → 24 → (Mar 26 − Mar 5) / 24
/// = 21 / 24; d: 24 / 24; c: 16 / 24; e: 6 / 24 (one gap); h: 1 / 24. Threshold 2: nobody.
/// Threshold 1: d alone (a is at 0.875), revenue at stake in the year to Mar 26: 25.
/// Threshold 0.85: a (90 = 40 + 50) then d.
#[test]
fn churn_risk_list() {
    let ds = dataset(true, true);
    let s = run(&ds, &query("2024-03", Some(30)));
    assert!(s.churn_risk.is_empty());
    let q = query("2024-03", Some(30));
    let s = run_with(&ds, &q, threshold(1.0));
    type Risk<'a> = (&'a str, f64, f64, Option<i64>, Option<u64>);
    let list: Vec<Risk> = s
        .churn_risk
        .iter()
        .map(|r| {
            (
                r.customer_id.as_str(),
                r.overdue,
                r.revenue_at_stake,
                r.last_nps,
                r.open_tickets,
            )
        })
        .collect();
    assert_eq!(list, vec![("d", 1.0, 25.0, None, Some(0))]);
    let s = run_with(&ds, &q, threshold(0.85));
    let list: Vec<(&str, f64, f64)> = s
        .churn_risk
        .iter()
        .map(|r| (r.customer_id.as_str(), r.overdue, r.revenue_at_stake))
        .collect();
    assert_eq!(list, vec![("a", 21.0 / 24.0, 90.0), ("d", 1.0, 25.0)]);
    // In April b's ticket t2 is still open, but b is not in the base.
    let s = run_with(&ds, &query("2024-04", Some(60)), threshold(1.0));
    assert!(s.churn_risk.iter().all(|r| r.customer_id != "b"));
}

#[test]
fn iso_week_across_a_year_boundary() {
    // 2024-W01 is Jan 1..Jan 7 2024; g bought on Jan 5.
    let s = run(&dataset(false, false), &query("2024-W01", Some(30)));
    assert_eq!(
        (s.period.start.as_str(), s.period.end.as_str()),
        ("2024-01-01", "2024-01-07")
    );
    assert_eq!(
        (s.kpis.customers.new, s.kpis.revenue, s.kpis.buyers),
        (1, 8.0, 1)
    );
    assert_eq!(s.previous.as_ref().unwrap().period.label, "2023-W52");
    assert_eq!(s.year_ago.as_ref().unwrap().period.label, "2023-W01");
    // 2023-W48 holds e's first purchase (Fri Dec 1 2023).
    let s = run(&dataset(false, false), &query("2023-W48", Some(30)));
    assert_eq!(s.kpis.customers.new, 1);
    assert_eq!(s.cohorts.granularity, Granularity::Week);
}

/// e in March to date (W = 30, L = Mar 26): bought Dec 1 and Mar 20 → won back; one gap of
/// 110 days; own cycle falls back to the typical 24 (fewer than 2 gaps) → overdue
/// (Mar 26 − Mar 20) / 24. Ticket t4, created Mar 30 (after L) and solved Apr 2, is not
/// open at the close of Mar 26; resolved in 72 h.
#[test]
fn customer_view_brings_every_source_together() {
    use holdfast::metrics::customer::customer_view;
    let ds = dataset(true, true);
    let v = customer_view(&ds, &query("2024-03", Some(30)), "e")
        .unwrap()
        .unwrap();
    assert_eq!(
        (v.first_order.as_deref(), v.last_order.as_deref()),
        (Some("2023-12-01"), Some("2024-03-20"))
    );
    assert_eq!(
        (v.orders, v.revenue, v.gaps.clone(), v.median_gap),
        (2, 93.0, vec![110], Some(110.0))
    );
    assert_close!(v.overdue, 6.0 / 24.0);
    assert!(v.standing.won_back && v.standing.in_end && !v.standing.in_start && !v.standing.new);
    let r = v.responses.as_ref().unwrap();
    assert_eq!((r.len(), r[0].survey, r[0].score), (1, "csat", 3.0));
    let t = v.tickets.as_ref().unwrap();
    assert_eq!(
        (
            t[0].ticket_id.as_str(),
            t[0].open_at_period_end,
            t[0].resolution_hours
        ),
        ("t4", false, Some(72.0))
    );
    assert_eq!(
        v.segments,
        vec![("plan".to_string(), Some("basic".to_string()))]
    );
    assert!(
        customer_view(&ds, &query("2024-03", None), "nobody")
            .unwrap()
            .is_none()
    );
}

/// Regression (found by the property test): with a tiny threshold the
/// candidate intervals of two consecutive purchases share their edge day.
/// z buys on Feb 15 and Mar 1 (cycle 15 days): at the close of Feb 29 both
/// purchases' intervals include that day, and z must be listed once.
#[test]
fn churn_risk_lists_each_customer_once() {
    let orders = "customer_id,order_date,amount\nz,2024-02-15,10\nz,2024-03-01,10\n".to_string();
    let sources = Sources::new(
        SourceSpec::memory(SourceKind::Orders, "z.csv", orders),
        None,
        None,
    );
    let ds = data::load(&sources, Scales::default()).unwrap();
    let q = query("2024-02", Some(30));
    let s = run_with(&ds, &q, threshold(0.01));
    let ids: Vec<&str> = s
        .churn_risk
        .iter()
        .map(|r| r.customer_id.as_str())
        .collect();
    assert_eq!(ids, vec!["z"]);
    // (Feb 29 − Feb 15) / 15 days.
    assert!((s.churn_risk[0].overdue - 14.0 / 15.0).abs() < 1e-12);
}

/// The same fixture by week: L = Tue Mar 26 is the middle of 2024-W13 (Mon Mar 25 ..
/// Sun Mar 31), counted Mar 25..26; W = 30.
/// S at the close of Sun Mar 24 (window Feb 24..Mar 24): a (Mar 5), c (Mar 10), d (Mar 2),
/// e (Mar 20) = 4 (b's Feb 20 is out). E at the close of Mar 26 (Feb 26..Mar 26): a, c, d,
/// e, h = 5. N = {h} (Mar 25) = 1, still in E. retained 4, won back 0, lost 0.
/// Revenue Mar 25..26: H1 40 + 10 = 50, one order, one buyer.
/// Previous: 2024-W12 (Mar 18..24) cut to its first 2 days, Mar 18..19: S at the close of
/// Mar 17 (Feb 17..Mar 17): a, b (Feb 20), c, d = 4; E at the close of Mar 19 (Feb 19..Mar 19):
/// a, b, c, d = 4 (e bought on Mar 20: after the cut); no revenue. Whole, W12 would hold e.
/// Year ago: 2023-W13 (Mar 27..Apr 2 2023) cut to Mar 27..28 2023: no data, zeros and nulls.
#[test]
fn a_week_to_date_and_its_cut_comparisons() {
    let s = run(&dataset(false, false), &query("2024-W13", Some(30)));
    assert_eq!(
        (s.period.start.as_str(), s.period.end.as_str()),
        ("2024-03-25", "2024-03-31")
    );
    assert_eq!(s.period.to_date.as_deref(), Some("2024-03-26"));
    let c = &s.kpis.customers;
    assert_eq!(
        (
            c.start,
            c.end,
            c.new,
            c.new_at_end,
            c.retained,
            c.won_back,
            c.lost
        ),
        (4, 5, 1, 1, 4, 0, 0)
    );
    assert_eq!((s.kpis.revenue, s.kpis.orders, s.kpis.buyers), (50.0, 1, 1));
    assert_close!(s.kpis.retained_rate, 100.0);
    assert_close!(s.kpis.retention_rate, 100.0); // (5 − 1) / 4
    assert_close!(s.kpis.churn_rate, 0.0);
    let prev = s.previous.as_ref().unwrap();
    assert_eq!(prev.period.label, "2024-W12");
    assert_eq!(prev.period.to_date.as_deref(), Some("2024-03-19"));
    let pc = &prev.kpis.customers;
    assert_eq!(
        (pc.start, pc.end, pc.new, pc.retained, pc.lost),
        (4, 4, 0, 4, 0)
    );
    assert_eq!(prev.kpis.revenue, 0.0);
    let ago = s.year_ago.as_ref().unwrap();
    assert_eq!(ago.period.label, "2023-W13");
    assert_eq!(ago.period.to_date.as_deref(), Some("2023-03-28"));
    assert_eq!(ago.kpis.customers.start + ago.kpis.customers.end, 0);
    assert_eq!(ago.kpis.retained_rate, None);
}

/// The year 2024 to date: Jan 1..Mar 26 = 31 + 29 + 26 = 86 days. 2023 is compared on its
/// first 86 days, Jan 1..Mar 27 2023 (2024 is a leap year: the same number of days, not the
/// same dates). W = 30. S at the close of Dec 31 2023 (Dec 2..Dec 31): nobody (e bought on
/// Dec 1) = 0. E = a, c, d, e, h = 5. N: g, a, b, d, c, h = 6 (e's first order is in 2023; f has
/// refunds only); N_end = a, c, d, h = 4; won back = e = 1. Revenue: g 8 + a 40 + b 12 + March
/// 185 = 245; orders G1, A0, B1, A1, C1, D1, E1, H1 = 8; buyers g, a, b, c, d, e, h = 7.
/// Monthly revenue 245 / (86 / 30.436875).
#[test]
fn a_year_to_date_against_a_leap_year_ago() {
    let s = run(&dataset(false, false), &query("2024", Some(30)));
    assert_eq!(s.period.to_date.as_deref(), Some("2024-03-26"));
    assert_eq!(s.period.end, "2024-12-31");
    let c = &s.kpis.customers;
    assert_eq!(
        (c.start, c.end, c.new, c.new_at_end, c.won_back),
        (0, 5, 6, 4, 1)
    );
    assert_eq!(
        (s.kpis.revenue, s.kpis.orders, s.kpis.buyers),
        (245.0, 8, 7)
    );
    assert!((s.kpis.monthly_revenue - 245.0 * 30.436875 / 86.0).abs() < 1e-9);
    assert_eq!(s.kpis.retained_rate, None); // S = 0
    for block in [s.previous.as_ref().unwrap(), s.year_ago.as_ref().unwrap()] {
        assert_eq!(block.period.label, "2023");
        assert_eq!(block.period.to_date.as_deref(), Some("2023-03-27"));
        assert_eq!(block.kpis.customers.end, 0);
    }
}

/// Data ending on Wed Dec 30 2026, in ISO week 53 (Mon Dec 28 .. Sun Jan 3): counted Dec 28..30.
/// 2025 has no week 53: no year-ago block. W = 30. S at the close of Dec 27 (Nov 28..Dec 27) =
/// {c1}; E at the close of Dec 30 = {c1, c2}; N = {c2}; revenue 7 + 5 = 12.
/// Previous: 2026-W52 (Dec 21..27) cut to Dec 21..23: S at the close of Dec 20 = nobody;
/// E at the close of Dec 23 = {c1}; N = {c1}; revenue 10.
#[test]
fn week_53_to_date_has_no_year_ago() {
    let orders = "customer_id,order_date,amount\nc1,2026-12-21,10\nc1,2026-12-24,3\nc1,2026-12-29,7\nc2,2026-12-30,5\n";
    let ds = {
        let sources = Sources::new(
            SourceSpec::memory(SourceKind::Orders, "w53.csv", orders.into()),
            None,
            None,
        );
        data::load(&sources, Scales::default()).unwrap()
    };
    let s = run(&ds, &query("2026-W53", Some(30)));
    assert_eq!(s.period.to_date.as_deref(), Some("2026-12-30"));
    assert!(s.year_ago.is_none());
    let c = &s.kpis.customers;
    assert_eq!((c.start, c.end, c.new, c.retained), (1, 2, 1, 1));
    assert_eq!(s.kpis.revenue, 12.0);
    let prev = s.previous.as_ref().unwrap();
    assert_eq!(prev.period.to_date.as_deref(), Some("2026-12-23"));
    let pc = &prev.kpis.customers;
    assert_eq!((pc.start, pc.end, pc.new), (0, 1, 1));
    // c1's Dec 24 order is after the cut.
    assert_eq!(prev.kpis.revenue, 10.0);
}
