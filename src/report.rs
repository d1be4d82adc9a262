//! `holdfast report`: a period's snapshot, goals and alerts as JSON (kpi-spec
//! §6 plus `goals` and `alerts`), as a readable table, or as Markdown to share.

use std::fmt::Write as _;

use crate::format::plain::{change, csv_field, num, opt, value};
use crate::metrics::alerts::Alert;
use crate::metrics::customer::CustomerView;
use crate::metrics::goals::{Direction, GapTrend, GoalStatus};
use crate::metrics::kpi::Kpi;
use crate::metrics::{PeriodJson, Report, Snapshot};

/// The snapshot as pretty JSON; numbers unrounded, undefined as null.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The Markdown summary's KPIs: the headline ones.
const SUMMARY: &[&Kpi] = {
    use crate::metrics::kpi::*;
    &[
        &RETAINED_RATE,
        &CHURN_RATE,
        &CUSTOMERS_END,
        &CUSTOMERS_NEW,
        &CUSTOMERS_LOST,
        &REVENUE,
        &MRR,
        &REVENUE_RETENTION_NRR,
        &NPS,
        &CSAT,
        &TICKETS_FIRST_RESPONSE_HOURS,
        &TICKETS_BACKLOG,
    ]
};

/// The report's rows: the KPI registry, in its order.
fn rows() -> impl Iterator<Item = &'static Kpi> {
    crate::metrics::kpi::KPIS.iter().copied()
}

fn filters_text(s: &Snapshot) -> String {
    match (&s.filters.segment, &s.filters.cohort) {
        (None, None) => "none".to_string(),
        (a, b) => [
            a.as_ref().map(|x| format!("segment {x}")),
            b.as_ref().map(|x| format!("cohort {x}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", "),
    }
}

/// ", to date 2026-11-19 (compared day for day)" for a period counted to date.
fn to_date_text(s: &Snapshot) -> String {
    s.period
        .to_date
        .as_deref()
        .map(|d| format!(", to date {d}, compared day for day"))
        .unwrap_or_default()
}

/// Which currency the amounts are in when the orders hold several: the
/// one filtered, or a warning asking for one.
pub fn currency_note(s: &Snapshot) -> Option<String> {
    let column = s
        .data_quality
        .iter()
        .find_map(|r| r.mixed_currency.clone())?;
    let filtered = s
        .filters
        .segment
        .as_deref()
        .and_then(|f| f.strip_prefix(column.as_str()))
        .and_then(|rest| rest.strip_prefix('='));
    Some(match filtered {
        Some(currency) => format!("amounts in {currency}"),
        None => format!(
            "⚠ amounts are in several currencies and are added up as they are; pick one with --segment {column}=CODE"
        ),
    })
}

/// A readable summary with deltas against the previous period and a year
/// ago, then the goals and the alerts.
pub fn to_table(r: &Report) -> String {
    let s = &r.snapshot;
    let mut out = String::new();
    let filters = filters_text(s);
    let _ = writeln!(
        out,
        "{} ({} {} .. {}{})   filters: {filters}",
        s.period.label,
        s.period.granularity.name(),
        s.period.start,
        s.period.end,
        to_date_text(s)
    );
    if let Some(note) = currency_note(s) {
        let _ = writeln!(out, "{note}");
    }
    let _ = writeln!(
        out,
        "churn window {} days; typical purchase cycle {}",
        s.churn_window_days,
        num(s.purchase_cycle_days, 0, " days")
    );
    if let Some(w) = &s.cycle_warning {
        let _ = writeln!(
            out,
            "warning: this {}-day period is shorter than 3 purchase cycles ({} days): retention here is noise{}",
            w.period_days,
            w.required_days,
            w.suggested_granularity
                .map(|g| format!("; try a {}", g.name()))
                .unwrap_or_default()
        );
    }
    let prev = s.previous.as_ref();
    let ago = s.year_ago.as_ref();
    let _ = writeln!(
        out,
        "\n{:<28}{:>14}{:>14}{:>11}{:>14}{:>11}",
        "",
        s.period.label,
        prev.map(|p| p.period.label.as_str()).unwrap_or("previous"),
        "Δ",
        ago.map(|p| p.period.label.as_str()).unwrap_or("year ago"),
        "Δ"
    );
    for k in rows() {
        let (name, get) = (k.label, k.get);
        let now = get(&s.kpis);
        let p = prev.and_then(|b| get(&b.kpis));
        let a = ago.and_then(|b| get(&b.kpis));
        let show = |v| value(k.unit, v, s.currency.as_deref());
        let delta = |then| change(k.unit, now, then);
        let _ = writeln!(
            out,
            "{name:<28}{:>14}{:>14}{:>11}{:>14}{:>11}",
            show(now),
            show(p),
            delta(p),
            show(a),
            delta(a)
        );
    }
    if let Some(n) = &s.kpis.nps {
        let _ = writeln!(
            out,
            "\nNPS {} ± {} from {} responses: {} promoters, {} passives, {} detractors{}",
            num(n.score, 1, ""),
            num(n.margin, 1, ""),
            n.responses,
            n.promoters,
            n.passives,
            n.detractors,
            if n.change_significant {
                " (significant change)"
            } else {
                ""
            }
        );
        if !n.detractor_themes.is_empty() {
            let themes: Vec<String> = n
                .detractor_themes
                .iter()
                .map(|t| format!("{} ({})", t.word, t.count))
                .collect();
            let _ = writeln!(out, "detractor themes: {}", themes.join(", "));
        }
    }
    if !s.churn_risk.is_empty() {
        let _ = writeln!(
            out,
            "\nat risk: {} customers; top 5 by revenue at stake:",
            s.churn_risk.len()
        );
        for r in s.churn_risk.iter().take(5) {
            let _ = writeln!(
                out,
                "  {:<24} overdue {:>5.1}×  revenue {:>12}  P(alive) {:>5}",
                r.customer_id,
                r.overdue,
                crate::format::money_in(Some(r.revenue_at_stake), s.currency.as_deref()),
                num(r.p_alive.map(|p| p * 100.0), 0, "%")
            );
        }
    }
    if let Some(p) = &s.predicted {
        match &p.note {
            Some(note) => {
                let _ = writeln!(
                    out,
                    "
predicted (BG/NBD): {note}"
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "
predicted (BG/NBD): expected active {} of {} customers, expected purchases next period {} (r {}, alpha {}, a {}, b {}, ln L {})",
                    num(p.expected_active, 1, ""),
                    p.customers,
                    num(p.expected_purchases, 1, ""),
                    num(p.r, 4, ""),
                    num(p.alpha, 4, ""),
                    num(p.a, 4, ""),
                    num(p.b, 4, ""),
                    num(p.log_likelihood, 2, "")
                );
            }
        }
    }
    if !r.goals.is_empty() {
        let _ = writeln!(out, "\ngoals:");
        for g in &r.goals {
            let _ = writeln!(
                out,
                "  {:<34} target {:<10} value {:>10}  gap {:>9}  {:<9}  {}",
                goal_name(g),
                goal_target(g),
                goal_value(g.value, g),
                goal_value(g.gap, g),
                g.status.label(),
                trend_text(g.trend)
            );
        }
    }
    out.push_str(&alerts_lines(&r.alerts));
    let rejected: u64 = s.data_quality.iter().map(|r| r.rejected_total()).sum();
    if rejected > 0 {
        let _ = writeln!(
            out,
            "\n{rejected} rows were rejected while loading; `holdfast check` lists them"
        );
    }
    out
}

fn goal_name(g: &GoalStatus) -> String {
    match &g.segment {
        Some(seg) => format!("{} ({seg})", g.goal.kpi.label()),
        None => g.goal.kpi.label().to_string(),
    }
}

fn unit(g: &GoalStatus) -> &'static str {
    if g.goal.kpi.is_percent() { " %" } else { "" }
}

/// A goal's value (or gap) in the KPI's unit.
pub fn goal_value(v: Option<f64>, g: &GoalStatus) -> String {
    num(v, 1, unit(g))
}

/// `≥ 85 %` or `≤ 4`.
pub fn goal_target(g: &GoalStatus) -> String {
    let sign = match g.direction {
        Direction::Min => "≥",
        Direction::Max => "≤",
    };
    let t = format!("{:.2}", g.target);
    let t = t.trim_end_matches('0').trim_end_matches('.');
    format!("{sign} {t}{}", unit(g))
}

pub fn trend_text(t: Option<GapTrend>) -> &'static str {
    match t {
        Some(GapTrend::Closing) => "gap closing",
        Some(GapTrend::Widening) => "gap widening",
        Some(GapTrend::Steady) => "steady",
        None => "",
    }
}

fn alerts_lines(alerts: &[Alert]) -> String {
    let mut out = String::new();
    if alerts.is_empty() {
        let _ = writeln!(out, "\nalerts: none");
        return out;
    }
    let _ = writeln!(out, "\nalerts ({}):", alerts.len());
    for a in alerts {
        let _ = writeln!(out, "  [{}] {}", severity(a), a.message);
    }
    out
}

fn severity(a: &Alert) -> &'static str {
    match a.severity {
        crate::metrics::alerts::Severity::Warning => "warning",
        crate::metrics::alerts::Severity::Critical => "critical",
    }
}

/// `report --alerts-only --format table`.
pub fn alerts_table(r: &Report) -> String {
    let s = &r.snapshot;
    format!(
        "{} ({}; filters: {}){}",
        s.period.label,
        s.period.granularity.name(),
        filters_text(s),
        alerts_lines(&r.alerts)
    )
}

/// `report --alerts-only` as JSON: the period, its filters and the alerts.
#[derive(serde::Serialize)]
pub struct AlertsOnly<'a> {
    pub period: &'a PeriodJson,
    pub filters: &'a crate::metrics::Filters,
    pub alerts: &'a [Alert],
}

impl<'a> From<&'a Report> for AlertsOnly<'a> {
    fn from(r: &'a Report) -> Self {
        AlertsOnly {
            period: &r.snapshot.period,
            filters: &r.snapshot.filters,
            alerts: &r.alerts,
        }
    }
}

/// A table cell: pipes escaped, line breaks flattened.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A summary to paste into a chat or a document: KPIs with deltas, the NPS
/// breakdown, goals and alerts (only the alerts with `alerts_only`).
pub fn to_markdown(r: &Report, alerts_only: bool) -> String {
    let s = &r.snapshot;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## holdfast: {} ({} {} to {}{})\n",
        s.period.label,
        s.period.granularity.name(),
        s.period.start,
        s.period.end,
        to_date_text(s)
    );
    let _ = writeln!(
        out,
        "Filters: {} · churn window {} days\n",
        md(&filters_text(s)),
        s.churn_window_days
    );
    if let Some(note) = currency_note(s) {
        let _ = writeln!(out, "{}\n", md(&note));
    }
    if !alerts_only {
        let prev = s.previous.as_ref();
        let ago = s.year_ago.as_ref();
        let _ = writeln!(
            out,
            "| KPI | {} | vs {} | vs {} |",
            s.period.label,
            prev.map_or("previous", |p| p.period.label.as_str()),
            ago.map_or("year ago", |p| p.period.label.as_str())
        );
        let _ = writeln!(out, "|---|---:|---:|---:|");
        // The headline KPIs only: a summary to paste fits in about 25 lines
        // (every KPI: `report --format table`).
        for k in SUMMARY.iter().filter(|k| k.applies(&s.kpis)) {
            let (name, get) = (k.label, k.get);
            let now = get(&s.kpis);
            let p = prev.and_then(|b| get(&b.kpis));
            let a = ago.and_then(|b| get(&b.kpis));
            if now.is_none() && p.is_none() {
                continue;
            }
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} |",
                value(k.unit, now, s.currency.as_deref()),
                change(k.unit, now, p),
                change(k.unit, now, a)
            );
        }
        if let Some(n) = &s.kpis.nps {
            let share = |c: u64| {
                if n.responses == 0 {
                    "–".to_string()
                } else {
                    format!("{:.1} %", c as f64 * 100.0 / n.responses as f64)
                }
            };
            let _ = writeln!(
                out,
                "\n**NPS {}** ± {} from {} responses: {} promoters ({}), {} passives ({}), {} detractors ({}){}",
                num(n.score, 1, ""),
                num(n.margin, 1, ""),
                n.responses,
                n.promoters,
                share(n.promoters),
                n.passives,
                share(n.passives),
                n.detractors,
                share(n.detractors),
                if n.change_significant {
                    "; the change is significant"
                } else {
                    ""
                }
            );
            if !n.detractor_themes.is_empty() {
                let themes: Vec<String> = n
                    .detractor_themes
                    .iter()
                    .map(|t| format!("{} ({})", md(&t.word), t.count))
                    .collect();
                let _ = writeln!(out, "Detractor themes: {}", themes.join(", "));
            }
        }
        if !r.goals.is_empty() {
            let _ = writeln!(out, "\n### Goals\n");
            let _ = writeln!(out, "| Goal | Target | Value | Gap | Status | Trend |");
            let _ = writeln!(out, "|---|---:|---:|---:|---|---|");
            for g in &r.goals {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    md(&goal_name(g)),
                    goal_target(g),
                    goal_value(g.value, g),
                    goal_value(g.gap, g),
                    g.status.label(),
                    trend_text(g.trend)
                );
            }
        }
    }
    let _ = writeln!(out, "\n### Alerts\n");
    if r.alerts.is_empty() {
        let _ = writeln!(out, "None.");
    }
    // The summary to paste into a chat shows the first five (critical
    // first, as the rules list them); `--alerts-only` lists every one.
    let shown = if alerts_only {
        r.alerts.len()
    } else {
        SUMMARY_ALERTS
    };
    for a in r.alerts.iter().take(shown) {
        let _ = writeln!(out, "- **{}** {}", severity(a), md(&a.message));
    }
    if r.alerts.len() > shown {
        let _ = writeln!(
            out,
            "- … and {} more (`holdfast report --alerts-only`)",
            r.alerts.len() - shown
        );
    }
    out
}

/// Alerts listed in the Markdown summary; the rest are counted.
const SUMMARY_ALERTS: usize = 5;

/// The customer view as text.
pub fn customer_text(v: &CustomerView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "customer {}", v.customer_id);
    for (name, value) in &v.segments {
        let _ = writeln!(out, "  {name}: {}", value.as_deref().unwrap_or("–"));
    }
    let _ = writeln!(
        out,
        "  orders {} from {} to {}, revenue {}",
        v.orders,
        v.first_order.as_deref().unwrap_or("–"),
        v.last_order.as_deref().unwrap_or("–"),
        crate::format::money_in(Some(v.revenue), v.currency.as_deref())
    );
    let _ = writeln!(
        out,
        "  median gap {}, overdue {}, P(alive) {}, expected purchases next period {}",
        num(v.median_gap, 0, " days"),
        num(v.overdue, 2, "×"),
        num(v.p_alive.map(|p| p * 100.0), 0, " %"),
        num(v.expected_purchases, 2, "")
    );
    let st = &v.standing;
    let status = st.label();
    let _ = writeln!(
        out,
        "  {}: {status} (start {}, end {})",
        st.period, st.in_start, st.in_end
    );
    if let Some(rs) = &v.responses {
        let _ = writeln!(out, "  survey responses: {}", rs.len());
        for r in rs {
            let _ = writeln!(
                out,
                "    {} {} {} {}",
                r.date,
                r.survey,
                r.score,
                r.comment.as_deref().unwrap_or("")
            );
        }
    }
    if let Some(ts) = &v.tickets {
        let _ = writeln!(out, "  tickets: {}", ts.len());
        for t in ts {
            let _ = writeln!(
                out,
                "    {} {} {} first response {} h, resolved {} h{}",
                t.ticket_id,
                t.created,
                t.category.as_deref().unwrap_or("–"),
                num(t.first_response_hours, 1, ""),
                num(t.resolution_hours, 1, ""),
                if t.open_at_period_end { " (open)" } else { "" }
            );
        }
    }
    out
}

/// The view as CSV: every KPI with its previous and year-ago values, then the focused pane's table.
pub fn to_csv(s: &Snapshot, focus: &str) -> String {
    let mut out = String::from("kpi,value,previous,year_ago\n");
    let prev = s.previous.as_ref();
    let ago = s.year_ago.as_ref();
    for k in rows() {
        let (name, get) = (k.label, k.get);
        let _ = writeln!(
            out,
            "{},{},{},{}",
            csv_field(name),
            opt(get(&s.kpis)),
            opt(prev.and_then(|b| get(&b.kpis))),
            opt(ago.and_then(|b| get(&b.kpis)))
        );
    }
    let _ = writeln!(out);
    match focus {
        "Churn risk" => {
            out.push_str(
                "customer_id,overdue,revenue_at_stake,last_nps,open_tickets,p_alive,expected_purchases\n",
            );
            let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
            for r in s.churn_risk.iter() {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    csv_field(&r.customer_id),
                    r.overdue,
                    r.revenue_at_stake,
                    r.last_nps.map(|n| n.to_string()).unwrap_or_default(),
                    r.open_tickets.map(|n| n.to_string()).unwrap_or_default(),
                    opt(r.p_alive),
                    opt(r.expected_purchases)
                );
            }
        }
        "Cohort retention" => {
            out.push_str("cohort,size,age,retention,partial\n");
            for r in &s.cohorts.rows {
                for (k, v) in r.retention.iter().enumerate() {
                    let partial = r.partial_from.is_some_and(|p| k >= p);
                    let _ = writeln!(out, "{},{},{k},{v},{partial}", r.cohort, r.size);
                }
            }
        }
        "Tickets" => {
            out.push_str("category,count,previous\n");
            for c in s.kpis.tickets.iter().flat_map(|t| &t.top_categories) {
                let _ = writeln!(out, "{},{},{}", csv_field(&c.category), c.count, c.previous);
            }
        }
        "NPS, CSAT, CES" => {
            out.push_str("detractor_theme,count,promoter_count\n");
            for t in s.kpis.nps.iter().flat_map(|n| &n.detractor_themes) {
                let _ = writeln!(
                    out,
                    "{},{},{}",
                    csv_field(&t.word),
                    t.count,
                    t.promoter_count
                );
            }
        }
        _ => {}
    }
    out
}

/// The follow-up CSV (a stable format, docs/followups.md): a header, then one
/// line per customer due, fields quoted when they need it.
pub fn followups_csv(rows: &[crate::metrics::followups::Followup]) -> String {
    let mut out = String::from("rule,customer_id,email,due,reason\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            csv_field(&r.rule),
            csv_field(&r.customer_id),
            csv_field(r.email.as_deref().unwrap_or("")),
            r.due,
            csv_field(&r.reason)
        );
    }
    out
}

/// A drill-down list as CSV: one row per customer, amounts as numbers.
pub fn customers_csv(rows: &[crate::metrics::lists::ListedCustomer]) -> String {
    let mut out = String::from(
        "customer_id,first_order,last_order,revenue,lifetime_revenue,last_nps,open_tickets\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{:.2},{:.2},{},{}",
            csv_field(&r.customer_id),
            r.first_order.as_deref().unwrap_or(""),
            r.last_order.as_deref().unwrap_or(""),
            r.revenue,
            r.lifetime_revenue,
            r.last_nps.map(|v| format!("{v}")).unwrap_or_default(),
            r.open_tickets
        );
    }
    out
}
