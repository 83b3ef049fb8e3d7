//! Property tests of moderation over arbitrary scenarios on the simulated clock:
//! - no operator action by a non-operator ever takes effect: its only trace is one refusal
//!   line to whoever tried (nothing to anyone else, nothing stored, nobody closed);
//! - a banned address never gets a welcome, and one whose bans are over always does;
//! - a ban is lifted (and stored as lifted) exactly when the simulated clock reaches its expiry.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use chat_core::kit::NoServices;
use chat_core::sim::{SIM_WALL_CLOCK_SECS, Sim};
use chat_core::{AddressRange, Ban, BanTarget, ClientId, Config, Record, Request, Stored, UnixMillis};
use proptest::prelude::*;

/// What a non-operator tries, aimed at client number `target`.
const ATTEMPTS: [&str; 13] = [
    "/kick {}",
    "/kick {} bye",
    "/op {}",
    "/deop {}",
    "/ban {} 1h",
    "/ban 10.0.0.0/8",
    "/unban {}",
    "/mute {} 10m",
    "/unmute {}",
    "/motd new rules",
    "/motd -",
    "/topic unlock",
    "/topic lock",
];

#[derive(Clone, Debug)]
enum Step {
    /// Client `c` (a non-operator) tries `ATTEMPTS[a]` on client `t`.
    Attempt {
        c: usize,
        a: usize,
        t: usize,
    },
    /// Client `c` goes to the owner's room (`true`) or back to `#lobby`.
    Move {
        c: usize,
        to_owned: bool,
    },
    /// Client `c` says something (the owner's topic lock does not stop lines).
    Say(usize),
    /// The owner locks or unlocks its room's topic, then a client tries to change it.
    Lock {
        lock: bool,
        c: usize,
    },
    Advance(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..5usize, 0..ATTEMPTS.len(), 0..6usize).prop_map(|(c, a, t)| Step::Attempt { c, a, t }),
        2 => (0..5usize, any::<bool>()).prop_map(|(c, to_owned)| Step::Move { c, to_owned }),
        1 => (0..5usize).prop_map(Step::Say),
        1 => (any::<bool>(), 0..5usize).prop_map(|(lock, c)| Step::Lock { lock, c }),
        1 => (0..2_000u64).prop_map(Step::Advance),
    ]
}

fn name(n: usize) -> String {
    if n == 5 { "owner".to_owned() } else { format!("user{n}") }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_operator_action_by_a_non_operator_takes_effect(steps in prop::collection::vec(step(), 1..60)) {
        let mut sim = Sim::new(Config { flood_rate: 0.0, persist: true, ..Config::default() });
        let users: Vec<ClientId> = (0..5).map(|n| sim.connect(&name(n))).collect();
        let owner = sim.connect("owner");
        for (n, &id) in users.iter().enumerate() {
            sim.say(id, &format!("/nick {}", name(n)));
        }
        sim.say(owner, "/nick owner");
        // The owner created #own and never makes anyone an operator; nobody else can create a
        // room (they only go to #own or #lobby), and no one is a server operator.
        sim.say(owner, "/join #own");
        sim.advance(Duration::from_secs(1));
        for step in steps {
            match step {
                Step::Attempt { c, a, t } => {
                    let before: Vec<usize> = sim.clients.values().map(|client| client.received.len()).collect();
                    let requests = sim.requests.len();
                    let line = ATTEMPTS[a].replace("{}", &name(t));
                    sim.say(users[c], &line);
                    for (i, (&id, client)) in sim.clients.iter().enumerate() {
                        let new = &client.received[before[i]..];
                        let new = String::from_utf8_lossy(new);
                        if id == users[c] {
                            prop_assert!(new.starts_with("! ") && new.matches('\n').count() == 1,
                                "{line}: {new:?}");
                        } else {
                            prop_assert!(new.is_empty(), "{line} by {} reached {}: {new:?}", name(c), client.label);
                        }
                    }
                    prop_assert_eq!(sim.requests.len(), requests, "{} stored something", line);
                }
                Step::Move { c, to_owned } => sim.say(users[c], if to_owned { "/join #own" } else { "/part" }),
                Step::Say(c) => sim.say(users[c], "hello"),
                Step::Lock { lock, c } => {
                    sim.say(owner, if lock { "/topic lock" } else { "/topic unlock" });
                    sim.say(users[c], "/join #own");
                    let before = sim.clients[&owner].received.len();
                    sim.say(users[c], "/topic changed by a user");
                    let told = String::from_utf8_lossy(&sim.clients[&owner].received[before..]).into_owned();
                    prop_assert_eq!(told.contains("set the topic"), !lock, "{}", told);
                }
                Step::Advance(ms) => sim.advance(Duration::from_millis(ms)),
            }
        }
        for (&id, client) in &sim.clients {
            prop_assert!(client.is_open(), "{} ({id}) was closed", client.label);
        }
    }
}

/// A small space of addresses, so that bans and connections meet often: 10.0.A.B, A and B < 4.
fn address() -> impl Strategy<Value = Ipv4Addr> {
    (0..4u8, 0..4u8).prop_map(|(a, b)| Ipv4Addr::new(10, 0, a, b))
}

fn ban() -> impl Strategy<Value = (Ipv4Addr, u8, Option<u64>)> {
    (address(), prop_oneof![Just(32u8), Just(24), Just(16), Just(30)], prop::option::of(1..120u64))
}

#[derive(Clone, Debug)]
enum Event {
    Connect(Ipv4Addr),
    Advance(u64),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![3 => address().prop_map(Event::Connect), 1 => (1..40_000u64).prop_map(Event::Advance)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn banned_addresses_never_get_a_welcome_and_bans_end_on_time(
        bans in prop::collection::vec(ban(), 0..6),
        events in prop::collection::vec(event(), 1..40),
    ) {
        let start = UnixMillis(SIM_WALL_CLOCK_SECS * 1_000);
        let bans: Vec<Ban> = bans
            .into_iter()
            .map(|(address, prefix, seconds)| Ban {
                target: BanTarget::Addresses(AddressRange::new(IpAddr::V4(address), prefix).unwrap()),
                reason: String::new(),
                set_by: "root".into(),
                at: start,
                expires: seconds.map(|s| start.saturating_add(Duration::from_secs(s))),
            })
            .collect();
        let mut unique = bans.clone();
        unique.sort_by(|a, b| a.target.cmp(&b.target));
        unique.dedup_by(|a, b| a.target == b.target);
        // A later ban of the same target replaces an earlier one, as stored records do.
        let kept: Vec<Ban> = unique
            .iter()
            .map(|ban| bans.iter().rev().find(|other| other.target == ban.target).unwrap().clone())
            .collect();
        let config = Config { flood_rate: 0.0, persist: true, ..Config::default() };
        let stored = Stored { bans: kept.clone(), ..Stored::default() };
        let mut sim = Sim::restored(config, Box::new(NoServices::default()), stored);
        let mut elapsed = 0u64;
        for (port, event) in events.into_iter().enumerate() {
            match event {
                Event::Connect(address) => {
                    let now = start.saturating_add(Duration::from_millis(elapsed));
                    let banned = kept.iter().any(|ban| {
                        let BanTarget::Addresses(range) = &ban.target else { return false };
                        range.contains(IpAddr::V4(address)) && ban.expires.is_none_or(|end| end > now)
                    });
                    let id = sim.connect_from("c", SocketAddr::new(IpAddr::V4(address), 1_000 + port as u16));
                    let first = sim.lines(id).into_iter().next().unwrap_or_default();
                    prop_assert_eq!(first.starts_with("*** Welcome"), !banned, "{} at +{}ms: {}", address, elapsed, first);
                    prop_assert_eq!(!sim.clients[&id].is_open(), banned);
                }
                Event::Advance(ms) => {
                    elapsed += ms;
                    sim.advance(Duration::from_millis(ms));
                    let now = start.saturating_add(Duration::from_millis(elapsed));
                    let mut lifted: Vec<BanTarget> = sim
                        .requests
                        .iter()
                        .filter_map(|request| match request {
                            Request::Persist(Record::BanLifted { target }) => Some(target.clone()),
                            _ => None,
                        })
                        .collect();
                    lifted.sort();
                    let mut due: Vec<BanTarget> = kept
                        .iter()
                        .filter(|ban| ban.expires.is_some_and(|end| end <= now))
                        .map(|ban| ban.target.clone())
                        .collect();
                    due.sort();
                    prop_assert_eq!(lifted, due, "at +{}ms", elapsed);
                }
            }
        }
    }
}
