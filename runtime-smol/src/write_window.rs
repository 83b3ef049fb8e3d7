//! [`WriteWindow`]: adaptive write coalescing. While an I/O thread writes to many clients in a
//! short time, a woken writer waits for the thread's next tick (at most [`WINDOW`]) before it
//! writes, so that the lines arriving meanwhile go out in the same system call.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use smol::Timer;

use crate::wake_slot::WakeSlot;

/// The longest a write waits.
pub(crate) const WINDOW: Duration = Duration::from_millis(1);

/// Writes within one [`WINDOW`] from which the thread counts as busy.
const BUSY_WRITES: u32 = 128;

/// One I/O thread's write coalescing.
pub(crate) struct WriteWindow {
    /// Writes since `since`.
    writes: Cell<u32>,
    since: Cell<Instant>,
    /// The last `BUSY_WRITES` writes took less than a window.
    busy: Cell<bool>,
    /// Ticks so far: a writer that waited for tick `n` goes on once it has passed.
    tick: Cell<u64>,
    /// Writers waiting for the next tick.
    waiting: RefCell<Vec<Waker>>,
    /// The ticking task, parked while no writer waits.
    ticker: WakeSlot,
}

impl Default for WriteWindow {
    fn default() -> Self {
        Self {
            writes: Cell::new(0),
            since: Cell::new(Instant::now()),
            busy: Cell::new(false),
            tick: Cell::new(0),
            waiting: RefCell::default(),
            ticker: WakeSlot::default(),
        }
    }
}

impl WriteWindow {
    /// Counts one write, and every `BUSY_WRITES` writes, whether they came within a window.
    pub(crate) fn wrote(&self) {
        let writes = self.writes.get() + 1;
        if writes < BUSY_WRITES {
            return self.writes.set(writes);
        }
        let now = Instant::now();
        self.busy.set(now.duration_since(self.since.replace(now)) < WINDOW);
        self.writes.set(0);
    }

    /// Whether writes wait for the next tick: the thread is busy, as of its recent writes.
    pub(crate) fn is_busy(&self) -> bool {
        if self.busy.get() && self.since.get().elapsed() > 4 * WINDOW {
            // Quiet since: no more waiting until writes pick up again.
            self.busy.set(false);
            self.writes.set(0);
            self.since.set(Instant::now());
        }
        self.busy.get()
    }

    /// Waits for the next tick.
    pub(crate) async fn next_tick(&self) {
        let due = self.tick.get() + 1;
        poll_fn(|cx| {
            if self.tick.get() >= due {
                return Poll::Ready(());
            }
            self.waiting.borrow_mut().push(cx.waker().clone());
            self.ticker.wake();
            Poll::Pending
        })
        .await;
    }

    /// The ticking task: while writers wait, ticks every [`WINDOW`] and lets them all write.
    pub(crate) async fn run(self: Rc<Self>) {
        loop {
            self.ticker.wait_until(|| !self.waiting.borrow().is_empty()).await;
            Timer::after(WINDOW).await;
            self.tick.set(self.tick.get() + 1);
            self.waiting.take().into_iter().for_each(Waker::wake);
        }
    }
}
