//! What can go wrong when starting or running the server.

use std::io;

/// Why the server could not start, or did not end cleanly.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The limits do not make sense together.
    #[error("invalid configuration: {0}")]
    Config(#[from] chat_core::ConfigError),
    /// [`spawn_with`](crate::spawn_with) was given no listener to serve on.
    #[error("no listening socket was given to serve on")]
    NoListeners,
    /// A listener could not be made non-blocking or registered with the reactor.
    #[error("cannot use a listening socket: {0}")]
    Listener(io::Error),
    /// The event loop thread could not be started.
    #[error("cannot start the server thread: {0}")]
    Thread(io::Error),
    /// The event loop thread panicked (a bug: the core and the runtime never panic on input).
    #[error("the server thread panicked")]
    Panicked,
}
