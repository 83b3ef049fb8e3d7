//! Shared checks for the `chat-core` fuzz targets.
//!
//! The targets live in `fuzz_targets/`; this library holds what more than one of them asserts:
//! what a frame the server sends must look like.

use std::fmt;

/// Why an outbound frame is not valid wire text.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameProblem {
    /// The frame is not valid UTF-8.
    NotUtf8,
    /// The frame does not end with `\n`.
    Unterminated,
    /// The frame holds an empty line (two `\n` in a row, or a leading `\n`).
    EmptyLine,
    /// The frame holds more than one line where exactly one was expected.
    SeveralLines,
    /// The frame holds a character that could write into a terminal: a control character
    /// other than tab (ESC, CR, DEL, C1 ...), a bidi control or a line/paragraph separator.
    Unsafe(char),
}

impl fmt::Display for FrameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameProblem::NotUtf8 => f.write_str("frame is not valid UTF-8"),
            FrameProblem::Unterminated => f.write_str("frame does not end with \\n"),
            FrameProblem::EmptyLine => f.write_str("frame holds an empty line"),
            FrameProblem::SeveralLines => f.write_str("frame holds more than one line"),
            FrameProblem::Unsafe(c) => write!(f, "frame holds the unsafe character {c:?}"),
        }
    }
}

/// How many lines a frame may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    /// Exactly one line.
    One,
    /// One or more whole lines (what [`chat_core::Output::Transmit`] promises).
    OneOrMore,
}

/// Checks that `frame` is wire text a terminal can print safely: UTF-8, whole non-empty lines
/// each ending in `\n`, and no character [`chat_core::protocol::sanitize`] promises to neutralise.
pub fn check_frame(frame: &[u8], lines: Lines) -> Result<(), FrameProblem> {
    let text = std::str::from_utf8(frame).map_err(|_| FrameProblem::NotUtf8)?;
    let body = text.strip_suffix('\n').ok_or(FrameProblem::Unterminated)?;
    for line in body.split('\n') {
        if line.is_empty() {
            return Err(FrameProblem::EmptyLine);
        }
        if let Some(c) = line.chars().find(|&c| is_unsafe(c)) {
            return Err(FrameProblem::Unsafe(c));
        }
    }
    if lines == Lines::One && body.contains('\n') {
        return Err(FrameProblem::SeveralLines);
    }
    Ok(())
}

/// A character that must never reach another user's terminal as it is.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_lines_and_refuses_the_rest() {
        assert_eq!(check_frame(b"<a> hi\tthere\n", Lines::One), Ok(()));
        assert_eq!(check_frame(b"a\nb\n", Lines::OneOrMore), Ok(()));
        assert_eq!(check_frame(b"a\nb\n", Lines::One), Err(FrameProblem::SeveralLines));
        assert_eq!(check_frame(b"a", Lines::One), Err(FrameProblem::Unterminated));
        assert_eq!(check_frame(b"\n", Lines::One), Err(FrameProblem::EmptyLine));
        assert_eq!(check_frame(b"\xff\n", Lines::One), Err(FrameProblem::NotUtf8));
        assert_eq!(check_frame(b"\x1b[2J\n", Lines::One), Err(FrameProblem::Unsafe('\x1b')));
        assert_eq!(check_frame(b"a\rb\n", Lines::One), Err(FrameProblem::Unsafe('\r')));
        assert_eq!(check_frame("x\u{202e}\n".as_bytes(), Lines::One), Err(FrameProblem::Unsafe('\u{202e}')));
    }
}
