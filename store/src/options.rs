//! Where the database lives and how the writer batches and keeps lines.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::StoreError;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "chat.db";

/// Where to keep the database, as `--data-dir` takes it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum DataDir {
    /// The platform's data directory for `chat` (see [`DataDir::resolve`]).
    #[default]
    Default,
    /// Keep nothing: no store is opened and everything lives in memory (`--data-dir none`).
    None,
    /// This directory.
    Path(PathBuf),
}

impl DataDir {
    /// The directory to open, or `None` to keep nothing. The default is the platform's data
    /// directory for `chat`: `$XDG_DATA_HOME/chat` or `~/.local/share/chat` on Linux,
    /// `~/Library/Application Support/chat` on macOS, `%APPDATA%\chat\data` on Windows.
    pub fn resolve(&self) -> Result<Option<PathBuf>, StoreError> {
        match self {
            DataDir::None => Ok(None),
            DataDir::Path(path) => Ok(Some(path.clone())),
            DataDir::Default => directories::ProjectDirs::from("", "", "chat")
                .map(|dirs| Some(dirs.data_dir().to_owned()))
                .ok_or(StoreError::NoDataDir),
        }
    }
}

impl FromStr for DataDir {
    type Err = std::convert::Infallible;

    /// `none` keeps nothing; anything else is a directory (`./none` names a directory so called).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(if text == "none" { DataDir::None } else { DataDir::Path(PathBuf::from(text)) })
    }
}

/// How much history to keep and how the writer batches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Lines kept per room (`--history`): those among its last `history` sequence numbers, as
    /// the core's ring keeps them; older ones are deleted as new ones are written. 0 keeps none
    /// (sequence numbers are still kept).
    pub history: usize,
    /// Lines older than this many days are deleted (`--history-days`), at start-up and hourly;
    /// `None` keeps lines whatever their age.
    pub history_days: Option<u32>,
    /// A batch is written at most this long after its first record arrived.
    pub batch_interval: Duration,
    /// A batch is written as soon as it holds this many records.
    pub batch_records: usize,
    /// Records the channel from the event loop holds (see [`StoreHandle::persist`](crate::StoreHandle::persist)).
    pub queue: usize,
    /// Lines the writer holds while the database refuses writes; past this, the oldest go.
    pub max_pending_lines: usize,
}

impl Default for StoreOptions {
    /// 100 lines per room, any age; a batch every 50 ms or 512 records; a queue of 8,192
    /// records; 65,536 lines held through write failures.
    fn default() -> Self {
        Self {
            history: 100,
            history_days: None,
            batch_interval: Duration::from_millis(50),
            batch_records: 512,
            queue: 8_192,
            max_pending_lines: 65_536,
        }
    }
}

/// How long a line may be kept under `history_days`, if that is set.
pub(crate) fn max_age(options: &StoreOptions) -> Option<Duration> {
    options.history_days.map(|days| Duration::from_secs(u64::from(days) * 86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_keeps_nothing_and_anything_else_is_a_directory() {
        assert_eq!("none".parse(), Ok(DataDir::None));
        assert_eq!(DataDir::None.resolve().unwrap(), None);
        assert_eq!("./none".parse(), Ok(DataDir::Path("./none".into())));
        let dir = DataDir::Path("/srv/chat".into());
        assert_eq!(dir.resolve().unwrap(), Some(PathBuf::from("/srv/chat")));
    }

    #[test]
    fn the_default_is_the_platforms_data_directory_for_chat() {
        if let Ok(Some(dir)) = DataDir::Default.resolve() {
            assert_eq!(dir.file_name().unwrap(), "chat");
        } else {
            assert!(std::env::var_os("HOME").is_none(), "a home but no data directory");
        }
    }
}
