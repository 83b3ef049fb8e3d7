//! The core thread's handle on one connection.

use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use bytes::Bytes;
use chat_core::kit::Outbox;

use crate::handoff::Handoff;

/// What the core thread holds for one connection until the core releases it: where to queue
/// its frames, and the socket to shut down. Dropping it releases the connection at once, so a
/// connection can never be forgotten while its threads still run: losing it in an event that
/// was never delivered, or any path that does not wait for `Output::Release`, ends it.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: Arc<TcpStream>,
    handoff: Arc<Handoff>,
    /// Frames from the core not yet handed to the writer, which [`Conn::flush`] does once per
    /// batch of input: one lock and at most one wake-up for all of them.
    pending: Outbox,
}

impl Conn {
    /// The handle on a connection whose threads share `stream` and `handoff`.
    pub(crate) fn new(stream: Arc<TcpStream>, handoff: Arc<Handoff>) -> Self {
        Self { stream, handoff, pending: Outbox::new() }
    }

    /// Queues `frame` for the connection's writer thread, to be handed over at the next
    /// [`flush`](Self::flush). Returns true if the connection had nothing pending before (the
    /// caller then remembers to flush it).
    pub(crate) fn send(&mut self, frame: Bytes) -> bool {
        let was_empty = self.pending.is_empty();
        self.pending.push(frame);
        was_empty
    }

    /// Bytes the writer wrote since the last call, and the frames they completed.
    pub(crate) fn take_flushed(&self) -> (usize, usize) {
        self.handoff.take_flushed()
    }

    /// Whether the writer still finds the socket full (it reported so, and has written nothing
    /// since).
    pub(crate) fn is_blocked(&self) -> bool {
        self.handoff.is_blocked()
    }

    /// Hands the pending frames to the writer thread, waking it if it sleeps.
    pub(crate) fn flush(&mut self) {
        if !self.pending.is_empty() {
            // Leaves `pending` empty, and without the room a burst needed.
            self.handoff.push(&mut self.pending);
        }
    }

    /// Half-closes the connection, as the core asks with `Output::Close`: drops the queued
    /// frames, ends the writer, and shuts the socket down for writing, so the peer gets a FIN
    /// after whatever the kernel already holds. The reader thread goes on reading (and
    /// discarding) until the peer closes its side, which it reports as usual, or until the core
    /// releases the connection (dropping this): closing a socket with unread input would make
    /// the kernel send a reset, which can destroy the last lines before the peer reads them.
    pub(crate) fn close(&mut self) {
        self.pending.clear();
        self.handoff.close();
        // Fails with ENOTCONN when the peer already reset the connection, which is fine.
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

impl Drop for Conn {
    /// Releases the connection: drops the queued frames and shuts the socket down in both
    /// directions. The peer gets a FIN after whatever the kernel already holds (if it has not
    /// already), a writer blocked on a full socket fails at once, and the reader's blocking
    /// `read` returns, so both threads end.
    fn drop(&mut self) {
        self.handoff.close();
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}
