//! Identifiers the runtime gives to connections.

use std::fmt;

/// Names one connection for the lifetime of a [`Server`](crate::Server).
///
/// The runtime chooses ids (a counter is enough) and must never reuse one while the server runs:
/// the core may still be closing a client that the runtime has forgotten.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u64);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
