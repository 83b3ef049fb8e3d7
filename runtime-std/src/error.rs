//! What can go wrong when starting or running the server.

use std::io;
use std::net::SocketAddr;

use chat_core::ConfigError;

/// Why the server could not start, or why it stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The limits in the [`Config`](chat_core::Config) do not make sense together.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// [`spawn_with`](crate::spawn_with) was given no listener to serve on.
    #[error("no listener to serve on: bind at least one address")]
    NoListeners,
    /// A listener could not be prepared (made blocking, or asked for its address).
    #[error("could not prepare the listener {addr}: {source}")]
    Listener {
        /// The listener's address, or `unknown` when even that failed.
        addr: String,
        /// What the operating system said.
        source: io::Error,
    },
    /// The operating system refused to start one of the server's own threads.
    #[error("could not start the {role} thread (too many threads or too little memory?): {source}")]
    Spawn {
        /// Which thread: `core`, `acceptor` or `spawner`.
        role: &'static str,
        /// What the operating system said.
        source: io::Error,
    },
    /// One of the server's own threads panicked (a bug).
    #[error("the {role} thread panicked (a bug)")]
    Panicked {
        /// Which thread: `core`, `acceptor` or `spawner`.
        role: &'static str,
    },
}

impl Error {
    /// A listener error, naming the listener by its address when it has one.
    pub(crate) fn listener(addr: Option<SocketAddr>, source: io::Error) -> Self {
        let addr = addr.map_or_else(|| "unknown".to_owned(), |addr| addr.to_string());
        Self::Listener { addr, source }
    }
}
