//! The web listener's connections: HTTP requests until one upgrades to a WebSocket at `/ws`,
//! then chat lines as WebSocket text messages.

mod config;
mod forwarded;
mod handshake;
mod origin;
mod route;

use std::net::SocketAddr;
use std::sync::Arc;

use chat_core::PeerGone;

pub use config::{MetricsHook, OriginPolicy, StatsBoard, WebConfig};

use crate::effects::Effects;
use crate::http::request::{self, MAX_HEAD, Parsed};
use crate::http::response::Response;
use crate::ws::{self, CloseCode, Decoder, Outcome};
use route::Answer;

/// One connection of a web listener, above TLS if any: bytes in, lines and answers out.
#[derive(Debug)]
pub(crate) struct Web {
    config: Arc<WebConfig>,
    /// The connection's own peer (maybe a proxy).
    peer: SocketAddr,
    phase: Phase,
    /// The server turned this connection away before it became a chat client: the next
    /// request is answered with this line (see [`refuse`](Self::refuse)).
    refusal: Option<Vec<u8>>,
}

#[derive(Debug)]
enum Phase {
    /// Reading requests; `head` holds the bytes not yet answered.
    Http { head: Vec<u8> },
    /// Speaking WebSocket.
    Ws(Decoder),
    /// Closing: nothing more is read or sent.
    Done,
}

impl Web {
    /// A fresh connection from `peer`.
    pub(crate) fn new(config: Arc<WebConfig>, peer: SocketAddr) -> Self {
        Self { config, peer, phase: Phase::Http { head: Vec::new() }, refusal: None }
    }

    /// Where the server's stats go, if this listener serves `/metrics`.
    pub(crate) fn stats_board(&self) -> Option<&StatsBoard> {
        self.config.stats_board()
    }

    /// True once the connection is a WebSocket that may be sent lines.
    pub(crate) fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Ws(_))
    }

    /// True while requests wait to be answered because `backlog` was over the limit.
    pub(crate) fn has_held_requests(&self) -> bool {
        matches!(&self.phase, Phase::Http { head } if !head.is_empty())
    }

    /// Bytes held for requests and messages not yet complete.
    pub(crate) fn buffered(&self) -> usize {
        match &self.phase {
            Phase::Http { head } => head.capacity(),
            Phase::Ws(decoder) => decoder.buffered(),
            Phase::Done => 0,
        }
    }

    /// Reads `input` (possibly empty, to answer held requests): chat lines are appended to
    /// `lines`, bytes to send to `out`. Requests are answered only while `backlog` (bytes
    /// already waiting for the socket) plus `out` stays under `room`, so a client that
    /// pipelines requests without reading the answers cannot grow the buffers.
    pub(crate) fn receive(
        &mut self,
        input: &[u8],
        lines: &mut Vec<u8>,
        out: &mut Vec<u8>,
        backlog: usize,
        room: usize,
    ) -> Effects {
        match &mut self.phase {
            Phase::Http { head } => {
                head.extend_from_slice(input);
                self.answer(lines, out, backlog, room)
            }
            Phase::Ws(decoder) => {
                let outcome = decoder.decode(input, lines, out);
                self.after(outcome)
            }
            Phase::Done => Effects::default(),
        }
    }

    /// The socket reached end of file.
    pub(crate) fn eof(&mut self) -> Effects {
        let was_open = self.is_open();
        self.phase = Phase::Done;
        Effects { ended: was_open.then_some(PeerGone::Closed), finish: true, ..Effects::default() }
    }

    /// Appends the core's `frame` (whole lines) to `out` as text messages; returns false if the
    /// connection can no longer take them (they are dropped).
    pub(crate) fn send(&mut self, frame: &[u8], out: &mut Vec<u8>) -> bool {
        let open = self.is_open();
        if open {
            ws::encode::lines(out, frame);
        }
        open
    }

    /// The core closed the connection: says goodbye (a close frame) if it is a WebSocket.
    pub(crate) fn close(&mut self, out: &mut Vec<u8>) {
        if self.is_open() {
            ws::encode::close(out, CloseCode::NORMAL, "");
        }
        self.phase = Phase::Done;
    }

    /// The server turned the connection away before it became a WebSocket: its next request
    /// (perhaps one already read) is answered with `notice` and the connection closes. A
    /// WebSocket upgrade is completed, then `notice` goes as a text message before a close
    /// frame (1013, try again later), so that the page's script can show it (a browser tells a
    /// script nothing of an HTTP answer to an upgrade); any other request gets it as a `503`.
    pub(crate) fn refuse(&mut self, notice: Vec<u8>) {
        if matches!(self.phase, Phase::Http { .. }) {
            self.refusal = Some(notice);
        }
    }

    /// Answers the requests in `head`, in order, while there is room.
    fn answer(&mut self, lines: &mut Vec<u8>, out: &mut Vec<u8>, backlog: usize, room: usize) -> Effects {
        loop {
            let Phase::Http { head } = &mut self.phase else { return Effects::default() };
            if head.is_empty() {
                return Effects::default();
            }
            if backlog + out.len() >= room {
                if head.len() > MAX_HEAD {
                    // Pipelining far ahead without reading the answers: not a browser.
                    tracing::debug!(peer = %self.peer, "dropped: too many unanswered requests");
                    self.phase = Phase::Done;
                    return Effects { finish: true, ..Effects::default() };
                }
                return Effects::default();
            }
            let (len, close, upgraded) = match request::parse(head) {
                Parsed::Partial => return Effects::default(),
                Parsed::Invalid(status) => {
                    Response::error(status).write(out);
                    (head.len(), true, None)
                }
                Parsed::Complete { request, len } => match route::answer(&self.config, &request, self.peer) {
                    answer if self.refusal.is_some() => {
                        let notice = self.refusal.take().unwrap_or_default();
                        refused(answer, &notice, out);
                        (len, true, None)
                    }
                    Answer::Respond(response) => {
                        response.write(out);
                        (len, response.close, None)
                    }
                    Answer::Upgrade(response, real) => {
                        response.write(out);
                        (len, false, Some(real))
                    }
                },
            };
            let rest = head.split_off(len);
            if close {
                self.phase = Phase::Done;
                return Effects { finish: true, ..Effects::default() };
            }
            if let Some(real) = upgraded {
                tracing::debug!(peer = %self.peer, %real, "WebSocket opened");
                let mut decoder = Decoder::new(self.config.max_message);
                let outcome = decoder.decode(&rest, lines, out);
                self.phase = Phase::Ws(decoder);
                let mut effects = Effects { opened: Some(real), ..Effects::default() };
                effects.merge(self.after(outcome));
                return effects;
            }
            *head = rest;
        }
    }

    /// What the WebSocket decoder's outcome means for the connection.
    fn after(&mut self, outcome: Outcome) -> Effects {
        let ended = match outcome {
            Outcome::Open => return Effects::default(),
            Outcome::PeerClosed(_) => PeerGone::Closed,
            Outcome::Failed(code) => {
                tracing::debug!(peer = %self.peer, code = code.0, "WebSocket protocol error");
                PeerGone::Lost
            }
        };
        self.phase = Phase::Done;
        Effects { ended: Some(ended), finish: true, ..Effects::default() }
    }
}

/// Writes the answer of a refused connection to its request (`answer` is what it would have
/// got): a WebSocket upgrade, `notice` as text messages and a close frame; otherwise a `503`
/// saying `notice`.
fn refused(answer: Answer, notice: &[u8], out: &mut Vec<u8>) {
    match answer {
        Answer::Upgrade(response, _) => {
            response.write(out);
            ws::encode::lines(out, notice);
            let text = String::from_utf8_lossy(notice);
            let reason = text.trim_end().trim_start_matches("! ");
            ws::encode::close(out, CloseCode::TRY_AGAIN_LATER, reason);
        }
        Answer::Respond(_) => Response::refusal(notice).write(out),
    }
}
