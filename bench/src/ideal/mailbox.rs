//! What one worker thread of the ideal broadcaster receives from the others: chunks of lines to
//! pass on, and connections to take over. Posting wakes the thread through its poller.

use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use polling::Poller;

/// Complete lines from one read of one connection, shared by every thread that passes them on.
#[derive(Debug)]
pub struct Chunk {
    /// The connection that sent them, which does not get them back.
    pub from: u64,
    /// The lines, each ending in `\n`.
    pub bytes: Box<[u8]>,
}

/// What a thread has been sent since it last looked.
#[derive(Debug, Default)]
pub struct Mail {
    /// Chunks to pass on, in the order they were read.
    pub chunks: Vec<Arc<Chunk>>,
    /// New connections for this thread, with their ids.
    pub arrivals: Vec<(u64, TcpStream)>,
}

impl Mail {
    fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.arrivals.is_empty()
    }
}

/// A thread's poller and the mail waiting for it.
#[derive(Debug)]
pub struct Mailbox {
    /// The thread's poller: it waits on it, and others wake it through it.
    pub poller: Poller,
    mail: Mutex<Mail>,
}

impl Mailbox {
    /// A mailbox with a new poller.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self { poller: Poller::new()?, mail: Mutex::new(Mail::default()) })
    }

    /// Sends the thread a chunk to pass on.
    pub fn post_chunk(&self, chunk: Arc<Chunk>) {
        self.post(|mail| mail.chunks.push(chunk));
    }

    /// Hands the thread a new connection.
    pub fn post_arrival(&self, id: u64, stream: TcpStream) {
        self.post(|mail| mail.arrivals.push((id, stream)));
    }

    /// Wakes the thread, for it to see that the broadcaster is stopping.
    pub fn wake(&self) {
        // A failed wake-up (the eventfd cannot fail short of a bug) only delays the thread until
        // its next socket event.
        let _ = self.poller.notify();
    }

    /// Moves everything posted so far into `into`, which must be empty.
    pub fn take(&self, into: &mut Mail) {
        std::mem::swap(&mut *self.mail.lock().expect("mailbox lock"), into);
    }

    fn post(&self, put: impl FnOnce(&mut Mail)) {
        let mut mail = self.mail.lock().expect("mailbox lock");
        // The thread empties its mailbox after every wake-up, so one wake-up per batch is enough.
        let first = mail.is_empty();
        put(&mut mail);
        drop(mail);
        if first {
            self.wake();
        }
    }
}
