//! The open-files limit of the test process.
//!
//! Client and server share the process, so every connection of a test costs two file
//! descriptors here. A stock account starts with a soft limit of 1,024 (and often a much higher
//! hard one): the harness raises the soft limit to the hard one before any server starts, and
//! the tests that open crowds size them with [`crowd_size`] so the suite passes even where the
//! hard limit itself is 1,024.

use std::sync::OnceLock;

/// Descriptors kept for everything that is not a crowd: stdio, listeners, the runtimes' own,
/// and the small tests running beside the crowds in the same binary.
const RESERVED: u64 = 256;
/// Crowds that may be open at once in one test binary: a scenario runs on both runtimes in
/// parallel.
const CROWDS_AT_ONCE: u64 = 2;
/// Descriptors per connection: the client's socket and the server's.
const PER_CONNECTION: u64 = 2;
/// Smallest crowd worth testing; below this the limit is too low for the suite.
const MIN_CROWD: usize = 50;

/// Raises this process's soft open-files limit as far as its hard limit allows (once, however
/// often it is called) and returns the soft limit then in force.
pub fn raise_limit() -> u64 {
    static LIMIT: OnceLock<u64> = OnceLock::new();
    *LIMIT.get_or_init(|| match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            eprintln!("cannot raise the open-files limit ({error}); testing within the current one");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    })
}

/// How many connections a test may open to a server in this process: `wanted`, or fewer when
/// the open-files limit (raised first) cannot hold two such crowds at once.
///
/// Panics, saying what to do, if the limit is too low for a crowd of even 50.
pub fn crowd_size(wanted: usize) -> usize {
    let limit = raise_limit();
    let fits = limit.saturating_sub(RESERVED) / (CROWDS_AT_ONCE * PER_CONNECTION);
    let size = wanted.min(usize::try_from(fits).unwrap_or(usize::MAX));
    assert!(
        size >= wanted.min(MIN_CROWD),
        "the open-files limit ({limit}) is too low for this test: raise it with `ulimit -n 1024` or more"
    );
    size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let limit = raise_limit();
        let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).expect("getrlimit");
        assert_eq!(limit, soft);
        // (macOS caps the soft limit lower, at kern.maxfilesperproc.)
        assert!(soft == hard || cfg!(not(target_os = "linux")), "soft {soft}, hard {hard}");
    }

    #[test]
    fn a_crowd_fits_twice_in_the_limit() {
        let size = crowd_size(1_000_000) as u64;
        assert!(2 * 2 * size + RESERVED <= raise_limit());
    }
}
