//! Moderation across nodes sharing a real `redis-server`, on both runtimes: a ban typed on one
//! node puts out and refuses its target on another; a kick, a ban by name and a topic cross
//! nodes. A server operator is identified through the real password workers (cheap costs);
//! clients come from 127.0.0.x to look like several hosts.

use std::net::{IpAddr, Ipv4Addr};

use chat_auth::{AuthOptions, HashParams};
use chat_core::Config;
use chat_services::ServiceOptions;
use chat_tests::cluster::{TestCluster, who_until};
use chat_tests::{Client, ClientOptions, Deadline, Runtime, both_runtimes};

both_runtimes!(
    a_ban_on_one_node_puts_out_and_refuses_on_another,
    a_kick_a_ban_by_name_and_a_topic_cross_nodes
);

/// `root` is a server operator once identified.
fn config() -> Config {
    Config { operators: vec!["root".to_owned()], flood_rate: 0.0, ..chat_tests::config() }
}

/// The password workers with the cheapest argon2id costs.
fn options() -> ServiceOptions {
    let params = HashParams { memory_kib: 8, iterations: 1, parallelism: 1 };
    ServiceOptions { auth: AuthOptions { params, ..AuthOptions::default() }, ..ServiceOptions::default() }
}

fn start(runtime: Runtime, nodes: usize) -> Option<TestCluster> {
    TestCluster::start_with(runtime, nodes, &config(), &options)
}

/// A connection to node `node` from `127.0.0.N`, nothing read yet.
fn from(cluster: &TestCluster, node: usize, n: u8, label: &str) -> Client {
    let address = IpAddr::V4(Ipv4Addr::new(127, 0, 0, n));
    Client::connect_from(address, cluster.nodes[node].addr(), label, ClientOptions::default())
}

/// A client of node `node` from `127.0.0.N`, welcomed and called `name`.
fn named(cluster: &TestCluster, node: usize, n: u8, name: &str) -> Client {
    let mut client = from(cluster, node, n, name);
    client.expect_welcome();
    client.send_line(&format!("/nick {name}"));
    until(&mut client, &format!("*** You are now known as {name}"));
    client
}

/// Reads until `line`.
fn until(client: &mut Client, line: &str) {
    client.read_until(line, Deadline::standard(), |read| read == line);
}

/// `root` on node `node`, registered and so identified: a server operator.
fn root(cluster: &TestCluster, node: usize) -> Client {
    let mut root = named(cluster, node, 1, "root");
    root.send_line("/register hunter22");
    until(&mut root, "*** You registered root: the name is yours, and you are identified.");
    root
}

fn a_ban_on_one_node_puts_out_and_refuses_on_another(runtime: Runtime) {
    let Some(cluster) = start(runtime, 2) else { return };
    let mut root = root(&cluster, 0);
    let mut vic = named(&cluster, 1, 2, "vic");
    who_until(&mut root, "*** 2 here: root, vic");
    root.send_line("/ban 127.0.0.2 spam");
    until(&mut root, "*** Banned 127.0.0.2/32; 0 connections closed");
    until(&mut vic, "! You are banned by root: spam");
    vic.expect_closed();
    until(&mut root, "*** vic is offline (banned by root: spam)");
    // Refused on the other node from now on, and on this one.
    for node in [1, 0] {
        let mut again = from(&cluster, node, 2, "vic again");
        until(&mut again, "! You are banned from this server: spam");
        again.expect_closed();
    }
    // Lifted on one node, lifted on the other.
    root.send_line("/unban 127.0.0.2");
    until(&mut root, "*** Lifted the ban on 127.0.0.2/32");
    let first = first_line_until(&cluster, 1, 2, |line| line != "! You are banned from this server: spam");
    assert!(first.starts_with("*** Welcome"), "{first}");
}

/// Connects to node `node` from `127.0.0.N` until the first line it reads passes `wanted`
/// (what the other nodes do reaches this one a moment later); returns that line.
fn first_line_until(cluster: &TestCluster, node: usize, n: u8, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Deadline::standard();
    loop {
        let mut client = from(cluster, node, n, "again");
        let first = client.next_line_by(deadline);
        if wanted(&first) {
            return first;
        }
        assert!(deadline.remaining().is_some(), "node {node} never answered as wanted: {first}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn a_kick_a_ban_by_name_and_a_topic_cross_nodes(runtime: Runtime) {
    let Some(cluster) = start(runtime, 3) else { return };
    let mut root = root(&cluster, 0);
    let mut ann = named(&cluster, 1, 2, "ann");
    let mut bob = named(&cluster, 2, 3, "bob");
    for client in [&mut root, &mut ann, &mut bob] {
        who_until(client, "*** 3 here: ann, bob, root");
    }
    root.send_line("/topic Be kind");
    for client in [&mut root, &mut ann, &mut bob] {
        until(client, "*** root set the topic of #lobby: Be kind");
    }
    bob.send_line("/topic");
    until(&mut bob, "*** Topic of #lobby: Be kind");
    root.send_line("/kick ann bye");
    until(&mut ann, "! You were kicked by root: bye");
    ann.expect_closed();
    for client in [&mut root, &mut bob] {
        until(client, "*** ann is offline (kicked by root: bye)");
    }
    who_until(&mut bob, "*** 2 here: bob, root");
    // A ban by name of someone on another node: its node bans the address it came from.
    root.send_line("/ban bob 1h flooding");
    until(&mut bob, "! You are banned by root for 1h: flooding");
    bob.expect_closed();
    until(&mut root, "*** bob is offline (banned by root: flooding)");
    first_line_until(&cluster, 1, 3, |line| line.starts_with("! You are banned from this server until "));
}
