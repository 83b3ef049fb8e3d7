//! [`TlsConfig`]: the server's certificate and key, read from PEM files, swappable at run time.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::crypto::ring;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::Fingerprint;
use crate::TlsError;

/// The TLS settings of a listener, shared by its connections. Cloning shares the holder.
///
/// [`reload`](Self::reload) reads the files again (on `SIGHUP`) and swaps the settings in:
/// connections accepted afterwards use the new certificate, established ones keep theirs, so
/// nobody is dropped. A reload that fails leaves the old settings in place.
#[derive(Clone, Debug)]
pub struct TlsConfig {
    inner: Arc<Holder>,
}

#[derive(Debug)]
struct Holder {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Loaded>,
}

#[derive(Clone, Debug)]
struct Loaded {
    config: Arc<ServerConfig>,
    fingerprint: Fingerprint,
}

impl TlsConfig {
    /// Reads the certificate chain (leaf first) and the private key from PEM files.
    pub fn from_pem_files(
        cert_path: impl Into<PathBuf>,
        key_path: impl Into<PathBuf>,
    ) -> Result<Self, TlsError> {
        let (cert_path, key_path) = (cert_path.into(), key_path.into());
        let loaded = load(&cert_path, &key_path)?;
        Ok(Self { inner: Arc::new(Holder { cert_path, key_path, current: RwLock::new(loaded) }) })
    }

    /// Reads the files again and uses them for connections accepted from now on.
    pub fn reload(&self) -> Result<Fingerprint, TlsError> {
        let loaded = load(&self.inner.cert_path, &self.inner.key_path)?;
        let fingerprint = loaded.fingerprint;
        *self.inner.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = loaded;
        Ok(fingerprint)
    }

    /// The settings for a connection accepted now.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.read().config
    }

    /// The fingerprint of the certificate in use.
    pub fn fingerprint(&self) -> Fingerprint {
        self.read().fingerprint
    }

    fn read(&self) -> Loaded {
        self.inner.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// Builds rustls's settings from the two files, with the `ring` provider.
fn load(cert_path: &Path, key_path: &Path) -> Result<Loaded, TlsError> {
    let pem_error = |what, path: &Path, error: rustls_pki_types::pem::Error| TlsError::Pem {
        what,
        path: path.to_owned(),
        message: error.to_string(),
    };
    let chain = CertificateDer::pem_file_iter(cert_path)
        .map_err(|error| pem_error("certificate", cert_path, error))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| pem_error("certificate", cert_path, error))?;
    let Some(leaf) = chain.first() else { return Err(TlsError::NoCertificate(cert_path.to_owned())) };
    let fingerprint = Fingerprint::of_der(leaf);
    let key =
        PrivateKeyDer::from_pem_file(key_path).map_err(|error| pem_error("private key", key_path, error))?;
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Loaded { config: Arc::new(config), fingerprint })
}
