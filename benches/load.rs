//! Load and draw: parsing the generated exports from CSV, from Parquet
//! (text columns, and typed: DATE and DOUBLE), from an Arrow IPC file and
//! from a year-partitioned Parquet dataset (Hive folders), reopening them
//! through the parse cache and the index cache, and drawing one full
//! dashboard frame on ratatui's TestBackend. `cargo bench --bench load`;
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
    typed: PathBuf,
    arrow: PathBuf,
    dataset: PathBuf,
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
    write_parquet(&parquet, &mut df);
    // Typed, as a warehouse writes it: the date a DATE, the amount a DOUBLE.
    let mut typed = typed_orders(&df);
    let typed_path = dir.path().join("typed.parquet");
    write_parquet(&typed_path, &mut typed);
    let arrow = dir.path().join("orders.arrow");
    use polars::prelude::SerWriter as _;
    polars::prelude::IpcWriter::new(std::fs::File::create(&arrow).expect("file"))
        .finish(&mut typed)
        .expect("arrow");
    // A dataset partitioned by year: `year=2024/part-0.parquet`, …
    let dataset = dir.path().join("dataset");
    let years: Vec<i32> = typed
        .column("order_date")
        .expect("date")
        .to_physical_repr()
        .i32()
        .expect("days")
        .into_no_null_iter()
        .map(|d| holdfast::calendar::civil_from_days(d).0)
        .collect();
    let mut distinct = years.clone();
    distinct.sort_unstable();
    distinct.dedup();
    for year in distinct {
        let mask: polars::prelude::BooleanChunked = years.iter().map(|&y| y == year).collect();
        let mut part = typed.filter(&mask).expect("part");
        let folder = dataset.join(format!("year={year}"));
        std::fs::create_dir_all(&folder).expect("folder");
        write_parquet(&folder.join("part-0.parquet"), &mut part);
    }
    let cache = dir.path().join("cache");
    Files {
        csv: orders,
        feedback,
        tickets,
        parquet,
        typed: typed_path,
        arrow,
        dataset,
        cache,
        _dir: dir,
    }
});

fn write_parquet(path: &std::path::Path, df: &mut polars::prelude::DataFrame) {
    polars::prelude::ParquetWriter::new(std::fs::File::create(path).expect("file"))
        .finish(df)
        .expect("parquet");
}

/// The text orders with `order_date` as days (DATE) and `amount` as DOUBLE.
fn typed_orders(text: &polars::prelude::DataFrame) -> polars::prelude::DataFrame {
    use holdfast::data::parse;
    use polars::prelude::*;
    let cells = |name: &str| {
        text.column(name)
            .expect("column")
            .str()
            .expect("text")
            .clone()
    };
    let days: Vec<i32> = cells("order_date")
        .iter()
        .flatten()
        .map(
            |d| match parse::parse_datetime(d).and_then(|r| r.resolve(parse::DateOrder::Dmy)) {
                Some(stamp) => stamp.day,
                None => panic!("date {d}"),
            },
        )
        .collect();
    let amounts: Vec<f64> = cells("amount")
        .iter()
        .flatten()
        .map(|a| a.parse().expect("amount"))
        .collect();
    let mut typed = text.clone();
    typed
        .with_column(
            Column::new("order_date".into(), days)
                .cast(&DataType::Date)
                .expect("date"),
        )
        .expect("date column");
    typed
        .with_column(Column::new("amount".into(), amounts))
        .expect("amount column");
    typed
}

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
fn orders_from_typed_parquet() -> data::Loaded {
    data::load_source(&spec(&FILES.typed), Scales::default()).expect("loads")
}

#[divan::bench(sample_count = 20)]
fn orders_from_arrow() -> data::Loaded {
    data::load_source(&spec(&FILES.arrow), Scales::default()).expect("loads")
}

/// The year-partitioned dataset through the whole load (one file per year,
/// merged) and indexed, as `--orders dataset/` does.
#[divan::bench(sample_count = 10)]
fn orders_from_hive_dataset() -> data::Dataset {
    let files = holdfast::sources::expand(&FILES.dataset).expect("parts");
    let sources = data::Sources {
        orders: files.iter().map(|p| spec(p)).collect(),
        feedback: Vec::new(),
        tickets: Vec::new(),
    };
    data::load(&sources, Scales::default()).expect("loads")
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
