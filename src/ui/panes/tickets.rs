//! The Tickets pane: counts, response and resolution times, categories.

use super::*;

/// The Tickets pane.
pub struct Tickets<'a> {
    pub snapshot: &'a Snapshot,
    pub scroll: usize,
    pub theme: &'a Theme,
    pub text: Style,
}

impl Widget for Tickets<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Tickets {
            snapshot: s,
            scroll,
            theme,
            text,
        } = self;
        let Some(t) = &s.kpis.tickets else {
            buf.put(
                Paragraph::new(Span::styled("no tickets source loaded", theme.dim())),
                area,
            );
            return;
        };
        let prev = s.previous.as_ref().and_then(|p| p.kpis.tickets.as_ref());
        let (d, v) = format::relative(Some(t.count as f64), prev.map(|p| p.count as f64));
        let hours = |x: Option<f64>| x.map_or(NONE.to_string(), |h| format!("{h:.1}h"));
        let mut lines = vec![
            Line::from(vec![
                Span::styled("tickets ", theme.dim()),
                Span::styled(format::count(t.count), text.add_modifier(Modifier::BOLD)),
                Span::styled(format!(" {d}"), theme.change(v, false)),
                Span::styled("   backlog ", theme.dim()),
                Span::styled(format::count(t.backlog), text),
                Span::styled("   ticket CSAT ", theme.dim()),
                Span::styled(format::pct(t.csat), text),
            ]),
            Line::from(vec![
                Span::styled("first response  median ", theme.dim()),
                Span::styled(hours(t.first_response_hours.median), text),
                Span::styled("  p90 ", theme.dim()),
                Span::styled(hours(t.first_response_hours.p90), text),
            ]),
            Line::from(vec![
                Span::styled("resolution      median ", theme.dim()),
                Span::styled(hours(t.resolution_hours.median), text),
                Span::styled("  p90 ", theme.dim()),
                Span::styled(hours(t.resolution_hours.p90), text),
            ]),
            Line::from(Span::styled("top categories (now, previous):", theme.dim())),
        ];
        for c in t.top_categories.iter().skip(scroll) {
            let (d, v) = format::relative(Some(c.count as f64), Some(c.previous as f64));
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<18}", c.category), text),
                Span::styled(format!("{:>6}", c.count), text),
                Span::styled(format!("{:>6} ", c.previous), theme.dim()),
                Span::styled(d, theme.change(v, false)),
            ]));
        }
        buf.put(Paragraph::new(lines), area);
    }
}
