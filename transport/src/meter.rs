//! [`Meter`]: what the transports of this process have seen, by kind, for `/metrics`: counted
//! here, where both runtimes' connections pass, so no runtime counts anything itself.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Incoming, Kind};

/// Counters of one kind of transport.
#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    closed: AtomicU64,
    clients: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

/// What the transports of one kind have seen since the process started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    /// Connections accepted.
    pub accepted: u64,
    /// Connections open now (accepted and not yet dropped).
    pub open: u64,
    /// Connections that became chat clients (after a TLS handshake, a WebSocket upgrade).
    pub clients: u64,
    /// Bytes read from sockets.
    pub bytes_in: u64,
    /// Bytes written to sockets.
    pub bytes_out: u64,
}

/// The process's transport counters: see [`meter`].
#[derive(Debug)]
pub struct Meter {
    kinds: [Counters; Kind::ALL.len()],
}

static METER: Meter = Meter { kinds: [const { Counters::new() }; Kind::ALL.len()] };

impl Counters {
    const fn new() -> Self {
        Self {
            accepted: AtomicU64::new(0),
            closed: AtomicU64::new(0),
            clients: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
        }
    }
}

/// The counters of every transport in this process (a process normally runs one server).
pub fn meter() -> &'static Meter {
    &METER
}

impl Meter {
    /// Every kind of transport with what it has seen.
    pub fn read(&self) -> [(Kind, Reading); Kind::ALL.len()] {
        Kind::ALL.map(|kind| {
            let counters = self.of(kind);
            let accepted = counters.accepted.load(Ordering::Relaxed);
            let closed = counters.closed.load(Ordering::Relaxed);
            let reading = Reading {
                accepted,
                open: accepted.saturating_sub(closed),
                clients: counters.clients.load(Ordering::Relaxed),
                bytes_in: counters.bytes_in.load(Ordering::Relaxed),
                bytes_out: counters.bytes_out.load(Ordering::Relaxed),
            };
            (kind, reading)
        })
    }

    fn of(&self, kind: Kind) -> &Counters {
        &self.kinds[match kind {
            Kind::Plain => 0,
            Kind::Tls => 1,
            Kind::Web => 2,
            Kind::WebTls => 3,
            Kind::Admin => 4,
        }]
    }

    pub(crate) fn accepted(&self, kind: Kind) {
        self.of(kind).accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn closed(&self, kind: Kind) {
        self.of(kind).closed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn received(&self, kind: Kind, bytes: usize) {
        self.of(kind).bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn sent(&self, kind: Kind, bytes: usize) {
        self.of(kind).bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Counts a chat client if `incoming` opens one.
    pub(crate) fn note(&self, kind: Kind, incoming: &Incoming<'_>) {
        if incoming.opened.is_some() {
            self.of(kind).clients.fetch_add(1, Ordering::Relaxed);
        }
    }
}
