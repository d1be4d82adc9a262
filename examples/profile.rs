//! Runs recomputes in a loop on generated data, for a profiler:
//! `cargo run --release --example profile -- 300000 20 [period|segment]` builds
//! 300 000 customers, then recomputes for 20 seconds (period and segment changes).

use std::time::{Duration, Instant};

use holdfast::data::Scales;
use holdfast::data::sample::{self, SampleOptions};
use holdfast::metrics::{Engine, Granularity, Query, periods_over_data};

fn main() {
    let mut args = std::env::args().skip(1);
    let customers: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300_000);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let t = Instant::now();
    let ds = sample::dataset(&SampleOptions {
        customers,
        ..Default::default()
    })
    .expect("loads");
    let engine = Engine::new(&ds);
    engine.warm(None, 2.0, Scales::default());
    eprintln!(
        "READY after {:.1?}: {} order rows",
        t.elapsed(),
        ds.order_count()
    );
    let months = periods_over_data(&ds, Granularity::Month);
    // A third argument picks one kind of change: "period" or "segment" (default: both).
    let only = args.next().unwrap_or_default();
    let mut queries: Vec<Query> = if only == "segment" {
        Vec::new()
    } else {
        months.iter().map(|p| Query::new(*p)).collect()
    };
    for v in ["basic", "plus", "pro"].iter().filter(|_| only != "period") {
        queries.push(Query {
            segment: Some(("plan".into(), v.to_string())),
            ..Query::new(*months.last().expect("data"))
        });
    }
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut n = 0usize;
    let mut times = Vec::new();
    while Instant::now() < end {
        let q = &queries[n % queries.len()];
        let t = Instant::now();
        std::hint::black_box(engine.compute(q).expect("compute"));
        times.push(t.elapsed());
        n += 1;
    }
    times.sort();
    eprintln!(
        "{n} recomputes; median {:.1?}, p95 {:.1?}",
        times[times.len() / 2],
        times[times.len() * 95 / 100]
    );
}
