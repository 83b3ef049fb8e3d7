//! A cluster on the simulated clock: several nodes sharing rooms through an in-memory bus
//! (`chat_core::sim::cluster`), as transcripts (insta snapshots) and properties (proptest).

use std::time::Duration;

use chat_core::sim::cluster::ClusterSim;
use chat_core::{Config, PeerGone};
use insta::assert_snapshot;

/// The moment after which a new connection's arrival has been announced.
const SETTLED: Duration = Duration::from_millis(400);

fn config() -> Config {
    Config { flood_rate: 0.0, ..Config::default() }
}

#[test]
fn a_room_spans_three_nodes() {
    let mut cluster = ClusterSim::new(3, &config());
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    let bob = cluster.connect(1, "bob");
    cluster.say(1, bob, "/nick bob");
    let cid = cluster.connect(2, "cid");
    cluster.say(2, cid, "/nick cid");
    let dan = cluster.connect(0, "dan");
    cluster.say(0, dan, "/nick dan");
    cluster.advance(SETTLED);
    cluster.say(0, ann, "hello from n1");
    cluster.say(1, bob, "hello from n2");
    cluster.say(2, cid, "/me waves from n3");
    cluster.say(2, cid, "/who");
    cluster.say(1, bob, "/nick ann");
    cluster.say(1, bob, "/nick bobby");
    cluster.say(1, bob, "/join #rust");
    cluster.say(0, ann, "/join #Rust");
    cluster.say(0, ann, "in rust");
    cluster.say(0, dan, "/list");
    cluster.say(2, cid, "/who #rust");
    // #rust is on the other nodes, not on n3: n3 says it cannot tell who is there.
    assert_eq!(
        cluster.lines(2, cid).last().map(String::as_str),
        Some("! No one on this server is in #rust, so it does not know who is there; /join it to see.")
    );
    cluster.nodes[1].disconnect(bob, PeerGone::Closed);
    cluster.settle();
    cluster.say(0, ann, "/who");
    cluster.advance(Duration::from_secs(3));
    assert_snapshot!(cluster.transcripts());
}

#[test]
fn an_outage_holds_lines_and_says_so() {
    let mut cluster = ClusterSim::new(2, &config());
    let ann = cluster.connect(0, "ann");
    let bob = cluster.connect(1, "bob");
    cluster.advance(SETTLED);
    cluster.set_bus_up(false);
    cluster.say(0, ann, "said while the bus is down");
    cluster.say(1, bob, "me too");
    assert!(
        !cluster.lines(1, bob).iter().any(|line| line.contains("said while")),
        "nothing is delivered before the bus is back"
    );
    cluster.set_bus_up(true);
    cluster.say(0, ann, "after");
    assert_snapshot!(cluster.transcripts());
}

#[test]
fn a_dead_node_s_users_are_announced_offline() {
    let mut cluster = ClusterSim::new(3, &config());
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    let bob = cluster.connect(1, "bob");
    cluster.say(1, bob, "/nick bob");
    cluster.say(1, bob, "/join #ops");
    let cid = cluster.connect(2, "cid");
    cluster.say(2, cid, "/nick cid");
    cluster.say(2, cid, "/join #ops");
    cluster.advance(SETTLED);
    cluster.crash(1);
    cluster.advance(Duration::from_secs(10));
    cluster.say(0, ann, "/who");
    cluster.say(2, cid, "/who");
    let ann_lines = cluster.lines(0, ann);
    assert!(ann_lines.iter().any(|line| line == "*** 1 here: ann"), "{ann_lines:#?}");
    // The name is free again once its holder's lease went with its node.
    cluster.say(0, ann, "/nick bob");
    assert_snapshot!(cluster.transcripts());
}

#[test]
fn the_lobby_is_read_even_with_no_one_in_it_so_newcomers_get_its_history() {
    let mut cluster = ClusterSim::new(2, &config());
    // Node 2 has started (its first input), with no one in #lobby.
    cluster.nodes[1].input(chat_core::Input::Timeout);
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    cluster.advance(SETTLED);
    cluster.say(0, ann, "said before anyone came to node 2");
    let bob = cluster.connect(1, "bob");
    cluster.say(1, bob, "/who #lobby");
    let lines = cluster.lines(1, bob);
    let replayed = lines.iter().position(|line| line.ends_with("<ann> said before anyone came to node 2"));
    let end = lines.iter().position(|line| line == "--- end of history ---");
    assert!(replayed.is_some() && replayed < end, "in the replay: {lines:#?}");
    assert_eq!(lines.iter().filter(|line| line.contains("said before")).count(), 1, "{lines:#?}");
    assert!(lines.iter().any(|line| line.starts_with("*** 2 here: ann, ")), "{lines:#?}");
}

#[test]
fn whois_of_someone_on_another_node_says_which() {
    let mut cluster = ClusterSim::new(2, &config());
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    let bob = cluster.connect(1, "bob");
    cluster.say(1, bob, "/nick bob");
    cluster.say(1, bob, "/join #rust");
    cluster.advance(SETTLED);
    for typed in ["Bob", "nobody", "ann"] {
        cluster.say(0, ann, &format!("/whois {typed}"));
    }
    let lines = cluster.lines(0, ann);
    assert_eq!(
        lines[lines.len() - 3..],
        [
            "*** Bob is on another server (n2); /whois there tells more.",
            "! No one here is called nobody.",
            "*** ann: in #lobby, a guest",
        ],
        "{lines:#?}"
    );
}

/// A private message to a name no one here holds is located through the bus; if its holder
/// arrives on this node meanwhile, it is delivered here as any other: not to one who ignores
/// the sender, and with the sender told that the recipient is away.
#[test]
fn a_private_message_to_someone_arriving_meanwhile_keeps_ignores_and_away() {
    for (then, hidden, away) in [("/ignore ann", true, false), ("/away lunch", false, true)] {
        let mut cluster = ClusterSim::new(2, &config());
        let ann = cluster.connect(0, "ann");
        cluster.say(0, ann, "/nick ann");
        cluster.world.stall_locates(true);
        cluster.say(0, ann, "/msg bob psst");
        let bob = cluster.connect(0, "bob");
        cluster.say(0, bob, "/nick bob");
        cluster.say(0, bob, then);
        cluster.world.stall_locates(false);
        cluster.settle();
        let (ann_saw, bob_saw) = (cluster.lines(0, ann), cluster.lines(0, bob));
        assert_eq!(bob_saw.iter().any(|line| line == "*ann* psst"), !hidden, "{then}: {bob_saw:#?}");
        let told_away = ann_saw.iter().any(|line| line.contains("bob is away"));
        assert_eq!(told_away, away, "{then}: {ann_saw:#?}");
    }
}
