//! The open-files limit: every client is one file descriptor.

/// Descriptors for everything that is not a client: stdio, listeners, the reactor, the signal
/// handler, and the connections being refused while the room is full.
const SPARE_DESCRIPTORS: u64 = 16;

/// Raises the soft open-files limit as far as the hard one allows (as many servers do at
/// start), and warns when even that cannot hold `max_clients` clients.
pub fn raise_for(max_clients: usize) {
    let needed = max_clients as u64 + SPARE_DESCRIPTORS;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < needed => tracing::warn!(
            "the open-files limit ({limit}) is below --max-clients ({max_clients}) plus {SPARE_DESCRIPTORS}: \
             about {} people can join; raise it with `ulimit -n` or lower --max-clients",
            limit.saturating_sub(SPARE_DESCRIPTORS)
        ),
        Ok(_) => {}
        Err(error) => tracing::debug!(%error, "cannot raise the open-files limit"),
    }
}
