//! What goes into the core ([`Input`]) and what comes out of it ([`Output`]).

use std::net::SocketAddr;

use bytes::Bytes;

use crate::{ClientId, Reply, Request};

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
    /// A connection was accepted that is not a chat client yet: a TLS handshake, or an HTTP
    /// connection (a page, `/metrics`, a WebSocket upgrade to come). From now on it counts
    /// toward the per-address limits, and it has [`Config::handshake_timeout`] to become a
    /// client ([`Input::Connected`] with the same id, perhaps with another address: the real
    /// client behind a trusted proxy), after which the core closes it ([`Output::Close`] and
    /// [`Output::Release`] at once, with nothing to say in its protocol). A
    /// connection the runtime ends itself before that (a page answered, a failed handshake, a
    /// reset) is reported with [`Input::Disconnected`] (either cause): the core forgets it and
    /// sends nothing more for it. Plain TCP connections are clients at once: they skip this.
    ///
    /// Refused (too many connections from its address), it gets one [`Output::Transmit`]: the
    /// line saying why, which the transport says in the connection's own protocol once it can
    /// (after the TLS handshake; over HTTP in answer to its request), then [`Output::Close`] at
    /// once: keep reading it, as for any closed connection, so that its transport can finish
    /// the handshake or read the request. The core sends [`Output::Release`] when its
    /// [`Input::Disconnected`] comes, or within the handshake timeout and `close_linger`. (When
    /// too many refusals are in flight, or on shutdown, it gets `Close` and `Release` at once.)
    ///
    /// [`Config::handshake_timeout`]: crate::Config::handshake_timeout
    Accepted {
        /// The id the runtime chose for this connection, which `Connected` will use.
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
    /// operating system, completing `frames` of them (what [`Outbox::advance`](crate::kit::Outbox::advance)
    /// returns). This is how the core knows how much is still queued for a client, and that
    /// its socket is taking bytes again (it is no longer [`Blocked`](Input::Blocked)).
    Flushed {
        /// The connection that was written to.
        id: ClientId,
        /// How many bytes were written.
        bytes: usize,
        /// How many queued frames those bytes completed.
        frames: usize,
    },
    /// The transport between `id`'s socket and the core (TLS, HTTP, WebSocket) now holds
    /// `bytes` of its own buffers: the core counts them toward
    /// [`Config::max_memory`](crate::Config::max_memory), for a client or a connection that is
    /// not one yet ([`Accepted`](Input::Accepted)), until it forgets the connection. Report it
    /// when it changes (coarsely: a few KiB is fine); plain TCP, which holds nothing of its
    /// own, never needs to.
    Buffered {
        /// The connection.
        id: ClientId,
        /// What its transport holds now, in bytes.
        bytes: usize,
    },
    /// A write to `id` would block: its socket's send buffer is full and the client is not
    /// reading fast enough. The core notes when; the next [`Flushed`](Input::Flushed) ends it.
    /// A client whose socket stays blocked too long while it has too much queued is
    /// disconnected as too slow (see [`Config::max_queue`](crate::Config::max_queue)).
    /// Report it once per episode (again after a `Flushed`); repeats are harmless.
    Blocked {
        /// The connection whose socket is full.
        id: ClientId,
    },
    /// The client's side of the connection ended: it will send nothing more. The core takes
    /// the client out of the room and tells the others.
    ///
    /// - After [`PeerGone::Closed`] (end of file: the client may have only half-closed, as
    ///   `nc -N` and `printf ... | nc` do), the client may still read: keep writing what the
    ///   core sends it (the answer to its last line, what was queued) until an
    ///   [`Output::Close`] for it, which follows once its queue drains or the grace period ends.
    ///   For a connection the core has already closed (it lingers), this is the client closing
    ///   its side too: the core answers with [`Output::Release`].
    /// - After [`PeerGone::Lost`] (reset or error), nothing can be written: the runtime drops
    ///   the socket itself, and the core forgets the client at once and sends no `Close` or
    ///   `Release` for it.
    Disconnected {
        /// The connection that ended.
        id: ClientId,
        /// How it ended.
        cause: PeerGone,
    },
    /// A thread beside the event loop answered a [`Output::Service`] request, or the message
    /// bus said something (see [`Reply`]).
    Service(Reply),
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
    /// Half-close the connection: drop whatever is still queued for it (the core waits for
    /// queued output to flush before it asks for a graceful close), shut the socket down for
    /// writing (the client gets end of file after the bytes the kernel holds), and keep
    /// reading and discarding what the client still sends. Closing a socket with unread input
    /// makes the kernel send a reset, which can destroy the last lines before the client reads
    /// them; lingering avoids that. Keep reporting the connection's end of input
    /// ([`Input::Disconnected`]); the core answers with [`Output::Release`], or sends it when
    /// its [`close_linger`](crate::Config::close_linger) deadline passes. No `Transmit` names
    /// this client any more.
    Close {
        /// The connection to close.
        to: ClientId,
    },
    /// Free the socket of a connection closed earlier with [`Output::Close`]: stop reading it and
    /// close it. No further output names this client.
    Release {
        /// The connection to free.
        to: ClientId,
    },
    /// Stop reading from every connection until [`Output::ResumeReading`]: the output queued in
    /// the whole server is over [`Config::max_memory`](crate::Config::max_memory). TCP then
    /// makes the senders wait. Keep writing, and keep reporting `Flushed`, `Blocked`,
    /// `Disconnected` and timeouts. A read already under way may still be fed.
    PauseReading,
    /// Read from connections again: the queued output is back under the low-water mark.
    ResumeReading,
    /// Hand `request` to the threads beside the event loop
    /// ([`Services::request`](crate::kit::Services::request)) without waiting; feed their
    /// replies back as [`Input::Service`]. Boxed, so that the frequent outputs stay small.
    Service(Box<Request>),
}
