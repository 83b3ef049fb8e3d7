//! Incremental line framing with a hard length limit.

/// One framed line from a client's byte stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete, non-empty line without its ending, invalid UTF-8 replaced by U+FFFD.
    Text(String),
    /// An empty line (`\n` or `\r\n` alone). It says nothing, but it is a line all the same:
    /// the server charges it to flood control.
    Blank,
    /// A line longer than the limit. Reported once, as soon as the limit is passed; the rest of
    /// it is dropped and decoding resumes after the next `\n`.
    TooLong,
}

/// Splits a byte stream into lines, however the bytes are chunked.
///
/// `\n` ends a line and a `\r` just before it is dropped. An empty line is [`Line::Blank`]
/// (an unterminated empty last line is nothing). Memory stays
/// within the limit: the decoder never buffers more than `max_line + 1` bytes (the `+ 1` is a
/// possible `\r`).
#[derive(Debug)]
pub struct LineDecoder {
    max_line: usize,
    buf: Vec<u8>,
    discarding: bool,
    newlines: u64,
}

impl LineDecoder {
    /// A decoder that accepts lines of up to `max_line` bytes, line ending excluded.
    pub fn new(max_line: usize) -> Self {
        Self { max_line, buf: Vec::new(), discarding: false, newlines: 0 }
    }

    /// Feeds `bytes` and calls `on_line` for every line they complete, in order.
    pub fn feed(&mut self, mut bytes: &[u8], mut on_line: impl FnMut(Line)) {
        while !bytes.is_empty() {
            let newline = memchr(bytes);
            let (chunk, rest) = match newline {
                Some(i) => (&bytes[..i], &bytes[i + 1..]),
                None => (bytes, &[][..]),
            };
            bytes = rest;
            if !self.discarding {
                if self.buf.len() + chunk.len() > self.max_line + 1 {
                    self.buf = Vec::new();
                    self.discarding = true;
                    on_line(Line::TooLong);
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            if newline.is_some() {
                self.newlines += 1;
                if self.discarding {
                    self.discarding = false;
                } else {
                    on_line(self.take_line().unwrap_or(Line::Blank));
                }
            }
        }
    }

    /// Ends the stream: returns the unterminated last line, if there is one worth delivering.
    pub fn finish(&mut self) -> Option<Line> {
        let discarding = std::mem::replace(&mut self.discarding, false);
        if discarding {
            return None;
        }
        self.take_line()
    }

    /// How many bytes are buffered for an unfinished line.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// How many `\n` this decoder has seen: a line ended if it changed.
    pub(crate) fn newlines(&self) -> u64 {
        self.newlines
    }

    /// True while a line has begun and its `\n` has not come yet (bytes are buffered, or the
    /// rest of an over-long line is being skipped).
    pub fn is_mid_line(&self) -> bool {
        self.discarding || !self.buf.is_empty()
    }

    /// Drops the unfinished line: what is buffered is freed, and everything up to the next
    /// `\n` is skipped. Returns whether there was an unfinished line.
    pub fn drop_partial(&mut self) -> bool {
        let was = self.is_mid_line();
        if was {
            self.buf = Vec::new();
            self.discarding = true;
        }
        was
    }

    fn take_line(&mut self) -> Option<Line> {
        let mut end = self.buf.len();
        if self.buf.last() == Some(&b'\r') {
            end -= 1;
        }
        let line = if end == 0 {
            None
        } else if end > self.max_line {
            Some(Line::TooLong)
        } else {
            Some(Line::Text(String::from_utf8_lossy(&self.buf[..end]).into_owned()))
        };
        self.buf.clear();
        // Idle clients should not each pin a full line's worth of memory.
        if self.buf.capacity() > 256 {
            self.buf = Vec::new();
        }
        line
    }
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]], max: usize) -> Vec<Line> {
        let mut decoder = LineDecoder::new(max);
        let mut lines = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, |line| lines.push(line));
        }
        lines.extend(decoder.finish());
        lines
    }

    fn text(s: &str) -> Line {
        Line::Text(s.to_owned())
    }

    #[test]
    fn splits_on_lf_and_crlf_and_reports_empty_lines() {
        let lines = decode(&[b"a\r\n\nb\n\r\nc"], 10);
        assert_eq!(lines, vec![text("a"), Line::Blank, text("b"), Line::Blank, text("c")]);
        assert_eq!(decode(&[b"\r"], 10), vec![]);
    }

    #[test]
    fn a_dropped_partial_line_is_skipped_to_its_end() {
        let mut decoder = LineDecoder::new(10);
        let mut lines = Vec::new();
        decoder.feed(b"ab", |line| lines.push(line));
        assert!(decoder.is_mid_line());
        assert!(decoder.drop_partial());
        decoder.feed(b"cd\nok\n", |line| lines.push(line));
        assert_eq!(lines, vec![text("ok")]);
        assert!(!decoder.is_mid_line() && !decoder.drop_partial());
    }

    #[test]
    fn byte_at_a_time_gives_the_same_lines() {
        let input = b"hello\r\nworld\n";
        let chunks: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(decode(&chunks, 10), vec![text("hello"), text("world")]);
    }

    #[test]
    fn over_long_line_is_reported_once_and_decoding_resumes() {
        let lines = decode(&[b"0123456789abc", b"def\nok\n"], 10);
        assert_eq!(lines, vec![Line::TooLong, text("ok")]);
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes_with_crlf() {
        assert_eq!(decode(&[b"0123456789\r\n"], 10), vec![text("0123456789")]);
        assert_eq!(decode(&[b"0123456789x\n"], 10), vec![Line::TooLong]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(decode(&[b"a\xffb\n"], 10), vec![text("a\u{fffd}b")]);
    }

    #[test]
    fn memory_stays_within_the_limit() {
        let mut decoder = LineDecoder::new(8);
        decoder.feed(&[b'x'; 1000], |_| {});
        assert!(decoder.buffered() <= 9);
    }
}
