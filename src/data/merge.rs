//! Several files of one source (monthly exports, a folder): their tables
//! are stacked in the order given, and a record that two files hold counts
//! once — the later file wins and the earlier copy is counted in its file's
//! load report as a duplicate, with its line.

use std::collections::HashSet;
use std::hash::BuildHasher;

use polars::prelude::*;

use super::schema::{self, SourceKind};
use super::{FastHash, LoadError, LoadReport, Loaded};

/// The columns whose cells make the key that tells the same record apart
/// across files: the order, ticket or response id where there is one (an
/// order without one is told by `ROW_KEY_COLUMNS`).
fn key_columns(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::Orders => &[schema::ORDER_ID],
        SourceKind::Tickets => &[schema::TICKET_ID],
        SourceKind::Feedback => &[
            schema::RESPONDED_AT,
            schema::CUSTOMER_ID,
            schema::SCORE,
            schema::SURVEY,
            schema::COMMENT,
        ],
    }
}

/// An order without an id: the columns that make its key.
const ROW_KEY_COLUMNS: [&str; 3] = [schema::CUSTOMER_ID, schema::ORDER_DATE, schema::AMOUNT];

/// Every row's key as a string (what `KeyWriter` writes, row by row).
fn keys(kind: SourceKind, frame: &DataFrame) -> Vec<String> {
    let writer = KeyWriter::new(kind, frame);
    let mut buf = Vec::new();
    (0..frame.height())
        .map(|i| {
            writer.write(i, &mut buf);
            // Every piece is text or a number: valid UTF-8.
            String::from_utf8_lossy(&buf).into_owned()
        })
        .collect()
}

fn duplicate_reason(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Orders => "duplicate order (also in a later file)",
        SourceKind::Feedback => "duplicate response (also in a later file)",
        SourceKind::Tickets => "duplicate ticket (also in a later file)",
    }
}

/// Counts `lines` as rejected for `reason` in a report.
fn reject_lines(report: &mut LoadReport, reason: &str, lines: &[u64]) {
    if lines.is_empty() {
        return;
    }
    let n = lines.len() as u64;
    *report.rejected.entry(reason.to_string()).or_default() += n;
    report.kept -= n.min(report.kept);
    let mut first: Vec<u64> = lines.iter().copied().take(super::MAX_EXAMPLES).collect();
    first.sort_unstable();
    report
        .examples_by_reason
        .insert(reason.to_string(), first.clone());
    report.examples.extend(first);
    report.examples.sort_unstable();
    report.examples.dedup();
    report.examples.truncate(super::MAX_EXAMPLES);
}

/// One key column's cells, read by row without polars' per-cell
/// Chunks up to which a text column's cells are read where they are.
const FEW_CHUNKS: usize = 4;

/// `AnyValue` where the column is text or integers.
enum Cells<'a> {
    Missing,
    Text(StringChunked),
    I32(Int32Chunked),
    I64(Int64Chunked),
    U32(UInt32Chunked),
    Other(&'a Column),
}

impl<'a> Cells<'a> {
    fn of(frame: &'a DataFrame, name: &str) -> Cells<'a> {
        let Ok(c) = frame.column(name) else {
            return Cells::Missing;
        };
        match c.dtype() {
            // A text column of a few chunks (a large file's order ids are
            // made in two) is read as it is: rechunked, a file's 2.5 M ids
            // were copied while the duplicates were found.
            DataType::String => c.str().map_or(Cells::Other(c), |s| {
                Cells::Text(if s.chunks().len() <= FEW_CHUNKS {
                    s.clone()
                } else {
                    s.rechunk().into_owned()
                })
            }),
            DataType::Int32 => c
                .i32()
                .map_or(Cells::Other(c), |v| Cells::I32(v.rechunk().into_owned())),
            DataType::Int64 => c
                .i64()
                .map_or(Cells::Other(c), |v| Cells::I64(v.rechunk().into_owned())),
            DataType::UInt32 => c
                .u32()
                .map_or(Cells::Other(c), |v| Cells::U32(v.rechunk().into_owned())),
            _ => Cells::Other(c),
        }
    }

    fn write(&self, i: usize, out: &mut Vec<u8>) {
        use std::io::Write;
        let _ = match self {
            Cells::Missing => Ok(()),
            Cells::Text(s) => {
                out.extend_from_slice(s.get(i).unwrap_or("").as_bytes());
                Ok(())
            }
            Cells::I32(v) => v.get(i).map_or(Ok(()), |v| write!(out, "{v}")),
            Cells::I64(v) => v.get(i).map_or(Ok(()), |v| write!(out, "{v}")),
            Cells::U32(v) => v.get(i).map_or(Ok(()), |v| write!(out, "{v}")),
            Cells::Other(c) => match c.get(i) {
                Ok(AnyValue::Null) | Err(_) => Ok(()),
                // Text as it is (a one-row column hands it out owned), not
                // quoted as `AnyValue` displays it.
                Ok(v) => match v.get_str() {
                    Some(s) => {
                        out.extend_from_slice(s.as_bytes());
                        Ok(())
                    }
                    None => write!(out, "{v}"),
                },
            },
        };
    }
}

/// Writes a row's key into a buffer: `id`, then the key columns' cells
/// (or, for an order without an id, `row` and `ROW_KEY_COLUMNS`), joined
/// by U+001F.
struct KeyWriter<'a> {
    kind: SourceKind,
    ids: Vec<Cells<'a>>,
    row: Vec<Cells<'a>>,
}

impl<'a> KeyWriter<'a> {
    fn new(kind: SourceKind, frame: &'a DataFrame) -> KeyWriter<'a> {
        // Files merged as codes tell a customer by its code (one list for
        // all the files: the same code is the same id).
        let cell = |c: &str| match Cells::of(frame, c) {
            Cells::Missing if c == schema::CUSTOMER_ID => {
                Cells::of(frame, schema::MERGE_CUSTOMER_CODE)
            }
            cells => cells,
        };
        let cells = |names: &[&str]| names.iter().map(|c| cell(c)).collect();
        KeyWriter {
            kind,
            ids: cells(key_columns(kind)),
            row: cells(&ROW_KEY_COLUMNS),
        }
    }

    fn write(&self, i: usize, out: &mut Vec<u8>) {
        let joined = |prefix: &str, cells: &[Cells], out: &mut Vec<u8>| {
            out.clear();
            out.extend_from_slice(prefix.as_bytes());
            for (k, c) in cells.iter().enumerate() {
                if k > 0 {
                    out.extend_from_slice("\u{1f}".as_bytes());
                }
                c.write(i, out);
            }
        };
        joined("id\u{1f}", &self.ids, out);
        if self.kind == SourceKind::Orders && out.len() == "id\u{1f}".len() {
            // No order id: the row itself.
            joined("row\u{1f}", &self.row, out);
        }
    }
}

/// Which rows of each table to keep: a row whose key a later table holds is
/// dropped (the later file wins). Keys are told apart by hash, each row's
/// written into one reused buffer; a row whose hash a later row has is
/// compared byte for byte with it (and should two keys ever share a hash,
/// the keys are compared as whole strings instead).
fn keep_masks(kind: SourceKind, frames: &[&DataFrame]) -> Vec<Vec<bool>> {
    let writers: Vec<KeyWriter> = frames.iter().map(|f| KeyWriter::new(kind, f)).collect();
    // SipHash: the row keys of one export (`O6611`, `O36703`, …) are alike
    // enough to make the quick multiplicative hash repeat on millions.
    let hasher =
        std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
    // A hash of a later table's key -> one row holding it (table, row).
    let mut later: std::collections::HashMap<u64, (u32, u32), FastHash> = Default::default();
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    let mut masks: Vec<Vec<bool>> = Vec::with_capacity(frames.len());
    for (f, frame) in frames.iter().enumerate().rev() {
        let n = frame.height();
        let mut mask = vec![true; n];
        let mut hashes = Vec::with_capacity(if f > 0 { n } else { 0 });
        for (i, keep) in mask.iter_mut().enumerate() {
            writers[f].write(i, &mut mine);
            let h = hasher.hash_one(mine.as_slice());
            if let Some(&(g, j)) = later.get(&h) {
                writers[g as usize].write(j as usize, &mut theirs);
                if mine != theirs {
                    super::trace("two keys share a hash: keys compared as strings");
                    return keep_masks_by_strings(kind, frames);
                }
                *keep = false;
            }
            if f > 0 {
                hashes.push(h);
            }
        }
        // The first table's keys are never looked up.
        later.reserve(hashes.len());
        for (i, h) in hashes.into_iter().enumerate() {
            later.entry(h).or_insert((f as u32, i as u32));
        }
        masks.push(mask);
    }
    masks.reverse();
    super::trace("duplicates across files found");
    masks
}

/// `keep_masks` with every key a whole string (the way past a shared hash).
fn keep_masks_by_strings(kind: SourceKind, frames: &[&DataFrame]) -> Vec<Vec<bool>> {
    let mut later: HashSet<String, FastHash> = HashSet::default();
    let mut masks: Vec<Vec<bool>> = Vec::with_capacity(frames.len());
    for frame in frames.iter().rev() {
        let k = keys(kind, frame);
        masks.push(k.iter().map(|key| !later.contains(key)).collect());
        later.extend(k);
    }
    masks.reverse();
    masks
}

/// Counts, in each file's report, the rows a later file of the same source
/// also holds (for `check`, which reads every file on its own).
pub fn mark_duplicates(kind: SourceKind, loaded: &mut [&mut Loaded]) {
    if loaded.len() < 2 {
        return;
    }
    let frames: Vec<&DataFrame> = loaded.iter().map(|l| &l.frame).collect();
    let masks = keep_masks(kind, &frames);
    for (l, keep) in loaded.iter_mut().zip(masks) {
        let lines = dropped_lines(&l.frame, &keep);
        reject_lines(&mut l.report, duplicate_reason(kind), &lines);
    }
}

fn dropped_lines(frame: &DataFrame, keep: &[bool]) -> Vec<u64> {
    let lines = frame
        .column(schema::LINE)
        .ok()
        .and_then(|c| c.u64().ok().cloned());
    keep.iter()
        .enumerate()
        .filter(|(_, k)| !**k)
        .map(|(i, _)| lines.as_ref().and_then(|l| l.get(i)).unwrap_or(0))
        .collect()
}

/// Stacks the tables of one source's files; reports stay one per file.
pub fn merge(
    kind: SourceKind,
    loaded: Vec<Loaded>,
) -> Result<(DataFrame, Vec<LoadReport>), LoadError> {
    let mut loaded = loaded;
    if loaded.len() == 1 {
        let l = loaded.remove(0);
        return Ok((l.frame, vec![l.report]));
    }
    let masks = keep_masks(kind, &loaded.iter().map(|l| &l.frame).collect::<Vec<_>>());
    let mut frames: Vec<DataFrame> = Vec::with_capacity(loaded.len());
    let mut reports: Vec<LoadReport> = Vec::with_capacity(loaded.len());
    for (l, keep) in loaded.into_iter().zip(masks) {
        let Loaded {
            frame, mut report, ..
        } = l;
        let dropped = dropped_lines(&frame, &keep);
        reject_lines(&mut report, duplicate_reason(kind), &dropped);
        let frame = if dropped.is_empty() {
            frame
        } else {
            let mask = BooleanChunked::from_slice("keep".into(), &keep);
            frame.filter(&mask).map_err(|e| internal(&report.file, e))?
        };
        frames.push(frame);
        reports.push(report);
    }
    // Segment columns differ between files: every table gets all of them.
    let mut names: Vec<PlSmallStr> = Vec::new();
    for f in &frames {
        for n in f.get_column_names() {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    let file = reports.first().map(|r| r.file.clone()).unwrap_or_default();
    let mut out: Option<DataFrame> = None;
    for f in frames {
        let h = f.height();
        let columns: Vec<Column> = names
            .iter()
            .map(|n| match f.column(n) {
                Ok(c) => c.clone(),
                // A segment as codes: none is `NO_VALUE`.
                Err(_) if n.starts_with(schema::SEGMENT_CODE_PREFIX) => {
                    UInt32Chunked::full(n.clone(), super::NO_VALUE, h).into_column()
                }
                Err(_) => Column::full_null(n.clone(), h, &DataType::String),
            })
            .collect();
        let aligned = DataFrame::new(h, columns).map_err(|e| internal(&file, e))?;
        match &mut out {
            None => out = Some(aligned),
            Some(acc) => {
                acc.vstack_mut(&aligned).map_err(|e| internal(&file, e))?;
            }
        }
    }
    let mut frame = out.unwrap_or_default();
    frame.rechunk_mut();
    Ok((frame, reports))
}

fn internal(file: &str, e: PolarsError) -> LoadError {
    LoadError::Invalid {
        file: file.to_string(),
        message: format!("internal error merging the files: {e}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn orders(
        ids: &[Option<&str>],
        customers: &[&str],
        days: &[i32],
        amounts: &[i64],
    ) -> DataFrame {
        df!(
            schema::ORDER_ID => ids,
            schema::CUSTOMER_ID => customers,
            schema::ORDER_DATE => days,
            schema::AMOUNT => amounts,
        )
        .unwrap()
    }

    #[test]
    fn a_row_key_is_its_id_or_else_its_customer_day_and_amount() {
        let a = orders(
            &[Some("o1"), None, Some(""), Some("o\u{1f}2")],
            &["c1", "c2", "c3", "c4"],
            &[19_000, -3, 0, 7],
            &[1_500, -20_000, 0, i64::MIN],
        );
        assert_eq!(
            keys(SourceKind::Orders, &a),
            [
                "id\u{1f}o1",
                "row\u{1f}c2\u{1f}-3\u{1f}-20000",
                "row\u{1f}c3\u{1f}0\u{1f}0",
                "id\u{1f}o\u{1f}2",
            ]
        );
        // Feedback: every key column (the survey's missing: empty), a
        // float as polars writes it, no value as nothing.
        let fb = df!(
            schema::RESPONDED_AT => &[Some(1_700_000_000i64), None],
            schema::CUSTOMER_ID => &[Some("c1"), None],
            schema::SCORE => &[Some(9.5f64), Some(10.0)],
            schema::COMMENT => &[Some("fine"), None],
        )
        .unwrap();
        assert_eq!(
            keys(SourceKind::Feedback, &fb),
            [
                "id\u{1f}1700000000\u{1f}c1\u{1f}9.5\u{1f}\u{1f}fine",
                "id\u{1f}\u{1f}\u{1f}10.0\u{1f}\u{1f}",
            ]
        );
        // A one-row table (polars hands its text out owned): not quoted.
        let one = orders(&[Some("o1")], &["c1"], &[1], &[10]);
        assert_eq!(keys(SourceKind::Orders, &one), ["id\u{1f}o1"]);
    }

    #[test]
    fn a_later_table_wins_and_rows_of_one_table_are_not_told_apart() {
        let first = orders(
            &[Some("o1"), Some("o2"), None, None, Some("o2")],
            &["c1", "c2", "c3", "c3", "c2"],
            &[1, 2, 3, 3, 2],
            &[10, 20, 30, 30, 20],
        );
        let second = orders(&[Some("o2"), None], &["c9", "c3"], &[9, 3], &[90, 30]);
        let third = orders(&[Some("o1")], &["c1"], &[1], &[10]);
        let frames = [&first, &second, &third];
        let masks = keep_masks(SourceKind::Orders, &frames);
        assert_eq!(
            masks,
            vec![
                vec![false, false, false, false, false],
                vec![true, true],
                vec![true],
            ]
        );
        assert_eq!(masks, keep_masks_by_strings(SourceKind::Orders, &frames));
    }
}
