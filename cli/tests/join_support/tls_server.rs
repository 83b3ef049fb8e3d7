//! A small TLS chat server inside the test: a rustls server thread on 127.0.0.1 that greets
//! like `chat serve` and echoes each line back as `<guest> LINE`, with an rcgen certificate,
//! self-signed or signed by a test CA.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use chat_transport::Fingerprint;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The names every test certificate is for.
const NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// A certificate and its key, for the server.
pub struct Identity {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
    /// The certificate's fingerprint.
    pub fingerprint: Fingerprint,
}

impl Identity {
    /// A fresh self-signed certificate.
    pub fn self_signed() -> Self {
        let made = rcgen::generate_simple_self_signed(NAMES.map(str::to_owned)).expect("make a certificate");
        Self::new(made.cert.der().clone(), &made.signing_key)
    }

    /// A fresh certificate signed by a fresh CA, whose certificate is written to `ca_file`.
    pub fn signed_by_new_ca(ca_file: &Path) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca =
            CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key")).expect("make a CA");
        std::fs::write(ca_file, ca.as_ref().pem()).expect("write the CA certificate");
        let key = KeyPair::generate().expect("server key");
        let params = CertificateParams::new(NAMES.map(str::to_owned).to_vec()).expect("server parameters");
        let cert = params.signed_by(&key, &ca).expect("sign the server's certificate");
        Self::new(cert.der().clone(), &key)
    }

    fn new(cert: CertificateDer<'static>, key: &KeyPair) -> Self {
        let fingerprint = Fingerprint::of_der(&cert);
        Self { cert, key: PrivatePkcs8KeyDer::from(key.serialize_der()), fingerprint }
    }
}

/// The server; it stops taking connections on drop.
pub struct TlsServer {
    port: u16,
    stopping: Arc<AtomicBool>,
    clients: Arc<Mutex<Vec<TcpStream>>>,
    /// The accepting thread, which owns the listener.
    accepting: Option<thread::JoinHandle<()>>,
}

impl TlsServer {
    /// Starts serving TLS with `identity` on a port the OS picks.
    pub fn start(identity: &Identity) -> Self {
        Self::start_on(identity, 0).expect("a port the OS picks is free")
    }

    /// Starts serving TLS with `identity` on `port` (0: one the OS picks); `None` if the port
    /// is taken.
    pub fn start_on(identity: &Identity, port: u16) -> Option<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![identity.cert.clone()], PrivateKeyDer::Pkcs8(identity.key.clone_key()))
            .expect("a usable certificate");
        let config = Arc::new(config);
        let listener = TcpListener::bind(("127.0.0.1", port)).ok()?;
        let port = listener.local_addr().expect("local address").port();
        let stopping = Arc::new(AtomicBool::new(false));
        let clients = Arc::new(Mutex::new(Vec::new()));
        let (stop, all) = (stopping.clone(), clients.clone());
        let accepting = thread::spawn(move || {
            for (n, socket) in listener.incoming().enumerate() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(socket) = socket else { continue };
                all.lock().unwrap().push(socket.try_clone().expect("clone the socket"));
                let config = config.clone();
                thread::spawn(move || serve(config, socket, n + 1));
            }
        });
        Some(Self { port, stopping, clients, accepting: Some(accepting) })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cuts every connection, as a server that went away would (it still takes new ones).
    pub fn drop_clients(&self) {
        for socket in self.clients.lock().unwrap().drain(..) {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.drop_clients();
        // Wakes the accepting thread, which then sees it is to stop and closes the listener:
        // the port is free once this returns.
        if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            && let Some(accepting) = self.accepting.take()
        {
            let _ = accepting.join();
        }
    }
}

/// One client: the greeting, then each line back as `<guestN> LINE`, until `/quit` or the end.
fn serve(config: Arc<ServerConfig>, socket: TcpStream, n: usize) {
    let Ok(tls) = ServerConnection::new(config) else { return };
    let mut stream = BufReader::new(StreamOwned::new(tls, socket));
    let name = format!("guest{n}");
    let greeting =
        format!("*** Welcome to the chat room, {name}: nobody else is here yet. Type /help for commands.\n");
    if stream.get_mut().write_all(greeting.as_bytes()).is_err() {
        return;
    }
    let mut line = String::new();
    while stream.read_line(&mut line).is_ok_and(|read| read > 0) {
        let text = line.trim_end().to_owned();
        line.clear();
        if text.starts_with("/quit") {
            let stream = stream.get_mut();
            let _ = stream.write_all(b"*** Goodbye!\n");
            stream.conn.send_close_notify();
            let _ = stream.flush();
            return;
        }
        if text.starts_with('/') {
            continue;
        }
        if stream.get_mut().write_all(format!("<{name}> {text}\n").as_bytes()).is_err() {
            return;
        }
    }
}
