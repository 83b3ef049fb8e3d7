//! One room across several nodes: what the core keeps to share rooms through the bus.
//!
//! With [`Config::cluster`](crate::Config::cluster) set, a room with local members is read from
//! its stream on the bus, and everything said or done in it (lines, `/me`, arrivals and
//! departures) is appended to the stream instead of being delivered at once: it is delivered
//! when it comes back, in the stream's order, on every node alike (`server/cluster.rs`). This
//! module holds the state that takes: the settings ([`ClusterConfig`]), the members other
//! nodes have in a room ([`RemoteMembers`]), and the names waiting for a lease ([`Leases`]).

mod accounts;
mod leases;
mod messages;
mod names;
mod remote;
mod waiting;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::StreamSeq;

pub(crate) use accounts::{Fetching, SharedAccounts};
pub(crate) use leases::Leases;
pub(crate) use messages::{Outbox, Outgoing, inbox_of};
pub(crate) use names::{Answered, Greetings, Held};
pub(crate) use remote::RemoteMembers;
pub(crate) use waiting::WaitingLines;

/// How a node takes part in a cluster (see `docs/CLUSTER.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// This node's name, unique in the deployment (`--node-name`).
    pub node: String,
    /// How often the node says it is alive ([`BusCommand::Heartbeat`](crate::BusCommand::Heartbeat)):
    /// a third of the bus's heartbeat time to live. Default 2 s.
    pub heartbeat: Duration,
}

impl ClusterConfig {
    /// Node `node` with the default heartbeat.
    pub fn new(node: impl Into<String>) -> Self {
        Self { node: node.into(), heartbeat: Duration::from_secs(2) }
    }
}

/// The cluster state of a running server.
#[derive(Debug)]
pub(crate) struct Cluster {
    pub(crate) node: String,
    heartbeat: Duration,
    /// When the next heartbeat is due.
    pub(crate) next_heartbeat: Instant,
    /// The bus said it is down (and not yet that it is back).
    pub(crate) down: bool,
    /// `#lobby`'s stream is read (from the first input on, always).
    pub(crate) lobby_read: bool,
    pub(crate) leases: Leases,
    /// Per room (by key): the entry of its last topic change applied.
    pub(crate) topic_changes: HashMap<String, StreamSeq>,
    /// New connections waiting for their guest name's lease.
    pub(crate) greetings: Greetings,
    /// Account commands waiting for the bus.
    pub(crate) accounts: SharedAccounts,
    /// `/msg`s waiting to learn where their recipient is.
    pub(crate) outbox: Outbox,
    /// Clients waiting for `/list` across nodes.
    pub(crate) listing: Vec<crate::ClientId>,
    /// Lines of clients waiting for an answer about their name.
    pub(crate) waiting: WaitingLines,
    /// The names local clients were renamed from, by key, until the stream gives their rename
    /// back: what this node appended under such a name before (an arrival, a line) is theirs.
    pub(crate) former_names: HashMap<String, crate::ClientId>,
}

impl Cluster {
    /// A node starting at `now`: its first heartbeat is due at once.
    pub(crate) fn new(config: &ClusterConfig, now: Instant) -> Self {
        Self {
            node: config.node.clone(),
            heartbeat: config.heartbeat,
            next_heartbeat: now,
            down: false,
            lobby_read: false,
            leases: Leases::default(),
            topic_changes: HashMap::new(),
            greetings: Greetings::default(),
            accounts: SharedAccounts::default(),
            outbox: Outbox::default(),
            listing: Vec::new(),
            waiting: WaitingLines::default(),
            former_names: HashMap::new(),
        }
    }

    /// Whether a heartbeat is due at `now`; if so, the next one is scheduled.
    pub(crate) fn heartbeat_due(&mut self, now: Instant) -> bool {
        if now < self.next_heartbeat {
            return false;
        }
        self.next_heartbeat = now + self.heartbeat;
        true
    }

    /// How long a new connection waits for its name's lease before it is welcomed without it
    /// (a heartbeat: the bus answers a lease in one round trip when it is up).
    pub(crate) fn greeting_wait(&self) -> std::time::Duration {
        self.heartbeat
    }
}

/// A seed for this node's guest names, so nodes do not hand out the same `guest-NNNN` ones
/// (FNV-1a of the node's name).
pub(crate) fn guest_seed(node: &str) -> u64 {
    node.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3))
}
