//! What each command does. The plumbing (queues, limits, timers) is in `delivery.rs`; who is
//! told of arrivals and departures in `arrivals.rs`.

use bytes::{BufMut, BytesMut};

use super::Server;
use super::delivery::Audience;
use crate::protocol::nick::{Nick, key_of};
use crate::protocol::wire::{self, Reason};
use crate::protocol::{Command, CommandError, RoomName, sanitize};
use crate::rooms::{Found, MAX_TOPIC, ROOMS_LISTED};
use crate::social::{IgnoreRefused, MAX_AWAY, MAX_IGNORED};
use crate::{BusPayload, ClientId};

/// Longest `/quit` reason kept, in characters.
const MAX_QUIT_REASON: usize = 200;

impl Server {
    pub(super) fn command(&mut self, id: ClientId, command: Result<Command<'_>, CommandError>) {
        let command = match command {
            Ok(command) => command,
            Err(error) => return self.send(id, wire::error(sanitize(&error.to_string()))),
        };
        let Some(client) = self.registry.get(id) else { return };
        let (name, room) = (client.nick.as_str().to_owned(), client.room);
        let speaks = matches!(
            command,
            Command::Say(_)
                | Command::Me(_)
                | Command::Msg { .. }
                | Command::Topic(Some(_))
                | Command::ClearTopic
        );
        if speaks && !self.may_speak(id) {
            return;
        }
        match command {
            Command::Say(text) => self.say(id, &name, &sanitize(text), false),
            Command::Me(text) => self.say(id, &name, &sanitize(text), true),
            Command::Nick(new) => self.rename(id, new),
            Command::Msg { to, text } => self.private(id, &name, to, &sanitize(text)),
            Command::Who => self.who(id, None),
            Command::WhoIn(room) => self.who(id, Some(room)),
            Command::Join(room) => self.join(id, room),
            Command::Part => {
                let lobby = self.rooms.lobby();
                self.go_to(id, lobby);
            }
            Command::List => self.list(id),
            Command::Topic(None) => self.show_topic(id, room, true),
            Command::Topic(Some(topic)) => self.set_topic(id, &name, Some(topic)),
            Command::ClearTopic => self.set_topic(id, &name, None),
            Command::History(count) => {
                let count = count.unwrap_or(usize::MAX);
                self.replay(id, room, count, true);
            }
            Command::Away(message) => self.away(id, message),
            Command::Ignore(None) => self.list_ignored(id),
            Command::Ignore(Some(target)) => self.ignore(id, target),
            Command::Unignore(target) => self.unignore(id, target),
            Command::Quit(reason) => {
                let reason = reason.map(|r| sanitize(r).chars().take(MAX_QUIT_REASON).collect());
                self.depart(id, Reason::Quit(reason));
                self.close_when_flushed(id);
            }
            Command::Help => self.send(id, wire::help()),
            // Accounts (`accounts.rs`).
            Command::Register(password) => self.register(id, password),
            Command::Identify { name, password } => self.identify(id, name, password),
            Command::ChangePassword { old, new } => self.change_password(id, old, new),
            Command::Unregister(password) => self.unregister(id, password),
            Command::Op(target) => self.op(id, &name, target),
            Command::Deop(target) => self.deop(id, &name, target),
            Command::Kick { name: target, reason } => self.kick(id, &name, target, reason),
            Command::Ban { target, duration, reason } => self.ban(id, target, duration, reason),
            Command::Unban(target) => self.unban(id, target),
            Command::Banned => self.list_bans(id),
            Command::Mute { name: target, duration } => self.mute(id, target, duration),
            Command::Unmute(target) => self.unmute(id, target),
            Command::Motd(None) => self.show_motd(id, true),
            Command::Motd(Some(text)) => self.set_motd(id, Some(text)),
            Command::ClearMotd => self.set_motd(id, None),
            Command::LockTopic(lock) => self.lock_topic(id, &name, lock),
            Command::Whois(target) => self.whois(id, target),
        }
    }

    /// A line `id`, called `name`, says to its room (`/me` when `action`): numbered,
    /// remembered, and sent to the others (but those who ignore `id`). The others hear of
    /// `id`'s arrival first. With a bus, it goes to the room's stream, and all that happens
    /// when it comes back.
    fn say(&mut self, id: ClientId, name: &str, text: &str, action: bool) {
        self.announce(id);
        let Some(client) = self.registry.get(id) else { return };
        let room = client.room;
        if self.is_clustered() {
            let Some(key) = self.rooms.get(room).map(|r| r.name().key().to_owned()) else { return };
            let (from, text) = (name.to_owned(), text.to_owned());
            let payload =
                if action { BusPayload::Action { from, text } } else { BusPayload::Line { from, text } };
            return self.publish(&key, payload);
        }
        let frame = if action { wire::action(name, text) } else { wire::message(name, text) };
        let at = self.clock.at(self.now);
        if let Some(said_in) = self.rooms.get_mut(room) {
            let seq = said_in.record(id, at, frame.clone());
            tracing::trace!(%id, room = %said_in.name(), seq, "said");
            if self.config.persist {
                let name = said_in.name().clone();
                self.persist_line(&name, seq, at, frame.clone());
            }
        }
        self.say_to_room(room, id, frame);
    }

    fn rename(&mut self, id: ClientId, requested: &str) {
        let nick = match Nick::parse(requested, self.config.max_nick) {
            Ok(nick) => nick,
            Err(error) => return self.send(id, wire::error(sanitize(&error.to_string()))),
        };
        if let Some(holder) = self.registry.holder(nick.key()).filter(|&h| h != id) {
            let taken = self.registry.get(holder).map_or("", |c| c.nick.as_str()).to_owned();
            let similar =
                if taken == nick.as_str() { String::new() } else { format!(" (too close to {taken})") };
            return self
                .send(id, wire::error(format_args!("The name {nick} is taken{similar}; pick another.")));
        }
        if let Some(refusal) = self.reserved(id, nick.key()) {
            return self.send(id, refusal);
        }
        if self.registry.get(id).is_some_and(|c| c.nick.as_str() == nick.as_str()) {
            // Its own name, whose lease it lost: asked for again.
            if self.reclaim_name(id, true) {
                return;
            }
            return self.send(id, wire::error(format_args!("You are already called {nick}.")));
        }
        if self.lease_first(id, &nick) {
            return;
        }
        self.set_name(id, nick);
    }

    /// Gives client `id` the name `nick` (free, not reserved for someone else, and leased with
    /// a bus) and tells it and its room.
    pub(super) fn set_name(&mut self, id: ClientId, nick: Nick) {
        let Some(old) = self.registry.rename(id, nick.clone()) else { return };
        tracing::info!(%id, from = %old, to = %nick, "renamed");
        let Some(client) = self.registry.get(id) else { return };
        let (room, announced) = (client.room, client.announced);
        let mut key = String::new();
        if let Some(room) = self.rooms.get_mut(room) {
            room.rename(id, old.as_str(), nick.as_str());
            key = room.name().key().to_owned();
        }
        self.send(id, wire::you_renamed(nick.as_str()));
        if self.is_clustered() {
            self.bus_renamed(id, &old, &nick);
            if announced {
                if let Some(cluster) = self.cluster.as_mut() {
                    cluster.former_names.insert(old.key().to_owned(), id);
                }
                let (old, new) = (old.as_str().to_owned(), nick.as_str().to_owned());
                self.publish(&key, BusPayload::Renamed { old, new });
            }
            return;
        }
        if announced {
            self.broadcast(Audience::others_in(room, id), wire::renamed(old.as_str(), nick.as_str()));
        }
    }

    /// `/msg`: to anyone, in any room. One who ignores the sender does not get it (the sender
    /// is not told); one who is away still gets it, and the sender is told they are away.
    fn private(&mut self, id: ClientId, from: &str, to: &str, text: &str) {
        let Some(target) = self.registry.holder(&key_of(to)).and_then(|target| self.registry.get(target))
        else {
            // With a bus, the node holding the name is asked for.
            if self.private_elsewhere(id, from, to, text) {
                return;
            }
            return self.send(id, wire::no_such_user(to));
        };
        let target = target.id;
        self.private_here(id, from, target, text);
    }

    /// A private message from `id` (called `from`) to `target`, a client of this node: not
    /// delivered if `target` ignores `id`; the sender is told if `target` is away.
    pub(super) fn private_here(&mut self, id: ClientId, from: &str, target: ClientId, text: &str) {
        let Some(client) = self.registry.get(target) else { return };
        let to = client.nick.as_str().to_owned();
        let (ignored, away) = (client.ignores.hides(id), client.away.message().map(str::to_owned));
        if !ignored {
            self.send(target, wire::private_in(from, text));
        }
        self.send(id, wire::private_out(&to, text));
        if let Some(message) = away {
            self.send(id, wire::is_away(&to, &message));
        }
    }

    /// `/who` (the client's room) or `/who #ROOM`: the count and the first few names in
    /// alphabetical order, the away marked, read from the room's sorted roster.
    fn who(&mut self, id: ClientId, typed: Option<&str>) {
        let Some(client) = self.registry.get(id) else { return };
        let room_id = match typed {
            None => client.room,
            Some(typed) => match RoomName::parse(typed) {
                Ok(name) => match self.rooms.find(&name) {
                    Some(room) => room,
                    // Other nodes may have it: this one cannot tell.
                    None if self.is_clustered() => return self.send(id, wire::not_read_here(name.as_str())),
                    None => {
                        return self.send(id, wire::error(format_args!("There is no room called {name}.")));
                    }
                },
                Err(error) => return self.send(id, wire::error(sanitize(&error.to_string()))),
            },
        };
        let Some(room) = self.rooms.get(room_id) else { return };
        if room.is_empty() && self.is_clustered() && room_id != self.rooms.lobby() {
            return self.send(id, wire::not_read_here(room.name().as_str()));
        }
        let names: Vec<String> = if room.remote.len() > 0 {
            self.names_everywhere(room)
        } else {
            room.roster()
                .entries()
                .take(wire::NAMES_SHOWN)
                .map(|(name, holder)| match self.registry.get(holder) {
                    Some(client) if client.away.message().is_some() => wire::marked_away(name),
                    _ => name.to_owned(),
                })
                .collect()
        };
        let names = names.iter().map(String::as_str);
        let count = room.roster().len() + room.remote.len();
        let line = if room_id == client.room {
            wire::who(count, names)
        } else {
            wire::who_in(room.name().as_str(), count, names)
        };
        self.send(id, line);
        self.show_addresses(id, room_id);
    }

    /// `/join #ROOM`: moves there, creating the room if it is new.
    fn join(&mut self, id: ClientId, typed: &str) {
        let name = match RoomName::parse(typed) {
            Ok(name) => name,
            Err(error) => return self.send(id, wire::error(sanitize(&error.to_string()))),
        };
        let (room, found) = self.rooms.find_or_create(name);
        if found != Found::Live {
            tracing::info!(%id, room = %self.rooms.get(room).map_or("", |r| r.name().as_str()), ?found, "room opened");
        }
        self.go_to(id, room);
        // In a cluster the room may already exist on other nodes, and room operators are not
        // shared between nodes: nobody is its creator there.
        if found != Found::Live && !self.is_clustered() {
            self.creator(id, room, found == Found::Revived);
        }
    }

    /// Moves `id` to `room`, unless it is there already.
    fn go_to(&mut self, id: ClientId, room: crate::rooms::RoomId) {
        let Some(client) = self.registry.get(id) else { return };
        if client.room == room {
            let name = self.rooms.get(room).map_or("", |r| r.name().as_str());
            return self.send(id, wire::error(format_args!("You are already in {name}.")));
        }
        self.move_to(id, room);
    }

    /// `/list`: the biggest rooms with their head counts and topics, in one frame.
    fn list(&mut self, id: ClientId) {
        // With a bus, every node's rooms are asked for first.
        if self.list_everywhere(id) {
            return;
        }
        let listed = self.rooms.biggest();
        let mut frame = BytesMut::new();
        frame.put_slice(&wire::rooms_header(self.rooms.len()));
        for room in listed.iter().take(ROOMS_LISTED) {
            frame.put_slice(&wire::room_entry(room.name().as_str(), room.head_count(), room.topic()));
        }
        self.send(id, frame.freeze());
    }

    /// `/topic TEXT` (`Some`) or `/topic -` (`None`) in the client's room; everyone there is
    /// told, the client too.
    fn set_topic(&mut self, id: ClientId, name: &str, topic: Option<&str>) {
        if !self.may_set_topic(id) {
            return;
        }
        let Some(client) = self.registry.get(id) else { return };
        let room_id = client.room;
        let Some(room) = self.rooms.get_mut(room_id) else { return };
        let topic: Option<String> = topic.map(|t| sanitize(t).chars().take(MAX_TOPIC).collect());
        if topic.is_none() && room.topic().is_none() {
            let line = wire::no_topic(room.name().as_str());
            return self.send(id, line);
        }
        let change = match &topic {
            Some(text) => crate::TopicChange::Set(text.clone()),
            None => crate::TopicChange::Cleared,
        };
        if self.share_topic(room_id, name, change) {
            return;
        }
        let Some(room) = self.rooms.get_mut(room_id) else { return };
        room.set_topic(topic.as_deref());
        let line = match &topic {
            Some(topic) => wire::topic_set(name, room.name().as_str(), topic),
            None => wire::topic_cleared(name, room.name().as_str()),
        };
        tracing::info!(%id, room = %room.name(), "topic changed");
        let (room_name, kept) = (room.name().clone(), room.topic().map(str::to_owned));
        self.persist_topic(&room_name, kept.as_deref(), name);
        self.broadcast(Audience::everyone_in(room_id), line);
    }

    /// `/away MESSAGE` marks away; `/away` alone, back.
    fn away(&mut self, id: ClientId, message: Option<&str>) {
        let Some(client) = self.registry.get_mut(id) else { return };
        let message: Option<String> = message.map(|m| sanitize(m).chars().take(MAX_AWAY).collect());
        client.away.set(message.as_deref());
        let line = match &message {
            Some(message) => wire::you_away(message),
            None => wire::you_back(),
        };
        self.send(id, line);
    }

    /// The present client called `typed`, or the error to send.
    fn holder_of(&self, id: ClientId, typed: &str) -> Result<(ClientId, String), bytes::Bytes> {
        let holder = self.registry.holder(&key_of(typed)).and_then(|holder| self.registry.get(holder));
        match holder {
            Some(client) if client.id == id => Err(wire::error("You cannot ignore yourself.")),
            Some(client) => Ok((client.id, client.nick.as_str().to_owned())),
            None => Err(wire::error(format_args!("No one here is called {}.", sanitize(typed)))),
        }
    }

    fn ignore(&mut self, id: ClientId, typed: &str) {
        // Whom it ignores decides which logged lines it is owed: settle those first.
        self.unpark(id, super::delivery::Owed::All);
        let (target, name) = match self.holder_of(id, typed) {
            Ok(found) => found,
            Err(error) => return self.send(id, error),
        };
        let Some(client) = self.registry.get_mut(id) else { return };
        let line = match client.ignores.add(target) {
            Ok(()) => wire::ignoring(&name),
            Err(IgnoreRefused::Already) => wire::error(format_args!("You already ignore {name}.")),
            Err(IgnoreRefused::Full) => {
                wire::error(format_args!("You can ignore at most {MAX_IGNORED} people."))
            }
        };
        self.send(id, line);
    }

    fn unignore(&mut self, id: ClientId, typed: &str) {
        // Whom it ignores decides which logged lines it is owed: settle those first.
        self.unpark(id, super::delivery::Owed::All);
        let (target, name) = match self.holder_of(id, typed) {
            Ok(found) => found,
            Err(error) => return self.send(id, error),
        };
        let Some(client) = self.registry.get_mut(id) else { return };
        let line = if client.ignores.remove(target) {
            wire::unignored(&name)
        } else {
            wire::error(format_args!("You are not ignoring {name}."))
        };
        self.send(id, line);
    }

    /// `/ignore` alone: whom the client ignores (those who left are forgotten first).
    fn list_ignored(&mut self, id: ClientId) {
        // Whom it ignores decides which logged lines it is owed: settle those first.
        self.unpark(id, super::delivery::Owed::All);
        let Some(client) = self.registry.get(id) else { return };
        let mut ignores = client.ignores.clone();
        ignores.prune(|ignored| self.registry.get(ignored).is_some_and(|c| c.is_present()));
        let names: Vec<String> = ignores
            .iter()
            .filter_map(|ignored| self.registry.get(ignored))
            .map(|c| c.nick.as_str().to_owned())
            .collect();
        let line = wire::ignore_list(names.len(), names.iter().map(String::as_str));
        if let Some(client) = self.registry.get_mut(id) {
            client.ignores = ignores;
        }
        self.send(id, line);
    }
}
