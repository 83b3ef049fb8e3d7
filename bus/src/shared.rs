//! What the handle and the two bridge threads share: the rooms read, counters, health, and the
//! way events reach the event loop.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use chat_core::{BusEvent, StreamSeq, SubscribeFrom};
use crossbeam_channel::{SendTimeoutError, Sender};

/// How often a thread waiting for the event loop checks whether the bridge is stopping.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// A room the reader reads.
#[derive(Clone, Debug)]
pub(crate) struct Subscription {
    /// The last entry delivered, once known (`None` while `Latest` is being looked up).
    pub(crate) cursor: Option<StreamSeq>,
    /// Whether the next entry must be the cursor's successor (else a gap is reported).
    pub(crate) check_gap: bool,
    /// Bumped by every subscribe, so entries read for an older subscription are dropped.
    pub(crate) generation: u64,
}

impl Subscription {
    pub(crate) fn new(from: SubscribeFrom, generation: u64) -> Self {
        let (cursor, check_gap) = match from {
            SubscribeFrom::Start => (Some(StreamSeq::ZERO), false),
            SubscribeFrom::Latest => (None, false),
            SubscribeFrom::After(seq) => (Some(seq), true),
        };
        Self { cursor, check_gap, generation }
    }
}

/// Which of the two connections are up, and what was last said about it.
#[derive(Debug, Default)]
struct Health {
    writer_up: bool,
    reader_up: bool,
    /// `Some(true)` after `Up` was sent, `Some(false)` after `Down`.
    reported: Option<bool>,
}

/// Counters: what the bridge did so far.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) appended: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) gaps: AtomicU64,
    pub(crate) reconnects: AtomicU64,
}

/// State shared by the handle, the writer and the reader.
pub(crate) struct Shared {
    rooms: Mutex<BTreeMap<String, Subscription>>,
    rooms_changed: Condvar,
    generation: AtomicU64,
    health: Mutex<Health>,
    events: Sender<BusEvent>,
    wake: Box<dyn Fn() + Send + Sync>,
    /// The reader connection's `CLIENT ID` (-1 while it has none), so the writer can unblock it.
    pub(crate) reader_id: AtomicI64,
    pub(crate) stopping: AtomicBool,
    /// Appends (and their bytes) taken by the handle and not yet written or given up.
    pub(crate) queued_entries: AtomicUsize,
    pub(crate) queued_bytes: AtomicUsize,
    /// Other commands taken and not yet carried out.
    pub(crate) queued_commands: AtomicUsize,
    pub(crate) counters: Counters,
}

impl Shared {
    pub(crate) fn new(events: Sender<BusEvent>, wake: Box<dyn Fn() + Send + Sync>) -> Arc<Self> {
        Arc::new(Self {
            rooms: Mutex::default(),
            rooms_changed: Condvar::new(),
            generation: AtomicU64::new(0),
            health: Mutex::default(),
            events,
            wake,
            reader_id: AtomicI64::new(-1),
            stopping: AtomicBool::new(false),
            queued_entries: AtomicUsize::new(0),
            queued_bytes: AtomicUsize::new(0),
            queued_commands: AtomicUsize::new(0),
            counters: Counters::default(),
        })
    }

    /// The rooms read. Never held while sending an event.
    pub(crate) fn rooms(&self) -> MutexGuard<'_, BTreeMap<String, Subscription>> {
        self.rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts (or restarts) reading `room` from `from`.
    pub(crate) fn subscribe(&self, room: String, from: SubscribeFrom) {
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        self.rooms().insert(room, Subscription::new(from, generation));
        self.rooms_changed.notify_all();
    }

    /// Stops reading `room`.
    /// A `Latest` subscription to `room` starts after `latest`, unless it was settled already
    /// (or, with `generation`, unless the room was subscribed again since).
    pub(crate) fn settle_latest(&self, room: &str, generation: Option<u64>, latest: StreamSeq) {
        let mut rooms = self.rooms();
        if let Some(sub) = rooms.get_mut(room)
            && sub.cursor.is_none()
            && generation.is_none_or(|generation| generation == sub.generation)
        {
            sub.cursor = Some(latest);
        }
    }

    pub(crate) fn unsubscribe(&self, room: &str) {
        self.rooms().remove(room);
        self.rooms_changed.notify_all();
    }

    /// Waits until the rooms change, the bridge stops, or `timeout` passes.
    pub(crate) fn wait_for_rooms(&self, timeout: Duration) {
        let rooms = self.rooms();
        if rooms.is_empty() && !self.stopping.load(Ordering::Relaxed) {
            drop(self.rooms_changed.wait_timeout(rooms, timeout));
        }
    }

    /// Wakes the reader if it waits for rooms (the writer unblocks its `XREAD`).
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        let _rooms = self.rooms();
        self.rooms_changed.notify_all();
    }

    /// Sends `event` to the event loop and wakes it. Waits if the event loop is far behind
    /// (the bridge's threads may wait; the event loop never does). False once nobody listens.
    pub(crate) fn emit(&self, event: BusEvent) -> bool {
        let mut event = event;
        loop {
            match self.events.send_timeout(event, STOP_CHECK) {
                Ok(()) => break,
                Err(SendTimeoutError::Timeout(again)) if !self.stopping.load(Ordering::Relaxed) => {
                    event = again
                }
                Err(_) => return false,
            }
        }
        (self.wake)();
        true
    }

    /// One connection is up or down: says `Up` once both are up, `Down` as soon as one is down.
    pub(crate) fn set_up(&self, writer: bool, up: bool) {
        let event = {
            let mut health = self.health.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if writer {
                health.writer_up = up;
            } else {
                health.reader_up = up;
            }
            let now_up = health.writer_up && health.reader_up;
            let event = if now_up && health.reported != Some(true) {
                Some(true)
            } else if !up && health.reported != Some(false) {
                Some(false)
            } else {
                None
            };
            if event.is_some() {
                health.reported = event;
            }
            event
        };
        match event {
            Some(true) => {
                tracing::info!("connected to Redis");
                self.emit(BusEvent::Up);
            }
            Some(false) => {
                tracing::warn!("Redis is unreachable: appends are queued until it is back");
                self.emit(BusEvent::Down);
            }
            None => {}
        }
    }
}
