//! `chat join` in a pseudo-terminal (spawned with `expectrl`), its screen kept by a `vt100`
//! emulator so tests can check what a person would see, cell by cell.

use std::fs::File;
use std::io::{Read, Write};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Instant;

use std::num::NonZeroU16;

use expectrl::session::OsSession;
use ptyprocess::WaitStatus;

use super::{chat_bin, deadline};

/// Screen height of the emulated terminal: the pty's size from the start (resizing it after
/// the program started would test resize handling, which is the line editor's business).
pub const ROWS: u16 = 24;
/// Screen width of the emulated terminal.
pub const COLS: u16 = 80;

/// The cursor-position query a line editor sends; a real terminal answers it.
const CURSOR_QUERY: &[u8] = b"\x1b[6n";

struct Screen {
    parser: vt100::Parser,
    /// The child closed the terminal (it exited).
    closed: bool,
    /// Everything the program wrote, for failure messages.
    raw: Vec<u8>,
}

/// A running `chat join` on a terminal; the process is killed on drop.
pub struct Terminal {
    session: OsSession,
    keyboard: File,
    screen: Arc<(Mutex<Screen>, Condvar)>,
}

impl Terminal {
    /// Starts `chat join ARGS` with `TERM=xterm-256color` and the environment changes in `env`
    /// (`Some` sets, `None` removes).
    pub fn spawn(args: &[&str], env: &[(&str, Option<&str>)]) -> Self {
        let mut command = Command::new(chat_bin());
        command.arg("join").args(args).env("TERM", "xterm-256color").env_remove("NO_COLOR");
        for (key, value) in env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        let session = OsSession::spawn(command).expect("spawn chat join in a pty");
        assert_eq!(session.get_process().get_window_size().expect("window size"), (COLS, ROWS));
        let keyboard = session.get_process().get_raw_handle().expect("pty handle for typing");
        let mut display = session.get_process().get_raw_handle().expect("pty handle for reading");
        let mut answers = session.get_process().get_raw_handle().expect("pty handle for answers");
        let screen = Arc::new((
            Mutex::new(Screen {
                parser: vt100::Parser::new(non_zero(ROWS), non_zero(COLS), 0),
                closed: false,
                raw: Vec::new(),
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&screen);
        thread::spawn(move || {
            let mut buf = [0; 4096];
            let mut tail = Vec::new();
            loop {
                let n = display.read(&mut buf).unwrap_or(0);
                let (lock, changed) = &*shared;
                let mut screen = lock.lock().unwrap_or_else(PoisonError::into_inner);
                if n == 0 {
                    screen.closed = true;
                    changed.notify_all();
                    return;
                }
                screen.parser.process(&buf[..n]);
                screen.raw.extend_from_slice(&buf[..n]);
                // Answer cursor-position queries as a terminal would, with the position after
                // everything printed before the query (a query can straddle two reads).
                tail.extend_from_slice(&buf[..n]);
                let queries = tail.windows(CURSOR_QUERY.len()).filter(|w| *w == CURSOR_QUERY).count();
                for _ in 0..queries {
                    let (row, col) = screen.parser.screen().cursor_position();
                    // One write, so typed keys can never land inside the answer.
                    let _ = answers.write_all(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
                }
                let keep = tail.len().saturating_sub(CURSOR_QUERY.len() - 1);
                if queries > 0 {
                    tail.clear();
                } else {
                    tail.drain(..keep);
                }
                changed.notify_all();
            }
        });
        Self { session, keyboard, screen }
    }

    /// Types `keys` (raw bytes: `\r` is Enter, `\x04` Ctrl+D, `\x1b[A` the up arrow).
    pub fn type_keys(&mut self, keys: &str) {
        self.keyboard.write_all(keys.as_bytes()).expect("type into the pty");
        self.keyboard.flush().expect("flush the pty");
    }

    /// The screen's text, rows joined with `\n`, trailing blanks trimmed.
    pub fn text(&self) -> String {
        self.lock().parser.screen().contents()
    }

    /// Waits until `wanted` holds for the screen, failing with the screen's text if it does not
    /// in time; returns what `wanted` returned.
    pub fn wait_for<T>(&self, what: &str, wanted: impl Fn(&vt100::Screen) -> Option<T>) -> T {
        self.wait_until(what, |screen| wanted(screen.parser.screen()))
    }

    /// Waits for a row containing `needle`; returns that row's index and text.
    pub fn wait_for_text(&self, needle: &str) -> (u16, String) {
        self.wait_for(&format!("a row containing {needle:?}"), |screen| {
            rows(screen)
                .into_iter()
                .enumerate()
                .find(|(_, row)| row.contains(needle))
                .map(|(i, row)| (i as u16, row))
        })
    }

    /// Waits until the last non-blank row is exactly `line` (trailing blanks aside): the
    /// prompt with what is typed, ready for more keys.
    pub fn wait_for_input_line(&self, line: &str) {
        let line = line.trim_end();
        self.wait_for(&format!("the input line {line:?}"), |screen| {
            (rows(screen).iter().rev().find(|row| !row.is_empty())? == line).then_some(())
        });
    }

    /// Sends the program SIGTERM, as `kill` does.
    pub fn terminate(&mut self) {
        self.session.get_process_mut().signal(ptyprocess::Signal::SIGTERM).expect("send SIGTERM");
    }

    /// Waits for the program to exit and returns its exit code.
    pub fn wait_exit(&mut self) -> i32 {
        self.wait_until("the program to exit", |screen| screen.closed.then_some(()));
        match self.session.get_process().wait().expect("wait for chat join") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("chat join did not exit normally: {other:?}"),
        }
    }

    fn wait_until<T>(&self, what: &str, wanted: impl Fn(&Screen) -> Option<T>) -> T {
        let deadline = deadline();
        let (_, changed) = &*self.screen;
        let mut screen = self.lock();
        loop {
            if let Some(found) = wanted(&screen) {
                return found;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero() && !screen.closed, "{}", failure(what, &screen));
            screen = changed.wait_timeout(screen, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Screen> {
        self.screen.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The rows of `screen` as text, trailing blanks trimmed.
pub fn rows(screen: &vt100::Screen) -> Vec<String> {
    screen.rows(0, COLS).map(|row| row.trim_end().to_owned()).collect()
}

fn non_zero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("a screen dimension is not zero")
}

fn failure(what: &str, screen: &Screen) -> String {
    format!(
        "waited in vain for {what}{}; the screen:\n{}\nwhat the program wrote:\n{}",
        if screen.closed { " (the program exited)" } else { "" },
        screen.parser.screen().contents(),
        String::from_utf8_lossy(&screen.raw).escape_debug()
    )
}
