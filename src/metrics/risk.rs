//! The churn-risk list (kpi-spec §4.9): customers overdue on their own cycle.

use super::*;

pub(super) type RiskKey = (Granularity, u32);

/// Churn-risk candidates of each period, and each period's full list once computed.
pub(super) struct RiskCache {
    pub(super) candidates: Vec<Vec<u32>>,
    /// Each period's full at-risk list, built on first use.
    pub(super) lists: Vec<std::sync::OnceLock<Arc<[AtRisk]>>>,
    /// The latest filtered lists: (filter, period index, list), newest last.
    pub(super) filtered: Mutex<Vec<FilteredRisk>>,
}

/// A filtered at-risk list: the filter, the period's index in the timeline, the list.
pub(super) type FilteredRisk = (FilterKey, usize, Arc<[AtRisk]>);

/// Filtered at-risk lists kept per timeline (one can hold tens of thousands of rows).
pub(super) const FILTERED_RISK_LISTS: usize = 8;

impl Ctx<'_> {
    /// Customers in E overdue by at least `threshold` of their own purchase cycles,
    /// checked among the period's precomputed candidates.
    /// Customers in E overdue by at least `threshold` of their own purchase cycles.
    /// The full list of a period is computed once from its candidates and kept;
    /// a filter selects from it.
    pub(super) fn churn_risk(
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

    pub(super) fn at_risk(
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
                ix.own_median(c, k - 1)
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
            let last_nps = ix.last_nps_before(c, e).map(|s| s as i64);
            let open = ix.open_tickets_on(c, e);
            out.push(AtRisk {
                customer: c as u32,
                customer_id: ix.customer_id(c).to_string(),
                overdue,
                revenue_at_stake: amount_to_f64(ix.revenue(c, e - 365, e)),
                last_nps: if ix.has_feedback() { last_nps } else { None },
                open_tickets: ix.has_tickets().then_some(open),
                p_alive: None,
                expected_purchases: None,
            });
        }
        out
    }
}
