//! The Trends pane: 12-period sparklines.

use super::*;

/// The Trends pane.
pub struct Trends<'a> {
    pub view: &'a crate::app::state::View,
    pub theme: &'a Theme,
    pub text: Style,
}

impl Widget for Trends<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Trends { view, theme, text } = self;
        let t = &view.trend;
        let last = |v: &[Option<f64>]| v.last().copied().flatten();
        let rows: [(&str, String, Vec<Option<u64>>); 6] = [
            (
                "Retention",
                format::pct(last(&t.retention)),
                scaled(&t.retention),
            ),
            ("Churn", format::pct(last(&t.churn)), scaled(&t.churn)),
            (
                "Revenue",
                format::money_in(t.revenue.last().copied(), view.snapshot.currency.as_deref()),
                scaled(&t.revenue.iter().map(|x| Some(*x)).collect::<Vec<_>>()),
            ),
            (
                "Buyers",
                t.buyers.last().map_or(NONE.into(), |b| format::count(*b)),
                t.buyers.iter().map(|b| Some(*b)).collect(),
            ),
            ("NPS", format::num(last(&t.nps), 1), scaled(&t.nps)),
            (
                "Tickets",
                t.tickets.last().map_or(NONE.into(), |b| format::count(*b)),
                t.tickets.iter().map(|b| Some(*b)).collect(),
            ),
        ];
        let heights = vec![Constraint::Length(1); rows.len()];
        let lines = Layout::vertical(heights).split(area);
        for ((name, value, data), line) in rows.iter().zip(lines.iter()) {
            let [label, spark] =
                Layout::horizontal([Constraint::Length(22), Constraint::Min(0)]).areas(*line);
            buf.put(
                Paragraph::new(Line::from(vec![
                    Span::styled(format!("{name:<10}"), theme.dim()),
                    Span::styled(format!("{value:>11}"), text),
                ])),
                label,
            );
            let width = spark.width as usize;
            let shown: Vec<Option<u64>> = data.iter().rev().take(width).rev().copied().collect();
            buf.put(
                Sparkline::default()
                    .data(shown)
                    .style(theme.fg(theme.accent)),
                spark,
            );
        }
        if area.height as usize > rows.len() + 1 {
            let from = t.labels.first().cloned().unwrap_or_default();
            let to = t.labels.last().cloned().unwrap_or_default();
            let y = area.y + rows.len() as u16;
            buf.put(
                Paragraph::new(Span::styled(
                    format!("last {} periods: {from} .. {to}", t.labels.len()),
                    theme.dim(),
                )),
                Rect {
                    y,
                    height: 1,
                    ..area
                },
            );
        }
    }
}
