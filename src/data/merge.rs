//! Several files of one source (monthly exports, a folder): their tables
//! are stacked in the order given, and a record that two files hold counts
//! once — the later file wins and the earlier copy is counted in its file's
//! load report as a duplicate, with its line.

use std::collections::HashSet;

use polars::prelude::*;

use super::schema::{self, SourceKind};
use super::{FastHash, LoadError, LoadReport, Loaded};

/// The key that tells the same record apart across files: the order, ticket
/// or response id where there is one, else the whole canonical row.
fn keys(kind: SourceKind, frame: &DataFrame) -> Vec<String> {
    let cols: &[&str] = match kind {
        SourceKind::Orders => &[schema::ORDER_ID],
        SourceKind::Tickets => &[schema::TICKET_ID],
        SourceKind::Feedback => &[
            schema::RESPONDED_AT,
            schema::CUSTOMER_ID,
            schema::SCORE,
            schema::SURVEY,
            schema::COMMENT,
        ],
    };
    let row_cols: &[&str] = &[schema::CUSTOMER_ID, schema::ORDER_DATE, schema::AMOUNT];
    // Each column looked up once, not once per cell.
    let columns = |names: &[&str]| -> Vec<Option<&Column>> {
        names.iter().map(|n| frame.column(n).ok()).collect()
    };
    let (id_cols, row_cols) = (columns(cols), columns(row_cols));
    let text = |c: &Option<&Column>, i: usize| -> String {
        c.and_then(|c| c.get(i).ok())
            .map(|v| match v {
                AnyValue::Null => String::new(),
                AnyValue::String(s) => s.to_string(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    let joined = |cols: &[Option<&Column>], i: usize| -> String {
        cols.iter()
            .map(|c| text(c, i))
            .collect::<Vec<_>>()
            .join("\u{1f}")
    };
    (0..frame.height())
        .map(|i| {
            let id = joined(&id_cols, i);
            if kind == SourceKind::Orders && id.is_empty() {
                // No order id: the row itself.
                format!("row\u{1f}{}", joined(&row_cols, i))
            } else {
                format!("id\u{1f}{id}")
            }
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

/// Which rows of each table to keep: a row whose key a later table holds is
/// dropped (the later file wins).
fn keep_masks(kind: SourceKind, frames: &[&DataFrame]) -> Vec<Vec<bool>> {
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
