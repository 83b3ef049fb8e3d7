//! The chat server state machine: [`Server`], its one way in and one way out.
//!
//! The work is split by concern, each an `impl Server` block of its own:
//!
//! - this file: the doors ([`Server::handle_input`], [`Server::poll_output`],
//!   [`Server::poll_timeout`]), reading lines and charging them to flood control;
//! - `delivery.rs`: the plumbing of queues and timers: sending, fan-out to a room, flushing,
//!   slow clients, the memory budget, closing and lingering;
//! - `arrivals.rs`: connections coming and going, and people moving between rooms, with the
//!   notices that tell the others;
//! - `commands.rs`: what each command does;
//! - `accounts.rs`: the account commands, reserved names and server operators;
//! - `services.rs`: asking the threads beside the event loop for work, and their answers;
//! - `operators.rs`: who may moderate, operators, topic locks, the message of the day, `/whois`;
//! - `moderation.rs`: kicks, bans and mutes, and their expiry;
//! - `persist.rs`: the records the database is asked to keep;
//! - `restore.rs`: building the server from what the database kept;
//! - `cluster.rs`: rooms shared with other nodes through the bus;
//! - `cluster_moderation.rs`: moderation, topics and the message of the day on every node;
//! - `cluster_names.rs`: names leased across nodes (guests too) before the welcome;
//! - `cluster_accounts.rs`: accounts shared across nodes through the bus;
//! - `cluster_refused.rs`: what the bus refused to carry (its queue full), told to the sender;
//! - `cluster_messages.rs`: `/msg` to a user of another node, through that node's inbox;
//! - `cluster_rooms.rs`: `/list` over every node's rooms.

mod accounts;
mod arrivals;
mod cluster;
mod cluster_accounts;
mod cluster_messages;
mod cluster_moderation;
mod cluster_names;
mod cluster_refused;
mod cluster_rooms;
mod commands;
mod delivery;
mod held_lines;
mod moderation;
mod operators;
mod pending;
mod persist;
mod restore;
mod services;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use crate::accounts::Accounts;
use crate::clock::WallClock;
use crate::cluster::{Cluster, guest_seed};
use crate::deadlines::FixedDelay;
use crate::flood::Verdict;
use crate::moderation::Moderation;
use crate::per_address::PerAddress;
use crate::protocol::guest::GuestNames;
use crate::protocol::wire::{self, Reason};
use crate::protocol::{Command, Line};
use crate::registry::{Client, Registry};
use crate::rooms::{RoomId, Rooms};
use crate::stats::Stats;
use crate::unfinished::{Deadlines, Expired};
use crate::{ClientId, Config, ConfigError, Input, InputError, Output};

/// The chat server: every connection, every room. See the [crate docs](crate) for how to
/// drive it.
#[derive(Debug)]
pub struct Server {
    config: Config,
    now: Instant,
    /// Maps `now` to wall-clock time, for the times shown in history.
    clock: WallClock,
    registry: Registry,
    rooms: Rooms,
    guests: GuestNames,
    outputs: VecDeque<Output>,
    /// New connections whose arrival is not announced yet, by when it will be.
    unannounced: FixedDelay<ClientId>,
    /// Rooms whose coalesced presence summary is due, by when.
    presence_due: FixedDelay<RoomId>,
    /// Close deadlines of closing clients; entries for clients already gone are skipped.
    closing: BinaryHeap<Reverse<(Instant, ClientId)>>,
    /// Clients that fell too far behind, to be disconnected once the current input is done.
    too_slow: Vec<ClientId>,
    /// Clients to park once the current broadcast is queued (kept for its room).
    parking: Vec<ClientId>,
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
    /// The uniqueness keys of [`Config::operators`].
    operator_keys: HashSet<String>,
    /// Registered accounts and the password work in flight (`accounts.rs`).
    accounts: Accounts,
    /// What the server has done, for [`Server::stats`] (its gauges are filled in there).
    stats: Stats,
    /// Connections that are not clients yet ([`Input::Accepted`]).
    pending: HashMap<ClientId, pending::Pending>,
    /// Connections turned away before they became clients, lingering while their transport
    /// tells them why (see `pending.rs`).
    telling: HashSet<ClientId>,
    /// When they are closed if they are still not clients; entries for those gone are skipped.
    handshakes: FixedDelay<ClientId>,
    /// What each connection's transport holds ([`Input::Buffered`]), counted in `memory`.
    buffers: HashMap<ClientId, usize>,
    /// Operators, bans, mutes, the message of the day, topic locks.
    moderation: Moderation,
    /// This node's part in a cluster, with a bus (see `cluster.rs`).
    cluster: Option<Cluster>,
    /// Lines a client said in a row, sent to its room as one frame (see `held_lines.rs`).
    held_lines: Option<held_lines::HeldLines>,
}

/// Frames a drained output queue may keep room for; one a broadcast grew beyond this is freed.
const KEEP_OUTPUTS: usize = 4096;

impl Server {
    /// A server with no one in it yet, starting at `now`, which is wall-clock time `wall` (the
    /// times shown in history are derived from it: the core reads no clock).
    pub fn new(config: Config, now: Instant, wall: SystemTime) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            guests: config
                .cluster
                .as_ref()
                .map_or_else(GuestNames::default, |c| GuestNames::from(guest_seed(&c.node))),
            cluster: config.cluster.as_ref().map(|c| Cluster::new(c, now)),
            held_lines: None,
            clock: WallClock::new(now, wall),
            rooms: Rooms::new(config.history, config.persist),
            unannounced: FixedDelay::new(config.announce_after),
            registry: Registry::new(PerAddress::new(&config)),
            line_deadlines: Deadlines::new(config.line_timeout),
            accounts: Accounts::new(config.attempts),
            operator_keys: config.operators.iter().map(|name| crate::protocol::nick::key_of(name)).collect(),
            presence_due: FixedDelay::new(config.presence_interval),
            handshakes: FixedDelay::new(config.handshake_timeout),
            moderation: Moderation::new(),
            config,
            now,

            outputs: VecDeque::new(),
            closing: BinaryHeap::new(),
            too_slow: Vec::new(),
            parking: Vec::new(),
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
            stats: Stats::default(),
            pending: HashMap::new(),
            telling: HashSet::new(),
            buffers: HashMap::new(),
        })
    }

    /// The limits this server runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Feeds one event that happened at `now`. Afterwards, drain [`poll_output`](Self::poll_output).
    ///
    /// Input naming a client the core has already closed or forgotten is ignored: the runtime
    /// may have read it before it carried out the close. The only error is a runtime bug.
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) -> Result<(), InputError> {
        if let Some(due) = self.poll_timeout().filter(|due| *due <= now) {
            self.stats.lateness.observe(now - due);
        }
        self.now = self.now.max(now);
        if self.outputs.is_empty() && self.outputs.capacity() > KEEP_OUTPUTS {
            self.outputs = VecDeque::new();
        }
        self.read_lobby();
        match input {
            Input::Accepted { id, peer } => self.accepted(id, peer)?,
            Input::Connected { id, peer } => self.connect(id, peer)?,
            Input::Received { id, bytes } => self.receive(id, bytes),
            Input::Flushed { id, bytes, frames } => self.flushed(id, bytes, frames),
            Input::Blocked { id } => self.blocked(id),
            Input::Buffered { id, bytes } => self.buffered(id, bytes),
            Input::Disconnected { id, cause } => self.disconnected(id, cause),
            Input::Service(reply) => self.service_reply(reply),
            Input::Timeout => {}
            Input::Shutdown => self.shutdown(),
        }
        self.send_held_lines();
        self.reap_too_slow();
        self.run_timers();
        self.keep_to_budget();
        self.heartbeat();
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
            self.presence_due.deadline(),
            self.unannounced.deadline(),
            self.line_deadlines.next(),
            self.handshakes.deadline(),
            self.moderation_deadline(),
            self.heartbeat_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Clients connected now, in every room (not counting those being closed).
    pub fn client_count(&self) -> usize {
        self.registry.active()
    }

    /// What the server has done since it started, and how it stands now: plain numbers,
    /// cheap to copy, for an operator's `/metrics`.
    pub fn stats(&self) -> Stats {
        Stats {
            clients: self.registry.active(),
            rooms: self.rooms.len(),
            queued_bytes: self.memory,
            ..self.stats
        }
    }

    /// Bytes handed out for `id` and not yet reported flushed, if the client is known.
    pub fn queued(&self, id: ClientId) -> Option<usize> {
        self.registry.get(id).map(|c| c.queued)
    }

    /// The line a connection is sent, instead of the welcome, when the server is full: for a
    /// runtime that must turn a connection away before the core hears of it (out of threads,
    /// say), so that it is refused with the same words as by the core.
    pub fn full_notice(&self) -> bytes::Bytes {
        wire::full(self.config.max_clients)
    }

    /// What the output queued for every client costs in memory, in bytes (each frame counted as
    /// its length plus [`Outbox::FRAME_OVERHEAD`](crate::kit::Outbox::FRAME_OVERHEAD) per
    /// recipient), plus what the transports hold ([`Input::Buffered`]), which
    /// [`Config::max_memory`] bounds.
    pub fn queued_memory(&self) -> usize {
        self.memory
    }

    /// True while the runtime is to hold off reading ([`Output::PauseReading`] was the last
    /// word on it).
    pub fn is_reading_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// True once [`Input::Shutdown`] was fed, every connection has been closed and every
    /// closed connection released: the runtime can exit. The only stop condition a runtime
    /// needs.
    pub fn is_finished(&self) -> bool {
        self.shutting_down && self.registry.clients().is_empty() && self.lingering.is_empty()
    }

    fn receive(&mut self, id: ClientId, bytes: &[u8]) {
        let Some(client) = self.registry.get_mut(id).filter(|c| c.is_active()) else {
            return;
        };
        let mut lines = std::mem::take(&mut self.lines);
        let newlines = client.decoder.newlines();
        client.decoder.feed(bytes, |line| lines.push(line));
        let newline = client.decoder.newlines() != newlines;
        let mid_line = client.decoder.is_mid_line();
        client.unfinished.update(id, newline, mid_line, self.now, &mut self.line_deadlines);
        for line in lines.drain(..) {
            if !self.registry.get(id).is_some_and(Client::is_active) {
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
            let Some(client) = self.registry.get_mut(id).filter(|c| c.is_active()) else { continue };
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

    /// Handles one framed line from an active client. Every line is charged to flood control,
    /// blank ones too (they do nothing else); a command may cost more than one line.
    fn line(&mut self, id: ClientId, line: Line) {
        // With a bus, a connection not welcomed yet is heard after its welcome.
        let Some(line) = self.hold_line(id, line) else { return };
        self.stats.lines_received += 1;
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
        // A first line that did not announce its sender (a `/nick`, an error ...) does now.
        self.announce(id);
    }

    /// Charges `cost` lines to the client's flood budget; false if the line is refused (the
    /// client is warned on the first refusal, and disconnected after too many).
    fn charge(&mut self, id: ClientId, cost: u32) -> bool {
        let Config { flood_rate, flood_burst, flood_kick, .. } = self.config;
        let Some(client) = self.registry.get_mut(id) else { return false };
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
}
