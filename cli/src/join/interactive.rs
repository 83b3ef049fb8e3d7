//! Interactive mode: a line editor on the terminal, messages printed above the line being typed.

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use reedline::{ExternalPrinter, Reedline, Signal};

use super::complete::ChatCompleter;
use super::goodbye::{goodbye, is_quit};
use super::hangup::{self, Reason};
use super::outgoing::{Hurry, Outgoing, Queued};
use super::prompt::ChatPrompt;
use super::receiver::{self, Stopped};
use super::shared::SharedClient;
use super::view::View;
use super::{DRAIN_LIMIT, Outcome, Pace, Setup, editor, history};

/// How many received lines may wait for the editor to print them before the receiver waits
/// (and the socket's buffers, then the server's per-client queue, hold the rest).
const PRINTER_CAPACITY: usize = 256;

/// How long, once told to go (SIGTERM, SIGHUP, the terminal gone), the client may take to say
/// goodbye and hear the server close before it exits anyway.
const GO_LIMIT: Duration = Duration::from_millis(900);

/// Runs the chat session on the terminal until the user leaves or the server goes; received
/// lines are shown as `view` says.
pub fn run(stream: TcpStream, outgoing: Outgoing, setup: Setup, view: View) -> anyhow::Result<Outcome> {
    let client = Arc::new(SharedClient::new());
    let view = Arc::new(view);
    let printer = ExternalPrinter::<String>::new(PRINTER_CAPACITY);
    // The editor's break signal: set when the server has gone, or when we are told to go.
    let wake_editor = Arc::new(AtomicBool::new(false));
    let told_to_go = Arc::new(AtomicBool::new(false));
    let stopped = {
        let to_editor = printer.sender();
        let (client, view, wake_editor) = (client.clone(), view.clone(), wake_editor.clone());
        let outgoing = outgoing.clone();
        let nick = setup.nick.clone();
        let on_line = move |line: String| {
            let received = client.receive(&line);
            if received.welcome {
                take_name(&outgoing, &client, nick.as_deref());
                // Who is here: worth seeing on arrival, and it gives Tab the names to complete.
                outgoing.send(b"/who");
            }
            client.acted();
            let time = chrono::Local::now().format("%H:%M").to_string();
            let shown = view.show(&line, &received, &time);
            if let Some(text) = shown.text {
                show(&to_editor, text)?;
            }
            if shown.ring {
                ring_bell();
            }
            Ok(())
        };
        let to_editor = printer.sender();
        let on_end = move |_| {
            wait_until_printed(&to_editor);
            wake_editor.store(true, Ordering::SeqCst);
        };
        receiver::spawn(stream, on_line, on_end).context("could not start the receiving thread")?
    };
    let go = Go {
        outgoing: outgoing.clone(),
        client: client.clone(),
        stopped: stopped.clone(),
        told_to_go: told_to_go.clone(),
        wake_editor: wake_editor.clone(),
    };
    hangup::watch(true, move |reason| go.go(reason)).context("could not watch for SIGTERM and SIGHUP")?;
    let completer = ChatCompleter::new(client.clone());
    let editor = editor::build(printer, wake_editor, completer, view.colour(), history::file());
    let prompt = ChatPrompt::new(client.clone());
    let pace = setup.pace;
    Session { editor: Some(editor), prompt, outgoing, client, view, stopped, told_to_go, pace }.run()
}

/// Sends `/nick NICK` if we are to be called `nick` and are not yet.
pub(super) fn take_name(outgoing: &Outgoing, client: &SharedClient, nick: Option<&str>) {
    if let Some(nick) = nick
        && client.name().as_deref() != Some(nick)
    {
        outgoing.send(format!("/nick {nick}").as_bytes());
    }
}

/// Rings the terminal's bell; a terminal that is gone is no reason to stop.
fn ring_bell() {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(b"\x07").and_then(|()| stdout.flush());
}

/// Leaving when told to go, whatever the line editor is doing.
#[derive(Clone)]
struct Go {
    outgoing: Outgoing,
    client: Arc<SharedClient>,
    stopped: Stopped,
    told_to_go: Arc<AtomicBool>,
    wake_editor: Arc<AtomicBool>,
}

impl Go {
    /// Says goodbye at once (lines still waiting to be sent are dropped), wakes the editor so
    /// the session ends as on Ctrl+D, and makes sure the process exits soon: when the terminal
    /// is gone, the editor may never wake (it spins reading a terminal that is no more).
    fn go(&self, reason: Reason) {
        tracing::debug!(?reason, "told to go");
        let deadline = Instant::now() + GO_LIMIT;
        self.told_to_go.store(true, Ordering::SeqCst);
        self.outgoing.say_goodbye(goodbye(&self.client, "/quit"), Hurry::Now);
        self.wake_editor.store(true, Ordering::SeqCst);
        self.stopped.wait_until(deadline);
        if reason != Reason::TerminalGone {
            // The terminal is there: give the session the time to print its last lines, restore
            // the terminal and exit; exit here only if it is stuck.
            std::thread::sleep(GO_LIMIT);
        }
        std::process::exit(0);
    }
}

/// Prints a line of our own; the terminal may be gone (SIGHUP), which is no reason to panic.
fn say(line: &str) {
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
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
    outgoing: Outgoing,
    client: Arc<SharedClient>,
    view: Arc<View>,
    stopped: Stopped,
    /// Set by SIGTERM, SIGHUP or the terminal hanging up.
    told_to_go: Arc<AtomicBool>,
    pace: Pace,
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
                        if is_quiet(line) {
                            say(quiet_notice(self.view.toggle_quiet()));
                            continue;
                        }
                        match self.outgoing.send(line.as_bytes()) {
                            Queued::Sent => {}
                            Queued::HeldBack => say(&self.pace.held_back_notice()),
                            Queued::Closed => return self.server_gone(),
                        }
                    }
                }
                Signal::CtrlC | Signal::CtrlD => return self.leave("/quit"),
                Signal::ExternalBreak(_) => {
                    // What was being typed stays on screen, unsent; what follows goes below.
                    say("");
                    if self.told_to_go.load(Ordering::SeqCst) {
                        return self.leave("/quit");
                    }
                    return self.server_gone();
                }
                other => tracing::debug!(?other, "ignored line editor signal"),
            }
        }
        Ok(Outcome::Left)
    }

    /// Leaves politely (see [`goodbye`]) once the lines still waiting are sent, then prints
    /// whatever the server still sends until it closes, for at most [`DRAIN_LIMIT`].
    fn leave(mut self, quit_line: &str) -> anyhow::Result<Outcome> {
        self.editor = None;
        let waiting = self.outgoing.waiting();
        if waiting > 0 {
            say(&self.pace.sending_before_leaving(waiting));
        }
        self.outgoing.say_goodbye(goodbye(&self.client, quit_line), Hurry::AfterTheRest);
        self.outgoing.wait_done(None);
        self.stopped.wait_until(Instant::now() + DRAIN_LIMIT);
        say("You left the chat room.");
        Ok(Outcome::Left)
    }

    fn server_gone(mut self) -> anyhow::Result<Outcome> {
        self.editor = None;
        self.stopped.wait_until(Instant::now() + DRAIN_LIMIT);
        Ok(Outcome::ServerGone)
    }
}

/// Whether `line` is the client's own `/quiet` command (any case), which never reaches the
/// server.
pub(super) fn is_quiet(line: &str) -> bool {
    line.trim().eq_ignore_ascii_case("/quiet")
}

/// What `/quiet` says once toggled.
fn quiet_notice(quiet: bool) -> &'static str {
    if quiet {
        "(Join and leave notices are hidden now; /quiet again shows them.)"
    } else {
        "(Join and leave notices are shown again.)"
    }
}
