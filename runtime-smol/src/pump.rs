//! [`Pump`]: the one place that owns a thread's connections, feeds the core what they do and
//! carries out what it asks.

use std::cell::{Cell, RefCell};
use std::io;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use chat_core::kit::Outbox;
use chat_core::{ClientId, Input, Output};
use chat_transport::{Endpoint, Heard};
use smol::LocalExecutor;
use smol::net::TcpStream;

use crate::connection;
use crate::connections::Connections;
use crate::core_cell::CoreCell;
use crate::event::Event;
use crate::link::Link;
use crate::outgoing::Outgoing;
use crate::write_window::WriteWindow;

/// Size of the one read buffer all connections share. A read never holds it across an await,
/// so idle connections cost no buffer at all.
pub(crate) const SCRATCH_SIZE: usize = 64 * 1024;

/// One I/O thread's open connections and the wake-ups between them and the core, owned by
/// that thread. Every task holds an `Rc` to it; every input goes through [`Pump::drive`].
pub(crate) struct Pump {
    /// Weak, because the executor's tasks hold the pump: the event loop owns the executor.
    executor: Weak<LocalExecutor<'static>>,
    /// Where the core is.
    core: CoreSide,
    connections: RefCell<Connections>,
    /// The ids this thread gives its connections.
    ids: Cell<Ids>,
    scratch: RefCell<Box<[u8]>>,
    /// Chat bytes a transport passed on, for the core (on plain TCP, a copy of what was read).
    inbound: RefCell<Vec<u8>>,
    /// The core asked to stop reading (its queued output is over its budget).
    reading_paused: Cell<bool>,
    /// Readers waiting for reading to resume.
    paused_readers: RefCell<Vec<Waker>>,
    /// Write coalescing while the thread is busy.
    window: Rc<WriteWindow>,
}

/// Where a pump's core is.
pub(crate) enum CoreSide {
    /// On this thread (one I/O thread): inputs are fed at once, outputs carried out at once.
    Here(Rc<CoreCell>),
    /// On the hub's thread: inputs go in batches, outputs come back through [`Pump::carry`].
    Away(Rc<Outgoing>),
}

/// The client ids one I/O thread hands out: `next`, then every `step`-th after it, so that
/// threads never hand out the same id and the hub knows each id's thread.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ids {
    /// The next id.
    pub(crate) next: u64,
    /// How many I/O threads share the ids.
    pub(crate) step: u64,
}

impl Ids {
    /// The ids of I/O thread `thread` of `threads`: 1, 2, ... for one thread.
    pub(crate) fn of(thread: usize, threads: usize) -> Self {
        Self { next: thread as u64 + 1, step: threads as u64 }
    }

    /// The I/O thread (of `threads`) that owns `id`.
    pub(crate) fn thread_of(id: ClientId, threads: usize) -> usize {
        ((id.0 - 1) % threads as u64) as usize
    }
}

impl Pump {
    /// A pump whose core is `core`, spawning connection tasks on `executor`, handing out `ids`.
    pub(crate) fn new(executor: Weak<LocalExecutor<'static>>, core: CoreSide, ids: Ids) -> Self {
        Self {
            executor,
            core,
            connections: RefCell::default(),
            ids: Cell::new(ids),
            scratch: RefCell::new(vec![0; SCRATCH_SIZE].into_boxed_slice()),
            inbound: RefCell::default(),
            reading_paused: Cell::new(false),
            paused_readers: RefCell::default(),
            window: Rc::default(),
        }
    }

    /// This thread's write coalescing (its ticking task runs beside the pump's).
    pub(crate) fn window(&self) -> &Rc<WriteWindow> {
        &self.window
    }

    /// Feeds one input to the core: here, at once, carrying out everything it asks; away, in
    /// the next batch to the hub.
    pub(crate) fn drive(&self, input: Input<'_>) {
        match &self.core {
            CoreSide::Here(core) => core.feed(input, |output| self.carry(output)),
            CoreSide::Away(outgoing) => {
                if let Some(event) = Event::of(input) {
                    outgoing.push(event);
                }
            }
        }
    }

    /// Carries out one output of the core, returning what the core must hear of it at once (a
    /// transport took the frame's bytes, or the frame waits behind a full socket).
    #[inline]
    pub(crate) fn carry(&self, output: Output) -> Option<Input<'static>> {
        match output {
            Output::Transmit { to, frame } => {
                let (taken, blocked) = match self.connections.borrow().get(to) {
                    Some(link) => (link.push(frame), link.is_blocked()),
                    None => (0, false),
                };
                match (taken, blocked) {
                    // Taken into a transport's own bounded buffer (TLS, WebSocket).
                    (1.., _) => Some(Input::Flushed { id: to, bytes: taken, frames: 0 }),
                    // The core's queue grows behind a full socket: the core ignores a full
                    // socket while nothing of its own waits (a transport took it all).
                    (0, true) => Some(Input::Blocked { id: to }),
                    (0, false) => None,
                }
            }
            Output::Close { to } => {
                self.close(to);
                None
            }
            Output::Release { to } => {
                self.release(to);
                None
            }
            Output::PauseReading => {
                self.reading_paused.set(true);
                None
            }
            Output::ResumeReading => {
                self.reading_paused.set(false);
                self.paused_readers.take().into_iter().for_each(Waker::wake);
                None
            }
            Output::Service(_) => {
                tracing::error!("a service request reached a connection's pump (a runtime bug)");
                None
            }
        }
    }

    /// Takes in a freshly accepted connection: starts its reader and writer, then tells the
    /// core if it is a chat client at once (plain TCP; other transports announce it later), so
    /// that the core's welcome finds the connection ready.
    pub(crate) fn connect(self: &Rc<Self>, stream: TcpStream, peer: SocketAddr, endpoint: &Endpoint) {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%peer, %error, "cannot set TCP_NODELAY");
        }
        // Bounds what a client that does not read costs the kernel and the server.
        if let Err(error) = socket2::SockRef::from(&stream).set_send_buffer_size(Outbox::SEND_BUFFER) {
            tracing::debug!(%peer, %error, "cannot set SO_SNDBUF");
        }
        let transport = match endpoint.accept(peer) {
            Ok(transport) => transport,
            Err(error) => return tracing::warn!(%peer, %error, "cannot start the connection's transport"),
        };
        let ids = self.ids.get();
        self.ids.set(Ids { next: ids.next + ids.step, ..ids });
        let id = ClientId(ids.next);
        tracing::debug!(%id, %peer, kind = %transport.kind(), "accepted");
        let Some(executor) = self.executor.upgrade() else { return };
        let link = Rc::new(Link::new(id, Arc::from(stream), transport));
        // A connection lives until the core releases it: the link, and its tasks in it. The
        // writer is gone once the core has closed the connection; the reader stays
        // (discarding what it reads) until the client's input ends.
        link.set_tasks(
            executor.spawn(connection::read(self.clone(), link.clone())),
            executor.spawn(connection::write(self.clone(), link.clone())),
        );
        self.connections.borrow_mut().insert(link.clone());
        self.drive(link.start(peer));
    }

    /// Reads what `link`'s socket has into the shared buffer and passes it through the
    /// connection's transport to the core (which discards it once it has closed the
    /// connection). Returns the byte count; `Ok(0)` is end of file.
    /// While reading is paused it reads nothing and fails with [`io::ErrorKind::WouldBlock`]: a
    /// reader woken by readiness just after the pause goes back to waiting for the resume.
    pub(crate) fn receive(&self, link: &Link) -> io::Result<usize> {
        if self.reading_paused.get() && !link.is_closed() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut scratch = self.scratch.borrow_mut();
        let read = link.read(&mut scratch)?;
        if read > 0 {
            // With the core away, the hub leaves its stats on the boards after every round.
            if let CoreSide::Here(core) = &self.core {
                link.publish_stats(|| core.stats());
            }
            let heard = link.receive(&scratch[..read], &mut self.inbound.borrow_mut());
            drop(scratch);
            self.hear(link, heard);
            self.retire_if_done(link);
        }
        Ok(read)
    }

    /// Writes what `link`'s transport has for the socket, in one non-blocking vectored write,
    /// and tells the core what that did.
    pub(crate) fn write(&self, link: &Link) -> io::Result<()> {
        let heard = link.flush(&mut self.inbound.borrow_mut())?;
        self.window.wrote();
        self.hear(link, heard);
        Ok(())
    }

    /// The socket is full: the core hears it, if it knows the client and has not closed it.
    pub(crate) fn blocked(&self, link: &Link) {
        if link.standing().is_known() && !link.is_closed() {
            self.drive(Input::Blocked { id: link.id });
        }
    }

    /// Feeds the core what a transport reported about `link` (its data in `inbound`), in
    /// order, as [`chat_transport::Standing`] allows, and empties `inbound`: the buffer is
    /// shared by every connection, so data left in it would be heard again as the next
    /// connection's own (a new connection's `Connected` comes with no data of its own).
    fn hear(&self, link: &Link, heard: Heard) {
        if heard != Heard::default() || !self.inbound.borrow().is_empty() {
            self.hear_inputs(link, heard);
        }
        // What the transport holds, for the memory budget (never on plain TCP).
        if let Some(input) = link.buffered() {
            self.drive(input);
        }
    }

    /// The inputs `heard` makes, as [`chat_transport::Standing`] allows.
    fn hear_inputs(&self, link: &Link, heard: Heard) {
        let data = self.inbound.borrow();
        let mut standing = link.standing();
        let inputs = standing.inputs(link.id, heard, &data);
        link.set_standing(standing);
        for input in inputs {
            // The core may close the connection while it hears the first of these.
            let progress = matches!(input, Input::Received { .. } | Input::Flushed { .. });
            if !(progress && link.is_closed()) {
                self.drive(input);
            }
        }
        drop(data);
        self.inbound.borrow_mut().clear();
    }

    /// Closes a connection the core does not know (not a chat client yet, or lost) once its
    /// transport has said everything: an answered web request, a failed handshake.
    pub(crate) fn retire_if_done(&self, link: &Link) {
        if link.standing().is_known() || !link.is_done() {
            return;
        }
        link.shut_down();
        let removed = self.connections.borrow_mut().remove(link.id);
        if let Some(removed) = removed {
            tracing::debug!(id = %link.id, "finished");
            removed.cancel_tasks();
            if let Some(input) = link.forget() {
                self.drive(input);
            }
        }
    }

    /// Ready when `link` may be read: reading is not paused, and (with the core on another
    /// thread) what this thread read last has been answered; or the core has closed the
    /// connection (what a lingering connection reads is discarded, so it costs nothing).
    pub(crate) fn poll_may_read(&self, link: &Link, cx: &Context<'_>) -> Poll<()> {
        let unanswered = matches!(&self.core, CoreSide::Away(outgoing) if outgoing.is_unanswered());
        if !(self.reading_paused.get() || unanswered) || link.is_closed() {
            return Poll::Ready(());
        }
        self.paused_readers.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }

    /// The hub answered `count` batches with data read: once none is left, the readers go on
    /// (after the writers the answer woke, queued before them).
    pub(crate) fn answered(&self, count: usize) {
        if let CoreSide::Away(outgoing) = &self.core
            && outgoing.answered(count)
            && !self.reading_paused.get()
        {
            self.paused_readers.take().into_iter().for_each(Waker::wake);
        }
    }

    /// Whether the core has asked to stop reading.
    pub(crate) fn is_reading_paused(&self) -> bool {
        self.reading_paused.get()
    }

    /// The client sent end of file. It may still read (a half-close), so the connection stays
    /// open, writing what the core sends, until the core closes it; if the core has closed it
    /// already, the core now releases it.
    pub(crate) fn end_of_input(&self, link: &Link) {
        tracing::debug!(id = %link.id, "end of input");
        let heard = link.receive_eof(&mut self.inbound.borrow_mut());
        self.hear(link, heard);
        self.retire_if_done(link);
    }

    /// The connection failed (reset or another error): nothing more can be written, so forget
    /// it and tell the core (which sends no `Close` for it).
    pub(crate) fn lost(&self, link: &Link, error: &io::Error) {
        let Some(removed) = self.connections.borrow_mut().remove(link.id) else { return };
        let mut standing = removed.mark_lost();
        tracing::debug!(id = %link.id, %error, "connection lost");
        removed.cancel_tasks();
        if let Some(input) = standing.lost(link.id) {
            self.drive(input);
        }
    }

    /// Carries out [`Output::Close`]: the transport drops what is queued and says goodbye (TLS,
    /// WebSocket), then FIN follows what the kernel holds (at once on plain TCP, whose writer
    /// is stopped). The reader goes on reading and discarding what the client
    /// still sends until the core releases the connection: closing with unread input would
    /// turn into a reset that could destroy the last lines (a goodbye or an error) before the
    /// client reads them.
    fn close(&self, id: ClientId) {
        let Some(link) = self.connections.borrow().get(id).cloned() else { return };
        tracing::debug!(%id, "closing");
        if link.close() {
            link.shut_down();
            link.cancel_writer();
        }
        // Wakes the reader if reading is paused: a closed connection's input is discarded.
        self.paused_readers.take().into_iter().for_each(Waker::wake);
    }

    /// Carries out [`Output::Release`]: cancels the connection's tasks and closes the socket.
    fn release(&self, id: ClientId) {
        let removed = self.connections.borrow_mut().remove(id);
        if let Some(removed) = removed {
            tracing::debug!(%id, "released");
            removed.cancel_tasks();
        }
    }
}
