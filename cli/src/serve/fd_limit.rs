//! The open-files limit: every client is one file descriptor.

/// Descriptors for everything that is not a client: stdio, listeners, the reactor, the signal
/// handler, and the connections being refused while the room is full.
const SPARE_DESCRIPTORS: u64 = 16;

/// Raises the soft open-files limit to the hard one (as many servers do at start), and warns
/// when even that cannot hold `max_clients` clients.
pub fn raise_for(max_clients: usize) {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};

        let needed = max_clients as u64 + SPARE_DESCRIPTORS;
        let mut limit = getrlimit(Resource::Nofile);
        // `None` is unlimited; an unlimited hard limit still cannot be set as the soft one.
        let target = limit.maximum.unwrap_or(needed);
        if limit.current.is_some_and(|current| current < target) {
            let raised = rustix::process::Rlimit { current: Some(target), ..limit };
            match setrlimit(Resource::Nofile, raised) {
                Ok(()) => limit = getrlimit(Resource::Nofile),
                Err(error) => tracing::debug!(%error, "cannot raise the open-files limit"),
            }
        }
        if let Some(current) = limit.current.filter(|&current| current < needed) {
            tracing::warn!(
                "the open-files limit ({current}) is below --max-clients ({max_clients}) plus {SPARE_DESCRIPTORS}: \
                 about {} people can join; raise it with `ulimit -n` or lower --max-clients",
                current.saturating_sub(SPARE_DESCRIPTORS)
            );
        }
    }
    #[cfg(not(unix))]
    let _ = max_clients;
}
