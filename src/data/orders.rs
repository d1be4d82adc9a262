//! Orders: one row per order or order line (kpi-spec §1).

use std::collections::HashMap;

use polars::prelude::*;

use super::mapping::{Field, Plan, SourceOptions, Units};
use super::parse::{self, AmountCell, Day, RawStamp, WAITING_BITS, WaitingDay};
use super::schema::{self, SourceKind};
use super::source::{Native, NativeKind, RawFile, Split};
use super::{
    DateVotes, DecimalVotes, Interner, LoadError, Loaded, NO_CODE, NO_VALUE, SegmentColumns, Tally,
    coded, frame, line32,
};

/// A row that passed the first look; dates and amounts wait for the
/// file-wide decisions on day/month order and decimal style.
/// Ten million of them wait at once on a large export: 32 bytes each, and
/// rare fields (a separate refund amount, an amount whose two readings
/// differ, Shopify's line items) live in side tables or flag bits.
#[derive(Clone, Copy)]
struct Pending {
    /// The physical line (a file has at most `u32::MAX` lines: `line32`).
    line: u32,
    customer: u32,
    /// Order id code, or `NO_CODE`.
    order: u32,
    /// Shopify line-item row: the index of its order's first row, or `NO_CODE`.
    continues: u32,
    /// The order's day, or the year of a `NN/NN/YYYY` date (`WaitingDay`).
    day_or_year: i32,
    /// The date's `WaitingDay::bits`, and the `DOT`, `COMMA`, `COMMA_ASIDE`
    /// and `MINUS` bits.
    flags: u32,
    /// The amount's dot reading if it has one, else its comma reading.
    amount: i64,
}

const _: () = assert!(std::mem::size_of::<Pending>() == 32);

/// The amount has a dot-style reading (`Pending::amount`).
const DOT: u32 = 1 << 17;
/// The amount has a comma-style reading: `Pending::amount` when equal to
/// the dot reading or the only one, else in `Aside::comma` (`COMMA_ASIDE`).
const COMMA: u32 = 1 << 18;
const COMMA_ASIDE: u32 = 1 << 19;
/// A refund amount for this row waits in `Aside::minus`.
const MINUS: u32 = 1 << 20;

/// What waits beside the rows, in row order: the comma readings that
/// differ from the dot readings (`1.234`), and the refund amounts.
#[derive(Default)]
struct Aside {
    comma: Vec<i64>,
    minus: Vec<AmountCell>,
}

impl Pending {
    /// The date, amount and refund fields of a row (`Aside` takes the rare parts).
    fn packed(
        date: RawStamp,
        amount: AmountCell,
        minus: Option<AmountCell>,
        aside: &mut Aside,
    ) -> (i32, u32, i64) {
        let WaitingDay {
            day_or_year,
            bits: mut flags,
        } = WaitingDay::new(date);
        let value = match (amount.dot, amount.comma) {
            (Some(d), Some(c)) => {
                flags |= DOT | COMMA;
                if c != d {
                    flags |= COMMA_ASIDE;
                    aside.comma.push(c);
                }
                d
            }
            (Some(d), None) => {
                flags |= DOT;
                d
            }
            (None, Some(c)) => {
                flags |= COMMA;
                c
            }
            (None, None) => 0,
        };
        if let Some(m) = minus {
            flags |= MINUS;
            aside.minus.push(m);
        }
        (day_or_year, flags, value)
    }

    /// The order day under the file's day/month order; `None` when the date does not exist.
    fn day(&self, order: parse::DateOrder) -> Option<Day> {
        WaitingDay {
            day_or_year: self.day_or_year,
            bits: self.flags & WAITING_BITS,
        }
        .day(order)
    }

    /// The day and the amount (less the refund) under the file's
    /// decisions, or why the row is rejected.
    fn settle(
        &self,
        (amount, minus): (AmountCell, Option<AmountCell>),
        order: parse::DateOrder,
        style: parse::DecimalStyle,
    ) -> Result<(Day, i64), String> {
        let Some(day) = self.day(order) else {
            return Err(format!("unparseable {}", schema::ORDER_DATE));
        };
        let minus = match minus {
            Some(m) => m.value(style),
            None => Some(0),
        };
        match (amount.value(style), minus) {
            (Some(value), Some(minus)) => Ok((day, value - minus)),
            _ => Err(format!("unparseable {}", schema::AMOUNT)),
        }
    }

    /// The amount's readings and the refund amount, taking this row's
    /// entries from the side tables' iterators (every row must be asked, in order).
    fn amounts(
        &self,
        comma: &mut impl Iterator<Item = i64>,
        minus: &mut impl Iterator<Item = AmountCell>,
    ) -> (AmountCell, Option<AmountCell>) {
        let has = |bit: u32| self.flags & bit != 0;
        let dot = has(DOT).then_some(self.amount);
        let comma = if has(COMMA_ASIDE) {
            comma.next()
        } else {
            has(COMMA).then_some(self.amount)
        };
        let minus = if has(MINUS) { minus.next() } else { None };
        (AmountCell { dot, comma }, minus)
    }
}

/// Order ids: kept as text in one buffer. Only Shopify files, whose line-item
/// rows must find their order's first row, need them interned.
struct OrderIds {
    text: String,
    ends: Vec<usize>,
    lookup: Option<HashMap<String, u32, super::FastHash>>,
}

impl OrderIds {
    /// Appends a later run's ids (never interned: only Shopify's are, and
    /// a Shopify file is read in one run); returns how far its codes move.
    fn absorb(&mut self, later: OrderIds) -> u32 {
        let moved = self.ends.len() as u32;
        let base = self.text.len();
        self.text.push_str(&later.text);
        self.ends.extend(later.ends.iter().map(|e| base + e));
        moved
    }

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

/// Rows of a block of `Waiting`: 32 MB of `Pending` (three rows in unit
/// tests, so that their files span blocks, line items looking back across
/// them included).
const BLOCK_ROWS: usize = if cfg!(test) { 3 } else { 1 << 20 };

/// The rows waiting for the file-wide decisions, in blocks of
/// `BLOCK_ROWS` (each run's last block may be shorter), each with its rows'
/// segment codes (`stride` per row): runs are joined by moving their
/// blocks, and each block is freed as soon as its rows are in the columns,
/// so that the rows and the columns made of them are never whole together.
#[derive(Default)]
struct Waiting {
    blocks: Vec<WaitingBlock>,
    len: usize,
}

#[derive(Default)]
struct WaitingBlock {
    rows: Vec<Pending>,
    codes: Vec<u32>,
}

impl Waiting {
    /// Adds a row; its segment codes go into the returned list.
    fn push(&mut self, p: Pending) -> &mut Vec<u32> {
        if self
            .blocks
            .last()
            .is_none_or(|b| b.rows.len() == BLOCK_ROWS)
        {
            self.blocks.push(WaitingBlock::default());
        }
        self.len += 1;
        let last = self.blocks.len() - 1;
        let block = &mut self.blocks[last];
        block.rows.push(p);
        &mut block.codes
    }

    /// Row `i` of one run (whose blocks are full but the last) and its
    /// segment codes.
    /// Sets the customer of row `i` (of one run, as `get`).
    fn set_customer(&mut self, i: usize, customer: u32) {
        self.blocks[i / BLOCK_ROWS].rows[i % BLOCK_ROWS].customer = customer;
    }

    fn get(&self, i: usize, stride: usize) -> (&Pending, &[u32]) {
        let block = &self.blocks[i / BLOCK_ROWS];
        let r = i % BLOCK_ROWS;
        (&block.rows[r], &block.codes[r * stride..(r + 1) * stride])
    }
}

/// What reading a run of an orders file's records gathers: the rows that
/// passed the first look and the file-wide votes. A large file is read in
/// several runs at once, each into its own `Run`, joined in file order.
struct Run {
    tally: Tally,
    customers: Interner,
    order_ids: OrderIds,
    segments: SegmentColumns,
    dates: DateVotes,
    decimals: DecimalVotes,
    pending: Waiting,
    aside: Aside,
    /// Shopify: order id -> its first row (pending index, or the reason it was rejected).
    first_rows: HashMap<u32, Result<usize, String>>,
    /// Customers of the rows read since they were last coded.
    uncoded: super::Uncoded,
}

/// What every row of a file is read against.
struct Reading<'p> {
    plan: &'p Plan,
    /// The columns of the order id, customer, date and amount.
    order_id: Field<'p>,
    customer: Field<'p>,
    date: Field<'p>,
    amount: Field<'p>,
    width: usize,
    date_header: String,
    amount_header: String,
    /// The date and amount columns, when a typed file's are read as
    /// themselves (`RawFile::native_kind`): days and amounts without text.
    native_date: Option<usize>,
    native_amount: Option<usize>,
}

impl Reading<'_> {
    /// The cell a native column holds on this row.
    fn native(column: Option<usize>, cells: &[Native]) -> Option<Native> {
        column.map(|j| cells.get(j).copied().unwrap_or(Native::None))
    }
}

impl Run {
    fn new(plan: &Plan) -> Run {
        Run {
            tally: Tally::default(),
            customers: Interner::default(),
            order_ids: OrderIds::new(plan.continuation_rows),
            segments: SegmentColumns::new(plan.segments.clone()),
            dates: DateVotes::default(),
            decimals: DecimalVotes::default(),
            pending: Waiting::default(),
            aside: Aside::default(),
            first_rows: HashMap::new(),
            uncoded: super::Uncoded::default(),
        }
    }

    /// Codes the customers of the rows read since the last call, in their
    /// order (so the codes are those of coding each row as it was read).
    /// Rows of a Shopify file (whose line items copy their order's first
    /// row's customer) are coded as they are read.
    fn code_customers(&mut self) {
        let pending = &mut self.pending;
        self.uncoded.code_into(&mut self.customers, |row, code| {
            pending.set_customer(row, code)
        });
    }

    /// Reads one record at physical line `line`.
    fn row(&mut self, r: &Reading, line: u32, rec: &csv::StringRecord, cells: &[Native]) {
        let plan = r.plan;
        let stride = plan.segments.len();
        let line64 = u64::from(line);
        self.tally.row();
        if rec.len() != r.width {
            self.tally.reject("wrong number of fields", line64);
            return;
        }
        let order_text = r.order_id.cell(rec);
        let order = order_text.map(|o| self.order_ids.code(o));
        // Shopify: a later row of an order seen before is one of its line
        // items, whatever it repeats (`Created at`, `Email`).
        if plan.continuation_rows
            && let Some(first) = order.and_then(|o| self.first_rows.get(&o))
        {
            match first {
                Ok(idx) => {
                    let idx = *idx;
                    let mut own = self.segments.read(rec);
                    let (f, first_codes) = self.pending.get(idx, stride);
                    let (customer, day_or_year) = (f.customer, f.day_or_year);
                    let date_flags = f.flags & WAITING_BITS;
                    // A value of its own, or its order's first row's.
                    for (o, &first) in own.iter_mut().zip(first_codes) {
                        if *o == NO_VALUE {
                            *o = first;
                        }
                    }
                    // A line item's amount is its order's (on the first row): 0 here.
                    self.pending
                        .push(Pending {
                            line,
                            customer,
                            order: order.unwrap_or(NO_CODE),
                            continues: idx as u32,
                            day_or_year,
                            flags: date_flags | DOT | COMMA,
                            amount: 0,
                        })
                        .extend_from_slice(&own);
                }
                Err(reason) => self.tally.reject(&reason.clone(), line64),
            }
            return;
        }
        let outcome = first_look(r, rec, cells, line64, (&mut self.dates, &mut self.decimals)).map(
            |(date, amount, minus, customer)| {
                // An invoice number that marks a cancellation (UCI's `C536379`) is a refund.
                let cancelled = plan.cancel_prefix.is_some_and(|p| {
                    order_text.is_some_and(|o| {
                        o.starts_with(p) && o[1..].starts_with(|c: char| c.is_ascii_digit())
                    })
                });
                let amount = if cancelled { amount.negative() } else { amount };
                (date, amount, minus, customer)
            },
        );
        match outcome {
            Ok((date, amount, minus, customer)) => {
                let (customer, full) = if plan.continuation_rows {
                    (self.customers.code(customer), false)
                } else {
                    (NO_CODE, self.uncoded.push(customer, self.pending.len))
                };
                if let (true, Some(o)) = (plan.continuation_rows, order) {
                    self.first_rows.entry(o).or_insert(Ok(self.pending.len));
                }
                let (day_or_year, flags, amount) =
                    Pending::packed(date, amount, minus, &mut self.aside);
                let codes = self.pending.push(Pending {
                    line,
                    customer,
                    order: order.unwrap_or(NO_CODE),
                    continues: NO_CODE,
                    day_or_year,
                    flags,
                    amount,
                });
                self.segments.read_into(rec, codes);
                if full {
                    self.code_customers();
                }
            }
            Err(reason) => {
                if let (true, Some(o)) = (plan.continuation_rows, order) {
                    self.first_rows.entry(o).or_insert(Err(reason.clone()));
                }
                self.tally.reject(&reason, line64);
            }
        }
    }

    /// Appends the run read after this one: its customers, order ids and
    /// segment values re-coded as one run over both would have coded them.
    /// (A Shopify file, whose line items look back at their order's first
    /// row, is read in one run.)
    fn absorb(&mut self, later: Run) {
        let rows = self.pending.len as u32;
        let customers = self.customers.absorb(later.customers);
        let orders = self.order_ids.absorb(later.order_ids);
        let segments = self.segments.absorb(later.segments);
        self.tally.absorb(later.tally);
        self.dates.absorb(later.dates);
        self.decimals.absorb(later.decimals);
        // The later run's blocks are re-coded where they are and moved.
        let stride = segments.len();
        let mut blocks = later.pending.blocks;
        for block in &mut blocks {
            for p in &mut block.rows {
                p.customer = customers[p.customer as usize];
                if p.order != NO_CODE {
                    p.order += orders;
                }
                if p.continues != NO_CODE {
                    p.continues += rows;
                }
            }
            if stride > 0 {
                for (i, c) in block.codes.iter_mut().enumerate() {
                    if *c != NO_VALUE {
                        *c = segments[i % stride][*c as usize];
                    }
                }
            }
        }
        self.pending.blocks.extend(blocks);
        self.pending.len += later.pending.len;
        self.aside.comma.extend(later.aside.comma);
        self.aside.minus.extend(later.aside.minus);
    }
}

/// Loads an orders file; the raw text is dropped as soon as it is read, so
/// that it and the finished columns are never in memory together. A large
/// CSV file is read in one run of records per core.
pub fn load(raw: RawFile, plan: &Plan, options: &SourceOptions) -> Result<Loaded, LoadError> {
    load_in(raw, plan, options, Split::for_machine())
}

fn load_in(
    raw: RawFile,
    plan: &Plan,
    options: &SourceOptions,
    split: Split,
) -> Result<Loaded, LoadError> {
    let file_name = raw.name.clone();
    let file = file_name.as_str();
    let format = raw.format.name();
    let header_names = raw.headers.clone();
    let headers = &header_names;
    // A typed file's date and amount columns are read as themselves when
    // each is the only column of its field.
    let only = |field: &str, kind: NativeKind| match plan.fields.get(field).map(Vec::as_slice) {
        Some(&[j]) => (raw.native_kind(j) == Some(kind)).then_some(j),
        _ => None,
    };
    let reading = Reading {
        plan,
        order_id: plan.field(schema::ORDER_ID),
        customer: plan.field(schema::CUSTOMER_ID),
        date: plan.field(schema::ORDER_DATE),
        amount: plan.field(schema::AMOUNT),
        width: headers.len(),
        date_header: plan.header(headers, schema::ORDER_DATE).to_string(),
        amount_header: plan.header(headers, schema::AMOUNT).to_string(),
        native_date: only(schema::ORDER_DATE, NativeKind::Time),
        native_amount: only(schema::AMOUNT, NativeKind::Number),
    };
    let native: Vec<usize> = [reading.native_date, reading.native_amount]
        .into_iter()
        .flatten()
        .collect();
    // Line items look back at their order's first row, wherever it is.
    let split = if plan.continuation_rows {
        Split::ONE
    } else {
        split
    };
    let runs = raw.for_each_split(
        plan.skip_rows,
        split,
        &native,
        || Run::new(plan),
        |run, line, rec, cells| {
            run.row(&reading, line32(file, line)?, rec, cells);
            Ok(())
        },
    )?;
    // The text is read: gone before the runs are joined (their rows grow
    // into one list, for a moment beside the runs' own).
    drop(raw);
    let mut runs = runs.into_iter().map(|mut run| {
        run.code_customers();
        run
    });
    let mut run = runs.next().unwrap_or_else(|| Run::new(plan));
    for later in runs {
        run.absorb(later);
    }
    let Run {
        mut tally,
        customers,
        order_ids,
        mut segments,
        dates,
        decimals,
        pending,
        aside,
        first_rows,
        uncoded: _,
    } = run;
    let stride = plan.segments.len();
    drop(first_rows);
    super::trace("orders read");
    let order_by = dates.decide(file, Some(options.date_format), plan.date_order)?;
    let style = decimals.decide(file, options.decimal)?;
    super::trace("orders decided");

    let n = pending.len;
    let rules = Rules {
        order_by,
        style,
        minor_units: options.amount_units == Units::Minor,
        continuation_rows: plan.continuation_rows,
        stride,
    };
    let customer_count = customers.names.len();
    // A large file's rows are checked in two halves of its blocks, one per
    // thread, each with its share of the side tables (Shopify's line items
    // look back at their order's row: one pass).
    let blocks = pending.blocks;
    let halves =
        split.pieces >= 2 && !plan.continuation_rows && n >= CHECK_HALVES_FROM && blocks.len() >= 2;
    let (first_blocks, later_blocks) = if halves {
        let mut first = blocks;
        let later = first.split_off(first.len() / 2);
        (first, later)
    } else {
        (blocks, Vec::new())
    };
    let first_rows: usize = first_blocks.iter().map(|b| b.rows.len()).sum();
    let (first_comma, first_minus) =
        first_blocks
            .iter()
            .flat_map(|b| &b.rows)
            .fold((0, 0), |(c, m), p| {
                (
                    c + usize::from(p.flags & COMMA_ASIDE != 0),
                    m + usize::from(p.flags & MINUS != 0),
                )
            });
    let (comma_a, comma_b) = aside.comma.split_at(first_comma.min(aside.comma.len()));
    let (minus_a, minus_b) = aside.minus.split_at(first_minus.min(aside.minus.len()));
    // Each half writes its kept rows into its own part of the columns (the
    // first from row 0, the second from row `first_rows`); the second's
    // rows then move down over the first's rejected ones.
    let mut columns = Columns::zeroed(n, stride);
    let (first, later) = {
        let (out_a, out_b) = columns.split_at_mut(first_rows);
        std::thread::scope(|s| {
            let later = (!later_blocks.is_empty()).then(|| {
                s.spawn(|| {
                    Checked::new(out_b, customer_count, false).rows(
                        later_blocks,
                        first_rows,
                        (comma_b, minus_b),
                        &rules,
                    )
                })
            });
            let first = Checked::new(out_a, customer_count, plan.continuation_rows).rows(
                first_blocks,
                0,
                (comma_a, minus_a),
                &rules,
            );
            (first, later.map(crate::Joined::joined))
        })
    };
    super::trace("orders settled");
    let mut found = first;
    columns.truncate_gap(first_rows, found.kept, later.as_ref().map_or(0, |l| l.kept));
    if let Some(later) = later {
        found.absorb(later);
    }
    let Found {
        tally: rejected,
        kept_customer,
        first_day,
        last_day,
        ..
    } = found;
    let Columns {
        day: day_col,
        amount: amount_col,
        order: order_col,
        line: line_col,
        customer: mut row_customers,
        segments: segment_codes,
    } = columns;
    tally.absorb(rejected);
    segments.push_columns(segment_codes);
    super::trace("orders checked");
    // The rows are in the columns now: free them before polars copies the columns.
    drop(aside);
    if plan.segments_auto {
        segments.retain_categories();
    }
    tally.require_some(file, SourceKind::Orders, plan, headers)?;
    let height = day_col.len();
    let seg_names = segments.header_names();
    // The order ids' text column is made from the codes; the customers and
    // segments stay codes (`Loaded::as_text` makes their text columns
    // where they are needed; the index takes the codes).
    let order = order_column(&order_col, &order_ids).into_column();
    drop((order_col, order_ids));
    let (segment_columns, segment_values) = segments.into_coded();
    let mut columns = vec![
        // `from_vec`: each list becomes its column's buffer, no copy.
        Int32Chunked::from_vec(schema::ORDER_DATE.into(), day_col).into_column(),
        Int64Chunked::from_vec(schema::AMOUNT.into(), amount_col).into_column(),
        order,
        UInt64Chunked::from_vec(schema::LINE.into(), line_col).into_column(),
    ];
    columns.extend(segment_columns);
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
    // Codes among the kept customers only, in the same order.
    let mut kept_code = vec![u32::MAX; kept_customer.len()];
    let mut next = 0u32;
    for (code, kept) in kept_code.iter_mut().zip(&kept_customer) {
        if *kept {
            *code = next;
            next += 1;
        }
    }
    for c in &mut row_customers {
        *c = kept_code[*c as usize];
    }
    drop(kept_code);
    let kept = kept_customer.iter();
    let customers: Vec<String> = customers
        .names
        .into_iter()
        .zip(kept)
        .filter_map(|(name, kept)| kept.then_some(name))
        .collect();
    Ok(Loaded {
        frame,
        report,
        customers: Some(customers),
        row_customers: Some(row_customers),
        segment_values,
    })
}

/// Rows from which the order id column is made in two halves, one per
/// thread (two in unit tests).
const ORDER_COLUMN_HALVES_FROM: usize = if cfg!(test) { 2 } else { 1 << 20 };

/// The order id column of the rows' codes (`NO_CODE`: no id). A large one
/// is made in two halves on two threads, each one chunk of the column.
fn order_column(codes: &[u32], ids: &OrderIds) -> StringChunked {
    let make = |codes: &[u32]| {
        StringChunked::from_iter_options(
            schema::ORDER_ID.into(),
            codes.iter().map(|&o| coded(o).map(|o| ids.get(o))),
        )
    };
    if codes.len() < ORDER_COLUMN_HALVES_FROM {
        return make(codes);
    }
    let (first, later) = codes.split_at(codes.len() / 2);
    let (mut column, later) = std::thread::scope(|s| {
        let later = s.spawn(|| make(later));
        (make(first), crate::Joined::joined(later))
    });
    match column.append(&later) {
        Ok(_) => column,
        Err(_) => make(codes),
    }
}

/// Rows from which a file's waiting rows are checked in two halves (six
/// in unit tests, two blocks of three).
const CHECK_HALVES_FROM: usize = if cfg!(test) { 6 } else { 1 << 20 };

/// The file-wide decisions every waiting row is settled by.
struct Rules {
    order_by: parse::DateOrder,
    style: parse::DecimalStyle,
    minor_units: bool,
    continuation_rows: bool,
    stride: usize,
}

/// The kept rows' columns, written in place by the check: each is made
/// as long as the rows, and cut to the kept rows at the end.
struct Columns {
    day: Vec<i32>,
    amount: Vec<i64>,
    /// Order id codes (`NO_CODE`: no id); the text column is made from the
    /// codes once the pending rows are gone.
    order: Vec<u32>,
    line: Vec<u64>,
    /// Each kept row's customer code (renumbered later to the kept customers).
    customer: Vec<u32>,
    /// Each segment column's codes.
    segments: Vec<Vec<u32>>,
}

/// A stretch of the columns that a check writes its kept rows into.
struct ColumnsMut<'a> {
    day: &'a mut [i32],
    amount: &'a mut [i64],
    order: &'a mut [u32],
    line: &'a mut [u64],
    customer: &'a mut [u32],
    segments: Vec<&'a mut [u32]>,
}

impl Columns {
    /// Columns of `rows` zeros (pages the allocator maps untouched: only
    /// what is written becomes resident).
    fn zeroed(rows: usize, stride: usize) -> Columns {
        Columns {
            day: vec![0; rows],
            amount: vec![0; rows],
            order: vec![0; rows],
            line: vec![0; rows],
            customer: vec![0; rows],
            segments: (0..stride).map(|_| vec![0; rows]).collect(),
        }
    }

    /// The rows before `at` and those from it, to write apart.
    fn split_at_mut(&mut self, at: usize) -> (ColumnsMut<'_>, ColumnsMut<'_>) {
        let (day_a, day_b) = self.day.split_at_mut(at);
        let (amount_a, amount_b) = self.amount.split_at_mut(at);
        let (order_a, order_b) = self.order.split_at_mut(at);
        let (line_a, line_b) = self.line.split_at_mut(at);
        let (customer_a, customer_b) = self.customer.split_at_mut(at);
        let (segments_a, segments_b) = self.segments.iter_mut().map(|c| c.split_at_mut(at)).unzip();
        (
            ColumnsMut {
                day: day_a,
                amount: amount_a,
                order: order_a,
                line: line_a,
                customer: customer_a,
                segments: segments_a,
            },
            ColumnsMut {
                day: day_b,
                amount: amount_b,
                order: order_b,
                line: line_b,
                customer: customer_b,
                segments: segments_b,
            },
        )
    }

    /// Keeps the first `first` rows and the `later` rows written from row
    /// `at`, moved down to follow them.
    fn truncate_gap(&mut self, at: usize, first: usize, later: usize) {
        fn close<T: Copy>(col: &mut Vec<T>, at: usize, first: usize, later: usize) {
            if first < at {
                col.copy_within(at..at + later, first);
            }
            col.truncate(first + later);
        }
        close(&mut self.day, at, first, later);
        close(&mut self.amount, at, first, later);
        close(&mut self.order, at, first, later);
        close(&mut self.line, at, first, later);
        close(&mut self.customer, at, first, later);
        for col in &mut self.segments {
            close(col, at, first, later);
        }
    }
}

/// What the check of a stretch of the waiting rows found, beside the
/// rows it kept.
struct Found {
    /// Rows kept (written from the stretch's start).
    kept: usize,
    /// The rejected rows (no row counts: those are the read's).
    tally: Tally,
    /// The customers with a row kept: the distinct ids, for matching the
    /// feedback and tickets without another pass over every row.
    kept_customer: Vec<bool>,
    first_day: Option<Day>,
    last_day: Option<Day>,
}

impl Found {
    /// Takes in what the check of the rows that follow found.
    fn absorb(&mut self, later: Found) {
        self.kept += later.kept;
        self.tally.absorb(later.tally);
        for (mine, theirs) in self.kept_customer.iter_mut().zip(later.kept_customer) {
            *mine |= theirs;
        }
        self.first_day = self.first_day.into_iter().chain(later.first_day).min();
        self.last_day = self.last_day.into_iter().chain(later.last_day).max();
    }
}

/// The check of a stretch of the waiting rows.
struct Checked<'a> {
    out: ColumnsMut<'a>,
    found: Found,
    /// Shopify (one pass): whether each row is kept, and the lines of the
    /// rows rejected, for their line items' messages (their blocks may be
    /// gone by then).
    keep: Vec<bool>,
    rejected_lines: HashMap<usize, u64>,
}

impl<'a> Checked<'a> {
    fn new(out: ColumnsMut<'a>, customers: usize, continuation_rows: bool) -> Self {
        let rows = out.day.len();
        Checked {
            out,
            found: Found {
                kept: 0,
                tally: Tally::default(),
                kept_customer: vec![false; customers],
                first_day: None,
                last_day: None,
            },
            keep: if continuation_rows {
                vec![false; rows]
            } else {
                Vec::new()
            },
            rejected_lines: HashMap::new(),
        }
    }

    /// Settles the rows of `blocks` (the first is row `row` of the file),
    /// each block freed once its rows are in the columns; `comma` and
    /// `minus` are the side tables' entries of these rows. Returns what
    /// the check found.
    fn rows(
        mut self,
        blocks: Vec<WaitingBlock>,
        mut row: usize,
        (comma, minus): (&[i64], &[AmountCell]),
        rules: &Rules,
    ) -> Found {
        let (mut commas, mut minuses) = (comma.iter().copied(), minus.iter().copied());
        let found = &mut self.found;
        let out = &mut self.out;
        for block in blocks {
            for (r, p) in block.rows.iter().enumerate() {
                let at = row;
                row += 1;
                // Asked of every row, in order: the side tables are in row order.
                let (amount_cell, minus_cell) = p.amounts(&mut commas, &mut minuses);
                let line = u64::from(p.line);
                let verdict = match coded(p.continues).map(|f| f as usize) {
                    Some(first) if !self.keep.get(first).copied().unwrap_or(false) => {
                        let first_line = self.rejected_lines.get(&first).copied().unwrap_or(0);
                        Err(format!("line item of a rejected order ({first_line})"))
                    }
                    _ => p.settle((amount_cell, minus_cell), rules.order_by, rules.style),
                };
                let (day, mut amount) = match verdict {
                    Ok(kept) => kept,
                    Err(reason) => {
                        found.tally.reject(&reason, line);
                        if rules.continuation_rows {
                            self.rejected_lines.insert(at, line);
                        }
                        continue;
                    }
                };
                if rules.minor_units {
                    amount /= 100;
                }
                if let Some(k) = self.keep.get_mut(at) {
                    *k = true;
                }
                found.kept_customer[p.customer as usize] = true;
                found.first_day = Some(found.first_day.map_or(day, |d| d.min(day)));
                found.last_day = Some(found.last_day.map_or(day, |d| d.max(day)));
                let k = found.kept;
                found.kept += 1;
                out.customer[k] = p.customer;
                out.day[k] = day;
                out.amount[k] = amount;
                out.order[k] = p.order;
                out.line[k] = line;
                let codes = &block.codes[r * rules.stride..(r + 1) * rules.stride];
                for (col, &c) in out.segments.iter_mut().zip(codes) {
                    col[k] = c;
                }
            }
            // This block's rows are in the columns: freed before the next.
        }
        self.found
    }
}

type FirstLook<'r> = (RawStamp, AmountCell, Option<AmountCell>, &'r str);

/// A date or amount cell of `field`: the typed cell read as itself when
/// the column is read so (nothing to vote on: it is what it is), else its
/// text parsed and shown to `observe` for the file-wide votes. `Err` is
/// the reason the row is rejected.
fn read_cell<T: Copy>(
    field: &str,
    (native, text): (Option<Native>, Option<&str>),
    from_native: fn(Native) -> Option<T>,
    parse: fn(&str) -> Option<T>,
    mut observe: impl FnMut(T, &str),
) -> Result<T, String> {
    let unparseable = || format!("unparseable {field}");
    match native {
        Some(Native::None) => Err(format!("missing {field}")),
        Some(cell) => from_native(cell).ok_or_else(unparseable),
        None => {
            let text = text.ok_or_else(|| format!("missing {field}"))?;
            let value = parse(text).ok_or_else(unparseable)?;
            observe(value, text);
            Ok(value)
        }
    }
}

/// Checks the cells that can be checked row by row; `Err` is the reason.
fn first_look<'r>(
    r: &Reading,
    rec: &'r csv::StringRecord,
    cells: &[Native],
    line: u64,
    (dates, decimals): (&mut DateVotes, &mut DecimalVotes),
) -> Result<FirstLook<'r>, String> {
    let plan = r.plan;
    if let Some(reason) = plan.status.as_ref().and_then(|s| s.skip_reason(rec)) {
        return Err(reason);
    }
    let customer = r
        .customer
        .cell(rec)
        .ok_or_else(|| format!("missing {}", schema::CUSTOMER_ID))?;
    let unparseable = |field: &str| format!("unparseable {field}");
    let date = read_cell(
        schema::ORDER_DATE,
        (Reading::native(r.native_date, cells), r.date.cell(rec)),
        parse::native_stamp,
        parse::parse_datetime,
        |date, text| dates.observe(date, line, &r.date_header, text),
    )?;
    let mut amount = read_cell(
        schema::AMOUNT,
        (Reading::native(r.native_amount, cells), r.amount.cell(rec)),
        parse::native_amount,
        parse::parse_amount,
        |amount, text| decimals.observe(amount, line, &r.amount_header, text),
    )?;
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
            let m = parse::parse_amount(text).ok_or_else(|| unparseable(schema::AMOUNT))?;
            decimals.observe(m, line, &r.amount_header, text);
            Some(m)
        }
        None => None,
    };
    Ok((date, amount, minus, customer))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::data::source::Origin;

    #[test]
    fn packed_rows_give_back_their_dates_amounts_and_refunds() {
        use parse::{DateOrder, Stamp};
        let mut dates = Vec::new();
        for day in [0, 1, -1, 19_800, -719_468, 2_932_896] {
            dates.push(RawStamp::Known(Stamp::from_parts(
                day,
                43_200,
                Some(-19_800),
            )));
        }
        for (a, b) in [(1, 1), (31, 12), (12, 31), (3, 4), (30, 2)] {
            for year in [1, 2024, 9999] {
                dates.push(RawStamp::Slash {
                    a,
                    b,
                    year,
                    time_of_day: 86_399,
                    offset: Some(3_600),
                });
            }
        }
        let cells = [
            (Some(12_345_000), Some(12_345_000)),
            (Some(12_340), Some(12_340_000)),
            (Some(-5), None),
            (None, Some(i64::MIN + 1)),
            (None, None),
            (Some(i64::MAX), Some(0)),
        ];
        let mut aside = Aside::default();
        let mut rows = Vec::new();
        let mut want = Vec::new();
        for (k, date) in dates.iter().enumerate() {
            let (dot, comma) = cells[k % cells.len()];
            let amount = AmountCell { dot, comma };
            let minus = (k % 3 == 0).then_some(AmountCell {
                dot: Some(k as i64),
                comma: None,
            });
            let (day_or_year, flags, value) = Pending::packed(*date, amount, minus, &mut aside);
            rows.push(Pending {
                line: k as u32,
                customer: 0,
                order: NO_CODE,
                continues: NO_CODE,
                day_or_year,
                flags,
                amount: value,
            });
            want.push((*date, amount, minus));
        }
        let (mut commas, mut minuses) = (aside.comma.iter().copied(), aside.minus.iter().copied());
        for (p, (date, amount, minus)) in rows.iter().zip(want) {
            for order in [DateOrder::Dmy, DateOrder::Mdy] {
                assert_eq!(p.day(order), date.resolve(order).map(|s| s.day), "{date:?}");
            }
            assert_eq!(p.amounts(&mut commas, &mut minuses), (amount, minus));
        }
        assert_eq!((commas.next(), minuses.next()), (None, None));
    }

    #[test]
    fn a_file_past_u32_lines_is_refused_in_one_line() {
        assert_eq!(line32("o.csv", u64::from(u32::MAX)).unwrap(), u32::MAX);
        let err = line32("o.csv", u64::from(u32::MAX) + 1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("o.csv") && err.contains("split it into several files"),
            "{err}"
        );
    }

    fn load_split(text: &str, split: Split) -> Loaded {
        load_with(text, split, SourceOptions::default())
    }

    fn load_with(text: &str, split: Split, options: SourceOptions) -> Loaded {
        let origin = Origin::Memory(std::sync::Arc::new(text.as_bytes().to_vec()));
        let raw = RawFile::open("orders.csv", &origin, Default::default()).unwrap();
        let peek = raw.peek(3);
        let plan = crate::data::mapping::plan(
            "orders.csv",
            SourceKind::Orders,
            &raw.headers,
            &peek,
            &options,
        )
        .unwrap();
        let mut loaded = load_in(raw, &plan, &options, split).unwrap();
        loaded.as_text().unwrap();
        loaded
    }

    /// A file read in several runs at once gives the table and the report
    /// of one run: the same rows in the same order, customers and segment
    /// values coded alike, the same rejections with the same example lines,
    /// and the day/month vote from a date only the last run holds.
    #[test]
    fn a_text_without_quotes_read_in_runs_loads_as_in_one() {
        // Line ends of every kind, blank lines, short and bad rows: no quote,
        // so the runs are cut after line breaks without reading the records.
        let mut text = String::from("order_id,customer_id,order_date,amount,plan\n\n");
        for i in 0..2000u32 {
            let customer = format!("C{:04}", (i * 7919) % 401);
            let row = match i % 89 {
                3 => format!("O{i},C1,2024-13-01,5.00,pro"),
                7 => format!("O{i},{customer},2024-03-01"),
                11 => format!("O{i},,2024-03-01,5.00,pro"),
                _ => format!(
                    "O{i},{customer},2024-{:02}-03,{}.50,basic",
                    1 + i % 12,
                    i % 70
                ),
            };
            text.push_str(&row);
            text.push_str(["\n", "\r\n", "\r", "\n\n", "\r\n\r\n"][(i % 5) as usize]);
        }
        let one = load_as_one(&text, 2000);
        assert_runs_load_as_one(&text, &one, &[2, 3, 7, 64]);
    }

    /// Shopify line items look back at their order's first row, in a block
    /// of waiting rows freed before theirs (three rows a block in tests):
    /// the items of an order whose first row is rejected are rejected
    /// with that row's line.
    #[test]
    fn line_items_of_a_rejected_order_name_its_line_across_blocks() {
        let header = "Name,Email,Financial Status,Created at,Total,Lineitem quantity,Lineitem name,Lineitem price";
        let first = |id: u32, date: &str| {
            format!("#{id},c{id}@example.com,paid,{date} 09:00,45.00,1,Mug,20.00")
        };
        let item = |id: u32| format!("#{id},,,,,1,Plate,20.00");
        let mut lines = vec![header.to_string()];
        for id in 1..=4 {
            // Order 3's date is day first, the file's month first (as the
            // config says): it waits, then fails with the file's order.
            lines.push(first(id, if id == 3 { "13/01/2025" } else { "01/02/2025" }));
            lines.push(item(id));
            lines.push(item(id));
        }
        let text = lines.join("\n") + "\n";
        let options = SourceOptions {
            date_format: crate::data::parse::DateOrder::Mdy,
            ..SourceOptions::default()
        };
        let loaded = load_with(&text, Split::ONE, options);
        assert_eq!(loaded.report.rows, 12);
        assert_eq!(loaded.report.kept, 9, "{:?}", loaded.report.rejected);
        let reasons: Vec<(&str, u64)> = loaded
            .report
            .rejected
            .iter()
            .map(|(r, n)| (r.as_str(), *n))
            .collect();
        assert_eq!(
            reasons,
            [
                ("line item of a rejected order (8)", 2),
                ("unparseable order_date", 1)
            ]
        );
        assert_eq!(
            loaded.report.examples_by_reason["line item of a rejected order (8)"],
            [9, 10]
        );
    }

    /// `text` loaded in one run: `rows` records, more than 60 of them rejected.
    fn load_as_one(text: &str, rows: u64) -> Loaded {
        let one = load_split(text, Split::ONE);
        assert_eq!(one.report.rows, rows);
        assert!(
            one.report.rejected_total() > 60,
            "{:?}",
            one.report.rejected
        );
        one
    }

    /// Loading `text` in each count of runs gives `one`'s table and report.
    fn assert_runs_load_as_one(text: &str, one: &Loaded, counts: &[usize]) {
        for &pieces in counts {
            let runs = load_split(
                text,
                Split {
                    pieces,
                    min_bytes: 0,
                },
            );
            assert!(runs.frame.equals_missing(&one.frame), "{pieces} runs");
            let r = (&runs.report, &one.report);
            assert_eq!((r.0.rows, r.0.kept), (r.1.rows, r.1.kept));
            assert_eq!(r.0.rejected, r.1.rejected);
            assert_eq!(r.0.examples, r.1.examples);
            assert_eq!(r.0.examples_by_reason, r.1.examples_by_reason);
            assert_eq!(r.0.date_range, r.1.date_range);
            assert_eq!(r.0.segments, r.1.segments);
            assert_eq!(runs.customers, one.customers, "{pieces} runs");
            assert_eq!(runs.row_customers, one.row_customers, "{pieces} runs");
        }
    }

    /// The second half's kept rows move down over every row the first
    /// half rejected (none, one, all), in every column.
    #[test]
    fn the_later_halfs_rows_close_the_gap() {
        for (first, later) in [(5, 3), (4, 3), (0, 2), (5, 0), (0, 0)] {
            let mut c = Columns::zeroed(9, 1);
            let (mut a, mut b) = c.split_at_mut(5);
            for k in 0..first {
                (a.day[k], a.segments[0][k]) = (k as i32, 10 + k as u32);
            }
            for k in 0..later {
                (b.day[k], b.segments[0][k]) = (100 + k as i32, 200 + k as u32);
            }
            c.truncate_gap(5, first, later);
            let want: Vec<i32> = (0..first as i32).chain(100..100 + later as i32).collect();
            assert_eq!(c.day, want, "{first} + {later}");
            let codes: Vec<u32> = (10..10 + first as u32)
                .chain(200..200 + later as u32)
                .collect();
            assert_eq!(c.segments[0], codes);
            assert_eq!(c.line.len(), first + later);
        }
    }

    /// A WooCommerce export whose amounts read two ways ("1,234": the
    /// comma's reading waits in a side table) and whose refunds wait in
    /// another, with rejected rows: checked in two halves of its blocks
    /// (with runs), each half takes its own rows' entries of the side tables.
    #[test]
    fn rows_checked_in_two_halves_take_their_side_entries() {
        let mut text =
            String::from("order_id,customer_email,order_date,order_total,order_refund,status\n");
        for i in 0..400u32 {
            // Customers of the first rows only, and of the last rows only.
            let customer = match i {
                0..200 => format!("c{}@example.com", (i * 31) % 53),
                _ => format!("d{}@example.com", (i * 31) % 41),
            };
            // Decimal commas: "1,234" is 1.234 here, its thousands reading aside.
            let total = match i % 5 {
                0 => format!("\"{},{:03}\"", 1 + i % 9, i),
                _ => format!("\"{},{:02}\"", i % 90, i % 100),
            };
            let refund = if i % 7 == 3 {
                format!("{}", i % 4)
            } else {
                String::new()
            };
            let (date, status) = match i % 61 {
                4 => ("2024-02-30".to_string(), "completed"),
                9 => (format!("2024-03-{:02}", 1 + i % 28), "cancelled"),
                _ => (format!("2024-03-{:02}", 1 + i % 28), "completed"),
            };
            text += &format!("{i},{customer},{date},{total},{refund},{status}\n");
        }
        let one = load_split(&text, Split::ONE);
        assert_eq!(one.report.rows, 400);
        assert!(one.report.rejected_total() > 6, "{:?}", one.report.rejected);
        assert_runs_load_as_one(&text, &one, &[2, 3]);
    }

    #[test]
    fn orders_read_in_runs_load_as_in_one() {
        let mut text = String::from("order_id,customer_id,order_date,amount,plan,region\r\n");
        for i in 0..3000u32 {
            let customer = format!("C{:04}", (i * 7919) % 701);
            let plan = ["basic", "pro", "team", ""][(i % 4) as usize];
            let region = if i < 2500 { "EU" } else { "APAC" };
            // Ambiguous dates throughout; the one that settles day-first
            // (13/…) comes in the last part of the file.
            let day = if i == 2900 { 13 } else { 1 + (i * 5) % 12 };
            let date = format!("{day:02}/{:02}/2024", 1 + i % 12);
            let row = match i % 97 {
                5 => format!("O{i},,{date},10.00,{plan},{region}"),
                9 => format!("O{i},{customer},not a date,10.00,{plan},{region}"),
                13 => format!("O{i},{customer},{date}"),
                17 => format!("O{i},\"{customer}\",{date},\"1,234.50\",{plan},\"{region}\""),
                _ => format!(
                    "O{i},{customer},{date},{}.{:02},{plan},{region}",
                    i % 300,
                    i % 100
                ),
            };
            text.push_str(&row);
            text.push_str("\r\n");
        }
        let one = load_as_one(&text, 3000);
        assert_runs_load_as_one(&text, &one, &[2, 3, 7]);
        // Day first: 13/… settles it, so line 3's 06/02/2024 is 6 February.
        let days = one
            .frame
            .column(schema::ORDER_DATE)
            .unwrap()
            .i32()
            .unwrap()
            .clone();
        assert_eq!(
            days.get(1).map(crate::data::parse::format_day).as_deref(),
            Some("2024-02-06")
        );
    }
}
