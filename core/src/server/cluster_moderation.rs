//! Moderation, topics and the message of the day on every node of a cluster.
//!
//! - **In a room's stream**, ordered with its lines: topic changes ([`TopicChange`]), and
//!   `/kick`, `/op`, `/deop` of a member on another node (`mod` entries). A topic change is
//!   applied and told when it comes back, on every node alike. A kick is carried out by the
//!   node where its target is (its departure, said in the stream as usual, is the notice); an
//!   operator grant is kept by the node where its target is, and told by every node.
//! - **In the server-wide stream** ([`SERVER_STREAM`]), read by every node from its start:
//!   bans, server mutes and the message of the day, as state-setting [`ServerChange`]s (a ban
//!   carries its absolute expiry). The node where the command was typed applies it at once,
//!   every node (itself again) when it comes back: applying a change it already has changes
//!   nothing, so a node started late, or reading the stream twice, ends in the same state.
//!   Each node stores what it applies, and ends bans and mutes on its own clock.

use bytes::Bytes;

use super::Server;
use super::delivery::Audience;
use super::moderation::SHUTS_YOU_OUT;
use crate::cluster::inbox_of;
use crate::protocol::nick::key_of;
use crate::protocol::sanitize;
use crate::protocol::wire::{self, Reason};
use crate::rooms::{MAX_TOPIC, Room, RoomId};
use crate::{
    BusCommand, BusPayload, ClientId, Issuer, ModerationAction, Operator, Record, SERVER_STREAM,
    ServerChange, StreamSeq, SubscribeFrom, TopicChange, UnixMillis,
};

/// What a `mod` entry of a room's stream asks, beside its action.
pub(super) struct Asked<'a> {
    /// Whom it is about (a name).
    pub(super) target: &'a str,
    /// The operator's name.
    pub(super) by: &'a str,
    /// The reason given (may be empty).
    pub(super) reason: &'a str,
    /// When a ban or mute ends.
    pub(super) expires: Option<UnixMillis>,
    /// For a ban: who typed it.
    pub(super) issuer: Option<&'a Issuer>,
    /// The operator's node (told if the ban is refused).
    pub(super) node: &'a str,
}

impl Server {
    /// Starts reading the server-wide stream from its start (once, with `#lobby`).
    pub(super) fn read_server_stream(&mut self) {
        let from = SubscribeFrom::Start;
        self.bus(BusCommand::Subscribe { room: SERVER_STREAM.to_owned(), from });
    }

    /// With a bus, tells every node of a server-wide change this node just applied.
    pub(super) fn share(&mut self, change: ServerChange) {
        if self.is_clustered() {
            self.publish(SERVER_STREAM, BusPayload::Server(Box::new(change)));
        }
    }

    /// With a bus, a change of `room`'s topic goes through its stream (applied and told on
    /// every node when it comes back): returns whether it did.
    pub(super) fn share_topic(&mut self, room: RoomId, by: &str, change: TopicChange) -> bool {
        if !self.is_clustered() {
            return false;
        }
        let Some(key) = self.rooms.get(room).map(|room| room.name().key().to_owned()) else { return true };
        self.publish(&key, BusPayload::Topic { by: by.to_owned(), change });
        true
    }

    /// With a bus, a notice `line` (a `*** ` line) to `room` goes through its stream, to be told
    /// once on every node; without, to the members here. Returns whether it went to the stream.
    pub(super) fn tell_room(&mut self, room: RoomId, line: Bytes) -> bool {
        let key = self.rooms.get(room).map(|room| room.name().key().to_owned());
        let text = std::str::from_utf8(&line).ok().and_then(|text| text.strip_prefix("*** "));
        match (self.is_clustered(), key, text) {
            (true, Some(key), Some(text)) => {
                let text = text.trim_end_matches(['\r', '\n']).to_owned();
                self.publish(&key, BusPayload::Notice { text });
                true
            }
            _ => {
                self.broadcast(Audience::everyone_in(room), line);
                false
            }
        }
    }

    /// With a bus, `/kick`, `/op`, `/deop` (by an operator of `id`'s room) or `/ban`, `/mute`,
    /// `/unmute` (by a server operator) of someone on another node: it goes through the stream
    /// of a room they are in (`id`'s room, or for a server operator any room read here), where
    /// the node of its target acts on it. Returns whether it did (else the caller refuses as
    /// without a bus). A target on this node in `id`'s room is sent too for `/op` and `/deop`
    /// (so every node tells it).
    pub(super) fn act_through_room(
        &mut self,
        id: ClientId,
        by: &str,
        typed: &str,
        action: ModerationAction,
        reason: &str,
        expires: Option<UnixMillis>,
    ) -> bool {
        if !self.is_clustered() {
            return false;
        }
        let Some(room) = self.registry.get(id).map(|client| client.room) else { return false };
        if !self.is_room_operator(id, room) {
            return false;
        }
        let wanted = key_of(typed);
        let known_in =
            |room: &Room| room.remote.names().find(|name| key_of(name) == wanted).map(str::to_owned);
        let mut found = self.rooms.get(room).and_then(|here| Some((room, known_in(here)?)));
        if found.is_none() && self.is_server_operator(id) {
            // The first room by id that knows the name (rooms are kept in no order).
            let known =
                self.rooms.iter().filter_map(|(elsewhere, there)| Some((elsewhere, known_in(there)?)));
            found = known.min_by_key(|(elsewhere, _)| *elsewhere);
        }
        if found.is_none() && matches!(action, ModerationAction::Op | ModerationAction::Deop) {
            found = self
                .registry
                .holder(&wanted)
                .and_then(|holder| self.registry.get(holder))
                .filter(|client| client.is_present() && client.room == room && client.id != id)
                .map(|client| (room, client.nick.as_str().to_owned()));
        }
        let Some((room, target)) = found else { return false };
        let Some(key) = self.rooms.get(room).map(|room| room.name().key().to_owned()) else { return false };
        tracing::info!(%id, %by, %target, %action, "moderation through the room's stream");
        let (by, reason) = (by.to_owned(), reason.into());
        // A ban carries who typed it, so the node that resolves the name spares them.
        let issuer = match (action, self.registry.get(id)) {
            (ModerationAction::Ban, Some(me)) => Some(Box::new(Issuer {
                address: me.peer.ip(),
                account: me.account.as_deref().map(str::to_owned),
            })),
            _ => None,
        };
        let payload = BusPayload::Moderation { action, target, by, reason, expires, issuer };
        self.publish(&key, payload);
        true
    }

    /// A `mod` entry of room `room`'s stream: the node where its target is acts on it.
    pub(super) fn moderation_entry(&mut self, room: RoomId, action: ModerationAction, entry: Asked<'_>) {
        let (target, by, reason) = (sanitize(entry.target), sanitize(entry.by), sanitize(entry.reason));
        let Some(room_name) = self.rooms.get(room).map(|room| room.name().clone()) else { return };
        let here = self
            .registry
            .holder(&key_of(&target))
            .filter(|&holder| self.registry.get(holder).is_some_and(|c| c.is_present() && c.room == room));
        let protected = here.is_some_and(|holder| self.is_server_operator(holder));
        let now = self.wall_now();
        let length = self.remaining(entry.expires);
        match action {
            ModerationAction::Kick => {
                let Some(kicked) = here else { return };
                if protected {
                    tracing::warn!(%target, %by, "a kick of a server operator from another node: refused");
                    self.tell_room(room, wire::kick_refused(&target, &by));
                    return;
                }
                tracing::info!(%by, %target, "kicked from another node");
                self.send(kicked, wire::you_kicked(&by, &reason));
                self.depart(kicked, Reason::Kicked { by: by.into_owned(), reason: reason.into_owned() });
                self.close_when_flushed(kicked);
            }
            ModerationAction::Op | ModerationAction::Deop => {
                let grant = action == ModerationAction::Op;
                if let Some(holder) = here.filter(|_| grant || !protected) {
                    self.keep_room_operator(holder, room, &by, grant);
                }
                let line = if grant {
                    wire::opped(&by, &target, room_name.as_str())
                } else {
                    wire::deopped(&by, &target, room_name.as_str())
                };
                self.broadcast(Audience::everyone_in(room), line);
            }
            ModerationAction::Ban => {
                let Some(banned) = here else { return };
                if entry.expires.is_some_and(|end| end <= now) {
                    return;
                }
                let targets = self.ban_targets(banned);
                if entry.issuer.is_some_and(|issuer| {
                    self.is_banned_by(issuer.address, issuer.account.as_deref(), &targets)
                }) {
                    tracing::warn!(%target, %by, "a ban from another node that would shut its operator out: refused");
                    let to = by.into_owned();
                    let text = SHUTS_YOU_OUT.to_owned();
                    return self.publish(&inbox_of(entry.node), BusPayload::Refused { to, text });
                }
                self.set_bans(&targets, &by, &reason, entry.expires, Some(&target));
                self.put_out_banned(&targets, &by, &reason, length, None);
            }
            ModerationAction::Mute | ModerationAction::Unmute => {
                let Some(found) = here.and_then(|_| self.present(&target).ok()) else { return };
                if action == ModerationAction::Unmute {
                    self.lift_mute(None, &by, &found);
                } else if entry.expires.is_none_or(|end| end > now) {
                    self.impose_mute(None, &by, &found, entry.expires);
                }
            }
            ModerationAction::Unban => {
                tracing::debug!(%target, "an unban in a room's stream: ignored (unbans are server-wide)");
            }
        }
    }

    /// `holder` becomes (`grant`) or stops being an operator of `room`, by connection and by
    /// account (stored).
    fn keep_room_operator(&mut self, holder: ClientId, room: RoomId, by: &str, grant: bool) {
        let at = self.wall_now();
        let account = self.account_of(holder).map(str::to_owned);
        let Some(the_room) = self.rooms.get_mut(room) else { return };
        the_room.set_operator(holder, grant);
        let key = the_room.name().key().to_owned();
        let Some(account) = account else { return };
        if grant {
            let grant = Operator { account, room: Some(key), set_by: by.to_owned(), at };
            if self.moderation.operators.grant(grant.clone()) {
                self.persist(Record::Operator(grant));
            }
        } else if self.moderation.operators.revoke(&key, &account) {
            self.persist(Record::OperatorRemoved { account, room: Some(key) });
        }
    }

    /// A `topic` entry, number `seq` of room `room`'s stream: applied, stored, and told (but a
    /// [`TopicChange::State`], applied only if no change came after what it knew, and told to
    /// no one).
    pub(super) fn topic_entry(&mut self, room: RoomId, seq: StreamSeq, by: &str, change: TopicChange) {
        let Some(the_room) = self.rooms.get_mut(room) else { return };
        let (name, key) = (the_room.name().clone(), the_room.name().key().to_owned());
        let by = sanitize(by);
        let known = self.cluster.as_ref().and_then(|cluster| cluster.topic_changes.get(&key).copied());
        let (text, locked, line) = match change {
            TopicChange::Set(text) => {
                let text: String = sanitize(&text).chars().take(MAX_TOPIC).collect();
                let line = wire::topic_set(&by, name.as_str(), &text);
                (Some(Some(text)), None, Some(line))
            }
            TopicChange::Cleared => (Some(None), None, Some(wire::topic_cleared(&by, name.as_str()))),
            TopicChange::Locked(lock) => (None, Some(lock), Some(wire::topic_lock(&by, name.as_str(), lock))),
            TopicChange::State { text, locked, after } => {
                if known.is_some_and(|last| last > after) {
                    return;
                }
                let text = text.map(|text| sanitize(&text).chars().take(MAX_TOPIC).collect::<String>());
                (Some(text), Some(locked), None)
            }
        };
        if let Some(cluster) = &mut self.cluster {
            cluster.topic_changes.insert(key.clone(), seq);
        }
        if let Some(text) = text
            && the_room.topic() != text.as_deref()
        {
            the_room.set_topic(text.as_deref());
            let kept = the_room.topic().map(str::to_owned);
            self.persist_topic(&name, kept.as_deref(), &by);
        }
        match locked {
            Some(true) => self.moderation.locked_topics.insert(key),
            Some(false) => self.moderation.locked_topics.remove(&key),
            None => false,
        };
        if let Some(line) = line {
            tracing::info!(room = %name, %by, "topic changed");
            self.broadcast(Audience::everyone_in(room), line);
        }
    }

    /// Tells a node new to `room` (whose key is `key`) its topic and lock, if it has either.
    pub(super) fn introduce_topic(&mut self, room: RoomId, key: &str) {
        let Some(here) = self.rooms.get(room) else { return };
        let locked = self.moderation.locked_topics.contains(key);
        if here.topic().is_none() && !locked {
            return;
        }
        let change = TopicChange::State {
            text: here.topic().map(str::to_owned),
            locked,
            after: StreamSeq(here.last_seq()),
        };
        self.publish(key, BusPayload::Topic { by: String::new(), change });
    }

    /// An entry of the server-wide stream: applied (and stored) unless this node has it
    /// already; a ban puts out whoever it bans here.
    pub(super) fn server_entry(&mut self, change: ServerChange) {
        let now = self.wall_now();
        let over = |expires: Option<crate::UnixMillis>| expires.is_some_and(|end| end <= now);
        match change {
            // A ban or mute already over replaces its target's earlier one all the same.
            ServerChange::Ban(ban) if over(ban.expires) => {
                self.server_entry(ServerChange::BanLifted(ban.target))
            }
            ServerChange::Mute(mute) if over(mute.expires) => {
                self.server_entry(ServerChange::MuteLifted(mute.account));
            }
            ServerChange::Ban(ban) => {
                if self.moderation.bans.get(&ban.target) != Some(&ban) {
                    tracing::info!(target = ?ban.target, by = %ban.set_by, "banned on another node");
                    self.moderation.bans.insert(ban.clone());
                    self.persist(Record::Ban(ban.clone()));
                }
                let length = self.remaining(ban.expires);
                let (by, reason) = (sanitize(&ban.set_by), sanitize(&ban.reason));
                self.put_out_banned(&[ban.target], &by, &reason, length, None);
            }
            ServerChange::BanLifted(target) => {
                if self.moderation.bans.remove(&target).is_some() {
                    tracing::info!(?target, "ban lifted on another node");
                    self.persist(Record::BanLifted { target });
                }
            }
            ServerChange::Mute(mute) => {
                if self.moderation.mutes.account(&mute.account) != Some(&mute) {
                    self.moderation.mutes.insert_account(mute.clone());
                    self.persist(Record::Mute(mute));
                }
            }
            ServerChange::MuteLifted(account) => {
                if self.moderation.mutes.remove(&crate::moderation::mutes::Muted::Account(account.clone())) {
                    self.persist(Record::MuteLifted { account });
                }
            }
            ServerChange::Motd(motd) => {
                if self.moderation.motd.as_ref() != Some(&motd) {
                    self.moderation.motd = Some(motd.clone());
                    self.persist(Record::Motd(motd));
                }
            }
            ServerChange::MotdCleared => {
                if self.moderation.motd.take().is_some() {
                    self.persist(Record::MotdCleared);
                }
            }
        }
    }
}
