//! [`Outgoing`]: what an I/O thread tells the core's thread, sent in batches.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use smol::channel::Sender;

use crate::event::Event;
use crate::wake_slot::WakeSlot;

/// The events an I/O thread's connections produced since its last batch went to the hub. The
/// first event of a batch wakes the sending task, which runs after the tasks already queued on
/// the thread (the writers one hand-over woke, say): everything they report goes in the same
/// batch, with one cross-thread wake-up for all of it.
pub(crate) struct Outgoing {
    batch: RefCell<Vec<Event>>,
    /// The sending task, parked while the batch is empty.
    sender: WakeSlot,
    hub: Sender<Vec<Event>>,
}

impl Outgoing {
    /// Batches for `hub`.
    pub(crate) fn new(hub: Sender<Vec<Event>>) -> Self {
        Self { batch: RefCell::default(), sender: WakeSlot::default(), hub }
    }

    /// Adds `event` to the next batch.
    pub(crate) fn push(&self, event: Event) {
        let mut batch = self.batch.borrow_mut();
        if batch.is_empty() {
            self.sender.wake();
        }
        batch.push(event);
    }

    /// The sending task: sends each batch once the tasks queued before it have run, until the
    /// hub is gone.
    pub(crate) async fn run(self: Rc<Self>) {
        loop {
            poll_fn(|cx| {
                if self.batch.borrow().is_empty() {
                    self.sender.register(cx);
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            })
            .await;
            let batch = self.batch.take();
            if self.hub.try_send(batch).is_err() {
                return;
            }
        }
    }
}
