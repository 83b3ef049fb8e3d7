//! Lines one client says in a row go to its room as one frame.
//!
//! When a client's read holds several chat lines (a paste, a fast sender, or any sender once
//! the server falls behind and lines pile up in its socket), each line is still numbered,
//! remembered and stored on its own, but the room gets them as one frame: one handle, one
//! queue slot and one slice of a vectored write per recipient for all of them, not one per
//! line. What the recipients read is the same bytes. This is what an ideal broadcaster does
//! with the lines of one read, and it makes the server cheaper per line exactly when it is
//! busiest (issue 10).
//!
//! Order is kept: the held lines go out before anything else is sent to anyone (every
//! broadcast, every frame to one client, every unparking sends them first), and at the end of
//! every input at the latest.

use bytes::{Bytes, BytesMut};

use super::Server;
use super::delivery::Audience;
use crate::ClientId;
use crate::rooms::RoomId;

/// Most bytes of lines joined into one frame; the next line starts another.
const MAX_JOINED: usize = 16 * 1024;

/// Lines said in a row by one client in one room, not yet sent.
#[derive(Debug)]
pub(super) struct HeldLines {
    room: RoomId,
    id: ClientId,
    /// The first line's frame, sent as it is if no other line joins it.
    first: Bytes,
    /// Every line so far, once a second one joined the first.
    joined: Option<BytesMut>,
}

impl HeldLines {
    fn new(room: RoomId, id: ClientId, frame: Bytes) -> Self {
        Self { room, id, first: frame, joined: None }
    }

    fn len(&self) -> usize {
        self.joined.as_ref().map_or(self.first.len(), BytesMut::len)
    }

    /// Adds `frame` if it is `id` again in `room` and there is room; false otherwise.
    fn join(&mut self, room: RoomId, id: ClientId, frame: &[u8]) -> bool {
        if room != self.room || id != self.id || self.len() + frame.len() > MAX_JOINED {
            return false;
        }
        let first = &self.first;
        let joined = self.joined.get_or_insert_with(|| {
            let mut joined = BytesMut::with_capacity(first.len() + frame.len());
            joined.extend_from_slice(first);
            joined
        });
        joined.extend_from_slice(frame);
        true
    }

    /// Who the lines are for, and the frame that carries them.
    fn into_broadcast(self) -> (Audience, Bytes) {
        let frame = self.joined.map_or(self.first, BytesMut::freeze);
        (Audience::said_in(self.room, self.id), frame)
    }
}

impl Server {
    /// Sends `frame`, a line `id` said in `room`, to the room's other members: held, to go
    /// with the lines `id` says next in the same input (see the module's docs).
    pub(super) fn say_to_room(&mut self, room: RoomId, id: ClientId, frame: Bytes) {
        if let Some(held) = &mut self.held_lines
            && held.join(room, id, &frame)
        {
            return;
        }
        self.send_held_lines();
        self.held_lines = Some(HeldLines::new(room, id, frame));
    }

    /// Sends the held lines, if any. Called before anything else is sent, and at the end of
    /// every input.
    pub(super) fn send_held_lines(&mut self) {
        if let Some(held) = self.held_lines.take() {
            let (audience, frame) = held.into_broadcast();
            self.broadcast(audience, frame);
        }
    }
}
