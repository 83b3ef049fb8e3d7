//! `/list` across nodes: every node publishes its rooms and how many of its users are in each
//! with every heartbeat ([`BusCommand::PublishRooms`], kept as long as the heartbeat, so a dead
//! node's rooms go with it); `/list` reads every node's ([`BusCommand::ListRooms`]) and adds
//! them up with this node's own, counted now. Other nodes' counts are as of their last
//! heartbeat. With the bus down (or the question refused), this node's rooms are listed.

use std::collections::BTreeMap;

use bytes::{BufMut, BytesMut};

use super::Server;
use crate::protocol::{RoomName, wire};
use crate::rooms::ROOMS_LISTED;
use crate::{BusCommand, ClientId, Request};

/// One room of a `/list` across nodes.
struct Listed {
    name: String,
    count: usize,
    topic: Option<String>,
    /// A room this node reads: its count (every node's members, from its stream) is exact.
    read_here: bool,
}

impl Server {
    /// This node's rooms with local members (and `#lobby`), for the others' `/list`.
    pub(super) fn publish_rooms(&mut self) {
        if self.cluster.as_ref().is_none_or(|cluster| cluster.down) {
            return; // Said again with the next heartbeat once the bus is back.
        }
        let lobby = self.rooms.lobby();
        let rooms: Vec<(String, u64)> = self
            .rooms
            .iter()
            .filter(|&(id, room)| !room.is_empty() || id == lobby)
            .map(|(_, room)| (room.name().as_str().to_owned(), room.len() as u64))
            .collect();
        self.ask(Request::Bus(BusCommand::PublishRooms { rooms }));
    }

    /// With a bus that is up, `/list` asks for every node's rooms first: returns true if it does.
    pub(super) fn list_everywhere(&mut self, id: ClientId) -> bool {
        let Some(cluster) = self.cluster.as_mut().filter(|cluster| !cluster.down) else { return false };
        cluster.listing.push(id);
        if cluster.listing.len() == 1 {
            self.ask(Request::Bus(BusCommand::ListRooms));
        }
        true
    }

    /// Every node's rooms came (`nodes`; none if the question was refused): those waiting for
    /// `/list` are answered.
    pub(super) fn rooms_listed(&mut self, nodes: &[(String, Vec<(String, u64)>)]) {
        let Some(cluster) = self.cluster.as_mut() else { return };
        let waiting = std::mem::take(&mut cluster.listing);
        let own = cluster.node.clone();
        // By room key: the rooms this node reads, counted from their streams as they are now;
        // then the others', with the counts their nodes published.
        let mut rooms: BTreeMap<String, Listed> = BTreeMap::new();
        for (_, room) in self.rooms.iter() {
            let (name, topic) = (room.name().as_str().to_owned(), room.topic().map(str::to_owned));
            let listed = Listed { name, count: room.head_count(), topic, read_here: true };
            rooms.insert(room.name().key().to_owned(), listed);
        }
        for (node, listed) in nodes.iter().filter(|(node, _)| *node != own) {
            for (name, count) in listed {
                let Ok(parsed) = RoomName::parse(name) else {
                    tracing::warn!(%node, %name, "another node published a room name that is not one: skipped");
                    continue;
                };
                let entry = rooms.entry(parsed.key().to_owned()).or_insert_with(|| Listed {
                    name: parsed.as_str().to_owned(),
                    count: 0,
                    topic: None,
                    read_here: false,
                });
                if !entry.read_here {
                    entry.count += usize::try_from(*count).unwrap_or(usize::MAX);
                }
            }
        }
        let total = rooms.len();
        let mut listed: Vec<Listed> = rooms.into_values().collect();
        listed.sort_by_cached_key(|room| (std::cmp::Reverse(room.count), room.name.to_lowercase()));
        let mut frame = BytesMut::new();
        frame.put_slice(&wire::rooms_header(total));
        for room in listed.iter().take(ROOMS_LISTED) {
            frame.put_slice(&wire::room_entry(&room.name, room.count, room.topic.as_deref()));
        }
        let frame = frame.freeze();
        for id in waiting {
            if self.registry.get(id).is_some_and(|client| client.is_active()) {
                self.send(id, frame.clone());
            }
        }
    }
}
