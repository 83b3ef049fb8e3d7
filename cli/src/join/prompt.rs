//! The line editor's prompt: `NAME> `, with our name in the colour the others see it in.

use std::borrow::Cow;
use std::sync::Arc;

use nu_ansi_term::Color;
use reedline::{Prompt, PromptEditMode, PromptHistorySearch, PromptHistorySearchStatus};

use super::shared::SharedClient;
use super::style::name_colour;

/// Shows our current name (once the server has told it) before the text being typed.
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
        self.client.name().map_or(Cow::Borrowed(""), Cow::Owned)
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
}
