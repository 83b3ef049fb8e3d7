//! What the terminal shows for each received line: its time, colours, a mention marked (and
//! the bell rung), join and leave noise hidden while `/quiet` is on.

use std::sync::atomic::{AtomicBool, Ordering};

use super::client::Received;
use super::style::Styler;

/// How received lines are shown, as the options of `chat join` ask.
#[derive(Debug)]
pub struct View {
    styler: Styler,
    timestamps: bool,
    bell: bool,
    /// `/quiet`: join, leave and rename notices are not shown.
    quiet: AtomicBool,
}

/// What to do for one received line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    /// The text to print, if any.
    pub text: Option<String>,
    /// Ring the terminal's bell (the line mentions us).
    pub ring: bool,
}

impl View {
    /// A view that colours with `styler`, prefixes the time when `timestamps` is set and rings
    /// the bell on mentions when `bell` is set.
    pub fn new(styler: Styler, timestamps: bool, bell: bool) -> Self {
        Self { styler, timestamps, bell, quiet: AtomicBool::new(false) }
    }

    /// Whether lines are coloured (the line editor colours its prompt only then).
    pub fn colour(&self) -> bool {
        self.styler.colour()
    }

    /// What to show for `line`, which the client read as `received`, arriving at `time`
    /// (`HH:MM`).
    pub fn show(&self, line: &str, received: &Received<'_>, time: &str) -> Shown {
        if received.presence && self.quiet.load(Ordering::Relaxed) {
            return Shown { text: None, ring: false };
        }
        let mut text = self.styler.render(line, received);
        if self.timestamps {
            text.insert_str(0, &self.styler.timestamp(time));
        }
        Shown { text: Some(text), ring: self.bell && received.mentions_me }
    }

    /// Turns `/quiet` on or off; returns whether it is now on.
    pub fn toggle_quiet(&self) -> bool {
        !self.quiet.fetch_xor(true, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::Client;
    use super::*;

    fn alice() -> Client {
        let mut client = Client::default();
        client.receive("*** You are now known as alice");
        client
    }

    #[test]
    fn lines_get_their_time_and_mentions_ring_the_bell() {
        let mut client = alice();
        let view = View::new(Styler::new(false), true, true);
        let line = "<bob> hi alice";
        let shown = view.show(line, &client.receive(line), "09:05");
        assert_eq!(shown, Shown { text: Some("09:05 <bob> hi alice".into()), ring: true });
        let line = "<bob> hi all";
        assert!(!view.show(line, &client.receive(line), "09:05").ring);
    }

    #[test]
    fn options_turn_the_time_and_the_bell_off() {
        let mut client = alice();
        let view = View::new(Styler::new(false), false, false);
        let line = "<bob> hi alice";
        let shown = view.show(line, &client.receive(line), "09:05");
        assert_eq!(shown, Shown { text: Some("<bob> hi alice".into()), ring: false });
    }

    #[test]
    fn quiet_hides_presence_noise_until_turned_off() {
        let mut client = alice();
        let view = View::new(Styler::new(false), false, true);
        assert!(view.toggle_quiet());
        for line in ["*** bob entered the room", "*** bob is offline (quit)", "*** bob is now known as b"] {
            assert_eq!(view.show(line, &client.receive(line), "09:05").text, None, "{line}");
        }
        let line = "<b> still shown";
        assert!(view.show(line, &client.receive(line), "09:05").text.is_some());
        assert!(!view.toggle_quiet());
        let line = "*** carol entered the room";
        assert!(view.show(line, &client.receive(line), "09:05").text.is_some());
    }
}
