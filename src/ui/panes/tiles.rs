//! The KPI tiles under the header.

use super::*;
use crate::metrics::kpi::Unit;

/// Rates from fewer observations than this carry their count (`n=9`).
pub const SMALL_SAMPLE: u64 = 30;

pub(super) struct Tile<'a> {
    name: &'static str,
    value: Option<f64>,
    /// How the value and its changes read: a share (points), NPS (points
    /// of its scale) or money (the amount, relative changes, no gauge).
    unit: Unit,
    /// How many observations the rate is from (S, responses).
    n: Option<u64>,
    /// The currency of a money tile's amount, when known.
    currency: Option<&'a str>,
    /// A second figure beside the value (the revenue tile's NRR).
    aside: Option<String>,
    /// (low, high) of the gauge.
    range: (f64, f64),
    up_is_good: bool,
    previous: Option<f64>,
    year_ago: Option<f64>,
    note: Option<&'static str>,
    /// The view's goal on this KPI (without a segment), if one is set.
    goal: Option<&'a GoalStatus>,
}

/// One tile: label, value, delta, gauge.
struct TileView<'a> {
    tile: &'a Tile<'a>,
    compared: Option<&'a str>,
    dim: bool,
    theme: &'a Theme,
}

impl Widget for TileView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let TileView {
            tile: t,
            compared,
            dim,
            theme,
        } = self;
        let b = block(t.name, false, theme);
        let inner = b.inner(area);
        buf.put(b, area);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let [top, bottom] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        if t.unit == Unit::Money {
            let text = if dim {
                theme.dim()
            } else {
                theme.fg(theme.text)
            };
            let amount = format::money_in(t.value, t.currency);
            let mut spans = vec![Span::styled(amount, text.bold())];
            if let Some(a) = &t.aside {
                spans.push(Span::styled(format!("  {a}"), theme.dim()));
            }
            buf.put(Paragraph::new(Line::from(spans)), top);
            let spans = changes(t, compared, bottom.width as usize, 0, theme);
            buf.put(Paragraph::new(Line::from(spans)), bottom);
            return;
        }
        let value = match t.value {
            Some(v) if t.range.0 < 0.0 => format!("{v:+.1}"),
            v => format::pct(v),
        };
        let ratio = t.value.map_or(0.0, |v| {
            ((v - t.range.0) / (t.range.1 - t.range.0)).clamp(0.0, 1.0)
        });
        // With a goal, the gauge takes the status colour and the target is marked on it.
        let style = match (dim, t.goal) {
            (true, _) => theme.dim(),
            (false, Some(g)) => goal_style(g.status, theme).1,
            (false, None) => theme.fg(theme.accent),
        };
        buf.put(
            Gauge::default()
                .ratio(ratio)
                .label(value)
                // The value over the filled part is drawn in the background
                // colour on the bar's: a theme that paints its background
                // (light) keeps it readable.
                .gauge_style(style.bg(theme.background))
                .use_unicode(true),
            top,
        );
        if let Some(g) = t.goal {
            let at = ((g.target - t.range.0) / (t.range.1 - t.range.0)).clamp(0.0, 1.0);
            let x = top.x + (at * f64::from(top.width.saturating_sub(1))).round() as u16;
            if let Some(cell) = buf.cell_mut((x, top.y)) {
                cell.set_symbol("┃").set_style(theme.fg(theme.text));
            }
        }
        // The goal, compact: its mark and target.
        let goal = t.goal.map(|g| {
            let (mark, style) = goal_style(g.status, theme);
            (
                format!(" {mark}{}", crate::report::goal_target(g).replace(' ', "")),
                style,
            )
        });
        let goal_len = goal.as_ref().map_or(0, |(g, _)| g.chars().count());
        let mut spans = changes(t, compared, bottom.width as usize, goal_len, theme);
        if let Some(n) = t.note {
            spans.push(Span::styled(format!(" {n}"), theme.fg(theme.warn)));
        }
        // A rate from few observations says how few.
        if let Some(n) = t.n.filter(|&n| n < SMALL_SAMPLE && t.value.is_some()) {
            spans.push(Span::styled(format!(" n={n}"), theme.fg(theme.warn)));
        }
        if let Some((g, style)) = goal {
            spans.push(Span::styled(g, style));
        }
        buf.put(Paragraph::new(Line::from(spans)), bottom);
    }
}

/// The changes against the previous period and a year ago, in the tile's
/// unit; narrow tiles drop the words and keep both changes (previous first),
/// wide ones name the days compared ("vs Sep 1–19") instead of "prev".
/// `reserve` is the room kept for what follows (the goal).
fn changes<'a>(
    t: &Tile,
    compared: Option<&str>,
    width: usize,
    reserve: usize,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let (dp, vp) = format::change(t.unit, t.value, t.previous);
    let (dy, vy) = format::change(t.unit, t.value, t.year_ago);
    let room = width.saturating_sub(dp.chars().count() + dy.chars().count() + reserve);
    let wide = room >= 9;
    let prev_word = match compared {
        Some(c) if room >= c.chars().count() + 8 => format!("{c} "),
        _ if wide => "prev ".to_string(),
        _ => String::new(),
    };
    vec![
        Span::styled(format!("{dp} "), theme.change(vp, t.up_is_good)),
        Span::styled(prev_word, theme.dim()),
        Span::styled(format!("{dy} "), theme.change(vy, t.up_is_good)),
        Span::styled(if wide { "yr" } else { "" }, theme.dim()),
    ]
}

/// The row of KPI tiles.
pub struct Tiles<'a> {
    pub snapshot: &'a Snapshot,
    pub state: &'a State,
    pub theme: &'a Theme,
}

impl Widget for Tiles<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Tiles {
            snapshot: s,
            state,
            theme,
        } = self;
        let compared = s.previous.as_ref().and_then(|p| {
            p.period
                .to_date
                .as_deref()
                .map(|d| format!("vs {}", format::day_range(&p.period.start, d)))
        });
        let prev = s.previous.as_ref().map(|p| &p.kpis);
        let ago = s.year_ago.as_ref().map(|p| &p.kpis);
        let get = |f: fn(&Kpis) -> Option<f64>| (f(&s.kpis), prev.and_then(f), ago.and_then(f));
        let nps = |k: &Kpis| k.nps.as_ref().and_then(|n| n.score);
        let csat = |k: &Kpis| k.csat.as_ref().and_then(|c| c.score);
        let (r, rp, ry) = get(|k| k.retained_rate);
        let (c, cp, cy) = get(|k| k.churn_rate);
        let (n, np, ny) = get(nps);
        let (x, xp, xy) = get(csat);
        let significant = s.kpis.nps.as_ref().is_some_and(|n| n.change_significant);
        let goal = |k: GoalKpi| {
            state.view.as_deref().and_then(|v| {
                v.goals
                    .iter()
                    .find(|g| g.goal.kpi == k && g.segment.is_none())
            })
        };
        let rate = |name, value, up_is_good, (previous, year_ago), n, goal| Tile {
            name,
            value,
            unit: Unit::Percent,
            n,
            currency: None,
            aside: None,
            range: (0.0, 100.0),
            up_is_good,
            previous,
            year_ago,
            note: None,
            goal,
        };
        let k = &s.kpis;
        let start = Some(k.customers.start);
        let (v, vp, vy) = get(|k| Some(k.revenue));
        let nrr = k.revenue_retention.nrr;
        let revenue = Tile {
            name: "Revenue",
            value: v,
            unit: Unit::Money,
            n: None,
            currency: s.currency.as_deref(),
            aside: nrr.map(|x| format!("NRR {x:.0}%")),
            range: (0.0, 1.0),
            up_is_good: true,
            previous: vp,
            year_ago: vy,
            note: None,
            goal: None,
        };
        let mut nps_tile = rate(
            "NPS",
            n,
            true,
            (np, ny),
            k.nps.as_ref().map(|x| x.responses),
            goal(GoalKpi::Nps),
        );
        nps_tile.range = (-100.0, 100.0);
        nps_tile.unit = Unit::Score;
        nps_tile.note = significant.then_some("significant");
        let mut tiles = vec![
            rate(
                "Retention",
                r,
                true,
                (rp, ry),
                start,
                goal(GoalKpi::RetainedRate).or_else(|| goal(GoalKpi::RetentionRate)),
            ),
            rate("Churn", c, false, (cp, cy), start, goal(GoalKpi::ChurnRate)),
            nps_tile,
            rate(
                "CSAT (surveys)",
                x,
                true,
                (xp, xy),
                k.csat.as_ref().map(|x| x.responses),
                goal(GoalKpi::Csat),
            ),
            revenue,
        ];
        // Under 100 columns four tiles fit: CSAT stays in the NPS pane.
        if area.width < 100 {
            tiles.remove(3);
        }
        let cols = Layout::horizontal(vec![Constraint::Ratio(1, tiles.len() as u32); tiles.len()])
            .split(area);
        for (t, rect) in tiles.iter().zip(cols.iter()) {
            buf.put(
                TileView {
                    tile: t,
                    compared: compared.as_deref(),
                    dim: state.stale(),
                    theme,
                },
                *rect,
            );
        }
    }
}
