//! An in-memory world for the core, in the style of quinn-proto's and str0m's tests: the server,
//! its clients and a simulated clock, stepped until idle, recording what each client received.
//!
//! The harness checks the API contract on every action: nothing is ever sent to, or closed on,
//! a client that is already closed.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chat_core::{ClientId, Config, Input, Output, PeerGone, Server};

/// One simulated client.
#[derive(Debug, Default)]
pub struct SimClient {
    /// A label for transcripts.
    pub label: String,
    /// Everything the server sent it, in order.
    pub received: Vec<u8>,
    /// Bytes delivered to it but not yet read (it is not reading).
    pub unread: usize,
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
    /// The server closed it.
    ClosedByServer,
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

    /// True while the client can still send.
    pub fn can_send(&self) -> bool {
        self.is_open() && !self.half_closed
    }
}

/// The server, its clients, and the clock.
pub struct Sim {
    pub server: Server,
    pub start: Instant,
    pub now: Instant,
    pub clients: BTreeMap<ClientId, SimClient>,
    next_id: u64,
    max_queue: usize,
}

impl Sim {
    /// A world running `config`.
    pub fn new(config: Config) -> Self {
        let start = Instant::now();
        let max_queue = config.max_queue;
        let server = Server::new(config, start).expect("valid config");
        Self { server, start, now: start, clients: BTreeMap::new(), next_id: 1, max_queue }
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

    /// Connects a client from `peer`.
    pub fn connect_from(&mut self, label: &str, peer: SocketAddr) -> ClientId {
        let id = ClientId(self.next_id);
        self.next_id += 1;
        self.clients.insert(id, SimClient { label: label.to_owned(), reading: true, ..SimClient::default() });
        self.input(Input::Connected { id, peer });
        id
    }

    /// The client sends `bytes` (one chunk).
    pub fn send(&mut self, id: ClientId, bytes: impl AsRef<[u8]>) {
        if self.clients[&id].can_send() {
            self.input(Input::Received { id, bytes: bytes.as_ref() });
        }
    }

    /// The client sends one line.
    pub fn say(&mut self, id: ClientId, line: &str) {
        self.send(id, format!("{line}\n"));
    }

    /// The client half-closes (`PeerGone::Closed`: it still reads until the server closes) or
    /// its connection is lost (`PeerGone::Lost`).
    pub fn disconnect(&mut self, id: ClientId, cause: PeerGone) {
        let client = self.clients.get_mut(&id).expect("known client");
        if client.can_send() {
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
    }

    fn drain(&mut self) {
        loop {
            let mut flushed: BTreeMap<ClientId, usize> = BTreeMap::new();
            while let Some(output) = self.server.poll_output() {
                match output {
                    Output::Transmit { to, frame } => {
                        let client = self.clients.get_mut(&to).expect("transmit to a known client");
                        assert!(client.is_open(), "transmit to {to} after it ended: {frame:?}");
                        assert!(frame.ends_with(b"\n"), "frames are whole lines: {frame:?}");
                        client.received.extend_from_slice(&frame);
                        if client.reading {
                            *flushed.entry(to).or_default() += frame.len();
                        } else {
                            client.unread += frame.len();
                        }
                    }
                    Output::Close { to } => {
                        let client = self.clients.get_mut(&to).expect("close of a known client");
                        assert!(client.is_open(), "close of {to} after it ended");
                        client.ended = Some(Ending::ClosedByServer);
                    }
                }
            }
            self.check_queues();
            if flushed.is_empty() {
                return;
            }
            for (id, bytes) in flushed {
                if self.clients[&id].is_open() {
                    self.server.handle_input(self.now, Input::Flushed { id, bytes }).unwrap();
                }
            }
        }
    }

    fn read_pending(&mut self, id: ClientId) {
        let client = self.clients.get_mut(&id).expect("known client");
        let bytes = std::mem::take(&mut client.unread);
        if bytes > 0 && client.is_open() {
            self.input(Input::Flushed { id, bytes });
        }
    }

    fn check_queues(&self) {
        for &id in self.clients.keys() {
            if let Some(queued) = self.server.queued(id) {
                assert!(queued <= self.max_queue, "{id} has {queued} bytes queued, over the cap");
            }
        }
    }

    /// Lines received by `id`.
    pub fn lines(&self, id: ClientId) -> Vec<String> {
        self.clients[&id].lines()
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
                Some(Ending::ClosedByServer) => out.push_str("[closed by the server]\n"),
                Some(Ending::Lost) => out.push_str("[connection lost]\n"),
                None => {}
            }
            out.push('\n');
        }
        out
    }
}
