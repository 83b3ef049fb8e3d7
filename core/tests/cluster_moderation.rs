//! Moderation across the nodes of a cluster, on the simulated clock (`chat_core::sim::cluster`):
//! transcripts of the notices on every node (insta snapshots) and the records each node keeps.

use std::net::SocketAddr;
use std::time::Duration;

use chat_core::sim::cluster::ClusterSim;
use chat_core::{ClientId, Config, Record, Request, SERVER_STREAM};
use insta::assert_snapshot;

/// The moment after which a new connection's arrival has been announced.
const SETTLED: Duration = Duration::from_millis(400);

/// No flood control; `boss` and `chief` server operators; records asked for.
fn config() -> Config {
    Config {
        flood_rate: 0.0,
        operators: vec!["boss".to_owned(), "chief".to_owned()],
        persist: true,
        ..Config::default()
    }
}

fn peer(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// A client of node `node` from `from`, called `name`.
fn named(cluster: &mut ClusterSim, node: usize, name: &str, from: &str) -> ClientId {
    let id = cluster.nodes[node].connect_from(name, peer(&format!("{from}:4000")));
    cluster.settle();
    cluster.say(node, id, &format!("/nick {name}"));
    id
}

/// A client of node `node` called `name`, registered (and so identified) as it.
fn registered(cluster: &mut ClusterSim, node: usize, name: &str, from: &str) -> ClientId {
    let id = named(cluster, node, name, from);
    cluster.say(node, id, "/register hunter22");
    assert!(cluster.nodes[node].server.account_of(id).is_some(), "{:?}", cluster.lines(node, id));
    id
}

/// The moderation records node `node` asked to keep (no lines, no accounts), one per line.
fn kept(cluster: &ClusterSim, node: usize) -> String {
    cluster.nodes[node]
        .requests
        .iter()
        .filter_map(|request| match request {
            Request::Persist(record) if !matches!(record, Record::Line { .. } | Record::Account(_)) => {
                Some(format!("{record:?}\n"))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn topics_kicks_and_operators_go_through_the_room() {
    let mut cluster = ClusterSim::new(2, &config());
    let root = registered(&mut cluster, 0, "boss", "198.51.100.1");
    let ann = named(&mut cluster, 0, "ann", "192.0.2.1");
    let bob = named(&mut cluster, 1, "bob", "192.0.2.2");
    let cid = named(&mut cluster, 1, "cid", "192.0.2.3");
    cluster.advance(SETTLED);
    cluster.say(0, root, "/topic Be kind");
    cluster.say(0, root, "/topic lock");
    cluster.say(1, bob, "/topic mine now");
    cluster.say(1, cid, "/topic");
    // A room operator made on another node moderates on its own.
    cluster.say(0, root, "/op bob");
    cluster.say(1, bob, "/topic Be kind, said bob");
    cluster.say(1, bob, "/kick ann spam");
    cluster.say(1, bob, "/kick cid");
    // A server operator is not kicked by a room operator of another node.
    cluster.say(1, bob, "/kick boss");
    cluster.say(0, root, "/deop bob");
    cluster.say(1, bob, "/topic unlock");
    cluster.say(0, root, "/kick nobody");
    cluster.advance(SETTLED);
    assert_snapshot!(cluster.transcripts());
    assert!(!cluster.nodes[0].clients[&ann].is_open(), "kicked from the other node");
    assert!(!cluster.nodes[1].clients[&cid].is_open());
    for node in 0..2 {
        assert_eq!(
            kept(&cluster, node),
            "Topic { room: RoomRef { key: \"#lobby\", name: \"#lobby\" }, topic: Topic { text: \"Be kind\", set_by: \"boss\", at: UnixMillis(1795874400400) } }\n\
             Topic { room: RoomRef { key: \"#lobby\", name: \"#lobby\" }, topic: Topic { text: \"Be kind, said bob\", set_by: \"bob\", at: UnixMillis(1795874400400) } }\n",
            "node {node} keeps every topic once"
        );
    }
}

#[test]
fn bans_mutes_and_the_motd_apply_on_every_node() {
    let mut cluster = ClusterSim::new(2, &config());
    let root = registered(&mut cluster, 0, "boss", "198.51.100.1");
    let dan = registered(&mut cluster, 0, "dan", "192.0.2.4");
    let bob = named(&mut cluster, 1, "bob", "192.0.2.2");
    let chief = registered(&mut cluster, 1, "chief", "198.51.100.2");
    cluster.advance(SETTLED);
    cluster.say(0, root, "/ban 192.0.2.2 1h flooding");
    cluster.say(0, root, "/motd Welcome to the cluster");
    cluster.say(0, root, "/mute dan 10m");
    cluster.say(0, dan, "can anyone hear me?");
    let again = cluster.nodes[1].connect_from("bob again", peer("192.0.2.2:5000"));
    cluster.settle();
    cluster.say(1, chief, "/banned");
    cluster.say(1, chief, "/motd");
    // dan moves to the other node: still muted there.
    cluster.nodes[0].disconnect(dan, chat_core::PeerGone::Closed);
    cluster.settle();
    // Accounts are shared: dan identifies on the other node.
    let dan2 = cluster.nodes[1].connect_from("dan", peer("192.0.2.5:4000"));
    cluster.settle();
    cluster.say(1, dan2, "/identify dan hunter22");
    assert!(cluster.nodes[1].server.account_of(dan2).is_some(), "{:?}", cluster.lines(1, dan2));
    cluster.say(1, dan2, "still me");
    cluster.say(1, chief, "/unban 192.0.2.2");
    cluster.say(1, chief, "/motd -");
    let third = cluster.nodes[0].connect_from("bob third", peer("192.0.2.2:5001"));
    cluster.settle();
    cluster.advance(SETTLED);
    assert_snapshot!(cluster.transcripts());
    assert!(!cluster.nodes[1].clients[&bob].is_open(), "put out on the other node");
    assert!(!cluster.nodes[1].clients[&again].is_open(), "refused on the other node");
    assert!(cluster.nodes[0].clients[&third].is_open(), "the ban was lifted on every node");
    let changes = cluster.world.stream(SERVER_STREAM);
    assert_eq!(changes.len(), 5, "ban, motd, mute, unban, no motd: {changes:?}");
    for node in 0..2 {
        let records: Vec<String> = kept(&cluster, node).lines().map(str::to_owned).collect();
        let bans = records.iter().filter(|r| r.starts_with("Ban(")).count();
        assert_eq!(bans, 1, "node {node} keeps the ban once: {records:#?}");
        assert!(records.iter().any(|r| r.starts_with("BanLifted")), "{records:#?}");
        assert!(records.iter().any(|r| r.starts_with("Mute(")), "{records:#?}");
        assert!(records.iter().any(|r| r == "MotdCleared"), "{records:#?}");
    }
}

#[test]
fn a_node_started_late_learns_bans_mutes_the_motd_and_the_topic() {
    let mut cluster = ClusterSim::new(1, &config());
    let root = registered(&mut cluster, 0, "boss", "198.51.100.1");
    cluster.advance(SETTLED);
    cluster.say(0, root, "/ban 192.0.2.0/24 spam wave");
    cluster.say(0, root, "/ban 203.0.113.9 1s");
    cluster.say(0, root, "/motd Read the rules");
    cluster.say(0, root, "/topic The lobby");
    cluster.say(0, root, "/topic lock");
    cluster.advance(Duration::from_secs(2));
    let late = cluster.add_node(&config());
    let refused = cluster.nodes[late].connect_from("refused", peer("192.0.2.77:5000"));
    cluster.settle();
    let welcome = cluster.nodes[late].connect_from("welcome", peer("203.0.113.9:5000"));
    cluster.advance(SETTLED);
    cluster.say(late, welcome, "/topic");
    cluster.say(late, welcome, "/topic mine");
    cluster.advance(SETTLED);
    assert_snapshot!(cluster.nodes[late].transcripts());
    assert!(!cluster.nodes[late].clients[&refused].is_open());
    assert!(cluster.nodes[late].clients[&welcome].is_open(), "the short ban is over");
}

#[test]
fn a_server_operator_bans_and_mutes_by_name_on_another_node() {
    let mut cluster = ClusterSim::new(2, &config());
    let root = registered(&mut cluster, 0, "boss", "198.51.100.1");
    let vic = named(&mut cluster, 1, "vic", "192.0.2.8");
    let dan = registered(&mut cluster, 1, "dan", "192.0.2.9");
    cluster.advance(SETTLED);
    cluster.say(0, root, "/mute vic 5m");
    cluster.say(1, vic, "hello?");
    cluster.say(0, root, "/unmute vic");
    cluster.say(1, vic, "hello!");
    cluster.say(0, root, "/unmute vic");
    cluster.say(0, root, "/ban dan 1h bye");
    cluster.say(0, root, "/banned");
    let back = cluster.nodes[0].connect_from("dan's address", peer("192.0.2.9:5000"));
    cluster.settle();
    cluster.say(0, root, "/mute nobody");
    cluster.advance(SETTLED);
    assert_snapshot!(cluster.transcripts());
    assert!(!cluster.nodes[1].clients[&dan].is_open(), "banned by name from the other node");
    assert!(!cluster.nodes[0].clients[&back].is_open(), "its address is refused everywhere");
}

#[test]
fn a_ban_resolved_on_another_node_spares_its_operator_as_on_one_node() {
    // Everyone comes from one address, as on a laptop.
    let mut cluster = ClusterSim::new(3, &config());
    let root = registered(&mut cluster, 0, "boss", "127.0.0.1");
    let ann = named(&mut cluster, 1, "ann", "127.0.0.1");
    let vic = named(&mut cluster, 2, "vic", "127.0.0.1");
    cluster.advance(SETTLED);
    cluster.say(0, root, "/ban vic 2m");
    cluster.advance(SETTLED);
    assert!(cluster.nodes[0].clients[&root].is_open(), "{:?}", cluster.lines(0, root));
    assert!(cluster.nodes[1].clients[&ann].is_open());
    assert!(cluster.nodes[2].clients[&vic].is_open());
    assert_eq!(cluster.lines(0, root).last().map(String::as_str), Some("! That ban would shut you out too."));
    assert!(cluster.world.stream(SERVER_STREAM).is_empty(), "nothing banned");
    // From an address of its own, the same ban goes through.
    let root2 = registered(&mut cluster, 0, "chief", "198.51.100.1");
    cluster.advance(SETTLED);
    cluster.say(0, root2, "/ban vic 2m");
    assert!(!cluster.nodes[2].clients[&vic].is_open(), "{:?}", cluster.lines(2, vic));
    assert!(!cluster.nodes[0].clients[&root].is_open(), "the address is banned");
    assert!(cluster.nodes[0].clients[&root2].is_open());
}

#[test]
fn a_ban_is_worded_alike_on_every_node() {
    let mut cluster = ClusterSim::new(3, &config());
    let root = registered(&mut cluster, 0, "boss", "198.51.100.1");
    let ann = named(&mut cluster, 0, "ann", "192.0.2.8");
    let bob = named(&mut cluster, 1, "bob", "192.0.2.8");
    let vic = named(&mut cluster, 2, "vic", "192.0.2.8");
    cluster.advance(SETTLED);
    // The bus takes a while: each node hears the ban a third of a second after it was typed.
    cluster.nodes[0].say(root, "/ban vic 2m");
    for node in [2, 0, 1] {
        cluster.nodes[node].advance(Duration::from_millis(300));
    }
    cluster.settle();
    for (node, id) in [(0, ann), (1, bob), (2, vic)] {
        assert!(!cluster.nodes[node].clients[&id].is_open());
        assert!(
            cluster.lines(node, id).contains(&"! You are banned by boss for 2m".to_owned()),
            "node {node}: {:?}",
            cluster.lines(node, id)
        );
    }
}
