//! The errors of setting a transport up. Once running, a transport reports problems as the
//! connection ending (see [`crate::Incoming`]), never as an error.

use std::path::PathBuf;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read or parsed.
    #[error("cannot read {what} from {path}: {message}")]
    Pem {
        /// `certificate` or `private key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The file held no certificate.
    #[error("{0} holds no PEM certificate (a `-----BEGIN CERTIFICATE-----` block)")]
    NoCertificate(PathBuf),
    /// rustls refused the certificate and key (for example, they do not match).
    #[error("the certificate and key cannot be used together: {0}")]
    Rustls(#[from] rustls::Error),
    /// Making a self-signed certificate failed.
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(String),
    /// Writing the self-signed certificate or key failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
