//! [`Outgoing`]: what an I/O thread tells the core's thread, sent in batches.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use smol::channel::Sender;

use crate::event::Event;
use crate::wake_slot::WakeSlot;

/// One batch of events from one I/O thread.
#[derive(Debug)]
pub(crate) struct Report {
    /// The I/O thread it comes from.
    pub(crate) thread: usize,
    /// What its connections did, in order.
    pub(crate) events: Vec<Event>,
    /// It holds data read from a client: the hub answers it (`Handed::Answered`) once the core
    /// has had it and the thread has been handed what the core made of it.
    pub(crate) read: bool,
}

/// The events an I/O thread's connections produced since its last batch went to the hub. The
/// first event of a batch wakes the sending task, which runs after the tasks already queued on
/// the thread (the writers one hand-over woke, the readers one wake-up let read): everything
/// they report goes in the same batch, with one cross-thread wake-up for all of it.
pub(crate) struct Outgoing {
    thread: usize,
    batch: RefCell<Vec<Event>>,
    /// The batch holds data read from a client.
    read: Cell<bool>,
    /// Batches with data read that the hub has not answered yet.
    unanswered: Cell<usize>,
    /// The sending task, parked while the batch is empty.
    sender: WakeSlot,
    hub: Sender<Report>,
}

impl Outgoing {
    /// Batches from I/O thread `thread` for `hub`.
    pub(crate) fn new(thread: usize, hub: Sender<Report>) -> Self {
        Self {
            thread,
            batch: RefCell::default(),
            read: Cell::new(false),
            unanswered: Cell::new(0),
            sender: WakeSlot::default(),
            hub,
        }
    }

    /// Adds `event` to the next batch.
    pub(crate) fn push(&self, event: Event) {
        let mut batch = self.batch.borrow_mut();
        if batch.is_empty() {
            self.sender.wake();
        }
        if matches!(event, Event::Received { .. }) {
            self.read.set(true);
        }
        batch.push(event);
    }

    /// Whether data this thread read is still on its way through the core: its readers then
    /// wait, as a reader on one thread waits for the writers its read woke, so that reading
    /// cannot outrun the writing of what it produces.
    pub(crate) fn is_unanswered(&self) -> bool {
        self.unanswered.get() > 0
    }

    /// The hub answered `count` batches with data read; true if none is left unanswered.
    pub(crate) fn answered(&self, count: usize) -> bool {
        self.unanswered.set(self.unanswered.get().saturating_sub(count));
        self.unanswered.get() == 0
    }

    /// The sending task: sends each batch once the tasks queued before it have run, until the
    /// hub is gone.
    pub(crate) async fn run(self: Rc<Self>) {
        loop {
            self.sender.wait_until(|| !self.batch.borrow().is_empty()).await;
            let events = self.batch.take();
            let read = self.read.replace(false);
            if read {
                self.unanswered.set(self.unanswered.get() + 1);
            }
            if self.hub.try_send(Report { thread: self.thread, events, read }).is_err() {
                return;
            }
        }
    }
}
