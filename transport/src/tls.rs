//! TLS for the chat's listeners: certificates from PEM files in a holder that a reload can
//! swap ([`TlsConfig`]), their SHA-256 fingerprints ([`Fingerprint`]), and the `ring`
//! provider. The per-connection part lives in [`crate::Transport`].

mod config;
mod fingerprint;

pub use config::TlsConfig;
pub use fingerprint::Fingerprint;
