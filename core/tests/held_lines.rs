//! Lines a client says in a row, read together, reach its room as one frame (one handle, one
//! queue slot per recipient) yet stay separate lines everywhere else: numbered, remembered,
//! replayed. Nothing else sent meanwhile is reordered around them.

use std::time::Duration;

use chat_core::Config;
use chat_core::sim::Sim;

fn world() -> Sim {
    Sim::new(Config { flood_rate: 0.0, ..Config::default() })
}

/// The lines `id` received that `prefix` starts, without it.
fn heard(sim: &Sim, id: chat_core::ClientId, prefix: &str) -> Vec<String> {
    sim.lines(id).into_iter().filter_map(|line| line.strip_prefix(prefix).map(str::to_owned)).collect()
}

#[test]
fn lines_read_together_reach_the_room_as_one_frame() {
    let mut sim = world();
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    sim.say(alice, "/nick alice");
    sim.advance(Duration::from_secs(5));
    sim.set_reading(bob, false);
    sim.send(alice, "one\ntwo\nthree\n");
    assert_eq!(sim.clients[&bob].unread_frames, 1, "one frame for three lines");
    sim.set_reading(bob, true);
    sim.send(alice, "four\n");
    sim.send(alice, "five\n");
    assert_eq!(heard(&sim, bob, "<alice> "), ["one", "two", "three", "four", "five"]);
}

#[test]
fn each_line_is_still_remembered_on_its_own() {
    let mut sim = world();
    let alice = sim.connect("alice");
    sim.say(alice, "/nick alice");
    sim.send(alice, "one\ntwo\nthree\n");
    let bob = sim.connect("bob");
    sim.say(bob, "/history 2");
    let replayed: Vec<String> = sim
        .lines(bob)
        .into_iter()
        .filter(|line| line.ends_with("<alice> two") || line.ends_with("<alice> three"))
        .collect();
    // Replayed once on arrival and once on demand: two lines each time.
    assert_eq!(replayed.len(), 4, "{:?}", sim.lines(bob));
}

#[test]
fn what_else_is_sent_between_them_keeps_its_place() {
    let mut sim = world();
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    let carol = sim.connect("carol");
    sim.say(alice, "/nick alice");
    sim.say(bob, "/nick bob");
    sim.say(carol, "/nick carol");
    sim.advance(Duration::from_secs(5));
    sim.send(alice, "one\n/msg bob psst\ntwo\n/me waves\nthree\n/join #other\nfour\n");
    let bob_saw: Vec<String> = sim.lines(bob).into_iter().skip_while(|line| !line.ends_with("one")).collect();
    assert_eq!(
        bob_saw,
        [
            "<alice> one",
            "*alice* psst",
            "<alice> two",
            "* alice waves",
            "<alice> three",
            "*** alice left #lobby"
        ],
        "{:?}",
        sim.lines(bob)
    );
    let carol_saw: Vec<String> =
        sim.lines(carol).into_iter().skip_while(|line| !line.ends_with("one")).collect();
    assert_eq!(
        carol_saw,
        ["<alice> one", "<alice> two", "* alice waves", "<alice> three", "*** alice left #lobby"]
    );
}

#[test]
fn a_flood_kick_comes_after_the_lines_said_before_it() {
    let mut sim = Sim::new(Config { flood_rate: 1.0, flood_burst: 3, flood_kick: 2, ..Config::default() });
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    sim.say(alice, "/nick alice");
    sim.advance(Duration::from_secs(10));
    sim.send(alice, "one\ntwo\nthree\nfour\nfive\nsix\n");
    let bob_saw: Vec<String> = sim.lines(bob).into_iter().skip_while(|line| !line.ends_with("one")).collect();
    assert!(bob_saw.len() >= 3, "{bob_saw:?}");
    assert_eq!(bob_saw[..3], ["<alice> one", "<alice> two", "<alice> three"], "{bob_saw:?}");
    assert!(bob_saw[3..].iter().all(|line| line.starts_with("***")), "only notices after: {bob_saw:?}");
}
