//! Real `redis-server` processes for tests (feature `testing`): one of our own on a loopback
//! ephemeral port with a temporary directory, killed when dropped. Used by this crate's tests
//! and by the end-to-end tests of a cluster.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{BusConfig, RedisUrl};

/// How long `redis-server` may take to answer after it is started.
const DEADLINE: Duration = Duration::from_secs(20);

/// A `redis-server` of our own on 127.0.0.1, killed when dropped.
pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one, or returns `None` (saying so loudly) when `redis-server` is not installed and
    /// `CI` is not set. Under CI a missing `redis-server` fails the test.
    pub fn start() -> Option<Self> {
        if Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server is not installed, and CI must run the Redis tests: .ci/run installs it with apt"
            );
            // Straight to stderr: the test harness captures eprintln!, and this must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: redis-server is not installed; `apt-get install redis-server` to run the Redis bridge tests"
            );
            return None;
        }
        let mut dir = tempfile::tempdir().expect("a temporary directory for redis-server");
        for _ in 0..5 {
            let port = free_port();
            let mut server = RedisServer { port, dir, child: None };
            if server.spawn() {
                return Some(server);
            }
            dir = server.take_dir();
        }
        panic!("redis-server did not start on a free port after 5 tries");
    }

    fn take_dir(mut self) -> tempfile::TempDir {
        self.kill();
        std::mem::replace(&mut self.dir, tempfile::tempdir().expect("a temporary directory"))
    }

    /// Runs `redis-server` on our port and waits until it answers PING (false if it exited).
    fn spawn(&mut self) -> bool {
        let log = std::fs::File::create(self.dir.path().join("redis.log")).expect("redis log file");
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + DEADLINE;
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && child.try_wait().ok().flatten().is_some()
            {
                self.child = None;
                return false;
            }
            if let Ok(mut conn) = self.try_admin()
                && redis::cmd("PING").query::<String>(&mut conn).is_ok()
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} did not answer PING in {DEADLINE:?}", self.port);
    }

    /// Where it listens.
    pub fn url(&self) -> RedisUrl {
        format!("redis://127.0.0.1:{}", self.port).parse().expect("a valid URL")
    }

    fn try_admin(&self) -> redis::RedisResult<redis::Connection> {
        let client = redis::Client::open(self.url().to_string())?;
        client.get_connection_with_timeout(Duration::from_secs(2))
    }

    /// A plain connection, to play the operator.
    pub fn admin(&self) -> redis::Connection {
        self.try_admin().expect("an admin connection to redis-server")
    }

    /// Saves its data, stops, and starts again on the same port with the data reloaded.
    pub fn restart(&mut self) {
        let _ = redis::cmd("SHUTDOWN").arg("SAVE").exec(&mut self.admin());
        if let Some(mut child) = self.child.take() {
            child.wait().expect("redis-server exits after SHUTDOWN");
        }
        assert!(self.spawn(), "redis-server restarts on port {}", self.port);
    }

    /// Stops without saving and starts again on the same port: every key is lost (a Redis
    /// run without persistence, restarted).
    pub fn restart_losing_data(&mut self) {
        let _ = redis::cmd("SHUTDOWN").arg("NOSAVE").exec(&mut self.admin());
        if let Some(mut child) = self.child.take() {
            child.wait().expect("redis-server exits after SHUTDOWN");
        }
        assert!(self.spawn(), "redis-server restarts on port {}", self.port);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A bridge's settings for node `node` with short timings, so failures and recoveries happen
/// within a test's patience: heartbeats live 2 s, reconnection backs off to 200 ms at most.
pub fn quick_config(url: RedisUrl, node: &str) -> BusConfig {
    let mut config = BusConfig::new(url, node);
    config.heartbeat_ttl = Duration::from_secs(2);
    config.backoff_first = Duration::from_millis(20);
    config.backoff_cap = Duration::from_millis(200);
    config.block = Duration::from_millis(200);
    config.io_timeout = Duration::from_secs(1);
    config
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("its address").port()
}
