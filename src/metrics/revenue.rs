//! Revenue retention (kpi-spec §4.12): the movements of each customer's
//! revenue between the previous period P₀ and the period P₁, NRR, GRR and
//! the quick ratio (the revenue cohort table is built with the customer one).

use super::timeline::Entry;
use super::*;

/// Sums of the movements in ten-thousandths, exact until the ratios.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Movements {
    /// Σ r₀ over customers with r₀ > 0.
    start: i64,
    /// Σ r₁ over the same customers.
    kept_r1: i64,
    /// Σ min(r₀, max(r₁, 0)) over the same customers.
    gross: i64,
    new: i64,
    reactivation: i64,
    expansion: i64,
    contraction: i64,
    churned: i64,
    other: i64,
}

impl Movements {
    pub fn add(&mut self, r0: i64, r1: i64, new: bool) {
        if new {
            self.new += r1;
        } else if r0 > 0 {
            self.start += r0;
            self.kept_r1 += r1;
            self.gross += r0.min(r1.max(0));
            if r1 > r0 {
                self.expansion += r1 - r0;
            } else if r1 > 0 && r1 < r0 {
                self.contraction += r0 - r1;
            } else if r1 <= 0 {
                self.churned += r0;
                if r1 < 0 {
                    self.other += r1;
                }
            }
        } else if r1 > 0 {
            self.reactivation += r1;
        } else if r1 < 0 {
            self.other += r1;
        }
    }

    pub fn finish(self) -> RevenueRetention {
        let f = amount_to_f64;
        let (new, reactivation, expansion) = (f(self.new), f(self.reactivation), f(self.expansion));
        let (contraction, churned) = (f(self.contraction), f(self.churned));
        let start = f(self.start);
        RevenueRetention {
            start,
            new,
            reactivation,
            expansion,
            contraction,
            churned,
            other: f(self.other),
            nrr: (self.start > 0).then(|| f(self.kept_r1) / start * 100.0),
            grr: (self.start > 0).then(|| f(self.gross) / start * 100.0),
            quick_ratio: ratio(new + reactivation + expansion, contraction + churned),
        }
    }
}

/// The order of activity lists: by first period (refund-only customers,
/// with none, first), then customer.
pub fn order_key(e: &Entry) -> (i64, u32) {
    let first = if e.first == super::timeline::NO_FIRST {
        -1
    } else {
        i64::from(e.first)
    };
    (first, e.customer)
}

/// Calls `f(customer, first period, r₀, r₁)` for each customer in either
/// list (both in `order_key` order), with 0 for a missing side.
pub fn merge(before: &[Entry], now: &[Entry], mut f: impl FnMut(u32, u32, i64, i64)) {
    let (mut a, mut b) = (0, 0);
    while a < before.len() && b < now.len() {
        let (x, y) = (&before[a], &now[b]);
        let (ka, kb) = (order_key(x), order_key(y));
        if ka == kb {
            f(y.customer, y.first, x.revenue, y.revenue);
            a += 1;
            b += 1;
        } else if ka < kb {
            f(x.customer, x.first, x.revenue, 0);
            a += 1;
        } else {
            f(y.customer, y.first, 0, y.revenue);
            b += 1;
        }
    }
    for e in &before[a..] {
        f(e.customer, e.first, e.revenue, 0);
    }
    for e in &now[b..] {
        f(e.customer, e.first, 0, e.revenue);
    }
}

impl Ctx<'_> {
    /// The entries of an activity list that a cohort filter can keep: one
    /// stretch, as lists are ordered by first period (the whole list without
    /// a cohort filter).
    pub(super) fn cohort_stretch<'l>(&self, list: &'l [Entry]) -> &'l [Entry] {
        let Some((from, to)) = self.masks.cohort_stretch(self.tl) else {
            return list;
        };
        let at = |k: i64| list.partition_point(|e| order_key(e).0 < k);
        &list[at(from)..at(to + 1)]
    }

    /// The revenue movements of `p`, from the engine's per-filter results
    /// when this context shares them (else computed).
    pub(super) fn revenue_of(&self, p: &Period) -> RevenueRetention {
        if self.parts.is_some() {
            self.parts_of(p).revenue.clone()
        } else {
            self.revenue_retention(p)
        }
    }

    /// The revenue movements from the previous period to `p`, both counted
    /// over this context's days (for a period to date, the cut context's
    /// previous period and `p`'s days to date). Unfiltered and segment
    /// filters read the timeline's sums; other filters merge the two
    /// periods' activity (a cohort filter, only its stretch of each list).
    pub(super) fn revenue_retention(&self, p: &Period) -> RevenueRetention {
        let tl = self.tl;
        let Some(i) = tl.index_of(p) else {
            return Movements::default().finish();
        };
        if !self.masks.active {
            return tl.moves[i].finish();
        }
        if let Some((col, value)) = self.masks.segment_only
            && let Some(Some(table)) = tl.segment_moves.get(col)
        {
            return value
                .map_or_else(Movements::default, |v| table[v as usize][i])
                .finish();
        }
        let empty = Vec::new();
        // A cohort filter: its customers are one stretch of each list.
        let before = self.cohort_stretch(if i > 0 { &tl.activity[i - 1] } else { &empty });
        let now = self.cohort_stretch(&tl.activity[i]);
        let mut m = Movements::default();
        merge(before, now, |c, first, r0, r1| {
            if self.customer(c as usize) {
                m.add(r0, r1, first == i as u32);
            }
        });
        m.finish()
    }
}
