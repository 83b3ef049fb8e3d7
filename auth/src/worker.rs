//! The worker threads: requests in on a bounded channel, answers out through a callback.

use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::hashing::{HashParams, Hasher};
use crate::{AuthError, Password};

/// Matches an answer to its request; chosen by the caller (a counter is enough).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Work for the password worker.
#[derive(Debug)]
pub enum Request {
    /// Hash a new password (`/register`, `/password`).
    Hash {
        /// Names the answer.
        id: RequestId,
        /// The password.
        password: Password,
    },
    /// Check a password against a stored hash (`/identify`).
    Verify {
        /// Names the answer.
        id: RequestId,
        /// The password given.
        password: Password,
        /// The account's PHC string, or `None` if there is no such account: the password is then
        /// checked against a hash of nothing, taking as long, and never matches, so timing does
        /// not tell which names are registered.
        hash: Option<String>,
    },
}

/// What the worker made of a request.
#[derive(Debug)]
pub struct Answer {
    /// The request's id.
    pub id: RequestId,
    /// The result.
    pub outcome: Outcome,
}

/// The result of a request.
#[derive(Debug)]
pub enum Outcome {
    /// The PHC string of the new password's hash.
    Hashed(String),
    /// Whether the password matched.
    Verified(bool),
    /// The request could not be carried out (a stored hash that is not a PHC string, or a
    /// hashing failure); the caller treats it as a refusal and logs it.
    Failed(AuthError),
}

/// The worker had no room for a request: answer the user "busy, try again".
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the password worker is busy: request {0:?} was not taken")]
pub struct Busy(pub RequestId);

/// How many threads, how much queue, which parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthOptions {
    /// Worker threads: each runs one hash at a time.
    pub threads: usize,
    /// Requests waiting at most; past that, [`AuthWorker::submit`] says [`Busy`].
    pub queue: usize,
    /// argon2id's costs.
    pub params: HashParams,
}

impl Default for AuthOptions {
    /// One thread (argon2 is meant to be costly: more threads only let more guesses through at
    /// once), 64 waiting requests, [`HashParams::default`].
    fn default() -> Self {
        Self { threads: 1, queue: 64, params: HashParams::default() }
    }
}

/// Hashes and verifies passwords on its own threads.
///
/// Dropping it (or [`AuthWorker::close`]) lets the threads finish the requests already taken,
/// then waits for them.
#[derive(Debug)]
pub struct AuthWorker {
    requests: Option<Sender<Request>>,
    threads: Vec<JoinHandle<()>>,
}

impl AuthWorker {
    /// Starts the threads. Each answer is passed to `deliver`, on a worker thread: it should
    /// only hand the answer to the event loop (send it on the runtime's channel and wake it).
    pub fn spawn(
        options: AuthOptions,
        deliver: impl Fn(Answer) + Send + Sync + 'static,
    ) -> Result<Self, AuthError> {
        let hasher = Hasher::new(options.params)?;
        let (requests, queue) = crossbeam_channel::bounded(options.queue.max(1));
        let deliver: Arc<dyn Fn(Answer) + Send + Sync> = Arc::new(deliver);
        let mut worker = Self { requests: Some(requests), threads: Vec::new() };
        for n in 0..options.threads.max(1) {
            let (queue, hasher, deliver) = (queue.clone(), hasher.clone(), Arc::clone(&deliver));
            let thread = std::thread::Builder::new()
                .name(format!("chat-auth-{n}"))
                .spawn(move || serve(&queue, &hasher, &*deliver))
                .map_err(AuthError::Thread)?;
            worker.threads.push(thread);
        }
        Ok(worker)
    }

    /// Queues `request` without waiting; [`Busy`] if the queue is full (the password it held is
    /// wiped).
    pub fn submit(&self, request: Request) -> Result<(), Busy> {
        let id = match &request {
            Request::Hash { id, .. } | Request::Verify { id, .. } => *id,
        };
        let requests = self.requests.as_ref().ok_or(Busy(id))?;
        requests.try_send(request).map_err(|error| match error {
            TrySendError::Full(_) | TrySendError::Disconnected(_) => Busy(id),
        })
    }

    /// Stops taking requests, lets the threads finish those taken, and waits for them.
    pub fn close(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        self.requests = None;
        for thread in self.threads.drain(..) {
            if thread.join().is_err() {
                tracing::error!("a password worker thread panicked");
            }
        }
    }
}

impl Drop for AuthWorker {
    fn drop(&mut self) {
        self.shut();
    }
}

/// One worker thread: answers requests until the channel closes.
fn serve(queue: &Receiver<Request>, hasher: &Hasher, deliver: &(dyn Fn(Answer) + Send + Sync)) {
    // A hash with the same costs, for accounts that do not exist: made when first needed, so
    // that starting a server costs no hash (seconds in a debug build).
    let mut nothing: Option<String> = None;
    for request in queue {
        let answer = match request {
            Request::Hash { id, password } => {
                Answer { id, outcome: hasher.hash(&password).map_or_else(Outcome::Failed, Outcome::Hashed) }
            }
            Request::Verify { id, password, hash } => {
                let outcome = match hash {
                    Some(hash) => {
                        hasher.verify(&password, &hash).map_or_else(Outcome::Failed, Outcome::Verified)
                    }
                    None => {
                        // As costly as a real check; whatever it says, nobody is that account.
                        let nothing = match &mut nothing {
                            Some(nothing) => nothing,
                            empty => {
                                empty.insert(hasher.hash(&Password::new(String::new())).unwrap_or_default())
                            }
                        };
                        std::hint::black_box(hasher.verify(&password, nothing)).ok();
                        Outcome::Verified(false)
                    }
                };
                Answer { id, outcome }
            }
        };
        if let Outcome::Failed(error) = &answer.outcome {
            tracing::warn!(id = answer.id.0, %error, "a password request failed");
        }
        deliver(answer);
    }
}
