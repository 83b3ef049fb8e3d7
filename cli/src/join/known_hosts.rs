//! The servers whose self-signed certificates we trust, as ssh keeps `known_hosts`: one line
//! per server, `HOST:PORT SHA256:...` (`[ADDR]:PORT` for an IPv6 address); blank lines and
//! lines starting with `#` are skipped. A server's line is added the first time it is trusted,
//! and a certificate with another fingerprint is then refused until the line is removed.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chat_transport::Fingerprint;
use directories::ProjectDirs;

/// The environment variable that names another file (tests use it; so may anyone).
pub const ENV: &str = "CHAT_KNOWN_HOSTS";

/// `known_hosts` in the platform's configuration directory for `chat` (`$XDG_CONFIG_HOME/chat`
/// or `~/.config/chat` on Linux); `None` when there is no home directory.
pub fn default_path() -> Option<PathBuf> {
    Some(ProjectDirs::from("", "", "chat")?.config_dir().join("known_hosts"))
}

/// What the file says about a server's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The server has no line: its certificate was never trusted.
    Unknown,
    /// A line of the server has this fingerprint.
    Known,
    /// The server's line (its number, from 1) has another fingerprint.
    Changed {
        /// The line to remove if the new certificate is right.
        line: usize,
        /// The fingerprint that line remembers.
        known: Fingerprint,
    },
}

/// The file's entries, as read when a connection starts.
#[derive(Clone, Debug)]
pub struct KnownHosts {
    path: PathBuf,
    /// (line number from 1, server, fingerprint).
    entries: Vec<(usize, String, Fingerprint)>,
}

impl KnownHosts {
    /// Reads `path`; a missing file has no entries. A line that cannot be read is skipped with
    /// a warning, as ssh does.
    pub fn load(path: &Path) -> io::Result<Self> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => String::new(),
            Err(err) => return Err(err),
        };
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            match (words.next(), words.next().map(str::parse::<Fingerprint>)) {
                (Some(server), Some(Ok(fingerprint))) => {
                    entries.push((index + 1, server.to_ascii_lowercase(), fingerprint));
                }
                _ => {
                    tracing::warn!(file = %path.display(), line = index + 1, "skipping a line that is not `HOST:PORT SHA256:...`")
                }
            }
        }
        Ok(Self { path: path.to_owned(), entries })
    }

    /// The file these entries come from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file says about `server` (`HOST:PORT`) presenting `fingerprint`.
    pub fn lookup(&self, server: &str, fingerprint: &Fingerprint) -> Lookup {
        let server = server.to_ascii_lowercase();
        let mut lines = self.entries.iter().filter(|(_, known, _)| *known == server);
        let Some(&(line, _, known)) = lines.clone().next() else { return Lookup::Unknown };
        if lines.any(|(_, _, known)| known == fingerprint) {
            Lookup::Known
        } else {
            Lookup::Changed { line, known }
        }
    }
}

/// Adds the line `SERVER FINGERPRINT` to the file at `path`, making it and its directory if
/// needed.
pub fn remember(path: &Path, server: &str, fingerprint: &Fingerprint) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let ends_open = fs::read(path).is_ok_and(|text| !text.is_empty() && !text.ends_with(b"\n"));
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    let separator = if ends_open { "\n" } else { "" };
    writeln!(file, "{separator}{} {fingerprint}", server.to_ascii_lowercase())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("chat-known-hosts-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("sub").join("known_hosts")
    }

    #[test]
    fn remembered_servers_are_known_and_a_new_certificate_is_a_change() {
        let path = temp_file("remember");
        let (old, new) = (Fingerprint::of_der(b"old"), Fingerprint::of_der(b"new"));
        assert_eq!(KnownHosts::load(&path).unwrap().lookup("example.org:5001", &old), Lookup::Unknown);
        remember(&path, "example.org:5001", &old).unwrap();
        remember(&path, "[::1]:5001", &new).unwrap();
        let known = KnownHosts::load(&path).unwrap();
        assert_eq!(known.lookup("Example.ORG:5001", &old), Lookup::Known);
        assert_eq!(known.lookup("example.org:5001", &new), Lookup::Changed { line: 1, known: old });
        assert_eq!(known.lookup("example.org:5002", &old), Lookup::Unknown, "another port is another server");
        assert_eq!(known.lookup("[::1]:5001", &new), Lookup::Known);
        fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).unwrap();
    }

    #[test]
    fn comments_and_bad_lines_are_skipped_and_line_numbers_count_them() {
        let path = temp_file("comments");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let old = Fingerprint::of_der(b"old");
        fs::write(&path, format!("# servers\n\nnot a line\nhost:1 SHA256:nope\nhost:1 {old}")).unwrap();
        let known = KnownHosts::load(&path).unwrap();
        let new = Fingerprint::of_der(b"new");
        assert_eq!(known.lookup("host:1", &new), Lookup::Changed { line: 5, known: old });
        // The last line had no newline: the next entry still starts a line of its own.
        remember(&path, "host:2", &new).unwrap();
        assert_eq!(KnownHosts::load(&path).unwrap().lookup("host:2", &new), Lookup::Known);
        assert!(fs::read_to_string(&path).unwrap().ends_with(&format!("{old}\nhost:2 {new}\n")));
        fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).unwrap();
    }
}
