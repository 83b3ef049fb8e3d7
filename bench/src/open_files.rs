//! The open-files limit: every bench connection is one file descriptor.

use anyhow::{Context, Result, bail};

/// Descriptors besides the connections: stdio, the pollers and their wake-up handles, the
/// misbehaving clients' sockets.
const SPARE: u64 = 64;

/// Raises the soft open-files limit far enough for `connections` connections, as far as the
/// hard limit allows; fails with what to do when even the hard limit is too low.
pub fn raise_for(connections: usize) -> Result<()> {
    let needed = connections as u64 + SPARE;
    let got =
        rlimit::increase_nofile_limit(needed).context("could not read or raise the open-files limit")?;
    if got < needed {
        bail!(
            "{connections} connections need about {needed} open files, but this system lets the bench \
             open only {got} (the hard limit, `ulimit -Hn`); raise the hard limit (as root: `ulimit -Hn \
             {needed}`, or `nofile` in /etc/security/limits.conf), or use at most {} connections",
            got.saturating_sub(SPARE)
        );
    }
    Ok(())
}

/// Raises the soft open-files limit as far as the hard limit allows and returns it, for a
/// server that takes every connection it can.
pub fn raise_all() -> Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX).context("could not read or raise the open-files limit")
}
