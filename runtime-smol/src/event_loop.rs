//! The event loop thread: one executor, the pump, and the shutdown sequence.

use std::convert::Infallible;
use std::rc::Rc;
use std::sync::Arc;

use chat_core::kit::Services;
use chat_core::{Input, Server};
use chat_transport::Endpoint;
use smol::channel::Receiver;
use smol::net::TcpListener;
use smol::{LocalExecutor, Task};

use crate::pump::Pump;
use crate::{accept, timer};

/// The body of the server thread: serves until `stop` is closed, then shuts down gracefully.
pub(crate) fn run(
    server: Server,
    services: Box<dyn Services>,
    listeners: Vec<(TcpListener, Endpoint)>,
    stop: Receiver<Infallible>,
) {
    let executor = Rc::new(LocalExecutor::new());
    smol::block_on(executor.run(serve(&executor, server, services, listeners, stop)));
    // Dropping the executor drops every task left (the timer, the readers of connections the
    // core released) and with them the last references to the pump.
    drop(executor);
    tracing::debug!("event loop ended");
}

async fn serve(
    executor: &Rc<LocalExecutor<'static>>,
    server: Server,
    services: Box<dyn Services>,
    listeners: Vec<(TcpListener, Endpoint)>,
    stop: Receiver<Infallible>,
) {
    let pump = Rc::new(Pump::new(Rc::downgrade(executor), server, services));
    let _timer = executor.spawn(timer::run(pump.clone()));
    let _answers = executor.spawn(answers(pump.clone()));
    let acceptors: Vec<Task<()>> = listeners
        .into_iter()
        .map(|(listener, endpoint)| executor.spawn(accept::run(pump.clone(), listener, endpoint)))
        .collect();
    // Resolves when every sender is gone or closed: `Stopper::stop`, or the handles dropped.
    let _ = stop.recv().await;
    drop(acceptors);
    pump.drive(Input::Shutdown);
    pump.wound_down().await;
    pump.close_services();
}

/// Feeds the core its services' answers whenever they ring (from their own threads).
async fn answers(pump: Rc<Pump>) {
    let (bell, rung) = smol::channel::bounded::<()>(1);
    pump.set_wake(Arc::new(move || {
        // Full: a ring is already pending, which takes every answer ready.
        let _ = bell.try_send(());
    }));
    while rung.recv().await.is_ok() {
        pump.answer();
    }
}
