//! The rooms of the server: each connection is in exactly one, `#lobby` to begin with.
//!
//! A room is created when someone joins it and removed when its last member leaves (its history
//! with it), except `#lobby`, which always exists.

mod history;
mod room;

use std::collections::HashMap;

pub(crate) use history::Said;
pub(crate) use room::{MAX_TOPIC, Room};

use crate::ClientId;
use crate::protocol::RoomName;

/// How many rooms `/list` spells out.
pub(crate) const ROOMS_LISTED: usize = 20;

/// Names a room for as long as it exists. Never reused while the server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RoomId(u64);

/// Every room, by id and by name.
#[derive(Debug)]
pub(crate) struct Rooms {
    rooms: HashMap<RoomId, Room>,
    by_key: HashMap<String, RoomId>,
    lobby: RoomId,
    next_id: u64,
    /// Lines each room remembers.
    history: usize,
}

impl Rooms {
    /// Just `#lobby`, every room keeping `history` lines.
    pub(crate) fn new(history: usize) -> Self {
        let mut rooms =
            Self { rooms: HashMap::new(), by_key: HashMap::new(), lobby: RoomId(0), next_id: 0, history };
        rooms.lobby = rooms.create(RoomName::lobby());
        rooms
    }

    fn create(&mut self, name: RoomName) -> RoomId {
        let id = RoomId(self.next_id);
        self.next_id += 1;
        self.by_key.insert(name.key().to_owned(), id);
        self.rooms.insert(id, Room::new(name, self.history));
        id
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

    /// The room called `name`, created if need be. Returns the room and whether it was
    /// created.
    pub(crate) fn find_or_create(&mut self, name: RoomName) -> (RoomId, bool) {
        match self.find(&name) {
            Some(id) => (id, false),
            None => (self.create(name), true),
        }
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
            if let Some(room) = self.rooms.remove(&id) {
                self.by_key.remove(room.name().key());
            }
            return true;
        }
        false
    }

    /// Every room, to change.
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
        let mut rooms = Rooms::new(5);
        let lobby = rooms.lobby();
        rooms.enter(lobby, ClientId(1), "a");
        let (rust, created) = rooms.find_or_create(name("#Rust"));
        assert!(created);
        rooms.enter(rust, ClientId(2), "b");
        assert_eq!(rooms.find_or_create(name("rust")), (rust, false));
        rooms.enter(rust, ClientId(3), "c");
        assert_eq!(rooms.get(rust).unwrap().name().as_str(), "#Rust");
        assert!(!rooms.leave(rust, ClientId(2), "b"));
        assert!(rooms.leave(rust, ClientId(3), "c"));
        assert!(rooms.get(rust).is_none());
        assert_eq!(rooms.find(&name("#rust")), None);
        assert!(!rooms.leave(lobby, ClientId(1), "a"));
        assert!(rooms.get(lobby).is_some_and(Room::is_empty));
        assert_eq!(rooms.find(&name("#LOBBY")), Some(lobby));
        let (again, created) = rooms.find_or_create(name("#rust"));
        assert!(created && again != rust, "a new room, with a new id");
    }

    #[test]
    fn the_list_shows_the_biggest_rooms_first_and_is_bounded() {
        let mut rooms = Rooms::new(0);
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
