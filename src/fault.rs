//! A source file is mapped while it loads (`data::source`). If another
//! program cuts the file short meanwhile (an export written again over
//! it), reading its lost pages raises `SIGBUS`, which would end the process
//! with the terminal left raw on the alternate screen. The handler here
//! gives the terminal back when the dashboard holds it, says why in one
//! line and exits with 74 (`EX_IOERR`).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// What the handler writes to standard error.
const MESSAGE: &[u8] = b"holdfast: a source file was cut short while it was being read (written again meanwhile?); run holdfast again once the export is complete\n";

/// What gives the terminal back: mouse reports off, the main screen, the
/// cursor shown (as crossterm's `DisableMouseCapture`, `LeaveAlternateScreen`
/// and `Show` write them).
const RESTORE: &[u8] =
    b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?1049l\x1b[?25h";

/// The dashboard holds the terminal.
static TERMINAL_HELD: AtomicBool = AtomicBool::new(false);

/// The terminal's settings before the dashboard made it raw.
static COOKED: OnceLock<libc::termios> = OnceLock::new();

/// Installs the handler, once, at the start of every command.
pub fn install() {
    // SAFETY: a zeroed `sigaction` is a valid empty one; the handler only
    // makes async-signal-safe calls (write, tcsetattr, _exit) and reads
    // statics set before it can run.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_bus_error as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

/// The dashboard is about to make the terminal raw: its settings now are
/// the ones to give back.
pub fn terminal_taken() {
    // SAFETY: tcgetattr writes the settings of standard input into `saved`,
    // a termios of our own; its result says whether they are valid.
    unsafe {
        let mut saved: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(libc::STDIN_FILENO, &mut saved) == 0 {
            let _ = COOKED.set(saved);
        }
    }
    TERMINAL_HELD.store(true, Ordering::SeqCst);
}

/// The dashboard has given the terminal back.
pub fn terminal_released() {
    TERMINAL_HELD.store(false, Ordering::SeqCst);
}

extern "C" fn on_bus_error(_signal: libc::c_int) {
    // SAFETY: write, tcsetattr and _exit are async-signal-safe; the buffers
    // are statics.
    unsafe {
        if TERMINAL_HELD.load(Ordering::SeqCst) {
            libc::write(libc::STDOUT_FILENO, RESTORE.as_ptr().cast(), RESTORE.len());
            if let Some(cooked) = COOKED.get() {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, cooked);
            }
        }
        libc::write(libc::STDERR_FILENO, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::_exit(74);
    }
}
