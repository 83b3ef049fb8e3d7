//! The core thread's handle on one connection.

use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;

use bytes::Bytes;
use chat_core::kit::Outbox;
use chat_transport::{Heard, Standing, Transport};

use crate::handoff::Handoff;

/// What the core thread holds for one connection until the core releases it (or, for a
/// connection the core does not know, until its transport is done): its transport (plain TCP,
/// TLS, or the web listener's HTTP and WebSocket), where to queue what its writer writes, and
/// the socket to shut down. Dropping it releases the connection at once, so a connection can
/// never be forgotten while its threads still run: losing it in an event that was never
/// delivered, or any path that does not wait for `Output::Release`, ends it.
///
/// The transport lives here, on the core thread: the reader thread sends raw bytes, the
/// writer thread writes what [`Transport::drain`] hands it (on plain TCP the core's frames
/// themselves, shared) and reports what it wrote, which goes back through
/// [`Transport::written`].
#[derive(Debug)]
pub(crate) struct Conn {
    stream: Arc<TcpStream>,
    handoff: Arc<Handoff>,
    transport: Transport,
    /// Where the core stands with this client.
    pub(crate) standing: Standing,
    /// Bytes drained from the transport not yet handed to the writer, which [`Conn::flush`]
    /// does once per batch of input: one lock and at most one wake-up for all of them.
    pending: Outbox,
    /// The socket was shut down for writing after the transport finished.
    shut: bool,
    /// On the core thread's list of connections to flush.
    listed: bool,
}

impl Conn {
    /// The handle on a connection whose threads share `stream` and `handoff`.
    pub(crate) fn new(stream: Arc<TcpStream>, handoff: Arc<Handoff>, transport: Transport) -> Self {
        Self {
            stream,
            handoff,
            transport,
            standing: Standing::default(),
            pending: Outbox::new(),
            shut: false,
            listed: false,
        }
    }

    /// Starts the transport: the core's first input for connection `id` (`Connected` on plain
    /// TCP, `Accepted` otherwise).
    pub(crate) fn start(&mut self, id: chat_core::ClientId, peer: SocketAddr) -> chat_core::Input<'static> {
        self.standing.start(id, peer, &mut self.transport)
    }

    /// Passes bytes the reader read through the transport (its data into `data`).
    pub(crate) fn receive(&mut self, bytes: &[u8], data: &mut Vec<u8>) -> Heard {
        self.transport.receive(bytes).detach(data)
    }

    /// What the core must hear of the transport's own buffers, if they moved (memory budget).
    pub(crate) fn buffered(&mut self, id: chat_core::ClientId) -> Option<chat_core::Input<'static>> {
        self.standing.buffered(id, &self.transport)
    }

    /// On the operator's listener, leaves the server's stats where `/metrics` reads them.
    pub(crate) fn publish_stats(&self, stats: impl FnOnce() -> chat_core::Stats) {
        if let Some(board) = self.transport.stats_board() {
            board.publish(stats());
        }
    }

    /// The client's end of file, through the transport.
    pub(crate) fn receive_eof(&mut self, data: &mut Vec<u8>) -> Heard {
        self.transport.receive_eof().detach(data)
    }

    /// Queues `frame` in the transport; what it has to write is handed to the writer at the
    /// next [`flush`](Self::flush). Returns the bytes of the core's frames taken at once (never
    /// on plain TCP).
    pub(crate) fn send(&mut self, frame: Bytes) -> usize {
        self.transport.send(frame)
    }

    /// The writer wrote bytes since the last call: what the core must hear of it.
    pub(crate) fn take_written(&mut self) -> Heard {
        let (bytes, frames) = self.handoff.take_flushed();
        if bytes == 0 {
            return Heard::default();
        }
        self.transport.written(bytes, frames).detach(&mut Vec::new())
    }

    /// Whether the writer still finds the socket full (it reported so, and has written nothing
    /// since).
    pub(crate) fn is_blocked(&self) -> bool {
        self.handoff.is_blocked()
    }

    /// Hands what the transport has to write to the writer thread, waking it if it sleeps, and
    /// returns what the core must hear of that (its data into `data`). Once the transport is
    /// finished and written, shuts the socket down for writing.
    pub(crate) fn flush(&mut self, data: &mut Vec<u8>) -> Heard {
        self.listed = false;
        let heard = self.transport.drain(&mut self.pending).detach(data);
        if !self.pending.is_empty() {
            // Leaves `pending` empty, and without the room a burst needed.
            self.handoff.push(&mut self.pending);
        }
        if self.transport.is_finished() && !self.shut {
            self.shut = true;
            self.handoff.close();
            // Fails with ENOTCONN when the peer already reset the connection, which is fine.
            let _ = self.stream.shutdown(Shutdown::Write);
        }
        heard
    }

    /// True once the transport has said everything and it is written: a connection the core
    /// does not know is then dropped.
    pub(crate) fn is_done(&self) -> bool {
        self.transport.is_finished() && !self.transport.wants_write()
    }

    /// Half-closes the connection, as the core asks with `Output::Close`: the transport drops
    /// the queued frames and says goodbye (TLS, WebSocket: written by the next
    /// [`flush`](Self::flush), which then shuts the socket down for writing; on plain TCP at
    /// once), so the peer gets a FIN after whatever the kernel already holds. The reader thread
    /// goes on reading (and discarding) until the peer closes its side, which it reports as
    /// usual, or until the core releases the connection (dropping this): closing a socket with
    /// unread input would make the kernel send a reset, which can destroy the last lines
    /// before the peer reads them.
    pub(crate) fn close(&mut self) {
        self.standing.close();
        self.pending.clear();
        self.transport.close();
        if self.transport.is_finished() {
            let _ = self.flush(&mut Vec::new());
        }
    }

    /// Puts the connection on the list of those to flush: true if it was not on it (the caller
    /// then adds it).
    pub(crate) fn list(&mut self) -> bool {
        !std::mem::replace(&mut self.listed, true)
    }

    /// Whether the writer should still be handed what the transport has.
    pub(crate) fn wants_flush(&self) -> bool {
        self.transport.wants_write() || (self.transport.is_finished() && !self.shut)
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
