//! The comparison view: every KPI against the previous period and a year ago.

use super::*;

use crate::app::state::Against;
use crate::metrics::kpi::{self, Kpi};

/// One KPI line for the customers pane and compare mode.
pub struct KpiRow {
    pub name: &'static str,
    pub now: String,
    pub then: String,
    pub change: String,
    pub delta: Option<f64>,
    pub up_is_good: bool,
}

impl KpiRow {
    /// A registry KPI now and in the period compared.
    fn of(kpi: &Kpi, now: (&Kpis, Option<&str>), then: (Option<&Kpis>, Option<&str>)) -> Self {
        let ((now, currency), (then, then_currency)) = (now, then);
        let (v, w) = ((kpi.get)(now), then.and_then(kpi.get));
        let (change, delta) = format::change(kpi.unit, v, w);
        KpiRow {
            name: kpi.screen,
            now: format::value(kpi.unit, v, currency),
            then: format::value(kpi.unit, w, then_currency),
            change,
            delta,
            up_is_good: kpi.higher_is_better,
        }
    }
}

/// The KPIs of the compare view, in its order (the Customers pane shows
/// those not already in a tile or another pane).
pub const COMPARED: &[&Kpi] = &[
    &kpi::CUSTOMERS_START,
    &kpi::CUSTOMERS_END,
    &kpi::CUSTOMERS_NEW,
    &kpi::CUSTOMERS_RETAINED,
    &kpi::CUSTOMERS_WON_BACK,
    &kpi::CUSTOMERS_LOST,
    &kpi::ORDERS,
    &kpi::BUYERS,
    &kpi::REVENUE,
    &kpi::APV,
    &kpi::ARPC,
    &kpi::MRR,
    &kpi::CLV,
    &kpi::APF,
    &kpi::LOST_PER_NEW,
    &kpi::RETAINED_RATE,
    &kpi::RETENTION_RATE,
    &kpi::CHURN_RATE,
    &kpi::REPEAT_PURCHASE_RATE,
    &kpi::REVENUE_RETENTION_NRR,
    &kpi::REVENUE_RETENTION_GRR,
    &kpi::NPS,
    &kpi::CSAT,
    &kpi::CES,
    &kpi::TICKETS_COUNT,
    &kpi::TICKETS_FIRST_RESPONSE_HOURS,
    &kpi::TICKETS_RESOLUTION_HOURS,
    &kpi::TICKETS_BACKLOG,
];

/// The rows of `kpis` that the snapshot's files hold, against the previous
/// period; beside E, the customers the BG/NBD model expects to be active.
pub fn kpi_rows(s: &Snapshot, kpis: &[&Kpi]) -> Vec<KpiRow> {
    let previous = s.previous.as_ref().map(|p| &p.kpis);
    kpi_rows_against(s, kpis, (previous, s.currency.as_deref()))
}

/// The same rows against other figures (a year ago, another segment) and
/// the currency of their amounts.
pub fn kpi_rows_against(
    s: &Snapshot,
    kpis: &[&Kpi],
    then: (Option<&Kpis>, Option<&str>),
) -> Vec<KpiRow> {
    let mut rows = Vec::new();
    for kpi in kpis.iter().filter(|k| k.applies(&s.kpis)) {
        rows.push(KpiRow::of(kpi, (&s.kpis, s.currency.as_deref()), then));
        if kpi.key == kpi::CUSTOMERS_END.key {
            rows.push(expected_active(s));
        }
    }
    rows
}

fn expected_active(s: &Snapshot) -> KpiRow {
    let now = match &s.predicted {
        None => "fitting…".to_string(),
        Some(p) => p
            .expected_active
            .map_or(NONE.into(), |a| format::count(a.round() as u64)),
    };
    KpiRow {
        name: "Expected active",
        now,
        then: NONE.into(),
        change: String::new(),
        delta: None,
        up_is_good: true,
    }
}

/// The comparison view.
pub struct Compare<'a> {
    pub snapshot: &'a Snapshot,
    pub against: Against,
    /// The other column of a segment comparison (None while it computes).
    pub other: Option<&'a Snapshot>,
    pub theme: &'a Theme,
}

impl Widget for Compare<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Compare {
            snapshot: s,
            against,
            other,
            theme,
        } = self;
        let filter = |s: &Snapshot| {
            s.filters
                .segment
                .clone()
                .unwrap_or_else(|| "all customers".to_string())
        };
        let (then, now_label, then_label, title) = match against {
            Against::Previous => (
                s.previous.as_ref().map(|p| &p.kpis),
                s.period.label.clone(),
                s.previous
                    .as_ref()
                    .map_or("previous".into(), |p| p.period.label.clone()),
                "Compare with the previous period (v: a year ago, s: a segment)".to_string(),
            ),
            Against::YearAgo => (
                s.year_ago.as_ref().map(|p| &p.kpis),
                s.period.label.clone(),
                s.year_ago
                    .as_ref()
                    .map_or("a year ago".into(), |p| p.period.label.clone()),
                "Compare with a year ago (v: close, s: a segment)".to_string(),
            ),
            Against::Period => (
                other.map(|o| &o.kpis),
                s.period.label.clone(),
                other.map_or("computing…".into(), |o| o.period.label.clone()),
                format!(
                    "Compare {} with {} ([ ]: another period, v: close)",
                    s.period.label,
                    other.map_or("…".into(), |o| o.period.label.clone())
                ),
            ),
            Against::Segment => (
                other.map(|o| &o.kpis),
                filter(s),
                other.map_or("computing…".into(), filter),
                format!(
                    "Compare {} in {} (s: another, v: close)",
                    other.map_or("segments".into(), |o| format!(
                        "{} with {}",
                        filter(s),
                        filter(o)
                    )),
                    s.period.label
                ),
            ),
        };
        let b = block(&title, true, theme);
        let inner = b.inner(area);
        buf.put(b, area);
        let header = Row::new(vec![
            Cell::from("KPI"),
            Cell::from(Line::from(now_label).right_aligned()),
            Cell::from(Line::from(then_label).right_aligned()),
            Cell::from(Line::from("change").right_aligned()),
        ])
        .style(theme.dim());
        // Another segment can be another currency (currency=EUR against USD).
        let then_currency = match against {
            Against::Segment => other.and_then(|o| o.currency.as_deref()),
            _ => s.currency.as_deref(),
        };
        let then = (then, then_currency);
        let rows: Vec<Row> = kpi_rows_against(s, COMPARED, then)
            .into_iter()
            .map(|r| {
                Row::new(vec![
                    Cell::from(Span::styled(r.name, theme.dim())),
                    Cell::from(Line::from(r.now).right_aligned()),
                    Cell::from(Line::from(r.then).right_aligned()),
                    Cell::from(
                        Line::from(Span::styled(r.change, theme.change(r.delta, r.up_is_good)))
                            .right_aligned(),
                    ),
                ])
            })
            .collect();
        // The label column as wide as the longest name: values sit beside
        // their names on a wide screen, not 120 columns away.
        let names: Vec<usize> = kpi_rows_against(s, COMPARED, then)
            .iter()
            .map(|r| r.name.chars().count())
            .collect();
        let label = names.into_iter().max().unwrap_or(20).max(20) as u16 + 2;
        let widths = [
            Constraint::Length(label),
            Constraint::Length(14),
            Constraint::Length(14),
            Constraint::Length(12),
        ];
        buf.put(Table::new(rows, widths).header(header), inner);
    }
}
