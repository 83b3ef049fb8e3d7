//! Lines one client says in a row, read together, reach its room as one frame (`held_lines.rs`):
//! a property test that this changes nothing anyone receives but where frames begin and end.
//!
//! The same script is played twice on the simulated clock: once with every line of a chunk in
//! its own read (nothing can be held and joined), once with the chunk's lines in one read.
//! Chunks mix chat lines with `/me`, `/msg`, `/nick`, `/join`, `/part`, `/ignore`, `/kick`,
//! `/ban`, `/mute`, `/quit` and more, by a server operator and by everyone else; between
//! chunks, clients stop and start reading (parked by a full socket, handed what they are owed
//! later), time passes (mutes and bans end), clients arrive (history replayed) and leave, and
//! the server may shut down. Flood control is on or off (the clock is the same in both runs,
//! so its refusals and kicks are too), and lines are persisted or not.
//!
//! The same comparison runs on a cluster of two nodes sharing rooms through the in-memory bus,
//! where a line goes to the room's stream and reaches the room when it comes back: nothing is
//! held there, and the stream must hold the same entries in both runs too.
//!
//! Checked: every client receives exactly the same bytes in both runs, its connection ends
//! the same way, and the server asks its services for the same things in the same order. A
//! client whose connection ended while it was not reading is held to what it had read: what
//! was handed to it after is lost with the connection, and how much of it was handed rather
//! than kept in its room's log depends on when its full socket was reported.

use std::collections::BTreeMap;
use std::time::Duration;

use chat_core::sim::cluster::ClusterSim;
use chat_core::sim::{Sim, TestPasswords};
use chat_core::{ClientId, Config, PeerGone};
use proptest::prelude::*;

/// Clients in the world at most (the first is `root`, a server operator).
const MOST_CLIENTS: usize = 6;

/// One line of a chunk; `t` picks the client a command names.
#[derive(Clone, Copy, Debug)]
enum Said {
    Line,
    Me,
    Msg(usize),
    /// Takes its own other name (`true`) or back its first one.
    Nick(bool),
    Join(bool),
    Part,
    Ignore(usize),
    Unignore(usize),
    Kick(usize),
    Ban(usize),
    Mute(usize),
    Unmute(usize),
    Who,
    History,
    Topic,
    Away,
    Quit,
    Unknown,
    Blank,
    TooLong,
}

fn said() -> impl Strategy<Value = Said> {
    let t = 0..MOST_CLIENTS;
    prop_oneof![
        12 => Just(Said::Line),
        2 => Just(Said::Me),
        2 => t.clone().prop_map(Said::Msg),
        1 => any::<bool>().prop_map(Said::Nick),
        2 => any::<bool>().prop_map(Said::Join),
        1 => Just(Said::Part),
        1 => t.clone().prop_map(Said::Ignore),
        1 => t.clone().prop_map(Said::Unignore),
        1 => t.clone().prop_map(Said::Kick),
        1 => t.clone().prop_map(Said::Ban),
        1 => t.clone().prop_map(Said::Mute),
        1 => t.prop_map(Said::Unmute),
        1 => Just(Said::Who),
        1 => Just(Said::History),
        1 => Just(Said::Topic),
        1 => Just(Said::Away),
        1 => Just(Said::Quit),
        1 => Just(Said::Unknown),
        1 => Just(Said::Blank),
        1 => Just(Said::TooLong),
    ]
}

/// The name client number `n` takes first, and its other one.
fn name(n: usize, other: bool) -> String {
    match (n, other) {
        (0, false) => "root".to_owned(),
        (0, true) => "boss".to_owned(),
        (n, false) => format!("u{n}"),
        (n, true) => format!("w{n}"),
    }
}

/// The text of a line client `c` says as the `i`th line of step `s`.
fn text(said: Said, c: usize, s: usize, i: usize, max_line: usize) -> String {
    let tag = format!("{s}.{i}");
    match said {
        Said::Line => format!("line {tag}"),
        Said::Me => format!("/me waves {tag}"),
        Said::Msg(t) => format!("/msg {} psst {tag}", name(t, false)),
        Said::Nick(other) => format!("/nick {}", name(c, other)),
        Said::Join(a) => (if a { "/join #a" } else { "/join #b" }).to_owned(),
        Said::Part => "/part".to_owned(),
        Said::Ignore(t) => format!("/ignore {}", name(t, false)),
        Said::Unignore(t) => format!("/unignore {}", name(t, false)),
        Said::Kick(t) => format!("/kick {} go {tag}", name(t, false)),
        Said::Ban(t) => format!("/ban {} 3s {tag}", name(t, false)),
        Said::Mute(t) => format!("/mute {} 2s", name(t, false)),
        Said::Unmute(t) => format!("/unmute {}", name(t, false)),
        Said::Who => "/who".to_owned(),
        Said::History => "/history 3".to_owned(),
        Said::Topic => format!("/topic news {tag}"),
        Said::Away => format!("/away gone {tag}"),
        Said::Quit => format!("/quit bye {tag}"),
        Said::Unknown => "/frobnicate".to_owned(),
        Said::Blank => String::new(),
        Said::TooLong => "x".repeat(max_line + 5),
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// Client `c` sends these lines: one read each in the first run, one read in all in the
    /// second.
    Chunk(usize, Vec<Said>),
    SetReading(usize, bool),
    Advance(u64),
    Connect,
    Disconnect(usize, bool),
}

fn step() -> impl Strategy<Value = Step> {
    let c = 0..MOST_CLIENTS;
    prop_oneof![
        10 => (c.clone(), prop::collection::vec(said(), 1..7)).prop_map(|(c, lines)| Step::Chunk(c, lines)),
        3 => (c.clone(), any::<bool>()).prop_map(|(c, reading)| Step::SetReading(c, reading)),
        2 => (0..2_500u64).prop_map(Step::Advance),
        1 => Just(Step::Connect),
        1 => (c, any::<bool>()).prop_map(|(c, lost)| Step::Disconnect(c, lost)),
    ]
}

/// A world in which `root` is a server operator and `u1`, `u2`, `u3` are in `#lobby`, every
/// arrival announced.
fn world(config: &Config) -> (Sim, Vec<ClientId>) {
    let config = Config { operators: vec!["root".to_owned()], ..config.clone() };
    let mut sim = Sim::with_services(config, Box::new(TestPasswords::default()));
    let mut ids = vec![sim.registered("root", "rootpassword")];
    for n in 1..4 {
        let id = sim.connect(&name(n, false));
        sim.say(id, &format!("/nick {}", name(n, false)));
        ids.push(id);
    }
    sim.advance(Duration::from_secs(10));
    (sim, ids)
}

/// A run of the script: the world, and what each client whose connection ended while it was
/// not reading had read (the bytes it was handed before it stopped reading).
struct Run {
    sim: Sim,
    read_before_end: BTreeMap<ClientId, usize>,
}

/// Plays `steps`, each chunk's lines read one by one (`joined` false) or all at once.
fn play(config: &Config, steps: &[Step], shutdown: bool, joined: bool) -> Run {
    let (mut sim, mut ids) = world(config);
    // How much each client that is not reading had read when it stopped.
    let mut read = BTreeMap::new();
    let mut ended = BTreeMap::new();
    for (s, step) in steps.iter().enumerate() {
        let pick = |c: usize| ids[c % ids.len()];
        match step {
            Step::Chunk(c, lines) => {
                let (c, id) = (c % ids.len(), pick(*c));
                let lines: Vec<String> = lines
                    .iter()
                    .enumerate()
                    .map(|(i, &said)| text(said, c, s, i, config.max_line) + "\n")
                    .collect();
                if joined {
                    sim.send(id, lines.concat());
                } else {
                    for line in lines {
                        sim.send(id, line);
                    }
                }
            }
            Step::SetReading(c, reading) => {
                let id = pick(*c);
                if sim.clients[&id].is_open() {
                    if *reading {
                        read.remove(&id);
                    } else {
                        read.entry(id).or_insert(sim.clients[&id].received.len());
                    }
                    sim.set_reading(id, *reading);
                }
            }
            Step::Advance(ms) => sim.advance(Duration::from_millis(*ms)),
            Step::Connect if ids.len() < MOST_CLIENTS => {
                let n = ids.len();
                let id = sim.connect(&name(n, false));
                sim.say(id, &format!("/nick {}", name(n, false)));
                ids.push(id);
            }
            Step::Connect => {}
            Step::Disconnect(c, lost) => {
                let id = pick(*c);
                sim.disconnect(id, if *lost { PeerGone::Lost } else { PeerGone::Closed });
            }
        }
        note_ended(&sim, &read, &mut ended);
    }
    if shutdown {
        sim.shutdown();
        note_ended(&sim, &read, &mut ended);
    }
    // Whoever is still connected reads what it is owed.
    for id in ids {
        if sim.clients[&id].is_open() {
            sim.set_reading(id, true);
        }
    }
    sim.advance(Duration::from_secs(5));
    let read_before_end = ended.into_iter().filter_map(|(id, read)| Some((id, read?))).collect();
    Run { sim, read_before_end }
}

/// Notes the clients whose connection ended since the last call, with what they had read if
/// they were not reading then.
fn note_ended(sim: &Sim, read: &BTreeMap<ClientId, usize>, ended: &mut BTreeMap<ClientId, Option<usize>>) {
    for (&id, client) in &sim.clients {
        if !client.is_open() {
            ended.entry(id).or_insert_with(|| read.get(&id).copied());
        }
    }
}

/// Both runs of `steps`: every client got the same bytes, and ended the same way; the same
/// was asked of the services.
fn same_in_both(config: &Config, steps: &[Step], shutdown: bool) -> Result<(), TestCaseError> {
    let (apart, joined) = (play(config, steps, shutdown, false), play(config, steps, shutdown, true));
    let ended_stalled = apart.read_before_end;
    prop_assert_eq!(&ended_stalled, &joined.read_before_end);
    let (apart, joined) = (apart.sim, joined.sim);
    prop_assert_eq!(apart.clients.len(), joined.clients.len());
    for ((id, one), (_, other)) in apart.clients.iter().zip(&joined.clients) {
        prop_assert_eq!(one.ended, other.ended, "{} ({}) ended differently", one.label, id);
        if let Some(&read) = ended_stalled.get(id) {
            // What was handed to a connection that ended without reading it never reached
            // anyone (and whether it was handed or kept in its room's log depends on when the
            // server found its socket full): what it read before it stopped is compared.
            prop_assert_eq!(
                String::from_utf8_lossy(&one.received[..read]),
                String::from_utf8_lossy(&other.received[..read]),
                "{} ({}) read different bytes before it stopped reading",
                one.label,
                id
            );
            continue;
        }
        prop_assert_eq!(
            String::from_utf8_lossy(&one.received),
            String::from_utf8_lossy(&other.received),
            "{} ({}) received different bytes (left: lines read apart; right: together)",
            one.label,
            id
        );
        prop_assert_eq!(one.half_closed, other.half_closed);
    }
    prop_assert_eq!(&apart.requests, &joined.requests, "the services were asked different things");
    Ok(())
}

/// The configurations played: flood control on (tight, so refusals and kicks happen) or off,
/// lines persisted or not.
fn config() -> impl Strategy<Value = Config> {
    (any::<bool>(), any::<bool>()).prop_map(|(flood, persist)| Config {
        flood_rate: if flood { 2.0 } else { 0.0 },
        flood_burst: 5,
        flood_kick: 4,
        persist,
        max_line: 256,
        history: 5,
        ..Config::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn lines_read_together_change_nothing_anyone_receives(
        config in config(),
        steps in prop::collection::vec(step(), 1..40),
        shutdown in prop::bool::weighted(0.2),
    ) {
        same_in_both(&config, &steps, shutdown)?;
    }
}

/// Plays `steps` on a cluster of two nodes, each with three clients, each chunk's lines read
/// one by one (`joined` false) or all at once; the bus carries what they say after each step.
fn play_cluster(config: &Config, steps: &[Step], joined: bool) -> ClusterSim {
    let mut cluster = ClusterSim::new(2, config);
    let mut ids = Vec::new();
    for n in 0..MOST_CLIENTS {
        let node = n % 2;
        let id = cluster.connect(node, &name(n, false));
        cluster.say(node, id, &format!("/nick {}", name(n, false)));
        ids.push((node, id));
    }
    cluster.advance(Duration::from_secs(10));
    for (s, step) in steps.iter().enumerate() {
        match step {
            Step::Chunk(c, lines) => {
                let (node, id) = ids[c % ids.len()];
                let lines: Vec<String> = lines
                    .iter()
                    .enumerate()
                    .map(|(i, &said)| text(said, c % ids.len(), s, i, config.max_line) + "\n")
                    .collect();
                // The bus answers once the whole chunk is read, in both runs (else a line's
                // round trip could come back between two reads, not after one).
                cluster.set_bus_up(false);
                if joined {
                    cluster.nodes[node].send(id, lines.concat());
                } else {
                    for line in lines {
                        cluster.nodes[node].send(id, line);
                    }
                }
                cluster.set_bus_up(true);
            }
            Step::SetReading(c, reading) => {
                let (node, id) = ids[c % ids.len()];
                if cluster.nodes[node].clients[&id].is_open() {
                    cluster.nodes[node].set_reading(id, *reading);
                    cluster.settle();
                }
            }
            Step::Advance(ms) => cluster.advance(Duration::from_millis(*ms)),
            // Everyone is there from the start; leaving is covered on one node.
            Step::Connect | Step::Disconnect(..) => {}
        }
    }
    for (node, id) in ids {
        if cluster.nodes[node].clients[&id].is_open() {
            cluster.nodes[node].set_reading(id, true);
        }
    }
    cluster.advance(Duration::from_secs(5));
    cluster
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn lines_read_together_change_nothing_in_a_cluster(
        steps in prop::collection::vec(step(), 1..30),
    ) {
        let config = Config { flood_rate: 0.0, max_line: 256, ..Config::default() };
        let apart = play_cluster(&config, &steps, false);
        let joined = play_cluster(&config, &steps, true);
        for (node, (one, other)) in apart.nodes.iter().zip(&joined.nodes).enumerate() {
            for ((id, one), (_, other)) in one.clients.iter().zip(&other.clients) {
                prop_assert_eq!(
                    String::from_utf8_lossy(&one.received),
                    String::from_utf8_lossy(&other.received),
                    "{} ({} on node {}) received different bytes (left: lines read apart; right: together)",
                    one.label,
                    id,
                    node
                );
            }
        }
        for room in ["#lobby", "#a", "#b"] {
            let entries = |cluster: &ClusterSim| format!("{:?}", cluster.world.stream(room));
            prop_assert_eq!(entries(&apart), entries(&joined), "{}'s stream", room);
        }
    }
}
