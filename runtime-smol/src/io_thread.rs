//! The I/O threads, when there are several: each runs its own executor serving a share of the
//! connections, and talks to the hub (the core's thread) in batches.

use std::io;
use std::rc::{Rc, Weak};
use std::thread::JoinHandle;

use smol::LocalExecutor;
use smol::channel::{Receiver, Sender};

use crate::event::Event;
use crate::hub::Handed;
use crate::outgoing::Outgoing;
use crate::pump::{CoreSide, Ids, Pump};

/// The I/O threads of a server and the channels between them and the hub. The first I/O
/// thread's share runs on the hub's own thread, so `n` I/O threads take `n` threads in all.
pub(crate) struct IoThreads {
    /// Every I/O thread's inbox, the first one's included.
    pub(crate) inboxes: Vec<Sender<Vec<Handed>>>,
    /// The first I/O thread's inbox, served on the hub's thread.
    pub(crate) first: Receiver<Vec<Handed>>,
    /// Where the I/O threads report.
    pub(crate) reports: Sender<Vec<Event>>,
    /// What the hub reads the reports from.
    pub(crate) heard: Receiver<Vec<Event>>,
    /// The other threads, joined after shutdown.
    pub(crate) handles: Vec<JoinHandle<()>>,
}

impl IoThreads {
    /// Starts the I/O threads but the first (`threads` ≥ 2).
    pub(crate) fn start(threads: usize) -> io::Result<Self> {
        let (reports, heard) = smol::channel::unbounded();
        let (inboxes, mut receivers): (Vec<_>, Vec<_>) =
            (0..threads).map(|_| smol::channel::unbounded()).unzip();
        let first = receivers.remove(0);
        let handles = receivers
            .into_iter()
            .enumerate()
            .map(|(index, inbox)| {
                let thread = index + 1;
                let reports = reports.clone();
                std::thread::Builder::new().name(format!("chat-smol-io-{thread}")).spawn(move || {
                    let executor = Rc::new(LocalExecutor::new());
                    smol::block_on(executor.run(serve(
                        Rc::downgrade(&executor),
                        thread,
                        threads,
                        inbox,
                        reports,
                    )));
                    tracing::debug!(thread, "I/O thread ended");
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Self { inboxes, first, reports, heard, handles })
    }
}

/// Serves I/O thread `thread` of `threads` on `executor`: carries out what the hub hands it,
/// reporting what its connections do, until the hub closes its inbox.
pub(crate) async fn serve(
    executor: Weak<LocalExecutor<'static>>,
    thread: usize,
    threads: usize,
    inbox: Receiver<Vec<Handed>>,
    reports: Sender<Vec<Event>>,
) {
    let outgoing = Rc::new(Outgoing::new(reports));
    let Some(_sender) = executor.upgrade().map(|executor| executor.spawn(outgoing.clone().run())) else {
        return;
    };
    let pump = Rc::new(Pump::new(executor, CoreSide::Away(outgoing), Ids::of(thread, threads)));
    while let Ok(batch) = inbox.recv().await {
        for handed in batch {
            match handed {
                Handed::Output(output) => {
                    if let Some(input) = pump.carry(output) {
                        pump.drive(input);
                    }
                }
                Handed::Accepted { stream, peer, endpoint } => pump.connect(stream, peer, &endpoint),
            }
        }
    }
}
