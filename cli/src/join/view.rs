//! What the terminal shows for each received line: its time, colours, a mention marked (and
//! the bell rung), join and leave noise hidden while `/quiet` is on, the room's past dimmed
//! with the time it was said.

use std::sync::atomic::{AtomicBool, Ordering};

use chat_core::protocol::ServerLine;
use chrono::FixedOffset;

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
    /// (`HH:MM`, local time). A replayed line shows the time the server says it was said
    /// instead, moved from UTC by `utc_offset` (the local time zone's).
    pub fn show(&self, line: &str, received: &Received<'_>, time: &str, utc_offset: FixedOffset) -> Shown {
        if received.presence && self.quiet.load(Ordering::Relaxed) {
            return Shown { text: None, ring: false };
        }
        let mut text = self.styler.render(line, received);
        if self.timestamps {
            let time = match received.line {
                ServerLine::Replayed { hour, minute, .. } if received.replayed => {
                    local_time(hour, minute, utc_offset)
                }
                _ => time.to_owned(),
            };
            text.insert_str(0, &self.styler.timestamp(&time));
        }
        Shown { text: Some(text), ring: self.bell && received.mentions_me }
    }

    /// Turns `/quiet` on or off; returns whether it is now on.
    pub fn toggle_quiet(&self) -> bool {
        !self.quiet.fetch_xor(true, Ordering::Relaxed)
    }
}

/// `HH:MM` (UTC) as `HH:MM` at `utc_offset`.
fn local_time(hour: u8, minute: u8, utc_offset: FixedOffset) -> String {
    let minutes =
        (i32::from(hour) * 60 + i32::from(minute) + utc_offset.local_minus_utc() / 60).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::super::client::Client;
    use super::*;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

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
        let shown = view.show(line, &client.receive(line), "09:05", utc());
        assert_eq!(shown, Shown { text: Some("09:05 <bob> hi alice".into()), ring: true });
        let line = "<bob> hi all";
        assert!(!view.show(line, &client.receive(line), "09:05", utc()).ring);
    }

    #[test]
    fn options_turn_the_time_and_the_bell_off() {
        let mut client = alice();
        let view = View::new(Styler::new(false), false, false);
        let line = "<bob> hi alice";
        let shown = view.show(line, &client.receive(line), "09:05", utc());
        assert_eq!(shown, Shown { text: Some("<bob> hi alice".into()), ring: false });
    }

    #[test]
    fn quiet_hides_presence_noise_until_turned_off() {
        let mut client = alice();
        let view = View::new(Styler::new(false), false, true);
        assert!(view.toggle_quiet());
        for line in ["*** bob entered the room", "*** bob is offline (quit)", "*** bob is now known as b"] {
            assert_eq!(view.show(line, &client.receive(line), "09:05", utc()).text, None, "{line}");
        }
        let line = "<b> still shown";
        assert!(view.show(line, &client.receive(line), "09:05", utc()).text.is_some());
        assert!(!view.toggle_quiet());
        let line = "*** carol entered the room";
        assert!(view.show(line, &client.receive(line), "09:05", utc()).text.is_some());
    }

    #[test]
    fn the_past_shows_the_time_it_was_said_in_our_time_zone() {
        let mut client = alice();
        let view = View::new(Styler::new(false), true, true);
        let paris = FixedOffset::east_opt(3600).unwrap();
        let lines = ["--- last 1 line ---", "[23:30] <bob> hi alice", "--- end of history ---"];
        let shown: Vec<_> =
            lines.iter().map(|line| view.show(line, &client.receive(line), "09:05", paris)).collect();
        assert_eq!(shown[0].text.as_deref(), Some("09:05 --- last 1 line ---"));
        assert_eq!(shown[1], Shown { text: Some("00:30 <bob> hi alice".into()), ring: false });
        assert_eq!(shown[2].text.as_deref(), Some("09:05 --- end of history ---"));
        let new_york = FixedOffset::west_opt(5 * 3600).unwrap();
        assert_eq!(local_time(2, 15, new_york), "21:15");
        let without_time = View::new(Styler::new(false), false, true);
        client.receive("--- last 1 line ---");
        let line = "[23:30] <bob> hi";
        assert_eq!(
            without_time.show(line, &client.receive(line), "09:05", paris).text.as_deref(),
            Some("<bob> hi")
        );
    }
}
