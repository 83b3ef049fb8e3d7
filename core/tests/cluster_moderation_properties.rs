//! Property tests of moderation across a cluster (`chat_core::sim::cluster`): arbitrary bans
//! (of addresses, and by name of someone on any node), unbans, kicks, topics, topic locks and messages of the day typed on any node, with bus
//! outages and time passing in between.
//!
//! Checked on every run, once the bus is back and quiet:
//! - every node is in the same state: the same bans (`/banned`), topic and lock (`/topic`)
//!   and message of the day (`/motd`), and so is a node started afterwards with an empty
//!   database;
//! - no one from an address banned is still connected, on any node;
//! - nothing was applied twice: no node stored the same change twice in a row.

use std::net::SocketAddr;
use std::time::Duration;

use chat_core::sim::cluster::ClusterSim;
use chat_core::{ClientId, Config, Record, Request};
use proptest::prelude::*;

const NODES: usize = 3;
/// The server operator of each node (and of the node started last).
const OPERATORS: [&str; 4] = ["boss", "chief", "head", "warden"];
/// Where victims connect from.
const ADDRESSES: [&str; 3] = ["192.0.2.1", "192.0.2.2", "192.0.2.3"];
const TOPICS: [&str; 2] = ["Be kind", "Rust only"];

fn config() -> Config {
    Config {
        flood_rate: 0.0,
        operators: OPERATORS.iter().map(|name| (*name).to_owned()).collect(),
        persist: true,
        ..Config::default()
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// A victim connects to a node from an address.
    Connect(usize, usize),
    /// The operator of a node bans an address, for good or for some seconds.
    Ban(usize, usize, Option<u8>),
    Unban(usize, usize),
    /// The operator of a node kicks a victim (by index).
    Kick(usize, usize),
    /// The operator of a node bans a victim by name, for some seconds.
    BanName(usize, usize, u8),
    /// The operator of a node sets the topic (`None`: clears it).
    Topic(usize, Option<usize>),
    Lock(usize, bool),
    Motd(usize, Option<usize>),
    Bus(bool),
    Advance(u64),
}

fn ops() -> impl Strategy<Value = Op> {
    let node = 0..NODES;
    prop_oneof![
        3 => (node.clone(), 0..ADDRESSES.len()).prop_map(|(n, a)| Op::Connect(n, a)),
        2 => (node.clone(), 0..ADDRESSES.len(), proptest::option::of(1..20u8)).prop_map(|(n, a, d)| Op::Ban(n, a, d)),
        1 => (node.clone(), 0..ADDRESSES.len()).prop_map(|(n, a)| Op::Unban(n, a)),
        1 => (node.clone(), 0..16usize).prop_map(|(n, v)| Op::Kick(n, v)),
        1 => (node.clone(), 0..16usize, 1..20u8).prop_map(|(n, v, d)| Op::BanName(n, v, d)),
        2 => (node.clone(), proptest::option::of(0..TOPICS.len())).prop_map(|(n, t)| Op::Topic(n, t)),
        1 => (node.clone(), any::<bool>()).prop_map(|(n, l)| Op::Lock(n, l)),
        1 => (node.clone(), proptest::option::of(0..TOPICS.len())).prop_map(|(n, t)| Op::Motd(n, t)),
        1 => any::<bool>().prop_map(Op::Bus),
        1 => (0..8000u64).prop_map(Op::Advance),
    ]
}

fn peer(address: &str, port: usize) -> SocketAddr {
    format!("{address}:{}", 5000 + port).parse().unwrap()
}

/// The operator of node `node`, registered (so identified) there.
fn operator(cluster: &mut ClusterSim, node: usize) -> ClientId {
    let id = cluster.nodes[node].connect_from(OPERATORS[node], peer("198.51.100.1", node));
    cluster.settle();
    cluster.say(node, id, &format!("/nick {}", OPERATORS[node]));
    cluster.say(node, id, "/register hunter22");
    assert!(cluster.nodes[node].server.is_server_operator(id), "{:?}", cluster.lines(node, id));
    id
}

/// What `id` of node `node` is told in answer to `line`.
fn ask(cluster: &mut ClusterSim, node: usize, id: ClientId, line: &str) -> Vec<String> {
    let before = cluster.lines(node, id).len();
    cluster.say(node, id, line);
    cluster.lines(node, id).split_off(before)
}

/// The state a node's operator sees: bans, topic, message of the day.
fn state(cluster: &mut ClusterSim, node: usize, id: ClientId) -> Vec<String> {
    ["/banned", "/topic", "/motd"].iter().flat_map(|line| ask(cluster, node, id, line)).collect()
}

/// The moderation changes node `node` stored, in order.
fn stored(cluster: &ClusterSim, node: usize) -> Vec<Record> {
    cluster.nodes[node]
        .requests
        .iter()
        .filter_map(|request| match request {
            Request::Persist(record @ (Record::Ban(_) | Record::BanLifted { .. } | Record::Motd(_))) => {
                Some(record.clone())
            }
            Request::Persist(
                record @ (Record::MotdCleared | Record::Topic { .. } | Record::TopicCleared { .. }),
            ) => Some(record.clone()),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_node_and_a_late_one_end_in_one_moderation_state(
        script in proptest::collection::vec(ops(), 1..40),
    ) {
        let mut cluster = ClusterSim::new(NODES, &config());
        let operators: Vec<ClientId> = (0..NODES).map(|node| operator(&mut cluster, node)).collect();
        cluster.advance(Duration::from_millis(400));
        // Victims: (node, id, address, name).
        let mut victims: Vec<(usize, ClientId, usize, String)> = Vec::new();
        // Each ban and message of the day says which step typed it, so two alike in a row can
        // only be one applied twice.
        for (step, op) in script.into_iter().enumerate() {
            match op {
                Op::Connect(node, address) => {
                    let name = format!("v{}", victims.len());
                    let id = cluster.nodes[node].connect_from(&name, peer(ADDRESSES[address], victims.len()));
                    cluster.settle();
                    cluster.say(node, id, &format!("/nick {name}"));
                    victims.push((node, id, address, name));
                }
                Op::Ban(node, address, seconds) => {
                    let length = seconds.map(|s| format!(" {s}s")).unwrap_or_default();
                    cluster.say(node, operators[node], &format!("/ban {}{length} step {step}", ADDRESSES[address]));
                }
                Op::Unban(node, address) => cluster.say(node, operators[node], &format!("/unban {}", ADDRESSES[address])),
                Op::Kick(node, victim) => {
                    if let Some((_, _, _, name)) = victims.get(victim) {
                        let line = format!("/kick {name}");
                        cluster.say(node, operators[node], &line);
                    }
                }
                Op::BanName(node, victim, seconds) => {
                    if let Some((_, _, _, name)) = victims.get(victim) {
                        let line = format!("/ban {name} {seconds}s step {step}");
                        cluster.say(node, operators[node], &line);
                    }
                }
                Op::Topic(node, topic) => {
                    let line = topic.map_or("/topic -".to_owned(), |t| format!("/topic {}", TOPICS[t]));
                    cluster.say(node, operators[node], &line);
                }
                Op::Lock(node, lock) => {
                    cluster.say(node, operators[node], if lock { "/topic lock" } else { "/topic unlock" });
                }
                Op::Motd(node, motd) => {
                    let line = motd.map_or("/motd -".to_owned(), |t| format!("/motd {} (step {step})", TOPICS[t]));
                    cluster.say(node, operators[node], &line);
                }
                Op::Bus(up) => cluster.set_bus_up(up),
                Op::Advance(ms) => cluster.advance(Duration::from_millis(ms)),
            }
        }
        cluster.set_bus_up(true);
        cluster.advance(Duration::from_secs(16));

        let late = cluster.add_node(&config());
        let warden = operator(&mut cluster, late);
        cluster.advance(Duration::from_millis(400));
        // Asked at one instant on every node (a ban may end meanwhile otherwise).
        let first = state(&mut cluster, 0, operators[0]);
        for (node, &id) in operators.iter().enumerate().skip(1) {
            let here = state(&mut cluster, node, id);
            prop_assert_eq!(&here, &first, "node {} differs from node 0", node);
        }
        let there = state(&mut cluster, late, warden);
        prop_assert_eq!(&there, &first, "the node started late differs");

        let bans = first.iter().filter(|line| line.contains("/32 by ")).cloned().collect::<Vec<_>>().join("\n");
        for (node, id, address, name) in &victims {
            if cluster.nodes[*node].clients[id].is_open() {
                let banned = format!("{}/32 by", ADDRESSES[*address]);
                prop_assert!(!bans.contains(&banned), "{} is still on node {} though banned: {}", name, node, bans);
            }
        }
        for node in 0..NODES {
            let records = stored(&cluster, node);
            for pair in records.windows(2) {
                prop_assert_ne!(&pair[0], &pair[1], "node {} stored a change twice: {:#?}", node, records);
            }
        }
    }
}
