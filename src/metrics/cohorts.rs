//! The acquisition cohort tables (kpi-spec §4.8, §4.12): by customers and by revenue.

use super::*;

/// Both cohort tables of a granularity and filter (cached together: one pass).
pub(super) struct CohortTables {
    pub(super) customers: Cohorts,
    pub(super) revenue: RevenueCohorts,
}

impl Ctx<'_> {
    pub(super) fn cohorts(&self) -> CohortTables {
        let (ix, tl) = (self.ix, self.tl);
        let g = tl.granularity;
        let Some(last) = ix.last_purchase_day() else {
            return CohortTables {
                customers: Cohorts {
                    granularity: g,
                    rows: Vec::new(),
                },
                revenue: RevenueCohorts {
                    granularity: g,
                    rows: Vec::new(),
                },
            };
        };
        let mut sizes = vec![0u64; tl.len];
        for (i, news) in tl.new.iter().enumerate() {
            sizes[i] = news.iter().filter(|&&c| self.customer(c as usize)).count() as u64;
        }
        let mut counts: Vec<Vec<u64>> = vec![Vec::new(); tl.len];
        // Revenue in ten-thousandths, refunds included.
        let mut revenue: Vec<Vec<i64>> = vec![Vec::new(); tl.len];
        for (i, entries) in tl.activity.iter().enumerate() {
            for a in entries {
                if !self.customer(a.customer as usize) {
                    continue;
                }
                // (A refund dated before the first purchase belongs to no cell.)
                let k = a.first;
                if k != super::timeline::NO_FIRST && k as usize <= i {
                    let (k, age) = (k as usize, i - k as usize);
                    if revenue[k].len() <= age {
                        revenue[k].resize(age + 1, 0);
                    }
                    revenue[k][age] += a.revenue;
                    if a.buyer() {
                        if counts[k].len() <= age {
                            counts[k].resize(age + 1, 0);
                        }
                        counts[k][age] += 1;
                    }
                }
            }
        }
        let rows: Vec<CohortRow> = (0..tl.len)
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
        let cohort_rows = (0..tl.len).filter(|&k| sizes[k] > 0);
        let revenue_rows = cohort_rows
            .zip(&rows)
            .map(|(k, row)| {
                let at = |age: usize| revenue[k].get(age).copied().unwrap_or(0);
                let base = at(0);
                RevenueCohortRow {
                    cohort: row.cohort.clone(),
                    revenue: amount_to_f64(base),
                    retention: (0..row.retention.len())
                        .map(|age| (base > 0).then(|| at(age) as f64 * 100.0 / base as f64))
                        .collect(),
                    partial_from: row.partial_from,
                }
            })
            .collect();
        CohortTables {
            customers: Cohorts {
                granularity: g,
                rows,
            },
            revenue: RevenueCohorts {
                granularity: g,
                rows: revenue_rows,
            },
        }
    }
}
