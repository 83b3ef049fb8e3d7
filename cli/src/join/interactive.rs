//! Interactive mode: a line editor on the terminal, messages printed above the line being typed,
//! and, when the server goes away, reconnecting with backoff under the same name.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use reedline::{ExternalPrinter, Reedline, Signal};

use super::backoff::Backoff;
use super::complete::ChatCompleter;
use super::connect::DialError;
use super::goodbye::{GREETING_PATIENCE, goodbye, is_quit};
use super::hangup::{self, Reason};
use super::link::{Link, Linker};
use super::outgoing::{Hurry, Queued};
use super::prompt::ChatPrompt;
use super::secret::{self, Secret, Typed};
use super::shared::SharedClient;
use super::stream::Conn;
use super::tls::TlsError;
use super::trust::changed_warning;
use super::view::View;
use super::{DRAIN_LIMIT, Outcome, PRINTER_CAPACITY, Setup, editor, history, parse_nick};

/// How long, once told to go (SIGTERM, SIGHUP, the terminal gone), the client may take to say
/// goodbye and hear the server close before it exits anyway.
const GO_LIMIT: Duration = Duration::from_millis(900);

/// Connects again to the same server, for reconnecting.
pub type Reconnect = Box<dyn Fn() -> anyhow::Result<Conn>>;

/// Runs the chat session on the terminal until the user leaves; received lines are shown as
/// `view` says. `target` names the server in messages; `reconnect` reaches it again after it
/// went away.
pub fn run(
    stream: Conn,
    setup: Setup,
    view: View,
    target: String,
    reconnect: Reconnect,
) -> anyhow::Result<Outcome> {
    let client = Arc::new(SharedClient::new());
    let view = Arc::new(view);
    let printer = ExternalPrinter::<String>::new(PRINTER_CAPACITY);
    // The editor's break signal: set when the server has gone, or when we are told to go.
    let wake_editor = Arc::new(AtomicBool::new(false));
    let told_to_go = Arc::new(AtomicBool::new(false));
    let linker = Linker {
        client: client.clone(),
        view: view.clone(),
        to_editor: printer.sender(),
        wake_editor: wake_editor.clone(),
        nick: Mutex::new(setup.nick.clone()),
        room: Mutex::new(None),
        identity: setup.identity.clone(),
        pace: setup.pace,
    };
    let link = Arc::new(Mutex::new(linker.attach(stream)?));
    let go = Go {
        link: link.clone(),
        client: client.clone(),
        told_to_go: told_to_go.clone(),
        wake_editor: wake_editor.clone(),
    };
    hangup::watch(true, move |reason| go.go(reason)).context("could not watch for SIGTERM and SIGHUP")?;
    let completer = ChatCompleter::new(client.clone());
    let editor = editor::build(printer, wake_editor, completer, view.colour(), history::file());
    let prompt = ChatPrompt::new(client.clone());
    let session =
        Session { editor: Some(editor), prompt, link, linker, view, told_to_go, setup, target, reconnect };
    session.run()
}

fn lock(link: &Mutex<Link>) -> MutexGuard<'_, Link> {
    link.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Leaving when told to go, whatever the line editor is doing.
#[derive(Clone)]
struct Go {
    link: Arc<Mutex<Link>>,
    client: Arc<SharedClient>,
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
        let link = lock(&self.link).clone();
        link.outgoing.say_goodbye(goodbye(&self.client, "/quit"), Hurry::Now);
        self.wake_editor.store(true, Ordering::SeqCst);
        link.stopped.wait_until(deadline);
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

struct Session {
    /// The line editor, dropped when the session ends so late lines print directly.
    editor: Option<Reedline>,
    prompt: ChatPrompt,
    link: Arc<Mutex<Link>>,
    linker: Linker,
    view: Arc<View>,
    /// Set by SIGTERM, SIGHUP or the terminal hanging up.
    told_to_go: Arc<AtomicBool>,
    setup: Setup,
    target: String,
    reconnect: Reconnect,
}

impl Session {
    fn run(mut self) -> anyhow::Result<Outcome> {
        while let Some(editor) = self.editor.as_mut() {
            let signal = match editor.read_line(&self.prompt) {
                Ok(signal) => signal,
                // Hung up (or told to go): the goodbye is on its way; a terminal that is gone is
                // no error to report, and there is nowhere left to report it.
                Err(_) if self.told_to_go.load(Ordering::SeqCst) => return Ok(Outcome::Left),
                Err(error) => return Err(anyhow::Error::new(error).context("the terminal stopped working")),
            };
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
                        let line = match secret::complete(line, secret::ask) {
                            Ok(Typed::AsIs) => Secret::new(line.to_owned()),
                            Ok(Typed::Completed(line)) => line,
                            Ok(Typed::Refused(why)) => {
                                say(why);
                                continue;
                            }
                            Err(error) => {
                                say(&format!("(Nothing was sent: {error:#}.)"));
                                continue;
                            }
                        };
                        let queued = lock(&self.link).outgoing.send(line.as_str().as_bytes());
                        match queued {
                            Queued::Sent => {}
                            Queued::HeldBack => say(&self.setup.pace.held_back_notice()),
                            Queued::Closed => say("(Not sent: the connection is gone.)"),
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
                    self.reconnect()?;
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
        let link = lock(&self.link).clone();
        let waiting = link.outgoing.waiting();
        if waiting > 0 {
            say(&self.setup.pace.sending_before_leaving(waiting));
        }
        link.outgoing.say_goodbye(goodbye(&self.linker.client, quit_line), Hurry::AfterTheRest);
        link.outgoing.wait_done(None);
        link.stopped.wait_until(Instant::now() + DRAIN_LIMIT);
        say("You left the chat room.");
        Ok(Outcome::Left)
    }

    /// The server went away: tries again, waiting longer each time, until it answers (or we are
    /// told to go); then takes the name we had, goes back to the room we were in, and the
    /// session goes on. A server whose TLS
    /// certificate is no longer trusted (it changed, say) is not tried again: that ends the
    /// session with an error.
    fn reconnect(&mut self) -> anyhow::Result<()> {
        let old = lock(&self.link).clone();
        old.stopped.wait_until(Instant::now() + DRAIN_LIMIT);
        // Our name as we had it, if we chose it (a default name is the server's to give).
        if let Some(name) = self.linker.client.name().filter(|name| parse_nick(name).is_ok()) {
            *self.linker.nick.lock().unwrap_or_else(PoisonError::into_inner) = Some(name);
        }
        *self.linker.room.lock().unwrap_or_else(PoisonError::into_inner) = self.linker.client.room();
        let mut backoff = Backoff::default();
        let mut wait = backoff.next_wait();
        say(&format!(
            "Disconnected from {}. Reconnecting in {} s (Ctrl+C to give up)...",
            self.target,
            wait.as_secs()
        ));
        loop {
            std::thread::sleep(wait);
            if self.told_to_go.load(Ordering::SeqCst) {
                return Ok(());
            }
            let stream = match (self.reconnect)() {
                Ok(stream) => stream,
                Err(err) if err.downcast_ref::<DialError>().is_some_and(DialError::is_refusal) => {
                    if let Some(DialError::Tls(TlsError::Changed { fingerprint, known, file, line })) =
                        err.downcast_ref::<DialError>()
                    {
                        say(&changed_warning(&self.target, fingerprint, known, file, *line));
                    }
                    return Err(err.context(format!("Not reconnecting to {}", self.target)));
                }
                Err(err) => {
                    wait = backoff.next_wait();
                    say(&format!(
                        "Still cannot reach {}: {err:#}. Trying again in {} s...",
                        self.target,
                        wait.as_secs()
                    ));
                    continue;
                }
            };
            self.linker.client.reset();
            match self.linker.attach(stream) {
                Ok(link) => {
                    *lock(&self.link) = link;
                    // Our name is taken as soon as the server greets us: wait for that, so
                    // nothing typed from now on is said under another name.
                    self.linker.client.speaks_chat(GREETING_PATIENCE);
                    say(&format!("Reconnected to {}.", self.target));
                    return Ok(());
                }
                Err(err) => {
                    wait = backoff.next_wait();
                    say(&format!("Could not start over ({err:#}); trying again in {} s...", wait.as_secs()));
                }
            }
        }
    }
}

/// Whether `line` is the client's own `/quiet` command (any case), which never reaches the
/// server.
fn is_quiet(line: &str) -> bool {
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
