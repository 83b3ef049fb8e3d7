//! Bulk traffic whose delivery can be checked line by line: each line says who sent it and its
//! index, and is padded with bytes that depend on both, so a lost, repeated, reordered, split or
//! merged line never passes for the expected one.

use std::collections::HashMap;

/// The text of line `index` from sender number `sender`, exactly `len` bytes long (or just the
/// header if `len` is shorter than that).
pub fn line_text(sender: usize, index: usize, len: usize) -> String {
    let mut text = format!("s{sender}#{index:07}:");
    let fill = char::from(b'a' + ((sender * 7 + index) % 26) as u8);
    text.push_str(&fill.to_string().repeat(len.saturating_sub(text.len())));
    text
}

/// How long line `index` of a sender's traffic is.
pub type Length = fn(usize) -> usize;

/// Lines `indices` of `sender`, each ending in `\n`, as one buffer to send at once.
pub fn lines(sender: usize, indices: std::ops::Range<usize>, len: Length) -> Vec<u8> {
    let mut bytes = Vec::new();
    for index in indices {
        bytes.extend_from_slice(line_text(sender, index, len(index)).as_bytes());
        bytes.push(b'\n');
    }
    bytes
}

/// Checks, for one recipient, that the traffic of each expected sender arrives exactly once,
/// in order, line for line.
#[derive(Debug, Default)]
pub struct Delivery {
    senders: HashMap<String, Expected>,
}

#[derive(Debug)]
struct Expected {
    sender: usize,
    next: usize,
    total: usize,
    len: Length,
}

impl Delivery {
    /// Nothing expected yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Expects `total` lines (line `i` being `len(i)` bytes long) from sender number `sender`,
    /// whose name in the room is `name`.
    pub fn expect_from(&mut self, name: &str, sender: usize, total: usize, len: Length) {
        self.senders.insert(name.to_owned(), Expected { sender, next: 0, total, len });
    }

    /// Takes one received line. Returns `Ok(true)` if it was the next expected traffic line,
    /// `Ok(false)` if it is not from an expected sender (a notice, say), and an error saying what
    /// was wrong if it is from an expected sender but not the next line of its traffic.
    pub fn accept(&mut self, line: &str) -> Result<bool, String> {
        let Some((name, text)) = line.strip_prefix('<').and_then(|rest| rest.split_once("> ")) else {
            return Ok(false);
        };
        let Some(expected) = self.senders.get_mut(name) else { return Ok(false) };
        if expected.next == expected.total {
            return Err(format!(
                "from {name}: all {} lines already arrived, then got {}",
                expected.total,
                clip(text)
            ));
        }
        let want = line_text(expected.sender, expected.next, (expected.len)(expected.next));
        if text != want {
            return Err(format!(
                "from {name}: expected line #{} {}, got {}",
                expected.next,
                clip(&want),
                clip(text)
            ));
        }
        expected.next += 1;
        Ok(true)
    }

    /// Whether every expected line has arrived.
    pub fn is_complete(&self) -> bool {
        self.senders.values().all(|e| e.next == e.total)
    }

    /// Lines received so far from `name`.
    pub fn received_from(&self, name: &str) -> usize {
        self.senders.get(name).map_or(0, |e| e.next)
    }

    /// How far each sender's traffic has got, for failure messages.
    pub fn progress(&self) -> String {
        let mut parts: Vec<String> =
            self.senders.iter().map(|(name, e)| format!("{name}: {}/{}", e.next, e.total)).collect();
        parts.sort();
        parts.join(", ")
    }
}

/// At most 80 characters of `text`, for messages.
fn clip(text: &str) -> String {
    if text.len() <= 80 {
        format!("`{text}`")
    } else {
        format!("`{}...` ({} bytes)", text.chars().take(80).collect::<String>(), text.len())
    }
}

impl crate::Client {
    /// Reads until `delivery` is complete, checking every traffic line on the way; returns the
    /// other lines (notices and such) in the order they came.
    pub fn receive_traffic(&mut self, delivery: &mut Delivery, deadline: crate::Deadline) -> Vec<String> {
        self.receive_traffic_reporting(delivery, deadline, None)
    }

    /// Like [`receive_traffic`](Self::receive_traffic), and raises `read` to the number of
    /// traffic lines read so far (every few lines), for a sender to pace itself on.
    pub fn receive_traffic_reporting(
        &mut self,
        delivery: &mut Delivery,
        deadline: crate::Deadline,
        read: Option<&crate::Progress>,
    ) -> Vec<String> {
        let mut others = Vec::new();
        let mut lines = 0;
        while !delivery.is_complete() {
            let line = match self.try_next_line(deadline) {
                Ok(line) => line,
                Err(end) => panic!(
                    "client {}: the connection ended before all traffic arrived ({}): {end:?}",
                    self.label(),
                    delivery.progress()
                ),
            };
            match delivery.accept(&line) {
                Ok(true) => lines += 1,
                Ok(false) => others.push(line),
                Err(error) => panic!("client {}: {error} (so far {})", self.label(), delivery.progress()),
            }
            if let Some(read) = read.filter(|_| lines % 64 == 0 || delivery.is_complete()) {
                read.reach(lines);
            }
        }
        others
    }
}

/// Has `talker` send `lines` lines of 1,000 bytes (from another thread) while the client named
/// `silent` reads nothing, and fails the test unless `listener`, who reads, gets the notice that
/// `silent` is offline as too slow before the talker's lines run out. Make `lines` far more
/// than the server's queue cap, the socket buffers and a transport's own buffers together.
pub fn expect_silent_client_dropped(
    talker: &crate::Client,
    listener: &mut crate::Client,
    silent: &str,
    lines: usize,
) {
    listener.set_recording(false);
    // Room for all of it in the listener's socket: a test thread starved of CPU for a while
    // must not look like a client that stopped reading.
    listener.set_recv_buffer(lines * 1_024);
    let line = "x".repeat(1_000);
    let expected_notice = format!("*** {silent} is offline (too slow)");
    std::thread::scope(|scope| {
        let mut writer = talker.writer();
        scope.spawn(move || {
            for _ in 0..lines {
                writer.send_raw(format!("{line}\n").as_bytes());
            }
        });
        let deadline = crate::Deadline::after(crate::WAIT * 3);
        let mut got = 0;
        loop {
            if listener.next_line_by(deadline) == expected_notice {
                break;
            }
            got += 1;
            assert!(got <= lines, "every line arrived, but no too-slow notice for {silent}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(_: usize) -> usize {
        30
    }

    fn delivery() -> Delivery {
        let mut delivery = Delivery::new();
        delivery.expect_from("x", 0, 3, short);
        delivery
    }

    fn said(index: usize) -> String {
        format!("<x> {}", line_text(0, index, short(index)))
    }

    #[test]
    fn accepts_each_line_once_in_order() {
        let mut delivery = delivery();
        assert_eq!(delivery.accept("*** y entered the room"), Ok(false));
        assert_eq!(delivery.accept("<y> not traffic"), Ok(false));
        for index in 0..3 {
            assert!(!delivery.is_complete());
            assert_eq!(delivery.accept(&said(index)), Ok(true));
        }
        assert!(delivery.is_complete());
        assert!(delivery.accept(&said(2)).is_err(), "one too many");
    }

    #[test]
    fn refuses_lost_repeated_split_and_merged_lines() {
        let mut lost = delivery();
        assert!(lost.accept(&said(1)).is_err());

        let mut repeated = delivery();
        repeated.accept(&said(0)).unwrap();
        assert!(repeated.accept(&said(0)).is_err());

        let whole = said(0);
        let (head, _) = whole.split_at(20);
        assert!(delivery().accept(head).is_err(), "a split line");
        assert!(delivery().accept(&format!("{whole}{}", line_text(0, 1, short(1)))).is_err(), "merged lines");
    }

    #[test]
    fn lines_are_as_long_as_asked_and_all_different() {
        let bytes = lines(3, 0..100, |i| 20 + i);
        let texts: Vec<&[u8]> = bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        assert_eq!(texts.len(), 100);
        for (index, text) in texts.iter().enumerate() {
            assert_eq!(text.len(), 20 + index);
        }
        let distinct: std::collections::HashSet<_> = texts.iter().collect();
        assert_eq!(distinct.len(), 100);
    }
}
