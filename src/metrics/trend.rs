//! The last periods' KPIs, for sparklines, goals and alerts.

use super::*;

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
    pub nrr: Vec<Option<f64>>,
    pub grr: Vec<Option<f64>>,
}

impl Engine<'_> {
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
            t.nrr.push(kp.revenue_retention.nrr);
            t.grr.push(kp.revenue_retention.grr);
        }
        Ok(t)
    }

    /// The KPIs of the last `n` periods up to the query's, oldest first.
    pub fn history(&self, q: &Query, n: usize) -> Result<Vec<(Period, Kpis)>, MetricsError> {
        let prepared = self.prepare(q, q.period.granularity)?;
        let ctx = self.ctx(&prepared);
        Ok((0..n as i32)
            .rev()
            .map(|k| {
                let p = q.period.shift(-k);
                (p, ctx.kpis(&p))
            })
            .collect())
    }
}
