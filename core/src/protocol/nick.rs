//! Nicknames: what is valid, and when two count as the same.

use unicode_security::skeleton;

use crate::protocol::sanitize::{is_invisible, sanitize};
use crate::protocol::spelled::{Spelled, spelled_and_keyed};

/// What a chosen name may not hold (so that a client can always tell where a name ends).
const FORBIDDEN: [char; 9] = [':', ',', '*', '!', '<', '>', '[', ']', '/'];

/// What a chosen name may not hold anything that looks like, either: so that no name can pass
/// for an `IP:PORT` or `[IPV6]:PORT` default name, a `***` notice or `*NAME*` private message,
/// a `<NAME>` message or two names in a list. (Look-alikes of `!` and `/` are harmless, and
/// common letters look like them, as Katakana ノ looks like `/`.)
const LOOK_ALIKES_FORBIDDEN: [char; 7] = [':', ',', '*', '<', '>', '[', ']'];

/// A valid nickname, with the key that decides uniqueness.
#[derive(Clone, Debug)]
pub struct Nick {
    spelled: Spelled,
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
        "a nickname cannot contain {0:?}: use visible letters, digits and punctuation other than : , * ! < > [ ] / (or look-alikes)"
    )]
    BadChar(char),
    /// The name starts with a character that is not allowed there.
    #[error("a nickname cannot start with {0:?} (nor anything that looks like - or #)")]
    BadStart(char),
}

impl Nick {
    /// Validates a nickname that a user asked for.
    ///
    /// Allowed: up to `max_chars` characters; no white space, controls or invisible characters
    /// (format characters, Default_Ignorable_Code_Points: see [`sanitize`](crate::protocol::sanitize),
    /// whose two exceptions for emoji apply), nor anything that looks like white space or like
    /// nothing; none of `: , * ! < > [ ] /` nor any look-alike of them (by the UTS #39
    /// confusable skeleton: `꞉` U+A789, `：` U+FF1A, `∶` U+2236, `＊` U+FF0A, `∗` U+2217 ...;
    /// look-alikes of `!` and `/` aside),
    /// so a chosen name can never look like a notice, a prefix or a default `ip:port` name;
    /// and not starting with `-` or `#` or a look-alike.
    pub fn parse(name: &str, max_chars: usize) -> Result<Self, NickError> {
        let first = name.chars().next().ok_or(NickError::Empty)?;
        if name.chars().count() > max_chars {
            return Err(NickError::TooLong(max_chars));
        }
        if let Some(bad) = name.chars().find(|&c| !allowed(c)) {
            return Err(NickError::BadChar(bad));
        }
        let shown = sanitize(name);
        if let Some((bad, _)) =
            name.chars().zip(shown.chars().chain(std::iter::repeat('\0'))).find(|(a, b)| a != b)
        {
            return Err(NickError::BadChar(bad));
        }
        if looks_like(first).any(|c| matches!(c, '-' | '#')) {
            return Err(NickError::BadStart(first));
        }
        Ok(Self::new_unchecked(name))
    }

    /// A `guest-NNNN` name made by [`GuestNames`](crate::protocol::guest::GuestNames).
    pub(crate) fn guest(name: &str) -> Self {
        Self::new_unchecked(name)
    }
}

spelled_and_keyed!(
    Nick,
    /// The name as the user wrote it.
    as_str,
    /// The uniqueness key: two names with the same key cannot both be in use. It folds case
    /// and maps look-alike characters to one prototype (the UTS #39 confusable skeleton), so
    /// `alice`, `ALICE`, `a1ice` and `аlice` (Cyrillic а) share one key.
    key
);

/// The uniqueness key of any name: see [`Nick::key`]. Invisible characters are left out
/// first, so a name with one matches the name without it.
pub(crate) fn key_of(name: &str) -> String {
    let visible: String = name.chars().filter(|&c| !is_invisible(c)).collect();
    let folded: String = skeleton(&visible.to_lowercase()).collect();
    let folded: String = skeleton(&folded.to_lowercase()).collect();
    folded.to_lowercase()
}

/// The characters `c` looks like: its confusable skeleton (`c` itself for ASCII).
fn looks_like(c: char) -> impl Iterator<Item = char> {
    let mut utf8 = [0; 4];
    let looks: Vec<char> = if c.is_ascii() { vec![c] } else { skeleton(c.encode_utf8(&mut utf8)).collect() };
    looks.into_iter()
}

/// Whether `c` may be in a chosen name, invisible characters aside (those are checked against
/// [`sanitize`], which keeps a few for emoji).
fn allowed(c: char) -> bool {
    if c.is_whitespace() || c.is_control() || FORBIDDEN.contains(&c) {
        return false;
    }
    if is_invisible(c) {
        return true;
    }
    let mut looks = looks_like(c).peekable();
    looks.peek().is_some() && !looks.any(|l| l.is_whitespace() || LOOK_ALIKES_FORBIDDEN.contains(&l))
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

    #[test]
    fn look_alikes_of_forbidden_punctuation_are_refused() {
        for (name, bad) in [
            ("10.0.0.5\u{A789}41234", '\u{A789}'),
            ("10.0.0.5\u{FF1A}41234", '\u{FF1A}'),
            ("a\u{2236}b", '\u{2236}'),
            ("\u{FF0A}\u{FF0A}\u{FF0A}", '\u{FF0A}'),
            ("\u{2217}\u{2217}\u{2217}", '\u{2217}'),
            ("x\u{2800}y", '\u{2800}'),
            ("x\u{3164}y", '\u{3164}'),
        ] {
            assert_eq!(Nick::parse(name, 24).unwrap_err(), NickError::BadChar(bad), "{name:?}");
        }
        assert_eq!(Nick::parse("\u{2212}x", 24).unwrap_err(), NickError::BadStart('\u{2212}'));
    }

    #[test]
    fn invisible_characters_are_refused() {
        for bad in
            ['\u{FFF9}', '\u{FFFA}', '\u{FFFB}', '\u{13430}', '\u{13438}', '\u{200B}', '\u{E0041}', '\u{AD}']
        {
            let name = format!("alice{bad}");
            assert_eq!(Nick::parse(&name, 24).unwrap_err(), NickError::BadChar(bad), "{name:?}");
        }
        assert_eq!(Nick::parse("a\u{FE0F}\u{FE0F}", 24).unwrap_err(), NickError::BadChar('\u{FE0F}'));
        assert!(Nick::parse("\u{2764}\u{FE0F}", 24).is_ok());
        assert!(Nick::parse("\u{1F468}\u{200D}\u{1F469}", 24).is_ok());
        assert_eq!(key_of("alice\u{FFF9}"), key_of("alice"));
    }
}
