//! What can go wrong with passwords.

/// A password worker that cannot start, or a request it could not carry out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The argon2id parameters are out of range.
    #[error(
        "bad password hashing parameters ({0}): memory must be at least 8 KiB per lane, passes and lanes at least 1"
    )]
    Params(#[source] argon2::Error),
    /// A stored hash is not an argon2 PHC string: the account's record is damaged.
    #[error("a stored password hash is not a PHC string: the account must set its password again")]
    BadHash,
    /// Hashing or verifying failed.
    #[error("password hashing failed: {0}")]
    Hash(#[source] argon2::password_hash::Error),
    /// A worker thread could not be started.
    #[error("cannot start a password worker thread: {0}")]
    Thread(#[source] std::io::Error),
}
