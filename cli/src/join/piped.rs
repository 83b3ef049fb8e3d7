//! Line mode, for pipes and scripts: stdin lines go out (paced to the server's flood control,
//! so none is dropped), received lines come out on stdout.

use std::io::{self, BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use anyhow::Context as _;

use super::goodbye::{GREETING_PATIENCE, goodbye, is_quit};
use super::link::take_name;
use super::outgoing::{Hurry, Outgoing, Queued};
use super::receiver::{self, Ended};
use super::shared::SharedClient;
use super::stream::Reader;
use super::{DRAIN_LIMIT, Outcome, Setup};

enum Event {
    /// stdin reached its end (or a `/quit` line) and our goodbye went out (or sending failed).
    InputDone(io::Result<()>),
    /// The receiver stopped.
    ServerEnded(Ended),
}

/// Sends every stdin line and prints every received line as plain text. At the end of stdin
/// (or at a `/quit` line) it leaves politely and prints what the server still sends until it
/// closes (for at most [`DRAIN_LIMIT`]) before returning. Once the server greets us, our name
/// is taken before any stdin line is sent.
pub fn run(stream: Reader, outgoing: Outgoing, setup: Setup) -> anyhow::Result<Outcome> {
    let client = Arc::new(SharedClient::new());
    // Set before the goodbye is sent: the server may close before the stdin thread reports.
    let leaving = Arc::new(AtomicBool::new(false));
    let (events, next_event) = mpsc::channel();
    let ended = events.clone();
    let observer = Arc::clone(&client);
    let sender = outgoing.clone();
    let on_line = move |line: String| {
        if observer.receive(&line).welcome {
            take_name(&sender, &observer, setup.nick.as_deref(), setup.identity.as_ref());
        }
        observer.acted();
        print_line(&line)
    };
    receiver::spawn(stream, on_line, move |end| drop(ended.send(Event::ServerEnded(end))))
        .context("could not start the receiving thread")?;
    thread::Builder::new()
        .name("chat-stdin".into())
        .spawn({
            let leaving = Arc::clone(&leaving);
            move || drop(events.send(Event::InputDone(pump_stdin(&outgoing, &client, &leaving))))
        })
        .context("could not start the stdin thread")?;

    let Ok(first) = next_event.recv() else { return Ok(Outcome::ServerGone) };
    match first {
        Event::ServerEnded(Ended::Output(err)) => {
            tracing::debug!(%err, "stdout closed; leaving");
            Ok(Outcome::Left)
        }
        Event::ServerEnded(_) if leaving.load(Ordering::SeqCst) => Ok(Outcome::Left),
        Event::ServerEnded(Ended::Lost(err)) => {
            tracing::debug!(%err, "connection lost");
            Ok(Outcome::ServerGone)
        }
        Event::ServerEnded(Ended::Closed) => Ok(Outcome::ServerGone),
        Event::InputDone(sent) => {
            let deadline = Instant::now() + DRAIN_LIMIT;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                match next_event.recv_timeout(left) {
                    Ok(Event::ServerEnded(_)) | Err(_) => break,
                    Ok(Event::InputDone(_)) => {}
                }
            }
            Ok(match sent {
                Ok(()) => Outcome::Left,
                Err(err) => {
                    tracing::debug!(%err, "sending failed");
                    Outcome::ServerGone
                }
            })
        }
    }
}

fn print_line(line: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()
}

/// Copies stdin to the server line by line, bytes as they are (the server replaces invalid
/// UTF-8), an unterminated last line included; then says goodbye and waits until every line
/// and the goodbye are sent.
fn pump_stdin(outgoing: &Outgoing, client: &SharedClient, leaving: &AtomicBool) -> io::Result<()> {
    // Our server greets at once, and our name is taken then: wait for that before saying
    // anything under the wrong name.
    client.speaks_chat(GREETING_PATIENCE);
    let quit_line = read_stdin(outgoing)?;
    leaving.store(true, Ordering::SeqCst);
    outgoing.say_goodbye(goodbye(client, &quit_line), Hurry::AfterTheRest);
    outgoing.wait_done(None);
    Ok(())
}

/// Queues stdin's lines until its end or a `/quit` line; returns the quit line to send.
fn read_stdin(outgoing: &Outgoing) -> io::Result<String> {
    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) => return Ok("/quit".to_owned()),
            Ok(_) => match std::str::from_utf8(&line) {
                Ok(text) if is_quit(text) => return Ok(text.trim_end().to_owned()),
                _ => {
                    if outgoing.send(&line) == Queued::Closed {
                        return Err(io::Error::new(io::ErrorKind::BrokenPipe, "the connection is closed"));
                    }
                }
            },
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                tracing::warn!(%err, "reading stdin failed; treating it as the end of input");
                return Ok("/quit".to_owned());
            }
        }
    }
}
