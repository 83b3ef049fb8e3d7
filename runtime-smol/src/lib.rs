//! `chat-runtime-smol`: runs the [`chat_core`] room on [smol](https://docs.rs/smol): one
//! executor per I/O thread (one by default; `--threads N` for more), non-blocking sockets.
//!
//! ```no_run
//! use chat_core::kit::NoServices;
//! use chat_core::{Config, Stored};
//! use chat_transport::Endpoint;
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:5000")?;
//! let listeners = vec![(listener, Endpoint::Plain)];
//! let running =
//!     chat_runtime_smol::spawn_with(listeners, Config::default(), Box::new(NoServices::default()), Stored::default())?;
//! let stopper = running.stopper(); // stopper.stop() from a signal handler, for example
//! # stopper.stop();
//! running.wait()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design
//!
//! The runtime owns sockets and nothing else: every decision is the core's. It is built to
//! hold tens of thousands of mostly idle connections on one small machine.
//!
//! - **One I/O thread** (the default, [`default_threads`]). One thread runs a [`smol::LocalExecutor`]
//!   inside [`smol::block_on`], which also drives the I/O reactor, so readiness events are
//!   handled on the same thread without a hop. The core lives in one `RefCell<Server>`, next
//!   to a map from client id to connection: no locks, no channels. What happens depends only
//!   on the order of the events: the mode to reproduce a test in.
//! - **Several I/O threads** ([`spawn_threads`] with more than 1). The core stays
//!   one state machine on one thread, the *hub*; what scales is the I/O around it (in the
//!   profile, the kernel's `writev` is three quarters of the server's time, the core a few
//!   percent). Each I/O thread has its own executor and pump, and owns the connections it is
//!   handed (in turn, as they are accepted): their reads, transports and writes. The hub's
//!   thread is also the first I/O thread. An I/O thread's pump reports what it hears (owned
//!   copies of the inputs) in batches: the first report of a batch wakes a sending task that
//!   runs after the tasks already queued, so the writers one hand-over woke report together,
//!   with one cross-thread wake-up. The hub feeds the core every batch at hand, sorts the
//!   outputs by the thread owning each client (client ids say which: thread `k` of `n` hands
//!   out `k + 1`, `k + 1 + n`, ...; `PauseReading` and `ResumeReading` go to every thread), and
//!   sends each thread its batch: frames stay shared `Bytes`, never copied. An I/O thread
//!   carries its batch out as the single-thread pump does, and reports what the core must
//!   hear of it (a transport took the bytes, a full socket). Reports about a connection the
//!   core has closed meanwhile are harmless: it ignores progress and data from a client it has
//!   closed or released. A batch holding data read is *answered*: its thread's readers wait
//!   until the hub's batch with what the core made of it has been carried out (the writers it
//!   woke run first), as a reader on one thread yields to the writers its read woke, so that
//!   reading cannot outrun writing and fill memory with queues. Each frame crosses once per
//!   batch (entries of 16 bytes name it), shared: copying it for each thread (so that no
//!   reference count is shared by two cores) cost more, since the core hands a parked client
//!   what it is owed a window at a time and a batch holds many frames for few recipients
//!   each. Every I/O thread, the hub's included, takes new connections in turn (the core's
//!   share of the work is small: giving the hub's thread fewer was measured slower). The services (database, passwords, bus) are driven from the hub's
//!   thread, beside the core, and the hub leaves the core's stats where the operator's
//!   `/metrics` reads them after every round (with one thread, the pump does so as it reads a
//!   request).
//! - **One door to the core.** Every event goes through the pump's `drive` (with several I/O
//!   threads, the hub's): feed one input, drain `poll_output` (a `Transmit` pushes the shared
//!   frame onto that connection's outbound queue and wakes its writer if the queue was empty;
//!   a `Close` closes it), then re-arm the one timer task from `poll_timeout`. A broadcast to N
//!   clients is N queue pushes, no copy.
//! - **Per connection, a reader and a writer task.** The reader waits until the core lets it
//!   read (`Output::PauseReading` holds every reader until `ResumeReading`) and for readiness
//!   (`poll_readable`), and only then borrows the one shared 64 KiB scratch buffer for a single
//!   non-blocking read, which it feeds to the core straight from the buffer. It then yields,
//!   so the writers that read woke run before the next read: fan-out cannot pile up behind a
//!   crowd of readers. An idle connection
//!   therefore holds no read buffer: about 1.3 KiB in all, counting the core's state. The writer
//!   sleeps while its queue (a [`chat_core::kit::Outbox`]) is empty; when woken it sends everything
//!   queued in one vectored write (up to [`chat_core::kit::Outbox::MAX_SLICES`] frames per call),
//!   advances the queue past what the kernel took (partial writes included) and reports exactly
//!   that many bytes with `Input::Flushed`. Frames queued while
//!   it waits for its turn or for writability go out together, so a busy room costs about one
//!   system call per client per burst, not per line.
//! - **Transports.** Every connection goes through a `chat_transport::Transport` made by its
//!   listener's [`Endpoint`] ([`spawn_with`]): plain TCP, TLS, or the web listener (HTTP
//!   and WebSocket). The reader feeds it what it read and the writer writes what it has; on
//!   plain TCP that is the core's shared frames themselves (the queue above), never copied.
//!   What the transport reports goes to the core through `chat_transport::Standing`, the
//!   rules both runtimes share; a connection the core does not know (a handshake, a page
//!   request) is closed by the runtime once its transport is finished.
//! - **Adaptive write coalescing.** While an I/O thread writes to 128 clients within a
//!   millisecond, a woken writer first waits for the thread's next 1 ms tick, so that the
//!   lines arriving meanwhile go out in the same system call; a quiet room writes at once.
//!   (At 2,000 lines/s to 1,000 clients this saved a fifth of the `writev` calls; under
//!   overload the writes already carry hundreds of frames each.)
//! - **Slow clients.** A client that stops reading only stalls its own writer, parked on
//!   writability; the writer reports `Input::Blocked` when a write would block and
//!   `Input::Flushed` (bytes and frames) when the socket takes bytes again. The core decides
//!   who is too slow and when the server must stop reading (see `chat_core`'s docs).
//! - **Closing.** On `Output::Close` the writer is cancelled, what is still queued is dropped,
//!   and `shutdown(Write)` sends FIN after the bytes the kernel already holds. The reader goes
//!   on reading and discarding (even while reading is paused) and reports the client's end of
//!   input as usual; the core answers `Output::Release` (or sends it when its linger deadline
//!   passes), which cancels the reader and closes the socket. The core times the linger:
//!   closing a socket with unread input would make the kernel send a reset, which can destroy
//!   the goodbye before the client reads it. End of file from a client is `PeerGone::Closed`,
//!   and may be a half-close: only the reader stops, and the writer goes on until the core's
//!   `Close`. A reset or any other error is `PeerGone::Lost`: the connection is dropped at once.
//! - **Accepting.** Each listener has an accept task. Accepted sockets get `TCP_NODELAY` (chat
//!   lines are small and latency matters). An accept error never ends the loop nor spins it:
//!   [`chat_core::kit::AcceptBackoff`], the policy both runtimes share, skips errors about one
//!   connection and pauses accepting after others such as EMFILE (10 ms, doubling up to 250 ms
//!   while they go on). With several I/O threads they run on the hub's thread, which hands
//!   each socket to the next thread in turn.
//! - **Shutdown.** [`Stopper::stop`] closes a channel the main task waits on; it then drops the
//!   accept tasks (closing the listeners), feeds `Input::Shutdown`, and waits until the core
//!   reports `is_finished`, the only stop condition: every connection closed and released,
//!   which the core bounds to `close_linger` after the stop; the hub then closes the I/O
//!   threads' inboxes, and each ends once it has carried out what it holds. [`Running::wait`]
//!   joins the threads.
//!
//! # Measured
//!
//! On a 2-core machine, with `chat-bench` on the same machine: 19,000 idle connections take
//! about 1.3 KiB each (25 MB resident in all, core included) and one broadcast reaches all of
//! them in under a second; 1,000 clients with 10 senders get 10 million deliveries a second at
//! 10,000 lines/s with a p99 of 34 ms, and 17 million a second in an unpaced burst, with
//! nothing lost (the ideal broadcaster: 74 ms and 10 million), the kernel's TCP send path then
//! taking 70% of the server's time. With two I/O threads on that machine (the load tool needs
//! the second core) the rates are the same for about as much CPU, p99 is higher, and an idle
//! connection costs about 400 bytes more: more threads pay where cores are free
//! (BENCHMARKS.md, *Multi-core*).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod accept;
mod batch;
mod connection;
mod connections;
mod core_cell;
mod error;
mod event;
mod event_loop;
mod handle;
mod hub;
mod io_thread;
mod link;
mod outgoing;
mod pump;
mod timer;
mod wake_slot;
mod write_window;

use std::net::TcpListener;
use std::num::NonZeroUsize;
use std::time::{Instant, SystemTime};

use chat_core::kit::Services;
use chat_core::{Config, Server, Stored};
use chat_transport::Endpoint;

pub use error::Error;
pub use handle::{Running, Stopper};

/// Starts serving the chat room on `listeners` (already bound by the caller, any mix of IPv4
/// and IPv6), each speaking what its [`Endpoint`] says (plain TCP, TLS, or the web listener),
/// on [`default_threads`] I/O threads, and returns at once. `services` carry out the core's
/// service requests (the database writer, password hashing, the message bus, or
/// [`NoServices`](chat_core::kit::NoServices)) on their own threads, and the core is built from
/// `stored`, what the database kept (see [`Server::restore`]).
pub fn spawn_with(
    listeners: Vec<(TcpListener, Endpoint)>,
    config: Config,
    services: Box<dyn Services>,
    stored: Stored,
) -> Result<Running, Error> {
    spawn_threads(listeners, config, services, stored, default_threads())
}

/// The I/O threads [`spawn_with`] uses: one. On the 2-core machine
/// this was measured on, with the clients on the same machine, a second I/O thread made the
/// p99 latency at 2,000 lines/s worse (about 60 ms against 25 ms) for a fifth more CPU, and
/// was no faster under overload (BENCHMARKS.md, *Multi-core*); more threads pay where cores
/// are free of the clients: ask for them with [`spawn_threads`].
pub fn default_threads() -> NonZeroUsize {
    NonZeroUsize::MIN
}

/// Like [`spawn_with`], with `threads` I/O threads. One thread serves every connection and
/// the core on one executor, in an order that depends only on the events (the mode to
/// reproduce a test in); more spread the connections over that many threads, the first of
/// which also drives the core (see [Design](crate#design)).
pub fn spawn_threads(
    listeners: Vec<(TcpListener, Endpoint)>,
    config: Config,
    services: Box<dyn Services>,
    stored: Stored,
    threads: NonZeroUsize,
) -> Result<Running, Error> {
    if listeners.is_empty() {
        return Err(Error::NoListeners);
    }
    let server = Server::restore(config, Instant::now(), SystemTime::now(), stored)?;
    let listeners = listeners
        .into_iter()
        .map(|(listener, endpoint)| {
            smol::net::TcpListener::try_from(listener)
                .map(|listener| (listener, endpoint))
                .map_err(Error::Listener)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (signal, stop) = smol::channel::bounded(1);
    let io = match threads.get() {
        1 => None,
        threads => Some(io_thread::IoThreads::start(threads).map_err(Error::Thread)?),
    };
    let thread = std::thread::Builder::new()
        .name("chat-smol".into())
        .spawn(move || event_loop::run(server, services, listeners, stop, io))
        .map_err(Error::Thread)?;
    Ok(Running { stopper: Stopper { signal }, thread: Some(thread) })
}
