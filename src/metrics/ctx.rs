//! The context one computation runs in (index, timeline, filter masks,
//! caches), its shared helpers, and the small arithmetic every family uses.

use super::*;

/// Whether an NPS change exceeds √(m₁² + m₂²); false when either margin is undefined.
pub(super) fn significant(now: &Nps, before: &Nps) -> bool {
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

pub(super) fn ratio(num: f64, den: f64) -> Option<f64> {
    (den != 0.0).then(|| num / den)
}

pub(super) fn pct(num: u64, den: u64) -> Option<f64> {
    ratio(num as f64 * 100.0, den as f64)
}

/// The five largest non-zero counts with their names and ids, largest first
/// (ties by name).
pub(super) fn top_five<'n>(
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

pub(super) fn in_base(days: &[Day], x: Day, w: u32) -> bool {
    let i = days.partition_point(|&d| d <= x);
    i > 0 && days[i - 1] > x - w as i32
}

/// The values at the nearest ranks 1/2 and 9/10, in linear time.
pub(super) fn median_p90(v: &mut [f64]) -> Spread {
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

pub(super) struct Ctx<'a> {
    pub(super) ix: &'a Index,
    pub(super) tl: &'a Timeline,
    /// The timeline whose period ends give S: `tl` itself, or the whole
    /// periods' when `tl` cuts them (S is the base at the close of the day
    /// before a period starts, whatever its cut).
    pub(super) start_tl: &'a Timeline,
    pub(super) masks: &'a Masks,
    pub(super) scales: Scales,
    /// Feedback and ticket results per filter and period, shared across queries
    /// (`None` in tests that check the scans).
    pub(super) parts: Option<&'a PartsCache>,
    /// Whole KPI blocks per filter, period and window, shared likewise.
    pub(super) kpis_cache: Option<&'a KpisCache>,
    /// Per-period scans of this context's filter, shared between the blocks of one compute.
    pub(super) memo: RefCell<Memo>,
}

/// The scans a context has made, by period (a compute touches about five periods).
#[derive(Default)]
pub(super) struct Memo {
    pub(super) feedback: Vec<(Period, Rc<FeedbackScan>)>,
    pub(super) created: Vec<(Period, Rc<CreatedScan>)>,
}

/// One period's unfiltered feedback and ticket results (NPS without the
/// significance of its change, which depends on the previous period).
pub(super) struct Parts {
    pub(super) nps: Nps,
    pub(super) csat: Csat,
    pub(super) ces: Ces,
    pub(super) tickets: Option<Tickets>,
    /// The revenue movements from the previous period (they do not depend
    /// on the churn window either).
    pub(super) revenue: RevenueRetention,
}

/// Per filter, period and cut (the survey scales are the engine's).
pub(super) type PartsCache = Mutex<HashMap<(FilterKey, Period, Option<i32>), Arc<Parts>>>;

/// Per filter, period, churn window and cut: a view's trend, goals and
/// alerts read the same dozen periods.
pub(super) type KpisCache = Mutex<HashMap<(FilterKey, Period, u32, Option<i32>), Arc<Kpis>>>;

/// Entries kept in the parts cache before it is emptied (each holds a few hundred bytes).
pub(super) const PARTS_CACHE_LIMIT: usize = 100_000;

impl Ctx<'_> {
    /// The day after a period's last counted day: its end, L + 1 for the
    /// period to date, or earlier when this context cuts periods.
    pub(super) fn end_of(&self, p: &Period) -> Day {
        match (self.tl.index_of(p), self.tl.cut) {
            (Some(i), _) => self.tl.end_of(i),
            // Before or after the data: the cut still applies.
            (None, Some(n)) => p.end().min(p.start() + n.max(1)),
            (None, None) => p.end(),
        }
    }

    pub(super) fn customer(&self, c: usize) -> bool {
        !self.masks.active || self.masks.customers.get(c)
    }

    /// Calls `f` with each position in `range` that the filter's `kept` mask
    /// keeps (every one without a filter).
    pub(super) fn for_kept(
        &self,
        kept: &Bits,
        range: std::ops::Range<usize>,
        f: impl FnMut(usize),
    ) {
        if self.masks.active {
            kept.ones_in(range.start, range.end).for_each(f);
        } else {
            range.for_each(f);
        }
    }

    /// Calls `f` with the index of each kept response dated in [from, to).
    pub(super) fn for_responses(&self, from: Day, to: Day, f: impl FnMut(usize)) {
        let days = self.ix.response_day();
        let lo = days.partition_point(|&d| d < from);
        let hi = days.partition_point(|&d| d < to);
        self.for_kept(&self.masks.responses, lo..hi, f);
    }

    /// Range of tickets created in [s, e) (creation order).
    pub(super) fn created_range(&self, s: Day, e: Day) -> std::ops::Range<usize> {
        let t = self.ix.tickets();
        t.partition_point(|x| x.created_day < s)..t.partition_point(|x| x.created_day < e)
    }

    /// The KPIs of a period under this context's filter, computed once per engine.
    pub(super) fn kpis(&self, p: &Period) -> Kpis {
        let Some(cache) = self.kpis_cache else {
            return self.compute_kpis(p);
        };
        let key = (self.masks.key.clone(), *p, self.tl.window, self.tl.cut);
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

    /// The feedback and ticket results of a period under this context's
    /// filter, computed once per engine.
    pub(super) fn parts_of(&self, p: &Period) -> Arc<Parts> {
        let key = (self.masks.key.clone(), *p, self.tl.cut);
        if let Some(hit) = self.parts.and_then(|c| c.lock().ok()?.get(&key).cloned()) {
            return hit;
        }
        let (csat, ces) = self.satisfaction(p);
        let parts = Arc::new(Parts {
            nps: self.nps(p, true, false),
            csat,
            ces,
            tickets: self.ix.has_tickets().then(|| self.tickets(p)),
            revenue: self.revenue_retention(p),
        });
        if let Some(Ok(mut cache)) = self.parts.map(|c| c.lock()) {
            if cache.len() >= PARTS_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, parts.clone());
        }
        parts
    }
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
