//! TLS for the end-to-end tests: a throw-away self-signed certificate ([`TestCert`]) and a
//! blocking rustls client that reads lines ([`TlsClient`]).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chat_core::protocol::ServerLine;
use chat_transport::{TlsConfig, self_signed};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use socket2::{Domain, Socket, Type};

use crate::{Deadline, WAIT};

/// A self-signed certificate for `localhost` in a directory of its own, removed when dropped.
pub struct TestCert {
    dir: PathBuf,
    /// The server's settings.
    pub config: TlsConfig,
    /// The client's settings, trusting only this certificate.
    pub client: Arc<ClientConfig>,
}

impl TestCert {
    /// Makes a fresh certificate.
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("chat-tests-tls-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let dir = std::env::temp_dir().join(name);
        let made = self_signed::generate(&dir, &["localhost".to_owned()]).expect("a self-signed certificate");
        let config =
            TlsConfig::from_pem_files(&made.cert_path, &made.key_path).expect("the certificate loads");
        let mut roots = RootCertStore::empty();
        let cert = CertificateDer::from_pem_file(&made.cert_path).expect("the certificate reads back");
        roots.add(cert).expect("the certificate is a root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self { dir, config, client: Arc::new(client) }
    }
}

impl Default for TestCert {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestCert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A chat client over TLS, reading whole lines with a deadline.
pub struct TlsClient {
    label: String,
    /// The name the server gave it, from its welcome line.
    name: Option<String>,
    stream: BufReader<StreamOwned<ClientConnection, TcpStream>>,
}

impl TlsClient {
    /// Connects to `addr` and completes the handshake (for `localhost`), with a receive buffer
    /// of `recv_buffer` bytes if given.
    pub fn connect(addr: SocketAddr, cert: &TestCert, label: &str, recv_buffer: Option<usize>) -> Self {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None).expect("a socket");
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).expect("a small receive buffer");
        }
        socket.connect_timeout(&addr.into(), WAIT).unwrap_or_else(|e| panic!("{label}: cannot connect: {e}"));
        let tcp = TcpStream::from(socket);
        tcp.set_read_timeout(Some(WAIT)).expect("a read timeout");
        let name = ServerName::try_from("localhost").expect("a server name");
        let conn = ClientConnection::new(cert.client.clone(), name).expect("a TLS client");
        let mut stream = StreamOwned::new(conn, tcp);
        while stream.conn.is_handshaking() {
            stream
                .conn
                .complete_io(&mut stream.sock)
                .unwrap_or_else(|e| panic!("{label}: TLS handshake: {e}"));
        }
        Self { label: label.to_owned(), name: None, stream: BufReader::new(stream) }
    }

    /// The name the server gave this client in its welcome line.
    pub fn default_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| panic!("{}: its name is known once its welcome was read", self.label))
    }

    /// Sends `line` and a newline.
    pub fn send_line(&mut self, line: &str) {
        let stream = self.stream.get_mut();
        stream
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stream.flush())
            .unwrap_or_else(|e| panic!("{}: cannot send {line:?}: {e}", self.label));
    }

    /// The next line (without its newline), or why there is none.
    pub fn try_next_line(&mut self) -> io::Result<Option<String>> {
        let deadline = Deadline::standard();
        let mut line = String::new();
        loop {
            match self.stream.read_line(&mut line) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    let line = line.trim_end_matches('\n').to_owned();
                    if let ServerLine::Welcome { name, .. } = ServerLine::parse(&line) {
                        self.name = Some(name.to_owned());
                    }
                    return Ok(Some(line));
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) if deadline.remaining().is_some() && error.kind() == io::ErrorKind::WouldBlock => {
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The next line; fails the test if none comes.
    pub fn next_line(&mut self) -> String {
        match self.try_next_line() {
            Ok(Some(line)) => line,
            Ok(None) => panic!("{}: the server closed the connection", self.label),
            Err(error) => panic!("{}: no line within {WAIT:?}: {error}", self.label),
        }
    }

    /// Fails the test unless the next line is `expected`.
    pub fn expect_line(&mut self, expected: &str) {
        let line = self.next_line();
        assert_eq!(line, expected, "{}: unexpected line", self.label);
    }

    /// Reads the welcome line.
    pub fn expect_welcome(&mut self) -> String {
        let line = self.next_line();
        assert!(line.starts_with("*** Welcome"), "{}: expected the welcome, got {line:?}", self.label);
        line
    }
}
