//! Connections coming and going, and people moving between rooms: who is told what, when.
//!
//! A new connection is put in `#lobby` at once (it receives the room's lines from then on,
//! after the room's recent history), but the others are told only once it has had a moment to
//! choose a name ([`Config::announce_after`](crate::Config::announce_after)) or sends its first
//! line. In a big room, arrivals and departures are coalesced into summaries (`presence.rs`).

use std::net::SocketAddr;

use bytes::{BufMut, BytesMut};

use super::Server;
use super::delivery::Owed;
use crate::clock::hours_minutes;
use crate::per_address::Refusal;
use crate::protocol::wire::{self, Reason};
use crate::registry::Client;
use crate::rooms::{Room, RoomId, Said};
use crate::stats::DropReason;
use crate::{BusPayload, ClientId, InputError, PeerGone};

/// Lines replayed to whoever comes into a room; `/history` shows all the room remembers.
pub(super) const REPLAY_ON_JOIN: usize = 20;

/// Most bytes of lines one replay holds.
pub(super) const REPLAY_BUDGET: usize = 64 << 10;

/// How someone came into a room, which decides the notice the others get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arrival {
    /// They connected (`*** NAME entered the room`).
    Connected,
    /// They came from another room (`*** NAME joined #ROOM`).
    Moved,
}

impl Server {
    pub(super) fn connect(&mut self, id: ClientId, peer: SocketAddr) -> Result<(), InputError> {
        if self.telling.contains(&id) {
            // Refused before it became a client; the runtime heard it open before the close.
            return Ok(());
        }
        if self.registry.contains(id) || self.lingering.contains(&id) {
            return Err(InputError::DuplicateId(id));
        }
        // One that was not a client yet keeps its place in the per-address limits.
        let mut pending = self.take_pending(id);
        let active = self.registry.active();
        let mut guests = std::mem::take(&mut self.guests);
        let nick = guests.next(active, |key| self.name_taken(key));
        self.guests = guests;
        let lobby = self.rooms.lobby();
        let mut client = Client::new(id, peer, nick, lobby, &self.config, self.now, self.stalled);
        let refusal = if self.shutting_down {
            Some((wire::shutting_down(), None))
        } else if self.registry.active() >= self.config.max_clients {
            Some((self.full_notice(), Some(DropReason::Full)))
        } else if let Some(banned) = self.ban_refusal(peer.ip()) {
            Some((banned, Some(DropReason::Banned)))
        } else {
            let per_address = self.registry.per_address();
            let admitted = match pending.take() {
                Some(was) => per_address.readmit(was.ip, was.host, peer.ip(), self.now),
                None => per_address.admit(peer.ip(), self.now),
            };
            match admitted {
                Ok(host) => {
                    client.host = host;
                    None
                }
                Err(refusal) => Some((refused(refusal), Some(DropReason::PerAddress))),
            }
        };
        if let Some(was) = pending {
            self.release_host(was.host);
        }
        if let Some((notice, reason)) = refusal {
            tracing::info!(%id, %peer, "refused");
            if let Some(reason) = reason {
                self.stats.drops.count(reason);
            }
            self.registry.insert_closing(client);
            self.send(id, notice);
            self.close_when_flushed(id);
            return Ok(());
        }
        tracing::info!(%id, %peer, name = %client.nick, "connected");
        self.registry.insert(client);
        if !self.hold_greeting(id) {
            self.greet(id);
        }
        Ok(())
    }

    /// Welcomes `id` into `#lobby`: the others are told a moment later.
    pub(super) fn greet(&mut self, id: ClientId) {
        let lobby = self.rooms.lobby();
        let Some(client) = self.registry.get_mut(id) else { return };
        client.room = lobby;
        let name = client.nick.as_str().to_owned();
        let others = self.rooms.get(lobby).map_or(0, Room::head_count);
        self.rooms.enter(lobby, id, &name);
        self.entered_room(lobby);
        self.bus_online(&name);
        self.send(id, wire::welcome(&name, others));
        self.show_motd(id, false);
        self.show_topic(id, lobby, false);
        self.replay(id, lobby, REPLAY_ON_JOIN, false);
        self.unannounced.push(self.now, id);
    }

    /// Tells the others in its room that `id` is here, if they have not been told yet.
    pub(super) fn announce(&mut self, id: ClientId) {
        if self.waits_for_lease(id) {
            return; // Announced under the name it asked for, once the answer comes.
        }
        let Some(client) = self.registry.get_mut(id).filter(|c| c.is_present() && !c.announced) else {
            return;
        };
        client.announced = true;
        let (room, name) = (client.room, client.nick.as_str().to_owned());
        self.tell_arrival(room, id, &name, Arrival::Connected);
    }

    /// Tells the others in `room_id` that `id`, called `name`, came (with a bus: through the
    /// room's stream, see `cluster.rs`).
    fn tell_arrival(&mut self, room_id: RoomId, id: ClientId, name: &str, how: Arrival) {
        let Some(room) = self.rooms.get(room_id) else { return };
        if self.is_clustered() {
            let key = room.name().key().to_owned();
            return self.publish(&key, BusPayload::Joined { user: name.to_owned() });
        }
        let moved = match how {
            Arrival::Connected => None,
            Arrival::Moved => Some(room.name().as_str().to_owned()),
        };
        self.arrival_notice(room_id, Some(id), name, moved.as_deref());
    }

    /// Tells the others in `room_id` (whose key is `key`: the room may be gone) that `name`
    /// left it, in a summary if the room is big (with a bus: through the room's stream).
    fn tell_departure(&mut self, room_id: RoomId, key: &str, name: &str, reason: &Reason) {
        if self.is_clustered() {
            let (user, reason) = (name.to_owned(), reason.to_string());
            return self.publish(key, BusPayload::Left { user, reason });
        }
        self.departure_notice(room_id, name, reason);
    }

    /// The uniqueness key of room `room` (empty if it is gone).
    fn key_of_room(&self, room: RoomId) -> String {
        self.rooms.get(room).map(|room| room.name().key().to_owned()).unwrap_or_default()
    }

    /// Takes a present client out of its room and tells the others why (if they were told it
    /// had come).
    pub(super) fn depart(&mut self, id: ClientId, reason: Reason) {
        let Some(client) = self.registry.get(id).filter(|c| c.is_present()) else { return };
        let (name, room, announced) = (client.nick.as_str().to_owned(), client.room, client.announced);
        tracing::info!(%id, peer = %client.peer, %name, %reason, "left");
        if let Some(dropped) = reason.dropped() {
            self.stats.drops.count(dropped);
        }
        // What its room's log owes it is worth handing out only if it may still read it.
        self.unpark(
            id,
            if matches!(reason, Reason::TooSlow | Reason::Lost) { Owed::Drop } else { Owed::All },
        );
        let key = self.key_of_room(room);
        self.take_out(id);
        if announced {
            self.tell_departure(room, &key, &name, &reason);
        }
    }

    /// Marks a present client as leaving: out of the registry's names and out of its room
    /// (and, with a bus, off this node).
    pub(super) fn take_out(&mut self, id: ClientId) {
        let Some(client) = self.registry.get(id).filter(|c| c.is_present()) else { return };
        let (room, nick) = (client.room, client.nick.clone());
        self.unpark(id, Owed::All);
        let key = self.key_of_room(room);
        self.registry.leave(id);
        self.rooms.leave(room, id, nick.as_str());
        self.left_room(room, &key);
        self.bus_offline(id, &nick);
        self.release_leases_of(id);
    }

    /// Moves a present client to room `to`: the old room is told it left, the client gets the
    /// new room's topic and history, the new room is told it came.
    pub(super) fn move_to(&mut self, id: ClientId, to: RoomId) {
        // What the old room's log owes it comes first.
        self.unpark(id, Owed::All);
        let Some(client) = self.registry.get_mut(id).filter(|c| c.is_present()) else { return };
        let (from, name, announced) = (client.room, client.nick.as_str().to_owned(), client.announced);
        client.room = to;
        client.announced = true;
        let key = self.key_of_room(from);
        self.rooms.leave(from, id, &name);
        self.left_room(from, &key);
        if announced {
            self.tell_departure(from, &key, &name, &Reason::Moved);
        }
        let Some(room) = self.rooms.get(to) else { return };
        let others = room.head_count();
        let joined = wire::you_joined(room.name().as_str(), others);
        self.rooms.enter(to, id, &name);
        self.entered_room(to);
        tracing::info!(%id, %name, room = %self.rooms.get(to).map_or("", |r| r.name().as_str()), "moved");
        self.send(id, joined);
        self.show_topic(id, to, false);
        self.replay(id, to, REPLAY_ON_JOIN, false);
        self.tell_arrival(to, id, &name, Arrival::Moved);
    }

    /// Sends `id` the topic of `room`: if it has one, or always when `asked`.
    pub(super) fn show_topic(&mut self, id: ClientId, room: RoomId, asked: bool) {
        let Some(room) = self.rooms.get(room) else { return };
        let line = match room.topic() {
            Some(topic) => wire::topic(room.name().as_str(), topic),
            None if asked => wire::no_topic(room.name().as_str()),
            None => return,
        };
        self.send(id, line);
    }

    /// Sends `id` the last `count` lines of `room` (leaving out those of people it ignores),
    /// between the history markers, as one frame. With nothing to replay, sends nothing, or
    /// when `asked` (`/history`) says so.
    pub(super) fn replay(&mut self, id: ClientId, room: RoomId, count: usize, asked: bool) {
        if let Some(max_age) = self.config.history_max_age
            && let Some(room) = self.rooms.get_mut(room)
        {
            room.forget_before(self.clock.at(self.now).saturating_sub(max_age));
        }
        let (Some(client), Some(room)) = (self.registry.get(id), self.rooms.get(room)) else { return };
        let lines: Vec<&Said> = room
            .history(usize::MAX, REPLAY_BUDGET)
            .filter(|said| said.from.is_none_or(|from| !client.ignores.hides(from)))
            .collect();
        let lines = &lines[lines.len().saturating_sub(count)..];
        if lines.is_empty() {
            if asked {
                let line = wire::no_history(room.name().as_str());
                self.send(id, line);
            }
            return;
        }
        let start = wire::history_start(lines.len());
        let end = wire::history_end();
        let size = lines.iter().map(|said| said.frame.len() + 8).sum::<usize>() + start.len() + end.len();
        let mut frame = BytesMut::with_capacity(size);
        frame.put_slice(&start);
        for said in lines {
            let (hour, minute) = hours_minutes(said.at);
            frame.put_slice(&wire::replayed(hour, minute, &said.frame));
        }
        frame.put_slice(&end);
        self.send(id, frame.freeze());
    }

    pub(super) fn disconnected(&mut self, id: ClientId, cause: PeerGone) {
        if self.forget_pending(id) {
            return;
        }
        if self.lingering.remove(&id) {
            self.telling.remove(&id);
            // A closed connection's client closed its side too: nothing can reset it now.
            if cause == PeerGone::Closed {
                self.outputs.push_back(crate::Output::Release { to: id });
            }
            return;
        }
        let Some(client) = self.registry.get_mut(id) else {
            return;
        };
        match cause {
            PeerGone::Lost => {
                client.lost = true;
                self.depart(id, Reason::Lost);
                self.remove(id);
            }
            PeerGone::Closed => {
                client.input_ended = true;
                if client.is_active()
                    && let Some(line) = client.decoder.finish()
                {
                    self.line(id, line);
                }
                self.depart(id, Reason::Left);
                self.close_when_flushed(id);
            }
        }
    }

    pub(super) fn shutdown(&mut self) {
        if self.shutting_down {
            return;
        }
        tracing::info!(clients = self.registry.active(), "shutting down");
        self.shutting_down = true;
        self.shutdown_at = Some(self.now);
        let notice = wire::shutting_down();
        let ids: Vec<ClientId> =
            self.registry.clients().iter().filter(|c| c.is_active()).map(|c| c.id).collect();
        for id in ids {
            self.send(id, notice.clone());
            if let Some(client) = self.registry.get(id).filter(|c| c.announced && c.is_present()) {
                // With a bus, the other nodes' members are told (no-op without one).
                let (room, name) = (client.room, client.nick.as_str().to_owned());
                if self.is_clustered() {
                    let key = self.key_of_room(room);
                    self.tell_departure(room, &key, &name, &Reason::ServerStopped);
                }
            }
            self.take_out(id);
            self.close_when_flushed(id);
        }
        for (_, room) in self.rooms.iter_mut() {
            room.presence.clear();
        }
        self.close_pending();
    }
}

/// The one line a connection refused by the per-address limits gets.
pub(super) fn refused(refusal: Refusal) -> bytes::Bytes {
    match refusal {
        Refusal::TooMany { max } => wire::error(format_args!(
            "Too many connections from your address ({max} at most); close one and try again."
        )),
        Refusal::TooOften { max, window, retry } => wire::error(format_args!(
            "Too many new connections from your address ({max} per {}); try again in {}.",
            span(window),
            span(retry)
        )),
    }
}

/// A duration for people, rounded up: `1 second`, `20 seconds`, `10 minutes`.
pub(super) fn span(time: std::time::Duration) -> String {
    let secs = time.as_secs() + u64::from(time.subsec_nanos() > 0);
    let (n, unit) = if secs >= 120 { (secs.div_ceil(60), "minute") } else { (secs.max(1), "second") };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}
