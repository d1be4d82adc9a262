//! The customer base and revenue KPIs of a period (kpi-spec §3, §4.1–§4.7).

use super::*;

/// Days per average month, for the monthly run rate.
pub const DAYS_PER_MONTH: f64 = 30.436875;

/// The typical purchase cycle (median pooled gap) and the churn window W.
pub fn churn_window(ix: &Index, fixed: Option<u32>) -> (Option<f64>, u32) {
    let cycle = ix.gaps().nearest_rank(1, 2).map(f64::from);
    let w = match (fixed, cycle) {
        (Some(w), _) => w,
        (None, Some(c)) if ix.gaps().len() >= 30 => (3.0 * c).round().clamp(7.0, 730.0) as u32,
        _ => 90,
    };
    (cycle, w)
}

/// Retention share of S by each customer's latest NPS answer before s, from
/// the period's base counts (none: the period is outside the timeline).
pub(super) fn loyalty(base: Option<&timeline::BaseCounts>) -> Loyalty {
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

impl Ctx<'_> {
    pub(super) fn compute_kpis(&self, p: &Period) -> Kpis {
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
                for a in self.cohort_stretch(&tl.activity[i]) {
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
        let has_fb = self.ix.has_feedback();
        // The period's results for this filter, shared across queries (tests: scan every time).
        let (nps, csat, ces, tickets, revenue_retention) = if self.parts.is_some() {
            let parts = self.parts_of(p);
            let mut nps = parts.nps.clone();
            nps.change_significant = significant(&nps, &self.parts_of(&p.previous()).nps);
            (
                nps,
                parts.csat.clone(),
                parts.ces.clone(),
                parts.tickets.clone(),
                parts.revenue.clone(),
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
            (
                nps,
                csat,
                ces,
                self.ix.has_tickets().then(|| self.tickets(p)),
                self.revenue_retention(p),
            )
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
            revenue_retention,
        }
    }
}
