//! `chat-runtime-std`: drives the sans-IO [`chat_core`] with blocking `std::net` sockets and
//! plain threads: no async runtime, no `unsafe`, no polling loop.
//!
//! ```no_run
//! use chat_core::kit::NoServices;
//! use chat_core::{Config, Stored};
//! use chat_transport::Endpoint;
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:5000")?;
//! let listeners = vec![(listener, Endpoint::Plain)];
//! let running =
//!     chat_runtime_std::spawn_with(listeners, Config::default(), Box::new(NoServices::default()), Stored::default())?;
//! let stopper = running.stopper(); // stopper.stop() from a signal handler, for example
//! # stopper.stop();
//! running.wait()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! It behaves exactly like `chat-runtime-smol` (same notices, limits and shutdown: all policy
//! is in the core); it differs in what it costs. Use it where threads are simpler to reason
//! about or to debug, and for rooms of up to a few thousand people; use the smol runtime for
//! more (see [Scale limits](#scale-limits)).
//!
//! # Design
//!
//! - **One core thread** (`chat-core`) owns the [`chat_core::Server`] and is the only thread
//!   that touches it. It waits on two bounded channels and the core's next timeout, feeds each
//!   event to `handle_input`, drains `poll_output` and carries the outputs out. It never blocks
//!   on a socket or on another thread, only on its channels.
//! - **Two channels, progress first.** Readers send input (connected, bytes received,
//!   disconnected) on one; writers and stoppers send progress (bytes flushed, wake-up) on the
//!   other, which the core thread always empties first. What writers really wrote is how the
//!   core tells a slow client from a busy server, so it must never wait behind a backlog of
//!   input. A writer adds what it wrote to a counter and reports only when the counter was
//!   zero, so however often it writes, the core gets one `Flushed` per visit. The input
//!   channel holds 256 reads (4 MiB at most): a flood of input then blocks its reader thread and
//!   TCP flow control slows the sender down, instead of piling up memory.
//! - **Per connection, a reader thread and a writer thread** with 64 KiB stacks, sharing one
//!   `Arc<TcpStream>` (one file descriptor). The spawner announces the connection to the
//!   core thread (so the core hears of connections in accept order, as with smol), then the
//!   reader owns it: it starts the writer, then blocks in `read` with a buffer that starts at
//!   1 KiB and doubles to 16 KiB while reads fill it. End of file is `PeerGone::Closed`: the
//!   client may only have half-closed, so the writer goes on until the core closes the
//!   connection. A reset or other error (or a failed write) is `PeerGone::Lost`, after which
//!   the connection is torn down at once. The writer sleeps on its queue
//!   (a mutex and condition variable, held only to swap the queue out, never during a system
//!   call); when woken it sends everything queued in vectored writes of up to
//!   [`chat_core::kit::Outbox::MAX_SLICES`] frames, handling partial writes (the queues are
//!   [`chat_core::kit::Outbox`]es, as in the smol runtime). `TCP_NODELAY` is on.
//! - **Transports.** Every connection goes through a `chat_transport::Transport` made by its
//!   listener's `Endpoint` ([`spawn_with`]): plain TCP, TLS, or the web listener. It
//!   lives on the core thread: readers send raw bytes, and the writer writes what
//!   `Transport::drain` hands it, which on plain TCP is the core's shared frames themselves,
//!   never copied (TLS and WebSocket bytes are copied once, one batch at a time). What the
//!   transport reports goes to the core through `chat_transport::Standing`, the rules both
//!   runtimes share; a connection the core does not know (a handshake, a page request) is
//!   dropped once its transport is finished.
//! - **Batched hand-over.** `Output::Transmit` frames go to a per-connection pending list that
//!   only the core thread touches; they are handed to the writers, one lock and at most one
//!   wake-up per writer, when the core has no more input at hand, every 64 events, or once 256
//!   frames per connection are held back. A broadcast to N clients during a burst of input
//!   thus costs N wake-ups per burst rather than per line (waking writers per frame measured
//!   0.22 M deliveries/s for 100 clients and 10 senders, against 3.5 M batched). Queues give
//!   back the room a burst needed, so memory returns to its idle level after a flood: in
//!   `chat-bench soak` (flood control off, misbehaving clients churning) the server peaks at
//!   19-25 MiB with 100 clients, against 51 MiB before that trimming.
//! - **Slow clients** block only their own writer thread, in `write`. Writes time out after
//!   10 ms, when the writer reports the socket blocked (`Input::Blocked`, once per episode, and
//!   only if it has not written since by the time the core thread reads it; the core then
//!   parks the client, so broadcasts stop queueing frames for it), then waits on in 100 ms
//!   steps; `Input::Flushed` reports bytes and frames written. The core decides who is too
//!   slow. Each socket's send buffer is capped at `chat_core::kit::Outbox::SEND_BUFFER`.
//! - **Pausing reads.** While the core has asked to stop reading (`Output::PauseReading`, its
//!   queued output is over `Config::max_memory`), the core thread takes only progress reports:
//!   readers block on the full event queue and TCP slows the senders down. A connection lost
//!   meanwhile is reported on the progress channel too, so its queue is freed.
//! - **Closing.** On `Output::Close` the queued frames are dropped, the writer ends, and
//!   `shutdown(Write)` sends FIN after what the kernel already holds. The reader goes on
//!   reading and discarding, and reports the client's end of input as usual; the core answers
//!   `Output::Release` (or sends it at its linger deadline), and dropping the connection's
//!   handle shuts the socket down in both directions, which ends the reader. The core times
//!   the linger: closing a socket with unread input makes the kernel send a reset, which can
//!   destroy the goodbye before the client reads it. Input from a closed connection never
//!   reaches the core.
//! - **Accepting.** Each listener has an acceptor thread blocking in `accept`, which only hands
//!   the socket to one spawner thread that gives it an id and starts its threads. Accept errors
//!   and thread-start errors follow [`chat_core::kit::AcceptBackoff`], the policy both runtimes
//!   share: errors about one connection are skipped, others (EMFILE, out of file descriptors)
//!   are logged and retried after a pause that doubles from 10 ms to 250 ms: no spinning, no
//!   giving up. Splitting accepting
//!   from spawning empties the kernel's accept queue at the speed of `accept`: with std's
//!   backlog of 128, a burst of connections otherwise overflows it while threads are being
//!   created, and the kernel drops SYNs that clients retry only a second later.
//! - **Shutdown.** [`Stopper::stop`] sets a flag and wakes the core thread (it never blocks).
//!   The core thread stops the acceptors, feeds `Input::Shutdown` and serves on until the core
//!   `is_finished` (every connection closed and released), which the core bounds to
//!   `close_linger` (2 s by default); then it waits for every thread it started (connection
//!   threads are detached and counted, so that each gives its stack back as it ends rather
//!   than at shutdown). A
//!   thread blocked in `accept` cannot be interrupted in std, so the acceptors are woken by
//!   connecting to each listener once (to loopback when it is bound to a wildcard address);
//!   this is portable, costs nothing while running and cannot miss (the wake-up connection
//!   waits in the backlog if the acceptor is not blocked yet). Readers are woken by shutting
//!   their sockets down; events still queued when the core thread ends close their
//!   connections when dropped. [`Running::wait`] returns once all of that is done.
//!
//! # Scale limits
//!
//! Two threads per connection is simple and, for chat, fast; but threads are not free, and
//! this runtime stops scaling long before the smol one. Measured on the project's machine
//! (2 cores, 24 GiB, Linux) with `chat-bench` on the same machine, flood control off. The
//! machine was shared with other work, so rates varied by up to a factor of two between runs:
//! each cell gives the range over runs interleaved with the other runtime's.
//!
//! | | std | smol |
//! | --- | --- | --- |
//! | resident memory per idle connection | 21.7 KiB | 1.3 KiB |
//! | kernel memory per connection (two kernel stacks, not in RSS) | 32 KiB | 0 |
//! | most connections (here) | 8,050 | 19,000+ (open-files limit) |
//! | 8,000 idle connections, one broadcast reaches all | 0.36 s | - |
//! | 100 clients, 10 senders, deliveries/s | 3.5-5.5 M | 2.7-3.9 M |
//! | 1,000 clients, 10 senders, deliveries/s | 2.2-2.3 M | 2.1-2.6 M |
//! | 5,000 clients, 5 senders, deliveries/s | 0.8-1.7 M | 2.7-2.8 M |
//! | idle, 50 clients, 5 s | 0 CPU ticks, 1 context switch | - |
//!
//! - **Memory:** each thread's stack costs two resident pages (8 KiB: the stack and its
//!   thread-local data), plus the read buffer and queues: about 22 KiB of RSS per connection,
//!   and 32 KiB more of kernel stacks outside it. 8,000 connections: 175 MiB resident.
//! - **Memory mappings, the first wall:** every thread costs four mappings (stack and guard
//!   page, std's signal stack and guard page), and Linux allows a process
//!   `vm.max_map_count` = 65,530 of them. When std cannot map a new thread's signal stack it
//!   aborts the whole process, so the spawner counts live connections against the mappings
//!   left (about **8,050** here, shared by every server in the process; a program can set a
//!   lower cap with [`set_max_connections`]) and turns away any connection beyond that at
//!   once, with a warning. [`spawn_with`] lowers `max_clients` to that capacity less 64, so that in
//!   all but a connection storm the core itself refuses the extra clients with its "server is
//!   full" notice, while threads remain to deliver it; in a storm, the spawner sends the
//!   core's same notice itself, in the connection's own protocol (one non-blocking write of a
//!   short line, or an HTTP 503 on the web listener, to a fresh socket, which cannot block)
//!   before closing, so no client is ever cut off without a word; over TLS, where a word would
//!   take a handshake, it closes cleanly.
//! - **Threads:** the machine's `kernel.pid_max` of 32,768 caps threads system-wide, about
//!   16,000 connections for a server alone on the machine, if the mapping limit were raised.
//! - **File descriptors:** one per connection; with the open-files limit of 20,000 that would be
//!   the wall after the two above. Running out makes `accept` fail with EMFILE, which is
//!   logged and retried, never fatal.
//! - **CPU:** a broadcast wakes one writer thread per recipient; with thousands of recipients
//!   the context switches dominate and the rate falls further behind smol's (table above).
//!   Starting threads takes tens of microseconds, so a burst of thousands of connections
//!   waits in the spawner's queue for a moment; bind listeners with a long backlog (as
//!   `chat serve` does, 4,096) in case they come faster than the acceptor drains them.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod acceptor;
mod capacity;
mod conn;
mod error;
mod event;
mod handoff;
mod pump;
mod reader;
mod refuse;
mod running;
mod stop;
mod threads;
mod writer;

pub use capacity::set_max_connections;
pub use error::Error;
pub use running::{Running, spawn_with};
pub use stop::Stopper;
