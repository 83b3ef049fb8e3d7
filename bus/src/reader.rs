//! The reader thread: one connection doing `XREAD BLOCK` over every room subscribed, from the
//! last entry delivered in each, checking the deployment's epoch on every read.
//!
//! The read is pipelined behind a `GET chat:epoch`, so each round trip also tells whether
//! Redis lost its data. The writer wakes the read (`CLIENT UNBLOCK`) when the rooms change; a
//! read also ends by itself after [`BusConfig::block`].

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chat_core::{BusEvent, BusPayload, Gap, GapReason, StreamSeq};
use redis::streams::{StreamId, StreamReadReply};
use redis::{Connection, RedisError, RedisResult, Value};

use crate::backoff::Backoff;
use crate::connection::{self, unreachable};
use crate::millis::millis;
use crate::shared::Shared;
use crate::{BusConfig, keys};

/// Entries read per room per round trip.
const COUNT: usize = 512;
/// How long the reader sleeps at a time while waiting to reconnect (it checks for stopping).
const NAP: Duration = Duration::from_millis(100);

/// The reader thread's state.
pub(crate) struct Reader {
    config: BusConfig,
    client: redis::Client,
    conn: Option<Connection>,
    shared: Arc<Shared>,
    backoff: Backoff,
    retry_at: Instant,
    ever_connected: bool,
    /// The deployment's epoch as last seen.
    epoch: Option<String>,
    /// Rooms whose key holds something other than a stream: left out of reads until the next
    /// connection.
    broken: BTreeSet<String>,
}

/// A room as it is read in one round trip.
struct Reading {
    room: String,
    after: StreamSeq,
    generation: u64,
}

impl Reader {
    pub(crate) fn new(config: BusConfig, client: redis::Client, shared: Arc<Shared>) -> Self {
        let backoff = Backoff::new(config.backoff_first, config.backoff_cap);
        Self {
            config,
            client,
            conn: None,
            shared,
            backoff,
            retry_at: Instant::now(),
            ever_connected: false,
            epoch: None,
            broken: BTreeSet::new(),
        }
    }

    /// Runs until the bridge stops.
    pub(crate) fn run(mut self) {
        while !self.shared.stopping.load(Ordering::Relaxed) {
            if self.conn.is_none() {
                let now = Instant::now();
                if now < self.retry_at {
                    std::thread::sleep((self.retry_at - now).min(NAP));
                    continue;
                }
                if let Err(error) = self.connect() {
                    self.lost(&error);
                    continue;
                }
            }
            match self.read_once() {
                Ok(()) => self.backoff.reset(),
                Err(error) if unreachable(&error) => self.lost(&error),
                Err(error) => {
                    // Not a connection problem: the bus is up. Leave out rooms whose key holds
                    // something other than a stream (the others go on), and try again after
                    // the back-off rather than spin.
                    let delay = self.backoff.next_delay();
                    tracing::error!(%error, ?delay, "Redis refused the reader's command");
                    if let Err(error) = self.leave_out_broken_rooms() {
                        self.lost(&error);
                        continue;
                    }
                    std::thread::sleep(delay);
                }
            }
        }
        self.shared.reader_id.store(-1, Ordering::Relaxed);
    }

    fn connect(&mut self) -> RedisResult<()> {
        let mut conn = connection::open(
            &self.client,
            &format!("chat-reader-{}", self.config.node),
            self.config.io_timeout,
            self.config.block,
        )?;
        let id: i64 = redis::cmd("CLIENT").arg("ID").query(&mut conn)?;
        let epoch = connection::ensure_epoch(&mut conn, &self.config.node)?;
        self.conn = Some(conn);
        self.broken.clear();
        self.shared.reader_id.store(id, Ordering::Relaxed);
        self.backoff.reset();
        if self.ever_connected {
            self.shared.counters.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        self.ever_connected = true;
        self.observe_epoch(epoch);
        self.shared.set_up(false, true);
        Ok(())
    }

    fn lost(&mut self, error: &RedisError) {
        let delay = self.backoff.next_delay();
        tracing::debug!(%error, ?delay, "Redis reader connection lost; reconnecting");
        self.conn = None;
        self.shared.reader_id.store(-1, Ordering::Relaxed);
        self.retry_at = Instant::now() + delay;
        self.shared.set_up(false, false);
    }

    /// One round trip: the epoch, then up to [`COUNT`] new entries of each room.
    fn read_once(&mut self) -> RedisResult<()> {
        self.resolve_latest()?;
        let readings: Vec<Reading> = self
            .shared
            .rooms()
            .iter()
            .filter(|(room, _)| !self.broken.contains(*room))
            .filter_map(|(room, sub)| {
                sub.cursor.map(|after| Reading { room: room.clone(), after, generation: sub.generation })
            })
            .collect();
        if readings.is_empty() {
            let epoch = connection::ensure_epoch(connection::connected(&mut self.conn)?, &self.config.node)?;
            self.observe_epoch(epoch);
            self.shared.wait_for_rooms(self.config.block);
            return Ok(());
        }
        let block = millis(self.config.block);
        let mut xread = redis::cmd("XREAD");
        xread.arg("COUNT").arg(COUNT).arg("BLOCK").arg(block).arg("STREAMS");
        for reading in &readings {
            xread.arg(keys::room_stream(&reading.room));
        }
        for reading in &readings {
            // After every id of line N: other writers' ids `N-M` are skipped too.
            xread.arg(format!("{}-{}", reading.after.0, u64::MAX));
        }
        let (epoch, reply): (Option<String>, Option<StreamReadReply>) = redis::pipe()
            .cmd("GET")
            .arg(keys::EPOCH)
            .add_command(xread)
            .query(connection::connected(&mut self.conn)?)?;
        let epoch = match epoch {
            Some(epoch) => epoch,
            None => connection::ensure_epoch(connection::connected(&mut self.conn)?, &self.config.node)?,
        };
        self.observe_epoch(epoch);
        for stream in reply.map(|reply| reply.keys).unwrap_or_default() {
            let Some(reading) = keys::room_of_stream(&stream.key)
                .and_then(|room| readings.iter().find(|reading| reading.room == room))
            else {
                continue;
            };
            self.deliver(reading, stream.ids);
        }
        Ok(())
    }

    /// Finds the rooms whose key is neither a stream nor absent, and leaves them out of reads.
    fn leave_out_broken_rooms(&mut self) -> RedisResult<()> {
        let rooms: Vec<String> =
            self.shared.rooms().keys().filter(|room| !self.broken.contains(*room)).cloned().collect();
        let mut pipe = redis::pipe();
        for room in &rooms {
            pipe.cmd("TYPE").arg(keys::room_stream(room));
        }
        let types: Vec<String> = pipe.query(connection::connected(&mut self.conn)?)?;
        for (room, kind) in rooms.into_iter().zip(types) {
            if kind != "stream" && kind != "none" {
                tracing::error!(room = %room, key = %keys::room_stream(&room), kind = %kind, "a room's key is not a stream: the room is not shared until it is deleted and the node reconnects");
                self.broken.insert(room);
            }
        }
        Ok(())
    }

    /// Finds where "from now on" starts for rooms subscribed with `Latest` (the writer does
    /// it first, in order with its appends; this is for a subscription the writer has not
    /// reached yet when the reader reads).
    fn resolve_latest(&mut self) -> RedisResult<()> {
        let waiting: Vec<(String, u64)> = self
            .shared
            .rooms()
            .iter()
            .filter(|(_, sub)| sub.cursor.is_none())
            .map(|(room, sub)| (room.clone(), sub.generation))
            .collect();
        for (room, generation) in waiting {
            let latest = latest_entry(connection::connected(&mut self.conn)?, &room)?;
            self.shared.settle_latest(&room, Some(generation), latest);
        }
        Ok(())
    }

    /// Notes the epoch seen; if it changed, Redis lost its data: every room is told.
    fn observe_epoch(&mut self, epoch: String) {
        let changed = self.epoch.as_ref().is_some_and(|known| *known != epoch);
        self.epoch = Some(epoch);
        if !changed {
            return;
        }
        tracing::warn!("Redis lost its data (its epoch changed): lines of every room may be missing");
        let gaps: Vec<Gap> = self
            .shared
            .rooms()
            .iter_mut()
            .filter_map(|(room, sub)| {
                // Numbering after the loss may jump: no further gap is inferred from it.
                sub.check_gap = false;
                let after = sub.cursor?;
                Some(Gap { room: room.clone(), after, next: None, reason: GapReason::EpochChanged })
            })
            .collect();
        for gap in gaps {
            self.shared.counters.gaps.fetch_add(1, Ordering::Relaxed);
            self.shared.emit(BusEvent::Gap(gap));
        }
    }

    /// Turns a room's new entries into events (a gap first if the first is not the successor
    /// of the last delivered), unless the room was resubscribed or left meanwhile.
    fn deliver(&self, reading: &Reading, entries: Vec<StreamId>) {
        let mut events = Vec::with_capacity(entries.len() + 1);
        {
            let mut rooms = self.shared.rooms();
            let Some(sub) = rooms.get_mut(&reading.room).filter(|sub| sub.generation == reading.generation)
            else {
                return;
            };
            let mut cursor = sub.cursor.unwrap_or(reading.after);
            for entry in entries {
                let seq = seq_of(&entry.id);
                if seq <= cursor {
                    // Not written by chat (an id `N-M`, M > 0, after line N): not a line.
                    tracing::warn!(room = %reading.room, id = %entry.id, "skipping a stream entry chat did not write");
                    continue;
                }
                if sub.check_gap && seq != cursor.successor() {
                    events.push(BusEvent::Gap(Gap {
                        room: reading.room.clone(),
                        after: cursor,
                        next: Some(seq),
                        reason: GapReason::Trimmed,
                    }));
                }
                sub.check_gap = true;
                cursor = seq;
                events.push(entry_event(&reading.room, seq, &entry));
            }
            sub.cursor = Some(cursor);
        }
        let counters = &self.shared.counters;
        for event in events {
            match event {
                BusEvent::Gap(_) => counters.gaps.fetch_add(1, Ordering::Relaxed),
                _ => counters.delivered.fetch_add(1, Ordering::Relaxed),
            };
            if !self.shared.emit(event) {
                return;
            }
        }
    }
}

/// The line number of a stream id (`N-M` is read as `N`; an unreadable id as 0).
/// The number of room `room`'s last entry (zero for an empty or absent stream).
pub(crate) fn latest_entry(conn: &mut Connection, room: &str) -> RedisResult<StreamSeq> {
    let last: Vec<(String, Value)> = redis::cmd("XREVRANGE")
        .arg(keys::room_stream(room))
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query(conn)?;
    Ok(last.first().map_or(StreamSeq::ZERO, |(id, _)| seq_of(id)))
}

fn seq_of(id: &str) -> StreamSeq {
    let millis = id.split_once('-').map_or(id, |(millis, _)| millis);
    millis.parse().unwrap_or(StreamSeq::ZERO)
}

/// The event for one entry: its payload, or why it cannot be read.
fn entry_event(room: &str, seq: StreamSeq, entry: &StreamId) -> BusEvent {
    let text = |field: &str| match entry.map.get(field) {
        Some(Value::BulkString(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    };
    let fields = entry.map.iter().filter_map(|(field, value)| match value {
        Value::BulkString(bytes) => Some((field.as_str(), bytes.as_slice())),
        _ => None,
    });
    match BusPayload::from_fields(fields) {
        Ok(payload) => BusEvent::Entry { room: room.to_owned(), seq, node: text("node"), payload },
        Err(error) => {
            tracing::warn!(room, %seq, %error, "skipping an unreadable stream entry");
            BusEvent::Unreadable { room: room.to_owned(), seq, error }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_as_line_numbers() {
        assert_eq!(seq_of("42-0"), StreamSeq(42));
        assert_eq!(seq_of("42-7"), StreamSeq(42));
        assert_eq!(seq_of("x"), StreamSeq::ZERO);
    }
}
