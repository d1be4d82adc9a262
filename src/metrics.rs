//! The metrics engine (kpi-spec §3–§5): `compute(&Dataset, &Query) -> Snapshot`.
//!
//! Everything runs over the compact `Index` built at load. Ratios whose
//! denominator is zero are `None` (null in JSON, `–` on screen).

pub mod alerts;
pub mod customer;
pub mod definitions;
pub mod goals;
pub mod kpi;
pub mod period;
pub mod query;
pub mod snapshot;
pub mod timeline;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::calendar::{Day, format_day};
use crate::data::index::Index;
use crate::data::parse::amount_to_f64;
use crate::data::schema::Survey;
use crate::data::{Dataset, Scales};
pub use period::{Granularity, Period, PeriodJson};
pub use query::{MetricsError, Query};
pub use snapshot::*;
use timeline::{Bits, Timeline};

/// Days per average month, for the monthly run rate.
pub const DAYS_PER_MONTH: f64 = 30.436875;

/// Whether an NPS change exceeds √(m₁² + m₂²); false when either margin is undefined.
fn significant(now: &Nps, before: &Nps) -> bool {
    match (now.score, before.score, now.margin, before.margin) {
        (Some(a), Some(b), Some(m1), Some(m2)) => (a - b).abs() > (m1 * m1 + m2 * m2).sqrt(),
        _ => false,
    }
}

/// Nearest-rank percentile of sorted values: the value at rank ⌈p·n⌉, with
/// p = num/den (the median is 1/2: the lower middle value for even n).
pub fn nearest_rank<T: Copy>(sorted: &[T], num: usize, den: usize) -> Option<T> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (num * n).div_ceil(den).max(1);
    Some(sorted[rank - 1])
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den != 0.0).then(|| num / den)
}

fn pct(num: u64, den: u64) -> Option<f64> {
    ratio(num as f64 * 100.0, den as f64)
}

/// The typical purchase cycle (median pooled gap) and the churn window W.
pub fn churn_window(ix: &Index, fixed: Option<u32>) -> (Option<f64>, u32) {
    let cycle = nearest_rank(&ix.gaps, 1, 2).map(f64::from);
    let w = match (fixed, cycle) {
        (Some(w), _) => w,
        (None, Some(c)) if ix.gaps.len() >= 30 => (3.0 * c).round().clamp(7.0, 730.0) as u32,
        _ => 90,
    };
    (cycle, w)
}

/// Which customers, responses and tickets the filters keep, as bitsets
/// (cached per filter by the engine).
pub struct Masks {
    /// The filter these masks are of.
    key: FilterKey,
    active: bool,
    /// A segment filter alone: (segment column, value code; `None` when the value never occurs).
    segment_only: Option<(usize, Option<u32>)>,
    customers: Bits,
    /// Over `Index::responses`.
    responses: Bits,
    /// Over `Index::tickets` (creation order).
    tickets: Bits,
    /// Over `Index::solved_order`.
    solved: Bits,
}

type FilterKey = (Option<(String, String)>, Option<Period>);

fn build_masks(ix: &Index, q: &Query) -> Result<Masks, MetricsError> {
    let n = ix.customer_count();
    if q.segment.is_none() && q.cohort.is_none() {
        return Ok(Masks {
            key: (None, None),
            active: false,
            segment_only: None,
            customers: Bits::ones(n),
            responses: Bits::ones(ix.responses.len()),
            tickets: Bits::ones(ix.tickets.len()),
            solved: Bits::ones(ix.solved_order.len()),
        });
    }
    let code = match &q.segment {
        None => None,
        Some((col, value)) => {
            let seg = ix
                .segments
                .iter()
                .position(|s| s.name == *col)
                .ok_or_else(|| MetricsError::UnknownSegment {
                    column: col.clone(),
                    known: if ix.segments.is_empty() {
                        "(none)".into()
                    } else {
                        ix.segments
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                })?;
            Some((
                seg,
                ix.segments[seg]
                    .values
                    .iter()
                    .position(|v| v == value)
                    .map(|x| x as u32),
            ))
        }
    };
    let cohort = q.cohort.map(|c| (c.start(), c.end()));
    let mut customers = Bits::zeros(n);
    for c in 0..n {
        // Customers with refunds only belong to no segment and no cohort.
        let Some(first) = ix.first_day[c] else {
            continue;
        };
        let seg_ok = match code {
            None => true,
            Some((seg, value)) => value.is_some() && ix.segments[seg].of_customer[c] == value,
        };
        if seg_ok && cohort.is_none_or(|(s, e)| first >= s && first < e) {
            customers.set(c);
        }
    }
    // A row without a customer is kept only under a segment filter alone, when its file carries
    // the segment column with the same value (kpi-spec §5).
    // The filter's value as coded in each file's segment column (`None`: no row has it).
    let row_kept = |customer: Option<u32>,
                    has_id: bool,
                    column: Option<(&[u32], u32)>,
                    i: usize| match customer {
        Some(c) => customers.get(c as usize),
        None if has_id || q.cohort.is_some() => false,
        None => column.is_some_and(|(codes, code)| codes[i] == code),
    };
    fn seg_col<'i>(
        segs: &'i crate::data::index::RowSegments,
        q: &Query,
    ) -> Option<(&'i [u32], u32)> {
        let (name, value) = q.segment.as_ref()?;
        let col = segs.columns.get(name)?;
        Some((&col.codes, col.code_of(value)?))
    }
    let mut responses = Bits::zeros(ix.responses.len());
    let rcol = seg_col(&ix.response_segments, q);
    for (i, r) in ix.responses.iter().enumerate() {
        if row_kept(r.customer, r.has_customer_id, rcol, i) {
            responses.set(i);
        }
    }
    let mut tickets = Bits::zeros(ix.tickets.len());
    let tcol = seg_col(&ix.ticket_segments, q);
    for (i, t) in ix.tickets.iter().enumerate() {
        if row_kept(t.customer, t.has_customer_id, tcol, i) {
            tickets.set(i);
        }
    }
    let mut solved = Bits::zeros(ix.solved_order.len());
    for (k, &i) in ix.solved_order.iter().enumerate() {
        if tickets.get(i as usize) {
            solved.set(k);
        }
    }
    let segment_only = if q.cohort.is_none() { code } else { None };
    Ok(Masks {
        key: (q.segment.clone(), q.cohort),
        active: true,
        segment_only,
        customers,
        responses,
        tickets,
        solved,
    })
}

/// The five largest non-zero counts with their names and ids, largest first
/// (ties by name).
fn top_five<'n>(
    counts: &[u64],
    names: &'n [String],
) -> impl Iterator<Item = (&'n str, u64, usize)> + use<'n> {
    let mut top: Vec<(&str, u64, usize)> = counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(id, n)| (names[id].as_str(), *n, id))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    top.into_iter().take(5)
}

/// Retention share of S by each customer's latest NPS answer before s, from
/// the period's base counts (none: the period is outside the timeline).
fn loyalty(base: Option<&timeline::BaseCounts>) -> Loyalty {
    let Some(b) = base else {
        return Loyalty::default();
    };
    let share = |k: usize| pct(b.class_retained[k], b.class_start[k]);
    let sized: u64 = b.class_start.iter().sum();
    let kept: u64 = b.class_retained.iter().sum();
    Loyalty {
        promoter: share(0),
        passive: share(1),
        detractor: share(2),
        none: pct(b.retained - kept, b.start - sized),
    }
}

fn in_base(days: &[Day], x: Day, w: u32) -> bool {
    let i = days.partition_point(|&d| d <= x);
    i > 0 && days[i - 1] > x - w as i32
}

/// The values at the nearest ranks 1/2 and 9/10, in linear time.
fn median_p90(v: &mut [f64]) -> Spread {
    let n = v.len();
    if n == 0 {
        return Spread::default();
    }
    let mut at = |num: usize, den: usize| {
        let k = (num * n).div_ceil(den).max(1) - 1;
        *v.select_nth_unstable_by(k, f64::total_cmp).1
    };
    Spread {
        median: Some(at(1, 2)),
        p90: Some(at(9, 10)),
    }
}

struct Ctx<'a> {
    ix: &'a Index,
    tl: &'a Timeline,
    /// The timeline whose period ends give S: `tl` itself, or the whole
    /// periods' when `tl` cuts them (S is the base at the close of the day
    /// before a period starts, whatever its cut).
    start_tl: &'a Timeline,
    masks: &'a Masks,
    scales: Scales,
    /// Feedback and ticket results per filter and period, shared across queries
    /// (`None` in tests that check the scans).
    parts: Option<&'a PartsCache>,
    /// Whole KPI blocks per filter, period and window, shared likewise.
    kpis_cache: Option<&'a KpisCache>,
    /// Per-period scans of this context's filter, shared between the blocks of one compute.
    memo: RefCell<Memo>,
}

/// The scans a context has made, by period (a compute touches about five periods).
#[derive(Default)]
struct Memo {
    feedback: Vec<(Period, Rc<FeedbackScan>)>,
    created: Vec<(Period, Rc<CreatedScan>)>,
}

/// What one pass over a period's kept responses counts.
#[derive(Default)]
struct FeedbackScan {
    promoters: u64,
    passives: u64,
    detractors: u64,
    /// Comment word counts by word id (the vocabulary is small: arrays beat maps).
    detractor_words: Vec<u64>,
    promoter_words: Vec<u64>,
    csat_n: u64,
    csat_good: u64,
    csat_sum: f64,
    ces_n: u64,
    ces_easy: u64,
    ces_sum: f64,
}

/// What one pass over the kept tickets created in a period counts.
#[derive(Default)]
struct CreatedScan {
    count: u64,
    first_response_hours: Spread,
    rated: u64,
    satisfied: u64,
    /// Tickets by category id.
    categories: Vec<u64>,
}

/// One period's unfiltered feedback and ticket results (NPS without the
/// significance of its change, which depends on the previous period).
struct Parts {
    nps: Nps,
    csat: Csat,
    ces: Ces,
    tickets: Option<Tickets>,
}

/// Per filter, period and survey scales.
type PartsCache = Mutex<HashMap<(FilterKey, Period, Option<i32>, (u8, u8)), Arc<Parts>>>;

/// Tickets per block of `OpenIndex::latest_solved`.
const OPEN_BLOCK: usize = 64;

/// The tickets never solved, and the latest solved instant of each block of
/// `OPEN_BLOCK` tickets in creation order: a solved ticket open at an instant
/// lies in a block whose latest solved instant is after it, so a search skips
/// the blocks of long-closed tickets.
struct OpenIndex {
    /// Ticket indices, ascending.
    never: Vec<u32>,
    latest_solved: Vec<i64>,
}

impl OpenIndex {
    fn build(ix: &Index) -> Self {
        OpenIndex {
            never: (0..ix.tickets.len() as u32)
                .filter(|&i| ix.tickets[i as usize].solved.is_none())
                .collect(),
            latest_solved: ix
                .tickets
                .chunks(OPEN_BLOCK)
                .map(|b| b.iter().filter_map(|t| t.solved).max().unwrap_or(i64::MIN))
                .collect(),
        }
    }
}

/// Segment columns with at most this many values are prepared in the background.
pub const WARM_SEGMENT_VALUES: usize = 12;

/// Per filter, period, churn window and survey scales: a view's trend, goals
/// and alerts read the same dozen periods.
type KpisCache = Mutex<HashMap<(FilterKey, Period, u32, Option<i32>, (u8, u8)), Arc<Kpis>>>;

/// Entries kept in the parts cache before it is emptied (each holds a few hundred bytes).
const PARTS_CACHE_LIMIT: usize = 100_000;

type RiskKey = (Granularity, u32, u64);

/// Churn-risk candidates of each period, and each period's full list once computed.
struct RiskCache {
    candidates: Vec<Vec<u32>>,
    /// Each period's full at-risk list, built on first use.
    lists: Vec<std::sync::OnceLock<Arc<[AtRisk]>>>,
    /// The latest filtered lists: (filter, period index, list), newest last.
    filtered: Mutex<Vec<FilteredRisk>>,
}

/// A filtered at-risk list: the filter, the period's index in the timeline, the list.
type FilteredRisk = (FilterKey, usize, Arc<[AtRisk]>);

/// Filtered at-risk lists kept per timeline (one can hold tens of thousands of rows).
const FILTERED_RISK_LISTS: usize = 8;

impl Ctx<'_> {
    /// The day after a period's last counted day: its end, L + 1 for the
    /// period to date, or earlier when this context cuts periods.
    fn end_of(&self, p: &Period) -> Day {
        match (self.tl.index_of(p), self.tl.cut) {
            (Some(i), _) => self.tl.end_of(i),
            // Before or after the data: the cut still applies.
            (None, Some(n)) => p.end().min(p.start() + n.max(1)),
            (None, None) => p.end(),
        }
    }

    fn customer(&self, c: usize) -> bool {
        !self.masks.active || self.masks.customers.get(c)
    }

    /// Calls `f` with each position in `range` that the filter's `kept` mask
    /// keeps (every one without a filter).
    fn for_kept(&self, kept: &Bits, range: std::ops::Range<usize>, f: impl FnMut(usize)) {
        if self.masks.active {
            kept.ones_in(range.start, range.end).for_each(f);
        } else {
            range.for_each(f);
        }
    }

    /// Calls `f` with the index of each kept response dated in [from, to).
    fn for_responses(&self, from: Day, to: Day, f: impl FnMut(usize)) {
        let days = &self.ix.response_day;
        let lo = days.partition_point(|&d| d < from);
        let hi = days.partition_point(|&d| d < to);
        self.for_kept(&self.masks.responses, lo..hi, f);
    }

    /// Range of tickets created in [s, e) (creation order).
    fn created_range(&self, s: Day, e: Day) -> std::ops::Range<usize> {
        let t = &self.ix.tickets;
        t.partition_point(|x| x.created_day < s)..t.partition_point(|x| x.created_day < e)
    }

    /// The KPIs of a period under this context's filter, computed once per engine.
    fn kpis(&self, p: &Period) -> Kpis {
        let Some(cache) = self.kpis_cache else {
            return self.compute_kpis(p);
        };
        let key = (
            self.masks.key.clone(),
            *p,
            self.tl.window,
            self.tl.cut,
            (self.scales.csat, self.scales.ces),
        );
        if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return (*hit).clone();
        }
        let k = self.compute_kpis(p);
        if let Ok(mut c) = cache.lock() {
            if c.len() >= PARTS_CACHE_LIMIT {
                c.clear();
            }
            c.insert(key, Arc::new(k.clone()));
        }
        k
    }

    fn compute_kpis(&self, p: &Period) -> Kpis {
        let mut cu = Customers::default();
        let mut sums = timeline::Totals::default();
        let mut base = None;
        if let Some(i) = self.tl.index_of(p) {
            let (tl, mask) = (self.tl, &self.masks.customers);
            let (start, end) = (
                self.start_tl.end_bits(i as isize - 1),
                tl.end_bits(i as isize),
            );
            let counts = timeline::base_counts(start, end, mask, tl.nps_class.get(i));
            base = Some(counts);
            cu.start = counts.start;
            cu.end = counts.end;
            cu.retained = counts.retained;
            for &c in &tl.new[i] {
                if self.customer(c as usize) {
                    cu.new += 1;
                    cu.new_at_end += end.get(c as usize) as u64;
                }
            }
            cu.lost = cu.start - cu.retained;
            cu.won_back = cu.end - cu.retained - cu.new_at_end;
            let by_segment = self.masks.segment_only.and_then(|(col, value)| {
                let table = tl.segment_totals.get(col)?.as_ref()?;
                Some(value.map_or_else(timeline::Totals::default, |v| table[v as usize][i]))
            });
            if !self.masks.active {
                sums = tl.totals[i];
            } else if let Some(t) = by_segment {
                sums = t;
            } else {
                for a in &tl.activity[i] {
                    if mask.get(a.customer as usize) {
                        sums.add(a);
                    }
                }
            }
        }
        let timeline::Totals {
            revenue,
            orders,
            buyers,
            repeaters,
        } = sums;
        let revenue = amount_to_f64(revenue);
        let retention_rate = pct(cu.end - cu.new_at_end, cu.start);
        let retained_rate = pct(cu.retained, cu.start);
        let churn_rate = pct(cu.lost, cu.start);
        let apv = ratio(revenue, orders as f64);
        let apf = ratio(orders as f64, buyers as f64);
        // Per month of the days counted (a period to date counts fewer).
        let days = self.end_of(p) - p.start();
        let monthly_revenue = revenue / (days as f64 / DAYS_PER_MONTH);
        let clv = match (apv, apf, churn_rate) {
            (Some(v), Some(f), Some(ch)) if ch != 0.0 => Some(v * f / (ch / 100.0)),
            _ => None,
        };
        let has_fb = self.ix.has_feedback;
        // The period's results for this filter, shared across queries (tests: scan every time).
        let (nps, csat, ces, tickets) = if self.parts.is_some() {
            let parts = self.parts_of(p);
            let mut nps = parts.nps.clone();
            nps.change_significant = significant(&nps, &self.parts_of(&p.previous()).nps);
            (
                nps,
                parts.csat.clone(),
                parts.ces.clone(),
                parts.tickets.clone(),
            )
        } else {
            let (csat, ces) = if has_fb {
                self.satisfaction(p)
            } else {
                Default::default()
            };
            let nps = if has_fb {
                self.nps(p, true, true)
            } else {
                Nps::default()
            };
            (nps, csat, ces, self.ix.has_tickets.then(|| self.tickets(p)))
        };
        Kpis {
            retention_rate,
            retained_rate,
            churn_rate,
            lost_per_new: ratio(cu.lost as f64, cu.new as f64),
            revenue,
            orders,
            buyers,
            apv,
            apf,
            arpc: ratio(revenue, buyers as f64),
            monthly_revenue,
            mrr: ratio(monthly_revenue, buyers as f64).map(|m| m * cu.end as f64),
            repeat_purchase_rate: pct(repeaters, buyers),
            clv,
            nps: has_fb.then_some(nps),
            csat: has_fb.then_some(csat),
            ces: has_fb.then_some(ces),
            loyalty_retention: has_fb.then(|| loyalty(base.as_ref())),
            tickets,
            customers: cu,
        }
    }

    /// The feedback and ticket results of a period under this context's
    /// filter, computed once per engine.
    fn parts_of(&self, p: &Period) -> Arc<Parts> {
        let key = (
            self.masks.key.clone(),
            *p,
            self.tl.cut,
            (self.scales.csat, self.scales.ces),
        );
        if let Some(hit) = self.parts.and_then(|c| c.lock().ok()?.get(&key).cloned()) {
            return hit;
        }
        let (csat, ces) = self.satisfaction(p);
        let parts = Arc::new(Parts {
            nps: self.nps(p, true, false),
            csat,
            ces,
            tickets: self.ix.has_tickets.then(|| self.tickets(p)),
        });
        if let Some(Ok(mut cache)) = self.parts.map(|c| c.lock()) {
            if cache.len() >= PARTS_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, parts.clone());
        }
        parts
    }

    /// One pass over a period's kept responses, shared by every block of a
    /// compute that needs the period (its own, the next period's change).
    fn feedback_scan(&self, p: &Period) -> Rc<FeedbackScan> {
        if let Some((_, hit)) = self.memo.borrow().feedback.iter().find(|(q, _)| q == p) {
            return hit.clone();
        }
        let ix = self.ix;
        let vocab = ix.vocabulary.len();
        let mut f = FeedbackScan {
            detractor_words: vec![0; vocab],
            promoter_words: vec![0; vocab],
            ..FeedbackScan::default()
        };
        let csat_good = if self.scales.csat == 10 { 8.0 } else { 4.0 };
        let ces_easy = if self.scales.ces == 5 { 4.0 } else { 5.0 };
        self.for_responses(p.start(), self.end_of(p), |i| {
            let score = ix.response_score[i];
            match ix.response_survey[i] {
                Survey::Nps => {
                    let words = if score >= 9.0 {
                        f.promoters += 1;
                        &mut f.promoter_words
                    } else if score >= 7.0 {
                        f.passives += 1;
                        return;
                    } else {
                        f.detractors += 1;
                        &mut f.detractor_words
                    };
                    for &w in ix.words_of(i) {
                        words[w as usize] += 1;
                    }
                }
                Survey::Csat => {
                    f.csat_n += 1;
                    f.csat_good += (score >= csat_good) as u64;
                    f.csat_sum += score;
                }
                Survey::Ces => {
                    f.ces_n += 1;
                    f.ces_easy += (score >= ces_easy) as u64;
                    f.ces_sum += score;
                }
            }
        });
        let f = Rc::new(f);
        self.memo.borrow_mut().feedback.push((*p, f.clone()));
        f
    }

    /// NPS of a period; `full` adds the detractor themes, `change` the
    /// significance of the change from the previous period.
    fn nps(&self, p: &Period, full: bool, change: bool) -> Nps {
        let f = self.feedback_scan(p);
        let mut n = Nps {
            responses: f.promoters + f.passives + f.detractors,
            promoters: f.promoters,
            passives: f.passives,
            detractors: f.detractors,
            ..Nps::default()
        };
        if n.responses > 0 {
            let t = n.responses as f64;
            let (ps, ds) = (n.promoters as f64 / t, n.detractors as f64 / t);
            n.score = Some((ps - ds) * 100.0);
            if n.responses >= 2 {
                n.margin = Some(1.96 * 100.0 * ((ps + ds - (ps - ds).powi(2)) / t).max(0.0).sqrt());
            }
        }
        if full {
            n.detractor_themes = top_five(&f.detractor_words, &self.ix.vocabulary)
                .map(|(word, count, id)| Theme {
                    word: word.to_string(),
                    count,
                    promoter_count: f.promoter_words[id],
                })
                .collect();
        }
        if full && change {
            n.change_significant = significant(&n, &self.nps(&p.previous(), false, false));
        }
        n
    }

    /// CSAT and CES of a period's responses.
    fn satisfaction(&self, p: &Period) -> (Csat, Ces) {
        let f = self.feedback_scan(p);
        (
            Csat {
                score: pct(f.csat_good, f.csat_n),
                mean: ratio(f.csat_sum, f.csat_n as f64),
                responses: f.csat_n,
            },
            Ces {
                mean: ratio(f.ces_sum, f.ces_n as f64),
                easy_share: pct(f.ces_easy, f.ces_n),
                responses: f.ces_n,
            },
        )
    }

    /// One pass over the kept tickets created in a period, shared like
    /// `feedback_scan` (a period's category counts are the next one's "previous").
    fn created_scan(&self, p: &Period) -> Rc<CreatedScan> {
        if let Some((_, hit)) = self.memo.borrow().created.iter().find(|(q, _)| q == p) {
            return hit.clone();
        }
        let ix = self.ix;
        let mut c = CreatedScan {
            categories: vec![0; ix.categories.len()],
            ..CreatedScan::default()
        };
        let mut first = Vec::new();
        let range = self.created_range(p.start(), self.end_of(p));
        let visit = |i: usize| {
            let t = &ix.tickets[i];
            c.count += 1;
            if let Some(r) = t.first_response {
                first.push((r - t.created) as f64 / 3600.0);
            }
            if let Some(r) = t.rating {
                c.rated += 1;
                c.satisfied += r.satisfied() as u64;
            }
            if let Some(k) = t.category {
                c.categories[k as usize] += 1;
            }
        };
        self.for_kept(&self.masks.tickets, range, visit);
        c.first_response_hours = median_p90(&mut first);
        let c = Rc::new(c);
        self.memo.borrow_mut().created.push((*p, c.clone()));
        c
    }

    fn tickets(&self, p: &Period) -> Tickets {
        let ix = self.ix;
        let (s, e) = (p.start(), self.end_of(p));
        let created = self.created_scan(p);
        let mut out = Tickets {
            count: created.count,
            first_response_hours: created.first_response_hours.clone(),
            csat: pct(created.satisfied, created.rated),
            ..Tickets::default()
        };
        // Solved in the period, whatever the creation date.
        let so = &ix.solved_order;
        let solved_before = |day: Day| {
            so.partition_point(|&i| ix.tickets[i as usize].solved_day.unwrap_or(Day::MAX) < day)
        };
        let (slo, shi) = (solved_before(s), solved_before(e));
        let mut resolution = Vec::with_capacity(shi.saturating_sub(slo));
        let visit = |k: usize| {
            let t = &ix.tickets[so[k] as usize];
            resolution.push((t.solved.unwrap_or(t.created) - t.created) as f64 / 3600.0);
        };
        self.for_kept(&self.masks.solved, slo..shi, visit);
        // Backlog: created before e minus solved before e (a solved ticket was created first).
        let created_before = ix.tickets.partition_point(|x| x.created_day < e);
        let (made, done) = if self.masks.active {
            (
                self.masks.tickets.count_range(0, created_before),
                self.masks.solved.count_range(0, shi),
            )
        } else {
            (created_before as u64, shi as u64)
        };
        out.backlog = made.saturating_sub(done);
        out.resolution_hours = median_p90(&mut resolution);
        let before = self.created_scan(&p.previous());
        out.top_categories = top_five(&created.categories, &ix.categories)
            .map(|(name, count, c)| CategoryCount {
                category: name.to_string(),
                count,
                previous: before.categories[c],
            })
            .collect();
        out
    }

    fn cohorts(&self) -> Cohorts {
        let (ix, tl) = (self.ix, self.tl);
        let g = tl.granularity;
        let Some(last) = ix.last_purchase_day else {
            return Cohorts {
                granularity: g,
                rows: Vec::new(),
            };
        };
        let mut sizes = vec![0u64; tl.len];
        for (i, news) in tl.new.iter().enumerate() {
            sizes[i] = news.iter().filter(|&&c| self.customer(c as usize)).count() as u64;
        }
        let mut counts: Vec<Vec<u64>> = vec![Vec::new(); tl.len];
        for (i, entries) in tl.activity.iter().enumerate() {
            for a in entries {
                if !a.buyer || !self.customer(a.customer as usize) {
                    continue;
                }
                if let Some(k) = tl.first_period[a.customer as usize] {
                    let (k, age) = (k as usize, i - k as usize);
                    if counts[k].len() <= age {
                        counts[k].resize(age + 1, 0);
                    }
                    counts[k][age] += 1;
                }
            }
        }
        let rows = (0..tl.len)
            .filter(|&k| sizes[k] > 0)
            .map(|k| {
                let cohort = tl.first.shift(k as i32);
                let mut retention = Vec::new();
                let mut partial_from = None;
                let mut p = cohort;
                let mut age = 0;
                while p.start() <= last {
                    retention.push(
                        counts[k].get(age).copied().unwrap_or(0) as f64 * 100.0 / sizes[k] as f64,
                    );
                    if partial_from.is_none() && p.end() - 1 > last {
                        partial_from = Some(age);
                    }
                    p = p.next();
                    age += 1;
                }
                CohortRow {
                    cohort: cohort.label(),
                    size: sizes[k],
                    retention,
                    partial_from,
                }
            })
            .collect();
        Cohorts {
            granularity: g,
            rows,
        }
    }

    /// Customers in E overdue by at least `threshold` of their own purchase cycles,
    /// checked among the period's precomputed candidates.
    /// Customers in E overdue by at least `threshold` of their own purchase cycles.
    /// The full list of a period is computed once from its candidates and kept;
    /// a filter selects from it.
    fn churn_risk(
        &self,
        p: &Period,
        cycle: Option<f64>,
        threshold: f64,
        cache: &RiskCache,
    ) -> Arc<[AtRisk]> {
        let Some(i) = self.tl.index_of(p) else {
            return Arc::from(Vec::new());
        };
        let rows = cache.lists[i].get_or_init(|| {
            let end = self.tl.end_bits(i as isize);
            let list: Vec<usize> = cache.candidates[i]
                .iter()
                .map(|&c| c as usize)
                .filter(|&c| end.get(c))
                .collect();
            let mut out = self.at_risk(&list, self.end_of(p), cycle, threshold);
            out.sort_by(|a, b| {
                b.revenue_at_stake
                    .total_cmp(&a.revenue_at_stake)
                    .then(b.overdue.total_cmp(&a.overdue))
                    .then_with(|| a.customer_id.cmp(&b.customer_id))
            });
            Arc::from(out)
        });
        if !self.masks.active {
            return rows.clone();
        }
        let key = &self.masks.key;
        let hit = cache.filtered.lock().ok().and_then(|f| {
            f.iter()
                .find(|(k, at, _)| k == key && *at == i)
                .map(|(_, _, l)| l.clone())
        });
        if let Some(list) = hit {
            return list;
        }
        let list: Arc<[AtRisk]> = rows
            .iter()
            .filter(|r| self.customer(r.customer as usize))
            .cloned()
            .collect();
        if let Ok(mut f) = cache.filtered.lock() {
            if f.len() >= FILTERED_RISK_LISTS {
                f.remove(0);
            }
            f.push((key.clone(), i, list.clone()));
        }
        list
    }

    fn at_risk(
        &self,
        customers: &[usize],
        e: Day,
        cycle: Option<f64>,
        threshold: f64,
    ) -> Vec<AtRisk> {
        let ix = self.ix;
        let mut out = Vec::new();
        for &c in customers {
            let pd = ix.pdays(c);
            let k = pd.partition_point(|&d| d < e);
            if k == 0 {
                continue;
            }
            // k purchase days before e: k − 1 own gaps; fewer than 2 → the typical cycle.
            let own = if k >= 3 {
                Some(ix.own_medians(c)[k - 1])
            } else {
                cycle
            };
            let Some(cyc) = own.filter(|x| *x > 0.0) else {
                continue;
            };
            let overdue = (e - 1 - pd[k - 1]) as f64 / cyc;
            if overdue < threshold {
                continue;
            }
            let nps = ix.nps_of(c);
            let last_nps = nps[..nps.partition_point(|(d, _)| *d < e)]
                .last()
                .map(|(_, s)| *s as i64);
            let open = ix
                .tickets_of(c)
                .iter()
                .filter(|&&t| {
                    let t = &ix.tickets[t as usize];
                    t.created_day < e && t.solved_day.is_none_or(|d| d >= e)
                })
                .count() as u64;
            out.push(AtRisk {
                customer: c as u32,
                customer_id: ix.customers[c].clone(),
                overdue,
                revenue_at_stake: amount_to_f64(ix.revenue(c, e - 365, e)),
                last_nps: if ix.has_feedback { last_nps } else { None },
                open_tickets: ix.has_tickets.then_some(open),
            });
        }
        out
    }
}

pub use crate::text::stopwords;

type CohortKey = (Granularity, Option<(String, String)>, Option<Period>);
/// Granularity, churn window, and the days each period is cut to (if any).
type TimelineKey = (Granularity, u32, Option<i32>);

/// The engine over one dataset: caches the timeline of each (granularity,
/// window) and the cohort table of each (granularity, filter), so that a
/// period change only recounts.
pub struct Engine<'d> {
    ds: &'d Dataset,
    timelines: Mutex<HashMap<TimelineKey, Arc<Timeline>>>,
    cohorts: Mutex<HashMap<CohortKey, Arc<Cohorts>>>,
    masks: Mutex<HashMap<FilterKey, Arc<Masks>>>,
    risk: Mutex<HashMap<RiskKey, Arc<RiskCache>>>,
    parts: PartsCache,
    kpis: KpisCache,
    /// Finds the tickets open at an instant, built on first use.
    open_index: std::sync::OnceLock<OpenIndex>,
    /// Tests: compute every period by scanning, as a filtered query would.
    pub no_parts: bool,
}

impl<'d> Engine<'d> {
    pub fn new(ds: &'d Dataset) -> Self {
        Engine {
            ds,
            timelines: Mutex::new(HashMap::new()),
            cohorts: Mutex::new(HashMap::new()),
            masks: Mutex::new(HashMap::new()),
            risk: Mutex::new(HashMap::new()),
            parts: Mutex::new(HashMap::new()),
            kpis: Mutex::new(HashMap::new()),
            open_index: std::sync::OnceLock::new(),
            no_parts: false,
        }
    }

    pub fn dataset(&self) -> &'d Dataset {
        self.ds
    }

    /// The timeline of a granularity and window, built on first use.
    pub fn timeline(&self, g: Granularity, window: u32) -> Arc<Timeline> {
        self.timeline_cut(g, window, None)
    }

    /// The timeline whose periods are counted for their first `cut` days
    /// (the like-for-like comparisons of a period to date), built on first use.
    pub fn timeline_cut(&self, g: Granularity, window: u32, cut: Option<i32>) -> Arc<Timeline> {
        let key = (g, window, cut);
        if let Some(t) = self
            .timelines
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return t;
        }
        let t = Arc::new(Timeline::build(&self.ds.index, g, window, cut));
        crate::data::trace(&format!("timeline built ({})", g.name()));
        if let Ok(mut m) = self.timelines.lock() {
            m.insert(key, t.clone());
        }
        t
    }

    /// The masks of a filter, built on first use.
    fn masks(&self, q: &Query) -> Result<Arc<Masks>, MetricsError> {
        let key: FilterKey = (q.segment.clone(), q.cohort);
        if let Some(m) = self.masks.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(m);
        }
        let m = Arc::new(build_masks(&self.ds.index, q)?);
        if let Ok(mut cache) = self.masks.lock() {
            cache.insert(key, m.clone());
        }
        Ok(m)
    }

    /// The churn-risk candidates of a timeline and threshold, built on first use.
    fn risk_candidates(&self, tl: &Timeline, cycle: Option<f64>, threshold: f64) -> Arc<RiskCache> {
        let key = (tl.granularity, tl.window, threshold.to_bits());
        if let Some(r) = self.risk.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return r;
        }
        let candidates = tl.risk_candidates(&self.ds.index, cycle, threshold);
        let lists = (0..candidates.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
        let r = Arc::new(RiskCache {
            candidates,
            lists,
            filtered: Mutex::default(),
        });
        if let Ok(mut m) = self.risk.lock() {
            m.insert(key, r.clone());
        }
        r
    }

    /// Builds the timelines (and churn-risk candidates for `threshold`) of every
    /// granularity for a window, two at a time.
    pub fn warm(&self, window: Option<u32>, threshold: f64, scales: Scales) {
        let (cycle, w) = churn_window(&self.ds.index, window);
        std::thread::scope(|s| {
            for pair in Granularity::ALL.chunks(2) {
                s.spawn(move || {
                    for g in pair {
                        let tl = self.timeline(*g, w);
                        // The period to date compares with its cut neighbours: their timeline too.
                        if let Some(last) = self.ds.index.last_purchase_day {
                            let latest = Period::containing(*g, last);
                            if let Some(i) = tl.index_of(&latest)
                                && tl.end_of(i) < latest.end()
                            {
                                self.timeline_cut(*g, w, Some(tl.end_of(i) - latest.start()));
                            }
                        }
                        let risk = self.risk_candidates(&tl, cycle, threshold);
                        // Every period's unfiltered feedback and ticket results.
                        let Ok(masks) = build_masks(&self.ds.index, &Query::new(tl.first)) else {
                            continue;
                        };
                        let ctx = Ctx {
                            ix: &self.ds.index,
                            tl: &tl,
                            start_tl: &tl,
                            masks: &masks,
                            scales,
                            parts: Some(&self.parts),
                            kpis_cache: None,
                            memo: RefCell::default(),
                        };
                        for k in 0..tl.len as i32 {
                            ctx.parts_of(&tl.first.shift(k));
                        }
                        // The at-risk lists of the latest period and the one before,
                        // which the first view shows and its alerts compare.
                        if let Some(day) = self.ds.index.last_row_day {
                            let latest = Period::containing(*g, day);
                            for p in [latest, latest.previous()] {
                                ctx.churn_risk(&p, cycle, threshold, &risk);
                            }
                        }
                    }
                });
            }
            s.spawn(|| self.open_tickets_at(0).count());
        });
    }

    /// Forgets the finished results (KPI blocks and filtered at-risk lists) but
    /// keeps what the background warm-up prepared: benchmarks call it so that
    /// each timed view is computed, not looked up.
    pub fn forget_views(&self) {
        if let Ok(mut k) = self.kpis.lock() {
            k.clear();
        }
        if let Ok(risk) = self.risk.lock() {
            for r in risk.values() {
                if let Ok(mut f) = r.filtered.lock() {
                    f.clear();
                }
            }
        }
    }

    /// The cohort table of a query's granularity and filters, built on first use.
    fn cohorts_of(&self, q: &Query, ctx: &Ctx) -> Arc<Cohorts> {
        let key: CohortKey = (q.period.granularity, q.segment.clone(), q.cohort);
        if let Some(c) = self.cohorts.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return c;
        }
        let c = Arc::new(ctx.cohorts());
        if let Ok(mut m) = self.cohorts.lock() {
            m.insert(key, c.clone());
        }
        c
    }

    /// Prepares, at granularity `g`, the segment filters the dashboard offers
    /// from columns of at most `WARM_SEGMENT_VALUES` values: their masks, cohort
    /// tables and every period's feedback and ticket results, so that the first
    /// switch to a segment is as quick as a return to it. Run after `warm`.
    pub fn warm_segments(&self, g: Granularity, window: Option<u32>, scales: Scales) {
        let ix = &self.ds.index;
        let Some(day) = ix.last_row_day else {
            return;
        };
        for seg in ix
            .segments
            .iter()
            .filter(|s| s.values.len() <= WARM_SEGMENT_VALUES)
        {
            for value in &seg.values {
                let q = Query {
                    segment: Some((seg.name.clone(), value.clone())),
                    churn_window: window,
                    scales,
                    ..Query::new(Period::containing(g, day))
                };
                let Ok(prepared) = self.prepare(&q, g) else {
                    continue;
                };
                let ctx = self.ctx(&prepared, scales);
                self.cohorts_of(&q, &ctx);
                let tl = &prepared.tl;
                for k in 0..tl.len as i32 {
                    ctx.parts_of(&tl.first.shift(k));
                }
            }
        }
    }

    /// Computes every KPI of the query's period, its previous period and the
    /// same period a year ago, the cohort table and the churn-risk list.
    pub fn compute(&self, q: &Query) -> Result<Snapshot, MetricsError> {
        let p = q.period;
        let prepared = self.prepare(q, p.granularity)?;
        let (cycle, w, tl) = (prepared.cycle, prepared.window, &prepared.tl);
        let ctx = self.ctx(&prepared, q.scales);
        let cycle_warning = cycle.and_then(|c| {
            let required = 3.0 * c;
            (f64::from(p.days()) < required).then(|| CycleWarning {
                period_days: p.days(),
                purchase_cycle_days: c,
                required_days: required,
                suggested_granularity: Granularity::ALL
                    .into_iter()
                    .find(|g| f64::from(g.shortest_days()) >= required),
            })
        });
        let cohorts = self.cohorts_of(q, &ctx);
        // A period to date (it holds the last day of data L) is compared with
        // the same number of days from the start of the previous period and of
        // the year-ago one (kpi-spec §2).
        let counted = ctx.end_of(&p);
        let cut_tl = (counted < p.end())
            .then(|| self.timeline_cut(p.granularity, w, Some(counted - p.start())));
        let cut_ctx = cut_tl.as_deref().map(|cut| Ctx {
            tl: cut,
            start_tl: tl,
            memo: RefCell::default(),
            ..self.ctx(&prepared, q.scales)
        });
        let compare = cut_ctx.as_ref().unwrap_or(&ctx);
        let block = |p: Period| PeriodKpis {
            period: PeriodJson::counted(&p, compare.end_of(&p)),
            kpis: compare.kpis(&p),
        };
        let previous = block(p.previous());
        let mut kpis = ctx.kpis(&p);
        // NPS significance against the previous block as shown (like for like).
        if let (Some(now), Some(before)) = (kpis.nps.as_mut(), previous.kpis.nps.as_ref()) {
            now.change_significant = significant(now, before);
        }
        Ok(Snapshot {
            period: PeriodJson::counted(&p, counted),
            filters: Filters {
                segment: q.segment.as_ref().map(|(c, v)| format!("{c}={v}")),
                cohort: q.cohort.map(|c| c.label()),
            },
            churn_window_days: w,
            purchase_cycle_days: cycle,
            cycle_warning,
            kpis,
            previous: Some(previous),
            year_ago: p.year_ago().map(block),
            cohorts: (*cohorts).clone(),
            churn_risk: ctx.churn_risk(
                &p,
                cycle,
                q.at_risk_threshold,
                &self.risk_candidates(tl, cycle, q.at_risk_threshold),
            ),
            data_quality: self.ds.reports.clone(),
        })
    }
}

/// The last `n` periods up to the query's, oldest first, for sparklines.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Trend {
    pub labels: Vec<String>,
    pub retention: Vec<Option<f64>>,
    pub churn: Vec<Option<f64>>,
    pub revenue: Vec<f64>,
    pub buyers: Vec<u64>,
    pub nps: Vec<Option<f64>>,
    pub tickets: Vec<u64>,
}

/// What a query's computations share: the filter masks, the churn window
/// (and the purchase cycle it came from) and the timeline of a granularity.
struct Prepared {
    masks: Arc<Masks>,
    cycle: Option<f64>,
    window: u32,
    tl: Arc<Timeline>,
}

impl Engine<'_> {
    fn prepare(&self, q: &Query, g: Granularity) -> Result<Prepared, MetricsError> {
        let masks = self.masks(q)?;
        let (cycle, window) = churn_window(&self.ds.index, q.churn_window);
        Ok(Prepared {
            masks,
            cycle,
            window,
            tl: self.timeline(g, window),
        })
    }

    fn ctx<'a>(&'a self, p: &'a Prepared, scales: Scales) -> Ctx<'a> {
        Ctx {
            ix: &self.ds.index,
            tl: &p.tl,
            start_tl: &p.tl,
            masks: &p.masks,
            scales,
            parts: (!self.no_parts).then_some(&self.parts),
            kpis_cache: (!self.no_parts).then_some(&self.kpis),
            memo: RefCell::default(),
        }
    }

    /// KPIs of the `n` periods ending with the query's.
    pub fn trend(&self, q: &Query, n: usize) -> Result<Trend, MetricsError> {
        let mut t = Trend::default();
        for (p, kp) in self.history(q, n)? {
            t.labels.push(p.label());
            t.retention.push(kp.retained_rate);
            t.churn.push(kp.churn_rate);
            t.revenue.push(kp.revenue);
            t.buyers.push(kp.buyers);
            t.nps.push(kp.nps.and_then(|x| x.score));
            t.tickets.push(kp.tickets.map_or(0, |x| x.count));
        }
        Ok(t)
    }

    /// The KPIs of the last `n` periods up to the query's, oldest first.
    pub fn history(&self, q: &Query, n: usize) -> Result<Vec<(Period, Kpis)>, MetricsError> {
        let prepared = self.prepare(q, q.period.granularity)?;
        let ctx = self.ctx(&prepared, q.scales);
        Ok((0..n as i32)
            .rev()
            .map(|k| {
                let p = q.period.shift(-k);
                (p, ctx.kpis(&p))
            })
            .collect())
    }

    /// The churn-risk list of another period than the query's, same filters.
    pub fn churn_risk_of(&self, q: &Query, p: &Period) -> Result<Arc<[AtRisk]>, MetricsError> {
        let prepared = self.prepare(q, p.granularity)?;
        let ctx = self.ctx(&prepared, q.scales);
        let cache = self.risk_candidates(&prepared.tl, prepared.cycle, q.at_risk_threshold);
        Ok(ctx.churn_risk(p, prepared.cycle, q.at_risk_threshold, &cache))
    }

    /// Whether the query's filters keep ticket `i` (index into `Index::tickets`).
    pub fn ticket_kept(&self, q: &Query) -> Result<impl Fn(usize) -> bool + use<>, MetricsError> {
        let masks = self.masks(q)?;
        Ok(move |i| masks.tickets.get(i))
    }

    /// Indices of the tickets still unsolved at instant `now` (created by then,
    /// not solved by then), in no particular order.
    pub fn open_tickets_at(&self, now: i64) -> impl Iterator<Item = usize> + '_ {
        let ix = &self.ds.index;
        let open = self.open_index.get_or_init(|| OpenIndex::build(ix));
        // Tickets are in creation order by calendar day (in each value's own
        // offset): two days of slack, the instants decide.
        let day = (now.div_euclid(86_400).saturating_add(2)).clamp(Day::MIN.into(), Day::MAX.into())
            as Day;
        let created = ix.tickets.partition_point(|t| t.created_day <= day);
        let never = open.never.partition_point(|&i| (i as usize) < created);
        let solved_later = open
            .latest_solved
            .iter()
            .enumerate()
            .take(created.div_ceil(OPEN_BLOCK))
            .filter(move |(_, m)| **m > now)
            .flat_map(move |(b, _)| b * OPEN_BLOCK..((b + 1) * OPEN_BLOCK).min(created))
            .filter(move |&i| ix.tickets[i].solved.is_some_and(|s| s > now));
        open.never[..never]
            .iter()
            .map(|&i| i as usize)
            .chain(solved_later)
            .filter(move |&i| ix.tickets[i].created <= now)
    }
}

/// What `report` prints for one period: the snapshot, the goals and the alerts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub snapshot: Snapshot,
    pub goals: Vec<goals::GoalStatus>,
    pub alerts: Vec<alerts::Alert>,
}

impl Report {
    pub fn new(
        engine: &Engine,
        q: &Query,
        snapshot: Snapshot,
        goal_list: &[goals::Goal],
        rules: &alerts::AlertRules,
    ) -> Report {
        let goals = goals::evaluate(engine, q, goal_list);
        let alerts = alerts::evaluate(engine, q, &snapshot, &goals, rules);
        Report {
            snapshot,
            goals,
            alerts,
        }
    }
}

/// Computes one query without keeping caches (scripts, tests).
pub fn compute(ds: &Dataset, q: &Query) -> Result<Snapshot, MetricsError> {
    Engine::new(ds).compute(q)
}

/// Every period of a granularity over the data's date range, oldest first.
pub fn periods_over_data(ds: &Dataset, g: Granularity) -> Vec<Period> {
    // From the period of the first order to the one that holds L.
    let Some((a, b)) = data_bounds(ds) else {
        return Vec::new();
    };
    let mut p = Period::containing(g, a);
    let mut out = Vec::new();
    while p.start() <= b {
        out.push(p);
        p = p.next();
    }
    out
}

/// The days periods are bounded by: the first order row's day and the last
/// day of data L (the latest purchase date; kpi-spec §2).
pub fn data_bounds(ds: &Dataset) -> Option<(Day, Day)> {
    let ix = &ds.index;
    Some((ix.first_row_day?, ix.last_purchase_day?))
}

/// `YYYY-MM-DD` of the data's first and last order rows.
pub fn data_range(ds: &Dataset) -> Option<(String, String)> {
    Some((
        format_day(ds.index.first_row_day?),
        format_day(ds.index.last_row_day?),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 1, 2), Some(2));
        assert_eq!(nearest_rank(&[1, 2, 3], 1, 2), Some(2));
        assert_eq!(nearest_rank(&[5], 9, 10), Some(5));
        assert_eq!(nearest_rank(&(1..=10).collect::<Vec<_>>(), 9, 10), Some(9));
        assert_eq!(nearest_rank(&(1..=11).collect::<Vec<_>>(), 9, 10), Some(10));
        assert_eq!(nearest_rank::<i32>(&[], 1, 2), None);
    }
}
