//! `chat-core`: the whole behaviour of the `chat` room as a sans-IO state machine.
//!
//! The core owns no sockets, threads, timers or clock. A runtime feeds it events through one
//! door, [`Server::handle_input`], passing the current time along, and carries out the actions
//! it takes from the other door, [`Server::poll_output`]:
//!
//! ```
//! use std::time::Instant;
//! use chat_core::{ClientId, Config, Input, Output, Server};
//!
//! let now = Instant::now();
//! let mut server = Server::new(Config::default(), now).unwrap();
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
//!     }
//! }
//! // Sleep until server.poll_timeout(), then feed Input::Timeout; stop once is_finished().
//! ```
//!
//! **Invariant:** after every call to `handle_input`, drain `poll_output` until it returns
//! `None`, then ask `poll_timeout` for the next wake-up. Outputs are in the order the runtime
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
//! All policy lives here: line framing ([`LineDecoder`]), safe text ([`sanitize`]), nicknames
//! ([`Nick`]), commands ([`Command`]), notices (the wire format, see `docs/PROTOCOL.md`), flood
//! control (every line counts, `/who` costs [`WHO_COST`]), who may connect (per-address limits,
//! from the peer address in [`Input::Connected`]), the deadline for an unfinished line,
//! slow-client handling, presence coalescing in big rooms, and shutdown. Clients read
//! the server's lines back with [`ServerLine::parse`], which sits next to their formatting.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod accept_backoff;
mod attempts;
mod bus;
mod command;
mod config;
mod decoder;
mod error;
mod flood;
mod id;
mod io;
mod nick;
mod outbox;
mod per_address;
mod presence;
mod records;
mod room;
mod roster;
mod sanitize;
mod server;
mod unfinished;
mod wire;

pub use accept_backoff::AcceptBackoff;
pub use attempts::{AttemptLimiter, AttemptLimits, Limited, LimitedBy};
pub use bus::{
    BusCommand, BusEvent, BusPayload, Gap, GapReason, ModerationAction, PAYLOAD_VERSION, PayloadError,
    StreamSeq, StreamSeqError, SubscribeFrom,
};
pub use command::{Command, CommandError, CommandInfo, WHO_COST};
pub use config::Config;
pub use decoder::{Line, LineDecoder};
pub use error::{ConfigError, InputError};
pub use id::ClientId;
pub use io::{Input, Output, PeerGone};
pub use nick::{Nick, NickError};
pub use outbox::Outbox;
pub use records::{
    Account, AddressRange, AddressRangeError, Ban, BanTarget, Motd, Mute, Operator, Record, RoomRef, Stored,
    StoredLine, StoredRoom, Topic, UnixMillis,
};
pub use sanitize::sanitize;
pub use server::Server;
pub use wire::{Departures, Names, ServerLine};
