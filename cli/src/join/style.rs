//! Colouring received lines: each person's name in a colour of its own, notices and the
//! room's replayed past dimmed.

use std::io::IsTerminal;

use chat_core::protocol::ServerLine;
use nu_ansi_term::{Color, Style};

use super::client::Received;

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
/// (<https://no-color.org>), nor on a terminal that says it has no colours (`TERM=dumb`), nor
/// when stdout is not a terminal.
pub fn colour_wanted() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|term| term == "dumb");
    !no_color && !dumb && std::io::stdout().is_terminal()
}

/// The colour of `name`, the same in every session: picked by a fixed hash of the name.
pub fn name_colour(name: &str) -> Color {
    // FNV-1a: tiny, stable across runs and platforms, and it spreads short names well.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    NAME_COLOURS[(hash % NAME_COLOURS.len() as u64) as usize]
}

/// The lines of the lab handout's Python server, which are not ours (`chat_core::protocol::ServerLine`
/// reads them as `Other`): its messages `<('IP', PORT)> TEXT`, and its two notices
/// `[IP:PORT] entered room` and `Client ('IP', PORT) is offline`.
mod handout {
    /// `<('IP', PORT)> TEXT` as `(name, text)`.
    pub fn message(line: &str) -> Option<(&str, &str)> {
        let rest = line.strip_prefix("<(")?;
        let end = rest.find(")> ")?;
        Some((&line[1..end + 3], &rest[end + 3..]))
    }

    /// `[IP:PORT] entered room` or `Client ('IP', PORT) is offline`.
    pub fn is_notice(line: &str) -> bool {
        (line.starts_with('[') && line.ends_with("] entered room"))
            || (line.starts_with("Client ") && line.ends_with(" is offline"))
    }
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

    /// Whether it colours.
    pub fn colour(&self) -> bool {
        self.colour
    }

    /// `line` ready to print: with colour escapes around its parts when colouring, else as is;
    /// `received` is what the client made of it (a mention's text is shown in reverse video).
    /// `line` must already be sanitized: this adds escapes, it never lets any through.
    /// A replayed line is shown as it was said live (without the server's `[HH:MM] `), dimmed.
    pub fn render(&self, line: &str, received: &Received<'_>) -> String {
        let line = match received.line {
            ServerLine::Replayed { line: said, .. } if received.replayed => said,
            _ => line,
        };
        if !self.colour {
            return line.to_owned();
        }
        if received.replayed {
            return Style::new().dimmed().paint(line).to_string();
        }
        let name = |name: &str| name_colour(name).bold().paint(name.to_owned()).to_string();
        let dim = Style::new().dimmed();
        let said = |text: &str| {
            if received.mentions_me {
                Style::new().reverse().paint(text).to_string()
            } else {
                text.to_owned()
            }
        };
        match received.line {
            ServerLine::Message { from, text } => format!("<{}> {}", name(from), said(text)),
            ServerLine::Action { from, text } => {
                let italic = Style::new().italic();
                let text =
                    if received.mentions_me { italic.reverse().paint(text) } else { italic.paint(text) };
                format!("{} {} {text}", italic.paint("*"), name(from))
            }
            ServerLine::PrivateIn { from, text } => {
                format!("*{}* {}", name(from), Style::new().bold().paint(text))
            }
            ServerLine::PrivateOut { to, text } => {
                format!("{} *{}* {}", dim.paint("->"), name(to), dim.paint(text))
            }
            ServerLine::Other(_) => match handout::message(line) {
                Some((from, text)) => format!("<{}> {text}", name(from)),
                None if handout::is_notice(line) => dim.paint(line).to_string(),
                None => line.to_owned(),
            },
            _ => dim.paint(line).to_string(),
        }
    }

    /// The time a line arrived, `HH:MM `, dimmed when colouring.
    pub fn timestamp(&self, time: &str) -> String {
        if self.colour { format!("{} ", Style::new().dimmed().paint(time)) } else { format!("{time} ") }
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::Client;
    use super::*;

    #[test]
    fn the_handout_servers_lines_are_recognised() {
        assert_eq!(handout::message("<('127.0.0.1', 5555)> hi"), Some(("('127.0.0.1', 5555)", "hi")));
        assert_eq!(handout::message("<alice> hi"), None);
        assert!(handout::is_notice("[127.0.0.1:5555] entered room"));
        assert!(handout::is_notice("Client ('127.0.0.1', 5555) is offline"));
        assert!(!handout::is_notice("<a> Client x is offline"));
    }

    #[test]
    fn a_name_keeps_its_colour_and_names_spread_over_the_palette() {
        assert_eq!(name_colour("alice"), name_colour("alice"));
        let names = ["alice", "bob", "carol", "dave", "eve", "frank", "grace", "heidi"];
        let colours: std::collections::HashSet<_> =
            names.iter().map(|n| format!("{:?}", name_colour(n))).collect();
        assert!(colours.len() >= 4, "{colours:?}");
    }

    /// Renders `line` as a client called alice receives it.
    fn render(styler: Styler, line: &str) -> String {
        let mut client = Client::default();
        client.receive("*** You are now known as alice");
        styler.render(line, &client.receive(line))
    }

    #[test]
    fn without_colour_lines_are_untouched() {
        assert_eq!(render(Styler::new(false), "<bob> hi alice"), "<bob> hi alice");
        assert_eq!(Styler::new(false).timestamp("12:34"), "12:34 ");
    }

    #[test]
    fn a_mention_is_shown_in_reverse_video() {
        let rendered = render(Styler::new(true), "<bob> hi alice");
        assert!(rendered.ends_with(&Style::new().reverse().paint("hi alice").to_string()), "{rendered:?}");
        assert!(!render(Styler::new(true), "<bob> hi all").contains("\x1b[7m"));
    }

    #[test]
    fn with_colour_the_name_is_painted_and_the_text_kept() {
        let rendered = render(Styler::new(true), "<carol> hi");
        assert!(rendered.starts_with('<') && rendered.ends_with("> hi"), "{rendered:?}");
        assert!(rendered.contains(&name_colour("carol").bold().paint("carol").to_string()));
        let dimmed = |line: &str| Style::new().dimmed().paint(line.to_owned()).to_string();
        for notice in ["*** note", "*** bob entered the room", "! No one here is called carol."] {
            assert_eq!(render(Styler::new(true), notice), dimmed(notice));
        }
        assert_eq!(render(Styler::new(true), "just text"), "just text");
        let python = render(Styler::new(true), "<('127.0.0.1', 5555)> hi");
        assert!(
            python.contains(
                &name_colour("('127.0.0.1', 5555)").bold().paint("('127.0.0.1', 5555)").to_string()
            )
        );
        assert_eq!(render(Styler::new(true), "[1.2.3.4:5] entered room"), dimmed("[1.2.3.4:5] entered room"));
    }

    #[test]
    fn the_replayed_past_is_dimmed_whole_without_the_servers_time() {
        let mut client = Client::default();
        let styler = Styler::new(true);
        let dimmed = |line: &str| Style::new().dimmed().paint(line.to_owned()).to_string();
        let start = "--- last 1 line ---";
        assert_eq!(styler.render(start, &client.receive(start)), dimmed(start));
        let past = "[12:00] <carol> hi";
        assert_eq!(styler.render(past, &client.receive(past)), dimmed("<carol> hi"));
        let end = "--- end of history ---";
        assert_eq!(styler.render(end, &client.receive(end)), dimmed(end));
        let live = "<carol> hi";
        assert_ne!(styler.render(live, &client.receive(live)), dimmed(live));
    }
}
