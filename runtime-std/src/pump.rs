//! The core thread: the only one that touches the [`Server`]. It turns events into inputs,
//! and outputs into frames queued for writer threads or connections closed.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::Instant;

use chat_core::{ClientId, Input, Output, Server};

use crate::Error;
use crate::acceptor::{Acceptors, Listener};
use crate::conn::Conn;
use crate::event::Event;
use crate::stop::StopRequest;

/// Everything the core thread starts with.
pub(crate) struct Start {
    /// The room.
    pub(crate) server: Server,
    /// Where to accept connections.
    pub(crate) listeners: Vec<Listener>,
    /// The events of every other thread.
    pub(crate) events: Receiver<Event>,
    /// A sender for the acceptors to hand to connection threads.
    pub(crate) sender: SyncSender<Event>,
    /// Shutdown requests.
    pub(crate) stop: Arc<StopRequest>,
    /// Told once whether the acceptors started.
    pub(crate) started: SyncSender<Result<(), Error>>,
}

/// The body of the core thread: starts the acceptors, serves until the core has finished
/// shutting down, then ends every thread the server started.
pub(crate) fn run(start: Start) -> Result<(), Error> {
    let Start { server, listeners, events, sender, stop, started } = start;
    let mut acceptors = Acceptors::new();
    let startup = listeners.into_iter().try_for_each(|listener| acceptors.start(listener, &sender));
    drop(sender);
    let mut pump = Pump { server, conns: HashMap::new(), stop, shutting_down: false };
    let served = match startup {
        Ok(()) => {
            let _ = started.send(Ok(()));
            pump.serve(&events, &acceptors)
        }
        Err(error) => {
            let _ = started.send(Err(error));
            Ok(())
        }
    };
    let connections = acceptors.join();
    // Closes the connections still open (only after an error), then every connection whose
    // announcement is still queued, and fails the sends of threads blocked on a full queue.
    drop(pump);
    drop(events);
    let connections = connections?;
    connections.join_all();
    tracing::debug!("every thread has ended");
    served
}

struct Pump {
    server: Server,
    /// Live connections: those announced and neither disconnected nor closed.
    conns: HashMap<ClientId, Conn>,
    stop: Arc<StopRequest>,
    shutting_down: bool,
}

impl Pump {
    /// Feeds events and timeouts to the core until it has finished shutting down.
    fn serve(&mut self, events: &Receiver<Event>, acceptors: &Acceptors) -> Result<(), Error> {
        loop {
            if self.stop.is_requested() && !self.shutting_down {
                self.shutting_down = true;
                acceptors.stop();
                self.feed(Input::Shutdown)?;
            }
            if self.server.is_finished() {
                return Ok(());
            }
            let event = match self.server.poll_timeout() {
                Some(at) => events.recv_timeout(at.saturating_duration_since(Instant::now())),
                None => events.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match event {
                Ok(event) => self.on_event(event)?,
                Err(RecvTimeoutError::Timeout) => self.feed(Input::Timeout)?,
                // Unreachable while the stop request holds a sender; stopping is the safe answer.
                Err(RecvTimeoutError::Disconnected) => self.stop.request(),
            }
        }
    }

    fn on_event(&mut self, event: Event) -> Result<(), Error> {
        match event {
            Event::Connected { id, peer, conn } => {
                self.conns.insert(id, conn);
                self.feed(Input::Connected { id, peer })
            }
            Event::Received { id, bytes } if self.conns.contains_key(&id) => {
                self.feed(Input::Received { id, bytes: &bytes })
            }
            Event::Flushed { id, bytes } if self.conns.contains_key(&id) => {
                self.feed(Input::Flushed { id, bytes })
            }
            Event::Disconnected { id, cause } if self.conns.remove(&id).is_some() => {
                self.feed(Input::Disconnected { id, cause })
            }
            // About a connection already closed: the core must not hear of it again.
            Event::Received { .. } | Event::Flushed { .. } | Event::Disconnected { .. } => Ok(()),
            Event::Wake => Ok(()),
        }
    }

    /// Feeds one input, then carries out every output (the core's invariant).
    fn feed(&mut self, input: Input<'_>) -> Result<(), Error> {
        self.server.handle_input(Instant::now(), input)?;
        while let Some(output) = self.server.poll_output() {
            match output {
                Output::Transmit { to, frame } => {
                    if let Some(conn) = self.conns.get(&to) {
                        conn.send(frame);
                    }
                }
                Output::Close { to } => {
                    // Dropping the handle closes the connection.
                    self.conns.remove(&to);
                }
            }
        }
        Ok(())
    }
}
