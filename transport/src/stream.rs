//! [`Stream`]: a connection with layers above the socket: TLS, the web listener's HTTP and
//! WebSocket, or both. It copies the core's frames into an encoded buffer of bounded size, so a
//! client that stops reading holds the rest in the core's queue, where the slow-client limit
//! sees it; frames that come while encoded bytes wait are encoded together later (one TLS
//! record for many lines).

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::SocketAddr;

use bytes::Bytes;
use chat_core::PeerGone;
use rustls::ServerConnection;

use crate::Incoming;
use crate::buffer::{self, OutBuf};
use crate::effects::Effects;
use crate::web::Web;

/// Encoded bytes held for the socket before more of the core's frames are taken. A client that
/// reads nothing holds at most this much here, plus one frame and the TLS records around it.
pub(crate) const OUT_ROOM: usize = 64 * 1024;

/// Most bytes of the core's frames kept for a connection that is not a chat client yet (its
/// refusal, said once the core closes it); the rest are dropped.
const EARLY_ROOM: usize = 1024;

/// Room (in frames) an empty queue of the core's frames may keep.
const KEEP_FRAMES: usize = 64;

/// What runs above the socket (and TLS, if any).
#[derive(Debug)]
pub(crate) enum App {
    /// Chat lines as they are (TLS only: without TLS, this is [`crate::plain`]).
    Lines,
    /// HTTP, then WebSocket.
    Web(Web),
}

/// A connection through TLS, HTTP or WebSocket.
#[derive(Debug)]
pub(crate) struct Stream {
    peer: SocketAddr,
    tls: Option<ServerConnection>,
    app: App,
    /// The core's frames not yet taken, oldest first.
    pending: VecDeque<Bytes>,
    /// Bytes of the core's frames taken since last reported.
    taken: usize,
    /// The core's frames taken (always whole) since last reported.
    taken_frames: usize,
    /// Bytes for the socket.
    out: OutBuf,
    /// Chat lines read by the last call, for the core.
    lines: Vec<u8>,
    /// Plain text between the application layer and TLS.
    scratch: Vec<u8>,
    opened: bool,
    ended: bool,
    /// Nothing more is read or taken from the core: close once `out` is written.
    finishing: bool,
    /// The core's frames sent before the connection became a chat client: its refusal.
    early: Vec<u8>,
    /// The core turned the connection away before it became a chat client: it is told why
    /// once it can (after the TLS handshake, in answer to its HTTP request), then finishes.
    refusing: bool,
    /// What a refused TLS connection of chat lines is told once its handshake is done.
    refusal: Option<Vec<u8>>,
}

impl Stream {
    pub(crate) fn new(peer: SocketAddr, tls: Option<ServerConnection>, app: App) -> Self {
        Self {
            peer,
            tls,
            app,
            pending: VecDeque::new(),
            taken: 0,
            taken_frames: 0,
            out: OutBuf::default(),
            lines: Vec::new(),
            scratch: Vec::new(),
            opened: false,
            ended: false,
            finishing: false,
            early: Vec::new(),
            refusing: false,
            refusal: None,
        }
    }

    pub(crate) fn receive(&mut self, input: &[u8]) -> Incoming<'_> {
        buffer::reset(&mut self.lines);
        let effects = if self.finishing { Effects::default() } else { self.read(input) };
        self.apply(effects)
    }

    pub(crate) fn receive_eof(&mut self) -> Incoming<'_> {
        buffer::reset(&mut self.lines);
        let effects = match &mut self.app {
            _ if self.finishing => Effects::default(),
            App::Web(web) => web.eof(),
            // TLS with chat lines: like plain TCP, the client may still read after a half-close.
            App::Lines if self.opened => Effects { ended: Some(PeerGone::Closed), ..Effects::default() },
            App::Lines => Effects { finish: true, ..Effects::default() },
        };
        self.apply(effects)
    }

    /// Queues one of the core's frames. It is encoded at once only if nothing waits for the
    /// socket and `hold` is false (a writer elsewhere is not busy with an earlier batch);
    /// otherwise it waits with the frames after it, to be encoded together once the socket has
    /// taken what waits ([`advance`](Self::advance), [`refill`](Self::refill)): over TLS, one
    /// record for many lines instead of one each. Returns the bytes of the core's frames taken.
    pub(crate) fn send(&mut self, frame: Bytes, hold: bool) -> usize {
        if !frame.is_empty() {
            self.pending.push_back(frame);
            if self.out.is_empty() && !hold {
                self.fill();
            }
        }
        std::mem::take(&mut self.taken)
    }

    /// A writer elsewhere has written its batch: encodes the frames that waited for it, and
    /// returns the bytes and frames of the core's taken since last reported.
    pub(crate) fn refill(&mut self) -> (usize, usize) {
        self.fill();
        (std::mem::take(&mut self.taken), std::mem::take(&mut self.taken_frames))
    }

    pub(crate) fn wants_write(&self) -> bool {
        !self.out.is_empty()
    }

    pub(crate) fn pending_out(&self) -> &[u8] {
        self.out.pending()
    }

    pub(crate) fn advance(&mut self, written: usize) -> Incoming<'_> {
        self.out.advance(written);
        buffer::reset(&mut self.lines);
        let held = matches!(&self.app, App::Web(web) if web.has_held_requests());
        let effects = if held && !self.finishing { self.read(&[]) } else { Effects::default() };
        self.fill();
        self.apply(effects)
    }

    pub(crate) fn close(&mut self) {
        let open = self.is_open();
        if !open && !self.finishing {
            for frame in &self.pending {
                keep_early(&mut self.early, frame);
            }
        }
        buffer::reset(&mut self.scratch);
        if open && !self.finishing {
            // The core's last words (a refusal that found the connection already a chat
            // client, on a runtime whose core runs elsewhere; a kick's reason): the last frames,
            // up to the room kept for a refusal, said before the goodbye; a slow client's
            // backlog before them is dropped.
            let mut room = EARLY_ROOM;
            let mut last = 0;
            for frame in self.pending.iter().rev() {
                let Some(left) = room.checked_sub(frame.len()) else { break };
                room = left;
                last += 1;
            }
            for frame in self.pending.iter().skip(self.pending.len() - last) {
                encode(&mut self.app, frame, &mut self.scratch);
            }
        }
        self.pending.clear();
        self.taken = 0;
        self.taken_frames = 0;
        if self.finishing || self.refusing {
            buffer::reset(&mut self.scratch);
            return;
        }
        if !self.early.is_empty() && !open {
            return self.refuse();
        }
        self.finishing = true;
        if let App::Web(web) = &mut self.app {
            web.close(&mut self.scratch);
        }
        match &mut self.tls {
            Some(tls) => {
                tls_write(tls, &self.scratch, &mut self.out);
                tls.send_close_notify();
                tls_flush(tls, &mut self.out);
            }
            None => self.out.tail().extend_from_slice(&self.scratch),
        }
        buffer::reset(&mut self.scratch);
    }

    /// Turns away a connection that is not a chat client yet with the core's line in
    /// `early`: it is said as soon as the layers allow, perhaps at once (a request already
    /// read, a handshake already done).
    fn refuse(&mut self) {
        self.refusing = true;
        let notice = std::mem::take(&mut self.early);
        match &mut self.app {
            App::Web(web) => web.refuse(notice),
            App::Lines => self.refusal = Some(notice),
        }
        buffer::reset(&mut self.lines);
        if self.read(&[]).finish {
            self.finishing = true;
        }
    }

    /// True once the connection carries chat lines: the core's frames are for its client.
    fn is_open(&self) -> bool {
        match &self.app {
            App::Lines => self.opened,
            App::Web(web) => web.is_open(),
        }
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finishing && self.out.is_empty()
    }

    /// Where the server's stats go, on a listener that serves `/metrics`.
    pub(crate) fn stats_board(&self) -> Option<&crate::StatsBoard> {
        match &self.app {
            App::Web(web) => web.stats_board(),
            App::Lines => None,
        }
    }

    pub(crate) fn buffered(&self) -> usize {
        let app = match &self.app {
            App::Web(web) => web.buffered(),
            App::Lines => 0,
        };
        self.out.capacity() + self.lines.capacity() + self.scratch.capacity() + app
    }

    /// Reads socket bytes through the layers: chat lines land in `self.lines`, answers in
    /// `self.out`.
    fn read(&mut self, input: &[u8]) -> Effects {
        let backlog = self.out.len();
        let Some(tls) = &mut self.tls else {
            return match &mut self.app {
                App::Web(web) => web.receive(input, &mut self.lines, self.out.tail(), backlog, OUT_ROOM),
                App::Lines => {
                    self.lines.extend_from_slice(input);
                    Effects::default()
                }
            };
        };
        let mut effects = Effects::default();
        let mut rest = input;
        let mut plain = Vec::new();
        loop {
            plain.clear();
            let mut peer_closed = false;
            if !rest.is_empty() {
                // Never with nothing to read: rustls takes a read of 0 bytes for end of file.
                if let Err(error) = tls.read_tls(&mut rest) {
                    tracing::debug!(peer = %self.peer, %error, "TLS read failed");
                    effects.merge(lost());
                    return effects;
                }
                let state = match tls.process_new_packets() {
                    Ok(state) => state,
                    Err(error) => {
                        tracing::debug!(peer = %self.peer, %error, "TLS error");
                        // rustls queued an alert telling the client why.
                        tls_flush(tls, &mut self.out);
                        effects.merge(lost());
                        return effects;
                    }
                };
                plain.resize(state.plaintext_bytes_to_read(), 0);
                peer_closed = state.peer_has_closed();
                if let Err(error) = tls.reader().read_exact(&mut plain) {
                    tracing::debug!(peer = %self.peer, %error, "TLS plaintext read failed");
                }
            }
            buffer::reset(&mut self.scratch);
            effects.merge(match &mut self.app {
                App::Lines => {
                    self.lines.extend_from_slice(&plain);
                    Effects::default()
                }
                App::Web(web) => web.receive(&plain, &mut self.lines, &mut self.scratch, backlog, OUT_ROOM),
            });
            tls_write(tls, &self.scratch, &mut self.out);
            if matches!(self.app, App::Lines) && !tls.is_handshaking() {
                if let Some(notice) = self.refusal.take() {
                    // Refused before its handshake: now it can be told why, and closed.
                    tls_write(tls, &notice, &mut self.out);
                    tls.send_close_notify();
                    effects.finish = true;
                } else if !self.opened {
                    effects.opened = effects.opened.or(Some(self.peer));
                }
            }
            if peer_closed {
                let eof = match &mut self.app {
                    App::Web(web) => web.eof(),
                    App::Lines => Effects { ended: Some(PeerGone::Closed), ..Effects::default() },
                };
                effects.merge(eof);
            }
            if rest.is_empty() || peer_closed || effects.finish {
                break;
            }
        }
        tls_flush(tls, &mut self.out);
        effects
    }

    /// Applies what reading found and hands the core its part.
    fn apply(&mut self, effects: Effects) -> Incoming<'_> {
        let opened = effects.opened.filter(|_| !self.opened && !self.finishing && !self.refusing);
        self.opened |= opened.is_some();
        let ended = effects.ended.filter(|_| self.opened && !self.ended);
        self.ended |= ended.is_some();
        if effects.finish && !self.finishing {
            self.finishing = true;
            // Frames no one will read count as taken, so the core's queue drains.
            self.taken_frames += self.pending.len();
            self.taken += self.pending.drain(..).map(|frame| frame.len()).sum::<usize>();
        }
        let flushed = std::mem::take(&mut self.taken);
        let flushed_frames = std::mem::take(&mut self.taken_frames);
        // A refused connection's chat lines reach no one.
        let data: &[u8] = if self.refusing { &[] } else { &self.lines };
        Incoming { opened, data, flushed, flushed_frames, ended }
    }

    /// Takes the core's frames into `out` while it has room.
    fn fill(&mut self) {
        if self.finishing {
            self.taken_frames += self.pending.len();
            self.taken += self.pending.drain(..).map(|frame| frame.len()).sum::<usize>();
            return;
        }
        if self.out.len() >= OUT_ROOM || self.pending.is_empty() {
            return;
        }
        let open = self.is_open();
        buffer::reset(&mut self.scratch);
        while self.out.len() + self.scratch.len() < OUT_ROOM {
            let Some(frame) = self.pending.pop_front() else { break };
            self.taken += frame.len();
            self.taken_frames += 1;
            if !open {
                keep_early(&mut self.early, &frame);
                continue;
            }
            let target = if self.tls.is_some() { &mut self.scratch } else { self.out.tail() };
            encode(&mut self.app, &frame, target);
        }
        if let Some(tls) = &mut self.tls {
            tls_write(tls, &self.scratch, &mut self.out);
            tls_flush(tls, &mut self.out);
        }
        buffer::reset(&mut self.scratch);
        if self.pending.is_empty() && self.pending.capacity() > KEEP_FRAMES {
            self.pending = VecDeque::new();
        }
    }
}

/// Keeps what fits of `frame`, one of the core's frames for a connection that is not a chat
/// client yet (the core is refusing it: said when it closes it).
/// Appends one of the core's frames to `target` as `app` carries it.
fn encode(app: &mut App, frame: &[u8], target: &mut Vec<u8>) {
    match app {
        App::Lines => target.extend_from_slice(frame),
        App::Web(web) => {
            web.send(frame, target);
        }
    }
}

fn keep_early(early: &mut Vec<u8>, frame: &[u8]) {
    let room = EARLY_ROOM.saturating_sub(early.len());
    early.extend_from_slice(&frame[..frame.len().min(room)]);
}

/// The connection broke (a TLS error): the client, if it was one, is lost.
fn lost() -> Effects {
    Effects { ended: Some(PeerGone::Lost), finish: true, ..Effects::default() }
}

/// Encrypts all of `plain` into records in `out`.
///
/// rustls takes at most 64 KiB at a time (its own buffer's limit, records included), and
/// `plain` may be longer (the transport's room plus a frame): each piece's records move to
/// `out` before the next piece goes in, so nothing is cut off.
fn tls_write(tls: &mut ServerConnection, plain: &[u8], out: &mut OutBuf) {
    let mut rest = plain;
    while !rest.is_empty() {
        match tls.writer().write(rest) {
            Ok(0) if !tls.wants_write() => {
                tracing::debug!(left = rest.len(), "TLS takes no more plain text");
                return;
            }
            Ok(taken) => rest = &rest[taken..],
            Err(error) => {
                tracing::debug!(%error, left = rest.len(), "TLS write failed");
                return;
            }
        }
        tls_flush(tls, out);
    }
}

/// Moves every record rustls has ready into `out`.
fn tls_flush(tls: &mut ServerConnection, out: &mut OutBuf) {
    while tls.wants_write() {
        match tls.write_tls(out.tail()) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}
