//! `Server::stats`: the numbers an operator's `/metrics` shows move with what the server does.

use std::net::SocketAddr;
use std::time::Duration;

use chat_core::sim::Sim;
use chat_core::{Config, DropReason, Input, PeerGone};

#[test]
fn lines_and_deliveries_are_counted_per_recipient() {
    let mut sim = Sim::unlimited();
    let a = sim.connect("a");
    let b = sim.connect("b");
    let c = sim.connect("c");
    sim.advance(Duration::from_secs(10));
    let before = sim.server.stats();
    assert_eq!((before.clients, before.rooms), (3, 1));
    sim.say(a, "hello");
    sim.say(b, "");
    let after = sim.server.stats();
    assert_eq!(after.lines_received - before.lines_received, 2, "blank lines count too");
    assert_eq!(after.deliveries - before.deliveries, 2, "b and c get a's line; nobody the blank one");
    assert_eq!(
        after.delivered_bytes - before.delivered_bytes,
        2 * sim.lines(c).last().unwrap().len() as u64 + 2
    );
    sim.say(c, "/join #other");
    assert_eq!(sim.server.stats().rooms, 2);
    assert_eq!(sim.server.stats().queued_bytes, 0, "everyone reads");
}

#[test]
fn drops_are_counted_by_reason() {
    let config = Config {
        flood_rate: 1.0,
        flood_burst: 2,
        flood_kick: 2,
        max_clients: 3,
        max_per_ip: 1,
        limit_loopback: true,
        ..Config::default()
    };
    let mut sim = Sim::new(config);
    let flooder = sim.connect("flooder");
    sim.send(flooder, "1\n2\n3\n4\n5\n6\n");
    assert!(!sim.clients[&flooder].is_open());
    let peer: SocketAddr = "192.0.2.7:4000".parse().unwrap();
    sim.connect_from("first", peer);
    sim.connect_from("same address", "192.0.2.7:4001".parse().unwrap());
    sim.connect("two");
    sim.connect("three");
    sim.connect("one too many");
    let drops = sim.server.stats().drops;
    assert_eq!(drops.get(DropReason::Flood), 1);
    assert_eq!(drops.get(DropReason::PerAddress), 1);
    assert_eq!(drops.get(DropReason::Full), 1);
    assert_eq!(drops.get(DropReason::Slow), 0);
}

#[test]
fn a_slow_client_dropped_is_counted() {
    let config = Config { flood_rate: 0.0, max_queue: 16 << 10, soft_queue: 4096, ..Config::default() };
    let mut sim = Sim::new(config);
    let talker = sim.connect("talker");
    let stalled = sim.connect("stalled");
    sim.set_reading(stalled, false);
    for n in 0..400 {
        sim.say(talker, &format!("line {n} {}", "x".repeat(100)));
        sim.advance(Duration::from_millis(100));
    }
    assert!(!sim.clients[&stalled].is_open(), "the stalled reader was dropped");
    assert_eq!(sim.server.stats().drops.get(DropReason::Slow), 1);
    sim.disconnect(talker, PeerGone::Closed);
    assert_eq!(sim.server.stats().drops.get(DropReason::Slow), 1, "leaving is no drop");
}

#[test]
fn timers_served_late_show_in_the_lateness_histogram() {
    let mut sim = Sim::unlimited();
    sim.connect("a");
    let due = sim.server.poll_timeout().expect("the arrival is announced later");
    assert_eq!(sim.server.stats().lateness.count(), 0);
    // The loop was busy: it serves the timer 70 ms late.
    sim.now = due + Duration::from_millis(70);
    sim.input(Input::Timeout);
    let lateness = sim.server.stats().lateness;
    assert_eq!(lateness.count(), 1);
    assert_eq!(lateness.sum(), Duration::from_millis(70));
    let bucket = lateness.buckets().find(|(_, n)| *n > 0).map(|(bound, _)| bound);
    assert_eq!(bucket, Some(Some(Duration::from_millis(100))));
    // Timers served on time count as on time.
    sim.advance(Duration::from_secs(60));
    let lateness = sim.server.stats().lateness;
    assert_eq!(lateness.sum(), Duration::from_millis(70), "{lateness:?}");
}
