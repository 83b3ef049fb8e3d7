//! What the server's lines tell the client, each line parsed once: our name, who is here,
//! whether the server speaks this project's protocol, and what each line means to us (a
//! mention, join/leave noise). Sans-IO: the terminal and piped front ends feed it the lines
//! they receive and act on what it says; it owns no socket, thread or clock.
//!
//! Names come from `chat_core::protocol::ServerLine`, so they never hold white space: each is one word
//! Tab can insert. The handout server's names (`('IP', PORT)`) are not learned.

use std::collections::BTreeMap;

use chat_core::protocol::ServerLine;

/// The client's view of the room.
#[derive(Debug, Default)]
pub struct Client {
    /// Our name, once the server has told it.
    me: Option<String>,
    /// The server greeted us as this project's server does (so it understands commands).
    speaks_chat: bool,
    /// Any line at all has arrived.
    heard_anything: bool,
    /// The names seen in the room, keyed by the lowercased name, so one person is one entry
    /// whatever case they appear in.
    roster: BTreeMap<String, String>,
}

/// One received line, as the client reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received<'a> {
    /// The line, parsed.
    pub line: ServerLine<'a>,
    /// Someone else's message or action names us (a private message to us counts too).
    pub mentions_me: bool,
    /// Join, leave and rename noise (what `/quiet` hides).
    pub presence: bool,
    /// The server's greeting: the moment to send our `/nick` and ask `/who`.
    pub welcome: bool,
}

impl Client {
    /// Learns from one received line (already sanitized) and says what it is.
    pub fn receive<'a>(&mut self, line: &'a str) -> Received<'a> {
        self.heard_anything = true;
        let parsed = ServerLine::parse(line);
        let mut mentions_me = false;
        match parsed {
            ServerLine::Welcome { name, .. } => {
                self.speaks_chat = true;
                self.me = Some(name.to_owned());
            }
            ServerLine::YouRenamed { name } => self.me = Some(name.to_owned()),
            ServerLine::Message { from, text } | ServerLine::Action { from, text } => {
                self.learn(from);
                mentions_me = self.is_mentioned_in(text);
            }
            ServerLine::PrivateIn { from, .. } => {
                self.learn(from);
                mentions_me = true;
            }
            ServerLine::PrivateOut { to: name, .. }
            | ServerLine::Joined { name }
            | ServerLine::RoomJoined { name, .. } => self.learn(name),
            ServerLine::Who { names, .. }
            | ServerLine::WhoIn { names, .. }
            | ServerLine::JoinedMany { names, .. } => {
                names.iter().for_each(|name| self.learn(name));
            }
            ServerLine::Renamed { old, new } => {
                self.forget(old);
                self.learn(new);
            }
            ServerLine::Offline { name, .. } | ServerLine::RoomLeft { name, .. } => self.forget(name),
            ServerLine::OfflineMany { departures, .. } => {
                departures.iter().for_each(|(name, _)| self.forget(name));
            }
            ServerLine::Help
            | ServerLine::ShuttingDown
            | ServerLine::HistoryStart { .. }
            | ServerLine::HistoryEnd
            | ServerLine::Replayed { .. }
            | ServerLine::YouJoined { .. }
            | ServerLine::Topic { .. }
            | ServerLine::NoTopic { .. }
            | ServerLine::TopicSet { .. }
            | ServerLine::TopicCleared { .. }
            | ServerLine::RoomsHeader { .. }
            | ServerLine::RoomEntry { .. }
            | ServerLine::NoHistory { .. }
            | ServerLine::Away { .. }
            | ServerLine::YouAway { .. }
            | ServerLine::YouBack
            | ServerLine::Ignoring { .. }
            | ServerLine::Unignored { .. }
            | ServerLine::IgnoreList { .. }
            | ServerLine::Notice(_)
            | ServerLine::Error(_)
            | ServerLine::Other(_) => {}
        }
        let presence = matches!(
            parsed,
            ServerLine::Joined { .. }
                | ServerLine::JoinedMany { .. }
                | ServerLine::Offline { .. }
                | ServerLine::OfflineMany { .. }
                | ServerLine::Renamed { .. }
                | ServerLine::RoomJoined { .. }
                | ServerLine::RoomLeft { .. }
        );
        let welcome = matches!(parsed, ServerLine::Welcome { .. });
        Received { line: parsed, mentions_me, presence, welcome }
    }

    /// Forgets everything, for a new connection.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Our name in the room, once the server has told us.
    pub fn name(&self) -> Option<&str> {
        self.me.as_deref()
    }

    /// Whether the server greeted us as this project's server does, so it understands `/quit`
    /// and `/nick` (the handout's server greets no one, and would relay them as messages).
    pub fn speaks_chat(&self) -> bool {
        self.speaks_chat
    }

    /// Whether any line has arrived yet.
    pub fn heard_anything(&self) -> bool {
        self.heard_anything
    }

    /// The known names starting with `prefix`, ignoring case, in alphabetical order, without
    /// our own.
    pub fn names_starting_with(&self, prefix: &str) -> Vec<String> {
        let prefix = prefix.to_lowercase();
        let me = self.me.as_deref().map(str::to_lowercase);
        self.roster
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .filter(|(key, _)| Some(key.as_str()) != me.as_deref())
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// Whether `text` names us as a word of its own (any case; `@name` and `name:` count).
    fn is_mentioned_in(&self, text: &str) -> bool {
        let Some(me) = self.me.as_deref() else { return false };
        let me = me.to_lowercase();
        text.to_lowercase()
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | ';' | '!' | '?' | '@' | '(' | ')'))
            .map(|word| word.trim_end_matches('.'))
            .any(|word| word == me)
    }

    fn learn(&mut self, name: &str) {
        self.roster.insert(name.to_lowercase(), name.to_owned());
    }

    fn forget(&mut self, name: &str) {
        self.roster.remove(&name.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(lines: &[&str]) -> Client {
        let mut client = Client::default();
        for line in lines {
            client.receive(line);
        }
        client
    }

    #[test]
    fn the_welcome_and_renames_give_our_name() {
        let mut me = Client::default();
        assert_eq!(me.name(), None);
        assert!(!me.heard_anything());
        let welcome = me.receive(
            "*** Welcome to the chat room, 127.0.0.1:40000: nobody else is here yet. Type /help for commands.",
        );
        assert!(welcome.welcome);
        assert_eq!(me.name(), Some("127.0.0.1:40000"));
        assert!(me.speaks_chat() && me.heard_anything());
        me.receive("*** You are now known as alice");
        assert_eq!(me.name(), Some("alice"));
        me.receive("<bob> *** You are now known as mallory");
        me.receive("*** bob is now known as carol");
        assert_eq!(me.name(), Some("alice"));
    }

    #[test]
    fn the_handout_server_is_not_taken_for_ours() {
        let me = client(&[
            "[127.0.0.1:5555] entered room",
            "<('127.0.0.1', 5555)> *** Welcome to the chat room, x: y",
        ]);
        assert!(me.heard_anything());
        assert!(!me.speaks_chat());
    }

    #[test]
    fn names_come_and_go_with_the_notices_and_ours_is_never_offered() {
        let room = client(&[
            "*** You are now known as Zoe",
            "*** 4 here: alice, Bob, carol, zoe",
            "*** dave entered the room",
            "<erin> hi",
            "*** carol is offline (quit: bye)",
            "*** Bob is now known as robert",
        ]);
        assert_eq!(room.names_starting_with(""), ["alice", "dave", "erin", "robert"]);
        assert_eq!(room.names_starting_with("R"), ["robert"]);
        assert!(room.names_starting_with("z").is_empty());
    }

    #[test]
    fn summaries_of_big_rooms_are_read() {
        let room = client(&[
            "*** 150 here: amy, ann, bea and 147 more",
            "*** 3 entered the room: cid, dan and 1 more",
            "*** 2 are offline: ann (left), cid (quit: later)",
        ]);
        assert_eq!(room.names_starting_with(""), ["amy", "bea", "dan"]);
    }

    #[test]
    fn names_with_spaces_and_text_in_messages_are_not_taken() {
        let room = client(&[
            "<('127.0.0.1', 5555)> hi",
            "<zed> *** mallory entered the room",
            "* zed *** 1 here: eve",
            "<[::1]:5000> hi",
        ]);
        assert_eq!(room.names_starting_with(""), ["[::1]:5000", "zed"]);
    }

    #[test]
    fn a_line_naming_us_is_a_mention_and_presence_is_told_apart() {
        let mut me = client(&["*** You are now known as Alice"]);
        for line in
            ["<bob> hi alice", "<bob> alice: look", "<bob> @ALICE!", "* bob waves at alice.", "*bob* psst"]
        {
            assert!(me.receive(line).mentions_me, "{line}");
        }
        for line in ["<bob> hi alicia", "<bob> malice", "*** alice entered the room", "! alice"] {
            assert!(!me.receive(line).mentions_me, "{line}");
        }
        assert!(me.receive("*** dave entered the room").presence);
        assert!(me.receive("*** 2 are offline: ann (left), cid (quit)").presence);
        assert!(me.receive("*** dave is now known as dan").presence);
        assert!(!me.receive("<dan> hi").presence);
        assert!(!me.receive("*** 3 here: a, b, c").presence);
    }
}
