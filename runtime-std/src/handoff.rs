//! The queue between the core thread and one connection's writer thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use chat_core::kit::Outbox;

/// Frames waiting for one connection's writer thread.
///
/// The core thread pushes, the writer thread takes everything at once. The lock is only held to
/// move frames in or out, never during a system call, so a client whose socket is full blocks
/// its own writer thread and nothing else.
#[derive(Debug, Default)]
pub(crate) struct Handoff {
    state: Mutex<State>,
    ready: Condvar,
    /// Bytes written and not yet reported to the core.
    flushed: AtomicUsize,
    /// Frames those bytes completed.
    flushed_frames: AtomicUsize,
    /// The writer's last write found the socket full for a while.
    blocked: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    queue: Outbox,
    /// No more frames will be written: the connection is being torn down.
    closed: bool,
    /// A write failed, so the connection was lost rather than closed by the peer.
    failed: bool,
    /// The writer is asleep on the condition variable and needs a wake-up.
    waiting: bool,
}

impl Handoff {
    /// Moves `frames` (leaving it empty) after everything queued before, and wakes the writer
    /// if it sleeps. The frames are dropped if the hand-over is closed.
    pub(crate) fn push(&self, frames: &mut Outbox) {
        let mut state = self.lock();
        if state.closed {
            frames.clear();
            return;
        }
        state.queue.append(frames);
        if std::mem::take(&mut state.waiting) {
            drop(state);
            self.ready.notify_one();
        }
    }

    /// Waits until there is something to write, then swaps it into the empty `batch`.
    /// Returns `false` once the hand-over is closed (whatever was queued is dropped).
    pub(crate) fn take(&self, batch: &mut Outbox) -> bool {
        debug_assert!(batch.is_empty());
        let mut state = self.lock();
        loop {
            if state.closed {
                return false;
            }
            if !state.queue.is_empty() {
                std::mem::swap(&mut state.queue, batch);
                return true;
            }
            state.waiting = true;
            state = self.ready.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Drops everything queued and wakes the writer so it ends.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.queue.clear();
        drop(state);
        self.ready.notify_one();
    }

    /// Adds `bytes` written, completing `frames`, to the counts not yet reported. Returns true
    /// if the byte count was zero: the caller must then tell the core thread, which
    /// [`take_flushed`](Self::take_flushed)s everything written until it gets to it. So a
    /// writer that writes many times while the core is busy costs the core one report, not one
    /// per write.
    pub(crate) fn add_flushed(&self, bytes: usize, frames: usize) -> bool {
        self.blocked.store(false, Ordering::Release);
        // Frames first: the core thread takes bytes first, so it never sees frames without
        // their bytes (a frame seen late only makes the queue look dearer for a moment).
        self.flushed_frames.fetch_add(frames, Ordering::AcqRel);
        self.flushed.fetch_add(bytes, Ordering::AcqRel) == 0
    }

    /// The bytes written since the last call, and the frames they completed, for
    /// `Input::Flushed`.
    pub(crate) fn take_flushed(&self) -> (usize, usize) {
        let bytes = self.flushed.swap(0, Ordering::AcqRel);
        (bytes, self.flushed_frames.swap(0, Ordering::AcqRel))
    }

    /// Records that a write found the socket full for a while. Returns true if that is news:
    /// the caller must then tell the core thread, which checks [`is_blocked`](Self::is_blocked)
    /// when it gets to it (the writer may have written meanwhile).
    pub(crate) fn set_blocked(&self) -> bool {
        !self.blocked.swap(true, Ordering::AcqRel)
    }

    /// Whether the socket is still full: no write went through since [`set_blocked`](Self::set_blocked).
    pub(crate) fn is_blocked(&self) -> bool {
        self.blocked.load(Ordering::Acquire)
    }

    /// Records that writing failed: the peer is gone.
    pub(crate) fn fail(&self) {
        self.lock().failed = true;
    }

    /// Whether [`fail`](Self::fail) was called.
    pub(crate) fn failed(&self) -> bool {
        self.lock().failed
    }

    /// Whether [`close`](Self::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::io::IoSlice;

    use bytes::Bytes;

    use super::*;

    fn frames(texts: &[&'static str]) -> Outbox {
        let mut frames = Outbox::new();
        texts.iter().for_each(|t| frames.push(Bytes::from_static(t.as_bytes())));
        frames
    }

    fn contents(frames: &Outbox) -> Vec<u8> {
        let mut slices = vec![IoSlice::new(&[]); frames.len()];
        let count = frames.io_slices(&mut slices);
        slices[..count].iter().flat_map(|slice| slice.iter().copied()).collect()
    }

    #[test]
    fn the_writer_takes_everything_pushed_in_order_until_closed() {
        let handoff = Handoff::default();
        let mut pending = frames(&["a\n", "b\n"]);
        handoff.push(&mut pending);
        assert!(pending.is_empty());
        handoff.push(&mut frames(&["c\n"]));
        let mut batch = Outbox::new();
        assert!(handoff.take(&mut batch));
        assert_eq!(contents(&batch), b"a\nb\nc\n");

        handoff.push(&mut frames(&["dropped\n"]));
        handoff.close();
        handoff.push(&mut frames(&["dropped too\n"]));
        let mut batch = Outbox::new();
        assert!(!handoff.take(&mut batch), "a closed hand-over ends the writer");
        assert!(batch.is_empty());
    }

    #[test]
    fn flushed_bytes_are_reported_once_per_visit_of_the_core() {
        let handoff = Handoff::default();
        assert!(handoff.add_flushed(10, 2), "the first write since the last visit is reported");
        assert!(!handoff.add_flushed(5, 1), "later ones ride on that report");
        assert_eq!(handoff.take_flushed(), (15, 3));
        assert_eq!(handoff.take_flushed(), (0, 0));
        assert!(handoff.add_flushed(1, 0));
    }
}
