//! Snapshot and unit tests of who may connect and what every line costs: blank lines and
//! `/who` against flood control, per-address limits, unfinished lines, look-alike names and
//! invisible characters.

use std::time::Duration;

use std::net::SocketAddr;

use chat_core::sim::Sim;
use chat_core::{Config, PeerGone};
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
    for _ in 0..4 {
        sim.say(asker, "/who");
    }
    let answers = sim.lines(asker).iter().filter(|l| l.contains(" here: ")).count();
    assert_eq!(answers, 3, "a burst of 5 lines pays for 3 /who at 2 lines each (the last in debt)");
    assert!(sim.lines(asker).iter().any(|l| l.contains("sending too fast")), "{:?}", sim.lines(asker));
    sim.advance(Duration::from_secs(chat_core::protocol::WHO_COST.into()));
    sim.say(asker, "/who");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn look_alike_names_and_invisible_characters_never_reach_anyone() {
    let mut sim = Sim::new(Config::default());
    let alice = sim.connect("alice");
    let mallory = sim.connect("mallory");
    sim.say(alice, "/nick alice");
    for name in [
        "10.0.0.5\u{A789}41234",
        "10.0.0.5\u{FF1A}41234",
        "10.0.0.5\u{2236}41234",
        "\u{FF0A}\u{FF0A}\u{FF0A}",
        "\u{2217}\u{2217}\u{2217}",
        "alice\u{FFF9}",
        "alice\u{13430}",
        "alice\u{200B}",
    ] {
        sim.say(mallory, &format!("/nick {name}"));
    }
    sim.say(
        mallory,
        "he\u{200B}llo\u{FFF9}\u{FFFA}\u{FFFB} wor\u{E0041}\u{E0042}ld\u{13438} \u{2764}\u{FE0F}",
    );
    sim.say(mallory, "/me wa\u{2060}ves");
    sim.say(mallory, "/msg alice\u{FFF9} psst\u{200B}");
    let alice_saw = sim.lines(alice).join("\n");
    assert!(alice_saw.contains("<guest-2432> hello world \u{2764}\u{FE0F}"), "{alice_saw}");
    for line in sim.lines(alice).iter().chain(&sim.lines(mallory)) {
        for c in line.chars() {
            let invisible = matches!(c, '\u{200B}' | '\u{2060}' | '\u{FFF9}'..='\u{FFFB}' | '\u{13430}'..='\u{1343F}' | '\u{E0000}'..='\u{E007F}');
            assert!(!invisible, "{c:?} reached someone in {line:?}");
        }
    }
    assert_snapshot!(sim.transcripts().replace('\u{FE0F}', "<VS16>"));
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn one_address_cannot_fill_the_room() {
    let mut sim = Sim::new(Config { max_per_ip: 2, ..Config::default() });
    let first = sim.connect_from("host 1, first", addr("192.0.2.1:5001"));
    sim.connect_from("host 1, second", addr("192.0.2.1:5002"));
    let third = sim.connect_from("host 1, third", addr("192.0.2.1:5003"));
    sim.connect_from("host 2", addr("192.0.2.2:5001"));
    sim.connect_from("ipv6 host", addr("[2001:db8:0:1::1]:5001"));
    sim.connect_from("ipv6 host, same /64", addr("[2001:db8:0:1::2]:5001"));
    sim.connect_from("ipv6 host, same /64 again", addr("[2001:db8:0:1::3]:5001"));
    sim.connect_from("loopback 1", addr("127.0.0.1:5001"));
    sim.connect_from("loopback 2", addr("127.0.0.1:5002"));
    sim.connect_from("loopback 3", addr("127.0.0.1:5003"));
    assert!(!sim.clients[&third].is_open(), "the third from one address is refused");
    sim.disconnect(first, PeerGone::Closed);
    let again = sim.connect_from("host 1, once one left", addr("192.0.2.1:5004"));
    assert!(sim.clients[&again].is_open(), "a slot frees when a connection leaves");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn loopback_is_limited_when_asked() {
    let mut sim = Sim::new(Config { max_per_ip: 1, limit_loopback: true, ..Config::default() });
    sim.connect_from("first", addr("127.0.0.2:5001"));
    let second = sim.connect_from("second", addr("127.0.0.2:5002"));
    sim.connect_from("another loopback address", addr("127.0.0.3:5001"));
    assert!(!sim.clients[&second].is_open());
    assert_snapshot!(sim.transcripts());
}

#[test]
fn one_address_cannot_reconnect_without_end() {
    let config =
        Config { max_connects_per_ip: 3, connect_window: Duration::from_secs(60), ..Config::default() };
    let mut sim = Sim::new(config);
    for i in 1..=4 {
        let id = sim.connect_from(&format!("attempt {i}"), addr(&format!("192.0.2.9:{}", 5000 + i)));
        sim.disconnect(id, PeerGone::Lost);
    }
    sim.advance(Duration::from_secs(20));
    sim.connect_from("20 s later", addr("192.0.2.9:6000"));
    sim.connect_from("another address", addr("192.0.2.10:6000"));
    assert_snapshot!(sim.transcripts());
}

#[test]
fn a_line_left_unfinished_is_dropped_then_the_connection_closed() {
    let mut sim = Sim::new(Config { line_timeout: Duration::from_secs(30), ..Config::default() });
    let slow = sim.connect("slowloris");
    let typist = sim.connect("typist");
    let reader = sim.connect("reader");
    sim.send(typist, "this takes a whi");
    for _ in 0..14 {
        sim.send(slow, "x");
        sim.advance(Duration::from_secs(2));
    }
    sim.send(typist, "le but ends\n");
    sim.advance(Duration::from_secs(2));
    assert!(
        sim.lines(slow).iter().any(|l| l.contains("unfinished line was dropped")),
        "{:?}",
        sim.lines(slow)
    );
    for _ in 0..16 {
        sim.send(slow, "x");
        sim.advance(Duration::from_secs(2));
    }
    assert!(!sim.clients[&slow].is_open(), "the slowloris is disconnected");
    assert!(sim.clients[&typist].is_open() && sim.clients[&reader].is_open());
    assert!(!sim.lines(reader).iter().any(|l| l.contains("xxx")), "nothing of the dropped line is said");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn a_line_finished_after_a_drop_forgives() {
    let mut sim = Sim::new(Config { line_timeout: Duration::from_secs(30), ..Config::default() });
    let typist = sim.connect("typist");
    let reader = sim.connect("reader");
    sim.send(typist, "first half");
    sim.advance(Duration::from_secs(31));
    sim.send(typist, " second half\nnext line\n");
    sim.advance(Duration::from_secs(100));
    assert!(sim.clients[&typist].is_open());
    let heard = sim.lines(reader);
    assert!(heard.iter().any(|l| l.ends_with("> next line")), "{heard:?}");
    assert!(!heard.iter().any(|l| l.contains("half")), "the dropped line is skipped to its end: {heard:?}");
    assert_snapshot!(sim.transcripts());
}

mod names {
    use chat_core::protocol::Nick;
    use proptest::prelude::*;
    use unicode_security::skeleton;

    /// Characters that look like punctuation, space or nothing, mixed with letters and digits.
    fn tricky() -> impl Strategy<Value = char> {
        prop_oneof![
            3 => prop::sample::select(vec![
                ':', '\u{A789}', '\u{FF1A}', '\u{2236}', '\u{0589}', '\u{05C3}', '\u{02F8}', '\u{0903}',
                '*', '\u{FF0A}', '\u{2217}', '\u{204E}', '\u{2731}', ',', '\u{FF0C}', '\u{201A}',
                '<', '\u{2039}', '\u{FF1C}', '>', '\u{203A}', '[', '\u{FF3B}', ']', '.', '\u{FF0E}',
                '\u{200B}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{FFF9}', '\u{FFFA}', '\u{FFFB}',
                '\u{13430}', '\u{13438}', '\u{E0041}', '\u{FE0F}', '\u{3164}', '\u{2800}', '\u{AD}',
            ]),
            2 => prop::char::range('0', '9'),
            2 => prop::char::range('a', 'z'),
            1 => any::<char>(),
        ]
    }

    proptest! {
        #[test]
        fn no_accepted_name_looks_like_an_address_or_a_notice(chars in prop::collection::vec(tricky(), 1..12)) {
            let name: String = chars.into_iter().collect();
            if let Ok(nick) = Nick::parse(&name, 24) {
                let looks: String = skeleton(nick.as_str()).collect();
                prop_assert!(
                    !looks.contains([':', '*', ',', '<', '>', '[', ']']),
                    "{name:?} accepted but looks like {looks:?}"
                );
                prop_assert!(!looks.contains(char::is_whitespace), "{name:?} looks like {looks:?}");
                prop_assert!(looks.parse::<std::net::SocketAddr>().is_err(), "{name:?} looks like an address");
                prop_assert!(
                    !name.contains(['\u{200B}', '\u{2060}', '\u{FEFF}', '\u{FFF9}', '\u{FFFA}', '\u{FFFB}', '\u{13430}', '\u{13438}', '\u{E0041}', '\u{3164}', '\u{AD}']),
                    "{name:?} accepted with an invisible character"
                );
            }
        }
    }
}
