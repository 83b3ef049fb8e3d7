//! A `chat serve` child process for the tests, with its output line by line; killed when
//! dropped.

use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc::Receiver;

use super::{next_line, spawn_piped, to_end};

/// A child process, killed (if still running) when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `chat serve` process and its output, line by line.
pub struct Serve {
    /// The process.
    pub child: Guard,
    /// Its standard output, line by line.
    pub stdout: Receiver<String>,
    /// Its standard error, line by line.
    pub stderr: Receiver<String>,
}

impl Serve {
    /// Starts `chat serve ARGS` with piped output, keeping nothing on disk unless ARGS give a
    /// `--data-dir`.
    pub fn start(args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chat"));
        command.arg("serve").args(args).env("CHAT_DATA_DIR", "none");
        Self::spawn(&mut command)
    }

    /// Starts `command` (which runs `chat serve`) with piped output.
    pub fn spawn(command: &mut Command) -> Self {
        let (child, stdout, stderr) = spawn_piped(command);
        Self { child: Guard(child), stdout, stderr }
    }

    /// Starts a server on a free port of 127.0.0.1 and returns it with the port it printed.
    pub fn on_free_port(extra: &[&str]) -> (Self, u16) {
        let mut args = vec!["--host", "127.0.0.1", "--port", "0"];
        args.extend_from_slice(extra);
        let mut serve = Self::start(&args);
        let port = serve.port();
        (serve, port)
    }

    /// Waits for the start-up line and returns the port it names.
    pub fn port(&mut self) -> u16 {
        let line = next_line(&self.stdout, "the start-up line");
        let port = line
            .strip_prefix("Chat server started on port ")
            .unwrap_or_else(|| panic!("start-up line: {line:?}"));
        port.parse().unwrap_or_else(|_| panic!("port in {line:?}"))
    }

    /// Everything the process writes to stderr until it closes it (it exits).
    pub fn stderr_to_end(&self) -> Vec<String> {
        to_end(&self.stderr, "stderr")
    }

    /// Waits for the process to end (its stdout closes first) and returns its exit status.
    pub fn exit_status(&mut self) -> ExitStatus {
        to_end(&self.stdout, "stdout");
        self.child.0.wait().expect("wait for chat serve")
    }

    /// Sends SIGTERM, as `kill PID` or a service manager does.
    pub fn terminate(&self) {
        self.signal(rustix::process::Signal::TERM);
    }

    /// Sends SIGHUP, as `kill -HUP PID` does to reload the TLS certificate.
    pub fn hangup(&self) {
        self.signal(rustix::process::Signal::HUP);
    }

    fn signal(&self, signal: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_child(&self.child.0);
        rustix::process::kill_process(pid, signal).unwrap_or_else(|e| panic!("send {signal:?}: {e}"));
    }
}
