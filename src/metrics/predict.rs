//! Predicted activity (kpi-spec §4.13): the BG/NBD fit of a filter at the
//! last day of a period, its totals, and each customer's P(alive) and
//! expected purchases. Fitted apart from `compute` (the dashboard shows the
//! rest meanwhile) and cached per filter, end day and horizon.

use super::bgnbd::{Compressed, Fit, FitError, History, Params};
use super::*;

/// A filter's fit at an end day, with its totals over a horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The last day counted (L = e − 1 of the period, or the last day of data).
    pub end: Day,
    pub horizon_days: i32,
    pub customers: u64,
    pub fit: Result<Fit, FitError>,
    pub expected_active: Option<f64>,
    pub expected_purchases: Option<f64>,
}

/// Customers from which their histories are made on two threads.
const PARALLEL_HISTORIES: usize = 50_000;

pub(super) type PredictionKey = (FilterKey, Day, i32);

/// A prediction's cache key: the filter, the period's last counted day and
/// the period's length (the horizon).
fn prediction_key(prepared: &super::engine::Prepared, ctx: &Ctx, p: &Period) -> PredictionKey {
    (prepared.masks.key.clone(), ctx.end_of(p) - 1, p.days())
}

/// A customer's history at `end`: `None` before their first purchase.
pub(super) fn history(ix: &Index, c: usize, end: Day) -> Option<History> {
    let pd = ix.pdays(c);
    let k = pd.partition_point(|&d| d <= end);
    let first = *pd.first()?;
    (k > 0).then(|| History {
        x: (k - 1) as u32,
        tx_days: (pd[k - 1] - first) as u32,
        t_days: (end - first) as u32,
    })
}

impl Prediction {
    /// The fitted parameters, when the fit succeeded.
    pub fn params(&self) -> Option<&Params> {
        self.fit.as_ref().ok().map(|f| &f.params)
    }

    /// (P(alive), expected purchases) of one customer, when there is a fit.
    pub fn of(&self, ix: &Index, c: usize) -> Option<(f64, f64)> {
        let p = self.params()?;
        let h = history(ix, c, self.end)?;
        Some((
            p.p_alive(&h),
            p.expected_purchases(&h, f64::from(self.horizon_days)),
        ))
    }

    /// What `report` prints under `predicted`.
    pub fn json(&self) -> Predicted {
        let fit = self.fit.as_ref().ok();
        Predicted {
            model: "bg/nbd",
            r: fit.map(|f| f.params.r),
            alpha: fit.map(|f| f.params.alpha),
            a: fit.map(|f| f.params.a),
            b: fit.map(|f| f.params.b),
            log_likelihood: fit.map(|f| f.log_likelihood),
            customers: self.customers,
            expected_active: self.expected_active,
            expected_purchases: self.expected_purchases,
            note: self
                .fit
                .as_ref()
                .err()
                .map(|e| format!("no prediction: {e}")),
        }
    }
}

impl Engine<'_> {
    /// The BG/NBD prediction of the query's filters at the period's last
    /// counted day, over the period's length; fitted on first use.
    pub fn predict(&self, q: &Query) -> Result<Arc<Prediction>, MetricsError> {
        let p = q.period;
        let prepared = self.prepare(q, p.granularity)?;
        let ctx = self.ctx(&prepared);
        let key = prediction_key(&prepared, &ctx, &p);
        let end = key.1;
        if let Some(hit) = self
            .predictions
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return Ok(hit);
        }
        let ix = &self.dataset().index;
        // The customers' histories in two halves, each sorted on a thread
        // of its own, then merged and counted: the terms `Compressed::new`
        // gives, without hashing a million histories on one core.
        let masks = &prepared.masks;
        let half = |customers: std::ops::Range<usize>| {
            let mut list: Vec<History> = customers
                .filter(|&c| !masks.active || masks.customers.get(c))
                .filter_map(|c| history(ix, c, end))
                .collect();
            list.sort_unstable();
            list
        };
        let m = ix.customer_count();
        let (first, later) = if m >= PARALLEL_HISTORIES {
            std::thread::scope(|s| {
                let later = s.spawn(|| half(m / 2..m));
                (half(0..m / 2), crate::Joined::joined(later))
            })
        } else {
            (half(0..m), Vec::new())
        };
        crate::data::trace("bg/nbd histories");
        let data = Compressed::from_sorted_halves(&first, &later);
        drop((first, later));
        crate::data::trace("bg/nbd compressed");
        let fit = data.fit();
        crate::data::trace("bg/nbd fitted");
        let horizon = f64::from(p.days());
        let (active, purchases) = match &fit {
            Ok(f) => {
                let (mut active, mut purchases) = (0.0, 0.0);
                for (h, n) in data.histories() {
                    active += f.params.p_alive(&h) * n as f64;
                    purchases += f.params.expected_purchases(&h, horizon) * n as f64;
                }
                (Some(active), Some(purchases))
            }
            Err(_) => (None, None),
        };
        crate::data::trace(&format!("bg/nbd fit ({} terms)", data.terms()));
        let prediction = Arc::new(Prediction {
            end,
            horizon_days: p.days(),
            customers: data.customers,
            fit,
            expected_active: active,
            expected_purchases: purchases,
        });
        if let Ok(mut m) = self.predictions.lock() {
            if m.len() >= 64 {
                m.clear();
            }
            m.insert(key, prediction.clone());
        }
        Ok(prediction)
    }

    /// The prediction of a query when it is already fitted.
    pub fn cached_prediction(&self, q: &Query) -> Option<Arc<Prediction>> {
        let prepared = self.prepare(q, q.period.granularity).ok()?;
        let key = prediction_key(&prepared, &self.ctx(&prepared), &q.period);
        self.predictions.lock().ok()?.get(&key).cloned()
    }

    /// The snapshot with its prediction: the totals, and each churn-risk row's
    /// P(alive) and expected purchases.
    pub fn with_prediction(&self, mut s: Snapshot, prediction: &Prediction) -> Snapshot {
        s.predicted = Some(prediction.json());
        s.churn_risk = self.predicted_rows(&s.churn_risk, prediction);
        s
    }

    /// Churn-risk rows with their P(alive) and expected purchases.
    pub fn predicted_rows(&self, rows: &[AtRisk], prediction: &Prediction) -> Arc<[AtRisk]> {
        let ix = &self.dataset().index;
        rows.iter()
            .map(|row| {
                let mut row = row.clone();
                if let Some((alive, expected)) = prediction.of(ix, row.customer as usize) {
                    row.p_alive = Some(alive);
                    row.expected_purchases = Some(expected);
                }
                row
            })
            .collect()
    }

    /// `compute` and `predict` together (`report`, scripts, tests).
    pub fn compute_predicted(&self, q: &Query) -> Result<Snapshot, MetricsError> {
        let s = self.compute(q)?;
        let prediction = self.predict(q)?;
        Ok(self.with_prediction(s, &prediction))
    }
}
