//! What a bench connection speaks to the server: plain TCP, TLS, WebSocket, or WebSocket over
//! TLS (`--wire`), client side, so that one load measures every transport the same way.
//!
//! [`Layers::open`] does the TLS handshake and the WebSocket upgrade on the blocking socket;
//! afterwards [`Layers::read`] and [`Layers::write`] work like a non-blocking socket's `read`
//! and `write` carrying chat lines: reads give lines ending in `\n` (each WebSocket message one
//! line), writes take whole lines (each sent as one masked text message) and refuse more with
//! `WouldBlock` while earlier bytes still wait for the socket, so a sender's backlog stays in
//! its own buffer as on plain TCP. What a write took may still wait in these layers:
//! [`Layers::flush`] writes it.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use chat_transport::ws::client::{frame, read_server_frames};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

/// The transport of every bench connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Wire {
    /// Chat lines over plain TCP.
    #[default]
    Tcp,
    /// Chat lines over TLS (`chat serve --tls-*`'s port).
    Tls,
    /// WebSocket at `/ws` (`chat serve --web`).
    Ws,
    /// WebSocket over TLS (`chat serve --web` with a certificate).
    Wss,
}

impl Wire {
    fn tls(self) -> bool {
        matches!(self, Wire::Tls | Wire::Wss)
    }

    fn ws(self) -> bool {
        matches!(self, Wire::Ws | Wire::Wss)
    }
}

/// The client's TLS settings: trust the server's certificate, named `name`.
#[derive(Clone, Debug)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl TlsClient {
    /// Trusts the certificate in the PEM file `ca` (for example the one `chat serve
    /// --tls-self-signed` prints) for the server name `name`.
    pub fn new(ca: &Path, name: &str) -> Result<Self, String> {
        let mut roots = RootCertStore::empty();
        for cert in
            CertificateDer::pem_file_iter(ca).map_err(|e| format!("cannot read {}: {e}", ca.display()))?
        {
            let cert = cert.map_err(|e| format!("cannot read {}: {e}", ca.display()))?;
            roots.add(cert).map_err(|e| format!("cannot trust {}: {e}", ca.display()))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS settings: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name =
            ServerName::try_from(name.to_owned()).map_err(|e| format!("bad TLS server name {name}: {e}"))?;
        Ok(Self { config: Arc::new(config), name })
    }
}

/// The layers above one connection's socket.
#[derive(Debug)]
pub struct Layers {
    tls: Option<Box<ClientConnection>>,
    /// Plain text TLS decrypted and not yet read: kept here, where
    /// [`has_buffered`](Self::has_buffered) sees it (a poller does not: the socket may be empty).
    plain: Plain,
    ws: Option<Ws>,
}

/// Decrypted bytes, served from `taken` on.
#[derive(Debug, Default)]
struct Plain {
    bytes: Vec<u8>,
    taken: usize,
}

/// A WebSocket's state: frame bytes read and not yet whole, lines decoded and not yet read,
/// frames written and not yet taken by the layer below.
#[derive(Debug, Default)]
struct Ws {
    raw: Vec<u8>,
    lines: Vec<u8>,
    taken: usize,
    framed: Vec<u8>,
    sent: usize,
}

impl Layers {
    /// Layers for `wire` over the blocking, connected `stream`: handshakes done.
    pub fn open(
        stream: &mut TcpStream,
        wire: Wire,
        tls: Option<&TlsClient>,
        host: &str,
    ) -> Result<Self, String> {
        let tls = if wire.tls() {
            let tls = tls.ok_or("--wire tls and wss need --tls-ca")?;
            let mut conn = ClientConnection::new(tls.config.clone(), tls.name.clone())
                .map_err(|e| format!("TLS client: {e}"))?;
            while conn.is_handshaking() {
                conn.complete_io(stream).map_err(|e| format!("TLS handshake: {e}"))?;
            }
            Some(Box::new(conn))
        } else {
            None
        };
        let mut layers = Self { tls, plain: Plain::default(), ws: None };
        if wire.ws() {
            layers.upgrade(stream, host)?;
        }
        Ok(layers)
    }

    /// Asks for the WebSocket at `/ws` and reads the answer's head (blocking).
    fn upgrade(&mut self, stream: &mut TcpStream, host: &str) -> Result<(), String> {
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        let mut head = Vec::new();
        let mut chunk = [0; 4096];
        let fail = |e: io::Error| format!("WebSocket upgrade: {e}");
        match &mut self.tls {
            Some(tls) => {
                rustls::Stream::new(tls.as_mut(), stream).write_all(request.as_bytes()).map_err(fail)?
            }
            None => stream.write_all(request.as_bytes()).map_err(fail)?,
        }
        let end = loop {
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let n = match &mut self.tls {
                Some(tls) => rustls::Stream::new(tls.as_mut(), stream).read(&mut chunk).map_err(fail)?,
                None => stream.read(&mut chunk).map_err(fail)?,
            };
            if n == 0 || head.len() > 16 * 1024 {
                return Err("WebSocket upgrade: no answer".to_owned());
            }
            head.extend_from_slice(&chunk[..n]);
        };
        if !head.starts_with(b"HTTP/1.1 101") {
            let line = String::from_utf8_lossy(&head[..head.len().min(80)]).into_owned();
            return Err(format!("the server refused the WebSocket: {line}"));
        }
        let mut ws = Ws::default();
        ws.take_frames(&head[end..]);
        self.ws = Some(ws);
        Ok(())
    }

    /// Like a non-blocking socket's `read`: chat lines into `buf`; `Ok(0)` at the end.
    pub fn read(&mut self, stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
        let Some(ws) = &mut self.ws else {
            return read_below(self.tls.as_deref_mut(), &mut self.plain, stream, buf);
        };
        loop {
            if ws.taken < ws.lines.len() {
                let n = (ws.lines.len() - ws.taken).min(buf.len());
                buf[..n].copy_from_slice(&ws.lines[ws.taken..ws.taken + n]);
                ws.taken += n;
                return Ok(n);
            }
            let n = read_below(self.tls.as_deref_mut(), &mut self.plain, stream, buf)?;
            if n == 0 {
                return Ok(0);
            }
            if !ws.take_frames(&buf[..n]) {
                return Ok(0);
            }
        }
    }

    /// True while bytes already read from the socket wait here to be read: read again, as the
    /// socket may say nothing more.
    pub fn has_buffered(&self) -> bool {
        self.plain.taken < self.plain.bytes.len()
            || self.ws.as_ref().is_some_and(|ws| ws.taken < ws.lines.len())
    }

    /// Like a non-blocking socket's `write` of whole lines: how many bytes of `data` were
    /// taken; `WouldBlock` while what was taken before still waits for the socket.
    pub fn write(&mut self, stream: &mut TcpStream, data: &[u8]) -> io::Result<usize> {
        let Some(ws) = &mut self.ws else { return write_below(self.tls.as_deref_mut(), stream, data) };
        while ws.sent < ws.framed.len() {
            let n = write_below(self.tls.as_deref_mut(), stream, &ws.framed[ws.sent..])?;
            if n == 0 {
                return Ok(0);
            }
            ws.sent += n;
        }
        ws.framed.clear();
        ws.sent = 0;
        let whole = data.iter().rposition(|&b| b == b'\n').map_or(0, |end| end + 1);
        for line in data[..whole].split_inclusive(|&b| b == b'\n') {
            ws.framed.extend_from_slice(&frame(true, 0x1, &line[..line.len() - 1], Some([1, 2, 3, 4])));
        }
        // What the layer below does not take now goes at the next call.
        while ws.sent < ws.framed.len() {
            match write_below(self.tls.as_deref_mut(), stream, &ws.framed[ws.sent..]) {
                Ok(0) => break,
                Ok(n) => ws.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        Ok(whole)
    }

    /// Writes what earlier [`write`](Self::write)s took and left waiting (WebSocket frames,
    /// TLS records): `WouldBlock` while some of it still waits for the socket. A sender calls
    /// it after its last write, or its last lines would stay here, unsent.
    pub fn flush(&mut self, stream: &mut TcpStream) -> io::Result<()> {
        if let Some(ws) = &mut self.ws {
            while ws.sent < ws.framed.len() {
                match write_below(self.tls.as_deref_mut(), stream, &ws.framed[ws.sent..])? {
                    0 => return Err(io::ErrorKind::WriteZero.into()),
                    n => ws.sent += n,
                }
            }
        }
        if let Some(tls) = &mut self.tls {
            while tls.wants_write() {
                if tls.write_tls(stream)? == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
            }
        }
        Ok(())
    }
}

impl Ws {
    /// Decodes the server's frames in `bytes` (after what was left): text messages become
    /// lines. False once the server closed the WebSocket.
    fn take_frames(&mut self, bytes: &[u8]) -> bool {
        if self.taken == self.lines.len() {
            self.lines.clear();
            self.taken = 0;
        }
        self.raw.extend_from_slice(bytes);
        let (frames, rest) = read_server_frames(&self.raw);
        let rest = rest.len();
        let mut open = true;
        for (opcode, payload) in frames {
            match opcode {
                0x1 => {
                    self.lines.extend_from_slice(&payload);
                    self.lines.push(b'\n');
                }
                0x8 => open = false,
                _ => {}
            }
        }
        self.raw.drain(..self.raw.len() - rest);
        open
    }
}

/// Reads from the socket, through TLS if there is TLS: everything TLS decrypts goes to `plain`
/// and is served from there. TLS reads the socket until it has a buffer's worth or the socket is
/// empty, as one plain read would: rustls reads about one record (16 KiB) at a time, and a
/// reader that stopped after one would wake up four times as often as on plain TCP.
fn read_below(
    tls: Option<&mut ClientConnection>,
    plain: &mut Plain,
    stream: &mut TcpStream,
    buf: &mut [u8],
) -> io::Result<usize> {
    let Some(tls) = tls else { return stream.read(buf) };
    if plain.taken == plain.bytes.len() {
        plain.bytes.clear();
        plain.taken = 0;
        while plain.bytes.len() < buf.len() {
            match tls.read_tls(stream) {
                Ok(0) => break,
                Ok(_) => {}
                // What was decrypted is read now; the socket's silence comes next time.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && !plain.bytes.is_empty() => break,
                Err(e) => return Err(e),
            }
            tls.process_new_packets().map_err(io::Error::other)?;
            match tls.reader().read_to_end(&mut plain.bytes) {
                // The server ended TLS cleanly (close_notify): nothing comes after.
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }
    // Nothing decrypted: the end (end of file or close_notify; a read again says it again).
    let n = (plain.bytes.len() - plain.taken).min(buf.len());
    buf[..n].copy_from_slice(&plain.bytes[plain.taken..plain.taken + n]);
    plain.taken += n;
    Ok(n)
}

/// Writes to the socket, through TLS if there is TLS: TLS takes `data` only once what it
/// encrypted before is written.
fn write_below(tls: Option<&mut ClientConnection>, stream: &mut TcpStream, data: &[u8]) -> io::Result<usize> {
    let Some(tls) = tls else { return stream.write(data) };
    while tls.wants_write() {
        tls.write_tls(stream)?;
    }
    let n = tls.writer().write(data)?;
    while tls.wants_write() {
        match tls.write_tls(stream) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::net::SocketAddr;
    use std::path::PathBuf;
    use std::time::Duration;

    use chat_transport::TlsConfig;
    use rustls::{ServerConnection, StreamOwned};
    use socket2::{Domain, Socket, Type};

    use super::*;

    /// A self-signed certificate for `localhost` in a directory of its own (removed when
    /// dropped): the server's settings and a bench client trusting it.
    pub(crate) struct Pki {
        dir: PathBuf,
        pub(crate) server: TlsConfig,
        pub(crate) client: TlsClient,
    }

    impl Pki {
        pub(crate) fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("chat-bench-{name}-{}", std::process::id()));
            let made = chat_transport::self_signed::generate(&dir, &["localhost".to_owned()]).unwrap();
            let server = TlsConfig::from_pem_files(&made.cert_path, &made.key_path).unwrap();
            let client = TlsClient::new(&made.cert_path, "localhost").unwrap();
            Self { dir, server, client }
        }

        /// A loopback listener with `recv_buffer` bytes of receive buffer for what it accepts.
        pub(crate) fn listen(recv_buffer: Option<usize>) -> (Socket, SocketAddr) {
            let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            if let Some(size) = recv_buffer {
                listener.set_recv_buffer_size(size).unwrap();
            }
            listener.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into()).unwrap();
            listener.listen(1).unwrap();
            let addr = listener.local_addr().unwrap().as_socket().unwrap();
            (listener, addr)
        }

        /// Accepts one connection on `listener` and completes the server's handshake.
        pub(crate) fn accept(&self, listener: &Socket) -> StreamOwned<ServerConnection, TcpStream> {
            let (socket, _) = listener.accept().unwrap();
            let socket = TcpStream::from(socket);
            socket.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let mut tls = StreamOwned::new(ServerConnection::new(self.server.current()).unwrap(), socket);
            while tls.conn.is_handshaking() {
                tls.conn.complete_io(&mut tls.sock).unwrap();
            }
            tls
        }
    }

    impl Drop for Pki {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// With many records waiting in the socket, one read gives a whole buffer of them, as a
    /// plain read would, not one record.
    #[test]
    fn one_read_decrypts_a_buffer_of_records() {
        let pki = Pki::new("records");
        let (listener, addr) = Pki::listen(None);
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        socket.set_recv_buffer_size(1 << 20).unwrap();
        socket.connect(&addr.into()).unwrap();
        let mut stream = TcpStream::from(socket);
        let lines: Vec<u8> =
            (0..10_000).flat_map(|n| format!("line {n:06} from the server\n").into_bytes()).collect();
        std::thread::scope(|scope| {
            let server = scope.spawn(|| {
                let mut tls = pki.accept(&listener);
                tls.write_all(&lines).unwrap();
                tls.conn.send_close_notify();
                tls.flush().unwrap();
            });
            let mut layers = Layers::open(&mut stream, Wire::Tls, Some(&pki.client), "localhost").unwrap();
            // Everything is in the socket once the server is done.
            server.join().unwrap();
            stream.set_nonblocking(true).unwrap();
            let mut buf = vec![0; 64 * 1024];
            let first = layers.read(&mut stream, &mut buf).unwrap();
            assert_eq!(first, buf.len(), "a whole buffer at once, not one record");
            let mut got = buf[..first].to_vec();
            loop {
                match layers.read(&mut stream, &mut buf).unwrap() {
                    0 => break,
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
            assert!(got == lines, "every byte, in order, then the end");
        });
    }

    /// A frame as the server sends it: unmasked, whole.
    fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        frame(true, opcode, payload, None)
    }

    #[test]
    fn messages_become_lines_across_reads_until_the_close() {
        let mut ws = Ws::default();
        let mut bytes = server_frame(0x1, b"<a> hello");
        bytes.extend(server_frame(0x1, &[b'x'; 300]));
        bytes.extend(server_frame(0x8, &[3, 232]));
        let (first, rest) = bytes.split_at(5);
        assert!(ws.take_frames(first));
        assert!(ws.lines.is_empty(), "half a frame is no line yet");
        assert!(!ws.take_frames(rest), "the close ends it");
        let mut expected = b"<a> hello\n".to_vec();
        expected.extend([b'x'; 300]);
        expected.push(b'\n');
        assert_eq!(ws.lines, expected);
        assert!(ws.raw.is_empty());
    }
}
