//! `update(&mut State, Action) -> Option<Effect>`: pure, no I/O.

use std::sync::Arc;

use super::action::Action;
use super::state::{Against, CustomerList, Effect, Mode, Pane, Picker, State, View};
use super::worker::Reply;
use crate::calendar::format_day;
use crate::metrics::lists::CustomerSet;
use crate::metrics::{Granularity, Period, Query};

const PAGE: usize = 10;

/// Asks for the customer view; the status line says it is coming.
fn open_customer(state: &mut State, id: String) -> Option<Effect> {
    state.status = Some(format!("looking up {id}…"));
    Some(Effect::OpenCustomer(id))
}

fn recompute(state: &mut State) -> Option<Effect> {
    state.generation += 1;
    state.computing = true;
    Some(Effect::Recompute(state.generation, state.query.clone()))
}

/// The next or the previous period, unless it holds no data: then the
/// status line says why and nothing moves.
fn step(state: &mut State, forward: bool) -> Option<Effect> {
    let now = state.period();
    let p = if forward { now.next() } else { now.previous() };
    let refused = state.bounds.and_then(|(first, last)| {
        if forward && p.start() > last {
            Some(format!(
                "no data after {}: the data ends on {}",
                now.label(),
                format_day(last)
            ))
        } else if !forward && p.end() <= first {
            Some(format!(
                "no data before {}: the first order is on {}",
                now.label(),
                format_day(first)
            ))
        } else {
            None
        }
    });
    if let Some(why) = refused {
        state.status = Some(why);
        return None;
    }
    state.query.period = p;
    recompute(state)
}

/// The same day's period at another granularity.
fn regranulate(state: &mut State, g: Granularity) -> Option<Effect> {
    if state.granularity() == g {
        return None;
    }
    // Keep the period's last day in view (its last day with data): its
    // containing period at the new granularity, never an empty future one.
    let mut anchor = state.period().end() - 1;
    if let Some((first, last)) = state.bounds {
        anchor = anchor.clamp(first, last);
    }
    state.query.period = Period::containing(g, anchor);
    state.scroll = [0; Pane::COUNT];
    recompute(state)
}

/// About how many lines the open overlay holds (the renderer stops the text
/// at its real end; this keeps Down from counting far past it).
fn overlay_lines(state: &State) -> usize {
    match &state.mode {
        Mode::Help => Action::ALL.len(),
        Mode::Definitions => state.focus.definition_keys().len() * 3,
        Mode::DataQuality => state.snapshot().map_or(0, |s| {
            s.data_quality
                .iter()
                .map(|r| 8 + r.rejected.len() + r.warnings.len())
                .sum::<usize>()
                + 4
        }),
        Mode::Customer(v) => {
            12 + v.responses.as_ref().map_or(0, |r| r.len() * 2)
                + v.tickets.as_ref().map_or(0, |t| t.len() * 2)
        }
        _ => 0,
    }
}

fn rows_in_focus(state: &State) -> usize {
    let Some(v) = state.view.as_deref() else {
        return 0;
    };
    let s = &v.snapshot;
    match state.focus {
        Pane::Goals => v.goals.len(),
        Pane::Alerts => v.alerts.len(),
        Pane::Risk => s.churn_risk.len(),
        Pane::Followups => v
            .followups
            .iter()
            .flatten()
            .map(|l| l.customers.len())
            .sum(),
        Pane::Cohorts => s.cohorts.rows.len(),
        Pane::Nps => s.kpis.nps.as_ref().map_or(0, |n| n.detractor_themes.len()),
        Pane::Tickets => s
            .kpis
            .tickets
            .as_ref()
            .map_or(0, |t| t.top_categories.len()),
        _ => 0,
    }
}

/// The most ages a row of the cohort table on screen has.
fn cohort_ages(state: &State) -> usize {
    let Some(s) = state.snapshot() else {
        return 0;
    };
    if state.revenue_cohorts {
        s.revenue_cohorts
            .rows
            .iter()
            .map(|r| r.retention.len())
            .max()
    } else {
        s.cohorts.rows.iter().map(|r| r.retention.len()).max()
    }
    .unwrap_or(0)
}

fn scroll(state: &mut State, delta: isize) {
    let max = rows_in_focus(state).saturating_sub(1);
    let i = Pane::ALL
        .iter()
        .position(|p| *p == state.focus)
        .unwrap_or(0);
    let cur = state.scroll[i] as isize;
    state.scroll[i] = (cur + delta).clamp(0, max as isize) as usize;
}

fn segment_picker(state: &State) -> Picker {
    let mut items = vec![("(all customers)".to_string(), None)];
    for (col, values) in &state.choices.segments {
        for (v, customers) in values {
            let word = if *customers == 1 {
                "customer"
            } else {
                "customers"
            };
            items.push((
                format!("{col} = {v}  ({customers} {word})"),
                Some(format!("{col}={v}")),
            ));
        }
    }
    let current = state
        .query
        .segment
        .as_ref()
        .map(|(c, v)| format!("{c}={v}"));
    let selected = items.iter().position(|(_, v)| *v == current).unwrap_or(0);
    Picker {
        title: "Segment".into(),
        items,
        selected,
    }
}

fn cohort_picker(state: &State) -> Picker {
    let mut items = vec![("(all cohorts)".to_string(), None)];
    items.extend(
        state
            .choices
            .cohorts
            .iter()
            .map(|c| (c.clone(), Some(c.clone()))),
    );
    let current = state.query.cohort.map(|c| c.label());
    let selected = items.iter().position(|(_, v)| *v == current).unwrap_or(0);
    Picker {
        title: "Acquisition cohort".into(),
        items,
        selected,
    }
}

/// The sets Enter on the Customers pane offers, with the view's counts.
fn list_picker(state: &State) -> Picker {
    let s = state.snapshot();
    let k = s.map(|s| &s.kpis);
    let count = |set: CustomerSet| -> Option<u64> {
        let c = &k?.customers;
        Some(match set {
            CustomerSet::Start => c.start,
            CustomerSet::End => c.end,
            CustomerSet::New => c.new,
            CustomerSet::Retained => c.retained,
            CustomerSet::WonBack => c.won_back,
            CustomerSet::Lost => c.lost,
            CustomerSet::Detractors => return None,
            CustomerSet::AtRisk => s?.churn_risk.len() as u64,
            CustomerSet::OpenTickets => return None,
        })
    };
    let items = [
        CustomerSet::Lost,
        CustomerSet::WonBack,
        CustomerSet::New,
        CustomerSet::Retained,
        CustomerSet::Start,
        CustomerSet::End,
        CustomerSet::AtRisk,
        CustomerSet::Detractors,
        CustomerSet::OpenTickets,
    ]
    .into_iter()
    .map(|set| {
        let label = match count(set) {
            Some(n) => format!("{} ({})", set.title(), crate::format::count(n)),
            None => set.title().to_string(),
        };
        (label, Some(set.name().to_string()))
    })
    .collect();
    Picker {
        title: "List the customers".into(),
        items,
        selected: 0,
    }
}

/// Moves a picker's selection for Up/Down/PageUp/PageDown (stopping at its
/// ends); false for any other action.
fn move_in(p: &mut Picker, action: Action) -> bool {
    let last = p.items.len().saturating_sub(1);
    p.selected = match action {
        Action::Up => p.selected.saturating_sub(1),
        Action::Down => (p.selected + 1).min(last),
        Action::PageUp => p.selected.saturating_sub(PAGE),
        Action::PageDown => (p.selected + PAGE).min(last),
        _ => return false,
    };
    true
}

/// Applies an action. Returns what the event loop must do, if anything.
pub fn update(state: &mut State, action: Action) -> Option<Effect> {
    if action == Action::Quit {
        state.quit = true;
        return Some(Effect::Quit);
    }
    // Overlays first.
    let is_segment = matches!(state.mode, Mode::SegmentPicker(_));
    match &mut state.mode {
        Mode::ListPicker(p) => {
            if move_in(p, action) {
                return None;
            }
            match action {
                Action::Back => state.mode = Mode::Dashboard,
                Action::Enter => {
                    let set = p
                        .items
                        .get(p.selected)
                        .and_then(|(_, v)| v.as_deref())
                        .and_then(CustomerSet::from_name)?;
                    state.mode = Mode::Dashboard;
                    state.status = Some(format!("listing {}…", set.title().to_lowercase()));
                    return Some(Effect::List(set));
                }
                _ => {}
            }
            return None;
        }
        Mode::ComparePicker(p) => {
            if move_in(p, action) {
                return None;
            }
            match action {
                Action::Back => state.mode = Mode::Dashboard,
                Action::Enter => {
                    let segment = p
                        .items
                        .get(p.selected)
                        .and_then(|(_, v)| v.as_deref())
                        .and_then(|v| v.split_once('='))
                        .map(|(c, v)| (c.to_string(), v.to_string()));
                    state.mode = Mode::Dashboard;
                    let q = Query {
                        segment,
                        ..state.query.clone()
                    };
                    state.compare = Some(Against::Segment);
                    state.compare_with = Some((q.clone(), None));
                    return Some(Effect::CompareWith(q));
                }
                _ => {}
            }
            return None;
        }
        Mode::List(list) => {
            let last = list.shown().len().saturating_sub(1);
            match action {
                Action::Up => list.selected = list.selected.saturating_sub(1),
                Action::Down => list.selected = (list.selected + 1).min(last),
                Action::PageUp => list.selected = list.selected.saturating_sub(PAGE),
                Action::PageDown => list.selected = (list.selected + PAGE).min(last),
                // `/` types a filter; Enter keeps it, Esc drops it, Esc again closes.
                Action::Find => list.typing = true,
                Action::Enter if list.typing => list.typing = false,
                Action::Back if list.typing || !list.filter.is_empty() => {
                    list.typing = false;
                    list.set_filter(String::new());
                }
                Action::Back => state.mode = Mode::Dashboard,
                Action::Enter => {
                    let id = list.selected_row()?.customer_id.clone();
                    return open_customer(state, id);
                }
                Action::Export => return Some(Effect::Export),
                Action::Yank => return Some(Effect::Yank),
                Action::RiskOrder => list.sort(list.order.next()),
                _ => {}
            }
            return None;
        }
        Mode::SegmentPicker(p) | Mode::CohortPicker(p) => {
            if move_in(p, action) {
                return None;
            }
            match action {
                Action::Back => state.mode = Mode::Dashboard,
                Action::Enter => {
                    let value = p.items.get(p.selected).and_then(|(_, v)| v.clone());
                    state.mode = Mode::Dashboard;
                    if is_segment {
                        state.query.segment = value.and_then(|v| {
                            v.split_once('=')
                                .map(|(c, v)| (c.to_string(), v.to_string()))
                        });
                    } else {
                        state.query.cohort = value.and_then(|v| Period::parse(&v));
                    }
                    state.scroll = [0; Pane::COUNT];
                    return recompute(state);
                }
                _ => {}
            }
            return None;
        }
        Mode::Find(text) => {
            return match action {
                Action::Back => {
                    state.mode = Mode::Dashboard;
                    None
                }
                Action::Enter => {
                    let id = text.trim().to_string();
                    state.mode = Mode::Dashboard;
                    if id.is_empty() {
                        None
                    } else {
                        // On a miss the box opens again with the text.
                        state.pending_find = Some(id.clone());
                        open_customer(state, id)
                    }
                }
                _ => None,
            };
        }
        Mode::Help | Mode::Definitions | Mode::DataQuality | Mode::Customer(_) => {
            // An overlay scrolls its own text (the renderer stops at its end).
            let lines = match action {
                Action::Up => Some(-1),
                Action::Down => Some(1),
                Action::PageUp => Some(-(PAGE as isize)),
                Action::PageDown => Some(PAGE as isize),
                _ => None,
            };
            if let Some(d) = lines {
                state.overlay_scroll = state
                    .overlay_scroll
                    .saturating_add_signed(d)
                    .min(overlay_lines(state));
                return None;
            }
            if matches!(action, Action::Back | Action::Enter)
                || (action == Action::Help && state.mode == Mode::Help)
                || (action == Action::Definitions && state.mode == Mode::Definitions)
                || (action == Action::DataQuality && state.mode == Mode::DataQuality)
            {
                state.mode = Mode::Dashboard;
                return None;
            }
        }
        Mode::Dashboard => {}
    }
    match action {
        Action::PrevPeriod => step(state, false),
        Action::NextPeriod => step(state, true),
        Action::Earliest | Action::Latest => {
            let (first, last) = state.bounds?;
            let day = if action == Action::Earliest {
                first
            } else {
                last
            };
            let p = Period::containing(state.granularity(), day);
            if p == state.period() {
                return None;
            }
            state.query.period = p;
            state.scroll = [0; Pane::COUNT];
            recompute(state)
        }
        Action::Week => regranulate(state, Granularity::Week),
        Action::Month => regranulate(state, Granularity::Month),
        Action::Quarter => regranulate(state, Granularity::Quarter),
        Action::Year => regranulate(state, Granularity::Year),
        // In the compare view, `[` and `]` set the period against an earlier
        // or a later one.
        Action::CompareEarlier | Action::CompareLater => {
            let against = state.compare?;
            let now = state.query.period;
            let from = match against {
                Against::Previous => now.previous(),
                Against::YearAgo => now.year_ago().unwrap_or_else(|| now.previous()),
                Against::Segment => now,
                Against::Period => state.compare_with.as_ref().map_or(now, |(q, _)| q.period),
            };
            let to = if action == Action::CompareEarlier {
                from.previous()
            } else {
                from.next()
            };
            let q = Query {
                period: to,
                ..state.query.clone()
            };
            state.compare = Some(Against::Period);
            state.compare_with = Some((q.clone(), None));
            Some(Effect::CompareWith(q))
        }
        // In the compare view, `s` picks the other column's segment value.
        Action::SegmentPicker if state.compare.is_some() => {
            let mut p = segment_picker(state);
            p.title = format!(
                "Compare {} with",
                state
                    .query
                    .segment
                    .as_ref()
                    .map_or("all customers".to_string(), |(c, v)| format!("{c}={v}"))
            );
            p.selected = 0;
            state.mode = Mode::ComparePicker(p);
            None
        }
        Action::SegmentPicker => {
            state.mode = Mode::SegmentPicker(segment_picker(state));
            None
        }
        Action::CohortPicker => {
            state.mode = Mode::CohortPicker(cohort_picker(state));
            None
        }
        Action::ClearFilters => {
            if state.query.segment.is_none() && state.query.cohort.is_none() {
                return None;
            }
            state.query.segment = None;
            state.query.cohort = None;
            recompute(state)
        }
        Action::FocusNext => {
            state.focus = state.focus.next();
            None
        }
        Action::FocusPrev => {
            state.focus = state.focus.prev();
            None
        }
        Action::Up => {
            scroll(state, -1);
            None
        }
        Action::Down => {
            scroll(state, 1);
            None
        }
        Action::PageUp => {
            scroll(state, -(PAGE as isize));
            None
        }
        Action::PageDown => {
            scroll(state, PAGE as isize);
            None
        }
        Action::Enter => match state.focus {
            Pane::Customers => {
                state.mode = Mode::ListPicker(list_picker(state));
                None
            }
            Pane::Followups => {
                let row = state.scroll_of(Pane::Followups);
                let id = state.followup_rows().get(row)?.customer_id.clone();
                open_customer(state, id)
            }
            Pane::Risk => {
                let row = state.scroll_of(Pane::Risk);
                let id = state.risk_rows().get(row)?.customer_id.clone();
                open_customer(state, id)
            }
            Pane::Alerts => {
                // A customer's alert opens the customer (their tickets and
                // standing); any other focuses the pane it concerns.
                let row = state.scroll_of(Pane::Alerts);
                let alert = state.view.as_deref()?.alerts.get(row)?.clone();
                match alert.customer_id {
                    Some(id) => open_customer(state, id),
                    None => {
                        state.focus = Pane::of_jump(alert.pane);
                        if let (Pane::Goals, Some(kpi)) = (state.focus, alert.kpi) {
                            let at = state
                                .view
                                .as_deref()
                                .and_then(|v| v.goals.iter().position(|g| g.kpi == kpi));
                            state.scroll[Pane::Goals.index()] = at.unwrap_or(0);
                        }
                        None
                    }
                }
            }
            _ => None,
        },
        Action::Goals => {
            state.focus = Pane::Goals;
            state.compare = None;
            None
        }
        Action::Alerts => {
            state.focus = Pane::Alerts;
            state.compare = None;
            None
        }
        Action::Find => {
            state.mode = Mode::Find(String::new());
            None
        }
        Action::Compare => {
            // Off, against the previous period, against a year ago, off.
            state.compare = match state.compare {
                None => Some(Against::Previous),
                Some(Against::Previous) => Some(Against::YearAgo),
                Some(Against::YearAgo | Against::Segment | Against::Period) => None,
            };
            if state.compare.is_none() {
                state.compare_with = None;
            }
            None
        }
        Action::CohortRevenue => {
            state.revenue_cohorts = !state.revenue_cohorts;
            None
        }
        Action::CohortEarlierAges | Action::CohortLaterAges => {
            // Half the columns that fit per key; the last age stops at the right edge.
            state.focus = Pane::Cohorts;
            let shown = crate::ui::cohort_ages_shown(state).max(1);
            let step = (shown / 2).max(1);
            let last = cohort_ages(state).saturating_sub(shown);
            let first = state.cohort_first_age.min(last);
            state.cohort_first_age = if action == Action::CohortLaterAges {
                (first + step).min(last)
            } else {
                first.saturating_sub(step)
            };
            None
        }
        Action::RiskOrder => {
            state.risk_by_alive = !state.risk_by_alive;
            sort_risk(state);
            state.scroll[Pane::Risk.index()] = 0;
            None
        }
        Action::Definitions => {
            state.mode = Mode::Definitions;
            state.overlay_scroll = 0;
            None
        }
        Action::DataQuality => {
            state.mode = Mode::DataQuality;
            state.overlay_scroll = 0;
            None
        }
        Action::Help => {
            state.mode = Mode::Help;
            state.overlay_scroll = 0;
            None
        }
        Action::Export => Some(Effect::Export),
        Action::Yank => Some(Effect::Yank),
        Action::Reload => {
            state.status = Some("reloading…".into());
            state.computing = true;
            Some(Effect::Reload)
        }
        Action::Back => {
            state.quit = true;
            Some(Effect::Quit)
        }
        Action::Quit => Some(Effect::Quit),
    }
}

/// Typing in the customer search.
/// What reaches `update` from the keyboard: an action, or text typed into
/// a text box (the find box).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Action(Action),
    Type(char),
    Erase,
}

/// Every state change from the keyboard goes through here.
pub fn input(state: &mut State, input: Input) -> Option<Effect> {
    match input {
        Input::Action(a) => update(state, a),
        Input::Type(c) => type_char(state, Some(c)),
        Input::Erase => type_char(state, None),
    }
}

/// A character typed (or erased) in the find box; the matches so far are
/// asked for as the text changes.
fn type_char(state: &mut State, c: Option<char>) -> Option<Effect> {
    // In a drill-down list, the filter narrows the rows at once.
    if let Mode::List(list) = &mut state.mode {
        if list.typing {
            let mut text = std::mem::take(&mut list.filter);
            match c {
                Some(c) => text.push(c),
                None => {
                    text.pop();
                }
            }
            list.set_filter(text);
        }
        return None;
    }
    let Mode::Find(text) = &mut state.mode else {
        return None;
    };
    match c {
        Some(c) => text.push(c),
        None => {
            text.pop();
        }
    }
    let text = text.trim().to_string();
    if text.is_empty() {
        state.find_matches = None;
        return None;
    }
    Some(Effect::FindMatches(text))
}

/// A computed view arrived: keep it unless a newer request is pending.
pub fn receive(state: &mut State, view: View) -> bool {
    if view.generation < state.generation {
        return false;
    }
    state.computing = false;
    state.error = None;
    state.view = Some(Arc::new(view));
    sort_risk(state);
    true
}

/// Sorts the churn-risk rows by P(alive) × revenue at stake once, as they
/// arrive (the list can hold tens of thousands of rows: not per frame).
fn sort_risk(state: &mut State) {
    state.risk_alive_order = state
        .snapshot()
        .map(|s| super::state::alive_order(&s.churn_risk))
        .unwrap_or_default();
}

/// A recompute failed: the last good view stays on screen.
pub fn failed(state: &mut State, generation: u64, message: String) {
    if generation == state.generation {
        state.computing = false;
        state.error = Some(message);
    }
}

/// The period the dashboard opens on without `--period`: the month holding
/// the last day of data L when at least half of it is counted, else the
/// month before it (the latest whole month).
pub fn default_period(last_day: crate::calendar::Day) -> Period {
    let latest = Period::containing(Granularity::Month, last_day);
    if (last_day + 1 - latest.start()) * 2 >= latest.days() {
        latest
    } else {
        latest.previous()
    }
}

/// Every reply of the worker changes the state here; the effect (a compute
/// to request) is the runtime's to perform.
pub fn on_reply(state: &mut State, reply: Reply) -> Option<Effect> {
    match reply {
        Reply::Loaded {
            choices,
            data_range,
            bounds,
            took,
            ..
        } => {
            state.choices = choices;
            state.data_range = data_range;
            state.bounds = bounds;
            let last_day = bounds.map(|(_, l)| l);
            state.loading = None;
            state.error = None;
            // The key hints stay on the status line; the load time is in the data-quality view.
            state.load_time = Some(took);
            state.status = None;
            // The first load picks the period (the latest whole month, or the
            // month to date once it is half over); a reload keeps the one on screen.
            let from_flag = state.requested_period.take();
            if let Some(p) = from_flag.or_else(|| last_day.map(default_period))
                && state.view.is_none()
            {
                if let (None, Some(last)) = (from_flag, last_day) {
                    state.open_on_suggested = true;
                    let latest = Period::containing(Granularity::Month, last);
                    if p != latest {
                        state.status = Some(format!(
                            "showing {}, the latest whole month ({} holds only the first days of data: → shows it to date)",
                            p.label(),
                            latest.label()
                        ));
                    }
                }
                state.query.period = p;
            }
            recompute(state)
        }
        Reply::Status(line) => {
            state.status = Some(line);
            None
        }
        Reply::Progress(step) => {
            state.loading = Some(step);
            None
        }
        Reply::LoadFailed(e) => {
            state.loading = None;
            state.computing = false;
            state.error = Some(if state.view.is_some() {
                format!("reload failed, showing the last good data: {e}")
            } else {
                e.to_string()
            });
            None
        }
        Reply::View(v) => {
            receive(state, *v);
            // A segment comparison follows the period and filters on screen;
            // a period comparison keeps its period and follows the filters.
            if let (Some(against @ (Against::Segment | Against::Period)), Some((want, _))) =
                (state.compare, &state.compare_with)
            {
                let q = match against {
                    Against::Segment => Query {
                        segment: want.segment.clone(),
                        ..state.query.clone()
                    },
                    _ => Query {
                        period: want.period,
                        ..state.query.clone()
                    },
                };
                if q != *want {
                    state.compare_with = Some((q.clone(), None));
                    return Some(Effect::CompareWith(q));
                }
            }
            // The default view (no --period) moves to the granularity the cycle
            // warning suggests: months shorter than 3 purchase cycles are noise.
            let suggested = state
                .snapshot()
                .and_then(|s| s.cycle_warning.as_ref())
                .and_then(|w| w.suggested_granularity);
            if std::mem::take(&mut state.open_on_suggested)
                && let Some(g) = suggested
            {
                let effect = regranulate(state, g);
                if effect.is_some() {
                    state.status = Some(format!(
                        "opened on {} periods: a {} is shorter than 3 purchase cycles",
                        g.name(),
                        Granularity::Month.name()
                    ));
                }
                return effect;
            }
            None
        }
        Reply::Predicted {
            generation,
            predicted,
            churn_risk,
        } => {
            if let Some(view) = state.view.as_mut()
                && view.generation == generation
            {
                let view = Arc::make_mut(view);
                view.snapshot.predicted = Some(predicted);
                view.snapshot.churn_risk = churn_risk;
                sort_risk(state);
            }
            None
        }
        Reply::Trend { generation, trend } => {
            if let Some(view) = state.view.as_mut()
                && view.generation == generation
            {
                Arc::make_mut(view).trend = trend;
            }
            None
        }
        Reply::Followups { generation, lists } => {
            if let Some(view) = state.view.as_mut()
                && view.generation == generation
            {
                Arc::make_mut(view).followups = Some(lists);
            }
            None
        }
        Reply::Failed(generation, e) => {
            failed(state, generation, e.to_string());
            None
        }
        Reply::Customer(Ok(v)) => {
            state.status = None;
            state.pending_find = None;
            state.mode = Mode::Customer(v);
            state.overlay_scroll = 0;
            None
        }
        Reply::Matches(text, ids) => {
            // Only for the text still in the box.
            if matches!(&state.mode, Mode::Find(t) if t.trim() == text) {
                state.find_matches = Some((text, ids));
            }
            None
        }
        Reply::Compared(q, result) => {
            // Only the column still asked for (the period may have moved on).
            if let Some((want, slot)) = state.compare_with.as_mut()
                && *want == q
            {
                match result {
                    Ok(snapshot) => *slot = Some(Arc::new(*snapshot)),
                    Err(e) => state.status = Some(e.to_string()),
                }
            }
            None
        }
        Reply::List(set, Ok(rows)) => {
            state.status = None;
            state.mode = Mode::List(Box::new(CustomerList::new(set, rows)));
            None
        }
        Reply::List(_, Err(e)) => {
            state.status = Some(e.to_string());
            None
        }
        Reply::Customer(Err(e)) => {
            if let Some(text) = state.pending_find.take() {
                state.mode = Mode::Find(text);
            }
            state.status = Some(e);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::{Choices, Trend};
    use crate::metrics::Query;
    use crate::metrics::alerts::{Alert, Jump, Rule, Severity};

    /// A drill-down row with only its id.
    fn listed(id: &str) -> crate::metrics::lists::ListedCustomer {
        crate::metrics::lists::ListedCustomer {
            customer_id: id.into(),
            first_order: None,
            last_order: None,
            revenue: 0.0,
            lifetime_revenue: 0.0,
            last_nps: None,
            open_tickets: 0,
        }
    }

    fn state() -> State {
        let choices = Choices {
            segments: vec![("plan".into(), vec![("basic".into(), 3), ("pro".into(), 1)])],
            cohorts: vec!["2024-02".into(), "2024-01".into()],
        };
        State::new(Query::new(Period::parse("2024-03").unwrap()), choices, None)
    }

    #[test]
    fn period_moves_recompute_with_a_new_generation() {
        let mut s = state();
        let e = update(&mut s, Action::NextPeriod);
        assert_eq!(s.period().label(), "2024-04");
        assert!(matches!(e, Some(Effect::Recompute(1, ref q)) if q.period.label() == "2024-04"));
        update(&mut s, Action::PrevPeriod);
        update(&mut s, Action::PrevPeriod);
        assert_eq!(
            (s.period().label(), s.generation),
            ("2024-02".to_string(), 3)
        );
        assert!(s.computing);
    }

    #[test]
    fn granularity_keeps_the_last_day_in_view() {
        let mut s = state();
        update(&mut s, Action::Quarter);
        assert_eq!(s.period().label(), "2024-Q1");
        update(&mut s, Action::Week);
        assert_eq!(s.period().label(), "2024-W13"); // Mar 31 2024 is in week 13
        assert_eq!(
            update(&mut s, Action::Week),
            None,
            "same granularity: nothing to do"
        );
        update(&mut s, Action::Year);
        assert_eq!(s.period().label(), "2024");
    }

    #[test]
    fn the_first_load_picks_the_period_and_asks_for_it() {
        use crate::calendar::days_from_civil;
        let loaded = |bounds| Reply::Loaded {
            choices: Choices::default(),
            data_range: None,
            bounds: Some(bounds),
            reports: Vec::new(),
            took: std::time::Duration::from_millis(5),
        };
        // Data to Nov 14: November is not half counted, October is shown.
        let mut s = state();
        let e = on_reply(
            &mut s,
            loaded((days_from_civil(2025, 1, 3), days_from_civil(2025, 11, 14))),
        );
        assert_eq!(s.period().label(), "2025-10");
        assert!(matches!(e, Some(Effect::Recompute(..))));
        assert!(s.open_on_suggested);
        assert!(
            s.status
                .as_deref()
                .is_some_and(|m| m.contains("the latest whole month"))
        );
        // A period asked for on the command line wins.
        let mut s = state();
        s.requested_period = Period::parse("2025-02");
        on_reply(
            &mut s,
            loaded((days_from_civil(2025, 1, 3), days_from_civil(2025, 11, 14))),
        );
        assert_eq!(s.period().label(), "2025-02");
        assert!(!s.open_on_suggested);
        // A failed load is shown, nothing is asked.
        let broken = crate::data::LoadError::Empty {
            file: "o.csv".into(),
        };
        assert_eq!(on_reply(&mut s, Reply::LoadFailed(broken)), None);
        assert_eq!(
            s.error.as_deref(),
            Some("o.csv: the file is empty (not even a header line)")
        );
    }

    #[test]
    fn periods_stay_within_the_data() {
        use crate::calendar::days_from_civil;
        let mut s = state();
        // Orders from 2024-01-15 to L = 2024-03-19.
        s.bounds = Some((days_from_civil(2024, 1, 15), days_from_civil(2024, 3, 19)));
        assert_eq!(update(&mut s, Action::NextPeriod), None);
        assert_eq!(s.period().label(), "2024-03");
        assert_eq!(
            s.status.as_deref(),
            Some("no data after 2024-03: the data ends on 2024-03-19")
        );
        assert!(update(&mut s, Action::PrevPeriod).is_some());
        assert!(update(&mut s, Action::PrevPeriod).is_some());
        assert_eq!(s.period().label(), "2024-01");
        assert_eq!(update(&mut s, Action::PrevPeriod), None);
        assert_eq!(
            s.status.as_deref(),
            Some("no data before 2024-01: the first order is on 2024-01-15")
        );
        // End and Home jump to the latest and the earliest periods.
        assert!(update(&mut s, Action::Latest).is_some());
        assert_eq!(s.period().label(), "2024-03");
        assert_eq!(update(&mut s, Action::Latest), None);
        // A year holds the period; back to weeks: the week of L, not a future one.
        update(&mut s, Action::Year);
        assert_eq!(s.period().label(), "2024");
        update(&mut s, Action::Week);
        assert_eq!(s.period().label(), "2024-W12");
        assert_eq!(update(&mut s, Action::NextPeriod), None);
        assert!(update(&mut s, Action::Earliest).is_some());
        assert_eq!(s.period().label(), "2024-W03");
        assert_eq!(update(&mut s, Action::PrevPeriod), None);
    }

    #[test]
    fn pickers_apply_filters() {
        let mut s = state();
        update(&mut s, Action::SegmentPicker);
        let Mode::SegmentPicker(p) = &s.mode else {
            panic!("{:?}", s.mode)
        };
        let labels: Vec<&str> = p.items.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            vec![
                "(all customers)",
                "plan = basic  (3 customers)",
                "plan = pro  (1 customer)"
            ]
        );
        update(&mut s, Action::Down);
        update(&mut s, Action::Down);
        let e = update(&mut s, Action::Enter);
        assert_eq!(s.query.segment, Some(("plan".into(), "pro".into())));
        assert!(matches!(e, Some(Effect::Recompute(..))));
        assert_eq!(s.mode, Mode::Dashboard);
        update(&mut s, Action::CohortPicker);
        update(&mut s, Action::Down);
        update(&mut s, Action::Enter);
        assert_eq!(s.query.cohort.map(|c| c.label()), Some("2024-02".into()));
        let e = update(&mut s, Action::ClearFilters);
        assert!(e.is_some() && s.query.segment.is_none() && s.query.cohort.is_none());
        assert_eq!(update(&mut s, Action::ClearFilters), None);
        // Esc closes a picker without changing anything.
        update(&mut s, Action::SegmentPicker);
        update(&mut s, Action::Down);
        assert_eq!(update(&mut s, Action::Back), None);
        assert_eq!(
            (s.mode.clone(), s.query.segment.clone()),
            (Mode::Dashboard, None)
        );
    }

    #[test]
    fn overlays_open_and_close_and_esc_quits_the_dashboard() {
        let mut s = state();
        for (open, mode) in [
            (Action::Help, Mode::Help),
            (Action::Definitions, Mode::Definitions),
            (Action::DataQuality, Mode::DataQuality),
        ] {
            update(&mut s, open);
            assert_eq!(s.mode, mode);
            assert_eq!(update(&mut s, Action::Back), None);
            assert_eq!(s.mode, Mode::Dashboard);
        }
        update(&mut s, Action::Help);
        update(&mut s, Action::Help);
        assert_eq!(s.mode, Mode::Dashboard, "? toggles help");
        assert_eq!(update(&mut s, Action::Back), Some(Effect::Quit));
        assert!(s.quit);
    }

    #[test]
    fn find_collects_text_and_opens_a_customer() {
        let mut s = state();
        update(&mut s, Action::Find);
        for c in "C0042x".chars() {
            input(&mut s, Input::Type(c));
        }
        input(&mut s, Input::Erase);
        assert_eq!(
            update(&mut s, Action::Enter),
            Some(Effect::OpenCustomer("C0042".into()))
        );
        assert_eq!(s.mode, Mode::Dashboard);
    }

    #[test]
    fn stale_views_are_dropped() {
        let mut s = state();
        update(&mut s, Action::NextPeriod); // generation 1
        update(&mut s, Action::NextPeriod); // generation 2
        let snap = |g| View {
            generation: g,
            snapshot: crate::metrics::Snapshot::empty(&Period::parse("2024-05").unwrap()),
            trend: Trend::default(),
            goals: Vec::new(),
            alerts: Vec::new(),
            followups: None,
        };
        assert!(!receive(&mut s, snap(1)));
        assert!(s.view.is_none() && s.computing);
        assert!(receive(&mut s, snap(2)));
        assert!(!s.computing && !s.stale());
        failed(&mut s, 2, "boom".into());
        assert_eq!(s.error.as_deref(), Some("boom"));
        assert!(s.view.is_some(), "the last good view stays");
    }

    #[test]
    fn focus_cycles_and_compare_toggles() {
        let mut s = state();
        for _ in 0..Pane::ALL.len() {
            update(&mut s, Action::FocusNext);
        }
        assert_eq!(s.focus, Pane::Trends);
        update(&mut s, Action::FocusPrev);
        assert_eq!(s.focus, Pane::Followups);
        update(&mut s, Action::Compare);
        assert_eq!(s.compare, Some(Against::Previous));
        update(&mut s, Action::Compare);
        assert_eq!(s.compare, Some(Against::YearAgo));
        update(&mut s, Action::Compare);
        assert_eq!(s.compare, None);
        update(&mut s, Action::Compare);
        assert_eq!(update(&mut s, Action::Export), Some(Effect::Export));
        assert_eq!(update(&mut s, Action::Reload), Some(Effect::Reload));
    }

    fn alert(pane: Jump, customer: Option<&str>, kpi: Option<&'static str>) -> Alert {
        Alert {
            rule: Rule::TicketOpen,
            severity: Severity::Warning,
            message: "m".into(),
            pane,
            customer_id: customer.map(String::from),
            ticket_id: None,
            kpi,
        }
    }

    #[test]
    fn goals_and_alerts_keys_focus_their_panes_and_enter_jumps() {
        let mut s = state();
        let goal = |kpi| crate::metrics::goals::Goal {
            kpi,
            segment: None,
            target: 1.0,
            direction: crate::metrics::goals::Direction::Min,
            tolerance: 0.0,
        };
        let status = |g: crate::metrics::goals::Goal| crate::metrics::goals::GoalStatus {
            kpi: g.kpi.name(),
            segment: None,
            target: g.target,
            direction: g.direction,
            value: None,
            gap: None,
            status: crate::metrics::goals::GoalState::NoData,
            gap_history: vec![],
            trend: None,
            goal: g,
        };
        use crate::metrics::goals::GoalKpi;
        s.view = Some(Arc::new(View {
            generation: 0,
            snapshot: crate::metrics::Snapshot::empty(&s.period()),
            trend: Trend::default(),
            goals: vec![status(goal(GoalKpi::Nps)), status(goal(GoalKpi::ChurnRate))],
            alerts: vec![
                alert(Jump::Tickets, Some("C7"), None),
                alert(Jump::Goals, None, Some("churn_rate")),
                alert(Jump::Trends, None, Some("churn_rate")),
            ],
            followups: None,
        }));
        s.compare = Some(Against::YearAgo);
        update(&mut s, Action::Goals);
        assert_eq!((s.focus, s.compare), (Pane::Goals, None));
        update(&mut s, Action::Alerts);
        assert_eq!(s.focus, Pane::Alerts);
        // A ticket alert with a customer opens the customer.
        assert_eq!(
            update(&mut s, Action::Enter),
            Some(Effect::OpenCustomer("C7".into()))
        );
        // A goal alert focuses the goal's row in the Goals pane.
        update(&mut s, Action::Down);
        assert_eq!(update(&mut s, Action::Enter), None);
        assert_eq!((s.focus, s.scroll_of(Pane::Goals)), (Pane::Goals, 1));
        // A churn alert goes to the trends.
        update(&mut s, Action::Alerts);
        update(&mut s, Action::Down);
        update(&mut s, Action::Down);
        assert_eq!(s.scroll_of(Pane::Alerts), 2);
        update(&mut s, Action::Enter);
        assert_eq!(s.focus, Pane::Trends);
    }

    #[test]
    fn enter_on_the_customers_pane_lists_the_customers_behind_a_count() {
        use crate::metrics::lists::ListedCustomer;
        let mut s = state();
        let mut snapshot = crate::metrics::Snapshot::empty(&s.period());
        snapshot.kpis.customers.lost = 2;
        snapshot.kpis.customers.won_back = 1;
        s.view = Some(Arc::new(View {
            generation: 0,
            snapshot,
            trend: Trend::default(),
            goals: vec![],
            alerts: vec![],
            followups: None,
        }));
        s.focus = Pane::Customers;
        assert_eq!(update(&mut s, Action::Enter), None);
        let Mode::ListPicker(p) = &s.mode else {
            panic!("{:?}", s.mode)
        };
        assert_eq!(p.items[0].0, "Lost customers (2)");
        assert_eq!(p.items[1].0, "Won back (1)");
        // q closes it; Enter again, down to "Won back", Enter: the list is asked for.
        update(&mut s, Action::Back);
        assert_eq!(s.mode, Mode::Dashboard);
        update(&mut s, Action::Enter);
        update(&mut s, Action::Down);
        assert_eq!(
            update(&mut s, Action::Enter),
            Some(Effect::List(CustomerSet::WonBack))
        );
        let row = |id: &str, lifetime_revenue: f64, last: &str| ListedCustomer {
            last_order: Some(last.into()),
            lifetime_revenue,
            ..listed(id)
        };
        let rows = vec![row("C1", 5.0, "2024-03-02"), row("C2", 9.0, "2024-01-02")];
        on_reply(&mut s, Reply::List(CustomerSet::WonBack, Ok(rows)));
        let Mode::List(l) = &s.mode else {
            panic!("{:?}", s.mode)
        };
        assert_eq!(
            (l.set, l.rows().len(), l.selected),
            (CustomerSet::WonBack, 2, 0)
        );
        // o orders by lifetime revenue, last order, id, then revenue again.
        let ids = |s: &State| match &s.mode {
            Mode::List(l) => l.shown().map(|r| r.customer_id.clone()).collect::<Vec<_>>(),
            _ => vec![],
        };
        update(&mut s, Action::RiskOrder);
        assert_eq!(ids(&s), ["C2", "C1"]);
        update(&mut s, Action::RiskOrder);
        assert_eq!(ids(&s), ["C1", "C2"]);
        update(&mut s, Action::RiskOrder);
        update(&mut s, Action::RiskOrder);
        assert_eq!(ids(&s), ["C2", "C1"]);
        // Down stops at the last row; Enter opens that customer; e exports the list.
        update(&mut s, Action::Down);
        update(&mut s, Action::Down);
        assert_eq!(update(&mut s, Action::Export), Some(Effect::Export));
        assert_eq!(
            update(&mut s, Action::Enter),
            Some(Effect::OpenCustomer("C1".into()))
        );
        // Esc closes a list.
        s.mode = Mode::List(Box::new(CustomerList::new(CustomerSet::Lost, vec![])));
        assert_eq!(update(&mut s, Action::Enter), None);
        update(&mut s, Action::Back);
        assert_eq!(s.mode, Mode::Dashboard);
    }

    #[test]
    fn a_drill_down_list_narrows_to_the_ids_holding_the_text_typed() {
        use crate::metrics::lists::CustomerSet;
        let mut s = state();
        let rows = ["ann@example.com", "Bob@Example.com", "C00412", "c00415"].map(listed);
        s.mode = Mode::List(Box::new(CustomerList::new(
            CustomerSet::Lost,
            rows.to_vec(),
        )));
        let shown = |s: &State| match &s.mode {
            Mode::List(l) => l.shown().map(|r| r.customer_id.clone()).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        let keymap = crate::app::keymap::Keymap::default();
        let key = |c| crate::app::keymap::Key::plain(crate::app::keymap::KeyCodeKey::Char(c));
        // `/` opens the filter: the keys are text now (q types a q, it does not close).
        update(&mut s, Action::Find);
        assert!(s.mode.takes_text());
        assert_eq!(keymap.resolve(&s.mode, key('q')), None);
        for c in "C004".chars() {
            input(&mut s, Input::Type(c));
        }
        assert_eq!(shown(&s), ["C00412", "c00415"]);
        input(&mut s, Input::Type('1'));
        input(&mut s, Input::Type('5'));
        assert_eq!(shown(&s), ["c00415"]);
        input(&mut s, Input::Erase);
        input(&mut s, Input::Erase);
        // Part of an email, in any case; no match leaves the list empty, not closed.
        for _ in 0..4 {
            input(&mut s, Input::Erase);
        }
        for c in "EXAMPLE".chars() {
            input(&mut s, Input::Type(c));
        }
        assert_eq!(shown(&s), ["ann@example.com", "Bob@Example.com"]);
        input(&mut s, Input::Type('z'));
        assert!(shown(&s).is_empty());
        assert_eq!(
            update(&mut s, Action::Enter),
            None,
            "Enter keeps the filter"
        );
        assert!(!s.mode.takes_text());
        input(&mut s, Input::Erase);
        assert!(shown(&s).is_empty(), "the box is closed: no typing");
        // Esc drops the filter (every row again), Esc again closes the list.
        update(&mut s, Action::Back);
        assert_eq!(shown(&s).len(), 4);
        update(&mut s, Action::Find);
        input(&mut s, Input::Type('b'));
        update(&mut s, Action::Enter);
        // Enter on a filtered list opens the row selected among those shown.
        assert_eq!(
            update(&mut s, Action::Enter),
            Some(Effect::OpenCustomer("Bob@Example.com".into()))
        );
        s.mode = Mode::List(Box::new(CustomerList::new(
            CustomerSet::Lost,
            rows.to_vec(),
        )));
        update(&mut s, Action::Find);
        input(&mut s, Input::Type('0'));
        update(&mut s, Action::Down);
        assert_eq!(update(&mut s, Action::Enter), None);
        // The order keeps the filter.
        update(&mut s, Action::RiskOrder);
        update(&mut s, Action::RiskOrder);
        update(&mut s, Action::RiskOrder);
        assert_eq!(shown(&s), ["C00412", "c00415"]);
        update(&mut s, Action::Back);
        update(&mut s, Action::Back);
        assert_eq!(s.mode, Mode::Dashboard);
    }

    #[test]
    fn compare_sets_two_segment_values_side_by_side_and_follows_the_period() {
        let mut s = state();
        s.choices.segments = vec![("plan".into(), vec![("basic".into(), 3), ("pro".into(), 2)])];
        update(&mut s, Action::Compare);
        update(&mut s, Action::SegmentPicker);
        let Mode::ComparePicker(p) = &s.mode else {
            panic!("{:?}", s.mode)
        };
        assert_eq!(p.title, "Compare all customers with");
        // (all customers), plan=basic, plan=pro: down twice.
        update(&mut s, Action::Down);
        update(&mut s, Action::Down);
        let Some(Effect::CompareWith(q)) = update(&mut s, Action::Enter) else {
            panic!("no comparison asked for")
        };
        assert_eq!(q.segment, Some(("plan".into(), "pro".into())));
        assert_eq!(
            (q.period, s.compare),
            (s.query.period, Some(Against::Segment))
        );
        let snap = crate::metrics::Snapshot::empty(&s.period());
        on_reply(&mut s, Reply::Compared(q.clone(), Ok(Box::new(snap))));
        assert!(s.compare_with.as_ref().is_some_and(|(_, o)| o.is_some()));
        // A reply for a column no longer asked for is dropped.
        let mut old = q.clone();
        old.segment = Some(("plan".into(), "basic".into()));
        let stale = crate::metrics::Snapshot::empty(&s.period());
        on_reply(&mut s, Reply::Compared(old, Ok(Box::new(stale))));
        assert_eq!(s.compare_with.as_ref().map(|(w, _)| w), Some(&q));
        // The period moves: when its view arrives, the other column follows.
        let e = update(&mut s, Action::PrevPeriod);
        let Some(Effect::Recompute(generation, _)) = e else {
            panic!("{e:?}")
        };
        let view = View {
            generation,
            snapshot: crate::metrics::Snapshot::empty(&s.period()),
            trend: Trend::default(),
            goals: vec![],
            alerts: vec![],
            followups: None,
        };
        let Some(Effect::CompareWith(q2)) = on_reply(&mut s, Reply::View(Box::new(view))) else {
            panic!("the other column does not follow the period")
        };
        assert_eq!(q2.period, s.query.period);
        assert_eq!(q2.segment, Some(("plan".into(), "pro".into())));
        // v closes the comparison and forgets the other column.
        update(&mut s, Action::Compare);
        assert_eq!((s.compare, s.compare_with.is_none()), (None, true));
    }

    #[test]
    fn find_asks_for_matches_as_you_type_and_keeps_only_the_current_ones() {
        let mut s = state();
        update(&mut s, Action::Find);
        assert_eq!(
            input(&mut s, Input::Type('c')),
            Some(Effect::FindMatches("c".into()))
        );
        assert_eq!(
            input(&mut s, Input::Type('0')),
            Some(Effect::FindMatches("c0".into()))
        );
        // The answer for "c" arrives late: dropped; the one for "c0" is kept.
        on_reply(&mut s, Reply::Matches("c".into(), vec!["C1".into()]));
        assert_eq!(s.find_matches, None);
        on_reply(
            &mut s,
            Reply::Matches("c0".into(), vec!["C01".into(), "C02".into()]),
        );
        assert_eq!(
            s.find_matches,
            Some(("c0".into(), vec!["C01".into(), "C02".into()]))
        );
        // Erasing everything asks for nothing and forgets the matches.
        input(&mut s, Input::Erase);
        assert_eq!(input(&mut s, Input::Erase), None);
        assert_eq!(s.find_matches, None);
    }

    #[test]
    fn compare_sets_the_period_against_any_other_with_brackets() {
        let mut s = state();
        // Outside the compare view the brackets do nothing.
        assert_eq!(update(&mut s, Action::CompareEarlier), None);
        update(&mut s, Action::Compare); // against the previous period
        let now = s.query.period;
        let Some(Effect::CompareWith(q)) = update(&mut s, Action::CompareEarlier) else {
            panic!("no comparison asked for")
        };
        // [ from the previous period: two periods back, same filters.
        assert_eq!(q.period, now.previous().previous());
        assert_eq!(s.compare, Some(Against::Period));
        let Some(Effect::CompareWith(q2)) = update(&mut s, Action::CompareEarlier) else {
            panic!()
        };
        assert_eq!(q2.period, now.previous().previous().previous());
        let Some(Effect::CompareWith(q3)) = update(&mut s, Action::CompareLater) else {
            panic!()
        };
        assert_eq!(q3.period, q.period);
        // The filter changes: the compared column keeps its period and takes the filter.
        s.query.segment = Some(("plan".into(), "pro".into()));
        let view = View {
            generation: s.generation,
            snapshot: crate::metrics::Snapshot::empty(&s.period()),
            trend: Trend::default(),
            goals: vec![],
            alerts: vec![],
            followups: None,
        };
        let Some(Effect::CompareWith(q4)) = on_reply(&mut s, Reply::View(Box::new(view))) else {
            panic!("the compared column does not follow the filter")
        };
        assert_eq!(
            (q4.period, q4.segment.clone()),
            (q.period, s.query.segment.clone())
        );
    }
}
