//! Passwords in `chat join`: read without echo, never printed, kept out of the history file.
//!
//! - `chat join --identify NAME` takes the password from `CHAT_PASSWORD`, or asks for it on the
//!   terminal without echo, and identifies (`/nick NAME PASSWORD`) as soon as the server greets
//!   us, after every reconnect too.
//! - On the terminal, an account command typed without its password (`/register`, `/identify
//!   [NAME]`, `/password`, `/unregister`) asks for it without echo, then sends the whole line.
//! - A line that carries a password (typed in full) is never written to the history file.

use std::fmt;

use anyhow::{Context as _, bail};
use chat_core::protocol::Command;
use reedline::{
    History, HistoryItem, HistoryItemId, HistorySessionId, ReedlineError, ReedlineErrorVariants, SearchQuery,
};
use zeroize::Zeroizing;

/// The environment variable `--identify` reads the password from.
pub const PASSWORD_ENV: &str = "CHAT_PASSWORD";

/// A password, or a line holding one: wiped when dropped, and `Debug` shows `***`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps `text` (taking it, not copying it).
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The text, to send.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The account to identify as whenever the server greets us (`--identify NAME`).
#[derive(Clone, Debug)]
pub struct Identity {
    /// The account's name.
    pub name: String,
    /// Its password.
    pub password: Secret,
}

impl Identity {
    /// `NAME`'s identity, its password from [`PASSWORD_ENV`] or else asked for on the terminal
    /// without echo.
    pub fn for_name(name: String) -> anyhow::Result<Self> {
        let password = match std::env::var(PASSWORD_ENV) {
            Ok(password) if !password.is_empty() => Secret::new(password),
            _ => ask(&format!("Password for {name}: ")).with_context(|| {
                format!("--identify needs a password: set {PASSWORD_ENV}, or run chat join on a terminal")
            })?,
        };
        if password.as_str().contains(char::is_whitespace) {
            bail!("a password cannot contain spaces (the server reads it as one word)");
        }
        Ok(Self { name, password })
    }

    /// The line that identifies us: `/nick NAME PASSWORD`.
    pub fn line(&self) -> Secret {
        Secret::new(format!("/nick {} {}", self.name, self.password.as_str()))
    }
}

/// Asks for a password on the terminal, without echo. Echo is off before the prompt shows, so
/// not even keys typed ahead of it are shown.
pub fn ask(prompt: &str) -> anyhow::Result<Secret> {
    #[cfg(unix)]
    let _quiet = Quiet::new();
    let password = rpassword::prompt_password(prompt).context("cannot read a password from the terminal")?;
    Ok(Secret::new(password))
}

/// The terminal's echo turned off until dropped (then its settings are put back).
#[cfg(unix)]
struct Quiet {
    tty: std::fs::File,
    saved: rustix::termios::Termios,
}

#[cfg(unix)]
impl Quiet {
    /// `None` when there is no terminal (the password prompt then says so itself).
    fn new() -> Option<Self> {
        use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
        let tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").ok()?;
        let saved = tcgetattr(&tty).ok()?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        tcsetattr(&tty, OptionalActions::Now, &quiet).ok()?;
        Some(Self { tty, saved })
    }
}

#[cfg(unix)]
impl Drop for Quiet {
    fn drop(&mut self) {
        let restored =
            rustix::termios::tcsetattr(&self.tty, rustix::termios::OptionalActions::Now, &self.saved);
        if let Err(error) = restored {
            tracing::warn!(%error, "cannot turn the terminal's echo back on");
        }
    }
}

/// Whether the server would read `line` as an account command, which carries a password.
pub fn carries_password(line: &str) -> bool {
    matches!(
        Command::parse(line.trim_end_matches(['\r', '\n'])),
        Ok(Command::Register(_)
            | Command::Identify { .. }
            | Command::ChangePassword { .. }
            | Command::Unregister(_))
    )
}

/// What a typed line becomes.
#[derive(Debug, PartialEq, Eq)]
pub enum Typed {
    /// Not an account command missing its password: send it as typed.
    AsIs,
    /// The account command with the passwords asked for: send this instead.
    Completed(Secret),
    /// The passwords asked for did not match (or were empty): send nothing, say this.
    Refused(&'static str),
}

/// Completes an account command typed without its password, asking for what is missing with
/// `ask` (a prompt without echo on the terminal). `/identify NAME` asks for NAME's password (a
/// one-word `/identify` is taken as a name here, never as a password); `/register` and
/// `/password` ask for the new password twice.
pub fn complete(line: &str, mut ask: impl FnMut(&str) -> anyhow::Result<Secret>) -> anyhow::Result<Typed> {
    let mut words = line.split_whitespace();
    let Some(command) = words.next().map(str::to_ascii_lowercase) else { return Ok(Typed::AsIs) };
    let args: Vec<&str> = words.collect();
    let completed = match (command.as_str(), args.as_slice()) {
        ("/identify", []) => format!("/identify {}", nonempty(ask("Password: ")?)?.as_str()),
        ("/identify", [name]) => {
            format!("/identify {name} {}", nonempty(ask(&format!("Password for {name}: "))?)?.as_str())
        }
        ("/unregister", []) => format!("/unregister {}", nonempty(ask("Password: ")?)?.as_str()),
        ("/register", []) => match new_password(&mut ask)? {
            Some(password) => format!("/register {}", nonempty(password)?.as_str()),
            None => return Ok(Typed::Refused(DIFFERENT)),
        },
        ("/password", []) => {
            let old = nonempty(ask("Current password: ")?)?;
            match new_password(&mut ask)? {
                Some(new) => format!("/password {} {}", old.as_str(), nonempty(new)?.as_str()),
                None => return Ok(Typed::Refused(DIFFERENT)),
            }
        }
        _ => return Ok(Typed::AsIs),
    };
    Ok(Typed::Completed(Secret::new(completed)))
}

/// A new password, asked for twice; `None` if the two differ.
fn new_password(ask: &mut impl FnMut(&str) -> anyhow::Result<Secret>) -> anyhow::Result<Option<Secret>> {
    let first = ask("New password: ")?;
    let again = ask("The same again: ")?;
    Ok((first == again).then_some(first))
}

const DIFFERENT: &str = "(The two passwords differ: nothing was sent.)";

/// `password`, unless it is empty or holds a space.
fn nonempty(password: Secret) -> anyhow::Result<Secret> {
    let text = password.as_str();
    if text.is_empty() || text.contains(char::is_whitespace) {
        bail!("a password is one word, not empty");
    }
    Ok(password)
}

/// A history that keeps no line carrying a password: the line editor is told the line was not
/// saved, and every other call goes to the history it wraps.
pub struct Discreet<H>(pub H);

impl<H: History> History for Discreet<H> {
    fn save(&mut self, item: HistoryItem) -> reedline::Result<HistoryItem> {
        if carries_password(&item.command_line) {
            return Err(ReedlineError(ReedlineErrorVariants::OtherHistoryError(
                "a line with a password is not kept",
            )));
        }
        self.0.save(item)
    }

    fn load(&self, id: HistoryItemId) -> reedline::Result<HistoryItem> {
        self.0.load(id)
    }

    fn count(&self, query: SearchQuery) -> reedline::Result<i64> {
        self.0.count(query)
    }

    fn search(&self, query: SearchQuery) -> reedline::Result<Vec<HistoryItem>> {
        self.0.search(query)
    }

    fn update(
        &mut self,
        id: HistoryItemId,
        updater: &dyn Fn(HistoryItem) -> HistoryItem,
    ) -> reedline::Result<()> {
        self.0.update(id, updater)
    }

    fn clear(&mut self) -> reedline::Result<()> {
        self.0.clear()
    }

    fn delete(&mut self, id: HistoryItemId) -> reedline::Result<()> {
        self.0.delete(id)
    }

    fn sync(&mut self) -> std::io::Result<()> {
        self.0.sync()
    }

    fn session(&self) -> Option<HistorySessionId> {
        self.0.session()
    }
}

#[cfg(test)]
mod tests {
    use reedline::{FileBackedHistory, SearchDirection};

    use super::*;

    fn answers(list: &[&str]) -> impl FnMut(&str) -> anyhow::Result<Secret> {
        let mut list: Vec<String> = list.iter().rev().map(|s| (*s).to_owned()).collect();
        move |_prompt| Ok(Secret::new(list.pop().expect("asked once too often")))
    }

    fn completed(line: &str, given: &[&str]) -> String {
        match complete(line, answers(given)).unwrap() {
            Typed::Completed(line) => line.as_str().to_owned(),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn account_commands_without_passwords_ask_for_them() {
        assert_eq!(completed("/identify", &["pw-1"]), "/identify pw-1");
        assert_eq!(completed("/IDENTIFY alice", &["pw-1"]), "/identify alice pw-1");
        assert_eq!(completed("/register", &["pw-1", "pw-1"]), "/register pw-1");
        assert_eq!(completed("/password", &["old-1", "new-1", "new-1"]), "/password old-1 new-1");
        assert_eq!(completed("/unregister", &["pw-1"]), "/unregister pw-1");
        assert_eq!(complete("/register", answers(&["a-1", "b-1"])).unwrap(), Typed::Refused(DIFFERENT));
        assert!(complete("/identify", answers(&[""])).is_err(), "an empty password is not sent");
        for as_is in ["hello", "/nick alice", "/identify alice pw-1", "/register pw-1", "/msg bob /identify"]
        {
            assert_eq!(complete(as_is, answers(&[])).unwrap(), Typed::AsIs, "{as_is}");
        }
    }

    #[test]
    fn lines_with_passwords_are_recognised_and_never_printed() {
        for line in ["/register pw", "/identify pw", "/nick alice pw", "/password a b", "/unregister pw\n"] {
            assert!(carries_password(line), "{line}");
        }
        for line in ["/nick alice", "/identify", "hello /register pw", "//register pw"] {
            assert!(!carries_password(line), "{line}");
        }
        let identity = Identity { name: "alice".into(), password: Secret::new("hunter2".into()) };
        assert!(!format!("{identity:?}").contains("hunter2"));
        assert_eq!(identity.line().as_str(), "/nick alice hunter2");
    }

    #[test]
    fn the_history_file_never_keeps_a_password() {
        let dir = std::env::temp_dir().join(format!("chat-discreet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("history.txt");
        {
            let mut history = Discreet(FileBackedHistory::with_file(10, file.clone()).unwrap());
            assert!(history.save(HistoryItem::from_command_line("hello")).is_ok());
            assert!(history.save(HistoryItem::from_command_line("/identify alice hunter2")).is_err());
            assert!(history.save(HistoryItem::from_command_line("/nick alice")).is_ok());
            let all = history.search(SearchQuery::everything(SearchDirection::Forward, None)).unwrap();
            assert_eq!(all.len(), 2);
            history.sync().unwrap();
        }
        let kept = std::fs::read_to_string(&file).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(kept.contains("hello") && !kept.contains("hunter2"), "{kept}");
    }
}
