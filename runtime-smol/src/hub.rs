//! [`Hub`]: the core's thread when several I/O threads serve the connections. It feeds the core
//! what the I/O threads report and hands each of them, in batches, the outputs for its
//! connections and the connections it is to serve.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;

use chat_core::{Input, Output};
use chat_transport::{Endpoint, StatsBoard};
use smol::channel::{Receiver, Sender};
use smol::net::TcpStream;

use crate::batch::{Accepted, Batch};
use crate::core_cell::CoreCell;
use crate::outgoing::Report;
use crate::pump::Ids;

/// The core and the I/O threads' inboxes, on the core's thread.
pub(crate) struct Hub {
    core: Rc<CoreCell>,
    /// One inbox per I/O thread.
    threads: Vec<Sender<Batch>>,
    /// What each I/O thread gets in its next batch.
    batches: RefCell<Vec<Batch>>,
    /// Emptied batches the I/O threads gave back, to fill again.
    spares: Receiver<Batch>,
    /// The I/O thread that takes the next accepted connection (each in turn).
    next_thread: Cell<usize>,
    /// Where `/metrics` reads the core's stats (the operator's listeners): the core's thread
    /// leaves them there after every round, since the connections asking are on other threads.
    boards: Vec<StatsBoard>,
}

impl Hub {
    /// A hub feeding `core` and handing out to `threads` the connections of listeners with
    /// `endpoints`.
    pub(crate) fn new<'a>(
        core: Rc<CoreCell>,
        threads: Vec<Sender<Batch>>,
        spares: Receiver<Batch>,
        endpoints: impl IntoIterator<Item = &'a Endpoint>,
    ) -> Self {
        let batches = RefCell::new(threads.iter().map(|_| Batch::default()).collect());
        let boards = endpoints.into_iter().filter_map(Endpoint::stats_board).cloned().collect();
        Self { core, threads, batches, spares, next_thread: Cell::new(0), boards }
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
                    let thread = Ids::thread_of(to, threads);
                    batches[thread].push_output(output);
                }
                Output::PauseReading | Output::ResumeReading => {
                    batches.iter_mut().for_each(|batch| batch.push_output(output.clone()));
                }
                // The core cell hands requests to the services itself.
                Output::Service(_) => tracing::error!("a service request reached the hub (a runtime bug)"),
            }
            None
        });
    }

    /// Hands a freshly accepted connection to the next I/O thread in turn, at once.
    pub(crate) fn accepted(&self, stream: TcpStream, peer: SocketAddr, endpoint: &Endpoint) {
        let thread = self.next_thread.get();
        self.next_thread.set((thread + 1) % self.threads.len());
        let endpoint = endpoint.clone();
        self.batches.borrow_mut()[thread].push_accepted(Accepted { stream, peer, endpoint });
        self.send();
    }

    /// Sends every I/O thread its batch, if it has one: one wake-up per thread. (The next
    /// batch reuses one an I/O thread emptied, when there is one: its memory is mapped and
    /// warm.) The stats go on the boards first, so a client that heard of this round and then
    /// asks for `/metrics` sees it counted.
    pub(crate) fn send(&self) {
        if !self.boards.is_empty() {
            let stats = self.core.stats();
            self.boards.iter().for_each(|board| board.publish(stats));
        }
        for (batch, inbox) in self.batches.borrow_mut().iter_mut().zip(&self.threads) {
            if batch.is_empty() {
                continue;
            }
            let full = std::mem::replace(batch, self.spares.try_recv().unwrap_or_default());
            if inbox.try_send(full).is_err() {
                tracing::debug!("an I/O thread has ended");
            }
        }
    }

    /// Feeds the core everything the I/O threads report, each round of batches at once, then
    /// sends what it made of them, with the answers to the batches holding data read, until
    /// every I/O thread is gone.
    pub(crate) async fn run(self: Rc<Self>, reports: Receiver<Report>) {
        let mut answers = vec![0; self.threads.len()];
        while let Ok(report) = reports.recv().await {
            self.hear(report, &mut answers);
            while let Ok(report) = reports.try_recv() {
                self.hear(report, &mut answers);
            }
            for (batch, answered) in self.batches.borrow_mut().iter_mut().zip(&mut answers) {
                if *answered > 0 {
                    batch.push_answered(std::mem::take(answered));
                }
            }
            self.send();
        }
    }

    /// Feeds the core one report, counting it in `answers` if it is to be answered.
    fn hear(&self, report: Report, answers: &mut [usize]) {
        report.events.iter().for_each(|event| self.drive(event.input()));
        if report.read {
            answers[report.thread] += 1;
        }
    }

    /// Ends every I/O thread's inbox: each thread ends once it has carried out what it holds.
    pub(crate) fn close(&self) {
        self.threads.iter().for_each(|inbox| {
            inbox.close();
        });
    }
}
