//! The core thread: the only one that touches the [`Server`]. It turns events into inputs,
//! and outputs into frames queued for writer threads or connections closed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chat_core::{ClientId, Input, Output, PeerGone, Server};
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
    let Start { server, listeners, receivers, senders, stop, started } = start;
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
        for id in self.unflushed.drain(..) {
            // A connection closed meanwhile has dropped its frames with it.
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.flush();
            }
        }
        self.unwoken = 0;
        self.held = 0;
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
            Progress::Flushed { id } => match self.conns.get(&id).map(Conn::take_flushed) {
                Some((bytes, frames)) if bytes > 0 => self.feed(Input::Flushed { id, bytes, frames }),
                // Taken with an earlier report, or about a connection already released (the
                // core must not hear of it again).
                _ => {}
            },
            // Only if the writer has not written since: a report read late must not mark a
            // socket blocked after it took bytes again.
            Progress::Blocked { id } if self.conns.get(&id).is_some_and(Conn::is_blocked) => {
                self.feed(Input::Blocked { id })
            }
            Progress::Failed { id } => self.disconnected(id, PeerGone::Lost),
            Progress::Blocked { .. } | Progress::Wake => {}
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Connected { id, peer, conn } => {
                self.conns.insert(id, conn);
                self.feed(Input::Connected { id, peer })
            }
            Event::Received { id, bytes } if self.conns.contains_key(&id) => {
                self.feed(Input::Received { id, bytes: &bytes })
            }
            Event::Disconnected { id, cause } => self.disconnected(id, cause),
            // About a connection already released.
            Event::Received { .. } => {}
        }
    }

    /// The connection's input ended (end of file: the client may still read until the core
    /// closes it, or, if the core has closed it, the core now releases it) or it was lost (reset
    /// or error: nothing more can be sent, and the core forgets the client). Reports about a
    /// connection already released or lost are dropped: the core must not hear of it again.
    fn disconnected(&mut self, id: ClientId, cause: PeerGone) {
        let known = match cause {
            PeerGone::Closed => self.conns.contains_key(&id),
            PeerGone::Lost => self.conns.remove(&id).is_some(),
        };
        if known {
            self.feed(Input::Disconnected { id, cause });
        }
    }

    /// Feeds one input, then carries out every output (the core's invariant). An input the
    /// core refuses is a bug in this runtime, not anything a client did: it is logged, and the
    /// server carries on (as the smol runtime does).
    fn feed(&mut self, input: Input<'_>) {
        let now = Instant::now();
        if let Err(error) = self.server.handle_input(now, input) {
            tracing::error!(%error, "the core refused an input (a runtime bug)");
        }
        while let Some(output) = self.server.poll_output() {
            match output {
                Output::Transmit { to, frame } => {
                    if let Some(conn) = self.conns.get_mut(&to) {
                        self.held += 1;
                        if conn.send(frame) {
                            self.unflushed.push(to);
                        }
                    }
                }
                Output::Close { to } => {
                    if let Some(conn) = self.conns.get_mut(&to) {
                        conn.close();
                    }
                }
                // Dropping the handle shuts the socket down, which ends its threads.
                Output::Release { to } => drop(self.conns.remove(&to)),
                Output::PauseReading => self.reading_paused = true,
                Output::ResumeReading => self.reading_paused = false,
            }
        }
    }
}
