//! Private messages across nodes: a `/msg` to a name no local user holds waits here while the
//! bus says which node holds the name's lease; it is then appended to that node's inbox. A
//! `/whois` of such a name waits here too, to tell which node has it.

use std::collections::HashMap;

use crate::ClientId;

/// A `/msg` (or a `/whois`) waiting to learn where its recipient is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outgoing {
    /// Who sent it.
    pub(crate) sender: ClientId,
    /// The sender's name.
    pub(crate) from: String,
    /// The recipient's name, as typed.
    pub(crate) to: String,
    /// The text (sanitised); `None` for a `/whois`.
    pub(crate) text: Option<String>,
}

/// The `/msg`s waiting for [`BusEvent::Located`](crate::BusEvent::Located), by name key.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    waiting: HashMap<String, Vec<Outgoing>>,
}

impl Outbox {
    /// `message` waits for `key` to be located; returns whether it is the first (so the bus is
    /// to be asked).
    pub(crate) fn wait(&mut self, key: &str, message: Outgoing) -> bool {
        let waiting = self.waiting.entry(key.to_owned()).or_default();
        waiting.push(message);
        waiting.len() == 1
    }

    /// `key` was located: the messages that waited for it.
    pub(crate) fn located(&mut self, key: &str) -> Vec<Outgoing> {
        self.waiting.remove(key).unwrap_or_default()
    }
}

/// The key of node `node`'s inbox stream: not a room name (those start with `#`), so no room
/// can be called so.
pub(crate) fn inbox_of(node: &str) -> String {
    format!("@{node}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_to_one_name_share_one_question() {
        let mut outbox = Outbox::default();
        let message = |n: u64| Outgoing {
            sender: ClientId(n),
            from: "a".into(),
            to: "Bob".into(),
            text: Some("hi".into()),
        };
        assert!(outbox.wait("bob", message(1)));
        assert!(!outbox.wait("bob", message(2)));
        assert_eq!(outbox.located("bob"), [message(1), message(2)]);
        assert!(outbox.located("bob").is_empty());
        assert_eq!(inbox_of("n1"), "@n1");
    }
}
