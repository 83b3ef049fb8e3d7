//! [`Heard`] and [`Standing`]: how a runtime turns a transport's [`Incoming`] into the core's
//! inputs, written once for every runtime.

use std::net::SocketAddr;

use chat_core::{ClientId, Input, PeerGone};

use crate::{Incoming, Transport};

/// An [`Incoming`] detached from its transport (its `data` copied out by
/// [`Incoming::detach`]), so the runtime may use the transport again (to queue the frames the
/// core answers with) before the core has heard everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Heard {
    /// See [`Incoming::opened`].
    pub opened: Option<SocketAddr>,
    /// See [`Incoming::flushed`].
    pub flushed: usize,
    /// See [`Incoming::flushed_frames`].
    pub flushed_frames: usize,
    /// See [`Incoming::ended`].
    pub ended: Option<PeerGone>,
}

impl Incoming<'_> {
    /// Copies `data` into `into` (cleared first) and returns the rest.
    pub fn detach(self, into: &mut Vec<u8>) -> Heard {
        into.clear();
        into.extend_from_slice(self.data);
        Heard {
            opened: self.opened,
            flushed: self.flushed,
            flushed_frames: self.flushed_frames,
            ended: self.ended,
        }
    }
}

/// Where the core stands with one connection, as its runtime tracks it: whether the core knows
/// the client (announced, and neither lost nor released), whether it knows the connection as
/// one that is not a client yet ([`Input::Accepted`]), and whether it has closed it.
///
/// A connection the core does not know as a client (not a chat client yet, such as a TLS
/// handshake or a web page request, or one lost) is the runtime's to close: once its transport
/// [`is_finished`](crate::Transport::is_finished) and has nothing left to write, telling the
/// core with [`forget`](Self::forget).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    known: bool,
    pending: bool,
    closed: bool,
    /// What the transport's own buffers held when last reported to the core, rounded up to
    /// [`BUFFERED_STEP`].
    reported: usize,
}

/// The transport's buffers are reported to the core when they move past a multiple of this:
/// often enough for the memory budget, seldom enough to cost nothing (they are mostly
/// capacities, which change rarely).
const BUFFERED_STEP: usize = 4096;

impl Standing {
    /// Right after accepting, before anything else: starts `transport` and returns the core's
    /// first input for connection `id`: [`Input::Connected`] for a chat client at once (plain
    /// TCP), [`Input::Accepted`] for any other (a TLS handshake, an HTTP connection), which the
    /// core counts toward the per-address limits and closes if it does not become a client in
    /// time.
    pub fn start(&mut self, id: ClientId, peer: SocketAddr, transport: &mut Transport) -> Input<'static> {
        match transport.start(peer) {
            true => {
                self.known = true;
                Input::Connected { id, peer }
            }
            false => {
                self.pending = true;
                Input::Accepted { id, peer }
            }
        }
    }

    /// After a call to `transport` (reading, writing, queuing): the input that tells the core
    /// what its own buffers hold now ([`Input::Buffered`], for the memory budget), if that moved
    /// past a multiple of 4 KiB and the core knows the connection. Never on plain TCP, which
    /// holds nothing.
    pub fn buffered(&mut self, id: ClientId, transport: &Transport) -> Option<Input<'static>> {
        if !(self.pending || (self.known && !self.closed)) {
            return None;
        }
        let bytes = transport.buffered().div_ceil(BUFFERED_STEP) * BUFFERED_STEP;
        (bytes != self.reported).then(|| {
            self.reported = bytes;
            Input::Buffered { id, bytes }
        })
    }

    /// The runtime drops a connection that is not a client (its transport is finished: a page
    /// answered, a failed handshake): the input that tells the core, if it knows the
    /// connection.
    pub fn forget(&mut self, id: ClientId) -> Option<Input<'static>> {
        std::mem::take(&mut self.pending).then_some(Input::Disconnected { id, cause: PeerGone::Lost })
    }

    /// True while the core knows the client: only the core's `Release` (or a loss) ends it.
    pub fn is_known(self) -> bool {
        self.known
    }

    /// True once the core has closed the connection.
    pub fn is_closed(self) -> bool {
        self.closed
    }

    /// The core closed the connection (`Output::Close`): from now on only the end of the
    /// client's input is reported.
    pub fn close(&mut self) {
        self.closed = true;
        self.pending = false;
    }

    /// The socket failed: the input that tells the core, if it knows the client or the
    /// connection.
    pub fn lost(&mut self, id: ClientId) -> Option<Input<'static>> {
        let known = std::mem::take(&mut self.known) | std::mem::take(&mut self.pending);
        known.then_some(Input::Disconnected { id, cause: PeerGone::Lost })
    }

    /// The core's inputs for what a transport reported about connection `id` (`data` is what
    /// [`Incoming::detach`] copied out), in order, skipping what the core must not hear: data
    /// and progress of a client it does not know or has closed, and an end it already heard.
    pub fn inputs<'d>(
        &mut self,
        id: ClientId,
        heard: Heard,
        data: &'d [u8],
    ) -> impl Iterator<Item = Input<'d>> + use<'d> {
        let connected = heard.opened.filter(|_| !self.known && !self.closed).map(|peer| {
            self.known = true;
            self.pending = false;
            Input::Connected { id, peer }
        });
        let live = self.known && !self.closed;
        let received = (live && !data.is_empty()).then_some(Input::Received { id, bytes: data });
        let flushed = (live && heard.flushed > 0).then_some(Input::Flushed {
            id,
            bytes: heard.flushed,
            frames: heard.flushed_frames,
        });
        let ended = heard.ended.filter(|_| self.known).map(|cause| {
            if cause == PeerGone::Lost {
                self.known = false;
            }
            Input::Disconnected { id, cause }
        });
        [connected, received, flushed, ended].into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const ID: ClientId = ClientId(7);

    fn peer() -> SocketAddr {
        "127.0.0.1:4000".parse().unwrap()
    }

    fn names(inputs: impl Iterator<Item = Input<'static>>) -> Vec<String> {
        inputs
            .map(|input| match input {
                Input::Connected { .. } => "connected".to_owned(),
                Input::Received { bytes, .. } => format!("received {}", String::from_utf8_lossy(bytes)),
                Input::Flushed { bytes, frames, .. } => format!("flushed {bytes}/{frames}"),
                Input::Disconnected { cause, .. } => format!("disconnected {cause:?}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn nothing_reaches_the_core_before_the_client_is_opened() {
        let mut standing = Standing::default();
        let heard = Heard { flushed: 5, ended: Some(PeerGone::Closed), ..Heard::default() };
        assert!(names(standing.inputs(ID, heard, b"hi\n")).is_empty());
        assert!(standing.lost(ID).is_none());
        assert!(!standing.is_known());
    }

    #[test]
    fn an_opened_client_hears_everything_in_order_until_closed() {
        let mut standing = Standing::default();
        let heard = Heard { opened: Some(peer()), flushed: 3, flushed_frames: 1, ..Heard::default() };
        assert_eq!(names(standing.inputs(ID, heard, b"hi\n")), ["connected", "received hi\n", "flushed 3/1"]);
        standing.close();
        let heard = Heard { flushed: 3, ended: Some(PeerGone::Closed), ..Heard::default() };
        assert_eq!(names(standing.inputs(ID, heard, b"late\n")), ["disconnected Closed"]);
        assert!(standing.is_known(), "the core still releases a closed client");
    }

    #[test]
    fn a_connection_that_is_not_a_client_yet_is_accepted_then_forgotten_once() {
        let mut transport =
            crate::Endpoint::Web(Arc::new(crate::WebConfig::chat(4096)), None).accept(peer()).unwrap();
        let mut standing = Standing::default();
        assert_eq!(
            names([standing.start(ID, peer(), &mut transport)].into_iter()),
            [format!("{:?}", Input::Accepted { id: ID, peer: peer() })]
        );
        assert!(!standing.is_known());
        assert_eq!(names(standing.forget(ID).into_iter()), ["disconnected Lost"]);
        assert!(standing.forget(ID).is_none());
        assert!(standing.lost(ID).is_none());
    }

    #[test]
    fn a_plain_connection_is_a_client_at_once_and_one_the_core_closed_is_not_forgotten() {
        let mut transport = crate::Endpoint::Plain.accept(peer()).unwrap();
        let mut standing = Standing::default();
        assert_eq!(names([standing.start(ID, peer(), &mut transport)].into_iter()), ["connected"]);
        assert!(standing.is_known());
        let mut transport =
            crate::Endpoint::Web(Arc::new(crate::WebConfig::chat(4096)), None).accept(peer()).unwrap();
        let mut standing = Standing::default();
        let _ = standing.start(ID, peer(), &mut transport);
        standing.close();
        assert!(standing.forget(ID).is_none(), "the core closed it: it has forgotten it already");
    }

    #[test]
    fn what_a_transport_holds_is_reported_when_it_moves_a_step() {
        let config = Arc::new(crate::WebConfig::chat(4096));
        let mut transport = crate::Endpoint::Web(config, None).accept(peer()).unwrap();
        let mut standing = Standing::default();
        assert!(standing.buffered(ID, &transport).is_none(), "unknown to the core: nothing to say");
        let _ = standing.start(ID, peer(), &mut transport);
        assert!(standing.buffered(ID, &transport).is_none(), "nothing held yet");
        let _ = transport.receive(b"GET / HTTP/1.1\r\nHost: chat\r\nX-Slow: ");
        let held = transport.buffered();
        assert!(held > 0);
        let reported = match standing.buffered(ID, &transport) {
            Some(Input::Buffered { id: ID, bytes }) => bytes,
            other => panic!("{other:?}"),
        };
        assert!(reported >= held && reported % BUFFERED_STEP == 0, "{reported} for {held}");
        assert!(standing.buffered(ID, &transport).is_none(), "reported once");
        standing.close();
        let _ = transport.receive(&[b'x'; 10_000]);
        assert!(standing.buffered(ID, &transport).is_none(), "closed: the core has forgotten it");
    }

    #[test]
    fn a_lost_client_is_forgotten_once() {
        let mut standing = Standing::default();
        let _ = names(standing.inputs(ID, Heard { opened: Some(peer()), ..Heard::default() }, b""));
        let heard = Heard { ended: Some(PeerGone::Lost), ..Heard::default() };
        assert_eq!(names(standing.inputs(ID, heard, b"")), ["disconnected Lost"]);
        assert!(standing.lost(ID).is_none());
        assert!(!standing.is_known());
    }
}
