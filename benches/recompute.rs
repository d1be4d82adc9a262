//! Recompute time of the metrics engine on generated data: a period,
//! granularity, segment or cohort change, as the dashboard does on a key.
//!
//! `cargo bench --bench recompute` runs the 100 k-order set (10 000
//! customers). `HOLDFAST_BENCH_LARGE=1 cargo bench --bench recompute` adds the
//! 10 M-order set (1 000 000 customers); generating and loading it takes a
//! few minutes before the timings start.

use std::sync::LazyLock;

use holdfast::data::sample::{self, SampleOptions};
use holdfast::data::{Dataset, Scales};
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
    e.warm(None, 2.0, Scales::default());
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

/// Cycles through queries so each iteration is a real change.
fn bench_queries(bencher: divan::Bencher, size: &str, make: fn(&Dataset) -> Vec<Query>) {
    let Some((_, engine)) = engines().into_iter().find(|(n, _)| *n == size) else {
        return;
    };
    let queries = make(engine.dataset());
    // Cohort tables are cached per filter, as in the dashboard: fill the cache first.
    for q in &queries {
        engine.compute(q).expect("compute");
    }
    let mut i = 0;
    bencher.bench_local(|| {
        i += 1;
        engine
            .compute(&queries[i % queries.len()])
            .expect("compute")
    });
}

fn months(ds: &Dataset) -> Vec<Query> {
    periods_over_data(ds, Granularity::Month)
        .into_iter()
        .map(Query::new)
        .collect()
}

fn granularities(ds: &Dataset) -> Vec<Query> {
    let last = ds.index.last_row_day.unwrap_or(0);
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

#[divan::bench(args = SIZES)]
fn period_change(bencher: divan::Bencher, size: &str) {
    bench_queries(bencher, size, months);
}

#[divan::bench(args = SIZES)]
fn granularity_change(bencher: divan::Bencher, size: &str) {
    bench_queries(bencher, size, granularities);
}

#[divan::bench(args = SIZES)]
fn segment_change(bencher: divan::Bencher, size: &str) {
    bench_queries(bencher, size, segments);
}

#[divan::bench(args = SIZES)]
fn cohort_change(bencher: divan::Bencher, size: &str) {
    bench_queries(bencher, size, cohorts);
}

fn main() {
    divan::main();
}
