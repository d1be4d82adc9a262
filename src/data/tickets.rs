//! Support tickets: one row per ticket (kpi-spec §1).

use polars::prelude::*;

use super::mapping::{Plan, SourceOptions, Timing};
use super::parse::{self, Day, RawStamp};
use super::schema::{self, SourceKind};
use super::source::RawFile;
use super::{
    DateVotes, Interner, LoadError, Loaded, NO_CODE, RowTexts, SegmentColumns, Tally, frame,
    line_column, line32,
};

/// When the first response happened, before the file-wide date decision.
#[derive(Clone, Copy)]
enum Response {
    None,
    At(RawStamp),
    After(i64),
}

/// A ticket row that passed the first look, waiting for the file's
/// day/month order; its segment codes wait beside the rows.
struct Pending {
    line: u32,
    id: u32,
    /// Category code, or `NO_CODE`.
    category: u32,
    created: RawStamp,
    response: Response,
    solved: Option<RawStamp>,
    satisfaction: Option<&'static str>,
}

/// Reads a satisfaction cell: `Ok(None)` for no rating; `Err` is the rejection reason.
/// Good/bad (Zendesk), 1..5 (also `4 - Good`), and the wording of survey
/// tools (`Extremely satisfied`, `Unhappy`, ...); `Neutral` is a 3.
pub fn parse_satisfaction(cell: &str) -> Result<Option<&'static str>, &'static str> {
    let l = cell.trim().to_lowercase();
    if l.is_empty() || ["offered", "unoffered", "not offered", "not_offered"].contains(&l.as_str())
    {
        return Ok(None);
    }
    if l.starts_with("good") {
        return Ok(Some("good"));
    }
    if l.starts_with("bad") {
        return Ok(Some("bad"));
    }
    // A score, alone or followed by its label: the score wins.
    let digits: String = l
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if !digits.is_empty() {
        let rest = l[digits.len()..].trim_start();
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            return Err("unparseable satisfaction");
        }
        return match digits.trim_end_matches(".0") {
            "1" => Ok(Some("1")),
            "2" => Ok(Some("2")),
            "3" => Ok(Some("3")),
            "4" => Ok(Some("4")),
            "5" => Ok(Some("5")),
            d if d.parse::<u32>().is_ok() => Err("satisfaction out of range"),
            _ => Err("unparseable satisfaction"),
        };
    }
    // The wording of survey tools.
    let negative = [
        "not satisfied",
        "unsatisfied",
        "dissatisfied",
        "unhappy",
        "not happy",
        "negative",
        "poor",
    ];
    if negative.iter().any(|w| l.contains(w)) {
        return Ok(Some("bad"));
    }
    if ["satisfied", "happy", "positive", "great", "excellent"]
        .iter()
        .any(|w| l.contains(w))
    {
        return Ok(Some("good"));
    }
    if l.contains("neutral") {
        return Ok(Some("3"));
    }
    Err("unparseable satisfaction")
}

/// A date before 1970: what ticket tools write for "no value".
pub fn placeholder_date(raw: RawStamp) -> bool {
    match raw {
        RawStamp::Known(s) => s.day < 0,
        RawStamp::Slash { year, .. } => year < 1970,
    }
}

fn date_cell(
    rec: &csv::StringRecord,
    col: Option<usize>,
    line: u64,
    name: &str,
    header: &str,
    dates: &mut DateVotes,
) -> Result<Option<RawStamp>, String> {
    let Some(text) = col
        .and_then(|i| rec.get(i))
        .and_then(super::mapping::clean_cell)
    else {
        return Ok(None);
    };
    let raw = parse::parse_datetime(text).ok_or_else(|| format!("unparseable {name}"))?;
    // Zendesk Explore writes 1900-01-01 for "not solved": a date before 1970
    // in a ticket export is a placeholder, not a date.
    if placeholder_date(raw) {
        return Ok(None);
    }
    dates.observe(raw, line, header, text);
    Ok(Some(raw))
}

/// Loads a tickets export; the raw text is dropped as soon as it is read.
pub fn load(raw: RawFile, plan: &Plan, options: &SourceOptions) -> Result<Loaded, LoadError> {
    let file = raw.name.clone();
    let file = file.as_str();
    let header_names = raw.headers.clone();
    let headers = &header_names;
    let format = raw.format.name();
    let header = |i: Option<usize>| i.and_then(|i| headers.get(i)).cloned().unwrap_or_default();
    let created_col = plan.col(schema::CREATED_AT);
    let solved_col = plan.col(schema::SOLVED_AT);
    let mut tally = Tally::default();
    let alt_customer = plan.has_alt_customer();
    // Each row's ticket id; the rows of one ticket are found once the file
    // is read (`RowTexts::first_rows`): a table of nearly all distinct ids,
    // each a string of its own, took 0.2 s of the 1.34 s a 0.9 M-ticket
    // file's `check` took, and 100 MB.
    let mut ids = RowTexts::default();
    // Each row's customer (and id-first customer).
    let (mut customers, mut alts) = (RowTexts::default(), RowTexts::default());
    let mut categories = Interner::default();
    let mut segments = SegmentColumns::new(plan.segments.clone());
    let stride = plan.segments.len();
    let mut seg_codes: Vec<u32> = Vec::new();
    let mut dates = DateVotes::default();
    let mut pending: Vec<Pending> = Vec::new();

    let (id_field, satisfaction_field, category_field, customer_field) = (
        plan.field(schema::TICKET_ID),
        plan.field(schema::SATISFACTION),
        plan.field(schema::CATEGORY),
        plan.field(schema::CUSTOMER_ID),
    );
    raw.for_each(plan.skip_rows, |line, rec| {
        let line_no = line32(file, line)?;
        tally.row();
        if rec.len() != headers.len() {
            tally.reject("wrong number of fields", line);
            return Ok(());
        }
        let mut look = || -> Result<(Pending, &str), String> {
            let id = id_field.cell(rec).ok_or("missing ticket_id")?;
            let created = date_cell(
                rec,
                created_col,
                line,
                schema::CREATED_AT,
                &header(created_col),
                &mut dates,
            )?
            .ok_or("missing created_at")?;
            let response = match plan.first_response {
                None => Response::None,
                Some(Timing::At(i)) => {
                    match date_cell(
                        rec,
                        Some(i),
                        line,
                        schema::FIRST_RESPONSE_AT,
                        &header(Some(i)),
                        &mut dates,
                    )? {
                        Some(r) => Response::At(r),
                        None => Response::None,
                    }
                }
                Some(Timing::MinutesAfterCreation(i) | Timing::HoursAfterCreation(i)) => {
                    let unit =
                        if matches!(plan.first_response, Some(Timing::MinutesAfterCreation(_))) {
                            60.0
                        } else {
                            3600.0
                        };
                    match rec.get(i).and_then(super::mapping::clean_cell) {
                        None => Response::None,
                        Some(t) => Response::After(
                            parse::parse_duration(t, unit)
                                .ok_or("unparseable first_response_at")?,
                        ),
                    }
                }
            };
            let solved = date_cell(
                rec,
                solved_col,
                line,
                schema::SOLVED_AT,
                &header(solved_col),
                &mut dates,
            )?;
            let satisfaction = match satisfaction_field.cell(rec) {
                Some(c) => parse_satisfaction(c)?,
                None => None,
            };
            let category = category_field.cell(rec).or_else(|| {
                let tags = plan.tags.and_then(|i| rec.get(i))?;
                tags.split([',', ' '])
                    .map(str::trim)
                    .find(|t| !t.is_empty())
            });
            let p = Pending {
                line: line_no,
                id: NO_CODE,
                category: category.map_or(NO_CODE, |c| categories.code(c)),
                created,
                response,
                solved,
                satisfaction,
            };
            Ok((p, id))
        };
        match look() {
            Ok((p, id)) => {
                ids.push(Some(id));
                customers.push(customer_field.cell(rec));
                if alt_customer {
                    alts.push(customer_field.cell_last_first(rec));
                }
                pending.push(p);
                segments.read_into(rec, &mut seg_codes);
            }
            Err(reason) => tally.reject(&reason, line),
        }
        Ok(())
    })?;
    drop(raw);
    for (p, first) in pending.iter_mut().zip(ids.first_rows()) {
        p.id = first;
    }
    super::trace("tickets read");

    let order = dates.decide(file, Some(options.date_format), plan.date_order)?;

    // Resolve and validate; then the last row of each ticket id wins.
    struct Resolved {
        created: parse::Stamp,
        response: Option<i64>,
        solved: Option<parse::Stamp>,
    }
    let mut resolved: Vec<Option<Resolved>> = Vec::with_capacity(pending.len());
    for p in &pending {
        let check = || -> Result<Resolved, String> {
            let created = p.created.resolve(order).ok_or("unparseable created_at")?;
            let response = match p.response {
                Response::None => None,
                Response::At(r) => Some(
                    r.resolve(order)
                        .ok_or("unparseable first_response_at")?
                        .instant(),
                ),
                Response::After(secs) => Some(
                    created
                        .instant()
                        .checked_add(secs)
                        .ok_or("unparseable first_response_at")?,
                ),
            };
            let solved = match p.solved {
                Some(s) => Some(s.resolve(order).ok_or("unparseable solved_at")?),
                None => None,
            };
            if response.is_some_and(|r| r < created.instant()) {
                return Err("first response before creation".into());
            }
            if solved.is_some_and(|s| s.instant() < created.instant()) {
                return Err("solved before creation".into());
            }
            Ok(Resolved {
                created,
                response,
                solved,
            })
        };
        match check() {
            Ok(r) => resolved.push(Some(r)),
            Err(reason) => {
                tally.reject(&reason, u64::from(p.line));
                resolved.push(None);
            }
        }
    }
    // Each ticket id's last row kept (an id's code is its first row).
    let mut last_of: Vec<usize> = vec![usize::MAX; pending.len()];
    for (i, p) in pending.iter().enumerate() {
        if resolved[i].is_some() {
            last_of[p.id as usize] = i;
        }
    }

    // The rows kept (the last row of each ticket id); the columns are made from them.
    let mut kept: Vec<u32> = Vec::with_capacity(pending.len());
    let (mut first_day, mut last_day): (Option<Day>, Option<Day>) = (None, None);
    for (i, p) in pending.iter().enumerate() {
        let Some(r) = &resolved[i] else { continue };
        if last_of[p.id as usize] != i {
            tally.reject("duplicate ticket_id", u64::from(p.line));
            continue;
        }
        let day = r.created.day;
        first_day = Some(first_day.map_or(day, |d| d.min(day)));
        last_day = Some(last_day.map_or(day, |d| d.max(day)));
        kept.push(i as u32);
        segments.push(&seg_codes[i * stride..(i + 1) * stride]);
    }
    drop((seg_codes, last_of));
    if plan.segments_auto {
        segments.retain_categories();
    }
    super::trace("tickets checked");
    tally.require_some(file, SourceKind::Tickets, plan, headers)?;
    let height = kept.len();
    let seg_names = segments.header_names();
    let row = |&i: &u32| &pending[i as usize];
    let done = |&i: &u32| resolved[i as usize].as_ref();
    let ints = |name: &str, f: &dyn Fn(&Resolved) -> i64| {
        Int64Chunked::from_vec(name.into(), kept.iter().filter_map(done).map(f).collect())
            .into_column()
    };
    let options = |name: &str, f: &dyn Fn(&Resolved) -> Option<i64>| {
        Column::new(
            name.into(),
            kept.iter()
                .filter_map(done)
                .map(f)
                .collect::<Vec<Option<i64>>>(),
        )
    };
    let mut columns = vec![
        StringChunked::from_iter_values(
            schema::TICKET_ID.into(),
            kept.iter().map(|&k| ids.get(k as usize).unwrap_or("")),
        )
        .into_column(),
        ints(schema::CREATED_AT, &|r| r.created.instant()),
        Int32Chunked::from_vec(
            schema::CREATED_DAY.into(),
            kept.iter()
                .filter_map(done)
                .map(|r| r.created.day)
                .collect(),
        )
        .into_column(),
        options(schema::FIRST_RESPONSE_AT, &|r| r.response),
        options(schema::SOLVED_AT, &|r| r.solved.map(|s| s.instant())),
        Column::new(
            schema::SOLVED_DAY.into(),
            kept.iter()
                .filter_map(done)
                .map(|r| r.solved.map(|s| s.day))
                .collect::<Vec<Option<i32>>>(),
        ),
        customers.column(schema::CUSTOMER_ID, kept.iter().map(|&k| k as usize)),
        categories.column(schema::CATEGORY, kept.iter().map(|k| row(k).category)),
        StringChunked::from_iter_options(
            schema::SATISFACTION.into(),
            kept.iter().map(|k| row(k).satisfaction),
        )
        .into_column(),
        line_column(kept.iter().map(|k| row(k).line)),
    ];
    if alt_customer {
        columns.push(alts.column(schema::CUSTOMER_ALT, kept.iter().map(|&k| k as usize)));
    }
    drop((pending, resolved));
    columns.extend(segments.text_columns());
    let frame = frame(file, height, columns)?;
    super::trace("tickets table built");
    let mut report = tally.report(
        file,
        SourceKind::Tickets,
        format,
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
        segment_values: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satisfaction_values() {
        assert_eq!(parse_satisfaction("Good"), Ok(Some("good")));
        assert_eq!(parse_satisfaction("Bad, with comment"), Ok(Some("bad")));
        assert_eq!(parse_satisfaction("Offered"), Ok(None));
        assert_eq!(parse_satisfaction("unoffered"), Ok(None));
        assert_eq!(parse_satisfaction(""), Ok(None));
        assert_eq!(parse_satisfaction("4"), Ok(Some("4")));
        assert_eq!(parse_satisfaction("5.0"), Ok(Some("5")));
        assert_eq!(parse_satisfaction("4 - Good"), Ok(Some("4")));
        assert_eq!(parse_satisfaction("2 (poor)"), Ok(Some("2")));
        assert_eq!(parse_satisfaction("1 star"), Ok(Some("1")));
        assert_eq!(parse_satisfaction("Extremely satisfied"), Ok(Some("good")));
        assert_eq!(parse_satisfaction("Not satisfied"), Ok(Some("bad")));
        assert_eq!(parse_satisfaction("Unhappy"), Ok(Some("bad")));
        assert_eq!(parse_satisfaction("Neutral"), Ok(Some("3")));
        assert_eq!(parse_satisfaction("maybe"), Err("unparseable satisfaction"));
        assert_eq!(parse_satisfaction("45"), Err("satisfaction out of range"));
        assert_eq!(parse_satisfaction("7"), Err("satisfaction out of range"));
        assert_eq!(parse_satisfaction("0"), Err("satisfaction out of range"));
        assert_eq!(parse_satisfaction("4.5"), Err("unparseable satisfaction"));
    }
}
