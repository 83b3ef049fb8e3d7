//! Snapshot and unit tests of who may connect and what every line costs: blank lines and
//! `/who` against flood control, per-address limits, unfinished lines, look-alike names and
//! invisible characters.

use std::time::Duration;

use chat_core::Config;
use chat_core::sim::Sim;
use insta::assert_snapshot;

/// Flood limits small enough to see in a transcript: 5 at once, 1 per second, kicked after 5
/// refusals in a row.
fn tight() -> Config {
    Config { flood_rate: 1.0, flood_burst: 5, flood_kick: 5, ..Config::default() }
}

#[test]
fn a_flood_of_blank_lines_is_warned_then_disconnected() {
    let mut sim = Sim::new(tight());
    let flooder = sim.connect("flooder");
    let victim = sim.connect("victim");
    sim.send(flooder, "\n\r\n  \n\t\n".repeat(5));
    sim.say(victim, "still here");
    let lines = sim.lines(flooder);
    assert!(lines.iter().any(|l| l.contains("sending too fast")), "{lines:?}");
    assert!(!sim.clients[&flooder].is_open(), "the blank flooder is disconnected");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn who_costs_several_lines() {
    let mut sim = Sim::new(tight());
    let asker = sim.connect("asker");
    sim.say(asker, "/who");
    sim.say(asker, "/who");
    assert!(sim.lines(asker).iter().any(|l| l.contains("sending too fast")), "{:?}", sim.lines(asker));
    sim.advance(Duration::from_secs(chat_core::protocol::WHO_COST.into()));
    sim.say(asker, "/who");
    assert_snapshot!(sim.transcripts());
}
