//! Alerts: rules from the `[alerts]` section of the config, checked for the
//! period on screen (or given to `report`).
//!
//! - `ticket_open_hours` (48): a ticket still unsolved that many hours after
//!   it was created, as of the end of the period, or of the data when the
//!   period runs past it (the latest instant any loaded file holds).
//! - `kpi_off_goal` (true): a goal whose status is `off_track`, in each of
//!   the last `off_goal_periods` (1, at most 6) periods: `[goals] nrr = 100`
//!   with `off_goal_periods = 3` alerts when NRR stays under 100 for three.
//! - `nps_drop` (true): NPS lower than in the previous period by more than
//!   the margin of error of the change (kpi-spec's significance test).
//! - `churn_rising_periods` (3): churn higher than the period before in each
//!   of the last that many periods.
//! - `at_risk_revenue` (1000): a customer on the at-risk list who was not on
//!   it in the previous period, with more revenue at stake than this.
//!
//! A rule set to 0 (or false) is off.

use serde::{Deserialize, Serialize};

use super::goals::{GoalState, GoalStatus};
use super::{Engine, Query, Snapshot};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertRules {
    pub ticket_open_hours: f64,
    pub kpi_off_goal: bool,
    pub off_goal_periods: u32,
    pub nps_drop: bool,
    pub churn_rising_periods: u32,
    pub at_risk_revenue: f64,
    /// A program run with the alerts as JSON on its standard input when
    /// `report --alerts-only` fires: an argument vector, never a shell line.
    pub run: Vec<String>,
    /// Seconds the program may take before it is killed.
    pub run_timeout_secs: u64,
    /// Also run it from the dashboard, when a view's alerts change.
    pub run_from_dashboard: bool,
}

impl Default for AlertRules {
    fn default() -> Self {
        AlertRules {
            ticket_open_hours: 48.0,
            kpi_off_goal: true,
            off_goal_periods: 1,
            nps_drop: true,
            churn_rising_periods: 3,
            at_risk_revenue: 1000.0,
            run: Vec::new(),
            run_timeout_secs: 10,
            run_from_dashboard: false,
        }
    }
}

impl AlertRules {
    /// Checks the values serde cannot; errors name the key.
    pub fn validate(&self) -> Result<(), String> {
        for (key, v) in [
            ("alerts.ticket_open_hours", self.ticket_open_hours),
            ("alerts.at_risk_revenue", self.at_risk_revenue),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{key} must be a number ≥ 0 (0 turns the rule off)"));
            }
        }
        if !(1..=super::goals::HISTORY as u32).contains(&self.off_goal_periods) {
            return Err(format!(
                "alerts.off_goal_periods must be 1 to {}",
                super::goals::HISTORY
            ));
        }
        if self.run.first().is_some_and(|p| p.trim().is_empty()) {
            return Err("alerts.run: the first item is the program to run, e.g. [\"/usr/bin/curl\", \"-d\", \"@-\", \"https://…\"]".into());
        }
        if !(1..=3600).contains(&self.run_timeout_secs) {
            return Err("alerts.run_timeout_secs must be 1 to 3600".into());
        }
        if self.churn_rising_periods > 24 {
            return Err(
                "alerts.churn_rising_periods must be 24 or fewer (0 turns the rule off)".into(),
            );
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    TicketOpen,
    KpiOffGoal,
    NpsDrop,
    ChurnRising,
    AtRiskCustomer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

/// Where the dashboard jumps from an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Jump {
    Tickets,
    Goals,
    Nps,
    Trends,
    Risk,
}

/// One alert that fired: what `report` prints under `alerts`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    pub rule: Rule,
    pub severity: Severity,
    pub message: String,
    /// The pane it concerns.
    pub pane: Jump,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kpi: Option<&'static str>,
}

/// Ticket alerts listed one by one, newest first; the rest are summed up in one.
pub const MAX_TICKET_ALERTS: usize = 20;

/// Tickets open longer than this are stale: one alert counts them all,
/// after the recent ones, instead of a line each.
pub const STALE_TICKET_DAYS: i64 = 90;

fn hours(h: f64) -> String {
    if h >= 96.0 {
        format!("{:.0} days", (h / 24.0).floor())
    } else {
        format!("{:.0} h", h.floor())
    }
}

fn number(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// The instant "now" for ticket ages: the end of the period, or the latest
/// instant the data holds when that comes first.
pub fn as_of(engine: &Engine, q: &Query) -> Option<i64> {
    let end = i64::from(q.period.end()) * 86_400;
    engine.dataset().index.last_instant().map(|l| l.min(end))
}

/// Checks every rule for the query's period.
pub fn evaluate(
    engine: &Engine,
    q: &Query,
    snapshot: &Snapshot,
    goals: &[GoalStatus],
    rules: &AlertRules,
) -> Vec<Alert> {
    let mut out = Vec::new();
    let alert = |rule, severity, message: String, pane| Alert {
        rule,
        severity,
        message,
        pane,
        customer_id: None,
        ticket_id: None,
        kpi: None,
    };

    // Tickets unsolved too long: listed after the KPI and customer alerts,
    // recent ones first, stale ones in one line.
    let mut ticket_alerts = Vec::new();
    if rules.ticket_open_hours > 0.0
        && let (Some(now), Ok(kept)) = (as_of(engine, q), engine.ticket_kept(q))
    {
        let ix = &engine.dataset().index;
        let limit = rules.ticket_open_hours * 3600.0;
        let open: Vec<usize> = engine
            .open_tickets_at(now)
            .filter(|&i| (now - ix.tickets()[i].created) as f64 > limit && kept(i))
            .collect();
        let stale_after = STALE_TICKET_DAYS * 86_400;
        let (mut stale, mut recent): (Vec<usize>, Vec<usize>) = open
            .into_iter()
            .partition(|&i| now - ix.tickets()[i].created > stale_after);
        recent.sort_by_key(|&i| (std::cmp::Reverse(ix.tickets()[i].created), i));
        for &i in recent.iter().take(MAX_TICKET_ALERTS) {
            let t = &ix.tickets()[i];
            let age = (now - t.created) as f64 / 3600.0;
            let customer = t.customer.map(|c| ix.customer_id(c as usize).to_string());
            let mut a = alert(
                Rule::TicketOpen,
                if age > 2.0 * rules.ticket_open_hours {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                format!(
                    "Ticket {} unsolved for {} (limit {}){}",
                    t.id,
                    hours(age),
                    hours(rules.ticket_open_hours),
                    customer
                        .as_ref()
                        .map(|c| format!(", customer {c}"))
                        .unwrap_or_default()
                ),
                Jump::Tickets,
            );
            a.ticket_id = Some(t.id.clone());
            a.customer_id = customer;
            ticket_alerts.push(a);
        }
        if recent.len() > MAX_TICKET_ALERTS {
            ticket_alerts.push(alert(
                Rule::TicketOpen,
                Severity::Warning,
                format!(
                    "{} more tickets unsolved for over {}",
                    recent.len() - MAX_TICKET_ALERTS,
                    hours(rules.ticket_open_hours)
                ),
                Jump::Tickets,
            ));
        }
        stale.sort_by_key(|&i| (ix.tickets()[i].created, i));
        if let Some(&oldest) = stale.first() {
            let t = &ix.tickets()[oldest];
            let mut a = alert(
                Rule::TicketOpen,
                Severity::Warning,
                format!(
                    "{} {} open more than {STALE_TICKET_DAYS} days (the oldest, {}, for {})",
                    stale.len(),
                    if stale.len() == 1 {
                        "ticket"
                    } else {
                        "tickets"
                    },
                    t.id,
                    hours((now - t.created) as f64 / 3600.0)
                ),
                Jump::Tickets,
            );
            if stale.len() == 1 {
                a.ticket_id = Some(t.id.clone());
            }
            ticket_alerts.push(a);
        }
    }

    // Goals off track.
    if rules.kpi_off_goal {
        let n = rules.off_goal_periods.max(1) as usize;
        let off = |gap: &Option<f64>, g: &GoalStatus| gap.is_some_and(|x| -x > g.goal.tolerance);
        for g in goals.iter().filter(|g| {
            g.status == GoalState::OffTrack
                && g.gap_history.len() >= n
                && g.gap_history[g.gap_history.len() - n..]
                    .iter()
                    .all(|x| off(x, g))
        }) {
            let unit = if g.goal.kpi.is_percent() { " %" } else { "" };
            let sign = match g.direction {
                super::goals::Direction::Min => "≥",
                super::goals::Direction::Max => "≤",
            };
            let mut a = alert(
                Rule::KpiOffGoal,
                Severity::Warning,
                format!(
                    "{}{} is {}{unit}, off its goal of {sign} {}{unit}",
                    g.goal.kpi.label(),
                    g.segment
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default(),
                    g.value.map_or("–".into(), number),
                    number(g.target)
                ) + &if n > 1 {
                    format!(" for {n} periods")
                } else {
                    String::new()
                },
                Jump::Goals,
            );
            a.kpi = Some(g.kpi);
            out.push(a);
        }
    }

    // NPS falling by more than its margin of error.
    if rules.nps_drop {
        let now = snapshot.kpis.nps.as_ref();
        let before = snapshot
            .previous
            .as_ref()
            .and_then(|p| p.kpis.nps.as_ref())
            .and_then(|n| n.score);
        if let (Some(n), Some(b)) = (now, before)
            && let Some(s) = n.score
            && s < b
            && n.change_significant
        {
            let mut a = alert(
                Rule::NpsDrop,
                Severity::Warning,
                format!(
                    "NPS fell from {} to {}, more than the margin of error",
                    number(b),
                    number(s)
                ),
                Jump::Nps,
            );
            a.kpi = Some("nps");
            out.push(a);
        }
    }

    // Churn rising n periods in a row.
    let n = rules.churn_rising_periods as usize;
    if n > 0
        && let Ok(h) = engine.history(q, n + 1)
    {
        let churn: Option<Vec<f64>> = h.iter().map(|(_, k)| k.churn_rate).collect();
        if let Some(c) = churn
            && c.windows(2).all(|w| w[1] > w[0])
        {
            let path: Vec<String> = c.iter().map(|v| number(*v)).collect();
            let mut a = alert(
                Rule::ChurnRising,
                Severity::Warning,
                format!("Churn rose {n} periods in a row: {} %", path.join(" → ")),
                Jump::Trends,
            );
            a.kpi = Some("churn_rate");
            out.push(a);
        }
    }

    // Customers with much at stake newly at risk.
    if rules.at_risk_revenue > 0.0 {
        let mut new: Vec<_> = snapshot
            .churn_risk
            .iter()
            .filter(|r| r.revenue_at_stake > rules.at_risk_revenue)
            .collect();
        // Those already at risk the period before are not news. The filters
        // keep or drop a customer the same way in both periods, so the
        // unfiltered list of the period before (shared, not copied) will do.
        if !new.is_empty() {
            let unfiltered = Query {
                segment: None,
                cohort: None,
                ..q.clone()
            };
            if let Ok(before) = engine.churn_risk_of(&unfiltered, &q.period.previous()) {
                let mut was = super::timeline::Bits::zeros(engine.dataset().index.customer_count());
                for r in before.iter() {
                    was.set(r.customer as usize);
                }
                new.retain(|r| !was.get(r.customer as usize));
            }
        }
        new.sort_by(|a, b| {
            b.revenue_at_stake
                .total_cmp(&a.revenue_at_stake)
                .then_with(|| a.customer_id.cmp(&b.customer_id))
        });
        for r in new {
            let mut a = alert(
                Rule::AtRiskCustomer,
                Severity::Warning,
                format!(
                    "Customer {} is newly at risk with {:.2} at stake",
                    r.customer_id, r.revenue_at_stake
                ),
                Jump::Risk,
            );
            a.customer_id = Some(r.customer_id.clone());
            out.push(a);
        }
    }
    out.extend(ticket_alerts);
    out
}
