//! The Churn risk pane: who is overdue, by revenue at stake or by
//! P(alive) × revenue at stake (`o`), with the BG/NBD columns.

use super::*;

/// The Churn risk pane.
pub struct Risk<'a> {
    pub snapshot: &'a Snapshot,
    /// The list in the order shown (`State::risk_rows`).
    pub rows: &'a [&'a AtRisk],
    pub by_alive: bool,
    pub selected: usize,
    pub focused: bool,
    pub theme: &'a Theme,
    pub text: Style,
}

impl Widget for Risk<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Risk {
            snapshot: s,
            rows: list,
            by_alive,
            selected,
            focused,
            theme,
            text,
        } = self;
        let currency = s.currency.as_deref();
        if list.is_empty() {
            buf.put(
                Paragraph::new(Span::styled(
                    "nobody is overdue in this period",
                    theme.dim(),
                )),
                area,
            );
            return;
        }
        // A summary line: how many, in which order, and the model's state.
        let model = match &s.predicted {
            None => "P(alive): fitting…".to_string(),
            Some(p) if p.r.is_none() => "P(alive): –".to_string(),
            Some(p) => format!(
                "expected active {} of {}",
                format::count(p.expected_active.unwrap_or(0.0).round() as u64),
                format::count(p.customers)
            ),
        };
        let order = if by_alive {
            "by P(alive) × at stake"
        } else {
            "by revenue at stake"
        };
        buf.put(
            Paragraph::new(Span::styled(
                format!(
                    "{} at risk · {model} · {order}",
                    format::count(list.len() as u64)
                ),
                theme.dim(),
            )),
            Rect::new(area.x, area.y, area.width, 1.min(area.height)),
        );
        let area = Rect {
            y: area.y + 1.min(area.height),
            height: area.height.saturating_sub(1),
            ..area
        };
        let visible = area.height.saturating_sub(1) as usize;
        let offset = window(selected, visible);
        // The id column as wide as the ids shown, 8 to 24 characters (longer ids end in …).
        let id_width = list
            .iter()
            .skip(offset)
            .take(visible)
            .map(|r| r.customer_id.chars().count())
            .max()
            .unwrap_or(8)
            .clamp(8, 24);
        let header = Row::new([
            "customer", "overdue", "at stake", "alive", "exp.", "NPS", "open",
        ])
        .style(theme.dim());
        let rows: Vec<Row> = list
            .iter()
            .enumerate()
            .skip(offset)
            .take(visible)
            .map(|(i, r)| {
                let row = Row::new(vec![
                    Cell::from(ellipsis(&r.customer_id, id_width)),
                    Cell::from(Line::from(format!("{:.1}×", r.overdue)).right_aligned()),
                    Cell::from(
                        Line::from(format::money_in(Some(r.revenue_at_stake), currency))
                            .right_aligned(),
                    ),
                    Cell::from(
                        Line::from(
                            r.p_alive
                                .map_or(NONE.to_string(), |p| format!("{:.0}%", p * 100.0)),
                        )
                        .right_aligned(),
                    ),
                    Cell::from(Line::from(format::num(r.expected_purchases, 1)).right_aligned()),
                    Cell::from(
                        Line::from(r.last_nps.map_or(NONE.to_string(), |n| n.to_string()))
                            .right_aligned(),
                    ),
                    Cell::from(
                        Line::from(r.open_tickets.map_or(NONE.to_string(), |n| n.to_string()))
                            .right_aligned(),
                    ),
                ]);
                row.style(row_style(i, selected, focused, theme, text))
            })
            .collect();
        let widths = [
            Constraint::Length(id_width as u16),
            Constraint::Length(8),
            Constraint::Length(11),
            Constraint::Length(5),
            Constraint::Length(4),
            Constraint::Length(4),
            Constraint::Length(5),
        ];
        buf.put(Table::new(rows, widths).header(header), area);
    }
}
