//! What the other threads tell the core thread, on two channels.
//!
//! Reader threads send [`Event`]s; writer threads and stoppers send [`Progress`]. The core
//! thread always takes all progress first: what each writer really wrote (and when a socket is
//! full) is what tells the core who is too slow, so those reports must never wait behind a
//! backlog of input. While the core has paused reading, the core thread takes only progress:
//! reader threads then block on the full event queue, and TCP slows the senders down.

use std::net::SocketAddr;

use chat_core::{ClientId, PeerGone};
use crossbeam_channel::{Receiver, Sender};

use crate::conn::Conn;

/// Events about connections' input that may queue before reader threads block: each holds at
/// most one read (16 KiB), so this bounds a backlog to 4 MiB, and makes fast senders wait
/// for the core (TCP flow control then slows them down) instead of piling up input.
const EVENT_QUEUE: usize = 256;

/// Progress reports that may queue before writer threads block (the core drains them first).
const PROGRESS_QUEUE: usize = 4096;

/// One message from a connection's reader thread, in the order things happened on it.
#[derive(Debug)]
pub(crate) enum Event {
    /// A connection's threads are running; the core thread keeps `conn` until it closes.
    Connected {
        /// The connection's id, unique for the server's lifetime.
        id: ClientId,
        /// The socket's peer.
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
    /// The connection ended (end of file, a read or write error, or our own shutdown).
    Disconnected {
        /// The connection that ended.
        id: ClientId,
        /// How it ended.
        cause: PeerGone,
    },
}

/// One message from a writer thread or a stopper.
#[derive(Debug)]
pub(crate) enum Progress {
    /// The writer thread handed bytes to the kernel; how many, the core thread takes from the
    /// connection's handoff (see [`Handoff::add_flushed`](crate::handoff::Handoff::add_flushed)).
    Flushed {
        /// The connection written to.
        id: ClientId,
    },
    /// A write could not go through for a while: the client's socket is full.
    Blocked {
        /// The connection written to.
        id: ClientId,
    },
    /// A write failed: the connection is lost. Reported here rather than by the reader (which
    /// follows with its own report), so that the core hears of it even while it does not read
    /// the events of readers.
    Failed {
        /// The connection written to.
        id: ClientId,
    },
    /// A [`Stopper`](crate::Stopper) asked for shutdown; nothing else to do but look.
    Wake,
    /// The services have answers ready (see [`chat_core::kit::Services`]).
    Answers,
}

/// The sending ends, cloned into every thread that reports to the core thread.
#[derive(Clone, Debug)]
pub(crate) struct Senders {
    /// For reader threads.
    pub(crate) events: Sender<Event>,
    /// For writer threads and stoppers.
    pub(crate) progress: Sender<Progress>,
}

/// The core thread's receiving ends. Dropping them drops every queued event (closing the
/// connections they announce) and fails every blocked send, so no thread waits on them.
#[derive(Debug)]
pub(crate) struct Receivers {
    /// From reader threads.
    pub(crate) events: Receiver<Event>,
    /// From writer threads and stoppers.
    pub(crate) progress: Receiver<Progress>,
}

/// New, bounded channels.
pub(crate) fn channels() -> (Senders, Receivers) {
    let (events, events_rx) = crossbeam_channel::bounded(EVENT_QUEUE);
    let (progress, progress_rx) = crossbeam_channel::bounded(PROGRESS_QUEUE);
    (Senders { events, progress }, Receivers { events: events_rx, progress: progress_rx })
}
