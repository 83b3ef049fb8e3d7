//! `--redis` and `--node-name`: sharing rooms with other `chat serve` nodes through Redis.

use chat_core::ClusterConfig;
use chat_services::{BusConfig, RedisUrl};

/// The cluster options of `chat serve`.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Several nodes (one room across machines)")]
pub struct ClusterArgs {
    /// Share every room with the other `chat serve` nodes that use the same Redis (5 or
    /// newer), given as redis://HOST:PORT[/DB]. Without it the server is on its own.
    #[arg(long, value_name = "URL", env = "CHAT_REDIS")]
    pub redis: Option<RedisUrl>,
    /// This node's name, unique among the nodes (letters, digits, `.`, `-`, `_`, `:`; at most
    /// 64) [default: this machine's host name and the port, HOST:PORT].
    #[arg(long, value_name = "NAME", env = "CHAT_NODE_NAME", requires = "redis")]
    pub node_name: Option<String>,
}

impl ClusterArgs {
    /// The core's and the bridge's settings, with `--redis`; `port` names the node by default.
    pub fn configs(&self, port: u16) -> Option<(ClusterConfig, BusConfig)> {
        let url = self.redis.clone()?;
        let node = self.node_name.clone().unwrap_or_else(|| default_node_name(port));
        let bus = BusConfig::new(url, node.clone());
        // Three heartbeats per time to live: one lost or late one does not declare us dead.
        let cluster = ClusterConfig { node, heartbeat: bus.heartbeat_ttl / 3 };
        Some((cluster, bus))
    }
}

/// `HOST:PORT`, the host name cut to what a node name may hold.
fn default_node_name(port: u16) -> String {
    let uname = rustix::system::uname();
    let host = uname.nodename().to_string_lossy();
    let host: String = host
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' })
        .take(50)
        .collect();
    let host = if host.is_empty() { "node".to_owned() } else { host };
    format!("{host}:{port}")
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use crate::{Cli, Command};

    fn serve(args: &[&str]) -> crate::serve::Args {
        match Cli::try_parse_from(args).expect("a valid command line").command {
            Command::Serve(serve) => *serve,
            Command::Join(_) => unreachable!("a serve command line"),
        }
    }

    #[test]
    fn without_redis_the_server_is_on_its_own() {
        assert!(serve(&["chat", "serve"]).cluster.configs(5000).is_none());
        assert!(
            Cli::try_parse_from(["chat", "serve", "--node-name", "a"]).is_err(),
            "--node-name needs --redis"
        );
    }

    #[test]
    fn redis_and_the_node_name_make_the_cluster_settings() {
        let args = serve(&["chat", "serve", "--redis", "redis://127.0.0.1:7000/2", "--node-name", "east-1"]);
        let (cluster, bus) = args.cluster.configs(5000).expect("a cluster");
        assert_eq!(cluster.node, "east-1");
        assert_eq!(bus.node, "east-1");
        assert_eq!((bus.url.host.as_str(), bus.url.port, bus.url.db), ("127.0.0.1", 7000, 2));
        assert_eq!(cluster.heartbeat * 3, bus.heartbeat_ttl);
        let (cluster, _) = serve(&["chat", "serve", "--redis", "redis://h"]).cluster.configs(5123).unwrap();
        assert!(cluster.node.ends_with(":5123"), "{}", cluster.node);
        let bad =
            Cli::try_parse_from(["chat", "serve", "--redis", "http://h"]).err().expect("refused").to_string();
        assert!(bad.contains("redis://"), "{bad}");
    }
}
