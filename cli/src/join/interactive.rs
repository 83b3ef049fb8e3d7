//! Interactive mode: a line editor on the terminal, messages printed above the line being typed.

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Context as _;
use reedline::{ExternalPrinter, Reedline, Signal};

use super::connection::{Sender, is_quit};
use super::identity::Identity;
use super::prompt::ChatPrompt;
use super::receiver::{self, Ended};
use super::style::Styler;
use super::{DRAIN_LIMIT, Outcome};

/// How many received lines may wait for the editor to print them before the receiver waits
/// (and so the server's socket buffers, then the server's per-client queue, take the rest).
const PRINTER_CAPACITY: usize = 1024;

/// Runs the chat session on the terminal until the user leaves or the server goes.
pub fn run(stream: TcpStream, sender: Sender, colour: bool) -> anyhow::Result<Outcome> {
    let identity = Arc::new(Identity::new());
    let printer = ExternalPrinter::<String>::new(PRINTER_CAPACITY);
    let server_ended = Arc::new(AtomicBool::new(false));
    let (ended_tx, ended_rx) = crossbeam_channel::bounded(1);
    let styler = Styler::new(colour);
    {
        let (printer, identity, server_ended) = (printer.clone(), identity.clone(), server_ended.clone());
        let on_line = move |line: String| {
            identity.observe(&line);
            printer.print(styler.render(&line)).map_err(|_| io::Error::other("the line editor is gone"))
        };
        let on_end = move |ended: Ended| {
            drop(ended_tx.send(ended));
            server_ended.store(true, Ordering::Relaxed);
        };
        receiver::spawn(stream, on_line, on_end).context("could not start the receiving thread")?;
    }
    let mut session = Session {
        editor: Reedline::create()
            .with_external_printer(printer.clone())
            .with_break_signal(server_ended)
            .with_ansi_colors(colour),
        prompt: ChatPrompt::new(identity.clone()),
        sender,
        identity,
        printer,
        ended: ended_rx,
    };
    session.run()
}

struct Session {
    editor: Reedline,
    prompt: ChatPrompt,
    sender: Sender,
    identity: Arc<Identity>,
    printer: ExternalPrinter<String>,
    ended: crossbeam_channel::Receiver<Ended>,
}

impl Session {
    fn run(&mut self) -> anyhow::Result<Outcome> {
        loop {
            let signal = self.editor.read_line(&self.prompt).context("the terminal stopped working")?;
            match signal {
                Signal::Success(text) => {
                    for line in text.lines().filter(|line| !line.trim().is_empty()) {
                        if is_quit(line) {
                            return self.leave(line);
                        }
                        if let Err(err) = self.sender.send_line(line.as_bytes()) {
                            tracing::debug!(%err, "sending failed");
                            return self.server_gone();
                        }
                    }
                }
                Signal::CtrlC | Signal::CtrlD => return self.leave("/quit"),
                Signal::ExternalBreak(_) => {
                    // The prompt line is left as it was; what follows goes below it.
                    println!();
                    return self.server_gone();
                }
                other => tracing::debug!(?other, "ignored line editor signal"),
            }
        }
    }

    /// Leaves politely: `/quit` (if the server understands it), a half-close, then whatever the
    /// server still sends, for at most [`DRAIN_LIMIT`].
    fn leave(&mut self, quit_line: &str) -> anyhow::Result<Outcome> {
        if self.identity.speaks_chat()
            && let Err(err) = self.sender.send_line(quit_line.as_bytes())
        {
            tracing::debug!(%err, "sending /quit failed");
        }
        if let Err(err) = self.sender.finish() {
            tracing::debug!(%err, "half-close failed");
        }
        self.print_until_ended()?;
        println!("You left the chat room.");
        Ok(Outcome::Left)
    }

    fn server_gone(&mut self) -> anyhow::Result<Outcome> {
        self.print_until_ended()?;
        Ok(Outcome::ServerGone)
    }

    /// Prints received lines (the editor is no longer drawing) until the receiver stops, for at
    /// most [`DRAIN_LIMIT`].
    fn print_until_ended(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + DRAIN_LIMIT;
        let lines = self.printer.receiver();
        let mut stdout = io::stdout().lock();
        loop {
            crossbeam_channel::select! {
                recv(lines) -> line => {
                    if let Ok(line) = line {
                        writeln!(stdout, "{line}")?;
                    }
                }
                recv(self.ended) -> _ => break,
                default(deadline.saturating_duration_since(Instant::now())) => break,
            }
        }
        for line in lines.try_iter() {
            writeln!(stdout, "{line}")?;
        }
        stdout.flush()?;
        Ok(())
    }
}
