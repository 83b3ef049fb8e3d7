//! Turning the bytes a server sends into lines that are safe to show.

use chat_core::protocol::sanitize;

/// The longest line kept whole; a longer one is shown in pieces of this size, so a hostile
/// server cannot make the client buffer without bound.
pub const MAX_LINE: usize = 16 * 1024;

/// Splits a server's byte stream into display-safe lines, however it is chunked.
///
/// Our server sends whole `\n`-terminated lines. The lab handout's Python server does not: it
/// prefixes each relayed chunk with `\r` and its notices with `\n`, and relays whatever one
/// `recv()` returned, so a message may arrive without a line ending, or two in one line. So
/// both `\n` and `\r` end a line here, blank lines are skipped, surrounding white space is
/// trimmed, and every line goes through [`sanitize`] so no control character reaches the
/// terminal.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// An empty splitter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds received bytes and calls `on_line` for every line they complete, in order.
    pub fn feed(&mut self, bytes: &[u8], mut on_line: impl FnMut(String)) {
        for piece in bytes.split_inclusive(|&b| b == b'\n' || b == b'\r') {
            let (body, ended) = match piece.split_last() {
                Some((&(b'\n' | b'\r'), body)) => (body, true),
                _ => (piece, false),
            };
            let mut body = body;
            while self.partial.len() + body.len() > MAX_LINE {
                let room = MAX_LINE - self.partial.len();
                let cut = char_boundary_at_or_before(body, room, self.partial.is_empty());
                self.partial.extend_from_slice(&body[..cut]);
                body = &body[cut..];
                self.emit(&mut on_line);
            }
            self.partial.extend_from_slice(body);
            if ended {
                self.emit(&mut on_line);
            }
        }
    }

    /// Whether bytes of an unfinished line are waiting for their line ending.
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    /// Delivers the unfinished line, if any, as it is: for the end of the stream, or when a
    /// server has left it unterminated for a while.
    pub fn flush(&mut self, mut on_line: impl FnMut(String)) {
        self.emit(&mut on_line);
    }

    fn emit(&mut self, on_line: &mut impl FnMut(String)) {
        let raw = std::mem::take(&mut self.partial);
        let text = String::from_utf8_lossy(&raw);
        let text = text.trim();
        if !text.is_empty() {
            on_line(sanitize(text).into_owned());
        }
    }
}

/// The largest index `<= max` in `bytes` that does not split a UTF-8 sequence (or `max` when
/// no boundary is near, so progress is always made when `must_progress` is set).
fn char_boundary_at_or_before(bytes: &[u8], max: usize, must_progress: bool) -> usize {
    let is_continuation = |i: usize| bytes.get(i).is_some_and(|&b| b & 0xC0 == 0x80);
    let mut cut = max;
    while cut > 0 && max - cut < 4 && is_continuation(cut) {
        cut -= 1;
    }
    if (cut == 0 && must_progress) || is_continuation(cut) { max } else { cut }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut splitter = LineSplitter::new();
        let mut lines = Vec::new();
        for chunk in chunks {
            splitter.feed(chunk, |line| lines.push(line));
        }
        splitter.flush(|line| lines.push(line));
        lines
    }

    #[test]
    fn our_servers_lines_come_through_however_chunked() {
        assert_eq!(
            split(&[b"<a> hel", b"lo\n*** b entered", b" the room\n"]),
            ["<a> hello", "*** b entered the room"]
        );
    }

    #[test]
    fn the_python_servers_stray_carriage_returns_and_blank_lines_are_dropped() {
        let lines = split(&[b"\r<('127.0.0.1', 5555)> hi\n", b"\n Client ('127.0.0.1', 5555) is offline\n"]);
        assert_eq!(lines, ["<('127.0.0.1', 5555)> hi", "Client ('127.0.0.1', 5555) is offline"]);
    }

    #[test]
    fn a_carriage_return_starts_a_new_line_so_merged_messages_are_separated() {
        assert_eq!(split(&[b"\r<a> one\r<b> two\r\n"]), ["<a> one", "<b> two"]);
    }

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(split(&[b"<evil> \x1b[2J\x07gotcha\n"]), ["<evil> ^[[2J^Ggotcha"]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(split(&[b"<a> caf\xe9\n"]), ["<a> caf\u{fffd}"]);
    }

    #[test]
    fn an_unterminated_line_waits_until_flushed() {
        let mut splitter = LineSplitter::new();
        let mut lines = Vec::new();
        splitter.feed(b"<a> no newline", |line| lines.push(line));
        assert!(lines.is_empty());
        assert!(splitter.has_partial());
        splitter.flush(|line| lines.push(line));
        assert_eq!(lines, ["<a> no newline"]);
        assert!(!splitter.has_partial());
    }

    #[test]
    fn an_endless_line_is_cut_into_bounded_pieces_on_character_boundaries() {
        let text = "é".repeat(MAX_LINE);
        let lines = split(&[text.as_bytes(), b"\n"]);
        assert!(lines.len() >= 2);
        assert!(lines.iter().all(|line| line.len() <= MAX_LINE && !line.contains('\u{fffd}')));
        assert_eq!(lines.concat(), text);
    }
}
