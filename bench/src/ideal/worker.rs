//! One worker thread of the ideal broadcaster: its share of the connections, driven from one
//! level-triggered `epoll` loop. The first worker also accepts connections and deals them out
//! to the threads in turn.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use polling::{Event, Events, PollMode};

use super::mailbox::{Chunk, Mail, Mailbox};
use super::peer::{Flushed, Peer, Received};

/// A connection whose output waiting to be written passes this is closed: it stopped reading.
pub const MAX_PENDING: usize = 64 << 20;

/// Bytes read from a socket at once.
const READ_BUFFER: usize = 64 * 1024;

/// The poller key of the listening socket (`usize::MAX` is the poller's own wake-up key).
const LISTENER: usize = usize::MAX - 1;

/// How long accepting pauses after an error such as running out of file descriptors.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// What the worker threads share.
#[derive(Debug)]
pub struct Hub {
    /// One mailbox per thread, by index.
    pub mailboxes: Vec<Mailbox>,
    /// Set when the broadcaster stops.
    pub stop: AtomicBool,
}

impl Hub {
    /// Tells every thread to stop.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        for mailbox in &self.mailboxes {
            mailbox.wake();
        }
    }
}

/// The listening socket and what the accepting worker needs for it.
struct Acceptor {
    listener: TcpListener,
    /// Accepting is paused until then, after an error.
    paused_until: Option<Instant>,
    /// Whether the user was told about an accept error already.
    warned: bool,
    next_id: u64,
    next_home: usize,
}

struct Worker {
    index: usize,
    hub: Arc<Hub>,
    acceptor: Option<Acceptor>,
    peers: Vec<Option<Peer>>,
    free: Vec<usize>,
    events: Events,
    buf: Vec<u8>,
    mail: Mail,
    /// Chunks read by this thread's connections in this turn.
    local: Vec<Arc<Chunk>>,
    /// Connections reported writable in this turn.
    writable: Vec<usize>,
}

/// Runs worker `index` until the hub stops; the worker given `listener` accepts connections.
/// A worker that fails stops the others too.
pub fn run(index: usize, hub: Arc<Hub>, listener: Option<TcpListener>) -> io::Result<()> {
    let acceptor = listener.map(|listener| Acceptor {
        listener,
        paused_until: None,
        warned: false,
        next_id: 0,
        next_home: 0,
    });
    let mut worker = Worker {
        index,
        hub: Arc::clone(&hub),
        acceptor,
        peers: Vec::new(),
        free: Vec::new(),
        events: Events::new(),
        buf: vec![0; READ_BUFFER],
        mail: Mail::default(),
        local: Vec::new(),
        writable: Vec::new(),
    };
    let result = worker.listen().and_then(|()| worker.pump());
    worker.close_all();
    if result.is_err() {
        hub.stop();
    }
    result
}

impl Worker {
    fn mailbox(&self) -> &Mailbox {
        &self.hub.mailboxes[self.index]
    }

    fn listen(&mut self) -> io::Result<()> {
        let Some(acceptor) = &self.acceptor else { return Ok(()) };
        // SAFETY: the listener stays registered only while this worker owns it: `close_all`
        // deletes it from the poller before it is dropped.
        unsafe {
            self.mailbox().poller.add_with_mode(
                &acceptor.listener,
                Event::readable(LISTENER),
                PollMode::Level,
            )
        }
    }

    fn pump(&mut self) -> io::Result<()> {
        loop {
            let timeout = self
                .acceptor
                .as_ref()
                .and_then(|a| a.paused_until)
                .map(|t| t.saturating_duration_since(Instant::now()));
            let mut events = std::mem::take(&mut self.events);
            events.clear();
            match self.mailbox().poller.wait(&mut events, timeout) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            if self.hub.stop.load(Ordering::Acquire) {
                return Ok(());
            }
            self.resume_accepting()?;
            for event in events.iter() {
                if event.key == LISTENER {
                    self.accept()?;
                    continue;
                }
                if event.readable {
                    self.receive(event.key);
                }
                if event.writable {
                    self.writable.push(event.key);
                }
            }
            self.events = events;
            self.deliver();
        }
    }

    fn receive(&mut self, key: usize) {
        let Some(peer) = self.peers.get_mut(key).and_then(Option::as_mut) else { return };
        match peer.receive(&mut self.buf) {
            Received::Nothing => {}
            Received::Lines(bytes) => {
                let chunk = Arc::new(Chunk { from: peer.id, bytes });
                for (i, mailbox) in self.hub.mailboxes.iter().enumerate() {
                    if i != self.index {
                        mailbox.post_chunk(Arc::clone(&chunk));
                    }
                }
                self.local.push(chunk);
            }
            Received::Gone => self.remove(key),
        }
    }

    /// Takes the mail, then queues every chunk of this turn to every connection and writes.
    fn deliver(&mut self) {
        let mut mail = std::mem::take(&mut self.mail);
        self.mailbox().take(&mut mail);
        for (id, stream) in mail.arrivals.drain(..) {
            self.add(id, stream);
        }
        if !mail.chunks.is_empty() || !self.local.is_empty() {
            for key in 0..self.peers.len() {
                let Some(peer) = self.peers[key].as_mut() else { continue };
                peer.queue(&mail.chunks);
                peer.queue(&self.local);
                if peer.blocked {
                    if peer.pending() > MAX_PENDING {
                        self.remove(key);
                    }
                } else {
                    self.flush(key);
                }
            }
        }
        mail.chunks.clear();
        self.local.clear();
        self.mail = mail;
        let mut writable = std::mem::take(&mut self.writable);
        for key in writable.drain(..) {
            self.flush(key);
        }
        self.writable = writable;
    }

    fn flush(&mut self, key: usize) {
        let Some(peer) = self.peers.get_mut(key).and_then(Option::as_mut) else { return };
        let blocked = match peer.flush() {
            Flushed::All => false,
            Flushed::Blocked => true,
            Flushed::Gone => return self.remove(key),
        };
        if peer.blocked != blocked {
            peer.blocked = blocked;
            let interest = if blocked { Event::all(key) } else { Event::readable(key) };
            if self.hub.mailboxes[self.index]
                .poller
                .modify_with_mode(&peer.stream, interest, PollMode::Level)
                .is_err()
            {
                self.remove(key);
            }
        }
    }

    fn accept(&mut self) -> io::Result<()> {
        let threads = self.hub.mailboxes.len();
        loop {
            let Some(acceptor) = self.acceptor.as_mut() else { return Ok(()) };
            let stream = match acceptor.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    continue;
                }
                Err(e) => {
                    // Most likely out of file descriptors: a level-triggered listener would fire
                    // again at once, so stop watching it for a moment.
                    if !std::mem::replace(&mut acceptor.warned, true) {
                        eprintln!(
                            "ideal broadcaster: cannot accept connections ({e}); retrying every 100 ms"
                        );
                    }
                    acceptor.paused_until = Some(Instant::now() + ACCEPT_PAUSE);
                    return self.hub.mailboxes[self.index].poller.modify_with_mode(
                        &acceptor.listener,
                        Event::none(LISTENER),
                        PollMode::Level,
                    );
                }
            };
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            // Lines are coalesced here, never by the kernel's delay.
            let _ = stream.set_nodelay(true);
            let (id, home) = (acceptor.next_id, acceptor.next_home);
            acceptor.next_id += 1;
            acceptor.next_home = (home + 1) % threads;
            if home == self.index {
                self.add(id, stream);
            } else {
                self.hub.mailboxes[home].post_arrival(id, stream);
            }
        }
    }

    fn resume_accepting(&mut self) -> io::Result<()> {
        let Some(acceptor) = self.acceptor.as_mut() else { return Ok(()) };
        match acceptor.paused_until {
            Some(until) if until <= Instant::now() => {
                acceptor.paused_until = None;
                self.hub.mailboxes[self.index].poller.modify_with_mode(
                    &acceptor.listener,
                    Event::readable(LISTENER),
                    PollMode::Level,
                )
            }
            _ => Ok(()),
        }
    }

    fn add(&mut self, id: u64, stream: TcpStream) {
        let key = self.free.pop().unwrap_or_else(|| {
            self.peers.push(None);
            self.peers.len() - 1
        });
        // SAFETY: the socket stays registered only while its peer owns it: `remove` and
        // `close_all` delete it from the poller before the stream is dropped.
        let added =
            unsafe { self.mailbox().poller.add_with_mode(&stream, Event::readable(key), PollMode::Level) };
        if added.is_ok() {
            self.peers[key] = Some(Peer::new(id, stream));
        } else {
            self.free.push(key);
        }
    }

    fn remove(&mut self, key: usize) {
        if let Some(peer) = self.peers.get_mut(key).and_then(Option::take) {
            let _ = self.mailbox().poller.delete(&peer.stream);
            self.free.push(key);
        }
    }

    fn close_all(&mut self) {
        for key in 0..self.peers.len() {
            self.remove(key);
        }
        if let Some(acceptor) = self.acceptor.take() {
            let _ = self.mailbox().poller.delete(&acceptor.listener);
        }
    }
}
