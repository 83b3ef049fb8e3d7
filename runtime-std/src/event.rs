//! What the other threads tell the core thread.

use std::net::SocketAddr;

use chat_core::{ClientId, PeerGone};

use crate::conn::Conn;

/// One message to the core thread, which turns it into a [`chat_core::Input`].
#[derive(Debug)]
pub(crate) enum Event {
    /// A connection's threads are running; the core thread keeps `conn` until it closes.
    Connected {
        /// The connection's id, unique for the server's lifetime.
        id: ClientId,
        /// The remote address.
        peer: SocketAddr,
        /// The handle to queue frames on and to close.
        conn: Conn,
    },
    /// The reader thread read `bytes`.
    Received {
        /// The connection read from.
        id: ClientId,
        /// What `read` returned.
        bytes: Vec<u8>,
    },
    /// The writer thread handed `bytes` bytes to the kernel.
    Flushed {
        /// The connection written to.
        id: ClientId,
        /// How many bytes one `write` took.
        bytes: usize,
    },
    /// The connection ended (end of file, a read or write error, or our own shutdown).
    Disconnected {
        /// The connection that ended.
        id: ClientId,
        /// How it ended.
        cause: PeerGone,
    },
    /// A [`Stopper`](crate::Stopper) asked for shutdown; nothing else to do but look.
    Wake,
}
