//! The Follow-ups pane: who is due for an action, rule by rule
//! (`[[followups]]` in the config); Enter opens the customer, `e` exports
//! the list as CSV.

use super::*;

/// The Follow-ups pane.
pub struct Followups<'a> {
    pub view: &'a View,
    pub selected: usize,
    pub focused: bool,
    pub theme: &'a Theme,
    pub text: Style,
}

impl Widget for Followups<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Followups {
            view,
            selected,
            focused,
            theme,
            text,
        } = self;
        let Some(lists) = &view.followups else {
            buf.put(Paragraph::new(Span::styled("listing…", theme.dim())), area);
            return;
        };
        if lists.is_empty() {
            buf.put(
                Paragraph::new(Span::styled(
                    "no follow-up lists: add [[followups]] to the config (after_purchase_days = 7, detractor_no_ticket = true, at_risk = true)",
                    theme.dim(),
                ))
                .wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            );
            return;
        }
        let counts: Vec<String> = lists
            .iter()
            .map(|l| format!("{} {}", l.rule, format::count(l.customers.len() as u64)))
            .collect();
        buf.put(
            Paragraph::new(Span::styled(counts.join(" · "), theme.dim())),
            Rect::new(area.x, area.y, area.width, 1.min(area.height)),
        );
        let area = Rect {
            y: area.y + 1.min(area.height),
            height: area.height.saturating_sub(1),
            ..area
        };
        let rows: Vec<&crate::metrics::followups::Followup> =
            lists.iter().flat_map(|l| &l.customers).collect();
        let visible = area.height.saturating_sub(1) as usize;
        let offset = window(selected, visible);
        let header = Row::new(["list", "customer", "due", "why"]).style(theme.dim());
        let table_rows: Vec<Row> = rows
            .iter()
            .enumerate()
            .skip(offset)
            .take(visible)
            .map(|(i, f)| {
                let row = Row::new(vec![
                    Cell::from(f.rule.clone()),
                    Cell::from(f.customer_id.clone()),
                    Cell::from(f.due.clone()),
                    Cell::from(f.reason.clone()),
                ]);
                row.style(row_style(i, selected, focused, theme, text))
            })
            .collect();
        let widths = [
            Constraint::Length(14),
            Constraint::Length(24),
            Constraint::Length(10),
            Constraint::Min(10),
        ];
        buf.put(Table::new(table_rows, widths).header(header), area);
    }
}
