//! Timers that all run for the same length of time: a queue in deadline order for free.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Items each due a fixed `delay` after they were added. Since the core's clock never goes
/// back, adding at the back keeps the queue in deadline order.
#[derive(Debug)]
pub(crate) struct FixedDelay<T> {
    delay: Duration,
    queue: VecDeque<(Instant, T)>,
}

impl<T> FixedDelay<T> {
    /// An empty queue whose items fall due `delay` after being added.
    pub(crate) fn new(delay: Duration) -> Self {
        Self { delay, queue: VecDeque::new() }
    }

    /// Adds `item`, due at `now + delay`.
    pub(crate) fn push(&mut self, now: Instant, item: T) {
        self.queue.push_back((now + self.delay, item));
    }

    /// When the first item falls due.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.queue.front().map(|&(at, _)| at)
    }

    /// Takes the next item due at `now`, if any.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.deadline()? > now {
            return None;
        }
        self.queue.pop_front().map(|(_, item)| item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_fall_due_in_order_after_the_delay() {
        let start = Instant::now();
        let mut timers = FixedDelay::new(Duration::from_millis(300));
        assert_eq!(timers.deadline(), None);
        timers.push(start, 'a');
        timers.push(start + Duration::from_millis(100), 'b');
        assert_eq!(timers.deadline(), Some(start + Duration::from_millis(300)));
        assert_eq!(timers.pop_due(start + Duration::from_millis(299)), None);
        assert_eq!(timers.pop_due(start + Duration::from_millis(350)), Some('a'));
        assert_eq!(timers.pop_due(start + Duration::from_millis(350)), None);
        assert_eq!(timers.pop_due(start + Duration::from_secs(1)), Some('b'));
        assert_eq!(timers.deadline(), None);
    }
}
