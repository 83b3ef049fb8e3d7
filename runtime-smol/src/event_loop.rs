//! The event loop thread: the core, its timer, the accept tasks and the shutdown sequence, with
//! the connections on the same executor (one I/O thread) or spread over the I/O threads.

use std::convert::Infallible;
use std::rc::Rc;
use std::sync::Arc;

use chat_core::kit::Services;
use chat_core::{Input, Server};
use chat_transport::Endpoint;
use smol::channel::Receiver;
use smol::net::TcpListener;
use smol::{LocalExecutor, Task};

use crate::core_cell::CoreCell;
use crate::hub::Hub;
use crate::io_thread::{self, IoThreads};
use crate::pump::{CoreSide, Ids, Pump};
use crate::{accept, timer};

/// The body of the server thread: serves until `stop` is closed, then shuts down gracefully.
/// Without `io` (one I/O thread) the connections are served on this thread, which drives the
/// core directly; with `io`, this thread is the hub and serves the first share.
pub(crate) fn run(
    server: Server,
    services: Box<dyn Services>,
    listeners: Vec<(TcpListener, Endpoint)>,
    stop: Receiver<Infallible>,
    io: Option<IoThreads>,
) {
    let executor = Rc::new(LocalExecutor::new());
    let core = Rc::new(CoreCell::new(server, services));
    let handles = match io {
        None => {
            smol::block_on(executor.run(serve(&executor, &core, listeners, stop)));
            Vec::new()
        }
        Some(mut io) => {
            let handles = std::mem::take(&mut io.handles);
            smol::block_on(executor.run(serve_hub(&executor, &core, listeners, stop, io)));
            handles
        }
    };
    core.close_services();
    // Dropping the executor drops every task left (the timer, the readers of connections the
    // core released) and with them the last references to the pump.
    drop(executor);
    for handle in handles {
        if handle.join().is_err() {
            tracing::error!("an I/O thread panicked");
        }
    }
    tracing::debug!("event loop ended");
}

/// One I/O thread: the connections' tasks drive the core directly.
async fn serve(
    executor: &Rc<LocalExecutor<'static>>,
    core: &Rc<CoreCell>,
    listeners: Vec<(TcpListener, Endpoint)>,
    stop: Receiver<Infallible>,
) {
    let pump = Rc::new(Pump::new(Rc::downgrade(executor), CoreSide::Here(core.clone()), Ids::of(0, 1)));
    let _window = executor.spawn(pump.window().clone().run());
    let driver = pump.clone();
    let _timer = executor.spawn(timer::run(core.clone(), move |input| driver.drive(input)));
    let driver = pump.clone();
    let _answers = executor.spawn(answers(core.clone(), move |input| driver.drive(input)));
    let acceptors = spawn_acceptors(executor, listeners, &pump, |pump, stream, peer, endpoint| {
        pump.connect(stream, peer, endpoint)
    });
    // Resolves when every sender is gone or closed: `Stopper::stop`, or the handles dropped.
    let _ = stop.recv().await;
    drop(acceptors);
    pump.drive(Input::Shutdown);
    core.wound_down().await;
}

/// Several I/O threads: this thread is the hub, and serves the first share of connections.
async fn serve_hub(
    executor: &Rc<LocalExecutor<'static>>,
    core: &Rc<CoreCell>,
    listeners: Vec<(TcpListener, Endpoint)>,
    stop: Receiver<Infallible>,
    io: IoThreads,
) {
    let threads = io.inboxes.len();
    let endpoints = listeners.iter().map(|(_, endpoint)| endpoint);
    let hub = Rc::new(Hub::new(core.clone(), io.inboxes, io.spared, endpoints));
    let _hub = executor.spawn(hub.clone().run(io.heard));
    let first = io_thread::serve(Rc::downgrade(executor), 0, threads, io.first, io.reports, io.spares);
    let _first = executor.spawn(first);
    let driver = hub.clone();
    let _timer = executor.spawn(timer::run(core.clone(), move |input| {
        driver.drive(input);
        driver.send();
    }));
    let driver = hub.clone();
    let _answers = executor.spawn(answers(core.clone(), move |input| {
        driver.drive(input);
        driver.send();
    }));
    let acceptors = spawn_acceptors(executor, listeners, &hub, |hub, stream, peer, endpoint| {
        hub.accepted(stream, peer, endpoint)
    });
    let _ = stop.recv().await;
    drop(acceptors);
    hub.drive(Input::Shutdown);
    hub.send();
    core.wound_down().await;
    hub.close();
}

/// Feeds the core its services' answers, through `drive`, whenever they ring (from their own
/// threads).
async fn answers(core: Rc<CoreCell>, drive: impl Fn(Input<'static>)) {
    let (bell, rung) = smol::channel::bounded::<()>(1);
    core.set_wake(Arc::new(move || {
        // Full: a ring is already pending, which takes every answer ready.
        let _ = bell.try_send(());
    }));
    while rung.recv().await.is_ok() {
        if let Some(reply) = core.next_answer() {
            drive(Input::Service(reply));
        }
    }
}

/// One accept task per listener, handing each connection to `to` through `hand`.
fn spawn_acceptors<T: 'static>(
    executor: &Rc<LocalExecutor<'static>>,
    listeners: Vec<(TcpListener, Endpoint)>,
    to: &Rc<T>,
    hand: fn(&Rc<T>, smol::net::TcpStream, std::net::SocketAddr, &Endpoint),
) -> Vec<Task<()>> {
    listeners
        .into_iter()
        .map(|(listener, endpoint)| {
            let to = to.clone();
            executor.spawn(accept::run(listener, endpoint, move |stream, peer, endpoint| {
                hand(&to, stream, peer, endpoint)
            }))
        })
        .collect()
}
