//! `holdfast check`: what each file loaded as, and what was rejected and why.

use std::fmt::Write as _;

use serde::Serialize;

use crate::data::{self, LoadError, LoadReport, Scales, SourceKind, SourceSpec};

/// The outcome of checking one file.
#[derive(Debug)]
pub enum Checked {
    Loaded(Box<LoadReport>),
    Failed {
        kind: Option<SourceKind>,
        error: LoadError,
    },
}

impl Checked {
    pub fn failed(&self) -> bool {
        matches!(self, Checked::Failed { .. })
    }
}

/// Loads each spec on its own and reports it, with how many feedback and
/// ticket rows match a customer of the orders files among the specs.
pub fn check(specs: &[SourceSpec], scales: Scales) -> Vec<Checked> {
    let mut loaded: Vec<Result<data::Loaded, LoadError>> =
        specs.iter().map(|s| data::load_source(s, scales)).collect();
    // Several files of one source: a record a later file holds counts there.
    for kind in [
        SourceKind::Orders,
        SourceKind::Feedback,
        SourceKind::Tickets,
    ] {
        let mut same: Vec<&mut data::Loaded> = loaded
            .iter_mut()
            .flatten()
            .filter(|l| l.report.kind == kind)
            .collect();
        data::merge::mark_duplicates(kind, &mut same);
    }
    let order_frames: Vec<&polars::prelude::DataFrame> = loaded
        .iter()
        .filter_map(|l| l.as_ref().ok())
        .filter(|l| l.report.kind == SourceKind::Orders)
        .map(|l| &l.frame)
        .collect();
    let customers = (!order_frames.is_empty()).then(|| data::order_customers(&order_frames));
    for l in loaded.iter_mut().flatten() {
        match (l.report.kind, &customers) {
            (SourceKind::Orders, _) => data::warn_currencies(
                &l.frame,
                &l.segment_values,
                std::slice::from_mut(&mut l.report),
            ),
            (_, Some(c)) => {
                data::prefer_matching_customer(c, l);
                data::match_customers(c, &l.frame, &mut l.report)
            }
            (_, None) => {}
        }
    }
    loaded
        .into_iter()
        .zip(specs)
        .map(|(l, s)| match l {
            Ok(l) => Checked::Loaded(Box::new(l.report)),
            Err(error) => Checked::Failed {
                kind: Some(s.kind),
                error,
            },
        })
        .collect()
}

#[derive(Serialize)]
struct FailedJson<'a> {
    file: &'a str,
    source: Option<SourceKind>,
    kind: Option<SourceKind>,
    error: String,
}

/// The JSON array printed by `check --format json`.
pub fn to_json(results: &[Checked]) -> String {
    let values: Vec<serde_json::Value> = results
        .iter()
        .map(|r| match r {
            Checked::Loaded(rep) => serde_json::to_value(rep),
            Checked::Failed { kind, error } => serde_json::to_value(FailedJson {
                file: error.file(),
                source: *kind,
                kind: *kind,
                error: error.to_string(),
            }),
        })
        .map(|v| v.unwrap_or(serde_json::Value::Null))
        .collect();
    serde_json::to_string_pretty(&values).unwrap_or_else(|_| "[]".into())
}

fn lines(v: &[u64]) -> String {
    let word = if v.len() == 1 { "line" } else { "lines" };
    let nums: Vec<String> = v.iter().map(u64::to_string).collect();
    format!("{word} {}", nums.join(", "))
}

/// One report as readable text.
pub fn report_text(rep: &LoadReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", rep.file);
    let _ = writeln!(out, "  kind:      {} ({})", rep.kind, rep.format);
    let _ = writeln!(out, "  mapping:   {}", rep.preset);
    let _ = writeln!(
        out,
        "  rows:      {} read, {} kept, {} rejected",
        rep.rows,
        rep.kept,
        rep.rejected_total()
    );
    for (reason, count) in &rep.rejected {
        let ex = rep
            .examples_by_reason
            .get(reason)
            .map(|v| lines(v))
            .unwrap_or_default();
        let _ = writeln!(out, "    {reason}: {count} ({ex})");
    }
    match &rep.date_range {
        Some(r) => {
            let _ = writeln!(out, "  dates:     {} .. {}", r.first, r.last);
        }
        None => {
            let _ = writeln!(out, "  dates:     (no rows)");
        }
    }
    if !rep.columns.is_empty() {
        let cols: Vec<String> = rep
            .columns
            .iter()
            .map(|(k, v)| format!("{k} ← \"{v}\""))
            .collect();
        let _ = writeln!(out, "  columns:   {}", cols.join(", "));
    }
    if let Some(m) = &rep.customer_match {
        let what = if rep.kind == SourceKind::Tickets {
            "tickets"
        } else {
            "responses"
        };
        let _ = writeln!(
            out,
            "  customers: {} of {} {what} with a customer match an order customer",
            m.matched, m.rows
        );
    }
    let segs = if rep.segments.is_empty() {
        "(none)".to_string()
    } else {
        rep.segments.join(", ")
    };
    let _ = writeln!(out, "  segments:  {segs}");
    for w in &rep.warnings {
        let _ = writeln!(out, "  warning:   {w}");
    }
    out
}

/// All results as text, a blank line between files.
pub fn to_text(results: &[Checked]) -> String {
    results
        .iter()
        .map(|r| match r {
            Checked::Loaded(rep) => report_text(rep),
            Checked::Failed { error, .. } => format!("{}\n  error: {error}\n", error.file()),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
