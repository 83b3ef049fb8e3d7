//! [`Link`]: one client connection as the event loop sees it: the socket and the frames
//! waiting to be written to it.

use std::cell::{Cell, RefCell};
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use chat_core::ClientId;
use chat_core::kit::Outbox;
use smol::Async;

use crate::wake_slot::WakeSlot;

/// One connection: its socket and the frames the core queued for it that the kernel has not
/// taken yet. Shared (by `Rc`) between the connection's reader and writer tasks and the pump.
///
/// It holds no read buffer: reads go into the pump's one scratch buffer, so an idle connection
/// costs a few hundred bytes here.
#[derive(Debug)]
pub(crate) struct Link {
    /// The core's name for this connection.
    pub(crate) id: ClientId,
    stream: Arc<Async<TcpStream>>,
    /// Frames to write, oldest first; the front one may be partly written already.
    outbound: RefCell<Outbox>,
    /// The writer task, parked while `outbound` is empty.
    writer: WakeSlot,
    /// Set once the connection is closing or gone: its tasks must not feed the core any more.
    closed: Cell<bool>,
}

impl Link {
    /// A link for a freshly accepted connection.
    pub(crate) fn new(id: ClientId, stream: Arc<Async<TcpStream>>) -> Self {
        Self {
            id,
            stream,
            outbound: RefCell::default(),
            writer: WakeSlot::default(),
            closed: Cell::new(false),
        }
    }

    /// True once the connection is closing or gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Marks the connection as gone: its tasks stop feeding the core.
    pub(crate) fn mark_closed(&self) {
        self.closed.set(true);
    }

    /// Queues `frame` after everything queued before, waking the writer if it was idle.
    pub(crate) fn push(&self, frame: Bytes) {
        let mut outbound = self.outbound.borrow_mut();
        let was_idle = outbound.is_empty();
        outbound.push(frame);
        if was_idle && !outbound.is_empty() {
            self.writer.wake();
        }
    }

    /// Ready once there is something to write; parks the writer otherwise.
    pub(crate) fn poll_outbound(&self, cx: &Context<'_>) -> Poll<()> {
        if self.outbound.borrow().is_empty() {
            self.writer.register(cx);
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }

    /// Writes as much of the queue as the socket takes, in one vectored write, without
    /// blocking. Returns how many bytes the kernel took (never 0: a socket that takes nothing
    /// fails with [`io::ErrorKind::WouldBlock`]) and how many frames that completed.
    pub(crate) fn flush(&self) -> io::Result<(usize, usize)> {
        let mut outbound = self.outbound.borrow_mut();
        if outbound.is_empty() {
            return Ok((0, 0));
        }
        let written = {
            let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
            let count = outbound.io_slices(&mut slices);
            self.stream.get_ref().write_vectored(&slices[..count])?
        };
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        let frames = outbound.advance(written);
        Ok((written, frames))
    }

    /// Reads what is available into `buf` without blocking; `Ok(0)` is end of file.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.get_ref().read(buf)
    }

    /// Ready when the socket may have something to read (or an error or end of file to report).
    pub(crate) fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.poll_readable(cx)
    }

    /// Ready when the socket may take more bytes.
    pub(crate) fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.poll_writable(cx)
    }

    /// Half-closes (the core's `Output::Close`): drops whatever is still queued and sends FIN
    /// after the bytes the kernel already holds. The reader goes on reading and discarding
    /// until the core releases the connection; the socket is closed when the last task holding
    /// the link ends.
    pub(crate) fn shut_down(&self) {
        self.mark_closed();
        self.outbound.borrow_mut().clear();
        if let Err(error) = self.stream.get_ref().shutdown(Shutdown::Write) {
            tracing::debug!(id = %self.id, %error, "shutdown(write) failed");
        }
    }
}
