//! An in-memory world for the core, in the style of quinn-proto's and str0m's tests: the server,
//! its clients and a simulated clock, stepped until idle, recording what each client received.
//!
//! The harness checks the API contract on every action: nothing is ever sent to, or closed on,
//! a client that is already closed; nothing names a client after its release; a client stuck
//! past the grace period never holds more than `max_queue`; the queued output is over
//! `max_memory` only while reading is paused.
//!
//! It plays the runtime and the network: a client that does not read has a full socket (the
//! harness reports `Blocked`); while the core has paused reading, what clients send waits (as
//! in their sockets) and arrives when reading resumes; a client whose connection the core
//! closed closes its side too if it reads, or is released at the core's deadline.
//!
//! Behind the `sim` feature: the one driver of [`Server`] that the core's tests, the fuzz
//! targets and the benchmarks share.

pub mod cluster;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant, UNIX_EPOCH};

mod passwords;

pub use passwords::{State as PasswordState, TestPasswords, test_hash};

use crate::kit::{NoServices, Services};
use crate::{ClientId, Config, Input, Output, PeerGone, Request, Server, Stored};

/// The wall-clock time the world begins at, in seconds since the Unix epoch: 2026-11-28
/// 14:00:00 UTC, so history times read `[14:00]` onwards in every run.
pub const SIM_WALL_CLOCK_SECS: u64 = 1_795_874_400;

/// One simulated client.
#[derive(Debug, Default)]
pub struct SimClient {
    /// A label for transcripts.
    pub label: String,
    /// Everything the server sent it, in order.
    pub received: Vec<u8>,
    /// Bytes delivered to it but not yet read (it is not reading).
    pub unread: usize,
    /// Frames among them.
    pub unread_frames: usize,
    /// When the harness reported its socket blocked (no flush since).
    pub blocked_since: Option<Instant>,
    /// Bytes it sent while the server was not reading, which wait in its socket.
    pub unsent: Vec<u8>,
    /// Whether it reads what it is sent (a stalled client does not).
    pub reading: bool,
    /// It closed its sending side (end of file) and now only reads until the server closes.
    pub half_closed: bool,
    /// How it ended, if it did.
    pub ended: Option<Ending>,
}

/// How a simulated connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The server closed it (and it may still be lingering, until released).
    ClosedByServer,
    /// The server closed it, then released the socket.
    Released,
    /// The connection was lost (reset).
    Lost,
}

impl SimClient {
    /// The received bytes as text lines (lossy).
    pub fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.received).lines().map(str::to_owned).collect()
    }

    /// True while the connection is open, even if only for reading.
    pub fn is_open(&self) -> bool {
        self.ended.is_none()
    }

    /// True until the socket is released or lost.
    pub fn has_socket(&self) -> bool {
        matches!(self.ended, None | Some(Ending::ClosedByServer))
    }

    /// True while the client can still send.
    pub fn can_send(&self) -> bool {
        self.is_open() && !self.half_closed
    }
}

/// The server, its clients, and the clock.
pub struct Sim {
    /// The server under test.
    pub server: Server,
    /// When the world began (the server's first instant).
    pub start: Instant,
    /// The simulated clock.
    pub now: Instant,
    /// Every client ever connected, by id.
    pub clients: BTreeMap<ClientId, SimClient>,
    next_id: u64,
    config: Config,
    /// The core paused reading.
    pub paused: bool,
    /// How many times reading was paused.
    pub pauses: usize,
    /// Every service request the server made, in order.
    pub requests: Vec<Request>,
    /// What carries the requests out: answers are fed back as soon as they are ready, within
    /// the same step ([`NoServices`] unless built [`with_services`](Sim::with_services)).
    pub services: Box<dyn Services>,
}

impl Sim {
    /// A world running `config`.
    pub fn new(config: Config) -> Self {
        Self::with_services(config, Box::new(NoServices::default()))
    }

    /// A world running `config` whose service requests go to `services`.
    pub fn with_services(config: Config, services: Box<dyn Services>) -> Self {
        Self::restored(config, services, Stored::default())
    }

    /// A world running `config` whose server is built from `stored` (see [`Server::restore`]),
    /// `after` later in wall-clock time than a world built with [`Sim::new`]: a restart.
    pub fn restored(config: Config, services: Box<dyn Services>, stored: Stored) -> Self {
        Self::restored_after(config, services, stored, Duration::ZERO)
    }

    /// Like [`Sim::restored`], the world beginning `after` later in wall-clock time than
    /// [`SIM_WALL_CLOCK_SECS`] (a server restarted some time after the first one began).
    pub fn restored_after(
        config: Config,
        mut services: Box<dyn Services>,
        stored: Stored,
        after: Duration,
    ) -> Self {
        services.set_wake(std::sync::Arc::new(|| {}));
        // Instants cannot be made from nothing: the one real reading of a clock, as the origin.
        let start = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(SIM_WALL_CLOCK_SECS) + after;
        let server = Server::restore(config.clone(), start, wall, stored).expect("valid config");
        Self {
            server,
            start,
            now: start,
            clients: BTreeMap::new(),
            next_id: 1,
            config,
            paused: false,
            pauses: 0,
            requests: Vec::new(),
            services,
        }
    }

    /// A world with the default config but no flood control.
    pub fn unlimited() -> Self {
        Self::new(Config { flood_rate: 0.0, ..Config::default() })
    }

    /// Connects a client from `10.0.0.N:4000+N` labelled `label`.
    pub fn connect(&mut self, label: &str) -> ClientId {
        let n = self.next_id;
        let peer: SocketAddr = format!("10.0.0.{}:{}", n % 250 + 1, 4000 + n).parse().unwrap();
        self.connect_from(label, peer)
    }

    /// A world with `count` clients (`ClientId(1)` to `ClientId(count)`, labelled `c1`, `c2`
    /// ...) in `#lobby`, flood control off, room for one more; every arrival announced and
    /// summarised, so that what follows sees only its own traffic (as the benchmarks need).
    pub fn crowd(count: usize) -> Self {
        let mut sim = Self::new(Config { flood_rate: 0.0, max_clients: count + 1, ..Config::default() });
        for n in 1..=count {
            sim.connect(&format!("c{n}"));
        }
        sim.advance(Duration::from_secs(10));
        sim
    }

    /// Connects a client from `peer`.
    pub fn connect_from(&mut self, label: &str, peer: SocketAddr) -> ClientId {
        let id = ClientId(self.next_id);
        self.next_id += 1;
        self.clients.insert(id, SimClient { label: label.to_owned(), reading: true, ..SimClient::default() });
        self.input(Input::Connected { id, peer });
        id
    }

    /// Accepts a connection from `peer` that is not a client yet (a TLS handshake, say: see
    /// [`Input::Accepted`]); [`open`](Self::open) makes it one.
    pub fn accept_from(&mut self, label: &str, peer: SocketAddr) -> ClientId {
        let id = ClientId(self.next_id);
        self.next_id += 1;
        self.clients.insert(id, SimClient { label: label.to_owned(), reading: true, ..SimClient::default() });
        self.input(Input::Accepted { id, peer });
        id
    }

    /// The connection `id`, accepted with [`accept_from`](Self::accept_from), becomes a client
    /// from `peer` (its handshake is done).
    pub fn open(&mut self, id: ClientId, peer: SocketAddr) {
        if self.clients[&id].is_open() {
            self.input(Input::Connected { id, peer });
        }
    }

    /// The client sends `bytes` (one chunk). While the server does not read, they wait.
    pub fn send(&mut self, id: ClientId, bytes: impl AsRef<[u8]>) {
        let client = self.clients.get_mut(&id).expect("known client");
        if !client.can_send() {
            return;
        }
        if self.paused || !client.unsent.is_empty() {
            client.unsent.extend_from_slice(bytes.as_ref());
        } else {
            self.input(Input::Received { id, bytes: bytes.as_ref() });
        }
    }

    /// The client sends one line.
    pub fn say(&mut self, id: ClientId, line: &str) {
        self.send(id, format!("{line}\n"));
    }

    /// Connects a client labelled `name` that takes the name `name` and registers it with
    /// `password` (so it is identified as it), with passwords checked by the services (such
    /// as [`TestPasswords`]). Fails the test if the server did not take the registration.
    pub fn registered(&mut self, name: &str, password: &str) -> ClientId {
        let id = self.connect(name);
        self.say(id, &format!("/nick {name}"));
        self.say(id, &format!("/register {password}"));
        let key = name.to_lowercase();
        assert_eq!(self.server.account_of(id), Some(key.as_str()), "{:?}", self.lines(id));
        id
    }

    /// The client half-closes (`PeerGone::Closed`: it still reads until the server closes) or
    /// its connection is lost (`PeerGone::Lost`).
    pub fn disconnect(&mut self, id: ClientId, cause: PeerGone) {
        let client = self.clients.get_mut(&id).expect("known client");
        if client.can_send() {
            self.deliver_unsent(id);
            let client = self.clients.get_mut(&id).expect("known client");
            if !client.can_send() {
                return;
            }
            match cause {
                PeerGone::Closed => client.half_closed = true,
                PeerGone::Lost => client.ended = Some(Ending::Lost),
            }
            self.input(Input::Disconnected { id, cause });
        }
    }

    /// The client stops (false) or resumes (true) reading. Resuming reads everything pending.
    pub fn set_reading(&mut self, id: ClientId, reading: bool) {
        self.clients.get_mut(&id).expect("known client").reading = reading;
        if reading {
            self.read_pending(id);
        }
    }

    /// The server shuts down.
    pub fn shutdown(&mut self) {
        self.input(Input::Shutdown);
    }

    /// Lets `by` pass, firing every timeout that falls due on the way.
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while let Some(at) = self.server.poll_timeout().filter(|&at| at <= end) {
            self.now = self.now.max(at);
            self.input(Input::Timeout);
        }
        self.now = end;
        self.input(Input::Timeout);
    }

    /// Feeds one input, then steps until idle: drains every output, delivers it, and reports
    /// what reading clients read as flushed, until nothing is left to do.
    pub fn input(&mut self, input: Input<'_>) {
        self.server.handle_input(self.now, input).expect("inputs follow the API contract");
        self.drain();
        if let Some(at) = self.server.poll_timeout() {
            assert!(at > self.now, "a timeout {:?} in the past: a runtime would spin", self.now - at);
        }
    }

    fn drain(&mut self) {
        loop {
            let mut flushed: BTreeMap<ClientId, (usize, usize)> = BTreeMap::new();
            let mut blocked = Vec::new();
            let mut closed_back = Vec::new();
            let mut resumed = false;
            while let Some(output) = self.server.poll_output() {
                match output {
                    Output::Transmit { to, frame } => {
                        let client = self.clients.get_mut(&to).expect("transmit to a known client");
                        assert!(client.is_open(), "transmit to {to} after it ended: {frame:?}");
                        assert!(frame.ends_with(b"\n"), "frames are whole lines: {frame:?}");
                        client.received.extend_from_slice(&frame);
                        if client.reading {
                            let entry = flushed.entry(to).or_default();
                            entry.0 += frame.len();
                            entry.1 += 1;
                        } else {
                            client.unread += frame.len();
                            client.unread_frames += 1;
                            if client.blocked_since.is_none() {
                                client.blocked_since = Some(self.now);
                                blocked.push(to);
                            }
                        }
                    }
                    Output::Close { to } => {
                        let client = self.clients.get_mut(&to).expect("close of a known client");
                        assert!(client.is_open(), "close of {to} after it ended");
                        client.ended = Some(Ending::ClosedByServer);
                        client.unread = 0;
                        client.unread_frames = 0;
                        client.unsent.clear();
                        // A reading client sees the end of file and closes its side too.
                        if client.reading && !client.half_closed {
                            closed_back.push(to);
                        }
                    }
                    Output::Release { to } => {
                        let client = self.clients.get_mut(&to).expect("release of a known client");
                        assert_eq!(
                            client.ended,
                            Some(Ending::ClosedByServer),
                            "release of {to} before its close"
                        );
                        client.ended = Some(Ending::Released);
                    }
                    Output::PauseReading => {
                        assert!(!self.paused, "paused twice");
                        self.paused = true;
                        self.pauses += 1;
                    }
                    Output::ResumeReading => {
                        assert!(self.paused, "resumed without a pause");
                        self.paused = false;
                        resumed = true;
                    }
                    Output::Service(request) => {
                        self.requests.push((*request).clone());
                        self.services.request(*request);
                    }
                }
            }
            self.check_queues();
            let mut inputs = 0;
            while let Some(reply) = self.services.try_reply() {
                self.server.handle_input(self.now, Input::Service(reply)).unwrap();
                inputs += 1;
            }
            for (id, (bytes, frames)) in flushed {
                if self.clients[&id].is_open() {
                    self.server.handle_input(self.now, Input::Flushed { id, bytes, frames }).unwrap();
                    inputs += 1;
                }
            }
            for id in blocked {
                if self.clients[&id].is_open() {
                    self.server.handle_input(self.now, Input::Blocked { id }).unwrap();
                    inputs += 1;
                }
            }
            for id in closed_back {
                if self.clients[&id].has_socket() {
                    let cause = PeerGone::Closed;
                    self.server.handle_input(self.now, Input::Disconnected { id, cause }).unwrap();
                    inputs += 1;
                }
            }
            if resumed {
                let waiting: Vec<ClientId> =
                    self.clients.iter().filter(|(_, c)| !c.unsent.is_empty()).map(|(&id, _)| id).collect();
                for id in waiting {
                    if self.paused {
                        break;
                    }
                    self.deliver_unsent(id);
                }
            }
            if inputs == 0 {
                return;
            }
        }
    }

    /// Feeds what `id` sent while the server was not reading, unless it is paused again.
    fn deliver_unsent(&mut self, id: ClientId) {
        if self.paused {
            return;
        }
        let bytes = std::mem::take(&mut self.clients.get_mut(&id).expect("known client").unsent);
        if !bytes.is_empty() && self.clients[&id].is_open() {
            self.input(Input::Received { id, bytes: &bytes });
        }
    }

    fn read_pending(&mut self, id: ClientId) {
        let client = self.clients.get_mut(&id).expect("known client");
        let bytes = std::mem::take(&mut client.unread);
        let frames = std::mem::take(&mut client.unread_frames);
        client.blocked_since = None;
        if bytes > 0 && client.is_open() {
            self.input(Input::Flushed { id, bytes, frames });
        }
    }

    fn check_queues(&self) {
        let grace = self.config.blocked_grace;
        for (&id, client) in &self.clients {
            let stuck = client.blocked_since.is_some_and(|since| self.now >= since + grace);
            if !stuck {
                continue;
            }
            // The cap holds a client that is still here; one already on its way out (it left,
            // or the server is shutting down: it is handed what it is owed, and the notice) is
            // bounded by its close deadline instead.
            let here = self.server.name_of(id).is_some();
            if let Some(queued) = self.server.queued(id).filter(|_| here) {
                assert!(
                    queued <= self.config.max_queue,
                    "{id} is stuck with {queued} bytes queued, over the cap"
                );
            }
        }
        let memory = self.server.queued_memory();
        assert!(
            memory <= self.config.max_memory || self.paused,
            "{memory} bytes of output queued, over the budget, and reading is not paused"
        );
    }

    /// Lines received by `id`.
    pub fn lines(&self, id: ClientId) -> Vec<String> {
        self.clients[&id].lines()
    }

    /// The text of the chat lines (`<NAME> text`) received by `id`.
    pub fn said(&self, id: ClientId) -> Vec<String> {
        self.lines(id)
            .iter()
            .filter_map(|l| l.strip_prefix('<')?.split_once("> ").map(|(_, text)| text.to_owned()))
            .collect()
    }

    /// Every client's transcript, for snapshots: a header per client, the lines it received,
    /// and how its connection ended.
    pub fn transcripts(&self) -> String {
        let mut out = String::new();
        for client in self.clients.values() {
            let _ = writeln!(out, "== {} ==", client.label);
            for line in client.lines() {
                let _ = writeln!(out, "{line}");
            }
            if client.half_closed {
                out.push_str("[half-closed]\n");
            }
            match client.ended {
                Some(Ending::ClosedByServer | Ending::Released) => out.push_str("[closed by the server]\n"),
                Some(Ending::Lost) => out.push_str("[connection lost]\n"),
                None => {}
            }
            out.push('\n');
        }
        out
    }
}
