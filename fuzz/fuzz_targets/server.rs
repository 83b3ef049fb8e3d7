//! A `Server` in the core's simulated world (`chat_core::sim`, the one driver of the server
//! that the tests, this target and the benchmarks share), driven by an arbitrary sequence of
//! events, its invariants checked after every step.
//!
//! The simulated world plays a well-behaved runtime and checks the API contract on every action
//! (no output names a client that is closed or released; frames are whole lines; a client stuck
//! past the grace period holds at most `max_queue`; the queued output is over the budget only
//! while reading is paused; `poll_timeout` is never in the past). Clients, though, do anything:
//! connect from colliding addresses, send arbitrary bytes or commands, move between rooms, set
//! topics, go away, ignore each other, read or stop reading, vanish, and input keeps arriving for
//! clients already gone. Accounts too: clients register, identify (with right and wrong
//! passwords, by `/identify` or `/nick NAME PASSWORD`), change passwords and give names up,
//! while the password answers (from `chat_core::sim::TestPasswords`) are held back and released
//! in any order. Clients moderate the rooms they created (and try to moderate the others),
//! `alice` moderates everywhere once identified, and the server starts with `::1` banned for
//! ten seconds, so connections from it are refused until the ban ends.
//!
//! After every step, besides the world's own checks:
//! - everything a client received is UTF-8, whole non-empty lines, no control character but
//!   tab;
//! - a client's own chat line (`<NAME> ...` or `* NAME ...`) never comes back to it live;
//! - a client's first line is its welcome or its refusal, there is one welcome, and nothing
//!   follows a farewell (the shutdown notice, the flood disconnection, the full-server refusal);
//! - the server holds at most `max_clients`;
//! - nobody but a client identified as its account holds a registered name. (That no password
//!   is echoed is checked by the core's property tests: here, bytes sent without a line ending
//!   can turn a password command into a line said to the room.)
//!
//! At the end the server is shut down; once the grace period has passed, every connection
//! must be closed and the server finished.

#![no_main]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use arbitrary::Arbitrary;
use chat_core::sim::{SIM_WALL_CLOCK_SECS, Sim, TestPasswords};
use chat_core::{AddressRange, Ban, BanTarget, ClientId, Config, PeerGone, Stored, UnixMillis};
use chat_fuzz::{Lines, check_frame};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Event {
    /// A new connection; few distinct addresses.
    Connect { v6: bool, port: u8 },
    /// Raw bytes from a client (an index into every id ever used, gone ones included).
    Bytes { client: u8, bytes: Vec<u8> },
    /// A well-formed line from a client, so that the fuzzer reaches every command quickly.
    Line { client: u8, line: Template },
    /// The client stops or starts reading (starting reads everything pending).
    Reading { client: u8, on: bool },
    /// The client's side ended: end of input (a half-close, perhaps), or the connection was lost.
    Disconnect { client: u8, lost: bool },
    /// Time passes, in milliseconds.
    Wait { millis: u16 },
    /// The server is asked to stop.
    Shutdown,
    /// Password answers are held back from now on (or not).
    HoldAnswers(bool),
    /// One held password answer is let through.
    Answer(u8),
}

/// Lines that exercise the commands, with arguments from small sets that collide.
#[derive(Debug, Arbitrary)]
enum Template {
    Say(Word),
    Me(Word),
    Nick(Name),
    Msg(Name, Word),
    Who,
    WhoIn(Room),
    Join(Room),
    Part,
    List,
    Topic(Option<Word>),
    ClearTopic,
    History(u8),
    Away(Option<Word>),
    Ignore(Name),
    Unignore(Name),
    IgnoreList,
    Quit(Option<Word>),
    Help,
    Slash(Word),
    TooLong(u8),
    Burst(u8),
    Register(Password),
    Identify(Option<Name>, Password),
    NickWithPassword(Name, Password),
    ChangePassword(Password, Password),
    Unregister(Password),
    // Moderation.
    Op(Name),
    Deop(Name),
    Kick(Name, Option<Word>),
    Ban(Target, Option<Length>, Option<Word>),
    Unban(Target),
    Banned,
    Mute(Name, Option<Length>),
    Unmute(Name),
    Motd(Option<Word>),
    ClearMotd,
    TopicLock(bool),
    Whois(Name),
}

/// Passwords: two that work, one too short to register.
#[derive(Debug, Arbitrary)]
enum Password {
    One,
    Two,
    Short,
}

/// Every password a client may type.
const PASSWORDS: [&str; 3] = ["secret-one", "secret-two", "shrt"];

impl Password {
    fn as_str(&self) -> &'static str {
        match self {
            Password::One => PASSWORDS[0],
            Password::Two => PASSWORDS[1],
            Password::Short => PASSWORDS[2],
        }
    }
}

/// What a ban names: people, the two loopback addresses, ranges, nonsense.
#[derive(Debug, Arbitrary)]
enum Target {
    Name(Name),
    V4,
    V6,
    Range,
    Everything,
    Bad,
}

/// How long a ban or mute lasts, as typed.
#[derive(Debug, Arbitrary)]
enum Length {
    Seconds(u8),
    Minutes(u8),
    Zero,
    Bad,
}

impl Target {
    fn render(&self) -> String {
        match self {
            Target::Name(name) => name.as_str().to_owned(),
            Target::V4 => "127.0.0.1".to_owned(),
            Target::V6 => "::1".to_owned(),
            Target::Range => "127.0.0.0/8".to_owned(),
            Target::Everything => "::/0".to_owned(),
            Target::Bad => "10.0.0.0/99".to_owned(),
        }
    }
}

impl Length {
    fn render(length: &Option<Length>) -> String {
        match length {
            None => String::new(),
            Some(Length::Seconds(n)) => format!(" {n}s"),
            Some(Length::Minutes(n)) => format!(" {n}m"),
            Some(Length::Zero) => " 0s".to_owned(),
            Some(Length::Bad) => " forever".to_owned(),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Name {
    Alice,
    AliceUpper,
    AliceDigit,
    AliceCyrillic,
    Bob,
    Guest,
    Long,
    Bad,
}

#[derive(Debug, Arbitrary)]
enum Room {
    Lobby,
    LobbyUpper,
    Rust,
    RustBare,
    RustCyrillic,
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
            Name::Guest => "guest-4513",
            Name::Long => "abcdefghijklmnopqrstuvwxyz",
            Name::Bad => "x\u{202e}y",
        }
    }
}

impl Room {
    fn as_str(&self) -> &'static str {
        match self {
            Room::Lobby => "#lobby",
            Room::LobbyUpper => "#LOBBY",
            Room::Rust => "#rust",
            Room::RustBare => "rust",
            Room::RustCyrillic => "#ru\u{455}t",
            Room::Long => "#abcdefghijklmnopqrstuvwxyz0123456789",
            Room::Bad => "#a\u{202e}b",
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
        let word = |word: &Option<Word>| word.as_ref().map_or(String::new(), |w| format!(" {}", w.as_str()));
        let text = match self {
            Template::Say(word) => word.as_str().to_owned(),
            Template::Me(word) => format!("/me {}", word.as_str()),
            Template::Nick(name) => format!("/nick {}", name.as_str()),
            Template::Msg(name, word) => format!("/msg {} {}", name.as_str(), word.as_str()),
            Template::Who => "/who".to_owned(),
            Template::WhoIn(room) => format!("/who {}", room.as_str()),
            Template::Join(room) => format!("/join {}", room.as_str()),
            Template::Part => "/part".to_owned(),
            Template::List => "/list".to_owned(),
            Template::Topic(topic) => format!("/topic{}", word(topic)),
            Template::ClearTopic => "/topic -".to_owned(),
            Template::History(0) => "/history".to_owned(),
            Template::History(n) => format!("/history {n}"),
            Template::Away(message) => format!("/away{}", word(message)),
            Template::Ignore(name) => format!("/ignore {}", name.as_str()),
            Template::Unignore(name) => format!("/unignore {}", name.as_str()),
            Template::IgnoreList => "/ignore".to_owned(),
            Template::Quit(reason) => format!("/quit{}", word(reason)),
            Template::Help => "/help".to_owned(),
            Template::Slash(word) => format!("/{}", word.as_str()),
            Template::TooLong(extra) => "x".repeat(MAX_LINE + 1 + usize::from(*extra)),
            Template::Burst(lines) => "spam\n".repeat(usize::from(*lines % 64)),
            Template::Op(name) => format!("/op {}", name.as_str()),
            Template::Deop(name) => format!("/deop {}", name.as_str()),
            Template::Kick(name, reason) => format!("/kick {}{}", name.as_str(), word(reason)),
            Template::Ban(target, length, reason) => {
                format!("/ban {}{}{}", target.render(), Length::render(length), word(reason))
            }
            Template::Unban(target) => format!("/unban {}", target.render()),
            Template::Banned => "/banned".to_owned(),
            Template::Mute(name, length) => format!("/mute {}{}", name.as_str(), Length::render(length)),
            Template::Unmute(name) => format!("/unmute {}", name.as_str()),
            Template::Motd(text) => format!("/motd{}", word(text)),
            Template::ClearMotd => "/motd -".to_owned(),
            Template::TopicLock(lock) => if *lock { "/topic lock" } else { "/topic unlock" }.to_owned(),
            Template::Whois(name) => format!("/whois {}", name.as_str()),
            Template::Register(password) => format!("/register {}", password.as_str()),
            Template::Identify(None, password) => format!("/identify {}", password.as_str()),
            Template::Identify(Some(name), password) => {
                format!("/identify {} {}", name.as_str(), password.as_str())
            }
            Template::NickWithPassword(name, password) => {
                format!("/nick {} {}", name.as_str(), password.as_str())
            }
            Template::ChangePassword(old, new) => format!("/password {} {}", old.as_str(), new.as_str()),
            Template::Unregister(password) => format!("/unregister {}", password.as_str()),
        };
        let mut bytes = text.into_bytes();
        bytes.push(b'\n');
        bytes
    }
}

const WELCOME: &str = "*** Welcome to the chat room, ";
const FULL: &str = "! The server is full";
const FAREWELLS: [&str; 6] = [
    "*** Server is shutting down. Goodbye!",
    "! Disconnected for flooding.",
    FULL,
    "! You are banned from this server",
    "! You are banned by ",
    "! You were kicked by ",
];

const MAX_LINE: usize = 64;

fn config() -> Config {
    Config {
        max_clients: 4,
        max_line: MAX_LINE,
        flood_rate: 3.0,
        flood_burst: 5,
        flood_kick: 5,
        max_queue: 1024,
        soft_queue: 512,
        max_memory: 8 * 1024,
        max_nick: 12,
        presence_batch_above: 2,
        history: 5,
        operators: vec!["alice".to_owned()],
        ..Config::default()
    }
}

fn peer(v6: bool, port: u8) -> SocketAddr {
    let ip = match v6 {
        false => IpAddr::V4(Ipv4Addr::LOCALHOST),
        true => IpAddr::V6(Ipv6Addr::LOCALHOST),
    };
    SocketAddr::new(ip, 4000 + u16::from(port % 4))
}

/// The simulated world and what has been checked of each client's stream so far.
struct Harness {
    sim: Sim,
    passwords: TestPasswords,
    /// Every id ever handed out, in order.
    ids: Vec<ClientId>,
    /// Per client: bytes of its stream already checked, and whether it was welcomed or given its
    /// farewell.
    seen: BTreeMap<ClientId, Seen>,
}

#[derive(Default)]
struct Seen {
    checked: usize,
    lines: usize,
    welcomed: bool,
    farewell: Option<String>,
}

impl Harness {
    fn pick(&self, index: u8) -> Option<ClientId> {
        let n = self.ids.len();
        (n > 0).then(|| self.ids[usize::from(index) % n])
    }

    fn event(&mut self, event: &Event) {
        let mut speaker = None;
        match event {
            Event::Connect { v6, port } => {
                let id = self.sim.connect_from(&format!("c{}", self.ids.len()), peer(*v6, *port));
                self.ids.push(id);
            }
            Event::Bytes { client, bytes } => {
                if let Some(id) = self.pick(*client) {
                    speaker = Some(id);
                    self.sim.send(id, bytes);
                }
            }
            Event::Line { client, line } => {
                if let Some(id) = self.pick(*client) {
                    speaker = Some(id);
                    self.sim.send(id, line.render());
                }
            }
            Event::Reading { client, on } => {
                if let Some(id) = self.pick(*client).filter(|id| self.sim.clients[id].is_open()) {
                    self.sim.set_reading(id, *on);
                }
            }
            Event::Disconnect { client, lost } => {
                if let Some(id) = self.pick(*client) {
                    let cause = if *lost { PeerGone::Lost } else { PeerGone::Closed };
                    self.sim.disconnect(id, cause);
                }
            }
            Event::Wait { millis } => self.sim.advance(Duration::from_millis(u64::from(*millis))),
            Event::Shutdown => self.sim.shutdown(),
            Event::HoldAnswers(on) => self.passwords.hold(*on),
            Event::Answer(index) => {
                let held = self.passwords.held();
                if held > 0 {
                    self.passwords.release(usize::from(*index) % held);
                }
                self.sim.advance(Duration::ZERO);
            }
        }
        self.check(event, speaker);
    }

    /// Checks what each client received since the last step.
    fn check(&mut self, event: &Event, speaker: Option<ClientId>) {
        for (&id, client) in &self.sim.clients {
            let seen = self.seen.entry(id).or_default();
            let new = &client.received[seen.checked..];
            if new.is_empty() {
                continue;
            }
            if let Err(problem) = check_frame(new, Lines::OneOrMore) {
                panic!("after {event:?}: {problem}: {id} received {:?}", String::from_utf8_lossy(new));
            }
            seen.checked = client.received.len();
            let text = std::str::from_utf8(new).expect("checked as UTF-8");
            for line in text.lines() {
                if let Some(farewell) = &seen.farewell {
                    panic!("after {event:?}: {id} got {line:?} after its farewell {farewell:?}");
                }
                let welcome = line.starts_with(WELCOME);
                if seen.lines == 0 {
                    let refusal = FAREWELLS.iter().any(|farewell| line.starts_with(farewell));
                    assert!(welcome || refusal, "after {event:?}: {id}'s first line is {line:?}");
                } else {
                    assert!(!welcome, "after {event:?}: a second welcome for {id}: {line:?}");
                }
                seen.welcomed |= welcome;
                seen.lines += 1;
                // Its own line, said under the name it has now. (A speaker may get others' lines
                // in the same step: a parked client is handed what it is owed when it moves or
                // changes whom it ignores.)
                let own = speaker.filter(|&speaker| speaker == id).and_then(|id| self.sim.server.name_of(id));
                let said_by_it = own.is_some_and(|name| {
                    line.strip_prefix('<').is_some_and(|rest| rest.starts_with(&format!("{name}> ")))
                        || line.strip_prefix("* ").is_some_and(|rest| rest.starts_with(&format!("{name} ")))
                });
                assert!(!said_by_it, "after {event:?}: {id} got its own line {line:?}");
                if FAREWELLS.iter().any(|farewell| line.starts_with(farewell)) {
                    seen.farewell = Some(line.to_owned());
                }
            }
        }
        for &id in &self.ids {
            let server = &self.sim.server;
            if let Some(name) = server.name_of(id).filter(|name| server.is_registered(name)) {
                let key =
                    chat_core::protocol::Nick::parse(name, usize::MAX).map(|nick| nick.key().to_owned());
                assert_eq!(server.account_of(id), key.ok().as_deref(), "after {event:?}: {id} holds {name}");
            }
        }
        let count = self.sim.server.client_count();
        assert!(count <= config().max_clients, "after {event:?}: {count} clients in the server");
    }
}

/// What the server starts from: `::1` banned for ten seconds.
fn stored() -> Stored {
    let start = UnixMillis(SIM_WALL_CLOCK_SECS * 1_000);
    let ban = Ban {
        target: BanTarget::Addresses(AddressRange::single(IpAddr::V6(Ipv6Addr::LOCALHOST))),
        reason: "fuzzing".to_owned(),
        set_by: "root".to_owned(),
        at: start,
        expires: Some(start.saturating_add(Duration::from_secs(10))),
    };
    Stored { bans: vec![ban], ..Stored::default() }
}

fuzz_target!(|events: Vec<Event>| {
    let passwords = TestPasswords::default();
    let sim = Sim::restored(config(), Box::new(passwords.clone()), stored());
    let mut harness = Harness { sim, passwords, ids: Vec::new(), seen: BTreeMap::new() };
    for event in &events {
        harness.event(event);
    }
    harness.event(&Event::Shutdown);
    harness.sim.advance(config().close_linger * 2);
    for (id, client) in &harness.sim.clients {
        assert!(!client.has_socket(), "{id} still has a socket after the grace period");
    }
    assert!(harness.sim.server.is_finished(), "not finished after shutdown and the grace period");
});
