//! `/msg` across nodes: each node reads an inbox stream of its own (`@NODE`, a key no room can
//! have), from its first input on. A `/msg` to a name no local user holds asks the bus which
//! node holds the name's lease ([`BusCommand::Locate`]), then appends the message to that
//! node's inbox; the node holding the name hands it to its user. No node holds it: the sender
//! is told no one is called so, as on one node.

use super::Server;
use crate::cluster::{Outgoing, inbox_of};
use crate::protocol::nick::key_of;
use crate::protocol::{sanitize, wire};
use crate::{BusCommand, BusPayload, ClientId, Request, SubscribeFrom};

impl Server {
    /// Starts reading this node's inbox (once, with `#lobby`).
    pub(super) fn read_inbox(&mut self) {
        let Some(cluster) = self.cluster.as_ref() else { return };
        let room = inbox_of(&cluster.node);
        self.ask(Request::Bus(BusCommand::Subscribe { room, from: SubscribeFrom::Latest }));
    }

    /// Whether `key` is this node's inbox.
    pub(super) fn is_inbox(&self, key: &str) -> bool {
        self.cluster.as_ref().is_some_and(|cluster| key == inbox_of(&cluster.node))
    }

    /// With a bus, a `/msg` to `to`, whom no local user is, goes to the node holding the name:
    /// returns true if it does (the sender hears once it is located).
    pub(super) fn private_elsewhere(&mut self, id: ClientId, from: &str, to: &str, text: &str) -> bool {
        let Some(cluster) = self.cluster.as_mut() else { return false };
        let key = key_of(to);
        let message =
            Outgoing { sender: id, from: from.to_owned(), to: to.to_owned(), text: Some(text.to_owned()) };
        if cluster.outbox.wait(&key, message) {
            self.ask(Request::Bus(BusCommand::Locate { name: key }));
        }
        true
    }

    /// With a bus, `/whois` of `typed`, whom no local user is, asks which node holds the name:
    /// returns true if it does (the asker hears once it is located).
    pub(super) fn whois_elsewhere(&mut self, id: ClientId, typed: &str) -> bool {
        let Some(cluster) = self.cluster.as_mut() else { return false };
        let key = key_of(typed);
        let asked = Outgoing { sender: id, from: String::new(), to: typed.to_owned(), text: None };
        if cluster.outbox.wait(&key, asked) {
            self.ask(Request::Bus(BusCommand::Locate { name: key }));
        }
        true
    }

    /// The bus said which node holds name `key` (if any): the messages that waited go there.
    pub(super) fn located(&mut self, key: &str, node: Option<String>) {
        let Some(cluster) = self.cluster.as_mut() else { return };
        let own = cluster.node.clone();
        for Outgoing { sender, from, to, text } in cluster.outbox.located(key) {
            if !self.registry.get(sender).is_some_and(|c| c.is_active()) {
                continue;
            }
            let Some(text) = text else {
                self.whois_located(sender, &to, node.as_deref().filter(|node| **node != own));
                continue;
            };
            match &node {
                Some(node) if *node != own => {
                    let payload = BusPayload::Private { from, to: to.clone(), text: text.clone() };
                    self.publish(&inbox_of(node), payload);
                    self.send(sender, wire::private_out(&to, &text));
                }
                // Held here (it came meanwhile) or nowhere.
                _ => match self.registry.holder(key) {
                    Some(target) => self.private_here(sender, &from, target, &text),
                    None => self.send(sender, wire::no_such_user(&to)),
                },
            }
        }
    }

    /// `/whois` of `typed` by `id`, located on `node` (`None`: here, or nowhere).
    fn whois_located(&mut self, id: ClientId, typed: &str, node: Option<&str>) {
        match node {
            Some(node) if self.present(typed).is_err() => self.send(id, wire::elsewhere(typed, node)),
            // Held here (it came meanwhile) or nowhere: answered as on one node.
            _ => self.whois_here(id, typed),
        }
    }

    /// An entry of this node's inbox: a private message for one of its users, or the refusal
    /// of a command one of them typed.
    pub(super) fn inbox_entry(&mut self, payload: BusPayload) {
        let (to, line) = match payload {
            // What other nodes wrote is sanitised again: a line on the wire is never broken.
            BusPayload::Private { from, to, text } => {
                let line = wire::private_in(&sanitize(&from), &sanitize(&text));
                (to, line)
            }
            BusPayload::Refused { to, text } => {
                let line = wire::error(sanitize(&text));
                (to, line)
            }
            other => return tracing::debug!(?other, "an inbox entry of another kind: ignored"),
        };
        match self
            .registry
            .holder(&key_of(&to))
            .filter(|&id| self.registry.get(id).is_some_and(|c| c.is_active()))
        {
            Some(target) => self.send(target, line),
            None => tracing::info!(%to, "an inbox entry for someone no longer here: dropped"),
        }
    }

    /// The bridge refused a [`BusCommand::Locate`]: the messages waiting for it are not sent.
    pub(super) fn locate_refused(&mut self, key: &str) {
        let waiting = self.cluster.as_mut().map(|cluster| cluster.outbox.located(key)).unwrap_or_default();
        for message in waiting {
            self.send(message.sender, wire::cluster_busy());
        }
    }
}
