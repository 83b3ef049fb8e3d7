//! [`TestPasswords`]: a deterministic stand-in for the password workers, for tests and fuzzing:
//! a "hash" is the password reversed behind `fake$`, and a verification compares. Answers are
//! ready at once, or held until the test releases them (in any order), to race them against
//! what clients do meanwhile. Everything else asked of the services is recorded by the
//! [`Sim`](super::Sim) and otherwise ignored.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use crate::kit::{Services, Wake};
use crate::{PasswordOutcome, PasswordRequest, Reply, Request};

/// The stand-in's hash of `password`.
pub fn test_hash(password: &str) -> String {
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
    /// Every answer the server took, in order.
    pub delivered: Vec<Reply>,
}

/// The [`Services`] given to the sim; clone the state before handing it over.
#[derive(Clone, Debug, Default)]
pub struct TestPasswords {
    /// What the test sees and steers, shared with the copy given to the sim.
    pub state: Arc<Mutex<State>>,
}

impl TestPasswords {
    /// Lets the held answer at `index` through.
    pub fn release(&self, index: usize) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let reply = state.held.remove(index);
        state.ready.push_back(reply);
    }

    /// How many answers are held.
    pub fn held(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).held.len()
    }

    /// How many answers the server took so far.
    pub fn delivered(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).delivered.len()
    }

    /// Whether an answer taken since the first `since` says a password matched or a hash was
    /// made: the only answers that may identify anyone.
    pub fn approved_since(&self, since: usize) -> bool {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).delivered[since..].iter().any(|reply| {
            matches!(
                reply,
                Reply::Password { outcome: PasswordOutcome::Verified(true) | PasswordOutcome::Hashed(_), .. }
            )
        })
    }

    /// Holds answers from now on (or not).
    pub fn hold(&self, holding: bool) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).holding = holding;
    }
}

impl Services for TestPasswords {
    fn set_wake(&mut self, _wake: Wake) {}

    fn request(&mut self, request: Request) {
        let Request::Password(request) = request else { return };
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let ticket = request.ticket();
        let outcome = if state.busy {
            PasswordOutcome::Unavailable
        } else {
            match request {
                PasswordRequest::Hash { password, .. } => PasswordOutcome::Hashed(test_hash(&password)),
                PasswordRequest::Verify { password, hash, .. } => {
                    PasswordOutcome::Verified(hash.is_some_and(|hash| hash == test_hash(&password)))
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
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let reply = state.ready.pop_front()?;
        state.delivered.push(reply.clone());
        Some(reply)
    }

    fn close(&mut self) {}
}
