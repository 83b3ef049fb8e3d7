//! Where what was typed is kept between runs: `history.txt` in the platform's state
//! directory for `chat` (`$XDG_STATE_HOME/chat` or `~/.local/state/chat` on Linux; the local
//! data directory where there is no state directory, as on macOS and Windows).

use std::path::PathBuf;

use directories::ProjectDirs;

/// How many typed lines are kept.
pub const HISTORY_SIZE: usize = 1000;

/// The history file, its directory created; `None` (history kept for this run only) when
/// there is no home directory or the directory cannot be made.
pub fn file() -> Option<PathBuf> {
    let dirs = ProjectDirs::from("", "", "chat")?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir()).to_path_buf();
    match std::fs::create_dir_all(&dir) {
        Ok(()) => Some(dir.join("history.txt")),
        Err(err) => {
            tracing::warn!(dir = %dir.display(), %err, "cannot keep the input history");
            None
        }
    }
}
