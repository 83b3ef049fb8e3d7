//! The line editor's prompt: `NAME> `, with our name in the colour the others see it in.

use std::borrow::Cow;
use std::sync::Arc;

use nu_ansi_term::Color as AnsiColor;
use reedline::{Color, Prompt, PromptEditMode, PromptHistorySearch, PromptHistorySearchStatus};

use super::identity::Identity;
use super::style::name_colour;

/// Shows our current name (once the server has told it) before the text being typed.
#[derive(Debug)]
pub struct ChatPrompt {
    identity: Arc<Identity>,
}

impl ChatPrompt {
    /// A prompt that follows the name `identity` learns.
    pub fn new(identity: Arc<Identity>) -> Self {
        Self { identity }
    }
}

impl Prompt for ChatPrompt {
    fn render_prompt_left(&self) -> Cow<'_, str> {
        self.identity.name().map_or(Cow::Borrowed(""), Cow::Owned)
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
        self.identity.name().map_or(Color::Reset, |name| crossterm_colour(name_colour(&name)))
    }

    fn get_indicator_color(&self) -> Color {
        Color::Reset
    }
}

/// The terminal colour the line editor needs for one of our name colours.
fn crossterm_colour(colour: AnsiColor) -> Color {
    match colour {
        AnsiColor::Black => Color::Black,
        AnsiColor::Red => Color::DarkRed,
        AnsiColor::Green => Color::DarkGreen,
        AnsiColor::Yellow => Color::DarkYellow,
        AnsiColor::Blue => Color::DarkBlue,
        AnsiColor::Purple | AnsiColor::Magenta => Color::DarkMagenta,
        AnsiColor::Cyan => Color::DarkCyan,
        AnsiColor::White => Color::Grey,
        AnsiColor::DarkGray => Color::DarkGrey,
        AnsiColor::LightRed => Color::Red,
        AnsiColor::LightGreen => Color::Green,
        AnsiColor::LightYellow => Color::Yellow,
        AnsiColor::LightBlue => Color::Blue,
        AnsiColor::LightPurple | AnsiColor::LightMagenta => Color::Magenta,
        AnsiColor::LightCyan => Color::Cyan,
        AnsiColor::LightGray => Color::White,
        AnsiColor::Fixed(n) => Color::AnsiValue(n),
        AnsiColor::Rgb(r, g, b) => Color::Rgb { r, g, b },
        AnsiColor::Default => Color::Reset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_shows_our_name_once_known() {
        let identity = Arc::new(Identity::new());
        let prompt = ChatPrompt::new(identity.clone());
        assert_eq!(prompt.render_prompt_left(), "");
        identity.observe("*** You are now known as alice");
        assert_eq!(prompt.render_prompt_left(), "alice");
        assert_eq!(prompt.get_prompt_color(), crossterm_colour(name_colour("alice")));
    }
}
