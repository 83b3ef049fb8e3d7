//! The event loop's side of the bridge: hand commands over without ever waiting.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use chat_core::{BusCommand, BusEvent, SubscribeFrom};
use crossbeam_channel::{Receiver, Sender};

use crate::config::valid_node_name;
use crate::reader::Reader;
use crate::shared::Shared;
use crate::writer::Writer;
use crate::{BusConfig, BusError, QueueFull};

/// Events wait here for the event loop; past this many the reader stops reading Redis until
/// the event loop catches up (Redis keeps the streams meanwhile).
const EVENT_QUEUE: usize = 8_192;

/// What the writer thread is handed.
pub(crate) enum Message {
    /// A command to carry out, in order.
    Command(BusCommand),
    /// The rooms read changed: unblock the reader's `XREAD`.
    RoomsChanged,
}

/// What the bridge has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BusStats {
    /// Entries appended to streams.
    pub appended: u64,
    /// Appends that Redis already had (a send retried after its reply was lost): not doubled.
    pub duplicates: u64,
    /// Commands refused because the queue was full ([`QueueFull`]).
    pub refused: u64,
    /// Commands Redis refused (logged as errors): given up.
    pub failed: u64,
    /// Entries delivered to the event loop.
    pub delivered: u64,
    /// Gaps reported.
    pub gaps: u64,
    /// Connections re-established after a failure.
    pub reconnects: u64,
    /// Appends waiting to be sent now.
    pub queued_entries: usize,
    /// Their bytes.
    pub queued_bytes: usize,
}

/// One node's bridge to Redis: a writer thread (appends, presence, leases, heartbeats) and a
/// reader thread (`XREAD BLOCK` over every room subscribed), each with its own connection.
///
/// Dropping it (or [`Bridge::close`]) sends what is queued if Redis is reachable, removes the
/// node's heartbeat, users and leases (a clean goodbye), and stops both threads.
pub struct Bridge {
    commands: Option<Sender<Message>>,
    shared: Arc<Shared>,
    config: BusConfig,
    writer: Option<JoinHandle<()>>,
    reader: Option<JoinHandle<()>>,
}

impl Bridge {
    /// Starts the bridge for `config.node`. `wake` is called (from a bridge thread) after every
    /// event sent, so the event loop can wake up and drain the returned receiver.
    ///
    /// Redis need not be reachable yet: the bridge connects in the background, saying
    /// [`BusEvent::Up`] (or [`BusEvent::Down`]) when it knows.
    pub fn start(
        config: BusConfig,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> Result<(Bridge, Receiver<BusEvent>), BusError> {
        if !valid_node_name(&config.node) {
            return Err(BusError::NodeName(config.node));
        }
        let client = redis::Client::open(config.url.to_string())
            .map_err(|source| BusError::Client { url: config.url.to_string(), source })?;
        let (events, receiver) = crossbeam_channel::bounded(EVENT_QUEUE);
        let shared = Shared::new(events, Box::new(wake));
        let (commands, taken) = crossbeam_channel::unbounded();
        let writer = Writer::new(config.clone(), client.clone(), taken, Arc::clone(&shared));
        let writer = std::thread::Builder::new()
            .name(format!("bus-writer-{}", config.node))
            .spawn(move || writer.run())
            .map_err(BusError::Thread)?;
        let reader = Reader::new(config.clone(), client, Arc::clone(&shared));
        let reader = std::thread::Builder::new()
            .name(format!("bus-reader-{}", config.node))
            .spawn(move || reader.run())
            .map_err(BusError::Thread)?;
        let bridge =
            Bridge { commands: Some(commands), shared, config, writer: Some(writer), reader: Some(reader) };
        Ok((bridge, receiver))
    }

    /// Hands `command` to the bridge without waiting.
    ///
    /// Subscriptions take effect at once. Appends wait in a queue bounded by
    /// [`BusConfig::queue_entries`] and [`BusConfig::queue_bytes`] (it fills while Redis is
    /// unreachable); other commands by [`BusConfig::queue_commands`]. When full, the new
    /// command is refused and handed back ([`QueueFull`], counted in [`BusStats::refused`]):
    /// nothing already queued is dropped, so what is sent keeps its order, and the caller can
    /// tell its user the line did not go out.
    pub fn send(&self, command: BusCommand) -> Result<(), QueueFull> {
        let Some(commands) = &self.commands else { return Err(QueueFull(command)) };
        let shared = &self.shared;
        match command {
            BusCommand::Subscribe { room, from } => {
                shared.subscribe(room.clone(), from);
                if from == SubscribeFrom::Latest {
                    // The writer finds where "from now on" starts, in order with the appends:
                    // an append this node makes after subscribing is then surely read back.
                    shared.queued_commands.fetch_add(1, Ordering::Relaxed);
                    let _ = commands.send(Message::Command(BusCommand::Subscribe { room, from }));
                }
                let _ = commands.send(Message::RoomsChanged);
                return Ok(());
            }
            BusCommand::Unsubscribe { room } => {
                shared.unsubscribe(&room);
                let _ = commands.send(Message::RoomsChanged);
                return Ok(());
            }
            _ => {}
        }
        if let BusCommand::Append { .. } = command {
            let size = command.size();
            let entries = shared.queued_entries.load(Ordering::Relaxed);
            let bytes = shared.queued_bytes.load(Ordering::Relaxed);
            if entries >= self.config.queue_entries || bytes + size > self.config.queue_bytes {
                return Err(self.refuse(command));
            }
            shared.queued_entries.fetch_add(1, Ordering::Relaxed);
            shared.queued_bytes.fetch_add(size, Ordering::Relaxed);
        } else {
            if shared.queued_commands.load(Ordering::Relaxed) >= self.config.queue_commands {
                return Err(self.refuse(command));
            }
            shared.queued_commands.fetch_add(1, Ordering::Relaxed);
        }
        if let Err(crossbeam_channel::SendError(Message::Command(command))) =
            commands.send(Message::Command(command))
        {
            // The writer thread is gone (it panicked, which was logged).
            return Err(self.refuse(command));
        }
        Ok(())
    }

    fn refuse(&self, command: BusCommand) -> QueueFull {
        let refused = self.shared.counters.refused.fetch_add(1, Ordering::Relaxed) + 1;
        if refused.is_power_of_two() {
            tracing::warn!(refused, "the Redis bridge's queue is full: refusing new commands");
        }
        QueueFull(command)
    }

    /// What the bridge has done so far.
    pub fn stats(&self) -> BusStats {
        let counters = &self.shared.counters;
        let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
        BusStats {
            appended: load(&counters.appended),
            duplicates: load(&counters.duplicates),
            refused: load(&counters.refused),
            failed: load(&counters.failed),
            delivered: load(&counters.delivered),
            gaps: load(&counters.gaps),
            reconnects: load(&counters.reconnects),
            queued_entries: self.shared.queued_entries.load(Ordering::Relaxed),
            queued_bytes: self.shared.queued_bytes.load(Ordering::Relaxed),
        }
    }

    /// Sends what is queued (if Redis is reachable), says goodbye, stops both threads, and says
    /// what the bridge did.
    pub fn close(mut self) -> BusStats {
        self.shut();
        self.stats()
    }

    fn shut(&mut self) {
        self.shared.stop();
        self.commands = None;
        for thread in [self.writer.take(), self.reader.take()].into_iter().flatten() {
            if thread.join().is_err() {
                tracing::error!("a Redis bridge thread panicked");
            }
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.shut();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bridge_can_be_shared_with_the_runtimes_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Bridge>();
        shared::<Receiver<BusEvent>>();
    }
}
