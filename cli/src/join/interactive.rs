//! Interactive mode: a line editor on the terminal, messages printed above the line being typed.

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::Context as _;
use chat_core::protocol::ServerLine;
use reedline::{ExternalPrinter, Reedline, Signal};

use super::complete::ChatCompleter;
use super::connection::{Sender, is_quit};
use super::editor;
use super::goodbye::say_goodbye;
use super::identity::Identity;
use super::prompt::ChatPrompt;
use super::receiver::{self, Ended};
use super::roster::Roster;
use super::signals::leave_on_termination;
use super::style::Styler;
use super::{DRAIN_LIMIT, Outcome};

/// How many received lines may wait for the editor to print them before the receiver waits
/// (and the socket's buffers, then the server's per-client queue, hold the rest).
const PRINTER_CAPACITY: usize = 256;

/// Runs the chat session on the terminal until the user leaves or the server goes.
pub fn run(stream: TcpStream, sender: Sender, colour: bool) -> anyhow::Result<Outcome> {
    let sender = Arc::new(Mutex::new(sender));
    let identity = Arc::new(Identity::new());
    let roster = Arc::new(Roster::new());
    let printer = ExternalPrinter::<String>::new(PRINTER_CAPACITY);
    // The editor's break signal: set when the server has gone, or on SIGTERM / SIGHUP.
    let wake_editor = Arc::new(AtomicBool::new(false));
    let asked_to_leave = Arc::new(AtomicBool::new(false));
    leave_on_termination(&asked_to_leave, &wake_editor).context("could not handle SIGTERM")?;
    let (ended_tx, ended) = mpsc::sync_channel(1);
    {
        let to_editor = printer.sender();
        let (identity, roster, wake_editor) = (identity.clone(), roster.clone(), wake_editor.clone());
        let sender = Arc::clone(&sender);
        let styler = Styler::new(colour);
        let on_line = move |line: String| {
            identity.observe(&line);
            roster.learn(&line);
            let welcome = matches!(ServerLine::parse(&line), ServerLine::Welcome { .. });
            show(&to_editor, styler.render(&line))?;
            // Who is here: worth seeing on arrival, and it gives Tab the names to complete. If
            // asking fails, the server is going, and the receiver will see that.
            if welcome && let Err(err) = lock(&sender).send_line(b"/who") {
                tracing::debug!(%err, "asking /who failed");
            }
            Ok(())
        };
        let to_editor = printer.sender();
        let on_end = move |end: Ended| {
            wait_until_printed(&to_editor);
            wake_editor.store(true, Ordering::Relaxed);
            drop(ended_tx.send(end));
        };
        receiver::spawn(stream, on_line, on_end).context("could not start the receiving thread")?;
    }
    let completer = ChatCompleter::new(roster, identity.clone());
    let editor = editor::build(printer, wake_editor, completer, colour);
    let prompt = ChatPrompt::new(identity.clone());
    Session { editor: Some(editor), prompt, sender, identity, ended, asked_to_leave }.run()
}

/// Prints a line of our own; the terminal may be gone (SIGHUP), which is no reason to panic.
fn say(line: &str) {
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

fn lock(sender: &Mutex<Sender>) -> MutexGuard<'_, Sender> {
    sender.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Hands a line to the editor to print above the prompt; once the editor is gone (the session
/// is ending), prints it directly.
fn show(to_editor: &SyncSender<String>, line: String) -> io::Result<()> {
    match to_editor.send(line) {
        Ok(()) => Ok(()),
        Err(mpsc::SendError(line)) => {
            let mut stdout = io::stdout().lock();
            writeln!(stdout, "{line}")?;
            stdout.flush()
        }
    }
}

/// Returns once the editor has taken every line handed to it so far (or is gone).
///
/// A message with no lines prints nothing, and the printer's queue holds at most
/// [`PRINTER_CAPACITY`] messages, so the last of `PRINTER_CAPACITY + 1` empty messages is
/// queued only after everything before it was taken, and the editor prints what it takes
/// before it looks at the break signal again.
fn wait_until_printed(to_editor: &SyncSender<String>) {
    for _ in 0..=PRINTER_CAPACITY {
        if to_editor.send(String::new()).is_err() {
            return;
        }
    }
}

struct Session {
    /// The line editor, dropped when the session ends so late lines print directly.
    editor: Option<Reedline>,
    prompt: ChatPrompt,
    sender: Arc<Mutex<Sender>>,
    identity: Arc<Identity>,
    ended: mpsc::Receiver<Ended>,
    /// Set by SIGTERM or SIGHUP.
    asked_to_leave: Arc<AtomicBool>,
}

impl Session {
    fn run(mut self) -> anyhow::Result<Outcome> {
        while let Some(editor) = self.editor.as_mut() {
            let signal = editor.read_line(&self.prompt).context("the terminal stopped working")?;
            match signal {
                Signal::Success(text) => {
                    for line in text.lines().filter(|line| !line.trim().is_empty()) {
                        if is_quit(line) {
                            return self.leave(line);
                        }
                        let sent = lock(&self.sender).send_line(line.as_bytes());
                        if let Err(err) = sent {
                            tracing::debug!(%err, "sending failed");
                            return self.server_gone();
                        }
                    }
                }
                Signal::CtrlC | Signal::CtrlD => return self.leave("/quit"),
                Signal::ExternalBreak(_) => {
                    // What was being typed stays on screen, unsent; what follows goes below.
                    say("");
                    if self.asked_to_leave.load(Ordering::SeqCst) {
                        return self.leave("/quit");
                    }
                    return self.server_gone();
                }
                other => tracing::debug!(?other, "ignored line editor signal"),
            }
        }
        Ok(Outcome::Left)
    }

    /// Leaves politely (see [`say_goodbye`]), then prints whatever the server still sends until
    /// it closes, for at most [`DRAIN_LIMIT`].
    fn leave(mut self, quit_line: &str) -> anyhow::Result<Outcome> {
        self.editor = None;
        if let Err(err) = say_goodbye(&mut lock(&self.sender), &self.identity, quit_line) {
            tracing::debug!(%err, "saying goodbye failed");
        }
        self.wait_for_receiver();
        say("You left the chat room.");
        Ok(Outcome::Left)
    }

    fn server_gone(mut self) -> anyhow::Result<Outcome> {
        self.editor = None;
        self.wait_for_receiver();
        Ok(Outcome::ServerGone)
    }

    /// Waits (at most [`DRAIN_LIMIT`]) for the receiver to stop; it prints what still arrives.
    fn wait_for_receiver(&self) {
        if let Ok(end) = self.ended.recv_timeout(DRAIN_LIMIT) {
            tracing::debug!(?end, "receiver stopped");
        }
    }
}
