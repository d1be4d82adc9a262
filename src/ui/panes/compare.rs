//! The comparison view: every KPI against the previous period and a year ago.

use super::*;

type Count = fn(&Kpis) -> u64;
type Value = fn(&Kpis) -> Option<f64>;

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
    fn new(
        name: &'static str,
        now: String,
        then: String,
        (change, delta): (String, Option<f64>),
        up_is_good: bool,
    ) -> Self {
        KpiRow {
            name,
            now,
            then,
            change,
            delta,
            up_is_good,
        }
    }
}

pub fn kpi_rows(s: &Snapshot) -> Vec<KpiRow> {
    let prev = s.previous.as_ref().map(|p| &p.kpis);
    let k = &s.kpis;
    let mut rows = Vec::new();
    let counts: [(&str, Count, bool); 8] = [
        ("Customers at start", |k| k.customers.start, true),
        ("Customers at end", |k| k.customers.end, true),
        ("New", |k| k.customers.new, true),
        ("Retained", |k| k.customers.retained, true),
        ("Won back", |k| k.customers.won_back, true),
        ("Lost", |k| k.customers.lost, false),
        ("Orders", |k| k.orders, true),
        ("Buyers", |k| k.buyers, true),
    ];
    for (name, f, up) in counts {
        let then = prev.map(f);
        rows.push(KpiRow::new(
            name,
            format::count(f(k)),
            then.map_or(NONE.into(), format::count),
            format::relative(Some(f(k) as f64), then.map(|x| x as f64)),
            up,
        ));
    }
    // Beside E: the customers the BG/NBD model expects to be active.
    let expected = match &s.predicted {
        None => "fitting…".to_string(),
        Some(p) => p
            .expected_active
            .map_or(NONE.into(), |a| format::count(a.round() as u64)),
    };
    rows.insert(
        2,
        KpiRow::new(
            "Expected active",
            expected,
            NONE.into(),
            (String::new(), None),
            true,
        ),
    );
    let money: [(&str, Value); 5] = [
        ("Revenue", |k| Some(k.revenue)),
        ("Avg purchase value", |k| k.apv),
        ("Revenue per buyer", |k| k.arpc),
        ("MRR", |k| k.mrr),
        ("Lifetime value", |k| k.clv),
    ];
    for (name, f) in money {
        let then = prev.and_then(f);
        rows.push(KpiRow::new(
            name,
            format::money(f(k)),
            format::money(then),
            format::relative(f(k), then),
            true,
        ));
    }
    let ratios: [(&str, Value, bool); 2] = [
        ("Purchase frequency", |k| k.apf, true),
        ("Lost per new", |k| k.lost_per_new, false),
    ];
    for (name, f, up) in ratios {
        let then = prev.and_then(f);
        rows.push(KpiRow::new(
            name,
            format::num(f(k), 2),
            format::num(then, 2),
            format::relative(f(k), then),
            up,
        ));
    }
    let shares: [(&str, Value, bool); 6] = [
        ("Retention (retained)", |k| k.retained_rate, true),
        ("CRR", |k| k.retention_rate, true),
        ("Churn rate", |k| k.churn_rate, false),
        ("Repeat purchase rate", |k| k.repeat_purchase_rate, true),
        ("Net revenue retention", |k| k.revenue_retention.nrr, true),
        ("Gross revenue retention", |k| k.revenue_retention.grr, true),
    ];
    for (name, f, up) in shares {
        let then = prev.and_then(f);
        rows.push(KpiRow::new(
            name,
            format::pct(f(k)),
            format::pct(then),
            format::points(f(k), then),
            up,
        ));
    }
    if k.nps.is_some() {
        let scores: [(&str, Value, bool); 3] = [
            ("NPS", |k| k.nps.as_ref().and_then(|n| n.score), false),
            ("CSAT", |k| k.csat.as_ref().and_then(|n| n.score), true),
            ("CES", |k| k.ces.as_ref().and_then(|n| n.mean), false),
        ];
        for (name, f, percent) in scores {
            let show = |x: Option<f64>| {
                if percent {
                    format::pct(x)
                } else {
                    format::num(x, 1)
                }
            };
            let then = prev.and_then(f);
            let (mut change, delta) = format::points(f(k), then);
            if !percent {
                // NPS and CES move in points of their scale.
                change = change.replace("pp", "pts");
            }
            rows.push(KpiRow::new(
                name,
                show(f(k)),
                show(then),
                (change, delta),
                true,
            ));
        }
    }
    if let Some(t) = &k.tickets {
        let then = prev.and_then(|p| p.tickets.as_ref()).map(|p| p.count);
        rows.push(KpiRow::new(
            "Tickets",
            format::count(t.count),
            then.map_or(NONE.into(), format::count),
            format::relative(Some(t.count as f64), then.map(|x| x as f64)),
            false,
        ));
    }
    rows
}

/// The comparison view.
pub struct Compare<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: &'a Theme,
}

impl Widget for Compare<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Compare { snapshot: s, theme } = self;
        let prev_label = s
            .previous
            .as_ref()
            .map_or("previous".to_string(), |p| p.period.label.clone());
        let b = block("Compare", true, theme);
        let inner = b.inner(area);
        buf.put(b, area);
        let header = Row::new(vec![
            Cell::from("KPI"),
            Cell::from(Line::from(s.period.label.clone()).right_aligned()),
            Cell::from(Line::from(prev_label).right_aligned()),
            Cell::from(Line::from("change").right_aligned()),
        ])
        .style(theme.dim());
        let rows: Vec<Row> = kpi_rows(s)
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
        let widths = [
            Constraint::Min(20),
            Constraint::Length(14),
            Constraint::Length(14),
            Constraint::Length(12),
        ];
        buf.put(Table::new(rows, widths).header(header), inner);
    }
}
