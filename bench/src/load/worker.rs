//! A worker thread: opens its share of the connections and drives them all from one `epoll`
//! loop (the `polling` crate, level-triggered), with one read buffer for all of them. Idle
//! connections cost a socket and a few dozen bytes here, nothing more.

use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use polling::{Event, Events, PollMode, Poller};

use super::conn::{Conn, Status, Totals};
use super::shared::{Phase, Shared};
use super::wire::Layers;

/// Bytes read from a socket at once.
const READ_BUFFER: usize = 64 * 1024;

/// Longest sleep in the loop, so a phase change is seen soon.
const TICK: Duration = Duration::from_millis(5);

/// Connections opened between two passes over the sockets, while connecting.
const CONNECT_BATCH: usize = 32;

/// What a worker hands back when the run stops.
#[derive(Debug)]
pub struct Outcome {
    /// Counts and latencies of the lines its connections received.
    pub totals: Totals,
    /// Lines its receivers never got.
    pub lost: u64,
}

struct Slot {
    conn: Conn,
    open: bool,
    want_write: bool,
}

struct Worker<'a> {
    shared: &'a Shared,
    poller: Poller,
    events: Events,
    slots: Vec<Slot>,
    senders: Vec<usize>,
    buf: Vec<u8>,
    totals: Totals,
}

/// Runs one worker for the clients numbered `clients` until the run stops.
pub fn run(shared: &Shared, clients: Vec<usize>) -> Outcome {
    let mut worker = match Poller::new() {
        Ok(poller) => Worker {
            shared,
            poller,
            events: Events::new(),
            slots: Vec::with_capacity(clients.len()),
            senders: Vec::new(),
            buf: vec![0; READ_BUFFER],
            totals: Totals::new(),
        },
        Err(e) => {
            shared.fail(format!("could not create an epoll instance: {e}"));
            return Outcome { totals: Totals::new(), lost: 0 };
        }
    };
    worker.connect_all(&clients);
    worker.pump();
    worker.finish()
}

impl Worker<'_> {
    fn connect_all(&mut self, clients: &[usize]) {
        let begun = Instant::now();
        for batch in clients.chunks(CONNECT_BATCH) {
            for &index in batch {
                if let Some(rate) = self.shared.plan.connect_rate {
                    // Keep reading while waiting for this connection's turn.
                    let due = begun + Duration::from_secs_f64(index as f64 / rate);
                    while Instant::now() < due && self.shared.phase() != Phase::Stop {
                        self.turn(Some(due.saturating_duration_since(Instant::now()).min(TICK)));
                    }
                }
                if self.shared.phase() == Phase::Stop {
                    return;
                }
                if let Err(message) = self.connect(index) {
                    self.shared.fail(message);
                    return;
                }
            }
            self.turn(Some(Duration::ZERO));
        }
    }

    fn connect(&mut self, index: usize) -> Result<(), String> {
        let plan = &self.shared.plan;
        let addr = plan.addrs[index % plan.addrs.len()];
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
            .and_then(|s| s.set_nodelay(true).map(|()| s))
            .map_err(|e| {
                format!(
                    "could not connect client {index} to {addr}: {e} (is the server running there? \
                     is `ulimit -n` high enough for this many connections?)"
                )
            })?;
        let layers = Layers::open(&mut stream, plan.wire, plan.tls.as_ref(), &plan.host)
            .map_err(|e| format!("client {index}: {e}"))?;
        stream.set_nonblocking(true).map_err(|e| format!("client {index}: {e}"))?;
        let key = self.slots.len();
        // SAFETY: the socket stays registered only while its slot owns it: `finish` and `gone`
        // delete it from the poller before the stream is dropped.
        unsafe { self.poller.add_with_mode(&stream, Event::readable(key), PollMode::Level) }
            .map_err(|e| format!("could not watch a socket: {e}"))?;
        let conn = Conn::new(stream, layers, index, self.shared.plan.senders);
        if conn.sender.is_some() {
            self.senders.push(key);
        }
        self.slots.push(Slot { conn, open: true, want_write: false });
        self.shared.connected.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn pump(&mut self) {
        loop {
            let phase = self.shared.phase();
            if phase == Phase::Stop {
                return;
            }
            let now = Instant::now();
            let mut wake = now + TICK;
            for i in 0..self.senders.len() {
                let key = self.senders[i];
                if !self.slots[key].open {
                    continue;
                }
                let (status, next) = self.slots[key].conn.send(now, phase, self.shared);
                if let Some(next) = next {
                    wake = wake.min(next);
                }
                match status {
                    Status::Gone => self.gone(key),
                    Status::Open { blocked } => self.want_write(key, blocked),
                }
            }
            self.turn(Some(wake.saturating_duration_since(Instant::now())));
        }
    }

    /// Waits up to `timeout` for socket events and handles them.
    fn turn(&mut self, timeout: Option<Duration>) {
        self.events.clear();
        if let Err(e) = self.poller.wait(&mut self.events, timeout)
            && e.kind() != std::io::ErrorKind::Interrupted
        {
            self.shared.fail(format!("waiting for sockets failed: {e}"));
            return;
        }
        for event in self.events.iter() {
            let slot = &mut self.slots[event.key];
            if event.readable
                && slot.open
                && slot.conn.read(&mut self.buf, self.shared, &mut self.totals) == Status::Gone
            {
                slot.open = false;
                let _ = self.poller.delete(&slot.conn.stream);
                self.shared.gone.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn want_write(&mut self, key: usize, want: bool) {
        let slot = &mut self.slots[key];
        if slot.want_write == want {
            return;
        }
        slot.want_write = want;
        let interest = if want { Event::all(key) } else { Event::readable(key) };
        if let Err(e) = self.poller.modify_with_mode(&slot.conn.stream, interest, PollMode::Level) {
            self.shared.fail(format!("could not watch a socket: {e}"));
        }
    }

    fn gone(&mut self, key: usize) {
        let slot = &mut self.slots[key];
        if std::mem::replace(&mut slot.open, false) {
            let _ = self.poller.delete(&slot.conn.stream);
            self.shared.gone.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn finish(mut self) -> Outcome {
        let messages = self.shared.plan.messages;
        let measured = self.shared.plan.messages > 0;
        let mut lost = 0;
        for slot in &mut self.slots {
            if measured {
                lost += slot.conn.lost(messages);
            }
            if slot.open {
                let _ = self.poller.delete(&slot.conn.stream);
                slot.open = false;
            }
        }
        Outcome { totals: self.totals, lost }
    }
}
