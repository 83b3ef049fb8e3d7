//! The tasks of one connection: [`read`] until its input ends, [`write`] until the core closes
//! it.

use std::future::poll_fn;
use std::io::ErrorKind;
use std::rc::Rc;

use smol::future;

use crate::link::Link;
use crate::pump::Pump;

/// Feeds what the client sends to the core until its input ends, then reports that.
///
/// Waits until the core lets it read (it pauses reading while the server's queued output is
/// over its budget) and for readiness, and only then borrows the shared scratch buffer for
/// one non-blocking read, so a waiting reader holds no buffer. After each read it yields, so
/// that the writers of what that read produced run before the next read: fan-out cannot pile
/// up behind a crowd of readers, and one fast sender cannot starve the others.
///
/// End of file may be a half-close (`nc -N`, `printf ... | nc`): the client still reads, so
/// only this task ends; the writer goes on until the core closes the connection. Once the core
/// has closed the connection (it lingers), what is read is discarded, and the client's end of
/// input is still reported: the core then releases the connection.
pub(crate) async fn read(pump: Rc<Pump>, link: Rc<Link>) {
    loop {
        poll_fn(|cx| pump.poll_may_read(&link, cx)).await;
        if let Err(error) = poll_fn(|cx| link.poll_readable(cx)).await {
            return pump.lost(&link, &error);
        }
        loop {
            match pump.receive(&link) {
                Ok(0) => return pump.end_of_input(&link),
                Ok(read) => {
                    future::yield_now().await;
                    if read < crate::pump::SCRATCH_SIZE || (pump.is_reading_paused() && !link.is_closed()) {
                        break;
                    }
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return pump.lost(&link, &error),
            }
        }
    }
}

/// Writes what the transport has for the client (on plain TCP, the core's frames), coalescing
/// everything queued into one vectored write, and reports each write to the core (through the
/// transport: `Input::Flushed`). Once the transport is finished, it shuts the socket down. When the socket is full
/// it reports `Input::Blocked` (once, until the next write goes through) and waits for
/// writability, so a client that stops reading only ever stalls this task.
pub(crate) async fn write(pump: Rc<Pump>, link: Rc<Link>) {
    loop {
        poll_fn(|cx| link.poll_outbound(cx)).await;
        if link.wants_write() && pump.window().is_busy() {
            // More lines may come for this client before the thread's next tick.
            pump.window().next_tick().await;
        }
        if !link.wants_write() {
            // The transport is finished (after its goodbye, an HTTP answer, an error).
            link.shut_down();
            return pump.retire_if_done(&link);
        }
        match pump.write(&link) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::WouldBlock => {
                if !link.is_blocked() {
                    link.set_blocked(true);
                    pump.blocked(&link);
                }
                if let Err(error) = poll_fn(|cx| link.poll_writable(cx)).await {
                    return pump.lost(&link, &error);
                }
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return pump.lost(&link, &error),
        }
    }
}
