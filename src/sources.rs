//! Which files to load: command-line flags, then the config file, then the
//! bundled sample data (compiled into the binary, so it works from anywhere).
//!
//! Each source may be several files: every flag can be repeated, and each
//! path may be a file, a folder (every supported file inside, recursively,
//! in name order), a glob (`exports/orders-*.csv`), or `-` for standard input.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::data::{Origin, SourceKind, SourceOptions, SourceSpec, Sources};

pub const SAMPLE_ORDERS: &[u8] = include_bytes!("../sample-data/orders.csv");
pub const SAMPLE_FEEDBACK: &[u8] = include_bytes!("../sample-data/feedback.csv");
pub const SAMPLE_TICKETS: &[u8] = include_bytes!("../sample-data/tickets.csv");

/// The bundled sample data.
pub fn sample() -> Sources {
    let spec = |kind: SourceKind, file: &str, bytes: &'static [u8]| SourceSpec {
        kind,
        name: format!("sample-data/{file}"),
        origin: Origin::Embedded(bytes),
        options: SourceOptions::default(),
    };
    Sources {
        orders: vec![spec(SourceKind::Orders, "orders.csv", SAMPLE_ORDERS)],
        feedback: vec![spec(SourceKind::Feedback, "feedback.csv", SAMPLE_FEEDBACK)],
        tickets: vec![spec(SourceKind::Tickets, "tickets.csv", SAMPLE_TICKETS)],
    }
}

/// Source paths given on the command line (each flag may be repeated).
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub orders: Vec<PathBuf>,
    pub feedback: Vec<PathBuf>,
    pub tickets: Vec<PathBuf>,
}

impl Flags {
    pub fn any(&self) -> bool {
        !(self.orders.is_empty() && self.feedback.is_empty() && self.tickets.is_empty())
    }

    pub fn of(&self, kind: SourceKind) -> &[PathBuf] {
        match kind {
            SourceKind::Orders => &self.orders,
            SourceKind::Feedback => &self.feedback,
            SourceKind::Tickets => &self.tickets,
        }
    }
}

fn options(config: &Config, kind: SourceKind) -> &SourceOptions {
    match kind {
        SourceKind::Orders => &config.orders,
        SourceKind::Feedback => &config.feedback,
        SourceKind::Tickets => &config.tickets,
    }
}

/// A spec for a file of a known kind, with that kind's config options.
pub fn spec(kind: SourceKind, path: &Path, config: &Config) -> SourceSpec {
    SourceSpec::path(kind, path, options(config, kind).clone())
}

/// The file extensions read when a folder or glob is given.
const SUPPORTED: &[&str] = &[
    "csv", "tsv", "txt", "dat", "json", "ndjson", "jsonl", "parquet", "pq", "arrow", "feather",
    "ipc", "xlsx", "xlsm", "xls", "ods", "gz",
];

fn supported(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    // Hidden files and Excel's lock files (`~$orders.xlsx`) are not exports.
    if name.starts_with('.') || name.starts_with("~$") {
        return false;
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) => SUPPORTED.contains(&e.to_ascii_lowercase().as_str()),
        // Hive writes a table's Parquet files as `000000_0`: a file without
        // an extension is read when it starts as Parquet or Arrow does.
        // Spark's and Hive's own files start with `_` (`_SUCCESS`, and
        // `_metadata`, a Parquet file of the others' footers).
        None => !name.starts_with('_') && columnar_magic(path),
    }
}

/// Whether the file starts with the magic bytes of Parquet or Arrow IPC.
fn columnar_magic(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 6];
    let read = std::fs::File::open(path).and_then(|f| f.take(6).read(&mut head));
    matches!(read, Ok(n) if head[..n].starts_with(b"PAR1") || head[..n].starts_with(b"ARROW1"))
}

/// The table format whose folder this is, when it is one, with DuckDB's
/// function that reads it: a Delta Lake table (`_delta_log/`) or an Iceberg
/// table (`metadata/*.metadata.json`). Their folders keep the data files of
/// earlier versions, so reading every file would count removed rows again.
fn table_format(dir: &Path) -> Option<(&'static str, &'static str)> {
    if dir.join("_delta_log").is_dir() {
        return Some(("a Delta Lake table", "delta_scan"));
    }
    let iceberg = std::fs::read_dir(dir.join("metadata")).ok()?.any(|e| {
        e.ok()
            .and_then(|e| {
                e.file_name()
                    .to_str()
                    .map(|n| n.ends_with(".metadata.json"))
            })
            .unwrap_or(false)
    });
    iceberg.then_some(("an Iceberg table", "iceberg_scan"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let folder_error = |source| SourceError::Folder {
        path: dir.display().to_string(),
        source,
    };
    if let Some((format, scan)) = table_format(dir) {
        return Err(SourceError::TableFormat {
            path: dir.display().to_string(),
            format,
            scan,
        });
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(folder_error)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        // Symlinked folders are not followed (no loops); symlinked files are read.
        let meta = std::fs::symlink_metadata(&p).map_err(folder_error)?;
        if meta.is_dir() {
            // Spark's and Hive's working folders (`_temporary`, `_spark_metadata`).
            if !name.starts_with('_') {
                walk(&p, out)?;
            }
        } else if supported(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// Why the files named cannot be opened as sources.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: cannot read the folder: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the folder holds no file holdfast reads ({})", SUPPORTED.join(", "))]
    EmptyFolder { path: String },
    #[error(
        "{path}: the folder is {format}, which keeps the files of earlier versions; give holdfast a Parquet copy of its current rows instead (DuckDB: COPY (SELECT * FROM {scan}('{path}')) TO 'orders.parquet')"
    )]
    TableFormat {
        path: String,
        format: &'static str,
        scan: &'static str,
    },
    #[error("{pattern}: not a valid pattern: {message}")]
    Pattern { pattern: String, message: String },
    #[error("{pattern}: no file matches this pattern")]
    NoMatch { pattern: String },
    #[error("`-` (standard input) can stand for one file only")]
    StdinTwice,
    #[error(transparent)]
    Stdin(#[from] crate::data::LoadError),
    #[error(
        "no orders file: pass --orders FILE or set `path` under [orders] in the config file (orders are required)"
    )]
    NoOrders,
}

/// What a path stands for: itself, the supported files in a folder, the
/// matches of a glob, or standard input (`-`).
pub fn expand(path: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let text = path.to_string_lossy();
    if text == "-" {
        return Ok(vec![path.to_path_buf()]);
    }
    if path.is_dir() {
        let mut out = Vec::new();
        walk(path, &mut out)?;
        if out.is_empty() {
            return Err(SourceError::EmptyFolder {
                path: path.display().to_string(),
            });
        }
        return Ok(out);
    }
    if !path.exists() && text.contains(['*', '?', '[']) {
        let mut out: Vec<PathBuf> = glob::glob(&text)
            .map_err(|e| SourceError::Pattern {
                pattern: text.to_string(),
                message: e.to_string(),
            })?
            .filter_map(Result::ok)
            .filter(|p| p.is_file() && supported(p))
            .collect();
        out.sort();
        if out.is_empty() {
            return Err(SourceError::NoMatch {
                pattern: text.to_string(),
            });
        }
        return Ok(out);
    }
    Ok(vec![path.to_path_buf()])
}

/// Reads standard input once (a later `-` gets an error).
fn stdin_spec(kind: SourceKind, options: SourceOptions) -> Result<SourceSpec, SourceError> {
    static TAKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if TAKEN.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return Err(SourceError::StdinTwice);
    }
    let bytes = crate::data::source::read_bounded(
        "-",
        "standard input",
        "cannot read standard input",
        std::io::stdin().lock(),
    )?;
    Ok(SourceSpec {
        kind,
        name: "-".into(),
        origin: Origin::Memory(std::sync::Arc::new(bytes)),
        options,
    })
}

/// The specs of one kind for these paths (expanded), with the kind's options.
pub fn specs_for(
    kind: SourceKind,
    paths: &[PathBuf],
    config: &Config,
) -> Result<Vec<SourceSpec>, SourceError> {
    let mut out = Vec::new();
    for p in paths {
        for file in expand(p)? {
            if file.as_os_str() == "-" {
                out.push(stdin_spec(kind, options(config, kind).clone())?);
            } else {
                out.push(spec(kind, &file, config));
            }
        }
    }
    Ok(out)
}

/// The paths named for a kind: by flags, else by the config file.
fn paths_of(flags: &Flags, config: &Config, kind: SourceKind) -> Vec<PathBuf> {
    let from_flags = flags.of(kind);
    if !from_flags.is_empty() {
        return from_flags.to_vec();
    }
    options(config, kind)
        .path
        .as_ref()
        .map(|p| p.paths())
        .unwrap_or_default()
}

/// The specs named by flags, else by the config file (empty when neither names any).
pub fn named(flags: &Flags, config: &Config) -> Result<Vec<SourceSpec>, SourceError> {
    let mut out = Vec::new();
    for kind in [
        SourceKind::Orders,
        SourceKind::Feedback,
        SourceKind::Tickets,
    ] {
        out.extend(specs_for(kind, &paths_of(flags, config, kind), config)?);
    }
    Ok(out)
}

/// The dataset to open: flags, then config, then the sample data. Orders are
/// required once any source is named.
pub fn resolve(flags: &Flags, config: &Config) -> Result<Sources, SourceError> {
    let specs = named(flags, config)?;
    if specs.is_empty() {
        return Ok(sample());
    }
    let mut sources = Sources::default();
    for s in specs {
        match s.kind {
            SourceKind::Orders => sources.orders.push(s),
            SourceKind::Feedback => sources.feedback.push(s),
            SourceKind::Tickets => sources.tickets.push(s),
        }
    }
    if sources.orders.is_empty() {
        return Err(SourceError::NoOrders);
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_globs_expand_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("2024")).unwrap();
        std::fs::create_dir(d.join("_temporary")).unwrap();
        for f in [
            "b.csv",
            "a.csv",
            "2024/c.xlsx",
            "notes.md",
            ".hidden.csv",
            "~$a.xlsx",
            "x.csv.gz",
            "_temporary/d.csv",
            "LICENSE",
        ] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        // No extension: read when it starts as Parquet or Arrow does,
        // unless its name starts with `_` (`_metadata`).
        for (f, head) in [
            ("000000_0", "PAR1...."),
            ("000001_0", "ARROW1.."),
            ("_metadata", "PAR1...."),
            ("part-0", "PAR"),
        ] {
            std::fs::write(d.join(f), head).unwrap();
        }
        let names = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter()
                .map(|p| p.strip_prefix(d).unwrap().display().to_string())
                .collect()
        };
        assert_eq!(
            names(expand(d).unwrap()),
            vec![
                "000000_0",
                "000001_0",
                "2024/c.xlsx",
                "a.csv",
                "b.csv",
                "x.csv.gz"
            ]
        );
        let pattern = d.join("*.csv");
        assert_eq!(names(expand(&pattern).unwrap()), vec!["a.csv", "b.csv"]);
        let none = d.join("*.tsv");
        assert!(
            expand(&none)
                .unwrap_err()
                .to_string()
                .ends_with("no file matches this pattern")
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(
            expand(empty.path())
                .unwrap_err()
                .to_string()
                .contains("the folder holds no file holdfast reads")
        );
        assert_eq!(expand(Path::new("-")).unwrap(), vec![PathBuf::from("-")]);
    }
}
