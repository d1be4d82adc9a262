//! Recompute time of the metrics engine on generated data: a period,
//! granularity, segment or cohort change, as the dashboard does on a key.
//! Each timed iteration computes the dashboard's whole view (snapshot,
//! 12-period trend, the demo goals, the default alerts) on an engine warmed as
//! the dashboard warms it in the background, after forgetting the finished
//! views, so nothing is merely looked up; `revisit_*` times a return to a view
//! still cached. `bgnbd_fit` times the BG/NBD fit of a month's end, which
//! the worker runs after the view is on screen.
//!
//! `cargo bench --bench recompute` runs the 100 k-order set (10 000
//! customers). `HOLDFAST_BENCH_LARGE=1 cargo bench --bench recompute` adds the
//! 10 M-order set (1 000 000 customers); generating and loading it takes a
//! few minutes before the timings start.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::sync::LazyLock;

use holdfast::app::{demo, worker};
use holdfast::data::Dataset;
use holdfast::data::sample::{self, SampleOptions};
use holdfast::metrics::alerts::AlertRules;
use holdfast::metrics::{Engine, Granularity, Period, Query, periods_over_data};

fn build(customers: u32) -> Dataset {
    let t = std::time::Instant::now();
    let ds = sample::dataset(&SampleOptions {
        customers,
        ..Default::default()
    })
    .expect("generated data loads");
    eprintln!(
        "{customers} customers: {} order rows, built and loaded in {:.1?}",
        ds.order_count(),
        t.elapsed()
    );
    ds
}

static SMALL: LazyLock<Dataset> = LazyLock::new(|| build(10_000));
static LARGE: LazyLock<Option<Dataset>> =
    LazyLock::new(|| std::env::var_os("HOLDFAST_BENCH_LARGE").map(|_| build(1_000_000)));

/// An engine as the dashboard holds it: timelines built once at load.
fn engine(ds: &'static Dataset) -> Engine<'static> {
    let t = std::time::Instant::now();
    let e = Engine::new(ds);
    e.warm(None);
    e.warm_segments(Granularity::Month, None);
    eprintln!(
        "timelines of all granularities built in {:.1?}",
        t.elapsed()
    );
    e
}

static SMALL_ENGINE: LazyLock<Engine<'static>> = LazyLock::new(|| engine(&SMALL));
static LARGE_ENGINE: LazyLock<Option<Engine<'static>>> =
    LazyLock::new(|| LARGE.as_ref().map(engine));

fn engines() -> Vec<(&'static str, &'static Engine<'static>)> {
    let mut v = vec![("100k", &*SMALL_ENGINE)];
    if let Some(e) = LARGE_ENGINE.as_ref() {
        v.push(("10M", e));
    }
    v
}

static WATCH: LazyLock<worker::Watch> = LazyLock::new(|| worker::Watch {
    goals: demo::goals(),
    rules: AlertRules::default(),
    followups: demo::followups(),
    ..Default::default()
});

/// Cycles through queries so each iteration is a real change; `forget`
/// drops the finished views before each one (outside the timing).
fn bench_queries(
    bencher: divan::Bencher,
    size: &str,
    make: fn(&Dataset) -> Vec<Query>,
    forget: bool,
) {
    let Some((_, engine)) = engines().into_iter().find(|(n, _)| *n == size) else {
        return;
    };
    let queries = make(engine.dataset());
    // The first view of each filter builds its masks and cohort table, as it
    // would at the dashboard's first switch to it: done before the timings.
    for q in &queries {
        worker::view(engine, 0, q, &WATCH).expect("view");
    }
    let mut i = 0;
    bencher
        .with_inputs(|| {
            i += 1;
            if forget {
                engine.forget_views();
            }
            &queries[i % queries.len()]
        })
        .bench_local_values(|q| worker::view(engine, 0, q, &WATCH).expect("view"));
}

fn months(ds: &Dataset) -> Vec<Query> {
    periods_over_data(ds, Granularity::Month)
        .into_iter()
        .map(Query::new)
        .collect()
}

fn granularities(ds: &Dataset) -> Vec<Query> {
    let last = ds.last_row_day().unwrap_or(0);
    Granularity::ALL
        .into_iter()
        .map(|g| Query::new(Period::containing(g, last)))
        .collect()
}

fn segments(ds: &Dataset) -> Vec<Query> {
    let p = *periods_over_data(ds, Granularity::Month)
        .last()
        .expect("data");
    ["basic", "plus", "pro"]
        .into_iter()
        .map(|v| Query {
            segment: Some(("plan".into(), v.into())),
            ..Query::new(p)
        })
        .collect()
}

fn cohorts(ds: &Dataset) -> Vec<Query> {
    let p = *periods_over_data(ds, Granularity::Month)
        .last()
        .expect("data");
    periods_over_data(ds, Granularity::Quarter)
        .into_iter()
        .map(|c| Query {
            cohort: Some(c),
            ..Query::new(p)
        })
        .collect()
}

const SIZES: &[&str] = &["100k", "10M"];

// One input per sample, so that every timed view follows a forget.
#[divan::bench(args = SIZES, sample_size = 1)]
fn period_change(bencher: divan::Bencher, size: &str) {
    bench_queries(bencher, size, months, true);
}

#[divan::bench(args = SIZES, sample_size = 1)]
fn granularity_change(bencher: divan::Bencher, size: &str) {
    bench_queries(bencher, size, granularities, true);
}

#[divan::bench(args = SIZES, sample_size = 1)]
fn segment_change(bencher: divan::Bencher, size: &str) {
    bench_queries(bencher, size, segments, true);
}

#[divan::bench(args = SIZES, sample_size = 1)]
fn cohort_change(bencher: divan::Bencher, size: &str) {
    bench_queries(bencher, size, cohorts, true);
}

#[divan::bench(args = SIZES)]
fn revisit_segment(bencher: divan::Bencher, size: &str) {
    bench_queries(bencher, size, segments, false);
}

/// The BG/NBD fit of a month's end (kpi-spec §4.13), run by the worker
/// after the view is shown: every timed fit follows a forget.
#[divan::bench(args = SIZES, sample_size = 1, sample_count = 10)]
fn bgnbd_fit(bencher: divan::Bencher, size: &str) {
    let Some((_, engine)) = engines().into_iter().find(|(n, _)| *n == size) else {
        return;
    };
    let queries = months(engine.dataset());
    let mut i = 0;
    bencher
        .with_inputs(|| {
            i += 1;
            engine.forget_views();
            &queries[queries.len() - 1 - i % 12]
        })
        .bench_local_values(|q| engine.predict(q).expect("prediction"));
}

fn main() {
    divan::main();
}
