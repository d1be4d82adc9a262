//! Overlays drawn over the dashboard: help (generated from the keymap),
//! definitions, data quality, the customer view, pickers and the search box.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::Theme;
use super::format::{self, NONE};
use crate::app::keymap::Keymap;
use crate::app::state::{Mode, Picker, State};
use crate::metrics::customer::CustomerView;
use crate::metrics::definitions;

/// A centred box of at most `w`×`h`, never larger than the area.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

fn popup(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, theme: &Theme, w: u16) {
    popup_scrolled(frame, area, title, lines, theme, w, 0);
}

/// A popup whose text starts `scroll` lines down (clamped so that the last
/// line stays at the bottom); the footer says when there is more to scroll.
fn popup_scrolled(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line>,
    theme: &Theme,
    w: u16,
    scroll: usize,
) {
    // Lines as wrapped in the box: its height, and how far there is to scroll.
    let inner_w = w.min(area.width).saturating_sub(2).max(1) as usize;
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner_w))
        .sum();
    let rect = centered(area, w, (rows.min(u16::MAX as usize - 2) as u16) + 2);
    let shown = rect.height.saturating_sub(2) as usize;
    let max = rows.saturating_sub(shown);
    let offset = scroll.min(max);
    let footer = if max == 0 {
        " Esc close ".to_string()
    } else {
        format!(
            " ↑↓ PgUp PgDn scroll ({}/{}) · Esc close ",
            offset + shown.min(rows),
            rows
        )
    };
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), theme.title()))
        .title_bottom(Span::styled(footer, theme.dim()))
        .border_style(theme.border(true));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((offset.min(u16::MAX as usize) as u16, 0)),
        rect,
    );
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, keymap: &Keymap) {
    match &state.mode {
        Mode::Dashboard => {}
        Mode::Help => help(frame, area, theme, keymap, state.overlay_scroll),
        Mode::Definitions => defs(frame, area, state, theme),
        Mode::DataQuality => quality(frame, area, state, theme),
        Mode::SegmentPicker(p) | Mode::CohortPicker(p) => picker(frame, area, p, theme),
        Mode::Find(text) => {
            let mut lines = vec![Line::from(vec![
                Span::styled("customer id: ", theme.dim()),
                Span::styled(text.clone(), theme.text().add_modifier(Modifier::BOLD)),
                Span::styled("▏", theme.fg(theme.accent)),
            ])];
            // The matches so far, for the text in the box.
            if let Some((for_text, ids)) = &state.find_matches
                && for_text == text.trim()
            {
                let shown = crate::app::state::FIND_SHOWN;
                if ids.is_empty() {
                    lines.push(Line::from(Span::styled("  no id holds this", theme.dim())));
                }
                for id in ids.iter().take(shown) {
                    lines.push(Line::from(Span::styled(format!("  {id}"), theme.text())));
                }
                if ids.len() > shown {
                    lines.push(Line::from(Span::styled("  … more: type more", theme.dim())));
                }
            }
            popup(frame, area, "Find a customer", lines, theme, 50);
        }
        Mode::Customer(v) => customer(
            frame,
            area,
            v,
            (theme, v.currency.as_deref()),
            state.overlay_scroll,
        ),
        Mode::ListPicker(p) | Mode::ComparePicker(p) => picker(frame, area, p, theme),
        Mode::List(list) => customer_list(frame, area, state, list, theme),
    }
}

/// A drill-down list: one line per customer, the selected one highlighted
/// and kept in view.
fn customer_list(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    list: &crate::app::state::CustomerList,
    theme: &Theme,
) {
    let id_width = list
        .rows()
        .iter()
        .map(|r| r.customer_id.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 24);
    let row = |id: &str, first: &str, last: &str, rev: &str, life: &str, nps: &str, open: &str| {
        format!(
            " {:<id_width$}  {:<10}  {:<10}  {:>12}  {:>12}  {:>3}  {:>4} ",
            crate::ui::panes::ellipsis(id, id_width),
            first,
            last,
            rev,
            life,
            nps,
            open
        )
    };
    let currency = state.snapshot().and_then(|s| s.currency.as_deref());
    // The filter line (`/`) takes a row while it is typed or set.
    let filtering = list.typing || !list.filter.is_empty();
    let visible = area.height.saturating_sub(6 + filtering as u16).max(1) as usize;
    let offset = list.selected.saturating_sub(visible.saturating_sub(1));
    let mut lines = vec![Line::from(Span::styled(
        row(
            "customer",
            "first",
            "last order",
            "revenue",
            "lifetime",
            "NPS",
            "open",
        ),
        theme.dim(),
    ))];
    if filtering {
        let cursor = if list.typing { "▏" } else { "" };
        lines.insert(
            0,
            Line::from(vec![
                Span::styled(" / ", theme.dim()),
                Span::styled(format!("{}{cursor}", list.filter), theme.title()),
                Span::styled(
                    format!(
                        "  {} of {}{}",
                        format::count(list.shown().len() as u64),
                        format::count(list.rows().len() as u64),
                        if list.typing {
                            " (Enter keeps, Esc drops)"
                        } else {
                            " (Esc shows all)"
                        }
                    ),
                    theme.dim(),
                ),
            ]),
        );
    }
    if list.shown().len() == 0 {
        let why = if list.rows().is_empty() {
            " no customers"
        } else {
            " no id holds that text"
        };
        lines.push(Line::from(Span::styled(why, theme.dim())));
    }
    for (i, r) in list.shown().enumerate().skip(offset).take(visible) {
        let text = row(
            &r.customer_id,
            r.first_order.as_deref().unwrap_or(NONE),
            r.last_order.as_deref().unwrap_or(NONE),
            &format::money_in(Some(r.revenue), currency),
            &format::money_in(Some(r.lifetime_revenue), currency),
            &r.last_nps.map_or(NONE.to_string(), |v| format!("{v:.0}")),
            &r.open_tickets.to_string(),
        );
        let style = if i == list.selected {
            theme.selected()
        } else {
            theme.text()
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    let period = state
        .snapshot()
        .map(|s| s.period.label.clone())
        .unwrap_or_default();
    let title = format!(
        "{} in {period}: {}, {} (o orders, / finds, Enter opens, e exports, Esc closes)",
        list.set.title(),
        format::count(list.rows().len() as u64),
        list.order.label()
    );
    let width = (id_width + 66).max(title.chars().count() + 4) as u16;
    popup(frame, area, &title, lines, theme, width);
}

fn help(frame: &mut Frame, area: Rect, theme: &Theme, keymap: &Keymap, scroll: usize) {
    const KEYS: usize = 16;
    // Descriptions wrap under their own column, not under the keys.
    let room = (76.min(area.width) as usize)
        .saturating_sub(2 + KEYS + 2)
        .max(10);
    let mut lines: Vec<Line> = Vec::new();
    for (keys, what) in keymap.help() {
        for (i, part) in wrap_words(what, room).into_iter().enumerate() {
            let lead = if i == 0 {
                format!("{keys:>KEYS$}  ")
            } else {
                " ".repeat(KEYS + 2)
            };
            lines.push(Line::from(vec![
                Span::styled(lead, theme.title()),
                Span::styled(part, theme.text()),
            ]));
        }
    }
    popup_scrolled(frame, area, "Keys", lines, theme, 76, scroll);
}

/// Words of `text` in lines of at most `width` characters (a longer word
/// gets a line of its own).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

fn defs(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut lines = Vec::new();
    for key in state.focus.definition_keys() {
        if let Some((_, name, def)) = definitions::DEFINITIONS.iter().find(|(k, _, _)| k == key) {
            lines.push(Line::from(vec![
                Span::styled(format!("{name}: "), theme.title()),
                Span::styled(*def, theme.text()),
            ]));
        }
    }
    popup_scrolled(
        frame,
        area,
        &format!("Definitions: {}", state.focus.title()),
        lines,
        theme,
        100,
        state.overlay_scroll,
    );
}

fn quality(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut lines = Vec::new();
    let Some(s) = state.snapshot() else { return };
    if let Some(took) = state.load_time {
        lines.push(Line::from(Span::styled(
            format!("loaded in {took:.1?}"),
            theme.dim(),
        )));
    }
    for r in &s.data_quality {
        lines.push(Line::from(vec![
            Span::styled(r.file.clone(), theme.title()),
            Span::styled(
                format!("  {} · {} · {}", r.kind, r.format, r.preset),
                theme.dim(),
            ),
        ]));
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} rows read, ", format::count(r.rows)),
                theme.text(),
            ),
            Span::styled(
                format!("{} kept", format::count(r.kept)),
                theme.fg(theme.good),
            ),
            Span::styled(
                format!(", {} rejected", format::count(r.rejected_total())),
                if r.rejected_total() > 0 {
                    theme.fg(theme.bad)
                } else {
                    theme.dim()
                },
            ),
        ]));
        for (reason, n) in &r.rejected {
            let ex: Vec<String> = r
                .examples_by_reason
                .get(reason)
                .map(|v| v.iter().map(u64::to_string).collect())
                .unwrap_or_default();
            let word = if ex.len() == 1 { "line" } else { "lines" };
            lines.push(Line::from(Span::styled(
                format!("    {reason}: {n} ({word} {})", ex.join(", ")),
                theme.text(),
            )));
        }
        if let Some(d) = &r.date_range {
            lines.push(Line::from(Span::styled(
                format!("  dates {} .. {}", d.first, d.last),
                theme.dim(),
            )));
        }
        if !r.segments.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("  segments: {}", r.segments.join(", ")),
                theme.dim(),
            )));
        }
        let used: Vec<String> = [
            "customer_id",
            "order_date",
            "responded_at",
            "created_at",
            "amount",
            "score",
        ]
        .iter()
        .filter_map(|k| r.columns.get(*k).map(|h| format!("{k} ← {h}")))
        .collect();
        if !used.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("  columns: {}", used.join(", ")),
                theme.dim(),
            )));
        }
        if let Some(m) = &r.customer_match {
            let low = m.rows > 0 && m.matched * 2 < m.rows;
            lines.push(Line::from(Span::styled(
                format!(
                    "  {} of {} rows with a customer match an order customer",
                    format::count(m.matched),
                    format::count(m.rows)
                ),
                if low {
                    theme.fg(theme.bad)
                } else {
                    theme.dim()
                },
            )));
        }
        for w in &r.warnings {
            lines.push(Line::from(Span::styled(
                format!("  ⚠ {w}"),
                theme.fg(theme.bad),
            )));
        }
    }
    // What the period's figures could not be computed from, and why.
    let mut model = Vec::new();
    match &s.predicted {
        None => model.push("P(alive): fitting…".to_string()),
        Some(p) => {
            if let Some(note) = &p.note {
                model.push(format!("P(alive): {note}"));
            }
        }
    }
    if s.kpis.revenue_retention.nrr.is_none() {
        model.push(
            "NRR and GRR: no revenue from the previous period's customers to retain".to_string(),
        );
    }
    if !model.is_empty() {
        lines.push(Line::from(Span::styled("this period", theme.title())));
        for m in model {
            lines.push(Line::from(Span::styled(format!("  – {m}"), theme.dim())));
        }
    }
    popup_scrolled(
        frame,
        area,
        "Data quality",
        lines,
        theme,
        100,
        state.overlay_scroll,
    );
}

fn picker(frame: &mut Frame, area: Rect, p: &Picker, theme: &Theme) {
    let visible = area.height.saturating_sub(4).max(1) as usize;
    let offset = p.selected.saturating_sub(visible.saturating_sub(1));
    let lines: Vec<Line> = p
        .items
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(i, (label, _))| {
            let style = if i == p.selected {
                theme.selected()
            } else {
                theme.text()
            };
            Line::from(Span::styled(format!(" {label} "), style))
        })
        .collect();
    popup(
        frame,
        area,
        &format!("{} (Enter to apply)", p.title),
        lines,
        theme,
        50,
    );
}

fn customer(
    frame: &mut Frame,
    area: Rect,
    v: &CustomerView,
    (theme, currency): (&Theme, Option<&str>),
    scroll: usize,
) {
    let st = &v.standing;
    let standing = st.label();
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{}: ", st.period), theme.dim()),
            Span::styled(standing, theme.title()),
        ]),
        Line::from(Span::styled(
            v.segments
                .iter()
                .map(|(k, val)| format!("{k}: {}", val.as_deref().unwrap_or(NONE)))
                .collect::<Vec<_>>()
                .join("  "),
            theme.dim(),
        )),
        Line::from(vec![
            Span::styled("orders ", theme.dim()),
            Span::styled(format::count(v.orders), theme.text()),
            Span::styled(
                format!(
                    "  {} .. {}",
                    v.first_order.as_deref().unwrap_or(NONE),
                    v.last_order.as_deref().unwrap_or(NONE)
                ),
                theme.dim(),
            ),
            Span::styled("  revenue ", theme.dim()),
            Span::styled(format::money_in(Some(v.revenue), currency), theme.text()),
        ]),
        Line::from(vec![
            Span::styled("median gap ", theme.dim()),
            Span::styled(
                v.median_gap
                    .map_or(NONE.to_string(), |g| format!("{g:.0} days")),
                theme.text(),
            ),
            Span::styled("  overdue ", theme.dim()),
            Span::styled(
                v.overdue.map_or(NONE.to_string(), |o| format!("{o:.1}×")),
                theme.text(),
            ),
            Span::styled("  P(alive) ", theme.dim()),
            Span::styled(
                v.p_alive
                    .map_or(NONE.to_string(), |p| format!("{:.0}%", p * 100.0)),
                theme.text(),
            ),
            Span::styled("  expected purchases next period ", theme.dim()),
            Span::styled(
                v.expected_purchases
                    .map_or(NONE.to_string(), |e| format!("{e:.2}")),
                theme.text(),
            ),
        ]),
    ];
    if let Some(rs) = &v.responses {
        lines.push(Line::from(Span::styled(
            format!("surveys ({})", rs.len()),
            theme.title(),
        )));
        for r in rs.iter().rev().take(6) {
            lines.push(Line::from(Span::styled(
                format!(
                    "  {} {} {} {}",
                    r.date,
                    r.survey,
                    r.score,
                    r.comment.as_deref().unwrap_or("")
                ),
                theme.text(),
            )));
        }
    }
    if let Some(ts) = &v.tickets {
        lines.push(Line::from(Span::styled(
            format!("tickets ({})", ts.len()),
            theme.title(),
        )));
        for t in ts.iter().rev().take(6) {
            lines.push(Line::from(Span::styled(
                format!(
                    "  {} {} {} reply {} resolved {}{}",
                    t.ticket_id,
                    t.created,
                    t.category.as_deref().unwrap_or(NONE),
                    t.first_response_hours
                        .map_or(NONE.to_string(), |h| format!("{h:.1}h")),
                    t.resolution_hours
                        .map_or(NONE.to_string(), |h| format!("{h:.1}h")),
                    if t.open_at_period_end { " (open)" } else { "" }
                ),
                theme.text(),
            )));
        }
    }
    popup_scrolled(
        frame,
        area,
        &format!("Customer {}", v.customer_id),
        lines,
        theme,
        96,
        scroll,
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_wrap_within_their_width() {
        assert_eq!(
            super::wrap_words("a bb ccc dddd", 6),
            ["a bb", "ccc", "dddd"]
        );
        assert_eq!(super::wrap_words("", 6), [""]);
        assert_eq!(super::wrap_words("abcdefgh ij", 4), ["abcdefgh", "ij"]);
    }
}
