//! The service seam: work the core hands to threads beside the event loop, and their answers.
//!
//! Some work must not run on the event loop: writing to the database, hashing a password,
//! talking to the message bus. The core asks for it with one output,
//! [`Output::Service`](crate::Output::Service) carrying a [`Request`], and hears back through
//! one input, [`Input::Service`](crate::Input::Service) carrying a [`Reply`]. A runtime hands
//! every request to its [`Services`](crate::kit::Services) without waiting and feeds every reply
//! it produces back to the core; it never looks inside either.
//!
//! - [`Request::Persist`]: a [`Record`] for the database writer, in order. No reply.
//! - [`Request::Password`]: hash or verify a password; the [`Reply::Password`] names the same
//!   [`Ticket`].
//! - [`Request::Bus`]: a [`BusCommand`] for the bus bridge; [`Reply::Bus`] carries what the bus
//!   says, in the order it happened.

use std::fmt;

use crate::{BusCommand, BusEvent, Record};

/// Matches a password [`Reply`] to its [`Request`]; chosen by the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(pub u64);

/// Work the core asks of the threads beside the event loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Persist `record`, after every record asked for before it.
    Persist(Record),
    /// Hash or verify a password, off the event loop.
    Password(PasswordRequest),
    /// Hand a command to the message bus.
    Bus(BusCommand),
}

/// Password work. Its `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub enum PasswordRequest {
    /// Hash a new password (registering, changing it).
    Hash {
        /// Names the answer.
        ticket: Ticket,
        /// The password.
        password: String,
    },
    /// Check a password against an account's stored hash.
    Verify {
        /// Names the answer.
        ticket: Ticket,
        /// The password given.
        password: String,
        /// The account's PHC string, or `None` when there is no such account: the check then
        /// takes as long and fails, so timing does not tell which names are registered.
        hash: Option<String>,
    },
}

impl PasswordRequest {
    /// The ticket its answer will carry.
    pub fn ticket(&self) -> Ticket {
        match self {
            PasswordRequest::Hash { ticket, .. } | PasswordRequest::Verify { ticket, .. } => *ticket,
        }
    }
}

impl fmt::Debug for PasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordRequest::Hash { ticket, .. } => {
                f.debug_struct("Hash").field("ticket", ticket).finish_non_exhaustive()
            }
            PasswordRequest::Verify { ticket, hash, .. } => f
                .debug_struct("Verify")
                .field("ticket", ticket)
                .field("account", &hash.is_some())
                .finish_non_exhaustive(),
        }
    }
}

/// What a password request came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordOutcome {
    /// The new password's hash, as a PHC string.
    Hashed(String),
    /// Whether the password matched.
    Verified(bool),
    /// The work could not be done (the worker is busy or failed): tell the user to try again.
    Unavailable,
}

/// What the threads beside the event loop answer, for [`Input::Service`](crate::Input::Service).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The answer to a [`PasswordRequest`].
    Password {
        /// The request's ticket.
        ticket: Ticket,
        /// What it came to.
        outcome: PasswordOutcome,
    },
    /// Something the message bus said.
    Bus(BusEvent),
}
