//! [`TestCluster`]: several nodes of one chat deployment in this process, sharing rooms through
//! a `redis-server` of their own on a loopback port.

use std::time::Duration;

use chat_bus::testing::{RedisServer, quick_config};
use chat_core::{ClusterConfig, Config};
use chat_services::{ServiceOptions, ServiceThreads};

use crate::{Client, Deadline, Runtime, TestServer};

/// A Redis server and the nodes sharing it, each a [`TestServer`] named `n1`, `n2` ...
pub struct TestCluster {
    /// The nodes (dropped, hence stopped, before Redis).
    pub nodes: Vec<TestServer>,
    /// Their Redis.
    pub redis: RedisServer,
}

impl TestCluster {
    /// Starts Redis and `count` nodes on `runtime` with `config`, or returns `None` (saying so
    /// loudly) when `redis-server` is not installed outside CI.
    pub fn start(runtime: Runtime, count: usize, config: &Config) -> Option<Self> {
        Self::start_with(runtime, count, config, &ServiceOptions::default)
    }

    /// Like [`TestCluster::start`], each node's services made from `options` (its bus set).
    pub fn start_with(
        runtime: Runtime,
        count: usize,
        config: &Config,
        options: &dyn Fn() -> ServiceOptions,
    ) -> Option<Self> {
        let redis = RedisServer::start()?;
        let nodes = (1..=count)
            .map(|n| {
                let bus = quick_config(redis.url(), &format!("n{n}"));
                let cluster = ClusterConfig { node: bus.node.clone(), heartbeat: bus.heartbeat_ttl / 3 };
                let config = Config { cluster: Some(cluster), ..config.clone() };
                let options = ServiceOptions { bus: Some(bus), ..options() };
                let (services, _) = ServiceThreads::start(options).expect("the node's services start");
                TestServer::start_with(runtime, config, Box::new(services))
            })
            .collect();
        Some(Self { nodes, redis })
    }

    /// Connects a client to node `node`, names it `name` (a lease across nodes), and waits
    /// until it is called so.
    pub fn join_as(&self, node: usize, name: &str) -> Client {
        let mut client = self.nodes[node].join(name);
        client.send_line(&format!("/nick {name}"));
        let renamed = format!("*** You are now known as {name}");
        client.read_until(&renamed, Deadline::standard(), |line| line == renamed);
        client
    }
}

/// Asks `client` for `/who` until it answers `wanted` (presence spreads through Redis).
pub fn who_until(client: &mut Client, wanted: &str) {
    let deadline = Deadline::standard();
    loop {
        client.send_line("/who");
        let lines = client.read_until("the /who answer", deadline, |line| line.contains(" here:"));
        let answer = lines.last().cloned().unwrap_or_default();
        if answer == wanted {
            return;
        }
        assert!(deadline.remaining().is_some(), "{}: /who never said `{wanted}`: {answer}", client.label());
        std::thread::sleep(Duration::from_millis(50));
    }
}
