//! Hostile files and shared folders: escape sequences in ids, segments,
//! comments, categories and headers never reach a terminal; exports never
//! follow a planted symlink nor overwrite a file; devices, FIFOs, gzip and
//! workbook bombs are refused at the memory bound; the cache is private.

#![allow(clippy::unwrap_used)] // tests, benches and examples unwrap freely

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn holdfast_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_holdfast"));
    cmd.args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // Nothing here may hang: a FIFO without a writer, /dev/zero.
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("holdfast {args:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// C0 and C1 controls (but newline and tab) and DEL, as bytes in UTF-8 text.
fn has_controls(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.chars().any(holdfast::text::is_hidden)
}

const ESC_TITLE: &str = "\u{1b}]0;pwned\u{7}";
const ESC_CLEAR: &str = "\u{1b}[2J";
const CSI_C1: &str = "\u{9b}31m";
const OSC52: &str = "\u{1b}]52;c;cm0gLXJmIH4=\u{7}";

fn hostile_files(dir: &Path) {
    let mut orders = format!("order_id,customer_id,order_date,amount,plan{ESC_CLEAR}\n");
    for (i, day) in (1..=28).enumerate() {
        let id = if i % 2 == 0 {
            format!("c1{ESC_TITLE}")
        } else {
            format!("c2{CSI_C1}")
        };
        let plan = if i % 3 == 0 {
            format!("pro{ESC_CLEAR}")
        } else {
            format!("basic{OSC52}")
        };
        orders.push_str(&format!("o{i},{id},2024-03-{day:02},10.00,{plan}\n"));
    }
    std::fs::write(dir.join("orders.csv"), orders).unwrap();
    let mut feedback = String::from("responded_at,customer_id,score,comment\n");
    for day in 1..=20 {
        feedback.push_str(&format!(
            "2024-03-{day:02},c1{ESC_TITLE},3,\"slow {ESC_CLEAR}delivery{OSC52}\"\n"
        ));
    }
    std::fs::write(dir.join("feedback.csv"), feedback).unwrap();
    let mut tickets = String::from("ticket_id,created_at,solved_at,customer_id,category\n");
    for day in 1..=20 {
        tickets.push_str(&format!(
            "t{day}{ESC_CLEAR},2024-03-{day:02}T09:00:00,,c2{CSI_C1},billing{CSI_C1}\n"
        ));
    }
    std::fs::write(dir.join("tickets.csv"), tickets).unwrap();
}

#[test]
fn escape_sequences_in_files_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    hostile_files(d);
    let sources = [
        "--orders",
        "orders.csv",
        "--feedback",
        "feedback.csv",
        "--tickets",
        "tickets.csv",
    ];
    let run = |args: &[&str]| {
        let all: Vec<&str> = sources.iter().chain(args).copied().collect();
        holdfast_in(d, &all, &[])
    };
    let mut outputs = vec![
        (
            "table",
            run(&["report", "--period", "2024-03", "--format", "table"]),
        ),
        (
            "markdown",
            run(&["report", "--period", "2024-03", "--format", "markdown"]),
        ),
        ("json", run(&["report", "--period", "2024-03"])),
        (
            "segment",
            run(&[
                "report",
                "--period",
                "2024-03",
                "--format",
                "table",
                "--segment",
                &format!("plan{ESC_CLEAR}=pro{ESC_CLEAR}"),
            ]),
        ),
        (
            "customer",
            run(&[
                "customer",
                &format!("c1{ESC_TITLE}"),
                "--period",
                "2024-03",
                "--format",
                "text",
            ]),
        ),
        ("check", run(&["check"])),
        // An error quoting what came from a file (a segment the data lacks).
        (
            "error",
            run(&[
                "report",
                "--period",
                "2024-03",
                "--segment",
                &format!("nope{ESC_TITLE}=x"),
            ]),
        ),
    ];
    outputs.push((
        "file name",
        holdfast_in(d, &["check", &format!("orders{ESC_TITLE}.csv")], &[]),
    ));
    for (what, o) in &outputs {
        assert!(
            !has_controls(&o.stdout),
            "{what}: stdout {:?}",
            String::from_utf8_lossy(&o.stdout)
        );
        assert!(
            !has_controls(&o.stderr),
            "{what}: stderr {:?}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // The escapes are visible, not lost.
    let check = String::from_utf8_lossy(&outputs[5].1.stdout).into_owned();
    assert!(check.contains("plan\\u{1b}[2J"), "{check}");
    // JSON stays valid JSON and keeps the original text.
    let json: serde_json::Value = serde_json::from_slice(&outputs[2].1.stdout).unwrap();
    let risk_or_segment = json.to_string();
    assert!(risk_or_segment.contains("\\u001b"), "{risk_or_segment}");
    let customer = String::from_utf8_lossy(&outputs[4].1.stdout).into_owned();
    assert!(customer.contains("c1\\u{1b}]0;pwned\\u{7}"), "{customer}");
}

#[test]
fn the_dashboard_buffer_holds_no_control_character() {
    use holdfast::app::action::Action;
    use holdfast::app::keymap::Keymap;
    use holdfast::app::state::{Mode, State};
    use holdfast::app::update::update;
    use holdfast::data::{self, Scales, SourceKind, SourceOptions, SourceSpec, Sources};
    use holdfast::metrics::{Engine, Granularity, Period, Query};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let dir = tempfile::tempdir().unwrap();
    hostile_files(dir.path());
    let spec =
        |kind, f: &str| SourceSpec::path(kind, &dir.path().join(f), SourceOptions::default());
    let ds = data::load(
        &Sources::new(
            spec(SourceKind::Orders, "orders.csv"),
            Some(spec(SourceKind::Feedback, "feedback.csv")),
            Some(spec(SourceKind::Tickets, "tickets.csv")),
        ),
        Scales::default(),
    )
    .unwrap();
    let engine = Engine::new(&ds);
    let q = Query::new(Period::parse("2024-03").unwrap());
    let watch = holdfast::app::worker::Watch {
        goals: Vec::new(),
        rules: Default::default(),
        ..Default::default()
    };
    let view = holdfast::app::worker::view(&engine, 0, &q, &watch).unwrap();
    let mut state = State::new(
        q.clone(),
        holdfast::app::worker::choices(&ds, Granularity::Month),
        holdfast::metrics::data_range(&ds),
    );
    state.view = Some(std::sync::Arc::new(view));
    let customer = engine
        .customer_view(&q, &format!("c1{ESC_TITLE}"))
        .unwrap()
        .unwrap();
    let mut screens = vec![state.clone()];
    for action in [
        Action::DataQuality,
        Action::SegmentPicker,
        Action::Alerts,
        Action::Compare,
    ] {
        let mut s = state.clone();
        update(&mut s, action);
        screens.push(s);
    }
    let mut c = state.clone();
    c.mode = Mode::Customer(Box::new(customer));
    screens.push(c);
    for s in &screens {
        let mut t = Terminal::new(TestBackend::new(160, 48)).unwrap();
        t.draw(|f| holdfast::ui::render(f, s, &holdfast::ui::Theme::DARK, &Keymap::default()))
            .unwrap();
        for cell in t.backend().buffer().content() {
            assert!(
                !cell.symbol().chars().any(holdfast::text::is_hidden),
                "{:?} in {:?}",
                cell.symbol(),
                s.mode
            );
        }
    }
}

#[test]
fn exports_never_follow_a_planted_symlink_nor_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let target = d.join("precious.txt");
    std::fs::write(&target, "do not touch").unwrap();
    std::os::unix::fs::symlink(&target, d.join("holdfast-2026-03.csv")).unwrap();
    std::fs::write(d.join("holdfast-2026-03.json"), "an earlier export").unwrap();
    let ds = holdfast::data::load(&holdfast::sources::sample(), Default::default()).unwrap();
    let engine = holdfast::metrics::Engine::new(&ds);
    let q = holdfast::metrics::Query::new(holdfast::metrics::Period::parse("2026-03").unwrap());
    let watch = holdfast::app::worker::Watch {
        goals: Vec::new(),
        rules: Default::default(),
        ..Default::default()
    };
    let mut state = holdfast::app::state::State::new(q.clone(), Default::default(), None);
    state.view = Some(std::sync::Arc::new(
        holdfast::app::worker::view(&engine, 0, &q, &watch).unwrap(),
    ));
    let msg = holdfast::app::export(&state, d).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "do not touch");
    assert_eq!(
        std::fs::read_to_string(d.join("holdfast-2026-03.json")).unwrap(),
        "an earlier export"
    );
    for f in [
        "holdfast-2026-03-2.csv",
        "holdfast-2026-03-2.json",
        "holdfast-2026-03.md",
    ] {
        assert!(msg.contains(f), "{msg} should name {f}");
        let mode = std::fs::metadata(d.join(f)).unwrap().permissions().mode();
        assert_eq!(mode & 0o002, 0, "{f} is world-writable");
    }
    // A filtered view gets its own name.
    let mut filtered = state.clone();
    let mut fq = q.clone();
    fq.segment = Some(("plan".into(), "pro".into()));
    filtered.view = Some(std::sync::Arc::new(
        holdfast::app::worker::view(&engine, 0, &fq, &watch).unwrap(),
    ));
    let msg = holdfast::app::export(&filtered, d).unwrap();
    assert!(msg.contains("holdfast-2026-03-plan-pro.csv"), "{msg}");
}

#[test]
fn devices_fifos_and_folders_are_named_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = holdfast_in(
        d,
        &["--orders", "/dev/zero", "report", "--period", "2024-03"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/dev/zero: this is a character device, not a file"),
        "{err}"
    );
    let fifo = d.join("orders.csv");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let o = holdfast_in(
        d,
        &["--orders", "orders.csv", "report", "--period", "2024-03"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("this is a named pipe (FIFO), not a file"),
        "{err}"
    );
    assert!(err.contains("`-`"), "{err}");
}

#[test]
fn a_stream_past_the_bound_stops_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Standard input that never ends, with 4 MB of memory to use (1 MB per file).
    let mut child = Command::new(env!("CARGO_BIN_EXE_holdfast"))
        .args(["--orders", "-", "report", "--period", "2024-03"])
        .current_dir(d)
        .env("XDG_CONFIG_HOME", d.join("no-config"))
        .env("HOME", d)
        .env("HOLDFAST_MEMORY_AVAILABLE", "4000000")
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "stdin was not bounded"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("more than fits in memory"), "{err}");
}

#[test]
fn decompression_bombs_are_refused_at_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // gzip: 20 MB of one repeated line in about 20 KB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(b"order_id,customer_id,order_date,amount\n")
        .unwrap();
    let line = b"o1,c1,2024-03-01,10.00\n";
    for _ in 0..(20_000_000 / line.len()) {
        gz.write_all(line).unwrap();
    }
    let bytes = gz.finish().unwrap();
    assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
    std::fs::write(d.join("orders.csv.gz"), &bytes).unwrap();
    let limit = [("HOLDFAST_MEMORY_AVAILABLE", "16000000")];
    let o = holdfast_in(
        d,
        &["--orders", "orders.csv.gz", "report", "--period", "2024-03"],
        &limit,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("decompressed, the file holds more than 4 MB"),
        "{err}"
    );
    // A workbook whose shared strings claim 4 GB (the central directory says so).
    std::fs::write(d.join("orders.xlsx"), zip_claiming(u32::MAX - 1)).unwrap();
    let o = holdfast_in(
        d,
        &["--orders", "orders.xlsx", "report", "--period", "2024-03"],
        &limit,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("decompressed, the workbook would hold 4294 MB"),
        "{err}"
    );
}

/// A ZIP with one stored part, xl/sharedStrings.xml, whose central directory
/// claims `size` bytes uncompressed.
fn zip_claiming(size: u32) -> Vec<u8> {
    let name = b"xl/sharedStrings.xml";
    let data = b"<sst/>";
    let mut z = Vec::new();
    let le16 = |v: u16| v.to_le_bytes();
    let le32 = |v: u32| v.to_le_bytes();
    // Local file header.
    z.extend(le32(0x0403_4B50));
    z.extend(le16(20));
    z.extend(le16(0));
    z.extend(le16(0)); // stored
    z.extend(le32(0));
    z.extend(le32(0)); // crc
    z.extend(le32(data.len() as u32));
    z.extend(le32(size));
    z.extend(le16(name.len() as u16));
    z.extend(le16(0));
    z.extend(name);
    z.extend(data);
    let central = z.len() as u32;
    z.extend(le32(0x0201_4B50));
    z.extend(le16(20));
    z.extend(le16(20));
    z.extend(le16(0));
    z.extend(le16(0));
    z.extend(le32(0));
    z.extend(le32(0));
    z.extend(le32(data.len() as u32));
    z.extend(le32(size));
    z.extend(le16(name.len() as u16));
    z.extend(le16(0));
    z.extend(le16(0));
    z.extend(le16(0));
    z.extend(le16(0));
    z.extend(le32(0));
    z.extend(le32(0)); // local header offset
    z.extend(name);
    let central_len = z.len() as u32 - central;
    z.extend(le32(0x0605_4B50));
    z.extend(le16(0));
    z.extend(le16(0));
    z.extend(le16(1));
    z.extend(le16(1));
    z.extend(le32(central_len));
    z.extend(le32(central));
    z.extend(le16(0));
    z
}

#[test]
fn the_cache_is_private_and_a_planted_entry_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("orders.csv"),
        "order_id,customer_id,order_date,amount\no1,c1,2024-03-01,10.00\no2,c2,2024-03-02,20.00\n",
    )
    .unwrap();
    let args = ["--orders", "orders.csv", "report", "--period", "2024-03"];
    let first = holdfast_in(d, &args, &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let cache = d.join("cache/holdfast");
    assert_eq!(
        std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!entries.is_empty());
    for e in &entries {
        let mode = std::fs::metadata(e).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is {mode:o}", e.display());
    }
    // Every entry replaced by a symlink to a file of someone else's making:
    // ignored, rebuilt, the link's target untouched.
    let planted = d.join("planted");
    std::fs::write(&planted, "garbage").unwrap();
    for e in &entries {
        std::fs::remove_file(e).unwrap();
        std::os::unix::fs::symlink(&planted, e).unwrap();
    }
    let again = holdfast_in(d, &args, &[]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(again.stdout, first.stdout);
    assert_eq!(std::fs::read_to_string(&planted).unwrap(), "garbage");
    for e in &entries {
        assert!(
            !std::fs::symlink_metadata(e)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}

#[test]
fn a_remembered_churn_fit_gives_the_same_report_and_a_damaged_one_is_fitted_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let made = holdfast_in(d, &["sample", "--customers", "300", "--out", "data"], &[]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let args = [
        "--orders",
        "data/orders.csv",
        "report",
        "--period",
        "2026-03",
        "--format",
        "json",
    ];
    let fresh = holdfast_in(d, &[&["--no-cache"], &args[..]].concat(), &[]);
    assert!(
        fresh.status.success(),
        "{}",
        String::from_utf8_lossy(&fresh.stderr)
    );
    let report = String::from_utf8_lossy(&fresh.stdout).to_string();
    // (Small enough for the pipe: the helper reads the output at the end.)
    assert!(report.contains("\"log_likelihood\": -"), "{report}");
    let fits = d.join("cache/holdfast/fits");
    let entries = |dir: &Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .map(|l| l.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    };
    // --no-cache remembers nothing.
    assert!(entries(&fits).is_empty());
    let first = holdfast_in(d, &args, &[]);
    assert_eq!(first.stdout, fresh.stdout);
    let remembered = entries(&fits);
    assert_eq!(remembered.len(), 1, "{remembered:?}");
    assert_eq!(
        std::fs::metadata(&remembered[0])
            .unwrap()
            .permissions()
            .mode()
            & 0o077,
        0
    );
    // Reopened (index cache and remembered fit): the same bytes.
    let again = holdfast_in(d, &args, &[]);
    assert_eq!(again.stdout, fresh.stdout);
    // A damaged entry is fitted again, to the same bytes, and replaced.
    let good = std::fs::read(&remembered[0]).unwrap();
    let mut bad = good.clone();
    bad[40] ^= 0x10;
    std::fs::write(&remembered[0], &bad).unwrap();
    let refit = holdfast_in(d, &args, &[]);
    assert_eq!(refit.stdout, fresh.stdout);
    assert_eq!(std::fs::read(&remembered[0]).unwrap(), good);
}
