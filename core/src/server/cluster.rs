//! A node of a cluster: rooms shared with other nodes through the bus.
//!
//! With a bus, what is said or done in a room is not delivered at once: it is appended to the
//! room's stream ([`Server::publish`]) and delivered when it comes back ([`Server::bus_event`]),
//! in the stream's order, which is the same on every node, this node's own users' lines too.
//! The first local member of a room starts reading its stream, the last one to leave stops it.
//! Each room learns its members on other nodes from the stream (`join`, `leave`, `nick`, and
//! the `here` list a node appends when it sees a node new to the room), so `/who` and `/list`
//! count every node. Names other than guests' are leased across nodes on `/nick`. The
//! heartbeat runs on the core's clock; a node whose heartbeat expires has its users announced
//! offline.

use std::fmt::Display;
use std::time::Instant;

use bytes::Bytes;

use super::Server;
use super::delivery::Audience;
use crate::protocol::nick::key_of;
use crate::protocol::wire::{self, Reason};
use crate::protocol::{Nick, sanitize};
use crate::rooms::{Room, RoomId};
use crate::roster::caseless_cmp;
use crate::{
    BusCommand, BusEvent, BusPayload, ClientId, Gap, Request, SERVER_STREAM, StreamSeq, SubscribeFrom,
};

/// Who said a line kept in history that someone on another node said (no local connection
/// has this id: runtimes count theirs up from 1).
const ELSEWHERE: ClientId = ClientId(u64::MAX);

impl Server {
    /// Whether this server shares its rooms through a bus.
    pub(super) fn is_clustered(&self) -> bool {
        self.cluster.is_some()
    }

    pub(super) fn bus(&mut self, command: BusCommand) {
        self.ask(Request::Bus(command));
    }

    /// Appends `payload` to the stream of the room whose key is `key`.
    pub(super) fn publish(&mut self, key: &str, payload: BusPayload) {
        self.bus(BusCommand::Append { room: key.to_owned(), payload });
    }

    /// The heartbeat, when due; the next one is at [`Server::heartbeat_deadline`].
    pub(super) fn heartbeat(&mut self) {
        self.expire_greetings(false);
        let now = self.now;
        if self.cluster.as_mut().is_some_and(|cluster| cluster.heartbeat_due(now)) {
            self.publish_rooms();
            self.bus(BusCommand::Heartbeat);
        }
    }

    /// When the next heartbeat is due, in a cluster.
    pub(super) fn heartbeat_deadline(&self) -> Option<Instant> {
        let cluster = self.cluster.as_ref()?;
        Some(cluster.greetings.deadline().map_or(cluster.next_heartbeat, |at| at.min(cluster.next_heartbeat)))
    }

    /// `name` is now a user of this node (others announce them offline if it dies).
    pub(super) fn bus_online(&mut self, name: &str) {
        if self.is_clustered() {
            self.bus(BusCommand::Online { user: name.to_owned() });
        }
    }

    /// `id`, called `nick`, left this node: off its user set, and its name's lease released.
    pub(super) fn bus_offline(&mut self, id: ClientId, nick: &Nick) {
        self.forget_greeting(id);
        let Some(cluster) = &mut self.cluster else { return };
        let release = cluster.leases.let_go(nick.key(), id);
        self.bus(BusCommand::Offline { user: nick.as_str().to_owned() });
        if release {
            self.bus(BusCommand::Release { name: nick.key().to_owned() });
        }
    }

    /// Starts reading `#lobby`, once: it is read always, with or without local members, so its
    /// history here has every line and its members elsewhere are known to whoever arrives.
    pub(super) fn read_lobby(&mut self) {
        let Some(cluster) = &mut self.cluster else { return };
        if cluster.lobby_read {
            return;
        }
        cluster.lobby_read = true;
        self.read_server_stream();
        self.subscribe(self.rooms.lobby());
        self.read_inbox();
    }

    /// A local member came into `room`: the first one starts reading its stream (`#lobby` is
    /// read always).
    pub(super) fn entered_room(&mut self, room: RoomId) {
        let first = self.rooms.get(room).is_some_and(|r| r.len() == 1);
        if self.is_clustered() && first && room != self.rooms.lobby() {
            self.subscribe(room);
        }
    }

    /// Reads `room`'s stream after the last line this node has of it (or from now on, for a
    /// room new here).
    fn subscribe(&mut self, room: RoomId) {
        let Some(entered) = self.rooms.get(room) else { return };
        let from = match entered.last_seq() {
            0 => SubscribeFrom::Latest,
            seq => SubscribeFrom::After(StreamSeq(seq)),
        };
        let key = entered.name().key().to_owned();
        self.bus(BusCommand::Subscribe { room: key, from });
    }

    /// A local member left the room `room` whose key is `key` (the room may be gone): with no
    /// local member left, this node stops reading it and forgets its members elsewhere.
    pub(super) fn left_room(&mut self, room: RoomId, key: &str) {
        if !self.is_clustered() || room == self.rooms.lobby() || room == RoomId::NOWHERE {
            return;
        }
        if let Some(left) = self.rooms.get_mut(room) {
            if !left.is_empty() {
                return;
            }
            left.remote.clear();
        }
        self.bus(BusCommand::Unsubscribe { room: key.to_owned() });
    }

    /// With a bus, `/nick` to a name not leased yet asks for its lease first (the rename
    /// happens when it is granted): returns true if it did.
    pub(super) fn lease_first(&mut self, id: ClientId, nick: &Nick) -> bool {
        let Some(cluster) = &mut self.cluster else { return false };
        let current = self.registry.get(id).map(|client| client.nick.key().to_owned());
        if current.as_deref() == Some(nick.key()) {
            return false;
        }
        // Asked for, or granted and waiting for its account's record.
        match cluster.leases.asked_by(nick.key()).or_else(|| cluster.accounts.renaming_by(nick.key())) {
            // Asked already: its answer will do.
            Some(asker) if asker == id => return true,
            Some(_) => {
                self.send(id, wire::error(format_args!("The name {nick} is taken; pick another.")));
                return true;
            }
            None if cluster.leases.holds(nick.key(), id) => return false,
            None => {}
        }
        cluster.leases.ask(id, nick.clone());
        self.bus(BusCommand::Acquire { name: nick.key().to_owned() });
        true
    }

    /// Whether `id` waits for the lease on the name it asked for (its arrival is announced
    /// once the answer comes, under the name it then has).
    pub(super) fn waits_for_lease(&self, id: ClientId) -> bool {
        self.cluster.as_ref().is_some_and(|cluster| cluster.leases.is_waiting(id))
            || self.greeting_pending(id)
            || self.waits_for_shared_account(id)
    }

    /// What the bus said.
    pub(super) fn bus_event(&mut self, event: BusEvent) {
        if !self.is_clustered() {
            return tracing::debug!(?event, "a bus event on a server without a bus");
        }
        match event {
            BusEvent::Entry { room, payload, .. } if self.is_inbox(&room) => self.inbox_entry(payload),
            BusEvent::Entry { room, seq, node, payload } => self.entry(&room, seq, &node, payload),
            BusEvent::Unreadable { room, seq, error } => {
                tracing::warn!(%room, %seq, %error, "an entry of the room's stream cannot be read: skipped");
                if let Some(unread) = self.rooms.find_key(&room).and_then(|id| self.rooms.get_mut(id)) {
                    unread.skip_to(seq.0);
                }
            }
            BusEvent::Gap(gap) => self.gap(gap),
            BusEvent::Down => self.link(true),
            BusEvent::Up => self.link(false),
            BusEvent::LeaseGranted { name } if self.greeting_answer(&name, None) => {}
            BusEvent::LeaseRefused { name, holder } if self.greeting_answer(&name, Some(&holder)) => {}
            BusEvent::LeaseGranted { name } => self.lease_granted(&name),
            BusEvent::LeaseRefused { name, holder } => {
                tracing::info!(%name, %holder, "a name is held on another node");
                let asked = self.cluster.as_mut().and_then(|cluster| cluster.leases.answered(&name));
                if let Some((id, nick)) = asked {
                    if !self.not_identified(id, &nick) {
                        self.send(id, wire::name_taken_elsewhere(nick.as_str()));
                    }
                    self.announce(id);
                }
            }
            BusEvent::LeaseLost { name } => self.lease_lost(&name),
            BusEvent::NodeExpired { node, users: _ } => self.node_gone(&node, None),
            BusEvent::AccountCreated { key, created } => self.shared_account_created(&key, created),
            BusEvent::AccountFetched { key, account } => self.shared_account_fetched(&key, account),
            BusEvent::Refused { command } => self.bus_refused(command),
            BusEvent::Located { name, node } => self.located(&name, node),
            BusEvent::RoomsListed { nodes } => self.rooms_listed(&nodes),
            BusEvent::NodeRestarted { node, users } => self.node_gone(&node, Some(&users)),
        }
        self.hear_waiting_lines();
    }

    /// One entry of a room's stream, in the stream's order: delivered to the room's members
    /// here, and numbered as the stream numbers it.
    fn entry(&mut self, key: &str, seq: StreamSeq, node: &str, payload: BusPayload) {
        if key == SERVER_STREAM {
            return match payload {
                BusPayload::Server(change) => self.server_entry(*change),
                other => tracing::warn!(?other, "an entry of the server-wide stream that is not a change"),
            };
        }
        let Some(room) = self.rooms.find_key(key) else { return };
        let own = self.cluster.as_ref().is_some_and(|cluster| cluster.node == node);
        // The local holder of a name this node said something about (its user is left out of
        // what it was told itself). What other nodes wrote is sanitised again: a line on the
        // wire is never broken by what a stream holds.
        // A local client renamed since is found under the name it had (until its rename
        // comes back).
        let local = |server: &Self, name: &str| {
            let key = key_of(name);
            let former = || server.cluster.as_ref().and_then(|c| c.former_names.get(&key).copied());
            own.then(|| server.registry.holder(&key).or_else(former)).flatten()
        };
        match payload {
            BusPayload::Line { from, text } => {
                let sender = local(self, &from);
                self.said(room, seq, sender, wire::message(&sanitize(&from), &sanitize(&text)));
            }
            BusPayload::Action { from, text } => {
                let sender = local(self, &from);
                self.said(room, seq, sender, wire::action(&sanitize(&from), &sanitize(&text)));
            }
            other => {
                let Some(shared) = self.rooms.get_mut(room) else { return };
                shared.skip_to(seq.0);
                match other {
                    BusPayload::Notice { text } => {
                        self.broadcast(Audience::everyone_in(room), wire::notice(&sanitize(&text)));
                    }
                    BusPayload::Joined { user } => {
                        if !own {
                            let new_node = !shared.remote.knows(node);
                            shared.remote.add(node, &user);
                            if new_node {
                                self.introduce(room, key);
                            }
                        }
                        let except = local(self, &user);
                        self.arrival_notice(room, except, &user, None);
                    }
                    BusPayload::Left { user, reason } => {
                        if !own {
                            shared.remote.remove(node, &user);
                        }
                        self.departure_notice(room, &user, &reason);
                    }
                    BusPayload::Renamed { old, new } => {
                        if !own {
                            shared.remote.remove(node, &old);
                            shared.remote.add(node, &new);
                        } else if let Some(cluster) = self.cluster.as_mut() {
                            cluster.former_names.remove(&key_of(&old));
                        }
                        let except = local(self, &new);
                        self.broadcast(Audience { room, except, said_by: None }, wire::renamed(&old, &new));
                    }
                    BusPayload::Present { users } => {
                        if !own {
                            for user in &users {
                                shared.remote.add(node, user);
                            }
                        }
                    }
                    BusPayload::Moderation { action, target, by, reason, expires, issuer } => {
                        let asked = super::cluster_moderation::Asked {
                            target: &target,
                            by: &by,
                            reason: &reason,
                            expires,
                            issuer: issuer.as_deref(),
                            node,
                        };
                        self.moderation_entry(room, action, asked);
                    }
                    BusPayload::Topic { by, change } => self.topic_entry(room, seq, &by, change),
                    BusPayload::Server(_) => tracing::warn!(%key, "a server-wide change in a room's stream"),
                    BusPayload::Private { .. } | BusPayload::Refused { .. } => {
                        tracing::debug!(%key, "an inbox entry in a room's stream: ignored");
                    }
                    BusPayload::Line { .. } | BusPayload::Action { .. } => {}
                }
            }
        }
    }

    /// A line said in `room` comes back from its stream: kept as line `seq`, and sent to the
    /// members here (but its sender, if it is here, and those who ignore them).
    fn said(&mut self, room: RoomId, seq: StreamSeq, sender: Option<ClientId>, frame: Bytes) {
        let at = self.clock.at(self.now);
        if let Some(said_in) = self.rooms.get_mut(room) {
            if said_in.record_numbered(seq.0, sender.unwrap_or(ELSEWHERE), at, frame.clone()) {
                // The database keeps line `seq` of the stream: history follows the stream.
                let name = said_in.name().clone();
                self.persist_line(&name, seq.0, at, frame.clone());
            } else {
                tracing::warn!(room = %said_in.name(), %seq, "a line numbered before the last one kept");
            }
        }
        self.broadcast(Audience { room, except: sender, said_by: sender }, frame);
    }

    /// Another node came into `room`: say who is here, so it learns them.
    fn introduce(&mut self, room: RoomId, key: &str) {
        let Some(here) = self.rooms.get(room) else { return };
        let users: Vec<String> = here
            .members()
            .iter()
            .filter_map(|&id| self.registry.get(id))
            .filter(|client| client.announced && client.is_present())
            .map(|client| client.nick.as_str().to_owned())
            .collect();
        if !users.is_empty() {
            self.publish(key, BusPayload::Present { users });
        }
        self.introduce_topic(room, key);
    }

    /// `*** NAME entered the room` (or `joined #ROOM` when `moved` names it) to the members
    /// of `room` but `except`, coalesced in a big room.
    pub(super) fn arrival_notice(
        &mut self,
        room_id: RoomId,
        except: Option<ClientId>,
        name: &str,
        moved: Option<&str>,
    ) {
        let Some(room) = self.rooms.get_mut(room_id) else { return };
        if room.head_count() > self.config.presence_batch_above {
            if room.presence.deadline().is_none() {
                self.presence_due.push(self.now, room_id);
            }
            room.presence.joined(name, self.now, self.config.presence_interval);
            return;
        }
        let notice = match moved {
            None => wire::joined(name),
            Some(room) => wire::room_joined(name, room),
        };
        self.broadcast(Audience { room: room_id, except, said_by: None }, notice);
    }

    /// `*** NAME is offline (REASON)` (or `left #ROOM` for one who moved) to the members of
    /// `room`, coalesced in a big room.
    pub(super) fn departure_notice(&mut self, room_id: RoomId, name: &str, reason: &(impl Display + ?Sized)) {
        let Some(room) = self.rooms.get_mut(room_id) else { return };
        let reason = reason.to_string();
        if room.head_count() > self.config.presence_batch_above {
            if room.presence.deadline().is_none() {
                self.presence_due.push(self.now, room_id);
            }
            room.presence.left(name, &reason, self.now, self.config.presence_interval);
            return;
        }
        let notice = if reason == Reason::Moved.to_string() {
            wire::room_left(name, room.name().as_str())
        } else {
            wire::offline(name, &reason)
        };
        self.broadcast(Audience::everyone_in(room_id), notice);
    }

    fn gap(&mut self, gap: Gap) {
        tracing::warn!(room = %gap.room, after = %gap.after, next = ?gap.next, reason = ?gap.reason, "lines of a room may be missing");
        let Some(room) = self.rooms.find_key(&gap.room) else { return };
        let Some(missing) = self.rooms.get_mut(room) else { return };
        if let Some(next) = gap.next {
            missing.skip_to(next.0.saturating_sub(1));
        }
        let line = wire::gap(missing.name().as_str(), gap.reason);
        self.broadcast(Audience::everyone_in(room), line);
    }

    /// The bus went down (`true`) or came back: every local user is told once.
    fn link(&mut self, down: bool) {
        let Some(cluster) = &mut self.cluster else { return };
        if cluster.down == down {
            return;
        }
        cluster.down = down;
        tracing::warn!(down, "the link to the other nodes changed");
        if down {
            self.expire_greetings(true);
        }
        let line = if down { wire::link_down() } else { wire::link_up() };
        let ids: Vec<ClientId> =
            self.registry.clients().iter().filter(|c| c.is_active()).map(|c| c.id).collect();
        for id in ids {
            self.send(id, line.clone());
        }
    }

    fn lease_granted(&mut self, key: &str) {
        let asked = self.cluster.as_mut().and_then(|cluster| cluster.leases.answered(key));
        let taken_here =
            |server: &Self, id: ClientId| server.registry.holder(key).is_some_and(|holder| holder != id);
        match asked {
            Some((id, nick))
                if self.registry.get(id).is_some_and(|client| client.is_active())
                    && !taken_here(self, id) =>
            {
                if let Some(cluster) = &mut self.cluster {
                    cluster.leases.hold(key, id);
                }
                // The name's account, if another node registered it, is read first.
                self.rename_once_account_read(id, nick);
            }
            asked => {
                if let Some((id, nick)) = asked {
                    let _ = self.not_identified(id, &nick);
                }
                self.bus(BusCommand::Release { name: key.to_owned() });
            }
        }
    }

    /// Node `node` died (`users: None`: all its users are gone), or came back as a new
    /// incarnation before its heartbeat expired (`Some`: its previous incarnation's users are
    /// gone; the new one's, if any came already, stay): those users are announced offline in
    /// every room they were in here.
    fn node_gone(&mut self, node: &str, users: Option<&[String]>) {
        match users {
            None => tracing::warn!(%node, "a node stopped answering: its users are gone"),
            Some(users) => {
                tracing::warn!(%node, users = users.len(), "a node was restarted: its previous users are gone");
            }
        }
        let rooms: Vec<(RoomId, Vec<String>)> = self
            .rooms
            .iter_mut()
            .filter(|(_, room)| room.remote.knows(node))
            .map(|(id, room)| match users {
                None => (id, room.remote.remove_node(node)),
                Some(users) => {
                    (id, users.iter().filter(|user| room.remote.remove(node, user)).cloned().collect())
                }
            })
            .collect();
        for (room, names) in rooms {
            for name in names {
                self.departure_notice(room, &name, wire::NODE_LOST);
            }
        }
    }

    /// The names `/who` shows for `room` on every node: the first few in alphabetical order,
    /// the away marked.
    pub(super) fn names_everywhere(&self, room: &Room) -> Vec<String> {
        let mut names: Vec<(&str, bool)> = room
            .roster()
            .entries()
            .take(wire::NAMES_SHOWN)
            .map(|(name, holder)| {
                (name, self.registry.get(holder).is_some_and(|c| c.away.message().is_some()))
            })
            .collect();
        let mut remote: Vec<&str> = room.remote.names().collect();
        remote.sort_by(|a, b| caseless_cmp(a, b));
        names.extend(remote.into_iter().take(wire::NAMES_SHOWN).map(|name| (name, false)));
        names.sort_by(|a, b| caseless_cmp(a.0, b.0));
        names
            .into_iter()
            .take(wire::NAMES_SHOWN)
            .map(|(name, away)| if away { wire::marked_away(name) } else { name.to_owned() })
            .collect()
    }
}
