//! The Revenue retention pane: NRR, GRR and the quick ratio with their
//! change and sparklines as wide as the pane, and the bridge from last period's
//! revenue to this period's (kpi-spec §4.12).

use super::*;

/// The Revenue retention pane.
pub struct Revenue<'a> {
    pub view: &'a View,
    pub theme: &'a Theme,
    pub text: Style,
}

impl Widget for Revenue<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Revenue { view, theme, text } = self;
        let s = &view.snapshot;
        let r = &s.kpis.revenue_retention;
        let currency = s.currency.as_deref();
        let before = s.previous.as_ref().map(|p| &p.kpis.revenue_retention);
        // (name, now, the previous block's, the 12-period series)
        type Ratio<'s> = (&'s str, Option<f64>, Option<f64>, &'s [Option<f64>]);
        let ratios: [Ratio; 2] = [
            ("NRR", r.nrr, before.and_then(|b| b.nrr), &view.trend.nrr),
            ("GRR", r.grr, before.and_then(|b| b.grr), &view.trend.grr),
        ];
        let mut y = area.y;
        for (name, now, then, series) in ratios {
            if y >= area.bottom() {
                return;
            }
            let (change, delta) = format::points(now, then);
            let line = Rect::new(area.x, y, area.width, 1);
            let [label, spark] =
                Layout::horizontal([Constraint::Length(26), Constraint::Min(0)]).areas(line);
            buf.put(
                Paragraph::new(Line::from(vec![
                    Span::styled(format!("{name:<5}"), theme.dim()),
                    Span::styled(format!("{:>9}", format::pct(now)), text),
                    Span::styled(format!("{change:>10}"), theme.change(delta, true)),
                ])),
                label,
            );
            let shown = spark_data(series, spark.width as usize);
            buf.put(
                Sparkline::default()
                    .data(shown)
                    .style(theme.fg(theme.accent)),
                spark,
            );
            y += 1;
        }
        // From last period's payers to this period's revenue, then the steps.
        if y < area.bottom() {
            buf.put(
                Paragraph::new(Line::from(vec![
                    Span::styled("last period's payers ", theme.dim()),
                    Span::styled(format::money_in(Some(r.start), currency), text),
                    Span::styled(" → revenue ", theme.dim()),
                    Span::styled(format::money_in(Some(s.kpis.revenue), currency), text),
                ])),
                Rect::new(area.x, y, area.width, 1),
            );
            y += 1;
        }
        let steps: [(&str, f64, Style); 6] = [
            ("+ New", r.new, theme.fg(theme.good)),
            ("+ Reactivation", r.reactivation, theme.fg(theme.good)),
            ("+ Expansion", r.expansion, theme.fg(theme.good)),
            ("− Contraction", r.contraction, theme.fg(theme.bad)),
            ("− Churned", r.churned, theme.fg(theme.bad)),
            ("± Other (refunds)", r.other, theme.fg(theme.warn)),
        ];
        let widest = steps.iter().map(|(_, v, _)| v.abs()).fold(0.0f64, f64::max);
        let bar_w = area.width.saturating_sub(36) as f64;
        for (name, value, style) in steps {
            if y >= area.bottom() {
                return;
            }
            let cells = if widest > 0.0 {
                (value.abs() / widest * bar_w).round() as usize
            } else {
                0
            };
            buf.put(
                Paragraph::new(Line::from(vec![
                    Span::styled(format!("{name:<21}"), theme.dim()),
                    Span::styled(
                        format!("{:>13} ", format::money_in(Some(value), currency)),
                        text,
                    ),
                    Span::styled("█".repeat(cells), style),
                ])),
                Rect::new(area.x, y, area.width, 1),
            );
            y += 1;
        }
        if y < area.bottom() {
            buf.put(
                Paragraph::new(Line::from(vec![
                    Span::styled(format!("{:<21}", "Quick ratio"), theme.dim()),
                    Span::styled(format!("{:>13} ", format::num(r.quick_ratio, 2)), text),
                    Span::styled("gains / losses", theme.dim()),
                ])),
                Rect::new(area.x, y, area.width, 1),
            );
        }
    }
}
