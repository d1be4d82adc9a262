//! Times what the dashboard computes on a key press (the snapshot, the
//! 12-period trend, the demo goals and the default alert rules), in a loop on
//! generated data, for the README figures and for a profiler:
//!
//! `cargo run --release --example profile -- 1000000 20 segment`
//!
//! builds 1 000 000 customers (~10 M orders), warms the engine as the
//! dashboard does in the background, then for 20 seconds recomputes views of
//! one kind of change: `period`, `granularity`, `segment` or `cohort`.
//! It prints three figures:
//! - the first view of each filter before anything was prepared for it;
//! - recompute: each view computed from what the warm-up prepared (finished
//!   results are forgotten before every timed view);
//! - revisit: the same views when their results are still cached.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::time::{Duration, Instant};

use holdfast::app::{demo, worker};
use holdfast::data::sample::{self, SampleOptions};
use holdfast::metrics::alerts::AlertRules;
use holdfast::metrics::{Engine, Granularity, Period, Query, periods_over_data};

fn main() {
    let mut args = std::env::args().skip(1);
    let customers: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300_000);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let kind = args.next().unwrap_or_else(|| "segment".into());
    let t = Instant::now();
    let ds = sample::dataset(&SampleOptions {
        customers,
        ..Default::default()
    })
    .expect("loads");
    eprintln!(
        "{} order rows generated and indexed in {:.1?}",
        ds.order_count(),
        t.elapsed()
    );
    let engine = Engine::new(&ds);
    let t = Instant::now();
    engine.warm(None);
    eprintln!(
        "warm-up (timelines, unfiltered results): {:.1?}",
        t.elapsed()
    );

    let months = periods_over_data(&ds, Granularity::Month);
    let last = *months.last().expect("data");
    let queries: Vec<Query> = match kind.as_str() {
        "period" => months.iter().map(|p| Query::new(*p)).collect(),
        "granularity" => {
            let day = ds.last_row_day().unwrap_or(0);
            Granularity::ALL
                .into_iter()
                .map(|g| Query::new(Period::containing(g, day)))
                .collect()
        }
        "segment" => ["basic", "plus", "pro"]
            .iter()
            .map(|v| Query {
                segment: Some(("plan".into(), v.to_string())),
                ..Query::new(last)
            })
            .collect(),
        "cohort" => periods_over_data(&ds, Granularity::Quarter)
            .into_iter()
            .map(|c| Query {
                cohort: Some(c),
                ..Query::new(last)
            })
            .collect(),
        other => panic!("unknown kind {other}: period, granularity, segment or cohort"),
    };
    let watch = worker::Watch {
        goals: demo::goals(),
        rules: AlertRules::default(),
        followups: demo::followups(),
        ..Default::default()
    };
    let view = |q: &Query| {
        let t = Instant::now();
        std::hint::black_box(worker::view(&engine, 0, q, &watch).expect("view"));
        t.elapsed()
    };

    let first = queries.iter().map(view).max().unwrap_or_default();
    eprintln!("first view of each, nothing prepared for its filter: slowest {first:.1?}");
    let t = Instant::now();
    engine.warm_segments(Granularity::Month, None);
    eprintln!("segment warm-up: {:.1?}", t.elapsed());

    let end = Instant::now() + Duration::from_secs(seconds);
    let (mut recompute, mut revisit) = (Vec::new(), Vec::new());
    while Instant::now() < end {
        let q = &queries[recompute.len() % queries.len()];
        engine.forget_views();
        recompute.push(view(q));
        revisit.push(view(q));
    }
    let report = |name: &str, times: &mut Vec<Duration>| {
        times.sort();
        eprintln!(
            "{name}: {} views; median {:.1?}, p95 {:.1?}, max {:.1?}",
            times.len(),
            times[times.len() / 2],
            times[times.len() * 95 / 100],
            times[times.len() - 1]
        );
    };
    report("recompute", &mut recompute);
    report("revisit", &mut revisit);
}
