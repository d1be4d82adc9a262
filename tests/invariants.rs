//! Property tests: invariants of the customer base and the KPIs on random datasets.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::fmt::Write as _;

use holdfast::data::{self, Scales, SourceKind, SourceSpec, Sources};
use holdfast::metrics::customer::customer_view;
use holdfast::metrics::{Engine, Granularity, Query, compute, periods_over_data};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Row {
    customer: u8,
    day: u16,
    cents: i32,
    order: Option<u8>,
    plan: bool,
}

fn row() -> impl Strategy<Value = Row> {
    (
        0u8..12,
        0u16..500,
        -2000i32..20000,
        proptest::option::of(0u8..20),
        any::<bool>(),
    )
        .prop_map(|(customer, day, cents, order, plan)| Row {
            customer,
            day,
            cents,
            order,
            plan,
        })
}

fn dataset(rows: &[Row], scores: &[(u8, u16, u8)]) -> data::Dataset {
    let base = holdfast::data::parse::days_from_civil(2023, 1, 1);
    let mut orders = String::from("order_id,customer_id,order_date,amount,plan\n");
    for r in rows {
        let day = holdfast::data::parse::format_day(base + r.day as i32);
        let order = r.order.map(|o| format!("O{o}")).unwrap_or_default();
        let sign = if r.cents < 0 { "-" } else { "" };
        let _ = writeln!(
            orders,
            "{order},c{},{day},{sign}{}.{:02},{}",
            r.customer,
            r.cents.abs() / 100,
            r.cents.abs() % 100,
            if r.plan { "pro" } else { "basic" }
        );
    }
    let mut feedback = String::from("responded_at,customer_id,survey,score\n");
    for (c, d, s) in scores {
        let _ = writeln!(
            feedback,
            "{},c{c},nps,{s}",
            holdfast::data::parse::format_day(base + *d as i32)
        );
    }
    let sources = Sources::new(
        SourceSpec::memory(SourceKind::Orders, "orders.csv", orders),
        Some(SourceSpec::memory(
            SourceKind::Feedback,
            "feedback.csv",
            feedback,
        )),
        None,
    );
    data::load(&sources, Scales::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn base_and_kpi_invariants(
        rows in proptest::collection::vec(row(), 1..60),
        scores in proptest::collection::vec((0u8..12, 0u16..500, 0u8..=10), 0..30),
        w in proptest::option::of(7u32..120),
        threshold in 0.3f64..3.0,
        g in prop_oneof![Just(Granularity::Week), Just(Granularity::Month), Just(Granularity::Quarter)],
    ) {
        let ds = dataset(&rows, &scores);
        // One engine shares per-period results across queries; another scans every time.
        let settings = holdfast::metrics::Settings {
            at_risk_threshold: threshold,
            ..Default::default()
        };
        let shared = Engine::with_settings(&ds, settings);
        let mut scanning = Engine::with_settings(&ds, settings);
        scanning.no_parts = true;
        for p in periods_over_data(&ds, g) {
            let mut q = Query::new(p);
            q.churn_window = w;
            let s = shared.compute(&q).unwrap();
            prop_assert_eq!(&s, &scanning.compute(&q).unwrap());
            let c = &s.kpis.customers;
            // The period holding the last day of data L is counted to date:
            // whoever bought on L is in its base, so E is never 0 there.
            let (_, last) = holdfast::metrics::data_bounds(&ds).unwrap();
            if p.start() <= last && last < p.end() {
                prop_assert!(c.end >= 1, "E = 0 in the period to date {}", p.label());
                if last + 1 < p.end() {
                    let to_date = holdfast::data::parse::format_day(last);
                    prop_assert_eq!(s.period.to_date.as_deref(), Some(to_date.as_str()));
                } else {
                    prop_assert_eq!(s.period.to_date.as_deref(), None);
                }
            }
            prop_assert_eq!(c.retained + c.lost, c.start);
            prop_assert_eq!(c.retained + c.won_back + c.new_at_end, c.end);
            if c.start > 0 {
                let crr = s.kpis.retention_rate.unwrap();
                let churn = s.kpis.churn_rate.unwrap();
                prop_assert!((crr + churn - (100.0 + c.won_back as f64 / c.start as f64 * 100.0)).abs() < 1e-9);
                prop_assert!((0.0..=100.0).contains(&churn));
                prop_assert!(crr >= 0.0);
                // The headline retention adds up with churn.
                let kept = s.kpis.retained_rate.unwrap();
                prop_assert!((kept + churn - 100.0).abs() < 1e-9);
                prop_assert!((0.0..=100.0).contains(&kept));
            } else {
                prop_assert_eq!(s.kpis.retention_rate, None);
                prop_assert_eq!(s.kpis.retained_rate, None);
            }
            if let Some(r) = s.kpis.repeat_purchase_rate { prop_assert!((0.0..=100.0).contains(&r)); }
            let n = s.kpis.nps.as_ref().unwrap();
            if let Some(score) = n.score { prop_assert!((-100.0..=100.0).contains(&score)); }
            prop_assert_eq!(n.promoters + n.passives + n.detractors, n.responses);
            // The revenue bridge of kpi-spec §4.12 closes, here and in the compared blocks.
            for k in [Some(&s.kpis), s.previous.as_ref().map(|b| &b.kpis), s.year_ago.as_ref().map(|b| &b.kpis)].into_iter().flatten() {
                let r = &k.revenue_retention;
                let bridge = r.start + r.new + r.reactivation + r.expansion - r.contraction - r.churned + r.other;
                prop_assert!((bridge - k.revenue).abs() < 1e-6, "bridge {} ≠ revenue {}", bridge, k.revenue);
                prop_assert!(r.expansion >= 0.0 && r.contraction >= 0.0 && r.churned >= 0.0 && r.reactivation >= 0.0 && r.other <= 0.0);
                if let Some(g) = r.grr { prop_assert!((0.0..=100.0 + 1e-9).contains(&g)); }
                prop_assert!(r.nrr.is_none_or(f64::is_finite) && r.quick_ratio.is_none_or(f64::is_finite));
            }
            for row in &s.revenue_cohorts.rows {
                prop_assert!(row.retention.iter().flatten().all(|v| v.is_finite()));
            }
            for row in &s.cohorts.rows {
                prop_assert_eq!(row.retention.first().copied(), Some(100.0));
                prop_assert!(row.retention.iter().all(|v| (0.0..=100.0).contains(v)));
            }
            // Filtering never increases counts.
            let mut fq = q.clone();
            fq.segment = Some(("plan".into(), "pro".into()));
            let f = Engine::with_settings(&ds, settings).compute(&fq).unwrap();
            // Filtered results are cached per filter too: the shared engine, asked
            // twice, agrees with scanning.
            let scanned = scanning.compute(&fq).unwrap();
            prop_assert_eq!(&shared.compute(&fq).unwrap(), &scanned);
            prop_assert_eq!(&shared.compute(&fq).unwrap(), &scanned);
            prop_assert_eq!(&f, &scanned);
            let fc = &f.kpis.customers;
            prop_assert!(fc.start <= c.start && fc.end <= c.end && fc.new <= c.new && fc.lost <= c.lost);
            prop_assert!(f.kpis.buyers <= s.kpis.buyers && f.kpis.orders <= s.kpis.orders);
            prop_assert!(f.kpis.nps.as_ref().unwrap().responses <= n.responses);
            // plan=pro and plan=basic partition the buyers, orders and repeat buyers.
            let mut bq = q.clone();
            bq.segment = Some(("plan".into(), "basic".into()));
            let b = Engine::with_settings(&ds, settings).compute(&bq).unwrap();
            prop_assert_eq!(f.kpis.buyers + b.kpis.buyers, s.kpis.buyers);
            prop_assert_eq!(f.kpis.orders + b.kpis.orders, s.kpis.orders);
            prop_assert_eq!(fc.end + b.kpis.customers.end, c.end);
            // Revenue movements: the segments' (read from the timeline's sums) and the
            // cohorts' (merged from the activity lists) add up to the whole's; customers
            // with refunds only belong to neither and move only `other`.
            let moves = |k: &holdfast::metrics::Kpis| {
                let r = &k.revenue_retention;
                [r.start, r.new, r.reactivation, r.expansion, r.contraction, r.churned]
            };
            let whole = moves(&s.kpis);
            let by_plan: Vec<f64> = moves(&f.kpis).iter().zip(moves(&b.kpis)).map(|(x, y)| x + y).collect();
            let mut by_cohort = whole;
            // (The cohorts once per case, at the latest period: each is a compute.)
            let latest = periods_over_data(&ds, g).last() == Some(&p);
            if latest {
                by_cohort = [0.0; 6];
            }
            for c in periods_over_data(&ds, g).into_iter().filter(|_| latest) {
                let mut cq = q.clone();
                cq.cohort = Some(c);
                let k = compute(&ds, &cq).unwrap().kpis;
                for (sum, v) in by_cohort.iter_mut().zip(moves(&k)) {
                    *sum += v;
                }
            }
            // And cohorts of another granularity than the view's (a stretch that
            // covers them, then the mask).
            let mut by_year = whole;
            if latest {
                by_year = [0.0; 6];
            }
            for c in periods_over_data(&ds, Granularity::Year).into_iter().filter(|_| latest) {
                let mut cq = q.clone();
                cq.cohort = Some(c);
                let k = compute(&ds, &cq).unwrap().kpis;
                for (sum, v) in by_year.iter_mut().zip(moves(&k)) {
                    *sum += v;
                }
            }
            for (((w, p), c), y) in whole.iter().zip(&by_plan).zip(&by_cohort).zip(&by_year) {
                prop_assert!((w - p).abs() < 1e-6 && (w - c).abs() < 1e-6 && (w - y).abs() < 1e-6, "{:?} {:?} {:?} {:?}", whole, by_plan, by_cohort, by_year);
            }
            let json = serde_json::to_string(&s).unwrap();
            prop_assert!(!json.contains("NaN") && !json.contains("inf"));
            // Churn risk equals the brute force over every customer's own view.
            let mut expected: Vec<String> = (0..12)
                .map(|c| format!("c{c}"))
                .filter(|id| {
                    customer_view(&ds, &q, id).unwrap().is_some_and(|v| v.standing.in_end && v.overdue.is_some_and(|o| o >= threshold))
                })
                .collect();
            let mut got: Vec<String> = s.churn_risk.iter().map(|r| r.customer_id.clone()).collect();
            expected.sort();
            got.sort();
            prop_assert_eq!(got, expected);
        }
    }

    /// The tickets open at an instant, found through the block index, are
    /// exactly those a scan of every ticket finds (tickets in several blocks,
    /// some never solved, some written with an offset).
    #[test]
    fn open_tickets_match_a_scan(
        tickets in proptest::collection::vec((0u16..60, 0u32..24 * 3600, proptest::option::of(0u32..10 * 24 * 3600), any::<bool>()), 0..300),
        nows in proptest::collection::vec((-2i64..75, 0i64..86_400), 1..12),
    ) {
        let base = holdfast::data::parse::days_from_civil(2023, 1, 1);
        let stamp = |secs: i64, offset: bool| {
            let day = base + secs.div_euclid(86_400) as i32;
            let s = secs.rem_euclid(86_400);
            format!(
                "{}T{:02}:{:02}:{:02}{}",
                holdfast::data::parse::format_day(day),
                s / 3600,
                s / 60 % 60,
                s % 60,
                if offset { "+05:00" } else { "Z" }
            )
        };
        let mut csv = String::from("ticket_id,customer_id,created_at,first_response_at,solved_at\n");
        for (i, (day, secs, open_for, offset)) in tickets.iter().enumerate() {
            let created = *day as i64 * 86_400 + *secs as i64;
            let solved = open_for.map(|d| stamp(created + d as i64, *offset)).unwrap_or_default();
            let _ = writeln!(csv, "T{i},c{},{},,{solved}", i % 7, stamp(created, *offset));
        }
        let sources = Sources::new(SourceSpec::memory(SourceKind::Orders, "orders.csv", "order_id,customer_id,order_date,amount\nO1,c1,2023-01-01,10\n".into()), None, Some(SourceSpec::memory(SourceKind::Tickets, "tickets.csv", csv)));
        let ds = data::load(&sources, Scales::default()).unwrap();
        let engine = Engine::new(&ds);
        let epoch = i64::from(base) * 86_400;
        for (day, secs) in nows {
            // Whole days and odd instants.
            for now in [epoch + day * 86_400, epoch + day * 86_400 + secs] {
                let mut got: Vec<usize> = engine.open_tickets_at(now).collect();
                got.sort();
                let want: Vec<usize> = (0..ds.index().tickets().len())
                    .filter(|&i| {
                        let t = &ds.index().tickets()[i];
                        t.created <= now && t.solved.is_none_or(|s| s > now)
                    })
                    .collect();
                prop_assert_eq!(got, want, "now {}", now);
            }
        }
    }
}
