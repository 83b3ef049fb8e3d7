//! What names and room names share: the name as it was written, and the key that decides when
//! two are the same ([`key_of`](crate::protocol::nick::key_of)).

/// Gives `$type`, a struct of two strings `name` and `key`, its constructor from a name already
/// checked (`new_unchecked`, which computes the key), the accessors `as_str` and `key` (with the
/// doc comments given), and `Display` (the name as written).
macro_rules! spelled_and_keyed {
    ($type:ident, $(#[$as_str:meta])* as_str, $(#[$key:meta])* key) => {
        impl $type {
            fn new_unchecked(name: String) -> Self {
                let key = $crate::protocol::nick::key_of(&name);
                Self { name, key }
            }

            $(#[$as_str])*
            pub fn as_str(&self) -> &str {
                &self.name
            }

            $(#[$key])*
            pub fn key(&self) -> &str {
                &self.key
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.name)
            }
        }
    };
}

pub(crate) use spelled_and_keyed;
