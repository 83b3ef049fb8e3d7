//! `chat serve` over TLS: SIGHUP reloads the certificate for the connections accepted from
//! then on, and nobody connected before is dropped.
//!
//! Every wait has a deadline; the child process is killed when its guard drops.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

mod serve_support;

use serve_support::process::Serve;
use serve_support::{PATIENCE, localhost, next_line};

/// Writes a fresh self-signed pair for `localhost` to `cert` and `key`; returns a client
/// setting that trusts only it.
fn new_pair(cert: &Path, key: &Path) -> Arc<ClientConfig> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    std::fs::write(cert, made.cert.pem()).expect("write the certificate");
    std::fs::write(key, made.signing_key.serialize_pem()).expect("write the key");
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(made.cert.der().to_vec())).expect("a root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A chat client over TLS, reading lines.
struct Client(BufReader<StreamOwned<ClientConnection, TcpStream>>);

impl Client {
    /// Connects to 127.0.0.1:`port` and completes the handshake, trusting what `trust` trusts.
    fn connect(port: u16, trust: &Arc<ClientConfig>) -> Result<Self, rustls::Error> {
        let tcp = TcpStream::connect_timeout(&localhost(port), PATIENCE).expect("connect");
        tcp.set_read_timeout(Some(PATIENCE)).expect("read timeout");
        let name = ServerName::try_from("localhost").expect("a server name");
        let mut stream = StreamOwned::new(ClientConnection::new(trust.clone(), name).expect("a client"), tcp);
        while stream.conn.is_handshaking() {
            if let Err(error) = stream.conn.complete_io(&mut stream.sock) {
                let refused = error.into_inner().and_then(|inner| inner.downcast::<rustls::Error>().ok());
                return Err(*refused.expect("a TLS error, not an I/O one"));
            }
        }
        Ok(Self(BufReader::new(stream)))
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.0.read_line(&mut line).expect("a line within the read timeout");
        assert!(line.ends_with('\n'), "a whole line, not {line:?}");
        line.trim_end().to_owned()
    }

    fn send(&mut self, line: &str) {
        let stream = self.0.get_mut();
        stream.write_all(format!("{line}\n").as_bytes()).and_then(|()| stream.flush()).expect("send");
    }

    /// The name in the welcome line, read now.
    fn welcome(&mut self) -> String {
        let welcome = self.line();
        let rest =
            welcome.strip_prefix("*** Welcome to the chat room, ").unwrap_or_else(|| panic!("{welcome:?}"));
        rest.split_once(": ").unwrap_or_else(|| panic!("{welcome:?}")).0.to_owned()
    }
}

#[test]
fn sighup_serves_the_new_certificate_and_keeps_everyone() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let first = new_pair(&cert, &key);
    let (cert_arg, key_arg) = (cert.to_str().expect("a UTF-8 path"), key.to_str().expect("a UTF-8 path"));
    let (serve, _) = Serve::on_free_port(&["--tls-port", "0", "--tls-cert", cert_arg, "--tls-key", key_arg]);
    let tls_port: u16 = loop {
        let line = next_line(&serve.stdout, "the TLS line");
        if let Some(rest) = line.strip_prefix("TLS on 127.0.0.1:") {
            break rest.split(' ').next().and_then(|port| port.parse().ok()).expect("a port");
        }
    };
    let mut before = Client::connect(tls_port, &first).expect("the first certificate is served");
    let before_name = before.welcome();
    let second = new_pair(&cert, &key);
    serve.hangup();
    let reloaded = next_line(&serve.stdout, "the reload line");
    assert!(reloaded.starts_with("TLS certificate reloaded (fingerprint "), "{reloaded:?}");
    // New connections get the new certificate, which a client trusting the old one refuses.
    assert!(Client::connect(tls_port, &first).is_err(), "the old certificate is still served");
    let mut after = Client::connect(tls_port, &second).expect("the new certificate is served");
    let after_name = after.welcome();
    // The connection made before the reload goes on.
    assert_eq!(before.line(), format!("*** {after_name} entered the room"));
    before.send("still here");
    // Notices (arrivals are announced a moment late) may come first.
    let said = std::iter::repeat_with(|| after.line()).find(|line| !line.starts_with("*** "));
    assert_eq!(said, Some(format!("<{before_name}> still here")));
}
