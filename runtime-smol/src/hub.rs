//! [`Hub`]: the core's thread when several I/O threads serve the connections. It feeds the core
//! what the I/O threads report and hands each of them, in batches, the outputs for its
//! connections and the connections it is to serve.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;

use chat_core::{Input, Output};
use chat_transport::Endpoint;
use smol::channel::{Receiver, Sender};
use smol::net::TcpStream;

use crate::core_cell::CoreCell;
use crate::event::Event;
use crate::pump::Ids;

/// What the hub hands an I/O thread.
#[derive(Debug)]
pub(crate) enum Handed {
    /// An output of the core for one of the thread's connections, or for every connection.
    Output(Output),
    /// A new connection for the thread to serve.
    Accepted { stream: TcpStream, peer: SocketAddr, endpoint: Endpoint },
}

/// The core and the I/O threads' inboxes, on the core's thread.
pub(crate) struct Hub {
    core: Rc<CoreCell>,
    /// One inbox per I/O thread.
    threads: Vec<Sender<Vec<Handed>>>,
    /// What each I/O thread gets in its next batch.
    batches: RefCell<Vec<Vec<Handed>>>,
    /// The I/O thread the next accepted connection goes to.
    next_thread: Cell<usize>,
}

impl Hub {
    /// A hub feeding `core` and handing out to `threads`.
    pub(crate) fn new(core: Rc<CoreCell>, threads: Vec<Sender<Vec<Handed>>>) -> Self {
        let batches = RefCell::new(threads.iter().map(|_| Vec::new()).collect());
        Self { core, threads, batches, next_thread: Cell::new(0) }
    }

    /// Feeds the core one input and sorts its outputs into the I/O threads' next batches.
    /// What the core must hear back (a transport took bytes, a socket is full) the I/O thread
    /// reports when it carries the output out.
    pub(crate) fn drive(&self, input: Input<'_>) {
        let mut batches = self.batches.borrow_mut();
        let threads = batches.len();
        self.core.feed(input, |output| {
            match output {
                Output::Transmit { to, .. } | Output::Close { to } | Output::Release { to } => {
                    batches[Ids::thread_of(to, threads)].push(Handed::Output(output));
                }
                Output::PauseReading | Output::ResumeReading => {
                    batches.iter_mut().for_each(|batch| batch.push(Handed::Output(output.clone())));
                }
            }
            None
        });
    }

    /// Hands a freshly accepted connection to the next I/O thread in turn, at once.
    pub(crate) fn accepted(&self, stream: TcpStream, peer: SocketAddr, endpoint: &Endpoint) {
        let thread = self.next_thread.get();
        self.next_thread.set((thread + 1) % self.threads.len());
        let endpoint = endpoint.clone();
        self.batches.borrow_mut()[thread].push(Handed::Accepted { stream, peer, endpoint });
        self.send();
    }

    /// Sends every I/O thread its batch, if it has one: one wake-up per thread.
    pub(crate) fn send(&self) {
        for (batch, inbox) in self.batches.borrow_mut().iter_mut().zip(&self.threads) {
            if !batch.is_empty() && inbox.try_send(std::mem::take(batch)).is_err() {
                tracing::debug!("an I/O thread has ended");
            }
        }
    }

    /// Feeds the core everything the I/O threads report, each round of batches at once, then
    /// sends what it answered, until every I/O thread is gone.
    pub(crate) async fn run(self: Rc<Self>, reports: Receiver<Vec<Event>>) {
        while let Ok(batch) = reports.recv().await {
            batch.iter().for_each(|event| self.drive(event.input()));
            while let Ok(batch) = reports.try_recv() {
                batch.iter().for_each(|event| self.drive(event.input()));
            }
            self.send();
        }
    }

    /// Ends every I/O thread's inbox: each thread ends once it has carried out what it holds.
    pub(crate) fn close(&self) {
        self.threads.iter().for_each(|inbox| {
            inbox.close();
        });
    }
}
