//! [`Transport`]: one connection's layers between the socket and the core, and [`Endpoint`],
//! which makes them for a listener.

use std::fmt;
use std::io::IoSlice;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use chat_core::PeerGone;
use chat_core::kit::Outbox;
use rustls::ServerConnection;

use crate::http::response::Response;
use crate::meter::meter;
use crate::plain::Plain;
use crate::stream::{App, Stream};
use crate::web::{StatsBoard, Web, WebConfig};
use crate::{TlsConfig, TlsError};

/// What a listener speaks. Cloning is cheap: the settings are shared.
#[derive(Clone, Debug)]
pub enum Endpoint {
    /// Chat lines over plain TCP.
    Plain,
    /// Chat lines over TLS.
    Tls(TlsConfig),
    /// HTTP (the web page, `/healthz`, `/metrics`) and chat over WebSocket at `/ws`, over TLS
    /// when it has a [`TlsConfig`].
    Web(Arc<WebConfig>, Option<TlsConfig>),
}

impl Endpoint {
    /// The transport for a connection just accepted from `peer`. It uses the TLS settings
    /// current now (see [`TlsConfig::reload`]).
    pub fn accept(&self, peer: SocketAddr) -> Result<Transport, TlsError> {
        let tls = |config: &TlsConfig| ServerConnection::new(config.current()).map_err(TlsError::from);
        let inner = match self {
            Self::Plain => Inner::Plain(Plain::default()),
            Self::Tls(config) => Inner::Stream(Box::new(Stream::new(peer, Some(tls(config)?), App::Lines))),
            Self::Web(web, config) => {
                let tls = config.as_ref().map(tls).transpose()?;
                Inner::Stream(Box::new(Stream::new(peer, tls, App::Web(Web::new(web.clone(), peer)))))
            }
        };
        meter().accepted(self.kind());
        Ok(Transport { kind: self.kind(), inner, in_flight: 0 })
    }

    /// Where the runtime leaves the server's stats for this listener's connections, if it
    /// serves `/metrics` (see [`Transport::stats_board`]): a runtime whose core is on another
    /// thread than the connections publishes there itself.
    pub fn stats_board(&self) -> Option<&StatsBoard> {
        match self {
            Self::Web(web, _) => web.stats_board(),
            Self::Plain | Self::Tls(_) => None,
        }
    }

    /// The kind of transport this endpoint makes.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Plain => Kind::Plain,
            Self::Tls(_) => Kind::Tls,
            Self::Web(web, _) if !web.chat => Kind::Admin,
            Self::Web(_, None) => Kind::Web,
            Self::Web(_, Some(_)) => Kind::WebTls,
        }
    }

    /// What to write to a connection this endpoint accepted and the server turns away before
    /// it gets a transport (a runtime out of threads, say), in the connection's own protocol:
    /// the core's `notice` line on plain TCP, a `503 Service Unavailable` saying it on an HTTP
    /// listener. `None` over TLS, where answering would take a handshake: close the connection
    /// cleanly instead (after reading what it sent, so no reset destroys anything).
    pub fn refusal(&self, notice: &[u8]) -> Option<Vec<u8>> {
        match self {
            Self::Plain => Some(notice.to_vec()),
            Self::Web(_, None) => {
                let mut out = Vec::new();
                Response::refusal(notice).write(&mut out);
                Some(out)
            }
            Self::Tls(_) | Self::Web(_, Some(_)) => None,
        }
    }
}

/// The kinds of transport, to label connections (for example in metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Plain TCP.
    Plain,
    /// TLS.
    Tls,
    /// HTTP and WebSocket.
    Web,
    /// HTTPS and WebSocket over TLS.
    WebTls,
    /// The operator's listener (`/metrics`, `/healthz`), over HTTP or HTTPS: never a chat
    /// client.
    Admin,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [Kind::Plain, Kind::Tls, Kind::Web, Kind::WebTls, Kind::Admin];
}

impl Kind {
    /// A short lower-case name: `tcp`, `tls`, `ws`, `wss` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "tcp",
            Self::Tls => "tls",
            Self::Web => "ws",
            Self::WebTls => "wss",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the core must hear after a call, in this order: `opened` as [`Input::Connected`],
/// `data` as [`Input::Received`], `flushed` as [`Input::Flushed`], `ended` as
/// [`Input::Disconnected`]. Empty parts are skipped.
///
/// [`Input::Connected`]: chat_core::Input::Connected
/// [`Input::Received`]: chat_core::Input::Received
/// [`Input::Flushed`]: chat_core::Input::Flushed
/// [`Input::Disconnected`]: chat_core::Input::Disconnected
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use = "the core must hear what happened"]
pub struct Incoming<'a> {
    /// The connection just became a chat client, with this address (the real client behind a
    /// trusted proxy): announce it to the core. Never set twice for one connection.
    pub opened: Option<SocketAddr>,
    /// Chat bytes from the client, in the core's line format.
    pub data: &'a [u8],
    /// Bytes of the core's frames taken since last reported: the core's queue shrank by this.
    pub flushed: usize,
    /// How many of the core's frames those bytes completed (frames are taken whole, except on
    /// plain TCP, where a frame may be partly written), for `Input::Flushed`. The frames that
    /// [`Transport::send`] took at once are counted here the next time an `Incoming` is
    /// returned, so the core may count them a moment longer than their bytes.
    pub flushed_frames: usize,
    /// The chat client is gone. Set at most once, and only after `opened`.
    pub ended: Option<PeerGone>,
}

/// One connection's transport: sans-IO layers (plain TCP, TLS, HTTP, WebSocket) between the
/// socket's bytes and the core's lines. Made by [`Endpoint::accept`]; see the crate
/// documentation for how a runtime drives it.
#[derive(Debug)]
pub struct Transport {
    kind: Kind,
    inner: Inner,
    /// Encoded bytes [`drain`](Self::drain)ed to a writer and not yet [`written`](Self::written).
    in_flight: usize,
}

impl Drop for Transport {
    fn drop(&mut self) {
        meter().closed(self.kind);
    }
}

#[derive(Debug)]
enum Inner {
    Plain(Plain),
    Stream(Box<Stream>),
}

impl Transport {
    /// Call once, right after accepting, with the socket's peer (the address given to
    /// [`Endpoint::accept`]): true means the connection is a chat client already (plain TCP);
    /// announce it with that address. Other kinds announce it later, through
    /// [`Incoming::opened`] (after the TLS handshake, or the WebSocket upgrade).
    pub fn start(&mut self, peer: SocketAddr) -> bool {
        let opened = match &mut self.inner {
            Inner::Plain(plain) => plain.start().then_some(peer),
            Inner::Stream(_) => None,
        };
        meter().note(self.kind, &Incoming { opened, ..Incoming::default() });
        opened.is_some()
    }

    /// Feeds bytes read from the socket. On plain TCP, `data` is `bytes` itself.
    pub fn receive<'a>(&'a mut self, bytes: &'a [u8]) -> Incoming<'a> {
        meter().received(self.kind, bytes.len());
        let incoming = match &mut self.inner {
            Inner::Plain(plain) => plain.receive(bytes),
            Inner::Stream(stream) => stream.receive(bytes),
        };
        meter().note(self.kind, &incoming);
        incoming
    }

    /// The socket reached end of file: the client sends nothing more.
    pub fn receive_eof(&mut self) -> Incoming<'_> {
        match &mut self.inner {
            Inner::Plain(plain) => plain.receive_eof(),
            Inner::Stream(stream) => stream.receive_eof(),
        }
    }

    /// Queues one of the core's frames ([`Output::Transmit`](chat_core::Output::Transmit)).
    /// Frames for a connection that is not a chat client yet are the core's refusal: kept (up
    /// to 1 KiB), and said in the connection's protocol once the core closes it (see
    /// [`close`](Self::close)).
    /// On plain TCP it is written as it is, shared with the other recipients. Otherwise it is
    /// encoded at once if nothing waits for the socket; frames sent while encoded bytes wait
    /// (or while a [`drain`](Self::drain)ed batch is not yet [`written`](Self::written)) are
    /// encoded together once those are written, so that over TLS many lines share a record.
    /// Returns how many
    /// bytes of the core's frames were taken at once (encoded into the transport's bounded
    /// buffer, or dropped because the connection is closing): report them to the core as
    /// [`Input::Flushed`](chat_core::Input::Flushed), like [`Incoming::flushed`]. Always 0 on
    /// plain TCP, whose frames are taken only as the socket takes them.
    #[must_use = "the core must hear how much of its queue was taken"]
    pub fn send(&mut self, frame: Bytes) -> usize {
        match &mut self.inner {
            Inner::Plain(plain) => plain.send(frame),
            // While a writer elsewhere has a batch in flight, frames wait to be encoded together.
            Inner::Stream(stream) => stream.send(frame, self.in_flight > 0),
        }
    }

    /// True if there are bytes to write to the socket.
    pub fn wants_write(&self) -> bool {
        match &self.inner {
            Inner::Plain(plain) => plain.wants_write(),
            Inner::Stream(stream) => stream.wants_write(),
        }
    }

    /// Fills `slices` with the bytes to write (give it
    /// [`Outbox::MAX_SLICES`](chat_core::kit::Outbox::MAX_SLICES) of them) and returns how many it
    /// filled: write `&slices[..count]` with one vectored write, then call
    /// [`advance`](Self::advance).
    pub fn io_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        match &self.inner {
            Inner::Plain(plain) => plain.io_slices(slices),
            Inner::Stream(stream) => match slices.first_mut() {
                Some(slice) if stream.wants_write() => {
                    *slice = IoSlice::new(stream.pending_out());
                    1
                }
                _ => 0,
            },
        }
    }

    /// The socket took `written` bytes of those from [`io_slices`](Self::io_slices).
    pub fn advance(&mut self, written: usize) -> Incoming<'_> {
        meter().sent(self.kind, written);
        let incoming = match &mut self.inner {
            Inner::Plain(plain) => plain.advance(written),
            Inner::Stream(stream) => stream.advance(written),
        };
        meter().note(self.kind, &incoming);
        incoming
    }

    /// The core closed the connection ([`Output::Close`](chat_core::Output::Close)): drops
    /// the frames not taken yet, but for the first kilobyte of them (its last words: a refusal
    /// that found the connection already upgraded), and queues a goodbye (a WebSocket close frame, a TLS
    /// close_notify) after the encoded bytes already waiting (at most about 64 KiB, which the
    /// core counted as flushed). Write what [`wants_write`](Self::wants_write) until
    /// [`is_finished`](Self::is_finished), then close the socket; a client that reads nothing
    /// never lets it finish, so give it no longer than the core's `close_linger`. On plain
    /// TCP, everything queued is dropped and it is finished at once.
    ///
    /// A connection that is not a chat client yet, which the core sent a line before closing
    /// it (its refusal: [`Input::Accepted`](chat_core::Input::Accepted)), is told that line in
    /// its own protocol once it can, then finishes: over TLS, after the handshake (which goes on
    /// while the runtime keeps reading it); on the web listener, in answer to its next request
    /// (`503 Service Unavailable` with the line as the body, or for a WebSocket upgrade, the
    /// upgrade, the line as a text message and a close frame `1013 Try Again Later`, so that a
    /// page's script can show it). The core's deadline for releasing it bounds how long that
    /// may take.
    pub fn close(&mut self) {
        match &mut self.inner {
            Inner::Plain(plain) => plain.close(),
            Inner::Stream(stream) => stream.close(),
        }
    }

    /// True once the connection has nothing more to say: close the socket. This happens after
    /// [`close`](Self::close), after an HTTP answer that ends the connection, after a WebSocket
    /// closing handshake, and after a protocol error (once its error answer is written).
    pub fn is_finished(&self) -> bool {
        self.in_flight == 0
            && match &self.inner {
                Inner::Plain(plain) => plain.is_finished(),
                Inner::Stream(stream) => stream.is_finished(),
            }
    }

    /// For a runtime whose writer runs apart from the transport (on another thread), instead of
    /// [`io_slices`](Self::io_slices) and [`advance`](Self::advance): moves what there is to
    /// write into `into`, for the writer. On plain TCP these are the core's frames themselves,
    /// shared, never copied; otherwise one copy of the encoded bytes, with at most one batch
    /// in flight (the next is drained once the writer has written this one), so a client that
    /// stops reading still leaves the rest in the core's queue. Report what the writer wrote
    /// with [`written`](Self::written), and drain again while [`wants_write`](Self::wants_write).
    pub fn drain(&mut self, into: &mut Outbox) -> Incoming<'_> {
        match &mut self.inner {
            Inner::Plain(plain) => {
                plain.drain(into);
                Incoming::default()
            }
            Inner::Stream(stream) if self.in_flight == 0 && stream.wants_write() => {
                let bytes = Bytes::copy_from_slice(stream.pending_out());
                self.in_flight = bytes.len();
                into.push(bytes);
                let incoming = stream.advance(self.in_flight);
                meter().note(self.kind, &incoming);
                incoming
            }
            Inner::Stream(_) => Incoming::default(),
        }
    }

    /// The writer wrote `bytes` of what [`drain`](Self::drain) gave it, completing `frames` of
    /// its frames (what [`Outbox::advance`] returned).
    pub fn written(&mut self, bytes: usize, frames: usize) -> Incoming<'static> {
        meter().sent(self.kind, bytes);
        match &mut self.inner {
            Inner::Plain(_) => Incoming { flushed: bytes, flushed_frames: frames, ..Incoming::default() },
            Inner::Stream(stream) => {
                // The core's frames were counted when the transport took them.
                self.in_flight = self.in_flight.saturating_sub(bytes);
                if self.in_flight > 0 {
                    return Incoming::default();
                }
                // The batch is written: the frames that waited for it are encoded now.
                let (flushed, flushed_frames) = stream.refill();
                Incoming { flushed, flushed_frames, ..Incoming::default() }
            }
        }
    }

    /// Bytes this transport holds in its own buffers, beyond the core's frames it has not taken
    /// (which the core counts itself). Bounded: about 64 KiB of encoded output, the message
    /// being read, and an HTTP request head.
    pub fn buffered(&self) -> usize {
        match &self.inner {
            Inner::Plain(_) => 0,
            Inner::Stream(stream) => stream.buffered(),
        }
    }

    /// On a listener that serves `/metrics` (the operator's), where to publish the server's
    /// [`Stats`](chat_core::Stats) before each [`receive`](Self::receive), so a request for
    /// `/metrics` finds them fresh: `if let Some(board) = transport.stats_board() {
    /// board.publish(server.stats()) }`. `None` on every other connection.
    pub fn stats_board(&self) -> Option<&StatsBoard> {
        match &self.inner {
            Inner::Plain(_) => None,
            Inner::Stream(stream) => stream.stats_board(),
        }
    }

    /// What this connection speaks.
    pub fn kind(&self) -> Kind {
        self.kind
    }
}
