//! Chat servers to join: `chat serve` (ours) and the lab handout's `ChatServer.py`, each a
//! child process on a loopback port, killed on drop.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Instant;

use super::{PATIENCE, chat_bin, deadline, free_port};

/// A running chat server.
pub struct TestServer {
    child: Child,
    port: u16,
    /// Ends (disconnects) when the server's stdout closes, that is when it exits.
    stdout_open: Receiver<String>,
}

impl TestServer {
    /// Starts `chat serve` on 127.0.0.1, on a port the OS picks.
    pub fn start() -> Self {
        Self::start_on("127.0.0.1")
    }

    /// Starts `chat serve` on the loopback address `host` (`127.0.0.1` or `::1`), on a port the
    /// OS picks.
    pub fn start_on(host: &str) -> Self {
        Self::start_with(host, "smol")
    }

    /// Starts `chat serve --runtime RUNTIME` on the loopback address `host`, on a port the OS
    /// picks.
    pub fn start_with(host: &str, runtime: &str) -> Self {
        Self::start_on_port(host, runtime, 0)
    }

    /// Starts `chat serve --runtime RUNTIME` on `host`:`port` (0: a port the OS picks).
    pub fn start_on_port(host: &str, runtime: &str, port: u16) -> Self {
        let mut command = Command::new(chat_bin());
        let port = port.to_string();
        command
            .args(["serve", "--host", host, "--port", &port, "--runtime", runtime])
            .env("CHAT_DATA_DIR", "none");
        Self::spawn(command, "chat serve")
    }

    /// Starts `chat serve` on 127.0.0.1, on a port the OS picks, keeping nothing, with `args`
    /// besides.
    pub fn start_args(args: &[&str]) -> Self {
        let mut command = Command::new(chat_bin());
        command.args(["serve", "--host", "127.0.0.1", "--port", "0"]).args(args).env("CHAT_DATA_DIR", "none");
        Self::spawn(command, "chat serve")
    }

    /// Starts the handout's Python server on a free port, or says why it cannot (no `python3`,
    /// or no copy of the handout's reference programs beside the repository).
    pub fn python() -> Result<Self, String> {
        let script = python_server_script().ok_or("the handout's ChatServer.py was not found")?;
        let python =
            Command::new("python3").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
        if !python.is_ok_and(|status| status.success()) {
            return Err("python3 is not installed".to_owned());
        }
        let mut command = Command::new("python3");
        command.arg("-u").arg(script).args(["--port", &free_port().to_string()]);
        Ok(Self::spawn(command, "ChatServer.py"))
    }

    fn spawn(mut command: Command, what: &str) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {what}: {err}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (lines, stdout_open) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if lines.send(line).is_err() {
                    return;
                }
            }
        });
        // Both servers announce themselves with `Chat server started on port PORT`, once
        // listening.
        let announced = stdout_open.recv_timeout(PATIENCE).unwrap_or_else(|_| panic!("{what} did not start"));
        let port = announced
            .strip_prefix("Chat server started on port ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("{what} said {announced:?}"));
        Self { child, port, stdout_open }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    #[cfg(unix)]
    /// Stops the server with SIGTERM (ours then says goodbye to everyone and closes every
    /// connection) and waits for it to exit.
    pub fn stop(&mut self) {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("send SIGTERM");
        let deadline = deadline();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout_open.recv_timeout(left) {
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("the server did not stop"),
            }
        }
        self.child.wait().expect("wait for the server");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ChatServer.py` from the `shared/reference` folder next to the repository.
fn python_server_script() -> Option<PathBuf> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = repo.join("../shared/reference/ChatServer.py");
    script.is_file().then_some(script)
}
