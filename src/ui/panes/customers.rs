//! The Customers pane: S, E, new, retained, lost, won back.

use super::*;
use crate::metrics::kpi::{self, Kpi};

/// The compare view's KPIs less those shown elsewhere: in the tiles
/// (retention, churn, NPS, CSAT), the NPS pane (CES), the Revenue retention
/// pane (NRR, GRR) and the Tickets pane; purchase frequency leaves its room
/// to CRR.
const ELSEWHERE: &[&Kpi] = &[
    &kpi::RETAINED_RATE,
    &kpi::APF,
    &kpi::CHURN_RATE,
    &kpi::NPS,
    &kpi::CSAT,
    &kpi::CES,
    &kpi::REVENUE_RETENTION_NRR,
    &kpi::REVENUE_RETENTION_GRR,
];

/// The Customers pane.
pub struct Customers<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: &'a Theme,
    pub text: Style,
}

impl Widget for Customers<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Customers {
            snapshot: s,
            theme,
            text,
        } = self;
        let shown: Vec<&Kpi> = super::compare::COMPARED
            .iter()
            .copied()
            .filter(|k| {
                k.family() == kpi::Family::Orders && !ELSEWHERE.iter().any(|o| o.key == k.key)
            })
            .collect();
        let rows = kpi_rows(s, &shown);
        let table_rows: Vec<Row> = rows
            .iter()
            .map(|r| {
                Row::new(vec![
                    Cell::from(Span::styled(short(r.name), theme.dim())),
                    Cell::from(Line::from(Span::styled(r.now.clone(), text)).right_aligned()),
                    Cell::from(
                        Line::from(Span::styled(
                            r.change.clone(),
                            theme.change(r.delta, r.up_is_good),
                        ))
                        .right_aligned(),
                    ),
                ])
            })
            .collect();
        let half = table_rows.len().div_ceil(2);
        let (left, right) = if area.width >= 54 && (area.height as usize) < table_rows.len() {
            let [l, r] = Layout::horizontal([Constraint::Percentage(50); 2])
                .spacing(2)
                .areas(area);
            (l, Some(r))
        } else {
            (area, None)
        };
        let widths = [
            Constraint::Min(9),
            Constraint::Length(10),
            Constraint::Length(8),
        ];
        match right {
            Some(r) => {
                let mut it = table_rows.into_iter();
                let first: Vec<Row> = it.by_ref().take(half).collect();
                buf.put(Table::new(first, widths), left);
                buf.put(Table::new(it.collect::<Vec<_>>(), widths), r);
            }
            None => buf.put(Table::new(table_rows, widths), left),
        }
    }
}
