//! One connection to the server in interactive mode: its sending side and its receiving
//! thread, made anew when the client reconnects, feeding the same client state and screen.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context as _;

use super::client::LOBBY;
use super::outgoing::Outgoing;
use super::receiver::{self, Stopped};
use super::secret::Identity;
use super::shared::SharedClient;
use super::stream::Conn;
use super::view::View;
use super::{PRINTER_CAPACITY, Pace};

/// The connection of the moment.
#[derive(Clone)]
pub struct Link {
    /// Its sending side.
    pub outgoing: Outgoing,
    /// Set once its receiving thread has stopped reading.
    pub stopped: Stopped,
}

/// What every connection of a session shares.
pub struct Linker {
    /// The client state every received line feeds.
    pub client: Arc<SharedClient>,
    /// How received lines are shown.
    pub view: Arc<View>,
    /// The line editor's printer: received lines appear above the line being typed.
    pub to_editor: SyncSender<String>,
    /// The editor's break signal, set when a connection ends.
    pub wake_editor: Arc<AtomicBool>,
    /// The name to take once the server greets us.
    pub nick: Mutex<Option<String>>,
    /// The account to identify as once the server greets us.
    pub identity: Option<Identity>,
    /// The room to go back to once the server greets us (after a reconnect).
    pub room: Mutex<Option<String>>,
    /// The server's flood budget.
    pub pace: Pace,
}

impl Linker {
    /// Starts sending and receiving on `stream`. When the server greets us, we take our name
    /// (`/nick`), go back to our room (`/join`, if we were in one other than `#lobby`) and ask
    /// who is here (`/who`).
    pub fn attach(&self, stream: Conn) -> anyhow::Result<Link> {
        let (stream, writer) = stream.split().context("could not share the connection")?;
        let (outgoing, _) =
            Outgoing::spawn(writer, self.pace.pacer()).context("could not start the sending thread")?;
        let (client, view, to_editor) = (self.client.clone(), self.view.clone(), self.to_editor.clone());
        let sender = outgoing.clone();
        let nick = self.nick.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let room = self.room.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let identity = self.identity.clone();
        let on_line = move |line: String| {
            let received = client.receive(&line);
            if received.welcome {
                take_name(&sender, &client, nick.as_deref(), identity.as_ref());
                if let Some(room) = room.as_deref().filter(|room| !room.eq_ignore_ascii_case(LOBBY)) {
                    sender.send(format!("/join {room}").as_bytes());
                }
                // Who is here: worth seeing on arrival, and it gives Tab the names to complete.
                sender.send(b"/who");
            }
            client.acted();
            let now = chrono::Local::now();
            let shown = view.show(&line, &received, &now.format("%H:%M").to_string(), *now.offset());
            if let Some(text) = shown.text {
                show(&to_editor, text)?;
            }
            if shown.ring {
                ring_bell();
            }
            Ok(())
        };
        let (to_editor, wake_editor) = (self.to_editor.clone(), self.wake_editor.clone());
        let on_end = move |_| {
            wait_until_printed(&to_editor);
            wake_editor.store(true, Ordering::SeqCst);
        };
        let stopped =
            receiver::spawn(stream, on_line, on_end).context("could not start the receiving thread")?;
        Ok(Link { outgoing, stopped })
    }
}

/// Sends `/nick NICK` if we are to be called `nick` and are not yet; `/nick NICK PASSWORD`
/// instead if `nick` is the account of `identity`.
pub fn take_name(
    outgoing: &Outgoing,
    client: &SharedClient,
    nick: Option<&str>,
    identity: Option<&Identity>,
) {
    let Some(nick) = nick else { return };
    match identity.filter(|identity| identity.name.eq_ignore_ascii_case(nick)) {
        Some(identity) => {
            outgoing.send(identity.line().as_str().as_bytes());
        }
        None if client.name().as_deref() != Some(nick) => {
            outgoing.send(format!("/nick {nick}").as_bytes());
        }
        None => {}
    }
}

/// Rings the terminal's bell; a terminal that is gone is no reason to stop.
fn ring_bell() {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(b"\x07").and_then(|()| stdout.flush());
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
