//! [`Pump`]: the one place that owns the core and carries out what it asks.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

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
    /// The core asked to stop reading (its queued output is over its budget).
    reading_paused: Cell<bool>,
    /// Readers waiting for reading to resume.
    paused_readers: RefCell<Vec<Waker>>,
    /// The task waiting for the end of shutdown.
    shutdown: WakeSlot,
}

/// A connection until the core releases it: the shared link and its tasks (dropping a task
/// cancels it). The writer is gone once the core has closed the connection; the reader stays
/// (discarding what it reads) until the client's input ends.
struct Connection {
    link: Rc<Link>,
    _reader: Task<()>,
    writer: Option<Task<()>>,
}

impl Pump {
    /// A pump for `server`, spawning connection tasks on `executor`.
    pub(crate) fn new(executor: Weak<LocalExecutor<'static>>, server: Server) -> Self {
        let deadline = server.poll_timeout();
        Self {
            executor,
            server: RefCell::new(server),
            connections: RefCell::default(),
            next_id: Cell::new(1),
            scratch: RefCell::new(vec![0; SCRATCH_SIZE].into_boxed_slice()),
            deadline: Cell::new(deadline),
            timer: WakeSlot::default(),
            reading_paused: Cell::new(false),
            paused_readers: RefCell::default(),
            shutdown: WakeSlot::default(),
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
                Output::Release { to } => self.release(to),
                Output::PauseReading => self.reading_paused.set(true),
                Output::ResumeReading => {
                    self.reading_paused.set(false);
                    self.paused_readers.take().into_iter().for_each(Waker::wake);
                }
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
            writer: Some(executor.spawn(connection::write(self.clone(), link.clone()))),
            link,
        };
        self.connections.borrow_mut().insert(id, connection);
        self.drive(Input::Connected { id, peer });
    }

    /// Reads what `link`'s socket has into the shared buffer and feeds it to the core, or
    /// throws it away once the core has closed the connection. Returns the byte count;
    /// `Ok(0)` is end of file.
    /// While reading is paused it reads nothing and fails with [`io::ErrorKind::WouldBlock`]: a
    /// reader woken by readiness just after the pause goes back to waiting for the resume.
    pub(crate) fn receive(self: &Rc<Self>, link: &Link) -> io::Result<usize> {
        if self.reading_paused.get() && !link.is_closed() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut scratch = self.scratch.borrow_mut();
        let read = link.read(&mut scratch)?;
        if read > 0 && !link.is_closed() {
            self.drive(Input::Received { id: link.id, bytes: &scratch[..read] });
        }
        Ok(read)
    }

    /// Ready when `link` may be read: reading is not paused, or the core has closed the
    /// connection (what a lingering connection reads is discarded, so it costs nothing).
    pub(crate) fn poll_may_read(&self, link: &Link, cx: &Context<'_>) -> Poll<()> {
        if !self.reading_paused.get() || link.is_closed() {
            return Poll::Ready(());
        }
        self.paused_readers.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }

    /// Whether the core has asked to stop reading.
    pub(crate) fn is_reading_paused(&self) -> bool {
        self.reading_paused.get()
    }

    /// The client sent end of file. It may still read (a half-close), so the connection stays
    /// open, writing what the core sends, until the core closes it; if the core has closed it
    /// already, the core now releases it.
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

    /// Carries out [`Output::Close`]: stops the writer, drops what is queued and sends FIN
    /// after what the kernel holds. The reader goes on reading and discarding what the client
    /// still sends until the core releases the connection: closing with unread input would
    /// turn into a reset that could destroy the last lines (a goodbye or an error) before the
    /// client reads them.
    fn close(&self, id: ClientId) {
        let mut connections = self.connections.borrow_mut();
        let Some(connection) = connections.get_mut(&id) else { return };
        tracing::debug!(%id, "closing");
        connection.link.shut_down();
        // Wakes the reader if reading is paused: a closed connection's input is discarded.
        self.paused_readers.take().into_iter().for_each(Waker::wake);
        drop(connection.writer.take());
    }

    /// Carries out [`Output::Release`]: cancels the connection's tasks and closes the socket.
    fn release(&self, id: ClientId) {
        let connection = self.connections.borrow_mut().remove(&id);
        if connection.is_some() {
            tracing::debug!(%id, "released");
        }
        drop(connection);
    }

    /// The next instant the core wants [`Input::Timeout`], with the timer task parked until it
    /// changes.
    pub(crate) fn poll_deadline(&self, cx: &std::task::Context<'_>) -> Option<Instant> {
        self.timer.register(cx);
        self.deadline.get()
    }

    /// Waits until the core has finished shutting down: every connection closed and released
    /// (the core bounds how long that takes).
    pub(crate) async fn wound_down(&self) {
        poll_fn(|cx| {
            self.shutdown.register(cx);
            if self.server.borrow().is_finished() { Poll::Ready(()) } else { Poll::Pending }
        })
        .await;
    }
}
