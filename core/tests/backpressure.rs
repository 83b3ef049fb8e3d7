//! Slow clients, the memory budget, pausing reads, flood control after a stall, and lingering,
//! on the simulated clock (issue 9, items 1, 2 and 4, and the lingering moved into the core).

use std::time::Duration;

use chat_core::sim::{Ending, Sim};
use chat_core::{Config, Output, PeerGone};

#[test]
fn a_reader_whose_socket_keeps_taking_bytes_is_never_dropped_however_big_its_backlog() {
    let mut sim =
        Sim::new(Config { flood_rate: 0.0, max_queue: 16 << 10, soft_queue: 4 << 10, ..Config::default() });
    let sender = sim.connect("sender");
    let reader = sim.connect("reader");
    let long = "x".repeat(1000);
    let mut expected = Vec::new();
    // The server is far ahead of the reader: 100 KiB queued, six times the hard limit. The
    // socket is full most of the time but takes bytes every half second, for 20 s.
    for round in 0..40 {
        sim.set_reading(reader, false);
        for i in 0..100 {
            let line = format!("{round}.{i} {long}");
            sim.say(sender, &line);
            expected.push(line);
        }
        sim.advance(Duration::from_millis(500));
        sim.set_reading(reader, true);
    }
    assert!(sim.clients[&reader].is_open(), "the reader was dropped");
    assert_eq!(sim.said(reader), expected, "every line, once, in order");
}

#[test]
fn a_client_stuck_past_the_write_deadline_over_the_soft_limit_is_dropped() {
    let mut sim = Sim::new(Config { flood_rate: 0.0, soft_queue: 4 << 10, ..Config::default() });
    let sender = sim.connect("sender");
    let reader = sim.connect("reader");
    let sleeper = sim.connect("sleeper");
    sim.set_reading(sleeper, false);
    for i in 0..10 {
        sim.say(sender, &format!("{i} {}", "y".repeat(1000)));
    }
    // Over the soft limit, under the hard one: it has until the write deadline.
    sim.advance(Duration::from_secs(9));
    assert!(sim.clients[&sleeper].is_open());
    sim.advance(Duration::from_secs(1));
    assert!(!sim.clients[&sleeper].is_open(), "dropped at the write deadline");
    assert!(sim.lines(reader).iter().any(|l| l.contains("is offline (too slow)")));
}

#[test]
fn over_the_budget_reading_pauses_then_stuck_clients_go_and_nothing_is_lost() {
    let config = Config { flood_rate: 0.0, max_queue: 16 << 10, max_memory: 64 << 10, ..Config::default() };
    let mut sim = Sim::new(config);
    let sender = sim.connect("sender");
    let reader = sim.connect("reader");
    let sleepers: Vec<_> = (0..8).map(|i| sim.connect(&format!("sleeper{i}"))).collect();
    for &id in &sleepers {
        sim.set_reading(id, false);
    }
    let mut expected = Vec::new();
    // The sleepers are parked (their room's log keeps each line once for all of them), so it
    // takes some 300 lines to go over the budget.
    for i in 0..300 {
        let line = format!("{i} {}", "z".repeat(200));
        sim.say(sender, &line);
        expected.push(line);
    }
    assert!(sim.paused, "over the budget with nobody stuck yet: reading paused");
    assert!(sim.server.queued_memory() > 48 << 10, "over the low-water mark, so still paused");
    assert!(!sim.said(reader).is_empty());
    // Once the sleepers have been stuck for the grace period they go, holding the most first,
    // and reading resumes: the lines that waited in the sender's socket go out.
    sim.advance(Duration::from_secs(1));
    assert!(!sim.paused, "reading resumed");
    assert!(sim.server.queued_memory() <= 48 << 10);
    assert!(sleepers.iter().any(|id| !sim.clients[id].is_open()));
    assert!(sim.clients[&sender].is_open() && sim.clients[&reader].is_open());
    assert_eq!(sim.said(reader), expected, "every line, once, in order");
    assert!(sim.pauses >= 1);
}

#[test]
fn a_client_within_the_rate_is_not_punished_for_a_stall_of_the_server() {
    // 2.5 lines/s against the default 3/s (burst 30), across a 20 s stall: the server paused
    // reading because a client that does not read holds more than the budget, and drops it
    // only once it has been stuck for 20 s.
    let config = Config {
        max_queue: 64 << 10,
        max_memory: 64 << 10,
        blocked_grace: Duration::from_secs(20),
        write_deadline: Duration::from_secs(20),
        ..Config::default()
    };
    let mut sim = Sim::new(config);
    let polite = sim.connect("polite");
    let reader = sim.connect("reader");
    let blaster = sim.connect("blaster");
    let sleeper = sim.connect("sleeper");
    sim.set_reading(sleeper, false);
    let mut expected = Vec::new();
    for i in 0..10 {
        let line = format!("before {i}");
        sim.say(polite, &line);
        expected.push(line);
        sim.advance(Duration::from_millis(400));
    }
    for i in 0..20 {
        sim.say(blaster, &format!("{i} {}", "b".repeat(4000)));
    }
    assert!(sim.paused, "the server stalled");
    for i in 0..50 {
        let line = format!("during {i}");
        sim.say(polite, &line);
        expected.push(line);
        sim.advance(Duration::from_millis(400));
    }
    assert!(!sim.paused, "the stall ended");
    for i in 0..10 {
        let line = format!("after {i}");
        sim.say(polite, &line);
        expected.push(line);
        sim.advance(Duration::from_millis(400));
    }
    assert!(!sim.lines(polite).iter().any(|l| l.contains("too fast")), "{:?}", sim.lines(polite));
    let from_polite: Vec<String> = sim
        .said(reader)
        .into_iter()
        .filter(|l| l.starts_with("before") || l.starts_with("during") || l.starts_with("after"))
        .collect();
    assert_eq!(from_polite, expected);
    assert!(sim.clients[&polite].is_open());
}

#[test]
fn a_flood_sent_during_a_stall_is_still_limited_to_what_the_rate_allowed() {
    let config = Config {
        max_queue: 64 << 10,
        max_memory: 64 << 10,
        blocked_grace: Duration::from_secs(10),
        ..Config::default()
    };
    let mut sim = Sim::new(config);
    let flooder = sim.connect("flooder");
    let blaster = sim.connect("blaster");
    let sleeper = sim.connect("sleeper");
    let reader = sim.connect("reader");
    sim.set_reading(sleeper, false);
    for i in 0..20 {
        sim.say(blaster, &format!("{i} {}", "b".repeat(4000)));
    }
    assert!(sim.paused);
    // 200 lines at once during a 10 s stall: 30 (the burst) + 30 (10 s at 3/s) pass.
    for i in 0..200 {
        sim.say(flooder, &format!("flood {i}"));
    }
    sim.advance(Duration::from_secs(10));
    assert!(!sim.paused);
    let passed = sim.said(reader).iter().filter(|l| l.starts_with("flood")).count();
    assert_eq!(passed, 60);
    assert!(sim.lines(flooder).iter().any(|l| l.contains("too fast")));
}

#[test]
fn a_closed_connection_lingers_until_the_client_closes_or_the_deadline() {
    let mut sim = Sim::unlimited();
    let reader = sim.connect("reader");
    let sleeper = sim.connect("sleeper");
    sim.set_reading(sleeper, false);
    // The reader quits: closed, and it closes its side at once, so its socket is released.
    sim.say(reader, "/quit");
    assert_eq!(sim.clients[&reader].ended, Some(Ending::Released));
    // The sleeper (not reading, never closing) is shut down with everyone else: closed when
    // the grace period ends, and released when the same deadline...
    sim.shutdown();
    assert!(!sim.server.is_finished());
    sim.advance(Duration::from_millis(1999));
    assert_eq!(sim.clients[&sleeper].ended, None);
    sim.advance(Duration::from_millis(1));
    assert_eq!(sim.clients[&sleeper].ended, Some(Ending::Released));
    assert!(sim.server.is_finished(), "finished once every socket is released");
}

#[test]
fn a_lingering_client_that_closes_is_released_at_once_and_input_from_it_is_ignored() {
    let mut sim = Sim::unlimited();
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    // Both arrivals are announced.
    sim.advance(Duration::from_secs(1));
    sim.set_reading(alice, false);
    sim.set_reading(alice, true);
    // Closed by the server, but it keeps sending (and does not read the end of file yet).
    sim.clients.get_mut(&alice).unwrap().reading = false;
    sim.say(alice, "/quit");
    assert_eq!(sim.clients[&alice].ended, Some(Ending::ClosedByServer));
    sim.server.handle_input(sim.now, chat_core::Input::Received { id: alice, bytes: b"more\n" }).unwrap();
    assert!(sim.server.poll_output().is_none(), "input from a closed connection is discarded");
    sim.server
        .handle_input(sim.now, chat_core::Input::Disconnected { id: alice, cause: PeerGone::Closed })
        .unwrap();
    assert_eq!(sim.server.poll_output(), Some(Output::Release { to: alice }));
    assert!(sim.lines(bob).iter().any(|l| l.contains("is offline")));
}
