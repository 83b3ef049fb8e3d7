//! Making a key and a self-signed certificate for trying TLS out (`chat serve --tls-self-signed`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Fingerprint, TlsError};

/// A self-signed certificate and its key, written as PEM files.
#[derive(Clone, Debug)]
pub struct SelfSigned {
    /// The certificate file.
    pub cert_path: PathBuf,
    /// The private key file (readable by its owner only).
    pub key_path: PathBuf,
    /// The certificate's fingerprint, for clients to check (trust on first use, or pinning).
    pub fingerprint: Fingerprint,
}

/// File name of the certificate in the data directory.
pub const CERT_FILE: &str = "tls-self-signed-cert.pem";
/// File name of the key in the data directory.
pub const KEY_FILE: &str = "tls-self-signed-key.pem";

/// Makes a fresh key and a certificate for `names` (host names or IP addresses, such as
/// `localhost` and `127.0.0.1`) and writes them into `dir` (created if missing) as
/// [`CERT_FILE`] and [`KEY_FILE`], replacing earlier ones.
pub fn generate(dir: &Path, names: &[String]) -> Result<SelfSigned, TlsError> {
    let certified = rcgen::generate_simple_self_signed(names.to_vec())
        .map_err(|error| TlsError::Generate(error.to_string()))?;
    let fingerprint = Fingerprint::of_der(certified.cert.der());
    let cert_path = dir.join(CERT_FILE);
    let key_path = dir.join(KEY_FILE);
    fs::create_dir_all(dir).map_err(|source| write_error(dir, source))?;
    fs::write(&cert_path, certified.cert.pem()).map_err(|source| write_error(&cert_path, source))?;
    write_private(&key_path, certified.signing_key.serialize_pem().as_bytes())
        .map_err(|source| write_error(&key_path, source))?;
    Ok(SelfSigned { cert_path, key_path, fingerprint })
}

/// The error of writing `path`.
fn write_error(path: &Path, source: std::io::Error) -> TlsError {
    TlsError::Write { path: path.to_owned(), source }
}

/// The pair already in `dir` if there is one that loads, so that its fingerprint (which
/// clients may have pinned) survives restarts; otherwise a fresh one from [`generate`].
pub fn load_or_generate(dir: &Path, names: &[String]) -> Result<SelfSigned, TlsError> {
    let (cert_path, key_path) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    if cert_path.exists() && key_path.exists() {
        match crate::TlsConfig::from_pem_files(&cert_path, &key_path) {
            Ok(config) => return Ok(SelfSigned { fingerprint: config.fingerprint(), cert_path, key_path }),
            Err(error) => {
                tracing::warn!(%error, "the self-signed certificate in {} is unusable; making a new one", dir.display())
            }
        }
    }
    generate(dir, names)
}

/// Writes a file only its owner may read (on Unix), replacing any earlier one.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TlsConfig;

    #[test]
    fn a_generated_pair_loads_with_the_printed_fingerprint() {
        let dir = std::env::temp_dir().join(format!("chat-self-signed-{}", std::process::id()));
        let made = generate(&dir, &["localhost".into(), "127.0.0.1".into()]).unwrap();
        let config = TlsConfig::from_pem_files(&made.cert_path, &made.key_path).unwrap();
        assert_eq!(config.fingerprint(), made.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&made.key_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is private");
        }
        // A second run replaces the pair, and a reload picks the new one up.
        let again = generate(&dir, &["localhost".into()]).unwrap();
        assert_ne!(again.fingerprint, made.fingerprint);
        assert_eq!(config.reload().unwrap(), again.fingerprint);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_existing_pair_is_kept_across_restarts() {
        let dir = std::env::temp_dir().join(format!("chat-self-signed-keep-{}", std::process::id()));
        let first = load_or_generate(&dir, &["localhost".into()]).unwrap();
        let second = load_or_generate(&dir, &["localhost".into()]).unwrap();
        assert_eq!(first.fingerprint, second.fingerprint, "the same pair, not a new one");
        fs::write(&first.cert_path, "damaged").unwrap();
        let third = load_or_generate(&dir, &["localhost".into()]).unwrap();
        assert_ne!(third.fingerprint, first.fingerprint, "a damaged pair is replaced");
        fs::remove_dir_all(&dir).unwrap();
    }
}
