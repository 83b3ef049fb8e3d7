//! `chat-runtime`: the one face of both runtimes, used by `chat serve` and the end-to-end
//! tests alike. Pick a [`Runtime`], give it [`Listener`]s (a bound socket and the
//! [`Endpoint`] it speaks: plain TCP, TLS, or the web listener), and get a [`Running`] server.
//!
//! ```no_run
//! use chat_runtime::{Endpoint, Listener, Runtime};
//!
//! let socket = std::net::TcpListener::bind("127.0.0.1:5000")?;
//! let running = Runtime::Smol.spawn(vec![Listener::new(socket, Endpoint::Plain)], chat_core::Config::default())?;
//! let stopper = running.stopper(); // stopper.stop() from a signal handler, for example
//! # stopper.stop();
//! running.wait()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod admin;

use std::fmt;
use std::net::TcpListener;
use std::num::NonZeroUsize;
use std::str::FromStr;
use std::sync::Arc;

pub use admin::{admin_endpoint, metrics};
use chat_core::kit::{NoServices, Services};
use chat_core::{Config, Stored};
pub use chat_transport::{Endpoint, Kind, OriginPolicy, TlsConfig, WebConfig};

/// Which runtime drives the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Runtime {
    /// One event-driven thread for every client (chat-runtime-smol): the one for big rooms.
    Smol,
    /// Blocking sockets and threads per client (chat-runtime-std).
    Std,
}

impl Runtime {
    /// Both runtimes.
    pub const ALL: [Runtime; 2] = [Runtime::Smol, Runtime::Std];

    /// Starts serving `listeners` with `config` on this runtime, on background threads, with
    /// no services: nothing is persisted, password work is refused, no bus.
    pub fn spawn(self, listeners: Vec<Listener>, config: Config) -> Result<Running, Error> {
        self.spawn_with(listeners, config, Box::new(NoServices::default()), Stored::default())
    }

    /// Like [`spawn`](Self::spawn), with `services` carrying out the core's service requests
    /// (database writer, password hashing, message bus; see `chat-services`) and the core
    /// built from `stored`, what the database kept (`ServiceThreads::start` returns both; see
    /// [`Server::restore`](chat_core::Server::restore)).
    pub fn spawn_with(
        self,
        listeners: Vec<Listener>,
        config: Config,
        services: Box<dyn Services>,
        stored: Stored,
    ) -> Result<Running, Error> {
        self.spawn_with_options(listeners, config, services, stored, Options::default())
    }

    /// Like [`spawn_with`](Self::spawn_with), using the machine as `options` say.
    pub fn spawn_with_options(
        self,
        listeners: Vec<Listener>,
        config: Config,
        services: Box<dyn Services>,
        stored: Stored,
        options: Options,
    ) -> Result<Running, Error> {
        let listeners = listeners.into_iter().map(|listener| (listener.socket, listener.endpoint)).collect();
        Ok(match self {
            Runtime::Smol => {
                let threads = options.threads.unwrap_or_else(chat_runtime_smol::default_threads);
                Running::Smol(chat_runtime_smol::spawn_threads(listeners, config, services, stored, threads)?)
            }
            Runtime::Std => {
                if options.threads.is_some() {
                    return Err(Error::ThreadsOnStd);
                }
                Running::Std(chat_runtime_std::spawn_with(listeners, config, services, stored)?)
            }
        })
    }
}

/// How a runtime uses the machine (the room's own limits are the core's `Config`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The smol runtime's I/O threads; by default one. One thread serves everything
    /// on one executor, in an order that depends only on the events. The std runtime has a
    /// thread per connection and refuses this option.
    pub threads: Option<NonZeroUsize>,
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Runtime::Smol => "smol",
            Runtime::Std => "std",
        })
    }
}

impl FromStr for Runtime {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        match name {
            "smol" => Ok(Runtime::Smol),
            "std" => Ok(Runtime::Std),
            other => Err(Error::UnknownRuntime(other.to_owned())),
        }
    }
}

/// A bound listening socket and what connections to it speak.
#[derive(Debug)]
pub struct Listener {
    /// The socket, bound by the caller (IPv4 or IPv6).
    pub socket: TcpListener,
    /// What it speaks.
    pub endpoint: Endpoint,
}

impl Listener {
    /// A listener on `socket` speaking `endpoint`.
    pub fn new(socket: TcpListener, endpoint: Endpoint) -> Self {
        Self { socket, endpoint }
    }

    /// A plain TCP listener.
    pub fn plain(socket: TcpListener) -> Self {
        Self::new(socket, Endpoint::Plain)
    }
}

/// Why a server did not start or did not end cleanly.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// From `chat-runtime-smol`.
    #[error(transparent)]
    Smol(#[from] chat_runtime_smol::Error),
    /// From `chat-runtime-std`.
    #[error(transparent)]
    Std(#[from] chat_runtime_std::Error),
    /// [`Options::threads`] was given to the std runtime, which has a thread per connection.
    #[error(
        "the std runtime has a thread per connection: choose the number of I/O threads with the smol runtime"
    )]
    ThreadsOnStd,
    /// Not the name of a runtime.
    #[error("unknown runtime {0:?}: use smol or std")]
    UnknownRuntime(String),
}

/// A server started by either runtime. Dropping it without [`wait`](Self::wait) starts a
/// graceful shutdown and lets it finish in the background.
#[derive(Debug)]
pub enum Running {
    /// Started by `chat-runtime-smol`.
    Smol(chat_runtime_smol::Running),
    /// Started by `chat-runtime-std`.
    Std(chat_runtime_std::Running),
}

impl Running {
    /// A handle that starts graceful shutdown from any thread, any number of times.
    pub fn stopper(&self) -> Stopper {
        Stopper(match self {
            Running::Smol(running) => {
                let stopper = running.stopper();
                Arc::new(move || stopper.stop())
            }
            Running::Std(running) => {
                let stopper = running.stopper();
                Arc::new(move || stopper.stop())
            }
        })
    }

    /// Blocks until the server has shut down (after a [`Stopper::stop`]).
    pub fn wait(self) -> Result<(), Error> {
        match self {
            Running::Smol(running) => running.wait()?,
            Running::Std(running) => running.wait()?,
        }
        Ok(())
    }
}

/// Starts graceful shutdown of a [`Running`] server: every client gets the shutdown notice,
/// then every connection is closed. Cheap to clone; [`stop`](Self::stop) is idempotent.
#[derive(Clone)]
pub struct Stopper(Arc<dyn Fn() + Send + Sync>);

impl Stopper {
    /// Starts graceful shutdown (once; later calls do nothing).
    pub fn stop(&self) {
        (self.0)();
    }
}

impl fmt::Debug for Stopper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stopper")
    }
}

/// The I/O threads the smol runtime uses when [`Options::threads`] is not given: one (see
/// `chat_runtime_smol::default_threads` for why).
pub fn default_smol_threads() -> NonZeroUsize {
    chat_runtime_smol::default_threads()
}
