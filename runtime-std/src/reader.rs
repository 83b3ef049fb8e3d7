//! A connection's reader thread, which owns the connection once the spawner has announced it
//! to the core thread: it starts the writer thread, reads until the client's input ends, waits
//! for the writer (which keeps writing to a half-closed client until the core closes it),
//! then tears the connection down.

use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use chat_core::{ClientId, PeerGone};
use chat_transport::Transport;
use crossbeam_channel::Sender;

use crate::capacity::Slot;
use crate::conn::Conn;
use crate::event::{Event, Progress, Senders};
use crate::handoff::Handoff;
use crate::threads::Token;
use crate::writer;

/// Stack size of each connection thread. Both threads only run short, shallow loops; small
/// stacks keep the address space (and the memory really touched) small with thousands of them.
pub(crate) const STACK_SIZE: usize = 64 * 1024;

/// Bytes first asked for per `read`: a chat line is short, and most connections are idle, each
/// holding its buffer while it blocks.
const MIN_READ: usize = 1024;
/// Most bytes asked for per `read`: the buffer doubles up to this whenever a read fills it (a
/// paste, a flood, a benchmark), so bulk input costs few system calls.
const MAX_READ: usize = 16 * 1024;

/// Announces the connection `id` to the core thread, then starts its threads: the reader
/// thread (detached, holding `token`) ends after joining the writer thread once the connection
/// is over, giving back its `slot`.
///
/// The announcement is made here, on the one spawner thread, so that the core hears of
/// connections in the order they were accepted (as with the smol runtime); the reader's own
/// events can only follow it.
pub(crate) fn start(
    id: ClientId,
    peer: SocketAddr,
    stream: TcpStream,
    transport: Transport,
    senders: Senders,
    slot: Slot,
    token: Token,
) -> io::Result<()> {
    let stream = Arc::new(stream);
    let handoff = Arc::new(Handoff::default());
    let conn = Conn::new(Arc::clone(&stream), Arc::clone(&handoff), transport);
    if senders.events.send(Event::Connected { id, peer, conn }).is_err() {
        return Err(io::Error::other("the server is shutting down"));
    }
    let events = senders.events.clone();
    thread::Builder::new()
        .name(format!("chat-read-{}", id.0))
        .stack_size(STACK_SIZE)
        .spawn(move || {
            run(id, peer, stream, handoff, senders);
            drop(slot);
            drop(token);
        })
        .map(drop)
        .inspect_err(|_| {
            let _ = events.send(Event::Disconnected { id, cause: PeerGone::Lost });
        })
}

fn run(id: ClientId, peer: SocketAddr, stream: Arc<TcpStream>, handoff: Arc<Handoff>, senders: Senders) {
    let Senders { events, progress } = senders;
    let lost = progress.clone();
    let writer = {
        let (stream, handoff) = (Arc::clone(&stream), Arc::clone(&handoff));
        thread::Builder::new()
            .name(format!("chat-write-{}", id.0))
            .stack_size(STACK_SIZE)
            .spawn(move || writer::run(id, &stream, &handoff, &progress))
    };
    let writer = match writer {
        Ok(writer) => writer,
        Err(error) => {
            tracing::warn!(%id, %peer, %error, "could not start a writer thread; dropping the connection");
            let _ = events.send(Event::Disconnected { id, cause: PeerGone::Lost });
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    };
    let cause = read_until_gone(id, &stream, &handoff, &events);
    let cause = if handoff.failed() { PeerGone::Lost } else { cause };
    tracing::debug!(%id, ?cause, "input ended");
    if cause == PeerGone::Lost {
        // On the progress channel too, which the core thread reads even while it has paused
        // reading: what the core still counts as queued for this client must be freed.
        let _ = lost.send(Progress::Failed { id });
    }
    if events.send(Event::Disconnected { id, cause }).is_ok() && cause == PeerGone::Closed {
        // Half-closed: the client may still read. The writer goes on until the core closes
        // the connection (or a write fails, which the core must hear of: nothing more can be
        // sent, so it need not wait for the queue to drain).
        join(id, writer);
        if handoff.failed() {
            let _ = events.send(Event::Disconnected { id, cause: PeerGone::Lost });
        }
        let _ = stream.shutdown(Shutdown::Both);
        return;
    }
    // The core thread may not have closed the connection yet: make sure the writer ends.
    handoff.close();
    let _ = stream.shutdown(Shutdown::Both);
    join(id, writer);
}

fn join(id: ClientId, writer: JoinHandle<()>) {
    if writer.join().is_err() {
        tracing::error!(%id, "the writer thread panicked");
    }
}

/// Feeds everything read to the core thread until end of file or an error. Once the core has
/// closed the connection (`handoff` closed), what is read is discarded: the reader only waits
/// for the peer to close its side, so that closing the socket sends no reset.
fn read_until_gone(
    id: ClientId,
    mut stream: &TcpStream,
    handoff: &Handoff,
    events: &Sender<Event>,
) -> PeerGone {
    let mut buffer = vec![0; MIN_READ];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return PeerGone::Closed,
            Ok(_) if handoff.is_closed() => {}
            Ok(n) => {
                if events.send(Event::Received { id, bytes: buffer[..n].to_vec() }).is_err() {
                    return PeerGone::Closed;
                }
                if n == buffer.len() && n < MAX_READ {
                    buffer.resize(n * 2, 0);
                }
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => {
                tracing::debug!(%id, %error, "read failed");
                return PeerGone::Lost;
            }
        }
    }
}
