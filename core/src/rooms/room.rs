//! One room: its members in join order, its topic and its numbered history.

use std::time::Duration;

use bytes::Bytes;

use super::history::{History, Said};
use super::log::Log;
use crate::cluster::RemoteMembers;
use crate::presence::Presence;
use crate::protocol::RoomName;
use crate::roster::Roster;
use crate::{ClientId, StoredRoom};

/// Longest topic, in characters.
pub(crate) const MAX_TOPIC: usize = 300;

/// A room and who is in it.
#[derive(Debug)]
pub(crate) struct Room {
    name: RoomName,
    topic: Option<String>,
    /// Members in the order they joined: one dense array, walked once per line said.
    members: Vec<ClientId>,
    /// The members' names, sorted for `/who`.
    roster: Roster,
    history: History,
    /// Join and offline notices waiting to be sent as one summary, in a big room.
    pub(crate) presence: Presence,
    /// Members who are its operators by connection (its creator, those made so with `/op`);
    /// a member stops being one when it leaves. Grants to accounts are kept by `moderation`.
    operators: Vec<ClientId>,
    /// The broadcasts owed to members whose socket is full (see `log.rs`).
    pub(crate) log: Log,
    /// Its members on other nodes, in a cluster.
    pub(crate) remote: RemoteMembers,
}

impl Room {
    /// An empty room keeping `history` lines.
    pub(crate) fn new(name: RoomName, history: usize) -> Self {
        Self {
            name,
            topic: None,
            members: Vec::new(),
            roster: Roster::default(),
            history: History::new(history),
            presence: Presence::default(),
            operators: Vec::new(),
            log: Log::default(),
            remote: RemoteMembers::default(),
        }
    }

    /// A room as a database kept it (empty: nobody is in a room at start-up), keeping
    /// `history` lines.
    pub(crate) fn restored(name: RoomName, history: usize, stored: StoredRoom) -> Self {
        let mut room = Self::new(name, history);
        room.history = History::restored(history, stored.next_seq, stored.lines);
        room.set_topic(stored.topic.as_ref().map(|topic| topic.text.as_str()));
        room
    }

    /// Whether the room has anything a database keeps: a line ever said, or a topic.
    pub(crate) fn is_worth_keeping(&self) -> bool {
        self.history.has_begun() || self.topic.is_some()
    }

    /// The room's name, as its creator wrote it.
    pub(crate) fn name(&self) -> &RoomName {
        &self.name
    }

    /// The topic, if one is set.
    pub(crate) fn topic(&self) -> Option<&str> {
        self.topic.as_deref()
    }

    /// Sets (or with `None`, clears) the topic. The caller sanitised it; it is cut to
    /// [`MAX_TOPIC`] characters.
    pub(crate) fn set_topic(&mut self, topic: Option<&str>) {
        self.topic = topic.map(|topic| topic.chars().take(MAX_TOPIC).collect());
    }

    /// Members, in join order.
    pub(crate) fn members(&self) -> &[ClientId] {
        &self.members
    }

    /// How many members.
    pub(crate) fn len(&self) -> usize {
        self.members.len()
    }

    /// How many people are in the room on every node (its members here and on other nodes).
    pub(crate) fn head_count(&self) -> usize {
        self.members.len() + self.remote.len()
    }

    /// Whether no one is in the room.
    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members' names in alphabetical order ignoring case.
    pub(crate) fn roster(&self) -> &Roster {
        &self.roster
    }

    /// Adds `id`, called `name`, as the newest member. The caller knows it is not a member yet.
    pub(crate) fn add(&mut self, id: ClientId, name: &str) {
        debug_assert!(!self.members.contains(&id), "{id} joined {} twice", self.name);
        self.members.push(id);
        self.roster.insert(name, id);
    }

    /// Takes `id`, called `name`, out, keeping the others' order. Returns whether it was a
    /// member.
    pub(crate) fn remove(&mut self, id: ClientId, name: &str) -> bool {
        match self.members.iter().position(|&member| member == id) {
            Some(i) => {
                self.members.remove(i);
                self.roster.remove(name, id);
                self.operators.retain(|&op| op != id);
                true
            }
            None => false,
        }
    }

    /// Whether member `id` is an operator of the room by connection.
    pub(crate) fn is_operator(&self, id: ClientId) -> bool {
        self.operators.contains(&id)
    }

    /// Makes member `id` an operator (`true`) or not (`false`); whether that changed anything.
    pub(crate) fn set_operator(&mut self, id: ClientId, operator: bool) -> bool {
        match (self.is_operator(id), operator) {
            (false, true) if self.members.contains(&id) => {
                self.operators.push(id);
                true
            }
            (true, false) => {
                self.operators.retain(|&op| op != id);
                true
            }
            _ => false,
        }
    }

    /// Member `id` is now called `new` instead of `old`.
    pub(crate) fn rename(&mut self, id: ClientId, old: &str, new: &str) {
        self.roster.remove(old, id);
        self.roster.insert(new, id);
    }

    /// Numbers and keeps a line `from` said at wall-clock time `at`; returns its sequence
    /// number.
    pub(crate) fn record(&mut self, from: ClientId, at: Duration, frame: Bytes) -> u64 {
        self.history.push(from, at, frame)
    }

    /// Keeps a line numbered `seq` by the room's stream (a cluster's numbering); returns
    /// false, keeping nothing, if it is not after the last line kept.
    pub(crate) fn record_numbered(&mut self, seq: u64, from: ClientId, at: Duration, frame: Bytes) -> bool {
        self.history.push_numbered(seq, from, at, frame)
    }

    /// The sequence number of the room's last line, 0 before the first.
    pub(crate) fn last_seq(&self) -> u64 {
        self.history.last_seq()
    }

    /// Skips the numbers up to `seq` (an entry this node cannot read, or lines lost in a gap),
    /// so the next line kept must come after it.
    pub(crate) fn skip_to(&mut self, seq: u64) {
        self.history.skip_to(seq);
    }

    /// Forgets the lines said before wall-clock time `cutoff`.
    pub(crate) fn forget_before(&mut self, cutoff: Duration) {
        self.history.forget_before(cutoff);
    }

    /// The last `count` remembered lines within `budget` bytes, oldest first.
    pub(crate) fn history(&self, count: usize, budget: usize) -> impl Iterator<Item = &Said> {
        self.history.last(count, budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_their_join_order() {
        let mut room = Room::new(RoomName::lobby(), 10);
        for id in [3, 1, 2, 5] {
            room.add(ClientId(id), &format!("n{id}"));
        }
        assert!(room.remove(ClientId(1), "n1"));
        assert!(!room.remove(ClientId(1), "n1"));
        assert_eq!(room.members(), [ClientId(3), ClientId(2), ClientId(5)]);
        assert_eq!(room.len(), 3);
        room.rename(ClientId(5), "n5", "a5");
        assert_eq!(room.roster().entries().map(|(name, _)| name).collect::<Vec<_>>(), ["a5", "n2", "n3"]);
    }

    #[test]
    fn operators_are_members_and_stop_when_they_leave() {
        let mut room = Room::new(RoomName::lobby(), 10);
        room.add(ClientId(1), "a");
        assert!(!room.set_operator(ClientId(2), true), "not a member");
        assert!(room.set_operator(ClientId(1), true));
        assert!(!room.set_operator(ClientId(1), true));
        assert!(room.is_operator(ClientId(1)));
        room.remove(ClientId(1), "a");
        assert!(!room.is_operator(ClientId(1)));
        room.add(ClientId(1), "a");
        assert!(!room.is_operator(ClientId(1)), "coming back is not enough");
    }

    #[test]
    fn topics_are_bounded_and_can_be_cleared() {
        let mut room = Room::new(RoomName::lobby(), 10);
        assert_eq!(room.topic(), None);
        room.set_topic(Some(&"x".repeat(MAX_TOPIC + 5)));
        assert_eq!(room.topic().map(str::len), Some(MAX_TOPIC));
        room.set_topic(None);
        assert_eq!(room.topic(), None);
    }
}
