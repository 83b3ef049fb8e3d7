//! A connection's writer thread: drains its [`Handoff`] into the socket.

use std::io::{self, IoSlice, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use chat_core::ClientId;
use chat_core::kit::Outbox;
use crossbeam_channel::Sender;

use crate::event::Progress;
use crate::handoff::Handoff;

/// How long a write may wait for room in the socket before the writer reports the client's
/// socket blocked (`Input::Blocked`) to the core, which parks the client (broadcasts skip it)
/// and times it from then on. Short, because until then every line said in its room is still
/// queued for it one by one (thousands of clients that never read, each taking 10 lines more
/// per millisecond of a burst, were most of the attack's memory at 100 ms).
pub(crate) const BLOCKED_AFTER: Duration = Duration::from_millis(10);

/// Once the socket is reported blocked, the writer goes on waiting in steps this long
/// (checking whether the connection was closed meanwhile): long enough that thousands of
/// blocked writers cost nothing while they wait.
pub(crate) const WAIT_STEP: Duration = Duration::from_millis(100);

/// Writes whatever is queued in `handoff`, all of it per system call where the socket allows,
/// reporting what it wrote with [`Progress::Flushed`] and a full socket with
/// [`Progress::Blocked`]. Ends when the handoff is closed, when a write fails (the handoff is
/// then marked failed, the socket shut down and the core thread told with [`Progress::Failed`])
/// or when the core thread is gone.
pub(crate) fn run(id: ClientId, stream: &TcpStream, handoff: &Handoff, progress: &Sender<Progress>) {
    set_timeout(id, stream, BLOCKED_AFTER);
    // Once written, the emptied batch (which gave back the room of a burst) becomes the
    // hand-over's queue at the next `take`.
    let mut batch = Outbox::new();
    while handoff.take(&mut batch) {
        match write_batch(id, stream, handoff, &mut batch, progress) {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                if !handoff.is_closed() {
                    tracing::debug!(%id, %error, "write failed");
                    handoff.fail();
                    let _ = stream.shutdown(Shutdown::Both);
                    let _ = progress.send(Progress::Failed { id });
                }
                return;
            }
        }
    }
}

/// Writes every frame in `batch`, leaving it empty. `Ok(false)` if the core thread is gone or
/// the connection was closed meanwhile.
fn write_batch(
    id: ClientId,
    mut stream: &TcpStream,
    handoff: &Handoff,
    batch: &mut Outbox,
    progress: &Sender<Progress>,
) -> io::Result<bool> {
    // Whether the write timeout is the long step (the socket was found full, and nothing was
    // written since).
    let mut waiting = false;
    while !batch.is_empty() {
        let written = {
            let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
            let count = batch.io_slices(&mut slices);
            match stream.write_vectored(&slices[..count]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => written,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) if matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    if handoff.is_closed() {
                        return Ok(false);
                    }
                    if handoff.set_blocked() && progress.send(Progress::Blocked { id }).is_err() {
                        return Ok(false);
                    }
                    if !waiting {
                        waiting = true;
                        set_timeout(id, stream, WAIT_STEP);
                    }
                    continue;
                }
                Err(error) => return Err(error),
            }
        };
        if waiting {
            waiting = false;
            set_timeout(id, stream, BLOCKED_AFTER);
        }
        let frames = batch.advance(written);
        if handoff.add_flushed(written, frames) && progress.send(Progress::Flushed { id }).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Sets how long a write waits for room in the socket.
fn set_timeout(id: ClientId, stream: &TcpStream, timeout: Duration) {
    if let Err(error) = stream.set_write_timeout(Some(timeout)) {
        tracing::debug!(%id, %error, "cannot set a write timeout; a full socket will not be reported");
    }
}
