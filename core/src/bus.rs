//! The bus seam: what the core asks of a shared message bus (Redis Streams, through the
//! `chat-bus` bridge) and what it hears back: pure data, so the core stays sans-IO.
//!
//! Several `chat serve` nodes share rooms by appending everything said in a room to that room's
//! stream and reading every room that has local members back from it. A node delivers its own
//! users' lines only when they come back from the stream, so every node delivers a room's
//! entries in one order: the stream's.
//!
//! - The core emits [`BusCommand`]s: append a [`BusPayload`] to room R; subscribe to or leave
//!   room R's stream ([`SubscribeFrom`]); this node's users coming and going (its presence set);
//!   name leases; and a [`BusCommand::Heartbeat`] on the core's own clock, so a node whose event
//!   loop stops is seen as dead.
//! - The bridge answers with [`BusEvent`]s: room R's entry numbered [`StreamSeq`] X with its
//!   payload; the bus went down or came back; a [`Gap`] (lines may be missing); a lease granted,
//!   refused or lost; another node's heartbeat expired, with the users it had.
//!
//! **Numbering.** A room's sequence number *is* its stream id: line `n` of room R is the entry
//! with id `n-0` ([`StreamSeq::stream_id`]); ids are given out by the bus atomically, one above
//! the stream's last entry, so every node numbers a room's lines alike and history follows the
//! stream. See `docs/CLUSTER.md`.

mod changes;
mod payload;
mod seq;

use std::fmt;

pub use changes::{SERVER_STREAM, ServerChange, TopicChange};
pub use payload::{BusPayload, Issuer, ModerationAction, PAYLOAD_VERSION, PayloadError};
pub use seq::{StreamSeq, StreamSeqError};

use crate::Account;

/// Where a subscription to a room's stream starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscribeFrom {
    /// Every entry the stream still holds (the room's kept history), then live ones; no gap is
    /// reported for what was trimmed before.
    Start,
    /// Only entries appended after the subscription took effect.
    Latest,
    /// Entries after this one: the last this node delivered. If the next entry the stream holds
    /// is not its successor, a [`Gap`] is reported first.
    After(StreamSeq),
}

/// What the core asks the bus to do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusCommand {
    /// Append `payload` to room `room`'s stream (the room's uniqueness key).
    Append {
        /// The room's key.
        room: String,
        /// What to append.
        payload: BusPayload,
    },
    /// Read room `room`'s stream from `from` on, delivering [`BusEvent::Entry`]s.
    Subscribe {
        /// The room's key.
        room: String,
        /// Where to start.
        from: SubscribeFrom,
    },
    /// Stop reading room `room`'s stream.
    Unsubscribe {
        /// The room's key.
        room: String,
    },
    /// A user is now on this node: others announce them offline if this node dies.
    Online {
        /// The user's name.
        user: String,
    },
    /// A user left this node.
    Offline {
        /// The user's name.
        user: String,
    },
    /// Ask for the exclusive use of `name` across every node ([`BusEvent::LeaseGranted`] or
    /// [`BusEvent::LeaseRefused`]); a granted lease is renewed with every heartbeat.
    Acquire {
        /// The name's uniqueness key.
        name: String,
    },
    /// Give up a lease this node holds.
    Release {
        /// The name's uniqueness key.
        name: String,
    },
    /// This node is alive: renew its heartbeat and its leases, and look for nodes that died.
    Heartbeat,
    /// Register `account` across every node, unless an account with its key exists there
    /// ([`BusEvent::AccountCreated`] says which).
    CreateAccount {
        /// The new account.
        account: Account,
    },
    /// Read the account with key `key` as every node knows it ([`BusEvent::AccountFetched`]).
    FetchAccount {
        /// The account's key.
        key: String,
    },
    /// Replace the shared record of an account (its password changed).
    StoreAccount {
        /// The account as it now is.
        account: Account,
    },
    /// Delete the shared record of the account with key `key` (it was given up).
    DeleteAccount {
        /// The account's key.
        key: String,
    },
    /// Which node holds name `name`'s lease, if any ([`BusEvent::Located`]).
    Locate {
        /// The name's uniqueness key.
        name: String,
    },
    /// This node's rooms and how many of its users are in each, for every node's `/list`
    /// (sent with every heartbeat; kept as long as the heartbeat).
    PublishRooms {
        /// Each room's name and local member count.
        rooms: Vec<(String, u64)>,
    },
    /// Every live node's published rooms ([`BusEvent::RoomsListed`]).
    ListRooms,
}

impl BusCommand {
    /// The bytes this command holds (names and text), for bounding what waits to be sent.
    pub fn size(&self) -> usize {
        match self {
            BusCommand::Append { room, payload } => room.len() + payload.size(),
            BusCommand::Subscribe { room, .. } | BusCommand::Unsubscribe { room } => room.len(),
            BusCommand::Online { user } | BusCommand::Offline { user } => user.len(),
            BusCommand::Acquire { name } | BusCommand::Release { name } => name.len(),
            BusCommand::Heartbeat => 0,
            BusCommand::CreateAccount { account } | BusCommand::StoreAccount { account } => {
                account.key.len() + account.name.len() + account.password_hash.len()
            }
            BusCommand::FetchAccount { key } | BusCommand::DeleteAccount { key } => key.len(),
            BusCommand::Locate { name } => name.len(),
            BusCommand::PublishRooms { rooms } => rooms.iter().map(|(room, _)| room.len() + 8).sum(),
            BusCommand::ListRooms => 0,
        }
    }
}

/// Why lines of a room may be missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GapReason {
    /// The stream was trimmed past the last entry this node delivered (it was away too long).
    Trimmed,
    /// The bus lost its data (its epoch changed): entries appended meanwhile may be gone.
    EpochChanged,
}

impl fmt::Display for GapReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GapReason::Trimmed => "the room's stream was trimmed past the last line delivered",
            GapReason::EpochChanged => "the message bus lost its data",
        })
    }
}

/// Lines of a room may be missing between `after` and the next entry delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The room's key.
    pub room: String,
    /// The last entry delivered before the gap.
    pub after: StreamSeq,
    /// The first entry found after it, when known (for a trimmed stream: the gap is
    /// `after + 1 .. next`).
    pub next: Option<StreamSeq>,
    /// Why.
    pub reason: GapReason,
}

/// What the bus tells the core, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusEvent {
    /// Entry `seq` of room `room`, appended by node `node`. Within a room, entries come in
    /// increasing `seq`, each once.
    Entry {
        /// The room's key.
        room: String,
        /// The entry's number in the room.
        seq: StreamSeq,
        /// The node that appended it.
        node: String,
        /// What it says.
        payload: BusPayload,
    },
    /// Entry `seq` of room `room` could not be read (a newer `chat` wrote it, or it was damaged);
    /// it is skipped, and the numbering goes on after it.
    Unreadable {
        /// The room's key.
        room: String,
        /// The entry's number in the room.
        seq: StreamSeq,
        /// Why.
        error: PayloadError,
    },
    /// Lines may be missing: say so to the room.
    Gap(Gap),
    /// The bus cannot be reached: appends wait in the bridge's bounded queue.
    Down,
    /// The bus is back: queued appends are being sent and every room resumes from the last
    /// entry delivered.
    Up,
    /// This node now holds the lease on `name`.
    LeaseGranted {
        /// The name's key.
        name: String,
    },
    /// Another node holds `name`.
    LeaseRefused {
        /// The name's key.
        name: String,
        /// The node holding it.
        holder: String,
    },
    /// A lease this node held expired or was taken (the bus was unreachable for longer than
    /// the lease's time to live, or lost its data and another node took the name).
    LeaseLost {
        /// The name's key.
        name: String,
    },
    /// Node `node` stopped renewing its heartbeat: its `users` are gone.
    NodeExpired {
        /// The node's name.
        node: String,
        /// The users it had, sorted.
        users: Vec<String>,
    },
    /// The answer to [`BusCommand::CreateAccount`]: `created`, or an account with key `key`
    /// existed already.
    AccountCreated {
        /// The account's key.
        key: String,
        /// Whether this node's account is now the one every node shares.
        created: bool,
    },
    /// The answer to [`BusCommand::FetchAccount`]: the shared account, or `None` if no node
    /// registered it.
    AccountFetched {
        /// The key asked for.
        key: String,
        /// The account, if there is one.
        account: Option<Account>,
    },
    /// The bridge's queue was full: `command` was not taken and will not be carried out.
    Refused {
        /// The command refused.
        command: BusCommand,
    },
    /// The answer to [`BusCommand::Locate`]: the node holding `name`, or `None`.
    Located {
        /// The name's key.
        name: String,
        /// The node holding its lease, if one does.
        node: Option<String>,
    },
    /// The answer to [`BusCommand::ListRooms`]: each live node's rooms with its local counts.
    RoomsListed {
        /// By node: its rooms, each with its local member count.
        nodes: Vec<(String, Vec<(String, u64)>)>,
    },
    /// Node `node` was restarted (a new incarnation) before its heartbeat expired: the
    /// previous incarnation's `users` are gone (the new one's arrive as usual).
    NodeRestarted {
        /// The node's name.
        node: String,
        /// The previous incarnation's users, sorted.
        users: Vec<String>,
    },
}
