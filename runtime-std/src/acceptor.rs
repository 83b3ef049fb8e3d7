//! Acceptor threads: one per listener, blocking in `accept`.
//!
//! **Stopping a blocked `accept`.** std has no way to interrupt a thread blocked in `accept`, so
//! [`Acceptors::stop`] sets a flag and then connects to each listener once from the core thread
//! (to the loopback address of the listener's family when it is bound to a wildcard address). The
//! acceptor wakes up with that connection, sees the flag and ends, closing the listener; the
//! connection is dropped unannounced. This is portable, costs no polling while running, and
//! cannot lose the wake-up: if the acceptor is not yet blocked, the connection waits for it in
//! the backlog. An acceptor backing off after an error is unparked and sees the flag at once.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle, Thread};
use std::time::Duration;

use chat_core::ClientId;

use crate::Error;
use crate::event::Senders;
use crate::reader;
use crate::threads::Threads;

/// First pause after an accept error (such as EMFILE, too many open files).
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
/// Longest pause between accept attempts while errors go on.
const MAX_BACKOFF: Duration = Duration::from_millis(250);
/// How long the wake-up connection may take (it is to the machine itself).
const WAKE_TIMEOUT: Duration = Duration::from_secs(1);

/// A listener made ready for an acceptor thread.
#[derive(Debug)]
pub(crate) struct Listener {
    listener: TcpListener,
    /// Where to connect to wake the acceptor thread.
    wake_addr: SocketAddr,
}

impl Listener {
    /// Makes `listener` blocking (a caller may have made it non-blocking) and finds its address.
    pub(crate) fn prepare(listener: TcpListener) -> Result<Self, Error> {
        let addr = listener.local_addr().map_err(|source| Error::listener(None, source))?;
        listener.set_nonblocking(false).map_err(|source| Error::listener(Some(addr), source))?;
        Ok(Self { listener, wake_addr: wake_addr(addr) })
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

/// The running acceptor threads of one server.
#[derive(Debug)]
pub(crate) struct Acceptors {
    stopping: Arc<AtomicBool>,
    next_id: Arc<AtomicU64>,
    running: Vec<Acceptor>,
}

#[derive(Debug)]
struct Acceptor {
    thread: JoinHandle<Threads>,
    wake_addr: SocketAddr,
}

impl Acceptors {
    /// No acceptors yet.
    pub(crate) fn new() -> Self {
        Self { stopping: Arc::default(), next_id: Arc::new(AtomicU64::new(1)), running: Vec::new() }
    }

    /// Starts accepting on `listener`, announcing each connection to the core thread.
    pub(crate) fn start(&mut self, listener: Listener, senders: &Senders) -> Result<(), Error> {
        let Listener { listener, wake_addr } = listener;
        let (stopping, next_id, senders) =
            (Arc::clone(&self.stopping), Arc::clone(&self.next_id), senders.clone());
        let thread = thread::Builder::new()
            .name(format!("chat-accept-{wake_addr}"))
            .spawn(move || accept_loop(&listener, &stopping, &next_id, &senders))
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
        for acceptor in &self.running {
            wake(acceptor.thread.thread(), acceptor.wake_addr);
        }
    }

    /// Stops the acceptors, waits for them to end, and returns the connection threads they
    /// started that are still running.
    pub(crate) fn join(self) -> Result<Threads, Error> {
        self.stop();
        let mut connections = Threads::default();
        let mut result = Ok(());
        for acceptor in self.running {
            match acceptor.thread.join() {
                Ok(threads) => connections.extend(threads),
                Err(_) => result = Err(Error::Panicked { role: "acceptor" }),
            }
        }
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

/// Accepts connections and starts their threads until `stopping` is set.
fn accept_loop(
    listener: &TcpListener,
    stopping: &AtomicBool,
    next_id: &AtomicU64,
    senders: &Senders,
) -> Threads {
    let mut connections = Threads::default();
    let mut backoff = Backoff::default();
    while !stopping.load(Ordering::Acquire) {
        let accepted = listener.accept();
        if stopping.load(Ordering::Acquire) {
            break;
        }
        let failure = match accepted {
            Ok((stream, peer)) => {
                if let Err(error) = stream.set_nodelay(true) {
                    tracing::debug!(%peer, %error, "could not set TCP_NODELAY");
                }
                let id = ClientId(next_id.fetch_add(1, Ordering::Relaxed));
                tracing::debug!(%id, %peer, "accepted");
                match reader::start(id, peer, stream, senders.clone()) {
                    Ok(thread) => {
                        connections.push(thread);
                        backoff.reset();
                        continue;
                    }
                    Err(error) => format!("could not start a thread for {peer}, dropped it: {error}"),
                }
            }
            Err(error) if is_transient(&error) => continue,
            Err(error) => format!("accept failed: {error}"),
        };
        backoff.pause(&failure);
    }
    connections
}

/// Errors about one connection that died before it was accepted: just go on.
fn is_transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
    )
}

/// Pauses that grow while accepting keeps failing (for example with EMFILE, when the process
/// is out of file descriptors), so the acceptor neither spins nor gives up.
#[derive(Debug, Default)]
struct Backoff {
    /// Failures in a row.
    failures: u32,
}

impl Backoff {
    /// Logs `failure` (a warning for the first of a streak) and pauses.
    fn pause(&mut self, failure: &str) {
        let delay = FIRST_BACKOFF.saturating_mul(1 << self.failures.min(8)).min(MAX_BACKOFF);
        if self.failures == 0 {
            tracing::warn!("{failure}; retrying every {} ms or less", MAX_BACKOFF.as_millis());
        } else {
            tracing::debug!("{failure}; retrying in {} ms", delay.as_millis());
        }
        self.failures = self.failures.saturating_add(1);
        // Unparked at once by `Acceptors::stop`; a spurious wake-up only retries early.
        thread::park_timeout(delay);
    }

    /// Accepting works again.
    fn reset(&mut self) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "accepting connections again");
            self.failures = 0;
        }
    }
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
