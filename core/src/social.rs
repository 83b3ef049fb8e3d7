//! What one connection says about itself and about others: `/away` and `/ignore`.

use crate::ClientId;

/// Longest away message, in characters.
pub(crate) const MAX_AWAY: usize = 200;

/// Most people one connection may ignore at once.
pub(crate) const MAX_IGNORED: usize = 100;

/// Whether a connection is away, and why. A boxed `str` (16 bytes, not a `String`'s 24): every
/// connection has one, and idle connections must stay small (issue 10).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Away(Option<Box<str>>);

impl Away {
    /// Marks away with `message` (sanitised by the caller; cut to [`MAX_AWAY`] characters), or
    /// back with `None`. Returns whether the connection was away before.
    pub(crate) fn set(&mut self, message: Option<&str>) -> bool {
        let was = self.0.is_some();
        self.0 = message.map(|message| message.chars().take(MAX_AWAY).collect::<String>().into_boxed_str());
        was
    }

    /// The away message, if away.
    pub(crate) fn message(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Whom one connection ignores: connections, not names, so an ignored person stays ignored
/// when they change name. Ids are never reused, so one that has left is harmless until pruned.
///
/// The list is boxed and allocated at the first `/ignore`: every connection has one and few
/// ignore anyone, so it costs an idle connection 8 bytes, not a `Vec`'s 24 (issue 10).
#[derive(Clone, Debug, Default)]
#[expect(
    clippy::box_collection,
    reason = "8 bytes in every connection, not a Vec's 24: the box is the point"
)]
pub(crate) struct Ignores(Option<Box<Vec<ClientId>>>);

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
        self.0.as_ref().is_some_and(|ignored| ignored.contains(&id))
    }

    /// Starts ignoring `id`.
    pub(crate) fn add(&mut self, id: ClientId) -> Result<(), IgnoreRefused> {
        let ignored = self.0.get_or_insert_default();
        if ignored.contains(&id) {
            return Err(IgnoreRefused::Already);
        }
        if ignored.len() >= MAX_IGNORED {
            return Err(IgnoreRefused::Full);
        }
        ignored.push(id);
        Ok(())
    }

    /// Stops ignoring `id`; returns whether it was ignored.
    pub(crate) fn remove(&mut self, id: ClientId) -> bool {
        let Some(ignored) = &mut self.0 else { return false };
        let before = ignored.len();
        ignored.retain(|&other| other != id);
        let removed = ignored.len() != before;
        self.free_if_empty();
        removed
    }

    /// Forgets the ignored connections for which `present` is false (they left).
    pub(crate) fn prune(&mut self, mut present: impl FnMut(ClientId) -> bool) {
        if let Some(ignored) = &mut self.0 {
            ignored.retain(|&id| present(id));
        }
        self.free_if_empty();
    }

    /// The ignored connections, in the order they were ignored.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ClientId> + '_ {
        self.0.iter().flat_map(|ignored| ignored.iter().copied())
    }

    /// Gives the list's memory back once nobody is ignored.
    fn free_if_empty(&mut self) {
        if self.0.as_ref().is_some_and(|ignored| ignored.is_empty()) {
            self.0 = None;
        }
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
        ignores.prune(|_| false);
        assert!(ignores.0.is_none(), "an empty list gives its memory back");
    }

    #[test]
    fn an_idle_connection_pays_little_for_away_and_ignores() {
        assert!(std::mem::size_of::<Away>() <= 16);
        assert!(std::mem::size_of::<Ignores>() <= 8);
        let mut ignores = Ignores::default();
        assert!(!ignores.hides(ClientId(1)));
        assert!(!ignores.remove(ClientId(1)));
        assert_eq!(ignores.add(ClientId(1)), Ok(()));
        assert!(ignores.remove(ClientId(1)));
        assert!(ignores.0.is_none(), "an empty list gives its memory back");
    }
}
