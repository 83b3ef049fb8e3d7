//! argon2id: the parameters, hashing and verifying.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::{AuthError, Password};

/// argon2id's cost parameters.
///
/// The default is OWASP's recommended minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane.
/// One hash or verification then takes about 90 ms of one core (release build, measured on the
/// loaded 2-core development machine) and 19 MiB while it runs: each worker thread costs that
/// much at most, and one thread answers about ten requests a second. Hashes keep the parameters they were
/// made with, so raising them later still verifies old passwords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashParams {
    /// Memory per hash, in KiB (at least 8 per lane).
    pub memory_kib: u32,
    /// Passes over the memory (at least 1).
    pub iterations: u32,
    /// Lanes (at least 1); a hash still runs on one thread here.
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        Self { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

/// An argon2id hasher with checked parameters.
#[derive(Clone)]
pub(crate) struct Hasher {
    argon2: Argon2<'static>,
}

impl Hasher {
    pub(crate) fn new(params: HashParams) -> Result<Self, AuthError> {
        let params = Params::new(params.memory_kib, params.iterations, params.parallelism, None)
            .map_err(AuthError::Params)?;
        Ok(Self { argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params) })
    }

    /// The PHC string of `password` with a fresh random salt.
    pub(crate) fn hash(&self, password: &Password) -> Result<String, AuthError> {
        let salt = SaltString::generate(&mut OsRng);
        let hash = self.argon2.hash_password(password.as_bytes(), &salt).map_err(AuthError::Hash)?;
        Ok(hash.to_string())
    }

    /// Whether `password` is the one `phc` was made from.
    pub(crate) fn verify(&self, password: &Password, phc: &str) -> Result<bool, AuthError> {
        let hash = PasswordHash::new(phc).map_err(|_| AuthError::BadHash)?;
        match self.argon2.verify_password(password.as_bytes(), &hash) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(error) => Err(AuthError::Hash(error)),
        }
    }
}
