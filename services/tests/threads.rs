//! The service threads answer through the seam and wake the event loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chat_auth::{AuthOptions, HashParams};
use chat_core::kit::Services;
use chat_core::{PasswordOutcome, PasswordRequest, Reply, Request, Ticket};
use chat_services::{ServiceOptions, ServiceThreads};

/// Cheap argon2 costs: these tests check the plumbing, not the hash's strength.
fn options() -> ServiceOptions {
    let params = HashParams { memory_kib: 64, iterations: 1, parallelism: 1 };
    ServiceOptions { auth: AuthOptions { params, ..AuthOptions::default() }, ..ServiceOptions::default() }
}

/// Waits (on the wake count, with a deadline) for the next reply.
fn next_reply(services: &mut ServiceThreads, wakes: &AtomicUsize, seen: &mut usize) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(reply) = services.try_reply() {
            return reply;
        }
        assert!(Instant::now() < deadline, "no reply within 30 s");
        while wakes.load(Ordering::SeqCst) == *seen && Instant::now() < deadline {
            std::thread::park_timeout(Duration::from_millis(5));
        }
        *seen = wakes.load(Ordering::SeqCst);
    }
}

#[test]
fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
    let (mut services, stored) = ServiceThreads::start(options()).unwrap();
    assert_eq!(stored, chat_core::Stored::default(), "no database: nothing stored");
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&wakes);
    services.set_wake(Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    }));
    let mut seen = 0;
    let password = || "correct horse".to_owned();
    services.request(Request::Password(PasswordRequest::Hash { ticket: Ticket(1), password: password() }));
    let Reply::Password { ticket: Ticket(1), outcome: PasswordOutcome::Hashed(hash) } =
        next_reply(&mut services, &wakes, &mut seen)
    else {
        panic!("expected the hash for ticket 1")
    };
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("correct horse"));
    for (ticket, given, matches) in [(2, password(), true), (3, "wrong".to_owned(), false)] {
        let hash = Some(hash.clone());
        services.request(Request::Password(PasswordRequest::Verify {
            ticket: Ticket(ticket),
            password: given,
            hash,
        }));
        let reply = next_reply(&mut services, &wakes, &mut seen);
        assert_eq!(
            reply,
            Reply::Password { ticket: Ticket(ticket), outcome: PasswordOutcome::Verified(matches) }
        );
    }
    services.request(Request::Password(PasswordRequest::Verify {
        ticket: Ticket(4),
        password: password(),
        hash: None,
    }));
    let reply = next_reply(&mut services, &wakes, &mut seen);
    assert_eq!(reply, Reply::Password { ticket: Ticket(4), outcome: PasswordOutcome::Verified(false) });
    assert!(wakes.load(Ordering::SeqCst) >= 1, "the event loop was woken");
    services.close();
}

#[test]
fn the_debug_form_of_a_password_request_hides_the_password() {
    let request = PasswordRequest::Verify { ticket: Ticket(7), password: "hunter2".to_owned(), hash: None };
    let shown = format!("{request:?} {:?}", Request::Password(request.clone()));
    assert!(!shown.contains("hunter2"), "{shown}");
}
