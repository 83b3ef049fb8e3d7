//! The check of the server's certificate, as [`Trust`] says: pinned, by a CA, by the system's
//! authorities, or remembered in `known_hosts`. Whatever vouches for the certificate, the
//! server must still prove it holds its key (the handshake signatures are checked as usual).

use std::sync::{Arc, Mutex, PoisonError};

use chat_transport::Fingerprint;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::super::known_hosts::{KnownHosts, Lookup};
use super::{TlsError, Trust};

/// Checks the server's certificate as [`Trust`] says, and keeps why it refused one.
#[derive(Debug)]
pub struct Verifier {
    /// Whom to trust.
    pub trust: Trust,
    /// The check against authorities, if there are any.
    pub authorities: Option<Arc<WebPkiServerVerifier>>,
    /// The remembered certificates (with [`Trust::Usual`] and a file).
    pub known_hosts: Option<KnownHosts>,
    /// `HOST:PORT`, as `known_hosts` names the server.
    pub server: String,
    /// What checks the handshake's signatures.
    pub algorithms: WebPkiSupportedAlgorithms,
    /// Why the certificate was refused, if it was.
    pub refusal: Mutex<Option<TlsError>>,
}

impl Verifier {
    fn refuse(&self, why: TlsError) -> rustls::Error {
        let message = why.to_string();
        *self.refusal.lock().unwrap_or_else(PoisonError::into_inner) = Some(why);
        rustls::Error::General(message)
    }

    /// Why the certificate was refused, if it was (once).
    pub fn take_refusal(&self) -> Option<TlsError> {
        self.refusal.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let fingerprint = Fingerprint::of_der(end_entity.as_ref());
        if let Trust::Pinned(pinned) = self.trust {
            return if fingerprint == pinned {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(self.refuse(TlsError::NotPinned { fingerprint, pinned }))
            };
        }
        let vouched = match &self.authorities {
            Some(authorities) => {
                authorities.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::General("this system has no certificate authorities".into())),
        };
        let why = match (vouched, &self.trust) {
            (Ok(verified), _) => return Ok(verified),
            (Err(err), Trust::Ca(file)) => {
                return Err(self.refuse(TlsError::NotByCa { file: file.clone(), why: err.to_string() }));
            }
            (Err(err), _) => unvouched(&err),
        };
        let Some(known_hosts) = &self.known_hosts else {
            return Err(self.refuse(TlsError::Unknown { fingerprint, why }));
        };
        match known_hosts.lookup(&self.server, &fingerprint) {
            Lookup::Known => Ok(ServerCertVerified::assertion()),
            Lookup::Unknown => Err(self.refuse(TlsError::Unknown { fingerprint, why })),
            Lookup::Changed { line, known } => Err(self.refuse(TlsError::Changed {
                fingerprint,
                known,
                file: known_hosts.path().to_owned(),
                line,
            })),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Why no authority vouches for a certificate, in words.
fn unvouched(err: &rustls::Error) -> String {
    use rustls::CertificateError;
    match err {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "no certificate authority you trust signed it: it may be self-signed".into()
        }
        rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
        | rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
            "it does not name this host".into()
        }
        rustls::Error::InvalidCertificate(CertificateError::Expired)
        | rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. }) => {
            "it has expired".into()
        }
        other => {
            format!("no certificate authority you trust vouches for it, it may be self-signed ({other})")
        }
    }
}
