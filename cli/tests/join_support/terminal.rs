//! `chat join` in a pseudo-terminal, its screen kept by a `vt100` emulator so tests can check
//! what a person would see, cell by cell. The test holds the terminal's master side, so it can
//! also close the terminal under the program, as closing a window or killing tmux does.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use std::num::NonZeroU16;

use rustix::event::{PollFd, PollFlags, poll};
use rustix::process::{Pid, Signal, kill_process};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{Winsize, tcsetwinsize};

use super::{chat_bin, deadline};

/// Screen height of the emulated terminal: the pty's size from the start (resizing it after
/// the program started would test resize handling, which is the line editor's business).
pub const ROWS: u16 = 24;
/// Screen width of the emulated terminal.
pub const COLS: u16 = 80;

/// The cursor-position query a line editor sends; a real terminal answers it.
const CURSOR_QUERY: &[u8] = b"\x1b[6n";

/// Counts the bells the program rings.
#[derive(Default)]
struct Bells(usize);

impl vt100::Callbacks for Bells {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.0 += 1;
    }
}

struct Screen {
    parser: vt100::Parser<Bells>,
    /// The child closed the terminal (it exited), or the test hung it up.
    closed: bool,
    /// Everything the program wrote, for failure messages.
    raw: Vec<u8>,
}

/// A running `chat join` on a terminal; the process is killed on drop.
pub struct Terminal {
    pid: Pid,
    /// The program's exit status, from the thread that waits for it.
    exited: Receiver<ExitStatus>,
    status: Option<ExitStatus>,
    /// The master side, for typing; `None` once hung up.
    keyboard: Option<File>,
    /// Written to (or dropped) to make the screen thread let go of its master handle.
    stop_display: Option<OwnedFd>,
    display: Option<JoinHandle<()>>,
    screen: Arc<(Mutex<Screen>, Condvar)>,
}

impl Terminal {
    /// Starts `chat join ARGS` with `TERM=xterm-256color`, its input history in a directory of
    /// its own (`XDG_STATE_HOME`), and the environment changes in `env` (`Some` sets, `None`
    /// removes).
    pub fn spawn(args: &[&str], env: &[(&str, Option<&str>)]) -> Self {
        let mut command = Command::new(chat_bin());
        command
            .arg("join")
            .args(args)
            .env("TERM", "xterm-256color")
            .env("XDG_STATE_HOME", state_dir())
            .env_remove("NO_COLOR");
        for (key, value) in env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        Self::spawn_command(command)
    }

    /// Starts `command` as the session leader of a new pseudo-terminal of [`ROWS`] x [`COLS`].
    pub fn spawn_command(mut command: Command) -> Self {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("open a pty");
        // No child may inherit the master: the terminal hangs up only when the test closes it.
        close_on_exec(&master);
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let size = Winsize { ws_row: ROWS, ws_col: COLS, ws_xpixel: 0, ws_ypixel: 0 };
        tcsetwinsize(&master, size).expect("set the pty's size");
        let slave_name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave_path = slave_name.to_str().expect("a UTF-8 pty name").to_owned();
        let slave = File::options().read(true).write(true).open(&slave_path).expect("open the pty's slave");
        command
            .stdin(slave.try_clone().expect("dup the slave"))
            .stdout(slave.try_clone().expect("dup the slave"))
            .stderr(slave);
        // SAFETY: between fork and exec the child only makes two system calls (no allocation,
        // no locks): a new session, with the pty (its stdin by now) as controlling terminal.
        unsafe {
            command.pre_exec(|| {
                rustix::process::setsid()?;
                rustix::process::ioctl_tiocsctty(rustix::stdio::stdin())?;
                Ok(())
            });
        }
        let child = command.spawn().expect("spawn chat join in a pty");
        drop(command);
        let pid = Pid::from_child(&child);
        let exited = wait_in_background(child);

        let master = File::from(master);
        let keyboard = master.try_clone().expect("pty handle for typing");
        let (stop_display, stop_requested) = rustix::pipe::pipe().expect("a pipe");
        close_on_exec(&stop_display);
        close_on_exec(&stop_requested);
        let screen = Arc::new((
            Mutex::new(Screen {
                parser: vt100::Parser::new_with_callbacks(
                    non_zero(ROWS),
                    non_zero(COLS),
                    0,
                    Bells::default(),
                ),
                closed: false,
                raw: Vec::new(),
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&screen);
        let display = thread::spawn(move || show(master, &stop_requested, &shared));
        Self {
            pid,
            exited,
            status: None,
            keyboard: Some(keyboard),
            stop_display: Some(stop_display),
            display: Some(display),
            screen,
        }
    }

    /// Types `keys` (raw bytes: `\r` is Enter, `\x04` Ctrl+D, `\x1b[A` the up arrow).
    pub fn type_keys(&mut self, keys: &str) {
        let keyboard = self.keyboard.as_mut().expect("the terminal is still open");
        keyboard.write_all(keys.as_bytes()).expect("type into the pty");
        keyboard.flush().expect("flush the pty");
    }

    /// Pastes `text` as a terminal does: between bracketed-paste markers when the program
    /// asked for them.
    pub fn paste(&mut self, text: &str) {
        if self.lock().parser.screen().bracketed_paste() {
            self.type_keys(&format!("\x1b[200~{text}\x1b[201~"));
        } else {
            self.type_keys(text);
        }
    }

    /// How many times the program rang the bell.
    pub fn bells(&self) -> usize {
        self.lock().parser.callbacks().0
    }

    /// The screen's text, rows joined with `\n`, trailing blanks trimmed.
    pub fn text(&self) -> String {
        self.lock().parser.screen().contents()
    }

    /// Waits until the program has rung the bell `count` times.
    pub fn wait_for_bells(&self, count: usize) {
        self.wait_until(&format!("{count} bells"), |screen| {
            (screen.parser.callbacks().0 >= count).then_some(())
        });
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

    /// Waits until the program has written `needle`, whether or not it is still on the screen
    /// (a line printed before the editor starts may scroll away as soon as the room talks).
    pub fn wait_for_output(&self, needle: &str) {
        self.wait_until(&format!("output containing {needle:?}"), |screen| {
            String::from_utf8_lossy(&screen.raw).contains(needle).then_some(())
        });
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
        self.signal(Signal::TERM);
    }

    /// Sends the program `signal`.
    pub fn signal(&mut self, signal: Signal) {
        kill_process(self.pid, signal).expect("signal chat join");
    }

    /// Closes the terminal under the program, as closing its window or killing its tmux
    /// session does: the kernel hangs the terminal up (SIGHUP, then end of input).
    pub fn hang_up(&mut self) {
        self.stop_display = None;
        if let Some(display) = self.display.take() {
            display.join().expect("the screen thread");
        }
        self.keyboard = None;
    }

    /// Waits for the program to exit and returns its exit code.
    pub fn wait_exit(&mut self) -> i32 {
        if self.display.is_some() {
            self.wait_until("the program to exit", |screen| screen.closed.then_some(()));
        }
        let status = match self.status {
            Some(status) => status,
            None => {
                let left = deadline().saturating_duration_since(Instant::now());
                let status = self
                    .exited
                    .recv_timeout(left)
                    .unwrap_or_else(|_| panic!("chat join did not exit; the screen:\n{}", self.text()));
                *self.status.insert(status)
            }
        };
        status.code().unwrap_or_else(|| panic!("chat join did not exit normally: {status:?}"))
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

/// A fresh directory for one program's state files, under the target directory (left for
/// `cargo clean`, like the rest of a test run's files).
pub fn state_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chat-state-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a state directory");
    dir
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if self.status.is_none() && self.exited.try_recv().is_err() {
            let _ = kill_process(self.pid, Signal::KILL);
            let _ = self.exited.recv_timeout(super::PATIENCE);
        }
    }
}

/// Waits for `child` on a thread of its own; its status arrives on the returned channel.
fn wait_in_background(mut child: Child) -> Receiver<ExitStatus> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        if let Ok(status) = child.wait() {
            let _ = tx.send(status);
        }
    });
    rx
}

/// The screen thread: feeds what the program writes to the emulator and answers its
/// cursor-position queries, until the program closes the terminal or `stop` is written to or
/// closed (then it drops its master handle, so the test can hang the terminal up).
fn show(mut master: File, stop: &OwnedFd, shared: &(Mutex<Screen>, Condvar)) {
    let mut buf = [0; 4096];
    let mut tail = Vec::new();
    loop {
        let mut fds = [PollFd::new(&master, PollFlags::IN), PollFd::new(stop, PollFlags::IN)];
        let woken = match poll(&mut fds, None) {
            Err(rustix::io::Errno::INTR) => continue,
            polled => polled.is_ok(),
        };
        let stopped = !fds[1].revents().is_empty();
        let n = if woken && !stopped { master.read(&mut buf).unwrap_or(0) } else { 0 };
        let (lock, changed) = shared;
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
            let _ = master.write_all(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
        }
        let keep = tail.len().saturating_sub(CURSOR_QUERY.len() - 1);
        if queries > 0 {
            tail.clear();
        } else {
            tail.drain(..keep);
        }
        changed.notify_all();
    }
}

fn close_on_exec(fd: &OwnedFd) {
    rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC).expect("set close-on-exec");
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
