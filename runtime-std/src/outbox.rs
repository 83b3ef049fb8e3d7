//! The queue between the core thread and one connection's writer thread.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

/// Frames waiting for one connection's writer thread.
///
/// The core thread pushes, the writer thread takes everything at once. The lock is only held to
/// move frames in or out, never during a system call, so a client whose socket is full blocks
/// its own writer thread and nothing else.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    state: Mutex<State>,
    ready: Condvar,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Bytes>,
    /// No more frames will be written: the connection is being torn down.
    closed: bool,
    /// A write failed, so the connection was lost rather than closed by the peer.
    failed: bool,
    /// The writer is asleep on the condition variable and needs a wake-up.
    waiting: bool,
}

impl Outbox {
    /// Queues `frame` after everything queued before; dropped if the outbox is closed.
    ///
    /// Returns true if the writer is asleep and must be woken with [`wake`](Self::wake) (once,
    /// however many frames are pushed before that). The core thread wakes writers only when it
    /// has no more input at hand, so frames pushed meanwhile go out in one write.
    #[must_use]
    pub(crate) fn push(&self, frame: Bytes) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        state.queue.push_back(frame);
        std::mem::take(&mut state.waiting)
    }

    /// Wakes the writer after [`push`](Self::push) asked for it.
    pub(crate) fn wake(&self) {
        self.ready.notify_one();
    }

    /// Waits until there is something to write, then swaps it into the empty `batch`.
    /// Returns `false` once the outbox is closed (whatever was queued is dropped).
    pub(crate) fn take(&self, batch: &mut VecDeque<Bytes>) -> bool {
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
        state.queue = VecDeque::new();
        drop(state);
        self.ready.notify_one();
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
