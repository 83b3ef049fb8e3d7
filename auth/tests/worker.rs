//! The password worker as a runtime drives it: requests in, one answer each out.

use std::collections::BTreeSet;
use std::time::Duration;

use chat_auth::{
    Answer, AuthError, AuthOptions, AuthWorker, Busy, HashParams, Outcome, Password, Request, RequestId,
};
use crossbeam_channel::Receiver;

/// Cheap costs, so the tests are quick; the defaults are tested once.
const CHEAP: HashParams = HashParams { memory_kib: 64, iterations: 1, parallelism: 1 };
/// Far longer than any answer takes; only reached if one never comes.
const DEADLINE: Duration = Duration::from_secs(60);

fn worker(threads: usize) -> (AuthWorker, Receiver<Answer>) {
    let (answers, answered) = crossbeam_channel::unbounded();
    let options = AuthOptions { threads, params: CHEAP, ..AuthOptions::default() };
    let worker = AuthWorker::spawn(options, move |answer| answers.send(answer).unwrap()).unwrap();
    (worker, answered)
}

fn password(text: &str) -> Password {
    Password::from(text.to_owned())
}

fn answer(answered: &Receiver<Answer>) -> Answer {
    answered.recv_timeout(DEADLINE).expect("an answer")
}

fn hash(worker: &AuthWorker, answered: &Receiver<Answer>, text: &str) -> String {
    worker.submit(Request::Hash { id: RequestId(0), password: password(text) }).unwrap();
    match answer(answered).outcome {
        Outcome::Hashed(hash) => hash,
        other => panic!("{other:?}"),
    }
}

fn verify(worker: &AuthWorker, answered: &Receiver<Answer>, text: &str, hash: Option<String>) -> Outcome {
    worker.submit(Request::Verify { id: RequestId(1), password: password(text), hash }).unwrap();
    answer(answered).outcome
}

#[test]
fn the_right_password_matches_and_a_wrong_one_does_not() {
    let (worker, answered) = worker(1);
    let hash = hash(&worker, &answered, "correct horse");
    assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
    assert!(!hash.contains("correct horse"));
    assert!(matches!(
        verify(&worker, &answered, "correct horse", Some(hash.clone())),
        Outcome::Verified(true)
    ));
    assert!(matches!(
        verify(&worker, &answered, "correct hors", Some(hash.clone())),
        Outcome::Verified(false)
    ));
    assert!(matches!(verify(&worker, &answered, "", Some(hash)), Outcome::Verified(false)));
}

#[test]
fn the_same_password_hashes_differently_each_time() {
    let (worker, answered) = worker(1);
    assert_ne!(hash(&worker, &answered, "same"), hash(&worker, &answered, "same"), "a fresh salt each time");
}

#[test]
fn no_account_never_matches_even_the_empty_password() {
    let (worker, answered) = worker(1);
    for text in ["", "anything"] {
        assert!(matches!(verify(&worker, &answered, text, None), Outcome::Verified(false)), "{text:?}");
    }
}

#[test]
fn a_damaged_stored_hash_is_a_failure_not_a_match() {
    let (worker, answered) = worker(1);
    let outcome = verify(&worker, &answered, "x", Some("not a hash".into()));
    assert!(matches!(outcome, Outcome::Failed(AuthError::BadHash)), "{outcome:?}");
}

#[test]
fn every_request_gets_exactly_one_answer_with_its_id() {
    let (worker, answered) = worker(2);
    for n in 0..40 {
        let request = if n % 2 == 0 {
            Request::Hash { id: RequestId(n), password: password("p") }
        } else {
            Request::Verify { id: RequestId(n), password: password("p"), hash: None }
        };
        worker.submit(request).unwrap();
    }
    worker.close();
    let ids: Vec<u64> = answered.try_iter().map(|answer| answer.id.0).collect();
    assert_eq!(ids.len(), 40);
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), (0..40).collect());
}

#[test]
fn a_full_queue_says_busy_at_once() {
    let (answers, answered) = crossbeam_channel::unbounded();
    let (release, released) = crossbeam_channel::bounded::<()>(0);
    let options = AuthOptions { threads: 1, queue: 1, params: CHEAP };
    // The callback holds the only thread after its first answer, until released.
    let worker = AuthWorker::spawn(options, move |answer| {
        answers.send(answer).unwrap();
        let _ = released.recv();
    })
    .unwrap();
    let request = |n| Request::Verify { id: RequestId(n), password: password("p"), hash: None };
    worker.submit(request(1)).unwrap();
    assert_eq!(answer(&answered).id, RequestId(1));
    worker.submit(request(2)).unwrap();
    assert_eq!(worker.submit(request(3)), Err(Busy(RequestId(3))));
    drop(release);
    worker.close();
    assert_eq!(answered.try_iter().map(|answer| answer.id).collect::<Vec<_>>(), [RequestId(2)]);
}

#[test]
fn bad_parameters_are_refused_at_start() {
    let options = AuthOptions { params: HashParams { memory_kib: 1, ..CHEAP }, ..AuthOptions::default() };
    let error = AuthWorker::spawn(options, |_| {}).unwrap_err();
    assert!(matches!(error, AuthError::Params(_)), "{error:?}");
    assert!(error.to_string().contains("at least 8 KiB"), "{error}");
}

#[test]
fn a_request_never_prints_its_password() {
    let request = Request::Verify { id: RequestId(7), password: password("hunter2"), hash: None };
    let printed = format!("{request:?}");
    assert!(printed.contains("***") && !printed.contains("hunter2"), "{printed}");
}

#[test]
fn the_default_costs_are_argon2id_19_mib_2_passes_1_lane() {
    let (answers, answered) = crossbeam_channel::unbounded();
    let worker =
        AuthWorker::spawn(AuthOptions::default(), move |answer| answers.send(answer).unwrap()).unwrap();
    let hash = hash(&worker, &answered, "default");
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
}
