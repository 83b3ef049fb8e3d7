//! What goes into the core ([`Input`]) and what comes out of it ([`Output`]).

use std::net::SocketAddr;

use bytes::Bytes;

use crate::ClientId;

/// One event from the outside world, fed to [`Server::handle_input`](crate::Server::handle_input).
#[derive(Debug)]
pub enum Input<'a> {
    /// A connection was accepted. `peer` gives the client its default name.
    Connected {
        /// The id the runtime chose for this connection.
        id: ClientId,
        /// The remote address of the connection.
        peer: SocketAddr,
    },
    /// Bytes arrived from a client, in any chunking.
    Received {
        /// The sending connection.
        id: ClientId,
        /// The bytes exactly as read from the socket.
        bytes: &'a [u8],
    },
    /// The runtime handed `bytes` bytes of earlier [`Output::Transmit`] frames for `id` to the
    /// operating system. This is how the core knows how much is still queued for a client.
    Flushed {
        /// The connection that was written to.
        id: ClientId,
        /// How many bytes were written.
        bytes: usize,
    },
    /// The client's side of the connection ended: it will send nothing more. The core takes
    /// the client out of the room and tells the others.
    ///
    /// - After [`PeerGone::Closed`] (end of file: the client may have only half-closed, as
    ///   `nc -N` and `printf ... | nc` do), the client may still read: keep writing what the
    ///   core sends it (the answer to its last line, what was queued) until an
    ///   [`Output::Close`] for it, which follows once its queue drains or the grace period ends.
    /// - After [`PeerGone::Lost`] (reset or error), nothing can be written: the core forgets the
    ///   client at once and sends no `Close` for it.
    Disconnected {
        /// The connection that ended.
        id: ClientId,
        /// How it ended.
        cause: PeerGone,
    },
    /// Nothing happened but time passed. Feed this when the instant from
    /// [`Server::poll_timeout`](crate::Server::poll_timeout) is reached.
    Timeout,
    /// The server is stopping: every client gets a notice, queued output gets a short grace
    /// period, then every connection is closed. New connections are refused from now on.
    Shutdown,
}

/// How a connection ended on the client's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerGone {
    /// The client closed its sending side cleanly (end of file). Any unterminated last line is
    /// still handled, so `printf 'hi' | nc HOST PORT` works, and the client still receives
    /// what is queued for it until the core closes the connection.
    Closed,
    /// The connection was reset or failed with an error: nothing more can be sent on it.
    Lost,
}

/// One action for the runtime, taken from [`Server::poll_output`](crate::Server::poll_output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Queue `frame` (one or more whole lines, ending in `\n`) for writing to `to`, after
    /// everything queued for it before. Frames are shared between recipients: cloning is a
    /// reference count, not a copy. Report progress with [`Input::Flushed`].
    Transmit {
        /// The recipient.
        to: ClientId,
        /// The bytes to write.
        frame: Bytes,
    },
    /// Close the connection now and forget it. Whatever was still queued for it is dropped: the
    /// core waits for queued output to flush before it asks for a graceful close. No further
    /// output names this client, and input for it is ignored.
    Close {
        /// The connection to close.
        to: ClientId,
    },
}
