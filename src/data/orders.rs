//! Orders: one row per order or order line (kpi-spec §1).

use std::collections::HashMap;

use polars::prelude::*;

use super::mapping::{Plan, SourceOptions, Units};
use super::parse::{self, AmountCell, Day, RawStamp};
use super::schema::{self, SourceKind};
use super::source::RawFile;
use super::{DateVotes, DecimalVotes, Interner, LoadError, Loaded, SegmentColumns, Tally, frame};

/// A row that passed the first look; dates and amounts wait for the
/// file-wide decisions on day/month order and decimal style.
/// Ten million of them wait at once on a large export: rare fields (a
/// separate refund amount, Shopify's line items) live in side tables.
struct Pending {
    line: u64,
    customer: u32,
    /// Order id code, or `NONE`.
    order: u32,
    date: RawStamp,
    /// The amount's two readings (`AmountCell`), `i64::MIN` for none.
    amount: [i64; 2],
    /// Whether a refund amount for this row waits in `Minus`.
    minus: bool,
    /// Shopify line-item row: the index of its order's first row, or `NONE`.
    continues: u32,
}

/// No order id, not a line item.
const NONE: u32 = u32::MAX;

fn pack(a: AmountCell) -> [i64; 2] {
    [a.dot.unwrap_or(i64::MIN), a.comma.unwrap_or(i64::MIN)]
}

fn unpack([dot, comma]: [i64; 2]) -> AmountCell {
    let some = |v: i64| (v != i64::MIN).then_some(v);
    AmountCell {
        dot: some(dot),
        comma: some(comma),
    }
}

fn some(code: u32) -> Option<u32> {
    (code != NONE).then_some(code)
}

/// Refund amounts of the rows that have one, in row order: (pending index, amount).
type Minus = Vec<(u32, AmountCell)>;

/// Order ids: kept as text in one buffer. Only Shopify files, whose line-item
/// rows must find their order's first row, need them interned.
struct OrderIds {
    text: String,
    ends: Vec<usize>,
    lookup: Option<HashMap<String, u32, super::FastHash>>,
}

impl OrderIds {
    fn new(interned: bool) -> Self {
        OrderIds {
            text: String::new(),
            ends: Vec::new(),
            lookup: interned.then(HashMap::default),
        }
    }

    fn code(&mut self, id: &str) -> u32 {
        if let Some(c) = self.lookup.as_ref().and_then(|m| m.get(id)) {
            return *c;
        }
        let code = self.ends.len() as u32;
        self.text.push_str(id);
        self.ends.push(self.text.len());
        if let Some(m) = self.lookup.as_mut() {
            m.insert(id.to_string(), code);
        }
        code
    }

    fn get(&self, code: u32) -> &str {
        let i = code as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// Loads an orders file; the raw text is dropped as soon as it is read, so
/// that it and the finished columns are never in memory together.
pub fn load(raw: RawFile, plan: &Plan, options: &SourceOptions) -> Result<Loaded, LoadError> {
    let file_name = raw.name.clone();
    let file = file_name.as_str();
    let format = raw.format.name();
    let header_names = raw.headers.clone();
    let headers = &header_names;
    let date_header = plan.header(headers, schema::ORDER_DATE).to_string();
    let amount_header = plan.header(headers, schema::AMOUNT).to_string();
    let mut tally = Tally::default();
    let mut customers = Interner::default();
    let mut order_ids = OrderIds::new(plan.continuation_rows);
    let mut segments = SegmentColumns::new(plan.segments.clone());
    // Segment codes of the pending rows, `stride` per row (no allocation per row).
    let stride = plan.segments.len();
    let mut seg_codes: Vec<Option<u32>> = Vec::new();
    let mut dates = DateVotes::default();
    let mut decimals = DecimalVotes::default();
    let mut pending: Vec<Pending> = Vec::new();
    let mut minus_of: Minus = Vec::new();
    // Shopify: order id -> its first row (pending index, or the reason it was rejected).
    let mut first_rows: HashMap<u32, Result<usize, String>> = HashMap::new();

    raw.for_each(plan.skip_rows, |line, rec| {
        tally.row();
        if rec.len() != headers.len() {
            tally.reject("wrong number of fields", line);
            return Ok(());
        }
        let order_text = plan.cell(rec, schema::ORDER_ID);
        let order = order_text.map(|o| order_ids.code(o));
        // Shopify: a later row of an order seen before is one of its line
        // items, whatever it repeats (`Created at`, `Email`).
        if plan.continuation_rows
            && let Some(first) = order.and_then(|o| first_rows.get(&o))
        {
            match first {
                Ok(idx) => {
                    let idx = *idx;
                    let own = segments.read(rec);
                    let f = &pending[idx];
                    let (customer, date) = (f.customer, f.date);
                    for (j, o) in own.iter().enumerate() {
                        seg_codes.push(o.or(seg_codes[idx * stride + j]));
                    }
                    pending.push(Pending {
                        line,
                        customer,
                        order: order.unwrap_or(NONE),
                        date,
                        amount: [0, 0],
                        minus: false,
                        continues: idx as u32,
                    });
                }
                Err(reason) => tally.reject(&reason.clone(), line),
            }
            return Ok(());
        }
        let outcome = first_look(
            plan,
            rec,
            line,
            &date_header,
            &amount_header,
            &mut dates,
            &mut decimals,
        )
        .map(|(date, amount, minus, customer)| {
            // An invoice number that marks a cancellation (UCI's `C536379`) is a refund.
            let cancelled = plan.cancel_prefix.is_some_and(|p| {
                order_text.is_some_and(|o| {
                    o.starts_with(p) && o[1..].starts_with(|c: char| c.is_ascii_digit())
                })
            });
            let amount = if cancelled { amount.negative() } else { amount };
            (date, amount, minus, customer)
        });
        match outcome {
            Ok((date, amount, minus, customer)) => {
                let customer = customers.code(customer);
                if let (true, Some(o)) = (plan.continuation_rows, order) {
                    first_rows.entry(o).or_insert(Ok(pending.len()));
                }
                if let Some(m) = minus {
                    minus_of.push((pending.len() as u32, m));
                }
                pending.push(Pending {
                    line,
                    customer,
                    order: order.unwrap_or(NONE),
                    date,
                    amount: pack(amount),
                    minus: minus.is_some(),
                    continues: NONE,
                });
                segments.read_into(rec, &mut seg_codes);
            }
            Err(reason) => {
                if let (true, Some(o)) = (plan.continuation_rows, order) {
                    first_rows.entry(o).or_insert(Err(reason.clone()));
                }
                tally.reject(&reason, line);
            }
        }
        Ok(())
    })?;

    drop(first_rows);
    drop(raw);
    super::trace("orders read");
    let order_by = dates.decide(file, Some(options.date_format), plan.date_order)?;
    let style = decimals.decide(file, options.decimal)?;

    let n = pending.len();
    let mut keep = vec![false; n];
    let mut customer_col: Vec<&str> = Vec::with_capacity(n);
    let mut day_col: Vec<i32> = Vec::with_capacity(n);
    let mut amount_col: Vec<i64> = Vec::with_capacity(n);
    let mut order_col: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut line_col: Vec<u64> = Vec::with_capacity(n);
    let (mut first_day, mut last_day): (Option<Day>, Option<Day>) = (None, None);
    let mut minus_rows = minus_of.iter();
    for (i, p) in pending.iter().enumerate() {
        // This row's refund amount, if it has one (the side table is in row order).
        let minus_cell = if p.minus {
            minus_rows.next().map(|(_, m)| *m)
        } else {
            None
        };
        if let Some(first) = some(p.continues).map(|f| f as usize)
            && !keep[first]
        {
            tally.reject(
                &format!("line item of a rejected order ({})", pending[first].line),
                p.line,
            );
            continue;
        }
        let Some(stamp) = p.date.resolve(order_by) else {
            tally.reject(&format!("unparseable {}", schema::ORDER_DATE), p.line);
            continue;
        };
        let value = unpack(p.amount).value(style);
        let minus = match minus_cell {
            Some(m) => m.value(style),
            None => Some(0),
        };
        let (Some(value), Some(minus)) = (value, minus) else {
            tally.reject(&format!("unparseable {}", schema::AMOUNT), p.line);
            continue;
        };
        let mut amount = value - minus;
        if options.amount_units == Units::Minor {
            amount /= 100;
        }
        keep[i] = true;
        customer_col.push(&customers.names[p.customer as usize]);
        day_col.push(stamp.day);
        first_day = Some(first_day.map_or(stamp.day, |d| d.min(stamp.day)));
        last_day = Some(last_day.map_or(stamp.day, |d| d.max(stamp.day)));
        amount_col.push(amount);
        order_col.push(some(p.order).map(|o| order_ids.get(o)));
        line_col.push(p.line);
        segments.push(&seg_codes[i * stride..(i + 1) * stride]);
    }
    super::trace("orders checked");
    // The rows are in the columns now: free them before polars copies the columns.
    drop(pending);
    drop(minus_of);
    drop(seg_codes);
    if plan.segments_auto {
        segments.retain_categories();
    }
    tally.require_some(file, SourceKind::Orders, plan, headers)?;
    let height = day_col.len();
    let seg_names = segments.header_names();
    let mut columns = vec![
        Column::new(schema::CUSTOMER_ID.into(), customer_col),
        Column::new(schema::ORDER_DATE.into(), day_col),
        Column::new(schema::AMOUNT.into(), amount_col),
        Column::new(schema::ORDER_ID.into(), order_col),
        Column::new(schema::LINE.into(), line_col),
    ];
    columns.extend(segments.into_columns());
    let frame = frame(file, height, columns)?;
    super::trace("orders table built");
    let mut report = tally.report(
        file,
        SourceKind::Orders,
        format,
        &plan.mapping,
        (first_day, last_day),
        seg_names,
    );
    report.columns = plan.column_headers(&header_names);
    Ok(Loaded { frame, report })
}

type FirstLook<'r> = (RawStamp, AmountCell, Option<AmountCell>, &'r str);

/// Checks the cells that can be checked row by row; `Err` is the reason.
fn first_look<'r>(
    plan: &Plan,
    rec: &'r csv::StringRecord,
    line: u64,
    date_header: &str,
    amount_header: &str,
    dates: &mut DateVotes,
    decimals: &mut DecimalVotes,
) -> Result<FirstLook<'r>, String> {
    if let Some(reason) = plan.status.as_ref().and_then(|s| s.skip_reason(rec)) {
        return Err(reason);
    }
    let customer = plan
        .cell(rec, schema::CUSTOMER_ID)
        .ok_or_else(|| format!("missing {}", schema::CUSTOMER_ID))?;
    let date_text = plan
        .cell(rec, schema::ORDER_DATE)
        .ok_or_else(|| format!("missing {}", schema::ORDER_DATE))?;
    let date = parse::parse_datetime(date_text)
        .ok_or_else(|| format!("unparseable {}", schema::ORDER_DATE))?;
    dates.observe(date, line, date_header, date_text);
    let amount_text = plan
        .cell(rec, schema::AMOUNT)
        .ok_or_else(|| format!("missing {}", schema::AMOUNT))?;
    let mut amount = parse::parse_amount(amount_text)
        .ok_or_else(|| format!("unparseable {}", schema::AMOUNT))?;
    decimals.observe(amount, line, amount_header, amount_text);
    if let Some(q) = plan.quantity {
        let qty = rec
            .get(q)
            .and_then(super::mapping::clean_cell)
            .ok_or_else(|| format!("missing {}", schema::QUANTITY))?;
        let qty = qty
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|q| q.is_finite() && q.abs() < 1e9)
            .ok_or_else(|| format!("unparseable {}", schema::QUANTITY))?;
        amount = amount.times(qty);
    }
    let minus = match plan
        .amount_minus
        .and_then(|i| rec.get(i))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(text) => {
            let m = parse::parse_amount(text)
                .ok_or_else(|| format!("unparseable {}", schema::AMOUNT))?;
            decimals.observe(m, line, amount_header, text);
            Some(m)
        }
        None => None,
    };
    Ok((date, amount, minus, customer))
}
