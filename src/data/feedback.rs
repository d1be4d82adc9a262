//! Feedback: one row per survey response (kpi-spec §1).

use polars::prelude::*;

use super::mapping::{Plan, SourceOptions};
use super::parse::{self, Day, RawStamp};
use super::schema::{self, SourceKind, Survey};
use super::source::RawFile;
use super::{DateVotes, Interner, LoadError, Loaded, Scales, SegmentColumns, Tally, frame};

struct Pending {
    line: u64,
    date: RawStamp,
    score: f64,
    survey: Option<Survey>,
    customer: Option<u32>,
    /// The customer read id-first (see `Plan::has_alt_customer`).
    alt: Option<u32>,
    comment: Option<String>,
    segments: Vec<u32>,
}

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

pub fn load(
    raw: &RawFile,
    plan: &Plan,
    options: &SourceOptions,
    scales: Scales,
) -> Result<Loaded, LoadError> {
    let file = raw.name.as_str();
    let headers = &raw.headers;
    let date_header = plan.header(headers, schema::RESPONDED_AT).to_string();
    let has_survey_column = plan.col(schema::SURVEY).is_some();
    let mut tally = Tally::default();
    let alt_customer = plan.has_alt_customer();
    let mut customers = Interner::default();
    let mut segments = SegmentColumns::new(plan.segments.clone());
    let mut dates = DateVotes::default();
    let mut pending: Vec<Pending> = Vec::new();

    raw.for_each(plan.skip_rows, |line, rec| {
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
            let date_text = plan
                .cell(rec, schema::RESPONDED_AT)
                .ok_or_else(|| format!("missing {}", schema::RESPONDED_AT))?;
            let date = parse::parse_datetime(date_text)
                .ok_or_else(|| format!("unparseable {}", schema::RESPONDED_AT))?;
            let score_text = plan.cell(rec, schema::SCORE).ok_or("missing score")?;
            let score = parse::parse_score(score_text).ok_or("unparseable score")?;
            let survey = if has_survey_column {
                let cell = plan.cell(rec, schema::SURVEY).ok_or("missing survey")?;
                Some(Survey::parse(cell).ok_or("unknown survey")?)
            } else {
                plan.survey
            };
            if let Some(text) = plan.cell(rec, schema::RESPONDED_AT) {
                dates.observe(date, line, &date_header, text);
            }
            Ok((date, score, survey))
        };
        match look() {
            Ok((date, score, survey)) => pending.push(Pending {
                line,
                date,
                score,
                survey,
                customer: plan
                    .cell(rec, schema::CUSTOMER_ID)
                    .map(|c| customers.code(c)),
                alt: if alt_customer {
                    plan.cell_last_first(rec, schema::CUSTOMER_ID)
                        .map(|c| customers.code(c))
                } else {
                    None
                },
                comment: plan.cell(rec, schema::COMMENT).map(String::from),
                segments: segments.read(rec),
            }),
            Err(reason) => tally.reject(&reason, line),
        }
        Ok(())
    })?;

    let order = dates.decide(file, Some(options.date_format), plan.date_order)?;
    let inferred = if has_survey_column || plan.survey.is_some() {
        None
    } else {
        Some(infer_survey(file, pending.iter().map(|p| p.score))?)
    };

    let n = pending.len();
    let mut day_col: Vec<i32> = Vec::with_capacity(n);
    let mut score_col: Vec<f64> = Vec::with_capacity(n);
    let mut survey_col: Vec<&str> = Vec::with_capacity(n);
    let mut customer_col: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut alt_col: Vec<Option<&str>> = Vec::with_capacity(if alt_customer { n } else { 0 });
    let mut comment_col: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut line_col: Vec<u64> = Vec::with_capacity(n);
    let (mut first_day, mut last_day): (Option<Day>, Option<Day>) = (None, None);
    for p in &pending {
        let Some(stamp) = p.date.resolve(order) else {
            tally.reject(&format!("unparseable {}", schema::RESPONDED_AT), p.line);
            continue;
        };
        let survey = p.survey.or(inferred).unwrap_or(Survey::Nps);
        if !on_scale(survey, p.score, scales) {
            tally.reject("score out of range", p.line);
            continue;
        }
        first_day = Some(first_day.map_or(stamp.day, |d| d.min(stamp.day)));
        last_day = Some(last_day.map_or(stamp.day, |d| d.max(stamp.day)));
        day_col.push(stamp.day);
        score_col.push(p.score);
        survey_col.push(survey.name());
        customer_col.push(p.customer.map(|c| customers.names[c as usize].as_str()));
        if alt_customer {
            alt_col.push(p.alt.map(|c| customers.names[c as usize].as_str()));
        }
        comment_col.push(p.comment.as_deref());
        line_col.push(p.line);
        segments.push(&p.segments);
    }
    if plan.segments_auto {
        segments.retain_categories();
    }
    tally.require_some(file, SourceKind::Feedback, plan, headers)?;
    let height = day_col.len();
    let seg_names = segments.header_names();
    let mut columns = vec![
        Column::new(schema::RESPONDED_AT.into(), day_col),
        Column::new(schema::SCORE.into(), score_col),
        Column::new(schema::SURVEY.into(), survey_col),
        Column::new(schema::CUSTOMER_ID.into(), customer_col),
        Column::new(schema::COMMENT.into(), comment_col),
        Column::new(schema::LINE.into(), line_col),
    ];
    if alt_customer {
        columns.push(Column::new(schema::CUSTOMER_ALT.into(), alt_col));
    }
    columns.extend(segments.into_columns());
    let frame = frame(file, height, columns)?;
    let mut report = tally.report(
        file,
        SourceKind::Feedback,
        raw.format.name(),
        &plan.mapping,
        (first_day, last_day),
        seg_names,
    );
    report.columns = plan.column_headers(headers);
    Ok(Loaded {
        frame,
        report,
        customers: None,
        row_customers: None,
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
