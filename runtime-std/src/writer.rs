//! A connection's writer thread: drains its [`Outbox`] into the socket.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::net::{Shutdown, TcpStream};

use bytes::{Buf, Bytes};
use chat_core::ClientId;
use crossbeam_channel::Sender;

use crate::event::Progress;
use crate::outbox::Outbox;

/// Most frames handed to one `write_vectored` call (well under every platform's `IOV_MAX`).
const MAX_SLICES: usize = 64;
/// Frames' room kept in a writer's queue after a burst.
const KEEP_FRAMES: usize = 64;

/// Writes whatever is queued in `outbox`, all of it per system call where the socket allows,
/// reporting what it wrote with [`Progress::Flushed`]. Ends when the outbox is closed, when a
/// write fails (the outbox is then marked failed and the socket shut down, so the reader thread
/// reports the connection lost) or when the core thread is gone.
pub(crate) fn run(id: ClientId, stream: &TcpStream, outbox: &Outbox, progress: &Sender<Progress>) {
    let mut batch = VecDeque::new();
    while outbox.take(&mut batch) {
        // The emptied batch becomes the outbox's queue next time: do not keep the room a burst
        // needed for the life of the connection.
        let keep = batch.capacity() <= KEEP_FRAMES;
        match write_batch(id, stream, outbox, &mut batch, progress) {
            Ok(true) if keep => {}
            Ok(true) => batch.shrink_to(KEEP_FRAMES),
            Ok(false) => return,
            Err(error) => {
                if !outbox.is_closed() {
                    tracing::debug!(%id, %error, "write failed");
                    outbox.fail();
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
    outbox: &Outbox,
    batch: &mut VecDeque<Bytes>,
    progress: &Sender<Progress>,
) -> io::Result<bool> {
    while !batch.is_empty() {
        let written = {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let count = batch.len().min(MAX_SLICES);
            for (slice, frame) in slices.iter_mut().zip(batch.iter()) {
                *slice = IoSlice::new(frame);
            }
            match stream.write_vectored(&slices[..count]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => written,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        };
        consume(batch, written);
        if outbox.add_flushed(written) && progress.send(Progress::Flushed { id }).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Removes the first `written` bytes from the front of `batch`.
fn consume(batch: &mut VecDeque<Bytes>, mut written: usize) {
    while written > 0 {
        let Some(front) = batch.front_mut() else { return };
        if written < front.len() {
            front.advance(written);
            return;
        }
        written -= front.len();
        batch.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(frames: &[&'static str]) -> VecDeque<Bytes> {
        frames.iter().map(|f| Bytes::from_static(f.as_bytes())).collect()
    }

    #[test]
    fn consume_handles_whole_and_partial_frames() {
        let mut frames = batch(&["abc\n", "de\n", "fgh\n"]);
        consume(&mut frames, 4);
        assert_eq!(frames, batch(&["de\n", "fgh\n"]));
        consume(&mut frames, 4);
        assert_eq!(frames, batch(&["gh\n"]));
        consume(&mut frames, 3);
        assert!(frames.is_empty());
    }
}
