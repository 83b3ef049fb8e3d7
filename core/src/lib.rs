//! `chat-core`: the whole behaviour of the `chat` server, its rooms and their history, as a
//! sans-IO state machine.
//!
//! The core owns no sockets, threads, timers or clock. A runtime feeds it events through one
//! door, [`Server::handle_input`], passing the current time along, and carries out the actions
//! it takes from the other door, [`Server::poll_output`]:
//!
//! ```
//! use std::time::{Instant, SystemTime};
//! use chat_core::{ClientId, Config, Input, Output, Server};
//!
//! // The one reading of the clocks, by the runtime: the core derives every later wall-clock
//! // time (shown in history) from the instants it is given.
//! let now = Instant::now();
//! let mut server = Server::new(Config::default(), now, SystemTime::now()).unwrap();
//! server.handle_input(now, Input::Connected { id: ClientId(1), peer: "127.0.0.1:4000".parse().unwrap() }).unwrap();
//! server.handle_input(now, Input::Connected { id: ClientId(2), peer: "127.0.0.1:4001".parse().unwrap() }).unwrap();
//! server.handle_input(now, Input::Received { id: ClientId(1), bytes: b"hello\n" }).unwrap();
//! while let Some(output) = server.poll_output() {
//!     match output {
//!         Output::Transmit { to, frame } => { /* queue `frame` for `to`; report Flushed or Blocked */ }
//!         Output::Close { to } => { /* shut `to` down for writing; read and discard until Release */ }
//!         Output::Release { to } => { /* close and forget `to` */ }
//!         Output::PauseReading => { /* read from no connection until ResumeReading */ }
//!         Output::ResumeReading => { /* read again */ }
//!         Output::Service(request) => { /* services.request(*request); feed replies as Input::Service */ }
//!     }
//! }
//! // Sleep until server.poll_timeout(), then feed Input::Timeout; stop once is_finished().
//! ```
//!
//! **Invariant:** after every call to `handle_input`, drain `poll_output` until it returns
//! `None` (feeding back every [`Reply`] the [`kit::Services`] have ready, likewise), then ask
//! `poll_timeout` for the next wake-up. Outputs are in the order the runtime
//! must carry them out per client. No output names a client after its `Release` (or after the
//! runtime reported it `Lost`), and no `Transmit` follows its `Close`. The output queued for the
//! clients costs at most [`Config::max_memory`] plus what one input fans out
//! ([`Server::queued_memory`]). [`Server::is_finished`] is the one condition for a runtime to
//! stop.
//!
//! # Slow clients and memory
//!
//! A client is too slow when *its socket* stops taking bytes, not when the server's backlog is
//! large: the runtime reports [`Input::Blocked`] when a write would block and
//! [`Input::Flushed`] when the socket takes bytes again. A client blocked for
//! [`Config::blocked_grace`] with more than [`Config::max_queue`] queued, or for
//! [`Config::write_deadline`] with more than [`Config::soft_queue`], is disconnected (after
//! Redis's `client-output-buffer-limit` and NATS's slow consumers). Over the whole-server budget
//! [`Config::max_memory`] the core drops the stuck clients holding the most, and otherwise asks
//! the runtime to stop reading ([`Output::PauseReading`]) until the output drains: TCP then
//! slows the senders down, and a client that reads is never dropped. Lines that waited in the
//! socket while reading was paused are not charged to flood control as a burst.
//!
//! A client whose socket is full, or who has more than half of [`Config::soft_queue`] handed
//! out and not yet written, is *parked*: broadcasts skip it, and its room keeps a log of each
//! line once for all its parked members, from the oldest one's position on. When the runtime
//! reports the socket took bytes, the client is handed what it is owed, in order, half the soft
//! limit at a time. So a line to a room of 2,000 clients that do not read costs one logged
//! frame, not 2,000 queued ones; what a parked client is owed counts against its limits, and
//! the log once against the budget. Runtimes cap each socket's kernel send buffer at
//! [`kit::Outbox::SEND_BUFFER`], so that a client that does not read is found out (its socket
//! fills) after a few hundred lines rather than megabytes.
//!
//! # Rooms, history and names
//!
//! Every connection is in exactly one room, `#lobby` to begin with, so a client that never
//! types a command sees the one room it always saw. A new connection is called `guest-NNNN`
//! (never its address); its arrival is announced a moment later
//! ([`Config::announce_after`]) or at its first line, so one that opens with `/nick bob`
//! arrives as `bob`. Each room numbers its lines and keeps the last [`Config::history`] of
//! them, replayed to whoever comes in. The core has no clock: [`Server::new`] is told the
//! wall-clock time of its first instant, and a line's time is derived from the instant it was
//! handled at. With a database ([`Config::persist`]) the core asks for every line and topic to
//! be kept ([`Request::Persist`]), and [`Server::restore`] builds it from what was kept
//! ([`Stored`]): history, topics and numbering survive a restart.
//!
//! # Layout
//!
//! The crate root exports the engine: [`Server`], its [`Config`], [`Input`] and [`Output`].
//! [`protocol`] holds what both ends of a connection agree on: line framing
//! ([`protocol::LineDecoder`]), safe text ([`protocol::sanitize`]), names
//! ([`protocol::Nick`], [`protocol::RoomName`]), commands ([`protocol::Command`]) and the
//! server's lines, written and read back ([`protocol::ServerLine`]; see `docs/PROTOCOL.md`).
//! [`kit`] holds what every runtime needs beside the engine: the per-connection write queue
//! ([`kit::Outbox`]) and the accept-error policy ([`kit::AcceptBackoff`]). Inside, the server
//! is split into the plumbing of queues and timers, arrivals and departures, and what each
//! command does; the registry of connections is apart from the rooms.
//! Work that must not run on the event loop (the database, password hashing, the message bus)
//! is asked for through one seam: [`Output::Service`] with a [`Request`], answered by
//! [`Input::Service`] with a [`Reply`] (see [`kit::Services`]).
//! The records the core will ask the runtime to persist ([`Record`], [`Stored`]), the
//! attempt limiter ([`AttemptLimiter`]) and the bus seam shared by several nodes
//! ([`BusCommand`], [`BusEvent`]; see `docs/CLUSTER.md`) are engine types too, exported at the
//! root.
//!
//! All policy lives here: flood control (every line counts, `/who` costs
//! [`protocol::WHO_COST`]), who may connect (per-address limits, from the peer address in
//! [`Input::Connected`]), the deadline for an unfinished line, slow-client handling, presence
//! coalescing in big rooms, rooms and history, and shutdown.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod accounts;
mod attempts;
mod bus;
mod clock;
mod cluster;
mod config;
mod deadlines;
mod error;
mod flood;
mod id;
mod io;
pub mod kit;
mod moderation;
mod per_address;
mod positions;
mod presence;
pub mod protocol;
mod records;
mod registry;
mod rooms;
mod roster;
mod server;
mod service;
#[cfg(feature = "sim")]
pub mod sim;
mod social;
mod stats;
mod unfinished;

pub use attempts::{AttemptLimiter, AttemptLimits, Limited, LimitedBy};
pub use bus::{
    BusCommand, BusEvent, BusPayload, Gap, GapReason, Issuer, ModerationAction, PAYLOAD_VERSION,
    PayloadError, SERVER_STREAM, ServerChange, StreamSeq, StreamSeqError, SubscribeFrom, TopicChange,
};
pub use cluster::ClusterConfig;
pub use config::Config;
pub use error::{ConfigError, InputError};
pub use id::ClientId;
pub use io::{Input, Output, PeerGone};
pub use records::{
    Account, AddressRange, AddressRangeError, Ban, BanTarget, Motd, Mute, Operator, Record, RoomRef, Stored,
    StoredLine, StoredRoom, Topic, UnixMillis,
};
pub use server::Server;
pub use service::{PasswordOutcome, PasswordRequest, Reply, Request, Ticket};
pub use stats::{DropReason, Drops, Lateness, Stats};
