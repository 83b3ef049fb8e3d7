//! A connection's writer thread: drains its [`Handoff`] into the socket.

use std::io::{self, IoSlice, Write};
use std::net::{Shutdown, TcpStream};

use chat_core::{ClientId, Outbox};
use crossbeam_channel::Sender;

use crate::event::Progress;
use crate::handoff::Handoff;

/// Writes whatever is queued in `handoff`, all of it per system call where the socket allows,
/// reporting what it wrote with [`Progress::Flushed`]. Ends when the handoff is closed, when a
/// write fails (the handoff is then marked failed and the socket shut down, so the reader thread
/// reports the connection lost) or when the core thread is gone.
pub(crate) fn run(id: ClientId, stream: &TcpStream, handoff: &Handoff, progress: &Sender<Progress>) {
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
                }
                return;
            }
        }
    }
}

/// Writes every frame in `batch`, leaving it empty. `Ok(false)` if the core thread is gone.
fn write_batch(
    id: ClientId,
    mut stream: &TcpStream,
    handoff: &Handoff,
    batch: &mut Outbox,
    progress: &Sender<Progress>,
) -> io::Result<bool> {
    while !batch.is_empty() {
        let written = {
            let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
            let count = batch.io_slices(&mut slices);
            match stream.write_vectored(&slices[..count]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => written,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        };
        batch.advance(written);
        if handoff.add_flushed(written) && progress.send(Progress::Flushed { id }).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}
