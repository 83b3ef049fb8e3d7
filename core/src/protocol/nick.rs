//! Nicknames: what is valid, and when two count as the same.

use std::fmt;

use unicode_security::skeleton;

/// A valid nickname, with the key that decides uniqueness.
#[derive(Clone, Debug)]
pub struct Nick {
    name: String,
    key: String,
}

/// Why a requested nickname was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NickError {
    /// No name was given.
    #[error("a nickname cannot be empty")]
    Empty,
    /// The name is longer than the limit.
    #[error("a nickname can have at most {0} characters")]
    TooLong(usize),
    /// The name has a character that is not allowed.
    #[error(
        "a nickname cannot contain {0:?}: use letters, digits and punctuation other than : , * ! < > [ ] /"
    )]
    BadChar(char),
    /// The name starts with a character that is not allowed there.
    #[error("a nickname cannot start with {0:?}")]
    BadStart(char),
}

impl Nick {
    /// Validates a nickname that a user asked for.
    ///
    /// Allowed: up to `max_chars` characters, no white space, controls or invisible formatting
    /// (nor anything that looks like white space or like nothing), none of `: , * ! < > [ ] /`
    /// (so a chosen name can never look like a notice, a prefix or a default `ip:port` name),
    /// and not starting with `-` or `#`.
    pub fn parse(name: &str, max_chars: usize) -> Result<Self, NickError> {
        let first = name.chars().next().ok_or(NickError::Empty)?;
        if name.chars().count() > max_chars {
            return Err(NickError::TooLong(max_chars));
        }
        if let Some(bad) = name.chars().find(|&c| !allowed(c)) {
            return Err(NickError::BadChar(bad));
        }
        if matches!(first, '-' | '#') {
            return Err(NickError::BadStart(first));
        }
        Ok(Self::new_unchecked(name.to_owned()))
    }

    /// A `guest-NNNN` name made by [`GuestNames`](crate::protocol::guest::GuestNames).
    pub(crate) fn guest(name: String) -> Self {
        Self::new_unchecked(name)
    }

    fn new_unchecked(name: String) -> Self {
        let key = key_of(&name);
        Self { name, key }
    }

    /// The name as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The uniqueness key: two names with the same key cannot both be in use. It folds case
    /// and maps look-alike characters to one prototype (the UTS #39 confusable skeleton), so
    /// `alice`, `ALICE`, `a1ice` and `аlice` (Cyrillic а) share one key.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for Nick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// The uniqueness key of any name: see [`Nick::key`].
pub(crate) fn key_of(name: &str) -> String {
    let folded: String = skeleton(&name.to_lowercase()).collect();
    let folded: String = skeleton(&folded.to_lowercase()).collect();
    folded.to_lowercase()
}

fn allowed(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || crate::protocol::sanitize::needs_replacing(c)
        || matches!(
            c,
            ':' | ',' | '*' | '!' | '<' | '>' | '[' | ']' | '/' | '\u{200B}'
                ..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}'
        )
        || looks_blank(c))
}

/// Whether `c` would show as white space or as nothing at all: its confusable skeleton holds
/// white space (U+2800 BRAILLE PATTERN BLANK) or is empty (the Hangul fillers, U+FFF0 to
/// U+FFF8, tag characters ...). Variation selectors are kept: they only pick how the character
/// before them is drawn, as in ❤️ (U+2764 U+FE0F).
fn looks_blank(c: char) -> bool {
    if c.is_ascii() || matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}') {
        return false;
    }
    let mut utf8 = [0; 4];
    let mut looks = skeleton(c.encode_utf8(&mut utf8)).peekable();
    looks.peek().is_none() || looks.any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_share_a_key() {
        let alice = key_of("alice");
        assert_eq!(key_of("ALICE"), alice);
        assert_eq!(key_of("a1ice"), alice);
        assert_eq!(key_of("\u{430}lice"), alice);
        assert_ne!(key_of("alicia"), alice);
    }

    #[test]
    fn bad_names_are_refused() {
        assert_eq!(Nick::parse("", 24).unwrap_err(), NickError::Empty);
        assert_eq!(Nick::parse("a b", 24).unwrap_err(), NickError::BadChar(' '));
        assert_eq!(Nick::parse("1.2.3.4:5", 24).unwrap_err(), NickError::BadChar(':'));
        assert_eq!(Nick::parse("x\u{202e}", 24).unwrap_err(), NickError::BadChar('\u{202e}'));
        assert_eq!(Nick::parse("abcdef", 5).unwrap_err(), NickError::TooLong(5));
        assert_eq!(Nick::parse("-x", 5).unwrap_err(), NickError::BadStart('-'));
        assert_eq!(Nick::parse("zoë_99", 24).unwrap().as_str(), "zoë_99");
    }
}
