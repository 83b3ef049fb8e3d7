//! Plain TCP: the core's bytes pass straight through, and its frames are written as they are,
//! shared between recipients.

use std::io::IoSlice;

use bytes::Bytes;
use chat_core::PeerGone;
use chat_core::kit::Outbox;

use crate::Incoming;

/// A plain TCP connection: no copies in either direction. It keeps no copy of the peer's
/// address (the core has it): an idle connection costs the runtime 32 bytes less.
#[derive(Debug, Default)]
pub(crate) struct Plain {
    outbox: Outbox,
    started: bool,
    closed: bool,
}

impl Plain {
    /// The client is a chat client from the start: true the first time.
    pub(crate) fn start(&mut self) -> bool {
        !std::mem::replace(&mut self.started, true)
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
