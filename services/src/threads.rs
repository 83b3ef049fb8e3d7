//! [`ServiceThreads`]: the database writer, the password workers and the bus bridge.

use std::collections::VecDeque;
use std::path::PathBuf;

use chat_auth::{Answer, AuthOptions, AuthWorker, Outcome, Password, RequestId};
use chat_bus::{Bridge, BusConfig};
use chat_core::kit::{Services, Wake};
use chat_core::{BusEvent, PasswordOutcome, PasswordRequest, Reply, Request, Stored, Ticket};
use chat_store::{Store, StoreHandle, StoreOptions};
use crossbeam_channel::Receiver;

use crate::wake::WakeCell;

/// What to start.
#[derive(Debug, Default)]
pub struct ServiceOptions {
    /// The database's directory and options; `None` keeps everything in memory.
    pub store: Option<(PathBuf, StoreOptions)>,
    /// The password workers.
    pub auth: AuthOptions,
    /// The Redis bus; `None` for a server on its own.
    pub bus: Option<BusConfig>,
}

/// Why the services did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] chat_store::StoreError),
    /// The password workers could not start.
    #[error(transparent)]
    Auth(#[from] chat_auth::AuthError),
    /// The bus bridge could not start.
    #[error(transparent)]
    Bus(#[from] chat_bus::BusError),
}

/// The running threads, owned by the event loop.
pub struct ServiceThreads {
    store: Option<StoreHandle>,
    auth: Option<AuthWorker>,
    bus: Option<(Bridge, Receiver<BusEvent>)>,
    /// Answers from the password workers.
    answers: Receiver<Answer>,
    /// Answers given at once (a full queue).
    immediate: VecDeque<Reply>,
    wake: WakeCell,
}

impl ServiceThreads {
    /// Opens the database (if any) and starts the threads; returns them with what the database
    /// held, for the core to be built from. A database that cannot be opened (locked,
    /// unwritable, corrupt) is an error here, before anyone connects.
    pub fn start(options: ServiceOptions) -> Result<(Self, Stored), ServiceError> {
        let (store, stored) = match &options.store {
            Some((dir, store_options)) => {
                let (handle, stored) = Store::open(dir, store_options.clone())?;
                (Some(handle), stored)
            }
            None => (None, Stored::default()),
        };
        let wake = WakeCell::default();
        let (tell, answers) = crossbeam_channel::unbounded();
        let ring = wake.clone();
        let auth = AuthWorker::spawn(options.auth, move |answer| {
            if tell.send(answer).is_ok() {
                ring.wake();
            }
        })?;
        let bus = match options.bus {
            Some(config) => {
                let ring = wake.clone();
                Some(Bridge::start(config, move || ring.wake())?)
            }
            None => None,
        };
        let threads = Self { store, auth: Some(auth), bus, answers, immediate: VecDeque::new(), wake };
        Ok((threads, stored))
    }

    fn password(&mut self, request: PasswordRequest) {
        let ticket = request.ticket();
        let id = RequestId(ticket.0);
        let work = match request {
            PasswordRequest::Hash { password, .. } => {
                chat_auth::Request::Hash { id, password: Password::new(password) }
            }
            PasswordRequest::Verify { password, hash, .. } => {
                chat_auth::Request::Verify { id, password: Password::new(password), hash }
            }
        };
        let taken = self.auth.as_ref().is_some_and(|auth| auth.submit(work).is_ok());
        if !taken {
            tracing::warn!(?ticket, "the password worker is busy: the request is refused");
            self.immediate.push_back(Reply::Password { ticket, outcome: PasswordOutcome::Unavailable });
        }
    }
}

impl Services for ServiceThreads {
    fn set_wake(&mut self, wake: Wake) {
        self.wake.set(wake);
    }

    fn request(&mut self, request: Request) {
        match request {
            Request::Persist(record) => {
                if let Some(store) = &self.store {
                    store.persist(record);
                }
            }
            Request::Password(request) => self.password(request),
            Request::Bus(command) => {
                if let Some((bridge, _)) = &self.bus
                    && let Err(full) = bridge.send(command)
                {
                    tracing::warn!(command = ?full.0, "the bus queue is full: a command was not sent");
                    // The engine is told, so the line's sender is.
                    self.immediate.push_back(Reply::Bus(BusEvent::Refused { command: full.0 }));
                }
            }
        }
    }

    fn try_reply(&mut self) -> Option<Reply> {
        if let Some(reply) = self.immediate.pop_front() {
            return Some(reply);
        }
        if let Ok(Answer { id, outcome }) = self.answers.try_recv() {
            let outcome = match outcome {
                Outcome::Hashed(hash) => PasswordOutcome::Hashed(hash),
                Outcome::Verified(matched) => PasswordOutcome::Verified(matched),
                Outcome::Failed(error) => {
                    tracing::error!(%error, "a password could not be checked");
                    PasswordOutcome::Unavailable
                }
            };
            return Some(Reply::Password { ticket: Ticket(id.0), outcome });
        }
        let (_, events) = self.bus.as_ref()?;
        events.try_recv().ok().map(Reply::Bus)
    }

    fn close(&mut self) {
        if let Some(auth) = self.auth.take() {
            auth.close();
        }
        if let Some((bridge, _)) = self.bus.take() {
            bridge.close();
        }
        if let Some(store) = self.store.take() {
            let stats = store.close();
            tracing::debug!(?stats, "the database writer finished");
        }
    }
}

impl Drop for ServiceThreads {
    fn drop(&mut self) {
        self.close();
    }
}
