//! Several nodes of a cluster against an in-memory bus: the harness plays Redis.
//!
//! [`ClusterSim`] runs one [`Sim`] per node, each with a [`SimBus`] as its services: a handle
//! on one shared [`BusWorld`] that keeps every room's stream, numbers entries one above the
//! last, delivers them to every node reading the room from its own cursor, and does the
//! presence, heartbeat and lease work of the `chat-bus` bridge. The world can go down (appends
//! wait in each node's queue, as in the bridge, and every node is told [`BusEvent::Down`]) and
//! come back (the queues are sent in order, then everyone resumes from its cursor); a node can
//! crash (it stops without a goodbye, and the others hear [`BusEvent::NodeExpired`] once its
//! heartbeat is older than the time to live). Time is the nodes' shared simulated clock.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::{Sim, TestPasswords};
use crate::kit::{Services, Wake};
use crate::{
    Account, BusCommand, BusEvent, BusPayload, ClientId, ClusterConfig, Config, Input, Reply, Request,
    StreamSeq, SubscribeFrom,
};

/// The time to live of a node's heartbeat on the simulated bus (three heartbeats).
pub const SIM_HEARTBEAT_TTL: Duration = Duration::from_secs(6);

/// One entry of a room's stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimEntry {
    /// Its number in the room.
    pub seq: StreamSeq,
    /// The node that appended it.
    pub node: String,
    /// What it says.
    pub payload: BusPayload,
}

#[derive(Debug, Default)]
struct NodeState {
    /// The rooms read, each with the last entry delivered (`None`: from the next one on).
    subs: BTreeMap<String, StreamSeq>,
    /// Commands waiting while the bus is down.
    outbox: VecDeque<BusCommand>,
    /// Events for the node.
    inbox: VecDeque<Reply>,
    users: BTreeSet<String>,
    /// The rooms it published last, with its counts.
    rooms: Vec<(String, u64)>,
    alive_at: Option<Duration>,
    /// It reports no node dead before this (it just reconnected: the others need a time to
    /// live to renew their heartbeats, as in the bridge).
    quiet_until: Duration,
    crashed: bool,
    /// Nodes it was told are dead.
    told_dead: BTreeSet<String>,
    /// The name leases it was granted and renews at each heartbeat (as the bridge does).
    leases: BTreeSet<String>,
}

/// The shared in-memory bus: streams, nodes, leases.
#[derive(Debug, Default)]
struct World {
    up: bool,
    now: Duration,
    streams: BTreeMap<String, Vec<SimEntry>>,
    nodes: BTreeMap<String, NodeState>,
    leases: BTreeMap<String, String>,
    /// Lease requests and account reads not answered yet, while they are stalled
    /// ([`BusWorld::stall_leases`]).
    stalled: Option<Vec<(String, BusCommand)>>,
    /// The shared account records, by key.
    accounts: BTreeMap<String, Account>,
    /// Most commands a node's queue holds while the bus is down; past it, each is refused.
    queue_limit: Option<usize>,
    /// Entries are not delivered for now ([`BusWorld::hold_entries`]).
    entries_held: bool,
    /// Locate requests not answered yet, while they are stalled ([`BusWorld::stall_locates`]).
    locates_stalled: Option<Vec<(String, BusCommand)>>,
}

/// The in-memory bus the nodes of a [`ClusterSim`] share.
#[derive(Clone, Debug, Default)]
pub struct BusWorld(Arc<Mutex<World>>);

impl BusWorld {
    fn lock(&self) -> MutexGuard<'_, World> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every entry of room `room`'s stream (its uniqueness key), in order.
    pub fn stream(&self, room: &str) -> Vec<SimEntry> {
        self.lock().streams.get(room).cloned().unwrap_or_default()
    }

    /// Every lease held: name key to node.
    pub fn leases(&self) -> BTreeMap<String, String> {
        self.lock().leases.clone()
    }

    /// Every node's queue holds at most `limit` commands while the bus is down (as the
    /// bridge's bounded queue); past it, each is refused ([`BusEvent::Refused`]).
    pub fn limit_queue(&self, limit: usize) {
        self.lock().queue_limit = Some(limit);
    }

    /// The shared account records' keys.
    pub fn accounts(&self) -> Vec<String> {
        self.lock().accounts.keys().cloned().collect()
    }

    /// Another node, `holder`, holds the lease on name key `name`.
    pub fn hold_lease(&self, name: &str, holder: &str) {
        self.lock().leases.insert(name.to_owned(), holder.to_owned());
    }

    /// Entries are not delivered (`true`) until they are held no more, when every node
    /// resumes from its cursors: the bridge's reader reconnects after its writer, which
    /// answers leases and accounts meanwhile.
    pub fn hold_entries(&self, held: bool) {
        let mut world = self.lock();
        world.entries_held = held;
        world.pump();
    }

    /// Locate requests are left unanswered (`true`) until they are stalled no more, when each
    /// is answered in order, from the leases as they are then.
    pub fn stall_locates(&self, stalled: bool) {
        let mut world = self.lock();
        match (stalled, world.locates_stalled.take()) {
            (true, waiting) => world.locates_stalled = Some(waiting.unwrap_or_default()),
            (false, waiting) => {
                for (node, command) in waiting.unwrap_or_default() {
                    world.apply(&node, command);
                }
            }
        }
    }

    /// Redis lost its data (restarted without persistence): every lease is gone. Each node
    /// hears [`BusEvent::LeaseLost`] for its own at its next heartbeat, as from the bridge.
    pub fn lose_leases(&self) {
        self.lock().leases.clear();
    }

    /// Lease requests and account reads are left unanswered (`true`) until they are stalled no
    /// more, when each is answered in order.
    pub fn stall_leases(&self, stalled: bool) {
        let mut world = self.lock();
        match (stalled, world.stalled.take()) {
            (true, waiting) => world.stalled = Some(waiting.unwrap_or_default()),
            (false, waiting) => {
                for (node, command) in waiting.unwrap_or_default() {
                    world.apply(&node, command);
                }
            }
        }
    }

    /// Whether some node has events waiting.
    fn busy(&self, node: &str) -> bool {
        self.lock().nodes.get(node).is_some_and(|state| !state.inbox.is_empty())
    }
}

impl World {
    fn node(&mut self, node: &str) -> &mut NodeState {
        self.nodes.entry(node.to_owned()).or_default()
    }

    fn command(&mut self, node: &str, command: BusCommand) {
        if self.node(node).crashed {
            return;
        }
        match command {
            BusCommand::Subscribe { room, from } => {
                let last = StreamSeq(self.streams.get(&room).map_or(0, |stream| stream.len() as u64));
                let cursor = match from {
                    SubscribeFrom::Start => StreamSeq::ZERO,
                    SubscribeFrom::Latest => last,
                    SubscribeFrom::After(seq) => seq,
                };
                self.node(node).subs.insert(room, cursor);
            }
            BusCommand::Unsubscribe { room } => {
                self.node(node).subs.remove(&room);
            }
            BusCommand::Heartbeat if self.up => self.heartbeat(node),
            BusCommand::Heartbeat => {}
            command if self.up => self.apply(node, command),
            command => {
                let limit = self.queue_limit;
                let state = self.node(node);
                if limit.is_some_and(|limit| state.outbox.len() >= limit) {
                    state.inbox.push_back(Reply::Bus(BusEvent::Refused { command }));
                } else {
                    state.outbox.push_back(command);
                }
            }
        }
        self.pump();
    }

    fn apply(&mut self, node: &str, command: BusCommand) {
        match command {
            BusCommand::Append { room, payload } => {
                let stream = self.streams.entry(room).or_default();
                let seq = StreamSeq(stream.len() as u64 + 1);
                stream.push(SimEntry { seq, node: node.to_owned(), payload });
            }
            BusCommand::Online { user } => {
                self.node(node).users.insert(user);
            }
            BusCommand::Offline { user } => {
                self.node(node).users.remove(&user);
            }
            command @ (BusCommand::Acquire { .. } | BusCommand::FetchAccount { .. })
                if self.stalled.is_some() =>
            {
                self.stalled.get_or_insert_default().push((node.to_owned(), command));
            }
            BusCommand::Acquire { name } => {
                let holder = self.leases.entry(name.clone()).or_insert_with(|| node.to_owned()).clone();
                let event = if holder == node {
                    self.node(node).leases.insert(name.clone());
                    BusEvent::LeaseGranted { name }
                } else {
                    BusEvent::LeaseRefused { name, holder }
                };
                self.node(node).inbox.push_back(Reply::Bus(event));
            }
            BusCommand::Release { name } => {
                if self.leases.get(&name).is_some_and(|holder| holder == node) {
                    self.leases.remove(&name);
                }
                self.node(node).leases.remove(&name);
            }
            BusCommand::CreateAccount { account } => {
                let key = account.key.clone();
                let created = !self.accounts.contains_key(&key);
                if created {
                    self.accounts.insert(key.clone(), account);
                }
                self.node(node).inbox.push_back(Reply::Bus(BusEvent::AccountCreated { key, created }));
            }
            BusCommand::FetchAccount { key } => {
                let account = self.accounts.get(&key).cloned();
                self.node(node).inbox.push_back(Reply::Bus(BusEvent::AccountFetched { key, account }));
            }
            BusCommand::StoreAccount { account } => {
                self.accounts.insert(account.key.clone(), account);
            }
            BusCommand::DeleteAccount { key } => {
                self.accounts.remove(&key);
            }
            BusCommand::PublishRooms { rooms } => self.node(node).rooms = rooms,
            BusCommand::ListRooms => {
                let now = self.now;
                let nodes = self
                    .nodes
                    .iter()
                    .filter(|(_, state)| {
                        !state.rooms.is_empty()
                            && state.alive_at.is_some_and(|at| at + SIM_HEARTBEAT_TTL >= now)
                    })
                    .map(|(name, state)| (name.clone(), state.rooms.clone()))
                    .collect();
                self.node(node).inbox.push_back(Reply::Bus(BusEvent::RoomsListed { nodes }));
            }
            command @ BusCommand::Locate { .. } if self.locates_stalled.is_some() => {
                self.locates_stalled.get_or_insert_default().push((node.to_owned(), command));
            }
            BusCommand::Locate { name } => {
                let holder = self.leases.get(&name).cloned();
                self.node(node).inbox.push_back(Reply::Bus(BusEvent::Located { name, node: holder }));
            }
            BusCommand::Subscribe { .. } | BusCommand::Unsubscribe { .. } | BusCommand::Heartbeat => {}
        }
    }

    /// `node` is alive; it looks for nodes whose heartbeat expired (each reported to it once).
    fn heartbeat(&mut self, node: &str) {
        let now = self.now;
        self.node(node).alive_at = Some(now);
        self.renew_leases(node);
        if now < self.node(node).quiet_until {
            return;
        }
        let dead: Vec<(String, Vec<String>)> = self
            .nodes
            .iter()
            .filter(|(name, state)| {
                name.as_str() != node && state.alive_at.is_some_and(|at| at + SIM_HEARTBEAT_TTL < now)
            })
            .map(|(name, state)| (name.clone(), state.users.iter().cloned().collect()))
            .collect();
        for (name, _) in &dead {
            self.leases.retain(|_, holder| holder != name);
        }
        let me = self.node(node);
        for (name, users) in dead {
            if me.told_dead.insert(name.clone()) {
                me.inbox.push_back(Reply::Bus(BusEvent::NodeExpired { node: name, users }));
            }
        }
    }

    /// `node` renews its leases: one gone or someone else's is lost (`LeaseLost`).
    fn renew_leases(&mut self, node: &str) {
        let held = std::mem::take(&mut self.node(node).leases);
        let (kept, lost): (BTreeSet<String>, BTreeSet<String>) =
            held.into_iter().partition(|name| self.leases.get(name).is_some_and(|holder| holder == node));
        let state = self.node(node);
        state.leases = kept;
        for name in lost {
            state.inbox.push_back(Reply::Bus(BusEvent::LeaseLost { name }));
        }
    }

    /// Delivers every entry past each node's cursors, while the bus is up.
    fn pump(&mut self) {
        if !self.up || self.entries_held {
            return;
        }
        let streams = &self.streams;
        for state in self.nodes.values_mut().filter(|state| !state.crashed) {
            for (room, cursor) in &mut state.subs {
                let Some(stream) = streams.get(room) else { continue };
                for entry in stream.iter().skip(usize::try_from(cursor.0).unwrap_or(usize::MAX)) {
                    state.inbox.push_back(Reply::Bus(BusEvent::Entry {
                        room: room.clone(),
                        seq: entry.seq,
                        node: entry.node.clone(),
                        payload: entry.payload.clone(),
                    }));
                    *cursor = entry.seq;
                }
            }
        }
    }

    fn set_up(&mut self, up: bool) {
        if self.up == up {
            return;
        }
        self.up = up;
        let names: Vec<String> = self.nodes.keys().cloned().collect();
        if up {
            let now = self.now;
            for name in &names {
                let state = self.node(name);
                // Reconnected: the node re-registers its heartbeat, and waits before judging others.
                if !state.crashed && state.alive_at.is_some() {
                    state.alive_at = Some(now);
                }
                state.quiet_until = now + SIM_HEARTBEAT_TTL;
                let waiting = std::mem::take(&mut self.node(name).outbox);
                for command in waiting {
                    self.apply(name, command);
                }
            }
        }
        let event = if up { BusEvent::Up } else { BusEvent::Down };
        for state in self.nodes.values_mut().filter(|state| !state.crashed) {
            state.inbox.push_back(Reply::Bus(event.clone()));
        }
        self.pump();
    }
}

/// One node's handle on the [`BusWorld`], as its [`Services`]; its passwords are checked by
/// the [`TestPasswords`] stand-in, so its users can register and identify.
#[derive(Debug)]
pub struct SimBus {
    world: BusWorld,
    node: String,
    /// The password work, done at once ([`TestPasswords`]).
    passwords: TestPasswords,
}

impl Services for SimBus {
    fn set_wake(&mut self, _wake: Wake) {}

    fn request(&mut self, request: Request) {
        match request {
            Request::Bus(command) => self.world.lock().command(&self.node, command),
            request => self.passwords.request(request),
        }
    }

    fn try_reply(&mut self) -> Option<Reply> {
        if let Some(reply) = self.passwords.try_reply() {
            return Some(reply);
        }
        self.world.lock().node(&self.node).inbox.pop_front()
    }

    fn close(&mut self) {}
}

/// Node `name` on `world`, running `config`, its wall clock `after` the others' start.
fn node(world: &BusWorld, name: &str, config: &Config, after: Duration) -> Sim {
    let config = Config { cluster: Some(ClusterConfig::new(name)), ..config.clone() };
    let bus = SimBus { world: world.clone(), node: name.to_owned(), passwords: TestPasswords::default() };
    Sim::restored_after(config, Box::new(bus), crate::Stored::default(), after)
}

/// Several nodes sharing rooms through one in-memory bus, on one simulated clock.
pub struct ClusterSim {
    /// The nodes, `n1`, `n2` ... in order.
    pub nodes: Vec<Sim>,
    /// The bus they share.
    pub world: BusWorld,
    names: Vec<String>,
    elapsed: Duration,
}

impl ClusterSim {
    /// `count` nodes running `config` (each with its own node name), the bus up.
    pub fn new(count: usize, config: &Config) -> Self {
        let world = BusWorld::default();
        world.lock().up = true;
        let names: Vec<String> = (1..=count).map(|n| format!("n{n}")).collect();
        // Each node's first input, as a runtime's first timer or the bus's first answer gives
        // it: it starts reading the streams every node reads before any client comes.
        let nodes = names
            .iter()
            .map(|name| {
                let mut sim = node(&world, name, config, Duration::ZERO);
                sim.advance(Duration::ZERO);
                sim
            })
            .collect();
        let mut cluster = Self { nodes, world, names, elapsed: Duration::ZERO };
        cluster.settle();
        cluster
    }

    /// A node joins now, running `config`, named after the last one (`n4` after `n3`): its
    /// index. It starts with an empty database, its clock at the others' time.
    pub fn add_node(&mut self, config: &Config) -> usize {
        let name = format!("n{}", self.names.len() + 1);
        let mut late = node(&self.world, &name, config, self.elapsed);
        // Its first input: it starts reading the streams every node reads.
        late.advance(Duration::ZERO);
        self.nodes.push(late);
        self.names.push(name);
        self.settle();
        self.nodes.len() - 1
    }

    /// Node `node`'s name on the bus.
    pub fn name(&self, node: usize) -> &str {
        &self.names[node]
    }

    /// Feeds every node the events waiting for it, until none is left.
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut fed = false;
            for (node, sim) in self.nodes.iter_mut().enumerate() {
                if self.world.busy(&self.names[node]) {
                    sim.input(Input::Timeout);
                    fed = true;
                }
            }
            if !fed {
                return;
            }
        }
        panic!("the cluster never settled: nodes keep telling each other things");
    }

    /// Connects a client to node `node`, labelled `label`.
    pub fn connect(&mut self, node: usize, label: &str) -> ClientId {
        let id = self.nodes[node].connect(label);
        self.settle();
        id
    }

    /// Client `id` of node `node` sends `line`.
    pub fn say(&mut self, node: usize, id: ClientId, line: &str) {
        self.nodes[node].say(id, line);
        self.settle();
    }

    /// Lets `by` pass on every node, in steps of a tenth of a second.
    pub fn advance(&mut self, by: Duration) {
        let end = self.elapsed + by;
        while self.elapsed < end {
            let step = (end - self.elapsed).min(Duration::from_millis(100));
            self.elapsed += step;
            self.world.lock().now = self.elapsed;
            for (node, sim) in self.nodes.iter_mut().enumerate() {
                if !self.world.lock().node(&self.names[node]).crashed {
                    sim.advance(step);
                }
            }
            self.settle();
        }
    }

    /// The bus goes down (`false`) or comes back (`true`).
    pub fn set_bus_up(&mut self, up: bool) {
        self.world.lock().set_up(up);
        self.settle();
    }

    /// Node `node` dies without a word: it is no longer driven, and the bus forgets its
    /// subscriptions (its users stay in its user set until the others see it expired).
    pub fn crash(&mut self, node: usize) {
        let mut world = self.world.lock();
        let state = world.node(&self.names[node]);
        state.crashed = true;
        state.subs.clear();
        state.inbox.clear();
    }

    /// Every node's transcripts ([`Sim::transcripts`]), one after the other, each under a
    /// header naming the node: for snapshots.
    pub fn transcripts(&self) -> String {
        let mut out = String::new();
        for (sim, name) in self.nodes.iter().zip(&self.names) {
            out.push_str(&format!("######## node {name} ########\n"));
            out.push_str(&sim.transcripts());
        }
        out
    }

    /// Lines received by client `id` of node `node`.
    pub fn lines(&self, node: usize, id: ClientId) -> Vec<String> {
        self.nodes[node].lines(id)
    }
}
