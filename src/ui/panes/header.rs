//! The header line: period, filters, data range, alerts.

use super::*;

/// The header line.
pub struct Header<'a> {
    pub state: &'a State,
    pub theme: &'a Theme,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Header { state, theme } = self;
        let q = &state.query;
        if state.view.is_none() && state.data_range.is_none() {
            // Nothing loaded yet: no period to show.
            let step = state.loading.as_deref().unwrap_or("starting");
            let line = Line::from(vec![
                Span::styled(" holdfast ", theme.title().add_modifier(Modifier::REVERSED)),
                Span::styled(format!("  loading: {step}"), theme.dim()),
            ]);
            buf.put(Paragraph::new(line), area);
            return;
        }
        let mut first = vec![
            Span::styled(" holdfast ", theme.title().add_modifier(Modifier::REVERSED)),
            Span::styled(
                format!("  {} ", q.period.label()),
                theme.text().add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("({})", q.period.granularity.name()), theme.dim()),
        ];
        // A period holding the last day of data is counted to date, and so are its comparisons.
        if let Some(d) = state.snapshot().and_then(|s| s.period.to_date.as_deref()) {
            first.push(Span::styled(
                format!(" to date: to {d}, compared day for day"),
                theme.fg(theme.warn),
            ));
        }
        let filters: Vec<String> = [
            q.segment.as_ref().map(|(c, v)| format!("{c}={v}")),
            q.cohort.map(|c| format!("cohort {}", c.label())),
        ]
        .into_iter()
        .flatten()
        .collect();
        first.push(Span::styled(
            format!(
                "  filters: {}",
                if filters.is_empty() {
                    "none".to_string()
                } else {
                    filters.join(", ")
                }
            ),
            if filters.is_empty() {
                theme.dim()
            } else {
                theme.fg(theme.warn)
            },
        ));
        if let Some(v) = state.view.as_deref() {
            let n = v.alerts.len();
            if n > 0 {
                let critical = v.alerts.iter().any(|a| a.severity == Severity::Critical);
                first.push(Span::styled(
                    format!("  ⚠ {n} alert{}", if n == 1 { "" } else { "s" }),
                    theme.fg(if critical { theme.bad } else { theme.warn }),
                ));
            }
        }
        if state.stale() {
            first.push(Span::styled("  ⟳ computing", theme.fg(theme.warn)));
        }
        // Last: on a narrow screen the data range is what gets cut, not the alerts.
        if let Some((a, b)) = &state.data_range {
            first.push(Span::styled(format!("  data {a} .. {b}"), theme.dim()));
        }
        // Amounts in several currencies: until one is picked, say so first.
        let mixed = state.snapshot().and_then(|s| {
            s.data_quality
                .iter()
                .find_map(|r| r.mixed_currency.clone())
                .filter(|col| q.segment.as_ref().is_none_or(|(c, _)| c != col))
        });
        let second = match state.snapshot().and_then(|s| s.cycle_warning.as_ref()) {
            _ if mixed.is_some() => Line::from(Span::styled(
                format!(
                    " ⚠ amounts are in several currencies and are added up as they are: press s and pick one {}",
                    mixed.unwrap_or_default()
                ),
                theme.fg(theme.warn),
            )),
            Some(w) => Line::from(Span::styled(
                format!(
                    " ⚠ {} days is shorter than 3 purchase cycles ({} days): retention here is noise{}",
                    w.period_days,
                    w.required_days,
                    w.suggested_granularity
                        .map(|g| format!("; try {}", g.name()))
                        .unwrap_or_default()
                ),
                theme.fg(theme.warn),
            )),
            None => Line::from(Span::styled(
                state
                    .snapshot()
                    .map(|s| {
                        format!(
                            " churn window {} days · typical purchase cycle {}",
                            s.churn_window_days,
                            s.purchase_cycle_days
                                .map_or(NONE.to_string(), |c| format!("{c:.0} days"))
                        )
                    })
                    .unwrap_or_default(),
                theme.dim(),
            )),
        };
        buf.put(Paragraph::new(vec![Line::from(first), second]), area);
    }
}
