//! The connection threads a server started and has not joined yet.

use std::thread::JoinHandle;

/// Fewest threads kept before finished ones are looked for.
const MIN_REAP: usize = 64;

/// Connection threads to join: finished ones are joined now and then, so the list stays about
/// as long as the number of live connections; the rest are joined at shutdown.
#[derive(Debug, Default)]
pub(crate) struct Threads {
    handles: Vec<JoinHandle<()>>,
    /// Length at which to look for finished threads next.
    reap_at: usize,
}

impl Threads {
    /// Adds a started thread, joining finished ones when the list has doubled since last time
    /// (amortised constant time per thread).
    pub(crate) fn push(&mut self, thread: JoinHandle<()>) {
        self.handles.push(thread);
        if self.handles.len() >= self.reap_at {
            let mut i = 0;
            while i < self.handles.len() {
                if self.handles[i].is_finished() {
                    join(self.handles.swap_remove(i));
                } else {
                    i += 1;
                }
            }
            self.reap_at = (self.handles.len() * 2).max(MIN_REAP);
        }
    }

    /// Waits for every thread to end. Their sockets must have been shut down.
    pub(crate) fn join_all(self) {
        self.handles.into_iter().for_each(join);
    }
}

fn join(handle: JoinHandle<()>) {
    let thread = handle.thread().clone();
    if handle.join().is_err() {
        tracing::error!(thread = thread.name().unwrap_or("connection"), "a connection thread panicked");
    }
}
