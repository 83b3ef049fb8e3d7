//! [`WakeSlot`]: one parked task, woken when something it waits for changes.

use std::cell::Cell;
use std::fmt;
use std::future::poll_fn;
use std::task::{Context, Poll, Waker};

/// Holds the waker of the one task waiting on some condition (a connection's writer waiting for
/// output, the timer task waiting for a new deadline), so that whoever changes the condition can
/// wake it. Single-threaded: the event loop never shares it across threads.
#[derive(Default)]
pub(crate) struct WakeSlot(Cell<Option<Waker>>);

impl WakeSlot {
    /// Parks the task polled with `cx` here, replacing whichever task was parked before.
    pub(crate) fn register(&self, cx: &Context<'_>) {
        let waker = match self.0.take() {
            Some(waker) if waker.will_wake(cx.waker()) => waker,
            _ => cx.waker().clone(),
        };
        self.0.set(Some(waker));
    }

    /// Waits, parked here, until `ready` holds (checked again whenever the task is woken).
    pub(crate) async fn wait_until(&self, ready: impl Fn() -> bool) {
        poll_fn(|cx| {
            if ready() {
                Poll::Ready(())
            } else {
                self.register(cx);
                Poll::Pending
            }
        })
        .await;
    }

    /// Wakes the parked task, if any.
    pub(crate) fn wake(&self) {
        if let Some(waker) = self.0.take() {
            waker.wake();
        }
    }
}

impl fmt::Debug for WakeSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waker = self.0.take();
        let parked = waker.is_some();
        self.0.set(waker);
        f.debug_struct("WakeSlot").field("parked", &parked).finish()
    }
}
