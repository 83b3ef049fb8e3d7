//! The core thread: the only one that touches the [`Server`]. It turns events into inputs,
//! and outputs into frames queued for writer threads or connections closed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chat_core::kit::Services;
use chat_core::{ClientId, Input, Output, PeerGone, Server};
use chat_transport::Heard;
use crossbeam_channel::{RecvError, Select};

use crate::Error;
use crate::acceptor::{Acceptors, Listener};
use crate::capacity::Capacity;
use crate::conn::Conn;
use crate::event::{Event, Progress, Receivers, Senders};
use crate::stop::StopRequest;

/// Most events handled before the frames they produced are handed to the writer threads:
/// handing them over once per batch rather than once per frame takes each writer's lock and
/// wakes it once, lets it write more at a time, and saves the core thread system calls; the
/// bound keeps writers from waiting long while input pours in.
const WAKE_BATCH: usize = 64;

/// Most frames held back per connection (counting at least 512 connections) before they are
/// handed over, whatever the number of events: a burst of input broadcast to a big room would
/// otherwise hold millions of frame handles (32 bytes each) between hand-overs. At this many,
/// each writer already gets plenty per wake-up.
const FRAMES_PER_CONN: usize = 256;

/// Everything the core thread starts with.
pub(crate) struct Start {
    /// The room.
    pub(crate) server: Server,
    /// The threads beside the event loop.
    pub(crate) services: Box<dyn Services>,
    /// Where to accept connections.
    pub(crate) listeners: Vec<Listener>,
    /// What the other threads report.
    pub(crate) receivers: Receivers,
    /// For the acceptors to hand to connection threads.
    pub(crate) senders: Senders,
    /// Shutdown requests.
    pub(crate) stop: Arc<StopRequest>,
    /// Told once whether the acceptors started.
    pub(crate) started: crossbeam_channel::Sender<Result<(), Error>>,
}

/// The body of the core thread: starts the acceptors, serves until the core has finished
/// shutting down, then ends every thread the server started.
pub(crate) fn run(start: Start) -> Result<(), Error> {
    let Start { server, mut services, listeners, receivers, senders, stop, started } = start;
    let ring = senders.progress.clone();
    services.set_wake(Arc::new(move || {
        // Full: the core thread has reports to take, and takes every answer ready with them.
        let _ = ring.try_send(Progress::Answers);
    }));
    let capacity = Capacity::of_this_process();
    let mut acceptors = match Acceptors::new(senders.clone(), capacity, server.full_notice()) {
        Ok(acceptors) => acceptors,
        Err(error) => {
            let _ = started.send(Err(error));
            return Ok(());
        }
    };
    let startup = listeners.into_iter().try_for_each(|listener| acceptors.start(listener));
    // Held until the end, so neither channel disconnects while the core thread waits on it.
    let _senders = senders;
    let mut pump = Pump {
        server,
        conns: HashMap::new(),
        reading_paused: false,
        stop,
        shutting_down: false,
        unflushed: Vec::new(),
        unwoken: 0,
        held: 0,
        inbound: Vec::new(),
        services,
    };
    match startup {
        Ok(()) => {
            let _ = started.send(Ok(()));
            pump.serve(&receivers, &acceptors);
        }
        Err(error) => {
            let _ = started.send(Err(error));
        }
    }
    pump.services.close();
    let connections = acceptors.join();
    // Closes the connections still open (only after a start-up error), then every connection whose
    // announcement is still queued, and fails the sends of threads blocked on a full queue.
    drop(pump);
    drop(receivers);
    connections?.join_all();
    tracing::debug!("every thread has ended");
    Ok(())
}

struct Pump {
    server: Server,
    /// Connections announced and neither lost nor released by the core (those it has closed
    /// linger here until it releases them).
    conns: HashMap<ClientId, Conn>,
    /// The core asked to stop reading: events from readers wait in their queue.
    reading_paused: bool,
    stop: Arc<StopRequest>,
    shutting_down: bool,
    /// Connections with frames to hand to their writers once the input at hand is handled.
    unflushed: Vec<ClientId>,
    /// Events handled since writers were last woken.
    unwoken: usize,
    /// Frames held back since writers were last woken.
    held: usize,
    /// Chat bytes a transport passed on, for the core (on plain TCP, what was read).
    inbound: Vec<u8>,
    /// The threads beside the event loop (database, passwords, bus).
    services: Box<dyn Services>,
}

/// What the core thread woke up for.
enum Wakeup {
    Event(Event),
    Progress(Progress),
    Timeout,
}

impl Pump {
    /// Feeds events and timeouts to the core until it has finished shutting down.
    fn serve(&mut self, receivers: &Receivers, acceptors: &Acceptors) {
        loop {
            if self.stop.is_requested() && !self.shutting_down {
                self.shutting_down = true;
                acceptors.stop();
                self.feed(Input::Shutdown);
            }
            if self.server.is_finished() {
                return;
            }
            // Writers' progress first, so input never makes a client look slower than it is.
            let ready = match receivers.progress.try_recv() {
                Ok(progress) => Some(Wakeup::Progress(progress)),
                Err(_) if self.reading_paused => None,
                Err(_) => receivers.events.try_recv().ok().map(Wakeup::Event),
            };
            let wakeup = match ready {
                Some(wakeup) if self.unwoken < WAKE_BATCH && self.held < self.frame_batch() => wakeup,
                Some(wakeup) => {
                    self.wake_writers();
                    wakeup
                }
                None => {
                    self.wake_writers();
                    self.next(receivers)
                }
            };
            self.unwoken += 1;
            match wakeup {
                Wakeup::Event(event) => self.on_event(event),
                Wakeup::Progress(progress) => self.on_progress(progress),
                Wakeup::Timeout => self.feed(Input::Timeout),
            }
        }
    }

    /// How many frames may be held back before they are handed over.
    fn frame_batch(&self) -> usize {
        FRAMES_PER_CONN * self.conns.len().max(512)
    }

    /// Hands the frames of the last batch of input to their writers, waking those that sleep.
    fn wake_writers(&mut self) {
        let mut unflushed = std::mem::take(&mut self.unflushed);
        for id in unflushed.drain(..) {
            self.flush(id);
        }
        // Keeps the list's room for the next batch (flushing may have queued more).
        unflushed.append(&mut self.unflushed);
        self.unflushed = unflushed;
        self.unwoken = 0;
        self.held = 0;
    }

    /// Hands what connection `id`'s transport has to write to its writer, and tells the core
    /// what that did.
    fn flush(&mut self, id: ClientId) {
        // A connection released meanwhile has dropped its frames with it.
        let Some(conn) = self.conns.get_mut(&id) else { return };
        let heard = conn.flush(&mut self.inbound);
        self.hear(id, heard);
    }

    /// Feeds the core what connection `id`'s transport reported (its data in `inbound`), in
    /// order, as [`chat_transport::Standing`] allows; then drops the connection if the core
    /// does not know it and its transport is done, or remembers to flush it.
    fn hear(&mut self, id: ClientId, heard: Heard) {
        let inbound = std::mem::take(&mut self.inbound);
        let talked = heard != Heard::default() || !inbound.is_empty();
        if let Some(conn) = self.conns.get_mut(&id).filter(|_| talked) {
            for input in conn.standing.inputs(id, heard, &inbound) {
                // The core may close the connection while it hears the first of these.
                let progress = matches!(input, Input::Received { .. } | Input::Flushed { .. });
                let live = self
                    .conns
                    .get(&id)
                    .is_some_and(|conn| conn.standing.is_known() && !conn.standing.is_closed());
                if !progress || live {
                    self.feed(input);
                }
            }
        }
        self.inbound = inbound;
        self.inbound.clear();
        // What the transport holds, for the memory budget (never on plain TCP).
        if let Some(input) = self.conns.get_mut(&id).and_then(|conn| conn.buffered(id)) {
            self.feed(input);
        }
        let Some(conn) = self.conns.get_mut(&id) else { return };
        if !conn.standing.is_known() && conn.is_done() {
            tracing::debug!(%id, "finished");
            if let Some(input) = self.conns.remove(&id).and_then(|mut conn| conn.standing.forget(id)) {
                self.feed(input);
            }
        } else if conn.wants_flush() && conn.list() {
            self.unflushed.push(id);
        }
    }

    /// Waits for the next event, progress report or timeout of the core.
    fn next(&mut self, receivers: &Receivers) -> Wakeup {
        let mut select = Select::new_biased();
        let progress = select.recv(&receivers.progress);
        if !self.reading_paused {
            select.recv(&receivers.events);
        }
        let ready = match self.server.poll_timeout() {
            Some(deadline) => match select.select_deadline(deadline) {
                Ok(ready) => ready,
                Err(_) => return Wakeup::Timeout,
            },
            None => select.select(),
        };
        let received = if ready.index() == progress {
            ready.recv(&receivers.progress).map(Wakeup::Progress)
        } else {
            ready.recv(&receivers.events).map(Wakeup::Event)
        };
        // Unreachable: `run` holds a sender of each channel while it serves.
        received.unwrap_or_else(|RecvError| Wakeup::Progress(Progress::Wake))
    }

    fn on_progress(&mut self, progress: Progress) {
        match progress {
            // Bytes taken with an earlier report, or about a connection already released, come
            // to nothing: the core must not hear of it again.
            Progress::Flushed { id } => {
                if let Some(heard) = self.conns.get_mut(&id).map(Conn::take_written) {
                    self.hear(id, heard);
                }
            }
            // Only if the writer has not written since: a report read late must not mark a
            // socket blocked after it took bytes again.
            Progress::Blocked { id }
                if self.conns.get(&id).is_some_and(|conn| {
                    conn.is_blocked() && conn.standing.is_known() && !conn.standing.is_closed()
                }) =>
            {
                self.feed(Input::Blocked { id })
            }
            Progress::Failed { id } => self.disconnected(id, PeerGone::Lost),
            Progress::Answers => {
                if let Some(reply) = self.services.try_reply() {
                    self.feed(Input::Service(reply));
                }
            }
            Progress::Blocked { .. } | Progress::Wake => {}
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Connected { id, peer, mut conn } => {
                let input = conn.start(id, peer);
                self.conns.insert(id, conn);
                self.feed(input);
            }
            Event::Received { id, bytes } => {
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.publish_stats(|| self.server.stats());
                    let heard = conn.receive(&bytes, &mut self.inbound);
                    self.hear(id, heard);
                }
            }
            Event::Disconnected { id, cause } => self.disconnected(id, cause),
        }
    }

    /// The connection's input ended (end of file: the client may still read until the core
    /// closes it, or, if the core has closed it, the core now releases it) or it was lost (reset
    /// or error: nothing more can be sent, and the core forgets the client). Reports about a
    /// connection already released or lost are dropped: the core must not hear of it again.
    fn disconnected(&mut self, id: ClientId, cause: PeerGone) {
        match cause {
            PeerGone::Closed => {
                if let Some(conn) = self.conns.get_mut(&id) {
                    let heard = conn.receive_eof(&mut self.inbound);
                    self.hear(id, heard);
                }
            }
            PeerGone::Lost => {
                if let Some(input) = self.conns.remove(&id).and_then(|mut conn| conn.standing.lost(id)) {
                    self.feed(input);
                }
            }
        }
    }

    /// Feeds one input, then carries out every output (the core's invariant). An input the
    /// core refuses is a bug in this runtime, not anything a client did: it is logged, and the
    /// server carries on (as the smol runtime does).
    /// The services' answers that are ready are fed likewise.
    fn feed(&mut self, input: Input<'_>) {
        if let Err(error) = self.server.handle_input(Instant::now(), input) {
            tracing::error!(%error, "the core refused an input (a runtime bug)");
        }
        self.carry_out();
        while let Some(reply) = self.services.try_reply() {
            if let Err(error) = self.server.handle_input(Instant::now(), Input::Service(reply)) {
                tracing::error!(%error, "the core refused an input (a runtime bug)");
            }
            self.carry_out();
        }
    }

    /// Carries out every output the core has.
    fn carry_out(&mut self) {
        let now = Instant::now();
        while let Some(output) = self.server.poll_output() {
            match output {
                Output::Transmit { to, frame } => {
                    if let Some(conn) = self.conns.get_mut(&to) {
                        self.held += 1;
                        let taken = conn.send(frame);
                        if conn.list() {
                            self.unflushed.push(to);
                        }
                        let follow = match (taken, conn.is_blocked()) {
                            // Taken into a transport's own bounded buffer (TLS, WebSocket).
                            (1.., _) => Some(Input::Flushed { id: to, bytes: taken, frames: 0 }),
                            // The core's queue grows behind a full socket: the core ignores a
                            // full socket while nothing of its own waits (a transport took it all).
                            (0, true) => Some(Input::Blocked { id: to }),
                            (0, false) => None,
                        };
                        if let Some(input) = follow
                            && let Err(error) = self.server.handle_input(now, input)
                        {
                            tracing::error!(%error, "the core refused an input (a runtime bug)");
                        }
                    }
                }
                Output::Close { to } => {
                    if let Some(conn) = self.conns.get_mut(&to) {
                        conn.close();
                        if conn.wants_flush() && conn.list() {
                            self.unflushed.push(to);
                        }
                    }
                }
                // Dropping the handle shuts the socket down, which ends its threads.
                Output::Release { to } => drop(self.conns.remove(&to)),
                Output::PauseReading => self.reading_paused = true,
                Output::ResumeReading => self.reading_paused = false,
                Output::Service(request) => self.services.request(*request),
            }
        }
    }
}
