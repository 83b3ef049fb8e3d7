//! [`Effects`]: what reading some bytes meant for the connection, passed up the layers.

use std::net::SocketAddr;

use chat_core::PeerGone;

/// What a layer found while reading, beyond the application bytes themselves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Effects {
    /// The connection just became a chat client, with this (real) address.
    pub(crate) opened: Option<SocketAddr>,
    /// The chat client is gone: tell the core.
    pub(crate) ended: Option<PeerGone>,
    /// Nothing more will be read or sent: close the socket once the bytes queued are written.
    pub(crate) finish: bool,
}

impl Effects {
    /// Adds what a later step found; the first `opened` and `ended` stand.
    pub(crate) fn merge(&mut self, later: Effects) {
        self.opened = self.opened.or(later.opened);
        self.ended = self.ended.or(later.ended);
        self.finish |= later.finish;
    }
}
