//! The dashboard's panes, each drawn from the snapshot and trend as they are.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Gauge, Paragraph, Row, Sparkline, Table};

use super::Theme;
use super::format::{self, NONE};
use crate::app::state::{Pane, State, View};
use crate::metrics::alerts::Severity;
use crate::metrics::goals::{GapTrend, GoalKpi, GoalState, GoalStatus};
use crate::metrics::{Kpis, Snapshot};

fn block<'a>(title: &'a str, focused: bool, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .title(Span::styled(
            format!(" {title} "),
            if focused { theme.title() } else { theme.text() },
        ))
        .border_style(theme.border(focused))
}

pub fn header(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let q = &state.query;
    if state.view.is_none() && state.data_range.is_none() {
        // Nothing loaded yet: no period to show.
        let step = state.loading.as_deref().unwrap_or("starting");
        let line = Line::from(vec![
            Span::styled(" holdfast ", theme.title().add_modifier(Modifier::REVERSED)),
            Span::styled(format!("  loading: {step}"), theme.dim()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
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
    if let Some((a, b)) = &state.data_range {
        first.push(Span::styled(format!("  data {a} .. {b}"), theme.dim()));
    }
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
    frame.render_widget(Paragraph::new(vec![Line::from(first), second]), area);
}

struct Tile<'a> {
    name: &'static str,
    value: Option<f64>,
    /// (low, high) of the gauge.
    range: (f64, f64),
    up_is_good: bool,
    previous: Option<f64>,
    year_ago: Option<f64>,
    note: Option<&'static str>,
    /// The view's goal on this KPI (without a segment), if one is set.
    goal: Option<&'a GoalStatus>,
}

/// Tiles of a period to date name the days the previous period is compared on.
fn tile(frame: &mut Frame, area: Rect, t: &Tile, compared: Option<&str>, dim: bool, theme: &Theme) {
    let b = block(t.name, false, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let [top, bottom] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
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
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(value)
            .gauge_style(style)
            .use_unicode(true),
        top,
    );
    if let Some(g) = t.goal {
        let at = ((g.target - t.range.0) / (t.range.1 - t.range.0)).clamp(0.0, 1.0);
        let x = top.x + (at * f64::from(top.width.saturating_sub(1))).round() as u16;
        if let Some(cell) = frame.buffer_mut().cell_mut((x, top.y)) {
            cell.set_symbol("┃").set_style(theme.fg(theme.text));
        }
    }
    let (mut dp, vp) = format::points(t.value, t.previous);
    let (mut dy, vy) = format::points(t.value, t.year_ago);
    if t.range.0 < 0.0 {
        // NPS moves in points, not percentage points.
        dp = dp.replace("pp", "pts");
        dy = dy.replace("pp", "pts");
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
    // Narrow tiles drop the words and keep both changes (previous first, then a year ago).
    let wide = bottom.width as usize >= dp.chars().count() + dy.chars().count() + 9 + goal_len;
    // "vs Sep 1–19" instead of "prev" when there is room.
    let prev_word = match compared {
        Some(c)
            if bottom.width as usize
                >= dp.chars().count() + dy.chars().count() + c.chars().count() + 8 + goal_len =>
        {
            format!("{c} ")
        }
        _ if wide => "prev ".to_string(),
        _ => String::new(),
    };
    let mut spans = vec![
        Span::styled(format!("{dp} "), theme.change(vp, t.up_is_good)),
        Span::styled(prev_word, theme.dim()),
        Span::styled(format!("{dy} "), theme.change(vy, t.up_is_good)),
        Span::styled(if wide { "yr" } else { "" }, theme.dim()),
    ];
    if let Some(n) = t.note {
        spans.push(Span::styled(format!(" {n}"), theme.fg(theme.warn)));
    }
    if let Some((g, style)) = goal {
        spans.push(Span::styled(g, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), bottom);
}

pub fn tiles(frame: &mut Frame, area: Rect, s: &Snapshot, state: &State, theme: &Theme) {
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
    let tiles = [
        Tile {
            name: "Retention",
            value: r,
            range: (0.0, 100.0),
            up_is_good: true,
            previous: rp,
            year_ago: ry,
            note: None,
            goal: goal(GoalKpi::RetainedRate).or_else(|| goal(GoalKpi::RetentionRate)),
        },
        Tile {
            name: "Churn",
            value: c,
            range: (0.0, 100.0),
            up_is_good: false,
            previous: cp,
            year_ago: cy,
            note: None,
            goal: goal(GoalKpi::ChurnRate),
        },
        Tile {
            name: "NPS",
            value: n,
            range: (-100.0, 100.0),
            up_is_good: true,
            previous: np,
            year_ago: ny,
            note: significant.then_some("significant"),
            goal: goal(GoalKpi::Nps),
        },
        Tile {
            name: "CSAT (surveys)",
            value: x,
            range: (0.0, 100.0),
            up_is_good: true,
            previous: xp,
            year_ago: xy,
            note: None,
            goal: goal(GoalKpi::Csat),
        },
    ];
    let cols = Layout::horizontal([Constraint::Ratio(1, 4); 4]).split(area);
    for (t, rect) in tiles.iter().zip(cols.iter()) {
        tile(frame, *rect, t, compared.as_deref(), state.stale(), theme);
    }
}

pub fn pane(frame: &mut Frame, area: Rect, pane: Pane, state: &State, theme: &Theme) {
    let Some(view) = state.view.as_deref() else {
        return;
    };
    let focused = state.focus == pane;
    let b = block(pane.title(), focused, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let s = &view.snapshot;
    let text = if state.stale() {
        theme.dim()
    } else {
        theme.text()
    };
    match pane {
        Pane::Trends => trends(frame, inner, view, theme, text),
        Pane::Customers => customers(frame, inner, s, theme, text),
        Pane::Nps => nps(frame, inner, s, state.scroll_of(pane), theme, text),
        Pane::Tickets => tickets(frame, inner, s, state.scroll_of(pane), theme, text),
        Pane::Cohorts => cohorts(frame, inner, s, state.scroll_of(pane), theme),
        Pane::Risk => risk(frame, inner, s, state.scroll_of(pane), focused, theme, text),
        Pane::Goals => goals(
            frame,
            inner,
            view,
            state.scroll_of(pane),
            focused,
            theme,
            text,
        ),
        Pane::Alerts => alerts(
            frame,
            inner,
            view,
            state.scroll_of(pane),
            focused,
            theme,
            text,
        ),
    }
}

/// The mark and colour of a goal's status (the mark stands alone without colour).
pub fn goal_style(status: GoalState, theme: &Theme) -> (&'static str, Style) {
    match status {
        GoalState::OnTrack => ("✓", theme.fg(theme.good)),
        GoalState::AtRisk => ("!", theme.fg(theme.warn)),
        GoalState::OffTrack => ("✗", theme.fg(theme.bad)),
        GoalState::NoData => ("·", theme.dim()),
    }
}

/// Values as a row of block characters (gaps over the last periods).
fn blocks(values: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    let (lo, hi) = known
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(v) if hi > lo => BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize],
            Some(_) => BARS[3],
        })
        .collect()
}

/// Rows shown from `selected` so that it stays visible.
fn window(selected: usize, visible: usize) -> usize {
    selected.saturating_sub(visible.saturating_sub(1))
}

fn goals(
    frame: &mut Frame,
    area: Rect,
    view: &View,
    selected: usize,
    focused: bool,
    theme: &Theme,
    text: Style,
) {
    if view.goals.is_empty() {
        frame.render_widget(
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
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(11),
        Constraint::Length(9),
    ];
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

fn alerts(
    frame: &mut Frame,
    area: Rect,
    view: &View,
    selected: usize,
    focused: bool,
    theme: &Theme,
    text: Style,
) {
    if view.alerts.is_empty() {
        frame.render_widget(
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
    frame.render_widget(Paragraph::new(lines), area);
}

fn scaled(values: &[Option<f64>]) -> Vec<Option<u64>> {
    let lo = values
        .iter()
        .flatten()
        .copied()
        .fold(f64::INFINITY, f64::min);
    values
        .iter()
        .map(|v| v.map(|x| ((x - lo.min(0.0)) * 100.0).round().max(0.0) as u64))
        .collect()
}

fn trends(
    frame: &mut Frame,
    area: Rect,
    view: &crate::app::state::View,
    theme: &Theme,
    text: Style,
) {
    let t = &view.trend;
    let last = |v: &[Option<f64>]| v.last().copied().flatten();
    let rows: [(&str, String, Vec<Option<u64>>); 6] = [
        (
            "Retention",
            format::pct(last(&t.retention)),
            scaled(&t.retention),
        ),
        ("Churn", format::pct(last(&t.churn)), scaled(&t.churn)),
        (
            "Revenue",
            format::money(t.revenue.last().copied()),
            scaled(&t.revenue.iter().map(|x| Some(*x)).collect::<Vec<_>>()),
        ),
        (
            "Buyers",
            t.buyers.last().map_or(NONE.into(), |b| format::count(*b)),
            t.buyers.iter().map(|b| Some(*b)).collect(),
        ),
        ("NPS", format::num(last(&t.nps), 1), scaled(&t.nps)),
        (
            "Tickets",
            t.tickets.last().map_or(NONE.into(), |b| format::count(*b)),
            t.tickets.iter().map(|b| Some(*b)).collect(),
        ),
    ];
    let heights = vec![Constraint::Length(1); rows.len()];
    let lines = Layout::vertical(heights).split(area);
    for ((name, value, data), line) in rows.iter().zip(lines.iter()) {
        let [label, spark] =
            Layout::horizontal([Constraint::Length(22), Constraint::Min(0)]).areas(*line);
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!("{name:<10}"), theme.dim()),
                Span::styled(format!("{value:>11}"), text),
            ])),
            label,
        );
        let width = spark.width as usize;
        let shown: Vec<Option<u64>> = data.iter().rev().take(width).rev().copied().collect();
        frame.render_widget(
            Sparkline::default()
                .data(shown)
                .style(theme.fg(theme.accent)),
            spark,
        );
    }
    if area.height as usize > rows.len() + 1 {
        let from = t.labels.first().cloned().unwrap_or_default();
        let to = t.labels.last().cloned().unwrap_or_default();
        let y = area.y + rows.len() as u16;
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("last {} periods: {from} .. {to}", t.labels.len()),
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

/// One KPI line for the customers pane and compare mode.
pub struct KpiRow {
    pub name: &'static str,
    pub now: String,
    pub then: String,
    pub change: String,
    pub delta: Option<f64>,
    pub up_is_good: bool,
}

impl KpiRow {
    fn new(
        name: &'static str,
        now: String,
        then: String,
        (change, delta): (String, Option<f64>),
        up_is_good: bool,
    ) -> Self {
        KpiRow {
            name,
            now,
            then,
            change,
            delta,
            up_is_good,
        }
    }
}

/// The KPI lines of the snapshot against the previous period.
type Count = fn(&Kpis) -> u64;
type Value = fn(&Kpis) -> Option<f64>;

pub fn kpi_rows(s: &Snapshot) -> Vec<KpiRow> {
    let prev = s.previous.as_ref().map(|p| &p.kpis);
    let k = &s.kpis;
    let mut rows = Vec::new();
    let counts: [(&str, Count, bool); 8] = [
        ("Customers at start", |k| k.customers.start, true),
        ("Customers at end", |k| k.customers.end, true),
        ("New", |k| k.customers.new, true),
        ("Retained", |k| k.customers.retained, true),
        ("Won back", |k| k.customers.won_back, true),
        ("Lost", |k| k.customers.lost, false),
        ("Orders", |k| k.orders, true),
        ("Buyers", |k| k.buyers, true),
    ];
    for (name, f, up) in counts {
        let then = prev.map(f);
        rows.push(KpiRow::new(
            name,
            format::count(f(k)),
            then.map_or(NONE.into(), format::count),
            format::relative(Some(f(k) as f64), then.map(|x| x as f64)),
            up,
        ));
    }
    let money: [(&str, Value); 5] = [
        ("Revenue", |k| Some(k.revenue)),
        ("Avg purchase value", |k| k.apv),
        ("Revenue per buyer", |k| k.arpc),
        ("MRR", |k| k.mrr),
        ("Lifetime value", |k| k.clv),
    ];
    for (name, f) in money {
        let then = prev.and_then(f);
        rows.push(KpiRow::new(
            name,
            format::money(f(k)),
            format::money(then),
            format::relative(f(k), then),
            true,
        ));
    }
    let ratios: [(&str, Value, bool); 2] = [
        ("Purchase frequency", |k| k.apf, true),
        ("Lost per new", |k| k.lost_per_new, false),
    ];
    for (name, f, up) in ratios {
        let then = prev.and_then(f);
        rows.push(KpiRow::new(
            name,
            format::num(f(k), 2),
            format::num(then, 2),
            format::relative(f(k), then),
            up,
        ));
    }
    let shares: [(&str, Value, bool); 4] = [
        ("Retention (retained)", |k| k.retained_rate, true),
        ("CRR", |k| k.retention_rate, true),
        ("Churn rate", |k| k.churn_rate, false),
        ("Repeat purchase rate", |k| k.repeat_purchase_rate, true),
    ];
    for (name, f, up) in shares {
        let then = prev.and_then(f);
        rows.push(KpiRow::new(
            name,
            format::pct(f(k)),
            format::pct(then),
            format::points(f(k), then),
            up,
        ));
    }
    if k.nps.is_some() {
        let scores: [(&str, Value, bool); 3] = [
            ("NPS", |k| k.nps.as_ref().and_then(|n| n.score), false),
            ("CSAT", |k| k.csat.as_ref().and_then(|n| n.score), true),
            ("CES", |k| k.ces.as_ref().and_then(|n| n.mean), false),
        ];
        for (name, f, percent) in scores {
            let show = |x: Option<f64>| {
                if percent {
                    format::pct(x)
                } else {
                    format::num(x, 1)
                }
            };
            let then = prev.and_then(f);
            let (mut change, delta) = format::points(f(k), then);
            if !percent {
                // NPS and CES move in points of their scale.
                change = change.replace("pp", "pts");
            }
            rows.push(KpiRow::new(
                name,
                show(f(k)),
                show(then),
                (change, delta),
                true,
            ));
        }
    }
    if let Some(t) = &k.tickets {
        let then = prev.and_then(|p| p.tickets.as_ref()).map(|p| p.count);
        rows.push(KpiRow::new(
            "Tickets",
            format::count(t.count),
            then.map_or(NONE.into(), format::count),
            format::relative(Some(t.count as f64), then.map(|x| x as f64)),
            false,
        ));
    }
    rows
}

/// Short labels for the narrow customers pane.
fn short(name: &str) -> &str {
    match name {
        "Customers at start" => "At start",
        "Customers at end" => "At end",
        "Avg purchase value" => "Avg order",
        "Revenue per buyer" => "Per buyer",
        "Lifetime value" => "LTV",
        "Purchase frequency" => "Frequency",
        "Repeat purchase rate" => "Repeat rate",
        "Lost per new" => "Lost/new",
        other => other,
    }
}

fn customers(frame: &mut Frame, area: Rect, s: &Snapshot, theme: &Theme, text: Style) {
    let rows = kpi_rows(s);
    // In the tiles, or orders / buyers shown here: room for CRR beside the counts.
    let skip = [
        "Retention (retained)",
        "Purchase frequency",
        "Churn rate",
        "NPS",
        "CSAT",
        "CES",
        "Tickets",
    ];
    let table_rows: Vec<Row> = rows
        .iter()
        .filter(|r| !skip.contains(&r.name))
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
            frame.render_widget(Table::new(first, widths), left);
            frame.render_widget(Table::new(it.collect::<Vec<_>>(), widths), r);
        }
        None => frame.render_widget(Table::new(table_rows, widths), left),
    }
}

fn share_bar(width: usize, parts: &[(u64, Style)], theme: &Theme) -> Line<'static> {
    let total: u64 = parts.iter().map(|p| p.0).sum();
    if total == 0 || width == 0 {
        return Line::from(Span::styled("no responses", theme.dim()));
    }
    let mut spans = Vec::new();
    let mut used = 0;
    for (i, (n, style)) in parts.iter().enumerate() {
        let w = if i == parts.len() - 1 {
            width - used
        } else {
            (*n as usize * width) / total as usize
        };
        used += w;
        let symbol = if theme.color {
            "█"
        } else {
            ["█", "▒", "░"][i % 3]
        };
        spans.push(Span::styled(symbol.repeat(w), *style));
    }
    Line::from(spans)
}

fn nps(frame: &mut Frame, area: Rect, s: &Snapshot, scroll: usize, theme: &Theme, text: Style) {
    let Some(n) = &s.kpis.nps else {
        frame.render_widget(
            Paragraph::new(Span::styled("no feedback source loaded", theme.dim())),
            area,
        );
        return;
    };
    let share = |x: u64| {
        if n.responses == 0 {
            NONE.to_string()
        } else {
            format!("{:.0}%", x as f64 * 100.0 / n.responses as f64)
        }
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled("NPS ", theme.dim()),
            Span::styled(format::num(n.score, 1), text.add_modifier(Modifier::BOLD)),
            Span::styled(format!(" ± {} ", format::num(n.margin, 1)), theme.dim()),
            Span::styled(format!("({} responses)", n.responses), theme.dim()),
            Span::styled(
                if n.change_significant {
                    "  significant change"
                } else {
                    ""
                },
                theme.fg(theme.warn),
            ),
        ]),
        share_bar(
            area.width as usize,
            &[
                (n.promoters, theme.fg(theme.good)),
                (n.passives, theme.fg(theme.warn)),
                (n.detractors, theme.fg(theme.bad)),
            ],
            theme,
        ),
        Line::from(vec![
            Span::styled(
                format!("promoters {} ({}) ", n.promoters, share(n.promoters)),
                theme.fg(theme.good),
            ),
            Span::styled(
                format!("passives {} ({}) ", n.passives, share(n.passives)),
                theme.fg(theme.warn),
            ),
            Span::styled(
                format!("detractors {} ({})", n.detractors, share(n.detractors)),
                theme.fg(theme.bad),
            ),
        ]),
    ];
    let csat = s.kpis.csat.as_ref();
    let ces = s.kpis.ces.as_ref();
    lines.push(Line::from(vec![
        Span::styled("CSAT ", theme.dim()),
        Span::styled(format::pct(csat.and_then(|c| c.score)), text),
        Span::styled(
            format!(
                " mean {} ({})   ",
                format::num(csat.and_then(|c| c.mean), 2),
                csat.map_or(0, |c| c.responses)
            ),
            theme.dim(),
        ),
        Span::styled("CES ", theme.dim()),
        Span::styled(format::num(ces.and_then(|c| c.mean), 2), text),
        Span::styled(
            format!(
                " easy {} ({})",
                format::pct(ces.and_then(|c| c.easy_share)),
                ces.map_or(0, |c| c.responses)
            ),
            theme.dim(),
        ),
    ]));
    if let Some(l) = &s.kpis.loyalty_retention {
        lines.push(Line::from(vec![
            Span::styled("retention by last NPS: ", theme.dim()),
            Span::styled(
                format!("promoters {} ", format::pct(l.promoter)),
                theme.fg(theme.good),
            ),
            Span::styled(
                format!("passives {} ", format::pct(l.passive)),
                theme.fg(theme.warn),
            ),
            Span::styled(
                format!("detractors {} ", format::pct(l.detractor)),
                theme.fg(theme.bad),
            ),
            Span::styled(format!("none {}", format::pct(l.none)), theme.dim()),
        ]));
    }
    if !n.detractor_themes.is_empty() {
        lines.push(Line::from(Span::styled(
            "detractor themes (count, in promoters):",
            theme.dim(),
        )));
        for t in n.detractor_themes.iter().skip(scroll) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<16}", t.word), text),
                Span::styled(format!("{:>4}", t.count), theme.fg(theme.bad)),
                Span::styled(format!("{:>5}", t.promoter_count), theme.fg(theme.good)),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn tickets(frame: &mut Frame, area: Rect, s: &Snapshot, scroll: usize, theme: &Theme, text: Style) {
    let Some(t) = &s.kpis.tickets else {
        frame.render_widget(
            Paragraph::new(Span::styled("no tickets source loaded", theme.dim())),
            area,
        );
        return;
    };
    let prev = s.previous.as_ref().and_then(|p| p.kpis.tickets.as_ref());
    let (d, v) = format::relative(Some(t.count as f64), prev.map(|p| p.count as f64));
    let hours = |x: Option<f64>| x.map_or(NONE.to_string(), |h| format!("{h:.1}h"));
    let mut lines = vec![
        Line::from(vec![
            Span::styled("tickets ", theme.dim()),
            Span::styled(format::count(t.count), text.add_modifier(Modifier::BOLD)),
            Span::styled(format!(" {d}"), theme.change(v, false)),
            Span::styled("   backlog ", theme.dim()),
            Span::styled(format::count(t.backlog), text),
            Span::styled("   ticket CSAT ", theme.dim()),
            Span::styled(format::pct(t.csat), text),
        ]),
        Line::from(vec![
            Span::styled("first response  median ", theme.dim()),
            Span::styled(hours(t.first_response_hours.median), text),
            Span::styled("  p90 ", theme.dim()),
            Span::styled(hours(t.first_response_hours.p90), text),
        ]),
        Line::from(vec![
            Span::styled("resolution      median ", theme.dim()),
            Span::styled(hours(t.resolution_hours.median), text),
            Span::styled("  p90 ", theme.dim()),
            Span::styled(hours(t.resolution_hours.p90), text),
        ]),
        Line::from(Span::styled("top categories (now, previous):", theme.dim())),
    ];
    for c in t.top_categories.iter().skip(scroll) {
        let (d, v) = format::relative(Some(c.count as f64), Some(c.previous as f64));
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<18}", c.category), text),
            Span::styled(format!("{:>6}", c.count), text),
            Span::styled(format!("{:>6} ", c.previous), theme.dim()),
            Span::styled(d, theme.change(v, false)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn cohorts(frame: &mut Frame, area: Rect, s: &Snapshot, scroll: usize, theme: &Theme) {
    let rows = &s.cohorts.rows;
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no cohorts", theme.dim())),
            area,
        );
        return;
    }
    let label_w = 9u16;
    let cell_w = 5u16;
    let ages = ((area.width.saturating_sub(label_w + 6)) / cell_w) as usize;
    let mut lines = vec![Line::from(
        std::iter::once(Span::styled(
            format!("{:<9}{:>6}", "cohort", "size"),
            theme.dim(),
        ))
        .chain((0..ages).map(|k| Span::styled(format!("{:>5}", format!("+{k}")), theme.dim())))
        .collect::<Vec<_>>(),
    )];
    for r in rows
        .iter()
        .skip(scroll)
        .take(area.height.saturating_sub(1) as usize)
    {
        let mut spans = vec![Span::styled(
            format!("{:<9}{:>6}", r.cohort, format::count(r.size)),
            theme.text(),
        )];
        for (k, v) in r.retention.iter().enumerate().take(ages) {
            let partial = r.partial_from.is_some_and(|p| k >= p);
            let mark = if partial { "~" } else { " " };
            let mut style = theme.heat(*v);
            if partial {
                style = style.add_modifier(Modifier::ITALIC);
            }
            spans.push(Span::styled(format!("{:>4.0}{mark}", v), style));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn risk(
    frame: &mut Frame,
    area: Rect,
    s: &Snapshot,
    selected: usize,
    focused: bool,
    theme: &Theme,
    text: Style,
) {
    if s.churn_risk.is_empty() {
        frame.render_widget(
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
    let header = Row::new(["customer", "overdue", "at stake", "NPS", "open"]).style(theme.dim());
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
    frame.render_widget(Table::new(rows, widths).header(header), area);
}

/// Compare mode: this period and the previous side by side.
pub fn compare(frame: &mut Frame, area: Rect, s: &Snapshot, theme: &Theme) {
    let prev_label = s
        .previous
        .as_ref()
        .map_or("previous".to_string(), |p| p.period.label.clone());
    let b = block("Compare", true, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let header = Row::new(vec![
        Cell::from("KPI"),
        Cell::from(Line::from(s.period.label.clone()).right_aligned()),
        Cell::from(Line::from(prev_label).right_aligned()),
        Cell::from(Line::from("change").right_aligned()),
    ])
    .style(theme.dim());
    let rows: Vec<Row> = kpi_rows(s)
        .into_iter()
        .map(|r| {
            Row::new(vec![
                Cell::from(Span::styled(r.name, theme.dim())),
                Cell::from(Line::from(r.now).right_aligned()),
                Cell::from(Line::from(r.then).right_aligned()),
                Cell::from(
                    Line::from(Span::styled(r.change, theme.change(r.delta, r.up_is_good)))
                        .right_aligned(),
                ),
            ])
        })
        .collect();
    let widths = [
        Constraint::Min(20),
        Constraint::Length(14),
        Constraint::Length(14),
        Constraint::Length(12),
    ];
    frame.render_widget(Table::new(rows, widths).header(header), inner);
}
