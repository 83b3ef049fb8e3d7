//! [`Event`]: an input for the core, owned, to hand from an I/O thread to the core's thread.

use std::net::SocketAddr;

use chat_core::{ClientId, Input, PeerGone};

/// What an I/O thread heard about one of its connections, for the core: an [`Input`] that owns
/// its bytes. Timeouts, the shutdown and the services' answers are the core thread's own, so
/// they never travel.
#[derive(Debug)]
pub(crate) enum Event {
    /// [`Input::Connected`].
    Connected { id: ClientId, peer: SocketAddr },
    /// [`Input::Accepted`].
    Accepted { id: ClientId, peer: SocketAddr },
    /// [`Input::Received`], with a copy of the bytes.
    Received { id: ClientId, bytes: Vec<u8> },
    /// [`Input::Flushed`].
    Flushed { id: ClientId, bytes: usize, frames: usize },
    /// [`Input::Buffered`].
    Buffered { id: ClientId, bytes: usize },
    /// [`Input::Blocked`].
    Blocked { id: ClientId },
    /// [`Input::Disconnected`].
    Disconnected { id: ClientId, cause: PeerGone },
}

impl Event {
    /// The event for `input`, if it is about a connection (not a timeout, the shutdown or a
    /// service's answer).
    pub(crate) fn of(input: Input<'_>) -> Option<Self> {
        Some(match input {
            Input::Connected { id, peer } => Self::Connected { id, peer },
            Input::Accepted { id, peer } => Self::Accepted { id, peer },
            Input::Received { id, bytes } => Self::Received { id, bytes: bytes.to_vec() },
            Input::Flushed { id, bytes, frames } => Self::Flushed { id, bytes, frames },
            Input::Buffered { id, bytes } => Self::Buffered { id, bytes },
            Input::Blocked { id } => Self::Blocked { id },
            Input::Disconnected { id, cause } => Self::Disconnected { id, cause },
            Input::Timeout | Input::Shutdown | Input::Service(_) => return None,
        })
    }

    /// The core's input for this event.
    pub(crate) fn input(&self) -> Input<'_> {
        match *self {
            Self::Connected { id, peer } => Input::Connected { id, peer },
            Self::Accepted { id, peer } => Input::Accepted { id, peer },
            Self::Received { id, ref bytes } => Input::Received { id, bytes },
            Self::Flushed { id, bytes, frames } => Input::Flushed { id, bytes, frames },
            Self::Buffered { id, bytes } => Input::Buffered { id, bytes },
            Self::Blocked { id } => Input::Blocked { id },
            Self::Disconnected { id, cause } => Input::Disconnected { id, cause },
        }
    }
}
