//! The rooms of the server: each connection is in exactly one, `#lobby` to begin with.
//!
//! A room is created when someone joins it and removed when its last member leaves (its history
//! with it), except `#lobby`, which always exists. With a database
//! ([`Config::persist`](crate::Config::persist)) a room left empty keeps what the database
//! keeps (its history, numbering and topic): it is put aside, and comes back as it was when
//! someone joins it again. The rooms restored at start-up are put aside likewise.

mod history;
mod log;
mod room;

use std::collections::HashMap;

pub(crate) use history::Said;
pub(crate) use log::Parked;
pub(crate) use room::{MAX_TOPIC, Room};

use crate::protocol::RoomName;
use crate::{ClientId, StoredRoom};

/// How many rooms `/list` spells out.
pub(crate) const ROOMS_LISTED: usize = 20;

/// How [`Rooms::find_or_create`] came by a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// Someone is in it already.
    Live,
    /// It did not exist: it is new.
    Created,
    /// It was put aside (left empty, or restored from the database) and is back, with its
    /// history and topic.
    Revived,
}

/// Names a room for as long as it exists. Never reused while the server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RoomId(u64);

impl RoomId {
    /// No room: where a connection waits before its welcome (no broadcast reaches it).
    pub(crate) const NOWHERE: RoomId = RoomId(u64::MAX);
}

/// Every room, by id and by name.
#[derive(Debug)]
pub(crate) struct Rooms {
    rooms: HashMap<RoomId, Room>,
    by_key: HashMap<String, RoomId>,
    lobby: RoomId,
    next_id: u64,
    /// Lines each room remembers.
    history: usize,
    /// Whether a room left empty is put aside in `dormant` rather than forgotten.
    keep_empty: bool,
    /// Rooms nobody is in that keep their history and topic, by key.
    dormant: HashMap<String, Room>,
}

impl Rooms {
    /// Just `#lobby`, every room keeping `history` lines; with `keep_empty`, a room left
    /// empty is put aside (history, numbering, topic) rather than forgotten.
    pub(crate) fn new(history: usize, keep_empty: bool) -> Self {
        let mut rooms = Self {
            rooms: HashMap::new(),
            by_key: HashMap::new(),
            lobby: RoomId(0),
            next_id: 0,
            history,
            keep_empty,
            dormant: HashMap::new(),
        };
        rooms.lobby = rooms.open(Room::new(RoomName::lobby(), history));
        rooms
    }

    fn open(&mut self, room: Room) -> RoomId {
        let id = RoomId(self.next_id);
        self.next_id += 1;
        self.by_key.insert(room.name().key().to_owned(), id);
        self.rooms.insert(id, room);
        id
    }

    /// Takes back a room a database kept: `#lobby`'s history and topic become the lobby's,
    /// any other room is put aside until someone joins it. A name that is no longer valid is
    /// skipped (and logged).
    pub(crate) fn restore(&mut self, stored: StoredRoom) {
        let name = match RoomName::parse(&stored.room.name) {
            Ok(name) => name,
            Err(error) => {
                tracing::warn!(room = %stored.room.name, %error, "a stored room's name is not valid: skipped");
                return;
            }
        };
        let room = Room::restored(name, self.history, stored);
        let key = room.name().key().to_owned();
        if key == RoomName::lobby().key() {
            if let Some(lobby) = self.rooms.get_mut(&self.lobby).filter(|lobby| lobby.is_empty()) {
                *lobby = room;
            }
        } else if !self.by_key.contains_key(&key) {
            self.dormant.insert(key, room);
        }
    }

    /// `#lobby`.
    pub(crate) fn lobby(&self) -> RoomId {
        self.lobby
    }

    /// How many rooms exist.
    pub(crate) fn len(&self) -> usize {
        self.rooms.len()
    }

    /// The room `id`, if it still exists.
    pub(crate) fn get(&self, id: RoomId) -> Option<&Room> {
        self.rooms.get(&id)
    }

    /// The room `id`, if it still exists.
    pub(crate) fn get_mut(&mut self, id: RoomId) -> Option<&mut Room> {
        self.rooms.get_mut(&id)
    }

    /// The room whose uniqueness key is `key`, if it exists.
    pub(crate) fn find_key(&self, key: &str) -> Option<RoomId> {
        self.by_key.get(key).copied()
    }

    /// The room called `name` (or a look-alike), if it exists.
    pub(crate) fn find(&self, name: &RoomName) -> Option<RoomId> {
        self.by_key.get(name.key()).copied()
    }

    /// The room called `name`, created (or brought back from aside, with its history and
    /// topic, under the name it had) if need be. Returns the room and which of those it was.
    pub(crate) fn find_or_create(&mut self, name: RoomName) -> (RoomId, Found) {
        if let Some(id) = self.find(&name) {
            return (id, Found::Live);
        }
        let (room, found) = match self.dormant.remove(name.key()) {
            Some(room) => (room, Found::Revived),
            None => (Room::new(name, self.history), Found::Created),
        };
        (self.open(room), found)
    }

    /// Adds `member`, called `name`, to room `id` (which exists).
    pub(crate) fn enter(&mut self, id: RoomId, member: ClientId, name: &str) {
        if let Some(room) = self.rooms.get_mut(&id) {
            room.add(member, name);
        }
    }

    /// Takes `member`, called `name`, out of room `id`; a room other than `#lobby` left empty
    /// is removed. Returns whether the room was removed.
    pub(crate) fn leave(&mut self, id: RoomId, member: ClientId, name: &str) -> bool {
        let Some(room) = self.rooms.get_mut(&id) else { return false };
        room.remove(member, name);
        if room.is_empty() && id != self.lobby {
            if let Some(mut room) = self.rooms.remove(&id) {
                let key = self.by_key.remove_entry(room.name().key()).map(|(key, _)| key);
                if self.keep_empty
                    && room.is_worth_keeping()
                    && let Some(key) = key
                {
                    room.presence.clear();
                    self.dormant.insert(key, room);
                }
            }
            return true;
        }
        false
    }

    /// Every room (not those put aside), in no order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (RoomId, &Room)> {
        self.rooms.iter().map(|(&id, room)| (id, room))
    }

    /// Every room, to change (not those put aside).
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (RoomId, &mut Room)> {
        self.rooms.iter_mut().map(|(&id, room)| (id, room))
    }

    /// Up to [`ROOMS_LISTED`] rooms for `/list`: biggest first, then by name ignoring case.
    /// Linear in the number of rooms.
    pub(crate) fn biggest(&self) -> Vec<&Room> {
        let mut rooms: Vec<&Room> = self.rooms.values().collect();
        if rooms.len() > ROOMS_LISTED {
            // Which rooms make the list: the biggest, ties broken by the uniqueness key (no
            // allocation per comparison).
            let cheap = |a: &&Room, b: &&Room| {
                b.head_count().cmp(&a.head_count()).then_with(|| a.name().key().cmp(b.name().key()))
            };
            rooms.select_nth_unstable_by(ROOMS_LISTED, cheap);
            rooms.truncate(ROOMS_LISTED);
        }
        rooms.sort_by_cached_key(|room| {
            (std::cmp::Reverse(room.head_count()), room.name().as_str().to_lowercase())
        });
        rooms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(typed: &str) -> RoomName {
        RoomName::parse(typed).unwrap()
    }

    #[test]
    fn rooms_come_and_go_but_the_lobby_stays() {
        let mut rooms = Rooms::new(5, false);
        let lobby = rooms.lobby();
        rooms.enter(lobby, ClientId(1), "a");
        let (rust, found) = rooms.find_or_create(name("#Rust"));
        assert_eq!(found, Found::Created);
        rooms.enter(rust, ClientId(2), "b");
        assert_eq!(rooms.find_or_create(name("rust")), (rust, Found::Live));
        rooms.enter(rust, ClientId(3), "c");
        assert_eq!(rooms.get(rust).unwrap().name().as_str(), "#Rust");
        assert!(!rooms.leave(rust, ClientId(2), "b"));
        assert!(rooms.leave(rust, ClientId(3), "c"));
        assert!(rooms.get(rust).is_none());
        assert_eq!(rooms.find(&name("#rust")), None);
        assert!(!rooms.leave(lobby, ClientId(1), "a"));
        assert!(rooms.get(lobby).is_some_and(Room::is_empty));
        assert_eq!(rooms.find(&name("#LOBBY")), Some(lobby));
        let (again, found) = rooms.find_or_create(name("#rust"));
        assert!(found == Found::Created && again != rust, "a new room, with a new id");
    }

    fn stored(typed: &str, next_seq: u64, topic: Option<&str>) -> StoredRoom {
        let room = name(typed);
        StoredRoom {
            room: crate::RoomRef { key: room.key().to_owned(), name: room.as_str().to_owned() },
            next_seq,
            topic: topic.map(|text| crate::Topic {
                text: text.to_owned(),
                set_by: "op".to_owned(),
                at: crate::UnixMillis(0),
            }),
            lines: Vec::new(),
        }
    }

    #[test]
    fn with_a_database_a_room_left_empty_is_put_aside_and_comes_back_as_it_was() {
        let mut rooms = Rooms::new(5, true);
        let (rust, _) = rooms.find_or_create(name("#Rust"));
        rooms.enter(rust, ClientId(1), "a");
        rooms.get_mut(rust).unwrap().record(ClientId(1), std::time::Duration::ZERO, "x\n".into());
        assert!(rooms.leave(rust, ClientId(1), "a"), "gone from the live rooms");
        assert_eq!(rooms.find(&name("#rust")), None);
        assert_eq!(rooms.len(), 1);
        let (again, found) = rooms.find_or_create(name("#RUST"));
        assert!(found == Found::Revived && again != rust);
        let room = rooms.get_mut(again).unwrap();
        assert_eq!(room.name().as_str(), "#Rust", "the name it had");
        assert_eq!(room.history(10, usize::MAX).count(), 1);
        assert_eq!(room.record(ClientId(2), std::time::Duration::ZERO, "y\n".into()), 2);
        // A room where nothing was said and no topic set is not worth keeping.
        let (quiet, _) = rooms.find_or_create(name("#quiet"));
        rooms.enter(quiet, ClientId(3), "c");
        rooms.leave(quiet, ClientId(3), "c");
        assert!(rooms.dormant.is_empty());
    }

    #[test]
    fn restored_rooms_wait_aside_but_the_lobby_is_restored_in_place() {
        let mut rooms = Rooms::new(5, true);
        rooms.restore(stored("#lobby", 9, Some("welcome")));
        rooms.restore(stored("#Rust", 4, None));
        let lobby = rooms.get_mut(rooms.lobby()).unwrap();
        assert_eq!(lobby.topic(), Some("welcome"));
        assert_eq!(lobby.record(ClientId(1), std::time::Duration::ZERO, "x\n".into()), 9);
        assert_eq!(rooms.len(), 1, "only the lobby is live");
        let (rust, found) = rooms.find_or_create(name("#rust"));
        assert_eq!(found, Found::Revived);
        let rust = rooms.get_mut(rust).unwrap();
        assert_eq!(rust.name().as_str(), "#Rust");
        assert_eq!(rust.record(ClientId(1), std::time::Duration::ZERO, "x\n".into()), 4);
    }

    #[test]
    fn the_list_shows_the_biggest_rooms_first_and_is_bounded() {
        let mut rooms = Rooms::new(0, false);
        let mut next = 0;
        for n in 0..30u64 {
            let (id, _) = rooms.find_or_create(name(&format!("#r{n:02}")));
            for _ in 0..n % 7 + 1 {
                next += 1;
                rooms.enter(id, ClientId(next), &format!("p{next}"));
            }
        }
        let listed = rooms.biggest();
        assert_eq!(listed.len(), ROOMS_LISTED);
        let sizes: Vec<usize> = listed.iter().map(|room| room.len()).collect();
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
        assert_eq!(listed[0].name().as_str(), "#r06");
        assert_eq!(listed[1].name().as_str(), "#r13");
        assert_eq!(listed[3].name().as_str(), "#r27");
    }
}
