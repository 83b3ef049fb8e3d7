//! Starting the server, and waiting for it to end.

use std::net::TcpListener;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Instant, SystemTime};

use chat_core::kit::Services;
use chat_core::{Config, Server, Stored};
use chat_transport::Endpoint;

use crate::acceptor::Listener;
use crate::capacity::Capacity;
use crate::event;
use crate::pump::{self, Start};
use crate::stop::StopRequest;
use crate::{Error, Stopper};

/// Connections kept free beyond `max_clients` so that refusals can be delivered.
const REFUSAL_HEADROOM: usize = 64;

/// Starts serving the chat room on `listeners` (already bound by the caller, any mix of IPv4
/// and IPv6), each speaking what its [`Endpoint`] says (plain TCP, TLS, or the web listener),
/// on background threads, and returns at once. `services` carry out the core's service
/// requests (the database writer, password hashing, the message bus, or
/// [`NoServices`](chat_core::kit::NoServices)) on their own threads, and the core is built from
/// `stored`, what the database kept (see [`Server::restore`]).
///
/// Fails if the configuration is invalid, if there is no listener, if a listener cannot be
/// made blocking, or if a thread cannot be started; nothing keeps running after an error.
pub fn spawn_with(
    listeners: Vec<(TcpListener, Endpoint)>,
    mut config: Config,
    services: Box<dyn Services>,
    stored: Stored,
) -> Result<Running, Error> {
    // Leave threads for the connections the core refuses, so they get the "server is full"
    // notice instead of being cut off by the process's thread capacity.
    let room = Capacity::of_this_process().limit().saturating_sub(REFUSAL_HEADROOM);
    if config.max_clients > room {
        tracing::info!(
            requested = config.max_clients,
            "with two threads per connection, this process holds at most {room} clients \
             (vm.max_map_count); use the smol runtime for more"
        );
        config.max_clients = room;
    }
    let server = Server::restore(config, Instant::now(), SystemTime::now(), stored)?;
    if listeners.is_empty() {
        return Err(Error::NoListeners);
    }
    let listeners = listeners.into_iter().map(Listener::prepare).collect::<Result<Vec<_>, _>>()?;
    let (senders, receivers) = event::channels();
    let stop = Arc::new(StopRequest::new(senders.progress.clone()));
    let (started, startup) = crossbeam_channel::bounded(1);
    let start = Start { server, services, listeners, receivers, senders, stop: Arc::clone(&stop), started };
    let core = thread::Builder::new()
        .name("chat-core".to_owned())
        .spawn(move || pump::run(start))
        .map_err(|source| Error::Spawn { role: "core", source })?;
    match startup.recv() {
        Ok(Ok(())) => Ok(Running { core: Some(core), stopper: Stopper(stop) }),
        Ok(Err(error)) => {
            let _ = core.join();
            Err(error)
        }
        Err(crossbeam_channel::RecvError) => Err(match core.join() {
            Ok(Err(error)) => error,
            Ok(Ok(())) | Err(_) => Error::Panicked { role: "core" },
        }),
    }
}

/// A running server. Dropping it without [`wait`](Self::wait) starts a graceful shutdown and
/// lets it finish in the background (as in `chat-runtime-smol`).
#[derive(Debug)]
pub struct Running {
    core: Option<JoinHandle<Result<(), Error>>>,
    stopper: Stopper,
}

impl Running {
    /// A handle that starts graceful shutdown from anywhere (a signal handler thread, a test).
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Blocks until the server has shut down (after a [`Stopper::stop`]) and every thread it
    /// started has ended.
    pub fn wait(mut self) -> Result<(), Error> {
        match self.core.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Error::Panicked { role: "core" }),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.core.is_some() {
            self.stopper.stop();
        }
    }
}
