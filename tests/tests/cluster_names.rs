//! Names and accounts across three nodes sharing a real `redis-server` (started by the test on
//! a loopback port; skipped loudly only where it is not installed, never in CI), on both
//! runtimes: guest names are unique across nodes, an account registered on one node is
//! identified on another and cannot be registered again there.

use std::collections::BTreeSet;

use chat_core::Config;
use chat_tests::cluster::TestCluster;
use chat_tests::{Client, Deadline, Runtime, both_runtimes};

const NODES: usize = 3;

fn config() -> Config {
    Config { flood_rate: 0.0, ..chat_tests::config() }
}

/// Reads `client`'s lines until `wanted` comes.
fn expect(client: &mut Client, wanted: &str) {
    client.read_until(wanted, Deadline::standard(), |line| line == wanted);
}

/// The name in a welcome line.
fn welcomed_as(welcome: &str) -> String {
    let rest = welcome.strip_prefix("*** Welcome to the chat room, ").unwrap_or_default();
    rest.split(':').next().unwrap_or_default().to_owned()
}

fn guest_names_are_unique_across_nodes(runtime: Runtime) {
    let Some(cluster) = TestCluster::start(runtime, NODES, &config()) else { return };
    let mut names = BTreeSet::new();
    let mut clients = Vec::new();
    for n in 0..NODES * 3 {
        let mut client = cluster.nodes[n % NODES].connect(&format!("c{n}"));
        let name = welcomed_as(&client.expect_welcome());
        assert!(name.starts_with("guest-"), "{name}");
        assert!(names.insert(name.to_lowercase()), "{name} was given out twice");
        clients.push((n % NODES, name, client));
    }
    // A guest's name is leased like any other: another node cannot give it out.
    let (_, taken, _) = &clients[0];
    let mut other = cluster.nodes[1].join("other");
    other.send_line(&format!("/nick {taken}"));
    expect(&mut other, &format!("! The name {taken} is taken on another server; pick another."));
}

fn an_account_registered_on_one_node_is_identified_on_another(runtime: Runtime) {
    let Some(cluster) = TestCluster::start(runtime, NODES, &config()) else { return };
    let mut ann = cluster.join_as(0, "ann");
    ann.send_line("/register hunter2222");
    expect(&mut ann, "*** You registered ann: the name is yours, and you are identified.");
    ann.close();
    let mut owner = cluster.nodes[1].join("owner");
    // Identified once the name is leased: node 1 lets it go after its client has gone (the
    // owner is not identified until then, and told).
    let identified = "*** You are identified as ann.";
    let deadline = Deadline::standard();
    loop {
        owner.send_line("/identify ann hunter2222");
        let lines = owner.read_until("the answer to /identify", deadline, |line| {
            line == identified || line.starts_with("! ")
        });
        if lines.last().is_some_and(|line| line == identified) {
            break;
        }
        assert!(deadline.remaining().is_some(), "never identified: {lines:?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    owner.close();
    // Node 3 never saw the account: the name is reserved there too.
    // (The owner's node lets the name's lease go after its client has gone: asked until then.)
    let mut other = cluster.nodes[2].join("other");
    let reserved = "! The name ann is registered. If it is yours: /nick ann PASSWORD";
    let deadline = Deadline::standard();
    loop {
        other.send_line("/nick ann");
        let lines = other.read_until("the answer to /nick", deadline, |line| line.starts_with("! "));
        if lines.last().is_some_and(|line| line == reserved) {
            break;
        }
        assert!(deadline.remaining().is_some(), "never refused as registered: {lines:?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn a_private_message_reaches_its_recipient_on_another_node(runtime: Runtime) {
    let Some(cluster) = TestCluster::start(runtime, NODES, &config()) else { return };
    let mut ann = cluster.join_as(0, "ann");
    let mut bob = cluster.join_as(1, "bob");
    let mut cid = cluster.join_as(2, "cid");
    ann.send_line("/msg bob hello from node 1");
    expect(&mut bob, "*ann* hello from node 1");
    expect(&mut ann, "-> *bob* hello from node 1");
    cid.send_line("/msg ann and from node 3");
    expect(&mut ann, "*cid* and from node 3");
    cid.send_line("/msg nobody anyone?");
    expect(&mut cid, "! No one here is called nobody.");
}

fn a_name_lease_lost_with_redis_s_data_is_taken_back(runtime: Runtime) {
    let Some(mut cluster) = TestCluster::start(runtime, NODES, &config()) else { return };
    let mut ann = cluster.join_as(0, "ann");
    let mut bob = cluster.join_as(1, "bob");
    cluster.redis.restart_losing_data();
    // Node 1 finds the lease gone when it reconnects, and asks for it again: a /msg from
    // node 2 (which asks Redis who holds the name) reaches ann again, and ann is told nothing.
    let deadline = Deadline::standard();
    loop {
        bob.send_line("/msg ann are you there?");
        let lines = bob.read_until("the answer to /msg", deadline, |line| {
            line.starts_with("! ") || line == "-> *ann* are you there?"
        });
        if lines.last().is_some_and(|line| line == "-> *ann* are you there?") {
            break;
        }
        assert!(deadline.remaining().is_some(), "never reached ann again: {lines:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let lines = ann.read_until("the message", Deadline::standard(), |line| line == "*bob* are you there?");
    assert!(!lines.iter().any(|line| line.contains("no longer reserved")), "{lines:?}");
    bob.send_line("/nick ann");
    expect(&mut bob, "! The name ann is taken on another server; pick another.");
}

fn list_covers_the_rooms_of_every_node(runtime: Runtime) {
    let Some(cluster) = TestCluster::start(runtime, NODES, &config()) else { return };
    let mut ann = cluster.join_as(0, "ann");
    ann.send_line("/join #rust");
    let mut bob = cluster.join_as(1, "bob");
    bob.send_line("/join #go");
    let mut cid = cluster.join_as(2, "cid");
    // Each node publishes its rooms with its heartbeat: ask until both have.
    let deadline = Deadline::standard();
    loop {
        cid.send_line("/list");
        let lines = cid.read_until("the /list answer", deadline, |line| line.starts_with("*** Rooms"));
        let header = lines.last().cloned().unwrap_or_default();
        let mut rooms = Vec::new();
        let count: usize = header
            .split('(')
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        for _ in 0..count {
            rooms.push(cid.next_line_by(deadline));
        }
        if rooms.contains(&"*** #go (1 here)".to_owned()) && rooms.contains(&"*** #rust (1 here)".to_owned())
        {
            return;
        }
        assert!(deadline.remaining().is_some(), "/list never showed every node's rooms: {rooms:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

both_runtimes!(
    guest_names_are_unique_across_nodes,
    an_account_registered_on_one_node_is_identified_on_another,
    a_private_message_reaches_its_recipient_on_another_node,
    a_name_lease_lost_with_redis_s_data_is_taken_back,
    list_covers_the_rooms_of_every_node
);
