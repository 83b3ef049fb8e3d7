//! What a client's line asks for: a message, or one of the `/` commands.

/// One parsed input line. Text borrows from the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// Say `text` to the room. `//text` arrives here as `/text`.
    Say(&'a str),
    /// `/me ACTION`: an action in the third person.
    Me(&'a str),
    /// `/nick NAME`: change name.
    Nick(&'a str),
    /// `/msg NAME TEXT`: a private message.
    Msg {
        /// The recipient's name as typed.
        to: &'a str,
        /// The message.
        text: &'a str,
    },
    /// `/who`: list who is here.
    Who,
    /// `/quit [REASON]`: leave.
    Quit(Option<&'a str>),
    /// `/help`: list the commands.
    Help,
}

/// One command as `/help` lists it: its name, its arguments and what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandInfo {
    /// The name as typed, with its `/`: `/msg`.
    pub name: &'static str,
    /// The arguments, as in a usage line: `NAME TEXT` (empty for none).
    pub args: &'static str,
    /// What it does, in a few words.
    pub about: &'static str,
}

/// A line that starts with `/` but is not a valid command. Never broadcast.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CommandError {
    /// The command does not exist.
    #[error("unknown command /{0}; try /help (send //text to say a line starting with /)")]
    Unknown(String),
    /// The command exists but its arguments are missing.
    #[error("usage: {0}")]
    Usage(&'static str),
}

impl Command<'_> {
    /// Every command, in the order `/help` lists them. The one list of command names: the
    /// `/help` line is built from it, and clients complete from it.
    pub const LIST: &'static [CommandInfo] = &[
        CommandInfo { name: "/nick", args: "NAME", about: "change your name" },
        CommandInfo { name: "/me", args: "ACTION", about: "act it out" },
        CommandInfo { name: "/msg", args: "NAME TEXT", about: "say TEXT to NAME only" },
        CommandInfo { name: "/who", args: "", about: "list who is here" },
        CommandInfo { name: "/quit", args: "[REASON]", about: "leave" },
        CommandInfo { name: "/help", args: "", about: "list the commands" },
    ];
}

/// What `/who` costs against flood control, in lines: answering it is cheap for the server
/// (constant time in the room's size), but each answer is a long line, so asking again and
/// again is charged like talking twice as fast. Kept small because `chat join` asks once on
/// arrival, and a pasted block after that should still fit in the burst.
pub const WHO_COST: u32 = 2;

impl<'a> Command<'a> {
    /// What the command costs against flood control, in lines: [`WHO_COST`] for `/who`, 1 for
    /// everything else.
    pub fn cost(&self) -> u32 {
        match self {
            Command::Who => WHO_COST,
            _ => 1,
        }
    }

    /// Parses one line (already framed, without its ending).
    pub fn parse(line: &'a str) -> Result<Self, CommandError> {
        let Some(rest) = line.strip_prefix('/') else {
            return Ok(Command::Say(line));
        };
        if rest.starts_with('/') {
            return Ok(Command::Say(rest));
        }
        let (name, args) = match rest.split_once(char::is_whitespace) {
            Some((name, args)) => (name, args.trim()),
            None => (rest, ""),
        };
        let some = |usage| if args.is_empty() { Err(CommandError::Usage(usage)) } else { Ok(args) };
        match name.to_ascii_lowercase().as_str() {
            "me" => some("/me ACTION").map(Command::Me),
            "nick" => match some("/nick NAME")? {
                name if name.contains(char::is_whitespace) => {
                    Err(CommandError::Usage("/nick NAME (one word)"))
                }
                name => Ok(Command::Nick(name)),
            },
            "msg" => {
                let usage = "/msg NAME TEXT";
                let (to, text) =
                    some(usage)?.split_once(char::is_whitespace).ok_or(CommandError::Usage(usage))?;
                Ok(Command::Msg { to, text: text.trim_start() })
            }
            "who" => Ok(Command::Who),
            "quit" => Ok(Command::Quit(Some(args).filter(|a| !a.is_empty()))),
            "help" => Ok(Command::Help),
            _ => Err(CommandError::Unknown(name.chars().take(32).collect())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command() {
        assert_eq!(Command::parse("hi"), Ok(Command::Say("hi")));
        assert_eq!(Command::parse("//etc/passwd"), Ok(Command::Say("/etc/passwd")));
        assert_eq!(Command::parse("/me waves"), Ok(Command::Me("waves")));
        assert_eq!(Command::parse("/NICK bob "), Ok(Command::Nick("bob")));
        assert_eq!(Command::parse("/msg bob  hi there"), Ok(Command::Msg { to: "bob", text: "hi there" }));
        assert_eq!(Command::parse("/who"), Ok(Command::Who));
        assert_eq!(Command::parse("/quit"), Ok(Command::Quit(None)));
        assert_eq!(Command::parse("/quit gone fishing"), Ok(Command::Quit(Some("gone fishing"))));
        assert_eq!(Command::parse("/help"), Ok(Command::Help));
    }

    #[test]
    fn every_listed_command_parses_and_its_usage_matches() {
        for info in Command::LIST {
            let shouted = info.name.to_uppercase();
            let (bare, upper) = (Command::parse(info.name), Command::parse(&shouted));
            assert!(!matches!(bare, Err(CommandError::Unknown(_))), "{}: {bare:?}", info.name);
            assert_eq!(bare, upper, "{}", info.name);
            if let Err(CommandError::Usage(usage)) = bare {
                assert_eq!(usage, format!("{} {}", info.name, info.args));
            }
        }
    }

    #[test]
    fn refuses_bad_commands() {
        assert_eq!(Command::parse("/dance"), Err(CommandError::Unknown("dance".into())));
        assert_eq!(Command::parse("/msg bob"), Err(CommandError::Usage("/msg NAME TEXT")));
        assert_eq!(Command::parse("/nick"), Err(CommandError::Usage("/nick NAME")));
        assert_eq!(Command::parse("/nick a b"), Err(CommandError::Usage("/nick NAME (one word)")));
        assert_eq!(Command::parse("/me"), Err(CommandError::Usage("/me ACTION")));
    }
}
