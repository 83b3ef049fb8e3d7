//! The tasks of one connection: [`read`] and [`write`] while it is open, [`linger`] once the
//! core has closed it.

use std::future::poll_fn;
use std::io::{self, ErrorKind};
use std::rc::Rc;

use chat_core::{Input, PeerGone};
use smol::future;

use crate::link::Link;
use crate::pump::Pump;

/// Feeds what the client sends to the core until the connection ends.
///
/// Waits for readiness first and only then borrows the shared scratch buffer for one
/// non-blocking read, so a waiting reader holds no buffer. After a read that filled the buffer
/// it yields before reading on, so one fast sender cannot starve the others.
pub(crate) async fn read(pump: Rc<Pump>, link: Rc<Link>) {
    let cause = loop {
        if let Err(error) = poll_fn(|cx| link.poll_readable(cx)).await {
            break lost(&link, &error);
        }
        let cause = loop {
            match pump.receive(&link) {
                Ok(0) => break Some(PeerGone::Closed),
                Ok(_) if link.is_closed() => return,
                Ok(read) if read == crate::pump::SCRATCH_SIZE => future::yield_now().await,
                Ok(_) => break None,
                Err(error) if error.kind() == ErrorKind::WouldBlock => break None,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => break Some(lost(&link, &error)),
            }
        };
        if let Some(cause) = cause {
            break cause;
        }
    };
    pump.gone(link.id, cause);
}

/// Writes what the core queues for the client, coalescing everything queued into one vectored
/// write, and reports each write to the core with [`Input::Flushed`]. Waits for writability when
/// the socket is full, so a client that stops reading only ever stalls this task.
pub(crate) async fn write(pump: Rc<Pump>, link: Rc<Link>) {
    loop {
        poll_fn(|cx| link.poll_outbound(cx)).await;
        match link.flush() {
            Ok(written) => {
                pump.drive(Input::Flushed { id: link.id, bytes: written });
                if link.is_closed() {
                    return;
                }
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => {
                if let Err(error) = poll_fn(|cx| link.poll_writable(cx)).await {
                    return pump.gone(link.id, lost(&link, &error));
                }
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return pump.gone(link.id, lost(&link, &error)),
        }
    }
}

/// Keeps a connection the core has closed (FIN already sent) open a little longer, reading and
/// dropping whatever the client still sends, until the client closes its side or the core's
/// grace period runs out. Closing a socket with unread input makes the kernel send a reset,
/// which can destroy the last lines before the client reads them.
pub(crate) async fn linger(pump: Rc<Pump>, link: Rc<Link>) {
    let drain = async {
        loop {
            if poll_fn(|cx| link.poll_readable(cx)).await.is_err() {
                return;
            }
            loop {
                match pump.discard(&link) {
                    Ok(0) => return,
                    Ok(_) => future::yield_now().await,
                    Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                    Err(error) if error.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
        }
    };
    future::or(drain, async {
        smol::Timer::after(pump.close_linger()).await;
    })
    .await;
    pump.lingered();
}

/// Logs why a connection failed; it counts as lost.
fn lost(link: &Link, error: &io::Error) -> PeerGone {
    tracing::debug!(id = %link.id, %error, "connection lost");
    PeerGone::Lost
}
