//! Colouring received lines: each person's name in a colour of its own, notices dimmed.

use std::io::IsTerminal;

use nu_ansi_term::{Color, Style};

/// Colours that read well on dark and light backgrounds alike; a name always gets the same one.
const NAME_COLOURS: [Color; 12] = [
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::LightRed,
    Color::LightGreen,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::Fixed(208),
];

/// Whether to colour output: not when `NO_COLOR` is set to anything non-empty
/// (<https://no-color.org>), nor when stdout is not a terminal.
pub fn colour_wanted() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    !no_color && std::io::stdout().is_terminal()
}

/// The colour of `name`, the same in every session: picked by a fixed hash of the name.
pub fn name_colour(name: &str) -> Color {
    // FNV-1a: tiny, stable across runs and platforms, and it spreads short names well.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    NAME_COLOURS[(hash % NAME_COLOURS.len() as u64) as usize]
}

/// What a line from the server is, by the prefixes of `docs/PROTOCOL.md` (and the two notices
/// of the lab handout's server).
#[derive(Debug, PartialEq, Eq)]
pub enum Kind<'a> {
    /// `<NAME> TEXT`
    Said { name: &'a str, text: &'a str },
    /// `* NAME ACTION`
    Action { name: &'a str, action: &'a str },
    /// `*NAME* TEXT`, a private message to us.
    Private { name: &'a str, text: &'a str },
    /// `-> *NAME* TEXT`, our private message was delivered.
    PrivateSent { name: &'a str, text: &'a str },
    /// `*** ...`, `! ...`, or the handout server's `[ADDR] entered room` and
    /// `Client ADDR is offline`.
    Notice,
    /// Anything else.
    Other,
}

impl<'a> Kind<'a> {
    /// Recognises `line`.
    pub fn of(line: &'a str) -> Self {
        if line.starts_with("*** ") || line.starts_with("! ") || is_handout_notice(line) {
            return Self::Notice;
        }
        if let Some(rest) = line.strip_prefix('<')
            && let Some((name, text)) = rest.split_once("> ")
            && !name.is_empty()
        {
            return Self::Said { name, text };
        }
        if let Some(rest) = line.strip_prefix("* ")
            && let Some((name, action)) = rest.split_once(' ')
            && !name.is_empty()
        {
            return Self::Action { name, action };
        }
        if let Some((name, text)) = private(line) {
            return Self::Private { name, text };
        }
        if let Some((name, text)) = line.strip_prefix("-> ").and_then(private) {
            return Self::PrivateSent { name, text };
        }
        Self::Other
    }
}

fn private(line: &str) -> Option<(&str, &str)> {
    let (name, text) = line.strip_prefix('*')?.split_once("* ")?;
    (!name.is_empty() && !name.contains(' ')).then_some((name, text))
}

fn is_handout_notice(line: &str) -> bool {
    (line.starts_with('[') && line.ends_with("] entered room"))
        || (line.starts_with("Client ") && line.ends_with(" is offline"))
}

/// Renders received lines for the terminal, in colour or not.
#[derive(Clone, Copy, Debug)]
pub struct Styler {
    colour: bool,
}

impl Styler {
    /// A styler that colours when `colour` is set and leaves lines as they are otherwise.
    pub fn new(colour: bool) -> Self {
        Self { colour }
    }

    /// `line` ready to print: with colour escapes around its parts when colouring, else as is.
    /// `line` must already be sanitized: this adds escapes, it never lets any through.
    pub fn render(&self, line: &str) -> String {
        if !self.colour {
            return line.to_owned();
        }
        let name = |name: &str| name_colour(name).bold().paint(name.to_owned()).to_string();
        match Kind::of(line) {
            Kind::Said { name: who, text } => format!("<{}> {text}", name(who)),
            Kind::Action { name: who, action } => {
                let italic = Style::new().italic();
                format!("{} {} {}", italic.paint("*"), name(who), italic.paint(action))
            }
            Kind::Private { name: who, text } => {
                format!("*{}* {}", name(who), Style::new().bold().paint(text))
            }
            Kind::PrivateSent { name: who, text } => {
                let dim = Style::new().dimmed();
                format!("{} *{}* {}", dim.paint("->"), name(who), dim.paint(text))
            }
            Kind::Notice => Style::new().dimmed().paint(line).to_string(),
            Kind::Other => line.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_line_is_recognised() {
        assert_eq!(Kind::of("<alice> hi there"), Kind::Said { name: "alice", text: "hi there" });
        assert_eq!(Kind::of("<127.0.0.1:5000> hi"), Kind::Said { name: "127.0.0.1:5000", text: "hi" });
        assert_eq!(
            Kind::of("<('127.0.0.1', 5555)> hi"),
            Kind::Said { name: "('127.0.0.1', 5555)", text: "hi" }
        );
        assert_eq!(Kind::of("* bob waves"), Kind::Action { name: "bob", action: "waves" });
        assert_eq!(Kind::of("*bob* psst"), Kind::Private { name: "bob", text: "psst" });
        assert_eq!(Kind::of("-> *bob* psst"), Kind::PrivateSent { name: "bob", text: "psst" });
        assert_eq!(Kind::of("*** bob entered the room"), Kind::Notice);
        assert_eq!(Kind::of("! No one here is called carol."), Kind::Notice);
        assert_eq!(Kind::of("[127.0.0.1:5555] entered room"), Kind::Notice);
        assert_eq!(Kind::of("Client ('127.0.0.1', 5555) is offline"), Kind::Notice);
        assert_eq!(Kind::of("just text"), Kind::Other);
    }

    #[test]
    fn a_name_keeps_its_colour_and_names_spread_over_the_palette() {
        assert_eq!(name_colour("alice"), name_colour("alice"));
        let names = ["alice", "bob", "carol", "dave", "eve", "frank", "grace", "heidi"];
        let colours: std::collections::HashSet<_> =
            names.iter().map(|n| format!("{:?}", name_colour(n))).collect();
        assert!(colours.len() >= 4, "{colours:?}");
    }

    #[test]
    fn without_colour_lines_are_untouched() {
        assert_eq!(Styler::new(false).render("<alice> hi"), "<alice> hi");
    }

    #[test]
    fn with_colour_the_name_is_painted_and_the_text_kept() {
        let rendered = Styler::new(true).render("<alice> hi");
        assert!(rendered.starts_with('<') && rendered.ends_with("> hi"), "{rendered:?}");
        assert!(rendered.contains(&name_colour("alice").bold().paint("alice").to_string()));
        assert_eq!(Styler::new(true).render("*** note"), Style::new().dimmed().paint("*** note").to_string());
    }
}
