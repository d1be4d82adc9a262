//! The Cohorts pane: the retention table, by customers or by revenue (`$`).

use super::*;

/// The Cohorts pane.
pub struct Cohorts<'a> {
    pub snapshot: &'a Snapshot,
    pub scroll: usize,
    pub theme: &'a Theme,
    /// Revenue retention (may pass 100 %) instead of customers.
    pub revenue: bool,
}

impl Widget for Cohorts<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Cohorts {
            snapshot: s,
            scroll,
            theme,
            revenue,
        } = self;
        let rows = &s.cohorts.rows;
        if revenue {
            return RevenueCohorts {
                snapshot: s,
                scroll,
                theme,
            }
            .render(area, buf);
        }
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

/// The revenue cohort table: cells over the cohort's first-period revenue,
/// coloured on a scale centred on 100 %.
struct RevenueCohorts<'a> {
    snapshot: &'a Snapshot,
    scroll: usize,
    theme: &'a Theme,
}

impl Widget for RevenueCohorts<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let RevenueCohorts {
            snapshot: s,
            scroll,
            theme,
        } = self;
        let rows = &s.revenue_cohorts.rows;
        if rows.is_empty() {
            buf.put(
                Paragraph::new(Span::styled("no cohorts", theme.dim())),
                area,
            );
            return;
        }
        let (label_w, base_w, cell_w) = (9u16, 10u16, 5u16);
        let ages = ((area.width.saturating_sub(label_w + base_w)) / cell_w) as usize;
        let mut lines = vec![Line::from(
            std::iter::once(Span::styled(
                format!("{:<9}{:>10}", "revenue", "first"),
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
                format!("{:<9}{:>10}", r.cohort, format::money(Some(r.revenue))),
                theme.text(),
            )];
            for (k, v) in r.retention.iter().enumerate().take(ages) {
                let partial = r.partial_from.is_some_and(|p| k >= p);
                let mark = if partial { "~" } else { " " };
                // 100 % sits in the middle of the scale; 200 % and more at its top.
                let mut style = v.map_or(theme.dim(), |v| theme.heat(v / 2.0));
                if partial {
                    style = style.add_modifier(Modifier::ITALIC);
                }
                let cell = match v {
                    Some(v) if v.abs() >= 999.5 => format!("{:>4}{mark}", ">999"),
                    Some(v) => format!("{:>4.0}{mark}", v),
                    None => format!("{:>4}{mark}", NONE),
                };
                spans.push(Span::styled(cell, style));
            }
            lines.push(Line::from(spans));
        }
        buf.put(Paragraph::new(lines), area);
    }
}
