//! Per-granularity precomputation that makes a period or filter change cheap.
//!
//! For one granularity and churn window W, over every period from the first
//! order to W days after the last one, the timeline holds:
//! - `end_in_base[i]`: a bitset of the customers in the base at the close of
//!   period i's last day (E of period i; S of period i is E of period i − 1);
//! - `new[i]`: the customers whose first purchase falls in period i;
//! - `activity[i]`: one entry per customer with rows in period i (revenue,
//!   distinct orders, buyer, repeat buyer), ordered by first period, then
//!   customer (a cohort is one stretch of each list);
//! - `moves[i]`: the revenue movements from period i − 1 to i, summed over
//!   every customer and over each segment value;
//! - `nps_class[i]`: bitsets of customers whose latest NPS answer before
//!   period i's first day was promoter / passive / detractor.
//!
//! S, E, N, retained, won back and loyalty become AND-popcounts over
//! bitsets; revenue and orders are sums over the period's active customers.

use crate::Joined as _;
use crate::calendar::Day;
use crate::data::index::Index;

use super::period::{Granularity, Period};
use super::revenue::{Movements, merge, order_key};

/// A fixed-size bitset over customers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
}

impl Bits {
    pub fn zeros(n: usize) -> Self {
        Bits {
            words: vec![0; n.div_ceil(64)],
        }
    }

    pub fn ones(n: usize) -> Self {
        let mut b = Bits {
            words: vec![u64::MAX; n.div_ceil(64)],
        };
        if !n.is_multiple_of(64)
            && let Some(last) = b.words.last_mut()
        {
            *last = (1u64 << (n % 64)) - 1;
        }
        b
    }

    pub fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    pub fn get(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    /// Set bits among positions [from, to).
    pub fn count_range(&self, from: usize, to: usize) -> u64 {
        if from >= to {
            return 0;
        }
        let (fw, tw) = (from / 64, (to - 1) / 64);
        let mut total = 0u64;
        for w in fw..=tw {
            let mut word = self.words[w];
            if w == fw {
                word &= u64::MAX << (from % 64);
            }
            if w == tw {
                let end = (to - 1) % 64;
                word &= if end == 63 {
                    u64::MAX
                } else {
                    (1u64 << (end + 1)) - 1
                };
            }
            total += word.count_ones() as u64;
        }
        total
    }

    /// Indices of the set bits among positions [from, to), word by word, so
    /// unset stretches cost one test per 64 positions.
    pub fn ones_in(&self, from: usize, to: usize) -> impl Iterator<Item = usize> + '_ {
        let (fw, tw) = (from / 64, to.div_ceil(64));
        let words = if from < to { fw..tw } else { 0..0 };
        words.flat_map(move |w| {
            let mut v = self.words[w];
            if w == fw {
                v &= u64::MAX << (from % 64);
            }
            if w + 1 == tw && !to.is_multiple_of(64) {
                v &= (1u64 << (to % 64)) - 1;
            }
            std::iter::from_fn(move || {
                (v != 0).then(|| {
                    let t = v.trailing_zeros() as usize;
                    v &= v - 1;
                    w * 64 + t
                })
            })
        })
    }
}

/// What one period's KPIs count of its customer base, with the loyalty split
/// by NPS class (promoter, passive, detractor) when there are classes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BaseCounts {
    /// S, E and retained (in S and E), among the kept customers.
    pub start: u64,
    pub end: u64,
    pub retained: u64,
    /// Per NPS class: in S, and retained.
    pub class_start: [u64; 3],
    pub class_retained: [u64; 3],
}

/// `BaseCounts` of the kept customers (`mask`) in one pass over the bitsets
/// (separate AND-popcounts read the same words up to eleven times).
pub fn base_counts(
    start: &Bits,
    end: &Bits,
    mask: &Bits,
    classes: Option<&[Bits; 3]>,
) -> BaseCounts {
    let mut n = BaseCounts::default();
    let words = start.words.iter().zip(&end.words).zip(&mask.words);
    let pop = |w: u64| u64::from(w.count_ones());
    match classes {
        None => {
            for ((s, e), m) in words {
                let (sm, em) = (s & m, e & m);
                n.start += pop(sm);
                n.end += pop(em);
                n.retained += pop(sm & e);
            }
        }
        Some([p, q, d]) => {
            for (w, ((s, e), m)) in words.enumerate() {
                let (sm, em) = (s & m, e & m);
                let r = sm & e;
                n.start += pop(sm);
                n.end += pop(em);
                n.retained += pop(r);
                for (k, c) in [p.words[w], q.words[w], d.words[w]].into_iter().enumerate() {
                    n.class_start[k] += pop(sm & c);
                    n.class_retained[k] += pop(r & c);
                }
            }
        }
    }
    n
}

/// Activity summed over customers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub revenue: i64,
    pub orders: u64,
    pub buyers: u64,
    pub repeaters: u64,
}

impl Totals {
    pub fn add(&mut self, e: &Entry) {
        self.revenue += e.revenue;
        self.orders += u64::from(e.orders());
        self.buyers += u64::from(e.buyer());
        self.repeaters += u64::from(e.buyer() && e.repeat());
    }
}

/// A customer's activity in one period: 20 bytes (packed to 4-byte
/// alignment), as ten million of them make a month's timeline at 10 M orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(4))]
pub struct Entry {
    pub customer: u32,
    /// The period of the customer's first purchase (`NO_FIRST`: refunds
    /// only), kept here so that ordering and merging the lists read no
    /// other array.
    pub first: u32,
    /// Sum of amounts (refunds included), in ten-thousandths.
    pub revenue: i64,
    /// Distinct orders among purchase rows, with `REPEAT` set when the
    /// customer has 2+ distinct orders dated before the period's end.
    orders_repeat: u32,
}

/// The repeat flag in `Entry::orders_repeat`.
const REPEAT: u32 = 1 << 31;

const _: () = assert!(std::mem::size_of::<Entry>() == 20);

impl Entry {
    pub fn new(customer: u32, first: u32, revenue: i64, orders: u32, repeat: bool) -> Entry {
        Entry {
            customer,
            first,
            revenue,
            orders_repeat: orders.min(REPEAT - 1) | if repeat { REPEAT } else { 0 },
        }
    }

    /// Distinct orders among purchase rows.
    pub fn orders(&self) -> u32 {
        self.orders_repeat & !REPEAT
    }

    /// Has a purchase row in the period.
    pub fn buyer(&self) -> bool {
        self.orders() > 0
    }

    /// Has 2+ distinct orders dated before the period's end.
    pub fn repeat(&self) -> bool {
        self.orders_repeat & REPEAT != 0
    }
}

/// `Entry::first` of a customer with refunds only.
pub const NO_FIRST: u32 = u32::MAX;

/// What `Timeline::scan_customers` finds for a range of customers.
struct CustomerScan {
    end_in_base: Vec<Bits>,
    new: Vec<Vec<u32>>,
    activity: Vec<Vec<Entry>>,
    /// For the range's customers only.
    first_period: Vec<Option<u32>>,
}

/// A segment column summed per value (its value per customer and its
/// number of values), or `None` for one of more than 500 values.
type SummedColumn<'a> = Option<(&'a [Option<u32>], usize)>;

/// Where to cut the lists in two shares of about as many entries.
fn balanced_split<T>(lists: &[Vec<T>]) -> usize {
    let total: usize = lists.iter().map(Vec::len).sum();
    let mut seen = 0;
    lists
        .iter()
        .position(|l| {
            seen += l.len();
            2 * seen > total
        })
        .map_or(lists.len(), |k| k + 1)
}

/// Orders an activity list by first period, then customer (a counting sort:
/// the lists come in customer order); `len` periods.
fn order_list(list: &mut Vec<Entry>, len: usize) {
    // Buckets: refund-only customers (no first period), then periods 0..len.
    let mut counts = vec![0usize; len + 2];
    for e in list.iter() {
        counts[(order_key(e).0 + 1) as usize + 1] += 1;
    }
    for k in 1..counts.len() {
        counts[k] += counts[k - 1];
    }
    let mut sorted = vec![Entry::new(0, NO_FIRST, 0, 0, false); list.len()];
    for e in list.iter() {
        let b = (order_key(e).0 + 1) as usize;
        sorted[counts[b]] = *e;
        counts[b] += 1;
    }
    *list = sorted;
}

/// Per segment column (`None`: not summed), per value, `n` periods of sums.
fn tables<T: Default + Clone>(columns: &[SummedColumn], n: usize) -> Vec<Option<Vec<Vec<T>>>> {
    columns
        .iter()
        .map(|c| c.map(|(_, values)| vec![vec![T::default(); n]; values]))
        .collect()
}

/// Two shares of periods' segment tables as one (the later share's periods after).
fn join_tables<T>(
    mut a: Vec<Option<Vec<Vec<T>>>>,
    b: Vec<Option<Vec<Vec<T>>>>,
) -> Vec<Option<Vec<Vec<T>>>> {
    for (xs, ys) in a.iter_mut().zip(b) {
        if let (Some(xs), Some(ys)) = (xs, ys) {
            for (x, y) in xs.iter_mut().zip(ys) {
                x.extend(y);
            }
        }
    }
    a
}

/// What `Timeline::sum_range` sums for a range of periods.
struct PeriodSums {
    totals: Vec<Totals>,
    moves: Vec<Movements>,
    segment_totals: Vec<Option<Vec<Vec<Totals>>>>,
    segment_moves: Vec<Option<Vec<Vec<Movements>>>>,
}

pub struct Timeline {
    pub granularity: Granularity,
    pub window: u32,
    /// `Some(n)`: every period cut to its first n days (the previous and
    /// year-ago blocks of a period to date, compared like for like).
    pub cut: Option<i32>,
    /// Period 0; the timeline covers `len` periods from it.
    pub first: Period,
    pub len: usize,
    base_day: Day,
    /// The containing period of each day from `base_day`.
    day_period: Vec<u32>,
    /// Each period's first day, and the day after the last (`len + 1` days).
    starts: Vec<Day>,
    /// The day after each period's last counted day: its end, or earlier for a
    /// period cut (`cut`) or to date (the period holding the last day of data L
    /// ends at L + 1; kpi-spec §2).
    ends: Vec<Day>,
    pub end_in_base: Vec<Bits>,
    pub new: Vec<Vec<u32>>,
    pub activity: Vec<Vec<Entry>>,
    /// [promoter, passive, detractor] by the latest NPS answer before the period starts.
    pub nps_class: Vec<[Bits; 3]>,
    /// Per period, the activity summed over every customer (the unfiltered case).
    pub totals: Vec<Totals>,
    /// Per segment column (of at most 500 values), per value, per period: the
    /// activity summed over that segment's customers (a segment filter alone).
    pub segment_totals: Vec<Option<Vec<Vec<Totals>>>>,
    /// Per period, the revenue movements from the period before, over every
    /// customer (kpi-spec §4.12).
    pub moves: Vec<Movements>,
    /// The same per segment column (those of `segment_totals`), value and period.
    pub segment_moves: Vec<Option<Vec<Vec<Movements>>>>,
    /// Per customer: the period of their first purchase.
    pub first_period: Vec<Option<u32>>,
    empty: Bits,
}

impl Timeline {
    /// The index of a period, if it lies in the covered range.
    pub fn index_of(&self, p: &Period) -> Option<usize> {
        if p.granularity != self.granularity {
            return None;
        }
        let k = self.first.steps_to(p);
        (k >= 0 && (k as usize) < self.len).then_some(k as usize)
    }

    /// E of period `i` (may be before the range: empty).
    pub fn end_bits(&self, i: isize) -> &Bits {
        if i < 0 || i as usize >= self.len {
            &self.empty
        } else {
            &self.end_in_base[i as usize]
        }
    }

    /// The period that contains a day: `None` before the range, `len` after it.
    fn pidx(&self, d: Day) -> Option<usize> {
        if d < self.base_day {
            return None;
        }
        Some(
            self.day_period
                .get((d - self.base_day) as usize)
                .map_or(self.len, |&i| i as usize),
        )
    }

    /// The first period whose counted days end at or after `d` (a day past a
    /// period's counted days belongs, for closes, to the next period): period
    /// i's close is in [a, b] exactly when `close_idx(a) <= i < close_idx(b + 1)`.
    fn close_idx(&self, d: Day) -> Option<usize> {
        let i = self.pidx(d)?;
        Some(if i < self.len && d >= self.ends[i] {
            i + 1
        } else {
            i
        })
    }

    /// The day after period `i`'s last counted day.
    pub fn end_of(&self, i: usize) -> Day {
        self.ends[i]
    }

    pub fn build(ix: &Index, granularity: Granularity, window: u32, cut: Option<i32>) -> Timeline {
        let n = ix.customer_count();
        let (Some(first_day), Some(last_day)) = (ix.first_row_day(), ix.last_row_day()) else {
            let first = Period::containing(granularity, 0);
            return Timeline {
                granularity,
                window,
                cut,
                first,
                len: 0,
                base_day: first.start(),
                day_period: Vec::new(),
                starts: vec![first.start()],
                ends: Vec::new(),
                end_in_base: Vec::new(),
                new: Vec::new(),
                activity: Vec::new(),
                nps_class: Vec::new(),
                totals: Vec::new(),
                segment_totals: Vec::new(),
                moves: Vec::new(),
                segment_moves: Vec::new(),
                first_period: vec![None; n],
                empty: Bits::zeros(n),
            };
        };
        let first = Period::containing(granularity, first_day);
        let last = Period::containing(granularity, last_day + window as i32);
        let len = first.steps_to(&last) as usize + 1;
        let base_day = first.start();
        let mut day_period = Vec::with_capacity((last.end() - base_day) as usize);
        let mut p = first;
        let mut starts = Vec::with_capacity(len + 1);
        for i in 0..len {
            starts.push(p.start());
            for _ in p.start()..p.end() {
                day_period.push(i as u32);
            }
            p = p.next();
        }
        starts.push(p.start());
        // The period holding L is counted to date; with a cut, every period
        // is counted for its first n days only.
        let to_date = ix.last_purchase_day().map(|l| l + 1);
        let ends: Vec<Day> = (0..len)
            .map(|i| {
                let mut e = starts[i + 1];
                if let Some(n) = cut {
                    e = e.min(starts[i] + n.max(1));
                }
                if let Some(l1) = to_date
                    && starts[i] < l1
                {
                    e = e.min(l1);
                }
                e
            })
            .collect();
        let mut t = Timeline {
            granularity,
            window,
            cut,
            first,
            len,
            base_day,
            day_period,
            starts,
            ends,
            end_in_base: Vec::new(),
            new: Vec::new(),
            activity: Vec::new(),
            nps_class: Vec::new(),
            totals: Vec::new(),
            segment_totals: Vec::new(),
            moves: Vec::new(),
            segment_moves: Vec::new(),
            first_period: Vec::new(),
            empty: Bits::zeros(n),
        };
        // Customers in two word-aligned halves on two threads (and the NPS
        // classes on a third): each half fills its own bitsets and lists, then
        // the halves are joined in customer order.
        let mid = (n / 2).next_multiple_of(64).min(n);
        let (a, b, classes) = std::thread::scope(|s| {
            let t = &t;
            let b = s.spawn(move || t.scan_customers(ix, mid..n));
            let classes = s.spawn(move || t.build_nps_classes(ix));
            let a = t.scan_customers(ix, 0..mid);
            let b = b.joined();
            let classes = classes.joined();
            (a, b, classes)
        });
        t.end_in_base = a.end_in_base;
        for (bits, other) in t.end_in_base.iter_mut().zip(&b.end_in_base) {
            for (x, y) in bits.words.iter_mut().zip(&other.words) {
                *x |= y;
            }
        }
        t.new = a.new;
        for (list, more) in t.new.iter_mut().zip(b.new) {
            list.extend(more);
        }
        t.activity = a.activity;
        for (list, more) in t.activity.iter_mut().zip(b.activity) {
            list.extend(more);
        }
        t.first_period = a.first_period;
        t.first_period.extend(b.first_period);
        t.order_activity();
        t.nps_class = classes;
        t.sum_periods(ix);
        t
    }

    /// Orders each activity list by first period, then customer; the lists
    /// in two shares of about as many entries, on two threads.
    fn order_activity(&mut self) {
        let len = self.len;
        let mid = balanced_split(&self.activity);
        let (a, b) = self.activity.split_at_mut(mid);
        std::thread::scope(|s| {
            s.spawn(move || b.iter_mut().for_each(|list| order_list(list, len)));
            a.iter_mut().for_each(|list| order_list(list, len));
        });
    }

    /// Each period's totals and revenue movements from the period before,
    /// over every customer and per value of each segment column of at most
    /// 500 values: the periods in two shares summed on two threads.
    fn sum_periods(&mut self, ix: &Index) {
        let columns: Vec<SummedColumn> = ix
            .segments()
            .iter()
            .map(|seg| {
                (seg.values.len() <= 500).then_some((seg.of_customer.as_slice(), seg.values.len()))
            })
            .collect();
        let mid = balanced_split(&self.activity);
        let (a, b) = std::thread::scope(|s| {
            let this = &*self;
            let columns = &columns;
            let b = s.spawn(move || this.sum_range(columns, mid..this.len));
            let a = this.sum_range(columns, 0..mid);
            (a, b.joined())
        });
        self.totals = a.totals;
        self.totals.extend(b.totals);
        self.moves = a.moves;
        self.moves.extend(b.moves);
        self.segment_totals = join_tables(a.segment_totals, b.segment_totals);
        self.segment_moves = join_tables(a.segment_moves, b.segment_moves);
    }

    /// The sums of the periods in `range` (see `sum_periods`); the segment
    /// tables are `[column][value][period - range.start]`.
    fn sum_range(&self, columns: &[SummedColumn], range: std::ops::Range<usize>) -> PeriodSums {
        let n = range.len();
        let mut sums = PeriodSums {
            totals: vec![Totals::default(); n],
            moves: vec![Movements::default(); n],
            segment_totals: tables(columns, n),
            segment_moves: tables(columns, n),
        };
        let empty = Vec::new();
        for (j, i) in range.enumerate() {
            let total = &mut sums.totals[j];
            for e in &self.activity[i] {
                total.add(e);
                for (column, table) in columns.iter().zip(&mut sums.segment_totals) {
                    if let (Some((of_customer, _)), Some(table)) = (column, table)
                        && let Some(v) = of_customer[e.customer as usize]
                    {
                        table[v as usize][j].add(e);
                    }
                }
            }
            let before = if i > 0 { &self.activity[i - 1] } else { &empty };
            let m = &mut sums.moves[j];
            let segment_moves = &mut sums.segment_moves;
            merge(before, &self.activity[i], |c, first, r0, r1| {
                let new = first == i as u32;
                m.add(r0, r1, new);
                for (column, table) in columns.iter().zip(segment_moves.iter_mut()) {
                    if let (Some((of_customer, _)), Some(table)) = (column, table)
                        && let Some(v) = of_customer[c as usize]
                    {
                        table[v as usize][j].add(r0, r1, new);
                    }
                }
            });
        }
        sums
    }

    /// For each period, the customers who may be at risk at its close: a
    /// superset checked exactly by the engine. A purchase on day L, with the
    /// customer's cycle c at that point, makes them a candidate at closes in
    /// [L + ⌊threshold·c⌋ − 1, min(next purchase, L + W) − 1].
    pub fn risk_candidates(&self, ix: &Index, cycle: Option<f64>, threshold: f64) -> Vec<Vec<u32>> {
        // The customers in two halves on two threads, the lists joined in customer order.
        let n = ix.customer_count();
        let (mut lists, later) = std::thread::scope(|s| {
            let later = s.spawn(|| self.risk_candidates_in(ix, cycle, threshold, n / 2..n));
            let lists = self.risk_candidates_in(ix, cycle, threshold, 0..n / 2);
            (lists, later.joined())
        });
        for (list, more) in lists.iter_mut().zip(later) {
            list.extend(more);
        }
        lists
    }

    /// `risk_candidates` among the customers in `range`.
    fn risk_candidates_in(
        &self,
        ix: &Index,
        cycle: Option<f64>,
        threshold: f64,
        range: std::ops::Range<usize>,
    ) -> Vec<Vec<u32>> {
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); self.len];
        let w = self.window as i32;
        for c in range {
            let pd = ix.pdays(c);
            for k in 0..pd.len() {
                // With purchases pd[..=k] before the close: k own gaps.
                let cyc = if k >= 2 { ix.own_median(c, k) } else { cycle };
                let Some(cyc) = cyc.filter(|x| *x > 0.0 && x.is_finite()) else {
                    continue;
                };
                let l = pd[k];
                let from = l + (threshold * cyc).floor() as i32 - 1;
                let to = pd
                    .get(k + 1)
                    .map_or(l + w - 1, |&next| (next - 1).min(l + w - 1));
                if from > to {
                    continue;
                }
                let lo = self.close_idx(from.max(self.base_day)).unwrap_or(0);
                let hi = self.close_idx(to + 1).unwrap_or(0).min(self.len);
                for list in lists.iter_mut().take(hi).skip(lo) {
                    // Neighbouring intervals may share their edge day: list a customer once.
                    if list.last() != Some(&(c as u32)) {
                        list.push(c as u32);
                    }
                }
            }
        }
        lists
    }

    /// Base membership, first periods and activity of the customers in
    /// `range`; bitsets over every customer, lists in customer order.
    fn scan_customers(&self, ix: &Index, range: std::ops::Range<usize>) -> CustomerScan {
        let (n, len) = (ix.customer_count(), self.len);
        let mut t = CustomerScan {
            end_in_base: (0..len).map(|_| Bits::zeros(n)).collect(),
            new: vec![Vec::new(); len],
            activity: vec![Vec::new(); len],
            first_period: vec![None; range.len()],
        };
        let w = self.window as i32;
        let mut keys: Vec<u32> = Vec::new();
        // Each period's first day (and the day after the last), computed once.
        let (starts, ends) = (&self.starts, &self.ends);
        // A period has at most one activity entry per row dated in it:
        // reserving that bound up front saves the regrowing (and its copies).
        let rows = ix.row_start()[range.start] as usize..ix.row_start()[range.end] as usize;
        let mut rows_in = vec![0usize; len];
        for &d in &ix.row_days()[rows] {
            if let Some(i) = self.pidx(d).filter(|&i| i < len) {
                rows_in[i] += 1;
            }
        }
        for (a, n) in t.activity.iter_mut().zip(rows_in) {
            a.reserve_exact(n);
        }
        for c in range.clone() {
            let pd = ix.pdays(c);
            // Base membership: merged intervals [d, last + W − 1]; period i counts when its last day is inside.
            let mut k = 0;
            while k < pd.len() {
                let a = pd[k];
                let mut b = a + w - 1;
                while k + 1 < pd.len() && pd[k + 1] <= b + 1 {
                    k += 1;
                    b = pd[k] + w - 1;
                }
                let lo = self.close_idx(a).unwrap_or(0);
                let hi = self.close_idx(b + 1).unwrap_or(0).min(len);
                for i in lo..hi {
                    t.end_in_base[i].set(c);
                }
                k += 1;
            }
            if let Some(f) = ix.first_day()[c]
                && let Some(i) = self.pidx(f).filter(|&i| i < len)
            {
                // New in a period only when the first purchase is among its counted days.
                if f < ends[i] {
                    t.new[i].push(c as u32);
                }
                t.first_period[c - range.start] = Some(i as u32);
            }
            // The period from which the customer has 2+ distinct orders: that
            // of the first order entry whose order differs from the first one's.
            let (od, ok) = ix.orders_of(c);
            let repeat_from = ok
                .iter()
                .position(|key| Some(key) != ok.first())
                .map_or(usize::MAX, |k| self.close_idx(od[k]).unwrap_or(0));
            // Activity per period: revenue from the rows, orders and buyer from the order entries.
            let (ra, rb) = (ix.row_start()[c] as usize, ix.row_start()[c + 1] as usize);
            let mut r = ra;
            let mut o = 0;
            while r < rb {
                let Some(i) = self.pidx(ix.row_days()[r]).filter(|&i| i < len) else {
                    r += 1;
                    continue;
                };
                let (ps, pe) = (starts[i], ends[i]);
                if ix.row_days()[r] >= pe {
                    // After the period's counted days (a cut, or after L).
                    r += 1;
                    continue;
                }
                let before = if r == ra { 0 } else { ix.row_cum()[r - 1] };
                let mut r_end = r;
                while r_end < rb && ix.row_days()[r_end] < pe {
                    r_end += 1;
                }
                let revenue = ix.row_cum()[r_end - 1] - before;
                while o < od.len() && od[o] < ps {
                    o += 1;
                }
                let mut o_end = o;
                while o_end < od.len() && od[o_end] < pe {
                    o_end += 1;
                }
                let orders = if ix.multi_day()[c] {
                    keys.clear();
                    keys.extend_from_slice(&ok[o..o_end]);
                    keys.sort_unstable();
                    keys.dedup();
                    keys.len()
                } else {
                    o_end - o
                } as u32;
                t.activity[i].push(Entry::new(
                    c as u32,
                    t.first_period[c - range.start].unwrap_or(NO_FIRST),
                    revenue,
                    orders,
                    i >= repeat_from,
                ));
                r = r_end;
                o = o_end;
            }
        }
        t
    }

    fn build_nps_classes(&self, ix: &Index) -> Vec<[Bits; 3]> {
        let n = ix.customer_count();
        let mut classes: Vec<[Bits; 3]> = (0..self.len)
            .map(|_| [Bits::zeros(n), Bits::zeros(n), Bits::zeros(n)])
            .collect();
        if !ix.has_feedback() {
            return classes;
        }
        let per: Vec<&[(Day, f64)]> = (0..n).map(|c| ix.nps_of(c)).collect();
        for (c, answers) in per.iter().enumerate() {
            for (j, &(day, score)) in answers.iter().enumerate() {
                // Applies to periods starting after `day`, until the next answer takes over.
                let from = self.pidx(day).map_or(0, |i| i + 1);
                let to = answers
                    .get(j + 1)
                    .map_or(self.len, |&(d, _)| self.pidx(d).map_or(0, |i| i + 1))
                    .min(self.len);
                let class = if score >= 9.0 {
                    0
                } else if score >= 7.0 {
                    1
                } else {
                    2
                };
                for set in classes.iter_mut().take(to).skip(from) {
                    set[class].set(c);
                }
            }
        }
        classes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ones_in_a_range_match_bit_by_bit() {
        // Bits every 3rd and at the word edges, over 200 positions (4 words, the last partial).
        let mut b = Bits::zeros(200);
        for i in (0..200).filter(|i| i % 3 == 0 || [63, 64, 127, 128, 199].contains(i)) {
            b.set(i);
        }
        for from in 0..=200 {
            for to in [0, 1, 63, 64, 65, 127, 128, 129, 150, 192, 199, 200] {
                let want: Vec<usize> = (from..to).filter(|&i| b.get(i)).collect();
                assert_eq!(
                    b.ones_in(from, to).collect::<Vec<_>>(),
                    want,
                    "{from}..{to}"
                );
                assert_eq!(b.count_range(from, to), want.len() as u64, "{from}..{to}");
            }
        }
    }

    #[test]
    fn bitsets() {
        let mut a = Bits::zeros(130);
        a.set(0);
        a.set(64);
        a.set(129);
        let ones = Bits::ones(130);
        assert_eq!(a.ones_in(0, 130).collect::<Vec<_>>(), vec![0, 64, 129]);
        assert!(a.get(129) && !a.get(128));
        assert_eq!(ones.count_range(0, 130), 130);
        // S, E and retained among the kept: start {0, 64, 129}, end {64, 100}.
        let mut end = Bits::zeros(130);
        end.set(64);
        end.set(100);
        let n = base_counts(&a, &end, &ones, None);
        assert_eq!((n.start, n.end, n.retained), (3, 2, 1));
        // By NPS class: 0 a promoter, 64 a passive, 129 none; 100 a detractor not in S.
        let (mut p, mut q, mut d) = (Bits::zeros(130), Bits::zeros(130), Bits::zeros(130));
        p.set(0);
        q.set(64);
        d.set(100);
        let n = base_counts(&a, &end, &ones, Some(&[p, q, d]));
        assert_eq!((n.start, n.end, n.retained), (3, 2, 1));
        assert_eq!((n.class_start, n.class_retained), ([1, 1, 0], [0, 1, 0]));
        // A filter keeping only 64 and 100.
        let mut kept = Bits::zeros(130);
        kept.set(64);
        kept.set(100);
        let n = base_counts(&a, &end, &kept, None);
        assert_eq!((n.start, n.end, n.retained), (1, 2, 1));
        assert_eq!(a.count_range(0, 130), 3);
        assert_eq!(a.count_range(1, 129), 1);
        assert_eq!(a.count_range(64, 65), 1);
        assert_eq!(ones.count_range(3, 3), 0);
        assert_eq!(ones.count_range(60, 70), 10);
    }
}
