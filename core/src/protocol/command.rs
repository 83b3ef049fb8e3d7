//! What a client's line asks for: a message, or one of the `/` commands.

use std::fmt;
use std::time::Duration;

use crate::moderation::duration;

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
    /// `/who #ROOM`: list who is in another room.
    WhoIn(&'a str),
    /// `/join #ROOM`: go to a room, creating it if it does not exist. The name as typed.
    Join(&'a str),
    /// `/part`: go back to `#lobby`.
    Part,
    /// `/list`: the rooms, biggest first.
    List,
    /// `/topic`: show the room's topic; `/topic TEXT` sets it.
    Topic(Option<&'a str>),
    /// `/topic -`: clear the room's topic.
    ClearTopic,
    /// `/history [N]`: show the room's last `N` lines (a screenful without `N`).
    History(Option<usize>),
    /// `/away MESSAGE`: mark yourself away; `/away` alone: back.
    Away(Option<&'a str>),
    /// `/ignore NAME`: hide someone's lines from you; `/ignore` alone: list whom you ignore.
    Ignore(Option<&'a str>),
    /// `/unignore NAME`: see someone's lines again.
    Unignore(&'a str),
    /// `/quit [REASON]`: leave.
    Quit(Option<&'a str>),
    /// `/help`: list the commands.
    Help,
    // Moderation (docs/PROTOCOL.md, "Moderation"): refused to whoever is not an operator.
    /// `/op NAME`: make NAME an operator of your room.
    Op(&'a str),
    /// `/deop NAME`: NAME is no longer an operator of your room.
    Deop(&'a str),
    /// `/kick NAME [REASON]`: put NAME out of the room (off the server, from `#lobby` or by a
    /// server operator).
    Kick {
        /// The name as typed.
        name: &'a str,
        /// Why, if given.
        reason: Option<&'a str>,
    },
    /// `/ban NAME|IP|CIDR [DURATION] [REASON]`: refuse an account and address, or addresses.
    Ban {
        /// A name, an address or a range, as typed.
        target: &'a str,
        /// How long (`10m`, `2h`, `7d`); `None`: until lifted.
        duration: Option<Duration>,
        /// Why, if given.
        reason: Option<&'a str>,
    },
    /// `/unban NAME|IP|CIDR`: lift a ban.
    Unban(&'a str),
    /// `/banned`: list the bans in force.
    Banned,
    /// `/mute NAME [DURATION]`: NAME's lines reach no one.
    Mute {
        /// The name as typed.
        name: &'a str,
        /// How long; `None`: until lifted.
        duration: Option<Duration>,
    },
    /// `/unmute NAME`: lift a mute.
    Unmute(&'a str),
    /// `/motd`: show the message of the day; `/motd TEXT` sets it.
    Motd(Option<&'a str>),
    /// `/motd -`: clear the message of the day.
    ClearMotd,
    /// `/topic lock` (`true`) or `/topic unlock`: only operators may change the room's topic.
    LockTopic(bool),
    /// `/whois NAME`: who someone is (their address, to a server operator).
    Whois(&'a str),
    // Accounts (see `docs/PROTOCOL.md`, "Accounts"). Passwords are one word each.
    /// `/register PASSWORD`: reserve the current name and identify as it.
    Register(Password<'a>),
    /// `/identify [NAME] PASSWORD`, or `/nick NAME PASSWORD`: prove an account (the current
    /// name's without `NAME`) and take its name.
    Identify {
        /// The account's name as typed, or `None` for the current name.
        name: Option<&'a str>,
        /// The password given.
        password: Password<'a>,
    },
    /// `/password OLD NEW`: change the identified account's password.
    ChangePassword {
        /// The password now.
        old: Password<'a>,
        /// The password from now on.
        new: Password<'a>,
    },
    /// `/unregister PASSWORD`: delete the identified account; its name is free again.
    Unregister(Password<'a>),
}

/// A password as typed in a command. Its `Debug` never shows it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Password<'a>(pub &'a str);

impl<'a> Password<'a> {
    /// The password as typed.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
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
        CommandInfo { name: "/join", args: "#ROOM", about: "go to a room (made if new)" },
        CommandInfo { name: "/part", args: "", about: "go back to #lobby" },
        CommandInfo { name: "/list", args: "", about: "list the rooms" },
        CommandInfo {
            name: "/topic",
            args: "[TEXT]",
            about: "show or set the topic (- clears it; operators: lock, unlock)",
        },
        CommandInfo { name: "/who", args: "[#ROOM]", about: "list who is here (or in #ROOM)" },
        CommandInfo { name: "/history", args: "[N]", about: "show the room's last N lines" },
        CommandInfo { name: "/away", args: "[MESSAGE]", about: "mark yourself away (alone: back)" },
        CommandInfo { name: "/ignore", args: "[NAME]", about: "hide NAME's lines (alone: list)" },
        CommandInfo { name: "/unignore", args: "NAME", about: "see NAME's lines again" },
        // Accounts.
        CommandInfo { name: "/register", args: "PASSWORD", about: "reserve your name" },
        CommandInfo { name: "/identify", args: "[NAME] PASSWORD", about: "prove a registered name is yours" },
        CommandInfo { name: "/password", args: "OLD NEW", about: "change your password" },
        CommandInfo { name: "/unregister", args: "PASSWORD", about: "give your name up" },
        CommandInfo { name: "/whois", args: "NAME", about: "who NAME is" },
        CommandInfo {
            name: "/motd",
            args: "[TEXT]",
            about: "show the message of the day (operators: set it, - clears)",
        },
        CommandInfo { name: "/op", args: "NAME", about: "make NAME an operator of your room (operators)" },
        CommandInfo { name: "/deop", args: "NAME", about: "take NAME's operator status (operators)" },
        CommandInfo { name: "/kick", args: "NAME [REASON]", about: "put NAME out of the room (operators)" },
        CommandInfo {
            name: "/ban",
            args: "NAME|IP|CIDR [DURATION] [REASON]",
            about: "ban for 10m, 2h, 7d or for good (server operators)",
        },
        CommandInfo { name: "/unban", args: "NAME|IP|CIDR", about: "lift a ban (server operators)" },
        CommandInfo { name: "/banned", args: "", about: "list the bans (server operators)" },
        CommandInfo {
            name: "/mute",
            args: "NAME [DURATION]",
            about: "NAME's lines reach no one (server operators)",
        },
        CommandInfo { name: "/unmute", args: "NAME", about: "lift a mute (server operators)" },
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
    /// What the command costs against flood control, in lines: [`WHO_COST`] for the commands
    /// with long answers (`/who`, `/list`, `/history`), 1 for everything else.
    pub fn cost(&self) -> u32 {
        match self {
            Command::Who | Command::WhoIn(_) | Command::List | Command::History(_) => WHO_COST,
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
            "nick" => match words(some("/nick NAME")?)[..] {
                [name] => Ok(Command::Nick(name)),
                [name, password] => Ok(Command::Identify { name: Some(name), password: Password(password) }),
                _ => Err(CommandError::Usage("/nick NAME [PASSWORD] (one word each)")),
            },
            "msg" => {
                let usage = "/msg NAME TEXT";
                let (to, text) =
                    some(usage)?.split_once(char::is_whitespace).ok_or(CommandError::Usage(usage))?;
                Ok(Command::Msg { to, text: text.trim_start() })
            }
            "who" => match args {
                "" => Ok(Command::Who),
                room => Ok(Command::WhoIn(one_word(room, "/who [#ROOM] (one word)")?)),
            },
            "join" => Ok(Command::Join(one_word(some("/join #ROOM")?, "/join #ROOM (one word)")?)),
            "part" => Ok(Command::Part),
            "list" => Ok(Command::List),
            "topic" => match args {
                "" => Ok(Command::Topic(None)),
                "-" => Ok(Command::ClearTopic),
                "lock" => Ok(Command::LockTopic(true)),
                "unlock" => Ok(Command::LockTopic(false)),
                topic => Ok(Command::Topic(Some(topic))),
            },
            "history" => match args {
                "" => Ok(Command::History(None)),
                n => match n.parse::<usize>() {
                    Ok(n) if n > 0 => Ok(Command::History(Some(n))),
                    _ => Err(CommandError::Usage("/history [N] (N a whole number from 1)")),
                },
            },
            "away" => Ok(Command::Away(Some(args).filter(|a| !a.is_empty()))),
            "ignore" => match args {
                "" => Ok(Command::Ignore(None)),
                name => Ok(Command::Ignore(Some(one_word(name, "/ignore [NAME] (one word)")?))),
            },
            "unignore" => {
                Ok(Command::Unignore(one_word(some("/unignore NAME")?, "/unignore NAME (one word)")?))
            }
            "quit" => Ok(Command::Quit(Some(args).filter(|a| !a.is_empty()))),
            "help" => Ok(Command::Help),
            // Accounts.
            "register" => match words(args)[..] {
                [password] => Ok(Command::Register(Password(password))),
                _ => Err(CommandError::Usage("/register PASSWORD")),
            },
            "identify" => match words(args)[..] {
                [password] => Ok(Command::Identify { name: None, password: Password(password) }),
                [name, password] => Ok(Command::Identify { name: Some(name), password: Password(password) }),
                _ => Err(CommandError::Usage("/identify [NAME] PASSWORD")),
            },
            "password" => match words(args)[..] {
                [old, new] => Ok(Command::ChangePassword { old: Password(old), new: Password(new) }),
                _ => Err(CommandError::Usage("/password OLD NEW")),
            },
            "unregister" => match words(args)[..] {
                [password] => Ok(Command::Unregister(Password(password))),
                _ => Err(CommandError::Usage("/unregister PASSWORD")),
            },
            other => moderation(other, args)
                .unwrap_or_else(|| Err(CommandError::Unknown(name.chars().take(32).collect()))),
        }
    }
}

/// The moderation commands (`name` in lower case); `None` if `name` is none of them.
fn moderation<'a>(name: &str, args: &'a str) -> Option<Result<Command<'a>, CommandError>> {
    let some = |usage| if args.is_empty() { Err(CommandError::Usage(usage)) } else { Ok(args) };
    let one = |usage, long| some(usage).and_then(|args| one_word(args, long));
    // The first word, and the rest (trimmed, `None` if empty).
    let split = |args: &'a str| match args.split_once(char::is_whitespace) {
        Some((first, rest)) => (first, Some(rest.trim_start()).filter(|r| !r.is_empty())),
        None => (args, None),
    };
    Some(match name {
        "op" => one("/op NAME", "/op NAME (one word)").map(Command::Op),
        "deop" => one("/deop NAME", "/deop NAME (one word)").map(Command::Deop),
        "kick" => some("/kick NAME [REASON]").map(|args| {
            let (name, reason) = split(args);
            Command::Kick { name, reason }
        }),
        "ban" => some("/ban NAME|IP|CIDR [DURATION] [REASON]").map(|args| {
            let (target, rest) = split(args);
            let (duration, reason) = match rest.map(split) {
                Some((first, after)) => match duration::parse(first) {
                    Some(duration) => (Some(duration), after),
                    None => (None, rest),
                },
                None => (None, None),
            };
            Command::Ban { target, duration, reason }
        }),
        "unban" => one("/unban NAME|IP|CIDR", "/unban NAME|IP|CIDR (one word)").map(Command::Unban),
        "banned" => Ok(Command::Banned),
        "mute" => some("/mute NAME [DURATION]").and_then(|args| match split(args) {
            (name, None) => Ok(Command::Mute { name, duration: None }),
            (name, Some(typed)) => match duration::parse(typed) {
                Some(duration) => Ok(Command::Mute { name, duration: Some(duration) }),
                None => Err(CommandError::Usage("/mute NAME [DURATION] (DURATION like 10m, 2h or 7d)")),
            },
        }),
        "unmute" => one("/unmute NAME", "/unmute NAME (one word)").map(Command::Unmute),
        "motd" => Ok(match args {
            "" => Command::Motd(None),
            "-" => Command::ClearMotd,
            text => Command::Motd(Some(text)),
        }),
        "whois" => one("/whois NAME", "/whois NAME (one word)").map(Command::Whois),
        _ => return None,
    })
}

/// The first three words of `args` (fewer if there are fewer): enough to tell one or two
/// from more.
fn words(args: &str) -> Vec<&str> {
    args.split_whitespace().take(3).collect()
}

/// `args` if it is one word, else the usage error.
fn one_word<'a>(args: &'a str, usage: &'static str) -> Result<&'a str, CommandError> {
    if args.contains(char::is_whitespace) { Err(CommandError::Usage(usage)) } else { Ok(args) }
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
    fn parses_the_room_commands() {
        assert_eq!(Command::parse("/who #rust"), Ok(Command::WhoIn("#rust")));
        assert_eq!(Command::parse("/JOIN #rust "), Ok(Command::Join("#rust")));
        assert_eq!(Command::parse("/part"), Ok(Command::Part));
        assert_eq!(Command::parse("/list"), Ok(Command::List));
        assert_eq!(Command::parse("/topic"), Ok(Command::Topic(None)));
        assert_eq!(Command::parse("/topic  all about  Rust "), Ok(Command::Topic(Some("all about  Rust"))));
        assert_eq!(Command::parse("/topic -"), Ok(Command::ClearTopic));
        assert_eq!(Command::parse("/history"), Ok(Command::History(None)));
        assert_eq!(Command::parse("/history 50"), Ok(Command::History(Some(50))));
        assert_eq!(Command::parse("/away"), Ok(Command::Away(None)));
        assert_eq!(Command::parse("/away gone to lunch"), Ok(Command::Away(Some("gone to lunch"))));
        assert_eq!(Command::parse("/ignore"), Ok(Command::Ignore(None)));
        assert_eq!(Command::parse("/ignore bob"), Ok(Command::Ignore(Some("bob"))));
        assert_eq!(Command::parse("/unignore bob"), Ok(Command::Unignore("bob")));
    }

    #[test]
    fn refuses_bad_room_commands() {
        let usage = |text| Err(CommandError::Usage(text));
        assert_eq!(Command::parse("/join"), usage("/join #ROOM"));
        assert_eq!(Command::parse("/join #a #b"), usage("/join #ROOM (one word)"));
        assert_eq!(Command::parse("/who #a b"), usage("/who [#ROOM] (one word)"));
        assert_eq!(Command::parse("/history 0"), usage("/history [N] (N a whole number from 1)"));
        assert_eq!(Command::parse("/history lots"), usage("/history [N] (N a whole number from 1)"));
        assert_eq!(Command::parse("/ignore a b"), usage("/ignore [NAME] (one word)"));
        assert_eq!(Command::parse("/unignore"), usage("/unignore NAME"));
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
    fn parses_the_moderation_commands() {
        let hours = |h: u64| Some(Duration::from_secs(h * 3_600));
        assert_eq!(Command::parse("/op bob"), Ok(Command::Op("bob")));
        assert_eq!(Command::parse("/DEOP bob"), Ok(Command::Deop("bob")));
        assert_eq!(Command::parse("/kick bob"), Ok(Command::Kick { name: "bob", reason: None }));
        assert_eq!(
            Command::parse("/kick bob  be  nice "),
            Ok(Command::Kick { name: "bob", reason: Some("be  nice") })
        );
        assert_eq!(
            Command::parse("/ban bob"),
            Ok(Command::Ban { target: "bob", duration: None, reason: None })
        );
        assert_eq!(
            Command::parse("/ban 10.0.0.0/8 2h"),
            Ok(Command::Ban { target: "10.0.0.0/8", duration: hours(2), reason: None })
        );
        assert_eq!(
            Command::parse("/ban bob 2h spam, again"),
            Ok(Command::Ban { target: "bob", duration: hours(2), reason: Some("spam, again") })
        );
        assert_eq!(
            Command::parse("/ban bob spam"),
            Ok(Command::Ban { target: "bob", duration: None, reason: Some("spam") })
        );
        assert_eq!(Command::parse("/unban 10.0.0.1"), Ok(Command::Unban("10.0.0.1")));
        assert_eq!(Command::parse("/banned"), Ok(Command::Banned));
        assert_eq!(Command::parse("/mute bob"), Ok(Command::Mute { name: "bob", duration: None }));
        assert_eq!(
            Command::parse("/mute bob 10m"),
            Ok(Command::Mute { name: "bob", duration: Some(Duration::from_secs(600)) })
        );
        assert_eq!(Command::parse("/unmute bob"), Ok(Command::Unmute("bob")));
        assert_eq!(Command::parse("/motd"), Ok(Command::Motd(None)));
        assert_eq!(Command::parse("/motd be kind"), Ok(Command::Motd(Some("be kind"))));
        assert_eq!(Command::parse("/motd -"), Ok(Command::ClearMotd));
        assert_eq!(Command::parse("/topic lock"), Ok(Command::LockTopic(true)));
        assert_eq!(Command::parse("/topic unlock"), Ok(Command::LockTopic(false)));
        assert_eq!(Command::parse("/whois bob"), Ok(Command::Whois("bob")));
    }

    #[test]
    fn refuses_bad_moderation_commands() {
        let usage = |text| Err(CommandError::Usage(text));
        assert_eq!(Command::parse("/op"), usage("/op NAME"));
        assert_eq!(Command::parse("/op a b"), usage("/op NAME (one word)"));
        assert_eq!(Command::parse("/kick"), usage("/kick NAME [REASON]"));
        assert_eq!(Command::parse("/ban"), usage("/ban NAME|IP|CIDR [DURATION] [REASON]"));
        assert_eq!(
            Command::parse("/mute bob forever"),
            usage("/mute NAME [DURATION] (DURATION like 10m, 2h or 7d)")
        );
        assert_eq!(
            Command::parse("/mute bob 10m more"),
            usage("/mute NAME [DURATION] (DURATION like 10m, 2h or 7d)")
        );
        assert_eq!(Command::parse("/whois"), usage("/whois NAME"));
    }

    #[test]
    fn parses_the_account_commands() {
        let pw = Password;
        assert_eq!(Command::parse("/register  s3cret "), Ok(Command::Register(pw("s3cret"))));
        assert_eq!(
            Command::parse("/identify s3cret"),
            Ok(Command::Identify { name: None, password: pw("s3cret") })
        );
        let as_alice = Ok(Command::Identify { name: Some("alice"), password: pw("s3cret") });
        assert_eq!(Command::parse("/IDENTIFY alice s3cret"), as_alice);
        assert_eq!(Command::parse("/nick alice s3cret"), as_alice);
        assert_eq!(
            Command::parse("/password old new"),
            Ok(Command::ChangePassword { old: pw("old"), new: pw("new") })
        );
        assert_eq!(Command::parse("/unregister s3cret"), Ok(Command::Unregister(pw("s3cret"))));
        let usage = |text| Err(CommandError::Usage(text));
        assert_eq!(Command::parse("/register two words"), usage("/register PASSWORD"));
        assert_eq!(Command::parse("/identify a b c"), usage("/identify [NAME] PASSWORD"));
        assert_eq!(Command::parse("/password one"), usage("/password OLD NEW"));
        assert_eq!(Command::parse("/password a b c"), usage("/password OLD NEW"));
        assert_eq!(Command::parse("/unregister"), usage("/unregister PASSWORD"));
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        for line in [
            "/register hunter2",
            "/identify alice hunter2",
            "/nick alice hunter2",
            "/password hunter2 hunter3",
            "/unregister hunter2",
        ] {
            let shown = format!("{:?}", Command::parse(line));
            assert!(!shown.contains("hunter"), "{shown}");
        }
    }

    #[test]
    fn refuses_bad_commands() {
        assert_eq!(Command::parse("/dance"), Err(CommandError::Unknown("dance".into())));
        assert_eq!(Command::parse("/msg bob"), Err(CommandError::Usage("/msg NAME TEXT")));
        assert_eq!(Command::parse("/nick"), Err(CommandError::Usage("/nick NAME")));
        let nick_usage = Err(CommandError::Usage("/nick NAME [PASSWORD] (one word each)"));
        assert_eq!(Command::parse("/nick a b c"), nick_usage);
        assert_eq!(Command::parse("/me"), Err(CommandError::Usage("/me ACTION")));
    }
}
