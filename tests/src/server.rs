//! [`TestServer`]: a server on loopback that is stopped and waited for when dropped.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::mpsc;
use std::thread;

use chat_core::Config;
use chat_core::kit::{NoServices, Services};

use crate::{Client, ClientOptions, Deadline, Runtime, TestDatabase};
use chat_runtime::{Endpoint, Listener, Options};

/// A chat server running in this process on an ephemeral loopback port.
///
/// Dropping it stops the server and waits (with a deadline) until every thread or task of the
/// runtime has ended, so no test leaks a server.
pub struct TestServer {
    runtime: Runtime,
    addrs: Vec<SocketAddr>,
    stop: Box<dyn Fn() + Send + Sync>,
    wait: Option<Box<dyn FnOnce() -> Result<(), String> + Send>>,
}

impl TestServer {
    /// Starts `runtime` with `config` on `127.0.0.1`, port 0.
    pub fn start(runtime: Runtime, config: Config) -> Self {
        Self::start_on(runtime, config, &[IpAddr::V4(Ipv4Addr::LOCALHOST)])
    }

    /// Starts `runtime` with `config` and `options` (the smol runtime's I/O threads) on
    /// `127.0.0.1`, port 0.
    pub fn start_threads(runtime: Runtime, config: Config, options: Options) -> Self {
        Self::start_endpoints_with(
            runtime,
            config,
            &[(IpAddr::V4(Ipv4Addr::LOCALHOST), Endpoint::Plain)],
            options,
        )
    }

    /// Starts `runtime` with `config` on `127.0.0.1`, port 0, its service requests (password
    /// work, records to keep) carried out by `services`: the real threads of `chat-services`,
    /// say.
    pub fn start_with(runtime: Runtime, config: Config, services: Box<dyn Services>) -> Self {
        let endpoints = [(IpAddr::V4(Ipv4Addr::LOCALHOST), Endpoint::Plain)];
        Self::try_start_endpoints(runtime, config, &endpoints, services)
            .unwrap_or_else(|e| panic!("the {runtime} runtime did not start: {e}"))
    }

    /// Starts `runtime` with `config`, listening on port 0 of each of `ips`.
    pub fn start_on(runtime: Runtime, config: Config, ips: &[IpAddr]) -> Self {
        Self::try_start_on(runtime, config, ips)
            .unwrap_or_else(|e| panic!("the {runtime} runtime did not start: {e}"))
    }

    /// Like [`start_on`](Self::start_on), returning the runtime's error (as text) instead of
    /// panicking if it refuses to start.
    pub fn try_start_on(runtime: Runtime, config: Config, ips: &[IpAddr]) -> Result<Self, String> {
        let endpoints = ips.iter().map(|&ip| (ip, Endpoint::Plain)).collect::<Vec<_>>();
        Self::try_start_endpoints(runtime, config, &endpoints, Box::new(NoServices::default()))
    }

    /// Starts `runtime` with `config`, listening on port 0 of each address, speaking what its
    /// endpoint says (plain TCP, TLS, the web listener).
    pub fn start_endpoints(runtime: Runtime, config: Config, endpoints: &[(IpAddr, Endpoint)]) -> Self {
        Self::try_start_endpoints(runtime, config, endpoints, Box::new(NoServices::default()))
            .unwrap_or_else(|e| panic!("the {runtime} runtime did not start: {e}"))
    }

    /// Like [`start_endpoints`](Self::start_endpoints), using the machine as `options` say
    /// (the smol runtime's I/O threads).
    pub fn start_endpoints_with(
        runtime: Runtime,
        config: Config,
        endpoints: &[(IpAddr, Endpoint)],
        options: Options,
    ) -> Self {
        Self::try_start_with(runtime, config, endpoints, Box::new(NoServices::default()), options)
            .unwrap_or_else(|e| panic!("the {runtime} runtime did not start: {e}"))
    }

    fn try_start_endpoints(
        runtime: Runtime,
        config: Config,
        endpoints: &[(IpAddr, Endpoint)],
        services: Box<dyn Services>,
    ) -> Result<Self, String> {
        Self::try_start_with(runtime, config, endpoints, services, Options::default())
    }

    fn try_start_with(
        runtime: Runtime,
        config: Config,
        endpoints: &[(IpAddr, Endpoint)],
        services: Box<dyn Services>,
        options: Options,
    ) -> Result<Self, String> {
        crate::open_files::raise_limit();
        let listeners: Vec<Listener> = endpoints
            .iter()
            .map(|(ip, endpoint)| {
                let socket = TcpListener::bind((*ip, 0))
                    .unwrap_or_else(|e| panic!("cannot bind a listener on {ip} port 0: {e}"));
                Listener::new(socket, endpoint.clone())
            })
            .collect();
        let addrs = listeners
            .iter()
            .map(|l| l.socket.local_addr().expect("a bound listener has an address"))
            .collect();
        let running = runtime
            .spawn_with_options(listeners, config, services, chat_core::Stored::default(), options)
            .map_err(|e| e.to_string())?;
        Ok(Self::running(runtime, addrs, running))
    }

    /// Starts `runtime` with `config` on `127.0.0.1`, port 0, keeping what must survive a
    /// restart in `database` (as `chat serve --data-dir DIR` does): the server is built from
    /// what the database held, and asks it to keep every line and topic.
    pub fn start_with_database(runtime: Runtime, config: Config, database: &TestDatabase) -> Self {
        crate::open_files::raise_limit();
        let socket = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a listener on 127.0.0.1");
        let addrs = vec![socket.local_addr().expect("a bound listener has an address")];
        let (services, stored) = database.open(&config);
        let config = Config { persist: true, ..config };
        let running = runtime
            .spawn_with(vec![Listener::plain(socket)], config, Box::new(services), stored)
            .unwrap_or_else(|e| panic!("the {runtime} runtime did not start: {e}"));
        Self::running(runtime, addrs, running)
    }

    fn running(runtime: Runtime, addrs: Vec<SocketAddr>, running: chat_runtime::Running) -> Self {
        let stopper = running.stopper();
        Self {
            runtime,
            addrs,
            stop: Box::new(move || stopper.stop()),
            wait: Some(Box::new(move || running.wait().map_err(|e| e.to_string()))),
        }
    }

    /// The runtime serving.
    pub fn runtime(&self) -> Runtime {
        self.runtime
    }

    /// The first address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Every address the server listens on, in the order of the `ips` it was started with.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Connects a client called `label` (in failure messages and transcripts) to the first
    /// address, without reading anything yet.
    pub fn connect(&self, label: &str) -> Client {
        Client::connect(self.addr(), label, ClientOptions::default())
    }

    /// Connects a client called `label` and reads its welcome line.
    pub fn join(&self, label: &str) -> Client {
        let mut client = self.connect(label);
        client.expect_welcome();
        client
    }

    /// Starts graceful shutdown, without waiting for it.
    pub fn stop(&self) {
        (self.stop)();
    }

    /// Stops the server and waits until it has shut down; panics if that takes longer than
    /// `deadline` or the runtime reports an error.
    pub fn stop_and_wait(mut self, deadline: Deadline) {
        self.stop();
        if let Some(wait) = self.wait.take() {
            finish(self.runtime, wait, deadline);
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let Some(wait) = self.wait.take() else { return };
        self.stop();
        if thread::panicking() {
            // The test already failed: report a hang here but do not panic again.
            let (done, finished) = mpsc::channel();
            thread::spawn(move || done.send(wait()));
            if finished.recv_timeout(Deadline::standard().budget()).is_err() {
                eprintln!("the {} server did not shut down after the failed test", self.runtime);
            }
        } else {
            finish(self.runtime, wait, Deadline::standard());
        }
    }
}

/// Runs `wait` on a helper thread so a hang becomes a failure at `deadline`.
fn finish(runtime: Runtime, wait: Box<dyn FnOnce() -> Result<(), String> + Send>, deadline: Deadline) {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || done.send(wait()));
    let remaining = deadline.remaining().unwrap_or_default();
    match finished.recv_timeout(remaining) {
        Ok(Ok(())) => {}
        Ok(Err(error)) => panic!("the {runtime} server failed while shutting down: {error}"),
        Err(_) => panic!(
            "the {runtime} server did not finish within {:?} of stop(): Running::wait() is still blocked",
            deadline.budget()
        ),
    }
}
