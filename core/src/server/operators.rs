//! Who may moderate, and the commands about operators and the room: `/op`, `/deop`, the
//! creator of a room, `/topic lock`, `/motd`, `/whois` and the addresses in `/who`.
//!
//! Server operators (account names from [`Config::operators`](crate::Config::operators),
//! effective once identified) moderate every room; a room's operators (its creator, and whom
//! they `/op`) moderate it. Addresses are shown to server operators only: anyone can create a
//! room, so a room's operators are not trusted with them.

use bytes::Bytes;

use super::Server;
use super::delivery::Audience;
use crate::protocol::nick::key_of;
use crate::protocol::sanitize;
use crate::protocol::wire;
use crate::rooms::{MAX_TOPIC, RoomId};
use crate::{
    Ban, ClientId, ModerationAction, Motd, Mute, Operator, Record, ServerChange, TopicChange, UnixMillis,
};

/// Someone an operator acts on, found by name.
pub(super) struct Target {
    pub(super) id: ClientId,
    pub(super) name: String,
    pub(super) room: RoomId,
    /// Whether its room was told it arrived (and so will be told it left).
    pub(super) announced: bool,
}

impl Server {
    /// Whether client `id` may moderate `room`: a server operator, an operator of the room by
    /// connection, or identified as an account granted it.
    pub(super) fn is_room_operator(&self, id: ClientId, room: RoomId) -> bool {
        let Some(the_room) = self.rooms.get(room) else { return false };
        let account = self.registry.get(id).and_then(|client| client.account.as_deref());
        self.is_server_operator(id)
            || the_room.is_operator(id)
            || account.is_some_and(|key| self.moderation.operators.is_room(the_room.name().key(), key))
    }

    /// The wall-clock time now, for bans and mutes.
    pub(super) fn wall_now(&self) -> UnixMillis {
        UnixMillis::from_duration(self.clock.at(self.now))
    }

    /// Takes back what moderation kept from an earlier run (see [`Server::restore`]): room
    /// operator grants, the bans and mutes still in force, the message of the day.
    pub(super) fn restore_moderation(
        &mut self,
        operators: Vec<Operator>,
        bans: Vec<Ban>,
        mutes: Vec<Mute>,
        motd: Option<Motd>,
    ) {
        let now = self.wall_now();
        let grants = operators.len();
        for grant in operators {
            self.moderation.operators.grant(grant);
        }
        for ban in bans.into_iter().filter(|ban| ban.expires.is_none_or(|end| end > now)) {
            self.moderation.bans.insert(ban);
        }
        for mute in mutes.into_iter().filter(|mute| mute.expires.is_none_or(|end| end > now)) {
            self.moderation.mutes.insert_account(mute);
        }
        self.moderation.motd = motd;
        if grants > 0 || self.moderation.bans.len() > 0 || self.moderation.motd.is_some() {
            tracing::info!(grants, bans = self.moderation.bans.len(), "moderation restored");
        }
    }

    /// The present client called `typed`, or the error to send.
    pub(super) fn present(&self, typed: &str) -> Result<Target, Bytes> {
        let found = self.registry.holder(&key_of(typed)).and_then(|holder| self.registry.get(holder));
        match found.filter(|client| client.is_present()) {
            Some(client) => Ok(Target {
                id: client.id,
                name: client.nick.as_str().to_owned(),
                room: client.room,
                announced: client.announced,
            }),
            None => Err(wire::error(format_args!("No one here is called {}.", sanitize(typed)))),
        }
    }

    /// The person called `typed` whom operator `id` may act on: someone else, in `id`'s room
    /// (anywhere for a server operator, unless `same_room`), and no server operator unless `id`
    /// is one too. Checks `id` is an operator of its room first, so that a refusal tells a
    /// non-operator nothing about the target.
    pub(super) fn may_act_on(&self, id: ClientId, typed: &str, same_room: bool) -> Result<Target, Bytes> {
        let Some(room) = self.registry.get(id).map(|client| client.room) else {
            return Err(wire::error("You are not here."));
        };
        if !self.is_room_operator(id, room) {
            return Err(wire::not_operator(self.rooms.get(room).map(|r| r.name().as_str())));
        }
        let target = self.present(typed)?;
        if target.id == id {
            return Err(wire::error("You cannot do that to yourself."));
        }
        if target.room != room && (same_room || !self.is_server_operator(id)) {
            let here = self.rooms.get(room).map_or("", |r| r.name().as_str());
            return Err(wire::error(format_args!("{} is not in {here}.", target.name)));
        }
        if self.is_server_operator(target.id) && !self.is_server_operator(id) {
            return Err(wire::error(format_args!("{} is a server operator.", target.name)));
        }
        Ok(target)
    }

    /// Refuses unless `id` is a server operator; its name if it is.
    pub(super) fn server_operator_name(&self, id: ClientId) -> Result<String, Bytes> {
        match self.registry.get(id) {
            Some(client) if self.is_server_operator(id) => Ok(client.nick.as_str().to_owned()),
            _ => Err(wire::not_operator(None)),
        }
    }

    /// `id` just created `room`, or brought it back empty (`revived`: it existed before): it
    /// is its operator (and its account's grant is stored).
    pub(super) fn creator(&mut self, id: ClientId, room: RoomId, revived: bool) {
        let at = self.wall_now();
        let Some(client) = self.registry.get(id) else { return };
        let (name, account) = (client.nick.as_str().to_owned(), client.account.as_deref().map(str::to_owned));
        let Some(the_room) = self.rooms.get_mut(room) else { return };
        the_room.set_operator(id, true);
        let (room_name, key) = (the_room.name().as_str().to_owned(), the_room.name().key().to_owned());
        if let Some(account) = account {
            self.grant(Operator { account, room: Some(key), set_by: name, at });
        }
        self.send(id, if revived { wire::you_revived(&room_name) } else { wire::you_created(&room_name) });
    }

    /// Keeps and stores an account's grant, if it is new.
    fn grant(&mut self, grant: Operator) {
        if self.moderation.operators.grant(grant.clone()) {
            self.persist(Record::Operator(grant));
        }
    }

    /// `/op NAME`: NAME becomes an operator of `id`'s room.
    pub(super) fn op(&mut self, id: ClientId, by: &str, typed: &str) {
        let target = match self.may_act_on(id, typed, true) {
            Ok(target) => target,
            Err(_) if self.act_through_room(id, by, typed, ModerationAction::Op, "", None) => return,
            Err(refusal) => return self.send(id, refusal),
        };
        let at = self.wall_now();
        let account = self.account_of(target.id).map(str::to_owned);
        let Some(room) = self.rooms.get(target.room) else { return };
        let (room_name, key) = (room.name().as_str().to_owned(), room.name().key().to_owned());
        if self.is_room_operator(target.id, target.room) {
            return self.send(
                id,
                wire::error(format_args!("{} is already an operator of {room_name}.", target.name)),
            );
        }
        if self.act_through_room(id, by, typed, ModerationAction::Op, "", None) {
            return;
        }
        if let Some(room) = self.rooms.get_mut(target.room) {
            room.set_operator(target.id, true);
        }
        if let Some(account) = account {
            self.grant(Operator { account, room: Some(key), set_by: by.to_owned(), at });
        }
        tracing::info!(%id, %by, target = %target.name, room = %room_name, "operator granted");
        self.broadcast(Audience::everyone_in(target.room), wire::opped(by, &target.name, &room_name));
    }

    /// `/deop NAME`: NAME is no longer an operator of `id`'s room.
    pub(super) fn deop(&mut self, id: ClientId, by: &str, typed: &str) {
        let target = match self.may_act_on(id, typed, true) {
            Ok(target) => target,
            Err(_) if self.act_through_room(id, by, typed, ModerationAction::Deop, "", None) => return,
            Err(refusal) => return self.send(id, refusal),
        };
        if self.is_server_operator(target.id) {
            let refusal =
                wire::error(format_args!("{} is a server operator (chat serve --op).", target.name));
            return self.send(id, refusal);
        }
        let account = self.account_of(target.id).map(str::to_owned);
        let Some(room) = self.rooms.get(target.room) else { return };
        let (room_name, key) = (room.name().as_str().to_owned(), room.name().key().to_owned());
        let by_account =
            account.as_deref().is_some_and(|account| self.moderation.operators.is_room(&key, account));
        if !(room.is_operator(target.id) || by_account) {
            return self
                .send(id, wire::error(format_args!("{} is not an operator of {room_name}.", target.name)));
        }
        if self.act_through_room(id, by, typed, ModerationAction::Deop, "", None) {
            return;
        }
        let Some(room) = self.rooms.get_mut(target.room) else { return };
        let by_connection = room.set_operator(target.id, false);
        let by_account =
            account.as_deref().is_some_and(|account| self.moderation.operators.revoke(&key, account));
        if by_account && let Some(account) = account {
            self.persist(Record::OperatorRemoved { account, room: Some(key) });
        }
        if !(by_connection || by_account) {
            return self
                .send(id, wire::error(format_args!("{} is not an operator of {room_name}.", target.name)));
        }
        tracing::info!(%id, %by, target = %target.name, room = %room_name, "operator removed");
        self.broadcast(Audience::everyone_in(target.room), wire::deopped(by, &target.name, &room_name));
    }

    /// `/topic lock` or `/topic unlock` in `id`'s room.
    pub(super) fn lock_topic(&mut self, id: ClientId, by: &str, lock: bool) {
        let Some(room) = self.registry.get(id).map(|client| client.room) else { return };
        let Some(the_room) = self.rooms.get(room) else { return };
        let (room_name, key) = (the_room.name().as_str().to_owned(), the_room.name().key().to_owned());
        if !self.is_room_operator(id, room) {
            return self.send(id, wire::not_operator(Some(&room_name)));
        }
        if self.moderation.locked_topics.contains(&key) == lock {
            let state = if lock { "already locked" } else { "not locked" };
            return self.send(id, wire::error(format_args!("The topic of {room_name} is {state}.")));
        }
        if self.share_topic(room, by, TopicChange::Locked(lock)) {
            return;
        }
        if lock {
            self.moderation.locked_topics.insert(key);
        } else {
            self.moderation.locked_topics.remove(&key);
        }
        tracing::info!(%id, %by, room = %room_name, lock, "topic lock");
        self.broadcast(Audience::everyone_in(room), wire::topic_lock(by, &room_name, lock));
    }

    /// Whether `id` may change the topic of its room; if not, it is told why.
    pub(super) fn may_set_topic(&mut self, id: ClientId) -> bool {
        let Some(room) = self.registry.get(id).map(|client| client.room) else { return false };
        let Some(the_room) = self.rooms.get(room) else { return false };
        if !self.moderation.locked_topics.contains(the_room.name().key()) || self.is_room_operator(id, room) {
            return true;
        }
        let refusal = wire::topic_locked(the_room.name().as_str());
        self.send(id, refusal);
        false
    }

    /// Sends `id` the message of the day: if there is one, or always when `asked`.
    pub(super) fn show_motd(&mut self, id: ClientId, asked: bool) {
        let line = match &self.moderation.motd {
            Some(motd) => wire::motd(&motd.text),
            None if asked => wire::no_motd(),
            None => return,
        };
        self.send(id, line);
    }

    /// `/motd TEXT` (`Some`) or `/motd -` (`None`), by a server operator; told to its room.
    pub(super) fn set_motd(&mut self, id: ClientId, text: Option<&str>) {
        let by = match self.server_operator_name(id) {
            Ok(by) => by,
            Err(refusal) => return self.send(id, refusal),
        };
        let Some(room) = self.registry.get(id).map(|client| client.room) else { return };
        let line = match text {
            Some(text) => {
                let text: String = sanitize(text).chars().take(MAX_TOPIC).collect();
                let motd = Motd { text: text.clone(), set_by: by.clone(), at: self.wall_now() };
                self.moderation.motd = Some(motd.clone());
                self.persist(Record::Motd(motd.clone()));
                self.share(ServerChange::Motd(motd));
                wire::motd_set(&by, &text)
            }
            None if self.moderation.motd.is_none() => return self.show_motd(id, true),
            None => {
                self.moderation.motd = None;
                self.persist(Record::MotdCleared);
                self.share(ServerChange::MotdCleared);
                wire::motd_cleared(&by)
            }
        };
        tracing::info!(%id, %by, set = text.is_some(), "message of the day");
        self.tell_room(room, line);
    }

    /// `/whois NAME`: where they are, whether identified, operator, away or muted; their
    /// address to a server operator only.
    pub(super) fn whois(&mut self, id: ClientId, typed: &str) {
        if self.present(typed).is_err() && self.whois_elsewhere(id, typed) {
            return;
        }
        self.whois_here(id, typed);
    }

    /// `/whois NAME` of someone on this node (or no one).
    pub(super) fn whois_here(&mut self, id: ClientId, typed: &str) {
        let target = match self.present(typed) {
            Ok(target) => target,
            Err(error) => return self.send(id, error),
        };
        let now = self.wall_now();
        let Some(client) = self.registry.get(target.id) else { return };
        let Some(room) = self.rooms.get(target.room) else { return };
        let mut facts = vec![match &client.account {
            Some(account) => format!("identified as {account}"),
            None => "a guest".to_owned(),
        }];
        if self.is_server_operator(target.id) {
            facts.push("server operator".to_owned());
        } else if self.is_room_operator(target.id, target.room) {
            facts.push(format!("operator of {}", room.name()));
        }
        if let Some(message) = client.away.message() {
            facts.push(format!("away: {message}"));
        }
        if let Some(until) = self.muted_until(target.id, now) {
            facts.push(match until {
                Some(end) => format!("muted until {}", wire::when(end)),
                None => "muted".to_owned(),
            });
        }
        if self.is_server_operator(id) {
            facts.push(format!("from {}", client.peer.ip().to_canonical()));
        }
        let line = wire::whois(&target.name, room.name().as_str(), &facts);
        self.send(id, line);
    }

    /// After `/who` of `room`: the addresses of the names shown, to a server operator only.
    pub(super) fn show_addresses(&mut self, id: ClientId, room: RoomId) {
        if !self.is_server_operator(id) {
            return;
        }
        let Some(room) = self.rooms.get(room) else { return };
        let entries: Vec<String> = room
            .roster()
            .entries()
            .take(wire::NAMES_SHOWN)
            .filter_map(|(name, holder)| {
                self.registry.get(holder).map(|client| format!("{name} {}", client.peer.ip().to_canonical()))
            })
            .collect();
        let line = wire::addresses(room.roster().len(), entries.iter().map(String::as_str));
        self.send(id, line);
    }
}
