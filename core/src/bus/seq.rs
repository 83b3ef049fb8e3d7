//! A room's sequence number as its stream's entry id: line `n` is the entry `n-0`.

use std::fmt;
use std::str::FromStr;

/// A room's sequence number on the bus: line `n` of a room is the entry with id `n-0` in the
/// room's stream. `StreamSeq(0)` (`0-0`) is "before the first line".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamSeq(pub u64);

impl StreamSeq {
    /// Before the first line of a room.
    pub const ZERO: StreamSeq = StreamSeq(0);

    /// The stream entry id of this line: `n-0`.
    pub fn stream_id(self) -> String {
        format!("{}-0", self.0)
    }

    /// The line after this one.
    pub fn successor(self) -> StreamSeq {
        StreamSeq(self.0.saturating_add(1))
    }
}

impl fmt::Display for StreamSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-0", self.0)
    }
}

/// A stream entry id that no `chat` node wrote.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stream entry id {0:?} is not a chat line number (expected N-0)")]
pub struct StreamSeqError(pub String);

impl FromStr for StreamSeq {
    type Err = StreamSeqError;

    /// Reads an entry id `n-0` (or a bare `n`) back as line `n`.
    fn from_str(id: &str) -> Result<Self, Self::Err> {
        let error = || StreamSeqError(id.to_owned());
        let (millis, counter) = id.split_once('-').unwrap_or((id, "0"));
        if counter != "0" || millis.is_empty() || !millis.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        millis.parse().map(StreamSeq).map_err(|_| error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_are_the_sequence_number_then_zero() {
        assert_eq!(StreamSeq(42).stream_id(), "42-0");
        assert_eq!("42-0".parse(), Ok(StreamSeq(42)));
        assert_eq!("7".parse(), Ok(StreamSeq(7)));
        assert_eq!(StreamSeq::ZERO.successor(), StreamSeq(1));
    }

    #[test]
    fn ids_no_chat_node_writes_are_refused() {
        for id in ["1700000000000-1", "", "-0", "1-", "a-0", "+1-0", "18446744073709551616-0"] {
            assert_eq!(id.parse::<StreamSeq>(), Err(StreamSeqError(id.into())), "{id}");
        }
    }

    proptest! {
        #[test]
        fn every_number_round_trips_and_ids_sort_as_numbers(a: u64, b: u64) {
            prop_assert_eq!(StreamSeq(a).stream_id().parse(), Ok(StreamSeq(a)));
            prop_assert_eq!(StreamSeq(a) < StreamSeq(b), a < b);
        }
    }
}
