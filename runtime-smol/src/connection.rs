//! The tasks of one connection: [`read`] and [`write`] while it is open, [`linger`] once the
//! core has closed it.

use std::future::poll_fn;
use std::io::ErrorKind;
use std::rc::Rc;

use chat_core::Input;
use smol::future;

use crate::link::Link;
use crate::pump::Pump;

/// Feeds what the client sends to the core until its input ends.
///
/// Waits for readiness first and only then borrows the shared scratch buffer for one
/// non-blocking read, so a waiting reader holds no buffer. After a read that filled the buffer
/// it yields before reading on, so one fast sender cannot starve the others.
///
/// End of file may be a half-close (`nc -N`, `printf ... | nc`): the client still reads, so
/// only this task ends; the writer goes on until the core closes the connection.
pub(crate) async fn read(pump: Rc<Pump>, link: Rc<Link>) {
    loop {
        if let Err(error) = poll_fn(|cx| link.poll_readable(cx)).await {
            return pump.lost(&link, &error);
        }
        loop {
            match pump.receive(&link) {
                Ok(0) => return pump.end_of_input(&link),
                Ok(_) if link.is_closed() => return,
                Ok(read) if read == crate::pump::SCRATCH_SIZE => future::yield_now().await,
                Ok(_) => break,
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return pump.lost(&link, &error),
            }
        }
    }
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
                    return pump.lost(&link, &error);
                }
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return pump.lost(&link, &error),
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
