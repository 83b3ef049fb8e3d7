//! Being told to go: SIGTERM, SIGHUP, or the terminal going away under us (its window closed,
//! its tmux session killed). Each is reported once, from a thread of its own, so leaving works
//! even while the line editor is stuck reading a terminal that is gone.

use std::io;

/// Why we were told to go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// SIGTERM or SIGHUP (the terminal may still be there).
    Signal(i32),
    /// The terminal hung up: nothing can be shown or read any more.
    TerminalGone,
}

/// Calls `on_go` from a background thread on SIGTERM or SIGHUP and, when `watch_terminal` is
/// set, when standard input (the terminal) hangs up. Elsewhere than on Unix it does nothing.
pub fn watch(watch_terminal: bool, on_go: impl Fn(Reason) + Clone + Send + 'static) -> io::Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGTERM};
        use std::thread;
        let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP])?;
        let on_signal = on_go.clone();
        thread::Builder::new().name("chat-signals".into()).spawn(move || {
            for signal in signals.forever() {
                on_signal(Reason::Signal(signal));
            }
        })?;
        if watch_terminal {
            thread::Builder::new().name("chat-terminal".into()).spawn(move || {
                if wait_for_hang_up() {
                    on_go(Reason::TerminalGone);
                }
            })?;
        }
    }
    #[cfg(not(unix))]
    {
        drop(on_go);
        let _ = watch_terminal;
    }
    Ok(())
}

/// Blocks until standard input hangs up (true) or cannot be watched (false: `poll` does not
/// support terminals on macOS, for one; SIGHUP still arrives there).
#[cfg(unix)]
fn wait_for_hang_up() -> bool {
    use rustix::event::{PollFd, PollFlags, poll};
    loop {
        // No events asked for: poll reports only hang-ups and errors, never pending input,
        // so this does not compete with the line editor for keys.
        let mut fds = [PollFd::from_borrowed_fd(rustix::stdio::stdin(), PollFlags::empty())];
        match poll(&mut fds, None) {
            Err(rustix::io::Errno::INTR) => {}
            Err(err) => {
                tracing::debug!(%err, "cannot watch the terminal");
                return false;
            }
            Ok(_) => {
                let events = fds[0].revents();
                if events.contains(PollFlags::NVAL) {
                    return false;
                }
                if events.intersects(PollFlags::HUP | PollFlags::ERR) {
                    return true;
                }
            }
        }
    }
}
