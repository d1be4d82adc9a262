//! The real binary in a real terminal (tmux): start, see the KPIs, move the
//! period, open help, quit, and find the terminal restored; the same after a
//! panic. tmux is installed by .ci/run when missing; elsewhere a missing tmux
//! skips these tests with one line each (under `CI=true` it fails them).

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// (tool, the Debian package that brings it).
const TMUX: (&str, &str) = ("tmux", "tmux");
const PKILL: (&str, &str) = ("pkill", "procps");

/// Whether `tool` is an executable file in one of the folders of `path`.
fn on_path(tool: &str, path: Option<&OsStr>) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.map(std::env::split_paths)
        .into_iter()
        .flatten()
        .map(|dir| dir.join(tool))
        .any(|p| {
            std::fs::metadata(&p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Whether a test that needs `tools` can run: `Ok(true)` when all are there,
/// `Ok(false)` with the line to print when one is missing outside CI, `Err`
/// under CI (where `.ci/run` installs them, so a missing one is a failure).
fn decide(
    tools: &[(&str, &str)],
    path: Option<&OsStr>,
    ci: Option<&OsStr>,
) -> Result<Option<String>, String> {
    let Some((tool, package)) = tools.iter().find(|(t, _)| !on_path(t, path)) else {
        return Ok(None);
    };
    let in_ci = ci.is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    let line = format!(
        "skipped: {tool} not installed; `apt-get install {package}` to run the end-to-end tests"
    );
    if in_ci {
        Err(format!(
            "{tool} is not installed, and CI must run the end-to-end tests ({line})"
        ))
    } else {
        Ok(Some(line))
    }
}

/// Whether this test can run here; prints why not when it cannot.
fn ready(test: &str, tools: &[(&str, &str)]) -> bool {
    let path = std::env::var_os("PATH");
    let ci = std::env::var_os("CI");
    match decide(tools, path.as_deref(), ci.as_deref()) {
        Ok(None) => true,
        Ok(Some(line)) => {
            // Straight to stderr: the test harness captures `eprintln!` of passing tests.
            use std::io::Write as _;
            let message = format!("{test}: {line}\n");
            let _ = std::io::stderr().lock().write_all(message.as_bytes());
            false
        }
        Err(message) => panic!("{message}"),
    }
}

#[test]
fn missing_tools_skip_outside_ci_and_fail_under_it() {
    let empty = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let tmux = bin.path().join("tmux");
    std::fs::write(&tmux, "#!/bin/sh\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmux, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let without = std::env::join_paths([empty.path(), Path::new("/nonexistent")]).unwrap();
    let with = std::env::join_paths([empty.path(), bin.path()]).unwrap();
    let skipped = "skipped: tmux not installed; `apt-get install tmux` to run the end-to-end tests";
    assert_eq!(
        decide(&[TMUX], Some(&without), None),
        Ok(Some(skipped.to_string()))
    );
    assert_eq!(
        decide(&[TMUX], Some(&without), Some(OsStr::new("false"))),
        Ok(Some(skipped.to_string()))
    );
    assert!(decide(&[TMUX], Some(&without), Some(OsStr::new("true"))).is_err());
    assert_eq!(
        decide(&[TMUX], Some(&with), Some(OsStr::new("true"))),
        Ok(None)
    );
    assert_eq!(decide(&[TMUX], None, None), Ok(Some(skipped.to_string())));
    // The second tool of a test is looked up too.
    assert_eq!(
        decide(&[TMUX, PKILL], Some(&with), None),
        Ok(Some(
            "skipped: pkill not installed; `apt-get install procps` to run the end-to-end tests"
                .to_string()
        ))
    );
}

struct Session(String);

impl Session {
    /// The exact-match target: a bare name would also match other sessions by prefix.
    fn target(&self) -> String {
        format!("={}", self.0)
    }

    /// The session's pane, matched exactly.
    fn pane(&self) -> String {
        format!("={}:", self.0)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.target()])
            .output();
    }
}

fn tmux(args: &[&str]) -> String {
    let o = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux runs (installed by .ci/run)");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn start(name: &str) -> Session {
    let _ = Command::new("tmux")
        .args(["kill-session", "-t", &format!("={name}")])
        .output();
    let status = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            name,
            "bash --norc --noprofile",
        ])
        .env("PS1", "$ ")
        .status()
        .expect("tmux is installed");
    assert!(status.success());
    Session(name.to_string())
}

fn screen(s: &Session) -> String {
    tmux(&["capture-pane", "-p", "-t", &s.pane()])
}

fn wait_for(s: &Session, what: &str) -> String {
    wait_for_all(s, &[what])
}

/// Waits until every one of `what` is on screen at once (a capture can
/// catch a frame half painted, so one string is not proof of the rest).
fn wait_for_all(s: &Session, what: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = screen(s);
        if what.iter().all(|w| text.contains(w)) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what:?}; screen:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits for a screen line that starts with `prefix` (not the echoed command line).
fn wait_for_line(s: &Session, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = screen(s);
        if let Some(line) = text.lines().find(|l| l.starts_with(prefix)) {
            return format!("{line}\n{text}");
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for a line {prefix:?}; screen:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn keys(s: &Session, keys: &[&str]) {
    let pane = s.pane();
    let mut args = vec!["send-keys", "-t", &pane];
    args.extend_from_slice(keys);
    tmux(&args);
}

fn run_holdfast(s: &Session, env: &str) {
    let bin = env!("CARGO_BIN_EXE_holdfast");
    let dir = env!("CARGO_MANIFEST_DIR");
    let cmd = format!(
        "cd {dir} && HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent {env} {bin} --period 2026-03; echo HOLDFAST_EXIT=$?"
    );
    keys(s, &[&cmd, "Enter"]);
}

/// Starts a session running the dashboard on an orders file with `text`
/// (in a temporary folder, returned so the test can change the file).
fn on_orders(name: &str, text: &str, args: &str) -> (Session, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let orders = dir.path().join("orders.csv");
    std::fs::write(&orders, text).unwrap();
    let s = start(name);
    let bin = env!("CARGO_BIN_EXE_holdfast");
    let cmd = format!(
        "HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent {bin} --no-cache --orders {} {args}; echo HOLDFAST_EXIT=$?",
        orders.display()
    );
    keys(&s, &[&cmd, "Enter"]);
    (s, dir)
}

fn assert_restored(s: &Session) {
    assert_eq!(
        tmux(&["display-message", "-p", "-t", &s.pane(), "#{alternate_on}"]).trim(),
        "0",
        "left the alternate screen"
    );
    keys(
        s,
        &[
            "clear; stty -a | tr ' ;' '\\n\\n' | grep -qx icanon && echo TERMINAL_COOKED",
            "Enter",
        ],
    );
    wait_for_line(s, "TERMINAL_COOKED");
}

#[test]
fn drive_the_dashboard_and_quit() {
    if !ready("drive_the_dashboard_and_quit", &[TMUX]) {
        return;
    }
    let s = start("hf-e2e-drive");
    run_holdfast(&s, "");
    let panes = [
        "Retention",
        "Churn",
        "NPS",
        "CSAT",
        "Trends",
        "Customers & revenue",
        "Churn risk",
    ];
    let first = wait_for_all(&s, &panes);
    assert!(first.contains("2026-03 (month)"), "{first}");
    // The fit arrives after the view: the churn-risk line then counts the expected active.
    wait_for_all(&s, &["Revenue retention", "NRR", "expected active"]);
    keys(&s, &["Right"]);
    wait_for(&s, "2026-04 (month)");
    keys(&s, &["h"]);
    wait_for(&s, "2026-03 (month)");
    // The cohort table by revenue: Tab to it, `$` switches.
    for _ in 0..6 {
        keys(&s, &["Tab"]);
    }
    wait_for(&s, "cohort     size");
    keys(&s, &["$"]);
    wait_for(&s, "revenue       first");
    keys(&s, &["Q"]);
    wait_for(&s, "2026-Q1 (quarter)");
    keys(&s, &["?"]);
    let help = wait_for(&s, "previous period");
    assert!(help.contains("next period"), "{help}");
    // The help scrolls down to its last keys.
    keys(&s, &["PgDn", "PgDn", "PgDn"]);
    wait_for(&s, "quit");
    keys(&s, &["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!screen(&s).contains("previous period"), "help closed");
    keys(&s, &["q"]);
    let exit = wait_for_line(&s, "HOLDFAST_EXIT=");
    assert!(exit.starts_with("HOLDFAST_EXIT=0"), "{exit}");
    assert_restored(&s);
}

#[test]
fn a_panic_restores_the_terminal_and_prints_the_message() {
    if !ready(
        "a_panic_restores_the_terminal_and_prints_the_message",
        &[TMUX],
    ) {
        return;
    }
    let s = start("hf-e2e-panic");
    run_holdfast(&s, "HOLDFAST_TEST_PANIC=1");
    let out = wait_for_line(&s, "HOLDFAST_EXIT=");
    assert!(out.starts_with("HOLDFAST_EXIT=101"), "{out}");
    assert!(
        out.contains("test panic requested by HOLDFAST_TEST_PANIC"),
        "{out}"
    );
    assert_restored(&s);
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    if !ready("sigterm_and_sighup_restore_the_terminal", &[TMUX, PKILL]) {
        return;
    }
    for (sig, name) in [("TERM", "15"), ("HUP", "1")] {
        let s = start(&format!("hf-e2e-sig-{sig}"));
        run_holdfast(&s, "");
        wait_for(&s, "Retention");
        let shell = tmux(&["display-message", "-p", "-t", &s.pane(), "#{pane_pid}"]);
        let status = Command::new("pkill")
            .args([&format!("-{sig}"), "-P", shell.trim()])
            .status()
            .expect("pkill");
        assert!(status.success(), "signalled holdfast");
        let out = wait_for_line(&s, "HOLDFAST_EXIT=");
        assert!(out.contains(&format!("stopped by signal {name}")), "{out}");
        assert!(out.starts_with("HOLDFAST_EXIT=2"), "{out}");
        assert_restored(&s);
    }
}

/// A source file cut short while it is mapped raises SIGBUS (sent here by
/// hand): the terminal is given back and the message says why.
#[test]
fn a_bus_error_restores_the_terminal_and_says_why() {
    if !ready(
        "a_bus_error_restores_the_terminal_and_says_why",
        &[TMUX, PKILL],
    ) {
        return;
    }
    let s = start("hf-e2e-sigbus");
    run_holdfast(&s, "");
    wait_for(&s, "Retention");
    let shell = tmux(&["display-message", "-p", "-t", &s.pane(), "#{pane_pid}"]);
    let status = Command::new("pkill")
        .args(["-BUS", "-P", shell.trim()])
        .status()
        .expect("pkill");
    assert!(status.success(), "signalled holdfast");
    let out = wait_for_line(&s, "HOLDFAST_EXIT=");
    assert!(out.starts_with("HOLDFAST_EXIT=74"), "{out}");
    assert!(
        screen(&s).contains("a source file was cut short while it was being read"),
        "{}",
        screen(&s)
    );
    assert_restored(&s);
}

#[test]
fn a_changed_file_reloads_and_a_broken_one_keeps_the_last_good_data() {
    if !ready(
        "a_changed_file_reloads_and_a_broken_one_keeps_the_last_good_data",
        &[TMUX],
    ) {
        return;
    }
    let (s, dir) = on_orders(
        "hf-e2e-reload",
        "customer_id,order_date,amount\nc1,2024-03-05,123.45\n",
        "--period 2024-03",
    );
    let orders = dir.path().join("orders.csv");
    wait_for(&s, "123.45");
    std::fs::write(
        &orders,
        "customer_id,order_date,amount\nc1,2024-03-05,678.90\n",
    )
    .unwrap();
    let screen_after = wait_for(&s, "678.90");
    assert!(
        !screen_after.contains("123.45"),
        "the new numbers replaced the old:\n{screen_after}"
    );
    // A broken file: the last good numbers stay, the error is shown.
    std::fs::write(&orders, "").unwrap();
    let broken = wait_for(&s, "reload failed, showing the last good data");
    assert!(broken.contains("678.90"), "{broken}");
    keys(&s, &["q"]);
    let exit = wait_for_line(&s, "HOLDFAST_EXIT=");
    assert!(exit.starts_with("HOLDFAST_EXIT=0"), "{exit}");
}

/// `holdfast demo` on a fresh machine: no config (HOME and XDG point nowhere),
/// the bundled data, captions that move on by themselves, any key hands over.
#[test]
fn the_demo_presents_itself_and_any_key_hands_over() {
    if !ready("the_demo_presents_itself_and_any_key_hands_over", &[TMUX]) {
        return;
    }
    let s = start("hf-e2e-demo");
    let bin = env!("CARGO_BIN_EXE_holdfast");
    let cmd = format!(
        "cd /tmp && HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent {bin} demo --interval 1; echo HOLDFAST_EXIT=$?"
    );
    keys(&s, &[&cmd, "Enter"]);
    wait_for(&s, "demo · any key takes over");
    let first = wait_for(&s, "┌ Retention");
    assert!(first.contains("Trends — "), "{first}");
    // It moves on by itself: the Customers pane's caption follows the Trends
    // one, in a plain sentence with the figures on screen.
    let later = wait_for(&s, "Customers & revenue — Of the");
    assert!(
        later.contains("customers active at the start of"),
        "{later}"
    );
    assert!(
        later.contains("⚠"),
        "the demo's alerts are counted:\n{later}"
    );
    // Goals come with the demo (no config needed) and show on the tiles.
    wait_for(&s, "Goals — the targets set in the config");
    keys(&s, &["Space"]);
    wait_for(&s, "demo stopped: the dashboard is yours");
    let caption_seen_after = {
        std::thread::sleep(Duration::from_millis(2500));
        screen(&s)
    };
    assert!(
        !caption_seen_after.contains("demo · any key takes over"),
        "the caption is gone and stays gone:\n{caption_seen_after}"
    );
    keys(&s, &["q"]);
    let exit = wait_for_line(&s, "HOLDFAST_EXIT=");
    assert!(exit.starts_with("HOLDFAST_EXIT=0"), "{exit}");
    assert_restored(&s);
}

/// An export that ends mid-month (Nov 19): the dashboard opens on the period
/// to date — the quarter, since a month is shorter than three purchase cycles
/// here — → does not walk into empty periods, and month and year are to date too.
#[test]
fn an_export_ending_mid_month_opens_to_date_and_goes_no_further() {
    if !ready(
        "an_export_ending_mid_month_opens_to_date_and_goes_no_further",
        &[TMUX],
    ) {
        return;
    }
    let (s, _dir) = on_orders(
        "hf-e2e-to-date",
        "customer_id,order_date,amount\nc1,2025-10-03,10\nc2,2025-10-20,20\nc1,2025-11-02,30\nc3,2025-11-19,40\n",
        "",
    );
    let first = wait_for(&s, "opened on quarter periods");
    assert!(
        first.contains("2025-Q4 (quarter) to date: to 2025-11-19"),
        "{first}"
    );
    keys(&s, &["m"]);
    wait_for(&s, "2025-11 (month) to date: to 2025-11-19");
    keys(&s, &["Right"]);
    keys(&s, &["Right"]);
    let still = wait_for(&s, "no data after 2025-11: the data ends on 2025-11-19");
    assert!(still.contains("2025-11 (month)"), "{still}");
    keys(&s, &["y"]);
    let year = wait_for(&s, "2025 (year) to date: to 2025-11-19");
    assert!(!year.contains("2026"), "{year}");
    keys(&s, &["q"]);
    let exit = wait_for_line(&s, "HOLDFAST_EXIT=");
    assert!(exit.starts_with("HOLDFAST_EXIT=0"), "{exit}");
}

/// A manager's walk: open, compare with a year ago, drill into the lost
/// customers, export that list, open one of them, quit.
#[test]
fn compare_a_year_ago_drill_into_lost_export_and_open_a_customer() {
    if !ready(
        "compare_a_year_ago_drill_into_lost_export_and_open_a_customer",
        &[TMUX],
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = start("hf-e2e-drill");
    let bin = env!("CARGO_BIN_EXE_holdfast");
    let cmd = format!(
        "cd {} && HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent {bin} --period 2026-03; echo HOLDFAST_EXIT=$?",
        dir.path().display()
    );
    keys(&s, &[&cmd, "Enter"]);
    wait_for_all(&s, &["Retention", "Customers & revenue"]);
    keys(&s, &["v"]);
    wait_for(&s, "Compare with the previous period");
    keys(&s, &["v"]);
    let ago = wait_for(&s, "Compare with a year ago");
    assert!(ago.contains("2025-03"), "{ago}");
    // [ sets it against any earlier period: February 2025.
    keys(&s, &["["]);
    wait_for(&s, "Compare 2026-03 with 2025-02");
    keys(&s, &["v"]);
    wait_for(&s, "Customers & revenue");
    // Y copies the summary through OSC 52: tmux (set-clipboard on) keeps it
    // in its paste buffer, as a terminal would put it on the clipboard.
    tmux(&["set-option", "-s", "set-clipboard", "on"]);
    keys(&s, &["Y"]);
    wait_for(&s, "copied the summary to the clipboard");
    let copied = tmux(&["show-buffer"]);
    assert!(copied.starts_with("## holdfast: 2026-03"), "{copied}");
    // Find shows the matches as the id is typed.
    keys(&s, &["/"]);
    wait_for(&s, "Find a customer");
    keys(&s, &["c0140"]);
    let found = wait_for(&s, "C01407");
    assert!(
        found.contains("C01400") && found.contains("… more"),
        "{found}"
    );
    keys(&s, &["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    // The Customers pane: Enter lists the sets with their counts.
    keys(&s, &["Tab", "Enter"]);
    wait_for(&s, "Lost customers (73)");
    keys(&s, &["Enter"]);
    let list = wait_for(&s, "Lost customers in 2026-03: 73");
    keys(&s, &["e"]);
    wait_for(&s, "exported");
    let csv = std::fs::read_to_string(dir.path().join("holdfast-2026-03-lost.csv")).unwrap();
    assert_eq!(csv.lines().count(), 74, "{csv}");
    // `/` narrows the list to the ids holding what is typed; e exports the
    // rows shown (beside the first export, never over it); Esc shows all.
    keys(&s, &["/"]);
    keys(&s, &["c01"]);
    wait_for(&s, "of 73 (Enter keeps, Esc drops)");
    keys(&s, &["Enter"]);
    wait_for(&s, "(Esc shows all)");
    keys(&s, &["e"]);
    wait_for(&s, "lost-2.csv");
    let narrowed = std::fs::read_to_string(dir.path().join("holdfast-2026-03-lost-2.csv")).unwrap();
    let rows: Vec<&str> = narrowed.lines().skip(1).collect();
    assert!(!rows.is_empty() && rows.len() < 73, "{narrowed}");
    assert!(rows.iter().all(|r| r.starts_with("C01")), "{narrowed}");
    keys(&s, &["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    let all = screen(&s);
    assert!(
        all.contains("Lost customers in 2026-03: 73") && !all.contains("Esc shows all"),
        "{all}"
    );
    // The first row's customer opens with Enter.
    // The id under the header's "customer", on the line after it.
    let lines: Vec<&str> = list.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("customer  first"))
        .unwrap();
    let col = lines[at].chars().count()
        - lines[at]
            .split("customer  first")
            .nth(1)
            .unwrap()
            .chars()
            .count()
        - "customer  first".len();
    let first: String = lines[at + 1]
        .chars()
        .skip(col)
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(
        csv.lines().nth(1).unwrap().starts_with(&first),
        "{first}\n{csv}"
    );
    keys(&s, &["Enter"]);
    wait_for(&s, &format!("Customer {first}"));
    // Escape then the next key as two presses (together they read as Alt-key).
    keys(&s, &["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    // > scrolls the cohort table on to its later ages.
    keys(&s, &[">"]);
    wait_for(&s, "cohort ◀");
    keys(&s, &["q"]);
    let exit = wait_for_line(&s, "HOLDFAST_EXIT=");
    assert!(exit.starts_with("HOLDFAST_EXIT=0"), "{exit}");
    assert_restored(&s);
}
