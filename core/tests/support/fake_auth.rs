//! A deterministic stand-in for the password workers: a "hash" is the password reversed
//! behind `fake$`, and a verification compares. Answers are ready at once, or held until the
//! test releases them (in any order), to race them against what clients do meanwhile.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chat_core::kit::{Services, Wake};
use chat_core::{PasswordOutcome, PasswordRequest, Reply, Request};

/// The fake hash of `password`.
pub fn fake_hash(password: &str) -> String {
    format!("fake${}", password.chars().rev().collect::<String>())
}

/// What the test sees and steers.
#[derive(Debug, Default)]
pub struct State {
    /// Hold answers back until released.
    pub holding: bool,
    /// Answers held back, in the order asked.
    pub held: Vec<Reply>,
    /// Answers ready for the server.
    pub ready: VecDeque<Reply>,
    /// Answer everything `Unavailable` (a busy worker).
    pub busy: bool,
}

/// The [`Services`] given to the sim; clone the state before handing it over.
#[derive(Clone, Debug, Default)]
pub struct FakeAuth {
    pub state: Arc<Mutex<State>>,
}

impl FakeAuth {
    /// Lets the held answer at `index` through.
    pub fn release(&self, index: usize) {
        let mut state = self.state.lock().unwrap();
        let reply = state.held.remove(index);
        state.ready.push_back(reply);
    }

    /// How many answers are held.
    pub fn held(&self) -> usize {
        self.state.lock().unwrap().held.len()
    }

    /// Holds answers from now on (or not).
    pub fn hold(&self, holding: bool) {
        self.state.lock().unwrap().holding = holding;
    }
}

impl Services for FakeAuth {
    fn set_wake(&mut self, _wake: Wake) {}

    fn request(&mut self, request: Request) {
        let Request::Password(request) = request else { return };
        let mut state = self.state.lock().unwrap();
        let ticket = request.ticket();
        let outcome = if state.busy {
            PasswordOutcome::Unavailable
        } else {
            match request {
                PasswordRequest::Hash { password, .. } => PasswordOutcome::Hashed(fake_hash(&password)),
                PasswordRequest::Verify { password, hash, .. } => {
                    PasswordOutcome::Verified(hash.is_some_and(|hash| hash == fake_hash(&password)))
                }
            }
        };
        let reply = Reply::Password { ticket, outcome };
        if state.holding {
            state.held.push(reply);
        } else {
            state.ready.push_back(reply);
        }
    }

    fn try_reply(&mut self) -> Option<Reply> {
        self.state.lock().unwrap().ready.pop_front()
    }

    fn close(&mut self) {}
}
