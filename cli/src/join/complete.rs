//! Tab completion: command names at the start of a line, rooms after `/join` (and any word
//! starting with `#`), people's names anywhere else.

use std::sync::Arc;

use chat_core::protocol::{Command, CommandInfo};
use reedline::{Completer, CompletionResult, Span, Suggestion};

use super::shared::SharedClient;

/// The commands `chat join` answers itself; they never reach the server.
const CLIENT_COMMANDS: [CommandInfo; 1] =
    [CommandInfo { name: "/quiet", args: "", about: "hide (or show again) join and leave notices" }];

/// Completes the word before the cursor from the commands and the names the client knows.
pub struct ChatCompleter {
    client: Arc<SharedClient>,
}

impl ChatCompleter {
    /// A completer over the names `client` knows (never our own).
    pub fn new(client: Arc<SharedClient>) -> Self {
        Self { client }
    }

    fn suggestions(&self, line: &str, pos: usize) -> Vec<Suggestion> {
        let before = &line[..pos];
        let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = &before[start..];
        let span = Span::new(start, pos);
        if start == 0 && word.starts_with('/') {
            let word = word.to_lowercase();
            return Command::LIST
                .iter()
                .chain(&CLIENT_COMMANDS)
                .filter(|command| command.name.starts_with(&word))
                .map(|command| Suggestion {
                    value: command.name.to_owned(),
                    description: Some(describe(command)),
                    span,
                    append_whitespace: true,
                    ..Suggestion::default()
                })
                .collect();
        }
        let joining =
            before.split_whitespace().next().is_some_and(|first| first.eq_ignore_ascii_case("/join"))
                && before[..start].split_whitespace().count() == 1;
        let found = if joining || word.starts_with('#') {
            self.client.rooms_starting_with(word)
        } else if word.is_empty() {
            Vec::new()
        } else {
            self.client.names_starting_with(word)
        };
        found
            .into_iter()
            .map(|value| Suggestion { value, span, append_whitespace: true, ..Suggestion::default() })
            .collect()
    }
}

/// What the completion menu shows next to a command: `NAME TEXT: say TEXT to NAME only`.
fn describe(command: &CommandInfo) -> String {
    if command.args.is_empty() {
        command.about.to_owned()
    } else {
        format!("{}: {}", command.args, command.about)
    }
}

impl Completer for ChatCompleter {
    fn complete(&mut self, line: &str, pos: usize) -> CompletionResult {
        CompletionResult::fresh(self.suggestions(line, pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(completer: &ChatCompleter, line: &str) -> Vec<String> {
        completer.suggestions(line, line.len()).into_iter().map(|s| s.value).collect()
    }

    #[test]
    fn commands_then_names_are_completed_and_our_own_name_is_not() {
        let client = Arc::new(SharedClient::new());
        client.receive("*** 3 here: alice, albert, bob");
        client.receive("*** You are now known as albert");
        let completer = ChatCompleter::new(client);
        assert_eq!(values(&completer, "/m"), ["/me", "/msg", "/motd", "/mute"]);
        let all: Vec<&str> = Command::LIST.iter().chain(&CLIENT_COMMANDS).map(|c| c.name).collect();
        assert_eq!(values(&completer, "/"), all);
        assert_eq!(values(&completer, "/q"), ["/quit", "/quiet"]);
        assert_eq!(values(&completer, "/msg al"), ["alice"]);
        assert_eq!(values(&completer, "hi B"), ["bob"]);
        assert!(values(&completer, "hi ").is_empty());
        assert!(values(&completer, "see /m").is_empty());
    }

    #[test]
    fn join_completes_the_rooms_heard_of() {
        let client = Arc::new(SharedClient::new());
        client.receive(
            "*** Welcome to the chat room, alice: nobody else is here yet. Type /help for commands.",
        );
        client.receive("*** Rooms, biggest first (3 in all):");
        client.receive("*** #rust (4 here): all things Rust");
        client.receive("*** #Ruby (1 here)");
        client.receive("*** bob joined #rustaceans");
        client.receive("*** 1 here: robert");
        let completer = ChatCompleter::new(client);
        assert_eq!(values(&completer, "/join "), ["#lobby", "#Ruby", "#rust", "#rustaceans"]);
        assert_eq!(values(&completer, "/join #ru"), ["#Ruby", "#rust", "#rustaceans"]);
        assert_eq!(values(&completer, "/JOIN rus"), ["#rust", "#rustaceans"]);
        assert_eq!(values(&completer, "/who #l"), ["#lobby"]);
        assert_eq!(values(&completer, "/msg r"), ["robert"]);
        assert!(values(&completer, "/join #rust x").is_empty());
        assert_eq!(values(&completer, "/pa"), ["/part", "/password"]);
        assert_eq!(values(&completer, "/par"), ["/part"]);
    }

    #[test]
    fn the_replaced_span_is_the_word_before_the_cursor() {
        let client = Arc::new(SharedClient::new());
        client.receive("<bob> hi");
        let completer = ChatCompleter::new(client);
        let suggestions = completer.suggestions("hey bo there", 6);
        assert_eq!(suggestions[0].span, Span::new(4, 6));
    }
}
