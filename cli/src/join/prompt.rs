//! The line editor's prompt: `#ROOM NAME> `, with our name in the colour the others see it in.

use std::borrow::Cow;
use std::sync::Arc;

use nu_ansi_term::Color;
use reedline::{Prompt, PromptEditMode, PromptHistorySearch, PromptHistorySearchStatus};

use super::shared::SharedClient;
use super::style::name_colour;

/// Shows our room and current name (once the server has told them) before the text being
/// typed.
#[derive(Debug)]
pub struct ChatPrompt {
    client: Arc<SharedClient>,
}

impl ChatPrompt {
    /// A prompt that follows the name `client` learns.
    pub fn new(client: Arc<SharedClient>) -> Self {
        Self { client }
    }
}

impl Prompt for ChatPrompt {
    fn render_prompt_left(&self) -> Cow<'_, str> {
        match (self.client.room(), self.client.name()) {
            (Some(room), Some(name)) => Cow::Owned(format!("{room} {name}")),
            (None, Some(name)) => Cow::Owned(name),
            (_, None) => Cow::Borrowed(""),
        }
    }

    fn render_prompt_right(&self) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn render_prompt_indicator(&self, _mode: PromptEditMode) -> Cow<'_, str> {
        Cow::Borrowed("> ")
    }

    fn render_prompt_multiline_indicator(&self) -> Cow<'_, str> {
        Cow::Borrowed("... ")
    }

    fn render_prompt_history_search_indicator(&self, search: PromptHistorySearch) -> Cow<'_, str> {
        let failed = match search.status {
            PromptHistorySearchStatus::Passing => "",
            PromptHistorySearchStatus::Failing => "failed ",
        };
        Cow::Owned(format!("({failed}history search: {}) ", search.term))
    }

    fn get_prompt_color(&self) -> Color {
        self.client.name().map_or(Color::Default, |name| name_colour(&name))
    }

    fn get_indicator_color(&self) -> Color {
        Color::Default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_shows_our_name_once_known() {
        let client = Arc::new(SharedClient::new());
        let prompt = ChatPrompt::new(client.clone());
        assert_eq!(prompt.render_prompt_left(), "");
        client.receive("*** You are now known as alice");
        assert_eq!(prompt.render_prompt_left(), "alice");
        assert_eq!(prompt.get_prompt_color(), name_colour("alice"));
    }

    #[test]
    fn the_prompt_follows_our_room() {
        let client = Arc::new(SharedClient::new());
        let prompt = ChatPrompt::new(client.clone());
        client.receive(
            "*** Welcome to the chat room, guest-1234: nobody else is here yet. Type /help for commands.",
        );
        assert_eq!(prompt.render_prompt_left(), "#lobby guest-1234");
        client.receive("*** You are now known as alice");
        client.receive("*** You are in #rust: 1 other person is here.");
        assert_eq!(prompt.render_prompt_left(), "#rust alice");
        client.receive("*** You are in #lobby: nobody else is here yet.");
        assert_eq!(prompt.render_prompt_left(), "#lobby alice");
    }
}
