//! Per-client transcripts, normalised so that two runs (on two runtimes) can be compared.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, PoisonError};

use crate::{Client, Runtime};

/// What each client of a sequential scenario sent and received. Compared with every client's
/// name replaced by its label, and the times of replayed history lines by `HH:MM` (nothing else
/// may differ between runs).
#[derive(Clone, Debug)]
pub struct Transcript {
    /// Label, name from the welcome (the label if none came) and log of each client.
    clients: Vec<(String, String, Vec<String>)>,
}

impl Transcript {
    /// The transcripts of `clients` so far.
    pub fn of(clients: &[&Client]) -> Self {
        Self {
            clients: clients
                .iter()
                .map(|c| (c.label().to_owned(), c.name().unwrap_or(c.label()).to_owned(), c.log().to_vec()))
                .collect(),
        }
    }

    /// Joins transcripts taken at different times (e.g. of clients that closed early).
    pub fn and(mut self, other: Transcript) -> Self {
        self.clients.extend(other.clients);
        self
    }

    /// Each client's label and log, with every client's address replaced by `{label}`.
    fn normalised(&self) -> Vec<(String, Vec<String>)> {
        let mut names: Vec<(&str, String)> =
            self.clients.iter().map(|(label, addr, _)| (addr.as_str(), format!("{{{label}}}"))).collect();
        // Longest first, so `127.0.0.1:5000` never eats the start of `127.0.0.1:50001`.
        names.sort_by_key(|(addr, _)| std::cmp::Reverse(addr.len()));
        let normalise = |line: &String| {
            let line = without_time(line);
            names.iter().fold(line, |line, (addr, label)| line.replace(addr, label))
        };
        self.clients
            .iter()
            .map(|(label, _, log)| (label.clone(), log.iter().map(normalise).collect()))
            .collect()
    }

    /// A readable description of where `self` and `other` first differ, if they do.
    fn difference(&self, other: &Transcript) -> Option<String> {
        let (ours, others) = (self.normalised(), other.normalised());
        if ours == others {
            return None;
        }
        let mut text = String::new();
        for (i, ((label, mine), (_, theirs))) in ours.iter().zip(&others).enumerate() {
            if mine == theirs {
                continue;
            }
            let at = mine.iter().zip(theirs).take_while(|(a, b)| a == b).count();
            let _ = write!(
                text,
                "\n  client #{i} {label}, entry {at}:\n    {:?}\n    {:?}",
                mine.get(at).map_or("(end of transcript)", String::as_str),
                theirs.get(at).map_or("(end of transcript)", String::as_str),
            );
        }
        if self.clients.len() != other.clients.len() {
            let _ = write!(text, "\n  {} clients against {}", self.clients.len(), other.clients.len());
        }
        Some(text)
    }
}

/// `line` with the time of a replayed history line (`<- [14:03] ...`) written `[HH:MM]`.
fn without_time(line: &str) -> String {
    match line.strip_prefix("<- [").and_then(|rest| rest.get(5..)).filter(|rest| rest.starts_with("] ")) {
        Some(rest) => format!("<- [HH:MM{rest}"),
        None => line.to_owned(),
    }
}

/// Transcripts of scenarios already run in this test binary, by scenario and runtime.
static SEEN: Mutex<BTreeMap<&'static str, (Runtime, Transcript)>> = Mutex::new(BTreeMap::new());

/// Records `transcript` of `scenario` on `runtime`; if the other runtime's run of the same
/// scenario has already finished in this test binary, checks the two are identical.
///
/// Tests of one binary run in parallel threads of one process, so whichever of the pair
/// finishes second does the comparison. Running a single runtime's test alone compares
/// nothing.
pub fn check_same_on_both(scenario: &'static str, runtime: Runtime, transcript: Transcript) {
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    match seen.get(scenario) {
        Some((other, theirs)) if *other != runtime => {
            if let Some(difference) = transcript.difference(theirs) {
                panic!(
                    "{scenario}: the transcripts differ between runtimes, at (first {runtime}, then {other}):{difference}"
                );
            }
        }
        _ => {
            seen.insert(scenario, (runtime, transcript));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcript(clients: &[(&str, &str, &[&str])]) -> Transcript {
        Transcript {
            clients: clients
                .iter()
                .map(|(label, addr, log)| {
                    (label.to_string(), addr.to_string(), log.iter().map(|l| l.to_string()).collect())
                })
                .collect(),
        }
    }

    #[test]
    fn addresses_are_normalised_longest_first() {
        let run = transcript(&[
            ("a", "127.0.0.1:5000", &["<- *** 127.0.0.1:50001 entered the room"]),
            ("b", "127.0.0.1:50001", &["<- <127.0.0.1:5000> hi"]),
        ]);
        let normalised = run.normalised();
        assert_eq!(normalised[0].1, ["<- *** {b} entered the room"]);
        assert_eq!(normalised[1].1, ["<- <{a}> hi"]);
    }

    #[test]
    fn replay_times_are_normalised() {
        assert_eq!(without_time("<- [14:03] <a> hi"), "<- [HH:MM] <a> hi");
        assert_eq!(without_time("<- [127.0.0.1:5] x"), "<- [127.0.0.1:5] x");
        assert_eq!(without_time("-> [14:03] <a> hi"), "-> [14:03] <a> hi");
    }

    #[test]
    fn runs_differing_only_in_ports_are_the_same() {
        let first = transcript(&[("a", "127.0.0.1:1111", &["<- *** 127.0.0.1:2222 entered the room"])])
            .and(transcript(&[("b", "127.0.0.1:2222", &[])]));
        let second = transcript(&[("a", "127.0.0.1:3333", &["<- *** 127.0.0.1:4444 entered the room"])])
            .and(transcript(&[("b", "127.0.0.1:4444", &[])]));
        assert_eq!(first.difference(&second), None);
    }

    #[test]
    fn a_different_line_is_reported_with_its_place() {
        let first = transcript(&[("a", "127.0.0.1:1111", &["<- one", "<- two"])]);
        let second = transcript(&[("a", "127.0.0.1:3333", &["<- one", "<- three"])]);
        let difference = first.difference(&second).expect("the runs differ");
        assert!(difference.contains("client #0 a, entry 1"), "{difference}");
        assert!(difference.contains("two") && difference.contains("three"), "{difference}");
        let shorter = transcript(&[("a", "127.0.0.1:3333", &["<- one"])]);
        assert!(first.difference(&shorter).expect("the runs differ").contains("(end of transcript)"));
    }
}
