//! The one piece of client state the threads share: the [`Client`], fed by the receiving
//! thread, read by the line editor's prompt and completion and by whoever says goodbye.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::client::{Client, Received};

/// A [`Client`] behind a lock, with a way to wait for the server's first line.
#[derive(Debug, Default)]
pub struct SharedClient {
    client: Mutex<Client>,
    heard: Condvar,
    /// The receiver acted on a line of this connection (set under the client's lock).
    acted: AtomicBool,
}

impl SharedClient {
    /// Nothing known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one received line to the client (see [`Client::receive`]). Whoever waits in
    /// [`speaks_chat`](Self::speaks_chat) is woken only by [`acted`](Self::acted), so the
    /// receiver can act on the greeting (send our `/nick`) before anything else is sent.
    pub fn receive<'a>(&self, line: &'a str) -> Received<'a> {
        self.lock().receive(line)
    }

    /// Says the receiver has acted on the lines received so far.
    pub fn acted(&self) {
        // Under the lock, so that a waiter between its check and its wait is not missed.
        let _client = self.lock();
        self.acted.store(true, Ordering::SeqCst);
        self.heard.notify_all();
    }

    /// Forgets everything, for a new connection.
    pub fn reset(&self) {
        let mut client = self.lock();
        client.reset();
        self.acted.store(false, Ordering::SeqCst);
    }

    /// Our name in the room, once the server has told us.
    pub fn name(&self) -> Option<String> {
        self.lock().name().map(str::to_owned)
    }

    /// The room we are in, once the server has greeted us.
    pub fn room(&self) -> Option<String> {
        self.lock().room().map(str::to_owned)
    }

    /// The rooms heard of starting with `prefix` (see [`Client::rooms_starting_with`]).
    pub fn rooms_starting_with(&self, prefix: &str) -> Vec<String> {
        self.lock().rooms_starting_with(prefix)
    }

    /// The known names starting with `prefix` (see [`Client::names_starting_with`]).
    pub fn names_starting_with(&self, prefix: &str) -> Vec<String> {
        self.lock().names_starting_with(prefix)
    }

    /// Whether the server speaks this project's protocol (see [`Client::speaks_chat`]).
    ///
    /// Our server greets every client at once, so this waits up to `patience` for the
    /// receiver to have acted on the server's first line (our `/nick` is then sent) before
    /// answering; the handout's server may say nothing at all. (Waiting only until the line was
    /// heard let a line typed meanwhile go out before our `/nick`.)
    pub fn speaks_chat(&self, patience: Duration) -> bool {
        let client = self.lock();
        let (client, _) = self
            .heard
            .wait_timeout_while(client, patience, |client| {
                !(client.heard_anything() && self.acted.load(Ordering::SeqCst))
            })
            .unwrap_or_else(PoisonError::into_inner);
        client.speaks_chat()
    }

    fn lock(&self) -> MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn asking_early_waits_for_the_greeting() {
        let shared = Arc::new(SharedClient::new());
        assert!(!shared.speaks_chat(Duration::ZERO));
        let greeter = Arc::clone(&shared);
        let welcome = "*** Welcome to the chat room, a: 1 other person is here. Type /help for commands.";
        let thread = std::thread::spawn(move || {
            greeter.receive(welcome);
            greeter.acted();
        });
        assert!(shared.speaks_chat(Duration::from_secs(60)));
        thread.join().unwrap();
        assert_eq!(shared.name().as_deref(), Some("a"));
    }
}
