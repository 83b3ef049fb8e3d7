//! Names for connections that have not chosen one: `guest-NNNN`.
//!
//! A new connection gets a short name that is not its address (addresses are never shown to
//! other users). The core has no randomness, so the numbers come from a counter scrambled by a
//! fixed permutation: `x -> (A * x + C) mod 10^d`, a bijection on `d`-digit numbers because
//! `A` shares no factor with 10. Consecutive guests therefore get unrelated-looking numbers, and
//! a name still held by someone is skipped (re-drawn).

use crate::protocol::nick::{Nick, key_of};

/// The multiplier of the permutation: odd and not a multiple of 5.
const A: u64 = 7_919;
/// The offset of the permutation.
const C: u64 = 4_513;
/// The fewest digits a guest number has.
const MIN_DIGITS: u32 = 4;

/// Hands out `guest-NNNN` names, deterministically.
#[derive(Debug, Default)]
pub(crate) struct GuestNames {
    drawn: u64,
}

impl From<u64> for GuestNames {
    /// Names drawn from `seed` on: nodes of a cluster start at different places, so they
    /// rarely hand out the same name.
    fn from(seed: u64) -> Self {
        Self { drawn: seed }
    }
}

impl GuestNames {
    /// The next free guest name. `present` is how many names are in use (the numbers get a
    /// digit longer while the room is more than half as big as the space of numbers, so a draw
    /// rarely collides); `taken` says whether a uniqueness key is in use.
    pub(crate) fn next(&mut self, present: usize, mut taken: impl FnMut(&str) -> bool) -> Nick {
        let mut digits = MIN_DIGITS;
        while 10u64.pow(digits) < 2 * (present as u64 + 1) {
            digits += 1;
        }
        loop {
            let space = 10u64.pow(digits);
            // `space` draws in a row visit every number of this width once: if all are taken,
            // the next width has room, since at most `present` names are.
            for _ in 0..space {
                let x = self.drawn % space;
                self.drawn = self.drawn.wrapping_add(1);
                let number = (A.wrapping_mul(x).wrapping_add(C)) % space;
                let name = format!("guest-{number:0width$}", width = digits as usize);
                if !taken(&key_of(&name)) {
                    return Nick::guest(&name);
                }
            }
            digits += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_are_short_scrambled_and_distinct() {
        let mut guests = GuestNames::default();
        let names: Vec<String> = (0..5).map(|_| guests.next(0, |_| false).to_string()).collect();
        assert_eq!(names, ["guest-4513", "guest-2432", "guest-0351", "guest-8270", "guest-6189"]);
        let mut guests = GuestNames::default();
        let all: HashSet<String> = (0..10_000).map(|_| guests.next(0, |_| false).to_string()).collect();
        assert_eq!(all.len(), 10_000, "a full cycle visits every 4-digit number once");
    }

    #[test]
    fn a_name_in_use_is_skipped() {
        let mut guests = GuestNames::default();
        let held = key_of("guest-4513");
        assert_eq!(guests.next(1, |key| key == held).as_str(), "guest-2432");
    }

    #[test]
    fn numbers_grow_with_the_room_and_when_all_are_taken() {
        let mut guests = GuestNames::default();
        assert_eq!(guests.next(4_999, |_| false).as_str().len(), "guest-".len() + 4);
        assert_eq!(guests.next(5_000, |_| false).as_str().len(), "guest-".len() + 5);
        let mut guests = GuestNames::default();
        let name = guests.next(0, |key| key.len() == key_of("guest-0000").len());
        assert_eq!(name.as_str().len(), "guest-".len() + 5);
    }
}
