//! Running the program named by `[alerts] run` with the alerts as JSON on
//! its standard input: an argument vector (no shell), a time limit after
//! which it is killed, its exit status and standard error reported.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status 0.
    Done,
    /// Another exit status (`None`: ended by a signal), with its stderr.
    Failed { code: Option<i32>, stderr: String },
    /// Still running at the limit: killed.
    TimedOut { after: Duration, stderr: String },
    /// Could not be started (not found, not executable).
    NotStarted(String),
}

impl Outcome {
    pub fn ok(&self) -> bool {
        *self == Outcome::Done
    }

    /// One line for stderr or the status line (the program's own stderr,
    /// shortened, with visible escapes).
    pub fn describe(&self, program: &str) -> String {
        let tail = |s: &str| {
            let s = s.trim();
            let short: String = s.chars().take(300).collect();
            if short.is_empty() {
                String::new()
            } else {
                format!(": {}", crate::text::visible(&short.replace('\n', " ")))
            }
        };
        let program = crate::text::visible(program);
        match self {
            Outcome::Done => format!("alert action {program} ran"),
            Outcome::Failed { code, stderr } => format!(
                "alert action {program} failed ({}){}",
                code.map_or("killed by a signal".to_string(), |c| format!("exit {c}")),
                tail(stderr)
            ),
            Outcome::TimedOut { after, stderr } => format!(
                "alert action {program} still running after {} s: killed{}",
                after.as_secs(),
                tail(stderr)
            ),
            Outcome::NotStarted(e) => format!("alert action {program} could not start: {e}"),
        }
    }
}

/// Runs `argv` with `input` on its standard input, waiting at most `limit`.
pub fn run(argv: &[String], input: &str, limit: Duration) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::NotStarted("no program given".into());
    };
    use std::os::unix::process::CommandExt;
    let mut child = match Command::new(program)
        .args(args)
        // Its own process group: on the time limit, what it started dies with it.
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Outcome::NotStarted(e.to_string()),
    };
    // Written and read on their own threads: a program that does not read
    // its input, or writes much, cannot block holdfast.
    let stdin = child.stdin.take();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        if let Some(mut s) = stdin {
            let _ = s.write_all(input.as_bytes());
        }
    });
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        if let Some(mut s) = stderr {
            let _ = s.by_ref().take(64 * 1024).read_to_string(&mut out);
        }
        out
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= limit => {
                // SAFETY: kill(2) on the child's own process group.
                unsafe {
                    libc::kill(-(child.id() as i32), libc::SIGKILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    let _ = writer.join();
    let stderr = reader.join().unwrap_or_default();
    match status {
        Some(s) if s.success() => Outcome::Done,
        Some(s) => Outcome::Failed {
            code: s.code(),
            stderr,
        },
        None => Outcome::TimedOut {
            after: limit,
            stderr,
        },
    }
}
