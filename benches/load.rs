//! Load and draw: parsing the generated exports from CSV and from Parquet,
//! reopening them through the parse cache and the index cache, and drawing one full dashboard
//! frame on ratatui's TestBackend. `cargo bench --bench load`;
//! `HOLDFAST_BENCH_CUSTOMERS=N` changes the size (default 10 000 customers,
//! about 100 k order rows).

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use holdfast::app::keymap::Keymap;
use holdfast::app::state::{State, View};
use holdfast::data::sample::{self, SampleOptions};
use holdfast::data::{self, Scales, SourceKind, SourceOptions, SourceSpec};
use holdfast::metrics::{Engine, Granularity, Period, Query};
use holdfast::ui::{self, Theme};

struct Files {
    _dir: tempfile::TempDir,
    csv: PathBuf,
    feedback: PathBuf,
    tickets: PathBuf,
    parquet: PathBuf,
    cache: PathBuf,
}

static FILES: LazyLock<Files> = LazyLock::new(|| {
    let customers = std::env::var("HOLDFAST_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = SampleOptions {
        customers,
        ..Default::default()
    };
    let [orders, feedback, tickets] = sample::write(&opts, dir.path()).expect("sample written");
    // The same orders as a Parquet file of text columns.
    let mut reader = csv::Reader::from_path(&orders).expect("csv");
    let headers: Vec<String> = reader
        .headers()
        .expect("headers")
        .iter()
        .map(String::from)
        .collect();
    let mut columns: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
    for rec in reader.records() {
        let rec = rec.expect("record");
        for (i, v) in rec.iter().enumerate() {
            columns[i].push(v.to_string());
        }
    }
    let cols = headers
        .iter()
        .zip(columns)
        .map(|(h, v)| polars::prelude::Column::new(h.as_str().into(), v))
        .collect();
    let mut df = polars::prelude::DataFrame::new_infer_height(cols).expect("frame");
    let parquet = dir.path().join("orders.parquet");
    polars::prelude::ParquetWriter::new(std::fs::File::create(&parquet).expect("file"))
        .finish(&mut df)
        .expect("parquet");
    let cache = dir.path().join("cache");
    Files {
        csv: orders,
        feedback,
        tickets,
        parquet,
        cache,
        _dir: dir,
    }
});

fn spec(path: &std::path::Path) -> SourceSpec {
    SourceSpec::path(SourceKind::Orders, path, SourceOptions::default())
}

#[divan::bench(sample_count = 20)]
fn orders_from_csv() -> data::Loaded {
    data::load_source(&spec(&FILES.csv), Scales::default()).expect("loads")
}

#[divan::bench(sample_count = 20)]
fn orders_from_parquet() -> data::Loaded {
    data::load_source(&spec(&FILES.parquet), Scales::default()).expect("loads")
}

#[divan::bench(sample_count = 20)]
fn orders_from_cache(bencher: divan::Bencher) {
    let s = spec(&FILES.csv);
    data::load_source_cached(&s, Scales::default(), Some(&FILES.cache)).expect("fills the cache");
    bencher.bench(|| {
        data::load_source_cached(&s, Scales::default(), Some(&FILES.cache)).expect("loads")
    });
}

/// All three files reopened through the index cache (no parsing, no
/// indexing): what starting holdfast again on unchanged exports costs.
#[divan::bench(sample_count = 20)]
fn dataset_from_index_cache(bencher: divan::Bencher) {
    let sources = data::Sources::new(
        spec(&FILES.csv),
        Some(SourceSpec::path(
            SourceKind::Feedback,
            &FILES.feedback,
            SourceOptions::default(),
        )),
        Some(SourceSpec::path(
            SourceKind::Tickets,
            &FILES.tickets,
            SourceOptions::default(),
        )),
    );
    let cache = Some(FILES.cache.as_path());
    data::load_with_progress(&sources, Scales::default(), cache, &mut |_| {}).expect("fills");
    bencher.bench(|| {
        data::load_with_progress(&sources, Scales::default(), cache, &mut |_| {}).expect("loads")
    });
}

static SAMPLE: LazyLock<data::Dataset> = LazyLock::new(|| {
    data::load(&holdfast::sources::sample(), Scales::default()).expect("sample loads")
});

/// One full dashboard frame at 160×48 from the bundled sample.
#[divan::bench]
fn full_frame(bencher: divan::Bencher) {
    use ratatui::{Terminal, backend::TestBackend};
    let engine = Engine::new(&SAMPLE);
    let q = Query::new(Period::containing(
        Granularity::Month,
        SAMPLE.last_row_day().expect("data"),
    ));
    let mut state = State::new(
        q.clone(),
        Default::default(),
        holdfast::metrics::data_range(&SAMPLE),
    );
    let watch = holdfast::app::worker::Watch {
        goals: holdfast::app::demo::goals(),
        rules: Default::default(),
        ..Default::default()
    };
    let view: View = holdfast::app::worker::view(&engine, 0, &q, &watch).expect("view");
    state.view = Some(Arc::new(view));
    let keymap = Keymap::default();
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    bencher.bench_local(|| {
        terminal
            .draw(|f| ui::render(f, &state, &Theme::DARK, &keymap))
            .expect("draw");
    });
}

fn main() {
    divan::main();
}
