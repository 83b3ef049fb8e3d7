//! `chat-auth`: password hashing for chat accounts, off the event loop.
//!
//! argon2id is slow on purpose (about 90 ms and 19 MiB per password with the default
//! [`HashParams`]): run on the event loop, one `/identify` would stall every room. So the core
//! asks for a hash or a verification as an output, the runtime hands it to the [`AuthWorker`]
//! with a [`RequestId`], and the worker's [`Answer`] comes back to the core as an input:
//!
//! ```
//! use chat_auth::{AuthOptions, AuthWorker, HashParams, Outcome, Password, Request, RequestId};
//!
//! let (answers, answered) = crossbeam_channel::unbounded();
//! // Cheap parameters for the example; servers keep the default.
//! let options = AuthOptions { params: HashParams { memory_kib: 64, iterations: 1, parallelism: 1 }, ..Default::default() };
//! let worker = AuthWorker::spawn(options, move |answer| { let _ = answers.send(answer); }).unwrap();
//! worker.submit(Request::Hash { id: RequestId(1), password: Password::from("s3cret".to_owned()) }).unwrap();
//! let Outcome::Hashed(hash) = answered.recv().unwrap().outcome else { panic!() };
//! worker.submit(Request::Verify { id: RequestId(2), password: Password::from("s3cret".to_owned()), hash: Some(hash) }).unwrap();
//! assert!(matches!(answered.recv().unwrap().outcome, Outcome::Verified(true)));
//! ```
//!
//! **Invariant:** every request taken by [`AuthWorker::submit`] gets exactly one answer, with
//! its id, through the `deliver` callback given to [`AuthWorker::spawn`]; a request refused
//! ([`Busy`]) gets none. A runtime's `deliver` forwards the answer to its event loop (the std
//! runtime's event channel, the smol runtime's channel) and nothing else.
//!
//! - Passwords are [`Password`]s: never printed, wiped when dropped; nothing here logs one.
//! - Verifying for an account that does not exist (`hash: None`) costs as much as for one that
//!   does, so response times do not reveal which names are registered.
//! - Limiting failed attempts is policy: the core's
//!   `chat_core::AttemptLimiter`, consulted before a request is made.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod hashing;
mod password;
mod worker;

pub use error::AuthError;
pub use hashing::HashParams;
pub use password::Password;
pub use worker::{Answer, AuthOptions, AuthWorker, Busy, Outcome, Request, RequestId};
