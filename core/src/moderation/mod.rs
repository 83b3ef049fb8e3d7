//! Moderation's state, as pure data: who is an operator, who is banned or muted until when,
//! the message of the day and which rooms' topics are locked. What the commands do with it is
//! in `server/moderation.rs`.
//!
//! Times are wall-clock [`UnixMillis`](crate::UnixMillis), derived from the core's instants,
//! since bans and mutes must mean the same after a restart.

pub(crate) mod bans;
pub(crate) mod duration;
pub(crate) mod mutes;
pub(crate) mod operators;

use std::collections::BTreeSet;

use crate::{Motd, UnixMillis};
use bans::Bans;
use mutes::Mutes;
use operators::Operators;

/// Everything moderation keeps.
#[derive(Debug)]
pub(crate) struct Moderation {
    pub(crate) operators: Operators,
    pub(crate) bans: Bans,
    pub(crate) mutes: Mutes,
    pub(crate) motd: Option<Motd>,
    /// Rooms (by key) whose topic only their operators may change. Not stored.
    pub(crate) locked_topics: BTreeSet<String>,
}

impl Moderation {
    /// Nothing granted, banned or muted yet.
    pub(crate) fn new() -> Self {
        Self {
            operators: Operators::default(),
            bans: Bans::default(),
            mutes: Mutes::default(),
            motd: None,
            locked_topics: BTreeSet::new(),
        }
    }

    /// When the next ban or mute ends.
    pub(crate) fn next_expiry(&self) -> Option<UnixMillis> {
        [self.bans.next_expiry(), self.mutes.next_expiry()].into_iter().flatten().min()
    }
}
