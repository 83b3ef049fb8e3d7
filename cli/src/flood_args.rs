//! `--flood-rate` and `--flood-burst`: the server's flood control, which `chat serve` applies
//! to every client and `chat join` paces what it sends to, so the server drops none of it.

use chat_core::Config;

/// The flood-control options, the same for `chat serve` and `chat join`; the defaults are
/// `chat_core::Config::default()`'s.
#[derive(Clone, Copy, Debug, clap::Args)]
pub struct FloodArgs {
    /// Flood control: lines per second each client may send on average; 0 turns it off.
    /// `chat join` paces what you send or paste to the server's value, so none is dropped.
    #[arg(
        long,
        value_name = "LINES_PER_SEC",
        env = "CHAT_FLOOD_RATE",
        default_value_t = Config::default().flood_rate
    )]
    pub flood_rate: f64,
    /// Lines a client may send at once before the rate applies (so a pasted block goes
    /// through); `chat join` takes the server's value too.
    #[arg(long, value_name = "N", env = "CHAT_FLOOD_BURST", default_value_t = Config::default().flood_burst)]
    pub flood_burst: u32,
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::{Cli, Command};

    fn flood(args: &[&str]) -> FloodArgs {
        match Cli::try_parse_from(args).expect("a valid command line").command {
            Command::Join(join) => join.flood(),
            Command::Serve(serve) => serve.limits.flood(),
        }
    }

    #[test]
    fn serve_and_join_take_the_same_flags_with_the_same_defaults() {
        let defaults = Config::default();
        for command in [&["chat", "serve"][..], &["chat", "join", "localhost"][..]] {
            let given = flood(command);
            assert_eq!((given.flood_rate, given.flood_burst), (defaults.flood_rate, defaults.flood_burst));
            let set = flood(&[command, &["--flood-rate", "0.5", "--flood-burst", "7"]].concat());
            assert_eq!((set.flood_rate, set.flood_burst), (0.5, 7));
        }
    }
}
