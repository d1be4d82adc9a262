//! The Goals pane.

use super::*;

/// The Goals pane.
pub struct Goals<'a> {
    pub view: &'a View,
    pub selected: usize,
    pub focused: bool,
    pub theme: &'a Theme,
    pub text: Style,
}

impl Widget for Goals<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Goals {
            view,
            selected,
            focused,
            theme,
            text,
        } = self;
        if view.goals.is_empty() {
            buf.put(
                Paragraph::new(vec![
                    Line::from(Span::styled("No goals set.", text)),
                    Line::from(Span::styled(
                        "Add targets under [goals] in the config file, e.g. retained_rate = 85, churn_rate = { max = 5 } (holdfast config --path shows where it is).",
                        theme.dim(),
                    )),
                ])
                .wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            );
            return;
        }
        let visible = area.height.saturating_sub(1) as usize;
        let offset = window(selected, visible);
        let header =
            Row::new(["goal", "target", "value", "gap", "status", "gap trend"]).style(theme.dim());
        let rows: Vec<Row> = view
            .goals
            .iter()
            .enumerate()
            .skip(offset)
            .take(visible)
            .map(|(i, g)| {
                let (mark, style) = goal_style(g.status, theme);
                let name = match &g.segment {
                    Some(seg) => format!("{} {seg}", g.goal.kpi.label()),
                    None => g.goal.kpi.label().to_string(),
                };
                let row = Row::new(vec![
                    Cell::from(name),
                    Cell::from(Line::from(crate::report::goal_target(g)).right_aligned()),
                    Cell::from(Line::from(crate::report::goal_value(g.value, g)).right_aligned()),
                    Cell::from(
                        Line::from(match g.gap {
                            Some(x) => format!("{x:+.1}"),
                            None => NONE.to_string(),
                        })
                        .right_aligned(),
                    ),
                    Cell::from(Span::styled(format!("{mark} {}", g.status.label()), style)),
                    Cell::from(format!(
                        "{} {}",
                        blocks(&g.gap_history),
                        match g.trend {
                            Some(GapTrend::Closing) => "↑",
                            Some(GapTrend::Widening) => "↓",
                            Some(GapTrend::Steady) => "→",
                            None => "",
                        }
                    )),
                ]);
                row.style(row_style(i, selected, focused, theme, text))
            })
            .collect();
        let widths = [
            Constraint::Min(10),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(11),
            Constraint::Length(9),
        ];
        buf.put(
            Table::new(rows, widths).header(header).column_spacing(1),
            area,
        );
    }
}
