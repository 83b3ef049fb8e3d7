//! Names across nodes, for new connections: with a bus, a new connection's guest name is
//! leased like any other, and the connection is welcomed only once the lease is granted (a
//! refused name: the next guest name is asked for). Past a deadline on the core's clock, or
//! with the bus down, it is welcomed without the lease and told so plainly; an answer that
//! comes later still counts.

use super::Server;
use crate::cluster::{Answered, Held};
use crate::protocol::wire;
use crate::protocol::{Line, Nick};
use crate::rooms::RoomId;
use crate::{BusCommand, ClientId};

impl Server {
    /// With a bus, `id` (just connected) is welcomed only once its guest name's lease is
    /// granted (at once, told plainly, if the bus is down): returns false without a bus, and
    /// the caller welcomes it.
    pub(super) fn hold_greeting(&mut self, id: ClientId) -> bool {
        let Some(key) = self.registry.get(id).map(|client| client.nick.key().to_owned()) else {
            return false;
        };
        let now = self.now;
        let Some(cluster) = self.cluster.as_mut() else { return false };
        if self.shutting_down {
            return false;
        }
        if cluster.down {
            // Nothing can be asked now: welcomed plainly without the lease.
            self.greet(id);
            let line = self.registry.get(id).map(|client| wire::name_unconfirmed(client.nick.as_str()));
            if let Some(line) = line {
                self.send(id, line);
            }
            return true;
        }
        let deadline = now + cluster.greeting_wait();
        cluster.greetings.wait(id, &key, deadline);
        // Out of every room until the welcome: nothing said reaches it before.
        if let Some(client) = self.registry.get_mut(id) {
            client.room = RoomId::NOWHERE;
        }
        self.ask(crate::Request::Bus(BusCommand::Acquire { name: key }));
        true
    }

    /// Keeps a line `id` sent before its welcome, or while the bus has not answered about the
    /// name it asked for (or lines held before it still wait); hands it back otherwise.
    pub(super) fn hold_line(&mut self, id: ClientId, line: Line) -> Option<Line> {
        let Some(cluster) = self.cluster.as_mut() else { return Some(line) };
        let line = cluster.greetings.hold(id, line)?;
        let waits = self.waits_for_lease(id);
        let cluster = self.cluster.as_mut()?;
        if waits || cluster.waiting.has(id) {
            cluster.waiting.hold(id, line);
            return None;
        }
        Some(line)
    }

    /// Hears the lines held for clients the bus has now answered about, in order; once one of
    /// them makes its client wait again, the rest are held again behind it (by `line` itself).
    pub(super) fn hear_waiting_lines(&mut self) {
        let Some(cluster) = self.cluster.as_ref() else { return };
        for id in cluster.waiting.clients() {
            if self.waits_for_lease(id) {
                continue;
            }
            let Some(cluster) = self.cluster.as_mut() else { return };
            let Held { lines, dropped } = cluster.waiting.take(id);
            if dropped > 0 {
                self.send(id, wire::waiting_lines_dropped(dropped));
            }
            for line in lines {
                if !self.registry.get(id).is_some_and(|c| c.is_active()) {
                    break;
                }
                self.line(id, line);
            }
        }
    }

    /// The answer to a lease asked for a new connection's name (`holder`: the node holding
    /// it, if refused): returns false if no greeting asked for `key`.
    pub(super) fn greeting_answer(&mut self, key: &str, holder: Option<&str>) -> bool {
        let Some(cluster) = self.cluster.as_mut() else { return false };
        let Some(answered) = cluster.greetings.answered(key) else { return false };
        let (Answered::Waiting(id) | Answered::Late(id) | Answered::Again(id, _)) = answered;
        let still_called = self.registry.get(id).is_some_and(|c| c.is_present() && c.nick.key() == key);
        match (answered, holder) {
            (_, None) if still_called => {
                if let Some(cluster) = self.cluster.as_mut() {
                    cluster.leases.hold(key, id);
                }
                match answered {
                    Answered::Waiting(_) => self.welcome(id, false),
                    Answered::Again(_, true) => {
                        self.send(id, wire::name_reserved_again(self.name_of(id).unwrap_or_default()))
                    }
                    Answered::Late(_) | Answered::Again(_, false) => {}
                }
            }
            (_, None) => self.ask(crate::Request::Bus(BusCommand::Release { name: key.to_owned() })),
            (Answered::Waiting(_), Some(_)) if still_called => self.next_guest(id),
            (Answered::Late(_), Some(_)) if still_called => {
                let line =
                    self.registry.get(id).map(|client| wire::name_in_use_elsewhere(client.nick.as_str()));
                if let Some(line) = line {
                    self.send(id, line);
                }
            }
            (Answered::Again(..), Some(holder)) if still_called => {
                tracing::warn!(%key, %holder, "a name whose lease was lost is held on another node now");
                self.send(id, wire::name_taken_meanwhile(self.name_of(id).unwrap_or_default()));
            }
            (_, Some(_)) => {}
        }
        true
    }

    /// The lease on `key` was lost (Redis lost it, or the link was down longer than its time
    /// to live): it is asked for again at once for its holder, who is told only if another
    /// node took it meanwhile.
    pub(super) fn lease_lost(&mut self, key: &str) {
        let Some(id) = self.cluster.as_mut().and_then(|cluster| cluster.leases.lost(key)) else { return };
        tracing::warn!(%key, %id, "a name lease was lost: asked for again");
        if self.registry.get(id).is_some_and(|c| c.is_present() && c.nick.key() == key) {
            self.reclaim_name(id, false);
        }
    }

    /// With a bus, `id` asks again for the lease on the name it is called by, if it does not
    /// hold it (`told`: the grant is said): returns false if there is nothing to ask.
    pub(super) fn reclaim_name(&mut self, id: ClientId, told: bool) -> bool {
        let Some(key) = self.registry.get(id).map(|client| client.nick.key().to_owned()) else {
            return false;
        };
        let Some(cluster) = self.cluster.as_mut() else { return false };
        if cluster.leases.holds(&key, id) || cluster.greetings.is_waiting(id) {
            return false;
        }
        if cluster.greetings.reclaim(id, &key, told) {
            self.ask(crate::Request::Bus(BusCommand::Acquire { name: key }));
        }
        true
    }

    /// `id`'s guest name is held on another node: it asks for the next one.
    fn next_guest(&mut self, id: ClientId) {
        let active = self.registry.active();
        let mut guests = std::mem::take(&mut self.guests);
        let nick: Nick = guests.next(active, |key| self.name_taken(key));
        self.guests = guests;
        let key = nick.key().to_owned();
        if self.registry.rename(id, nick).is_none() {
            return;
        }
        if let Some(cluster) = self.cluster.as_mut() {
            cluster.greetings.ask_again(id, &key);
        }
        self.ask(crate::Request::Bus(BusCommand::Acquire { name: key }));
    }

    /// Welcomes `id` (waiting for its name's lease): `unconfirmed` when it goes without it.
    fn welcome(&mut self, id: ClientId, unconfirmed: bool) {
        let Some(cluster) = self.cluster.as_mut() else { return };
        let Held { lines, dropped } = cluster.greetings.done(id, unconfirmed);
        if !self.registry.get(id).is_some_and(|c| c.is_active()) {
            return;
        }
        self.greet(id);
        if unconfirmed && let Some(client) = self.registry.get(id) {
            let line = wire::name_unconfirmed(client.nick.as_str());
            self.send(id, line);
        }
        if dropped > 0 {
            self.send(id, wire::held_lines_dropped(dropped));
        }
        for line in lines {
            if !self.registry.get(id).is_some_and(|c| c.is_active()) {
                break;
            }
            self.line(id, line);
        }
    }

    /// Welcomes, without their lease, those waiting past their deadline (every one of them
    /// when `all`: the bus went down).
    pub(super) fn expire_greetings(&mut self, all: bool) {
        loop {
            let Some(cluster) = self.cluster.as_ref() else { return };
            let next = if all { cluster.greetings.any_waiting() } else { cluster.greetings.due(self.now) };
            let Some(id) = next else { return };
            tracing::info!(%id, "welcomed without its name's lease: the bus did not answer in time");
            self.welcome(id, true);
        }
    }

    /// `id` is now called `new` instead of `old`: the user sets follow, and the lease on `old`
    /// is let go unless `new` is the same name (another case of it).
    pub(super) fn bus_renamed(&mut self, id: ClientId, old: &Nick, new: &Nick) {
        if old.key() != new.key() {
            self.bus_offline(id, old);
        } else {
            let user = old.as_str().to_owned();
            self.ask(crate::Request::Bus(BusCommand::Offline { user }));
        }
        self.bus_online(new.as_str());
    }

    /// `id` left: every lease it still held is released (one granted for a name it was about
    /// to take too).
    pub(super) fn release_leases_of(&mut self, id: ClientId) {
        let Some(cluster) = self.cluster.as_mut() else { return };
        cluster.waiting.forget(id);
        let _ = cluster.accounts.named(id);
        cluster.former_names.retain(|_, holder| *holder != id);
        for name in cluster.leases.let_go_all(id) {
            self.ask(crate::Request::Bus(BusCommand::Release { name }));
        }
    }

    /// `id` left: whatever its greeting waited for is forgotten.
    pub(super) fn forget_greeting(&mut self, id: ClientId) {
        if let Some(cluster) = self.cluster.as_mut() {
            let _ = cluster.greetings.done(id, false);
            cluster.greetings.forget(id);
        }
    }

    /// Whether `id` waits for its welcome.
    pub(super) fn greeting_pending(&self, id: ClientId) -> bool {
        self.cluster.as_ref().is_some_and(|cluster| cluster.greetings.is_waiting(id))
    }
}
