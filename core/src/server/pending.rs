//! Connections that are not chat clients yet ([`Input::Accepted`](crate::Input::Accepted): a
//! TLS handshake, an HTTP connection): they count toward the per-address limits, and are
//! closed if they do not become clients within [`Config::handshake_timeout`](crate::Config::handshake_timeout).
//! What the transports of every connection hold counts toward the memory budget.

use std::cmp::Reverse;
use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;

use super::Server;
use super::arrivals::refused;
use crate::per_address::Host;
use crate::stats::DropReason;
use crate::{ClientId, InputError, Output};

/// Most connections turned away before they became clients that are told why at once (each
/// holds a socket and a transport until it has been told, within the handshake deadline).
const MAX_TELLING: usize = 256;

/// A connection accepted and not a client yet.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pending {
    /// The address it came from.
    pub(super) ip: IpAddr,
    /// Its place in the per-address limits, if it is counted.
    pub(super) host: Option<Host>,
}

impl Server {
    /// A connection that is not a client yet: counted per address, or turned away.
    pub(super) fn accepted(&mut self, id: ClientId, peer: SocketAddr) -> Result<(), InputError> {
        if self.registry.contains(id) || self.lingering.contains(&id) || self.pending.contains_key(&id) {
            return Err(InputError::DuplicateId(id));
        }
        if self.shutting_down {
            self.turn_away(id);
            return Ok(());
        }
        match self.registry.per_address().admit(peer.ip(), self.now) {
            Ok(host) => {
                self.pending.insert(id, Pending { ip: peer.ip(), host });
                self.handshakes.push(self.now, id);
            }
            Err(refusal) => {
                tracing::info!(%id, %peer, "refused before its handshake: too many connections from its address");
                self.stats.drops.count(DropReason::PerAddress);
                self.refuse_pending(id, refused(refusal));
            }
        }
        Ok(())
    }

    /// Takes `id` out of the connections that are not clients yet, as it becomes one.
    pub(super) fn take_pending(&mut self, id: ClientId) -> Option<Pending> {
        self.pending.remove(&id)
    }

    /// Forgets `id` if it was not a client yet (the runtime ended it): true if it was one of
    /// those.
    pub(super) fn forget_pending(&mut self, id: ClientId) -> bool {
        let Some(pending) = self.pending.remove(&id) else { return false };
        self.release_host(pending.host);
        self.forget_buffers(id);
        true
    }

    /// What connection `id`'s transport holds now ([`Input::Buffered`](crate::Input::Buffered)),
    /// counted toward the memory budget while the core knows the connection.
    pub(super) fn buffered(&mut self, id: ClientId, bytes: usize) {
        let known = self.pending.contains_key(&id) || self.registry.get(id).is_some_and(|c| !c.lost);
        if known {
            let before = self.buffers.insert(id, bytes).unwrap_or(0);
            self.memory = self.memory + bytes - before;
        }
    }

    /// Stops counting what connection `id`'s transport holds: the core forgets the connection.
    pub(super) fn forget_buffers(&mut self, id: ClientId) {
        self.memory -= self.buffers.remove(&id).unwrap_or(0);
    }

    /// Gives back a place in the per-address limits.
    pub(super) fn release_host(&mut self, host: Option<Host>) {
        if let Some(host) = host {
            self.registry.per_address().release(host);
        }
    }

    /// Closes the connections that did not become clients in time.
    pub(super) fn expire_handshakes(&mut self) {
        while let Some(id) = self.handshakes.pop_due(self.now) {
            if self.forget_pending(id) {
                tracing::info!(%id, "closed: it did not become a client in time");
                self.stats.drops.count(DropReason::Handshake);
                self.turn_away(id);
            }
        }
    }

    /// Closes every connection that is not a client yet (on shutdown).
    pub(super) fn close_pending(&mut self) {
        let ids: Vec<ClientId> = self.pending.keys().copied().collect();
        for id in ids {
            self.forget_pending(id);
            self.turn_away(id);
        }
    }

    /// Turns away a connection that is not a client yet, telling it why: `notice` (one line)
    /// goes to its transport, which says it in the connection's own protocol once it can (after
    /// the TLS handshake, in answer to the HTTP request), then the connection is closed. It
    /// lingers until its client goes, within the handshake deadline and the close grace
    /// period; past [`MAX_TELLING`] such connections at once, the next are closed at once
    /// with nothing said, so that refusals never cost more than the connections admitted.
    fn refuse_pending(&mut self, id: ClientId, notice: Bytes) {
        if self.telling.len() >= MAX_TELLING {
            return self.turn_away(id);
        }
        self.outputs.push_back(Output::Transmit { to: id, frame: notice });
        self.outputs.push_back(Output::Close { to: id });
        self.telling.insert(id);
        self.lingering.insert(id);
        let release_at = self.now + self.config.handshake_timeout.min(self.config.close_linger);
        self.releases.push(Reverse((release_at, id)));
    }

    /// Closes a connection that is not a client: there is nothing to say to it in its
    /// protocol, and nothing queued for it, so it is released at once.
    fn turn_away(&mut self, id: ClientId) {
        self.outputs.push_back(Output::Close { to: id });
        self.outputs.push_back(Output::Release { to: id });
    }
}
