//! [`Batch`]: what the hub hands one I/O thread at once.

use std::net::SocketAddr;

use bytes::Bytes;
use chat_core::{ClientId, Output};
use chat_transport::Endpoint;
use smol::net::TcpStream;

/// The outputs of the core for one I/O thread's connections, in order, and the connections it
/// is to serve. A broadcast is one frame and one small entry per recipient: the frame is kept
/// once per batch, which keeps what crosses between threads to 16 bytes a delivery.
///
/// The frames are the core's own, shared with the other threads. (Each thread but the hub's
/// used to make its own copy of each frame of a batch, so that no reference count was shared
/// between cores; since the core hands a parked client what it is owed a window at a time, a
/// batch holds many frames for few recipients each, and the copies, allocated on one thread and
/// freed on another, halved the rate at 10,000 lines/s and doubled the CPU time.)
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// The frames the entries name, each once.
    frames: Vec<Bytes>,
    /// Where the last frame came from (the core's frame, by address and length).
    last: (usize, usize),
    entries: Vec<Handed>,
}

/// Emptied batches up to this many entries' room go back to the hub for reuse (their memory
/// stays mapped and warm); larger ones, after a burst, are freed.
const KEEP_ENTRIES: usize = 1 << 16;

/// One entry of a [`Batch`].
#[derive(Debug)]
enum Handed {
    /// [`Output::Transmit`] of `frames[frame]`.
    Transmit { to: ClientId, frame: u32 },
    /// Any other output of the core (rare: boxed, to keep transmits small).
    Output(Box<Output>),
    /// A new connection for the thread to serve.
    Accepted(Box<Accepted>),
    /// The core has had this many of the thread's batches with data read, and what it made of
    /// them comes before this.
    Answered(usize),
}

/// A connection accepted, for an I/O thread to serve.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub(crate) stream: TcpStream,
    pub(crate) peer: SocketAddr,
    pub(crate) endpoint: Endpoint,
}

/// One item of a [`Batch`], as the I/O thread carries it out.
pub(crate) enum Item {
    /// An output of the core.
    Output(Output),
    /// A new connection.
    Accepted(Box<Accepted>),
    /// See [`Batch::push_answered`].
    Answered(usize),
}

impl Batch {
    /// True if there is nothing in it.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether an emptied batch is worth keeping for reuse: its room is not a burst's.
    pub(crate) fn is_worth_keeping(&self) -> bool {
        self.entries.capacity() <= KEEP_ENTRIES
    }

    /// Adds one output of the core.
    pub(crate) fn push_output(&mut self, output: Output) {
        match output {
            Output::Transmit { to, frame } => {
                let source = (frame.as_ptr() as usize, frame.len());
                if self.frames.is_empty() || self.last != source {
                    self.last = source;
                    self.frames.push(frame);
                }
                let frame = u32::try_from(self.frames.len() - 1).unwrap_or(u32::MAX);
                self.entries.push(Handed::Transmit { to, frame });
            }
            output => self.entries.push(Handed::Output(Box::new(output))),
        }
    }

    /// Adds a new connection.
    pub(crate) fn push_accepted(&mut self, accepted: Accepted) {
        self.entries.push(Handed::Accepted(Box::new(accepted)));
    }

    /// Adds the answer to `count` batches with data read (after what the core made of them).
    pub(crate) fn push_answered(&mut self, count: usize) {
        self.entries.push(Handed::Answered(count));
    }

    /// Takes the items out, in order, leaving the batch empty (with its room, for reuse).
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Item> + '_ {
        let frames = &self.frames;
        self.entries.drain(..).map(move |entry| match entry {
            Handed::Transmit { to, frame } => {
                let frame = frames.get(frame as usize).cloned().unwrap_or_default();
                Item::Output(Output::Transmit { to, frame })
            }
            Handed::Output(output) => Item::Output(*output),
            Handed::Accepted(accepted) => Item::Accepted(accepted),
            Handed::Answered(count) => Item::Answered(count),
        })
    }

    /// Drops the frames of a drained batch.
    pub(crate) fn clear(&mut self) {
        self.frames.clear();
        self.last = (0, 0);
        self.entries.clear();
    }
}
