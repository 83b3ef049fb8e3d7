//! What the server's lines tell us about ourselves: our name, and whether it is our server.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Learned from received lines; shared between the receiver thread and the line editor.
#[derive(Debug, Default)]
pub struct Identity {
    name: Mutex<Option<String>>,
    speaks_chat: AtomicBool,
}

impl Identity {
    /// Nothing known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns from one received line: the welcome gives our name and shows the server speaks
    /// this project's protocol; `*** You are now known as NEW` gives our new name.
    pub fn observe(&self, line: &str) {
        let Some(notice) = line.strip_prefix("*** ") else { return };
        let name = if let Some(rest) = notice.strip_prefix("Welcome to the chat room, ") {
            self.speaks_chat.store(true, Ordering::Relaxed);
            rest.split_once(": ").map(|(name, _)| name)
        } else {
            notice.strip_prefix("You are now known as ")
        };
        if let Some(name) = name.filter(|name| !name.is_empty() && !name.contains(' ')) {
            *self.name.lock().unwrap_or_else(|poison| poison.into_inner()) = Some(name.to_owned());
        }
    }

    /// Our name in the room, once the server has told us.
    pub fn name(&self) -> Option<String> {
        self.name.lock().unwrap_or_else(|poison| poison.into_inner()).clone()
    }

    /// Whether the server greeted us as this project's server does, so it understands `/quit`
    /// (the handout's server would relay it to everyone as a message).
    pub fn speaks_chat(&self) -> bool {
        self.speaks_chat.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_welcome_and_renames_give_our_name() {
        let me = Identity::new();
        assert_eq!(me.name(), None);
        assert!(!me.speaks_chat());
        me.observe("*** Welcome to the chat room, 127.0.0.1:40000: nobody else is here yet. Type /help for commands.");
        assert_eq!(me.name().as_deref(), Some("127.0.0.1:40000"));
        assert!(me.speaks_chat());
        me.observe("*** You are now known as alice");
        assert_eq!(me.name().as_deref(), Some("alice"));
        me.observe("<bob> *** You are now known as mallory");
        me.observe("*** bob is now known as carol");
        assert_eq!(me.name().as_deref(), Some("alice"));
    }

    #[test]
    fn the_handout_server_is_not_taken_for_ours() {
        let me = Identity::new();
        me.observe("[127.0.0.1:5555] entered room");
        me.observe("<('127.0.0.1', 5555)> *** Welcome to the chat room, x: y");
        assert!(!me.speaks_chat());
    }
}
