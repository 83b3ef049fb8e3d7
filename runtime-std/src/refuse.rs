//! Turning a connection away before the core hears of it, when the process has no threads left
//! for it: the client still gets a line saying why (the core's "server is full" notice, as an
//! HTTP 503 on the web listener: see `Endpoint::refusal`), never a silent end of file; over
//! TLS, where saying it would take a handshake, the connection is closed cleanly.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};

/// Most bytes read and discarded from a refused client before closing, so that a client
/// sending a flood cannot hold the spawner up.
const DRAIN_LIMIT: usize = 64 * 1024;

/// Sends `notice` (if any) to a connection that will get no threads, then closes it, without
/// ever blocking: a fresh connection's send buffer is empty, so one short answer fits at once.
///
/// Input the client already sent is read and discarded before closing, because closing a
/// socket with unread input makes the kernel reset the connection, which can destroy the
/// notice before the client reads it.
pub(crate) fn refuse(stream: TcpStream, peer: SocketAddr, notice: Option<&[u8]>) {
    let sent = stream.set_nonblocking(true).and_then(|()| (&stream).write_all(notice.unwrap_or_default()));
    if let Err(error) = sent {
        tracing::debug!(%peer, %error, "could not send the refusal");
    }
    let _ = stream.shutdown(Shutdown::Write);
    drain(&stream);
}

/// Reads what has arrived, up to [`DRAIN_LIMIT`], without waiting for more.
fn drain(mut stream: &TcpStream) {
    let mut buffer = [0; 4096];
    let mut drained = 0;
    while drained < DRAIN_LIMIT {
        match stream.read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_refused_client_that_sent_a_line_gets_the_notice_and_no_reset() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        client.write_all(b"/nick early\n").unwrap();
        let (stream, peer) = listener.accept().unwrap();
        // The client's line has arrived before the server closes.
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut peeked = [0; 1];
        stream.peek(&mut peeked).unwrap();
        refuse(stream, peer, Some(b"! The server is full (1 people); try again later.\n"));
        let mut received = String::new();
        client.read_to_string(&mut received).expect("the notice, then end of file");
        assert_eq!(received, "! The server is full (1 people); try again later.\n");
        // No reset came with the close (it would have been here by now, on loopback): the
        // client's first write after end of file still goes out.
        client.write_all(b"/quit\n").expect("a close without a reset");
    }

    /// A client of `endpoint` that sent `opening`, refused: everything it reads until the end.
    fn refused(endpoint: &chat_transport::Endpoint, opening: &[u8]) -> Vec<u8> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        client.write_all(opening).unwrap();
        let (stream, peer) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut peeked = [0; 1];
        stream.peek(&mut peeked).unwrap();
        refuse(
            stream,
            peer,
            endpoint.refusal(b"! The server is full (1 people); try again later.\n").as_deref(),
        );
        let mut received = Vec::new();
        client.read_to_end(&mut received).expect("the answer, then end of file (no reset)");
        received
    }

    #[test]
    fn a_refused_web_client_gets_an_http_answer() {
        let web =
            chat_transport::Endpoint::Web(std::sync::Arc::new(chat_transport::WebConfig::chat(4096)), None);
        let answer = String::from_utf8(refused(&web, b"GET / HTTP/1.1\r\nHost: chat\r\n\r\n")).unwrap();
        assert!(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\n! The server is full (1 people); try again later.\n"), "{answer}");
    }

    #[test]
    fn a_refused_tls_client_is_closed_cleanly_without_plain_text() {
        let dir = std::env::temp_dir().join(format!("chat-refuse-tls-{}", std::process::id()));
        let made = chat_transport::self_signed::generate(&dir, &["localhost".to_owned()]).unwrap();
        let config = chat_transport::TlsConfig::from_pem_files(&made.cert_path, &made.key_path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let tls = chat_transport::Endpoint::Tls(config);
        // Half a ClientHello: the server has read it, and answers nothing it cannot encrypt.
        assert_eq!(refused(&tls, &[22, 3, 1, 0, 200, 1]), b"");
    }
}
