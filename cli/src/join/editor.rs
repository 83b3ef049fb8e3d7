//! The line editor, configured for chatting: history on the arrow keys, Tab completion of
//! commands and names, received lines printed above the prompt, and a way out when the server
//! goes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use nu_ansi_term::Style;
use reedline::{
    ColumnarMenu, Emacs, ExternalPrinter, FileBackedHistory, Highlighter, KeyCode, KeyModifiers, MenuBuilder,
    Reedline, ReedlineEvent, ReedlineMenu, StyledText, default_emacs_keybindings,
};

use super::complete::ChatCompleter;
use super::history::HISTORY_SIZE;
use super::secret::Discreet;

const COMPLETION_MENU: &str = "completion_menu";

/// A line editor that prints what `printer` receives above the line being typed, returns
/// `Signal::ExternalBreak` once `stop` is set, completes with `completer` on Tab, colours
/// only when `colour` is set, and keeps what is typed in `history` (a file) when given.
pub fn build(
    printer: ExternalPrinter<String>,
    stop: Arc<AtomicBool>,
    completer: ChatCompleter,
    colour: bool,
    history: Option<PathBuf>,
) -> Reedline {
    let mut keybindings = default_emacs_keybindings();
    keybindings.add_binding(
        KeyModifiers::NONE,
        KeyCode::Tab,
        ReedlineEvent::UntilFound(vec![
            ReedlineEvent::Menu(COMPLETION_MENU.to_owned()),
            ReedlineEvent::MenuNext,
        ]),
    );
    let menu = ColumnarMenu::default().with_name(COMPLETION_MENU);
    let editor = Reedline::create()
        .with_edit_mode(Box::new(Emacs::new(keybindings)))
        .with_completer(Box::new(completer))
        .with_menu(ReedlineMenu::EngineCompleter(Box::new(menu)))
        .with_highlighter(Box::new(PlainText))
        // A paste arrives as one piece: shown at once, sent on Enter, however long (typed
        // input beyond 1,024 bytes at once waits for the next key in crossterm's reader).
        .use_bracketed_paste(cfg!(not(windows)))
        .with_quick_completions(true)
        .with_partial_completions(true)
        .with_external_printer(printer)
        .with_break_signal(stop)
        .with_ansi_colors(colour);
    let Some(file) = history else { return editor };
    match FileBackedHistory::with_file(HISTORY_SIZE, file.clone()) {
        Ok(history) => editor.with_history(Box::new(Discreet(history))),
        Err(err) => {
            tracing::warn!(file = %file.display(), %err, "cannot read the input history");
            editor
        }
    }
}

/// Shows the text being typed in the terminal's own colours (the line editor's default paints
/// it white, which cannot be read on a light background).
struct PlainText;

impl Highlighter for PlainText {
    fn highlight(&self, line: &str, _cursor: usize) -> StyledText {
        let mut styled = StyledText::new();
        styled.push((Style::new(), line.to_owned()));
        styled
    }
}
