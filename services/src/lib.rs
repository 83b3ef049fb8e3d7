//! `chat-services`: the threads beside a chat server's event loop, as one
//! [`Services`](chat_core::kit::Services) object either runtime drives.
//!
//! The core asks for work with [`Output::Service`](chat_core::Output::Service) and hears back
//! with [`Input::Service`](chat_core::Input::Service). [`ServiceThreads`] routes each
//! [`Request`](chat_core::Request) to its thread, never blocking the event loop:
//!
//! - records to persist go to the SQLite writer (`chat-store`), when there is a database;
//! - password work goes to the argon2id workers (`chat-auth`), whose answers come back as
//!   [`Reply::Password`](chat_core::Reply::Password) (a full queue is answered at once as
//!   [`PasswordOutcome::Unavailable`](chat_core::PasswordOutcome::Unavailable));
//! - bus commands go to the Redis bridge (`chat-bus`), when the server is part of a cluster,
//!   and what the bus says comes back as [`Reply::Bus`](chat_core::Reply::Bus).
//!
//! Every answer wakes the event loop through the function the runtime gave with
//! [`Services::set_wake`](chat_core::kit::Services::set_wake).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod threads;
mod wake;

pub use chat_bus::{BusConfig, RedisUrl};
pub use threads::{ServiceError, ServiceOptions, ServiceThreads};
