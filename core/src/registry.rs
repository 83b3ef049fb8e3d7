//! Who is connected: every connection by id, and names by their uniqueness key. Which room
//! each is in is the business of [`Rooms`](crate::rooms::Rooms).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::ClientId;
use crate::flood::FloodGate;
use crate::per_address::{Host, PerAddress};
use crate::positions::Positions;
use crate::protocol::LineDecoder;
use crate::protocol::nick::Nick;
use crate::rooms::{Parked, RoomId};
use crate::social::{Away, Ignores};
use crate::unfinished::Unfinished;

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// In the room: reads lines, receives broadcasts.
    Active,
    /// Still in the room but fell too far behind: receives nothing more and is disconnected
    /// once the current input has been handled.
    Lagging,
    /// On its way out: receives nothing new; closed once its queue drains or its deadline
    /// passes.
    Closing,
}

/// One connection's state.
#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) id: ClientId,
    /// Where the connection comes from. Never shown to other users.
    pub(crate) peer: SocketAddr,
    pub(crate) nick: Nick,
    /// The key of the account the client identified as (`/register`, `/identify`), or `None`
    /// for a guest. Only ever set after the password was verified (or the account made).
    /// A boxed `str`: 16 bytes in every connection, not a `String`'s 24 (issue 10).
    pub(crate) account: Option<Box<str>>,
    /// The room the client is in.
    pub(crate) room: RoomId,
    /// Whether the others were told it arrived (see `Config::announce_after`).
    pub(crate) announced: bool,
    pub(crate) away: Away,
    pub(crate) ignores: Ignores,
    pub(crate) decoder: LineDecoder,
    pub(crate) flood: FloodGate,
    /// Bytes handed to the runtime and not yet reported flushed.
    pub(crate) queued: usize,
    /// Frames handed to the runtime and not yet reported flushed.
    pub(crate) frames: usize,
    /// Since when the runtime reports the client's socket full (no `Flushed` since).
    pub(crate) blocked_since: Option<Instant>,
    /// While parked (its socket full, or too much handed out and not yet written): where it is
    /// in its room's log, which broadcasts skip it for (see `rooms/log.rs`), and what was sent
    /// to it alone meanwhile. Boxed: most clients are never parked, and an idle connection must
    /// stay small.
    pub(crate) parked: Option<Box<Parked>>,
    pub(crate) phase: Phase,
    /// The runtime reported the connection lost: nothing more can be written to it, and it
    /// needs no close action.
    pub(crate) lost: bool,
    /// The client's input ended (end of file): once closed, its socket needs no lingering.
    pub(crate) input_ended: bool,
    /// The address this connection counts against, released when it is forgotten.
    pub(crate) host: Option<Host>,
    /// The deadline of its unfinished line, if one is unfinished.
    pub(crate) unfinished: Unfinished,
}

impl Client {
    /// A new connection from `peer`, called `nick`, in `room`; its flood budget starts full at
    /// `now` (`stalled`: the server's read pauses so far, see `flood.rs`).
    pub(crate) fn new(
        id: ClientId,
        peer: SocketAddr,
        nick: Nick,
        room: RoomId,
        config: &crate::Config,
        now: Instant,
        stalled: Duration,
    ) -> Self {
        Self {
            id,
            peer,
            nick,
            account: None,
            room,
            announced: false,
            away: Away::default(),
            ignores: Ignores::default(),
            decoder: LineDecoder::new(config.max_line),
            flood: FloodGate::new(config.flood_burst, now, stalled),
            queued: 0,
            frames: 0,
            blocked_since: None,
            parked: None,
            phase: Phase::Active,
            lost: false,
            input_ended: false,
            host: None,
            unfinished: Unfinished::default(),
        }
    }

    /// What the client's queue costs in memory: its bytes, plus each frame's handle and queue
    /// slot (see [`Outbox::FRAME_OVERHEAD`](crate::kit::Outbox::FRAME_OVERHEAD)), counting the
    /// frames held for it alone while it is parked (not what its room's log owes it).
    pub(crate) fn cost(&self) -> usize {
        self.queued
            + self.frames * crate::kit::Outbox::FRAME_OVERHEAD
            + self.parked.as_ref().map_or(0, |parked| parked.held_cost)
    }

    /// True if the client's socket has taken nothing for at least `grace` at `now`.
    pub(crate) fn blocked_for(&self, grace: Duration, now: Instant) -> bool {
        self.blocked_since.is_some_and(|since| now.saturating_duration_since(since) >= grace)
    }

    /// Reads lines and receives what is said in its room.
    pub(crate) fn is_active(&self) -> bool {
        self.phase == Phase::Active
    }

    /// Holds a name and counts as present, even if it lags.
    pub(crate) fn is_present(&self) -> bool {
        self.phase != Phase::Closing
    }
}

/// Every connection, kept dense so that a broadcast to a big room walks one array.
#[derive(Debug)]
pub(crate) struct Registry {
    clients: Vec<Client>,
    /// Where each client is in `clients`, by id.
    index: Positions,
    /// Where each present client is in `clients`, by its name's uniqueness key.
    names: Positions,
    /// What each address may still open; a client's `host` is released when it is removed.
    per_address: PerAddress,
    active: usize,
}

impl Registry {
    /// No connections yet; they are limited per address by `per_address`.
    pub(crate) fn new(per_address: PerAddress) -> Self {
        Self {
            clients: Vec::new(),
            index: Positions::default(),
            names: Positions::default(),
            per_address,
            active: 0,
        }
    }

    /// The per-address limits, to admit a new connection.
    pub(crate) fn per_address(&mut self) -> &mut PerAddress {
        &mut self.per_address
    }

    /// Clients present (not counting those on their way out).
    pub(crate) fn active(&self) -> usize {
        self.active
    }

    pub(crate) fn contains(&self, id: ClientId) -> bool {
        self.position(id).is_some()
    }

    pub(crate) fn get(&self, id: ClientId) -> Option<&Client> {
        self.position(id).map(|i| &self.clients[i])
    }

    pub(crate) fn get_mut(&mut self, id: ClientId) -> Option<&mut Client> {
        self.position(id).map(|i| &mut self.clients[i])
    }

    /// Where client `id` is in `clients`.
    fn position(&self, id: ClientId) -> Option<usize> {
        self.index.find(&self.clients, &id, id_of)
    }

    pub(crate) fn clients(&self) -> &[Client] {
        &self.clients
    }

    pub(crate) fn clients_mut(&mut self) -> &mut [Client] {
        &mut self.clients
    }

    /// Adds an active client, its name registered. The caller checked the name is free.
    pub(crate) fn insert(&mut self, client: Client) {
        self.active += 1;
        self.insert_raw(client);
        self.names.insert(&self.clients, self.clients.len() - 1, key_of);
    }

    /// Adds a client that is closing from the start (refused): no name, in no room.
    pub(crate) fn insert_closing(&mut self, mut client: Client) {
        client.phase = Phase::Closing;
        self.insert_raw(client);
    }

    fn insert_raw(&mut self, client: Client) {
        self.clients.push(client);
        self.index.insert(&self.clients, self.clients.len() - 1, id_of);
    }

    /// Who holds the name with uniqueness key `key`.
    pub(crate) fn holder(&self, key: &str) -> Option<ClientId> {
        self.names.find(&self.clients, key, key_of).map(|i| self.clients[i].id)
    }

    /// Gives client `id` the name `nick`, freeing its old one; `None` (nothing done) if it is
    /// not here or has left: only a present client holds a name (`names` keeps a position for
    /// exactly those, and `remove` moves only theirs).
    pub(crate) fn rename(&mut self, id: ClientId, nick: Nick) -> Option<Nick> {
        let i = self.position(id).filter(|&i| self.clients[i].is_present())?;
        self.names.remove(self.clients[i].nick.key(), i);
        let old = std::mem::replace(&mut self.clients[i].nick, nick);
        self.names.insert(&self.clients, i, key_of);
        Some(old)
    }

    /// Marks a present client as leaving (frees its name) but keeps its connection.
    pub(crate) fn leave(&mut self, id: ClientId) {
        let Some(i) = self.position(id).filter(|&i| self.clients[i].is_present()) else { return };
        self.clients[i].phase = Phase::Closing;
        self.names.remove(self.clients[i].nick.key(), i);
        self.active -= 1;
    }

    /// Forgets a connection entirely. After a crowd leaves, gives back most of the room it
    /// needed.
    pub(crate) fn remove(&mut self, id: ClientId) -> Option<Client> {
        self.leave(id);
        let i = self.position(id)?;
        self.index.remove(&id, i);
        let client = self.clients.swap_remove(i);
        if let Some(moved) = self.clients.get(i) {
            let from = self.clients.len();
            self.index.moved(&moved.id, from, i);
            if moved.is_present() {
                self.names.moved(moved.nick.key(), from, i);
            }
        }
        if let Some(host) = client.host {
            self.per_address.release(host);
        }
        self.shrink();
        Some(client)
    }

    /// Gives back the room of a crowd that left, once at most a quarter of it is used.
    fn shrink(&mut self) {
        const KEEP: usize = 64;
        let len = self.clients.len();
        if self.clients.capacity() > KEEP && len < self.clients.capacity() / 4 {
            self.clients.shrink_to(len * 2);
            self.index.shrink_to(&self.clients, len * 2, id_of);
        }
        if self.names.capacity() > KEEP && self.names.len() < self.names.capacity() / 4 {
            self.names.shrink_to(&self.clients, self.names.len() * 2, key_of);
        }
    }
}

/// A client's id, the key of [`Registry::index`].
fn id_of(client: &Client) -> &ClientId {
    &client.id
}

/// A present client's name's uniqueness key, the key of [`Registry::names`].
fn key_of(client: &Client) -> &str {
    client.nick.key()
}

#[cfg(test)]
mod tests {
    /// Every connection has a `Client`, and 19,000 idle connections must cost at most 1.5 KiB
    /// each in all (issue 10): the rarely used fields (account, away message, ignore list) take
    /// 40 bytes of it, not 72, a parked client's state is boxed, and the name and its key share
    /// one boxed `str` (24 bytes, not two `String`s' 48).
    #[test]
    fn an_idle_client_stays_small() {
        let size = std::mem::size_of::<super::Client>();
        assert!(size <= 296, "a Client is {size} bytes");
    }

    /// The table of names holds a position for every present client and for no other: a
    /// client that left keeps no name (it cannot take one back), so moving it in the dense
    /// array, or removing it, leaves no stale position behind to be looked at.
    #[test]
    fn a_client_that_left_takes_no_name() {
        use std::time::{Duration, Instant};

        use super::{Client, Registry};
        use crate::ClientId;
        use crate::per_address::PerAddress;
        use crate::protocol::nick::Nick;
        use crate::rooms::RoomId;

        let config = crate::Config::default();
        let mut registry = Registry::new(PerAddress::new(&config));
        let now = Instant::now();
        let client = |n: u64| {
            let nick = Nick::parse(&format!("c{n}"), 24).unwrap();
            let peer = format!("10.0.0.{n}:4000").parse().unwrap();
            Client::new(ClientId(n), peer, nick, RoomId::NOWHERE, &config, now, Duration::ZERO)
        };
        for n in 1..=3 {
            registry.insert(client(n));
        }
        registry.leave(ClientId(3));
        assert!(registry.rename(ClientId(3), Nick::parse("late", 24).unwrap()).is_none());
        assert_eq!(registry.holder("late"), None, "a client that left holds no name");
        // Client 3 goes from the end of the array: no position of it is left to look at.
        registry.remove(ClientId(3));
        assert_eq!(registry.holder("late"), None);
        // Client 2 moves into client 1's place.
        registry.remove(ClientId(1));
        assert_eq!(registry.holder("c2"), Some(ClientId(2)));
        assert_eq!(registry.get(ClientId(2)).map(|c| c.id), Some(ClientId(2)));
    }
}
