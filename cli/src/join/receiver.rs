//! The receiving half: a thread that reads the server and hands over each line.

use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::lines::LineSplitter;
use super::stream::Reader;

/// How long an unterminated line may wait for the rest before it is shown as it is (the
/// handout's server relays text without a line ending).
pub const IDLE_FLUSH: Duration = Duration::from_millis(250);

/// Why the receiver stopped.
#[derive(Debug)]
pub enum Ended {
    /// The server closed the connection.
    Closed,
    /// The connection broke (reset, or another network error).
    Lost(io::Error),
    /// A line could not be shown (stdout was closed), so reading stopped.
    Output(io::Error),
}

/// Whether the receiver has stopped reading; any thread may wait for it.
#[derive(Clone, Debug, Default)]
pub struct Stopped(Arc<(Mutex<bool>, Condvar)>);

impl Stopped {
    fn set(&self) {
        let (stopped, changed) = &*self.0;
        *stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        changed.notify_all();
    }

    /// Waits until the receiver has stopped, or `deadline` passes; returns whether it stopped.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        let (stopped, changed) = &*self.0;
        let mut done = stopped.lock().unwrap_or_else(PoisonError::into_inner);
        while !*done {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            done = changed.wait_timeout(done, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        true
    }
}

/// Starts the thread that reads `stream` until the server closes it. Each received line,
/// sanitized, goes to `on_line`; when reading stops, the returned [`Stopped`] is set, then
/// `on_end` says why, and the thread ends.
pub fn spawn(
    stream: Reader,
    mut on_line: impl FnMut(String) -> io::Result<()> + Send + 'static,
    on_end: impl FnOnce(Ended) + Send + 'static,
) -> io::Result<Stopped> {
    let stopped = Stopped::default();
    let done = stopped.clone();
    thread::Builder::new().name("chat-receiver".into()).spawn(move || {
        let ended = receive(stream, &mut on_line);
        tracing::debug!(?ended, "receiver stopped");
        done.set();
        on_end(ended);
    })?;
    Ok(stopped)
}

fn receive(mut stream: Reader, on_line: &mut impl FnMut(String) -> io::Result<()>) -> Ended {
    let mut splitter = LineSplitter::new();
    let mut buf = vec![0; 16 * 1024];
    let mut lines = Vec::new();
    let mut waiting_for_rest = false;
    let mut first = true;
    loop {
        if splitter.has_partial() != waiting_for_rest {
            waiting_for_rest = !waiting_for_rest;
            if let Err(err) = stream.set_read_timeout(waiting_for_rest.then_some(IDLE_FLUSH)) {
                return Ended::Lost(err);
            }
        }
        let ended = match stream.read(&mut buf) {
            Ok(0) => {
                splitter.flush(|line| lines.push(line));
                Some(Ended::Closed)
            }
            Ok(n)
                if let Some(said) =
                    std::mem::take(&mut first).then(|| wrong_protocol(&buf[..n])).flatten() =>
            {
                lines.push(said.to_owned());
                Some(Ended::Closed)
            }
            Ok(n) => {
                splitter.feed(&buf[..n], |line| lines.push(line));
                None
            }
            Err(err) if waiting_for_rest && is_timeout(&err) => {
                splitter.flush(|line| lines.push(line));
                None
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => None,
            Err(err) => {
                splitter.flush(|line| lines.push(line));
                Some(Ended::Lost(err))
            }
        };
        for line in lines.drain(..) {
            if let Err(err) = on_line(line) {
                return Ended::Output(err);
            }
        }
        if let Some(ended) = ended {
            return ended;
        }
    }
}

/// What to tell the user when the server's first bytes are not a chat server's: a TLS record
/// (a plain client on the TLS port gets an alert back) or an HTTP answer (the web port).
fn wrong_protocol(first: &[u8]) -> Option<&'static str> {
    match first {
        [0x15 | 0x16, 0x03, minor, ..] if *minor <= 0x04 => Some(
            "! This port speaks TLS, not plain text: join it with `chat join --tls HOST PORT` (the plain port is 5000 by default).",
        ),
        [b'H', b'T', b'T', b'P', b'/', ..] => Some(
            "! This port speaks HTTP: it is the server's web page; open it in a browser, or join the chat port (5000, or 5001 with --tls).",
        ),
        _ => None,
    }
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::Shutdown;
    use std::sync::mpsc;

    use super::super::test_support::reader_and_server as pair;

    #[test]
    fn a_tls_or_http_answer_is_told_as_the_wrong_port_not_shown_as_text() {
        // What a TLS listener answers a plain line with: an alert record.
        let alert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32];
        assert!(wrong_protocol(&alert).is_some_and(|line| line.contains("--tls")));
        assert!(
            wrong_protocol(b"HTTP/1.1 400 Bad Request\r\n").is_some_and(|line| line.contains("web page"))
        );
        assert_eq!(wrong_protocol(b"*** Welcome to the chat room, guest-1"), None);
        assert_eq!(wrong_protocol(b"\x16hello"), None);
    }

    #[test]
    fn lines_arrive_in_order_then_the_close_is_reported() {
        let (client, mut server) = pair();
        let (tx, rx) = mpsc::channel();
        let end_tx = tx.clone();
        let stopped = spawn(
            client,
            move |line| {
                tx.send(Some(line)).unwrap();
                Ok(())
            },
            move |ended| end_tx.send(matches!(ended, Ended::Closed).then(|| "closed".to_owned())).unwrap(),
        )
        .unwrap();
        server.write_all(b"<a> one\n<b> tw").unwrap();
        assert_eq!(rx.recv().unwrap().as_deref(), Some("<a> one"));
        server.write_all(b"o\n\r<c> three").unwrap();
        assert_eq!(rx.recv().unwrap().as_deref(), Some("<b> two"));
        // The handout's server leaves a line unterminated: it still shows up, after IDLE_FLUSH.
        assert_eq!(rx.recv().unwrap().as_deref(), Some("<c> three"));
        server.shutdown(Shutdown::Write).unwrap();
        assert_eq!(rx.recv().unwrap().as_deref(), Some("closed"));
        assert!(stopped.wait_until(Instant::now() + Duration::from_secs(60)));
    }

    #[test]
    fn a_failing_output_stops_the_receiver() {
        let (client, mut server) = pair();
        let (tx, rx) = mpsc::channel();
        spawn(
            client,
            |_| Err(io::Error::from(io::ErrorKind::BrokenPipe)),
            move |ended| {
                tx.send(matches!(ended, Ended::Output(_))).unwrap();
            },
        )
        .unwrap();
        server.write_all(b"hello\n").unwrap();
        assert!(rx.recv().unwrap());
    }
}
