//! A password in memory: never printed, wiped when dropped.

use std::fmt;

use zeroize::Zeroizing;

/// A password as typed. `Debug` prints `***`, there is no `Display`, and its bytes are
/// overwritten with zeros when it is dropped, so it shows up in no log and lingers in no freed
/// memory this crate owns (copies made before it was wrapped, such as the line it was read from,
/// are the caller's to wipe).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps `password` (taking it, not copying it).
    pub fn new(password: String) -> Self {
        Self(Zeroizing::new(password))
    }

    /// The password's bytes, to hash or verify.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl From<String> for Password {
    fn from(password: String) -> Self {
        Self::new(password)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_prints() {
        let password = Password::from("hunter2".to_owned());
        assert_eq!(format!("{password:?}"), "***");
        assert_eq!(format!("{:?}", Some(&password)), "Some(***)");
        assert_eq!(password.as_bytes(), b"hunter2");
    }
}
