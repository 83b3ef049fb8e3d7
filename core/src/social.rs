//! What one connection says about itself and about others: `/away` and `/ignore`.

use crate::ClientId;

/// Longest away message, in characters.
pub(crate) const MAX_AWAY: usize = 200;

/// Most people one connection may ignore at once.
pub(crate) const MAX_IGNORED: usize = 100;

/// Whether a connection is away, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Away(Option<String>);

impl Away {
    /// Marks away with `message` (sanitised by the caller; cut to [`MAX_AWAY`] characters), or
    /// back with `None`. Returns whether the connection was away before.
    pub(crate) fn set(&mut self, message: Option<&str>) -> bool {
        let was = self.0.is_some();
        self.0 = message.map(|message| message.chars().take(MAX_AWAY).collect());
        was
    }

    /// The away message, if away.
    pub(crate) fn message(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Whom one connection ignores: connections, not names, so an ignored person stays ignored
/// when they change name. Ids are never reused, so one that has left is harmless until pruned.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ignores(Vec<ClientId>);

/// Why an `/ignore` did not take.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IgnoreRefused {
    /// Already ignored.
    Already,
    /// [`MAX_IGNORED`] reached.
    Full,
}

impl Ignores {
    /// Whether lines from `id` are hidden. Constant time while nobody is ignored, the usual case.
    #[inline]
    pub(crate) fn hides(&self, id: ClientId) -> bool {
        !self.0.is_empty() && self.0.contains(&id)
    }

    /// Starts ignoring `id`.
    pub(crate) fn add(&mut self, id: ClientId) -> Result<(), IgnoreRefused> {
        if self.0.contains(&id) {
            return Err(IgnoreRefused::Already);
        }
        if self.0.len() >= MAX_IGNORED {
            return Err(IgnoreRefused::Full);
        }
        self.0.push(id);
        Ok(())
    }

    /// Stops ignoring `id`; returns whether it was ignored.
    pub(crate) fn remove(&mut self, id: ClientId) -> bool {
        let before = self.0.len();
        self.0.retain(|&ignored| ignored != id);
        self.0.len() != before
    }

    /// Forgets the ignored connections for which `present` is false (they left).
    pub(crate) fn prune(&mut self, mut present: impl FnMut(ClientId) -> bool) {
        self.0.retain(|&id| present(id));
    }

    /// The ignored connections, in the order they were ignored.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ClientId> + '_ {
        self.0.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn away_is_set_and_cleared() {
        let mut away = Away::default();
        assert!(!away.set(Some("lunch")));
        assert_eq!(away.message(), Some("lunch"));
        assert!(away.set(None));
        assert_eq!(away.message(), None);
        away.set(Some(&"z".repeat(MAX_AWAY * 2)));
        assert_eq!(away.message().map(str::len), Some(MAX_AWAY));
    }

    #[test]
    fn ignores_are_by_connection_and_bounded() {
        let mut ignores = Ignores::default();
        assert!(!ignores.hides(ClientId(7)));
        assert_eq!(ignores.add(ClientId(7)), Ok(()));
        assert_eq!(ignores.add(ClientId(7)), Err(IgnoreRefused::Already));
        assert!(ignores.hides(ClientId(7)));
        assert!(!ignores.hides(ClientId(8)));
        for id in 100..100 + MAX_IGNORED as u64 - 1 {
            assert_eq!(ignores.add(ClientId(id)), Ok(()));
        }
        assert_eq!(ignores.add(ClientId(1)), Err(IgnoreRefused::Full));
        ignores.prune(|id| id != ClientId(7));
        assert!(!ignores.hides(ClientId(7)));
        assert!(ignores.remove(ClientId(100)));
        assert!(!ignores.remove(ClientId(100)));
        assert_eq!(ignores.iter().count(), MAX_IGNORED - 2);
    }
}
