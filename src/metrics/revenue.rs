//! Revenue retention (kpi-spec §4.12): the movements of each customer's
//! revenue between the previous period P₀ and the period P₁, NRR, GRR and
//! the quick ratio (the revenue cohort table is built with the customer one).

use super::*;

/// Sums of the movements in ten-thousandths, exact until the ratios.
#[derive(Default)]
struct Movements {
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
    fn add(&mut self, r0: i64, r1: i64, new: bool) {
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

    fn finish(self) -> RevenueRetention {
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

impl Ctx<'_> {
    /// The revenue movements from the previous period to `p`. r₁ is counted
    /// over this context's days of `p`; r₀ over `before`'s days of the
    /// previous period (the same context, or the like-for-like cut of a
    /// period to date).
    pub(super) fn revenue_retention(&self, p: &Period, before: &Ctx) -> RevenueRetention {
        let Some(i) = self.tl.index_of(p) else {
            return Movements::default().finish();
        };
        let empty = Vec::new();
        let prev = before
            .tl
            .index_of(&p.previous())
            .map_or(&empty, |k| &before.tl.activity[k]);
        let now = &self.tl.activity[i];
        let mut m = Movements::default();
        let is_new = |c: u32| self.tl.first_period[c as usize] == Some(i as u32);
        // Both lists are in customer order: merge them.
        let (mut a, mut b) = (0, 0);
        while a < prev.len() || b < now.len() {
            let ca = prev.get(a).map_or(u32::MAX, |e| e.customer);
            let cb = now.get(b).map_or(u32::MAX, |e| e.customer);
            let c = ca.min(cb);
            let r0 = if ca == c {
                a += 1;
                prev[a - 1].revenue
            } else {
                0
            };
            let r1 = if cb == c {
                b += 1;
                now[b - 1].revenue
            } else {
                0
            };
            if self.customer(c as usize) {
                m.add(r0, r1, is_new(c));
            }
        }
        m.finish()
    }
}
