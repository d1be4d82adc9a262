//! The Cohorts pane: the retention table.

use super::*;

/// The Cohorts pane.
pub struct Cohorts<'a> {
    pub snapshot: &'a Snapshot,
    pub scroll: usize,
    pub theme: &'a Theme,
}

impl Widget for Cohorts<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Cohorts {
            snapshot: s,
            scroll,
            theme,
        } = self;
        let rows = &s.cohorts.rows;
        if rows.is_empty() {
            buf.put(
                Paragraph::new(Span::styled("no cohorts", theme.dim())),
                area,
            );
            return;
        }
        let label_w = 9u16;
        let cell_w = 5u16;
        let ages = ((area.width.saturating_sub(label_w + 6)) / cell_w) as usize;
        let mut lines = vec![Line::from(
            std::iter::once(Span::styled(
                format!("{:<9}{:>6}", "cohort", "size"),
                theme.dim(),
            ))
            .chain((0..ages).map(|k| Span::styled(format!("{:>5}", format!("+{k}")), theme.dim())))
            .collect::<Vec<_>>(),
        )];
        for r in rows
            .iter()
            .skip(scroll)
            .take(area.height.saturating_sub(1) as usize)
        {
            let mut spans = vec![Span::styled(
                format!("{:<9}{:>6}", r.cohort, format::count(r.size)),
                theme.text(),
            )];
            for (k, v) in r.retention.iter().enumerate().take(ages) {
                let partial = r.partial_from.is_some_and(|p| k >= p);
                let mark = if partial { "~" } else { " " };
                let mut style = theme.heat(*v);
                if partial {
                    style = style.add_modifier(Modifier::ITALIC);
                }
                spans.push(Span::styled(format!("{:>4.0}{mark}", v), style));
            }
            lines.push(Line::from(spans));
        }
        buf.put(Paragraph::new(lines), area);
    }
}
