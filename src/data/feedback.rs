//! Feedback: one row per survey response (kpi-spec §1).

use polars::prelude::*;

use super::mapping::{Plan, SourceOptions};
use super::parse::{self, Day, RawStamp, WaitingDay};
use super::schema::{self, SourceKind, Survey};
use super::source::RawFile;
use super::{
    DateVotes, LoadError, Loaded, RowTexts, Scales, SegmentColumns, Tally, frame, line_column,
    line32,
};

/// A response that passed the first look, waiting for the file's
/// day/month order and survey: 32 bytes (two million wait at once on a
/// large export); comments and segment codes wait beside the rows.
struct Pending {
    line: u32,
    date: WaitingDay,
    survey: Option<Survey>,
    score: f64,
}

const _: () = assert!(std::mem::size_of::<Pending>() <= 24);

/// The survey of a file without a survey column, from its scores
/// (kpi-spec §1): any 0 or any score ≥ 8 → NPS; all in 1..5 → CSAT.
pub fn infer_survey(file: &str, scores: impl Iterator<Item = f64>) -> Result<Survey, LoadError> {
    let (mut low, mut high, mut any) = (f64::INFINITY, f64::NEG_INFINITY, false);
    for s in scores {
        any = true;
        low = low.min(s);
        high = high.max(s);
    }
    if !any || low == 0.0 || high >= 8.0 {
        Ok(Survey::Nps)
    } else if low >= 1.0 && high <= 5.0 {
        Ok(Survey::Csat)
    } else {
        Err(LoadError::AmbiguousSurvey {
            file: file.to_string(),
            low,
            high,
        })
    }
}

/// Whether a score is on its survey's scale (integers only; never clamped).
pub fn on_scale(survey: Survey, score: f64, scales: Scales) -> bool {
    if score.fract() != 0.0 {
        return false;
    }
    let (lo, hi) = match survey {
        Survey::Nps => (0.0, 10.0),
        Survey::Csat => (1.0, scales.csat as f64),
        Survey::Ces => (1.0, scales.ces as f64),
    };
    (lo..=hi).contains(&score)
}

/// Kept rows from which the table's text columns are made on two threads.
const TABLE_THREADS_FROM: usize = if cfg!(test) { 2 } else { 100_000 };

/// Loads a survey export; the raw text is dropped as soon as it is read.
pub fn load(
    raw: RawFile,
    plan: &Plan,
    options: &SourceOptions,
    scales: Scales,
) -> Result<Loaded, LoadError> {
    let file = raw.name.clone();
    let file = file.as_str();
    let headers = raw.headers.clone();
    let format = raw.format.name();
    let date_header = plan.header(&headers, schema::RESPONDED_AT).to_string();
    let has_survey_column = plan.col(schema::SURVEY).is_some();
    let mut tally = Tally::default();
    let alt_customer = plan.has_alt_customer();
    // Each row's customer (and id-first customer) and comment.
    let (mut customers, mut alts) = (RowTexts::default(), RowTexts::default());
    let mut comments = RowTexts::default();
    let mut segments = SegmentColumns::new(plan.segments.clone());
    let stride = plan.segments.len();
    let mut seg_codes: Vec<u32> = Vec::new();
    let mut dates = DateVotes::default();
    let mut pending: Vec<Pending> = Vec::new();

    let (responded_at, score_field, survey_field, comment_field, customer_field) = (
        plan.field(schema::RESPONDED_AT),
        plan.field(schema::SCORE),
        plan.field(schema::SURVEY),
        plan.field(schema::COMMENT),
        plan.field(schema::CUSTOMER_ID),
    );
    raw.for_each(plan.skip_rows, |line, rec| {
        let line_no = line32(file, line)?;
        tally.row();
        if rec.len() != headers.len() {
            tally.reject("wrong number of fields", line);
            return Ok(());
        }
        if let Some(reason) = plan.filtered_out(rec) {
            tally.reject(reason, line);
            return Ok(());
        }
        let mut look = || -> Result<(RawStamp, f64, Option<Survey>), String> {
            let date_text = responded_at
                .cell(rec)
                .ok_or_else(|| format!("missing {}", schema::RESPONDED_AT))?;
            let date = parse::parse_datetime(date_text)
                .ok_or_else(|| format!("unparseable {}", schema::RESPONDED_AT))?;
            let score_text = score_field.cell(rec).ok_or("missing score")?;
            let score = parse::parse_score(score_text).ok_or("unparseable score")?;
            let survey = if has_survey_column {
                let cell = survey_field.cell(rec).ok_or("missing survey")?;
                Some(Survey::parse(cell).ok_or("unknown survey")?)
            } else {
                plan.survey
            };
            dates.observe(date, line, &date_header, date_text);
            Ok((date, score, survey))
        };
        match look() {
            Ok((date, score, survey)) => {
                customers.push(customer_field.cell(rec));
                if alt_customer {
                    alts.push(customer_field.cell_last_first(rec));
                }
                comments.push(comment_field.cell(rec));
                pending.push(Pending {
                    line: line_no,
                    date: WaitingDay::new(date),
                    survey,
                    score,
                });
                segments.read_into(rec, &mut seg_codes);
            }
            Err(reason) => tally.reject(&reason, line),
        }
        Ok(())
    })?;
    drop(raw);
    super::trace("feedback read");

    let order = dates.decide(file, Some(options.date_format), plan.date_order)?;
    let inferred = if has_survey_column || plan.survey.is_some() {
        None
    } else {
        Some(infer_survey(file, pending.iter().map(|p| p.score))?)
    };

    // The rows kept, with their day and survey; the columns are made from them.
    let mut kept: Vec<(u32, Day, Survey)> = Vec::with_capacity(pending.len());
    let (mut first_day, mut last_day): (Option<Day>, Option<Day>) = (None, None);
    for (i, p) in pending.iter().enumerate() {
        let line = u64::from(p.line);
        let Some(day) = p.date.day(order) else {
            tally.reject(&format!("unparseable {}", schema::RESPONDED_AT), line);
            continue;
        };
        let survey = p.survey.or(inferred).unwrap_or(Survey::Nps);
        if !on_scale(survey, p.score, scales) {
            tally.reject("score out of range", line);
            continue;
        }
        first_day = Some(first_day.map_or(day, |d| d.min(day)));
        last_day = Some(last_day.map_or(day, |d| d.max(day)));
        kept.push((i as u32, day, survey));
        segments.push(&seg_codes[i * stride..(i + 1) * stride]);
    }
    drop(seg_codes);
    if plan.segments_auto {
        segments.retain_categories();
    }
    tally.require_some(file, SourceKind::Feedback, plan, &headers)?;
    super::trace("feedback checked");
    let height = kept.len();
    let seg_names = segments.header_names();
    let row = |k: &(u32, Day, Survey)| &pending[k.0 as usize];
    let rows = || kept.iter().map(|k| k.0 as usize);
    // The text columns of a large file are made on two threads: the
    // customers and comments on one, the rest on this one (the feedback
    // often ends its load after the tickets, its core then alone).
    let texts = || {
        let customer = customers.column(schema::CUSTOMER_ID, rows());
        let comment = comments.column(schema::COMMENT, rows());
        let alt = alt_customer.then(|| alts.column(schema::CUSTOMER_ALT, rows()));
        (customer, comment, alt)
    };
    let rest = || {
        let survey =
            StringChunked::from_iter_values(schema::SURVEY.into(), kept.iter().map(|k| k.2.name()))
                .into_column();
        (survey, segments.text_columns())
    };
    let ((customer, comment, alt), (survey, segment_columns)) = if height >= TABLE_THREADS_FROM {
        std::thread::scope(|s| {
            let texts = s.spawn(texts);
            let rest = rest();
            (crate::Joined::joined(texts), rest)
        })
    } else {
        (texts(), rest())
    };
    let mut columns = vec![
        Int32Chunked::from_vec(
            schema::RESPONDED_AT.into(),
            kept.iter().map(|k| k.1).collect(),
        )
        .into_column(),
        Float64Chunked::from_vec(
            schema::SCORE.into(),
            kept.iter().map(|k| row(k).score).collect(),
        )
        .into_column(),
        survey,
        customer,
        comment,
        line_column(kept.iter().map(|k| row(k).line)),
    ];
    columns.extend(alt);
    drop((pending, customers, alts, comments));
    columns.extend(segment_columns);
    let frame = frame(file, height, columns)?;
    super::trace("feedback table built");
    let mut report = tally.report(
        file,
        SourceKind::Feedback,
        format,
        &plan.mapping,
        (first_day, last_day),
        seg_names,
    );
    report.columns = plan.column_headers(&headers);
    Ok(Loaded {
        frame,
        report,
        customers: None,
        row_customers: None,
        segment_values: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survey_inference() {
        let f = |v: &[f64]| infer_survey("f.csv", v.iter().copied());
        assert_eq!(f(&[1.0, 9.0]).unwrap(), Survey::Nps);
        assert_eq!(f(&[0.0, 3.0]).unwrap(), Survey::Nps);
        assert_eq!(f(&[1.0, 5.0, 3.0]).unwrap(), Survey::Csat);
        assert!(matches!(
            f(&[1.0, 6.0, 7.0]),
            Err(LoadError::AmbiguousSurvey { .. })
        ));
    }

    #[test]
    fn scales() {
        let s = Scales::default();
        assert!(on_scale(Survey::Nps, 0.0, s) && on_scale(Survey::Nps, 10.0, s));
        assert!(!on_scale(Survey::Nps, 11.0, s) && !on_scale(Survey::Nps, 7.5, s));
        assert!(!on_scale(Survey::Csat, 0.0, s) && !on_scale(Survey::Csat, 6.0, s));
        assert!(on_scale(Survey::Csat, 9.0, Scales { csat: 10, ces: 7 }));
        assert!(
            on_scale(Survey::Ces, 7.0, s)
                && !on_scale(Survey::Ces, 6.0, Scales { csat: 5, ces: 5 })
        );
    }
}
