//! Turning a connection away before the core hears of it, when the process has no threads left
//! for it: the client still gets a line saying why (the core's "server is full" notice), never
//! a silent end of file.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};

/// Most bytes read and discarded from a refused client before closing, so that a client
/// sending a flood cannot hold the spawner up.
const DRAIN_LIMIT: usize = 64 * 1024;

/// Sends `notice` to a connection that will get no threads, then closes it, without ever
/// blocking: a fresh connection's send buffer is empty, so one short line fits at once.
///
/// Input the client already sent is read and discarded before closing, because closing a
/// socket with unread input makes the kernel reset the connection, which can destroy the
/// notice before the client reads it.
pub(crate) fn refuse(stream: TcpStream, peer: SocketAddr, notice: &[u8]) {
    let sent = stream.set_nonblocking(true).and_then(|()| (&stream).write_all(notice));
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
        refuse(stream, peer, b"! The server is full (1 people); try again later.\n");
        let mut received = String::new();
        client.read_to_string(&mut received).expect("the notice, then end of file");
        assert_eq!(received, "! The server is full (1 people); try again later.\n");
        // No reset came with the close (it would have been here by now, on loopback): the
        // client's first write after end of file still goes out.
        client.write_all(b"/quit\n").expect("a close without a reset");
    }
}
