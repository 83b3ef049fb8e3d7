//! Lines on their way to the server: queued in order, released at the server's pace (see
//! [`Pacer`]), written by one thread, and ended by a goodbye.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::pacer::{Pacer, line_cost};
use super::stream::Writer;

/// How long one write may block before the server is taken to be gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Most lines waiting; whoever queues more waits for room (a big file piped in is read only as
/// fast as it is sent).
const MAX_WAITING: usize = 256;

/// How a goodbye ends the connection's sending side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Goodbye {
    /// Send this `/quit` line (our server then sends what it still has and closes).
    Quit(String),
    /// Half-close the connection (the handout's server, which would relay `/quit` as text).
    HalfClose,
}

/// Whether a goodbye waits for the lines queued before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hurry {
    /// Every queued line is sent first.
    AfterTheRest,
    /// Queued lines are dropped: the terminal is gone, or we were told to stop.
    Now,
}

/// What queuing a line did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queued {
    /// It goes out at once, or behind lines already said to be waiting.
    Sent,
    /// It is the first line held back to keep within the server's flood control (say so once).
    HeldBack,
    /// The connection is done sending (it broke or we said goodbye): the line was dropped.
    Closed,
}

enum Item {
    /// A line, and what the server charges for it.
    Line(Vec<u8>, u32),
    Goodbye(Goodbye),
}

impl Item {
    fn cost(&self) -> u32 {
        match self {
            Item::Line(_, cost) => *cost,
            Item::Goodbye(_) => 1,
        }
    }
}

struct State {
    queue: VecDeque<Item>,
    pacer: Pacer,
    /// A line was held back since the queue was last empty (the user was told).
    holding: bool,
    /// A goodbye is queued or the writer stopped: nothing more is taken.
    closed: bool,
    /// The writer has stopped.
    done: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

/// The sending side of a connection. Cheap to clone; every clone queues into the same line.
#[derive(Clone)]
pub struct Outgoing {
    shared: Arc<Shared>,
}

impl Outgoing {
    /// Starts the writer thread on `stream` (the writing half of the connection the receiver
    /// reads), paced by `pacer`.
    pub fn spawn(stream: Writer, pacer: Pacer) -> io::Result<(Self, JoinHandle<()>)> {
        stream.set_write_timeout(Some(SEND_TIMEOUT))?;
        let state = State { queue: VecDeque::new(), pacer, holding: false, closed: false, done: false };
        let shared = Arc::new(Shared { state: Mutex::new(state), changed: Condvar::new() });
        let writer = Arc::clone(&shared);
        let handle = thread::Builder::new().name("chat-sender".into()).spawn(move || {
            if let Err(err) = write_all(&writer, stream) {
                tracing::debug!(%err, "sending stopped");
            }
            let mut state = lock(&writer);
            state.done = true;
            state.closed = true;
            state.queue.clear();
            writer.changed.notify_all();
        })?;
        Ok((Self { shared }, handle))
    }

    /// Queues `line` (a trailing `\r\n` or `\n` is replaced by one `\n`), waiting while
    /// [`MAX_WAITING`] lines are already queued.
    pub fn send(&self, line: &[u8]) -> Queued {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut state = lock(&self.shared);
        while state.queue.len() >= MAX_WAITING && !state.closed {
            state = self.shared.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        if state.closed {
            return Queued::Closed;
        }
        state.queue.push_back(Item::Line(line.to_vec(), line_cost(line)));
        let cost = state.queue.iter().map(|item| u64::from(item.cost())).sum();
        let held = !state.holding && !state.pacer.time_for(cost, Instant::now()).is_zero();
        state.holding |= held;
        self.shared.changed.notify_all();
        if held { Queued::HeldBack } else { Queued::Sent }
    }

    /// Ends sending with `goodbye`, after the queued lines or instead of them. Later lines are
    /// dropped. Only the first goodbye is sent; a hurried one still drops the lines queued
    /// before an earlier one.
    pub fn say_goodbye(&self, goodbye: Goodbye, hurry: Hurry) {
        let mut state = lock(&self.shared);
        if hurry == Hurry::Now {
            state.queue.retain(|item| matches!(item, Item::Goodbye(_)));
        }
        if !state.closed {
            state.queue.push_back(Item::Goodbye(goodbye));
            state.closed = true;
        }
        self.shared.changed.notify_all();
    }

    /// How many lines are still waiting to be sent.
    pub fn waiting(&self) -> usize {
        lock(&self.shared).queue.iter().filter(|item| matches!(item, Item::Line(..))).count()
    }

    /// Waits until the writer has stopped (the goodbye is sent, or the connection broke), at
    /// most until `deadline` if there is one; returns whether it has.
    pub fn wait_done(&self, deadline: Option<Instant>) -> bool {
        let mut state = lock(&self.shared);
        while !state.done {
            state = match deadline {
                None => self.shared.changed.wait(state).unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    self.shared.changed.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0
                }
            };
        }
        true
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The writer thread: takes each item when the pacer allows, writes it, stops after a goodbye.
fn write_all(shared: &Shared, mut stream: Writer) -> io::Result<()> {
    loop {
        let item = next_item(shared);
        match item {
            Item::Line(mut line, _) => {
                line.push(b'\n');
                stream.write_all(&line)?;
            }
            Item::Goodbye(Goodbye::Quit(line)) => return stream.write_all(format!("{line}\n").as_bytes()),
            Item::Goodbye(Goodbye::HalfClose) => return stream.shutdown_write(),
        }
    }
}

/// Waits for the next item and for the server's budget to have room for it, then takes it.
fn next_item(shared: &Shared) -> Item {
    let mut state = lock(shared);
    loop {
        let now = Instant::now();
        let wait = match state.queue.front().map(Item::cost) {
            None => None,
            Some(cost) => match state.pacer.try_send(now, cost) {
                Ok(()) => {
                    let item = state.queue.pop_front().expect("the queue is not empty");
                    if state.queue.is_empty() {
                        state.holding = false;
                    }
                    shared.changed.notify_all();
                    return item;
                }
                Err(at) => Some(at.saturating_duration_since(now)),
            },
        };
        state = match wait {
            Some(wait) => shared.changed.wait_timeout(state, wait).unwrap_or_else(PoisonError::into_inner).0,
            None => shared.changed.wait(state).unwrap_or_else(PoisonError::into_inner),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    use super::super::test_support::writer_and_server as pair;

    #[test]
    fn lines_go_out_in_order_with_one_newline_then_the_goodbye() {
        let (client, mut server) = pair();
        let (out, writer) = Outgoing::spawn(client, Pacer::new(0.0, 30, Instant::now())).unwrap();
        assert_eq!(out.send(b"one"), Queued::Sent);
        out.send(b"two\r\n");
        out.send(b"three\n");
        out.say_goodbye(Goodbye::Quit("/quit bye".into()), Hurry::AfterTheRest);
        assert_eq!(out.send(b"too late"), Queued::Closed);
        writer.join().unwrap();
        drop(out);
        let mut received = String::new();
        server.read_to_string(&mut received).unwrap();
        assert_eq!(received, "one\ntwo\nthree\n/quit bye\n");
    }

    #[test]
    fn lines_beyond_the_burst_are_held_back_and_a_hurried_goodbye_drops_them() {
        let (client, mut server) = pair();
        let (out, writer) = Outgoing::spawn(client, Pacer::new(0.001, 4, Instant::now())).unwrap();
        assert_eq!(out.send(b"a"), Queued::Sent);
        assert_eq!(out.send(b"b"), Queued::Sent);
        assert_eq!(out.send(b"c"), Queued::HeldBack);
        assert_eq!(out.send(b"d"), Queued::Sent, "the user was told already");
        let mut first = [0; 4];
        server.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"a\nb\n");
        assert_eq!(out.waiting(), 2);
        out.say_goodbye(Goodbye::HalfClose, Hurry::Now);
        assert_eq!(out.waiting(), 0, "c and d were dropped");
        assert_eq!(out.send(b"e"), Queued::Closed);
        // The goodbye itself waits for the server's budget (here, 1,000 s): the writer is left
        // waiting when the test ends.
        assert!(!out.wait_done(Some(Instant::now())));
        drop(writer);
    }
}
