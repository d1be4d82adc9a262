//! The layers' one-way flow, checked on the sources: data → metrics → app → ui.
//! The data layer names neither the metrics nor the screen; the metrics do not
//! name the app or the ui; the app and the ui never name a polars type nor
//! reach into the dataset's index.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::path::{Path, PathBuf};

fn rust_files(root: &Path, out: &mut Vec<PathBuf>) {
    if root.is_file() {
        out.push(root.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Lines of code (not comments) in a layer's files that contain `needle`.
fn offenders(layer: &[&str], needle: &str) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for part in layer {
        rust_files(&src.join(part), &mut files);
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains(needle) {
                out.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn data_flows_one_way() {
    let data = ["data", "data.rs"];
    let metrics = ["metrics", "metrics.rs"];
    let screen = ["app", "app.rs", "ui", "ui.rs"];
    for needle in ["crate::metrics", "crate::app", "crate::ui", "crate::report"] {
        assert_eq!(
            offenders(&data, needle),
            Vec::<String>::new(),
            "data names {needle}"
        );
    }
    for needle in ["crate::app", "crate::ui"] {
        assert_eq!(
            offenders(&metrics, needle),
            Vec::<String>::new(),
            "metrics names {needle}"
        );
    }
    assert_eq!(
        offenders(&screen, "polars"),
        Vec::<String>::new(),
        "app/ui name polars"
    );
    // The dataset is opaque above the engine: its methods, never its index.
    for needle in [
        "ds.index",
        "dataset.index",
        "index::Index",
        "dataset().index",
    ] {
        assert_eq!(
            offenders(&screen, needle),
            Vec::<String>::new(),
            "app/ui reach into the dataset's index ({needle})"
        );
    }
}
