//! KPI goals: targets set in the `[goals]` section of the config, per KPI and
//! optionally per segment, and their status in a period.
//!
//! ```toml
//! [goals]
//! retention_rate = 85                  # a bare number: the KPI's good direction
//! churn_rate = { max = 5 }             # at most 5 %
//! first_response_hours = { max = 4, tolerance = 1 }
//! "plan=pro".retention_rate = 90       # for one segment
//! ```
//!
//! Status: `on_track` when the value meets the target (the boundary counts
//! as met), `at_risk` when it misses by no more than the tolerance (default
//! 10 % of the target's size), `off_track` beyond, `no_data` when the KPI
//! has no value in the period. `gap` is the margin in the KPI's unit,
//! signed so that ≥ 0 means met: value − target for a minimum, target −
//! value for a maximum.

use serde::Serialize;

use super::{Engine, Kpis, Query};

listed_enum! {
    /// A KPI a goal can be set on.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum GoalKpi {
        /// The retained share (the headline retention).
        RetainedRate,
        /// CRR, the seed formula.
        RetentionRate,
        ChurnRate,
        RepeatPurchaseRate,
        LostPerNew,
        Revenue,
        Mrr,
        Nrr,
        Grr,
        QuickRatio,
        Clv,
        Arpc,
        Apv,
        Buyers,
        Nps,
        Csat,
        Ces,
        FirstResponseHours,
        ResolutionHours,
        Backlog,
    }
}

impl GoalKpi {
    /// The config key (and the name in the report JSON).
    pub fn name(self) -> &'static str {
        match self {
            GoalKpi::RetainedRate => "retained_rate",
            GoalKpi::RetentionRate => "retention_rate",
            GoalKpi::ChurnRate => "churn_rate",
            GoalKpi::RepeatPurchaseRate => "repeat_purchase_rate",
            GoalKpi::LostPerNew => "lost_per_new",
            GoalKpi::Revenue => "revenue",
            GoalKpi::Mrr => "mrr",
            GoalKpi::Nrr => "nrr",
            GoalKpi::Grr => "grr",
            GoalKpi::QuickRatio => "quick_ratio",
            GoalKpi::Clv => "clv",
            GoalKpi::Arpc => "arpc",
            GoalKpi::Apv => "apv",
            GoalKpi::Buyers => "buyers",
            GoalKpi::Nps => "nps",
            GoalKpi::Csat => "csat",
            GoalKpi::Ces => "ces",
            GoalKpi::FirstResponseHours => "first_response_hours",
            GoalKpi::ResolutionHours => "resolution_hours",
            GoalKpi::Backlog => "backlog",
        }
    }

    /// How the dashboard names it.
    pub fn label(self) -> &'static str {
        match self {
            GoalKpi::RetainedRate => "Retention",
            GoalKpi::RetentionRate => "CRR",
            GoalKpi::ChurnRate => "Churn",
            GoalKpi::RepeatPurchaseRate => "Repeat rate",
            GoalKpi::LostPerNew => "Lost per new",
            GoalKpi::Revenue => "Revenue",
            GoalKpi::Mrr => "MRR",
            GoalKpi::Nrr => "NRR",
            GoalKpi::Grr => "GRR",
            GoalKpi::QuickRatio => "Quick ratio",
            GoalKpi::Clv => "CLV",
            GoalKpi::Arpc => "ARPC",
            GoalKpi::Apv => "Avg order",
            GoalKpi::Buyers => "Buyers",
            GoalKpi::Nps => "NPS",
            GoalKpi::Csat => "CSAT",
            GoalKpi::Ces => "CES",
            GoalKpi::FirstResponseHours => "First response h",
            GoalKpi::ResolutionHours => "Resolution h",
            GoalKpi::Backlog => "Backlog",
        }
    }

    pub fn from_name(name: &str) -> Option<GoalKpi> {
        GoalKpi::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The direction a bare number means: higher is better, or lower.
    pub fn default_direction(self) -> Direction {
        match self {
            GoalKpi::ChurnRate
            | GoalKpi::LostPerNew
            | GoalKpi::FirstResponseHours
            | GoalKpi::ResolutionHours
            | GoalKpi::Backlog => Direction::Max,
            _ => Direction::Min,
        }
    }

    /// Whether the value is a percentage (shown with %, gaps in points).
    pub fn is_percent(self) -> bool {
        matches!(
            self,
            GoalKpi::RetentionRate
                | GoalKpi::RetainedRate
                | GoalKpi::ChurnRate
                | GoalKpi::RepeatPurchaseRate
                | GoalKpi::Nrr
                | GoalKpi::Grr
                | GoalKpi::Csat
        )
    }

    /// The KPI's value in a period's KPIs (CSAT: share satisfied; CES: mean;
    /// ticket times: medians).
    pub fn value(self, k: &Kpis) -> Option<f64> {
        super::kpi::by_goal(self.name()).and_then(|x| (x.get)(k))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The value should be at least the target.
    Min,
    /// The value should be at most the target.
    Max,
}

/// One goal from the config.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    pub kpi: GoalKpi,
    /// (column, value) of a segment goal.
    pub segment: Option<(String, String)>,
    pub target: f64,
    pub direction: Direction,
    /// How far short still counts as at risk, in the KPI's unit.
    pub tolerance: f64,
}

impl Goal {
    /// The signed margin: ≥ 0 when the value meets the target.
    pub fn gap(&self, value: f64) -> f64 {
        match self.direction {
            Direction::Min => value - self.target,
            Direction::Max => self.target - value,
        }
    }

    pub fn status(&self, value: Option<f64>) -> GoalState {
        match value {
            None => GoalState::NoData,
            Some(v) => {
                let gap = self.gap(v);
                if gap >= 0.0 {
                    GoalState::OnTrack
                } else if -gap <= self.tolerance {
                    GoalState::AtRisk
                } else {
                    GoalState::OffTrack
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalState {
    OnTrack,
    AtRisk,
    OffTrack,
    NoData,
}

impl GoalState {
    pub fn label(self) -> &'static str {
        match self {
            GoalState::OnTrack => "on track",
            GoalState::AtRisk => "at risk",
            GoalState::OffTrack => "off track",
            GoalState::NoData => "no data",
        }
    }
}

/// Whether the gap is closing over the last periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GapTrend {
    Closing,
    Widening,
    Steady,
}

/// A goal in a period: what `report` prints under `goals`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GoalStatus {
    pub kpi: &'static str,
    /// `column=value`, or null for the whole view.
    pub segment: Option<String>,
    pub target: f64,
    pub direction: Direction,
    pub value: Option<f64>,
    pub gap: Option<f64>,
    pub status: GoalState,
    /// The gap in each of the last periods up to this one, oldest first.
    pub gap_history: Vec<Option<f64>>,
    /// The gap now against the oldest known gap of the history (null with fewer than two).
    pub trend: Option<GapTrend>,
    #[serde(skip)]
    pub goal: Goal,
}

/// Periods of history behind each goal's trend.
pub const HISTORY: usize = 6;

/// Evaluates every goal in the query's period. A goal without a segment
/// follows the query's filters; a segment goal replaces the segment filter
/// with its own (keeping a cohort filter).
/// A segment filter: (column, value).
type Segment = Option<(String, String)>;

pub fn evaluate(engine: &Engine, q: &Query, goals: &[Goal]) -> Vec<GoalStatus> {
    // One history per segment the goals look at (most share the view's).
    let mut histories: Vec<(Segment, Option<Vec<Kpis>>)> = Vec::new();
    goals
        .iter()
        .map(|g| {
            let mut gq = q.clone();
            if g.segment.is_some() {
                gq.segment = g.segment.clone();
            }
            let at = match histories.iter().position(|(s, _)| *s == gq.segment) {
                Some(at) => at,
                None => {
                    let h = engine.history(&gq, HISTORY).ok();
                    let h = h.map(|h| h.into_iter().map(|(_, k)| k).collect());
                    histories.push((gq.segment.clone(), h));
                    histories.len() - 1
                }
            };
            let values: Vec<Option<f64>> = match &histories[at].1 {
                Some(h) => h.iter().map(|k| g.kpi.value(k)).collect(),
                // A segment the data does not have: no value, shown as no data.
                None => vec![None; HISTORY],
            };
            let value = values.last().copied().flatten();
            let gap_history: Vec<Option<f64>> =
                values.iter().map(|v| v.map(|v| g.gap(v))).collect();
            let gap = value.map(|v| g.gap(v));
            let trend = gap.and_then(|now| {
                let then = gap_history[..gap_history.len() - 1]
                    .iter()
                    .find_map(|x| *x)?;
                Some(if (now - then).abs() < 1e-9 {
                    GapTrend::Steady
                } else if now > then {
                    GapTrend::Closing
                } else {
                    GapTrend::Widening
                })
            });
            GoalStatus {
                kpi: g.kpi.name(),
                segment: g.segment.as_ref().map(|(c, v)| format!("{c}={v}")),
                target: g.target,
                direction: g.direction,
                value,
                gap,
                status: g.status(value),
                gap_history,
                trend,
                goal: g.clone(),
            }
        })
        .collect()
}

/// Reads the `[goals]` table; errors name the key (`goals."plan=pro".nps`).
pub fn parse(table: &toml::Table) -> Result<Vec<Goal>, String> {
    let mut goals = Vec::new();
    for (key, value) in table {
        if let Some((column, v)) = key.split_once('=') {
            let (column, v) = (column.trim(), v.trim());
            if column.is_empty() || v.is_empty() {
                return Err(format!(
                    "goals.\"{key}\": a segment goal is written \"column=value\""
                ));
            }
            let toml::Value::Table(inner) = value else {
                return Err(format!(
                    "goals.\"{key}\": expected a table of KPI goals, like \"{key}\".retention_rate = 90"
                ));
            };
            for (kpi, spec) in inner {
                let path = format!("goals.\"{key}\".{kpi}");
                goals.push(one(
                    &path,
                    kpi,
                    spec,
                    Some((column.to_string(), v.to_string())),
                )?);
            }
        } else {
            goals.push(one(&format!("goals.{key}"), key, value, None)?);
        }
    }
    Ok(goals)
}

fn one(
    path: &str,
    kpi: &str,
    spec: &toml::Value,
    segment: Option<(String, String)>,
) -> Result<Goal, String> {
    let known = || {
        GoalKpi::ALL
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(k) = GoalKpi::from_name(kpi) else {
        return Err(format!(
            "{path}: unknown KPI `{kpi}` (goals can be set on: {})",
            known()
        ));
    };
    let number = |v: &toml::Value, what: &str| -> Result<f64, String> {
        let x = match v {
            toml::Value::Integer(i) => *i as f64,
            toml::Value::Float(f) => *f,
            other => {
                return Err(format!(
                    "{path}{what}: expected a number, found {}",
                    other.type_str()
                ));
            }
        };
        if x.is_finite() {
            Ok(x)
        } else {
            Err(format!("{path}{what}: expected a finite number"))
        }
    };
    let (target, direction, tolerance) = match spec {
        toml::Value::Table(t) => {
            let mut target = None;
            let mut tolerance = None;
            for (field, v) in t {
                match field.as_str() {
                    "min" | "max" => {
                        if target.is_some() {
                            return Err(format!("{path}: give either min or max, not both"));
                        }
                        let dir = if field == "min" {
                            Direction::Min
                        } else {
                            Direction::Max
                        };
                        target = Some((number(v, &format!(".{field}"))?, dir));
                    }
                    "tolerance" => {
                        let x = number(v, ".tolerance")?;
                        if x < 0.0 {
                            return Err(format!("{path}.tolerance: must be 0 or more"));
                        }
                        tolerance = Some(x);
                    }
                    other => {
                        return Err(format!(
                            "{path}.{other}: unknown key (expected min, max or tolerance)"
                        ));
                    }
                }
            }
            let Some((target, dir)) = target else {
                return Err(format!("{path}: give a target as min = … or max = …"));
            };
            (target, dir, tolerance)
        }
        v => (number(v, "")?, k.default_direction(), None),
    };
    Ok(Goal {
        kpi: k,
        segment,
        target,
        direction,
        tolerance: tolerance.unwrap_or(target.abs() * 0.1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goals(text: &str) -> Result<Vec<Goal>, String> {
        parse(&toml::from_str::<toml::Table>(text).unwrap())
    }

    #[test]
    fn bare_numbers_take_the_kpis_direction() {
        let both = goals("retained_rate = 90\nretention_rate = 85").unwrap();
        assert_eq!(
            both.iter().map(|g| g.kpi.name()).collect::<Vec<_>>(),
            vec!["retained_rate", "retention_rate"]
        );
        let g = goals("retention_rate = 85\nchurn_rate = 5.5").unwrap();
        assert_eq!(g[0].kpi, GoalKpi::ChurnRate);
        assert_eq!(g[0].direction, Direction::Max);
        assert_eq!(g[0].target, 5.5);
        assert_eq!(g[1].direction, Direction::Min);
        assert_eq!(g[1].tolerance, 8.5);
    }

    #[test]
    fn tables_and_segments() {
        let g = goals(
            "nps = { min = 40, tolerance = 2 }\nfirst_response_hours = { max = 4 }\n\"plan=pro\".retention_rate = 90",
        )
        .unwrap();
        assert_eq!(g.len(), 3);
        let pro = g.iter().find(|g| g.segment.is_some()).unwrap();
        assert_eq!(pro.segment, Some(("plan".into(), "pro".into())));
        assert_eq!(pro.target, 90.0);
        let nps = g.iter().find(|g| g.kpi == GoalKpi::Nps).unwrap();
        assert_eq!((nps.target, nps.tolerance), (40.0, 2.0));
    }

    #[test]
    fn errors_name_the_key() {
        assert!(
            goals("retention = 85")
                .unwrap_err()
                .starts_with("goals.retention: unknown KPI")
        );
        assert_eq!(
            goals("nps = \"forty\"").unwrap_err(),
            "goals.nps: expected a number, found string"
        );
        assert_eq!(
            goals("churn_rate = { max = 5, min = 1 }").unwrap_err(),
            "goals.churn_rate: give either min or max, not both"
        );
        assert_eq!(
            goals("churn_rate = { maximum = 5 }").unwrap_err(),
            "goals.churn_rate.maximum: unknown key (expected min, max or tolerance)"
        );
        assert!(
            goals("\"plan=pro\".nsp = 3")
                .unwrap_err()
                .starts_with("goals.\"plan=pro\".nsp: unknown KPI")
        );
        assert_eq!(
            goals("\"plan=pro\" = 3").unwrap_err(),
            "goals.\"plan=pro\": expected a table of KPI goals, like \"plan=pro\".retention_rate = 90"
        );
    }

    #[test]
    fn status_at_the_boundaries() {
        let min = Goal {
            kpi: GoalKpi::RetentionRate,
            segment: None,
            target: 85.0,
            direction: Direction::Min,
            tolerance: 8.5,
        };
        assert_eq!(min.status(Some(85.0)), GoalState::OnTrack);
        assert_eq!(min.status(Some(84.999)), GoalState::AtRisk);
        assert_eq!(min.status(Some(76.5)), GoalState::AtRisk);
        assert_eq!(min.status(Some(76.49)), GoalState::OffTrack);
        assert_eq!(min.status(None), GoalState::NoData);
        let max = Goal {
            kpi: GoalKpi::ChurnRate,
            segment: None,
            target: 5.0,
            direction: Direction::Max,
            tolerance: 0.5,
        };
        assert_eq!(max.status(Some(5.0)), GoalState::OnTrack);
        assert_eq!(max.status(Some(5.5)), GoalState::AtRisk);
        assert_eq!(max.status(Some(5.51)), GoalState::OffTrack);
        assert_eq!(max.gap(4.0), 1.0);
        assert_eq!(max.gap(6.0), -1.0);
    }
}
