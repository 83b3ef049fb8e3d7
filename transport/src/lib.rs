//! `chat-transport`: the layers between a chat connection's socket and the core, written once
//! for every runtime, with no I/O of their own: plain TCP, TLS (rustls with the `ring`
//! provider), HTTP/1.1 (the web client, `/healthz`, `/metrics`) and WebSocket (RFC 6455).
//!
//! A listener has an [`Endpoint`]; each accepted connection gets a [`Transport`] from
//! [`Endpoint::accept`]. The runtime owns the socket and moves bytes; the transport decides
//! what they mean, and tells the runtime what the core must hear through [`Incoming`]:
//!
//! ```
//! use std::io::IoSlice;
//! use std::time::Instant;
//! use chat_core::kit::Outbox;
//! use chat_core::{ClientId, Config, Input, Output, Server};
//! use chat_transport::{Endpoint, Incoming};
//!
//! /// Tells the core what an `Incoming` says, in order.
//! fn feed(server: &mut Server, id: ClientId, incoming: Incoming<'_>) {
//!     let now = Instant::now();
//!     if let Some(peer) = incoming.opened {
//!         server.handle_input(now, Input::Connected { id, peer }).unwrap();
//!     }
//!     if !incoming.data.is_empty() {
//!         server.handle_input(now, Input::Received { id, bytes: incoming.data }).unwrap();
//!     }
//!     if incoming.flushed > 0 {
//!         let (bytes, frames) = (incoming.flushed, incoming.flushed_frames);
//!         server.handle_input(now, Input::Flushed { id, bytes, frames }).unwrap();
//!     }
//!     if let Some(cause) = incoming.ended {
//!         server.handle_input(now, Input::Disconnected { id, cause }).unwrap();
//!     }
//! }
//!
//! let mut server = Server::new(Config::default(), Instant::now(), std::time::SystemTime::now()).unwrap();
//! let id = ClientId(1);
//! let peer = "127.0.0.1:4000".parse().unwrap();
//! let mut transport = Endpoint::Plain.accept(peer).unwrap();
//! // Accepted: plain TCP is a chat client at once; other kinds say so later in `opened`.
//! if transport.start(peer) {
//!     feed(&mut server, id, Incoming { opened: Some(peer), ..Incoming::default() });
//! }
//! // The socket is readable: feed what was read (`receive_eof` at end of file).
//! let incoming = transport.receive(b"hello\n");
//! feed(&mut server, id, incoming);
//! // The core's output: frames go to the transport, closes too.
//! while let Some(output) = server.poll_output() {
//!     match output {
//!         Output::Transmit { to, frame } => {
//!             let taken = transport.send(frame);
//!             feed(&mut server, id, Incoming { flushed: taken, ..Incoming::default() });
//!         }
//!         Output::Close { to } => transport.close(),
//!         // Release: close the socket once `transport.is_finished()`; pauses: stop or resume
//!         // reading this socket.
//!         Output::Release { .. } | Output::PauseReading | Output::ResumeReading | Output::Service(_) => {}
//!     }
//! }
//! // The socket is writable and the transport wants to write: one vectored write.
//! while transport.wants_write() {
//!     let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
//!     let count = transport.io_slices(&mut slices);
//!     let written: usize = slices[..count].iter().map(|slice| slice.len()).sum(); // socket.write_vectored(..)
//!     let incoming = transport.advance(written);
//!     feed(&mut server, id, incoming);
//! }
//! // Once `transport.is_finished()`, close the socket.
//! ```
//!
//! **Invariant:** after every call that returns an [`Incoming`] (`receive`, `receive_eof`,
//! `advance`), hand it to the core before anything else happens to that connection; after
//! every `receive`, `send`, `advance` and `close`, write while `wants_write`, and close the
//! socket once `is_finished`. A transport's own buffers stay bounded ([`Transport::buffered`]):
//! it encodes the core's frames at once only while nothing encoded waits, and otherwise once
//! the socket (or a writer thread) has taken what waits, up to 64 KiB at a time (over TLS, many
//! lines to a record), so a client that stops reading leaves the rest in the core's queue,
//! where the slow-client limit applies exactly as for plain TCP. The invariant covers
//! `written` too: it may leave something to write. Plain TCP copies nothing: frames are written as the core shared
//! them. A client that breaks a protocol gets an answer (an HTTP error, a WebSocket close
//! code, a TLS alert) and is closed; it never disturbs the others.
//!
//! Runtimes go through [`Standing`], the rules they share: [`Standing::start`] gives the
//! core's first input for a connection (`Connected` on plain TCP; `Accepted` for a TLS
//! handshake or an HTTP connection, which the core counts per address and closes if it does not
//! become a client within its handshake timeout), [`Standing::inputs`] what each `Incoming`
//! means to the core, [`Standing::buffered`] what the transport's own buffers hold (they count
//! toward the core's memory budget), and [`Standing::forget`] the end of a connection that
//! never became a client. On the operator's listener, [`Transport::stats_board`] is where the
//! runtime leaves the core's [`Stats`](chat_core::Stats) for `/metrics`;
//! [`Endpoint::refusal`] is what a connection turned away before it gets a transport is told.
//!
//! TLS certificates live in a [`TlsConfig`] that [`TlsConfig::reload`] refreshes without
//! dropping anyone; [`self_signed::generate`] makes a pair for trying TLS out and
//! [`Fingerprint`] names it. The web client's page is in `web/` (HTML, CSS and JavaScript, no
//! build step), embedded in the binary.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod assets;
mod buffer;
mod effects;
mod error;
pub mod http;
pub mod meter;
mod plain;
#[cfg(feature = "self-signed")]
pub mod self_signed;
mod standing;
mod stream;
pub mod tls;
mod transport;
pub mod web;
pub mod ws;

pub use error::TlsError;
pub use standing::{Heard, Standing};
pub use tls::{Fingerprint, TlsConfig};
pub use transport::{Endpoint, Incoming, Kind, Transport};
pub use web::{MetricsHook, OriginPolicy, StatsBoard, WebConfig};
