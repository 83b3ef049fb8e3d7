//! What names and room names share: the name as it was written, and the key that decides when
//! two are the same ([`key_of`](crate::protocol::nick::key_of)), kept in one allocation.

/// A name as written and its uniqueness key, in one boxed `str`: the name, then the key unless
/// the key is the name itself. 24 bytes inline where two `String`s took 48, and one small
/// allocation where they took two: every connection holds one (issue 10).
#[derive(Clone, Debug)]
pub(crate) struct Spelled {
    text: Box<str>,
    /// Where the name ends in `text` (on a character boundary).
    name_len: usize,
}

impl Spelled {
    /// `name` and its key.
    pub(crate) fn new(name: &str) -> Self {
        let key = crate::protocol::nick::key_of(name);
        let text = if key == name { key.into_boxed_str() } else { [name, &key].concat().into_boxed_str() };
        Self { text, name_len: name.len() }
    }

    /// The name as written.
    pub(crate) fn name(&self) -> &str {
        self.text.get(..self.name_len).unwrap_or_default()
    }

    /// The uniqueness key.
    pub(crate) fn key(&self) -> &str {
        match self.text.get(self.name_len..) {
            Some("") | None => &self.text,
            Some(key) => key,
        }
    }
}

/// Gives `$type`, a struct whose one field `spelled` is a [`Spelled`], its constructor from a
/// name already checked (`new_unchecked`, which computes the key), the accessors `as_str` and
/// `key` (with the doc comments given), and `Display` (the name as written).
macro_rules! spelled_and_keyed {
    ($type:ident, $(#[$as_str:meta])* as_str, $(#[$key:meta])* key) => {
        impl $type {
            fn new_unchecked(name: &str) -> Self {
                Self { spelled: $crate::protocol::spelled::Spelled::new(name) }
            }

            $(#[$as_str])*
            pub fn as_str(&self) -> &str {
                self.spelled.name()
            }

            $(#[$key])*
            pub fn key(&self) -> &str {
                self.spelled.key()
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use spelled_and_keyed;

#[cfg(test)]
mod tests {
    use super::Spelled;

    #[test]
    fn the_name_and_its_key_share_one_allocation() {
        let folded = Spelled::new("Alice");
        assert_eq!((folded.name(), folded.key()), ("Alice", "alice"));
        let same = Spelled::new("bob");
        assert_eq!((same.name(), same.key()), ("bob", "bob"));
        assert_eq!(same.text.len(), 3, "a key equal to the name is not kept twice");
        let wide = Spelled::new("Ωmega-ĳ");
        assert_eq!(wide.name(), "Ωmega-ĳ");
        assert_eq!(wide.key(), crate::protocol::nick::key_of("Ωmega-ĳ"));
    }
}
