//! The Cohorts pane: the retention table, by customers or by revenue (`$`).

use super::*;

/// The Cohorts pane.
pub struct Cohorts<'a> {
    pub snapshot: &'a Snapshot,
    pub scroll: usize,
    /// The first age column shown (`<` and `>`).
    pub first_age: usize,
    pub theme: &'a Theme,
    /// Revenue retention (may pass 100 %) instead of customers.
    pub revenue: bool,
}

impl Widget for Cohorts<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Cohorts {
            snapshot: s,
            scroll,
            first_age,
            theme,
            revenue,
        } = self;
        if revenue {
            return RevenueCohorts {
                snapshot: s,
                scroll,
                first_age,
                theme,
            }
            .render(area, buf);
        }
        let grid = Grid {
            head: ("cohort", "size", SIZE_W),
            scroll,
            first_age,
            theme,
        };
        grid.draw(
            area,
            buf,
            &s.cohorts.rows,
            |r| {
                (
                    &r.cohort,
                    format::count(r.size),
                    r.partial_from,
                    r.retention.len(),
                )
            },
            |r, k| {
                (
                    format!("{:>4.0}", r.retention[k]),
                    theme.heat(r.retention[k]),
                )
            },
        );
    }
}

/// The label column's width, the size column's, the first-period revenue
/// column's, and an age cell's.
const LABEL_W: usize = 9;
const SIZE_W: usize = 6;
const FIRST_W: usize = 10;
const CELL_W: usize = 5;

/// How many age cells fit in a table `width` wide.
pub fn ages_fitting(width: u16, revenue: bool) -> usize {
    ages_beside(width, if revenue { FIRST_W } else { SIZE_W })
}

/// How many age cells fit beside the label and a second column `second` wide.
fn ages_beside(width: u16, second: usize) -> usize {
    (width as usize).saturating_sub(LABEL_W + second) / CELL_W
}

/// A cohort table: a label column, a second column (size or first-period
/// revenue), then one 5-character cell per age from `first_age`, partial
/// cells marked `~` in italics; the rows from `scroll` that fit. `◀` and `▶`
/// in the heading say there are ages to either side.
struct Grid<'a> {
    /// The two first columns' headings and the second one's width.
    head: (&'a str, &'a str, usize),
    scroll: usize,
    first_age: usize,
    theme: &'a Theme,
}

impl Grid<'_> {
    fn draw<R>(
        &self,
        area: Rect,
        buf: &mut Buffer,
        rows: &[R],
        row: impl Fn(&R) -> (&str, String, Option<usize>, usize),
        cell: impl Fn(&R, usize) -> (String, Style),
    ) {
        let (theme, (first, second, second_w)) = (self.theme, self.head);
        if rows.is_empty() {
            buf.put(
                Paragraph::new(Span::styled("no cohorts", theme.dim())),
                area,
            );
            return;
        }
        let ages = ages_beside(area.width, second_w);
        let longest = rows.iter().map(|r| row(r).3).max().unwrap_or(0);
        // A wider screen than before the scroll: no blank columns at the right.
        let from = self.first_age.min(longest.saturating_sub(ages));
        let to = (from + ages).min(longest);
        let more = |yes: bool, mark: &str| if yes { mark.to_string() } else { " ".into() };
        let mut head: Vec<Span> = vec![Span::styled(
            format!("{first:<7}{} {second:>second_w$}", more(from > 0, "◀")),
            theme.dim(),
        )];
        head.extend(
            (from..to).map(|k| Span::styled(format!("{:>5}", format!("+{k}")), theme.dim())),
        );
        head.push(Span::styled(more(to < longest, "▶"), theme.dim()));
        let mut lines = vec![Line::from(head)];
        for r in rows
            .iter()
            .skip(self.scroll)
            .take(area.height.saturating_sub(1) as usize)
        {
            let (label, value, partial_from, len) = row(r);
            let mut spans = vec![Span::styled(
                format!("{label:<9}{value:>second_w$}"),
                theme.text(),
            )];
            for k in from..len.min(to) {
                let partial = partial_from.is_some_and(|p| k >= p);
                let (text, mut style) = cell(r, k);
                if partial {
                    style = style.add_modifier(Modifier::ITALIC);
                }
                spans.push(Span::styled(
                    format!("{text}{}", if partial { "~" } else { " " }),
                    style,
                ));
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
    first_age: usize,
    theme: &'a Theme,
}

impl Widget for RevenueCohorts<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let RevenueCohorts {
            snapshot: s,
            scroll,
            first_age,
            theme,
        } = self;
        let grid = Grid {
            head: ("revenue", "first", FIRST_W),
            scroll,
            first_age,
            theme,
        };
        grid.draw(
            area,
            buf,
            &s.revenue_cohorts.rows,
            |r| {
                let first = format::money_in(Some(r.revenue), s.currency.as_deref());
                (&r.cohort, first, r.partial_from, r.retention.len())
            },
            |r, k| match r.retention[k] {
                // 100 % sits in the middle of the scale; 200 % and more at its top.
                Some(v) if v.abs() >= 999.5 => (format!("{:>4}", ">999"), theme.heat(v / 2.0)),
                Some(v) => (format!("{v:>4.0}"), theme.heat(v / 2.0)),
                None => (format!("{NONE:>4}"), theme.dim()),
            },
        );
    }
}
