//! The writer thread: takes records from the channel and writes them in batched transactions.
//!
//! A batch is written [`StoreOptions::batch_interval`] after its first record arrived, or as
//! soon as it holds [`StoreOptions::batch_records`]. If a write fails, the batch is rolled back,
//! the failure logged, and the write retried with a doubling back-off (50 ms up to 5 s); the
//! writer keeps emptying the channel meanwhile, so the event loop never waits. While it holds
//! more than [`StoreOptions::max_pending_lines`] lines, the oldest lines go (counted and
//! logged); other records are never dropped. When the handle is closed, what is held is
//! written, with a few last tries if writes fail.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::Record;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use rusqlite::Connection;

use crate::handle::Counters;
use crate::options::{StoreOptions, max_age};
use crate::{apply, retention};

/// First wait after a failed write.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// Longest wait between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Tries of the last batches once the handle is closed, before giving them up.
const TRIES_AT_CLOSE: u32 = 3;
/// How often lines past `--history-days` are deleted.
const AGE_SWEEP: Duration = Duration::from_secs(3_600);

/// The state of the writer thread.
pub(crate) struct Writer {
    conn: Connection,
    queue: Receiver<Record>,
    options: StoreOptions,
    counters: Arc<Counters>,
    /// Received, not yet written, oldest first.
    held: VecDeque<Record>,
    /// How many of `held` are lines.
    held_lines: usize,
    /// The channel is closed: write what is held, then stop.
    closing: bool,
    next_age_sweep: Instant,
}

impl Writer {
    pub(crate) fn new(
        conn: Connection,
        queue: Receiver<Record>,
        options: StoreOptions,
        counters: Arc<Counters>,
    ) -> Self {
        let next_age_sweep = Instant::now() + AGE_SWEEP;
        Self {
            conn,
            queue,
            options,
            counters,
            held: VecDeque::new(),
            held_lines: 0,
            closing: false,
            next_age_sweep,
        }
    }

    /// Runs until the channel is closed and everything held is written (or given up).
    pub(crate) fn run(mut self) {
        while !(self.closing && self.held.is_empty()) {
            if self.held.is_empty() {
                match self.queue.recv() {
                    Ok(record) => self.hold(record),
                    Err(_) => self.closing = true,
                }
            }
            self.gather(Instant::now() + self.options.batch_interval);
            self.write_held();
            self.sweep_by_age();
        }
        tracing::debug!("database writer stopped");
    }

    /// Takes records until `deadline`, a full batch or the channel's end.
    fn gather(&mut self, deadline: Instant) {
        while !self.closing && self.held.len() < self.options.batch_records {
            match self.queue.recv_deadline(deadline) {
                Ok(record) => self.hold(record),
                Err(RecvTimeoutError::Timeout) => return,
                Err(RecvTimeoutError::Disconnected) => self.closing = true,
            }
        }
    }

    /// Keeps `record` to write, dropping the oldest line past the cap.
    fn hold(&mut self, record: Record) {
        self.held_lines += usize::from(record.is_line());
        self.held.push_back(record);
        if self.held_lines > self.options.max_pending_lines
            && let Some(oldest) = self.held.iter().position(Record::is_line)
        {
            self.held.remove(oldest);
            self.held_lines -= 1;
            let dropped = self.counters.dropped_line();
            if dropped.is_power_of_two() {
                tracing::warn!(
                    dropped,
                    held = self.held.len(),
                    "the database is not keeping up: dropping the oldest unwritten lines"
                );
            }
        }
    }

    /// Writes everything held, batch by batch, retrying failures with back-off.
    fn write_held(&mut self) {
        let mut backoff = FIRST_BACKOFF;
        let mut tries_at_close = 0;
        while !self.held.is_empty() {
            let batch = self.held.len().min(self.options.batch_records.max(1));
            match self.write_batch(batch) {
                Ok(()) => backoff = FIRST_BACKOFF,
                Err(error) => {
                    self.counters.failed_write();
                    if self.closing {
                        tries_at_close += 1;
                        if tries_at_close >= TRIES_AT_CLOSE {
                            tracing::error!(%error, lost = self.held.len(), "cannot write the database at shutdown: giving up the last records");
                            self.held.clear();
                            self.held_lines = 0;
                            return;
                        }
                    }
                    tracing::warn!(%error, held = self.held.len(), retry_in = ?backoff, "cannot write the database: retrying");
                    self.wait(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Waits `pause`, still emptying the channel.
    fn wait(&mut self, pause: Duration) {
        let until = Instant::now() + pause;
        while !self.closing {
            match self.queue.recv_deadline(until) {
                Ok(record) => self.hold(record),
                Err(RecvTimeoutError::Timeout) => return,
                Err(RecvTimeoutError::Disconnected) => self.closing = true,
            }
        }
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
    }

    /// Writes the oldest `count` records held in one transaction, then keeps each room touched to
    /// its last `history` lines. On success they are no longer held.
    fn write_batch(&mut self, count: usize) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        let mut rooms: Vec<&str> = Vec::new();
        let mut refused = Vec::new();
        for (index, record) in self.held.iter().take(count).enumerate() {
            match apply::apply(&tx, record) {
                Ok(Some(room)) if !rooms.contains(&room) => rooms.push(room),
                Ok(_) => {}
                // A record SQLite cannot hold (a number past i64::MAX): skip it, keep the rest.
                Err(error @ rusqlite::Error::ToSqlConversionFailure(_)) => {
                    tracing::error!(%error, "a record cannot be stored: skipped");
                    refused.push(index);
                }
                Err(error) => return Err(error),
            }
        }
        for room in rooms {
            retention::keep_last(&tx, room, self.options.history)?;
        }
        tx.commit()?;
        for record in self.held.drain(..count) {
            self.held_lines -= usize::from(record.is_line());
        }
        self.counters.wrote((count - refused.len()) as u64, refused.len() as u64);
        Ok(())
    }

    /// Deletes lines past `--history-days`, once an hour.
    fn sweep_by_age(&mut self) {
        let Some(max_age) = max_age(&self.options) else { return };
        if Instant::now() < self.next_age_sweep {
            return;
        }
        self.next_age_sweep = Instant::now() + AGE_SWEEP;
        match retention::forget_older(&self.conn, retention::now(), max_age) {
            Ok(deleted) => tracing::debug!(deleted, "old lines deleted"),
            Err(error) => tracing::warn!(%error, "cannot delete old lines: trying again in an hour"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use chat_core::{Motd, RoomRef, StoredLine, UnixMillis};

    fn line_of(seq: u64, frame: Bytes) -> Record {
        let room = RoomRef { key: "#lobby".into(), name: "#lobby".into() };
        Record::Line { room, line: StoredLine { seq, at: UnixMillis(1), frame } }
    }

    fn line(seq: u64) -> Record {
        line_of(seq, Bytes::from_static(b"x\n"))
    }

    /// The database cannot grow past its present size.
    fn fill_up(writer: &Writer) {
        let pages: u64 = writer.conn.pragma_query_value(None, "page_count", |row| row.get(0)).unwrap();
        writer.conn.pragma_update(None, "max_page_count", pages).unwrap();
    }

    fn motd(text: &str) -> Record {
        Record::Motd(Motd { text: text.into(), set_by: "op".into(), at: UnixMillis(1) })
    }

    fn writer(options: StoreOptions) -> (Writer, crossbeam_channel::Sender<Record>) {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let (queue, records) = crossbeam_channel::bounded(16);
        (Writer::new(conn, records, options, Arc::default()), queue)
    }

    fn count(writer: &Writer, table: &str) -> u64 {
        writer.conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn a_failed_write_keeps_the_batch_for_the_next_try() {
        let (mut writer, _queue) = writer(StoreOptions::default());
        fill_up(&writer);
        let big = Bytes::from(vec![b'x'; 1_000]);
        for seq in 1..=200 {
            writer.hold(line_of(seq, big.clone()));
        }
        writer.hold(motd("hello"));
        assert!(writer.write_batch(writer.held.len()).is_err(), "the database is full");
        assert_eq!((writer.held.len(), count(&writer, "lines")), (201, 0), "rolled back, nothing lost");
        writer.conn.pragma_update(None, "max_page_count", 1_000_000).unwrap();
        writer.write_batch(writer.held.len()).unwrap();
        assert_eq!((writer.held.len(), count(&writer, "lines"), count(&writer, "motd")), (0, 100, 1));
        assert_eq!(writer.counters.stats().written, 201);
    }

    #[test]
    fn at_close_a_write_that_keeps_failing_is_given_up_after_a_few_tries() {
        let (mut writer, queue) = writer(StoreOptions::default());
        fill_up(&writer);
        writer.hold(line_of(1, Bytes::from(vec![b'x'; 10_000])));
        drop(queue);
        writer.closing = true;
        writer.write_held();
        assert!(writer.held.is_empty());
        assert_eq!(writer.counters.stats().failed_writes, u64::from(TRIES_AT_CLOSE));
    }

    #[test]
    fn past_the_cap_the_oldest_lines_go_and_nothing_else() {
        let (mut writer, _queue) = writer(StoreOptions { max_pending_lines: 3, ..StoreOptions::default() });
        writer.hold(motd("first"));
        for seq in 1..=5 {
            writer.hold(line(seq));
        }
        writer.hold(motd("second"));
        let held: Vec<_> = writer
            .held
            .iter()
            .map(|record| match record {
                Record::Line { line, .. } => line.seq.to_string(),
                Record::Motd(motd) => motd.text.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(held, ["first", "3", "4", "5", "second"]);
        assert_eq!(writer.counters.stats().dropped_lines, 2);
    }

    #[test]
    fn a_record_sqlite_cannot_hold_is_skipped_and_the_rest_written() {
        let (mut writer, _queue) = writer(StoreOptions::default());
        writer.hold(line(1));
        writer.hold(line(u64::MAX));
        writer.hold(motd("kept"));
        writer.write_batch(3).unwrap();
        assert_eq!((count(&writer, "lines"), count(&writer, "motd")), (1, 1));
        let stats = writer.counters.stats();
        assert_eq!((stats.written, stats.dropped_records), (2, 1));
    }

    #[test]
    fn the_thread_writes_everything_then_stops_when_the_channel_closes() {
        let (writer, queue) = writer(StoreOptions { batch_records: 7, ..StoreOptions::default() });
        let counters = Arc::clone(&writer.counters);
        let thread = std::thread::spawn(move || writer.run());
        for seq in 1..=50 {
            queue.send(line(seq)).unwrap();
        }
        drop(queue);
        thread.join().unwrap();
        assert_eq!(counters.stats().written, 50);
    }
}
