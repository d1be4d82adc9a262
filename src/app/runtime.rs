//! The runtime: the event loop, the worker and signal threads, the file
//! watcher and the terminal — the only place with channels and I/O. The
//! model (`state`, `action`, `keymap`, `update`) is pure.

use std::io::{self, Write as _};
use std::path::Path;
use std::sync::mpsc;

use crossterm::event::{self, Event, KeyEventKind, MouseButton, MouseEventKind};

use super::action::Action;
use super::keymap::{Key, KeyCodeKey, Keymap};
use super::state::{Effect, Mode, State};
use super::worker::{Reply, Request};
use super::{demo, update, worker};
use crate::data::{Scales, Sources};
use crate::metrics::{Granularity, Period, Query};
use crate::ui::{self, Theme};

/// What the dashboard needs to start.
pub struct Options {
    pub sources: Sources,
    pub scales: Scales,
    pub churn_window: Option<u32>,
    pub at_risk_threshold: f64,
    pub keymap: Keymap,
    pub theme: Theme,
    /// The period to open on (default: the latest month of the data).
    pub period: Option<Period>,
    /// Where parsed sources are cached between runs.
    pub cache_dir: Option<std::path::PathBuf>,
    pub goals: Vec<crate::metrics::goals::Goal>,
    pub alert_rules: crate::metrics::alerts::AlertRules,
    pub followups: Vec<crate::metrics::followups::FollowupRule>,
    /// Present the panes and periods in turn, a step per interval, until a key is pressed.
    pub demo: Option<std::time::Duration>,
}

enum Msg {
    Input(Event),
    Reply(Reply),
    /// A source file changed on disk.
    FileChanged,
    /// SIGTERM, SIGHUP or SIGINT: leave cleanly.
    Signal(i32),
}

/// Writes the current view to `holdfast-<period>.json` and `.csv` in `dir`.
pub fn export(state: &State, dir: &Path) -> io::Result<String> {
    let Some(report) = view_report(state) else {
        return Err(io::Error::other("nothing to export yet"));
    };
    let s = &report.snapshot;
    let stem = export_stem(s);
    // A drill-down list on screen: the list, as CSV and JSON.
    if let crate::app::state::Mode::List(list) = &state.mode {
        // The rows on screen: those the filter (`/`) kept.
        let rows: Vec<_> = list.shown().cloned().collect();
        let stem = format!("{stem}-{}", list.set.name());
        let files = [
            ("csv", crate::report::customers_csv(&rows)),
            ("json", crate::report::to_json(&rows) + "\n"),
        ];
        return write_files(dir, &stem, files);
    }
    // The focused table as CSV; on the Follow-ups pane, the follow-up list.
    let csv = if state.focus == crate::app::state::Pane::Followups {
        let rows: Vec<_> = state.followup_rows().into_iter().cloned().collect();
        crate::report::followups_csv(&rows)
    } else {
        crate::report::to_csv(s, state.focus.title())
    };
    let files = [
        ("csv", csv),
        ("json", crate::report::to_json(&report) + "\n"),
        ("md", crate::report::to_markdown(&report, false)),
    ];
    write_files(dir, &stem, files)
}

/// Writes `stem.ext` for each (ext, text), never over an existing file, and
/// says what was written. Text from files is escaped in the CSV and Markdown
/// (read in terminals and chats) and in JSON (as JSON escapes).
fn write_files<const N: usize>(
    dir: &Path,
    stem: &str,
    files: [(&str, String); N],
) -> io::Result<String> {
    let mut written = Vec::new();
    for (ext, text) in files {
        let safe = if ext == "json" {
            crate::text::visible_json(&text)
        } else {
            crate::text::visible(&text)
        };
        let path = crate::files::write_export(dir, stem, ext, safe.as_bytes())?;
        written.push(path.display().to_string());
    }
    Ok(format!("exported {}", written.join(", ")))
}

/// The view on screen as `report` prints it: snapshot, goals, alerts.
fn view_report(state: &State) -> Option<crate::metrics::Report> {
    let view = state.view.as_deref();
    Some(crate::metrics::Report {
        snapshot: state.snapshot()?.clone(),
        goals: view.map(|v| v.goals.clone()).unwrap_or_default(),
        alerts: view.map(|v| v.alerts.clone()).unwrap_or_default(),
    })
}

/// What `Y` copies: the list on screen as CSV, else the Markdown summary.
pub fn yank_text(state: &State) -> Option<(&'static str, String)> {
    if let crate::app::state::Mode::List(list) = &state.mode {
        let rows: Vec<_> = list.shown().cloned().collect();
        let csv = crate::report::customers_csv(&rows);
        return Some(("the list", crate::text::visible(&csv).into_owned()));
    }
    let report = view_report(state)?;
    Some((
        "the summary",
        crate::text::visible(&crate::report::to_markdown(&report, false)).into_owned(),
    ))
}

/// The OSC 52 sequence that puts `text` on the system clipboard: terminals
/// (and tmux with `set-clipboard on`) pass it on, over SSH too.
pub fn osc52(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4 + 8);
    out.push_str("\x1b]52;c;");
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.push('\x07');
    out
}

/// `holdfast-<period>[-<column>-<value>][-cohort-<label>]`, in characters
/// safe in any file name: exports of different filters never share a name.
pub fn export_stem(s: &crate::metrics::Snapshot) -> String {
    let mut stem = format!("holdfast-{}", s.period.label);
    if let Some(seg) = &s.filters.segment {
        stem.push('-');
        stem.push_str(&seg.replacen('=', "-", 1));
    }
    if let Some(c) = &s.filters.cohort {
        stem.push_str("-cohort-");
        stem.push_str(c);
    }
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Performs an effect's I/O (requests to the worker, the export files);
/// returns false when the app must stop. State changes happen in `update`.
fn apply(effect: Effect, state: &mut State, requests: &mpsc::Sender<Request>) -> bool {
    match effect {
        Effect::Quit => return false,
        Effect::Recompute(generation, q) => {
            let _ = requests.send(Request::Compute(generation, q));
        }
        Effect::OpenCustomer(id) => {
            let _ = requests.send(Request::Customer(state.query.clone(), id));
        }
        Effect::List(set) => {
            let _ = requests.send(Request::List(state.query.clone(), set));
        }
        Effect::CompareWith(q) => {
            let _ = requests.send(Request::CompareWith(q));
        }
        Effect::FindMatches(text) => {
            let _ = requests.send(Request::Matches(text));
        }
        Effect::Export => {
            state.status = Some(match export(state, Path::new(".")) {
                Ok(msg) => msg,
                Err(e) => format!("export failed: {e}"),
            });
        }
        Effect::Reload => {
            let _ = requests.send(Request::Reload);
        }
        Effect::Yank => {
            state.status = Some(match yank_text(state) {
                None => "nothing to copy yet".into(),
                Some((what, text)) => {
                    let mut out = io::stdout();
                    match out
                        .write_all(osc52(&text).as_bytes())
                        .and_then(|()| out.flush())
                    {
                        Ok(()) => format!(
                            "copied {what} to the clipboard (OSC 52; if nothing arrives, the terminal does not allow it: use e to export)"
                        ),
                        Err(e) => format!("copy failed: {e}"),
                    }
                }
            });
        }
    }
    true
}

fn on_key(state: &mut State, keymap: &Keymap, key: Key, requests: &mpsc::Sender<Request>) -> bool {
    state.status = None;
    // A bound key is an action; in a text box, other keys are typed.
    let input = match (keymap.resolve(&state.mode, key), key.code) {
        (Some(action), _) => update::Input::Action(action),
        (None, KeyCodeKey::Char(c)) if !key.ctrl && state.mode.takes_text() => {
            update::Input::Type(c)
        }
        (None, KeyCodeKey::Backspace) if state.mode.takes_text() => update::Input::Erase,
        (None, _) => return true,
    };
    match update::input(state, input) {
        Some(effect) => apply(effect, state, requests),
        None => true,
    }
}

fn on_mouse(
    state: &mut State,
    kind: MouseEventKind,
    col: u16,
    row: u16,
    area: ratatui::layout::Rect,
) {
    let hit = ui::pane_areas(area, state)
        .into_iter()
        .find(|(_, r)| r.contains((col, row).into()));
    match kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if let (Mode::Dashboard, Some((pane, _))) = (&state.mode, hit) {
                state.focus = pane;
            }
        }
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            if let Some((pane, _)) = hit {
                state.focus = pane;
            }
            let action = if kind == MouseEventKind::ScrollDown {
                Action::Down
            } else {
                Action::Up
            };
            let _ = update::update(state, action);
        }
        _ => {}
    }
}

/// Watches the folders of the source files (exports are often replaced, not
/// edited in place) and reports changes to those files. `None` when nothing
/// can be watched (embedded sample data, or no watcher on this platform).
fn watch(sources: &Sources, to_loop: mpsc::Sender<Msg>) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let paths: Vec<std::path::PathBuf> = sources
        .all()
        .filter_map(|s| match &s.origin {
            crate::data::Origin::Path(p) => std::fs::canonicalize(p).ok(),
            _ => None,
        })
        .collect();
    if paths.is_empty() {
        return None;
    }
    let watched = paths.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        if event.paths.iter().any(|p| {
            watched
                .iter()
                .any(|w| p == w || std::fs::canonicalize(p).is_ok_and(|c| c == *w))
        }) {
            let _ = to_loop.send(Msg::FileChanged);
        }
    })
    .ok()?;
    let mut folders: Vec<&Path> = paths.iter().filter_map(|p| p.parent()).collect();
    folders.sort();
    folders.dedup();
    for f in folders {
        let _ = watcher.watch(f, notify::RecursiveMode::NonRecursive);
    }
    Some(watcher)
}

/// Runs the dashboard until the user quits. The terminal is restored on
/// every exit path, including panics (ratatui's hook) and errors.
pub fn run(opts: Options) -> Result<(), String> {
    let process_start = std::time::Instant::now();
    let Options {
        sources,
        scales,
        churn_window,
        at_risk_threshold,
        keymap,
        theme,
        period,
        cache_dir,
        goals,
        alert_rules,
        followups,
        demo,
    } = opts;
    let mut query = Query::new(period.unwrap_or(Period {
        granularity: Granularity::Month,
        year: 1970,
        number: 1,
    }));
    query.churn_window = churn_window;
    let mut state = State::new(query, Default::default(), None);
    state.computing = true;
    if demo.is_some() {
        state.demo = Some(demo::Demo::start());
    }
    let mut demo_at = std::time::Instant::now();

    let (msg_tx, msg_rx) = mpsc::channel::<Msg>();
    let (req_tx, req_rx) = mpsc::channel::<Request>();
    let (rep_tx, rep_rx) = mpsc::channel::<Reply>();
    // Live reload: a changed source file reloads once it has been quiet for half a second.
    let _watcher = watch(&sources, msg_tx.clone());
    let g = period.map_or(Granularity::Month, |p| p.granularity);
    std::thread::Builder::new()
        .name("holdfast-worker".into())
        .spawn(move || {
            let setup = worker::Setup {
                sources,
                scales,
                cache_dir,
                granularity: g,
                window: churn_window,
                threshold: at_risk_threshold,
                goals,
                rules: alert_rules,
                followups,
            };
            worker::run(setup, req_rx, rep_tx)
        })
        .map_err(|e| e.to_string())?;
    // A terminating signal ends the loop like `q`, so the terminal is restored.
    let signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ]);
    if let Ok(mut signals) = signals {
        let to_loop = msg_tx.clone();
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let _ = to_loop.send(Msg::Signal(sig));
            }
        });
    }
    let forward = msg_tx.clone();
    std::thread::spawn(move || {
        while let Ok(r) = rep_rx.recv() {
            if forward.send(Msg::Reply(r)).is_err() {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if msg_tx.send(Msg::Input(ev)).is_err() {
                break;
            }
        }
    });

    // Installed before ratatui's own hook, which restores the terminal first and then calls this.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(io::stdout(), crossterm::event::DisableMouseCapture);
        previous(info);
    }));
    crate::fault::terminal_taken();
    let mut terminal = ratatui::try_init().map_err(|e| format!("cannot open the terminal: {e}"))?;
    let _ = crossterm::execute!(io::stdout(), crossterm::event::EnableMouseCapture);
    let result = (|| -> Result<(), String> {
        state.requested_period = period;
        let draw = |terminal: &mut ratatui::DefaultTerminal, state: &State| {
            terminal
                .draw(|f| ui::render(f, state, &theme, &keymap))
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        draw(&mut terminal, &state)?;
        if std::env::var_os("HOLDFAST_TEST_PANIC").is_some() {
            panic!("test panic requested by HOLDFAST_TEST_PANIC");
        }
        let started = std::time::Instant::now();
        let mut stopped_by = None;
        let mut first_frame_log = std::env::var_os("HOLDFAST_FIRST_FRAME_LOG");
        let mut first_frame_drawn = false;
        let mut changed_at: Option<std::time::Instant> = None;
        loop {
            // While loading, wake up to show the time taken once it passes half a second.
            let msg = match msg_rx.recv_timeout(std::time::Duration::from_millis(250)) {
                Ok(m) => m,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(every) = demo
                        && state.demo.is_some()
                        && state.view.is_some()
                        && demo_at.elapsed() >= every
                    {
                        demo_at = std::time::Instant::now();
                        if let Some(effect) = demo::step(&mut state) {
                            apply(effect, &mut state, &req_tx);
                        }
                        draw(&mut terminal, &state)?;
                    }
                    if changed_at.is_some_and(|t| t.elapsed().as_millis() >= 500) {
                        changed_at = None;
                        apply(Effect::Reload, &mut state, &req_tx);
                        state.status = Some("a source file changed: reloading…".into());
                        draw(&mut terminal, &state)?;
                    }
                    if state.loading.is_some() && started.elapsed().as_millis() >= 500 {
                        state.status = Some(format!(
                            "{} … {:.1} s",
                            state.loading.as_deref().unwrap_or("loading"),
                            started.elapsed().as_secs_f64()
                        ));
                        draw(&mut terminal, &state)?;
                    }
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let keep_going = match msg {
                // Any key ends the demo and hands the dashboard over (q still quits).
                Msg::Input(Event::Key(k))
                    if k.kind != KeyEventKind::Release
                        && state.demo.is_some()
                        && Key::from_event(&k).and_then(|key| keymap.resolve(&state.mode, key))
                            != Some(crate::app::action::Action::Quit) =>
                {
                    state.demo = None;
                    state.status = Some("demo stopped: the dashboard is yours (? for help)".into());
                    true
                }
                Msg::Input(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                    let area = terminal.get_frame().area();
                    state.screen = (area.width, area.height);
                    match Key::from_event(&k) {
                        Some(key) => on_key(&mut state, &keymap, key, &req_tx),
                        None => true,
                    }
                }
                Msg::Input(Event::Mouse(m)) => {
                    let area = terminal.get_frame().area();
                    on_mouse(&mut state, m.kind, m.column, m.row, area);
                    true
                }
                Msg::Input(_) => true,
                Msg::FileChanged => {
                    changed_at = Some(std::time::Instant::now());
                    continue;
                }
                Msg::Signal(sig) => {
                    stopped_by = Some(sig);
                    false
                }
                Msg::Reply(r) => {
                    if let Some(effect) = update::on_reply(&mut state, r) {
                        apply(effect, &mut state, &req_tx);
                    }
                    true
                }
            };
            if !keep_going || state.quit {
                break;
            }
            draw(&mut terminal, &state)?;
            // The first frame with data: traced (HOLDFAST_TRACE_LOAD), and written
            // to HOLDFAST_FIRST_FRAME_LOG=FILE when set.
            if state.view.is_some() && !first_frame_drawn {
                first_frame_drawn = true;
                crate::data::trace("first frame with data drawn");
                if let Some(path) = first_frame_log.take() {
                    let _ = std::fs::write(
                        path,
                        format!("{:.1} ms\n", process_start.elapsed().as_secs_f64() * 1000.0),
                    );
                }
            }
        }
        match stopped_by {
            Some(sig) => Err(format!("stopped by signal {sig}")),
            None => Ok(()),
        }
    })();
    let _ = crossterm::execute!(io::stdout(), crossterm::event::DisableMouseCapture);
    ratatui::restore();
    crate::fault::terminal_released();
    result
}

#[cfg(test)]
mod tests {
    use super::update::default_period;
    use crate::calendar::days_from_civil as d;

    #[test]
    fn the_default_period_is_the_latest_whole_month_until_half_is_counted() {
        assert_eq!(default_period(d(2026, 9, 30)).label(), "2026-09");
        assert_eq!(default_period(d(2026, 11, 19)).label(), "2026-11");
        assert_eq!(default_period(d(2026, 11, 15)).label(), "2026-11");
        assert_eq!(default_period(d(2026, 11, 14)).label(), "2026-10");
        assert_eq!(default_period(d(2026, 2, 13)).label(), "2026-01");
        assert_eq!(default_period(d(2026, 2, 14)).label(), "2026-02");
    }
}

#[cfg(test)]
mod yank_tests {
    use super::osc52;

    #[test]
    fn osc52_carries_the_text_in_base64() {
        assert_eq!(osc52(""), "\x1b]52;c;\x07");
        assert_eq!(osc52("a"), "\x1b]52;c;YQ==\x07");
        assert_eq!(osc52("ab"), "\x1b]52;c;YWI=\x07");
        assert_eq!(osc52("abc"), "\x1b]52;c;YWJj\x07");
        assert_eq!(osc52("hello"), "\x1b]52;c;aGVsbG8=\x07");
        assert_eq!(osc52("NPS ±"), "\x1b]52;c;TlBTIMKx\x07");
    }
}
