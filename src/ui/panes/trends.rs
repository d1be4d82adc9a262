//! The Trends pane: sparklines as wide as the pane (up to `TREND_PERIODS`),
//! each over its own range, with that range beside it.

use super::*;

/// The Trends pane.
pub struct Trends<'a> {
    pub view: &'a crate::app::state::View,
    pub theme: &'a Theme,
    pub text: Style,
}

/// One sparkline row: name, latest value, the series, how a value reads.
type Series<'a> = (&'a str, String, Vec<Option<f64>>, &'a dyn Fn(f64) -> String);

impl Widget for Trends<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Trends { view, theme, text } = self;
        let t = &view.trend;
        let currency = view.snapshot.currency.as_deref();
        let last = |v: &[Option<f64>]| v.last().copied().flatten();
        let counts = |v: &[u64]| v.iter().map(|x| Some(*x as f64)).collect::<Vec<_>>();
        let pct = |x: f64| format!("{x:.1}%");
        // Whole amounts in the ranges: the spread matters, not the cents.
        let money = |x: f64| format::whole_money_in(x, currency);
        let count = |x: f64| format::count(x.round().max(0.0) as u64);
        let score = |x: f64| format!("{x:.1}");
        let rows: [Series; 6] = [
            (
                "Retention",
                format::pct(last(&t.retention)),
                t.retention.clone(),
                &pct,
            ),
            ("Churn", format::pct(last(&t.churn)), t.churn.clone(), &pct),
            (
                "Revenue",
                format::money_in(t.revenue.last().copied(), currency),
                t.revenue.iter().map(|x| Some(*x)).collect(),
                &money,
            ),
            (
                "Buyers",
                t.buyers.last().map_or(NONE.into(), |b| format::count(*b)),
                counts(&t.buyers),
                &count,
            ),
            ("NPS", format::num(last(&t.nps), 1), t.nps.clone(), &score),
            (
                "Tickets",
                t.tickets.last().map_or(NONE.into(), |b| format::count(*b)),
                counts(&t.tickets),
                &count,
            ),
        ];
        const LABEL: u16 = 22;
        // Periods before the first with any data are left out (no zeros
        // before the shop opened), and every row shows the same periods, as
        // many as fit beside the ranges.
        let known = t
            .buyers
            .iter()
            .zip(&t.tickets)
            .zip(&t.nps)
            .position(|((b, k), n)| *b > 0 || *k > 0 || n.is_some())
            .map_or(0, |first| t.labels.len() - first);
        let room = (area.width.saturating_sub(LABEL) as usize).min(known);
        let ranges_over = |n: usize| -> Vec<String> {
            rows.iter()
                .map(|(_, _, data, show)| range_of(&data[data.len().saturating_sub(n)..], show))
                .collect()
        };
        // Fewer periods can narrow the ranges: settle on a count that fits.
        let widest = |r: &[String]| r.iter().map(|r| r.chars().count()).max().unwrap_or(0) + 1;
        let width = area.width.saturating_sub(LABEL) as usize;
        let mut periods = room;
        let mut ranges = ranges_over(periods);
        for _ in 0..3 {
            let fit = room.min(width.saturating_sub(widest(&ranges)));
            if fit == periods {
                break;
            }
            periods = fit;
            ranges = ranges_over(periods);
        }
        let with_ranges = periods + widest(&ranges) <= width && periods >= 12.min(known);
        if !with_ranges {
            periods = room;
        }
        for (i, (((name, value, data, _), range), y)) in
            rows.iter().zip(&ranges).zip(area.y..).enumerate()
        {
            if i as u16 >= area.height {
                break;
            }
            let line = Rect::new(area.x, y, area.width, 1);
            buf.put(
                Paragraph::new(Line::from(vec![
                    Span::styled(format!("{name:<10}"), theme.dim()),
                    Span::styled(format!("{value:>11}"), text),
                ])),
                line,
            );
            let spark = Rect::new(area.x + LABEL, y, periods as u16, 1);
            buf.put(
                Sparkline::default()
                    .data(spark_data(data, periods))
                    .style(theme.fg(theme.accent)),
                spark,
            );
            if with_ranges {
                let x = spark.right() + 1;
                let rest = Rect::new(x, y, area.right().saturating_sub(x), 1);
                buf.put(
                    Paragraph::new(Span::styled(range.clone(), theme.dim())),
                    rest,
                );
            }
        }
        if area.height as usize > rows.len() + 1 && periods > 0 {
            let labels = &t.labels[t.labels.len() - periods..];
            let from = labels.first().cloned().unwrap_or_default();
            let to = labels.last().cloned().unwrap_or_default();
            let y = area.y + rows.len() as u16;
            buf.put(
                Paragraph::new(Span::styled(
                    format!("{periods} periods: {from} .. {to} (each from its low to its high)"),
                    theme.dim(),
                )),
                Rect {
                    y,
                    height: 1,
                    ..area
                },
            );
        }
    }
}

/// `lo–hi` of the known values, or `–` without any.
fn range_of(values: &[Option<f64>], show: &dyn Fn(f64) -> String) -> String {
    span(values).map_or(NONE.into(), |(lo, hi)| format!("{}–{}", show(lo), show(hi)))
}
