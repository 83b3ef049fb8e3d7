//! TLS for `chat join --tls`: whom to trust, and the handshake.
//!
//! A server's certificate is trusted when it is pinned (`--fingerprint`, then nothing else
//! counts), when it is signed by the CA given with `--ca` (then only that CA counts), or else
//! when the system's certificate authorities vouch for it, or when `known_hosts` remembers its
//! fingerprint for this `HOST:PORT` (trust on first use, as ssh does: see [`super::trust`]).
//! Whatever vouches for the certificate, the server must prove it holds the certificate's key.

use std::io;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_transport::Fingerprint;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

use super::known_hosts::KnownHosts;
use super::stream::Conn;

mod verify;

use verify::Verifier;

/// Why a TLS connection was not made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// No authority vouches for the certificate and `known_hosts` does not know it.
    #[error("the server's certificate is not trusted yet ({why}); its fingerprint is {fingerprint}")]
    Unknown {
        /// The certificate's fingerprint, to compare with the one the server's operator gives.
        fingerprint: Fingerprint,
        /// Why no authority vouches for it.
        why: String,
    },
    /// `known_hosts` remembers another certificate for this server.
    #[error(
        "the server's certificate has changed: it is now {fingerprint}, but line {line} of {} remembers {known}; remove that line if you know the change is right",
        file.display()
    )]
    Changed {
        /// The new certificate's fingerprint.
        fingerprint: Fingerprint,
        /// The remembered one.
        known: Fingerprint,
        /// The `known_hosts` file.
        file: PathBuf,
        /// Its line that remembers the old one.
        line: usize,
    },
    /// The certificate is not the one pinned with `--fingerprint`.
    #[error("the server's certificate is {fingerprint}, not the pinned {pinned}")]
    NotPinned {
        /// The certificate's fingerprint.
        fingerprint: Fingerprint,
        /// The pinned one.
        pinned: Fingerprint,
    },
    /// The certificate is not signed by the `--ca` authority.
    #[error("the server's certificate is not vouched for by the CA in {}: {why}", file.display())]
    NotByCa {
        /// The `--ca` file.
        file: PathBuf,
        /// What the check said.
        why: String,
    },
    /// What answered does not speak TLS.
    #[error(
        "the server does not speak TLS on this port (is it the plain chat port? `chat serve` takes TLS on 5001 by default; leave out --tls for the plain port)"
    )]
    NotTls,
    /// The handshake did not finish in time.
    #[error("no TLS answer within {0} s (is it the plain chat port? leave out --tls for the plain port)")]
    Timeout(u64),
    /// The CA file could not be used.
    #[error("cannot use the CA certificates in {}: {why}", file.display())]
    CaFile {
        /// The `--ca` file.
        file: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// Any other handshake failure (the server broke off, a certificate that is not valid...).
    #[error("the TLS handshake failed: {0}")]
    Handshake(String),
}

/// Whom to trust.
#[derive(Clone, Debug)]
pub enum Trust {
    /// Only the certificate with this fingerprint.
    Pinned(Fingerprint),
    /// Only certificates signed by the authorities in this PEM file.
    Ca(PathBuf),
    /// The system's authorities, then `known_hosts` (this file, if there is one).
    Usual(Option<PathBuf>),
}

/// What every TLS connection of a session shares: whom to trust, and the crypto.
pub struct TlsSetup {
    trust: Trust,
    provider: Arc<CryptoProvider>,
    /// The check against authorities: `--ca`'s, or the system's (`None` when it has none).
    authorities: Option<Arc<WebPkiServerVerifier>>,
}

impl TlsSetup {
    /// Reads the authorities that `trust` needs (the `--ca` file, or the system's).
    pub fn new(trust: Trust) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = match &trust {
            Trust::Pinned(_) => None,
            Trust::Ca(file) => Some(ca_roots(file)?),
            Trust::Usual(_) => Some(system_roots()),
        };
        let authorities = match roots {
            Some(roots) if !roots.is_empty() => {
                let built =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build();
                Some(built.map_err(|err| TlsError::Handshake(err.to_string()))?)
            }
            _ => None,
        };
        if let (Trust::Ca(file), None) = (&trust, &authorities) {
            return Err(TlsError::CaFile { file: file.clone(), why: "it holds no certificate".into() });
        }
        Ok(Self { trust, provider, authorities })
    }

    /// Makes `socket` a TLS connection to `host` (the name or address typed, which the
    /// certificate must name unless it is pinned or remembered), known in `known_hosts` as
    /// `server` (`HOST:PORT`); the handshake may take `timeout`.
    pub fn handshake(
        &self,
        mut socket: TcpStream,
        host: &str,
        server: &str,
        timeout: Duration,
    ) -> Result<Conn, TlsError> {
        let known_hosts = match &self.trust {
            Trust::Usual(Some(file)) => Some(
                KnownHosts::load(file)
                    .map_err(|err| TlsError::Handshake(format!("cannot read {}: {err}", file.display())))?,
            ),
            _ => None,
        };
        let verifier = Arc::new(Verifier {
            trust: self.trust.clone(),
            authorities: self.authorities.clone(),
            known_hosts,
            server: server.to_owned(),
            algorithms: self.provider.signature_verification_algorithms,
            refusal: Mutex::new(None),
        });
        let config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|err| TlsError::Handshake(err.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| TlsError::Handshake(format!("{host} is not a host name a certificate can name")))?;
        let mut tls = ClientConnection::new(Arc::new(config), name)
            .map_err(|err| TlsError::Handshake(err.to_string()))?;
        let failed = |err: io::Error| verifier.take_refusal().unwrap_or_else(|| why_failed(err, timeout));
        socket.set_read_timeout(Some(timeout)).map_err(failed)?;
        socket.set_write_timeout(Some(timeout)).map_err(failed)?;
        while tls.is_handshaking() {
            match tls.complete_io(&mut socket) {
                Ok((0, 0)) => return Err(failed(io::ErrorKind::UnexpectedEof.into())),
                Ok(_) => {}
                Err(err) => return Err(failed(err)),
            }
        }
        socket.set_read_timeout(None).map_err(failed)?;
        socket.set_write_timeout(None).map_err(failed)?;
        Ok(Conn::tls(socket, tls))
    }
}

/// The system's certificate authorities (none, with a warning, when they cannot be read).
fn system_roots() -> RootCertStore {
    let found = rustls_native_certs::load_native_certs();
    for err in &found.errors {
        tracing::warn!(%err, "cannot read some of the system's certificate authorities");
    }
    let mut roots = RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(found.certs);
    tracing::debug!(added, ignored, "system certificate authorities");
    roots
}

/// The authorities in the PEM file `file`.
fn ca_roots(file: &Path) -> Result<RootCertStore, TlsError> {
    let fail = |why: String| TlsError::CaFile { file: file.to_owned(), why };
    let certs = CertificateDer::pem_file_iter(file)
        .map_err(|err| fail(err.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| fail(err.to_string()))?;
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|err| fail(err.to_string()))?;
    }
    Ok(roots)
}

/// What a failed handshake that the verifier did not refuse means.
fn why_failed(err: io::Error, timeout: Duration) -> TlsError {
    if matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) {
        return TlsError::Timeout(timeout.as_secs());
    }
    if err.kind() == io::ErrorKind::UnexpectedEof {
        return TlsError::Handshake("the server closed the connection".into());
    }
    match err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidMessage(_)) => TlsError::NotTls,
        Some(other) => TlsError::Handshake(other.to_string()),
        None => TlsError::Handshake(err.to_string()),
    }
}
