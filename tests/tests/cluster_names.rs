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

/// Asks for `name` until it is granted: the node that held it lets it go after its client
/// has gone, which this side cannot see.
fn nick_until(client: &mut Client, name: &str) {
    let deadline = Deadline::standard();
    let renamed = format!("*** You are now known as {name}");
    loop {
        client.send_line(&format!("/nick {name}"));
        let lines = client
            .read_until("the answer to /nick", deadline, |line| line == renamed || line.starts_with("! "));
        if lines.last().is_some_and(|line| *line == renamed) {
            return;
        }
        assert!(deadline.remaining().is_some(), "{name} was never granted");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
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
    owner.send_line("/identify ann hunter2222");
    expect(&mut owner, "*** You are identified as ann.");
    owner.close();
    // Node 3 never saw the account: its guest may take the free name, not register it.
    let mut other = cluster.nodes[2].join("other");
    nick_until(&mut other, "ann");
    other.send_line("/register another-password");
    expect(
        &mut other,
        "! The name ann is registered on another server: /identify ann PASSWORD if it is yours.",
    );
}

both_runtimes!(
    guest_names_are_unique_across_nodes,
    an_account_registered_on_one_node_is_identified_on_another
);
