//! Every line the server sends, in one place: how the server writes it ([`format`], and
//! [`rooms`] for the lines about rooms, history, away and ignore) and how a client reads it
//! back ([`ServerLine::parse`]). `docs/PROTOCOL.md` describes the same lines.
//!
//! The two halves live side by side so that changing a line's wording changes its parser in the
//! same commit; the round-trip tests in [`parse`] fail if they drift apart.

mod accounts;
mod cluster;
mod cluster_names;
mod format;
mod moderation;
mod parse;
mod parse_rooms;
mod rooms;

pub(crate) use accounts::*;
pub(crate) use cluster::*;
pub(crate) use cluster_names::*;
pub(crate) use format::*;
pub(crate) use moderation::*;
pub use parse::{Departures, Names, ServerLine};
pub(crate) use rooms::*;
