//! Compact indices built once at load so that a period or filter change runs
//! over sorted per-customer arrays (binary searches, prefix sums) rather than
//! raw rows. The canonical polars tables are read column by column; rows are
//! grouped per customer with a counting sort; the rest is plain vectors.

use crate::Joined as _;
use std::collections::HashMap;
use std::hash::BuildHasher;

use polars::prelude::*;

use super::parse::Day;
use super::schema::{self, Survey};
use super::{FastHash, LoadError, NameTable};

/// A survey response.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub day: Day,
    pub score: f64,
    pub survey: Survey,
    /// The customer (index into `Index::customers`) when the id is known from orders.
    pub customer: Option<u32>,
    /// Whether the row carried a customer id at all.
    pub has_customer_id: bool,
}

/// An own median before the customer's first gap (day gaps are positive).
const NO_MEDIAN: i32 = i32::MIN;

/// Day gaps as how many there are of each length: a pooled median over ten
/// million purchases without keeping (or sorting) ten million gaps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gaps {
    /// `counts[g]`: the gaps of `g` days.
    counts: Vec<u64>,
    total: u64,
}

impl Gaps {
    /// Counts a gap of `days` (consecutive distinct days: at least 1).
    pub fn add(&mut self, days: i32) {
        let g = usize::try_from(days).unwrap_or(0);
        if g >= self.counts.len() {
            self.counts.resize(g + 1, 0);
        }
        self.counts[g] += 1;
        self.total += 1;
    }

    pub fn len(&self) -> u64 {
        self.total
    }

    /// Adds another count's gaps.
    fn merge(&mut self, other: &Gaps) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The nearest-rank `num/den` percentile (as `nearest_rank` on the
    /// sorted gaps), `None` without gaps.
    pub fn nearest_rank(&self, num: u64, den: u64) -> Option<i32> {
        if self.total == 0 {
            return None;
        }
        let rank = (num * self.total).div_ceil(den).max(1);
        let mut seen = 0;
        self.counts
            .iter()
            .position(|&c| {
                seen += c;
                seen >= rank
            })
            .and_then(|g| i32::try_from(g).ok())
    }

    /// The store's part: the counts.
    pub(super) fn counts(&self) -> &[u64] {
        &self.counts
    }

    pub(super) fn from_counts(counts: Vec<u64>) -> Option<Gaps> {
        let total = counts.iter().try_fold(0u64, |t, &c| t.checked_add(c))?;
        Some(Gaps { counts, total })
    }
}

/// A list of texts (or none) in one string: no allocation per text, where
/// there are millions (customer ids, survey comments).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Texts {
    text: String,
    /// Where each text ends in `text`; `NO_TEXT` set: none.
    ends: Vec<u64>,
}

/// Marks an entry without a text in `Texts::ends`.
const NO_TEXT: u64 = 1 << 63;

impl Texts {
    /// Appends the next text.
    pub fn push(&mut self, text: Option<&str>) {
        self.text.push_str(text.unwrap_or(""));
        let end = self.text.len() as u64;
        self.ends
            .push(if text.is_some() { end } else { end | NO_TEXT });
    }

    /// Entry `i`'s text.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        if end & NO_TEXT != 0 {
            return None;
        }
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p] & !NO_TEXT);
        self.text.get(start as usize..end as usize)
    }

    /// Every entry's text, in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.ends.len()).map(|i| self.get(i))
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Room for `n` more texts of `bytes` bytes together.
    pub fn reserve(&mut self, n: usize, bytes: usize) {
        self.ends.reserve_exact(n);
        self.text.reserve_exact(bytes);
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The parts the store writes: the text and the ends.
    pub(super) fn parts(&self) -> (&str, &[u64]) {
        (&self.text, &self.ends)
    }

    /// From the store's parts, when they fit together: every end within the
    /// text, none before the one it follows, each on a character boundary.
    pub(super) fn from_parts(text: String, ends: Vec<u64>) -> Option<Texts> {
        let mut at = 0u64;
        for &e in &ends {
            let end = e & !NO_TEXT;
            if end < at || end > text.len() as u64 || !text.is_char_boundary(end as usize) {
                return None;
            }
            if e & NO_TEXT != 0 && end != at {
                return None;
            }
            at = end;
        }
        (at == text.len() as u64).then_some(Texts { text, ends })
    }
}

/// A ticket's satisfaction rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rating {
    Good,
    Bad,
    Score(u8),
}

impl Rating {
    pub fn satisfied(self) -> bool {
        match self {
            Rating::Good => true,
            Rating::Bad => false,
            Rating::Score(s) => s >= 4,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ticket {
    pub id: String,
    /// Instants in seconds since the epoch.
    pub created: i64,
    pub created_day: Day,
    pub first_response: Option<i64>,
    pub solved: Option<i64>,
    pub solved_day: Option<Day>,
    pub customer: Option<u32>,
    pub has_customer_id: bool,
    /// Index into `Index::categories`.
    pub category: Option<u32>,
    pub rating: Option<Rating>,
}

/// A segment column of the orders: each customer's value (from their first purchase row).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Segment {
    pub name: String,
    pub values: Vec<String>,
    pub of_customer: Vec<Option<u32>>,
}

/// Row-level segment values of a feedback or tickets file, for rows without a customer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowSegments {
    pub columns: HashMap<String, RowSegment>,
}

/// One segment column of a file's rows, coded: `codes[row]` indexes `values`
/// (`NO_VALUE` when the row has none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowSegment {
    pub values: Vec<String>,
    pub codes: Vec<u32>,
}

impl RowSegment {
    pub const NO_VALUE: u32 = u32::MAX;

    /// The code of `value`, if any row carries it.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        self.values
            .iter()
            .position(|v| v == value)
            .map(|i| i as u32)
    }

    /// The same rows in another order: `order[k]` is the row that goes k-th.
    fn reordered(&self, order: &[usize]) -> RowSegment {
        RowSegment {
            values: self.values.clone(),
            codes: order.iter().map(|&i| self.codes[i]).collect(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Index {
    /// Customer ids, in order of first appearance in the orders.
    pub(super) customers: Texts,
    /// Customer index by id, built when first asked for (see `customer_index`).
    pub(super) customer_of: std::sync::OnceLock<HashMap<String, u32, FastHash>>,
    /// Distinct purchase days per customer (CSR: `pdays[pday_start[c]..pday_start[c + 1]]`).
    pub(super) pday_start: Vec<u32>,
    pub(super) pdays: Vec<Day>,
    /// Orders of purchase rows per customer: (day, order key), one entry per order and day, by day.
    pub(super) ord_start: Vec<u32>,
    pub(super) ord_days: Vec<Day>,
    pub(super) ord_keys: Vec<u32>,
    /// Whether a customer has an order whose purchase rows fall on several days.
    pub(super) multi_day: Vec<bool>,
    /// All rows (refunds included) per customer by day, with running sums of amounts.
    pub(super) row_start: Vec<u32>,
    pub(super) row_days: Vec<Day>,
    /// `row_cum[i]` = sum of amounts of the customer's rows up to and including `i`.
    pub(super) row_cum: Vec<i64>,
    /// First purchase day; `None` for customers with refunds only.
    pub(super) first_day: Vec<Option<Day>>,
    pub(super) segments: Vec<Segment>,
    /// The latest purchase date in all loaded orders.
    pub(super) last_purchase_day: Option<Day>,
    pub(super) first_row_day: Option<Day>,
    pub(super) last_row_day: Option<Day>,
    /// The latest instant (seconds since the epoch) any loaded file holds: ticket
    /// events, and the end of the last order or response day.
    pub(super) last_instant: Option<i64>,
    /// Day gaps between consecutive distinct purchase dates, pooled over customers.
    pub(super) gaps: Gaps,
    /// Median own gap after each purchase day: `own_median[pday_start[c] + k]` is the median
    /// of the customer's first k gaps (meaningful for k ≥ 2).
    pub(super) own_median: Vec<i32>,
    /// The survey responses' part.
    pub(super) feedback: FeedbackPart,
    /// The support tickets' part.
    pub(super) support: TicketPart,
}

/// The index's survey responses: built beside the orders' part (on a
/// thread of its own) and stored as one part of the index cache.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeedbackPart {
    pub(super) responses: Vec<Response>,
    /// The responses' comments, by response.
    pub(super) comments: Texts,
    /// The same responses' day, score and survey as compact columns, for scans.
    pub(super) response_day: Vec<Day>,
    pub(super) response_score: Vec<f64>,
    pub(super) response_survey: Vec<Survey>,
    /// Comment words of each response (lower case, letters only, 3+ letters, no stop words).
    pub(super) word_start: Vec<u32>,
    pub(super) words: Vec<u32>,
    pub(super) vocabulary: Vec<String>,
    /// Per customer, their NPS answers (day, score) by day (CSR over customers).
    pub(super) nps_start: Vec<u32>,
    pub(super) nps_answers: Vec<(Day, f64)>,
    pub(super) response_segments: RowSegments,
    pub(super) has_feedback: bool,
}

/// The index's support tickets (see `FeedbackPart`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TicketPart {
    /// Tickets sorted by creation.
    pub(super) tickets: Vec<Ticket>,
    /// Ticket categories (topics, tags, forms).
    pub(super) categories: Vec<String>,
    /// Indices of solved tickets, sorted by their solved day.
    pub(super) solved_order: Vec<u32>,
    /// Per customer, the indices of their tickets (CSR over customers).
    pub(super) ticket_start: Vec<u32>,
    pub(super) customer_tickets: Vec<u32>,
    pub(super) ticket_segments: RowSegments,
    pub(super) has_tickets: bool,
}

fn err(e: PolarsError) -> LoadError {
    LoadError::Invalid {
        file: "(index)".into(),
        message: format!("internal error indexing the data: {e}"),
    }
}

/// A text column as polars holds it (no String per row), for sequential reads.
/// The orders' customers by id, which the feedback's and tickets' parts of
/// the index code their rows' customers by.
#[derive(Clone, Copy)]
struct OrderCodes<'a> {
    table: &'a NameTable,
    names: TableNames<'a>,
    /// The index's customers.
    count: usize,
}

/// The names an `OrderCodes` table codes.
#[derive(Clone, Copy)]
enum TableNames<'a> {
    /// The index's customers, by code.
    Index(&'a [&'a str]),
    /// The loader's list, with each one's code in the index.
    Loader { list: &'a [String], code: &'a [u32] },
}

impl OrderCodes<'_> {
    fn count(&self) -> usize {
        self.count
    }

    /// Each row's customer code (`None`: no id, or no orders).
    fn of_rows(&self, ids: &StringChunked) -> Vec<Option<u32>> {
        match self.names {
            TableNames::Index(names) => self.table.get_all(names, ids.iter()),
            TableNames::Loader { list, code } => self
                .table
                .get_all(list, ids.iter())
                .into_iter()
                .map(|c| code.get(c? as usize).copied().filter(|&c| c != u32::MAX))
                .collect(),
        }
    }
}

/// An orders file's customers as its loader coded them: each row's place
/// in `list` (the distinct ids), and the table of the list when one was
/// built for matching the feedback and tickets.
#[derive(Clone, Copy)]
pub struct LoaderCodes<'a> {
    pub rows: &'a [u32],
    pub list: &'a [String],
    pub table: Option<&'a NameTable>,
}

/// Customers from which their part of the index is built in stretches
/// that a second thread can share (`index_customers`).
const SPLIT_FROM_CUSTOMERS: usize = if cfg!(test) { 4 } else { 100_000 };
/// Stretches of about equal rows the customers are indexed in.
const STRETCHES: usize = 32;

/// Customers `groups`, with their rows' amounts starting at row `base`.
type Stretch<'a> = (std::ops::Range<usize>, &'a mut [i64], usize);

/// The customers cut into up to `count` stretches of about equal rows
/// (`group_start`: each customer's first row, and the row count last),
/// each with its part of `amounts`.
fn stretches<'a>(
    group_start: &[usize],
    amounts: &'a mut [i64],
    count: usize,
) -> std::collections::VecDeque<Stretch<'a>> {
    let m = group_start.len() - 1;
    let n = group_start[m];
    let mut cuts: Vec<usize> = (1..count.max(1))
        .map(|i| group_start.partition_point(|&r| r < n * i / count).min(m))
        .collect();
    cuts.push(m);
    cuts.dedup();
    let mut out = std::collections::VecDeque::with_capacity(cuts.len());
    let (mut from, mut rest) = (0, amounts);
    for to in cuts {
        if to == from {
            continue;
        }
        let (here, later) =
            std::mem::take(&mut rest).split_at_mut(group_start[to] - group_start[from]);
        out.push_back((from..to, here, group_start[from]));
        (from, rest) = (to, later);
    }
    out
}

/// When a second thread is free to help: the feedback's and tickets' parts
/// are counted down as they end, and the stretches close when the first
/// thread has taken the last one.
struct Gate {
    state: std::sync::Mutex<(usize, bool)>,
    changed: std::sync::Condvar,
}

impl Gate {
    fn pending(parts: usize) -> Gate {
        Gate {
            state: std::sync::Mutex::new((parts, false)),
            changed: std::sync::Condvar::new(),
        }
    }

    fn update(&self, change: impl FnOnce(&mut (usize, bool))) {
        if let Ok(mut state) = self.state.lock() {
            change(&mut state);
        }
        self.changed.notify_all();
    }

    /// Counts a part as ended when dropped (also by a panic).
    fn part(&self) -> impl Drop + '_ {
        OnDrop(self, |g: &Gate| g.update(|s| s.0 = s.0.saturating_sub(1)))
    }

    /// Closes the stretches when dropped (also by a panic): no stretch is
    /// left to take.
    fn closing(&self) -> impl Drop + '_ {
        OnDrop(self, |g: &Gate| g.update(|s| s.1 = true))
    }

    /// Whether every part has ended, without waiting.
    fn ended(&self) -> bool {
        self.state.lock().is_ok_and(|state| state.0 == 0)
    }

    /// Waits until every part has ended (true) or the stretches are closed
    /// (false).
    fn free(&self) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        while state.0 > 0 && !state.1 {
            match self.changed.wait(state) {
                Ok(s) => state = s,
                Err(_) => return false,
            }
        }
        !state.1
    }
}

/// Runs its function on its gate when dropped.
struct OnDrop<'a>(&'a Gate, fn(&Gate));

impl Drop for OnDrop<'_> {
    fn drop(&mut self) {
        (self.1)(self.0);
    }
}

/// The customers' part of the index over `stretches`: this thread takes
/// them from the front into lists sized for every customer (`rows`, `m`);
/// a helper, once `gate` says the other core is free (at once with the
/// orders alone; else when the feedback's and tickets' parts end), takes
/// them from the back into lists of its own, appended at the end. So the
/// second core joins in as soon as it is free, and the helper's lists are
/// made only after the feedback and tickets have let theirs go. The
/// result is that of one pass, however the stretches were shared.
fn index_customers(
    at: &CustomerRowsIn,
    stretches: std::collections::VecDeque<Stretch>,
    rows: usize,
    m: usize,
    gate: &Gate,
) -> CustomerRows {
    let queue = std::sync::Mutex::new(stretches);
    let take = |front: bool| {
        let mut q = queue.lock().ok()?;
        if front { q.pop_front() } else { q.pop_back() }
    };
    let (mut first, later) = std::thread::scope(|scope| {
        let helper = scope.spawn(|| {
            let mut done = Vec::new();
            if gate.free() {
                while let Some((groups, amounts, base)) = take(false) {
                    let mut out = CustomerRows::with_capacity(amounts.len(), groups.len());
                    out.index(at, groups, amounts, base);
                    done.push(out);
                }
            }
            done
        });
        let closing = gate.closing();
        let mut out = CustomerRows::with_capacity(rows, m);
        while let Some((groups, amounts, base)) = take(true) {
            out.index(at, groups, amounts, base);
        }
        drop(closing);
        (out, helper.joined())
    });
    for later in later.into_iter().rev() {
        first.append(later);
    }
    first
}

/// What every stretch of customers is indexed from (rows in customer order).
struct CustomerRowsIn<'a> {
    group_start: &'a [usize],
    perm: &'a [u32],
    days: &'a [Day],
    order_hash: &'a [u64],
    order_ids: &'a StringChunked,
    first_purchase: &'a [Option<usize>],
}

/// The orders' part of the index for a stretch of customers: their
/// distinct purchase days, running median gaps, (day, order) pairs, and
/// where each customer's start (CSR, from 0 for the stretch).
#[derive(Debug, PartialEq)]
struct CustomerRows {
    pdays: Vec<Day>,
    pday_start: Vec<u32>,
    own_median: Vec<i32>,
    ord_days: Vec<Day>,
    ord_keys: Vec<u32>,
    ord_start: Vec<u32>,
    multi_day: Vec<bool>,
    first_day: Vec<Option<Day>>,
    gaps: Gaps,
}

impl CustomerRows {
    fn with_capacity(rows: usize, customers: usize) -> CustomerRows {
        let mut starts = Vec::with_capacity(customers + 1);
        starts.push(0);
        CustomerRows {
            pdays: Vec::with_capacity(rows),
            pday_start: starts.clone(),
            own_median: Vec::with_capacity(rows),
            ord_days: Vec::with_capacity(rows),
            ord_keys: Vec::with_capacity(rows),
            ord_start: starts,
            multi_day: Vec::with_capacity(customers),
            first_day: Vec::with_capacity(customers),
            gaps: Gaps::default(),
        }
    }

    /// Indexes customers `groups`, whose rows' amounts (from row `base`)
    /// become running totals in place.
    fn index(
        &mut self,
        at: &CustomerRowsIn,
        groups: std::ops::Range<usize>,
        amounts: &mut [i64],
        base: usize,
    ) {
        let CustomerRowsIn {
            group_start,
            perm,
            days,
            order_hash,
            order_ids,
            first_purchase,
        } = *at;
        // Order ids only need to be told apart within a customer: keys are local.
        let mut local_orders: Vec<(u64, u32)> = Vec::new();
        let mut many_orders: HashMap<&str, u32, FastHash> = HashMap::default();
        // Each customer's (day, order) pairs, order keys and sorted gaps:
        // buffers reused from one customer to the next.
        let mut entries: Vec<(Day, u32)> = Vec::new();
        let mut keys: Vec<u32> = Vec::new();
        let mut sorted: Vec<i32> = Vec::new();
        for g in groups {
            let (i, j) = (group_start[g], group_start[g + 1]);
            let pstart = self.pdays.len();
            let mut running = 0i64;
            local_orders.clear();
            many_orders.clear();
            let mut unnamed: u32 = 0;
            entries.clear();
            for k in i..j {
                let amount = amounts[k - base];
                running += amount;
                amounts[k - base] = running;
                if amount < 0 {
                    continue;
                }
                if self.pdays.len() == pstart || self.pdays.last() != Some(&days[k]) {
                    self.pdays.push(days[k]);
                }
                // Rows without an order id are one order each: keys from the top down.
                let row = perm[k];
                let h = order_hash[k];
                let id_of = |r: u32| order_ids.get(r as usize).unwrap_or("");
                let key = if h == 0 {
                    unnamed += 1;
                    u32::MAX - unnamed
                } else if local_orders.len() < 64 {
                    let same = local_orders
                        .iter()
                        .position(|&(oh, r)| oh == h && id_of(r) == id_of(row));
                    match same {
                        Some(p) => p as u32,
                        None => {
                            local_orders.push((h, row));
                            if local_orders.len() == 64 {
                                many_orders.extend(
                                    local_orders
                                        .iter()
                                        .enumerate()
                                        .map(|(i, &(_, r))| (id_of(r), i as u32)),
                                );
                            }
                            local_orders.len() as u32 - 1
                        }
                    }
                } else {
                    let next = many_orders.len() as u32;
                    *many_orders.entry(id_of(row)).or_insert(next)
                };
                entries.push((days[k], key));
            }
            entries.sort_unstable();
            entries.dedup();
            keys.clear();
            keys.extend(entries.iter().map(|e| e.1));
            keys.sort_unstable();
            let distinct = {
                keys.dedup();
                keys.len()
            };
            self.multi_day.push(distinct != entries.len());
            for &(d, k) in &entries {
                self.ord_days.push(d);
                self.ord_keys.push(k);
            }
            self.first_day.push(first_purchase[g].map(|k| days[k]));
            let pd = &self.pdays[pstart..];
            sorted.clear();
            for k in 0..pd.len() {
                if k > 0 {
                    let g = pd[k] - pd[k - 1];
                    self.gaps.add(g);
                    let at = sorted.partition_point(|&x| x < g);
                    sorted.insert(at, g);
                }
                // Nearest-rank median of the first k gaps.
                let m = if sorted.is_empty() {
                    NO_MEDIAN
                } else {
                    sorted[sorted.len().div_ceil(2) - 1]
                };
                self.own_median.push(m);
            }
            self.pday_start.push(self.pdays.len() as u32);
            self.ord_start.push(self.ord_days.len() as u32);
        }
    }

    /// Appends the stretch of customers that follows this one.
    fn append(&mut self, later: CustomerRows) {
        let (p, o) = (self.pdays.len() as u32, self.ord_days.len() as u32);
        self.pday_start
            .extend(later.pday_start[1..].iter().map(|s| s + p));
        self.ord_start
            .extend(later.ord_start[1..].iter().map(|s| s + o));
        self.pdays.extend(later.pdays);
        self.own_median.extend(later.own_median);
        self.ord_days.extend(later.ord_days);
        self.ord_keys.extend(later.ord_keys);
        self.multi_day.extend(later.multi_day);
        self.first_day.extend(later.first_day);
        self.gaps.merge(&later.gaps);
    }
}

fn str_column(df: &DataFrame, col: &str) -> Result<StringChunked, LoadError> {
    Ok(df.column(col).map_err(err)?.str().map_err(err)?.clone())
}

/// A text column in one piece, for reads by row number in constant time.
/// Rows' codes, the ids in code order, and the code of each id.
type Coded<'a> = (Vec<u32>, Vec<&'a str>);

/// Each row's id coded by first appearance (the first id seen is 0; no id
/// reads as ""), with the ids in code order; in parts on every core for a
/// large table.
fn first_appearance(ids: &StringChunked) -> Coded<'_> {
    let parts = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(8)
        .min(ids.len() / 500_000 + 1);
    first_appearance_in(ids, parts)
}

/// The rows coded in `parts` on threads of their own, then the later parts'
/// ids taken in, part by part: the codes one pass over all the rows gives.
fn first_appearance_in(ids: &StringChunked, parts: usize) -> Coded<'_> {
    let n = ids.len();
    let chunks: Vec<_> = ids.downcast_iter().collect();
    if parts < 2 || chunks.len() != 1 {
        return code_rows(ids.iter());
    }
    let array = chunks[0];
    let part = |k: usize| {
        let (from, to) = (n * k / parts, n * (k + 1) / parts);
        code_rows((from..to).map(|i| array.get(i)))
    };
    let mut coded = std::thread::scope(|scope| {
        let later: Vec<_> = (1..parts).map(|k| scope.spawn(move || part(k))).collect();
        let mut all = vec![part(0)];
        all.extend(later.into_iter().map(|h| h.joined()));
        all
    })
    .into_iter();
    let Some((mut codes, mut names)) = coded.next() else {
        return (Vec::new(), Vec::new());
    };
    let mut code_of: HashMap<&str, u32, FastHash> = HashMap::default();
    code_of.extend(names.iter().enumerate().map(|(i, &n)| (n, i as u32)));
    codes.reserve(n - codes.len());
    for (part_codes, part_names) in coded {
        let here: Vec<u32> = part_names
            .into_iter()
            .map(|id| code_id(id, &mut names, &mut code_of))
            .collect();
        codes.extend(part_codes.into_iter().map(|c| here[c as usize]));
    }
    (codes, names)
}

/// The rows grouped by customer with a stable counting sort: where each
/// customer's rows start (and the row count last), and the rows in
/// customer order.
fn group_rows(codes: &[u32], customers: usize) -> (Vec<usize>, Vec<u32>) {
    let mut group_start = vec![0usize; customers + 1];
    for &c in codes {
        group_start[c as usize + 1] += 1;
    }
    for g in 0..customers {
        group_start[g + 1] += group_start[g];
    }
    let mut perm = vec![0u32; codes.len()];
    let mut next = group_start.clone();
    for (row, &c) in codes.iter().enumerate() {
        perm[next[c as usize]] = row as u32;
        next[c as usize] += 1;
    }
    (group_start, perm)
}

/// Runs `first` here and `later` on a thread of its own beside it when
/// `apart`, else after it.
fn beside(apart: bool, first: impl FnOnce() + Send, later: impl FnOnce() + Send) {
    std::thread::scope(|s| {
        if apart {
            s.spawn(later);
            first();
        } else {
            first();
            later();
        }
    });
}

/// Each row's order id hashed (0: no id), in two halves of the rows, side
/// by side when `apart`.
fn order_hashes(order_ids: &StringChunked, apart: bool) -> Vec<u64> {
    let n = order_ids.len();
    let mut out = vec![0u64; n];
    let (a, b) = out.split_at_mut(n / 2);
    let fill = |from: usize, out: &mut [u64]| {
        let hasher = FastHash::default();
        let ids = order_ids.slice(from as i64, out.len());
        for (o, h) in ids.iter().zip(out.iter_mut()) {
            *h = o.map_or(0, |o| hasher.hash_one(o).max(1));
        }
    };
    beside(apart, || fill(0, a), || fill(n / 2, b));
    out
}

/// Rows coded by index into `list` (the distinct ids) recoded by first
/// appearance: the codes `first_appearance` gives the rows' ids, without
/// hashing a row's id. `None` when a row's index is outside the list.
fn recode_first_appearance<'a>(rows: &[u32], list: &'a [String]) -> Option<Recoded<'a>> {
    let mut new_code = vec![u32::MAX; list.len()];
    let mut names: Vec<&'a str> = Vec::with_capacity(list.len());
    let mut codes = Vec::with_capacity(rows.len());
    for &c in rows {
        let slot = new_code.get_mut(c as usize)?;
        if *slot == u32::MAX {
            *slot = names.len() as u32;
            names.push(list[c as usize].as_str());
        }
        codes.push(*slot);
    }
    Some(((codes, names), new_code))
}

/// Rows recoded by first appearance, with each listed id's new code
/// (`u32::MAX` for one no row has).
type Recoded<'a> = (Coded<'a>, Vec<u32>);

/// Rows' ids coded by first appearance in these rows alone.
fn code_rows<'a>(rows: impl Iterator<Item = Option<&'a str>>) -> Coded<'a> {
    let (mut names, mut code_of) = (Vec::new(), HashMap::default());
    let codes = rows
        .map(|id| code_id(id.unwrap_or(""), &mut names, &mut code_of))
        .collect();
    (codes, names)
}

/// The code of `id`, a new one (the next) the first time it comes.
fn code_id<'a>(
    id: &'a str,
    names: &mut Vec<&'a str>,
    code_of: &mut HashMap<&'a str, u32, FastHash>,
) -> u32 {
    *code_of.entry(id).or_insert_with(|| {
        names.push(id);
        names.len() as u32 - 1
    })
}

/// Items grouped by customer, each customer's in the order given (CSR:
/// customer `c`'s are `items[start[c]..start[c + 1]]`), by a counting sort
/// over two passes of `items()`: no list per customer.
fn by_customer<T: Copy + Default, I: Iterator<Item = (u32, T)>>(
    customers: usize,
    items: impl Fn() -> I,
) -> (Vec<u32>, Vec<T>) {
    let mut start = vec![0u32; customers + 1];
    for (c, _) in items() {
        start[c as usize + 1] += 1;
    }
    for c in 0..customers {
        start[c + 1] += start[c];
    }
    let mut next = start[..customers].to_vec();
    let mut out = vec![T::default(); start[customers] as usize];
    for (c, item) in items() {
        let at = &mut next[c as usize];
        out[*at as usize] = item;
        *at += 1;
    }
    (start, out)
}

fn str_rows(df: &DataFrame, col: &str) -> Result<StringChunked, LoadError> {
    Ok(str_column(df, col)?.rechunk().into_owned())
}

fn i32s(df: &DataFrame, col: &str) -> Result<Int32Chunked, LoadError> {
    Ok(df
        .column(col)
        .map_err(err)?
        .i32()
        .map_err(err)?
        .rechunk()
        .into_owned())
}

fn i64s(df: &DataFrame, col: &str) -> Result<Int64Chunked, LoadError> {
    Ok(df
        .column(col)
        .map_err(err)?
        .i64()
        .map_err(err)?
        .rechunk()
        .into_owned())
}

fn f64s(df: &DataFrame, col: &str) -> Result<Float64Chunked, LoadError> {
    Ok(df
        .column(col)
        .map_err(err)?
        .f64()
        .map_err(err)?
        .rechunk()
        .into_owned())
}

fn segment_columns(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .filter_map(|n| n.strip_prefix(schema::SEGMENT_PREFIX).map(String::from))
        .collect()
}

fn row_segments(df: &DataFrame) -> Result<RowSegments, LoadError> {
    let mut columns = HashMap::new();
    for name in segment_columns(df) {
        let col = str_column(df, &format!("{}{}", schema::SEGMENT_PREFIX, name))?;
        let mut seg = RowSegment {
            values: Vec::new(),
            codes: Vec::with_capacity(col.len()),
        };
        let mut code_of: HashMap<&str, u32, FastHash> = HashMap::default();
        for v in col.iter() {
            seg.codes.push(v.map_or(RowSegment::NO_VALUE, |v| {
                *code_of.entry(v).or_insert_with(|| {
                    seg.values.push(v.to_string());
                    seg.values.len() as u32 - 1
                })
            }));
        }
        columns.insert(name, seg);
    }
    Ok(RowSegments { columns })
}

impl Index {
    /// The index of the customer with this id (the map is built on first use:
    /// an index read back from the cache does not pay for it up front).
    pub fn customer_index(&self, id: &str) -> Option<u32> {
        self.customer_of
            .get_or_init(|| {
                let mut map =
                    HashMap::with_capacity_and_hasher(self.customers.len(), FastHash::default());
                for (i, c) in self.customers.iter().enumerate() {
                    map.insert(c.unwrap_or_default().to_string(), i as u32);
                }
                map
            })
            .get(id)
            .copied()
    }

    // Read access for the engine: the fields stay the data layer's own.

    pub fn customers(&self) -> &Texts {
        &self.customers
    }

    /// Customer `c`'s id.
    pub fn customer_id(&self, c: usize) -> &str {
        self.customers.get(c).unwrap_or_default()
    }

    pub fn multi_day(&self) -> &[bool] {
        &self.multi_day
    }

    pub fn row_start(&self) -> &[u32] {
        &self.row_start
    }

    pub fn row_days(&self) -> &[Day] {
        &self.row_days
    }

    pub fn row_cum(&self) -> &[i64] {
        &self.row_cum
    }

    pub fn first_day(&self) -> &[Option<Day>] {
        &self.first_day
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn last_purchase_day(&self) -> Option<Day> {
        self.last_purchase_day
    }

    pub fn first_row_day(&self) -> Option<Day> {
        self.first_row_day
    }

    pub fn last_row_day(&self) -> Option<Day> {
        self.last_row_day
    }

    pub fn last_instant(&self) -> Option<i64> {
        self.last_instant
    }

    pub fn gaps(&self) -> &Gaps {
        &self.gaps
    }

    pub fn responses(&self) -> &[Response] {
        &self.feedback.responses
    }

    /// The comment of response `i`.
    pub fn comment(&self, i: usize) -> Option<&str> {
        self.feedback.comments.get(i)
    }

    pub fn response_day(&self) -> &[Day] {
        &self.feedback.response_day
    }

    pub fn response_score(&self) -> &[f64] {
        &self.feedback.response_score
    }

    pub fn response_survey(&self) -> &[Survey] {
        &self.feedback.response_survey
    }

    pub fn words(&self) -> &[u32] {
        &self.feedback.words
    }

    pub fn vocabulary(&self) -> &[String] {
        &self.feedback.vocabulary
    }

    pub fn response_segments(&self) -> &RowSegments {
        &self.feedback.response_segments
    }

    pub fn has_feedback(&self) -> bool {
        self.feedback.has_feedback
    }

    pub fn tickets(&self) -> &[Ticket] {
        &self.support.tickets
    }

    pub fn categories(&self) -> &[String] {
        &self.support.categories
    }

    pub fn solved_order(&self) -> &[u32] {
        &self.support.solved_order
    }

    pub fn ticket_segments(&self) -> &RowSegments {
        &self.support.ticket_segments
    }

    pub fn has_tickets(&self) -> bool {
        self.support.has_tickets
    }

    /// The index with what may legitimately differ between a fresh build and a
    /// reopened store made equal (tests compare the two): the lazily built id
    /// map is built.
    #[doc(hidden)]
    pub fn comparable(&self) -> Index {
        let ix = self.clone();
        ix.customer_index("");
        ix
    }

    pub fn customer_count(&self) -> usize {
        self.customers.len()
    }

    /// The median of customer `c`'s first `k` own gaps (`None` before a
    /// first gap; meaningful for k ≥ 2).
    pub fn own_median(&self, c: usize, k: usize) -> Option<f64> {
        let m = self.own_median[self.pday_start[c] as usize + k];
        (m != NO_MEDIAN).then(|| f64::from(m))
    }

    pub fn nps_of(&self, c: usize) -> &[(Day, f64)] {
        self.feedback.nps_start.get(c + 1).map_or(&[], |&e| {
            &self.feedback.nps_answers[self.feedback.nps_start[c] as usize..e as usize]
        })
    }

    pub fn tickets_of(&self, c: usize) -> &[u32] {
        self.support.ticket_start.get(c + 1).map_or(&[], |&e| {
            &self.support.customer_tickets[self.support.ticket_start[c] as usize..e as usize]
        })
    }

    /// The customer's latest NPS answer dated before `e`.
    pub fn last_nps_before(&self, c: usize, e: Day) -> Option<f64> {
        let nps = self.nps_of(c);
        nps[..nps.partition_point(|(d, _)| *d < e)]
            .last()
            .map(|(_, s)| *s)
    }

    /// The customer's tickets open at the start of day `e`: created before
    /// it and not solved before it.
    pub fn open_tickets_on(&self, c: usize, e: Day) -> u64 {
        self.tickets_of(c)
            .iter()
            .filter(|&&t| {
                let t = &self.support.tickets[t as usize];
                t.created_day < e && t.solved_day.is_none_or(|d| d >= e)
            })
            .count() as u64
    }

    pub fn words_of(&self, response: usize) -> &[u32] {
        &self.feedback.words[self.feedback.word_start[response] as usize
            ..self.feedback.word_start[response + 1] as usize]
    }

    pub fn pdays(&self, c: usize) -> &[Day] {
        &self.pdays[self.pday_start[c] as usize..self.pday_start[c + 1] as usize]
    }

    pub fn orders_of(&self, c: usize) -> (&[Day], &[u32]) {
        let r = self.ord_start[c] as usize..self.ord_start[c + 1] as usize;
        (&self.ord_days[r.clone()], &self.ord_keys[r])
    }

    /// Sum of the customer's amounts (refunds included) dated in [from, to).
    pub fn revenue(&self, c: usize, from: Day, to: Day) -> i64 {
        let (a, b) = (self.row_start[c] as usize, self.row_start[c + 1] as usize);
        let days = &self.row_days[a..b];
        let lo = days.partition_point(|&d| d < from);
        let hi = days.partition_point(|&d| d < to);
        let cum = |i: usize| if i == 0 { 0 } else { self.row_cum[a + i - 1] };
        cum(hi) - cum(lo)
    }

    /// Builds the index from the canonical tables.
    pub fn build(
        orders: &DataFrame,
        feedback: Option<&DataFrame>,
        tickets: Option<&DataFrame>,
    ) -> Result<Index, LoadError> {
        Index::build_coded(
            orders.clone(),
            None,
            &Vec::new(),
            feedback.cloned(),
            tickets.cloned(),
        )
    }

    /// Like [`Index::build`], with the orders' customers already coded when
    /// `coded` is given: each row's index into a list of the distinct ids
    /// (the loader's), so no row's id is hashed again.
    /// The orders table is taken: each column is let go as soon as it is
    /// read (at ten million rows they weigh about a gigabyte together).
    pub fn build_coded(
        mut orders: DataFrame,
        coded: Option<LoaderCodes>,
        segment_values: &super::SegmentValues,
        feedback: Option<DataFrame>,
        tickets: Option<DataFrame>,
    ) -> Result<Index, LoadError> {
        let step = super::trace;
        // Rows grouped by customer (customers coded in order of first appearance)
        // with a stable counting sort, then each customer's rows by day: the
        // file order is kept among rows of the same day.
        // The day and amount columns are read in place (the loader's lists,
        // taken as the columns' buffers), not copied out: they go with the
        // gather below.
        let days_ca = i32s(&orders, schema::ORDER_DATE)?;
        let amounts_ca = i64s(&orders, schema::AMOUNT)?;
        let cust;
        let coded = coded.filter(|c| c.rows.len() == orders.height());
        let recoded = coded.and_then(|c| recode_first_appearance(c.rows, c.list));
        let ((codes, names), new_code) = match recoded {
            Some(c) => c,
            None => {
                cust = str_rows(&orders, schema::CUSTOMER_ID)?;
                (first_appearance(&cust), Vec::new())
            }
        };
        for read in [
            schema::ORDER_DATE,
            schema::AMOUNT,
            schema::CUSTOMER_ID,
            schema::LINE,
        ] {
            // Held above (or never read, the line numbers).
            let _ = orders.drop_in_place(read);
        }
        // The feedback and tickets need only the customers' codes by id:
        // each is indexed on a thread of its own while the orders are (on
        // two cores the orders' part ends first, and the tickets then take
        // its core).
        step("orders recoded");
        // The feedback's and tickets' customers are looked up in the
        // loader's table when matching built one, else in one built here.
        let alone = feedback.is_none() && tickets.is_none();
        let own_table;
        let customers = match coded.and_then(|c| Some((c.table?, c.list))) {
            Some((table, list)) if !new_code.is_empty() => OrderCodes {
                table,
                names: TableNames::Loader {
                    list,
                    code: &new_code,
                },
                count: names.len(),
            },
            _ => {
                own_table = if alone {
                    NameTable::default()
                } else {
                    NameTable::of(names.as_slice(), names.len())
                };
                OrderCodes {
                    table: &own_table,
                    names: TableNames::Index(&names),
                    count: names.len(),
                }
            }
        };
        step("customer table");
        // Counts the feedback's and tickets' parts down as they end: the
        // orders' customers are then shared with the core they free.
        let gate = Gate::pending(2);
        std::thread::scope(|scope| {
            let gate = &gate;
            let feedback = scope.spawn(move || {
                let _ended = gate.part();
                Index::feedback_part(feedback, customers)
            });
            let tickets = scope.spawn(move || {
                let _ended = gate.part();
                Index::ticket_part(tickets, customers)
            });
            let m = names.len();
            // Read by row only to confirm equal hashes (rows of one order), so
            // the column is not copied into one piece.
            let order_ids = str_column(&orders, schema::ORDER_ID)?;
            // With the orders alone the other core is free: it hashes the
            // order ids while this thread groups the rows by customer, and
            // the customers' rows are sorted and gathered in two halves of
            // about equal rows. Beside the feedback and tickets, one after
            // the other, each list let go before the next is made.
            let split = alone && m >= SPLIT_FROM_CUSTOMERS;
            let ((group_start, mut perm), early_hashes) = std::thread::scope(|s| {
                let hashing = split.then(|| s.spawn(|| order_hashes(&order_ids, false)));
                (group_rows(&codes, m), hashing.map(|h| h.joined()))
            });
            drop(codes);
            step("orders counted");
            let n = perm.len();
            let mid = if split {
                group_start.partition_point(|&r| r < n / 2).min(m)
            } else {
                m
            };
            let cut = group_start[mid];
            // The rows' days in customer order are the index's `row_days`
            // as they are; their amounts become `row_cum` in place below.
            // Moved in here, so that they can go right after the gather.
            let (days_ca, amounts_ca) = (days_ca, amounts_ca);
            let days_in: std::borrow::Cow<[Day]> = match days_ca.cont_slice() {
                Ok(days) => days.into(),
                Err(_) => days_ca.into_no_null_iter().collect::<Vec<_>>().into(),
            };
            let amounts_in: std::borrow::Cow<[i64]> = match amounts_ca.cont_slice() {
                Ok(amounts) => amounts.into(),
                Err(_) => amounts_ca.into_no_null_iter().collect::<Vec<_>>().into(),
            };
            let (mut days, mut amounts) = (vec![0 as Day; n], vec![0i64; n]);
            {
                let sort_gather = |groups: std::ops::Range<usize>,
                                   perm: &mut [u32],
                                   days: &mut [Day],
                                   amounts: &mut [i64]| {
                    let base = group_start[groups.start];
                    for g in groups {
                        perm[group_start[g] - base..group_start[g + 1] - base]
                            .sort_by_key(|&r| days_in[r as usize]);
                    }
                    for ((&r, d), a) in perm.iter().zip(days.iter_mut()).zip(amounts.iter_mut()) {
                        (*d, *a) = (days_in[r as usize], amounts_in[r as usize]);
                    }
                };
                let (perm_a, perm_b) = perm.split_at_mut(cut);
                let (days_a, days_b) = days.split_at_mut(cut);
                let (amounts_a, amounts_b) = amounts.split_at_mut(cut);
                beside(
                    mid < m,
                    || sort_gather(0..mid, perm_a, days_a, amounts_a),
                    || sort_gather(mid..m, perm_b, days_b, amounts_b),
                );
            }
            drop((days_in, amounts_in));
            drop((days_ca, amounts_ca));
            step("days and amounts gathered");
            // Each row's order id hashed in one sequential pass (0 = no id), then put
            // in customer order: rows are told apart by hash, and only rows whose
            // hashes match read and compare their ids.
            // Beside the feedback and tickets, the second core is free here
            // once their parts have ended (about 0.2 s of one core at 10 M
            // rows, shared).
            let free = m >= SPLIT_FROM_CUSTOMERS && gate.ended();
            let hashes_in = early_hashes.unwrap_or_else(|| order_hashes(&order_ids, free));
            step("order ids hashed");
            let mut order_hash = vec![0u64; n];
            {
                // Any cut gathers the same hashes.
                let cut = if split || !free { cut } else { n / 2 };
                let (perm_a, perm_b) = perm.split_at(cut);
                let (hash_a, hash_b) = order_hash.split_at_mut(cut);
                let gather = |perm: &[u32], out: &mut [u64]| {
                    for (&r, h) in perm.iter().zip(out.iter_mut()) {
                        *h = hashes_in[r as usize];
                    }
                };
                beside(
                    mid < m || free,
                    || gather(perm_a, hash_a),
                    || gather(perm_b, hash_b),
                );
            }
            drop(hashes_in);
            step("orders grouped");
            let mut ix = Index::default();
            // Each customer's first purchase row (their first row by day that
            // is not a refund), in customer order: its day is their first day,
            // its segment values theirs. The segment values are read before
            // the customers are indexed, so that the text columns go first.
            let first_purchase: Vec<Option<usize>> = (0..names.len())
                .map(|g| (group_start[g]..group_start[g + 1]).find(|&k| amounts[k] >= 0))
                .collect();
            // A segment column is text (several files merged, `Index::build`)
            // or value codes with their values (`SEGMENT_CODE_PREFIX`, the
            // loader's). The values are numbered in the order customers
            // first show them, either way.
            let columns: Vec<String> = orders
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect();
            for column in columns {
                let segment = if let Some(name) = column.strip_prefix(schema::SEGMENT_PREFIX) {
                    let col = str_column(&orders, &column)?;
                    let mut segment = Segment {
                        name: name.to_string(),
                        ..Default::default()
                    };
                    let mut code_of: HashMap<&str, u32, FastHash> = HashMap::default();
                    segment.of_customer = first_purchase
                        .iter()
                        .map(|k| {
                            let v = col.get(perm[(*k)?] as usize)?;
                            let next = code_of.len() as u32;
                            let code = *code_of.entry(v).or_insert(next);
                            if code == next {
                                segment.values.push(v.to_string());
                            }
                            Some(code)
                        })
                        .collect();
                    segment
                } else if let Some(name) = column.strip_prefix(schema::SEGMENT_CODE_PREFIX) {
                    let values = segment_values
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v.as_slice())
                        .unwrap_or_default();
                    let codes = orders
                        .column(&column)
                        .and_then(|c| c.u32().cloned())
                        .map_err(err)?
                        .rechunk()
                        .into_owned();
                    let codes = codes.cont_slice().map_err(err)?;
                    let mut segment = Segment {
                        name: name.to_string(),
                        ..Default::default()
                    };
                    let mut renumbered = vec![u32::MAX; values.len()];
                    segment.of_customer = first_purchase
                        .iter()
                        .map(|k| {
                            let c = codes[perm[(*k)?] as usize] as usize;
                            let (value, code) = (values.get(c)?, renumbered.get_mut(c)?);
                            if *code == u32::MAX {
                                *code = segment.values.len() as u32;
                                segment.values.push(value.clone());
                            }
                            Some(*code)
                        })
                        .collect();
                    segment
                } else {
                    continue;
                };
                ix.segments.push(segment);
                let _ = orders.drop_in_place(&column);
            }
            // Sized up front: growing by doubling would hold up to twice the rows.
            ix.customers.reserve(m, names.iter().map(|n| n.len()).sum());
            for id in &names {
                ix.customers.push(Some(id));
            }
            ix.row_start = group_start.iter().map(|&j| j as u32).collect();
            let shared = CustomerRowsIn {
                group_start: &group_start,
                perm: &perm,
                days: &days,
                order_hash: &order_hash,
                order_ids: &order_ids,
                first_purchase: &first_purchase,
            };
            let count = if m >= SPLIT_FROM_CUSTOMERS {
                STRETCHES
            } else {
                1
            };
            let first = index_customers(
                &shared,
                stretches(&group_start, &mut amounts, count),
                n,
                m,
                gate,
            );
            (ix.pdays, ix.own_median, ix.ord_days, ix.ord_keys) = (
                first.pdays,
                first.own_median,
                first.ord_days,
                first.ord_keys,
            );
            (ix.pday_start, ix.ord_start) = (first.pday_start, first.ord_start);
            (ix.multi_day, ix.first_day, ix.gaps) = (first.multi_day, first.first_day, first.gaps);
            // What the orders' part no longer needs goes before the
            // feedback and tickets' part is waited for.
            drop((perm, order_hash));
            drop(order_ids);
            orders = DataFrame::empty();
            (ix.row_days, ix.row_cum) = (days, amounts);
            step("orders indexed");
            ix.pdays.shrink_to_fit();
            ix.own_median.shrink_to_fit();
            ix.ord_days.shrink_to_fit();
            ix.ord_keys.shrink_to_fit();
            ix.last_purchase_day = ix.pdays.iter().copied().max();
            ix.first_row_day = ix.row_days.iter().copied().min();
            ix.last_row_day = ix.row_days.iter().copied().max();

            ix.feedback = feedback.joined()?;
            ix.support = tickets.joined()?;
            let day_end = |d: Day| (i64::from(d) + 1) * 86_400;
            ix.last_instant = ix
                .support
                .tickets
                .iter()
                .flat_map(|t| [Some(t.created), t.first_response, t.solved])
                .flatten()
                .chain(ix.last_row_day.map(day_end))
                .chain(ix.feedback.response_day.iter().max().copied().map(day_end))
                .max();
            Ok(ix)
        })
    }

    /// The feedback's part of the index, its customers coded as the
    /// orders' are.
    fn feedback_part(
        feedback: Option<DataFrame>,
        customers: OrderCodes,
    ) -> Result<FeedbackPart, LoadError> {
        let step = super::trace;
        let mut f = FeedbackPart::default();
        // The file's table is let go at the end of this block.
        if let Some(fb) = feedback {
            let fb = &fb;
            step("feedback");
            f.has_feedback = true;
            let day = i32s(fb, schema::RESPONDED_AT)?;
            let score = f64s(fb, schema::SCORE)?;
            let survey = str_rows(fb, schema::SURVEY)?;
            let customer = str_rows(fb, schema::CUSTOMER_ID)?;
            let comment = str_rows(fb, schema::COMMENT)?;
            let customer_code = customers.of_rows(&customer);
            let days: Vec<Day> = day.iter().map(|d| d.unwrap_or(0)).collect();
            let mut order: Vec<usize> = (0..fb.height()).collect();
            order.sort_by_key(|&i| days[i]);
            let segs = row_segments(fb)?;
            let mut sorted_segs = RowSegments::default();
            for (name, col) in segs.columns {
                sorted_segs.columns.insert(name, col.reordered(&order));
            }
            f.response_segments = sorted_segs;
            step("responses ordered");
            let stop = crate::text::stopwords();
            let mut vocab: HashMap<String, u32, FastHash> = HashMap::default();
            // One buffer for the lower-cased word: no allocation per word.
            let mut lower = String::new();
            f.word_start.push(0);
            for i in order {
                if let Some(text) = comment.get(i) {
                    for w in text.split(|ch: char| !ch.is_alphabetic()) {
                        lower.clear();
                        if w.is_ascii() {
                            // ASCII: as many characters as bytes, lower-cased alike.
                            if w.len() < 3 {
                                continue;
                            }
                            lower.push_str(w);
                            lower.make_ascii_lowercase();
                        } else {
                            lower.push_str(&w.to_lowercase());
                            if lower.chars().count() < 3 {
                                continue;
                            }
                        }
                        if stop.contains(lower.as_str()) {
                            continue;
                        }
                        let id = match vocab.get(lower.as_str()) {
                            Some(&id) => id,
                            None => {
                                let id = vocab.len() as u32;
                                vocab.insert(lower.clone(), id);
                                f.vocabulary.push(lower.clone());
                                id
                            }
                        };
                        f.words.push(id);
                    }
                }
                f.word_start.push(f.words.len() as u32);
                let survey = match survey.get(i) {
                    Some("csat") => Survey::Csat,
                    Some("ces") => Survey::Ces,
                    _ => Survey::Nps,
                };
                f.responses.push(Response {
                    day: days[i],
                    score: score.get(i).unwrap_or(0.0),
                    survey,
                    customer: customer_code[i],
                    has_customer_id: customer.get(i).is_some(),
                });
                f.comments.push(comment.get(i));
            }
        }

        step("responses read");
        f.response_day = f.responses.iter().map(|r| r.day).collect();
        f.response_score = f.responses.iter().map(|r| r.score).collect();
        f.response_survey = f.responses.iter().map(|r| r.survey).collect();
        // Per-customer NPS answers, by day.
        (f.nps_start, f.nps_answers) = by_customer(customers.count(), || {
            f.responses
                .iter()
                .filter_map(|r| match (r.survey, r.customer) {
                    (Survey::Nps, Some(c)) => Some((c, (r.day, r.score))),
                    _ => None,
                })
        });
        Ok(f)
    }

    /// The tickets' part of the index, their customers coded as the
    /// orders' are.
    fn ticket_part(
        tickets: Option<DataFrame>,
        customers: OrderCodes,
    ) -> Result<TicketPart, LoadError> {
        let step = super::trace;
        let mut t = TicketPart::default();
        // The file's table is let go at the end of this block.
        if let Some(tk) = tickets {
            let tk = &tk;
            step("tickets");
            t.has_tickets = true;
            let id = str_rows(tk, schema::TICKET_ID)?;
            let created = i64s(tk, schema::CREATED_AT)?;
            let created_day = i32s(tk, schema::CREATED_DAY)?;
            let first = i64s(tk, schema::FIRST_RESPONSE_AT)?;
            let solved = i64s(tk, schema::SOLVED_AT)?;
            let solved_day = i32s(tk, schema::SOLVED_DAY)?;
            let customer = str_rows(tk, schema::CUSTOMER_ID)?;
            let customer_code = customers.of_rows(&customer);
            let category = str_rows(tk, schema::CATEGORY)?;
            let sat = str_rows(tk, schema::SATISFACTION)?;
            t.ticket_segments = row_segments(tk)?;
            // One stable order by creation for the tickets and their row
            // segments; each ticket is built in its place in it. Categories
            // are coded in file order.
            let mut category_of: HashMap<&str, u32, FastHash> = HashMap::default();
            let category_code: Vec<Option<u32>> = category
                .iter()
                .map(|c| {
                    c.map(|name| {
                        *category_of.entry(name).or_insert_with(|| {
                            t.categories.push(name.to_string());
                            t.categories.len() as u32 - 1
                        })
                    })
                })
                .collect();
            drop(category_of);
            let keys: Vec<(Day, i64)> = created_day
                .iter()
                .zip(created.iter())
                .map(|(d, c)| (d.unwrap_or(0), c.unwrap_or(0)))
                .collect();
            let mut order: Vec<usize> = (0..keys.len()).collect();
            order.sort_by_key(|&i| keys[i]);
            t.tickets.reserve_exact(order.len());
            for &i in &order {
                let rating = match sat.get(i) {
                    Some("good") => Some(Rating::Good),
                    Some("bad") => Some(Rating::Bad),
                    Some(s) => s.parse::<u8>().ok().map(Rating::Score),
                    None => None,
                };
                t.tickets.push(Ticket {
                    id: id.get(i).unwrap_or_default().to_string(),
                    created: keys[i].1,
                    created_day: keys[i].0,
                    first_response: first.get(i),
                    solved: solved.get(i),
                    solved_day: solved_day.get(i),
                    customer: customer_code[i],
                    has_customer_id: customer.get(i).is_some(),
                    category: category_code[i],
                    rating,
                });
            }
            drop((keys, category_code));
            step("tickets read");
            let mut solved: Vec<u32> = (0..t.tickets.len() as u32)
                .filter(|&i| t.tickets[i as usize].solved.is_some())
                .collect();
            solved.sort_by_key(|&i| {
                (
                    t.tickets[i as usize].solved_day,
                    t.tickets[i as usize].solved,
                )
            });
            t.solved_order = solved;
            // Sorting moved the rows: the row segments follow the same order.
            for col in t.ticket_segments.columns.values_mut() {
                *col = col.reordered(&order);
            }
        }
        step("tickets ordered");
        (t.ticket_start, t.customer_tickets) = by_customer(customers.count(), || {
            t.tickets
                .iter()
                .enumerate()
                .filter_map(|(i, t)| t.customer.map(|c| (c, i as u32)))
        });
        Ok(t)
    }
}

#[cfg(test)]
mod customer_rows_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn customers_indexed_in_stretches_equal_one_pass() {
        // 40 customers with 0 to 6 rows each: repeat days, refunds, rows
        // without an order id, one order over two days, and a customer
        // with more than 64 orders (keys by map).
        let mut group_start = vec![0usize];
        let (mut days, mut amounts, mut ids): (Vec<Day>, Vec<i64>, Vec<Option<String>>) =
            Default::default();
        for c in 0..40usize {
            let rows = if c == 7 { 70 } else { c % 7 };
            for r in 0..rows {
                days.push((100 + c * 3 + r * (c % 4)) as Day);
                amounts.push(if r % 5 == 4 {
                    -300
                } else {
                    (c * 100 + r) as i64
                });
                ids.push(match r % 3 {
                    0 => None,
                    1 => Some(format!("O{c}-{}", r / 2)),
                    _ => Some(format!("O{c}-{r}")),
                });
            }
            group_start.push(days.len());
        }
        let n = days.len();
        let perm: Vec<u32> = (0..n as u32).collect();
        let order_ids =
            StringChunked::from_iter_options("order_id".into(), ids.iter().map(|o| o.as_deref()));
        let hasher = FastHash::default();
        let order_hash: Vec<u64> = ids
            .iter()
            .map(|o| o.as_deref().map_or(0, |o| hasher.hash_one(o).max(1)))
            .collect();
        let first_purchase: Vec<Option<usize>> = (0..40)
            .map(|g| (group_start[g]..group_start[g + 1]).find(|&k| amounts[k] >= 0))
            .collect();
        let at = CustomerRowsIn {
            group_start: &group_start,
            perm: &perm,
            days: &days,
            order_hash: &order_hash,
            order_ids: &order_ids,
            first_purchase: &first_purchase,
        };
        let mut whole_amounts = amounts.clone();
        let mut whole = CustomerRows::with_capacity(n, 40);
        whole.index(&at, 0..40, &mut whole_amounts, 0);
        assert!(whole.multi_day.iter().any(|&m| m) && !whole.gaps.is_empty());
        for half in [1, 8, 20, 39] {
            let mut split_amounts = amounts.clone();
            let (a, b) = split_amounts.split_at_mut(group_start[half]);
            let mut first = CustomerRows::with_capacity(n, 40);
            first.index(&at, 0..half, a, 0);
            let mut later = CustomerRows::with_capacity(n, 40);
            later.index(&at, half..40, b, group_start[half]);
            first.append(later);
            assert_eq!(first, whole, "split at {half}");
            assert_eq!(split_amounts, whole_amounts);
        }
        // Stretches shared by two threads, the helper free at once, never,
        // or after a moment: the one pass's lists and running totals.
        for count in [1, 2, 3, 7, 40, 64] {
            for pending in [0, 1, 2] {
                let mut shared_amounts = amounts.clone();
                let gate = Gate::pending(pending);
                let got = std::thread::scope(|scope| {
                    if pending == 2 {
                        scope.spawn(|| {
                            let _a = gate.part();
                            let _b = gate.part();
                            std::thread::yield_now();
                        });
                    }
                    let cut = stretches(&group_start, &mut shared_amounts, count);
                    assert!(cut.len() <= count && !cut.is_empty());
                    index_customers(&at, cut, n, 40, &gate)
                });
                assert_eq!(got, whole, "{count} stretches, {pending} pending");
                assert_eq!(shared_amounts, whole_amounts);
            }
        }
    }

    #[test]
    fn stretches_cover_every_customer_once_with_their_rows() {
        let group_start = [0usize, 0, 5, 5, 6, 20, 20, 21];
        let mut amounts: Vec<i64> = (0..21).collect();
        for count in 1..10 {
            let cut = stretches(&group_start, &mut amounts, count);
            let mut next = 0;
            for (groups, rows, base) in cut {
                assert_eq!(groups.start, next);
                assert!(groups.end > groups.start);
                assert_eq!(base, group_start[groups.start]);
                assert_eq!(rows.len(), group_start[groups.end] - base);
                assert_eq!(
                    rows.first().copied(),
                    (!rows.is_empty()).then_some(base as i64)
                );
                next = groups.end;
            }
            assert_eq!(next, 7);
        }
    }
}

#[cfg(test)]
mod first_appearance_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_coded_in_parts_get_the_codes_of_one_pass() {
        let ids: Vec<Option<String>> = (0..5000u32)
            .map(|i| (i % 13 != 0).then(|| format!("C{:03}", (i * 7919) % 997)))
            .collect();
        let column = StringChunked::from_iter_options("customer_id".into(), ids.into_iter());
        let (codes, names) = code_rows(column.iter());
        // Row 0 has no id: "" is the first id seen; row 1's is the second.
        assert_eq!((names[0], names[1], codes[1]), ("", "C940", 1));
        for parts in [2, 3, 8] {
            let (c, n) = first_appearance_in(&column, parts);
            assert_eq!((&c, &n), (&codes, &names), "{parts} parts");
        }
    }

    #[test]
    fn rows_coded_by_the_loader_get_the_codes_of_one_pass() {
        // The loader's list holds each id once, in an order of its own (a
        // customer whose first row was rejected comes late or early).
        // Its last two ids have no row left.
        let mut list: Vec<String> = (0..997u32).rev().map(|i| format!("C{i:03}")).collect();
        list.extend(["gone-1".to_string(), "gone-2".to_string()]);
        let rows: Vec<u32> = (0..5000u32).map(|i| (i * 7919 + 3) % 997).collect();
        let column = StringChunked::from_iter_values(
            "customer_id".into(),
            rows.iter().map(|&r| list[r as usize].as_str()),
        );
        let ((codes, names), new_code) = recode_first_appearance(&rows, &list).unwrap();
        let (c, n) = code_rows(column.iter());
        assert_eq!((&codes, &names), (&c, &n));
        // Each listed id's new code is its place among the names.
        for (id, &code) in list.iter().zip(&new_code) {
            match names.iter().position(|n| n == id) {
                Some(at) => assert_eq!(code as usize, at, "{id}"),
                None => assert_eq!(code, u32::MAX, "{id}"),
            }
        }
        assert_eq!(new_code[997..], [u32::MAX, u32::MAX]);
        // The loader's table, through the new codes, finds what a table
        // of the index's customers finds.
        let loader_table = NameTable::of(list.as_slice(), list.len());
        let index_table = NameTable::of(names.as_slice(), names.len());
        let through_loader = OrderCodes {
            table: &loader_table,
            names: TableNames::Loader {
                list: &list,
                code: &new_code,
            },
            count: names.len(),
        };
        let through_index = OrderCodes {
            table: &index_table,
            names: TableNames::Index(&names),
            count: names.len(),
        };
        let asked = StringChunked::from_iter_options(
            "customer_id".into(),
            ["C005", "gone-1", "nobody", "C996"]
                .into_iter()
                .map(Some)
                .chain([None]),
        );
        let found = through_loader.of_rows(&asked);
        assert_eq!(found, through_index.of_rows(&asked));
        assert_eq!(
            found[1..4],
            [
                None,
                None,
                Some(names.iter().position(|n| *n == "C996").unwrap() as u32)
            ]
        );
        // A row outside the list: no codes (the ids are hashed instead).
        assert!(recode_first_appearance(&[0, 999], &list).is_none());
    }
}

#[cfg(test)]
mod texts_tests {
    use super::*;

    #[test]
    fn texts_keep_none_empty_and_text_apart() {
        let given = [None, Some(""), Some("é tout"), None, Some("ok"), Some("")];
        let mut c = Texts::default();
        for g in given {
            c.push(g);
        }
        assert_eq!(c.len(), given.len());
        for (i, g) in given.iter().enumerate() {
            assert_eq!(c.get(i), *g, "response {i}");
        }
        assert_eq!(c.get(given.len()), None);
        let (text, ends) = c.parts();
        let back = Texts::from_parts(text.to_string(), ends.to_vec());
        assert_eq!(back.as_ref(), Some(&c));
    }

    #[test]
    fn texts_that_do_not_fit_their_string_are_refused() {
        let text = || "é1".to_string(); // 3 bytes: é is two
        let none = NO_TEXT;
        for bad in [
            vec![4],           // past the text
            vec![1],           // inside é
            vec![3, 2],        // backwards
            vec![2],           // text left over
            vec![2 | none, 3], // "no comment" over a non-empty range
        ] {
            assert_eq!(Texts::from_parts(text(), bad.clone()), None, "{bad:?}");
        }
        assert!(Texts::from_parts(text(), vec![none, 2, 3]).is_some());
    }
}

#[cfg(test)]
mod gaps_tests {
    use super::*;

    #[test]
    fn pooled_gaps_give_the_percentiles_of_the_sorted_gaps() {
        let all = [24, 110, 1, 7, 7, 30, 365, 2, 7, 1, 14];
        for n in 0..=all.len() {
            let mut gaps = Gaps::default();
            let mut sorted = all[..n].to_vec();
            for &g in &sorted {
                gaps.add(g);
            }
            sorted.sort_unstable();
            assert_eq!(gaps.len(), n as u64);
            for (num, den) in [(1, 2), (1, 4), (9, 10), (1, 1), (0, 1)] {
                // Nearest rank over the sorted gaps (kpi-spec's percentiles).
                let rank = (num as usize * n).div_ceil(den as usize).max(1);
                let expected = sorted.get(rank - 1).copied();
                assert_eq!(
                    gaps.nearest_rank(num, den),
                    expected,
                    "{n} gaps, {num}/{den}"
                );
            }
            assert_eq!(Gaps::from_counts(gaps.counts().to_vec()), Some(gaps));
        }
    }
}

#[cfg(test)]
mod order_hash_tests {
    use super::*;

    /// The halves give every row the hash one pass gives it, whatever the
    /// length, the missing ids and the column's chunks.
    #[test]
    fn halves_hash_every_row_as_one_pass() {
        for n in [0usize, 1, 2, 3, 7, 64] {
            let ids: Vec<Option<String>> = (0..n)
                .map(|i| (i % 5 != 3).then(|| format!("#{}", 1000 + i % 9)))
                .collect();
            let mut column = StringChunked::new("id".into(), &ids[..n / 3]);
            column
                .append(&StringChunked::new("id".into(), &ids[n / 3..]))
                .unwrap_or_else(|e| panic!("{e}"));
            let hasher = FastHash::default();
            let one: Vec<u64> = column
                .iter()
                .map(|o| o.map_or(0, |o| hasher.hash_one(o).max(1)))
                .collect();
            assert_eq!(one.len(), n);
            assert!(
                one.iter()
                    .zip(&ids)
                    .all(|(&h, id)| (h == 0) == id.is_none())
            );
            for apart in [false, true] {
                assert_eq!(order_hashes(&column, apart), one, "n {n}");
            }
        }
    }
}
