//! [`Fingerprint`]: the SHA-256 of a certificate, as ssh shows host keys.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// The SHA-256 digest of a DER certificate. Shown (and parsed) as `SHA256:` followed by the
/// digest in unpadded base64, like `ssh-keygen -l`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a certificate in DER form.
    pub fn of_der(der: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        Self(digest.as_ref().try_into().expect("SHA-256 is 32 bytes"))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SHA256:{}", STANDARD_NO_PAD.encode(self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a fingerprint could not be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "a fingerprint looks like SHA256:<43 base64 characters>, as `chat serve --tls-self-signed` prints it"
)]
pub struct BadFingerprint;

impl FromStr for Fingerprint {
    type Err = BadFingerprint;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digest = text.trim().strip_prefix("SHA256:").unwrap_or(text.trim());
        let bytes = STANDARD_NO_PAD.decode(digest.trim_end_matches('=')).map_err(|_| BadFingerprint)?;
        Ok(Self(bytes.try_into().map_err(|_| BadFingerprint)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_reads_back_what_it_shows() {
        let fingerprint = Fingerprint::of_der(b"not really a certificate");
        let shown = fingerprint.to_string();
        assert!(shown.starts_with("SHA256:") && shown.len() == 7 + 43, "{shown}");
        assert_eq!(shown.parse::<Fingerprint>().unwrap(), fingerprint);
        assert!("SHA256:short".parse::<Fingerprint>().is_err());
    }
}
