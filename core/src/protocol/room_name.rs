//! Room names: `#name`, what is valid, and when two count as the same.

use crate::protocol::nick::key_of;
use crate::protocol::spelled::{Spelled, spelled_and_keyed};

/// Longest room name, in characters, not counting its `#`.
pub const MAX_ROOM_NAME: usize = 32;

/// The room every connection starts in, and the one `/part` goes back to.
pub const LOBBY: &str = "#lobby";

/// A valid room name, written with its `#`, with the key that decides uniqueness.
#[derive(Clone, Debug)]
pub struct RoomName {
    spelled: Spelled,
}

/// Why a requested room name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoomNameError {
    /// Nothing after the `#`.
    #[error("a room name cannot be empty: try /join #name")]
    Empty,
    /// The name is longer than [`MAX_ROOM_NAME`].
    #[error("a room name can have at most {MAX_ROOM_NAME} characters after its #")]
    TooLong,
    /// The name has a character that is not allowed.
    #[error("a room name cannot contain {0:?}: use letters, digits and - _ . only")]
    BadChar(char),
}

impl RoomName {
    /// Validates a room name a user typed, with or without its leading `#`.
    ///
    /// Allowed after the `#`: 1 to [`MAX_ROOM_NAME`] letters, digits (any script), `-`, `_` and
    /// `.`. Names are unique ignoring case and look-alike characters, as nicknames are
    /// ([`Nick::key`](crate::protocol::Nick::key)): `#Rust`, `#rust` and `#ruѕt` (with a Cyrillic `ѕ`) are one room.
    pub fn parse(typed: &str) -> Result<Self, RoomNameError> {
        let bare = typed.strip_prefix('#').unwrap_or(typed);
        if bare.is_empty() {
            return Err(RoomNameError::Empty);
        }
        if let Some(bad) = bare.chars().find(|&c| !allowed(c)) {
            return Err(RoomNameError::BadChar(bad));
        }
        if bare.chars().count() > MAX_ROOM_NAME {
            return Err(RoomNameError::TooLong);
        }
        Ok(Self::new_unchecked(&format!("#{bare}")))
    }

    /// `#lobby`, the default room.
    pub fn lobby() -> Self {
        Self::new_unchecked(LOBBY)
    }

    /// Whether this is `#lobby`.
    pub fn is_lobby(&self) -> bool {
        self.key() == key_of(LOBBY)
    }
}

spelled_and_keyed!(
    RoomName,
    /// The name as it was first written, with its `#`.
    as_str,
    /// The uniqueness key: case folded, look-alikes mapped to one prototype.
    key
);

impl PartialEq for RoomName {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for RoomName {}

/// Letters and digits of any script (invisible, control and look-like-space characters are not
/// alphanumeric), and `-` `_` `.`.
fn allowed(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_or_without_the_hash_are_one_room() {
        let rust = RoomName::parse("#Rust").unwrap();
        assert_eq!(rust.as_str(), "#Rust");
        assert_eq!(RoomName::parse("rust").unwrap(), rust);
        assert_eq!(RoomName::parse("#RUST").unwrap(), rust);
        assert_eq!(RoomName::parse("#ru\u{455}t").unwrap(), rust, "look-alike");
        assert_ne!(RoomName::parse("#rusty").unwrap(), rust);
        assert!(RoomName::parse("#LOBBY").unwrap().is_lobby());
        assert!(RoomName::lobby().is_lobby());
        assert_eq!(RoomName::parse("#café-2.0_x").unwrap().as_str(), "#café-2.0_x");
    }

    #[test]
    fn bad_room_names_are_refused() {
        assert_eq!(RoomName::parse("#"), Err(RoomNameError::Empty));
        assert_eq!(RoomName::parse(""), Err(RoomNameError::Empty));
        assert_eq!(RoomName::parse("#a b"), Err(RoomNameError::BadChar(' ')));
        assert_eq!(RoomName::parse("##a"), Err(RoomNameError::BadChar('#')));
        assert_eq!(RoomName::parse("#a:b"), Err(RoomNameError::BadChar(':')));
        assert_eq!(RoomName::parse("#a\u{200b}"), Err(RoomNameError::BadChar('\u{200b}')));
        assert_eq!(RoomName::parse("#a\u{202e}"), Err(RoomNameError::BadChar('\u{202e}')));
        let long = "x".repeat(MAX_ROOM_NAME + 1);
        assert_eq!(RoomName::parse(&long), Err(RoomNameError::TooLong));
        assert!(RoomName::parse(&long[1..]).is_ok());
    }
}
