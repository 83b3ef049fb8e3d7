//! The event loop's side of the store: hand records over without ever waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use chat_core::Record;
use crossbeam_channel::{Sender, TrySendError};

/// What the store has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Records written to the database.
    pub written: u64,
    /// Lines dropped: the queue was full, or the writer held too many while writes failed.
    pub dropped_lines: u64,
    /// Other records dropped: the queue was full even counting the room kept for them, or
    /// SQLite could not hold them (logged as errors).
    pub dropped_records: u64,
    /// Writes that failed (and were retried).
    pub failed_writes: u64,
}

/// Counters shared by the handle and the writer thread.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    written: AtomicU64,
    dropped_lines: AtomicU64,
    dropped_records: AtomicU64,
    failed_writes: AtomicU64,
}

impl Counters {
    /// Counts one dropped line; returns how many so far.
    pub(crate) fn dropped_line(&self) -> u64 {
        self.dropped_lines.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn dropped_record(&self) -> u64 {
        self.dropped_records.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn failed_write(&self) {
        self.failed_writes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn wrote(&self, written: u64, refused: u64) {
        self.written.fetch_add(written, Ordering::Relaxed);
        self.dropped_records.fetch_add(refused, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> StoreStats {
        StoreStats {
            written: self.written.load(Ordering::Relaxed),
            dropped_lines: self.dropped_lines.load(Ordering::Relaxed),
            dropped_records: self.dropped_records.load(Ordering::Relaxed),
            failed_writes: self.failed_writes.load(Ordering::Relaxed),
        }
    }
}

/// Hands records to the writer thread. Owned by the event loop; never blocks it.
///
/// Dropping the handle (or [`StoreHandle::close`]) closes the channel and waits for the writer
/// to write what it holds.
#[derive(Debug)]
pub struct StoreHandle {
    queue: Option<Sender<Record>>,
    /// Lines are taken only while the queue holds fewer records than this; the rest of the
    /// queue is kept for records that must not be dropped.
    line_room: usize,
    counters: Arc<Counters>,
    writer: Option<JoinHandle<()>>,
}

impl StoreHandle {
    pub(crate) fn new(
        queue: Sender<Record>,
        capacity: usize,
        counters: Arc<Counters>,
        writer: JoinHandle<()>,
    ) -> Self {
        let line_room = capacity - (capacity / 8).max(1);
        Self { queue: Some(queue), line_room, counters, writer: Some(writer) }
    }

    /// Queues `record` for the writer, in order, without waiting.
    ///
    /// If the queue is full (the writer is stuck inside one slow write), a line is dropped
    /// once the queue is 7/8 full, keeping the last eighth for the other records; another
    /// record is dropped only if even that is full. Drops are counted ([`StoreHandle::stats`])
    /// and logged at the 1st, 2nd, 4th, 8th... one.
    pub fn persist(&self, record: Record) {
        let Some(queue) = &self.queue else { return };
        let is_line = record.is_line();
        if is_line && queue.len() >= self.line_room {
            self.dropped(true);
            return;
        }
        match queue.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.dropped(is_line),
            Err(TrySendError::Disconnected(_)) => {
                // The writer thread is gone: it panicked, which it logs.
                self.dropped(is_line);
            }
        }
    }

    fn dropped(&self, line: bool) {
        if line {
            let dropped = self.counters.dropped_line();
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "the database queue is full: dropping new lines from history");
            }
        } else {
            let dropped = self.counters.dropped_record();
            tracing::error!(
                dropped,
                "the database queue is full: a change to accounts or moderation is not saved"
            );
        }
    }

    /// What the store has done so far.
    pub fn stats(&self) -> StoreStats {
        self.counters.stats()
    }

    /// Closes the channel, waits for the writer to write what it holds, and says what it did.
    pub fn close(mut self) -> StoreStats {
        self.shut();
        self.counters.stats()
    }

    fn shut(&mut self) {
        self.queue = None;
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            tracing::error!("the database writer thread panicked");
        }
    }
}

impl Drop for StoreHandle {
    fn drop(&mut self) {
        self.shut();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use chat_core::{Motd, RoomRef, StoredLine, UnixMillis};

    fn line(seq: u64) -> Record {
        let room = RoomRef { key: "#lobby".into(), name: "#lobby".into() };
        Record::Line { room, line: StoredLine { seq, at: UnixMillis(1), frame: Bytes::from_static(b"x\n") } }
    }

    fn motd() -> Record {
        Record::Motd(Motd { text: "m".into(), set_by: "op".into(), at: UnixMillis(1) })
    }

    #[test]
    fn a_full_queue_drops_lines_first_and_never_blocks() {
        let (queue, records) = crossbeam_channel::bounded(16);
        let (release, released) = crossbeam_channel::bounded::<()>(0);
        // A writer stuck in one slow write until released.
        let stuck = std::thread::spawn(move || {
            let _ = released.recv();
            records.iter().collect::<Vec<_>>()
        });
        let counters = Arc::new(Counters::default());
        let handle = StoreHandle::new(queue, 16, Arc::clone(&counters), std::thread::spawn(|| {}));
        for seq in 1..=100 {
            handle.persist(line(seq));
        }
        for _ in 0..2 {
            handle.persist(motd());
        }
        let stats = handle.stats();
        assert_eq!((stats.dropped_lines, stats.dropped_records), (86, 0), "14 lines fit, 2 places kept");
        for _ in 0..3 {
            handle.persist(motd());
        }
        assert_eq!(handle.stats().dropped_records, 3, "past the kept places, other records go too");
        drop(handle);
        release.send(()).unwrap();
        let received = stuck.join().unwrap();
        let lines: Vec<u64> = received
            .iter()
            .filter_map(|record| match record {
                Record::Line { line, .. } => Some(line.seq),
                _ => None,
            })
            .collect();
        assert_eq!(lines, (1..=14).collect::<Vec<_>>());
        assert_eq!(received.len(), 16);
    }
}
