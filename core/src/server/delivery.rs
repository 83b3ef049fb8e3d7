//! The plumbing of queues and timers: sending to one client or to a room, what the runtime
//! reports flushed or blocked, slow clients, the memory budget, closing and lingering.

use std::cmp::Reverse;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::Server;
use crate::kit::Outbox;
use crate::protocol::wire::Reason;
use crate::registry::{Client, Phase};
use crate::rooms::{Parked, RoomId};
use crate::{ClientId, Config, Output};

/// How much of what its room's log owes a parked client to hand out (see
/// [`Server::unpark`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Owed {
    /// Everything: it leaves the room, or changes whom it ignores.
    All,
    /// Up to the parking window: its socket took bytes again.
    Window,
    /// Nothing: it is being disconnected.
    Drop,
}

/// Who a line to a room is for.
#[derive(Clone, Copy, Debug)]
pub(super) struct Audience {
    /// The room.
    pub(super) room: RoomId,
    /// Left out (the sender of a line, who is not sent their own).
    pub(super) except: Option<ClientId>,
    /// The line was said by this client: members who ignore it do not get it.
    pub(super) said_by: Option<ClientId>,
}

impl Audience {
    /// A notice to everyone in `room`.
    pub(super) fn everyone_in(room: RoomId) -> Self {
        Self { room, except: None, said_by: None }
    }

    /// A notice to everyone in `room` but `id`.
    pub(super) fn others_in(room: RoomId, id: ClientId) -> Self {
        Self { room, except: Some(id), said_by: None }
    }

    /// A line `id` said, to the others in `room` who do not ignore it.
    pub(super) fn said_in(room: RoomId, id: ClientId) -> Self {
        Self { room, except: Some(id), said_by: Some(id) }
    }
}

impl Server {
    /// Queues `frame` for every active member of a room, as `to` says; members whose socket is
    /// full (parked) are skipped, and the frame is logged once for all of them instead (see
    /// `rooms/log.rs`).
    ///
    /// A room holding a good part of the server is walked through the registry's dense array
    /// (one pass, no look-up per member); a small room through its member list.
    pub(super) fn broadcast(&mut self, to: Audience, frame: Bytes) {
        // What was said before goes first (this may be it: then there is none held now).
        self.send_held_lines();
        let limits = Limits::of(&self.config);
        let (queued_before, frame_len) = (self.outputs.len(), frame.len() as u64);
        let Some(room) = self.rooms.get_mut(to.room) else { return };
        let logged = room.log.is_watched();
        if logged {
            self.memory += room.log.append(frame.clone(), to.except, to.said_by);
        }
        let mut parking = std::mem::take(&mut self.parking);
        let mut fan = Fan {
            frame,
            limits,
            now: self.now,
            outputs: &mut self.outputs,
            too_slow: &mut self.too_slow,
            parking: &mut parking,
        };
        let added = if room.len() * 4 >= self.registry.clients().len() {
            let mut added = 0;
            for client in self.registry.clients_mut() {
                if client.room == to.room {
                    added += fan.offer(client, to);
                }
            }
            added
        } else {
            let mut added = 0;
            for &id in room.members() {
                if let Some(client) = self.registry.get_mut(id) {
                    added += fan.offer(client, to);
                }
            }
            added
        };
        self.memory += added;
        self.stats.count_deliveries((self.outputs.len() - queued_before) as u64, frame_len);
        for id in parking.drain(..) {
            self.park(id);
        }
        self.parking = parking;
        if logged {
            self.check_parked(to.room, to.except);
        }
    }

    /// Drops the parked members of `room` that are owed more than the hard limit and have been
    /// stuck for the grace period, oldest mark (owed the most) first; but not `sender`, whose
    /// own line this was (it is not owed it, and the rest of its input is still to be read).
    fn check_parked(&mut self, room: RoomId, sender: Option<ClientId>) {
        let limits = Limits::of(&self.config);
        loop {
            let Some(log) = self.rooms.get(room).map(|room| &room.log) else { return };
            let oldest = log.parked().find(|&id| Some(id) != sender);
            let Some(client) = oldest.and_then(|id| self.registry.get(id)) else { return };
            let Some(parked) = &client.parked else { return };
            if !limits.over(client, log.owed(&parked.mark), self.now) {
                return;
            }
            let id = client.id;
            self.lag(id);
        }
    }

    /// What the room's log owes `client`, if it is parked.
    fn owed(&self, client: &Client) -> usize {
        let Some(parked) = &client.parked else { return 0 };
        self.rooms.get(client.room).map_or(0, |room| room.log.owed(&parked.mark))
    }

    /// Marks a client too slow: it gets nothing more, is let go of in its room's log, and is
    /// disconnected once the current input is done.
    fn lag(&mut self, id: ClientId) {
        self.unpark(id, Owed::Drop);
        if let Some(client) = self.registry.get_mut(id).filter(|c| c.is_active()) {
            client.phase = Phase::Lagging;
            self.too_slow.push(id);
        }
    }

    /// Hands a parked client what its room's log owes it, in order: the log's entries meant
    /// for it, with what was sent to it alone in between. `Owed::Window` hands out only up
    /// to the parking window (it stays parked, further on, if more is owed); `Owed::Drop`
    /// hands out nothing (it is being disconnected). Either way the log lets go of what no
    /// one is owed any more.
    pub(super) fn unpark(&mut self, id: ClientId, how: Owed) {
        self.send_held_lines();
        let window = Limits::of(&self.config).window;
        let Some(client) = self.registry.get_mut(id) else { return };
        let Some(parked) = client.parked.take() else { return };
        let Some(room) = self.rooms.get_mut(client.room) else { return };
        if how == Owed::Drop {
            self.memory -= parked.held_cost + room.log.unpark(id, &parked.mark);
            return;
        }
        let mut held = parked.held.into_iter().peekable();
        let mut queue = |client: &mut Client, frame: Bytes| {
            client.queued += frame.len();
            client.frames += 1;
            self.stats.count_deliveries(1, frame.len() as u64);
            self.outputs.push_back(Output::Transmit { to: client.id, frame });
        };
        let mut stop = None;
        for (seq, entry) in room.log.since(parked.mark.seq) {
            if how == Owed::Window && client.cost() > window {
                stop = Some(seq);
                break;
            }
            while let Some((_, frame)) = held.next_if(|&(before, _)| before <= seq) {
                queue(client, frame);
            }
            let hidden = entry.said_by.is_some_and(|from| client.ignores.hides(from));
            if entry.except != Some(client.id) && !hidden {
                self.memory += entry.frame.len() + Outbox::FRAME_OVERHEAD;
                queue(client, entry.frame.clone());
            }
        }
        match stop {
            Some(seq) => {
                let (mark, freed) = room.log.advance(id, &parked.mark, seq);
                self.memory -= freed;
                let mut rest = Parked::new(mark);
                // What was sent to it alone stays held (its cost was counted all along).
                held.for_each(|(before, frame)| {
                    rest.hold(before, frame);
                });
                client.parked = Some(Box::new(rest));
            }
            None => {
                held.for_each(|(_, frame)| queue(client, frame));
                self.memory -= room.log.unpark(id, &parked.mark);
            }
        }
    }

    /// Parks a client whose socket is full, or who has more than the parking window handed
    /// out and not yet written (it must be active, so in a room): broadcasts skip it from now
    /// on, and its room's log keeps what it is owed until the runtime reports it wrote some.
    fn park(&mut self, id: ClientId) {
        let Some(client) = self.registry.get_mut(id).filter(|c| c.is_active() && c.parked.is_none()) else {
            return;
        };
        if let Some(room) = self.rooms.get_mut(client.room) {
            client.parked = Some(Box::new(Parked::new(room.log.park(id))));
        }
    }

    /// Queues `frame` for one client, unless its socket is stuck and that would put it over
    /// the limits. A parked client holds it until it is handed what its room's log owes it.
    pub(super) fn send(&mut self, id: ClientId, frame: Bytes) {
        self.send_held_lines();
        let limits = Limits::of(&self.config);
        let now = self.now;
        let Some(client) = self.registry.get(id).filter(|c| !c.lost) else { return };
        let owed = self.owed(client) + frame.len() + Outbox::FRAME_OVERHEAD;
        if limits.over(client, owed, now) {
            self.lag(id);
            return;
        }
        let Some(client) = self.registry.get_mut(id) else { return };
        if let Some(parked) = client.parked.as_mut() {
            let before = self.rooms.get(client.room).map_or(0, |room| room.log.end());
            self.memory += parked.hold(before, frame);
            return;
        }
        client.queued += frame.len();
        client.frames += 1;
        self.memory += frame.len() + Outbox::FRAME_OVERHEAD;
        self.stats.count_deliveries(1, frame.len() as u64);
        self.outputs.push_back(Output::Transmit { to: id, frame });
    }

    pub(super) fn flushed(&mut self, id: ClientId, bytes: usize, frames: usize) {
        let Some(client) = self.registry.get_mut(id) else {
            return;
        };
        let before = client.cost();
        client.queued = client.queued.saturating_sub(bytes);
        client.frames = if client.queued == 0 { 0 } else { client.frames.saturating_sub(frames) };
        if bytes > 0 {
            client.blocked_since = None;
        }
        self.memory -= before - client.cost();
        if bytes > 0 {
            // Its socket takes bytes again: it is handed (some of) what it is owed.
            self.unpark(id, Owed::Window);
        }
        if self.registry.get(id).is_some_and(|c| !c.is_active() && c.queued == 0) {
            self.close(id);
        }
    }

    /// The client's socket is full: note since when, park it (broadcasts skip it until its
    /// socket takes bytes again), and check it against the limits once it has been blocked
    /// for the grace period.
    pub(super) fn blocked(&mut self, id: ClientId) {
        let Some(client) = self.registry.get_mut(id).filter(|c| c.blocked_since.is_none() && c.queued > 0)
        else {
            return;
        };
        client.blocked_since = Some(self.now);
        self.blocked.push(Reverse((self.now + self.config.blocked_grace, id)));
        self.park(id);
    }

    /// Disconnects the clients found too slow, and announces it (which may find more).
    pub(super) fn reap_too_slow(&mut self) {
        while let Some(id) = self.too_slow.pop() {
            self.depart(id, Reason::TooSlow);
            self.close(id);
        }
    }

    /// Moves a client that has left to closing: closed once its queue drains, or at its
    /// deadline.
    pub(super) fn close_when_flushed(&mut self, id: ClientId) {
        match self.registry.get(id) {
            Some(client) if client.queued == 0 => self.close(id),
            Some(_) => self.closing.push(Reverse((self.linger_deadline(), id))),
            None => {}
        }
    }

    /// When a closing client is closed anyway, or a closed connection released: the grace
    /// period from now, but on shutdown from its start, so that the whole wind-down takes at
    /// most one grace period.
    fn linger_deadline(&self) -> Instant {
        self.shutdown_at.unwrap_or(self.now) + self.config.close_linger
    }

    /// Half-closes the connection (the runtime drops its queue); it lingers until the client
    /// closes its side or the grace period passes, unless its input has already ended (or,
    /// on shutdown, the grace period is over).
    pub(super) fn close(&mut self, id: ClientId) {
        let Some(client) = self.remove(id) else { return };
        if client.lost {
            return;
        }
        self.outputs.push_back(Output::Close { to: id });
        let release_at = self.linger_deadline();
        if client.input_ended || release_at <= self.now {
            self.outputs.push_back(Output::Release { to: id });
        } else {
            self.lingering.insert(id);
            self.releases.push(Reverse((release_at, id)));
        }
    }

    /// Forgets a client, and what its queue cost (the runtime drops the queue).
    pub(super) fn remove(&mut self, id: ClientId) -> Option<Client> {
        self.take_out(id);
        self.accounts.forget_client(id);
        let client = self.registry.remove(id)?;
        self.memory -= client.cost();
        self.forget_buffers(id);
        self.moderation.mutes.forget(id);
        Some(client)
    }

    /// Drops the stuck clients holding the most while the queued output is over the budget;
    /// if that is not enough, pauses reading until it is back under the low-water mark.
    pub(super) fn keep_to_budget(&mut self) {
        let budget = self.config.max_memory;
        let low_water = budget / 4 * 3;
        // While reading is paused, reading resumes only under the low-water mark, so stuck
        // clients are dropped until then.
        let over = if self.paused_since.is_some() { self.memory > low_water } else { self.memory > budget };
        if over && (self.paused_since.is_none() || self.budget_check) {
            self.drop_stuck(low_water);
        }
        self.budget_check = false;
        match self.paused_since {
            None if self.memory > budget => {
                tracing::warn!(queued = self.memory, budget, "output over the memory budget; reading paused");
                self.paused_since = Some(self.now);
                self.outputs.push_back(Output::PauseReading);
            }
            Some(since) if self.memory <= low_water => {
                tracing::info!(queued = self.memory, "output back under the budget; reading resumed");
                self.stalled += self.now.saturating_duration_since(since);
                self.paused_since = None;
                self.outputs.push_back(Output::ResumeReading);
            }
            _ => {}
        }
    }

    /// Disconnects stuck clients, those holding the most first, until the queued output is at
    /// most `target` or no stuck client is left.
    fn drop_stuck(&mut self, target: usize) {
        let grace = self.config.blocked_grace;
        let now = self.now;
        let mut stuck: Vec<(usize, ClientId)> = self
            .registry
            .clients()
            .iter()
            .filter(|c| c.is_active() && c.blocked_for(grace, now))
            .map(|c| (c.cost() + self.owed(c), c.id))
            .collect();
        stuck.sort_unstable_by(|a, b| b.cmp(a));
        for (cost, id) in stuck {
            if self.memory <= target {
                break;
            }
            tracing::info!(%id, cost, "dropping a stuck client to keep to the memory budget");
            self.depart(id, Reason::TooSlow);
            self.close(id);
        }
    }

    /// Checks the clients whose socket has been blocked for the grace period or the write
    /// deadline against the limits.
    fn check_blocked(&mut self) {
        let limits = Limits::of(&self.config);
        while let Some(&Reverse((at, id))) = self.blocked.peek() {
            if at > self.now {
                break;
            }
            self.blocked.pop();
            let Some(client) = self.registry.get(id).filter(|c| c.is_active()) else { continue };
            let Some(since) = client.blocked_since.filter(|_| client.blocked_for(limits.grace, self.now))
            else {
                continue;
            };
            if limits.over(client, self.owed(client), self.now) {
                self.lag(id);
                continue;
            }
            // Stuck now: it may be dropped to keep to the budget, or at its write deadline.
            self.budget_check = true;
            let deadline = since + limits.deadline;
            if deadline > self.now {
                self.blocked.push(Reverse((deadline, id)));
            }
        }
    }

    pub(super) fn run_timers(&mut self) {
        self.check_blocked();
        while let Some(&Reverse((at, id))) = self.closing.peek() {
            if at > self.now {
                break;
            }
            self.closing.pop();
            if self.registry.get(id).is_some_and(|c| !c.is_present()) {
                self.close(id);
            }
        }
        // After the closes: on shutdown, a connection closed at its deadline is released at
        // the same deadline.
        while let Some(&Reverse((at, id))) = self.releases.peek() {
            if at > self.now {
                break;
            }
            self.releases.pop();
            self.telling.remove(&id);
            if self.lingering.remove(&id) {
                self.outputs.push_back(Output::Release { to: id });
            }
        }
        self.expire_unfinished_lines();
        self.expire_handshakes();
        self.expire_moderation();
        while let Some(id) = self.unannounced.pop_due(self.now) {
            self.announce(id);
        }
        while let Some(room) = self.presence_due.pop_due(self.now) {
            let Some(summary) = self.rooms.get_mut(room) else { continue };
            let lines: Vec<Bytes> = summary.presence.take_due(self.now).collect();
            for line in lines {
                self.broadcast(Audience::everyone_in(room), line);
            }
        }
        self.reap_too_slow();
    }
}

/// One frame on its way to the members of a room.
struct Fan<'a> {
    frame: Bytes,
    limits: Limits,
    now: Instant,
    outputs: &'a mut VecDeque<Output>,
    too_slow: &'a mut Vec<ClientId>,
    /// Clients that have more than the parking window queued with this frame: parked after it.
    parking: &'a mut Vec<ClientId>,
}

impl Fan<'_> {
    /// Queues the frame for `client` if it is in the audience; returns what that costs.
    #[inline]
    fn offer(&mut self, client: &mut Client, to: Audience) -> usize {
        if !client.is_active()
            || client.parked.is_some()
            || Some(client.id) == to.except
            || to.said_by.is_some_and(|from| client.ignores.hides(from))
        {
            return 0;
        }
        let len = self.frame.len();
        if client.blocked_since.is_some() && self.limits.over(client, len + Outbox::FRAME_OVERHEAD, self.now)
        {
            client.phase = Phase::Lagging;
            self.too_slow.push(client.id);
            return 0;
        }
        client.queued += len;
        client.frames += 1;
        self.outputs.push_back(Output::Transmit { to: client.id, frame: self.frame.clone() });
        if client.cost() > self.limits.window {
            self.parking.push(client.id);
        }
        len + Outbox::FRAME_OVERHEAD
    }
}

/// The slow-client limits of a [`Config`], copied out for a broadcast's loop.
#[derive(Clone, Copy)]
struct Limits {
    hard: usize,
    soft: usize,
    /// Most a client may have handed out and not yet written before it is parked: half the
    /// soft limit. A client whose writes lag (its socket is about to be full, or the runtime
    /// has not got round to it) then costs one logged line per broadcast, not a queued frame,
    /// until it catches up.
    window: usize,
    grace: Duration,
    deadline: Duration,
}

impl Limits {
    fn of(config: &Config) -> Self {
        Self {
            hard: config.max_queue,
            soft: config.soft_queue.min(config.max_queue),
            window: config.soft_queue.min(config.max_queue) / 2,
            grace: config.blocked_grace,
            deadline: config.write_deadline,
        }
    }

    /// Whether `client`, owed `extra` beyond its own queue (a frame about to be queued, what
    /// its room's log owes it), is too slow at `now`: its socket has taken nothing for the
    /// grace period and it would be over the hard limit, or for the write deadline and over
    /// the soft limit.
    fn over(self, client: &Client, extra: usize, now: Instant) -> bool {
        let cost = client.cost() + extra;
        (cost > self.hard && client.blocked_for(self.grace, now))
            || (cost > self.soft && client.blocked_for(self.deadline, now))
    }
}
