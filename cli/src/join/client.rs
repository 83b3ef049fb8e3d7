//! What the server's lines tell the client, each line parsed once: our name, our room, who is
//! here, the rooms we have heard of, whether the server speaks this project's protocol, and
//! what each line means to us (a mention, join/leave noise, the room's past being replayed). Sans-IO: the terminal and piped front ends feed it the lines
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
    /// The room we are in, once the server has greeted us (`#lobby` first).
    room: Option<String>,
    /// The rooms heard of (from `/list` answers, join lines and topics), keyed by the
    /// lowercased name as `roster` is.
    rooms: BTreeMap<String, String>,
    /// Between `--- last N lines ---` and `--- end of history ---`.
    replaying: bool,
}

/// The room every connection starts in.
pub const LOBBY: &str = "#lobby";

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
    /// Part of a history replay: one of its two markers, or a line said in the past (then
    /// `line` is [`ServerLine::Replayed`]).
    pub replayed: bool,
}

impl Client {
    /// Learns from one received line (already sanitized) and says what it is.
    pub fn receive<'a>(&mut self, line: &'a str) -> Received<'a> {
        self.heard_anything = true;
        let mut parsed = ServerLine::parse(line);
        let replayed = self.replay(&mut parsed, line);
        if replayed {
            return Received { line: parsed, mentions_me: false, presence: false, welcome: false, replayed };
        }
        let mut mentions_me = false;
        match parsed {
            ServerLine::Welcome { name, .. } => {
                self.speaks_chat = true;
                self.me = Some(name.to_owned());
                self.enter(LOBBY);
            }
            // Names met elsewhere stay known: `/msg` reaches people in any room.
            ServerLine::YouJoined { room, .. } => self.enter(room),
            ServerLine::RoomEntry { room, .. }
            | ServerLine::Topic { room, .. }
            | ServerLine::NoTopic { room }
            | ServerLine::TopicSet { room, .. }
            | ServerLine::TopicCleared { room, .. }
            | ServerLine::NoHistory { room } => self.learn_room(room),
            ServerLine::YouRenamed { name } => self.me = Some(name.to_owned()),
            ServerLine::Message { from, text } | ServerLine::Action { from, text } => {
                self.learn(from);
                mentions_me = self.is_mentioned_in(text);
            }
            ServerLine::PrivateIn { from, .. } => {
                self.learn(from);
                mentions_me = true;
            }
            ServerLine::PrivateOut { to: name, .. } | ServerLine::Joined { name } => self.learn(name),
            ServerLine::RoomJoined { name, room } => {
                self.learn(name);
                self.learn_room(room);
            }
            ServerLine::WhoIn { room, names, .. } => {
                self.learn_room(room);
                names.iter().for_each(|name| self.learn(name));
            }
            ServerLine::Who { names, .. } | ServerLine::JoinedMany { names, .. } => {
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
            | ServerLine::RoomsHeader { .. }
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
        Received { line: parsed, mentions_me, presence, welcome, replayed }
    }

    /// Follows the history replay: whether `line` is part of one. A `[HH:MM] ...` line is the
    /// past only between the two markers; anywhere else it is read as any other line.
    fn replay<'a>(&mut self, parsed: &mut ServerLine<'a>, line: &'a str) -> bool {
        match *parsed {
            ServerLine::HistoryStart { .. } => {
                self.replaying = true;
                true
            }
            ServerLine::HistoryEnd if self.replaying => {
                self.replaying = false;
                true
            }
            ServerLine::Replayed { .. } if self.replaying => true,
            ServerLine::Replayed { .. } => {
                *parsed = ServerLine::Other(line.trim_end_matches(['\r', '\n']));
                false
            }
            _ => false,
        }
    }

    /// Forgets everything, for a new connection.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Our name in the room, once the server has told us.
    pub fn name(&self) -> Option<&str> {
        self.me.as_deref()
    }

    /// The room we are in, once the server has greeted us.
    pub fn room(&self) -> Option<&str> {
        self.room.as_deref()
    }

    /// The rooms heard of whose name starts with `prefix` (the `#` may be left out), ignoring
    /// case, in alphabetical order, our own room included.
    pub fn rooms_starting_with(&self, prefix: &str) -> Vec<String> {
        let prefix = prefix.to_lowercase();
        let prefix = if prefix.starts_with('#') { prefix } else { format!("#{prefix}") };
        self.rooms
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .map(|(_, room)| room.clone())
            .collect()
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

    fn learn_room(&mut self, room: &str) {
        self.rooms.insert(room.to_lowercase(), room.to_owned());
    }

    fn enter(&mut self, room: &str) {
        self.learn_room(room);
        self.room = Some(room.to_owned());
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

    #[test]
    fn the_room_follows_the_welcome_and_our_joins() {
        let mut me = Client::default();
        assert_eq!(me.room(), None);
        me.receive("*** Welcome to the chat room, alice: nobody else is here yet. Type /help for commands.");
        assert_eq!(me.room(), Some("#lobby"));
        me.receive("*** bob joined #lobby");
        me.receive("<bob> *** You are in #evil: nobody else is here yet.");
        assert_eq!(me.room(), Some("#lobby"));
        me.receive("*** You are in #Rust: 2 other people are here.");
        assert_eq!(me.room(), Some("#Rust"));
        me.receive("*** Topic of #Rust: ownership");
        me.receive("*** #go (3 here): gophers");
        assert_eq!(me.rooms_starting_with(""), ["#go", "#lobby", "#Rust"]);
        assert_eq!(me.rooms_starting_with("#r"), ["#Rust"]);
        me.receive("*** You are in #lobby: 1 other person is here.");
        assert_eq!(me.room(), Some("#lobby"));
        assert_eq!(me.names_starting_with("b"), ["bob"], "names met elsewhere stay known");
        me.reset();
        assert_eq!(me.room(), None);
    }

    #[test]
    fn the_replay_is_told_apart_from_live_lines_and_teaches_nothing() {
        let mut me = client(&["*** You are now known as alice"]);
        assert!(!me.receive("[10:00] <bob> before").replayed, "no replay without its start marker");
        assert!(me.receive("--- last 2 lines ---").replayed);
        let past = me.receive("[09:15] <carol> hi alice");
        assert!(past.replayed && !past.mentions_me);
        assert_eq!(past.line, ServerLine::Replayed { hour: 9, minute: 15, line: "<carol> hi alice" });
        let past = me.receive("[09:16] *** dave entered the room");
        assert!(past.replayed && !past.presence);
        assert!(me.receive("--- end of history ---").replayed);
        let live = me.receive("<erin> hi alice");
        assert!(!live.replayed && live.mentions_me);
        let odd = me.receive("[10:00] <bob> after");
        assert!(!odd.replayed);
        assert_eq!(odd.line, ServerLine::Other("[10:00] <bob> after"));
        assert_eq!(me.names_starting_with(""), ["erin"], "the past's names are not learned");
    }
}
