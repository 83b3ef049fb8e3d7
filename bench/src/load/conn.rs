//! One bench connection: reads and checks what the server delivers, and (for a sender) writes
//! its lines on schedule.

use std::io;
use std::net::TcpStream;
use std::time::Instant;

use hdrhistogram::Histogram;

use super::payload::{self, Kind, Parsed, Stamp};
use super::shared::{Phase, Shared};
use super::tally::{Counts, Seen, Tally};
use super::wire::Layers;

/// The longest unterminated line kept between reads; past it the line counts as corrupted.
const MAX_CARRY: usize = 1 << 16;

/// Most bytes generated ahead of the socket by an unpaced sender.
const SEND_AHEAD: usize = 32 * 1024;

/// What a worker accumulates over its connections.
#[derive(Debug)]
pub struct Totals {
    /// Delivery counts.
    pub counts: Counts,
    /// End-to-end latency of measured lines, in microseconds.
    pub latency_us: Histogram<u64>,
    /// When the last measured line arrived, in ns since the bench started.
    pub last_delivery_ns: u64,
    /// Control bytes (other than tab, CR, LF) received, when checked.
    pub control_bytes: u64,
}

impl Totals {
    /// Nothing counted yet.
    pub fn new() -> Self {
        Self {
            counts: Counts::default(),
            latency_us: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds"),
            last_delivery_ns: 0,
            control_bytes: 0,
        }
    }
}

/// A sender's schedule and what it has not written yet.
#[derive(Debug)]
pub struct Sender {
    /// This sender's index in the run.
    index: u16,
    /// Next sequence number to generate.
    next_seq: u32,
    /// Sync rounds sent so far.
    sync_rounds: u32,
    /// When the next sync line is due.
    next_sync: Option<Instant>,
    /// Bytes generated but not yet taken by the socket.
    out: Vec<u8>,
    written: usize,
}

impl Sender {
    /// The sender with index `index`.
    pub fn new(index: u16) -> Self {
        Self { index, next_seq: 0, sync_rounds: 0, next_sync: None, out: Vec::new(), written: 0 }
    }
}

/// How a connection's I/O went.
#[derive(Debug, PartialEq, Eq)]
pub enum Status {
    /// Still open; `blocked` when the socket refused to take all the sender's bytes.
    Open { blocked: bool },
    /// The server closed the connection or it failed.
    Gone,
}

/// One connection to the server under test.
#[derive(Debug)]
pub struct Conn {
    /// The socket, non-blocking.
    pub stream: TcpStream,
    /// TLS and WebSocket above it, if the run speaks them.
    layers: Layers,
    /// This client's index in the run; senders are the first ones.
    pub index: usize,
    carry: Vec<u8>,
    tally: Tally,
    synced: Vec<bool>,
    /// Set for the clients that send.
    pub sender: Option<Sender>,
}

impl Conn {
    /// Client `index` of a run with `senders` senders.
    pub fn new(stream: TcpStream, layers: Layers, index: usize, senders: usize) -> Self {
        let sender = (index < senders).then(|| Sender::new(index as u16));
        Self {
            stream,
            layers,
            index,
            carry: Vec::new(),
            tally: Tally::new(senders),
            synced: Vec::new(),
            sender,
        }
    }

    /// Reads what is there (up to a few buffers, for fairness) and checks every line.
    pub fn read(&mut self, buf: &mut [u8], shared: &Shared, totals: &mut Totals) -> Status {
        let mut rounds = 0;
        loop {
            match self.layers.read(&mut self.stream, buf) {
                Ok(0) => return Status::Gone,
                Ok(n) => {
                    let now_ns = shared.now_ns();
                    let before = totals.counts.delivered;
                    self.received(&buf[..n], now_ns, shared, totals);
                    if totals.counts.delivered > before {
                        shared.delivered(totals.counts.delivered - before);
                    }
                    rounds += 1;
                    // What TLS or WebSocket holds already read is read now: no poller says so.
                    if (n < buf.len() || rounds >= 4) && !self.layers.has_buffered() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Status::Gone,
            }
        }
        Status::Open { blocked: false }
    }

    fn received(&mut self, data: &[u8], now_ns: u64, shared: &Shared, totals: &mut Totals) {
        if shared.plan.check_control {
            totals.control_bytes += data
                .iter()
                .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f)
                .count() as u64;
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', data) {
            if self.carry.is_empty() {
                self.line(&data[start..end], now_ns, shared, totals);
            } else {
                let mut carry = std::mem::take(&mut self.carry);
                carry.extend_from_slice(&data[start..end]);
                self.line(&carry, now_ns, shared, totals);
                carry.clear();
                self.carry = carry;
            }
            start = end + 1;
        }
        let rest = &data[start..];
        if self.carry.len() + rest.len() > MAX_CARRY {
            self.line(&self.carry.clone(), now_ns, shared, totals);
            self.carry.clear();
        } else {
            self.carry.extend_from_slice(rest);
        }
    }

    fn line(&mut self, line: &[u8], now_ns: u64, shared: &Shared, totals: &mut Totals) {
        let plan = &shared.plan;
        match payload::parse(line, plan.run, plan.size) {
            Parsed::Stamp(Stamp { kind: Kind::Message, sender, seq, sent_ns }) => {
                if usize::from(sender) == self.index {
                    totals.counts.corrupted += 1;
                    return;
                }
                match self.tally.record(sender, seq) {
                    Some(Seen::InOrder) => totals.counts.delivered += 1,
                    Some(Seen::OutOfOrder) => {
                        totals.counts.delivered += 1;
                        totals.counts.out_of_order += 1;
                    }
                    Some(Seen::Duplicate) => {
                        totals.counts.duplicated += 1;
                        return;
                    }
                    None => {
                        totals.counts.corrupted += 1;
                        return;
                    }
                }
                totals.latency_us.saturating_record(now_ns.saturating_sub(sent_ns) / 1000);
                totals.last_delivery_ns = totals.last_delivery_ns.max(now_ns);
            }
            Parsed::Stamp(Stamp { kind: Kind::Sync, sender, .. }) => {
                let sender = usize::from(sender);
                if sender >= plan.senders || sender == self.index {
                    return;
                }
                if self.synced.is_empty() {
                    self.synced = vec![false; plan.senders];
                }
                if !std::mem::replace(&mut self.synced[sender], true) {
                    shared.synced(1);
                }
            }
            Parsed::Corrupted => totals.counts.corrupted += 1,
            Parsed::Other => {
                if line.starts_with(b"! ") {
                    shared.server_error(line);
                }
            }
        }
    }

    /// Lines from a sender that this receiver never got (0 for a non-receiver).
    pub fn lost(&self, messages: u32) -> u64 {
        (0..self.tally.senders())
            .filter(|&s| s != self.index)
            .map(|s| u64::from(messages.saturating_sub(self.tally.distinct(s))))
            .sum()
    }

    /// Generates whatever lines are due by `now` and writes as much as the socket takes.
    /// Returns the status and when this sender next needs attention.
    pub fn send(&mut self, now: Instant, phase: Phase, shared: &Shared) -> (Status, Option<Instant>) {
        let Some(sender) = self.sender.as_mut() else { return (Status::Open { blocked: false }, None) };
        let plan = &shared.plan;
        let mut wake = None;
        match phase {
            Phase::Sync => {
                let due = *sender.next_sync.get_or_insert(now);
                if due <= now && sender.out.len() == sender.written {
                    let stamp =
                        Stamp { kind: Kind::Sync, sender: sender.index, seq: sender.sync_rounds, sent_ns: 0 };
                    payload::write(&mut sender.out, plan.run, stamp, plan.size);
                    sender.sync_rounds += 1;
                    sender.next_sync = Some(now + plan.sync_interval);
                }
                wake = sender.next_sync;
            }
            Phase::Measure { start } => {
                let pending = sender.out.len() - sender.written;
                let (limit, due_seq) = match plan.rate {
                    Some(rate) => {
                        let elapsed = now.saturating_duration_since(start).as_secs_f64();
                        let due = ((elapsed * rate) as u64 + 1).min(u64::from(plan.messages)) as u32;
                        let next = start + std::time::Duration::from_secs_f64(f64::from(due) / rate);
                        if due < plan.messages {
                            wake = Some(next);
                        }
                        (usize::MAX, due)
                    }
                    None => (SEND_AHEAD.saturating_sub(pending), plan.messages),
                };
                if sender.next_seq < due_seq && limit > 0 {
                    let sent_ns = shared.now_ns();
                    let (before, first_seq) = (sender.out.len(), sender.next_seq);
                    while sender.next_seq < due_seq && sender.out.len() - before < limit {
                        let stamp = Stamp {
                            kind: Kind::Message,
                            sender: sender.index,
                            seq: sender.next_seq,
                            sent_ns,
                        };
                        payload::write(&mut sender.out, plan.run, stamp, plan.size);
                        sender.next_seq += 1;
                    }
                    shared.sent(u64::from(sender.next_seq - first_seq), sender.next_seq == plan.messages);
                }
            }
            Phase::Connect | Phase::Stop => {}
        }
        let status = flush(&mut self.stream, &mut self.layers, sender);
        if plan.rate.is_none()
            && matches!(phase, Phase::Measure { .. })
            && matches!(status, Status::Open { blocked: false })
            && sender.next_seq < plan.messages
        {
            // Unpaced: the socket took everything, so generate more right away.
            wake = Some(now);
        }
        (status, wake)
    }
}

fn flush(stream: &mut TcpStream, layers: &mut Layers, sender: &mut Sender) -> Status {
    while sender.written < sender.out.len() {
        match layers.write(stream, &sender.out[sender.written..]) {
            Ok(0) => return Status::Gone,
            Ok(n) => sender.written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Status::Open { blocked: true },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Status::Gone,
        }
    }
    // TLS and WebSocket may hold what they took: the last lines must leave too.
    loop {
        match layers.flush(stream) {
            Ok(()) => break,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Status::Open { blocked: true },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Status::Gone,
        }
    }
    sender.out.clear();
    sender.written = 0;
    Status::Open { blocked: false }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use polling::{Event, Events, Poller};

    use super::*;
    use crate::load::wire::Wire;
    use crate::load::wire::tests::Pki;

    /// A sender over TLS whose socket fills up: TLS takes its last lines, and can write only
    /// part of them. `flush` must say it is blocked until the rest is written too, and once it
    /// says it is done, the server has every byte.
    #[test]
    fn a_flushed_tls_sender_leaves_nothing_behind() {
        let pki = Pki::new("flush");
        // Small buffers on both sides: much less than the lines fit in them.
        let (listener, addr) = Pki::listen(Some(4096));
        let (go, wait) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            let (pki, listener) = (&pki, &listener);
            let server = scope.spawn(move || {
                let mut tls = pki.accept(listener);
                // Reads nothing until the client's socket is full.
                wait.recv().unwrap();
                let mut got = Vec::new();
                // The client closes without close_notify: rustls calls that an unexpected end.
                let _ = std::io::Read::read_to_end(&mut tls, &mut got);
                got
            });
            let mut stream = TcpStream::connect(addr).unwrap();
            socket2::SockRef::from(&stream).set_send_buffer_size(4096).unwrap();
            let mut layers = Layers::open(&mut stream, Wire::Tls, Some(&pki.client), "localhost").unwrap();
            stream.set_nonblocking(true).unwrap();
            let mut sender = Sender::new(0);
            // Less than TLS takes in one write (64 KiB), far more than the socket holds.
            for n in 0..1_500 {
                sender.out.extend_from_slice(format!("line {n:06} of the last burst\n").as_bytes());
            }
            let expected = sender.out.clone();
            let status = flush(&mut stream, &mut layers, &mut sender);
            assert_eq!(status, Status::Open { blocked: true }, "TLS holds lines the socket did not take");
            go.send(()).unwrap();
            let poller = Poller::new().unwrap();
            // SAFETY: the stream outlives its registration (deleted below).
            unsafe { poller.add(&stream, Event::writable(0)).unwrap() };
            let mut events = Events::new();
            let mut rounds = 0;
            while flush(&mut stream, &mut layers, &mut sender) == (Status::Open { blocked: true }) {
                rounds += 1;
                assert!(rounds < 100_000, "the socket never took it all");
                events.clear();
                poller.wait(&mut events, Some(Duration::from_secs(10))).unwrap();
                poller.modify(&stream, Event::writable(0)).unwrap();
            }
            poller.delete(&stream).unwrap();
            stream.shutdown(std::net::Shutdown::Write).unwrap();
            let got = server.join().unwrap();
            assert_eq!(got.len(), expected.len(), "bytes the server got");
            assert!(got == expected);
        });
    }
}
