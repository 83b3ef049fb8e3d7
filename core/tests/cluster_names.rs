//! Names across the nodes of a cluster (`chat_core::sim::cluster`): guest names are leased
//! too, a connection is welcomed only under a name no other node holds (or told plainly when
//! the other nodes could not say), and every name in use is unique across nodes.

use std::collections::BTreeMap;
use std::time::Duration;

use chat_core::sim::cluster::ClusterSim;
use chat_core::{ClientId, Config, PeerGone};
use insta::assert_snapshot;
use proptest::prelude::*;

fn config() -> Config {
    Config { flood_rate: 0.0, ..Config::default() }
}

/// The name a client was welcomed with.
fn welcomed_as(lines: &[String]) -> String {
    let first = lines.first().expect("a welcome");
    let rest = first.strip_prefix("*** Welcome to the chat room, ").expect("the welcome comes first");
    rest.split(':').next().unwrap_or_default().to_owned()
}

#[test]
fn a_guest_name_held_on_another_node_is_skipped_before_the_welcome() {
    // The same cluster, twice (it is deterministic): the second time, another node holds the
    // guest name node 1 gives out first.
    let mut first = ClusterSim::new(2, &config());
    let ann = first.connect(0, "ann");
    let name = welcomed_as(&first.lines(0, ann));

    let mut cluster = ClusterSim::new(2, &config());
    cluster.world.hold_lease(&name.to_lowercase(), "n2");
    let ann = cluster.connect(0, "ann");
    let lines = cluster.lines(0, ann);
    let given = welcomed_as(&lines);
    assert_ne!(given, name, "{lines:#?}");
    assert!(given.starts_with("guest-"), "{lines:#?}");
    assert!(!lines.iter().any(|line| line.contains("You are now known as")), "no rename: {lines:#?}");
}

#[test]
fn lines_sent_before_the_welcome_wait_for_it_and_the_deadline_welcomes_plainly() {
    let mut cluster = ClusterSim::new(2, &config());
    cluster.world.stall_leases(true);
    let ann = cluster.connect(0, "ann");
    assert!(cluster.lines(0, ann).is_empty(), "no welcome before the lease is answered");
    cluster.say(0, ann, "/who");
    cluster.say(0, ann, "/nick ann");
    assert!(cluster.lines(0, ann).is_empty(), "held: {:#?}", cluster.lines(0, ann));
    cluster.advance(Duration::from_secs(2));
    // Node 2's guest, welcomed without its lease too, then the answers come late.
    let bob = cluster.connect(1, "bob");
    cluster.advance(Duration::from_secs(2));
    cluster.world.stall_leases(false);
    cluster.settle();
    cluster.advance(Duration::from_secs(1));
    let heads =
        [(0, ann, format!("node {}", cluster.name(0))), (1, bob, format!("node {}", cluster.name(1)))];
    assert_snapshot!(without_guest_numbers(&cluster, &heads));
}

#[test]
fn with_the_bus_down_a_connection_is_welcomed_at_once_and_told() {
    let mut cluster = ClusterSim::new(2, &config());
    cluster.advance(Duration::from_millis(100));
    cluster.set_bus_up(false);
    let ann = cluster.connect(0, "ann");
    let lines = cluster.lines(0, ann);
    assert!(lines[0].starts_with("*** Welcome to the chat room, guest-"), "{lines:#?}");
    assert!(
        lines.iter().any(|line| line.starts_with("*** The other servers did not answer in time")),
        "{lines:#?}"
    );
}

#[test]
fn one_who_leaves_before_the_welcome_holds_no_name() {
    let mut cluster = ClusterSim::new(2, &config());
    cluster.world.stall_leases(true);
    let ann = cluster.connect(0, "ann");
    cluster.nodes[0].disconnect(ann, PeerGone::Closed);
    cluster.world.stall_leases(false);
    cluster.settle();
    cluster.advance(Duration::from_secs(3));
    assert!(cluster.world.leases().is_empty(), "the late grant is given back: {:?}", cluster.world.leases());
}

#[derive(Clone, Debug)]
enum Op {
    /// A client connects to a node.
    Connect(usize),
    /// A client (by index, wrapped) asks for one of a few names.
    Nick(usize, usize),
    /// A client leaves.
    Leave(usize),
    /// Leases are answered late (`true`) or at once again.
    Stall(bool),
    /// Time passes (milliseconds).
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize).prop_map(Op::Connect),
        4 => (any::<usize>(), 0..4usize).prop_map(|(c, n)| Op::Nick(c, n)),
        1 => any::<usize>().prop_map(Op::Leave),
        1 => any::<bool>().prop_map(Op::Stall),
        2 => (0..1_500u64).prop_map(Op::Advance),
    ]
}

const NAMES: [&str; 4] = ["ann", "Ann", "bob", "cid"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the order of connections, renames and late lease answers, no two clients on
    /// any nodes hold the same name once every lease is answered (but the guests welcomed
    /// past their deadline without one, who are told).
    #[test]
    fn every_name_in_use_is_unique_across_nodes(ops in proptest::collection::vec(op(), 1..40)) {
        let mut cluster = ClusterSim::new(3, &config());
        let mut clients: Vec<(usize, ClientId)> = Vec::new();
        for op in ops {
            match op {
                Op::Connect(node) => {
                    let id = cluster.connect(node, "c");
                    clients.push((node, id));
                }
                Op::Nick(c, n) if !clients.is_empty() => {
                    let (node, id) = clients[c % clients.len()];
                    cluster.say(node, id, &format!("/nick {}", NAMES[n]));
                }
                Op::Leave(c) if !clients.is_empty() => {
                    let (node, id) = clients.remove(c % clients.len());
                    cluster.nodes[node].disconnect(id, PeerGone::Closed);
                    cluster.settle();
                }
                Op::Nick(..) | Op::Leave(_) => {}
                Op::Stall(stalled) => {
                    cluster.world.stall_leases(stalled);
                    cluster.settle();
                }
                Op::Advance(ms) => cluster.advance(Duration::from_millis(ms)),
            }
        }
        cluster.world.stall_leases(false);
        cluster.settle();
        cluster.advance(Duration::from_secs(3));
        let mut holders: BTreeMap<String, Vec<(usize, ClientId)>> = BTreeMap::new();
        for &(node, id) in &clients {
            let lines = cluster.lines(node, id);
            let unconfirmed = lines.iter().any(|line| line.starts_with("*** The other servers did not answer in time"));
            if let Some(name) = cluster.nodes[node].server.name_of(id) {
                if unconfirmed && name.starts_with("guest-") {
                    continue;
                }
                holders.entry(name.to_lowercase()).or_default().push((node, id));
            }
        }
        for (name, who) in &holders {
            prop_assert_eq!(who.len(), 1, "{} is held by {:?}", name, who);
        }
        let leases = cluster.world.leases();
        for name in holders.keys().filter(|name| !name.starts_with("guest-")) {
            prop_assert!(leases.contains_key(name), "{} is in use without its lease: {:?}", name, leases);
        }
        for name in leases.keys().filter(|name| !name.starts_with("guest-")) {
            prop_assert!(holders.contains_key(name), "the lease on {} is held for no one: {:?}", name, holders);
        }
    }
}

#[test]
fn accounts_are_one_across_nodes() {
    let mut cluster = ClusterSim::new(2, &config());
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    cluster.say(0, ann, "/register hunter22");
    cluster.nodes[0].disconnect(ann, PeerGone::Closed);
    cluster.settle();
    // Node 2 never saw the account: registering it again there is refused ...
    let bob = cluster.connect(1, "bob");
    cluster.say(1, bob, "/nick ann");
    cluster.say(1, bob, "/register other-password");
    // ... and the owner identifies there with it (a wrong password first).
    let owner = cluster.connect(1, "owner");
    cluster.say(1, owner, "/identify ann wrong-password");
    cluster.say(1, owner, "/identify ann hunter22");
    cluster.say(1, owner, "/password hunter22 hunter33");
    assert_eq!(cluster.world.accounts(), ["ann"]);
    cluster.say(1, owner, "/quit");
    // Back on node 1, the new password counts; then the account is given up everywhere.
    let again = cluster.connect(0, "again");
    cluster.say(0, again, "/identify ann hunter22");
    cluster.say(0, again, "/identify ann hunter33");
    cluster.say(0, again, "/unregister hunter33");
    assert!(cluster.world.accounts().is_empty());
    cluster.say(1, bob, "/identify ann hunter33");
    let heads = [(1, bob, "bob".to_owned()), (1, owner, "owner".to_owned()), (0, again, "again".to_owned())];
    assert_snapshot!(without_guest_numbers(&cluster, &heads));
}

#[test]
fn a_full_bridge_queue_tells_the_sender_plainly() {
    let mut cluster = ClusterSim::new(2, &config());
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    let bob = cluster.connect(1, "bob");
    cluster.advance(Duration::from_millis(400));
    cluster.world.limit_queue(2);
    cluster.set_bus_up(false);
    for n in 1..=4 {
        cluster.say(0, ann, &format!("line {n}"));
    }
    cluster.set_bus_up(true);
    let lines = cluster.lines(0, ann);
    let refused: Vec<&String> =
        lines.iter().filter(|line| line.starts_with("! Your line to #lobby was not sent")).collect();
    assert_eq!(refused.len(), 2, "{lines:#?}");
    let said = cluster.nodes[1].said(bob);
    assert_eq!(said, ["line 1", "line 2"], "what was taken is delivered, in order");
}

#[test]
fn a_connection_waiting_for_its_welcome_hears_nothing_before_it() {
    let mut cluster = ClusterSim::new(2, &config());
    let bob = cluster.connect(0, "bob");
    cluster.say(0, bob, "/nick bob");
    cluster.advance(Duration::from_millis(400));
    cluster.world.stall_leases(true);
    let ann = cluster.connect(0, "ann");
    cluster.say(0, bob, "said before ann's welcome");
    cluster.advance(Duration::from_millis(500));
    assert!(cluster.lines(0, ann).is_empty(), "{:#?}", cluster.lines(0, ann));
    cluster.world.stall_leases(false);
    cluster.settle();
    let lines = cluster.lines(0, ann);
    assert!(lines[0].starts_with("*** Welcome to the chat room, guest-"), "{lines:#?}");
}

#[test]
fn a_private_message_reaches_its_recipient_on_whichever_node() {
    let mut cluster = ClusterSim::new(3, &config());
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    let bob = cluster.connect(1, "bob");
    cluster.say(1, bob, "/nick Bob");
    let cid = cluster.connect(2, "cid");
    cluster.say(2, cid, "/nick cid");
    cluster.advance(Duration::from_millis(400));
    cluster.say(0, ann, "/msg bob hello across nodes");
    cluster.say(2, cid, "/msg BOB from the third node");
    cluster.say(1, bob, "/msg ann hi back");
    cluster.say(0, ann, "/msg nobody are you there?");
    cluster.set_bus_up(false);
    cluster.say(0, ann, "/msg bob while the bus is down");
    cluster.set_bus_up(true);
    let mut out = String::new();
    for (node, id, label) in [(0, ann, "ann"), (1, bob, "bob"), (2, cid, "cid")] {
        out.push_str(&format!("== {label} ==\n"));
        for line in cluster.lines(node, id).iter().filter(|line| line.starts_with(['*', '-', '!'])) {
            if line.starts_with("*** ") {
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_snapshot!(out);
}

#[test]
fn list_covers_every_node_s_rooms() {
    let mut cluster = ClusterSim::new(3, &config());
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    cluster.say(0, ann, "/join #rust");
    let bob = cluster.connect(1, "bob");
    cluster.say(1, bob, "/nick bob");
    cluster.say(1, bob, "/join #go");
    let bea = cluster.connect(1, "bea");
    cluster.say(1, bea, "/nick bea");
    cluster.say(1, bea, "/join #Go");
    let cid = cluster.connect(2, "cid");
    cluster.say(2, cid, "/nick cid");
    cluster.advance(Duration::from_millis(2_500));
    cluster.say(2, cid, "/list");
    // Node 2 dies: its rooms go with its heartbeat.
    cluster.crash(1);
    cluster.advance(Duration::from_secs(10));
    cluster.say(2, cid, "/list");
    let lines: Vec<String> = cluster
        .lines(2, cid)
        .into_iter()
        .filter(|line| line.starts_with("*** #") || line.starts_with("*** Rooms"))
        .collect();
    assert_snapshot!(lines.join("\n"));
}

#[test]
fn a_node_restarted_before_its_heartbeat_expired_has_its_previous_users_announced_offline() {
    let mut cluster = ClusterSim::new(2, &config());
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    let bob = cluster.connect(1, "bob");
    cluster.say(1, bob, "/nick bob");
    let bea = cluster.connect(1, "bea");
    cluster.say(1, bea, "/nick bea");
    cluster.advance(Duration::from_millis(400));
    cluster.say(0, ann, "/who");
    // Node 2 came back as a new incarnation: the bridge reports the previous one's users (bea
    // is back already under the new one: only bob is gone).
    let event =
        chat_core::BusEvent::NodeRestarted { node: cluster.name(1).to_owned(), users: vec!["bob".into()] };
    cluster.nodes[0].input(chat_core::Input::Service(chat_core::Reply::Bus(event)));
    cluster.settle();
    cluster.say(0, ann, "/who");
    let lines = cluster.lines(0, ann);
    let tail: Vec<&String> = lines.iter().rev().take(2).rev().collect();
    assert_eq!(
        tail,
        ["*** bob is offline (their server stopped responding)", "*** 2 here: ann, bea"],
        "{lines:#?}"
    );
}

#[test]
fn one_who_leaves_with_a_lease_granted_for_a_name_not_taken_yet_lets_it_go() {
    let mut cluster = ClusterSim::new(2, &config());
    let ann = cluster.connect(0, "ann");
    cluster.world.stall_leases(true);
    cluster.say(0, ann, "/nick ann");
    // The lease is granted; the read of the name's account waits.
    cluster.world.stall_leases(false);
    cluster.world.stall_leases(true);
    cluster.settle();
    assert_eq!(cluster.world.leases().get("ann").map(String::as_str), Some("n1"));
    cluster.nodes[0].disconnect(ann, PeerGone::Closed);
    cluster.settle();
    cluster.world.stall_leases(false);
    cluster.settle();
    assert!(!cluster.world.leases().contains_key("ann"), "{:?}", cluster.world.leases());
}

#[test]
fn commands_right_behind_a_nick_act_under_the_new_name() {
    let mut cluster = ClusterSim::new(2, &config());
    let bob = cluster.connect(1, "bob");
    let ann = cluster.connect(0, "ann");
    // In one read: the lease on `ann` is not answered before the next two lines are parsed.
    cluster.nodes[0].send(ann, "/nick ann\n/register hunter22\nhello from ann\n");
    cluster.settle();
    assert_eq!(
        cluster.world.accounts(),
        ["ann"],
        "registered under the name asked for: {:#?}",
        cluster.lines(0, ann)
    );
    let heard = cluster.lines(1, bob);
    assert!(heard.iter().any(|line| line.contains("ann") && line.ends_with("hello from ann")), "{heard:#?}");
    assert!(
        !heard.iter().any(|line| line.contains("guest-") && line.ends_with("hello from ann")),
        "{heard:#?}"
    );
}

/// The transcripts of the clients `(node, id, heading)`, each under `== heading ==`, with
/// every guest number written `guest-N` (guest numbers are not the point of these tests).
fn without_guest_numbers(cluster: &ClusterSim, clients: &[(usize, ClientId, String)]) -> String {
    let mut out = String::new();
    for (node, id, heading) in clients {
        out.push_str(&format!("== {heading} ==\n"));
        for line in cluster.lines(*node, *id) {
            let line = line.split(' ').map(|word| if word.starts_with("guest-") { "guest-N" } else { word });
            out.push_str(&line.collect::<Vec<_>>().join(" "));
            out.push('\n');
        }
    }
    out
}

/// Redis restarted and lost its data (no persistence) while `cluster`'s bus was down a
/// moment, shorter than a lease's time to live.
fn restart_losing_data(cluster: &mut ClusterSim) {
    cluster.set_bus_up(false);
    cluster.advance(Duration::from_secs(1));
    cluster.world.lose_leases();
    cluster.set_bus_up(true);
}

#[test]
fn a_lease_lost_with_redis_s_data_is_asked_for_again_silently() {
    let mut cluster = ClusterSim::new(2, &config());
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    restart_losing_data(&mut cluster);
    let before = cluster.lines(0, ann).len();
    cluster.advance(Duration::from_secs(3));
    assert_eq!(cluster.world.leases().get("ann").map(String::as_str), Some("n1"), "asked for again");
    let told: Vec<String> = cluster.lines(0, ann).split_off(before);
    assert!(!told.iter().any(|line| line.starts_with('!')), "nothing to tell: {told:#?}");
    let bob = cluster.connect(1, "bob");
    cluster.say(1, bob, "/nick ann");
    let lines = cluster.lines(1, bob);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("! The name ann is taken on another server; pick another.")
    );
}

#[test]
fn a_lost_lease_taken_meanwhile_is_said_truthfully_and_nick_asks_for_it_again() {
    let mut cluster = ClusterSim::new(2, &config());
    let nan = cluster.connect(0, "nan");
    cluster.say(0, nan, "/nick nan");
    restart_losing_data(&mut cluster);
    // Before node 1's heartbeat renews its leases, node 2 takes the name.
    let other = cluster.connect(1, "other");
    cluster.say(1, other, "/nick nan");
    assert_eq!(cluster.world.leases().get("nan").map(String::as_str), Some("n2"));
    cluster.advance(Duration::from_secs(3));
    let lines = cluster.lines(0, nan);
    assert_eq!(
        lines.last().map(String::as_str),
        Some(
            "! Your name nan is no longer reserved for you: the shared reservation was lost and another server has taken it since; choose another with /nick."
        ),
        "{lines:#?}"
    );
    // The other one leaves: `/nick nan` asks for the name again, and gets it.
    cluster.say(1, other, "/quit");
    cluster.say(0, nan, "/nick nan");
    let lines = cluster.lines(0, nan);
    assert_eq!(lines.last().map(String::as_str), Some("*** Your name nan is reserved for you again."));
    assert_eq!(cluster.world.leases().get("nan").map(String::as_str), Some("n1"));
    cluster.say(0, nan, "/nick nan");
    let lines = cluster.lines(0, nan);
    assert_eq!(lines.last().map(String::as_str), Some("! You are already called nan."));
}

#[test]
fn identifying_while_another_node_holds_the_name_is_refused_before_saying_identified() {
    let mut cluster = ClusterSim::new(2, &config());
    let ann = cluster.connect(0, "ann");
    cluster.say(0, ann, "/nick ann");
    cluster.say(0, ann, "/register hunter22");
    // The owner identifies on node 2 while the old connection holds the name on node 1.
    let owner = cluster.connect(1, "owner");
    let before = cluster.lines(1, owner).len();
    cluster.say(1, owner, "/identify ann hunter22");
    let told = cluster.lines(1, owner).split_off(before);
    assert_eq!(
        told,
        [
            "! You are not identified as ann: the other servers did not give you the name (another server may be using it); /identify again once it is free."
        ],
    );
    let guest = welcomed_as(&cluster.lines(1, owner));
    cluster.say(1, owner, &format!("/whois {guest}"));
    let lines = cluster.lines(1, owner);
    assert_eq!(lines.last(), Some(&format!("*** {guest}: in #lobby, a guest")), "not identified");
    // Once the old connection is gone, identifying gives the name, then says so.
    cluster.nodes[0].disconnect(ann, PeerGone::Closed);
    cluster.settle();
    let before = cluster.lines(1, owner).len();
    cluster.say(1, owner, "/identify ann hunter22");
    let told = cluster.lines(1, owner).split_off(before);
    assert_eq!(told, ["*** You are now known as ann", "*** You are identified as ann."]);
}

#[test]
fn one_renamed_before_its_arrival_comes_back_is_not_shown_its_own_arrival() {
    let mut cluster = ClusterSim::new(2, &config());
    cluster.advance(Duration::from_millis(100));
    cluster.set_bus_up(false);
    let zz = cluster.connect(0, "zz");
    let guest = welcomed_as(&cluster.lines(0, zz));
    cluster.say(0, zz, "hello");
    cluster.say(0, zz, "/nick zz");
    // The bus comes back; its reader later than its writer, which renames zz first.
    cluster.world.hold_entries(true);
    cluster.set_bus_up(true);
    assert!(cluster.lines(0, zz).contains(&"*** You are now known as zz".to_owned()));
    cluster.world.hold_entries(false);
    cluster.settle();
    let lines = cluster.lines(0, zz);
    let renamed = lines.iter().position(|line| line == "*** You are now known as zz").unwrap_or_default();
    let after = &lines[renamed..];
    assert!(!after.iter().any(|line| line.contains(&guest)), "nothing of its own as {guest}: {lines:#?}");
}
