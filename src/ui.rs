//! `render(frame, &State, &Theme)`: a pure function of borrowed state. No
//! computation happens here beyond laying out what the engine returned.

pub mod format;
pub mod overlays;
pub mod panes;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::keymap::Keymap;
use crate::app::state::{Mode, Pane, State};
pub use theme::Theme;

/// Below this size the dashboard shows a short notice instead.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// Where each pane was drawn, for mouse clicks.
pub fn pane_areas(area: Rect, state: &State) -> Vec<(Pane, Rect)> {
    let Some(body) = body_area(area) else {
        return Vec::new();
    };
    if state.compare.is_some() {
        return Vec::new();
    }
    if body.width >= 100 && body.height >= 24 {
        // Rows of two panes (three from 180 columns); the cohort table has a
        // row to itself (its ages use the width). As many rows as fit, nine
        // lines each at least, from the top, or down to the row of the
        // focused pane.
        const TWO: [&[Pane]; 6] = [
            &[Pane::Trends, Pane::Customers],
            &[Pane::Revenue, Pane::Risk],
            &[Pane::Nps, Pane::Tickets],
            &[Pane::Cohorts],
            &[Pane::Goals, Pane::Alerts],
            &[Pane::Followups],
        ];
        const THREE: [&[Pane]; 4] = [
            &[Pane::Trends, Pane::Customers, Pane::Revenue],
            &[Pane::Nps, Pane::Tickets, Pane::Risk],
            &[Pane::Cohorts],
            &[Pane::Goals, Pane::Alerts, Pane::Followups],
        ];
        let (layout, per_row): (&[&[Pane]], usize) = if body.width >= WIDE {
            (&THREE, 3)
        } else {
            (&TWO, 2)
        };
        // An empty Goals pane (no goals in the config) gives its place to
        // the panes after it, unless it has the focus.
        let empty = |p: Pane| {
            p == Pane::Goals
                && p != state.focus
                && state.view.as_deref().is_some_and(|v| v.goals.is_empty())
        };
        let mut rows_of: Vec<Vec<Pane>> = Vec::new();
        for row in layout {
            let kept: Vec<Pane> = row.iter().copied().filter(|p| !empty(*p)).collect();
            let joins = kept.len() == 1
                && kept[0] != Pane::Cohorts
                && rows_of
                    .last()
                    .is_some_and(|r| r.len() < per_row && !r.contains(&Pane::Cohorts));
            match rows_of.last_mut() {
                Some(last) if joins => last.extend(kept),
                _ if kept.is_empty() => {}
                _ => rows_of.push(kept),
            }
        }
        let layout = rows_of;
        let n = (body.height as usize / 9).max(3).min(layout.len());
        let focused = layout
            .iter()
            .position(|row| row.contains(&state.focus))
            .unwrap_or(0);
        let first = (focused + 1).saturating_sub(n);
        let shown = &layout[first..first + n];
        let rows = Layout::vertical(vec![Constraint::Ratio(1, n as u32); n]).split(body);
        let mut out = Vec::new();
        for (row, panes) in rows.iter().zip(shown) {
            let k = panes.len() as u32;
            let cols = Layout::horizontal(vec![Constraint::Ratio(1, k); panes.len()]).split(*row);
            out.extend(panes.iter().copied().zip(cols.iter().copied()));
        }
        out
    } else if body.width >= 100 {
        let cols = Layout::horizontal([Constraint::Percentage(50); 2]).split(body);
        vec![(state.focus, cols[0]), (state.focus.next(), cols[1])]
    } else {
        // One pane at a time: a line of tabs above it says which, of how many.
        let pane = Rect {
            y: body.y + 1,
            height: body.height.saturating_sub(1),
            ..body
        };
        vec![(state.focus, pane)]
    }
}

/// From this many columns the panes sit three to a row.
pub const WIDE: u16 = 180;

/// The tabs above a lone pane: "3/10" and the pane names, the focused one
/// marked, scrolled so that it shows.
fn pane_tabs(frame: &mut Frame, body: Rect, state: &State, theme: &Theme) {
    let at = state.focus.index();
    let mut spans = vec![Span::styled(
        format!(" pane {}/{} ", at + 1, Pane::ALL.len()),
        theme.dim(),
    )];
    let mut width = spans[0].width();
    // From the focused pane on, then those before it if room is left.
    for (i, p) in Pane::ALL.iter().enumerate().skip(at) {
        let label = format!(" {} ", p.title());
        if width + label.chars().count() + 1 > body.width as usize && i != at {
            break;
        }
        width += label.chars().count() + 1;
        let style = if i == at {
            theme.selected()
        } else {
            theme.dim()
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw("│"));
    }
    spans.pop();
    frame.render_widget(
        Paragraph::new(Line::from(spans)),
        Rect { height: 1, ..body },
    );
}

/// The area under the header and tiles and above the status line.
/// How many age columns of the cohort table fit on the screen the last key
/// was pressed on (the whole width when the pane is not laid out there).
pub fn cohort_ages_shown(state: &State) -> usize {
    let (w, h) = state.screen;
    let pane = pane_areas(Rect::new(0, 0, w, h), state)
        .into_iter()
        .find(|(p, _)| *p == Pane::Cohorts)
        .map_or(w, |(_, r)| r.width);
    panes::ages_fitting(pane.saturating_sub(2), state.revenue_cohorts)
}

fn body_area(area: Rect) -> Option<Rect> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [_, _, body, _] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(4),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    Some(body)
}

pub fn render(frame: &mut Frame, state: &State, theme: &Theme, keymap: &Keymap) {
    let area = frame.area();
    // A theme with its own background (light) paints it under everything.
    if theme.background != ratatui::style::Color::Reset {
        frame.buffer_mut().set_style(
            area,
            ratatui::style::Style::default()
                .bg(theme.background)
                .fg(theme.text),
        );
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "holdfast needs {MIN_WIDTH}×{MIN_HEIGHT}; this terminal is {}×{}",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.text())
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, tiles, body, status] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(4),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(panes::Header { state, theme }, header);
    // Where each pane goes: drawn below, and where the demo's caption must
    // not cover the pane it talks about.
    let areas = pane_areas(area, state);
    match state.snapshot() {
        None => {
            let msg = state
                .error
                .clone()
                .unwrap_or_else(|| "Loading…".to_string());
            frame.render_widget(Paragraph::new(msg).style(theme.dim()), body);
        }
        Some(s) => {
            frame.render_widget(
                panes::Tiles {
                    snapshot: s,
                    state,
                    theme,
                },
                tiles,
            );
            if let Some(against) = state.compare {
                frame.render_widget(
                    panes::Compare {
                        snapshot: s,
                        against,
                        other: state.compare_with.as_ref().and_then(|(_, o)| o.as_deref()),
                        theme,
                    },
                    body,
                );
            } else {
                if body.width < 100 {
                    pane_tabs(frame, body, state, theme);
                }
                for &(pane, rect) in &areas {
                    frame.render_widget(panes::PaneView { pane, state, theme }, rect);
                }
            }
        }
    }
    if let Some(d) = &state.demo {
        let text = crate::app::demo::caption(d.pane, state.snapshot());
        // Over the bottom of the body, or its top when the pane the caption
        // talks about is down there.
        let focused = areas.iter().find(|(p, _)| *p == d.pane).map(|&(_, r)| r);
        demo_caption(frame, body, focused, &text, theme);
    }
    status_line(frame, status, state, theme, keymap);
    overlays::render(frame, area, state, theme, keymap);
    defuse(frame.buffer_mut());
}

/// Replaces every cell holding a character that would act on the terminal
/// (an escape sequence's ESC, a C1 control, a bidi override: ids, segments,
/// comments and categories come from files) with U+FFFD, so nothing drawn
/// from a file reaches the terminal as a command.
pub fn defuse(buf: &mut ratatui::buffer::Buffer) {
    for cell in &mut buf.content {
        if cell
            .symbol()
            .chars()
            .any(|c| crate::text::is_hidden(c) || c == '\n')
        {
            cell.set_symbol("\u{fffd}");
        }
    }
}

/// The demo's caption, boxed over the bottom of the body, or over its top
/// when the bottom would cover the pane it is about.
fn demo_caption(frame: &mut Frame, body: Rect, about: Option<Rect>, caption: &str, theme: &Theme) {
    use ratatui::widgets::{Block, Clear, Wrap};
    let height = body.height.min(5);
    if height < 3 {
        return;
    }
    let bottom = Rect {
        y: body.y + body.height - height,
        height,
        ..body
    };
    let area = match about {
        Some(r) if r.intersects(bottom) && r.y > body.y => Rect { height, ..body },
        _ => bottom,
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(caption.to_string())
            .style(theme.text())
            .wrap(Wrap { trim: true })
            .block(
                Block::bordered()
                    .border_style(theme.fg(theme.accent))
                    .title(Span::styled(
                        " demo · any key takes over · q quits ",
                        theme.title(),
                    )),
            ),
        area,
    );
}

fn status_line(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, keymap: &Keymap) {
    use crate::app::action::Action;
    let key = |a: Action| {
        keymap
            .keys_of(a)
            .first()
            .map(|k| k.label())
            .unwrap_or_default()
    };
    let spans = if let Some(err) = &state.error {
        vec![Span::styled(format!(" {err}"), theme.fg(theme.bad))]
    } else if let Some(msg) = &state.status {
        vec![Span::styled(format!(" {msg}"), theme.fg(theme.accent))]
    } else {
        let hints = [
            (
                format!("{}/{}", key(Action::PrevPeriod), key(Action::NextPeriod)),
                "period",
            ),
            (
                format!(
                    "{}{}{}{}",
                    key(Action::Week),
                    key(Action::Month),
                    key(Action::Quarter),
                    key(Action::Year)
                ),
                "granularity",
            ),
            (key(Action::SegmentPicker), "segment"),
            (key(Action::CohortPicker), "cohort"),
            (key(Action::FocusNext), "focus"),
            (key(Action::Find), "find"),
            (key(Action::Help), "help"),
            (key(Action::Quit), "quit"),
        ];
        let mut spans = Vec::new();
        for (k, what) in hints {
            spans.push(Span::styled(format!(" {k}"), theme.title()));
            spans.push(Span::styled(format!(" {what} "), theme.dim()));
        }
        spans
    };
    let mut line = Line::from(spans);
    if matches!(state.mode, Mode::Find(_)) {
        line = Line::from(Span::styled(
            " type a customer id, Enter to open, Esc to cancel",
            theme.dim(),
        ));
    }
    frame.render_widget(
        Paragraph::new(
            line.style(theme.text())
                .patch_style(ratatui::style::Style::default().remove_modifier(Modifier::empty())),
        ),
        area,
    );
}
