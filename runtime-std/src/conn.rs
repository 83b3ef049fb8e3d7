//! The core thread's handle on one connection.

use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use bytes::Bytes;

use crate::outbox::Outbox;

/// What the core thread holds for one live connection: where to queue its frames, and the
/// socket to shut down. Dropping it closes the connection, so a connection can never be
/// forgotten while its threads still run: removing it from the core thread's table, or losing
/// it in an event that was never delivered, both end it.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: Arc<TcpStream>,
    outbox: Arc<Outbox>,
}

impl Conn {
    /// The handle on a connection whose threads share `stream` and `outbox`.
    pub(crate) fn new(stream: Arc<TcpStream>, outbox: Arc<Outbox>) -> Self {
        Self { stream, outbox }
    }

    /// Queues `frame` for the connection's writer thread.
    pub(crate) fn send(&self, frame: Bytes) {
        self.outbox.push(frame);
    }
}

impl Drop for Conn {
    /// Drops the queued frames and shuts the socket down in both directions: the peer gets a FIN
    /// after whatever the kernel already holds, a writer blocked on a full socket fails at once,
    /// and the reader's blocking `read` returns, so both threads end.
    fn drop(&mut self) {
        self.outbox.close();
        // Fails with ENOTCONN when the peer already reset the connection, which is fine.
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}
