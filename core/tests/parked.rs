//! Clients whose socket is full are parked: broadcasts skip them and their room's log keeps each
//! line once for all of them, so that thousands of clients that do not read cost the server
//! neither a queued frame per line each nor the time to queue it (issue 9 item 2, the attack's
//! stall). What they are owed is handed out, in order, when their socket takes bytes again.

use std::time::Duration;

use chat_core::sim::Sim;
use chat_core::{Config, PeerGone};

#[test]
fn clients_that_do_not_read_cost_one_logged_line_each_not_one_per_recipient() {
    let mut sim = Sim::new(Config { flood_rate: 0.0, max_clients: 300, ..Config::default() });
    let sender = sim.connect("sender");
    let reader = sim.connect("reader");
    let sleepers: Vec<_> = (0..200).map(|i| sim.connect(&format!("sleeper{i}"))).collect();
    sim.advance(Duration::from_secs(5));
    for &id in &sleepers {
        sim.set_reading(id, false);
    }
    let before = sim.server.queued_memory();
    let mut expected = Vec::new();
    for i in 0..50 {
        let line = format!("{i} {}", "p".repeat(100));
        sim.say(sender, &line);
        expected.push(line);
    }
    // 50 lines of about 120 bytes to 200 sleepers, queued per recipient, would be 1.8 MB
    // (counting each frame's handle); here each is queued the first line (which finds its
    // socket full), then the log keeps the other 49 once: 45 KB.
    let grown = sim.server.queued_memory() - before;
    assert!(grown < 200 * 200 + 50 * 200, "the output grew by {grown} bytes");
    assert_eq!(sim.said(reader), expected);
    assert_eq!(sim.pauses, 0);
    // They read again within the grace period: each gets every line, once, in order.
    for &id in &sleepers {
        sim.set_reading(id, true);
    }
    for &id in &sleepers {
        assert_eq!(sim.said(id), expected, "{}", sim.clients[&id].label);
    }
    assert_eq!(sim.server.queued_memory(), 0, "the log is let go once no one is owed it");
}

#[test]
fn what_a_parked_client_is_sent_alone_keeps_its_place_among_the_room_lines() {
    let mut sim = Sim::unlimited();
    let sender = sim.connect("sender");
    let sleeper = sim.connect("sleeper");
    sim.advance(Duration::from_secs(1));
    sim.set_reading(sleeper, false);
    sim.say(sender, "one");
    sim.say(sender, "two");
    sim.say(sleeper, "/who");
    sim.say(sender, "three");
    sim.say(sleeper, "/nick dozer");
    sim.say(sender, "four");
    sim.set_reading(sleeper, true);
    let lines = sim.lines(sleeper);
    let at = |needle: &str| {
        lines.iter().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle} in {lines:?}"))
    };
    assert!(at("> one") < at("> two"));
    assert!(at("> two") < at("2 here"), "{lines:?}");
    assert!(at("2 here") < at("> three"), "{lines:?}");
    assert!(at("> three") < at("now known as dozer"), "{lines:?}");
    assert!(at("now known as dozer") < at("> four"), "{lines:?}");
    assert_eq!(lines.iter().filter(|l| l.contains("> ")).count(), 4, "nothing twice: {lines:?}");
}

#[test]
fn a_parked_client_owed_more_than_the_hard_limit_is_dropped_once_stuck_for_the_grace_period() {
    let config = Config { flood_rate: 0.0, max_queue: 16 << 10, soft_queue: 16 << 10, ..Config::default() };
    let mut sim = Sim::new(config);
    let sender = sim.connect("sender");
    let reader = sim.connect("reader");
    let sleeper = sim.connect("sleeper");
    sim.advance(Duration::from_secs(1));
    sim.set_reading(sleeper, false);
    let long = "l".repeat(1000);
    // Within the grace period it may be owed more than the hard limit...
    for i in 0..30 {
        sim.say(sender, &format!("{i} {long}"));
    }
    assert!(sim.clients[&sleeper].is_open());
    // ...and is dropped when it has been stuck that long.
    sim.advance(Duration::from_secs(1));
    assert!(!sim.clients[&sleeper].is_open(), "dropped at the end of the grace period");
    assert_eq!(sim.server.queued_memory(), 0, "what it was owed is let go");

    // Stuck past the grace period but owed little, it is dropped by the line that puts it
    // over the hard limit.
    let second = sim.connect("second");
    sim.advance(Duration::from_secs(1));
    sim.set_reading(second, false);
    sim.say(sender, "first");
    sim.advance(Duration::from_secs(2));
    assert!(sim.clients[&second].is_open());
    let mut lines = 0;
    while sim.clients[&second].is_open() {
        sim.say(sender, &format!("more {lines} {long}"));
        lines += 1;
        assert!(lines <= 17, "still connected after {lines} lines");
    }
    assert!(lines >= 15, "dropped after only {lines} lines");
    assert!(sim.clients[&reader].is_open() && sim.clients[&sender].is_open());
    assert!(sim.said(reader).len() >= 30 + 1 + lines);
}

#[test]
fn a_parked_client_that_moves_leaves_or_is_lost_gets_what_it_may_still_read() {
    let mut sim = Sim::unlimited();
    let sender = sim.connect("sender");
    let mover = sim.connect("mover");
    let leaver = sim.connect("leaver");
    let lost = sim.connect("lost");
    sim.advance(Duration::from_secs(1));
    for id in [mover, leaver, lost] {
        sim.set_reading(id, false);
    }
    sim.say(sender, "before");
    sim.say(mover, "/join #elsewhere");
    sim.say(sender, "after");
    sim.disconnect(leaver, PeerGone::Closed);
    sim.disconnect(lost, PeerGone::Lost);
    sim.say(sender, "last");
    assert!(sim.server.queued_memory() > 0);
    sim.set_reading(mover, true);
    sim.set_reading(leaver, true);
    assert_eq!(sim.said(mover), ["before"], "the old room's line, then nothing from it");
    assert!(sim.lines(mover).iter().any(|l| l.contains("#elsewhere")));
    assert_eq!(sim.said(leaver), ["before", "after"], "what was said before it left");
    assert_eq!(sim.server.queued_memory(), 0, "the log is let go");
}
