//! [`Link`]: one client connection as the event loop sees it: the socket and its transport
//! (`chat-transport`: plain TCP, TLS, or the web listener's HTTP and WebSocket), which holds
//! what waits to be written.

use std::cell::{Cell, RefCell};
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use chat_core::ClientId;
use chat_core::kit::Outbox;
use chat_transport::{Heard, Standing, Transport};
use smol::{Async, Task};

use crate::wake_slot::WakeSlot;

/// One connection: its socket and its transport. Shared (by `Rc`) between the connection's
/// reader and writer tasks and the pump.
///
/// It holds no read buffer: reads go into the pump's one scratch buffer, so an idle plain
/// connection costs a few hundred bytes here.
pub(crate) struct Link {
    /// The core's name for this connection.
    pub(crate) id: ClientId,
    stream: Arc<Async<TcpStream>>,
    /// The layers between the socket and the core; on plain TCP, the core's frames waiting
    /// (the front one may be partly written already).
    transport: RefCell<Transport>,
    /// Where the core stands with this client.
    standing: Cell<Standing>,
    /// The writer task, parked while there is nothing to write.
    writer: WakeSlot,
    /// Set once the core has closed the connection or it is gone: what is read is discarded.
    closed: Cell<bool>,
    /// The writer found the socket full and has written nothing since.
    blocked: Cell<bool>,
    /// The reader task, until the connection is forgotten (dropping it cancels the task).
    reader_task: Cell<Option<Task<()>>>,
    /// The writer task, until the core closes the connection or it is forgotten.
    writer_task: Cell<Option<Task<()>>>,
}

impl Link {
    /// A link for a freshly accepted connection.
    pub(crate) fn new(id: ClientId, stream: Arc<Async<TcpStream>>, transport: Transport) -> Self {
        Self {
            id,
            stream,
            transport: RefCell::new(transport),
            standing: Cell::default(),
            writer: WakeSlot::default(),
            closed: Cell::new(false),
            blocked: Cell::new(false),
            reader_task: Cell::new(None),
            writer_task: Cell::new(None),
        }
    }

    /// Keeps the connection's tasks, which hold this link: [`cancel_tasks`](Self::cancel_tasks)
    /// must end them when the connection is forgotten.
    pub(crate) fn set_tasks(&self, reader: Task<()>, writer: Task<()>) {
        self.reader_task.set(Some(reader));
        self.writer_task.set(Some(writer));
    }

    /// Cancels the writer task (the core has closed the connection).
    pub(crate) fn cancel_writer(&self) {
        drop(self.writer_task.take());
    }

    /// Cancels both tasks (the connection is forgotten). A task cancelling itself ends once it
    /// yields.
    pub(crate) fn cancel_tasks(&self) {
        drop(self.reader_task.take());
        drop(self.writer_task.take());
    }

    /// Whether the writer found the socket full and has written nothing since.
    pub(crate) fn is_blocked(&self) -> bool {
        self.blocked.get()
    }

    /// Records whether the socket is full.
    pub(crate) fn set_blocked(&self, blocked: bool) {
        self.blocked.set(blocked);
    }

    /// True once the connection is closing or gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Where the core stands with this client.
    pub(crate) fn standing(&self) -> Standing {
        self.standing.get()
    }

    /// Records where the core stands with this client.
    pub(crate) fn set_standing(&self, standing: Standing) {
        self.standing.set(standing);
    }

    /// Marks the connection as gone: its tasks stop feeding the core. Returns the standing
    /// before, to tell the core if it knew the client.
    pub(crate) fn mark_lost(&self) -> Standing {
        self.closed.set(true);
        let standing = self.standing.get();
        self.standing.set(Standing::default());
        standing
    }

    /// Starts the transport: the core's first input for this connection (`Connected` on plain
    /// TCP, `Accepted` otherwise).
    pub(crate) fn start(&self, peer: std::net::SocketAddr) -> chat_core::Input<'static> {
        let mut standing = self.standing.get();
        let input = standing.start(self.id, peer, &mut self.transport.borrow_mut());
        self.standing.set(standing);
        input
    }

    /// What the core must hear of the transport's own buffers, if they moved (memory budget).
    pub(crate) fn buffered(&self) -> Option<chat_core::Input<'static>> {
        let mut standing = self.standing.get();
        let input = standing.buffered(self.id, &self.transport.borrow());
        self.standing.set(standing);
        input
    }

    /// The runtime drops this connection, which is not a client: what the core must hear.
    pub(crate) fn forget(&self) -> Option<chat_core::Input<'static>> {
        let mut standing = self.standing.get();
        let input = standing.forget(self.id);
        self.standing.set(standing);
        input
    }

    /// Queues `frame` after everything queued before, waking the writer if it was idle.
    /// Returns the bytes of the core's frames the transport took at once (never on plain TCP).
    pub(crate) fn push(&self, frame: Bytes) -> usize {
        let mut transport = self.transport.borrow_mut();
        let was_idle = !transport.wants_write();
        let taken = transport.send(frame);
        if was_idle && transport.wants_write() {
            self.writer.wake();
        }
        taken
    }

    /// Ready once there is something to write, or the transport is finished (the writer then
    /// shuts the socket down); parks the writer otherwise.
    pub(crate) fn poll_outbound(&self, cx: &Context<'_>) -> Poll<()> {
        let transport = self.transport.borrow();
        if transport.wants_write() || transport.is_finished() {
            Poll::Ready(())
        } else {
            self.writer.register(cx);
            Poll::Pending
        }
    }

    /// True if the transport has bytes to write.
    pub(crate) fn wants_write(&self) -> bool {
        self.transport.borrow().wants_write()
    }

    /// True once the transport has nothing more to say and nothing left to write.
    pub(crate) fn is_done(&self) -> bool {
        let transport = self.transport.borrow();
        transport.is_finished() && !transport.wants_write()
    }

    /// Writes as much as the socket takes, in one vectored write, without blocking, and
    /// returns what the core must hear (with any data in `data`). A socket that takes nothing
    /// fails with [`io::ErrorKind::WouldBlock`].
    pub(crate) fn flush(&self, data: &mut Vec<u8>) -> io::Result<Heard> {
        let mut transport = self.transport.borrow_mut();
        if !transport.wants_write() {
            return Ok(Heard::default());
        }
        let written = {
            let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
            let count = transport.io_slices(&mut slices);
            self.stream.get_ref().write_vectored(&slices[..count])?
        };
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        // Before the core hears of it: what it sends meanwhile must not find the socket full.
        self.blocked.set(false);
        Ok(transport.advance(written).detach(data))
    }

    /// Reads what is available into `buf` without blocking; `Ok(0)` is end of file.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.get_ref().read(buf)
    }

    /// Passes `bytes` read from the socket through the transport; what the core must hear is
    /// returned (its data in `data`).
    pub(crate) fn receive(&self, bytes: &[u8], data: &mut Vec<u8>) -> Heard {
        let mut transport = self.transport.borrow_mut();
        let heard = transport.receive(bytes).detach(data);
        self.wake_if_writing(&transport);
        heard
    }

    /// On the operator's listener, leaves the server's stats where `/metrics` reads them.
    pub(crate) fn publish_stats(&self, stats: impl FnOnce() -> chat_core::Stats) {
        if let Some(board) = self.transport.borrow().stats_board() {
            board.publish(stats());
        }
    }

    /// The client's end of file, through the transport.
    pub(crate) fn receive_eof(&self, data: &mut Vec<u8>) -> Heard {
        let mut transport = self.transport.borrow_mut();
        let heard = transport.receive_eof().detach(data);
        self.wake_if_writing(&transport);
        heard
    }

    /// Wakes the writer if the transport has something to write (an answer to what was read)
    /// or is finished.
    fn wake_if_writing(&self, transport: &Transport) {
        if transport.wants_write() || transport.is_finished() {
            self.writer.wake();
        }
    }

    /// Ready when the socket may have something to read (or an error or end of file to report).
    pub(crate) fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.poll_readable(cx)
    }

    /// Ready when the socket may take more bytes.
    pub(crate) fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.poll_writable(cx)
    }

    /// The core's `Output::Close`: the transport drops the frames it has not taken and queues
    /// its goodbye (a WebSocket close, a TLS close_notify; nothing on plain TCP). Returns true
    /// if it is finished at once (plain TCP): the caller then shuts the socket down and drops
    /// the writer; otherwise the writer writes the goodbye, then shuts the socket down.
    pub(crate) fn close(&self) -> bool {
        self.closed.set(true);
        let mut standing = self.standing.get();
        standing.close();
        self.standing.set(standing);
        let mut transport = self.transport.borrow_mut();
        transport.close();
        let done = transport.is_finished() && !transport.wants_write();
        if !done {
            self.writer.wake();
        }
        done
    }

    /// Sends FIN after the bytes the kernel already holds. The reader goes on reading and
    /// discarding until the connection is released; the socket is closed when the last task
    /// holding the link ends.
    pub(crate) fn shut_down(&self) {
        if let Err(error) = self.stream.get_ref().shutdown(Shutdown::Write) {
            tracing::debug!(id = %self.id, %error, "shutdown(write) failed");
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every connection has a `Link` behind an `Rc` (16 bytes of counts): at most 144 bytes
    /// keeps the allocation in jemalloc's 160-byte class (issue 10's memory per idle
    /// connection; it was 160 and 192 while the plain transport kept its own copy of the peer's
    /// address, and its two tasks' handles sat beside it in the pump's table).
    #[test]
    fn a_link_fits_a_small_allocation() {
        let size = std::mem::size_of::<super::Link>();
        assert!(size <= 144, "a Link is {size} bytes");
    }
}
