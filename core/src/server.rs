//! The chat room state machine: [`Server`].

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::command::{Command, CommandError};
use crate::decoder::Line;
use crate::flood::Verdict;
use crate::nick::{Nick, key_of};
use crate::per_address::{PerAddress, Refusal};
use crate::presence::Presence;
use crate::room::{Client, Phase, Room};
use crate::sanitize::sanitize;
use crate::unfinished::{Deadlines, Expired};
use crate::wire::{self, Reason};
use crate::{ClientId, Config, ConfigError, Input, InputError, Output, PeerGone};

/// Longest `/quit` reason kept, in characters.
const MAX_QUIT_REASON: usize = 200;

/// The chat room. See the [crate docs](crate) for how to drive it.
#[derive(Debug)]
pub struct Server {
    config: Config,
    now: Instant,
    room: Room,
    outputs: VecDeque<Output>,
    presence: Presence,
    /// Close deadlines of closing clients; entries for clients already gone are skipped.
    closing: BinaryHeap<Reverse<(Instant, ClientId)>>,
    /// Clients that fell too far behind, to be disconnected once the current input is done.
    too_slow: Vec<ClientId>,
    /// When blocked clients are next to be checked against the slow-client limits; entries for
    /// clients no longer blocked (or blocked again since) are skipped.
    blocked: BinaryHeap<Reverse<(Instant, ClientId)>>,
    /// Closed connections that linger (read and discarded) until released.
    lingering: HashSet<ClientId>,
    /// When lingering connections are released at the latest; entries for those gone are skipped.
    releases: BinaryHeap<Reverse<(Instant, ClientId)>>,
    /// What every client's queue costs in memory, in all (see [`Config::max_memory`]).
    memory: usize,
    /// Since when reading is paused (the runtime was told [`Output::PauseReading`]).
    paused_since: Option<Instant>,
    /// Total time reading was paused, for flood control (see `flood.rs`).
    stalled: Duration,
    /// A client became stuck while over the budget: look for whom to drop.
    budget_check: bool,
    /// When shutdown began.
    shutdown_at: Option<Instant>,
    shutting_down: bool,
    lines: Vec<Line>,
    /// When unfinished lines are due (see [`Config::line_timeout`]).
    line_deadlines: Deadlines,
}

/// Frames a drained output queue may keep room for; one a broadcast grew beyond this is freed.
const KEEP_OUTPUTS: usize = 4096;

impl Server {
    /// A room with no one in it yet, starting at `now`.
    pub fn new(config: Config, now: Instant) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            room: Room::new(PerAddress::new(&config)),
            line_deadlines: Deadlines::new(config.line_timeout),
            config,
            now,
            outputs: VecDeque::new(),
            presence: Presence::default(),
            closing: BinaryHeap::new(),
            too_slow: Vec::new(),
            blocked: BinaryHeap::new(),
            lingering: HashSet::new(),
            releases: BinaryHeap::new(),
            memory: 0,
            paused_since: None,
            stalled: Duration::ZERO,
            budget_check: false,
            shutdown_at: None,
            shutting_down: false,
            lines: Vec::new(),
        })
    }

    /// The limits this room runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Feeds one event that happened at `now`. Afterwards, drain [`poll_output`](Self::poll_output).
    ///
    /// Input naming a client the core has already closed or forgotten is ignored: the runtime
    /// may have read it before it carried out the close. The only error is a runtime bug.
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) -> Result<(), InputError> {
        self.now = self.now.max(now);
        if self.outputs.is_empty() && self.outputs.capacity() > KEEP_OUTPUTS {
            self.outputs = VecDeque::new();
        }
        match input {
            Input::Connected { id, peer } => self.connect(id, peer)?,
            Input::Received { id, bytes } => self.receive(id, bytes),
            Input::Flushed { id, bytes, frames } => self.flushed(id, bytes, frames),
            Input::Blocked { id } => self.blocked(id),
            Input::Disconnected { id, cause } => self.disconnected(id, cause),
            Input::Timeout => {}
            Input::Shutdown => self.shutdown(),
        }
        self.reap_too_slow();
        self.run_timers();
        self.keep_to_budget();
        Ok(())
    }

    /// The next action for the runtime, or `None` when there is nothing left to do.
    // Inlined into the runtime's drain loop (another crate): it runs once per delivery, and the
    // call and the 48-byte return through memory cost more than the pop itself (fan-out bench:
    // about 30 -> 16 ns per recipient at 1,000 clients).
    #[inline]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When to feed [`Input::Timeout`] next, if the core is waiting for time to pass.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let next = |heap: &BinaryHeap<Reverse<(Instant, ClientId)>>| heap.peek().map(|Reverse((at, _))| *at);
        [
            next(&self.closing),
            next(&self.blocked),
            next(&self.releases),
            self.presence.deadline(),
            self.line_deadlines.next(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Clients in the room now (not counting those being closed).
    pub fn client_count(&self) -> usize {
        self.room.active()
    }

    /// Bytes handed out for `id` and not yet reported flushed, if the client is known.
    pub fn queued(&self, id: ClientId) -> Option<usize> {
        self.room.get(id).map(|c| c.queued)
    }

    /// What the output queued for every client costs in memory, in bytes (each frame counted as
    /// its length plus [`Outbox::FRAME_OVERHEAD`](crate::Outbox::FRAME_OVERHEAD) per recipient),
    /// which [`Config::max_memory`] bounds.
    pub fn queued_memory(&self) -> usize {
        self.memory
    }

    /// True while the runtime is to hold off reading ([`Output::PauseReading`] was the last
    /// word on it).
    pub fn is_reading_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// The line a connection is sent, instead of the welcome, when the room is full: for a
    /// runtime that must turn a connection away before the core hears of it (out of threads,
    /// say), so that it is refused with the same words as by the core.
    pub fn full_notice(&self) -> Bytes {
        wire::full(self.config.max_clients)
    }

    /// True once [`Input::Shutdown`] was fed, every connection has been closed and every
    /// closed connection released: the runtime can exit. The only stop condition a runtime
    /// needs.
    pub fn is_finished(&self) -> bool {
        self.shutting_down && self.room.clients().is_empty() && self.lingering.is_empty()
    }

    fn connect(&mut self, id: ClientId, peer: SocketAddr) -> Result<(), InputError> {
        if self.room.contains(id) {
            return Err(InputError::DuplicateId(id));
        }
        let nick = self.default_nick(peer);
        if self.lingering.contains(&id) {
            return Err(InputError::DuplicateId(id));
        }
        let mut client =
            Client::new(id, nick, self.config.max_line, self.config.flood_burst, self.now, self.stalled);
        let refusal = if self.shutting_down {
            Some(wire::shutting_down())
        } else if self.room.active() >= self.config.max_clients {
            Some(self.full_notice())
        } else {
            match self.room.per_address().admit(peer.ip(), self.now) {
                Ok(host) => {
                    client.host = host;
                    None
                }
                Err(refusal) => Some(refused(refusal)),
            }
        };
        if let Some(notice) = refusal {
            tracing::info!(%id, %peer, "refused");
            self.room.insert_closing(client);
            self.send(id, notice);
            self.close_when_flushed(id);
            return Ok(());
        }
        tracing::info!(%id, %peer, name = %client.nick, "joined");
        let others = self.room.active();
        let welcome = wire::welcome(client.nick.as_str(), others);
        let name = client.nick.as_str().to_owned();
        self.room.insert(client);
        self.send(id, welcome);
        if self.batching_presence() {
            self.presence.joined(&name, self.now, self.config.presence_interval);
        } else {
            self.broadcast(Some(id), wire::joined(&name));
        }
        Ok(())
    }

    /// `ip:port`, or with a suffix in the odd case that another connection already has it.
    fn default_nick(&self, peer: SocketAddr) -> Nick {
        let nick = Nick::from_peer(peer);
        if self.room.holder(nick.key()).is_none() {
            return nick;
        }
        (2..)
            .map(|n| Nick::from_peer_with_suffix(peer, n))
            .find(|nick| self.room.holder(nick.key()).is_none())
            .expect("some suffix is free")
    }

    fn receive(&mut self, id: ClientId, bytes: &[u8]) {
        let Some(client) = self.room.get_mut(id).filter(|c| c.is_active()) else {
            return;
        };
        let mut lines = std::mem::take(&mut self.lines);
        let newlines = client.decoder.newlines();
        client.decoder.feed(bytes, |line| lines.push(line));
        let newline = client.decoder.newlines() != newlines;
        let mid_line = client.decoder.is_mid_line();
        client.unfinished.update(id, newline, mid_line, self.now, &mut self.line_deadlines);
        for line in lines.drain(..) {
            if !self.room.get(id).is_some_and(Client::is_active) {
                break;
            }
            self.line(id, line);
        }
        self.lines = lines;
    }

    /// Drops the lines left unfinished too long, and closes the connections that still do not
    /// finish them (see [`Config::line_timeout`]).
    fn expire_unfinished_lines(&mut self) {
        while let Some(id) = self.line_deadlines.pop_due(self.now) {
            let Some(client) = self.room.get_mut(id).filter(|c| c.is_active()) else { continue };
            let timeout = self.config.line_timeout.as_secs();
            match client.unfinished.expire(id, self.now, &mut self.line_deadlines) {
                None => {}
                Some(Expired::DropLine) => {
                    client.decoder.drop_partial();
                    self.send(
                        id,
                        wire::error(format_args!(
                            "Your unfinished line was dropped: no end of line came within {timeout} seconds."
                        )),
                    );
                }
                Some(Expired::Close) => {
                    self.send(
                        id,
                        wire::error(format_args!(
                            "Disconnected: a line was left unfinished for more than {} seconds.",
                            2 * timeout
                        )),
                    );
                    self.depart(id, Reason::UnfinishedLine);
                    self.close_when_flushed(id);
                }
            }
        }
    }

    fn flushed(&mut self, id: ClientId, bytes: usize, frames: usize) {
        let Some(client) = self.room.get_mut(id) else {
            return;
        };
        let before = client.cost();
        client.queued = client.queued.saturating_sub(bytes);
        client.frames = if client.queued == 0 { 0 } else { client.frames.saturating_sub(frames) };
        if bytes > 0 {
            client.blocked_since = None;
        }
        self.memory -= before - client.cost();
        if !client.is_active() && client.queued == 0 {
            self.close(id);
        }
    }

    /// The client's socket is full: note since when, and check it against the limits once it
    /// has been blocked for the grace period.
    fn blocked(&mut self, id: ClientId) {
        let Some(client) = self.room.get_mut(id).filter(|c| c.blocked_since.is_none() && c.queued > 0) else {
            return;
        };
        client.blocked_since = Some(self.now);
        self.blocked.push(Reverse((self.now + self.config.blocked_grace, id)));
    }

    fn disconnected(&mut self, id: ClientId, cause: PeerGone) {
        if self.lingering.remove(&id) {
            // A closed connection's client closed its side too: nothing can reset it now.
            if cause == PeerGone::Closed {
                self.outputs.push_back(Output::Release { to: id });
            }
            return;
        }
        let Some(client) = self.room.get_mut(id) else {
            return;
        };
        match cause {
            PeerGone::Lost => {
                client.lost = true;
                self.depart(id, Reason::Lost);
                self.remove(id);
            }
            PeerGone::Closed => {
                client.input_ended = true;
                if client.is_active()
                    && let Some(line) = client.decoder.finish()
                {
                    self.line(id, line);
                }
                self.depart(id, Reason::Left);
                self.close_when_flushed(id);
            }
        }
    }

    fn shutdown(&mut self) {
        if self.shutting_down {
            return;
        }
        tracing::info!(clients = self.room.active(), "shutting down");
        self.shutting_down = true;
        self.shutdown_at = Some(self.now);
        self.presence.clear();
        let notice = wire::shutting_down();
        let ids: Vec<ClientId> = self.room.clients().iter().filter(|c| c.is_active()).map(|c| c.id).collect();
        for id in ids {
            self.send(id, notice.clone());
            self.room.leave(id);
            self.close_when_flushed(id);
        }
    }

    /// Handles one framed line from an active client. Every line is charged to flood control,
    /// blank ones too (they do nothing else); a command may cost more than one line.
    fn line(&mut self, id: ClientId, line: Line) {
        let command = match &line {
            Line::Text(text) if !text.trim().is_empty() => Some(Command::parse(text)),
            Line::Text(_) | Line::Blank | Line::TooLong => None,
        };
        let cost = command.as_ref().and_then(|c| c.as_ref().ok()).map_or(1, Command::cost);
        if !self.charge(id, cost) {
            return;
        }
        match command {
            Some(command) => self.command(id, command),
            None if line == Line::TooLong => self.send(
                id,
                wire::error(format_args!(
                    "Line too long (more than {} bytes): it was dropped.",
                    self.config.max_line
                )),
            ),
            None => {}
        }
    }

    /// Charges `cost` lines to the client's flood budget; false if the line is refused (the
    /// client is warned on the first refusal, and disconnected after too many).
    fn charge(&mut self, id: ClientId, cost: u32) -> bool {
        let Config { flood_rate, flood_burst, flood_kick, .. } = self.config;
        let Some(client) = self.room.get_mut(id) else { return false };
        match client.flood.check(self.now, self.stalled, flood_rate, flood_burst, flood_kick) {
            Verdict::Pass => {
                if flood_rate > 0.0 && cost > 1 {
                    client.flood.charge_extra(cost - 1);
                }
                true
            }
            Verdict::Refuse { first } => {
                if first {
                    self.send(id, wire::error(format_args!(
                        "You are sending too fast: lines are being dropped. Slow down or you will be disconnected."
                    )));
                }
                false
            }
            Verdict::Kick => {
                self.send(id, wire::error("Disconnected for flooding."));
                self.depart(id, Reason::Flooding);
                self.close_when_flushed(id);
                false
            }
        }
    }

    fn command(&mut self, id: ClientId, command: Result<Command<'_>, CommandError>) {
        let command = match command {
            Ok(command) => command,
            Err(error) => return self.send(id, wire::error(sanitize(&error.to_string()))),
        };
        let name = match self.room.get(id) {
            Some(client) => client.nick.as_str().to_owned(),
            None => return,
        };
        match command {
            Command::Say(text) => self.broadcast(Some(id), wire::message(&name, &sanitize(text))),
            Command::Me(text) => self.broadcast(Some(id), wire::action(&name, &sanitize(text))),
            Command::Nick(new) => self.rename(id, new),
            Command::Msg { to, text } => self.private(id, &name, to, &sanitize(text)),
            Command::Who => self.who(id),
            Command::Quit(reason) => {
                let reason = reason.map(|r| sanitize(r).chars().take(MAX_QUIT_REASON).collect());
                self.depart(id, Reason::Quit(reason));
                self.close_when_flushed(id);
            }
            Command::Help => self.send(id, wire::help()),
        }
    }

    fn rename(&mut self, id: ClientId, requested: &str) {
        let nick = match Nick::parse(requested, self.config.max_nick) {
            Ok(nick) => nick,
            Err(error) => return self.send(id, wire::error(sanitize(&error.to_string()))),
        };
        if let Some(holder) = self.room.holder(nick.key()).filter(|&h| h != id) {
            let taken = self.room.get(holder).map_or("", |c| c.nick.as_str()).to_owned();
            let similar =
                if taken == nick.as_str() { String::new() } else { format!(" (too close to {taken})") };
            return self
                .send(id, wire::error(format_args!("The name {nick} is taken{similar}; pick another.")));
        }
        let Some(old) = self.room.rename(id, nick.clone()) else { return };
        if old.as_str() == nick.as_str() {
            return self.send(id, wire::error(format_args!("You are already called {nick}.")));
        }
        tracing::info!(%id, from = %old, to = %nick, "renamed");
        self.send(id, wire::you_renamed(nick.as_str()));
        self.broadcast(Some(id), wire::renamed(old.as_str(), nick.as_str()));
    }

    fn private(&mut self, id: ClientId, from: &str, to: &str, text: &str) {
        match self.room.holder(&key_of(to)) {
            Some(target) => {
                let to = self.room.get(target).map_or("", |c| c.nick.as_str()).to_owned();
                self.send(target, wire::private_in(from, text));
                self.send(id, wire::private_out(&to, text));
            }
            None => self.send(id, wire::error(format_args!("No one here is called {}.", sanitize(to)))),
        }
    }

    /// Answers `/who`: the count and the first few names in alphabetical order, read from the
    /// room's sorted roster: the cost does not grow with the room.
    fn who(&mut self, id: ClientId) {
        let roster = self.room.roster();
        let line = wire::who(roster.len(), roster.iter());
        self.send(id, line);
    }

    /// Takes an active client out of the room and tells the others why.
    fn depart(&mut self, id: ClientId, reason: Reason) {
        let Some(client) = self.room.get(id).filter(|c| c.in_room()) else { return };
        let name = client.nick.as_str().to_owned();
        tracing::info!(%id, %name, %reason, "left");
        self.room.leave(id);
        if self.batching_presence() {
            self.presence.left(&name, &reason, self.now, self.config.presence_interval);
        } else {
            self.broadcast(None, wire::offline(&name, &reason));
        }
    }

    fn batching_presence(&self) -> bool {
        self.room.active() > self.config.presence_batch_above
    }

    /// Queues `frame` for every active client but `except`.
    fn broadcast(&mut self, except: Option<ClientId>, frame: Bytes) {
        let limits = Limits::of(&self.config);
        let (len, now) = (frame.len(), self.now);
        let mut added = 0;
        for client in self.room.clients_mut() {
            if !client.is_active() || Some(client.id) == except {
                continue;
            }
            if client.blocked_since.is_some() && limits.too_slow(client, len, now) {
                client.phase = Phase::Lagging;
                self.too_slow.push(client.id);
                continue;
            }
            client.queued += len;
            client.frames += 1;
            added += len + crate::Outbox::FRAME_OVERHEAD;
            self.outputs.push_back(Output::Transmit { to: client.id, frame: frame.clone() });
        }
        self.memory += added;
    }

    /// Queues `frame` for one client, unless its socket is stuck and that would put it over
    /// the limits.
    fn send(&mut self, id: ClientId, frame: Bytes) {
        let limits = Limits::of(&self.config);
        let now = self.now;
        let Some(client) = self.room.get_mut(id).filter(|c| !c.lost) else { return };
        if limits.too_slow(client, frame.len(), now) {
            if client.is_active() {
                client.phase = Phase::Lagging;
                self.too_slow.push(id);
            }
            return;
        }
        client.queued += frame.len();
        client.frames += 1;
        self.memory += frame.len() + crate::Outbox::FRAME_OVERHEAD;
        self.outputs.push_back(Output::Transmit { to: id, frame });
    }

    /// Disconnects the clients found too slow, and announces it (which may find more).
    fn reap_too_slow(&mut self) {
        while let Some(id) = self.too_slow.pop() {
            self.depart(id, Reason::TooSlow);
            self.close(id);
        }
    }

    /// Moves a client that has left the room to closing: closed once its queue drains, or at
    /// its deadline.
    fn close_when_flushed(&mut self, id: ClientId) {
        match self.room.get(id) {
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
    fn close(&mut self, id: ClientId) {
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
    fn remove(&mut self, id: ClientId) -> Option<Client> {
        let client = self.room.remove(id)?;
        self.memory -= client.cost();
        Some(client)
    }

    /// Drops the stuck clients holding the most while the queued output is over the budget;
    /// if that is not enough, pauses reading until it is back under the low-water mark.
    fn keep_to_budget(&mut self) {
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
            .room
            .clients()
            .iter()
            .filter(|c| c.is_active() && c.blocked_for(grace, now))
            .map(|c| (c.cost(), c.id))
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
            let Some(client) = self.room.get_mut(id).filter(|c| c.is_active()) else { continue };
            let Some(since) = client.blocked_since.filter(|_| client.blocked_for(limits.grace, self.now))
            else {
                continue;
            };
            if limits.exceeded(client, self.now) {
                client.phase = Phase::Lagging;
                self.too_slow.push(id);
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

    fn run_timers(&mut self) {
        while let Some(&Reverse((at, id))) = self.releases.peek() {
            if at > self.now {
                break;
            }
            self.releases.pop();
            if self.lingering.remove(&id) {
                self.outputs.push_back(Output::Release { to: id });
            }
        }
        self.check_blocked();
        while let Some(&Reverse((at, id))) = self.closing.peek() {
            if at > self.now {
                break;
            }
            self.closing.pop();
            if self.room.get(id).is_some_and(|c| !c.in_room()) {
                self.close(id);
            }
        }
        self.expire_unfinished_lines();
        let lines: Vec<Bytes> = self.presence.take_due(self.now).collect();
        for line in lines {
            self.broadcast(None, line);
        }
        self.reap_too_slow();
    }
}

/// The slow-client limits of a [`Config`], copied out for a broadcast's loop.
#[derive(Clone, Copy)]
struct Limits {
    hard: usize,
    soft: usize,
    grace: Duration,
    deadline: Duration,
}

impl Limits {
    fn of(config: &Config) -> Self {
        Self {
            hard: config.max_queue,
            soft: config.soft_queue.min(config.max_queue),
            grace: config.blocked_grace,
            deadline: config.write_deadline,
        }
    }

    /// Whether `client`, with one more frame of `len` bytes queued, is too slow at `now`: its
    /// socket has taken nothing for the grace period and its queue would be over the hard
    /// limit, or for the write deadline and over the soft limit.
    fn too_slow(self, client: &Client, len: usize, now: Instant) -> bool {
        let cost = client.cost() + len + crate::Outbox::FRAME_OVERHEAD;
        (cost > self.hard && client.blocked_for(self.grace, now))
            || (cost > self.soft && client.blocked_for(self.deadline, now))
    }

    /// Whether `client` is too slow now, with what it has queued.
    fn exceeded(self, client: &Client, now: Instant) -> bool {
        let cost = client.cost();
        (cost > self.hard && client.blocked_for(self.grace, now))
            || (cost > self.soft && client.blocked_for(self.deadline, now))
    }
}

/// The one line a connection refused by the per-address limits gets.
fn refused(refusal: Refusal) -> Bytes {
    match refusal {
        Refusal::TooMany { max } => wire::error(format_args!(
            "Too many connections from your address ({max} at most); close one and try again."
        )),
        Refusal::TooOften { max, window, retry } => wire::error(format_args!(
            "Too many new connections from your address ({max} per {}); try again in {}.",
            span(window),
            span(retry)
        )),
    }
}

/// A duration for people, rounded up: `1 second`, `20 seconds`, `10 minutes`.
fn span(time: std::time::Duration) -> String {
    let secs = time.as_secs() + u64::from(time.subsec_nanos() > 0);
    let (n, unit) = if secs >= 120 { (secs.div_ceil(60), "minute") } else { (secs.max(1), "second") };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}
