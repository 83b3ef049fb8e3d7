//! The core thread's handle on one connection.

use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use bytes::Bytes;
use chat_core::Outbox;

use crate::handoff::Handoff;

/// What the core thread holds for one live connection: where to queue its frames, and the
/// socket to shut down. Dropping it closes the connection at once, so a connection can never
/// be forgotten while its threads still run: losing it in an event that was never delivered,
/// or any path that does not call [`Conn::close`], ends it.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: Arc<TcpStream>,
    handoff: Arc<Handoff>,
    /// Frames from the core not yet handed to the writer, which [`Conn::flush`] does once per
    /// batch of input: one lock and at most one wake-up for all of them.
    pending: Outbox,
    /// Set by [`Conn::close`], which has already done what `drop` would.
    closed: bool,
    /// The client's input has ended (it half-closed): there is nothing left to read.
    input_ended: bool,
}

impl Conn {
    /// The handle on a connection whose threads share `stream` and `handoff`.
    pub(crate) fn new(stream: Arc<TcpStream>, handoff: Arc<Handoff>) -> Self {
        Self { stream, handoff, pending: Outbox::new(), closed: false, input_ended: false }
    }

    /// Queues `frame` for the connection's writer thread, to be handed over at the next
    /// [`flush`](Self::flush). Returns true if the connection had nothing pending before (the
    /// caller then remembers to flush it).
    pub(crate) fn send(&mut self, frame: Bytes) -> bool {
        let was_empty = self.pending.is_empty();
        self.pending.push(frame);
        was_empty
    }

    /// Bytes the writer wrote since the last call.
    pub(crate) fn take_flushed(&self) -> usize {
        self.handoff.take_flushed()
    }

    /// Hands the pending frames to the writer thread, waking it if it sleeps.
    pub(crate) fn flush(&mut self) {
        if !self.pending.is_empty() {
            // Leaves `pending` empty, and without the room a burst needed.
            self.handoff.push(&mut self.pending);
        }
    }

    /// Records that the client's input ended (end of file): the core may still send to it.
    pub(crate) fn end_input(&mut self) {
        self.input_ended = true;
    }

    /// Closes the connection gracefully, as the core asks with `Output::Close`: drops the
    /// queued frames, ends the writer, and shuts the socket down for writing, so the peer gets
    /// a FIN after whatever the kernel already holds. Unless the client's input has ended, the
    /// reader thread goes on reading (and discarding) until the peer closes its side: closing
    /// a socket with unread input would make the kernel send a reset, which can destroy the
    /// last lines before the peer reads them. Returns the socket in that case, for
    /// [`Lingering`](crate::linger::Lingering) to shut down for reading if the peer takes too
    /// long.
    pub(crate) fn close(mut self) -> Option<Arc<TcpStream>> {
        if self.input_ended {
            // Nothing more can arrive: close at once (see `drop`).
            return None;
        }
        self.closed = true;
        self.handoff.close();
        // Fails with ENOTCONN when the peer already reset the connection, which is fine.
        let _ = self.stream.shutdown(Shutdown::Write);
        Some(Arc::clone(&self.stream))
    }
}

impl Drop for Conn {
    /// Drops the queued frames and shuts the socket down in both directions: the peer gets a FIN
    /// after whatever the kernel already holds, a writer blocked on a full socket fails at once,
    /// and the reader's blocking `read` returns, so both threads end.
    fn drop(&mut self) {
        if !self.closed {
            self.handoff.close();
            let _ = self.stream.shutdown(Shutdown::Both);
        }
    }
}
