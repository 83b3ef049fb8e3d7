//! A command the bridge refused (its queue full, after a long outage): nothing is silently
//! lost. A line's sender is told it was not sent; a lease or an account command that waited
//! for the bus is answered as if the bus had said no, and its client told.

use super::Server;
use crate::protocol::nick::key_of;
use crate::protocol::wire;
use crate::{BusCommand, BusPayload};

impl Server {
    /// The bridge refused `command`.
    pub(super) fn bus_refused(&mut self, command: BusCommand) {
        tracing::warn!(?command, "the bus refused a command: its queue is full");
        match command {
            BusCommand::Append {
                room,
                payload: BusPayload::Line { from, .. } | BusPayload::Action { from, .. },
            } => {
                let Some(sender) = self.registry.holder(&key_of(&from)) else { return };
                let shown = self
                    .rooms
                    .find_key(&room)
                    .and_then(|id| self.rooms.get(id))
                    .map_or(room.clone(), |r| r.name().as_str().to_owned());
                self.send(sender, wire::line_not_sent(&shown));
            }
            BusCommand::Acquire { name } => {
                // A greeting waits for its deadline; a rename is told to try again.
                let asked = self.cluster.as_mut().and_then(|cluster| cluster.leases.answered(&name));
                if let Some((id, nick)) = asked {
                    self.send(id, wire::cluster_busy());
                    let _ = self.not_identified(id, &nick);
                    self.announce(id);
                }
            }
            BusCommand::CreateAccount { account } => {
                let waiting =
                    self.cluster.as_mut().and_then(|cluster| cluster.accounts.created(&account.key));
                if let Some((id, _)) = waiting {
                    self.send(id, wire::cluster_busy());
                }
            }
            BusCommand::FetchAccount { key } => {
                // Identified against this node's copy, as when the bus is down.
                self.identify_those_waiting(&key);
            }
            BusCommand::Locate { name } => self.locate_refused(&name),
            BusCommand::ListRooms => self.rooms_listed(&[]),
            _ => {}
        }
    }
}
