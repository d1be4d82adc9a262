//! Reading a file into header names and a stream of string records, whatever
//! its format: CSV (comma, semicolon, tab or pipe, detected), JSON arrays,
//! NDJSON and Parquet. Every record carries the physical line it starts on
//! (header = line 1) so messages can point at it. Files are only ever read.

use crate::Joined as _;
use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::error::LoadError;

/// Where the bytes of a source come from.
#[derive(Clone, Debug)]
pub enum Origin {
    Path(PathBuf),
    /// Bytes compiled into the binary (the bundled sample data).
    Embedded(&'static [u8]),
    /// Bytes held in memory (tests, generated data).
    Memory(std::sync::Arc<Vec<u8>>),
}

/// How to decode text files that are not UTF-8.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Encoding {
    #[default]
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    #[serde(rename = "latin1", alias = "iso-8859-1", alias = "latin-1")]
    Latin1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Json,
    Ndjson,
    Parquet,
    /// Arrow IPC (Feather v2).
    Arrow,
    Xlsx,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
            Format::Xlsx => "xlsx",
        }
    }

    /// The format's name in messages.
    pub fn title(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Json => "JSON",
            Format::Ndjson => "NDJSON",
            Format::Parquet => "Parquet",
            Format::Arrow => "Arrow",
            Format::Xlsx => "the workbook",
        }
    }
}

enum Body {
    Csv {
        text: Text,
        delimiter: u8,
        /// The text holds a `\r`: line numbers are counted by `Lines`
        /// (found once, when the file is opened).
        cr: bool,
    },
    Records(Vec<(u64, StringRecord)>),
    /// Columnar files (Arrow): each column as the file holds it, rows
    /// streamed in blocks through one reused record.
    Columns(Vec<ColumnBody>),
    /// A Parquet file, decoded a chunk of row groups at a time as its rows
    /// are read.
    Parquet(ParquetBody),
}

/// A Parquet file whose columns are decoded a chunk of row groups (about
/// `CHUNK_ROWS` rows) at a time, as each run reads its rows, and dropped
/// after: the decoded columns of a large file (text columns take 16 bytes a
/// cell and more) are never in memory whole, beside the rows made of them.
struct ParquetBody {
    bytes: Bytes<'static>,
    metadata: std::sync::Arc<polars::prelude::FileMetadata>,
    /// The columns read (those of types holdfast reads), and their types.
    wanted: Vec<String>,
    dtypes: Vec<polars::prelude::DataType>,
    /// The first row of each row group, then the file's height.
    bounds: Vec<usize>,
    /// The file's first chunk as last decoded (its end row), kept for the
    /// next read of it: the mapping peeks at the first rows, then the load
    /// reads them, and a file of one row group would be decoded twice.
    first: std::sync::Mutex<Option<(usize, Vec<ColumnBody>)>>,
}

/// Rows of a Parquet chunk (`ParquetBody::chunk_end`): whole row groups of
/// at least this many rows together.
const CHUNK_ROWS: usize = if cfg!(test) { 1000 } else { 1 << 20 };

impl ParquetBody {
    fn height(&self) -> usize {
        self.bounds.last().copied().unwrap_or(0)
    }

    /// Where the chunk that starts at row `start` ends (before `limit`): at
    /// the first row-group bound `CHUNK_ROWS` or more past it.
    fn chunk_end(&self, start: usize, limit: usize) -> usize {
        let i = self.bounds.partition_point(|&b| b < start + CHUNK_ROWS);
        self.bounds
            .get(i)
            .copied()
            .unwrap_or(self.height())
            .min(limit)
    }

    /// The columns of rows `start..end`. The first chunk is decoded once
    /// for two reads (`ParquetBody::first`).
    fn read(&self, name: &str, start: usize, end: usize) -> Result<Vec<ColumnBody>, LoadError> {
        if start != 0 {
            return self.decode(name, start, end);
        }
        let mut first = self
            .first
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((kept_end, columns)) = first.take()
            && kept_end == end
        {
            return Ok(columns);
        }
        let columns = self.decode(name, start, end)?;
        *first = Some((end, columns.clone()));
        Ok(columns)
    }

    fn decode(&self, name: &str, start: usize, end: usize) -> Result<Vec<ColumnBody>, LoadError> {
        column_bodies(name, Format::Parquet, self.frame(name, start, end)?)
    }

    /// Rows `start..end` of the columns read, as polars decodes them.
    fn frame(
        &self,
        name: &str,
        start: usize,
        end: usize,
    ) -> Result<polars::prelude::DataFrame, LoadError> {
        use polars::prelude::*;
        guarded_read(name, Format::Parquet, || {
            let mut reader = ParquetReader::new(std::io::Cursor::new(&self.bytes[..]));
            reader.set_metadata(std::sync::Arc::clone(&self.metadata));
            reader
                .with_columns(Some(self.wanted.clone()))
                .with_slice(Some((start, end - start)))
                .finish()
        })
    }
}

/// The columns of a columnar body as one run reads them: all of an Arrow
/// file's, or a Parquet file's, read a chunk at a time.
#[derive(Clone, Copy)]
enum Cols<'a> {
    Eager(&'a [ColumnBody]),
    Parquet(&'a ParquetBody),
}

/// A column of a columnar file.
#[derive(Clone)]
enum ColumnBody {
    /// Text, as the file holds it.
    Text(polars::prelude::StringChunked),
    /// Any other type the loaders read. Its cells become text a block of
    /// rows at a time (`parquet_text`), unless a loader reads them as
    /// themselves (`Native`).
    Typed(polars::prelude::Column),
}

impl ColumnBody {
    fn len(&self) -> usize {
        match self {
            ColumnBody::Text(c) => c.len(),
            ColumnBody::Typed(c) => c.len(),
        }
    }
}

/// A block of one column's rows (`RawFile::column_records`): its text, or
/// its cells read as themselves (or iterators over either).
enum Block<T, N> {
    Text(T),
    Native(N),
}

/// A cell of a typed column read as itself, not as text: the values a
/// Parquet or Arrow file stores exactly (`RawFile::for_each_split` with
/// the columns to read so).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Native {
    /// No value (null).
    None,
    /// A date: days since 1970-01-01.
    Date(i32),
    /// A timestamp in whole seconds since the epoch of its wall clock;
    /// `utc` when the column carries a time zone (its values are instants).
    Timestamp {
        secs: i64,
        utc: bool,
    },
    Int(i64),
    Float(f64),
    /// A decimal: `value` × 10^-`scale`.
    Decimal {
        value: i128,
        scale: u32,
    },
}

/// What a typed column holds, for a loader deciding whether to read it as itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeKind {
    /// Dates and timestamps.
    Time,
    /// Integers, 64-bit floats and decimals: amounts exactly as stored.
    Number,
}

/// A run of a CSV text (`RawFile::runs`): its bytes, the `\n`s before
/// it, and the physical line it starts on (counted only when the text
/// holds a `\r`).
#[derive(Clone, Debug)]
struct CsvRun {
    range: std::ops::Range<usize>,
    lf_before: u64,
    line: u64,
}

/// A source's bytes as they were read: borrowed (the bundled sample),
/// owned (standard input, an inflated gzip file), or a regular file mapped
/// read-only (`read_regular`).
pub enum Bytes<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Borrowed(b) => b,
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

/// A CSV body's text, checked to be UTF-8 when the file was opened: owned,
/// or the file's mapping from `start` (a byte-order mark or Excel's `sep=`
/// line before it). A mapped text is read a run at a time and the pages
/// behind each run are handed back as it goes (`Text::release`), so a large
/// file is never all in memory at once: the kernel reads it again from its
/// page cache if it is needed twice.
enum Text {
    Owned(String),
    Mapped { map: memmap2::Mmap, start: usize },
}

impl Text {
    fn bytes(&self) -> &[u8] {
        match self {
            Text::Owned(s) => s.as_bytes(),
            Text::Mapped { map, start } => &map[*start..],
        }
    }

    fn len(&self) -> usize {
        self.bytes().len()
    }

    /// The text as `str`, checked: a mapped file is checked here, once,
    /// when it is opened (an owned one was checked when it was decoded).
    fn checked(&self, name: &str) -> Result<&str, LoadError> {
        match self {
            Text::Owned(s) => Ok(s),
            Text::Mapped { .. } => {
                let b = self.bytes();
                if b.len() >= UTF8_HALVES_FROM && utf8_in_halves(b) {
                    // SAFETY: `utf8_in_halves` checked both halves, cut
                    // where a character starts, each whole: together they
                    // are valid UTF-8.
                    return Ok(unsafe { std::str::from_utf8_unchecked(b) });
                }
                std::str::from_utf8(b).map_err(|e| not_utf8(name, b, e))
            }
        }
    }

    /// The text after its first `skip` bytes.
    fn skip(self, skip: usize) -> Text {
        match self {
            Text::Owned(mut s) if skip > 0 => {
                s.drain(..skip);
                Text::Owned(s)
            }
            Text::Mapped { map, start } => Text::Mapped {
                map,
                start: start + skip,
            },
            owned => owned,
        }
    }

    /// Hands the pages of `range` back to the kernel: the memory they take
    /// in this process is freed, and a later read of them maps them again
    /// from the page cache, the same bytes. Nothing for an owned text.
    fn release(&self, range: std::ops::Range<usize>) {
        let Text::Mapped { map, start } = self else {
            return;
        };
        let end = (start + range.end).min(map.len());
        let from = (start + range.start).min(end);
        if end > from {
            // SAFETY: the mapping is private and read-only, so dropping
            // its pages loses nothing: a later read faults them in from
            // the file again, with the bytes they held (the file is
            // not changed while it is read: see `read_regular`).
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, end - from)
            };
        }
    }

    fn release_all(&self) {
        self.release(0..self.len());
    }
}

/// Bytes from which a mapped text is checked in two halves, one per thread
/// (the first read of a large export: its pages come in on both cores).
const UTF8_HALVES_FROM: usize = if cfg!(test) { 8 } else { 16 << 20 };

/// Whether `b` is valid UTF-8, checked in two halves on two threads, cut
/// where a character starts (false also when the cut could not be placed:
/// the caller then checks it whole, for the error's place).
fn utf8_in_halves(b: &[u8]) -> bool {
    let mut mid = b.len() / 2;
    // A continuation byte (10xxxxxx) is inside a character; at most three follow its start.
    for _ in 0..3 {
        if b.get(mid).is_some_and(|&c| c & 0xC0 == 0x80) {
            mid += 1;
        }
    }
    if b.get(mid).is_some_and(|&c| c & 0xC0 == 0x80) {
        return false;
    }
    let (first, later) = b.split_at(mid);
    std::thread::scope(|s| {
        let later = s.spawn(|| std::str::from_utf8(later).is_ok());
        let first = std::str::from_utf8(first).is_ok();
        first && later.join().unwrap_or(false)
    })
}

/// A body cut into runs of whole records: byte ranges of a CSV text, or
/// row ranges of columns.
enum Runs<'a> {
    Csv {
        text: &'a Text,
        delimiter: u8,
        cr: bool,
        ranges: Vec<CsvRun>,
    },
    Columns {
        columns: Cols<'a>,
        ranges: Vec<std::ops::Range<usize>>,
    },
}

/// A file opened and decoded, ready to be streamed record by record.
pub struct RawFile {
    /// The name used in every message (the path as the user gave it).
    pub name: String,
    pub format: Format,
    pub headers: Vec<String>,
    /// The file had no header line: `headers` are made up (`column 1`, …)
    /// and the first line is data.
    pub headerless: bool,
    body: Body,
    /// Values appended to every record: the partitions of a Hive-style
    /// dataset (`year=2024/region=EU/part-0.parquet`), whose names are the
    /// last headers.
    partitions: Vec<String>,
}

/// How many runs a large CSV body is read in at once (`RawFile::for_each_split`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    pub pieces: usize,
    /// Smaller bodies are read in one run: threads cost more than they save.
    pub min_bytes: usize,
}

impl Split {
    /// One run per core (or `HOLDFAST_LOAD_THREADS`), for bodies of 32 MB and more.
    pub fn for_machine() -> Split {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let asked = std::env::var("HOLDFAST_LOAD_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|n| *n > 0);
        Split {
            pieces: asked.unwrap_or(cores).min(16),
            min_bytes: 32 << 20,
        }
    }

    /// One run: the file as one stream.
    pub const ONE: Split = Split {
        pieces: 1,
        min_bytes: usize::MAX,
    };
}

/// How to read a source's bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions<'a> {
    pub encoding: Encoding,
    /// Spreadsheets: the sheet to read (default: the first).
    pub sheet: Option<&'a str>,
}

impl RawFile {
    pub fn open(name: &str, origin: &Origin, read: ReadOptions) -> Result<RawFile, LoadError> {
        let bytes = match origin {
            Origin::Path(p) => read_regular(name, p)?,
            Origin::Embedded(b) => Bytes::Borrowed(b),
            Origin::Memory(b) => Bytes::Borrowed(b.as_slice()),
        };
        let path = match origin {
            Origin::Path(p) => p.as_path(),
            Origin::Embedded(_) | Origin::Memory(_) => Path::new(name),
        };
        let mut raw = Self::from_bytes_with(name, path, bytes, read)?;
        if matches!(origin, Origin::Path(_)) {
            raw.add_partitions(path);
        }
        Ok(raw)
    }

    /// The `key=value` folders above the file (a Hive-style partitioned
    /// dataset as Spark, DuckDB's `COPY … PARTITION_BY` or a warehouse
    /// unload write it) become columns, unless the file has a column of
    /// that name already. Values are %-decoded; Hive's
    /// `__HIVE_DEFAULT_PARTITION__` is no value.
    fn add_partitions(&mut self, path: &Path) {
        if self.headerless {
            return;
        }
        let Some(parent) = path.parent() else {
            return;
        };
        for part in parent.components() {
            let std::path::Component::Normal(part) = part else {
                continue;
            };
            let Some((key, value)) = part.to_str().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let key = percent_decode(key);
            if key.is_empty() || self.headers.iter().any(|h| h.eq_ignore_ascii_case(&key)) {
                continue;
            }
            let value = if value == "__HIVE_DEFAULT_PARTITION__" {
                String::new()
            } else {
                percent_decode(value)
            };
            self.headers.push(key);
            self.partitions.push(value);
        }
    }

    pub fn from_bytes(
        name: &str,
        path: &Path,
        bytes: &[u8],
        encoding: Encoding,
    ) -> Result<RawFile, LoadError> {
        Self::from_bytes_with(
            name,
            path,
            Bytes::Borrowed(bytes),
            ReadOptions {
                encoding,
                sheet: None,
            },
        )
    }

    /// Opens a file's bytes; a text file's own bytes (owned or mapped)
    /// become its text without a copy.
    pub fn from_bytes_with(
        name: &str,
        path: &Path,
        owned: Bytes,
        read: ReadOptions,
    ) -> Result<RawFile, LoadError> {
        let bytes: &[u8] = &owned;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        if bytes.starts_with(&[0x1F, 0x8B]) {
            let inflated = gunzip(name, bytes)?;
            // `orders.csv.gz` reads as `orders.csv`.
            let inner = match ext.as_str() {
                "gz" | "gzip" => path.with_extension(""),
                _ => path.to_path_buf(),
            };
            return Self::from_bytes_with(name, &inner, Bytes::Owned(inflated), read);
        }
        if ext == "parquet" || ext == "pq" || bytes.starts_with(b"PAR1") {
            return read_parquet(name, owned);
        }
        if matches!(ext.as_str(), "arrow" | "feather" | "ipc") || bytes.starts_with(b"ARROW1") {
            return read_arrow(name, bytes);
        }
        if let Some(kind) = spreadsheet_kind(&ext, bytes) {
            if kind != Sheet::Xls {
                check_zip_bomb(name, bytes)?;
            }
            return read_spreadsheet(name, bytes, kind, read.sheet);
        }
        if let Some(what) = binary_kind(bytes) {
            return Err(LoadError::Invalid {
                file: name.to_string(),
                message: format!(
                    "this looks like {what}, not a CSV, JSON or spreadsheet export; export the data as CSV or XLSX"
                ),
            });
        }
        let text = decode(name, owned, read.encoding)?;
        let all = text.checked(name)?;
        if all.trim().is_empty() {
            return Err(LoadError::Empty {
                file: name.to_string(),
            });
        }
        let first = all.trim_start();
        if ext == "ndjson" || ext == "jsonl" || (first.starts_with('{') && ext != "json") {
            return read_ndjson(name, all);
        }
        if ext == "json" || first.starts_with('[') || first.starts_with('{') {
            return read_json(name, all);
        }
        // Excel's `sep=;` first line names the delimiter: it is left out
        // (its line break stays, so line numbers stay physical).
        let declared = excel_sep_line(all);
        let sep_len = declared.map_or(0, |(_, len)| len);
        let body = &all[sep_len..];
        let delimiter = declared.map(|(d, _)| d).or_else(|| detect_delimiter(body));
        // Whitespace-separated columns (CDNOW): runs of blanks become one tab.
        let collapsed =
            (delimiter.is_none() && is_whitespace_separated(body)).then(|| collapse_blanks(body));
        let body = collapsed.as_deref().unwrap_or(body);
        let delimiter = match (&collapsed, delimiter) {
            (Some(_), _) => b'\t',
            (None, d) => d.unwrap_or(b','),
        };
        if let Some(line) = open_quote_line(body, delimiter) {
            return Err(LoadError::Parse {
                file: name.to_string(),
                line,
                message: "a quoted field opened here is never closed, so the rest of the file would be read as one field"
                    .into(),
            });
        }
        let cr = body.as_bytes().contains(&b'\r');
        let mut reader = csv_reader(body.as_bytes(), delimiter, true);
        let mut headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(name, &e))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut second = StringRecord::new();
        let has_second = reader.read_record(&mut second).unwrap_or(false);
        // A header line of values (CDNOW without a header): made-up names.
        let headerless = headers.len() > 1 && headers.iter().all(|h| looks_like_value(h));
        if headerless {
            headers = (1..=headers.len()).map(|i| format!("column {i}")).collect();
        } else if has_second
            && second.len() == headers.len() + 1
            && second
                .get(0)
                .is_some_and(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
        {
            // R's write.table: row names on every line but no header for them.
            headers.insert(0, String::new());
        }
        let text = match collapsed {
            Some(c) => Text::Owned(c),
            None => text.skip(sep_len),
        };
        // The checks above read every byte: a mapped file's pages go back
        // until the records are read.
        text.release_all();
        Ok(RawFile {
            name: name.to_string(),
            format: Format::Csv,
            headers,
            headerless,
            body: Body::Csv {
                text,
                delimiter,
                cr,
            },
            partitions: Vec::new(),
        })
    }

    /// Calls `f(line, record)` for every data record after `skip` extra header
    /// records. A record with a different number of fields than the header is
    /// passed on as it is: the caller rejects it. Lines are physical lines,
    /// whatever the line ending (LF, CRLF or CR).
    pub fn for_each(
        &self,
        skip: usize,
        mut f: impl FnMut(u64, &StringRecord) -> Result<(), LoadError>,
    ) -> Result<(), LoadError> {
        self.for_each_native(skip, &[], |line, rec, _| f(line, rec))
    }

    /// What the column at `index` holds when a loader can read it as
    /// itself (a typed column of a columnar file); `None` for text.
    pub fn native_kind(&self, index: usize) -> Option<NativeKind> {
        use polars::prelude::DataType as D;
        let dtype = match &self.body {
            Body::Columns(columns) => match columns.get(index)? {
                ColumnBody::Typed(col) => col.dtype(),
                ColumnBody::Text(_) => return None,
            },
            Body::Parquet(p) => p.dtypes.get(index)?,
            Body::Csv { .. } | Body::Records(_) => return None,
        };
        match dtype {
            D::Date | D::Datetime(_, _) => Some(NativeKind::Time),
            D::Int8
            | D::Int16
            | D::Int32
            | D::Int64
            | D::UInt8
            | D::UInt16
            | D::UInt32
            | D::Float64
            | D::Decimal(_, _) => Some(NativeKind::Number),
            _ => None,
        }
    }

    /// Like [`RawFile::for_each`]; the columns listed in `native` (those
    /// `native_kind` names) are read as themselves: their cells come in the
    /// third argument, one per column (`Native::None` for the others), and
    /// their text fields are left empty.
    fn for_each_native(
        &self,
        skip: usize,
        native: &[usize],
        mut f: impl FnMut(u64, &StringRecord, &[Native]) -> Result<(), LoadError>,
    ) -> Result<(), LoadError> {
        if self.partitions.is_empty() {
            return self.for_each_record(skip, native, f);
        }
        let mut with = StringRecord::new();
        self.for_each_record(skip, native, |line, rec, cells| {
            with.clone_from(rec);
            for v in &self.partitions {
                with.push_field(v);
            }
            f(line, &with, cells)
        })
    }

    /// Like [`RawFile::for_each`], with the records split into up to
    /// `split.pieces` runs of whole records read on threads of their own,
    /// each into its own state from `new`; the states come back in file
    /// order. A run ends where the file's own CSV reader ends a record, so
    /// the runs together read exactly as the whole file does, line numbers
    /// included. Only a CSV body of `split.min_bytes` or more splits, or a
    /// columnar one (Parquet) of `split.min_bytes / 64` rows or more, in
    /// equal shares of rows. The columns listed in `native` are read as
    /// themselves (see `for_each_native`).
    pub fn for_each_split<S: Send>(
        &self,
        skip: usize,
        split: Split,
        native: &[usize],
        new: impl Fn() -> S + Sync,
        f: impl Fn(&mut S, u64, &StringRecord, &[Native]) -> Result<(), LoadError> + Sync,
    ) -> Result<Vec<S>, LoadError> {
        // One run: the records as one stream (any body).
        let Some(runs) = self.runs(skip, split)? else {
            let mut state = new();
            self.for_each_native(skip, native, |line, rec, cells| {
                f(&mut state, line, rec, cells)
            })?;
            return Ok(vec![state]);
        };
        let count = match &runs {
            Runs::Csv { ranges, .. } => ranges.len(),
            Runs::Columns { ranges, .. } => ranges.len(),
        };
        let run = |k: usize| -> Result<S, LoadError> {
            let mut state = new();
            let mut with = StringRecord::new();
            let skip = if k == 0 { skip } else { 0 };
            {
                let mut each = |line: u64, rec: &StringRecord, cells: &[Native]| {
                    if self.partitions.is_empty() {
                        return f(&mut state, line, rec, cells);
                    }
                    with.clone_from(rec);
                    for v in &self.partitions {
                        with.push_field(v);
                    }
                    f(&mut state, line, &with, cells)
                };
                match &runs {
                    Runs::Csv {
                        text,
                        delimiter,
                        cr,
                        ranges,
                    } => self.csv_records(text, *delimiter, *cr, &ranges[k], skip, |l, r| {
                        each(l, r, &[])
                    })?,
                    Runs::Columns { columns, ranges } => {
                        self.column_records(*columns, ranges[k].clone(), skip, native, &mut each)?
                    }
                }
            }
            Ok(state)
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..count).map(|k| scope.spawn(move || run(k))).collect();
            let mut states = vec![run(0)?];
            for h in handles {
                states.push(h.joined()?);
            }
            Ok(states)
        })
    }

    /// The runs a body is read in (`None`: one run): a CSV body of
    /// `split.min_bytes` or more cut where its records start, a columnar one
    /// of `split.min_bytes / 64` rows or more in equal shares of rows.
    fn runs(&self, skip: usize, split: Split) -> Result<Option<Runs<'_>>, LoadError> {
        if split.pieces < 2 {
            return Ok(None);
        }
        match &self.body {
            Body::Csv {
                text,
                delimiter,
                cr,
            } if text.len() >= split.min_bytes => {
                let all = text.bytes();
                let starts = self.run_starts(all, *delimiter, skip, split.pieces)?;
                if starts.is_empty() {
                    return Ok(None);
                }
                let mut bounds = vec![0];
                bounds.extend(starts);
                bounds.push(all.len());
                // Where each run's lines start, counted here once, so that
                // no run reads the bytes before its own.
                let mut lines = Lines {
                    bytes: all,
                    pos: 0,
                    line: 1,
                };
                let (mut lf_before, mut counted) = (0u64, 0usize);
                let ranges = bounds
                    .windows(2)
                    .map(|w| {
                        lf_before += count_lf(&all[counted..w[0]]);
                        counted = w[0];
                        CsvRun {
                            range: w[0]..w[1],
                            lf_before,
                            line: if *cr { lines.count_to(w[0]) } else { 1 },
                        }
                    })
                    .collect();
                text.release_all();
                Ok(Some(Runs::Csv {
                    text,
                    delimiter: *delimiter,
                    cr: *cr,
                    ranges,
                }))
            }
            // A small CSV body, records, or columns (of any height).
            _ => {
                let Some((columns, height)) = self.cols() else {
                    return Ok(None);
                };
                if height < (split.min_bytes / 64).max(2 * skip + 2) {
                    return Ok(None);
                }
                let share = height.div_ceil(split.pieces);
                Ok(Some(Runs::Columns {
                    columns,
                    ranges: (0..height.div_ceil(share))
                        .map(|k| k * share..((k + 1) * share).min(height))
                        .collect(),
                }))
            }
        }
    }

    /// Where the 2nd, 3rd, … runs of whole records start: the first record
    /// starting at or after each equal share of the bytes, found by the same
    /// reader (so a quoted line break is never taken for a record's end).
    fn run_starts(
        &self,
        text: &[u8],
        delimiter: u8,
        skip: usize,
        pieces: usize,
    ) -> Result<Vec<usize>, LoadError> {
        let share = text.len() / pieces;
        // No quote anywhere: every line break ends a record, so a run
        // starts after the first one past each share (no pass over the text).
        if !text.contains(&b'"') {
            let header = usize::from(!self.headerless);
            return Ok(quoteless_starts(text, share, pieces, skip + 2 + header));
        }
        let mut reader = csv_reader(text, delimiter, !self.headerless);
        let mut starts = Vec::with_capacity(pieces - 1);
        let mut record = csv::ByteRecord::new();
        let mut seen = 0usize;
        while starts.len() < pieces - 1 {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error(&self.name, &e)),
            }
            seen += 1;
            let Some(at) = record.position().map(|p| p.byte() as usize) else {
                break;
            };
            if seen > skip + 1 && at >= share * (starts.len() + 1) {
                starts.push(at);
            }
        }
        Ok(starts)
    }

    /// Calls `f(line, record)` for the records of one run of `text` (whole
    /// records; the header and `skip` extra records in the first). The
    /// pages of a mapped text are handed back behind the reader as it goes.
    fn csv_records(
        &self,
        text: &Text,
        delimiter: u8,
        cr: bool,
        run: &CsvRun,
        skip: usize,
        mut f: impl FnMut(u64, &StringRecord) -> Result<(), LoadError>,
    ) -> Result<(), LoadError> {
        /// How far the reader gets before the pages behind it go back
        /// (a few records in unit tests, so that they hand pages back).
        const RELEASE_EVERY: usize = if cfg!(test) { 64 } else { 16 << 20 };
        let offset = run.range.start;
        let all = text.bytes();
        let headers = offset == 0 && !self.headerless;
        let mut reader = csv_reader(&all[run.range.clone()], delimiter, headers);
        // The csv crate counts `\n` only, as of the previous record's
        // end: with CRLF every line would be one early, with CR all 1,
        // and after a blank line one early too.
        let mut lines = cr.then_some(Lines {
            bytes: all,
            pos: offset,
            line: run.line,
        });
        // A run's own line 1 is the file's line after the `\n`s before it.
        let before = run.lf_before;
        let mut record = StringRecord::new();
        let mut seen = 0usize;
        let mut released = 0usize;
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error_after(&self.name, &e, before)),
            }
            seen += 1;
            let pos = record.position();
            if let Some(p) = pos {
                let at = p.byte() as usize;
                if at - released >= RELEASE_EVERY {
                    text.release(offset + released..offset + at);
                    released = at;
                }
            }
            if seen <= skip {
                continue;
            }
            let line = match (&mut lines, pos) {
                (Some(l), Some(p)) => l.at(offset + p.byte() as usize),
                // Blank lines are skipped after the position is taken.
                (None, Some(p)) => {
                    let start = offset + p.byte() as usize;
                    let blank = all[start.min(all.len())..]
                        .iter()
                        .take_while(|&&c| c == b'\n')
                        .count();
                    before + p.line() + blank as u64
                }
                (_, None) => 0,
            };
            f(line, &record)?;
        }
        text.release(run.range.clone());
        Ok(())
    }

    fn for_each_record(
        &self,
        skip: usize,
        native: &[usize],
        mut f: impl FnMut(u64, &StringRecord, &[Native]) -> Result<(), LoadError>,
    ) -> Result<(), LoadError> {
        match &self.body {
            Body::Csv {
                text,
                delimiter,
                cr,
            } => {
                let whole = CsvRun {
                    range: 0..text.len(),
                    lf_before: 0,
                    line: 1,
                };
                self.csv_records(text, *delimiter, *cr, &whole, skip, |l, r| f(l, r, &[]))
            }
            Body::Records(rows) => {
                for (line, rec) in rows.iter().skip(skip) {
                    f(*line, rec, &[])?;
                }
                Ok(())
            }
            Body::Columns(_) | Body::Parquet(_) => match self.cols() {
                Some((columns, height)) => self.column_records(columns, 0..height, skip, native, f),
                None => Ok(()),
            },
        }
    }

    /// A columnar body's columns and height.
    fn cols(&self) -> Option<(Cols<'_>, usize)> {
        match &self.body {
            Body::Columns(c) => Some((Cols::Eager(c), c.first().map_or(0, ColumnBody::len))),
            Body::Parquet(p) => Some((Cols::Parquet(p), p.height())),
            Body::Csv { .. } | Body::Records(_) => None,
        }
    }

    /// Calls `f(row, record, cells)` for the rows `range` of a columnar
    /// body, after `skip` of them; rows are numbered from 1 (as `examples`
    /// show them). The rows go by in blocks: a typed column's cells become
    /// text a block at a time, or, for the columns in `native`, cells read
    /// as themselves.
    fn column_records(
        &self,
        columns: Cols,
        range: std::ops::Range<usize>,
        skip: usize,
        native: &[usize],
        mut f: impl FnMut(u64, &StringRecord, &[Native]) -> Result<(), LoadError>,
    ) -> Result<(), LoadError> {
        const BLOCK: usize = 1 << 16;
        let err = columnar_error(&self.name, self.format);
        let width = match columns {
            Cols::Eager(c) => c.len(),
            Cols::Parquet(p) => p.wanted.len(),
        };
        let as_native: Vec<bool> = (0..width)
            .map(|j| native.contains(&j) && self.native_kind(j).is_some())
            .collect();
        let mut record = StringRecord::new();
        let mut cells = vec![Native::None; if native.is_empty() { 0 } else { width }];
        let mut start = range.start;
        while start < range.end {
            // The rows `start..end` are in `chunk` from its row `base` on:
            // all of an Arrow file's, or a chunk of a Parquet file's read now
            // (and dropped when the next is read).
            let read;
            let (chunk, base, end): (&[ColumnBody], usize, usize) = match columns {
                Cols::Eager(c) => (c, 0, range.end),
                Cols::Parquet(p) => {
                    let end = p.chunk_end(start, range.end);
                    read = p.read(&self.name, start, end)?;
                    (&read, start, end)
                }
            };
            while start < end {
                // The first block is small: `peek` stops after three rows.
                let block = if start == range.start { 256 } else { BLOCK };
                let len = block.min(end - start);
                let at = (start - base) as i64;
                // Each column's cells in this block: text, or read as themselves.
                let blocks = chunk
                    .iter()
                    .zip(&as_native)
                    .map(|(col, &as_native)| match col {
                        ColumnBody::Text(c) => Ok(Block::Text(c.slice(at, len))),
                        ColumnBody::Typed(c) if as_native => {
                            native_cells(&c.slice(at, len)).map(Block::Native)
                        }
                        ColumnBody::Typed(c) => parquet_text(&c.slice(at, len)).map(Block::Text),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(&err)?;
                let mut iters: Vec<_> = blocks
                    .iter()
                    .map(|b| match b {
                        Block::Text(t) => Block::Text(t.iter()),
                        Block::Native(n) => Block::Native(n.iter()),
                    })
                    .collect();
                for row in start..start + len {
                    record.clear();
                    for (j, cells_of) in iters.iter_mut().enumerate() {
                        match cells_of {
                            Block::Text(text) => {
                                record.push_field(text.next().flatten().unwrap_or(""));
                            }
                            Block::Native(own) => {
                                record.push_field("");
                                cells[j] = own.next().copied().unwrap_or(Native::None);
                            }
                        }
                    }
                    if row - range.start >= skip {
                        f(row as u64 + 1, &record, &cells)?;
                    }
                }
                start += len;
            }
        }
        Ok(())
    }

    /// The first `n` data records (extra header rows included), for preset detection.
    pub fn peek(&self, n: usize) -> Vec<StringRecord> {
        let mut out = Vec::new();
        let _ = self.for_each(0, |_, r| {
            if out.len() < n {
                out.push(r.clone());
                Ok(())
            } else {
                Err(LoadError::Empty {
                    file: String::new(),
                })
            }
        });
        out
    }
}

/// Where the 2nd, 3rd, … runs of a text without quotes start: after the
/// first line break at or past each share of the bytes, once `lead` lines
/// with something on them (the header and the rows to skip) lie before.
/// Every `\n` ends a record there (`\r\n` too; a lone `\r` is only a
/// record end the reader sees, never a start taken here).
fn quoteless_starts(b: &[u8], share: usize, pieces: usize, lead: usize) -> Vec<usize> {
    // The end of the `lead` first lines that are not blank.
    let mut lines = 0usize;
    let mut pos = 0usize;
    while lines < lead && pos < b.len() {
        let end = b[pos..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |i| pos + i + 1);
        if b[pos..end].iter().any(|&c| c != b'\n' && c != b'\r') {
            lines += 1;
        }
        pos = end;
    }
    let mut starts: Vec<usize> = Vec::with_capacity(pieces.saturating_sub(1));
    for k in 1..pieces {
        let from = (share * k).max(pos).max(starts.last().map_or(0, |s| s + 1));
        // A record starts right after a `\n`: the first `\n` at `from - 1` or later.
        let Some(i) = b
            .get(from.saturating_sub(1)..)
            .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
        else {
            break;
        };
        let at = from.saturating_sub(1) + i + 1;
        if at >= b.len() {
            break;
        }
        starts.push(at);
    }
    starts
}

/// `%3A` as `:`, as Hive escapes partition folder names; anything else as it is.
fn percent_decode(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn count_lf(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

/// `sep=;` (any one-byte delimiter) alone on the first line, as Excel writes
/// and reads it: the delimiter and the length of the line without its break.
fn excel_sep_line(text: &str) -> Option<(u8, usize)> {
    let first = text.split(['\n', '\r']).next()?;
    let d = first
        .trim_end()
        .strip_prefix("sep=")
        .or_else(|| first.trim_end().strip_prefix("SEP="))?;
    (d.len() == 1).then(|| (d.as_bytes()[0], first.len()))
}

/// Physical line numbers from byte offsets: `\r\n`, `\n` and a lone `\r`
/// each end one line.
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line number at byte `end` (a record's start), counting from here.
    fn count_to(&mut self, end: usize) -> u64 {
        let b = self.bytes;
        while self.pos < end.min(b.len()) {
            match b[self.pos] {
                b'\n' => self.line += 1,
                b'\r' if b.get(self.pos + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
            self.pos += 1;
        }
        self.line
    }

    /// The line of the record starting at `start` (line breaks before it skipped).
    fn at(&mut self, mut start: usize) -> u64 {
        let b = self.bytes;
        while start < b.len() && (b[start] == b'\n' || b[start] == b'\r') {
            start += 1;
        }
        self.count_to(start)
    }
}

/// A header cell that is a value: a number, a date, or empty.
fn looks_like_value(cell: &str) -> bool {
    let c = cell.trim();
    !c.is_empty()
        && (c.parse::<f64>().is_ok()
            || super::parse::parse_datetime(c).is_some()
            || c.bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-'))
}

/// Reads a stream to its end, stopping at the memory bound (a pipe may never
/// end; a small gzip file may claim gigabytes). `what` names the stream when
/// it is too big, `unreadable` starts the message when it cannot be read.
pub fn read_bounded(
    name: &str,
    what: &str,
    unreadable: &str,
    reader: impl std::io::Read,
) -> Result<Vec<u8>, LoadError> {
    read_bounded_sized(name, what, unreadable, reader, 0)
}

/// Like [`read_bounded`], with room for `expected` bytes made up front
/// (a file's size: no regrowing on the way).
fn read_bounded_sized(
    name: &str,
    what: &str,
    unreadable: &str,
    reader: impl std::io::Read,
    expected: u64,
) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let limit = available_memory()
        .map(|m| m / MEMORY_PER_FILE_BYTE)
        .unwrap_or(u64::MAX);
    let room = usize::try_from(expected.min(limit).saturating_add(1)).unwrap_or(0);
    let mut out = Vec::with_capacity(room);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| LoadError::Invalid {
            file: name.to_string(),
            message: format!("{unreadable}: {e}"),
        })?;
    if out.len() as u64 > limit {
        return Err(LoadError::Invalid {
            file: name.to_string(),
            message: format!(
                "{what} holds more than {} MB, more than fits in memory; export a shorter date range, or split the file",
                limit / 1_000_000
            ),
        });
    }
    Ok(out)
}

/// Reads a source file: only a regular file (a FIFO, a device or a socket
/// is named for what it is, never waited on or read without end), within
/// the memory the loader can use. The file is mapped read-only rather than
/// copied into memory (a large CSV is then read a run at a time, see
/// `Text`); where it cannot be mapped it is read.
///
/// A mapped file is read as it is on disk while it is loaded: like every
/// reader that maps its input (polars' and ripgrep's among them), a load
/// assumes that no other program rewrites or truncates the export in the
/// seconds it is being read.
fn read_regular(name: &str, path: &Path) -> Result<Bytes<'static>, LoadError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |e: std::io::Error| LoadError::Io {
        file: name.to_string(),
        message: e.to_string(),
    };
    // O_NONBLOCK: opening a FIFO without a writer returns at once (and is refused below).
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if let Some(kind) = crate::files::special_kind(&meta) {
        return Err(LoadError::Invalid {
            file: name.to_string(),
            message: format!(
                "this is {kind}, not a file; give an exported file, or pipe the data to standard input with `-` (e.g. `--orders - < export.csv`)"
            ),
        });
    }
    if meta.is_dir() {
        return Err(LoadError::Invalid {
            file: name.to_string(),
            message: "this is a folder; give the files in it, or the folder itself to --orders, --feedback or --tickets".into(),
        });
    }
    if let Some(available) = available_memory() {
        fits_in_memory(name, meta.len(), available)?;
    }
    if meta.len() > 0 {
        // SAFETY: a private read-only mapping; holdfast never writes to it,
        // and the bytes are checked (UTF-8, CSV) as they are read.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) }
            && map.len() as u64 == meta.len()
        {
            return Ok(Bytes::Mapped(map));
        }
    }
    // A regular file can still grow while it is read: bounded all the same.
    read_bounded_sized(name, "the file", "cannot read the file", file, meta.len()).map(Bytes::Owned)
}

/// The uncompressed size a ZIP archive (an XLSX or ODS workbook) declares
/// for its parts, from its central directory; `None` when it cannot be read
/// (calamine then reports the damage). A part of 4 GB or more (ZIP64) counts
/// as `u64::MAX`.
fn zip_declared_size(bytes: &[u8]) -> Option<u64> {
    let u16_at = |i: usize| Some(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
    let from = bytes.len().saturating_sub(65_557);
    let eocd = (from..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..i + 4] == [0x50, 0x4B, 0x05, 0x06])?;
    let entries = u16_at(eocd + 10)? as usize;
    let mut at = u32_at(eocd + 16)? as usize;
    let mut total = 0u64;
    for _ in 0..entries {
        if u32_at(at)? != 0x0201_4B50 {
            return None;
        }
        let size = u32_at(at + 24)?;
        total = total.saturating_add(if size == u32::MAX {
            u64::MAX
        } else {
            u64::from(size)
        });
        at +=
            46 + u16_at(at + 28)? as usize + u16_at(at + 30)? as usize + u16_at(at + 32)? as usize;
    }
    Some(total)
}

/// Refuses a workbook whose parts claim more than the memory bound (a
/// decompression bomb: a few KB that would inflate to gigabytes).
fn check_zip_bomb(name: &str, bytes: &[u8]) -> Result<(), LoadError> {
    let limit = available_memory()
        .map(|m| m / MEMORY_PER_FILE_BYTE)
        .unwrap_or(u64::MAX);
    match zip_declared_size(bytes) {
        Some(size) if size > limit => Err(LoadError::Invalid {
            file: name.to_string(),
            message: format!(
                "decompressed, the workbook would hold {}, more than fits in memory ({} MB); export a shorter date range as CSV",
                if size == u64::MAX {
                    "over 4 GB".to_string()
                } else {
                    format!("{} MB", size / 1_000_000)
                },
                limit / 1_000_000
            ),
        }),
        _ => Ok(()),
    }
}

/// Decompresses gzip, stopping at the memory bound.
fn gunzip(name: &str, bytes: &[u8]) -> Result<Vec<u8>, LoadError> {
    read_bounded(
        name,
        "decompressed, the file",
        "cannot decompress gzip",
        flate2::read::MultiGzDecoder::new(bytes),
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sheet {
    Xlsx,
    Xls,
    Ods,
}

fn spreadsheet_kind(ext: &str, bytes: &[u8]) -> Option<Sheet> {
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    match ext {
        "xlsx" | "xlsm" | "xlsb" if zip => Some(Sheet::Xlsx),
        "ods" if zip => Some(Sheet::Ods),
        "xls" if ole => Some(Sheet::Xls),
        _ if ole => Some(Sheet::Xls),
        // A workbook saved under another name: its parts tell.
        _ if zip && contains(bytes, b"xl/workbook") => Some(Sheet::Xlsx),
        _ if zip && contains(bytes, b"opendocument.spreadsheet") => Some(Sheet::Ods),
        _ => None,
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// What a binary file of a kind holdfast does not read looks like.
fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    let known: [(&[u8], &str); 9] = [
        (b"PK\x03\x04", "a ZIP archive"),
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"SQLite format 3", "an SQLite database"),
        (b"7z\xBC\xAF", "a 7-Zip archive"),
        (b"Rar!", "a RAR archive"),
        (b"BZh", "a bzip2 file"),
    ];
    if let Some((_, what)) = known.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Some(what);
    }
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let head = &bytes[..bytes.len().min(4096)];
    (!utf16 && head.contains(&0)).then_some("a binary file")
}

/// Reads the first sheet (or the named one) of a workbook: the first row
/// holds the headers; line numbers are the sheet's row numbers.
fn read_spreadsheet(
    name: &str,
    bytes: &[u8],
    kind: Sheet,
    sheet: Option<&str>,
) -> Result<RawFile, LoadError> {
    use calamine::Reader;
    let err = |e: String| LoadError::Invalid {
        file: name.to_string(),
        message: format!("cannot read the spreadsheet: {e}"),
    };
    let cursor = std::io::Cursor::new(bytes);
    let mut book: calamine::Sheets<_> = match kind {
        Sheet::Xlsx => {
            calamine::Sheets::Xlsx(calamine::Xlsx::new(cursor).map_err(|e| err(e.to_string()))?)
        }
        Sheet::Xls => {
            calamine::Sheets::Xls(calamine::Xls::new(cursor).map_err(|e| err(e.to_string()))?)
        }
        Sheet::Ods => {
            calamine::Sheets::Ods(calamine::Ods::new(cursor).map_err(|e| err(e.to_string()))?)
        }
    };
    let names = book.sheet_names();
    let chosen = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .cloned()
            .ok_or_else(|| {
                err(format!(
                    "no sheet named \"{s}\"; sheets: {}",
                    names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| err("the workbook has no sheet".into()))?,
    };
    let range = book
        .worksheet_range(&chosen)
        .map_err(|e| err(e.to_string()))?;
    let first_row = range.start().map_or(0, |(r, _)| r as u64);
    // A report's title or notes above the table: the header is the first
    // row filled at least half as wide as the widest of the first rows.
    let filled = |row: &[calamine::Data]| {
        row.iter()
            .filter(|c| !matches!(c, calamine::Data::Empty))
            .count()
    };
    let widest = range.rows().take(20).map(filled).max().unwrap_or(0);
    let header_at = range
        .rows()
        .take(20)
        .position(|row| filled(row) >= 2.max(widest.div_ceil(2)))
        .unwrap_or(0);
    let mut rows = range.rows().enumerate().skip(header_at).map(|(i, row)| {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        (first_row + i as u64 + 1, cells)
    });
    let Some((_, headers)) = rows.next() else {
        return Err(LoadError::Empty {
            file: name.to_string(),
        });
    };
    let headers: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
    let records = rows
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .map(|(line, cells)| (line, StringRecord::from(cells)))
        .collect();
    Ok(RawFile {
        name: name.to_string(),
        format: Format::Xlsx,
        headers,
        headerless: false,
        body: Body::Records(records),
        partitions: Vec::new(),
    })
}

/// A spreadsheet cell as the text a CSV export would hold: whole numbers
/// without a fraction or exponent (a 14-digit id stays an id), dates as
/// `YYYY-MM-DD HH:MM:SS`.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
        }
        // A duration in days (Excel's [h]:mm:ss): written as hours:minutes:seconds.
        Data::DateTime(dt) => {
            let secs = (dt.as_f64() * 86_400.0).round() as i64;
            format!("{}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
        }
    }
}

/// Loading takes about four times a file's size in memory (measured: 4.8×
/// peak for 10 M order rows with the index); a file that cannot fit is refused
/// up front with a clear message rather than ending in the out-of-memory killer.
pub const MEMORY_PER_FILE_BYTE: u64 = 4;

pub fn fits_in_memory(name: &str, size: u64, available: u64) -> Result<(), LoadError> {
    let need = size.saturating_mul(MEMORY_PER_FILE_BYTE);
    if need <= available {
        return Ok(());
    }
    let gb = |b: u64| match b {
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1} KB", b as f64 / 1e3),
        b => format!("{b} bytes"),
    };
    Err(LoadError::Invalid {
        file: name.to_string(),
        message: format!(
            "the file is {}; loading it needs about {} of memory and {} is available. Export a shorter date range, or split the file",
            gb(size),
            gb(need),
            gb(available)
        ),
    })
}

/// Memory available to this process (Linux: MemAvailable), or `None` when unknown.
/// `HOLDFAST_MEMORY_AVAILABLE` (bytes) overrides it, for tests.
pub fn available_memory() -> Option<u64> {
    if let Some(v) = std::env::var("HOLDFAST_MEMORY_AVAILABLE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Some(v);
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The one CSV reader every pass over a body uses (records of any length:
/// the loaders reject those that do not fit the header).
fn csv_reader(bytes: &[u8], delimiter: u8, headers: bool) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(headers)
        .from_reader(bytes)
}

fn csv_error(name: &str, e: &csv::Error) -> LoadError {
    csv_error_after(name, e, 0)
}

/// A CSV error in a run of records that starts after `before` line feeds.
fn csv_error_after(name: &str, e: &csv::Error, before: u64) -> LoadError {
    let line = e.position().map(|p| before + p.line()).unwrap_or(0);
    LoadError::Parse {
        file: name.to_string(),
        line,
        message: e.to_string(),
    }
}

/// UTF-8 (BOM stripped), UTF-16 with a BOM, or Latin-1 when the config
/// says so. A mapped UTF-8 file stays mapped; it is checked when it is
/// opened (`Text::checked`).
fn decode(name: &str, owned: Bytes, encoding: Encoding) -> Result<Text, LoadError> {
    let bytes: &[u8] = &owned;
    if bytes.is_empty() {
        return Err(LoadError::Empty {
            file: name.to_string(),
        });
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(name, rest, u16::from_le_bytes).map(Text::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(name, rest, u16::from_be_bytes).map(Text::Owned);
    }
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    match (encoding, owned) {
        (Encoding::Latin1, bytes) => Ok(Text::Owned(
            bytes[bom..].iter().map(|&b| b as char).collect(),
        )),
        // The file's own buffer becomes the text: no copy.
        (Encoding::Utf8, Bytes::Owned(mut v)) => {
            v.drain(..bom);
            String::from_utf8(v)
                .map(Text::Owned)
                .map_err(|e| not_utf8(name, e.as_bytes(), e.utf8_error()))
        }
        (Encoding::Utf8, Bytes::Borrowed(b)) => std::str::from_utf8(&b[bom..])
            .map(|t| Text::Owned(t.to_string()))
            .map_err(|e| not_utf8(name, &b[bom..], e)),
        (Encoding::Utf8, Bytes::Mapped(map)) => Ok(Text::Mapped { map, start: bom }),
    }
}

/// The message for text that is not UTF-8: the offset and line of the
/// first byte that is not.
fn not_utf8(name: &str, bytes: &[u8], e: std::str::Utf8Error) -> LoadError {
    let offset = e.valid_up_to();
    LoadError::Encoding {
        file: name.to_string(),
        offset: offset as u64,
        line: count_lf(&bytes[..offset]) + 1,
    }
}

fn decode_utf16(name: &str, bytes: &[u8], word: fn([u8; 2]) -> u16) -> Result<String, LoadError> {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| word([c[0], c[1]])).collect();
    String::from_utf16(&units).map_err(|_| LoadError::Encoding {
        file: name.to_string(),
        offset: 0,
        line: 1,
    })
}

/// The line where a quoted field opens and never closes, if one does. A quote
/// opens only at the start of a field (a quote inside an unquoted field, as
/// in `12" pizza`, is a character); inside quotes `""` is an escaped quote.
/// As the CSV reader reads them, `\n`, `\r\n` and a lone `\r` (Excel for
/// Mac's "CSV (Macintosh)") each end a line and a record.
pub fn open_quote_line(text: &str, delimiter: u8) -> Option<u64> {
    // The quotes are found with a vectorised search, and the lines between
    // them counted in one pass each: most of a file is neither (a 2 M-row
    // survey export with quoted comments took 0.18 s byte by byte).
    let b = text.as_bytes();
    let lines = |from: usize, to: usize| {
        let lf = memchr::memchr_iter(b'\n', &b[from..to]).count();
        let lone_cr = memchr::memchr_iter(b'\r', &b[from..to])
            .filter(|&i| b.get(from + i + 1) != Some(&b'\n'))
            .count();
        (lf + lone_cr) as u64
    };
    let (mut at, mut line) = (0usize, 1u64);
    loop {
        let q = at + memchr::memchr(b'"', &b[at..])?;
        line += lines(at, q);
        // A quote opens a field only at its start: the text's, a line's or
        // after a delimiter.
        let field_start = q == 0 || matches!(b[q - 1], b'\n' | b'\r') || b[q - 1] == delimiter;
        at = q + 1;
        if !field_start {
            continue;
        }
        let opened_on = line;
        // Inside quotes, `""` is an escaped quote; the next lone one closes.
        loop {
            let Some(found) = memchr::memchr(b'"', &b[at..]) else {
                return Some(opened_on);
            };
            let r = at + found;
            line += lines(at, r);
            if b.get(r + 1) == Some(&b'"') {
                at = r + 2;
            } else {
                at = r + 1;
                break;
            }
        }
    }
}

/// The separator that occurs most often outside quotes on the header line,
/// or `None` when none of `,` `;` tab `|` does.
pub fn detect_delimiter(text: &str) -> Option<u8> {
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut in_quotes = false;
    for &b in text.as_bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(i) = candidates.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..4)
        .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    (counts[best] > 0).then_some(candidates[best])
}

/// Columns separated by runs of spaces (CDNOW's `00001 19970101 1 11.77`):
/// the first lines split into the same number (≥ 2) of blank-separated words.
fn is_whitespace_separated(text: &str) -> bool {
    if text.contains('"') {
        return false;
    }
    let counts: Vec<usize> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(5)
        .map(|l| l.split_whitespace().count())
        .collect();
    counts.first().is_some_and(|&n| n >= 2) && counts.iter().all(|&c| c == counts[0])
}

/// Each run of blanks between words becomes one tab; line endings stay.
fn collapse_blanks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive('\n') {
        let (line, end) = match piece.strip_suffix("\r\n") {
            Some(l) => (l, "\r\n"),
            None => match piece.strip_suffix('\n') {
                Some(l) => (l, "\n"),
                None => (piece, ""),
            },
        };
        let mut first = true;
        for word in line.split_whitespace() {
            if !first {
                out.push('\t');
            }
            out.push_str(word);
            first = false;
        }
        out.push_str(end);
    }
    out
}

/// Flattens a JSON object into (key, text) pairs: nested objects become
/// `outer.inner`, arrays of scalars are joined with commas.
fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Null => out.push((prefix.to_string(), String::new())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            out.push((prefix.to_string(), parts.join(",")));
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn records_from_objects(
    name: &str,
    format: Format,
    objects: Vec<(u64, serde_json::Value)>,
) -> Result<RawFile, LoadError> {
    let mut headers: Vec<String> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    let mut flat_rows = Vec::with_capacity(objects.len());
    for (line, value) in objects {
        if !value.is_object() {
            return Err(LoadError::Parse {
                file: name.to_string(),
                line,
                message: "expected a JSON object for each record".into(),
            });
        }
        let mut pairs = Vec::new();
        flatten("", &value, &mut pairs);
        for (k, _) in &pairs {
            if !index.contains_key(k) {
                index.insert(k.clone(), headers.len());
                headers.push(k.clone());
            }
        }
        flat_rows.push((line, pairs));
    }
    let rows = flat_rows
        .into_iter()
        .map(|(line, pairs)| {
            let mut cells = vec![String::new(); headers.len()];
            for (k, v) in pairs {
                cells[index[&k]] = v;
            }
            (line, StringRecord::from(cells))
        })
        .collect();
    Ok(RawFile {
        name: name.to_string(),
        format,
        headers,
        headerless: false,
        body: Body::Records(rows),
        partitions: Vec::new(),
    })
}

fn read_json(name: &str, text: &str) -> Result<RawFile, LoadError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| LoadError::Parse {
        file: name.to_string(),
        line: e.line() as u64,
        message: format!("invalid JSON: {e}"),
    })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut map) => {
            // A wrapper such as {"responses": [...]} or {"data": [...]}.
            let arrays: Vec<String> = map
                .iter()
                .filter(|(_, v)| v.is_array())
                .map(|(k, _)| k.clone())
                .collect();
            match arrays.as_slice() {
                [key] => match map.remove(key) {
                    Some(serde_json::Value::Array(items)) => items,
                    _ => Vec::new(),
                },
                _ => {
                    return Err(LoadError::Parse {
                        file: name.to_string(),
                        line: 1,
                        message:
                            "expected a JSON array of records (or an object holding one array)"
                                .into(),
                    });
                }
            }
        }
        _ => {
            return Err(LoadError::Parse {
                file: name.to_string(),
                line: 1,
                message: "expected a JSON array of records".into(),
            });
        }
    };
    // Records in a JSON array are numbered from 1 in `examples`.
    let objects = items
        .into_iter()
        .enumerate()
        .map(|(i, v)| (i as u64 + 1, v))
        .collect();
    records_from_objects(name, Format::Json, objects)
}

fn read_ndjson(name: &str, text: &str) -> Result<RawFile, LoadError> {
    let mut objects = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| LoadError::Parse {
            file: name.to_string(),
            line: i as u64 + 1,
            message: format!("invalid JSON: {e}"),
        })?;
        objects.push((i as u64 + 1, v));
    }
    records_from_objects(name, Format::Ndjson, objects)
}

/// A Parquet file: its metadata and column types now, its rows a chunk at
/// a time as they are read (`ParquetBody`).
fn read_parquet(name: &str, owned: Bytes) -> Result<RawFile, LoadError> {
    use polars::prelude::*;
    let err = columnar_error(name, Format::Parquet);
    // The body keeps the bytes: a mapped file stays mapped, others are owned.
    let bytes = match owned {
        Bytes::Mapped(m) => Bytes::Mapped(m),
        Bytes::Owned(v) => Bytes::Owned(v),
        Bytes::Borrowed(b) => Bytes::Owned(b.to_vec()),
    };
    let mut reader = ParquetReader::new(std::io::Cursor::new(&bytes[..]));
    let schema = reader.schema().map_err(&err)?;
    let metadata = std::sync::Arc::clone(reader.get_metadata().map_err(&err)?);
    let mut bounds = vec![0usize];
    for group in &metadata.row_groups {
        let last = bounds.last().copied().unwrap_or(0);
        bounds.push(last + group.num_rows());
    }
    let mut body = ParquetBody {
        bytes,
        metadata,
        wanted: readable_columns(&schema),
        dtypes: Vec::new(),
        bounds,
        first: std::sync::Mutex::new(None),
    };
    // No rows: the columns' names and types.
    let empty = body.frame(name, 0, 0)?;
    let headers = column_names(&empty);
    body.dtypes = empty.dtypes();
    body.wanted.clone_from(&headers);
    Ok(RawFile {
        name: name.to_string(),
        format: Format::Parquet,
        headers,
        headerless: false,
        body: Body::Parquet(body),
        partitions: Vec::new(),
    })
}

/// A frame's column names.
fn column_names(df: &polars::prelude::DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// An Arrow IPC file (Feather v2: pandas' `to_feather`, polars'
/// `write_ipc`, DuckDB, Arrow itself), read as a typed Parquet file is.
fn read_arrow(name: &str, bytes: &[u8]) -> Result<RawFile, LoadError> {
    use polars::prelude::*;
    let mut reader = IpcReader::new(std::io::Cursor::new(bytes));
    let schema = reader
        .schema()
        .map_err(columnar_error(name, Format::Arrow))?;
    columnar(name, Format::Arrow, &schema, |wanted| {
        reader.with_columns(Some(wanted)).finish()
    })
}

/// What a columnar file's reader said, as the message naming the file.
fn columnar_error(
    name: &str,
    format: Format,
) -> impl Fn(polars::prelude::PolarsError) -> LoadError {
    move |e| LoadError::Invalid {
        file: name.to_string(),
        message: format!(
            "cannot read {}: {e} (the file is damaged, cut short, or not {} at all)",
            format.title(),
            format.title()
        ),
    }
}

/// A columnar file read by `read` with the columns it is given: only
/// columns of types holdfast reads (text, numbers, booleans, dates,
/// timestamps, decimals); a list, struct, time-of-day or interval column
/// beside them is left out rather than failing the file.
fn columnar(
    name: &str,
    format: Format,
    schema: &polars::prelude::ArrowSchema,
    read: impl FnOnce(Vec<String>) -> polars::prelude::PolarsResult<polars::prelude::DataFrame>,
) -> Result<RawFile, LoadError> {
    let wanted = readable_columns(schema);
    let df = guarded_read(name, format, || read(wanted))?;
    let headers = column_names(&df);
    let columns = column_bodies(name, format, df)?;
    Ok(RawFile {
        name: name.to_string(),
        format,
        headers,
        headerless: false,
        body: Body::Columns(columns),
        partitions: Vec::new(),
    })
}

/// The columns of types holdfast reads (text, numbers, booleans, dates,
/// timestamps, decimals); a list, struct, time-of-day or interval column
/// beside them is left out rather than failing the file.
fn readable_columns(schema: &polars::prelude::ArrowSchema) -> Vec<String> {
    schema
        .iter()
        .filter(|(_, field)| readable_parquet_type(field.dtype()))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// A columnar reader's frame, or what it said; a panic inside the reader
/// (a type it cannot decode) is a message too.
fn guarded_read(
    name: &str,
    format: Format,
    read: impl FnOnce() -> polars::prelude::PolarsResult<polars::prelude::DataFrame>,
) -> Result<polars::prelude::DataFrame, LoadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .map_err(|_| LoadError::Invalid {
            file: name.to_string(),
            message: format!(
                "cannot read {}: a column's type is not supported; export the columns as text, numbers, dates or timestamps",
                format.title()
            ),
        })?
        .map_err(columnar_error(name, format))
}

/// A frame's columns as a body holds them: text stays as it is; other
/// types are kept as themselves, to become text a block of rows at a time
/// or to be read as themselves.
fn column_bodies(
    name: &str,
    format: Format,
    df: polars::prelude::DataFrame,
) -> Result<Vec<ColumnBody>, LoadError> {
    use polars::prelude::*;
    df.into_columns()
        .into_iter()
        .map(|col| match col.dtype() {
            DataType::String => col.str().map(|c| ColumnBody::Text(c.clone())),
            _ => Ok(ColumnBody::Typed(col)),
        })
        .collect::<PolarsResult<Vec<_>>>()
        .map_err(columnar_error(name, format))
}

/// Whether a Parquet column's type is one the loaders can read as text.
fn readable_parquet_type(dtype: &polars::prelude::ArrowDataType) -> bool {
    use polars::prelude::ArrowDataType as A;
    match dtype {
        A::Boolean
        | A::Int8
        | A::Int16
        | A::Int32
        | A::Int64
        | A::UInt8
        | A::UInt16
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View
        | A::Date32
        | A::Date64
        | A::Timestamp(_, _)
        | A::Decimal(_, _) => true,
        A::Dictionary(_, values, _) => readable_parquet_type(values),
        A::Extension(ext) => readable_parquet_type(&ext.inner),
        _ => false,
    }
}

/// A typed Parquet column as the text the loaders read, converted column by
/// column: dates as `2024-03-01`, timestamps as `2024-03-01 10:15:00` in
/// their own zone, with the offset when they carry one (UTC otherwise),
/// decimals and integers as their digits, floats rounded to the precision
/// they hold; text and nulls as they are.
fn parquet_text(
    col: &polars::prelude::Column,
) -> polars::prelude::PolarsResult<polars::prelude::StringChunked> {
    use polars::prelude::*;
    let text = match col.dtype() {
        // Days since the epoch, formatted without a date library per cell.
        DataType::Date => {
            let physical = col.to_physical_repr();
            physical
                .i32()?
                .iter()
                .map(|v| v.map(crate::calendar::format_day))
                .collect::<StringChunked>()
        }
        DataType::Datetime(unit, tz) => {
            let physical = col.to_physical_repr();
            let ca = physical.i64()?;
            let per_sec = per_second(*unit);
            let utc = tz.is_some();
            ca.iter()
                .map(|v| {
                    v.map(|v| {
                        let secs = v.div_euclid(per_sec);
                        let text = crate::calendar::format_instant(secs).replacen(' ', "T", 1);
                        if utc { format!("{text}Z") } else { text }
                    })
                })
                .collect::<StringChunked>()
        }
        _ => col.cast(&DataType::String)?.str()?.clone(),
    };
    // Kept in the file's row groups: the rows are streamed chunk by chunk,
    // and one piece would be a second copy of every column while it is made.
    Ok(text)
}

/// A time unit's ticks per second.
fn per_second(unit: polars::prelude::TimeUnit) -> i64 {
    use polars::prelude::TimeUnit;
    match unit {
        TimeUnit::Nanoseconds => 1_000_000_000,
        TimeUnit::Microseconds => 1_000_000,
        TimeUnit::Milliseconds => 1_000,
    }
}

/// A typed column's cells as themselves (of a type `native_kind` names):
/// dates as days, timestamps as whole seconds (as their text has them),
/// integers, 64-bit floats and decimals as stored.
fn native_cells(col: &polars::prelude::Column) -> polars::prelude::PolarsResult<Vec<Native>> {
    use polars::prelude::*;
    let cells = match col.dtype() {
        DataType::Date => {
            let physical = col.to_physical_repr();
            let days = physical.i32()?;
            days.iter()
                .map(|v| v.map_or(Native::None, Native::Date))
                .collect()
        }
        DataType::Datetime(unit, tz) => {
            let physical = col.to_physical_repr();
            let (per_sec, utc) = (per_second(*unit), tz.is_some());
            physical
                .i64()?
                .iter()
                .map(|v| {
                    v.map_or(Native::None, |v| Native::Timestamp {
                        secs: v.div_euclid(per_sec),
                        utc,
                    })
                })
                .collect()
        }
        DataType::Float64 => col
            .f64()?
            .iter()
            .map(|v| v.map_or(Native::None, Native::Float))
            .collect(),
        DataType::Decimal(_, scale) => {
            let scale = *scale as u32;
            col.decimal()?
                .physical()
                .iter()
                .map(|v| v.map_or(Native::None, |value| Native::Decimal { value, scale }))
                .collect()
        }
        _ => col
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.map_or(Native::None, Native::Int))
            .collect(),
    };
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoteless_runs_start_after_a_line_break_past_the_lead_lines() {
        let text = b"h1,h2\r\n\r\nskip,me\na,1\rb,2\r\nc,3\n\nd,4\n";
        for pieces in 2..12 {
            let share = text.len() / pieces;
            let starts = quoteless_starts(text, share, pieces, 3);
            let lead_end = text.windows(4).position(|w| w == b"a,1\r").unwrap();
            let mut last = 0;
            for &s in &starts {
                assert_eq!(text[s - 1], b'\n', "{pieces}: {s}");
                assert!(
                    s >= lead_end && s > last && s < text.len(),
                    "{pieces}: {starts:?}"
                );
                last = s;
            }
        }
        assert!(quoteless_starts(b"h\na\n", 1, 4, 3).is_empty());
    }

    fn open(name: &str, bytes: &[u8]) -> Result<RawFile, LoadError> {
        RawFile::from_bytes(name, Path::new(name), bytes, Encoding::Utf8)
    }

    fn lines(f: &RawFile) -> Vec<(u64, Vec<String>)> {
        let mut out = Vec::new();
        f.for_each(0, |l, r| {
            out.push((l, r.iter().map(String::from).collect()));
            Ok(())
        })
        .unwrap();
        out
    }

    /// Every record, with its line, read in `pieces` runs (on threads).
    fn split_lines(f: &RawFile, skip: usize, pieces: usize) -> Vec<(u64, Vec<String>)> {
        let (runs, lines) = runs_and_lines(f, skip, pieces);
        assert_eq!(runs, pieces, "read in as many runs as asked");
        lines
    }

    /// How many runs a file was read in, and its records.
    fn runs_and_lines(f: &RawFile, skip: usize, pieces: usize) -> (usize, Vec<(u64, Vec<String>)>) {
        let split = Split {
            pieces,
            min_bytes: 0,
        };
        let runs = f
            .for_each_split(skip, split, &[], Vec::new, |out, l, r, _| {
                out.push((l, r.iter().map(String::from).collect::<Vec<_>>()));
                Ok(())
            })
            .unwrap();
        (runs.len(), runs.concat())
    }

    /// Quoted line breaks (and delimiters) near every cut, a quote inside
    /// an unquoted field, blank lines and short rows.
    fn awkward_body() -> String {
        let mut body = String::from("id,note,amount\n");
        for i in 0..60 {
            match i % 6 {
                0 => body.push_str(&format!("{i},\"two\nlines, quoted\",1.5\n")),
                1 => body.push_str(&format!("{i},27\" screen,2\n")),
                2 => body.push_str(&format!("\n{i},after a blank line,3\n")),
                3 => body.push_str(&format!("{i},\"\"\"quoted\"\" quotes\",4\n")),
                4 => body.push_str(&format!("{i},short\n")),
                _ => body.push_str(&format!("{i},\"\n\n\",5\n")),
            }
        }
        body
    }

    #[test]
    fn a_mapped_file_reads_as_its_bytes_in_memory_do_in_runs_too() {
        // A file on disk is mapped, read in runs and handed back behind the
        // reader (every 64 bytes in tests): the same records and physical
        // lines as the same bytes in memory, whatever the line ending, with
        // a byte-order mark or Excel's `sep=` line before the header.
        let dir = tempfile::tempdir().unwrap();
        let quoteless = "id,note,amount\n".to_string()
            + &(0..80)
                .map(|i| format!("{i},n{i},{i}.5\n"))
                .collect::<String>();
        for body in [awkward_body(), quoteless] {
            for ending in ["\n", "\r\n", "\r"] {
                for lead in ["", "\u{FEFF}", "sep=,\n"] {
                    let text = format!("{lead}{body}").replace('\n', ending);
                    let path = dir.path().join("o.csv");
                    std::fs::write(&path, &text).unwrap();
                    let disk = RawFile::open("o.csv", &Origin::Path(path), ReadOptions::default())
                        .unwrap();
                    assert!(
                        matches!(
                            disk.body,
                            Body::Csv {
                                text: Text::Mapped { .. },
                                ..
                            }
                        ),
                        "a regular file is mapped"
                    );
                    let memory = open("o.csv", text.as_bytes()).unwrap();
                    let whole = lines(&memory);
                    assert!(whole.len() >= 60);
                    let case = format!("{ending:?} after {lead:?}");
                    assert_eq!(disk.headers, memory.headers, "{case}");
                    assert_eq!(lines(&disk), whole, "{case}");
                    for pieces in [2, 3, 7] {
                        // (A text without quotes or `\n` is one run.)
                        let (runs, read) = runs_and_lines(&disk, 0, pieces);
                        assert!(runs == pieces || ending == "\r", "{case}: {runs} runs");
                        assert_eq!(read, whole, "{case}, {pieces} runs");
                    }
                    // Read twice: pages handed back are read again, the same.
                    assert_eq!(lines(&disk), whole, "{case}, again");
                }
            }
        }
    }

    #[test]
    fn a_file_read_in_runs_reads_as_the_whole_file_line_numbers_included() {
        let body = awkward_body();
        for ending in ["\n", "\r\n", "\r"] {
            let text = body.replace('\n', ending);
            let f = open("o.csv", text.as_bytes()).unwrap();
            let whole = lines(&f);
            assert!(whole.len() >= 60, "{ending:?}: {}", whole.len());
            for pieces in 2..=9 {
                assert_eq!(
                    split_lines(&f, 0, pieces),
                    whole,
                    "{ending:?} in {pieces} runs"
                );
            }
            // Extra header rows skipped in the first run only.
            let mut skipped = whole.clone();
            skipped.drain(..2);
            assert_eq!(split_lines(&f, 2, 4), skipped, "{ending:?}");
        }
        // A headerless file (CDNOW) and a small body under the threshold: one run.
        let f = open("c.txt", b"1 2 3\n4 5 6\n7 8 9\n10 11 12\n").unwrap();
        assert!(f.headerless);
        assert_eq!(split_lines(&f, 0, 3), lines(&f));
        let runs = f
            .for_each_split(
                0,
                Split::for_machine(),
                &[],
                || 0,
                |n, _, _, _| {
                    *n += 1;
                    Ok(())
                },
            )
            .unwrap();
        assert_eq!(runs, vec![4]);
    }

    #[test]
    fn a_parquet_file_read_in_runs_reads_as_the_whole_file() {
        use polars::prelude::*;
        // More rows than the first block and one full block: the blocks'
        // seams fall inside runs.
        let n = 70_001;
        let mut df = df!(
            "id" => (0..n).map(|i| format!("C{i}")).collect::<Vec<_>>(),
            "amount" => (0..n).map(|i| (i % 4 != 0).then_some(i as f64 + 0.5)).collect::<Vec<_>>(),
            "day" => (0..n).map(|i| (i % 5 != 0).then_some(i as i32)).collect::<Vec<_>>(),
        )
        .unwrap();
        df.apply("day", |c| c.cast(&DataType::Date).unwrap())
            .unwrap();
        // Row groups of 2,999 rows: the file is decoded a chunk of groups at
        // a time (1,000 rows or more in tests), and runs cut inside groups.
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .with_row_group_size(Some(2_999))
            .finish(&mut df)
            .unwrap();
        let f = open("o.parquet", &bytes).unwrap();
        let Body::Parquet(p) = &f.body else {
            panic!("a Parquet body")
        };
        assert!(
            p.bounds.len() > 20 && p.bounds.last() == Some(&n),
            "{:?}",
            p.bounds
        );
        let whole = lines(&f);
        assert_eq!(whole.len(), n);
        // The first chunk, decoded once for two reads (a peek, then the
        // records), reads the same every time.
        let peeked = f.peek(3);
        assert_eq!(peeked.len(), 3);
        assert_eq!(peeked[2].iter().collect::<Vec<_>>(), whole[2].1);
        assert_eq!(lines(&f), whole);
        assert_eq!(lines(&f), whole);
        assert_eq!(
            whole[4],
            (5, vec!["C4".into(), String::new(), "1970-01-05".into()])
        );
        for (i, (line, cells)) in whole.iter().enumerate() {
            assert_eq!(
                (*line, cells[0].as_str()),
                (i as u64 + 1, format!("C{i}").as_str())
            );
        }
        assert_eq!(f.native_kind(0), None, "text");
        assert_eq!(f.native_kind(1), Some(NativeKind::Number));
        assert_eq!(f.native_kind(2), Some(NativeKind::Time));
        type Row = (u64, Vec<String>, Vec<Native>);
        let read = |skip: usize, split: Split, native: &[usize]| -> Vec<Row> {
            f.for_each_split(
                skip,
                split,
                native,
                Vec::new,
                |out: &mut Vec<Row>, l, r, c| {
                    out.push((l, r.iter().map(String::from).collect(), c.to_vec()));
                    Ok(())
                },
            )
            .unwrap()
            .concat()
        };
        // Read as themselves: the cells as stored, their text fields empty.
        let native = read(0, Split::ONE, &[1, 2]);
        assert_eq!(
            native[4],
            (
                5,
                vec!["C4".into(), String::new(), String::new()],
                vec![Native::None, Native::None, Native::Date(4)]
            )
        );
        assert_eq!(
            native[5].2,
            vec![Native::None, Native::Float(5.5), Native::None]
        );
        assert_eq!(native[n - 2].2[2], Native::Date(n as i32 - 2));
        for pieces in [2, 3, 7] {
            let split = Split {
                pieces,
                min_bytes: 0,
            };
            let text = |skip| -> Vec<(u64, Vec<String>)> {
                read(skip, split, &[])
                    .into_iter()
                    .map(|(l, r, _)| (l, r))
                    .collect()
            };
            assert_eq!(text(0), whole, "{pieces} pieces");
            // Extra header rows skipped in the first run only.
            assert_eq!(text(2), whole[2..], "{pieces} pieces, skip 2");
            assert_eq!(read(0, split, &[1, 2]), native, "{pieces} pieces, native");
        }
    }

    #[test]
    fn files_too_big_for_memory_are_refused() {
        assert!(fits_in_memory("o.csv", 1_000, 4_000).is_ok());
        let err = fits_in_memory("o.csv", 40_000_000_000, 16_000_000_000)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "o.csv: the file is 40.0 GB; loading it needs about 160.0 GB of memory and 16.0 GB is available. Export a shorter date range, or split the file"
        );
        assert!(
            available_memory().is_some_and(|m| m > 0),
            "MemAvailable is readable here"
        );
    }

    /// The byte-by-byte scan `open_quote_line` replaced: the oracle of the
    /// test below.
    fn open_quote_line_by_bytes(text: &str, delimiter: u8) -> Option<u64> {
        let b = text.as_bytes();
        let (mut i, mut line, mut opened_on) = (0usize, 1u64, 0u64);
        let (mut field_start, mut quoted) = (true, false);
        while i < b.len() {
            let c = b[i];
            // `\n`, `\r\n` and a lone `\r` each end a line.
            let ends_line = c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n'));
            if quoted {
                match c {
                    b'"' if b.get(i + 1) == Some(&b'"') => i += 1,
                    b'"' => quoted = false,
                    _ if ends_line => line += 1,
                    _ => {}
                }
            } else {
                match c {
                    b'"' if field_start => {
                        quoted = true;
                        opened_on = line;
                    }
                    b'\n' | b'\r' => {
                        line += u64::from(ends_line);
                        field_start = true;
                        i += 1;
                        continue;
                    }
                    c if c == delimiter => {
                        field_start = true;
                        i += 1;
                        continue;
                    }
                    _ => {}
                }
                field_start = false;
            }
            i += 1;
        }
        quoted.then_some(opened_on)
    }

    proptest::proptest! {
        /// Quotes, escaped quotes, delimiters, CR, LF and text in any
        /// order: the line the byte-by-byte scan finds.
        #[test]
        fn open_quote_lines_as_by_bytes(parts in proptest::collection::vec(0usize..9, 0..60)) {
            let text: String = parts
                .iter()
                .map(|&k| ["\"", "\"\"", ",", ";", "\n", "\r", "\r\n", "ab", "é"][k])
                .collect();
            for delimiter in [b',', b';'] {
                proptest::prop_assert_eq!(
                    open_quote_line(&text, delimiter),
                    open_quote_line_by_bytes(&text, delimiter),
                    "{:?}", text
                );
            }
        }
    }

    /// Cut anywhere among multi-byte characters, the halves say what one
    /// pass says; a character cut in two (or a bad byte) is no text.
    #[test]
    fn utf8_checked_in_halves_as_whole() {
        let texts: [&[u8]; 6] = [
            "abcdefgh".as_bytes(),
            "é€😀é€😀é€😀".as_bytes(),
            "😀😀😀😀😀".as_bytes(),
            b"abcd\xF0\x9F\x98abcd",
            b"abcdefg\xC3",
            b"\x80\x80\x80\x80\x80\x80\x80\x80",
        ];
        for t in texts {
            for end in 0..=t.len() {
                let b = &t[..end];
                assert_eq!(utf8_in_halves(b), std::str::from_utf8(b).is_ok(), "{b:?}");
            }
        }
    }

    #[test]
    fn open_quotes() {
        assert_eq!(open_quote_line("a,b\n1,\"x\n2,y\n", b','), Some(2));
        assert_eq!(
            open_quote_line("a,b\n1,\"x\ny\"\n2,\"say \"\"hi\"\"\"\n", b','),
            None
        );
        assert_eq!(
            open_quote_line("a,b\n1,12\" pizza\n", b','),
            None,
            "a quote inside a field is a character"
        );
        assert_eq!(open_quote_line("a;b\r\n1;\"x\r\n", b';'), Some(2));
        // Excel for Mac's "CSV (Macintosh)": a lone CR ends each line, and a
        // quote after it starts a field.
        assert_eq!(open_quote_line("a,b\r\"1,x\r2,y\r", b','), Some(2));
        assert_eq!(
            open_quote_line("a,b\r1,2\r3,\"x\ry\"\r4,\"z\r", b','),
            Some(5)
        );
        assert_eq!(open_quote_line("a,b\r\"1\",x\r2,y\r", b','), None);
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter("a;b;c\n1;2;3"), Some(b';'));
        assert_eq!(detect_delimiter("a\tb\n"), Some(b'\t'));
        assert_eq!(detect_delimiter("\"x;y\",b,c\n"), Some(b','));
        assert_eq!(detect_delimiter("single\n1"), None);
        assert!(is_whitespace_separated(
            "00001 19970101  1  11.77\r\n00001 19970118 2 20.76\r\n"
        ));
        assert!(!is_whitespace_separated(
            "Customer Name\nJohn Smith\nMary Ann Lee\n"
        ));
        assert_eq!(collapse_blanks("  a   b\r\nc d\n"), "a\tb\r\nc\td\n");
    }

    #[test]
    fn csv_lines_are_physical() {
        let f = open("t.csv", b"\xEF\xBB\xBFid,comment\n1,\"two\nlines\"\n2,x\n").unwrap();
        assert_eq!(f.headers, vec!["id", "comment"]);
        let rows = lines(&f);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[1].0, 4);
        assert_eq!(rows[0].1[1], "two\nlines");
    }

    #[test]
    fn non_utf8_names_the_offset() {
        let err = open("bad.csv", b"id,name\n1,caf\xE9\n").err().unwrap();
        assert_eq!(
            err.to_string(),
            "bad.csv: not UTF-8 text (first bad byte at offset 13, line 2); set `encoding = \"latin1\"` for this source in the config file if it is Latin-1"
        );
        let f = RawFile::from_bytes(
            "bad.csv",
            Path::new("bad.csv"),
            b"id,name\n1,caf\xE9\n",
            Encoding::Latin1,
        )
        .unwrap();
        assert_eq!(lines(&f)[0].1[1], "café");
    }

    #[test]
    fn a_file_read_from_disk_decodes_as_its_bytes_do() {
        // The file's own buffer becomes the text: the same headers, values,
        // offsets and lines as bytes given in memory, byte-order mark or not.
        let dir = tempfile::tempdir().unwrap();
        for (body, bom) in [
            (&b"id,name\n1,caf\xC3\xA9\n"[..], false),
            (b"id,name\n1,caf\xE9\n", false),
        ] {
            for bom in [bom, true] {
                let bytes = [if bom { &b"\xEF\xBB\xBF"[..] } else { b"" }, body].concat();
                let path = dir.path().join("o.csv");
                std::fs::write(&path, &bytes).unwrap();
                let from_disk = RawFile::open("o.csv", &Origin::Path(path), ReadOptions::default());
                let in_memory = open("o.csv", &bytes);
                match (from_disk, in_memory) {
                    (Ok(d), Ok(m)) => {
                        assert_eq!(d.headers, ["id", "name"]);
                        assert_eq!(lines(&d), lines(&m));
                        assert_eq!(lines(&d)[0].1[1], "café");
                    }
                    (Err(d), Err(m)) => {
                        assert_eq!(d.to_string(), m.to_string());
                        assert!(d.to_string().contains("offset 13, line 2"), "{d}");
                    }
                    (d, m) => panic!("{:?} / {:?}", d.err(), m.err()),
                }
            }
        }
    }

    #[test]
    fn utf16_with_bom() {
        let text: Vec<u8> = "a\tb\n1\t2\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let bytes = [vec![0xFF, 0xFE], text].concat();
        let f = open("x.txt", &bytes).unwrap();
        assert_eq!(f.headers, vec!["a", "b"]);
        assert_eq!(lines(&f)[0].1, vec!["1", "2"]);
    }

    #[test]
    fn empty_files() {
        assert!(matches!(open("e.csv", b""), Err(LoadError::Empty { .. })));
        assert!(matches!(
            open("e.csv", b"\n \n"),
            Err(LoadError::Empty { .. })
        ));
        let header_only = open("h.csv", b"a,b\n").unwrap();
        assert!(lines(&header_only).is_empty());
    }

    #[test]
    fn json_array_and_ndjson() {
        let f = open(
            "d.json",
            br#"[{"score": 9, "person": {"email": "a@x"}}, {"score": null, "extra": [1,2]}]"#,
        )
        .unwrap();
        assert_eq!(f.headers, vec!["person.email", "score", "extra"]);
        let rows = lines(&f);
        assert_eq!(rows[0].1, vec!["a@x", "9", ""]);
        assert_eq!(rows[1], (2, vec!["".to_string(), "".into(), "1,2".into()]));
        let f = open("d.ndjson", b"{\"a\": 1}\n\n{\"a\": \"x\"}\n").unwrap();
        assert_eq!(lines(&f)[1].0, 3);
        assert!(matches!(
            open("d.json", b"42"),
            Err(LoadError::Parse { .. })
        ));
        assert!(matches!(
            open("d.ndjson", b"{\"a\": 1}\n{oops\n"),
            Err(LoadError::Parse { line: 2, .. })
        ));
    }
}
