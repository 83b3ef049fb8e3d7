//! Connections the core has closed, waiting for their peers to close too.

use std::collections::{HashMap, VecDeque};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::ClientId;

/// Closed connections whose reader threads still drain input until the peer closes its side,
/// each for at most the core's `close_linger`; then its socket is shut down for reading too,
/// which ends the reader.
#[derive(Debug)]
pub(crate) struct Lingering {
    linger: Duration,
    streams: HashMap<ClientId, Arc<TcpStream>>,
    /// When each lingering connection is cut off, in order (the linger is the same for all);
    /// entries for connections already gone are skipped.
    deadlines: VecDeque<(Instant, ClientId)>,
}

impl Lingering {
    /// None yet; each connection may linger for `linger`.
    pub(crate) fn new(linger: Duration) -> Self {
        Self { linger, streams: HashMap::new(), deadlines: VecDeque::new() }
    }

    /// Lets the closed connection `id` linger from `now`.
    pub(crate) fn add(&mut self, id: ClientId, stream: Arc<TcpStream>, now: Instant) {
        self.streams.insert(id, stream);
        self.deadlines.push_back((now + self.linger, id));
    }

    /// The reader of `id` has ended (the peer closed): forget it. False if `id` was not lingering.
    pub(crate) fn ended(&mut self, id: ClientId) -> bool {
        self.streams.remove(&id).is_some()
    }

    /// Cuts off the connections whose time is up at `now`.
    pub(crate) fn expire(&mut self, now: Instant) {
        while let Some(&(at, id)) = self.deadlines.front() {
            if at > now {
                break;
            }
            self.deadlines.pop_front();
            if let Some(stream) = self.streams.remove(&id) {
                tracing::debug!(%id, "the peer did not close in time");
                let _ = stream.shutdown(Shutdown::Read);
            }
        }
    }

    /// When the next connection is to be cut off.
    pub(crate) fn deadline(&mut self) -> Option<Instant> {
        while let Some(&(at, id)) = self.deadlines.front() {
            if self.streams.contains_key(&id) {
                return Some(at);
            }
            self.deadlines.pop_front();
        }
        None
    }

    /// Whether no connection is lingering.
    pub(crate) fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// Cuts off every lingering connection now.
    pub(crate) fn cut_all(&mut self) {
        for stream in self.streams.values() {
            let _ = stream.shutdown(Shutdown::Read);
        }
        self.streams.clear();
        self.deadlines.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    fn stream() -> Arc<TcpStream> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        Arc::new(stream)
    }

    #[test]
    fn connections_linger_until_they_end_or_their_time_is_up() {
        let start = Instant::now();
        let mut lingering = Lingering::new(Duration::from_secs(2));
        lingering.add(ClientId(1), stream(), start);
        lingering.add(ClientId(2), stream(), start + Duration::from_secs(1));
        assert_eq!(lingering.deadline(), Some(start + Duration::from_secs(2)));

        assert!(lingering.ended(ClientId(1)));
        assert!(!lingering.ended(ClientId(1)), "forgotten once ended");
        assert_eq!(lingering.deadline(), Some(start + Duration::from_secs(3)));

        lingering.expire(start + Duration::from_millis(2999));
        assert!(!lingering.is_empty());
        lingering.expire(start + Duration::from_secs(3));
        assert!(lingering.is_empty());
        assert_eq!(lingering.deadline(), None);
    }
}
