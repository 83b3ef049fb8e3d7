//! Snapshot and unit tests of who may connect and what every line costs: blank lines and
//! `/who` against flood control, per-address limits, unfinished lines, look-alike names and
//! invisible characters.

mod sim;

use std::time::Duration;

use chat_core::Config;
use insta::assert_snapshot;
use sim::Sim;

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
    sim.advance(Duration::from_secs(chat_core::WHO_COST.into()));
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
    assert!(alice_saw.contains("<10.0.0.3:4002> hello world \u{2764}\u{FE0F}"), "{alice_saw}");
    for line in sim.lines(alice).iter().chain(&sim.lines(mallory)) {
        for c in line.chars() {
            let invisible = matches!(c, '\u{200B}' | '\u{2060}' | '\u{FFF9}'..='\u{FFFB}' | '\u{13430}'..='\u{1343F}' | '\u{E0000}'..='\u{E007F}');
            assert!(!invisible, "{c:?} reached someone in {line:?}");
        }
    }
    assert_snapshot!(sim.transcripts().replace('\u{FE0F}', "<VS16>"));
}

mod names {
    use chat_core::Nick;
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
