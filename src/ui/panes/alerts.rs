//! The Alerts pane.

use super::*;

/// The Alerts pane.
pub struct Alerts<'a> {
    pub view: &'a View,
    pub selected: usize,
    pub focused: bool,
    pub theme: &'a Theme,
    pub text: Style,
}

impl Widget for Alerts<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Alerts {
            view,
            selected,
            focused,
            theme,
            text,
        } = self;
        if view.alerts.is_empty() {
            buf.put(
                Paragraph::new(Span::styled(
                    "No alerts: nothing needs attention in this period.",
                    theme.dim(),
                )),
                area,
            );
            return;
        }
        let visible = area.height as usize;
        let offset = window(selected, visible);
        let lines: Vec<Line> = view
            .alerts
            .iter()
            .enumerate()
            .skip(offset)
            .take(visible)
            .map(|(i, a)| {
                let (mark, style) = match a.severity {
                    Severity::Critical => ("✗", theme.fg(theme.bad)),
                    Severity::Warning => ("!", theme.fg(theme.warn)),
                };
                let line = Line::from(vec![
                    Span::styled(format!("{mark} "), style),
                    Span::styled(a.message.clone(), text),
                ]);
                if focused && i == selected {
                    line.style(theme.selected())
                } else {
                    line
                }
            })
            .collect();
        buf.put(Paragraph::new(lines), area);
    }
}
