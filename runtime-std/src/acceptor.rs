//! Acceptor threads, one per listener, blocking in `accept`; and the spawner thread that
//! starts each accepted connection's threads.
//!
//! Accepting is split from starting threads so that the kernel's accept queue (which holds
//! only as many connections as the listener's backlog, 128 for a listener from std) is emptied
//! at the speed of `accept`, not of thread creation: a burst of connections then waits in the
//! spawner's queue instead of overflowing the backlog, which would make the kernel drop SYNs
//! and the clients retry a second later.
//!
//! **Stopping a blocked `accept`.** std has no way to interrupt a thread blocked in `accept`, so
//! [`Acceptors::stop`] sets a flag and then connects to each listener once from the core thread
//! (to the loopback address of the listener's family when it is bound to a wildcard address). The
//! acceptor wakes up with that connection, sees the flag and ends, closing the listener; the
//! connection is dropped unannounced. This is portable, costs no polling while running, and
//! cannot lose the wake-up: if the acceptor is not yet blocked, the connection waits for it in
//! the backlog. A thread backing off after an error is unparked and sees the flag at once.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle, Thread};
use std::time::Duration;

use bytes::Bytes;
use chat_core::ClientId;
use chat_core::kit::{AcceptBackoff, Outbox};
use chat_transport::Endpoint;
use crossbeam_channel::{Receiver, Sender};

use crate::Error;
use crate::capacity::Capacity;
use crate::event::Senders;
use crate::reader;
use crate::refuse::refuse;
use crate::threads::Threads;

/// Accepted connections that may wait for the spawner before acceptors block (and the
/// kernel's backlog takes over).
const ACCEPTED_QUEUE: usize = 4096;
/// How long the wake-up connection may take (it is to the machine itself).
const WAKE_TIMEOUT: Duration = Duration::from_secs(1);

/// A listener made ready for an acceptor thread.
#[derive(Debug)]
pub(crate) struct Listener {
    listener: TcpListener,
    endpoint: Endpoint,
    /// Where to connect to wake the acceptor thread.
    wake_addr: SocketAddr,
}

impl Listener {
    /// Makes `listener` blocking (a caller may have made it non-blocking) and finds its address.
    pub(crate) fn prepare((listener, endpoint): (TcpListener, Endpoint)) -> Result<Self, Error> {
        let addr = listener.local_addr().map_err(|source| Error::listener(None, source))?;
        listener.set_nonblocking(false).map_err(|source| Error::listener(Some(addr), source))?;
        Ok(Self { listener, endpoint, wake_addr: wake_addr(addr) })
    }
}

/// The address that reaches a listener bound to `addr` from this machine.
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// A connection accepted and not yet given its threads.
type Accepted = (TcpStream, SocketAddr, Endpoint);

/// The acceptor threads of one server, and their spawner thread.
#[derive(Debug)]
pub(crate) struct Acceptors {
    stopping: Arc<AtomicBool>,
    accepted: Sender<Accepted>,
    spawner: JoinHandle<Threads>,
    running: Vec<Acceptor>,
}

#[derive(Debug)]
struct Acceptor {
    thread: JoinHandle<()>,
    wake_addr: SocketAddr,
}

impl Acceptors {
    /// Starts the spawner thread, which hands each connection to the core thread via `senders`
    /// while there is `capacity` for it, and sends the others `full` (the core's
    /// [`full_notice`](chat_core::Server::full_notice)) before closing them.
    pub(crate) fn new(senders: Senders, capacity: &'static Capacity, full: Bytes) -> Result<Self, Error> {
        let stopping = Arc::new(AtomicBool::new(false));
        let (accepted, queue) = crossbeam_channel::bounded(ACCEPTED_QUEUE);
        let spawner = {
            let stopping = Arc::clone(&stopping);
            thread::Builder::new()
                .name("chat-spawner".to_owned())
                .spawn(move || spawn_loop(&queue, &stopping, &senders, capacity, &full))
                .map_err(|source| Error::Spawn { role: "spawner", source })?
        };
        Ok(Self { stopping, accepted, spawner, running: Vec::new() })
    }

    /// Starts accepting on `listener`.
    pub(crate) fn start(&mut self, listener: Listener) -> Result<(), Error> {
        let Listener { listener, endpoint, wake_addr } = listener;
        let (stopping, accepted) = (Arc::clone(&self.stopping), self.accepted.clone());
        let thread = thread::Builder::new()
            .name(format!("chat-accept-{wake_addr}"))
            .spawn(move || accept_loop(&listener, &endpoint, &stopping, &accepted))
            .map_err(|source| Error::Spawn { role: "acceptor", source })?;
        tracing::debug!(addr = %wake_addr, "accepting");
        self.running.push(Acceptor { thread, wake_addr });
        Ok(())
    }

    /// Makes every acceptor stop accepting and end. Idempotent.
    pub(crate) fn stop(&self) {
        if self.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        self.spawner.thread().unpark();
        for acceptor in &self.running {
            wake(acceptor.thread.thread(), acceptor.wake_addr);
        }
    }

    /// Stops the acceptors, waits for them and the spawner to end, and returns the connection
    /// threads still running.
    pub(crate) fn join(self) -> Result<Threads, Error> {
        self.stop();
        let mut result = Ok(());
        for acceptor in self.running {
            if !acceptor.thread.is_finished() {
                // The first wake-up may have failed (out of file descriptors, say); now that
                // every connection is closed, try again.
                wake(acceptor.thread.thread(), acceptor.wake_addr);
            }
            if acceptor.thread.join().is_err() {
                result = Err(Error::Panicked { role: "acceptor" });
            }
        }
        // With every acceptor gone, this was the last sender: the spawner ends.
        drop(self.accepted);
        let connections = self.spawner.join().map_err(|_| Error::Panicked { role: "spawner" })?;
        result.map(|()| connections)
    }
}

/// Wakes an acceptor: out of its back-off pause, and out of `accept` with a connection.
fn wake(thread: &Thread, addr: SocketAddr) {
    thread.unpark();
    if let Err(error) = TcpStream::connect_timeout(&addr, WAKE_TIMEOUT) {
        // The acceptor may have ended already (after an error it could not get past).
        tracing::debug!(%addr, %error, "could not connect to wake the acceptor");
    }
}

/// Accepts connections and queues them for the spawner until `stopping` is set. Errors follow
/// [`AcceptBackoff`], the policy both runtimes share: skipped, or followed by a pause.
fn accept_loop(
    listener: &TcpListener,
    endpoint: &Endpoint,
    stopping: &AtomicBool,
    accepted: &Sender<Accepted>,
) {
    let _span = tracing::info_span!("accept", local = ?listener.local_addr().ok()).entered();
    let mut backoff = AcceptBackoff::new();
    while !stopping.load(Ordering::Acquire) {
        let result = listener.accept();
        if stopping.load(Ordering::Acquire) {
            return;
        }
        match result {
            Ok((stream, peer)) => {
                backoff.on_success();
                if accepted.send((stream, peer, endpoint.clone())).is_err() {
                    return;
                }
            }
            Err(error) => {
                if let Some(pause) = backoff.on_error(&error) {
                    pause_for(pause);
                }
            }
        }
    }
}

/// Sleeps for `pause` after a failure, unless the thread is unparked first: that is how
/// [`Acceptors::stop`] reaches a thread that is backing off. (A spurious wake-up only retries
/// early.)
fn pause_for(pause: Duration) {
    thread::park_timeout(pause);
}

/// Gives each accepted connection an id and its threads, until every acceptor has ended; a
/// connection beyond the `capacity` is sent `full` in its own protocol (or nothing, over TLS)
/// and closed. Returns the connection threads
/// still running.
fn spawn_loop(
    queue: &Receiver<Accepted>,
    stopping: &AtomicBool,
    senders: &Senders,
    capacity: &'static Capacity,
    full: &[u8],
) -> Threads {
    let connections = Threads::default();
    let _span = tracing::info_span!("spawn").entered();
    // Failing to start a connection's threads is failing to take it: the same policy as accept.
    let mut backoff = AcceptBackoff::new();
    let mut refusing = false;
    let mut next_id = 1;
    for (stream, peer, endpoint) in queue {
        if stopping.load(Ordering::Acquire) {
            // Accepted just before shutdown: close it unannounced, as if never accepted.
            continue;
        }
        let Some(slot) = capacity.take() else {
            if !refusing {
                tracing::warn!(
                    limit = capacity.limit(),
                    "this process cannot start threads for more connections (vm.max_map_count); \
                     refusing new ones until some leave"
                );
                refusing = true;
            }
            refuse(stream, peer, endpoint.refusal(full).as_deref());
            continue;
        };
        refusing = false;
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%peer, %error, "could not set TCP_NODELAY");
        }
        // Bounds what a client that does not read costs the kernel and the server.
        if let Err(error) = socket2::SockRef::from(&stream).set_send_buffer_size(Outbox::SEND_BUFFER) {
            tracing::debug!(%peer, %error, "could not set SO_SNDBUF");
        }
        let id = ClientId(next_id);
        next_id += 1;
        tracing::debug!(%id, %peer, "accepted");
        let transport = match endpoint.accept(peer) {
            Ok(transport) => transport,
            Err(error) => {
                tracing::warn!(%peer, %error, "cannot start the connection's transport");
                continue;
            }
        };
        match reader::start(id, peer, stream, transport, senders.clone(), slot, connections.token()) {
            Ok(()) => backoff.on_success(),
            Err(error) => {
                tracing::debug!(%id, %peer, %error, "could not start the connection's reader thread; dropped it");
                if let Some(pause) = backoff.on_error(&error) {
                    pause_for(pause);
                }
            }
        }
    }
    connections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_listeners_are_woken_on_loopback() {
        let v4: SocketAddr = "0.0.0.0:5000".parse().unwrap();
        let v6: SocketAddr = "[::]:5000".parse().unwrap();
        let exact: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        assert_eq!(wake_addr(v4), "127.0.0.1:5000".parse().unwrap());
        assert_eq!(wake_addr(v6), "[::1]:5000".parse().unwrap());
        assert_eq!(wake_addr(exact), exact);
    }
}
