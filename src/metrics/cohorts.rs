//! The acquisition cohort table (kpi-spec §4.8).

use super::*;

impl Ctx<'_> {
    pub(super) fn cohorts(&self) -> Cohorts {
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
}
