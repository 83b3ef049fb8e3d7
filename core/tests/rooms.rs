//! Snapshot tests of rooms, history, names, away and ignore: per-client transcripts of
//! realistic sessions on the simulated clock, committed under `tests/snapshots/`.

use std::time::Duration;

use chat_core::sim::Sim;
use chat_core::{Config, PeerGone};
use insta::assert_snapshot;

/// The moment after which a new connection's arrival has been announced.
const SETTLED: Duration = Duration::from_millis(400);

#[test]
fn rooms_join_part_list_topic_who() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    let carol = sim.connect("carol");
    sim.say(alice, "/nick alice");
    sim.say(bob, "/nick bob");
    sim.say(carol, "/nick carol");
    sim.say(alice, "/join #Rust");
    sim.say(alice, "/topic all about Rust");
    sim.say(bob, "/join rust");
    sim.say(bob, "hello in rust");
    sim.say(carol, "hello in the lobby");
    sim.say(carol, "/list");
    sim.say(carol, "/who #RUST");
    sim.say(carol, "/who");
    sim.say(bob, "/who");
    sim.say(carol, "/msg alice across rooms");
    sim.say(alice, "/part");
    sim.say(alice, "/part");
    sim.say(bob, "/join #rust");
    sim.say(bob, "/join #no room");
    sim.say(bob, "/join #a:b");
    sim.say(bob, "/who #nowhere");
    sim.say(bob, "/topic -");
    sim.say(bob, "/topic");
    sim.say(bob, "/part");
    sim.say(bob, "/list");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn history_is_replayed_to_newcomers_and_on_demand() {
    let mut sim = Sim::new(Config { history: 25, flood_rate: 0.0, ..Config::default() });
    let alice = sim.connect("alice");
    sim.say(alice, "/nick alice");
    sim.advance(Duration::from_secs(60));
    for i in 1..=30 {
        sim.say(alice, &format!("line {i}"));
        sim.advance(Duration::from_secs(30));
    }
    sim.say(alice, "/me waves");
    let bob = sim.connect("bob");
    sim.say(bob, "/history 3");
    sim.say(bob, "/history");
    sim.say(bob, "/join #empty");
    sim.say(bob, "/history");
    sim.say(bob, "/history 0");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn history_can_be_turned_off() {
    let mut sim = Sim::new(Config { history: 0, ..Config::default() });
    let alice = sim.connect("alice");
    sim.say(alice, "said before anyone came");
    let bob = sim.connect("bob");
    sim.say(bob, "/history");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn guests_get_names_and_are_announced_after_a_moment_or_their_first_line() {
    let mut sim = Sim::new(Config::default());
    let host = sim.connect("host");
    sim.advance(SETTLED);
    // Opens with /nick: the others only ever hear of bob.
    let bob = sim.connect("bob");
    sim.say(bob, "/nick bob");
    // Says nothing: announced by its guest name once the moment has passed.
    let quiet = sim.connect("quiet");
    sim.advance(Duration::from_millis(299));
    sim.say(host, "anyone there?");
    sim.advance(Duration::from_millis(1));
    // Opens with a line: announced just before it.
    let talker = sim.connect("talker");
    sim.say(talker, "hi!");
    // Leaves before anyone was told it came: nobody is told it left.
    let ghost = sim.connect("ghost");
    sim.disconnect(ghost, PeerGone::Closed);
    // Goes straight to a room: only that room hears of it.
    let lurker = sim.connect("lurker");
    sim.say(lurker, "/join #quiet");
    sim.say(quiet, "/who");
    sim.advance(SETTLED);
    let _ = (bob, host);
    assert_snapshot!(sim.transcripts());
}

#[test]
fn away_is_shown_in_who_and_to_private_messages() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    sim.say(alice, "/nick alice");
    sim.say(bob, "/nick bob");
    sim.say(alice, "/away gone to lunch");
    sim.say(bob, "/who");
    sim.say(bob, "/msg alice are you there?");
    sim.say(alice, "/away");
    sim.say(bob, "/msg alice and now?");
    sim.say(bob, "/who");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn ignore_hides_lines_follows_renames_and_ends_with_unignore() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let troll = sim.connect("troll");
    let carol = sim.connect("carol");
    sim.say(alice, "/nick alice");
    sim.say(troll, "/nick troll");
    sim.say(carol, "/nick carol");
    sim.say(troll, "first words");
    sim.say(alice, "/ignore TROLL");
    sim.say(alice, "/ignore troll");
    sim.say(alice, "/ignore alice");
    sim.say(alice, "/ignore nobody");
    sim.say(troll, "you cannot see this, alice");
    sim.say(troll, "/me shouts");
    sim.say(troll, "/msg alice psst");
    sim.say(troll, "/nick nice_person");
    sim.say(troll, "still hidden");
    sim.say(carol, "carol here");
    sim.say(alice, "/ignore");
    // Replays leave out the lines of those alice ignores (for alice only).
    sim.say(alice, "/history");
    sim.say(carol, "/history 2");
    sim.say(alice, "/unignore nice_person");
    sim.say(alice, "/unignore nice_person");
    sim.say(troll, "visible again");
    sim.say(alice, "/ignore");
    let _ = carol;
    assert_snapshot!(sim.transcripts());
}
