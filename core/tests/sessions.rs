//! Snapshot tests: per-client transcripts of realistic sessions, committed as readable text
//! under `tests/snapshots/`.

use std::time::Duration;

use chat_core::sim::Sim;
use chat_core::{Config, PeerGone};
use insta::assert_snapshot;

#[test]
fn join_chat_and_leave() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    sim.say(alice, "hello bob");
    sim.say(bob, "hi alice!");
    let carol = sim.connect("carol");
    sim.say(carol, "hey all");
    sim.disconnect(bob, PeerGone::Closed);
    sim.disconnect(carol, PeerGone::Lost);
    assert_snapshot!(sim.transcripts());
}

#[test]
fn nick_me_msg_who_help_quit() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    let carol = sim.connect("carol");
    sim.say(alice, "/nick alice");
    sim.say(bob, "/nick Bob");
    sim.say(carol, "/nick carol");
    sim.say(alice, "/me waves");
    sim.say(alice, "/msg bob psst, just you");
    sim.say(alice, "/msg dave anyone?");
    sim.say(bob, "/who");
    sim.say(carol, "/help");
    sim.say(carol, "/nick alice");
    sim.say(carol, "/nick carol");
    sim.say(carol, "/dance");
    sim.say(carol, "/msg bob");
    sim.say(carol, "//slash is literal");
    sim.say(bob, "/quit off to lunch");
    sim.say(carol, "/QUIT");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn look_alike_and_invalid_nicks_are_refused() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let mallory = sim.connect("mallory");
    sim.say(alice, "/nick alice");
    sim.say(mallory, "/nick ALICE");
    sim.say(mallory, "/nick a1ice");
    sim.say(mallory, "/nick \u{430}lice");
    sim.say(mallory, "/nick 10.0.0.2:4001");
    sim.say(mallory, "/nick <admin>");
    sim.say(mallory, "/nick abcdefghijklmnopqrstuvwxyz");
    sim.say(mallory, "/nick evil\u{202e}");
    sim.say(alice, "/nick Alice");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn flood_is_warned_then_disconnected() {
    let mut sim = Sim::new(Config { flood_rate: 1.0, flood_burst: 5, flood_kick: 5, ..Config::default() });
    let flooder = sim.connect("flooder");
    let victim = sim.connect("victim");
    let block: String = (1..=12).map(|i| format!("spam {i}\n")).collect();
    sim.send(flooder, &block);
    sim.advance(Duration::from_secs(3));
    sim.say(victim, "are you still there?");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn a_pasted_block_of_20_lines_goes_through_with_default_limits() {
    let mut sim = Sim::new(Config::default());
    let paster = sim.connect("paster");
    let reader = sim.connect("reader");
    let block: String = (1..=20).map(|i| format!("fn line_{i}() {{}}\n")).collect();
    sim.send(paster, &block);
    let lines = sim.lines(reader);
    assert_eq!(lines.iter().filter(|l| l.contains("fn line_")).count(), 20);
    assert!(!sim.lines(paster).iter().any(|l| l.starts_with('!')));
    assert_snapshot!(sim.transcripts());
}

#[test]
fn slow_client_is_disconnected_and_nobody_else_waits() {
    let mut sim = Sim::new(Config { flood_rate: 0.0, max_queue: 16 * 1024, ..Config::default() });
    let talker = sim.connect("talker");
    let listener = sim.connect("listener");
    let sleeper = sim.connect("sleeper");
    sim.set_reading(sleeper, false);
    let long = "x".repeat(1000);
    for i in 0..20 {
        sim.say(talker, &format!("{i:02} {long}"));
    }
    // Its socket has taken nothing for the grace period, with more than `max_queue` queued.
    sim.advance(Duration::from_secs(1));
    sim.say(talker, "done");
    let got = sim.lines(listener).iter().filter(|l| l.starts_with("<")).count();
    assert_eq!(got, 21, "the listener got every line");
    let sleeper_got_done = sim.lines(sleeper).iter().any(|l| l.ends_with("> done"));
    // Shorten the long lines so the snapshot stays readable.
    let transcript = sim.transcripts().replace(&long, "x…");
    assert_snapshot!(transcript);
    assert!(!sleeper_got_done, "the stuck client was dropped before the last line");
    assert!(!sim.clients[&sleeper].is_open());
}

#[test]
fn over_long_line_is_refused_and_the_next_line_passes() {
    let mut sim = Sim::new(Config { max_line: 32, max_queue: 4096, ..Config::default() });
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    sim.send(alice, "this line is much longer than thirty-two bytes");
    sim.send(alice, " and it goes on\nshort one\n");
    assert_snapshot!(sim.transcripts());
    assert!(sim.lines(bob).iter().any(|l| l.ends_with("> short one")));
}

#[test]
fn invalid_utf8_is_replaced_not_rejected() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let _bob = sim.connect("bob");
    sim.send(alice, b"caf\xc3\xa9 and caf\xe9 \xff\xfe\n");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn escape_injection_is_shown_not_executed() {
    let mut sim = Sim::new(Config::default());
    let mallory = sim.connect("mallory");
    let bob = sim.connect("bob");
    sim.send(mallory, "\x1b[2J\x1b[Hcleared!\n");
    sim.send(mallory, "fake\r*** root entered the room\n");
    sim.send(mallory, "bell\x07 del\x7f c1\u{9b}31m bidi\u{202e}txet\n");
    sim.send(mallory, "/me \x1b]0;pwned\x07\n");
    let received = sim.clients[&bob].received.clone();
    assert!(!received.iter().any(|&b| b != b'\n' && b != b'\t' && b < 0x20), "no raw controls");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn max_clients_refuses_one_over() {
    let mut sim = Sim::new(Config { max_clients: 2, ..Config::default() });
    sim.connect("first");
    sim.connect("second");
    sim.connect("third (refused)");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn a_crowd_joining_a_big_room_is_summarised() {
    let mut sim = Sim::new(Config { presence_batch_above: 3, flood_rate: 0.0, ..Config::default() });
    let host = sim.connect("host");
    for i in 0..3 {
        sim.connect(&format!("early {i}"));
    }
    let crowd: Vec<_> = (0..30).map(|i| sim.connect(&format!("crowd {i}"))).collect();
    sim.say(host, "welcome, everyone");
    sim.advance(Duration::from_secs(2));
    for &id in &crowd[..12] {
        sim.disconnect(id, PeerGone::Closed);
    }
    sim.advance(Duration::from_secs(2));
    // Transcripts of 34 clients are long: snapshot the host and one of the crowd.
    let host_lines = sim.lines(host).join("\n");
    let member_lines = sim.lines(crowd[20]).join("\n");
    assert_snapshot!(format!("== host ==\n{host_lines}\n\n== crowd 20 ==\n{member_lines}\n"));
}

#[test]
fn shutdown_notifies_everyone_then_closes() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    let sleeper = sim.connect("sleeper");
    sim.set_reading(sleeper, false);
    sim.say(alice, "last words");
    sim.shutdown();
    assert!(sim.clients[&alice].ended.is_some() && sim.clients[&bob].ended.is_some());
    assert!(sim.clients[&sleeper].is_open(), "the sleeper gets a grace period");
    assert!(!sim.server.is_finished());
    sim.advance(Duration::from_secs(3));
    assert!(sim.server.is_finished());
    sim.connect("late");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn unterminated_last_line_is_delivered_at_end_of_input() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let _bob = sim.connect("bob");
    sim.send(alice, "no newline here");
    sim.disconnect(alice, PeerGone::Closed);
    assert_snapshot!(sim.transcripts());
}

#[test]
fn a_half_closed_client_still_gets_its_answers() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let piped = sim.connect("piped (printf '/who' | nc -N)");
    sim.set_reading(piped, false);
    sim.send(piped, "hello from a pipe\n/who");
    sim.disconnect(piped, PeerGone::Closed);
    assert!(sim.clients[&piped].is_open(), "closed only once its answers are read");
    sim.set_reading(piped, true);
    assert!(!sim.clients[&piped].is_open());
    sim.say(alice, "bye");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn who_in_a_big_room_names_the_first_ten_alphabetically() {
    let mut sim = Sim::new(Config { flood_rate: 0.0, presence_batch_above: 5, ..Config::default() });
    let asker = sim.connect("asker");
    sim.say(asker, "/nick zed");
    for name in [
        "mike", "Alpha", "kilo", "echo", "Bravo", "juliet", "delta", "hotel", "golf", "india", "lima",
        "foxtrot", "charlie",
    ] {
        let id = sim.connect(name);
        sim.say(id, &format!("/nick {name}"));
    }
    sim.say(asker, "/who");
    let answer = sim.lines(asker).into_iter().find(|l| l.contains(" here: ")).expect("a /who answer");
    assert_eq!(
        answer,
        "*** 14 here: Alpha, Bravo, charlie, delta, echo, foxtrot, golf, hotel, india, juliet and 4 more"
    );
}
