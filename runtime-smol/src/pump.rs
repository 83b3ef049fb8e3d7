//! [`Pump`]: the one place that owns the core and carries out what it asks.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use chat_core::{ClientId, Input, Output, PeerGone, Server};
use rustc_hash::FxHashMap;
use smol::net::TcpStream;
use smol::{LocalExecutor, Task};

use crate::connection;
use crate::link::Link;
use crate::wake_slot::WakeSlot;

/// Size of the one read buffer all connections share. A read never holds it across an await,
/// so idle connections cost no buffer at all.
pub(crate) const SCRATCH_SIZE: usize = 64 * 1024;

/// The core, the open connections and the wake-ups between them, owned by the event loop's
/// thread. Every task holds an `Rc` to it; every input goes through [`Pump::drive`].
pub(crate) struct Pump {
    /// Weak, because the executor's tasks hold the pump: the event loop owns the executor.
    executor: Weak<LocalExecutor<'static>>,
    server: RefCell<Server>,
    connections: RefCell<FxHashMap<ClientId, Connection>>,
    next_id: Cell<u64>,
    scratch: RefCell<Box<[u8]>>,
    /// When the core wants [`Input::Timeout`] next.
    deadline: Cell<Option<Instant>>,
    /// The timer task, parked until `deadline` changes or passes.
    timer: WakeSlot,
    /// Connections closed by the core whose sockets are still draining the client's last bytes.
    lingering: Cell<usize>,
    /// The task waiting for the end of shutdown.
    shutdown: WakeSlot,
    /// How long a closed connection may linger (the core's grace period for closing clients).
    close_linger: Duration,
}

/// An open connection: the shared link and its two tasks (dropping a task cancels it).
struct Connection {
    link: Rc<Link>,
    _reader: Task<()>,
    _writer: Task<()>,
}

impl Pump {
    /// A pump for `server`, spawning connection tasks on `executor`.
    pub(crate) fn new(executor: Weak<LocalExecutor<'static>>, server: Server) -> Self {
        let deadline = server.poll_timeout();
        let close_linger = server.config().close_linger;
        Self {
            executor,
            server: RefCell::new(server),
            connections: RefCell::default(),
            next_id: Cell::new(1),
            scratch: RefCell::new(vec![0; SCRATCH_SIZE].into_boxed_slice()),
            deadline: Cell::new(deadline),
            timer: WakeSlot::default(),
            lingering: Cell::new(0),
            shutdown: WakeSlot::default(),
            close_linger,
        }
    }

    /// Feeds one input to the core, then carries out everything it asks, then re-arms the
    /// timer: the core's invariant, in one place.
    pub(crate) fn drive(self: &Rc<Self>, input: Input<'_>) {
        let mut server = self.server.borrow_mut();
        if let Err(error) = server.handle_input(Instant::now(), input) {
            tracing::error!(%error, "the core refused an input (a runtime bug)");
        }
        while let Some(output) = server.poll_output() {
            match output {
                Output::Transmit { to, frame } => {
                    if let Some(connection) = self.connections.borrow().get(&to) {
                        connection.link.push(frame);
                    }
                }
                Output::Close { to } => self.close(to),
            }
        }
        let deadline = server.poll_timeout();
        if deadline != self.deadline.replace(deadline) {
            self.timer.wake();
        }
        if server.is_finished() {
            self.shutdown.wake();
        }
    }

    /// Takes in a freshly accepted connection: starts its reader and writer, then tells the
    /// core (whose welcome then finds the connection ready).
    pub(crate) fn connect(self: &Rc<Self>, stream: TcpStream, peer: SocketAddr) {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%peer, %error, "cannot set TCP_NODELAY");
        }
        let id = ClientId(self.next_id.replace(self.next_id.get() + 1));
        tracing::debug!(%id, %peer, "accepted");
        let Some(executor) = self.executor.upgrade() else { return };
        let link = Rc::new(Link::new(id, Arc::from(stream)));
        let connection = Connection {
            _reader: executor.spawn(connection::read(self.clone(), link.clone())),
            _writer: executor.spawn(connection::write(self.clone(), link.clone())),
            link,
        };
        self.connections.borrow_mut().insert(id, connection);
        self.drive(Input::Connected { id, peer });
    }

    /// Reads what `link`'s socket has into the shared buffer and feeds it to the core.
    /// Returns the byte count; `Ok(0)` is end of file.
    pub(crate) fn receive(self: &Rc<Self>, link: &Link) -> io::Result<usize> {
        let mut scratch = self.scratch.borrow_mut();
        let read = link.read(&mut scratch)?;
        if read > 0 {
            self.drive(Input::Received { id: link.id, bytes: &scratch[..read] });
        }
        Ok(read)
    }

    /// Reads what `link`'s socket has and throws it away (a closing connection).
    pub(crate) fn discard(&self, link: &Link) -> io::Result<usize> {
        link.read(&mut self.scratch.borrow_mut())
    }

    /// The client sent end of file. It may still read (a half-close), so the connection stays
    /// open, writing what the core sends, until the core closes it.
    pub(crate) fn end_of_input(self: &Rc<Self>, link: &Link) {
        tracing::debug!(id = %link.id, "end of input");
        self.drive(Input::Disconnected { id: link.id, cause: PeerGone::Closed });
    }

    /// The connection failed (reset or another error): nothing more can be written, so forget
    /// it and tell the core (which sends no `Close` for it).
    pub(crate) fn lost(self: &Rc<Self>, link: &Link, error: &io::Error) {
        let Some(connection) = self.connections.borrow_mut().remove(&link.id) else { return };
        connection.link.mark_closed();
        tracing::debug!(id = %link.id, %error, "connection lost");
        drop(connection);
        self.drive(Input::Disconnected { id: link.id, cause: PeerGone::Lost });
    }

    /// Carries out [`Output::Close`]: stops the connection's tasks, sends FIN after what the
    /// kernel holds, and lets a short-lived task drain what the client still sends, so that
    /// closing with unread input does not turn into a reset that could destroy the last lines
    /// (a goodbye or an error) before the client reads them.
    fn close(self: &Rc<Self>, id: ClientId) {
        let Some(connection) = self.connections.borrow_mut().remove(&id) else { return };
        tracing::debug!(%id, "closing");
        connection.link.shut_down();
        if let Some(executor) = self.executor.upgrade() {
            self.lingering.set(self.lingering.get() + 1);
            executor.spawn(connection::linger(self.clone(), connection.link.clone())).detach();
        }
    }

    /// A lingering close has ended.
    pub(crate) fn lingered(&self) {
        self.lingering.set(self.lingering.get() - 1);
        if self.lingering.get() == 0 {
            self.shutdown.wake();
        }
    }

    /// The next instant the core wants [`Input::Timeout`], with the timer task parked until it
    /// changes.
    pub(crate) fn poll_deadline(&self, cx: &std::task::Context<'_>) -> Option<Instant> {
        self.timer.register(cx);
        self.deadline.get()
    }

    /// Waits until the core has closed every connection after [`Input::Shutdown`], then until
    /// the closed sockets finished lingering, but no later than `grace` after `since`.
    pub(crate) async fn wound_down(&self, since: Instant, grace: Duration) {
        poll_fn(|cx| {
            self.shutdown.register(cx);
            if self.server.borrow().is_finished() { Poll::Ready(()) } else { Poll::Pending }
        })
        .await;
        let lingering = poll_fn(|cx| {
            self.shutdown.register(cx);
            if self.lingering.get() == 0 { Poll::Ready(()) } else { Poll::Pending }
        });
        smol::future::or(lingering, async {
            smol::Timer::at(since + grace).await;
        })
        .await;
    }

    /// The grace period the core gives closing clients.
    pub(crate) fn close_linger(&self) -> Duration {
        self.close_linger
    }
}
