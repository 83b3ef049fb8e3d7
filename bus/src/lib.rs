//! `chat-bus`: one node's bridge to Redis, so several `chat serve` nodes share rooms.
//!
//! Every room is a Redis Stream (`chat:room:ROOM`). Each node appends what its users say and
//! reads back every room that has local members, so all nodes deliver a room's entries in one
//! order, the stream's; a node delivers its own users' lines when they come back from the
//! stream. The core decides everything ([`BusCommand`](chat_core::BusCommand) out,
//! [`BusEvent`](chat_core::BusEvent) in); this crate only carries it out, on two threads using
//! the `redis` crate's blocking API, so both runtimes (smol and std) use the same bridge.
//!
//! ```no_run
//! use chat_bus::{Bridge, BusConfig, RedisUrl};
//! use chat_core::{BusCommand, BusPayload, SubscribeFrom};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let url: RedisUrl = "redis://127.0.0.1:6379/0".parse()?; // from --redis
//! let (bridge, events) = Bridge::start(BusConfig::new(url, "node-a"), || { /* wake the event loop */ })?;
//! bridge.send(BusCommand::Subscribe { room: "#lobby".into(), from: SubscribeFrom::Latest }).ok();
//! let line = BusPayload::Line { from: "ann".into(), text: "hi".into() };
//! if let Err(full) = bridge.send(BusCommand::Append { room: "#lobby".into(), payload: line }) {
//!     // Tell ann her line did not go out (full.0 is the command).
//! }
//! for event in events.try_iter() {
//!     // server.handle_input(now, Input::Service(Reply::Bus(event))): chat-services does this.
//! }
//! # Ok(()) }
//! ```
//!
//! **Invariant:** for every room subscribed, the events carry the stream's entries in stream
//! order, each once, from where the subscription started; whatever cannot be delivered is said
//! with a [`Gap`](chat_core::Gap) before the next entry (a stream trimmed past the last entry
//! delivered, or a Redis that lost its data, seen as a new `chat:epoch`).
//!
//! How the engine and the runtimes drive it:
//! - The runtime starts one [`Bridge`] per node when `--redis` is given, passes every
//!   `BusCommand` the core emits to [`Bridge::send`] (it never waits; a full queue hands the
//!   command back as [`QueueFull`]), and feeds every event from the receiver to the core; the
//!   `wake` callback tells the runtime's loop that events are waiting.
//! - The engine sends [`BusCommand::Heartbeat`](chat_core::BusCommand::Heartbeat) on its clock
//!   every third of [`BusConfig::heartbeat_ttl`], so a node whose event loop stops is declared
//!   dead as if it had crashed.
//! - Redis going away is [`BusEvent::Down`](chat_core::BusEvent::Down): appends queue (bounded,
//!   in count and bytes), both connections reconnect with a doubling back-off, and every room
//!   resumes from its last delivered entry on [`BusEvent::Up`](chat_core::BusEvent::Up). An
//!   append retried after a lost reply is written once (each carries the node's incarnation
//!   and publishing number, checked by the append script).
//!
//! See `docs/CLUSTER.md` for the design: keys, numbering, recovery, and what is guaranteed.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod accounts;
mod backoff;
mod config;
mod connection;
mod error;
mod handle;
mod keys;
mod millis;
mod nodes;
mod reader;
mod restarts;
mod rooms;
mod scripts;
mod shared;
#[cfg(feature = "testing")]
pub mod testing;
mod url;
mod writer;

// The integration tests' Redis harness, for the unit tests that need a real server.
#[cfg(test)]
extern crate self as chat_bus;
#[cfg(test)]
#[path = "../tests/support/mod.rs"]
mod support;

pub use config::BusConfig;
pub use error::{BusError, QueueFull, UrlError};
pub use handle::{Bridge, BusStats};
pub use url::RedisUrl;
