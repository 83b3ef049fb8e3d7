//! A `Server` driven by an arbitrary sequence of events, its invariants checked after every step.
//!
//! The harness plays a well-behaved runtime: ids come from a counter and are never reused, it
//! drains `poll_output` after every input and reports at most what it was handed as flushed.
//! Clients, though, do anything: connect from colliding addresses, send arbitrary bytes or
//! commands, read slowly or never, vanish, and input keeps arriving for clients already gone.
//!
//! After every step:
//! - no output names a client that was closed or reported lost;
//! - a client that reported end of input (`PeerGone::Closed`, possibly a half-close) gets
//!   nothing new after that step but its `Close`, which must come by the grace period;
//! - `Server::queued` is what the runtime was handed and has not flushed; a client whose socket
//!   the runtime reported blocked for the grace period holds at most `max_queue`; the queued
//!   output is over `max_memory` only while reading is paused, and pauses and resumes alternate;
//! - after a client's `Close` nothing but its `Release` names it, and nothing after that;
//! - a client's own chat line (`<NAME> ...` or `* NAME ...`) never comes back to it;
//! - every frame is UTF-8, whole non-empty lines, no control character but `\n` and tab;
//! - a client's first frame is its welcome or its refusal, and nothing follows a farewell
//!   (the shutdown notice, the flood disconnection, the full-room refusal);
//! - the room holds at most `max_clients`;
//! - `poll_timeout` is never in the past (a runtime would spin).
//!
//! At the end the server is shut down; once the grace period has passed, every connection
//! must be closed and released and the server finished.

#![no_main]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use chat_core::{ClientId, Config, Input, Output, PeerGone, Server};
use chat_fuzz::{Lines, check_frame};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Event {
    /// A new connection; few distinct addresses so default names collide.
    Connect { v6: bool, port: u8 },
    /// Raw bytes from a client (an index into every id ever used, gone ones included).
    Bytes { client: u8, bytes: Vec<u8> },
    /// A well-formed line from a client, so that the fuzzer reaches every command quickly.
    Line { client: u8, line: Template },
    /// The runtime wrote up to `bytes` of what is queued for a client.
    Flush { client: u8, bytes: u16 },
    /// The runtime wrote everything queued for a client.
    FlushAll { client: u8 },
    /// A write to a client would block: its socket is full.
    Block { client: u8 },
    /// The client's side ended: end of input (a half-close, perhaps), or the connection was lost.
    Disconnect { client: u8, lost: bool },
    /// Time passes, in milliseconds.
    Wait { millis: u16 },
    /// The server is asked to stop.
    Shutdown,
}

/// Lines that exercise the commands, with arguments from small sets that collide.
#[derive(Debug, Arbitrary)]
enum Template {
    Say(Word),
    Me(Word),
    Nick(Name),
    Msg(Name, Word),
    MsgPeer(u8, Word),
    Who,
    Quit(Option<Word>),
    Help,
    Slash(Word),
    TooLong(u8),
    Burst(u8),
}

#[derive(Debug, Arbitrary)]
enum Name {
    Alice,
    AliceUpper,
    AliceDigit,
    AliceCyrillic,
    Bob,
    Long,
    Bad,
}

#[derive(Debug, Arbitrary)]
enum Word {
    Hi,
    Escape,
    Bidi,
    Tab,
    Any(String),
}

impl Name {
    fn as_str(&self) -> &'static str {
        match self {
            Name::Alice => "alice",
            Name::AliceUpper => "ALICE",
            Name::AliceDigit => "a1ice",
            Name::AliceCyrillic => "\u{430}lice",
            Name::Bob => "bob",
            Name::Long => "abcdefghijklmnopqrstuvwxyz",
            Name::Bad => "x\u{202e}y",
        }
    }
}

impl Word {
    fn as_str(&self) -> &str {
        match self {
            Word::Hi => "hi there",
            Word::Escape => "\x1b[2J\x1b]0;pwned\x07",
            Word::Bidi => "abc\u{202e}def\u{2066}",
            Word::Tab => "a\tb\rc\u{7f}\u{85}",
            Word::Any(text) => text,
        }
    }
}

impl Template {
    fn render(&self) -> Vec<u8> {
        let text = match self {
            Template::Say(word) => word.as_str().to_owned(),
            Template::Me(word) => format!("/me {}", word.as_str()),
            Template::Nick(name) => format!("/nick {}", name.as_str()),
            Template::Msg(name, word) => format!("/msg {} {}", name.as_str(), word.as_str()),
            Template::MsgPeer(port, word) => format!("/msg {} {}", peer(false, *port), word.as_str()),
            Template::Who => "/who".to_owned(),
            Template::Quit(None) => "/quit".to_owned(),
            Template::Quit(Some(word)) => format!("/quit {}", word.as_str()),
            Template::Help => "/help".to_owned(),
            Template::Slash(word) => format!("/{}", word.as_str()),
            Template::TooLong(extra) => "x".repeat(MAX_LINE + 1 + usize::from(*extra)),
            Template::Burst(lines) => "spam\n".repeat(usize::from(*lines % 64)),
        };
        let mut bytes = text.into_bytes();
        bytes.push(b'\n');
        bytes
    }
}

const WELCOME: &[u8] = b"*** Welcome to the chat room, ";
const FULL: &[u8] = b"! The server is full";
const SHUTTING_DOWN: &[u8] = b"*** Server is shutting down. Goodbye!\n";
const FLOODING: &[u8] = b"! Disconnected for flooding.\n";

const MAX_LINE: usize = 64;
const MAX_QUEUE: usize = 1024;
const MAX_MEMORY: usize = 4096;
const GRACE: Duration = Duration::from_secs(1);

fn config() -> Config {
    Config {
        max_clients: 4,
        max_line: MAX_LINE,
        flood_rate: 3.0,
        flood_burst: 5,
        flood_kick: 5,
        max_queue: MAX_QUEUE,
        soft_queue: 512,
        write_deadline: Duration::from_secs(5),
        blocked_grace: GRACE,
        max_memory: MAX_MEMORY,
        max_nick: 12,
        presence_batch_above: 2,
        presence_interval: Duration::from_secs(2),
        close_linger: Duration::from_secs(2),
        // Every peer is loopback, which the per-address limits leave alone.
        max_per_ip: 16,
        max_connects_per_ip: 32,
        connect_window: Duration::from_secs(600),
        limit_loopback: false,
        line_timeout: Duration::from_secs(30),
    }
}

fn peer(v6: bool, port: u8) -> SocketAddr {
    let ip = match v6 {
        false => IpAddr::V4(Ipv4Addr::LOCALHOST),
        true => IpAddr::V6(Ipv6Addr::LOCALHOST),
    };
    SocketAddr::new(ip, 4000 + u16::from(port % 4))
}

/// The runtime's view of the server.
struct Harness {
    server: Server,
    now: Instant,
    next_id: u64,
    /// Every id ever handed out, in order.
    ids: Vec<ClientId>,
    /// Connections the runtime still has open.
    live: BTreeSet<ClientId>,
    /// The frames (their unwritten lengths) handed to the runtime for a live connection.
    pending: BTreeMap<ClientId, VecDeque<usize>>,
    /// Since when the runtime has reported each connection's socket blocked (no write since).
    blocked: BTreeMap<ClientId, Instant>,
    /// Connections the core closed, which linger until released.
    closed: BTreeSet<ClientId>,
    /// The core asked to stop reading.
    paused: bool,
    /// Live connections that have received at least one frame.
    greeted: BTreeSet<ClientId>,
    /// Live connections that have received their last line.
    farewelled: BTreeSet<ClientId>,
    /// Live connections whose client reported end of input in an earlier step: they may only
    /// be closed now.
    half_closed: BTreeSet<ClientId>,
}

impl Harness {
    fn new() -> Self {
        let now = Instant::now();
        let server = Server::new(config(), now).expect("the config is valid");
        Self {
            server,
            now,
            next_id: 1,
            ids: Vec::new(),
            live: BTreeSet::new(),
            pending: BTreeMap::new(),
            blocked: BTreeMap::new(),
            closed: BTreeSet::new(),
            paused: false,
            greeted: BTreeSet::new(),
            farewelled: BTreeSet::new(),
            half_closed: BTreeSet::new(),
        }
    }

    fn pick(&self, index: u8) -> Option<ClientId> {
        let n = self.ids.len();
        (n > 0).then(|| self.ids[usize::from(index) % n])
    }

    fn event(&mut self, event: &Event) {
        match event {
            Event::Connect { v6, port } => {
                let id = ClientId(self.next_id);
                self.next_id += 1;
                self.ids.push(id);
                self.live.insert(id);
                self.pending.insert(id, VecDeque::new());
                self.step(Input::Connected { id, peer: peer(*v6, *port) }, None);
            }
            Event::Bytes { client, bytes } => {
                if let Some(id) = self.pick(*client) {
                    self.step(Input::Received { id, bytes }, Some(id));
                }
            }
            Event::Line { client, line } => {
                if let Some(id) = self.pick(*client) {
                    self.step(Input::Received { id, bytes: &line.render() }, Some(id));
                }
            }
            Event::Flush { client, bytes } => self.flush(*client, usize::from(*bytes)),
            Event::FlushAll { client } => self.flush(*client, usize::MAX),
            Event::Block { client } => {
                if let Some(id) = self.pick(*client) {
                    if self.pending.get(&id).is_some_and(|p| !p.is_empty()) {
                        self.blocked.entry(id).or_insert(self.now);
                    }
                    self.step(Input::Blocked { id }, None);
                }
            }
            Event::Disconnect { client, lost } => {
                if let Some(id) = self.pick(*client) {
                    let cause = if *lost { PeerGone::Lost } else { PeerGone::Closed };
                    if *lost {
                        self.forget(id);
                    }
                    self.step(Input::Disconnected { id, cause }, Some(id));
                    if !*lost && self.live.contains(&id) {
                        self.half_closed.insert(id);
                    }
                }
            }
            Event::Wait { millis } => {
                self.now += Duration::from_millis(u64::from(*millis));
                self.step(Input::Timeout, None);
            }
            Event::Shutdown => self.step(Input::Shutdown, None),
        }
    }

    fn flush(&mut self, client: u8, most: usize) {
        let Some(id) = self.pick(client) else { return };
        let (bytes, frames) = match self.pending.get_mut(&id) {
            Some(pending) => {
                let (mut bytes, mut frames) = (0, 0);
                while let Some(front) = pending.front_mut() {
                    let take = (*front).min(most - bytes);
                    bytes += take;
                    *front -= take;
                    if *front > 0 {
                        break;
                    }
                    pending.pop_front();
                    frames += 1;
                }
                (bytes, frames)
            }
            // The runtime may still report a write it made before it saw the close.
            None => (most.min(4096), 1),
        };
        if bytes > 0 {
            self.blocked.remove(&id);
        }
        self.step(Input::Flushed { id, bytes, frames }, None);
    }

    /// The connection is gone for the runtime: closed by the core, or lost.
    fn forget(&mut self, id: ClientId) {
        self.live.remove(&id);
        self.pending.remove(&id);
        self.blocked.remove(&id);
        self.closed.remove(&id);
        self.greeted.remove(&id);
        self.farewelled.remove(&id);
        self.half_closed.remove(&id);
    }

    /// Feeds one input, carries out the outputs and checks the invariants. `speaker` is the
    /// client whose lines this input may carry.
    fn step(&mut self, input: Input<'_>, speaker: Option<ClientId>) {
        let described = Described::of(&input);
        self.server.handle_input(self.now, input).expect("the harness never reuses an id");
        while let Some(output) = self.server.poll_output() {
            match output {
                Output::Transmit { to, frame } => {
                    assert!(self.live.contains(&to), "{described}: frame {frame:?} for {to}, which is gone");
                    assert!(!self.closed.contains(&to), "{described}: frame {frame:?} for {to} after its close");
                    assert!(
                        !self.half_closed.contains(&to),
                        "{described}: frame {frame:?} for {to}, which ended its input before"
                    );
                    if let Err(problem) = check_frame(&frame, Lines::OneOrMore) {
                        panic!("{described}: {problem}: {frame:?} for {to}");
                    }
                    let chat = frame.starts_with(b"<") || frame.starts_with(b"* ");
                    assert!(!(chat && speaker == Some(to)), "{described}: {to} got its own line {frame:?}");
                    self.pending.get_mut(&to).expect("live ids have a queue").push_back(frame.len());
                    assert!(
                        !self.farewelled.contains(&to),
                        "{described}: {frame:?} for {to} after its farewell"
                    );
                    let welcome = frame.starts_with(WELCOME);
                    if self.greeted.insert(to) {
                        let refusal = frame.starts_with(FULL) || frame[..] == *SHUTTING_DOWN;
                        assert!(welcome || refusal, "{described}: {to}'s first frame is {frame:?}");
                    } else {
                        assert!(!welcome, "{described}: a second welcome for {to}: {frame:?}");
                    }
                    if [FULL, SHUTTING_DOWN, FLOODING].iter().any(|farewell| frame.starts_with(farewell)) {
                        self.farewelled.insert(to);
                    }
                }
                Output::Close { to } => {
                    assert!(self.live.contains(&to), "{described}: close for {to}, which is gone");
                    assert!(self.closed.insert(to), "{described}: a second close for {to}");
                    // The runtime drops what was queued.
                    self.pending.insert(to, VecDeque::new());
                    self.blocked.remove(&to);
                }
                Output::Release { to } => {
                    assert!(self.closed.contains(&to), "{described}: release of {to}, which was not closed");
                    self.forget(to);
                }
                Output::PauseReading => {
                    assert!(!self.paused, "{described}: paused twice");
                    self.paused = true;
                }
                Output::ResumeReading => {
                    assert!(self.paused, "{described}: resumed without a pause");
                    self.paused = false;
                }
            }
        }
        for &id in &self.ids {
            if let Some(queued) = self.server.queued(id) {
                let pending = self.pending.get(&id).map(|p| p.iter().sum::<usize>());
                assert_eq!(Some(queued), pending, "{described}: queued for {id} vs the runtime's count");
                let stuck = self.blocked.get(&id).is_some_and(|&since| self.now >= since + GRACE);
                assert!(!stuck || queued <= MAX_QUEUE, "{described}: {id} is stuck with {queued} bytes queued");
            }
        }
        let memory = self.server.queued_memory();
        assert!(memory <= MAX_MEMORY || self.paused, "{described}: {memory} bytes queued and reading not paused");
        let count = self.server.client_count();
        assert!(count <= config().max_clients, "{described}: {count} clients in the room");
        if let Some(at) = self.server.poll_timeout() {
            assert!(at > self.now, "{described}: a timeout {:?} in the past", self.now - at);
        }
    }
}

/// What an input was, for failure messages (without copying its bytes on every step).
#[derive(Clone, Copy)]
struct Described {
    kind: &'static str,
    id: Option<ClientId>,
}

impl Described {
    fn of(input: &Input<'_>) -> Self {
        let (kind, id) = match *input {
            Input::Connected { id, .. } => ("Connected", Some(id)),
            Input::Received { id, .. } => ("Received", Some(id)),
            Input::Flushed { id, .. } => ("Flushed", Some(id)),
            Input::Blocked { id } => ("Blocked", Some(id)),
            Input::Disconnected { id, .. } => ("Disconnected", Some(id)),
            Input::Timeout => ("Timeout", None),
            Input::Shutdown => ("Shutdown", None),
        };
        Self { kind, id }
    }
}

impl std::fmt::Display for Described {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.id {
            Some(id) => write!(f, "after {} of {id}", self.kind),
            None => write!(f, "after {}", self.kind),
        }
    }
}

fuzz_target!(|events: Vec<Event>| {
    let mut harness = Harness::new();
    for event in &events {
        harness.event(event);
    }
    harness.step(Input::Shutdown, None);
    harness.now += config().close_linger;
    harness.step(Input::Timeout, None);
    assert!(harness.live.is_empty(), "still open or unreleased after the grace period: {:?}", harness.live);
    assert!(harness.server.is_finished(), "not finished after shutdown and the grace period");
});
