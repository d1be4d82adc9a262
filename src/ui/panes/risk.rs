//! The Churn risk pane: who is overdue, by revenue at stake.

use super::*;

/// The Churn risk pane.
pub struct Risk<'a> {
    pub snapshot: &'a Snapshot,
    pub selected: usize,
    pub focused: bool,
    pub theme: &'a Theme,
    pub text: Style,
}

impl Widget for Risk<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Risk {
            snapshot: s,
            selected,
            focused,
            theme,
            text,
        } = self;
        if s.churn_risk.is_empty() {
            buf.put(
                Paragraph::new(Span::styled(
                    "nobody is overdue in this period",
                    theme.dim(),
                )),
                area,
            );
            return;
        }
        let visible = area.height.saturating_sub(1) as usize;
        let offset = window(selected, visible);
        let header =
            Row::new(["customer", "overdue", "at stake", "NPS", "open"]).style(theme.dim());
        let rows: Vec<Row> = s
            .churn_risk
            .iter()
            .enumerate()
            .skip(offset)
            .take(visible)
            .map(|(i, r)| {
                let row = Row::new(vec![
                    Cell::from(r.customer_id.clone()),
                    Cell::from(Line::from(format!("{:.1}×", r.overdue)).right_aligned()),
                    Cell::from(Line::from(format::money(Some(r.revenue_at_stake))).right_aligned()),
                    Cell::from(
                        Line::from(r.last_nps.map_or(NONE.to_string(), |n| n.to_string()))
                            .right_aligned(),
                    ),
                    Cell::from(
                        Line::from(r.open_tickets.map_or(NONE.to_string(), |n| n.to_string()))
                            .right_aligned(),
                    ),
                ]);
                if focused && i == selected {
                    row.style(theme.selected())
                } else {
                    row.style(text)
                }
            })
            .collect();
        let widths = [
            Constraint::Min(10),
            Constraint::Length(8),
            Constraint::Length(11),
            Constraint::Length(4),
            Constraint::Length(5),
        ];
        buf.put(Table::new(rows, widths).header(header), area);
    }
}
