//! The writer thread: carries out the event loop's commands in order on its own connection,
//! holding them while Redis is unreachable and reconnecting with a back-off.
//!
//! Appends are sent in pipelined batches through the append script, each with this node's
//! publishing mark (its incarnation and a number that grows with every append), so a batch
//! resent after a lost reply is appended once. On every (re)connection the writer loads the
//! scripts, creates the epoch if Redis has none, registers the node, rewrites its user set and
//! checks the leases it holds.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chat_core::{BusCommand, BusEvent, SubscribeFrom};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use redis::{Connection, RedisError, RedisResult};

use crate::backoff::Backoff;
use crate::connection::{self, unreachable};
use crate::handle::Message;
use crate::millis::millis;
use crate::nodes::NodeWatch;
use crate::scripts::Scripts;
use crate::shared::Shared;
use crate::{BusConfig, accounts, keys, rooms};

/// Appends sent in one pipeline.
const BATCH: usize = 64;
/// Round trips to Redis per turn, between looks at the channel (for heartbeats and wake-ups).
const ROUND_TRIPS_PER_TURN: usize = 16;
/// Messages taken from the channel per turn, so a flood cannot starve the heartbeat.
const TAKE: usize = 4_096;
/// How long the writer waits for a message when it has nothing to do.
const IDLE: Duration = Duration::from_millis(500);

/// A command waiting to be carried out.
struct Pending {
    command: BusCommand,
    /// The publishing number of an append.
    mark: u64,
}

/// The writer thread's state.
pub(crate) struct Writer {
    config: BusConfig,
    client: redis::Client,
    conn: Option<Connection>,
    taken: Receiver<Message>,
    shared: Arc<Shared>,
    scripts: Scripts,
    backoff: Backoff,
    retry_at: Instant,
    ever_connected: bool,
    pending: VecDeque<Pending>,
    heartbeat_due: bool,
    unblock_due: bool,
    /// This node's users, as its user set in Redis must list them.
    users: BTreeSet<String>,
    /// The leases this node holds.
    leases: BTreeSet<String>,
    incarnation: String,
    next_mark: u64,
    nodes: NodeWatch,
    closing: bool,
}

impl Writer {
    pub(crate) fn new(
        config: BusConfig,
        client: redis::Client,
        taken: Receiver<Message>,
        shared: Arc<Shared>,
    ) -> Self {
        let backoff = Backoff::new(config.backoff_first, config.backoff_cap);
        let incarnation = connection::fresh_token(&config.node);
        Self {
            config,
            client,
            conn: None,
            taken,
            shared,
            scripts: Scripts::new(),
            backoff,
            retry_at: Instant::now(),
            ever_connected: false,
            pending: VecDeque::new(),
            heartbeat_due: false,
            unblock_due: false,
            users: BTreeSet::new(),
            leases: BTreeSet::new(),
            incarnation,
            next_mark: 1,
            nodes: NodeWatch::default(),
            closing: false,
        }
    }

    /// Runs until the handle is closed, then says goodbye.
    pub(crate) fn run(mut self) {
        while !self.closing {
            self.take();
            if self.conn.is_none() && Instant::now() >= self.retry_at {
                self.connect();
            }
            if self.conn.is_some() {
                self.work();
            }
        }
        self.goodbye();
    }

    /// Takes what the event loop sent, waiting only when there is nothing to do.
    fn take(&mut self) {
        let busy = !self.pending.is_empty() || self.heartbeat_due || self.unblock_due;
        let wait = match &self.conn {
            Some(_) if busy => Duration::ZERO,
            Some(_) => IDLE,
            None => self.retry_at.saturating_duration_since(Instant::now()).min(IDLE),
        };
        let first = match self.taken.recv_timeout(wait) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => return,
            Err(RecvTimeoutError::Disconnected) => {
                self.closing = true;
                return;
            }
        };
        self.accept(first);
        for _ in 0..TAKE {
            let Ok(message) = self.taken.try_recv() else { break };
            self.accept(message);
        }
        if self.shared.stopping.load(Ordering::Relaxed) && self.taken.is_empty() {
            self.closing = true;
        }
    }

    fn accept(&mut self, message: Message) {
        let command = match message {
            Message::RoomsChanged => {
                self.unblock_due = true;
                return;
            }
            Message::Command(command) => command,
        };
        let mut mark = 0;
        match &command {
            BusCommand::Heartbeat => {
                self.heartbeat_due = true;
                self.shared.queued_commands.fetch_sub(1, Ordering::Relaxed);
                return;
            }
            BusCommand::Online { user } => {
                self.users.insert(user.clone());
            }
            BusCommand::Offline { user } => {
                self.users.remove(user);
            }
            BusCommand::Append { .. } => {
                mark = self.next_mark;
                self.next_mark += 1;
            }
            _ => {}
        }
        self.pending.push_back(Pending { command, mark });
    }

    fn connect(&mut self) {
        match self.open() {
            Ok(conn) => {
                self.conn = Some(conn);
                self.backoff.reset();
                if self.ever_connected {
                    self.shared.counters.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                self.ever_connected = true;
                self.nodes.connected(Instant::now(), self.config.heartbeat_ttl);
                self.shared.set_up(true, true);
                self.check_leases();
            }
            Err(error) => self.lost(&error),
        }
    }

    /// Opens a connection and sets the node up on it.
    fn open(&mut self) -> RedisResult<Connection> {
        let mut conn = connection::open(
            &self.client,
            &format!("chat-writer-{}", self.config.node),
            self.config.io_timeout,
            Duration::ZERO,
        )?;
        self.scripts.load(&mut conn)?;
        connection::ensure_epoch(&mut conn, &self.config.node)?;
        crate::restarts::keep_previous_users(&mut conn, &self.config.node, &self.incarnation)?;
        let node = &self.config.node;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SADD")
            .arg(keys::NODES)
            .arg(node)
            .ignore()
            .cmd("SET")
            .arg(keys::node_alive(node))
            .arg(&self.incarnation)
            .arg("PX")
            .arg(self.ttl_millis())
            .ignore()
            .cmd("DEL")
            .arg(keys::node_users(node))
            .ignore();
        if !self.users.is_empty() {
            pipe.cmd("SADD").arg(keys::node_users(node)).arg(self.users.iter().collect::<Vec<_>>()).ignore();
        }
        pipe.exec(&mut conn)?;
        Ok(conn)
    }

    /// The connection failed: drop it and try again after the back-off.
    fn lost(&mut self, error: &RedisError) {
        let delay = self.backoff.next_delay();
        tracing::debug!(%error, ?delay, "Redis writer connection lost; reconnecting");
        self.conn = None;
        self.retry_at = Instant::now() + delay;
        self.shared.set_up(true, false);
    }

    /// Carries out what is pending, until done or the connection fails.
    fn work(&mut self) {
        if let Err(error) = self.work_inner() {
            self.lost(&error);
        }
    }

    fn work_inner(&mut self) -> RedisResult<()> {
        if self.unblock_due {
            self.unblock_reader()?;
        }
        // The heartbeat first, and a bounded share of the backlog per turn: a long backlog
        // after an outage must not let this node's heartbeat expire.
        if self.heartbeat_due {
            self.heartbeat()?;
        }
        let mut round_trips = 0;
        while let Some(front) = self.pending.front()
            && round_trips < ROUND_TRIPS_PER_TURN
        {
            if let BusCommand::Append { .. } = front.command {
                self.append_batch()?;
            } else {
                self.carry_out_front()?;
            }
            round_trips += 1;
        }
        Ok(())
    }

    /// Wakes the reader from its `XREAD BLOCK` so it reads the new set of rooms.
    fn unblock_reader(&mut self) -> RedisResult<()> {
        let id = self.shared.reader_id.load(Ordering::Relaxed);
        if id >= 0 {
            redis::cmd("CLIENT").arg("UNBLOCK").arg(id).exec(connection::connected(&mut self.conn)?)?;
        }
        self.unblock_due = false;
        Ok(())
    }

    /// Sends the consecutive appends at the front of the queue in one pipeline.
    fn append_batch(&mut self) -> RedisResult<()> {
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        let mut count = 0;
        {
            let rooms = self.shared.rooms();
            let batch = self.pending.iter().take(BATCH).map_while(|pending| match &pending.command {
                BusCommand::Append { room, payload } => Some((room, payload, pending.mark)),
                _ => None,
            });
            for (room, payload, mark) in batch {
                // Numbering starts above what this node delivered, should Redis have lost the stream.
                let floor = rooms.get(room).and_then(|sub| sub.cursor).map_or(0, |seq| seq.0);
                pipe.cmd("EVALSHA")
                    .arg(self.scripts.append.get_hash())
                    .arg(2)
                    .arg(keys::room_stream(room))
                    .arg(keys::room_marks(room))
                    .arg(keys::max_len(room, self.config.max_stream_len))
                    .arg(floor)
                    .arg(&self.config.node)
                    .arg(&self.incarnation)
                    .arg(mark)
                    .arg(payload_args(&payload.fields()));
                count += 1;
            }
        }
        let results: Vec<RedisResult<u64>> = pipe.query(connection::connected(&mut self.conn)?)?;
        if let Some(error) =
            results.iter().filter_map(|result| result.as_ref().err()).find(|error| unreachable(error))
        {
            return Err(error.clone());
        }
        let counters = &self.shared.counters;
        for result in results {
            match result {
                Ok(0) => counters.duplicates.fetch_add(1, Ordering::Relaxed),
                Ok(_) => counters.appended.fetch_add(1, Ordering::Relaxed),
                Err(error) => {
                    tracing::error!(%error, "Redis refused an append: the line is not shared with other nodes");
                    counters.failed.fetch_add(1, Ordering::Relaxed)
                }
            };
        }
        for pending in self.pending.drain(..count) {
            self.shared.queued_entries.fetch_sub(1, Ordering::Relaxed);
            self.shared.queued_bytes.fetch_sub(pending.command.size(), Ordering::Relaxed);
        }
        Ok(())
    }

    /// Carries out the command at the front of the queue (not an append).
    fn carry_out_front(&mut self) -> RedisResult<()> {
        let Some(pending) = self.pending.front() else { return Ok(()) };
        let command = pending.command.clone();
        let result = self.carry_out(&command);
        match result {
            Err(error) if unreachable(&error) => return Err(error),
            Err(error) => {
                tracing::error!(%error, ?command, "Redis refused a command");
                self.shared.counters.failed.fetch_add(1, Ordering::Relaxed);
            }
            Ok(()) => {}
        }
        self.pending.pop_front();
        self.shared.queued_commands.fetch_sub(1, Ordering::Relaxed);
        Ok(())
    }

    fn carry_out(&mut self, command: &BusCommand) -> RedisResult<()> {
        let node = self.config.node.clone();
        let ttl = self.ttl_millis();
        match command {
            BusCommand::Online { user } => redis::cmd("SADD")
                .arg(keys::node_users(&node))
                .arg(user)
                .exec(connection::connected(&mut self.conn)?),
            BusCommand::Offline { user } => redis::cmd("SREM")
                .arg(keys::node_users(&node))
                .arg(user)
                .exec(connection::connected(&mut self.conn)?),
            BusCommand::Acquire { name } => {
                let key = keys::lease(name);
                let conn = connection::connected(&mut self.conn)?;
                let set: Option<String> =
                    redis::cmd("SET").arg(&key).arg(&node).arg("NX").arg("PX").arg(ttl).query(conn)?;
                let granted = set.is_some() || {
                    let renewed: i64 = self.scripts.renew.key(&key).arg(&node).arg(ttl).invoke(conn)?;
                    renewed == 1
                };
                if granted {
                    self.leases.insert(name.clone());
                    self.shared.emit(BusEvent::LeaseGranted { name: name.clone() });
                } else {
                    let holder: Option<String> = redis::cmd("GET").arg(&key).query(conn)?;
                    match holder {
                        Some(holder) => {
                            self.shared.emit(BusEvent::LeaseRefused { name: name.clone(), holder });
                        }
                        // It expired meanwhile: ask again.
                        None => return self.carry_out(command),
                    }
                }
                Ok(())
            }
            BusCommand::Release { name } => {
                self.leases.remove(name);
                let key = keys::lease(name);
                let conn = connection::connected(&mut self.conn)?;
                self.scripts.release.key(key).arg(&node).invoke::<i64>(conn).map(drop)
            }
            BusCommand::Subscribe { room, from: SubscribeFrom::Latest } => {
                let waiting = self.shared.rooms().get(room).is_some_and(|sub| sub.cursor.is_none());
                if waiting {
                    let latest = crate::reader::latest_entry(connection::connected(&mut self.conn)?, room)?;
                    self.shared.settle_latest(room, None, latest);
                }
                Ok(())
            }
            BusCommand::CreateAccount { account } => {
                let event = accounts::create(connection::connected(&mut self.conn)?, account)?;
                self.shared.emit(event);
                Ok(())
            }
            BusCommand::FetchAccount { key } => {
                let event = accounts::fetch(connection::connected(&mut self.conn)?, key)?;
                self.shared.emit(event);
                Ok(())
            }
            BusCommand::StoreAccount { account } => {
                accounts::store(connection::connected(&mut self.conn)?, account)
            }
            BusCommand::DeleteAccount { key } => {
                accounts::delete(connection::connected(&mut self.conn)?, key)
            }
            BusCommand::Locate { name } => {
                let conn = connection::connected(&mut self.conn)?;
                let node: Option<String> = redis::cmd("GET").arg(keys::lease(name)).query(conn)?;
                self.shared.emit(BusEvent::Located { name: name.clone(), node });
                Ok(())
            }
            BusCommand::PublishRooms { rooms } => {
                rooms::publish(connection::connected(&mut self.conn)?, &node, rooms, ttl)
            }
            BusCommand::ListRooms => {
                let event = rooms::list(connection::connected(&mut self.conn)?)?;
                self.shared.emit(event);
                Ok(())
            }
            BusCommand::Append { .. }
            | BusCommand::Heartbeat
            | BusCommand::Subscribe { .. }
            | BusCommand::Unsubscribe { .. } => Ok(()),
        }
    }

    /// Renews this node's heartbeat and leases, and looks for nodes that died.
    fn heartbeat(&mut self) -> RedisResult<()> {
        let node = self.config.node.clone();
        let ttl = self.ttl_millis();
        let incarnation = self.incarnation.clone();
        let conn = connection::connected(&mut self.conn)?;
        redis::pipe()
            .cmd("SET")
            .arg(keys::node_alive(&node))
            .arg(incarnation)
            .arg("PX")
            .arg(ttl)
            .ignore()
            .cmd("SADD")
            .arg(keys::NODES)
            .arg(&node)
            .ignore()
            .exec(conn)?;
        self.check_leases_inner()?;
        let conn = connection::connected(&mut self.conn)?;
        for event in self.nodes.scan(conn, &node)? {
            self.shared.emit(event);
        }
        self.heartbeat_due = false;
        Ok(())
    }

    fn check_leases(&mut self) {
        if let Err(error) = self.check_leases_inner() {
            self.lost(&error);
        }
    }

    /// Renews every lease held; reports those that are gone or someone else's.
    fn check_leases_inner(&mut self) -> RedisResult<()> {
        if self.leases.is_empty() {
            return Ok(());
        }
        let node = self.config.node.clone();
        let ttl = self.ttl_millis();
        let names: Vec<String> = self.leases.iter().cloned().collect();
        let conn = connection::connected(&mut self.conn)?;
        let mut pipe = redis::pipe();
        for name in &names {
            pipe.cmd("EVALSHA")
                .arg(self.scripts.renew.get_hash())
                .arg(1)
                .arg(keys::lease(name))
                .arg(&node)
                .arg(ttl);
        }
        let renewed: Vec<i64> = pipe.query(conn)?;
        for (name, renewed) in names.into_iter().zip(renewed) {
            if renewed == 0 {
                tracing::warn!(name = %name, "a name lease was lost");
                self.leases.remove(&name);
                self.shared.emit(BusEvent::LeaseLost { name });
            }
        }
        Ok(())
    }

    /// The handle was closed: send what is pending if Redis is reachable, then remove this
    /// node's heartbeat, users and leases, and wake the reader so it stops.
    fn goodbye(&mut self) {
        if self.conn.is_none() {
            self.connect();
        }
        while self.conn.is_some() && !self.pending.is_empty() {
            self.work();
        }
        if !self.pending.is_empty() {
            tracing::warn!(unsent = self.pending.len(), "closing with commands Redis never got");
        }
        let node = self.config.node.clone();
        let leases: Vec<String> = self.leases.iter().map(|name| keys::lease(name)).collect();
        let reader = self.shared.reader_id.load(Ordering::Relaxed);
        let release = self.scripts.release.get_hash().to_owned();
        let Some(conn) = self.conn.as_mut() else { return };
        let mut pipe = redis::pipe();
        pipe.ignore_errors()
            .cmd("DEL")
            .arg(keys::node_alive(&node))
            .arg(keys::node_users(&node))
            .arg(keys::node_rooms(&node))
            .cmd("SREM")
            .arg(keys::NODES)
            .arg(&node);
        for lease in leases {
            pipe.cmd("EVALSHA").arg(&release).arg(1).arg(lease).arg(&node);
        }
        if reader >= 0 {
            pipe.cmd("CLIENT").arg("UNBLOCK").arg(reader);
        }
        if let Err(error) = pipe.query::<Vec<RedisResult<redis::Value>>>(conn) {
            tracing::warn!(%error, "could not say goodbye to Redis: other nodes will see this one expire");
        }
    }

    fn ttl_millis(&self) -> u64 {
        millis(self.config.heartbeat_ttl)
    }
}

/// A payload's fields as `field value field value ...` arguments.
fn payload_args<'a>(fields: &'a [(&'static str, std::borrow::Cow<'_, str>)]) -> Vec<&'a str> {
    fields.iter().flat_map(|(field, value)| [*field, value.as_ref()]).collect()
}
