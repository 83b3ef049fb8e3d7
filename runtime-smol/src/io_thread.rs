//! The I/O threads, when there are several: each runs its own executor serving a share of the
//! connections, and talks to the hub (the core's thread) in batches.

use std::io;
use std::rc::{Rc, Weak};
use std::thread::JoinHandle;

use smol::channel::{Receiver, Sender};
use smol::{LocalExecutor, future};

use crate::batch::{Batch, Item};
use crate::outgoing::{Outgoing, Report};
use crate::pump::{CoreSide, Ids, Pump};

/// The I/O threads of a server and the channels between them and the hub. The first I/O
/// thread's share runs on the hub's own thread, so `n` I/O threads take `n` threads in all.
pub(crate) struct IoThreads {
    /// Every I/O thread's inbox, the first one's included.
    pub(crate) inboxes: Vec<Sender<Batch>>,
    /// The first I/O thread's inbox, served on the hub's thread.
    pub(crate) first: Receiver<Batch>,
    /// Where the I/O threads report.
    pub(crate) reports: Sender<Report>,
    /// What the hub reads the reports from.
    pub(crate) heard: Receiver<Report>,
    /// Where the I/O threads give back the batches they emptied.
    pub(crate) spares: Sender<Batch>,
    /// What the hub reuses them from.
    pub(crate) spared: Receiver<Batch>,
    /// The other threads, joined after shutdown.
    pub(crate) handles: Vec<JoinHandle<()>>,
}

impl IoThreads {
    /// Starts the I/O threads but the first (`threads` ≥ 2).
    pub(crate) fn start(threads: usize) -> io::Result<Self> {
        let (reports, heard) = smol::channel::unbounded();
        let (spares, spared) = smol::channel::unbounded();
        let (inboxes, mut receivers): (Vec<_>, Vec<_>) =
            (0..threads).map(|_| smol::channel::unbounded()).unzip();
        let first = receivers.remove(0);
        let handles = receivers
            .into_iter()
            .enumerate()
            .map(|(index, inbox)| {
                let thread = index + 1;
                let reports = reports.clone();
                let spares = spares.clone();
                std::thread::Builder::new().name(format!("chat-smol-io-{thread}")).spawn(move || {
                    let executor = Rc::new(LocalExecutor::new());
                    let serving = serve(Rc::downgrade(&executor), thread, threads, inbox, reports, spares);
                    smol::block_on(executor.run(serving));
                    tracing::debug!(thread, "I/O thread ended");
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Self { inboxes, first, reports, heard, spares, spared, handles })
    }
}

/// Serves I/O thread `thread` of `threads` on `executor`: carries out what the hub hands it,
/// reporting what its connections do, until the hub closes its inbox.
pub(crate) async fn serve(
    executor: Weak<LocalExecutor<'static>>,
    thread: usize,
    threads: usize,
    inbox: Receiver<Batch>,
    reports: Sender<Report>,
    spares: Sender<Batch>,
) {
    let outgoing = Rc::new(Outgoing::new(thread, reports));
    let Some(_sender) = executor.upgrade().map(|executor| executor.spawn(outgoing.clone().run())) else {
        return;
    };
    let pump = Rc::new(Pump::new(executor.clone(), CoreSide::Away(outgoing), Ids::of(thread, threads)));
    let Some(_window) = executor.upgrade().map(|executor| executor.spawn(pump.window().clone().run())) else {
        return;
    };
    while let Ok(mut batch) = inbox.recv().await {
        for item in batch.drain() {
            match item {
                Item::Output(output) => {
                    if let Some(input) = pump.carry(output) {
                        pump.drive(input);
                    }
                }
                Item::Accepted(accepted) => pump.connect(accepted.stream, accepted.peer, &accepted.endpoint),
                Item::Answered(count) => pump.answered(count),
            }
        }
        batch.clear();
        if batch.is_worth_keeping() {
            // The hub may be gone (at the end): then the batch is simply dropped.
            let _ = spares.try_send(batch);
        }
        // The writers this batch woke run before the next batch is carried out.
        future::yield_now().await;
    }
}
