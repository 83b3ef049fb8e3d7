//! A real chat server on an ephemeral loopback port, for the client to talk to.

use std::net::TcpListener;

use chat_core::Config;
use chat_runtime_std::{Running, spawn};

/// This project's server (the blocking std runtime driving the real core), stopped on drop.
pub struct TestServer {
    port: u16,
    running: Option<Running>,
}

impl TestServer {
    /// Starts a server with the default configuration on 127.0.0.1, port chosen by the OS.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the test server");
        let port = listener.local_addr().expect("local address").port();
        let running = spawn(vec![listener], Config::default()).expect("start the test server");
        Self { port, running: Some(running) }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Shuts the server down (every client gets the goodbye notice, then is closed) and waits.
    pub fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stopper().stop();
            running.wait().expect("the test server stops cleanly");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stopper().stop();
            let _ = running.wait();
        }
    }
}
