//! What the server's lines tell us about ourselves: our name, and whether it is our server.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chat_core::protocol::ServerLine;

/// Learned from received lines; shared between the receiver thread and the input side.
#[derive(Debug, Default)]
pub struct Identity {
    state: Mutex<State>,
    heard: Condvar,
}

#[derive(Debug, Default)]
struct State {
    name: Option<String>,
    heard_anything: bool,
    speaks_chat: bool,
}

impl Identity {
    /// Nothing known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns from one received line: the welcome gives our name and shows the server speaks
    /// this project's protocol; `*** You are now known as NEW` gives our new name.
    pub fn observe(&self, line: &str) {
        let mut state = self.lock();
        if !state.heard_anything {
            state.heard_anything = true;
            self.heard.notify_all();
        }
        match ServerLine::parse(line) {
            ServerLine::Welcome { name, .. } => {
                state.speaks_chat = true;
                state.name = Some(name.to_owned());
            }
            ServerLine::YouRenamed { name } => state.name = Some(name.to_owned()),
            _ => {}
        }
    }

    /// Our name in the room, once the server has told us.
    pub fn name(&self) -> Option<String> {
        self.lock().name.clone()
    }

    /// Whether the server greeted us as this project's server does, so it understands `/quit`
    /// (the handout's server greets no one, and would relay `/quit` to everyone as a message).
    ///
    /// Our server greets every client at once, so this waits up to `patience` for the server's
    /// first line before answering; the handout's server may say nothing at all.
    pub fn speaks_chat(&self, patience: Duration) -> bool {
        let state = self.lock();
        let (state, _) = self
            .heard
            .wait_timeout_while(state, patience, |state| !state.heard_anything)
            .unwrap_or_else(PoisonError::into_inner);
        state.speaks_chat
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_welcome_and_renames_give_our_name() {
        let me = Identity::new();
        assert_eq!(me.name(), None);
        me.observe("*** Welcome to the chat room, 127.0.0.1:40000: nobody else is here yet. Type /help for commands.");
        assert_eq!(me.name().as_deref(), Some("127.0.0.1:40000"));
        assert!(me.speaks_chat(Duration::ZERO));
        me.observe("*** You are now known as alice");
        assert_eq!(me.name().as_deref(), Some("alice"));
        me.observe("<bob> *** You are now known as mallory");
        me.observe("*** bob is now known as carol");
        assert_eq!(me.name().as_deref(), Some("alice"));
    }

    #[test]
    fn the_handout_server_is_not_taken_for_ours() {
        let me = Identity::new();
        assert!(!me.speaks_chat(Duration::ZERO));
        me.observe("[127.0.0.1:5555] entered room");
        me.observe("<('127.0.0.1', 5555)> *** Welcome to the chat room, x: y");
        me.observe("*** Welcome to the chat room, x: y");
        assert!(!me.speaks_chat(Duration::ZERO));
    }

    #[test]
    fn asking_early_waits_for_the_greeting() {
        let me = std::sync::Arc::new(Identity::new());
        let greeter = std::sync::Arc::clone(&me);
        let welcome = "*** Welcome to the chat room, a: 1 other person is here. Type /help for commands.";
        let thread = std::thread::spawn(move || greeter.observe(welcome));
        assert!(me.speaks_chat(Duration::from_secs(60)));
        thread.join().unwrap();
    }
}
