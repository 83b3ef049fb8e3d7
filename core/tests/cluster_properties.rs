//! Property tests of a cluster: several nodes on one in-memory bus (`chat_core::sim::cluster`)
//! over arbitrary interleavings of lines, room moves, departures, bus outages and time.
//!
//! Checked on every run:
//! - every node delivers a room's lines in one order, the stream's: each client that stayed
//!   gets every line said in its room after it came, but its own, exactly once, in that order,
//!   also when the bus went down in between (nothing lost, nothing doubled);
//! - every line said is in the stream once;
//! - presence converges: once the bus is back and quiet, `/who` says the same on every node
//!   for every room, also when a node died without a word (its users are gone everywhere).

use std::collections::BTreeMap;
use std::time::Duration;

use chat_core::sim::cluster::ClusterSim;
use chat_core::{BusPayload, ClientId, Config, PeerGone};
use proptest::prelude::*;

const NODES: usize = 3;
const ROOMS: [&str; 3] = ["#lobby", "#a", "#b"];

fn config() -> Config {
    Config { flood_rate: 0.0, ..Config::default() }
}

#[derive(Clone, Debug)]
enum Op {
    /// A client (by index, wrapped) says a line.
    Say(usize),
    /// The bus goes down or comes back.
    Bus(bool),
    /// Time passes (milliseconds).
    Advance(u64),
}

#[derive(Clone, Debug)]
enum Move {
    Connect(usize),
    Say(usize),
    Join(usize, usize),
    Leave(usize, bool),
    Bus(bool),
    Advance(u64),
    /// A node dies without a word (at most one per run, and never the last one).
    Crash(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..64usize).prop_map(Op::Say),
        1 => any::<bool>().prop_map(Op::Bus),
        1 => (0..3000u64).prop_map(Op::Advance),
    ]
}

fn moves() -> impl Strategy<Value = Move> {
    prop_oneof![
        2 => (0..NODES).prop_map(Move::Connect),
        3 => (0..64usize).prop_map(Move::Say),
        3 => (0..64usize, 0..ROOMS.len()).prop_map(|(c, r)| Move::Join(c, r)),
        1 => (0..64usize, any::<bool>()).prop_map(|(c, lost)| Move::Leave(c, lost)),
        1 => any::<bool>().prop_map(Move::Bus),
        1 => (0..3000u64).prop_map(Move::Advance),
        1 => (0..NODES).prop_map(Move::Crash),
    ]
}

/// Brings the bus back and lets every heartbeat and notice settle (a dead node's heartbeat
/// expires, and the others' hold-off after reconnecting ends).
fn quiet(cluster: &mut ClusterSim) {
    cluster.set_bus_up(true);
    cluster.advance(Duration::from_secs(16));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_node_delivers_a_room_in_one_order_across_outages(
        per_node in proptest::collection::vec(1..4usize, NODES),
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        let mut cluster = ClusterSim::new(NODES, &config());
        let mut clients: Vec<(usize, ClientId, String)> = Vec::new();
        for (node, count) in per_node.iter().enumerate() {
            for _ in 0..*count {
                let name = format!("u{}", clients.len());
                let id = cluster.connect(node, &name);
                cluster.say(node, id, &format!("/nick {name}"));
                clients.push((node, id, name));
            }
        }
        cluster.advance(Duration::from_millis(400));
        let mut said = Vec::new();
        for op in ops {
            match op {
                Op::Say(who) => {
                    let (node, id, name) = &clients[who % clients.len()];
                    let text = format!("m{} from {name}", said.len());
                    cluster.say(*node, *id, &text);
                    said.push(text);
                }
                Op::Bus(up) => cluster.set_bus_up(up),
                Op::Advance(ms) => cluster.advance(Duration::from_millis(ms)),
            }
        }
        quiet(&mut cluster);
        let stream: Vec<(String, String)> = cluster
            .world
            .stream("#lobby")
            .into_iter()
            .filter_map(|entry| match entry.payload {
                BusPayload::Line { from, text } => Some((from, text)),
                _ => None,
            })
            .collect();
        let mut in_stream: Vec<&str> = stream.iter().map(|(_, text)| text.as_str()).collect();
        in_stream.sort_unstable();
        let mut expected: Vec<&str> = said.iter().map(String::as_str).collect();
        expected.sort_unstable();
        prop_assert_eq!(in_stream, expected, "every line said is in the stream once");
        for (node, id, name) in &clients {
            let got: Vec<String> =
                cluster.lines(*node, *id).into_iter().filter(|line| line.starts_with('<')).collect();
            let want: Vec<String> = stream
                .iter()
                .filter(|(from, _)| from != name)
                .map(|(from, text)| format!("<{from}> {text}"))
                .collect();
            prop_assert_eq!(got, want, "{} on node {}", name, node);
        }
    }

    #[test]
    fn presence_converges_on_every_node(moves in proptest::collection::vec(moves(), 1..80)) {
        let mut cluster = ClusterSim::new(NODES, &config());
        // Every client ever connected: its node, id, and whether it is still here.
        let mut clients: Vec<(usize, ClientId, bool)> = Vec::new();
        let mut crashed: Option<usize> = None;
        for step in moves {
            let live: Vec<usize> = (0..clients.len()).filter(|&i| clients[i].2).collect();
            let pick = |n: usize| (!live.is_empty()).then(|| live[n % live.len()]);
            match step {
                Move::Connect(node) if crashed == Some(node) => {}
                Move::Connect(node) => {
                    let id = cluster.connect(node, &format!("c{}", clients.len()));
                    clients.push((node, id, true));
                }
                Move::Say(n) => if let Some(i) = pick(n) {
                    let (node, id, _) = clients[i];
                    cluster.say(node, id, "hi");
                },
                Move::Join(n, room) => if let Some(i) = pick(n) {
                    let (node, id, _) = clients[i];
                    cluster.say(node, id, &format!("/join {}", ROOMS[room]));
                },
                Move::Leave(n, lost) => if let Some(i) = pick(n) {
                    let (node, id, _) = clients[i];
                    let cause = if lost { PeerGone::Lost } else { PeerGone::Closed };
                    cluster.nodes[node].disconnect(id, cause);
                    cluster.settle();
                    clients[i].2 = false;
                },
                Move::Bus(up) => cluster.set_bus_up(up),
                Move::Advance(ms) => cluster.advance(Duration::from_millis(ms)),
                Move::Crash(node) => if crashed.is_none() {
                    cluster.crash(node);
                    crashed = Some(node);
                    for client in clients.iter_mut().filter(|client| client.0 == node) {
                        client.2 = false;
                    }
                },
            }
        }
        quiet(&mut cluster);
        let mut seen: BTreeMap<&str, (String, usize)> = BTreeMap::new();
        for &(node, id, present) in &clients {
            if !present {
                continue;
            }
            for room in ROOMS {
                let before = cluster.lines(node, id).len();
                cluster.say(node, id, &format!("/who {room}"));
                let lines = cluster.lines(node, id);
                // `*** N here: ...` (its own room) or `*** N in #ROOM: ...`: the count and names.
                let answer = lines[before..].iter().find_map(|line| {
                    let (count, rest) = line.strip_prefix("*** ")?.split_once(' ')?;
                    count.parse::<usize>().ok()?;
                    let names = rest.strip_prefix("here: ").or_else(|| rest.strip_prefix(&format!("in {room}: ")))?;
                    Some(format!("{count} {names}"))
                });
                let Some(answer) = answer else { continue };
                match seen.get(room) {
                    None => { seen.insert(room, (answer, node)); }
                    Some((first, first_node)) => prop_assert_eq!(
                        &answer, first, "/who {} on node {} and node {}", room, node, first_node
                    ),
                }
            }
        }
    }
}
