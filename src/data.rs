//! The data layer: loading exports into canonical polars tables, with a load
//! report per file. Nothing above this layer sees a polars type except
//! through the accessors here and in `metrics`.

pub mod cache;
pub mod error;
pub mod feedback;
pub mod index;
pub mod mapping;
pub mod merge;
pub mod orders;
pub mod parse;
pub mod sample;
pub mod schema;
pub mod source;
pub mod store;
pub mod tickets;

use std::collections::BTreeMap;

use crate::Joined as _;
use polars::prelude::*;
use serde::Serialize;

pub use error::LoadError;
pub use mapping::SourceOptions;
use parse::{AmountCell, DateOrder, Day, DecimalStyle, RawStamp};
pub use schema::SourceKind;
pub use source::Origin;

/// Where one source comes from and how to read it.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    pub kind: SourceKind,
    /// The name used in messages and reports (the path as given).
    pub name: String,
    pub origin: Origin,
    pub options: SourceOptions,
}

impl SourceSpec {
    /// A source held in memory (generated data, tests, benchmarks).
    pub fn memory(kind: SourceKind, name: &str, text: String) -> Self {
        SourceSpec {
            kind,
            name: name.to_string(),
            origin: Origin::Memory(std::sync::Arc::new(text.into_bytes())),
            options: SourceOptions::default(),
        }
    }

    /// A source held in memory as raw bytes (any encoding; fuzzing, tests).
    pub fn memory_bytes(kind: SourceKind, name: &str, bytes: Vec<u8>) -> Self {
        SourceSpec {
            kind,
            name: name.to_string(),
            origin: Origin::Memory(std::sync::Arc::new(bytes)),
            options: SourceOptions::default(),
        }
    }

    pub fn path(kind: SourceKind, path: &std::path::Path, options: SourceOptions) -> Self {
        SourceSpec {
            kind,
            name: path.display().to_string(),
            origin: Origin::Path(path.to_path_buf()),
            options,
        }
    }
}

/// The sources of one dataset: orders are required, the others optional.
/// Each may be several files (monthly exports, a folder): they are read in
/// turn and merged, and a record in two files counts once (the later wins).
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub orders: Vec<SourceSpec>,
    pub feedback: Vec<SourceSpec>,
    pub tickets: Vec<SourceSpec>,
}

impl Sources {
    /// One file per source.
    pub fn new(
        orders: SourceSpec,
        feedback: Option<SourceSpec>,
        tickets: Option<SourceSpec>,
    ) -> Self {
        Sources {
            orders: vec![orders],
            feedback: feedback.into_iter().collect(),
            tickets: tickets.into_iter().collect(),
        }
    }

    /// Every file, orders first.
    pub fn all(&self) -> impl Iterator<Item = &SourceSpec> {
        self.orders
            .iter()
            .chain(&self.feedback)
            .chain(&self.tickets)
    }
}

/// Scales of the feedback surveys (kpi-spec §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scales {
    /// 5 (1..5) or 10 (1..10).
    pub csat: u8,
    /// 7 (1..7) or 5 (1..5).
    pub ces: u8,
}

impl Default for Scales {
    fn default() -> Self {
        Scales { csat: 5, ces: 7 }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DateRange {
    pub first: String,
    pub last: String,
}

/// What happened to one file: rows read, kept and rejected by reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub file: String,
    pub source: SourceKind,
    pub kind: SourceKind,
    pub format: &'static str,
    /// The preset or mapping that chose the columns.
    pub preset: String,
    pub rows: u64,
    pub kept: u64,
    pub rejected: BTreeMap<String, u64>,
    /// The first rejected lines (header = line 1), at most five.
    pub examples: Vec<u64>,
    /// The first lines of each reason, at most five each.
    #[serde(skip)]
    pub examples_by_reason: BTreeMap<String, Vec<u64>>,
    pub date_range: Option<DateRange>,
    pub segments: Vec<String>,
    /// Canonical column -> the header(s) it was read from.
    pub columns: BTreeMap<String, String>,
    /// What a user should know about the file as a whole (mixed currencies,
    /// few rows matching a customer of the orders, ...).
    pub warnings: Vec<String>,
    /// Feedback and tickets: how many rows with a customer match one of the orders.
    pub customer_match: Option<CustomerMatch>,
    /// Orders: the column of currencies, when the amounts are in more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mixed_currency: Option<String>,
    /// The one currency of every order row (from its currency column), if
    /// the orders carry one: money on screen and in tables is shown in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl LoadReport {
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

pub const MAX_EXAMPLES: usize = 5;

/// Counts rows and rejections while a file loads.
#[derive(Debug, Default)]
pub struct Tally {
    rows: u64,
    rejected: BTreeMap<String, u64>,
    by_reason: BTreeMap<String, Vec<u64>>,
    first_lines: Vec<u64>,
}

fn insert_capped(v: &mut Vec<u64>, line: u64) {
    let pos = v.partition_point(|&l| l < line);
    if pos < MAX_EXAMPLES {
        v.insert(pos, line);
        v.truncate(MAX_EXAMPLES);
    }
}

impl Tally {
    pub fn row(&mut self) {
        self.rows += 1;
    }

    pub fn reject(&mut self, reason: &str, line: u64) {
        *self.rejected.entry(reason.to_string()).or_default() += 1;
        insert_capped(self.by_reason.entry(reason.to_string()).or_default(), line);
        insert_capped(&mut self.first_lines, line);
    }

    /// Adds the counts of a later run of the same file.
    pub fn absorb(&mut self, later: Tally) {
        self.rows += later.rows;
        for (reason, n) in later.rejected {
            *self.rejected.entry(reason).or_default() += n;
        }
        for (reason, lines) in later.by_reason {
            let mine = self.by_reason.entry(reason).or_default();
            for line in lines {
                insert_capped(mine, line);
            }
        }
        for line in later.first_lines {
            insert_capped(&mut self.first_lines, line);
        }
    }

    pub fn report(
        self,
        file: &str,
        kind: SourceKind,
        format: &'static str,
        preset: &str,
        days: (Option<Day>, Option<Day>),
        segments: Vec<String>,
    ) -> LoadReport {
        let rejected_total: u64 = self.rejected.values().sum();
        LoadReport {
            file: file.to_string(),
            source: kind,
            kind,
            format,
            preset: preset.to_string(),
            rows: self.rows,
            kept: self.rows - rejected_total,
            rejected: self.rejected,
            examples: self.first_lines,
            examples_by_reason: self.by_reason,
            date_range: match days {
                (Some(a), Some(b)) => Some(DateRange {
                    first: parse::format_day(a),
                    last: parse::format_day(b),
                }),
                _ => None,
            },
            segments,
            columns: BTreeMap::new(),
            warnings: Vec::new(),
            customer_match: None,
            mixed_currency: None,
            currency: None,
        }
    }

    /// A file with rows of which none could be used is a whole-file error
    /// that says why in one line, with what to put in the config.
    pub fn require_some(
        &self,
        file: &str,
        kind: SourceKind,
        plan: &mapping::Plan,
        headers: &[String],
    ) -> Result<(), LoadError> {
        let rejected: u64 = self.rejected.values().sum();
        if self.rows == 0 || rejected < self.rows {
            return Ok(());
        }
        let first = |reason: &str| {
            self.by_reason
                .get(reason)
                .and_then(|v| v.first())
                .copied()
                .unwrap_or(0)
        };
        let statuses: Vec<(&String, &u64)> = self
            .rejected
            .iter()
            .filter(|(r, _)| r.starts_with("not a purchase"))
            .collect();
        let status_rows: u64 = statuses.iter().map(|(_, n)| **n).sum();
        let message = if status_rows * 2 >= self.rows {
            let mut by_count = statuses.clone();
            by_count.sort_by(|a, b| b.1.cmp(a.1));
            let names: Vec<String> = by_count
                .iter()
                .map(|(r, n)| {
                    let s = r
                        .strip_prefix("not a purchase (status ")
                        .and_then(|s| s.strip_suffix(')'))
                        .unwrap_or("no status");
                    format!("{s}: {n}")
                })
                .collect();
            let top = by_count
                .first()
                .and_then(|(r, _)| r.strip_prefix("not a purchase (status "))
                .and_then(|s| s.strip_suffix(')'))
                .unwrap_or("pending");
            let status_header = plan
                .status
                .as_ref()
                .and_then(|s| headers.get(s.col))
                .map(String::as_str)
                .unwrap_or("status");
            format!(
                "no row is a purchase: every row's \"{status_header}\" is a status that is not counted ({}); if these are sales (cash on delivery, for one), set `[orders] purchase_statuses = [\"paid\", \"{top}\"]` in the config file",
                names.join(", ")
            )
        } else {
            let (reason, count) = self
                .rejected
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(r, n)| (r.as_str(), *n))
                .unwrap_or(("", 0));
            let line = first(reason);
            let column = |canonical: &str| plan.header(headers, canonical).to_string();
            let section = kind.name();
            if let Some(c) = reason.strip_prefix("unparseable ") {
                let hint = if c.ends_with("date") || c.ends_with("_at") {
                    format!(
                        "write dates as 2024-03-05, or map the date column with `[{section}.columns] {c} = \"HEADER\"`"
                    )
                } else {
                    format!("map another column with `[{section}.columns] {c} = \"HEADER\"`")
                };
                format!(
                    "column \"{}\" ({c}): no row has a value that can be read ({count} rows, the first at line {line}); {hint} in the config file",
                    column(c)
                )
            } else if let Some(c) = reason.strip_prefix("missing ") {
                format!(
                    "column \"{}\" ({c}) is empty on every row (first at line {line}); map another column with `[{section}.columns] {c} = \"HEADER\"` in the config file",
                    column(c)
                )
            } else {
                format!("no row could be used: {reason} ({count} rows, the first at line {line})")
            }
        };
        Err(LoadError::Invalid {
            file: file.to_string(),
            message,
        })
    }
}

/// Whether a segment column's values are categories: few distinct values
/// relative to the rows (≤ 50, ≤ 20 % of the filled cells), not numbers,
/// dates, e-mail addresses or free text.
pub fn is_category(values: &[String], filled: usize) -> bool {
    let distinct = values.len();
    if distinct == 0 || distinct > 50 {
        return false;
    }
    if !(distinct * 5 <= filled || (filled < 50 && distinct <= 12)) {
        return false;
    }
    let all = |f: &dyn Fn(&str) -> bool| values.iter().all(|v| f(v));
    let any = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
    !(all(&|v| parse::parse_score(v).is_some() || v.parse::<f64>().is_ok())
        || all(&|v| parse::parse_datetime(v).is_some())
        || any(&|v| v.contains('@'))
        || any(&|v| v.chars().count() > 60)
        || any(&|v| v.contains('\n')))
}

/// Watches the `NN/NN/YYYY` dates of a file and decides their order.
#[derive(Debug, Default)]
pub struct DateVotes {
    dmy: Option<(u64, String)>,
    mdy: Option<(u64, String)>,
    ambiguous: Option<(u64, String, String)>,
}

impl DateVotes {
    /// Adds the votes of a later run of the same file (the earliest line stays the example).
    pub fn absorb(&mut self, later: DateVotes) {
        self.dmy = self.dmy.take().or(later.dmy);
        self.mdy = self.mdy.take().or(later.mdy);
        self.ambiguous = self.ambiguous.take().or(later.ambiguous);
    }

    pub fn observe(&mut self, raw: RawStamp, line: u64, column: &str, cell: &str) {
        if let RawStamp::Slash { a, b, .. } = raw {
            match raw.allows() {
                (true, false) => {
                    self.dmy.get_or_insert_with(|| (line, column.to_string()));
                }
                (false, true) => {
                    self.mdy.get_or_insert_with(|| (line, column.to_string()));
                }
                _ if a != b => {
                    self.ambiguous
                        .get_or_insert_with(|| (line, column.to_string(), cell.to_string()));
                }
                _ => {}
            }
        }
    }

    /// `forced` comes from the config; `hint` from a preset breaks ties only.
    pub fn decide(
        &self,
        file: &str,
        forced: Option<DateOrder>,
        hint: DateOrder,
    ) -> Result<DateOrder, LoadError> {
        if let Some(order) = forced.filter(|o| *o != DateOrder::Auto) {
            return Ok(order);
        }
        match (&self.dmy, &self.mdy) {
            (Some((dl, column)), Some((ml, _))) => Err(LoadError::MixedDates {
                file: file.to_string(),
                column: column.clone(),
                dmy_line: *dl,
                mdy_line: *ml,
            }),
            (Some(_), None) => Ok(DateOrder::Dmy),
            (None, Some(_)) => Ok(DateOrder::Mdy),
            (None, None) => match (&self.ambiguous, hint) {
                (Some((line, column, example)), DateOrder::Auto) => {
                    Err(LoadError::AmbiguousDates {
                        file: file.to_string(),
                        column: column.clone(),
                        example: example.clone(),
                        line: *line,
                    })
                }
                (_, DateOrder::Auto) => Ok(DateOrder::Dmy),
                (_, hint) => Ok(hint),
            },
        }
    }
}

/// Watches the amounts of a file and decides their decimal style.
#[derive(Debug, Default)]
pub struct DecimalVotes {
    dot: Option<(u64, String)>,
    comma: Option<(u64, String)>,
    ambiguous: Option<(u64, String, String)>,
}

impl DecimalVotes {
    /// Adds the votes of a later run of the same file (the earliest line stays the example).
    pub fn absorb(&mut self, later: DecimalVotes) {
        self.dot = self.dot.take().or(later.dot);
        self.comma = self.comma.take().or(later.comma);
        self.ambiguous = self.ambiguous.take().or(later.ambiguous);
    }

    pub fn observe(&mut self, cell: AmountCell, line: u64, column: &str, text: &str) {
        match cell.decisive() {
            Some(DecimalStyle::Dot) => {
                self.dot.get_or_insert_with(|| (line, column.to_string()));
            }
            Some(DecimalStyle::Comma) => {
                self.comma.get_or_insert_with(|| (line, column.to_string()));
            }
            _ if cell.is_ambiguous() => {
                self.ambiguous
                    .get_or_insert_with(|| (line, column.to_string(), text.to_string()));
            }
            _ => {}
        }
    }

    pub fn decide(&self, file: &str, forced: DecimalStyle) -> Result<DecimalStyle, LoadError> {
        if forced != DecimalStyle::Auto {
            return Ok(forced);
        }
        match (&self.dot, &self.comma, &self.ambiguous) {
            (Some((dl, column)), Some((cl, _)), _) => Err(LoadError::MixedDecimals {
                file: file.to_string(),
                column: column.clone(),
                dot_line: *dl,
                comma_line: *cl,
            }),
            (Some(_), None, _) => Ok(DecimalStyle::Dot),
            (None, Some(_), _) => Ok(DecimalStyle::Comma),
            (None, None, Some((line, column, example))) => Err(LoadError::AmbiguousDecimals {
                file: file.to_string(),
                column: column.clone(),
                example: example.clone(),
                line: *line,
            }),
            (None, None, None) => Ok(DecimalStyle::Dot),
        }
    }
}

/// FxHash: a fast, non-cryptographic hash for interning ids from local files
/// (no untrusted peer can choose keys to flood it).
#[derive(Clone, Copy, Default)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        // The multiply mixes low bits upwards only, and hash tables index by the
        // low bits: finish with murmur3's fmix64 so every input bit reaches them.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

pub type FastHash = std::hash::BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod hash_tests {
    use std::hash::BuildHasher;

    #[test]
    fn ids_differing_late_spread_over_buckets() {
        let b = super::FastHash::default();
        let mut low: Vec<u64> = (0..1000)
            .map(|i| b.hash_one(format!("O{i:07}")) & 1023)
            .collect();
        low.sort_unstable();
        low.dedup();
        assert!(low.len() > 500, "only {} of 1024 buckets used", low.len());
    }
}

/// Interns strings into dense codes, in order of first appearance: a
/// `NameTable` over its own names.
#[derive(Debug, Default)]
pub struct Interner {
    table: NameTable,
    pub names: Vec<String>,
}

/// The codes of a list of distinct names, by name: an open-addressing
/// table (linear probing, at most 5/8 full) that holds no name of its own.
/// A name of up to 23 bytes is kept whole in its 32-byte slot, so a lookup
/// reads one cache line, and a batch can fetch the lines of the names to
/// come while it looks up the current one (`prefetch`). With a million
/// customers the table is far larger than the caches, and a std `HashMap`
/// read two lines per lookup (control bytes, then the key) and a third for
/// a key that points at its text: 17 % of an orders load's time went there.
#[derive(Debug, Default)]
pub struct NameTable {
    /// A power of two long, or empty.
    slots: Vec<Slot>,
    len: usize,
}

/// The names a `NameTable` codes, by code.
pub trait Names {
    fn name(&self, code: u32) -> &[u8];
}

impl Names for [String] {
    fn name(&self, code: u32) -> &[u8] {
        self[code as usize].as_bytes()
    }
}

impl Names for [&str] {
    fn name(&self, code: u32) -> &[u8] {
        self[code as usize].as_bytes()
    }
}

/// Name bytes kept in a slot.
const INLINE: usize = 23;
/// A slot's length byte for a name longer than `INLINE` (its first bytes
/// are kept; the whole name is compared with the list's).
const LONG: u8 = u8::MAX;

#[derive(Clone, Copy, Debug)]
#[repr(C, align(32))]
struct Slot {
    /// 0: empty; otherwise the upper half of the name's hash (never 0).
    tag: u32,
    code: u32,
    /// The name's length (`LONG` past `INLINE` bytes), then its first
    /// `INLINE` bytes, zero-padded, as three words: compared as integers.
    key: [u64; 3],
}

impl Slot {
    const EMPTY: Slot = Slot {
        tag: 0,
        code: 0,
        key: [0; 3],
    };

    /// The slot `key` (hashed `h`) fills, without its code.
    fn of(key: &[u8], h: u64) -> Slot {
        let mut bytes = [0u8; INLINE + 1];
        bytes[0] = if key.len() <= INLINE {
            key.len() as u8
        } else {
            LONG
        };
        let n = key.len().min(INLINE);
        bytes[1..=n].copy_from_slice(&key[..n]);
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[8 * i..8 * i + 8]);
            u64::from_le_bytes(w)
        };
        Slot {
            tag: ((h >> 32) as u32).max(1),
            code: 0,
            key: [word(0), word(1), word(2)],
        }
    }

    fn len(&self) -> u8 {
        self.key[0] as u8
    }

    /// The name's bytes kept here (all of them unless `LONG`).
    fn bytes(&self) -> ([u8; INLINE + 1], usize) {
        let mut bytes = [0u8; INLINE + 1];
        for (i, w) in self.key.iter().enumerate() {
            bytes[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
        }
        (bytes, usize::from(self.len()).min(INLINE))
    }
}

/// The hash a name is looked up by (for `prefetch` and the lookups).
pub fn name_hash(key: &[u8]) -> u64 {
    use std::hash::Hasher as _;
    let mut h = FxHasher::default();
    h.write(key);
    h.finish()
}

impl NameTable {
    /// The table of `names`, all distinct, coded by their place. Sized for
    /// them up front (no name is placed twice), and filled in batches with
    /// the table lines of the names ahead asked for: each name is a miss in
    /// a table of a million.
    pub fn of<N: Names + ?Sized>(names: &N, count: usize) -> NameTable {
        let mut size = 16;
        while count * 8 > size * 5 {
            size *= 2;
        }
        let mut table = NameTable {
            slots: vec![Slot::EMPTY; if count == 0 { 0 } else { size }],
            len: 0,
        };
        let mut hashes = Vec::with_capacity(CODE_BATCH.min(count));
        for from in (0..count).step_by(CODE_BATCH) {
            let codes = from as u32..(from + CODE_BATCH).min(count) as u32;
            hashes.clear();
            hashes.extend(codes.clone().map(|c| name_hash(names.name(c))));
            for (k, code) in codes.enumerate() {
                if let Some(&ahead) = hashes.get(k + PREFETCH_AHEAD) {
                    table.prefetch(ahead);
                }
                table.entry(names.name(code), hashes[k], code, names);
            }
        }
        table
    }

    /// The code `key` (hashed `hash`) has, or `code` put in for it: the
    /// code and whether it is new (`names` must then give it as `key`).
    fn entry<N: Names + ?Sized>(
        &mut self,
        key: &[u8],
        hash: u64,
        code: u32,
        names: &N,
    ) -> (u32, bool) {
        self.make_room(names);
        match self.find(key, hash, names) {
            Ok(old) => (old, false),
            Err(at) => {
                self.slots[at] = Slot {
                    code,
                    ..Slot::of(key, hash)
                };
                self.len += 1;
                (code, true)
            }
        }
    }

    /// The code of `key` (hashed `hash`), or the empty slot where it goes
    /// (the table must have a slot: `make_room` first).
    fn find<N: Names + ?Sized>(&self, key: &[u8], hash: u64, names: &N) -> Result<u32, usize> {
        let want = Slot::of(key, hash);
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = hash as usize & mask;
        loop {
            let Some(slot) = self.slots.get(at) else {
                return Err(at);
            };
            if slot.tag == 0 {
                return Err(at);
            }
            if slot.tag == want.tag
                && slot.key == want.key
                && (slot.len() != LONG || names.name(slot.code) == key)
            {
                return Ok(slot.code);
            }
            at = (at + 1) & mask;
        }
    }

    /// The code of `s` (hashed `hash`) among `names`, if it has one.
    #[inline]
    pub fn get<N: Names + ?Sized>(&self, s: &str, hash: u64, names: &N) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        self.find(s.as_bytes(), hash, names).ok()
    }

    /// The codes of `values` (`None` for none or no code), looked up in
    /// batches with the table lines of the values ahead asked for.
    pub fn get_all<'a, N: Names + ?Sized>(
        &self,
        names: &N,
        values: impl Iterator<Item = Option<&'a str>>,
    ) -> Vec<Option<u32>> {
        let mut out = Vec::with_capacity(values.size_hint().0);
        let mut batch: Vec<(Option<&str>, u64)> = Vec::with_capacity(CODE_BATCH);
        let mut values = values.peekable();
        while values.peek().is_some() {
            batch.clear();
            batch.extend(
                values
                    .by_ref()
                    .take(CODE_BATCH)
                    .map(|v| (v, v.map_or(0, |v| name_hash(v.as_bytes())))),
            );
            for (k, &(v, h)) in batch.iter().enumerate() {
                if let Some(&(Some(_), ahead)) = batch.get(k + PREFETCH_AHEAD) {
                    self.prefetch(ahead);
                }
                out.push(v.and_then(|v| self.get(v, h, names)));
            }
        }
        out
    }

    /// Asks the processor for the cache line a name hashed `hash` is looked
    /// up in first: a batch calls it some names ahead of the one it codes.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        #[cfg(target_arch = "x86_64")]
        if !self.slots.is_empty() {
            let at = hash as usize & (self.slots.len() - 1);
            let slot: *const Slot = &self.slots[at];
            // SAFETY: a prefetch is a hint that reads nothing; the address
            // is that of a slot of the table.
            unsafe {
                use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                _mm_prefetch::<_MM_HINT_T0>(slot.cast());
            }
        }
    }

    /// Makes room for one more name: twice the slots (16 at first), every
    /// name placed again, when the table would be more than 5/8 full.
    fn make_room<N: Names + ?Sized>(&mut self, names: &N) {
        if (self.len + 1) * 8 <= self.slots.len() * 5 {
            return;
        }
        let size = (self.slots.len() * 2).max(16);
        let mut slots = vec![Slot::EMPTY; size];
        for slot in self.slots.iter().filter(|s| s.tag != 0) {
            let (bytes, len) = slot.bytes();
            let key = if slot.len() == LONG {
                names.name(slot.code)
            } else {
                &bytes[1..=len]
            };
            let mut at = name_hash(key) as usize & (size - 1);
            while slots[at].tag != 0 {
                at = (at + 1) & (size - 1);
            }
            slots[at] = *slot;
        }
        self.slots = slots;
    }
}

impl Interner {
    /// The interner of `names`, all distinct, coded by their place (the
    /// names move in).
    pub fn of_distinct(names: Vec<String>) -> Interner {
        Interner {
            table: NameTable::of(names.as_slice(), names.len()),
            names,
        }
    }

    /// The table and the names, coded by their place.
    pub fn into_parts(self) -> (NameTable, Vec<String>) {
        (self.table, self.names)
    }

    pub fn code(&mut self, s: &str) -> u32 {
        self.code_hashed(s, name_hash(s.as_bytes()))
    }

    /// The code of `s`, whose `hash` is given.
    pub fn code_hashed(&mut self, s: &str, hash: u64) -> u32 {
        self.code_with(s, hash, str::to_string)
    }

    /// See `NameTable::get_all`.
    pub fn get_all<'a>(&self, values: impl Iterator<Item = Option<&'a str>>) -> Vec<Option<u32>> {
        self.table.get_all(self.names.as_slice(), values)
    }

    #[inline]
    pub fn prefetch(&self, hash: u64) {
        self.table.prefetch(hash);
    }

    /// The code of `s`; a new one gets the name `owned(s)` makes.
    fn code_with<S>(&mut self, s: S, hash: u64, owned: impl FnOnce(S) -> String) -> u32
    where
        S: AsRef<str>,
    {
        let next = self.names.len() as u32;
        let (code, new) =
            self.table
                .entry(s.as_ref().as_bytes(), hash, next, self.names.as_slice());
        if new {
            self.names.push(owned(s));
        }
        code
    }

    /// Takes in the names of a later run's interner, in the order they came
    /// there: the codes are those one interner over both runs would have
    /// given. Returns the later run's codes as codes here.
    pub fn absorb(&mut self, later: Interner) -> Vec<u32> {
        self.absorb_names(later.names)
    }

    /// Takes in a list of names, in its order; returns their codes here.
    /// The names move over: no copy of a string already made.
    pub fn absorb_names(&mut self, names: Vec<String>) -> Vec<u32> {
        let hashes: Vec<u64> = names.iter().map(|n| name_hash(n.as_bytes())).collect();
        names
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                if let Some(&ahead) = hashes.get(i + PREFETCH_AHEAD) {
                    self.prefetch(ahead);
                }
                self.code_with(n, hashes[i], |n| n)
            })
            .collect()
    }
}

/// How many names ahead a batch asks for the table's cache line.
pub const PREFETCH_AHEAD: usize = 8;

/// Names waiting to be coded in one batch (`code_into`), so that the
/// table's cache lines of the next ones are fetched while one is coded.
/// Each name is tagged with where its code goes (a row, or a row's second
/// customer column). Codes are those of coding the names as they came.
#[derive(Default)]
pub struct Uncoded {
    text: String,
    ends: Vec<usize>,
    targets: Vec<usize>,
    hashes: Vec<u64>,
}

/// Names coded in one batch (two in unit tests, so that files and runs
/// end mid-batch).
pub const CODE_BATCH: usize = if cfg!(test) { 2 } else { 1024 };

impl Uncoded {
    /// Adds a name whose code goes to `target`; true when a batch is full.
    pub fn push(&mut self, name: &str, target: usize) -> bool {
        self.text.push_str(name);
        self.ends.push(self.text.len());
        self.targets.push(target);
        self.targets.len() >= CODE_BATCH
    }

    /// Codes the names in order, handing each code to `set` with its target.
    pub fn code_into(&mut self, names: &mut Interner, mut set: impl FnMut(usize, u32)) {
        self.hashes.clear();
        let mut start = 0;
        for &end in &self.ends {
            self.hashes
                .push(name_hash(&self.text.as_bytes()[start..end]));
            start = end;
        }
        let mut start = 0;
        for (k, (&end, &target)) in self.ends.iter().zip(&self.targets).enumerate() {
            if let Some(&ahead) = self.hashes.get(k + PREFETCH_AHEAD) {
                names.prefetch(ahead);
            }
            set(
                target,
                names.code_hashed(&self.text[start..end], self.hashes[k]),
            );
            start = end;
        }
        self.text.clear();
        self.ends.clear();
        self.targets.clear();
    }
}

#[cfg(test)]
mod interner_tests {
    #[test]
    fn row_texts_give_each_rows_cell_and_their_column() {
        let mut t = super::RowTexts::default();
        for cell in [None, Some("C1"), Some("a.b@example.com"), None, Some("C1")] {
            t.push(cell);
        }
        let got: Vec<Option<&str>> = (0..5).map(|r| t.get(r)).collect();
        assert_eq!(
            got,
            [None, Some("C1"), Some("a.b@example.com"), None, Some("C1")]
        );
        let column = t.column("customer_id", [4, 0, 2].into_iter());
        let values: Vec<Option<&str>> = column.str().expect("text").iter().collect();
        assert_eq!(values, [Some("C1"), None, Some("a.b@example.com")]);
    }

    #[test]
    fn each_row_points_at_the_first_row_of_its_cell() {
        let mut ids = super::RowTexts::default();
        for r in ["T1", "T2", "T1", "T0", "t1", "T3", "T2", "T1", "T0"] {
            ids.push(Some(r));
        }
        let want = [0, 1, 0, 3, 4, 5, 1, 0, 3];
        assert_eq!(ids.first_rows(), want);
        // Every cell sharing one hash: the texts still tell them apart.
        assert_eq!(ids.first_rows_by(|_| 7), want);
        assert_eq!(super::RowTexts::default().first_rows(), Vec::<u32>::new());
    }

    #[test]
    fn a_segment_columns_few_values_give_the_interners_codes() {
        // Short values around the 15-byte key, values that differ only by
        // a trailing NUL, long values, and then a run of distinct ids that
        // fills the list and turns it off: every code is the one the
        // interner alone gives, before and after.
        let mut values: Vec<String> = vec![
            "plus".into(),
            "a".into(),
            "a\0".into(),
            "\0".into(),
            "x".repeat(15),
            "x".repeat(16),
            "north-america".into(),
            "a-much-longer-segment-value".into(),
        ];
        let mut cells: Vec<String> = (0..600)
            .map(|i| values[(i * 7) % values.len()].clone())
            .collect();
        cells.extend((0..3_000).map(|i| format!("id{}", i % 1_500)));
        values.extend((0..20).map(|i| format!("v{i}")));
        cells.extend((0..600).map(|i| values[(i * 11) % values.len()].clone()));
        let mut few = super::Few::default();
        let (mut with, mut alone) = (super::Interner::default(), super::Interner::default());
        for cell in &cells {
            assert_eq!(few.code(cell, &mut with), alone.code(cell), "{cell:?}");
        }
        assert!(
            few.off,
            "a column of ids stops looking among its first values"
        );
        assert_eq!(with.names, alone.names);
    }

    #[test]
    fn short_and_long_strings_intern_to_the_same_codes_again() {
        let mut i = super::Interner::default();
        let long = "a.customer.with.a.long.address@example.com";
        let ids = [
            "C00625",
            "",
            long,
            "C00625",
            "c00625",
            long,
            "0123456789012345678901",
        ];
        let codes: Vec<u32> = ids.iter().map(|s| i.code(s)).collect();
        assert_eq!(codes, [0, 1, 2, 0, 3, 2, 4]);
        assert_eq!(i.names[2], long);
        assert_eq!(i.names.len(), 5);
    }

    #[test]
    fn codes_are_first_appearances_through_every_growth() {
        // Against a std map: short ids, the empty name, names of exactly
        // 23 and 24 bytes, long names sharing their first 23 bytes, each
        // seen again after the table has grown many times.
        let prefix = "x".repeat(23);
        let names: Vec<String> = (0..40_000u32)
            .map(|i| match i % 5 {
                0 => format!("C{:05}", i / 5),
                1 => format!("{prefix}{}", i / 5),
                2 => format!("{:023}", i / 5),
                3 => format!("{:024}", i / 5),
                _ => String::new(),
            })
            .collect();
        let mut i = super::Interner::default();
        let mut want: std::collections::HashMap<&str, u32> = Default::default();
        for round in 0..2 {
            for n in names.iter().rev().skip(round) {
                let next = want.len() as u32;
                let expected = *want.entry(n.as_str()).or_insert(next);
                assert_eq!(i.code(n), expected, "{n:?}");
            }
        }
        assert_eq!(i.names.len(), want.len());
        for (n, &c) in &want {
            assert_eq!(i.names[c as usize], *n);
        }
        // A later run's names taken in keep their order after this one's.
        let mut later = super::Interner::default();
        let fresh = ["new-1", "C00001", &prefix, "new-2"];
        let later_codes: Vec<u32> = fresh.iter().map(|n| later.code(n)).collect();
        let moved = i.absorb(later);
        let old = want.len() as u32;
        assert_eq!(moved, [old, want["C00001"], old + 1, old + 2]);
        assert_eq!(later_codes, [0, 1, 2, 3]);
        assert_eq!(i.names[old as usize + 1], prefix);
    }

    #[test]
    fn a_table_of_a_list_finds_each_names_place_in_batches() {
        // More values than a batch (two in unit tests): names of every
        // length, values without a name, and values not in the list.
        let long = "someone.with.a.long.address@example.com";
        let list: Vec<String> = (0..300)
            .map(|i| match i % 3 {
                0 => format!("C{i}"),
                1 => format!("{long}{i}"),
                _ => format!("{i:023}"),
            })
            .collect();
        let names: Vec<&str> = list.iter().map(String::as_str).collect();
        let table = super::NameTable::of(names.as_slice(), names.len());
        let values: Vec<Option<String>> = (0..700)
            .map(|k| match k % 7 {
                0 => None,
                1 => Some(format!("{long}{}", 299 - 2 * (k % 100))),
                2 => Some(format!("missing {k}")),
                3 => Some(long.to_string()),
                _ => Some(list[(k * 13) % 300].clone()),
            })
            .collect();
        let got = table.get_all(names.as_slice(), values.iter().map(|v| v.as_deref()));
        let want: Vec<Option<u32>> = values
            .iter()
            .map(|v| {
                v.as_deref()
                    .and_then(|v| list.iter().position(|n| n == v))
                    .map(|p| p as u32)
            })
            .collect();
        assert_eq!(got, want);
        assert!(want.iter().filter(|w| w.is_some()).count() > 300);
    }
}

/// Segment values of the kept rows, one interned column per segment.
#[derive(Debug, Default)]
pub struct SegmentColumns {
    pub names: Vec<(String, usize)>,
    values: Vec<Interner>,
    /// Each column's first short values, found without hashing (`Few`).
    few: Vec<Few>,
    /// Each column's value codes, `NO_VALUE` for an empty cell.
    codes: Vec<Vec<u32>>,
}

/// One text cell or none per row, the rows' cells one after another in one
/// string: the feedback's and tickets' customers and comments, made into
/// their columns without a string of their own per cell (nor a table of
/// distinct names, which the columns do not need).
#[derive(Debug, Default)]
pub struct RowTexts {
    text: String,
    /// Where each row's cell ends in `text` (an empty cell is no value:
    /// `clean_cell` never gives an empty one).
    ends: Vec<usize>,
}

impl RowTexts {
    /// Appends the next row's cell.
    pub fn push(&mut self, cell: Option<&str>) {
        if let Some(c) = cell {
            self.text.push_str(c);
        }
        self.ends.push(self.text.len());
    }

    /// Row `row`'s cell.
    pub fn get(&self, row: usize) -> Option<&str> {
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        let end = self.ends[row];
        (end > start).then(|| &self.text[start..end])
    }

    /// The column of the cells of `rows`, in that order (no value: null).
    pub fn column(&self, name: &str, rows: impl Iterator<Item = usize>) -> Column {
        StringChunked::from_iter_options(name.into(), rows.map(|r| self.get(r))).into_column()
    }

    /// Each row's first row with the same cell (its own when it is the
    /// first): rows of one ticket id, found by sorting the cells' hashes
    /// once every row is read rather than by hashing each into a table.
    pub fn first_rows(&self) -> Vec<u32> {
        self.first_rows_by(name_hash)
    }

    /// `first_rows`, the cells hashed by `hash`.
    fn first_rows_by(&self, hash: impl Fn(&[u8]) -> u64) -> Vec<u32> {
        let n = self.ends.len();
        let mut keyed: Vec<(u64, u32)> = (0..n)
            .map(|i| (hash(self.get(i).unwrap_or("").as_bytes()), i as u32))
            .collect();
        keyed.sort_unstable();
        let mut first: Vec<u32> = (0..n as u32).collect();
        // Rows of one hash, in row order: each takes the first row of its
        // cell among the distinct cells met in the run (one, unless two
        // cells share a hash).
        let mut distinct: Vec<u32> = Vec::new();
        for run in keyed.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
            distinct.clear();
            for &(_, row) in run {
                let cell = self.get(row as usize);
                match distinct.iter().find(|&&d| self.get(d as usize) == cell) {
                    Some(&d) => first[row as usize] = d,
                    None => distinct.push(row),
                }
            }
        }
        first
    }
}

/// A segment column's first `FEW` values of at most 15 bytes, with their
/// codes: a plan, region or channel column has a handful of values, and a
/// cell is found among them by comparing one integer each, without hashing
/// it and probing the interner's table (which is asked, and gives the
/// codes, for every value not here). A column whose cells keep missing once
/// the list is full (ids, free text) stops looking here.
#[derive(Debug, Default)]
struct Few {
    /// A value's bytes, zero-padded, with its length in the last byte.
    keys: Vec<u128>,
    codes: Vec<u32>,
    /// Cells not found here: values too long to keep, and any once the
    /// list is full.
    misses: u32,
    off: bool,
}

/// Values a `Few` keeps.
const FEW: usize = 16;
/// Misses after which a full `Few` stops looking.
const FEW_MISSES: u32 = 1024;

impl Few {
    /// The key of a value of at most 15 bytes.
    fn key(v: &str) -> Option<u128> {
        let v = v.as_bytes();
        (v.len() < 16).then(|| {
            let mut bytes = [0u8; 16];
            bytes[..v.len()].copy_from_slice(v);
            bytes[15] = v.len() as u8;
            u128::from_le_bytes(bytes)
        })
    }

    /// The code `interner` gives `v`.
    fn code(&mut self, v: &str, interner: &mut Interner) -> u32 {
        if self.off {
            return interner.code(v);
        }
        let key = Few::key(v);
        if let Some(k) = key
            && let Some(at) = self.keys.iter().position(|&x| x == k)
        {
            return self.codes[at];
        }
        let code = interner.code(v);
        match key {
            Some(k) if self.keys.len() < FEW => {
                self.keys.push(k);
                self.codes.push(code);
            }
            _ => {
                self.misses += 1;
                self.off = self.keys.len() >= FEW && self.misses >= FEW_MISSES;
            }
        }
        code
    }
}

/// A segment cell left empty, among value codes.
pub const NO_VALUE: u32 = u32::MAX;

/// No code: a waiting row without a customer, order id, category or comment.
pub const NO_CODE: u32 = u32::MAX;

/// A code, or `None` for `NO_CODE`.
pub fn coded(code: u32) -> Option<u32> {
    (code != NO_CODE).then_some(code)
}

impl Interner {
    /// A text column of the kept rows' names from their codes (`NO_CODE`: null).
    pub fn column(&self, name: &str, codes: impl Iterator<Item = u32>) -> Column {
        StringChunked::from_iter_options(
            name.into(),
            codes.map(|c| coded(c).map(|c| self.names[c as usize].as_str())),
        )
        .into_column()
    }
}

impl SegmentColumns {
    pub fn new(names: Vec<(String, usize)>) -> Self {
        let n = names.len();
        SegmentColumns {
            names,
            values: (0..n).map(|_| Interner::default()).collect(),
            few: (0..n).map(|_| Few::default()).collect(),
            codes: vec![Vec::new(); n],
        }
    }

    /// Reads the segment cells of a record (`NO_VALUE` for an empty cell).
    pub fn read(&mut self, rec: &csv::StringRecord) -> Vec<u32> {
        let mut codes = Vec::with_capacity(self.names.len());
        self.read_into(rec, &mut codes);
        codes
    }

    /// Like `read`, appending the codes to `out`.
    pub fn read_into(&mut self, rec: &csv::StringRecord, out: &mut Vec<u32>) {
        for (((_, i), interner), few) in self
            .names
            .iter()
            .zip(self.values.iter_mut())
            .zip(self.few.iter_mut())
        {
            out.push(
                mapping::clean_cell(rec.get(*i).unwrap_or(""))
                    .map_or(NO_VALUE, |v| few.code(v, interner)),
            );
        }
    }

    /// Takes in the values of a later run's columns (read, not yet pushed);
    /// returns, per column, its codes as codes here.
    pub fn absorb(&mut self, later: SegmentColumns) -> Vec<Vec<u32>> {
        self.values
            .iter_mut()
            .zip(later.values)
            .map(|(mine, theirs)| mine.absorb(theirs))
            .collect()
    }

    /// Appends a kept row's codes (`read`'s).
    pub fn push(&mut self, codes: &[u32]) {
        for (col, c) in self.codes.iter_mut().zip(codes) {
            col.push(*c);
        }
    }

    /// Appends kept rows' codes, a list per column (moved in when the
    /// columns are empty).
    pub fn push_columns(&mut self, columns: Vec<Vec<u32>>) {
        for (col, codes) in self.codes.iter_mut().zip(columns) {
            if col.is_empty() {
                *col = codes;
            } else {
                col.extend_from_slice(&codes);
            }
        }
    }

    /// The kept rows' text columns.
    pub fn text_columns(&self) -> Vec<Column> {
        self.names
            .iter()
            .zip(&self.values)
            .zip(&self.codes)
            .map(|(((name, _), interner), codes)| {
                StringChunked::from_iter_options(
                    format!("{}{}", schema::SEGMENT_PREFIX, name).into(),
                    codes
                        .iter()
                        .map(|&c| (c != NO_VALUE).then(|| interner.names[c as usize].as_str())),
                )
                .into_column()
            })
            .collect()
    }

    /// The columns as value codes (`SEGMENT_CODE_PREFIX`, `NO_VALUE` for an
    /// empty cell) with each column's values: no text copied per row.
    pub fn into_coded(self) -> (Vec<Column>, SegmentValues) {
        self.names
            .into_iter()
            .zip(self.values)
            .zip(self.codes)
            .map(|(((name, _), interner), codes)| {
                // `from_vec`: the list becomes the column's buffer, no copy.
                let column = UInt32Chunked::from_vec(
                    format!("{}{}", schema::SEGMENT_CODE_PREFIX, name).into(),
                    codes,
                )
                .into_column();
                (column, (name, interner.names))
            })
            .unzip()
    }

    /// Drops the columns whose values are not categories (`is_category`).
    pub fn retain_categories(&mut self) {
        let keep: Vec<bool> = self
            .values
            .iter()
            .zip(&self.codes)
            .map(|(v, c)| is_category(&v.names, c.iter().filter(|&&c| c != NO_VALUE).count()))
            .collect();
        let mut k = keep.iter();
        self.names.retain(|_| *k.next().unwrap_or(&false));
        let mut k = keep.iter();
        self.values.retain(|_| *k.next().unwrap_or(&false));
        let mut k = keep.iter();
        self.few.retain(|_| *k.next().unwrap_or(&false));
        let mut k = keep.iter();
        self.codes.retain(|_| *k.next().unwrap_or(&false));
    }

    pub fn header_names(&self) -> Vec<String> {
        self.names.iter().map(|(n, _)| n.clone()).collect()
    }
}

/// A physical line number as the rows keep it; a file of more lines is
/// refused (no export comes near: 4 billion lines are over 8 GB of text).
pub fn line32(file: &str, line: u64) -> Result<u32, LoadError> {
    u32::try_from(line).map_err(|_| LoadError::Invalid {
        file: file.to_string(),
        message: format!(
            "has more than {} lines; split it into several files and give the folder or a glob as the source",
            u32::MAX
        ),
    })
}

/// The physical line column of the kept rows.
pub fn line_column(lines: impl Iterator<Item = u32>) -> Column {
    UInt64Chunked::from_vec(schema::LINE.into(), lines.map(u64::from).collect()).into_column()
}

/// Builds a frame, turning a polars error into a load error for `file`.
pub fn frame(file: &str, height: usize, columns: Vec<Column>) -> Result<DataFrame, LoadError> {
    DataFrame::new(height, columns).map_err(|e| LoadError::Invalid {
        file: file.to_string(),
        message: format!("internal error building the table: {e}"),
    })
}

/// One loaded source: its canonical table and its report.
pub struct Loaded {
    pub frame: DataFrame,
    pub report: LoadReport,
    /// An orders file's distinct customer ids (of the rows kept), when the
    /// loader has them at hand: the feedback and tickets are matched against
    /// them without a pass over every order row.
    pub customers: Option<Vec<String>>,
    /// With `customers`: each row's customer as an index into that list,
    /// so the index codes the customers without hashing every row's id again.
    pub row_customers: Option<Vec<u32>>,
    /// The values of the table's coded segment columns
    /// (`schema::SEGMENT_CODE_PREFIX`), by segment name.
    pub segment_values: SegmentValues,
}

/// Each coded segment column's name and values (its codes index them).
pub type SegmentValues = Vec<(String, Vec<String>)>;

/// Codes several orders files' customers and segment values alike, for
/// them to be merged as codes: the customers as one list (each file's in
/// turn, in their order) with each row's code in a
/// `schema::MERGE_CUSTOMER_CODE` column, each segment's values as one list
/// with its code columns re-coded into it. `None` (nothing changed) when a
/// file has its customers or a segment as text.
fn unify_codes(orders: &mut [Loaded]) -> Result<Option<(Vec<String>, SegmentValues)>, LoadError> {
    let coded = orders.iter().all(|l| {
        l.customers.is_some()
            && l.row_customers.is_some()
            && l.frame.column(schema::CUSTOMER_ID).is_err()
            && !l
                .frame
                .get_column_names()
                .iter()
                .any(|n| n.starts_with(schema::SEGMENT_PREFIX))
    });
    if !coded {
        return Ok(None);
    }
    let mut customers = Interner::default();
    let mut segments: Vec<(String, Interner)> = Vec::new();
    for l in orders.iter_mut() {
        let internal = |e: PolarsError| LoadError::Invalid {
            file: l.report.file.clone(),
            message: format!("internal error merging the files: {e}"),
        };
        let remap = customers.absorb_names(l.customers.take().unwrap_or_default());
        let rows: Vec<u32> = l
            .row_customers
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(|c| remap[c as usize])
            .collect();
        l.frame
            .with_column(
                UInt32Chunked::from_vec(schema::MERGE_CUSTOMER_CODE.into(), rows).into_column(),
            )
            .map_err(internal)?;
        for (name, values) in std::mem::take(&mut l.segment_values) {
            let at = match segments.iter().position(|(n, _)| *n == name) {
                Some(at) => at,
                None => {
                    segments.push((name.clone(), Interner::default()));
                    segments.len() - 1
                }
            };
            let remap = segments[at].1.absorb_names(values);
            let column = format!("{}{name}", schema::SEGMENT_CODE_PREFIX);
            let Ok(codes) = l.frame.column(&column).and_then(|c| c.u32().cloned()) else {
                continue;
            };
            let recoded: Vec<u32> = codes
                .into_no_null_iter()
                .map(|c| {
                    if c == NO_VALUE {
                        NO_VALUE
                    } else {
                        remap.get(c as usize).copied().unwrap_or(NO_VALUE)
                    }
                })
                .collect();
            l.frame
                .replace(
                    &column,
                    UInt32Chunked::from_vec(column.as_str().into(), recoded).into_column(),
                )
                .map_err(internal)?;
        }
    }
    let values = segments
        .into_iter()
        .map(|(name, interner)| (name, interner.names))
        .collect();
    Ok(Some((customers.names, values)))
}

/// Loads one source file of a known kind.
pub fn load_source(spec: &SourceSpec, scales: Scales) -> Result<Loaded, LoadError> {
    let mut loaded = load_source_coded(spec, scales)?;
    loaded.as_text()?;
    Ok(loaded)
}

impl Loaded {
    /// Gives an orders table that has its customers or segments as codes
    /// only (`load_source_coded`) their text columns; a table that has
    /// them is left as it is.
    pub fn as_text(&mut self) -> Result<(), LoadError> {
        self.frame = self.text_frame()?;
        self.segment_values = Vec::new();
        Ok(())
    }

    /// The table with the customer id column and the segment columns as
    /// text (the other columns shared, not copied).
    fn text_frame(&self) -> Result<DataFrame, LoadError> {
        let internal = |e: PolarsError| LoadError::Invalid {
            file: self.report.file.clone(),
            message: format!("internal error building the table: {e}"),
        };
        let mut frame = self.frame.clone();
        if let (Some(names), Some(rows), Err(_)) = (
            &self.customers,
            &self.row_customers,
            frame.column(schema::CUSTOMER_ID),
        ) {
            let column = StringChunked::from_iter_values(
                schema::CUSTOMER_ID.into(),
                rows.iter().map(|&c| names[c as usize].as_str()),
            )
            .into_column();
            frame.insert_column(0, column).map_err(internal)?;
        }
        for (name, values) in &self.segment_values {
            let coded = format!("{}{name}", schema::SEGMENT_CODE_PREFIX);
            let Some(at) = frame.get_column_index(&coded) else {
                continue;
            };
            let codes = frame
                .column(&coded)
                .and_then(|c| c.u32().cloned())
                .map_err(internal)?;
            let text = StringChunked::from_iter_options(
                format!("{}{name}", schema::SEGMENT_PREFIX).into(),
                codes
                    .iter()
                    .map(|c| c.and_then(|c| values.get(c as usize)).map(String::as_str)),
            )
            .into_column();
            frame.replace_column(at, text).map_err(internal)?;
        }
        Ok(frame)
    }

    /// The customer of the table's first row.
    fn first_customer(&self) -> Option<String> {
        match (&self.customers, &self.row_customers) {
            (Some(names), Some(rows)) if self.frame.column(schema::CUSTOMER_ID).is_err() => {
                rows.first().map(|&c| names[c as usize].clone())
            }
            _ => first_customer(&self.frame),
        }
    }
}

/// The customer id of a table's first row that has one.
fn first_customer(frame: &DataFrame) -> Option<String> {
    frame
        .column(schema::CUSTOMER_ID)
        .ok()
        .and_then(|c| c.str().ok()?.iter().flatten().next().map(String::from))
}

/// Like `load_source`; an orders file's customers and segments come as
/// codes only (`Loaded::customers` and `row_customers`, `segcode:` columns
/// with `Loaded::segment_values`; no text columns: the index takes the codes
/// as they are). `Loaded::as_text` adds the text columns.
pub fn load_source_coded(spec: &SourceSpec, scales: Scales) -> Result<Loaded, LoadError> {
    let mut raw = source::RawFile::open(&spec.name, &spec.origin, read_options(&spec.options))?;
    trace(&format!("{} opened", spec.name));
    let peek = raw.peek(3);
    if raw.headerless && spec.options.columns.is_empty() {
        name_headerless_columns(spec.kind, &mut raw.headers, &peek);
    }
    let mut plan = mapping::plan(&spec.name, spec.kind, &raw.headers, &peek, &spec.options)?;
    if raw.headerless {
        plan.mapping = format!(
            "no header line: columns told by their values ({})",
            plan.mapping
        );
    }
    let mut loaded = match spec.kind {
        SourceKind::Orders => orders::load(raw, &plan, &spec.options),
        SourceKind::Feedback => feedback::load(raw, &plan, &spec.options, scales),
        SourceKind::Tickets => tickets::load(raw, &plan, &spec.options),
    }?;
    warn_damaged_ids(&mut loaded);
    Ok(loaded)
}

fn read_options(options: &SourceOptions) -> source::ReadOptions<'_> {
    source::ReadOptions {
        encoding: options.encoding,
        sheet: options.sheet.as_deref(),
    }
}

/// A file without a header line (CDNOW: `00001 19970101 1 11.77`): the
/// first column is the customer, the first column of dates the date, the
/// last column of decimal numbers the amount. Only orders are read this way.
fn name_headerless_columns(kind: SourceKind, headers: &mut [String], peek: &[csv::StringRecord]) {
    if kind != SourceKind::Orders || headers.len() < 3 || peek.is_empty() {
        return;
    }
    let all = |i: usize, f: &dyn Fn(&str) -> bool| peek.iter().all(|r| r.get(i).is_some_and(f));
    let date = (1..headers.len()).find(|&i| {
        all(i, &|c| {
            c.len() >= 8
                && parse::parse_datetime(c).is_some()
                && c.parse::<f64>().map_or(true, |v| v > 1e7)
        })
    });
    let amount = (1..headers.len())
        .rev()
        .find(|&i| Some(i) != date && all(i, &|c| c.contains('.') && c.parse::<f64>().is_ok()));
    if let (Some(d), Some(a)) = (date, amount) {
        headers[0] = "customer_id".into();
        headers[d] = "order_date".into();
        headers[a] = "amount".into();
    }
}

/// Ids that Excel turned into numbers in scientific notation (`1.03E+13`):
/// the digits are lost, so such ids can never match. The report says so.
fn warn_damaged_ids(loaded: &mut Loaded) {
    let damaged = |v: &str| {
        let (mantissa, exp) = match v.split_once(['E', 'e']) {
            Some(parts) => parts,
            None => return false,
        };
        exp.strip_prefix('+')
            .is_some_and(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
            && mantissa.contains('.')
            && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    };
    let mut count = 0u64;
    let mut example = None;
    let mut saw = |v: &str| {
        count += 1;
        example.get_or_insert_with(|| v.to_string());
    };
    match (&loaded.customers, &loaded.row_customers) {
        // Coded: each distinct id checked once, the rows counted by code.
        (Some(names), Some(rows)) => {
            let bad: Vec<bool> = names.iter().map(|v| damaged(v)).collect();
            for &c in rows {
                if bad[c as usize] {
                    saw(&names[c as usize]);
                }
            }
        }
        _ => {
            let Ok(col) = loaded
                .frame
                .column(schema::CUSTOMER_ID)
                .and_then(|c| c.str().cloned())
            else {
                return;
            };
            for v in col.iter().flatten().filter(|v| damaged(v)) {
                saw(v);
            }
        }
    }
    if let Some(example) = example {
        let header = loaded
            .report
            .columns
            .get(schema::CUSTOMER_ID)
            .cloned()
            .unwrap_or_else(|| schema::CUSTOMER_ID.to_string());
        loaded.report.warnings.push(format!(
            "{count} customer ids in \"{header}\" are numbers in scientific notation (\"{example}\"): a spreadsheet rounded them, so they cannot match; export the file again from the tool (CSV or XLSX) without opening it in a spreadsheet"
        ));
    }
}

/// Opens a file only to tell its kind from its headers.
pub fn detect_kind(
    name: &str,
    origin: &Origin,
    options: &SourceOptions,
) -> Result<SourceKind, LoadError> {
    let mut raw = source::RawFile::open(name, origin, read_options(options))?;
    let peek = raw.peek(3);
    if raw.headerless {
        name_headerless_columns(SourceKind::Orders, &mut raw.headers, &peek);
    }
    if let Some(names) = mapping::legacy_qualtrics_headers(&raw.headers, &peek) {
        raw.headers = names;
    }
    mapping::guess_kind(&raw.headers).ok_or_else(|| LoadError::UnknownKind {
        file: name.to_string(),
        found: raw
            .headers
            .iter()
            .map(|h| format!("\"{h}\""))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// All loaded sources. Opaque to the layers above: they read it through
/// `metrics` and the plain accessors below.
pub struct Dataset {
    /// Order rows kept. The canonical tables themselves are dropped once
    /// indexed: everything downstream reads the compact index.
    order_count: usize,
    /// Compact indices for the metrics engine, built once at load; the
    /// dashboard and the commands see only the methods below.
    pub(crate) index: index::Index,
    pub reports: Vec<LoadReport>,
}

/// Loads one source through the parse cache in `cache_dir`, when given;
/// an orders file's customers come as codes (`load_source_coded`).
pub fn load_source_cached(
    spec: &SourceSpec,
    scales: Scales,
    cache_dir: Option<&std::path::Path>,
) -> Result<Loaded, LoadError> {
    let (loaded, key) = load_source_caching(spec, scales, cache_dir)?;
    if let (Some(dir), Some(key)) = (cache_dir, &key) {
        cache::write(dir, key, &loaded);
    }
    Ok(loaded)
}

/// Like `load_source_cached`, leaving the parse cache to be written: the
/// key to write it under when the file was parsed (not read from the cache).
fn load_source_caching(
    spec: &SourceSpec,
    scales: Scales,
    cache_dir: Option<&std::path::Path>,
) -> Result<(Loaded, Option<String>), LoadError> {
    let Some((dir, key)) = cache_dir.and_then(|d| cache::key(spec, scales).map(|k| (d, k))) else {
        return Ok((load_source_coded(spec, scales)?, None));
    };
    if let Some(hit) = cache::read(dir, &key, spec) {
        return Ok((hit, None));
    }
    Ok((load_source_coded(spec, scales)?, Some(key)))
}

/// Loads every source of a dataset. A whole-file error stops the load.
pub fn load(sources: &Sources, scales: Scales) -> Result<Dataset, LoadError> {
    load_dataset(sources, scales, None, &mut |_| {}).map(|(ds, _)| ds)
}

/// With `HOLDFAST_TRACE_LOAD=1`, prints the time since the first traced step
/// and the peak resident memory so far (where the platform tells it) on
/// stderr: the load profile. One clock for every step, from loading the files
/// to the first frame.
pub fn trace(step: &str) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("HOLDFAST_TRACE_LOAD").is_some()) {
        trace_step(step);
    }
}

fn trace_step(step: &str) {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    eprintln!(
        "[{:>8.3} s, now {}, peak {}, {} faults] {step}",
        start.elapsed().as_secs_f64(),
        field("VmRSS:"),
        field("VmHWM:"),
        minor_faults()
    );
}

/// The process's minor page faults so far (fresh pages touched): 0 where
/// they cannot be read.
fn minor_faults() -> i64 {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage fills the struct it is given; on failure the
        // zeroed struct is read.
        unsafe {
            libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
            usage.assume_init().ru_minflt
        }
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// Like `load`, through the parse cache in `cache_dir` when given, telling
/// `progress` which step runs (file names, then indexing).
pub fn load_with_progress(
    sources: &Sources,
    scales: Scales,
    cache_dir: Option<&std::path::Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<std::sync::Arc<Dataset>, LoadError> {
    let (ds, snapshot) = load_dataset(sources, scales, cache_dir, progress)?;
    let ds = std::sync::Arc::new(ds);
    // A fresh load's index store is written beside what follows (the first
    // view, the report): nothing waits for it but the process's exit.
    if let Some((path, key)) = snapshot {
        let shared = std::sync::Arc::clone(&ds);
        write_beside(move || store::write(&path, key, &shared));
    }
    Ok(ds)
}

/// A reopened or freshly loaded dataset, with where its index store is to
/// be written (a fresh load with a cache folder).
type Fresh = (Dataset, Option<(std::path::PathBuf, u64)>);

fn load_dataset(
    sources: &Sources,
    scales: Scales,
    cache_dir: Option<&std::path::Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<Fresh, LoadError> {
    let _heap = LoadHeap::begin();
    let mut progress = |step: &str| {
        trace(step);
        progress(step);
    };
    // Unchanged files reopen from the index snapshot: no parsing, no indexing.
    let snapshot = cache_dir.and_then(|d| store::locate(d, sources, scales));
    if let Some((path, key)) = &snapshot {
        progress("reading the index cache");
        if let Some(ds) = store::read(path, *key) {
            progress("indexed");
            return Ok((ds, None));
        }
    }
    let specs: Vec<&SourceSpec> = sources.all().collect();
    progress(&format!(
        "reading {}",
        specs
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let load_all = |list: &[SourceSpec]| -> Result<Vec<Loaded>, LoadError> {
        list.iter()
            .map(|spec| load_source_cached(spec, scales, cache_dir))
            .collect()
    };
    // The feedback and tickets load beside the orders, each on a thread of
    // its own while the orders are read on every core (`Split`): the
    // scheduler fills the core a step of one leaves idle. Where an orders
    // file is parsed and its parse cache written (1.6-1.8 s at 10 M
    // orders), they load after the orders instead, beside that write.
    // Measured at 1 M customers on 2 cores, three files:
    // - without caches, beside rather than after: 9.11-9.85 -> 8.74-8.88 s,
    //   the same peak (1.32-1.38 GB: the feedback and tickets end while
    //   the orders are still waiting rows);
    // - the first load with caches, after (beside the write) rather than
    //   beside: 10.09-10.55 -> 9.74-9.82 s, peak 1.34-1.42 -> 1.34-1.38 GB.
    //   (Before the feedback's and tickets' customers were kept as each
    //   row's text, not coded through name tables, it peaked at
    //   1.53-1.63 GB.)
    let orders_first = cache_dir.is_some_and(|dir| {
        sources
            .orders
            .iter()
            .any(|spec| cache::will_parse(dir, spec, scales))
    });
    let (orders, feedback, tickets) = std::thread::scope(|scope| {
        let others = || {
            (
                scope.spawn(|| load_all(&sources.tickets)),
                scope.spawn(|| load_all(&sources.feedback)),
            )
        };
        let early = (!orders_first).then(others);
        let orders = sources
            .orders
            .iter()
            .map(|spec| load_source_caching(spec, scales, cache_dir))
            .collect::<Result<Vec<_>, LoadError>>();
        let (tickets, feedback) = early.unwrap_or_else(others);
        // The orders files' parse caches (the feedback's and tickets' are
        // written as they load).
        if let (Some(dir), Ok(orders)) = (cache_dir, &orders) {
            for (loaded, key) in orders {
                if let Some(key) = key {
                    cache::write(dir, key, loaded);
                }
            }
        }
        (orders, feedback.joined(), tickets.joined())
    });
    let mut orders: Vec<Loaded> = orders?.into_iter().map(|(loaded, _)| loaded).collect();
    // Several files are merged with their customers and segment values
    // coded alike (or, when one of them has them as text, as text).
    let unified = if orders.len() > 1 {
        let unified = unify_codes(&mut orders)?;
        if unified.is_none() {
            for one in &mut orders {
                one.as_text()?;
            }
        }
        unified
    } else {
        None
    };
    // The first row's customer (of the merged table, for several files).
    let mut coded_example = match orders.as_slice() {
        [one] => one.first_customer(),
        _ => None,
    };
    let mut known: Option<Vec<Vec<String>>> =
        orders.iter_mut().map(|l| l.customers.take()).collect();
    // One file (merging leaves its rows as they are): its rows' customer
    // codes go to the index as the loader made them.
    let mut row_customers = match orders.as_mut_slice() {
        [one] => one.row_customers.take(),
        _ => None,
    };
    // Its segments too, as codes with their values.
    let mut segment_values = match orders.as_mut_slice() {
        [one] => std::mem::take(&mut one.segment_values),
        _ => Vec::new(),
    };
    let (mut orders, mut reports) = merge::merge(SourceKind::Orders, orders)?;
    // Several files merged as codes: the merged rows' customer codes, into
    // the files' customers together, go to the index as one file's would.
    if let Some((names, values)) = unified {
        let codes = orders
            .drop_in_place(schema::MERGE_CUSTOMER_CODE)
            .and_then(|c| c.u32().map(|c| c.rechunk().into_owned()))
            .map_err(|e| LoadError::Invalid {
                file: reports.first().map(|r| r.file.clone()).unwrap_or_default(),
                message: format!("internal error merging the files: {e}"),
            })?;
        let rows: Vec<u32> = codes.into_no_null_iter().collect();
        coded_example = rows.first().map(|&c| names[c as usize].clone());
        row_customers = Some(rows);
        known = Some(vec![names]);
        segment_values = values;
    }
    trace("orders merged");
    // The orders' customers, for matching the feedback's and tickets'
    // (only when there are some).
    let has_rows = |l: &Result<Vec<Loaded>, LoadError>| l.as_ref().is_ok_and(|l| !l.is_empty());
    // One file's list (or the merged files') is moved in and comes back
    // with its table, which the index then codes the feedback's and
    // tickets' customers by: the million names are not placed twice.
    let one_list = matches!(known.as_deref(), Some([_]));
    let customers = (has_rows(&feedback) || has_rows(&tickets)).then(|| match known.take() {
        Some(lists) => {
            OrderCustomers::from_lists(lists, coded_example.or_else(|| first_customer(&orders)))
        }
        None => order_customers(&[&orders]),
    });
    trace("order customers listed");
    let mut other = |kind: SourceKind,
                     l: Result<Vec<Loaded>, LoadError>|
     -> Result<Option<DataFrame>, LoadError> {
        let mut l = l?;
        if l.is_empty() {
            return Ok(None);
        }
        for one in &mut l {
            if let Some(customers) = &customers {
                prefer_matching_customer(customers, one);
                match_customers(customers, &one.frame, &mut one.report);
            }
        }
        let (frame, r) = merge::merge(kind, l)?;
        reports.extend(r);
        Ok(Some(frame))
    };
    let feedback = other(SourceKind::Feedback, feedback)?;
    trace("feedback matched");
    let tickets = other(SourceKind::Tickets, tickets)?;
    trace("tickets matched");
    let (list, table) = match customers {
        Some(customers) if one_list => {
            let (table, list) = customers.ids.into_parts();
            (Some(list), Some(table))
        }
        _ => (
            known.and_then(|mut l| (l.len() == 1).then(|| l.remove(0))),
            None,
        ),
    };
    warn_currencies(&orders, &segment_values, &mut reports);
    progress("indexing");
    LoadHeap::index();
    let coded = match (&row_customers, &list) {
        (Some(rows), Some(list)) => Some(index::LoaderCodes {
            rows,
            list,
            table: table.as_ref(),
        }),
        _ => None,
    };
    let order_count = orders.height();
    let index = index::Index::build_coded(orders, coded, &segment_values, feedback, tickets)?;
    drop((row_customers, list, table));
    let ds = Dataset {
        order_count,
        index,
        reports,
    };
    progress("indexed");
    Ok((ds, snapshot))
}

/// The allocator's setting for a load. glibc serves a block below its
/// mapping threshold from its heap and keeps it there once freed; the
/// threshold rises (up to 32 MB) each time a larger mapped block is freed.
/// A load frees blocks of every size on one thread while others allocate,
/// so what one step let go stayed resident beside the next one's peak.
/// While a load runs, blocks of 4 MB and more are mapped on their own and
/// handed back when freed; from the index build on (where the orders',
/// feedback's and tickets' parts are built side by side), 1 MB, after the
/// free pages are handed back. After the load, the threshold is the one
/// glibc would have reached, so that key presses reuse their blocks (with
/// no trim there: handing the pages back after the load cost a 100 k-order
/// reopen 3.5 ms and the next frames their page faults, 0.6 -> 0.96 ms).
/// Measured on 1 M customers: orders CSV peak 1.05 -> 0.88 GB, the Parquet
/// dataset 1.42-1.46 -> 1.29-1.30 GB; 1 MB from the start also cut typed
/// Parquet's peak but cost it 0.6-1.0 s in page faults.
struct LoadHeap;

impl LoadHeap {
    fn begin() -> LoadHeap {
        set_mmap_threshold(4 << 20);
        LoadHeap
    }

    fn index() {
        release_free_memory();
        set_mmap_threshold(1 << 20);
    }
}

impl Drop for LoadHeap {
    fn drop(&mut self) {
        set_mmap_threshold(32 << 20);
    }
}

fn set_mmap_threshold(_bytes: i32) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt sets one of the allocator's parameters; any value is
    // safe (glibc refuses the ones it does not take).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, _bytes);
    }
}

/// Hands the heap's free pages back to the system.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Cache writes running beside the work that follows a load.
static WRITES: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Runs a cache write on a thread of its own; `finish_writes` waits for
/// it. A cache only: where no thread can be started, it is not written.
fn write_beside(write: impl FnOnce() + Send + 'static) {
    let started = std::thread::Builder::new()
        .name("cache write".into())
        .spawn(write);
    if let (Ok(handle), Ok(mut all)) = (started, WRITES.lock()) {
        all.retain(|h| !h.is_finished());
        all.push(handle);
    }
}

/// Waits for the cache writes still running (before the process exits, so
/// that a cache entry is finished rather than left as a temporary file).
pub fn finish_writes() {
    let running = WRITES
        .lock()
        .map(|mut all| std::mem::take(&mut *all))
        .unwrap_or_default();
    for handle in running {
        let _ = handle.join();
    }
}

/// The customer ids of an orders table, and one of them for messages.
pub struct OrderCustomers {
    /// The distinct ids (their codes are not used).
    ids: Interner,
    example: Option<String>,
}

impl OrderCustomers {
    /// Whether each value is a customer of the orders (false for no
    /// value), looked up in batches.
    fn has_all<'a>(&self, values: impl Iterator<Item = Option<&'a str>>) -> Vec<bool> {
        let codes = self.ids.get_all(values);
        codes.into_iter().map(|c| c.is_some()).collect()
    }
}

impl OrderCustomers {
    /// From the files' lists of distinct ids (moved in: one list is coded
    /// by its places, as its loader coded it); the example is the first
    /// row's.
    fn from_lists(mut lists: Vec<Vec<String>>, example: Option<String>) -> OrderCustomers {
        let ids = if lists.len() == 1 {
            Interner::of_distinct(lists.remove(0))
        } else {
            let mut ids = Interner::default();
            for list in lists {
                ids.absorb_names(list);
            }
            ids
        };
        OrderCustomers { ids, example }
    }
}

pub fn order_customers(frames: &[&DataFrame]) -> OrderCustomers {
    let mut ids = Interner::default();
    let mut batch = Uncoded::default();
    let mut example = None;
    for orders in frames {
        if let Ok(col) = orders
            .column(schema::CUSTOMER_ID)
            .and_then(|c| c.str().cloned())
        {
            for v in col.iter().flatten() {
                if example.is_none() {
                    example = Some(v.to_string());
                }
                if batch.push(v, 0) {
                    batch.code_into(&mut ids, |_, _| {});
                }
            }
        }
    }
    batch.code_into(&mut ids, |_, _| {});
    OrderCustomers { ids, example }
}

/// A feedback or tickets file with both an e-mail and an id column: keep the
/// reading whose customers match the orders more often (the e-mail on a tie).
pub fn prefer_matching_customer(customers: &OrderCustomers, loaded: &mut Loaded) {
    let frame = &mut loaded.frame;
    let column = |name: &str| frame.column(name).ok().and_then(|c| c.str().ok().cloned());
    let (Some(primary), Some(alt)) = (column(schema::CUSTOMER_ID), column(schema::CUSTOMER_ALT))
    else {
        return;
    };
    let matches = |col: &StringChunked| {
        customers
            .has_all(col.iter())
            .into_iter()
            .filter(|&m| m)
            .count()
    };
    if matches(&alt) > matches(&primary) {
        let mut alt = alt;
        alt.rename(schema::CUSTOMER_ID.into());
        if frame.with_column(alt.into_column()).is_ok()
            && let Some(h) = loaded.report.columns.get_mut(schema::CUSTOMER_ID)
        {
            let mut parts: Vec<&str> = h.split(" | ").collect();
            parts.reverse();
            *h = parts.join(" | ");
        }
    }
    let _ = loaded.frame.drop_in_place(schema::CUSTOMER_ALT);
}

/// How many rows with a customer in a feedback or tickets table are
/// customers of the orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CustomerMatch {
    /// Rows that name a customer.
    pub rows: u64,
    /// Of those, rows whose customer has orders.
    pub matched: u64,
}

/// Counts the rows of a feedback or tickets table that match an order
/// customer, with a warning when fewer than half do.
pub fn match_customers(customers: &OrderCustomers, frame: &DataFrame, report: &mut LoadReport) {
    let Ok(col) = frame
        .column(schema::CUSTOMER_ID)
        .and_then(|c| c.str().cloned())
    else {
        return;
    };
    let (mut rows, mut matched) = (0u64, 0u64);
    let mut example = None;
    for (v, has) in col.iter().zip(customers.has_all(col.iter())) {
        let Some(v) = v else {
            continue;
        };
        rows += 1;
        if has {
            matched += 1;
        } else if example.is_none() {
            example = Some(v.to_string());
        }
    }
    report.customer_match = Some(CustomerMatch { rows, matched });
    if rows == 0 || matched * 2 >= rows {
        return;
    }
    let what = match report.kind {
        SourceKind::Tickets => "tickets",
        _ => "responses",
    };
    let header = report
        .columns
        .get(schema::CUSTOMER_ID)
        .cloned()
        .unwrap_or_else(|| schema::CUSTOMER_ID.to_string());
    let emails = customers
        .example
        .as_deref()
        .is_some_and(|e| e.contains('@'));
    report.warnings.push(format!(
        "{matched} of {rows} {what} with a customer match a customer of the orders: \"{header}\" holds ids like \"{}\", the orders ids like \"{}\"; map the column that holds the same ids as the orders, e.g. `[{}.columns] customer_id = \"{}\"` in the config file",
        example.unwrap_or_default(),
        customers.example.clone().unwrap_or_default(),
        report.kind.name(),
        if emails { "Requester email" } else { "HEADER" },
    ));
}

/// The segment that holds the currency of each order, if any (a text
/// column, or a coded one of `coded`).
fn currency_segment(frame: &DataFrame, coded: &SegmentValues) -> Option<String> {
    frame
        .get_column_names()
        .iter()
        .find_map(|n| {
            n.strip_prefix(schema::SEGMENT_PREFIX)
                .filter(|s| is_currency(s))
        })
        .map(String::from)
        .or_else(|| {
            coded
                .iter()
                .find(|(n, _)| is_currency(n))
                .map(|(n, _)| n.clone())
        })
}

/// Whether a segment (by its name) holds the currency of each order.
fn is_currency(segment: &str) -> bool {
    matches!(
        schema::normalize(segment).as_str(),
        "currency" | "ordercurrency" | "presentmentcurrency" | "currencycode"
    )
}

/// The currencies of the orders with their row counts, most rows first
/// (empty when the orders carry no currency column). `coded`: the values
/// of the table's coded segment columns (`Loaded::segment_values`).
pub fn currencies(frame: &DataFrame, coded: &SegmentValues) -> Vec<(String, u64)> {
    let Some(name) = currency_segment(frame, coded) else {
        return Vec::new();
    };
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let text = format!("{}{name}", schema::SEGMENT_PREFIX);
    if let Ok(col) = frame.column(&text).and_then(|c| c.str().cloned()) {
        for v in col.iter().flatten() {
            *counts.entry(v.to_string()).or_default() += 1;
        }
    } else if let Some((_, values)) = coded.iter().find(|(n, _)| *n == name) {
        let column = format!("{}{name}", schema::SEGMENT_CODE_PREFIX);
        let Some(codes) = frame.column(&column).ok().and_then(|c| c.u32().ok()) else {
            return Vec::new();
        };
        let mut per_code = vec![0u64; values.len()];
        for c in codes.into_no_null_iter() {
            if let Some(n) = per_code.get_mut(c as usize) {
                *n += 1;
            }
        }
        for (value, n) in values.iter().zip(per_code) {
            if n > 0 {
                *counts.entry(value.clone()).or_default() += n;
            }
        }
    }
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Amounts in several currencies are never added up silently: each orders
/// report says so and how to filter one.
pub fn warn_currencies(orders: &DataFrame, coded: &SegmentValues, reports: &mut [LoadReport]) {
    let found = currencies(orders, coded);
    if let [(one, _)] = found.as_slice() {
        for r in reports.iter_mut().filter(|r| r.kind == SourceKind::Orders) {
            r.currency = Some(one.clone());
        }
    }
    if found.len() < 2 {
        return;
    }
    let column = currency_segment(orders, coded).unwrap_or_default();
    let list: Vec<String> = found
        .iter()
        .map(|(c, n)| format!("{c}: {n} row{}", if *n == 1 { "" } else { "s" }))
        .collect();
    let message = format!(
        "amounts are in {} currencies ({}); revenue, LTV and MRR add them up only within one currency: filter one with `--segment {column}={}` (or `s` in the dashboard)",
        found.len(),
        list.join(", "),
        found[0].0
    );
    for r in reports.iter_mut().filter(|r| r.kind == SourceKind::Orders) {
        r.warnings.push(message.clone());
        r.mixed_currency = Some(column.clone());
    }
}

/// A canonical order row, for tests and the customer view.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderRow {
    pub customer_id: String,
    pub order_date: String,
    pub amount: f64,
    pub order_id: Option<String>,
    pub line: u64,
    pub segments: Vec<(String, Option<String>)>,
}

/// A canonical feedback row.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedbackRow {
    pub responded_at: String,
    pub score: f64,
    pub survey: String,
    pub customer_id: Option<String>,
    pub comment: Option<String>,
    pub line: u64,
    pub segments: Vec<(String, Option<String>)>,
}

/// A canonical ticket row; times are `YYYY-MM-DD HH:MM:SS` in UTC.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketRow {
    pub ticket_id: String,
    pub created_at: String,
    pub first_response_at: Option<String>,
    pub solved_at: Option<String>,
    pub customer_id: Option<String>,
    pub category: Option<String>,
    pub satisfaction: Option<String>,
    pub line: u64,
    pub segments: Vec<(String, Option<String>)>,
}

fn str_at(df: &DataFrame, col: &str, i: usize) -> Option<String> {
    df.column(col).ok()?.str().ok()?.get(i).map(String::from)
}
fn i64_at(df: &DataFrame, col: &str, i: usize) -> Option<i64> {
    df.column(col).ok()?.i64().ok()?.get(i)
}
fn i32_at(df: &DataFrame, col: &str, i: usize) -> Option<i32> {
    df.column(col).ok()?.i32().ok()?.get(i)
}
fn u64_at(df: &DataFrame, col: &str, i: usize) -> Option<u64> {
    df.column(col).ok()?.u64().ok()?.get(i)
}
fn f64_at(df: &DataFrame, col: &str, i: usize) -> Option<f64> {
    df.column(col).ok()?.f64().ok()?.get(i)
}
fn segments_at(df: &DataFrame, i: usize) -> Vec<(String, Option<String>)> {
    df.get_column_names()
        .iter()
        .filter_map(|n| {
            n.strip_prefix(schema::SEGMENT_PREFIX)
                .map(|s| (s.to_string(), n.to_string()))
        })
        .map(|(seg, col)| (seg, str_at(df, &col, i)))
        .collect()
}

/// Canonical rows of an orders table.
pub fn order_rows(df: &DataFrame) -> Vec<OrderRow> {
    (0..df.height())
        .map(|i| OrderRow {
            customer_id: str_at(df, schema::CUSTOMER_ID, i).unwrap_or_default(),
            order_date: parse::format_day(i32_at(df, schema::ORDER_DATE, i).unwrap_or(0)),
            amount: parse::amount_to_f64(i64_at(df, schema::AMOUNT, i).unwrap_or(0)),
            order_id: str_at(df, schema::ORDER_ID, i),
            line: u64_at(df, schema::LINE, i).unwrap_or(0),
            segments: segments_at(df, i),
        })
        .collect()
}

/// Canonical rows of a feedback table.
pub fn feedback_rows(df: &DataFrame) -> Vec<FeedbackRow> {
    (0..df.height())
        .map(|i| FeedbackRow {
            responded_at: parse::format_day(i32_at(df, schema::RESPONDED_AT, i).unwrap_or(0)),
            score: f64_at(df, schema::SCORE, i).unwrap_or(f64::NAN),
            survey: str_at(df, schema::SURVEY, i).unwrap_or_default(),
            customer_id: str_at(df, schema::CUSTOMER_ID, i),
            comment: str_at(df, schema::COMMENT, i),
            line: u64_at(df, schema::LINE, i).unwrap_or(0),
            segments: segments_at(df, i),
        })
        .collect()
}

/// Canonical rows of a tickets table.
pub fn ticket_rows(df: &DataFrame) -> Vec<TicketRow> {
    (0..df.height())
        .map(|i| TicketRow {
            ticket_id: str_at(df, schema::TICKET_ID, i).unwrap_or_default(),
            created_at: crate::calendar::format_instant(
                i64_at(df, schema::CREATED_AT, i).unwrap_or(0),
            ),
            first_response_at: i64_at(df, schema::FIRST_RESPONSE_AT, i)
                .map(crate::calendar::format_instant),
            solved_at: i64_at(df, schema::SOLVED_AT, i).map(crate::calendar::format_instant),
            customer_id: str_at(df, schema::CUSTOMER_ID, i),
            category: str_at(df, schema::CATEGORY, i),
            satisfaction: str_at(df, schema::SATISFACTION, i),
            line: u64_at(df, schema::LINE, i).unwrap_or(0),
            segments: segments_at(df, i),
        })
        .collect()
}

impl Loaded {
    pub fn order_rows(&self) -> Vec<OrderRow> {
        order_rows(&self.text_frame().unwrap_or_else(|_| self.frame.clone()))
    }
    pub fn feedback_rows(&self) -> Vec<FeedbackRow> {
        feedback_rows(&self.frame)
    }
    pub fn ticket_rows(&self) -> Vec<TicketRow> {
        ticket_rows(&self.frame)
    }
}

impl Dataset {
    /// The engine's index, for the crate's own tests of the on-disk store
    /// and the ticket index (not part of the interface).
    #[doc(hidden)]
    pub fn index(&self) -> &index::Index {
        &self.index
    }

    pub fn order_count(&self) -> usize {
        self.order_count
    }

    /// The latest day of any order row (refunds included).
    pub fn last_row_day(&self) -> Option<crate::calendar::Day> {
        self.index.last_row_day
    }

    /// The last day of data L: the latest purchase day (kpi-spec §2).
    pub fn last_purchase_day(&self) -> Option<crate::calendar::Day> {
        self.index.last_purchase_day
    }

    /// Each segment column of the orders with its values and how many
    /// customers have each (the value of their first purchase row), values
    /// sorted; columns of more than `max_values` values left out.
    pub fn segment_counts(&self, max_values: usize) -> Vec<(String, Vec<(String, u64)>)> {
        self.index
            .segments
            .iter()
            .filter(|s| !s.values.is_empty() && s.values.len() <= max_values)
            .map(|s| {
                let mut counts = vec![0u64; s.values.len()];
                for code in s.of_customer.iter().flatten() {
                    if let Some(n) = counts.get_mut(*code as usize) {
                        *n += 1;
                    }
                }
                let mut v: Vec<(String, u64)> = s.values.iter().cloned().zip(counts).collect();
                v.sort();
                (s.name.clone(), v)
            })
            .collect()
    }

    /// The values of a segment column, or `None` when the orders have no such column.
    pub fn segment_values(&self, column: &str) -> Option<&[String]> {
        self.index
            .segments
            .iter()
            .find(|s| s.name == column)
            .map(|s| s.values.as_slice())
    }
}

#[cfg(test)]
mod order_customer_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The distinct customers the orders loader hands over are those of
    /// the rows kept: the same set (and example) as a pass over the table,
    /// also when a customer's only row is rejected after the first look.
    #[test]
    fn the_loaders_customers_are_the_tables() {
        let text = "order_id,customer_id,order_date,amount\n\
                    O1,ann@example.com,2024-03-01,10\n\
                    O2,bob@example.com,2024-03-02,oops\n\
                    O3,cy@example.com,31/02/2024,5\n\
                    O4,ann@example.com,2024-03-04,7\n\
                    O5,dee@example.com,2024-03-05,1\n";
        let spec = SourceSpec::memory(SourceKind::Orders, "orders.csv", text.into());
        let loaded = load_source(&spec, Scales::default()).unwrap();
        let from_table = order_customers(&[&loaded.frame]);
        let lists = vec![loaded.customers.clone().unwrap()];
        let from_loader = OrderCustomers::from_lists(lists, loaded.first_customer());
        let sorted = |c: &OrderCustomers| {
            let mut ids = c.ids.names.clone();
            ids.sort();
            ids
        };
        assert_eq!(sorted(&from_loader), ["ann@example.com", "dee@example.com"]);
        assert_eq!(sorted(&from_loader), sorted(&from_table));
        assert_eq!(from_loader.example, from_table.example);
        assert_eq!(loaded.report.rejected_total(), 2);
    }
}

#[cfg(test)]
mod split_index_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The orders' part of an index: every list the engine reads.
    fn orders_part(ix: &index::Index) -> String {
        let mut out = format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            ix.customers(),
            ix.row_start(),
            ix.row_days(),
            ix.row_cum(),
            ix.first_day(),
            ix.multi_day(),
            ix.segments(),
            ix.gaps(),
        );
        for c in 0..ix.customer_count() {
            let own: Vec<Option<f64>> = (0..ix.pdays(c).len())
                .map(|k| ix.own_median(c, k))
                .collect();
            out += &format!("\n{:?} {:?} {own:?}", ix.pdays(c), ix.orders_of(c));
        }
        out
    }

    /// With the orders alone, their rows are grouped with the order ids
    /// hashed beside, sorted and gathered in two halves, and the customers
    /// indexed in shared stretches (the thresholds are small in unit
    /// tests); beside a feedback file, one thread does it all. Both give
    /// the same index.
    #[test]
    fn the_orders_alone_split_over_two_threads_index_as_one() {
        let mut text = String::from("order_id,customer_id,order_date,amount,region\n");
        for i in 0..400u32 {
            let c = (i * 37) % 61;
            let day = 1 + (i * 13 + c) % 27;
            let order = match i % 9 {
                0 => String::new(),
                1 => format!("O{}", i - 1),
                _ => format!("O{i}"),
            };
            let amount = if i % 11 == 5 {
                "-4.50".to_string()
            } else {
                format!("{}.25", i % 50)
            };
            let region = ["north", "south", ""][(c % 3) as usize];
            text += &format!("{order},C{c},2024-03-{day:02},{amount},{region}\n");
        }
        let orders = || SourceSpec::memory(SourceKind::Orders, "orders.csv", text.clone());
        let feedback = SourceSpec::memory(
            SourceKind::Feedback,
            "feedback.csv",
            "responded_at,customer_id,score\n2024-03-05,C3,9\n".into(),
        );
        let alone = load(&Sources::new(orders(), None, None), Scales::default()).unwrap();
        let beside = load(
            &Sources::new(orders(), Some(feedback), None),
            Scales::default(),
        )
        .unwrap();
        assert!(alone.index.customer_count() >= 60);
        assert!(beside.index.has_feedback() && !alone.index.has_feedback());
        assert_eq!(orders_part(&alone.index), orders_part(&beside.index));
    }
}

#[cfg(test)]
mod merge_coded_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn loaded(files: &[(&str, &str)]) -> Vec<Loaded> {
        files
            .iter()
            .map(|(name, text)| {
                let spec = SourceSpec::memory(SourceKind::Orders, name, text.to_string());
                load_source_coded(&spec, Scales::default()).unwrap()
            })
            .collect()
    }

    /// Several files merged as codes give, once made text, the table and
    /// the reports that merging them as text gives: the later file's copy
    /// of an order wins (an order without an id told by its customer, day
    /// and amount), customers and segment values shared between files are
    /// one, and a segment one file lacks is no value on its rows.
    #[test]
    fn files_merged_as_codes_merge_as_their_text_does() {
        let files = [
            (
                "2024-01.csv",
                "order_id,customer_id,order_date,amount,plan\n\
                 O1,C1,2024-01-03,10.00,pro\n\
                 O2,C2,2024-01-04,20.00,basic\n\
                 ,C3,2024-01-05,30.00,pro\n\
                 ,C4,2024-01-05,30.00,team\n\
                 O3,C1,2024-01-09,5.00,\n",
            ),
            (
                "2024-02.csv",
                "order_id,customer_id,order_date,amount,region,plan\n\
                 O2,C2,2024-01-04,20.00,EU,basic\n\
                 ,C3,2024-01-05,30.00,US,pro\n\
                 O4,C5,2024-02-01,7.50,EU,team\n\
                 O5,C1,2024-02-02,1.00,,pro\n",
            ),
            (
                "2024-03.csv",
                "order_id,customer_id,order_date,amount,region\n\
                 O6,C6,2024-03-01,3.00,APAC\n\
                 O4,C5,2024-02-01,7.50,EU\n",
            ),
        ];
        let mut as_text = loaded(&files);
        for l in &mut as_text {
            l.as_text().unwrap();
        }
        let (text_frame, text_reports) = merge::merge(SourceKind::Orders, as_text).unwrap();

        let mut coded = loaded(&files);
        let (names, values) = unify_codes(&mut coded).unwrap().unwrap();
        assert_eq!(names, ["C1", "C2", "C3", "C4", "C5", "C6"]);
        let (mut frame, reports) = merge::merge(SourceKind::Orders, coded).unwrap();
        let codes = frame.drop_in_place(schema::MERGE_CUSTOMER_CODE).unwrap();
        let rows: Vec<u32> = codes.u32().unwrap().into_no_null_iter().collect();
        let mut back = Loaded {
            frame,
            report: reports[0].clone(),
            customers: Some(names),
            row_customers: Some(rows),
            segment_values: values,
        };
        back.as_text().unwrap();
        assert!(
            back.frame.equals_missing(&text_frame),
            "{:?}\n{:?}",
            back.frame,
            text_frame
        );
        assert_eq!(text_frame.height(), 8, "{text_frame:?}");
        for (a, b) in reports.iter().zip(&text_reports) {
            assert_eq!((a.rows, a.kept), (b.rows, b.kept));
            assert_eq!(a.rejected, b.rejected);
            assert_eq!(a.examples_by_reason, b.examples_by_reason);
        }
        assert_eq!(
            reports[0].rejected["duplicate order (also in a later file)"],
            2
        );
    }

    /// A file with a segment as text (made so by hand here) keeps the
    /// files merged as text.
    #[test]
    fn a_file_with_text_columns_merges_as_text() {
        let mut files = loaded(&[
            (
                "a.csv",
                "order_id,customer_id,order_date,amount\nO1,C1,2024-01-03,10.00\n",
            ),
            (
                "b.csv",
                "order_id,customer_id,order_date,amount\nO2,C2,2024-01-04,20.00\n",
            ),
        ]);
        files[1].as_text().unwrap();
        assert!(unify_codes(&mut files).unwrap().is_none());
        assert!(files[0].customers.is_some(), "nothing changed");
    }
}

#[cfg(test)]
mod batch_coding_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn texts(frame: &DataFrame, col: &str) -> Vec<Option<String>> {
        frame
            .column(col)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(String::from))
            .collect()
    }

    #[test]
    fn customers_and_ticket_ids_coded_in_batches_are_each_rows_own() {
        // Unit tests code two names per batch: rows rejected, rows without
        // a customer and a duplicate ticket id fall between batches.
        let dir = tempfile::tempdir().unwrap();
        let feedback = dir.path().join("feedback.csv");
        std::fs::write(
            &feedback,
            "responded_at,customer_id,survey,score\n2024-01-01,A,nps,9\n2024-01-02,,nps,3\nnot a date,B,nps,5\n2024-01-03,B,csat,4\n2024-01-04,A,nps,10\n2024-01-05,C,nps,1\n2024-01-06,,nps,2\n",
        )
        .unwrap();
        let tickets = dir.path().join("tickets.csv");
        std::fs::write(
            &tickets,
            "ticket_id,customer_id,created_at\nT1,A,2024-01-01 10:00\nT2,,2024-01-02 10:00\nT3,B,never\nT4,B,2024-01-03 10:00\nT2,C,2024-01-04 10:00\nT5,A,2024-01-05 10:00\n",
        )
        .unwrap();
        let load = |kind, path: &std::path::Path| {
            load_source(
                &SourceSpec::path(kind, path, SourceOptions::default()),
                Scales::default(),
            )
            .unwrap()
            .frame
        };
        let f = load(SourceKind::Feedback, &feedback);
        let some = |v: &[&str]| -> Vec<Option<String>> {
            v.iter()
                .map(|s| (!s.is_empty()).then(|| s.to_string()))
                .collect()
        };
        assert_eq!(
            texts(&f, schema::CUSTOMER_ID),
            some(&["A", "", "B", "A", "C", ""])
        );
        let t = load(SourceKind::Tickets, &tickets);
        assert_eq!(
            texts(&t, schema::TICKET_ID),
            some(&["T1", "T4", "T2", "T5"])
        );
        assert_eq!(texts(&t, schema::CUSTOMER_ID), some(&["A", "B", "C", "A"]));
    }
}
