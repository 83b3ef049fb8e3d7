//! Plain TCP: the core's bytes pass straight through, and its frames are written as they are,
//! shared between recipients.

use std::io::IoSlice;
use std::net::SocketAddr;

use bytes::Bytes;
use chat_core::PeerGone;
use chat_core::kit::Outbox;

use crate::Incoming;

/// A plain TCP connection: no copies in either direction.
#[derive(Debug)]
pub(crate) struct Plain {
    peer: SocketAddr,
    outbox: Outbox,
    started: bool,
    closed: bool,
}

impl Plain {
    /// The socket's peer.
    pub(crate) fn peer(&self) -> SocketAddr {
        self.peer
    }

    pub(crate) fn new(peer: SocketAddr) -> Self {
        Self { peer, outbox: Outbox::new(), started: false, closed: false }
    }

    /// The client is a chat client from the start.
    pub(crate) fn start(&mut self) -> Option<SocketAddr> {
        (!std::mem::replace(&mut self.started, true)).then_some(self.peer)
    }

    pub(crate) fn receive<'a>(&self, bytes: &'a [u8]) -> Incoming<'a> {
        Incoming { data: bytes, ..Incoming::default() }
    }

    pub(crate) fn receive_eof(&self) -> Incoming<'static> {
        Incoming { ended: Some(PeerGone::Closed), ..Incoming::default() }
    }

    pub(crate) fn send(&mut self, frame: Bytes) -> usize {
        self.outbox.push(frame);
        0
    }

    pub(crate) fn wants_write(&self) -> bool {
        !self.outbox.is_empty()
    }

    pub(crate) fn io_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        self.outbox.io_slices(slices)
    }

    pub(crate) fn advance(&mut self, written: usize) -> Incoming<'static> {
        let flushed_frames = self.outbox.advance(written);
        Incoming { flushed: written, flushed_frames, ..Incoming::default() }
    }

    /// Moves the queued frames into `into`, for a writer elsewhere.
    pub(crate) fn drain(&mut self, into: &mut Outbox) {
        into.append(&mut self.outbox);
    }

    pub(crate) fn close(&mut self) {
        self.outbox.clear();
        self.closed = true;
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.closed
    }
}
